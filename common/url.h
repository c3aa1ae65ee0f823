/* URL checks with libcurl's own URL parser, so the master refuses at load
 * time exactly what workers could not send. */
#pragma once

#include <stdbool.h>

/* True if @url is an absolute http:// or https:// URL libcurl can parse.
 * Workers speak no other scheme (also after redirects). */
bool hn_url_ok(const char *url);
