/* Known bugs of the libcurl a process runs with that decide what a
 * scenario can ask of it: said before a run (the master when it loads the
 * scenario, a worker when it gets it), never as failed requests. */
#pragma once

#include <stdbool.h>

#include "model.h"

/* True if this process's libcurl cannot reuse a connection it opened with
 * HTTP/2 prior knowledge (h2c, HTTP/2 over http://): libcurl 7.88.x adds a
 * second HTTP/2 layer on reuse, so every request after a connection's
 * first fails with "Error in the HTTP2 framing layer" (curl issue 10634,
 * fixed in 8.0.0). Debian 12 ships 7.88.1. */
bool hn_curl_h2c_broken(void);

/* The version of this process's libcurl, e.g. "7.88.1". */
const char *hn_curl_version(void);

/* True if @s asks for HTTP/2 and some request of it goes over http://
 * (h2c): a path joined to an http:// host, or an absolute http:// URL. A
 * URL that starts with a value is not known in advance and not counted. */
bool hn_scenario_uses_h2c(const struct hn_scenario *s);
