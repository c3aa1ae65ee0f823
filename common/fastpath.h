/* Which steps may run on the fast path (http.engine): libcurl opens the
 * connection, Hornet writes the HTTP/1.1 request and parses the response
 * with a parser library. A step is eligible when the fast path gives
 * exactly what a full libcurl transfer gives: HTTP/1.1 with keep-alive, no
 * redirect following, no authentication scheme, no content decoding, no
 * cookie jar, a URL whose scheme and host are fixed at load time. The
 * master shows the decision (--check) and refuses engine: fast on an
 * ineligible step; workers decide again from the same rules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* "auto", "curl", "fast". */
const char *hn_fast_engine_name(unsigned engine);

/* Why every step of @s stays on libcurl (HTTP/2, cookies), or NULL. */
const char *hn_fast_scenario_reason(const struct hn_scenario *s);

/* Why a request header named @name keeps its step on libcurl, or NULL:
 * Connection, Content-Length, Expect, TE, Transfer-Encoding and Upgrade
 * change how the message is framed or answered. */
const char *hn_fast_header_reason(const char *name);

/* Why step @st stays on libcurl because of its URL or options, or NULL.
 * @host: the base of relative URLs (may be NULL). The text may be built in
 * @buf (@len bytes). */
const char *hn_fast_step_reason(const struct hn_step *st, const char *host, char *buf,
                                size_t len);

/* Every rule for step @st of class @c (scenario, defaults, class and step
 * headers, URL and options): NULL when the step is eligible, else why not.
 * @host as above (the scenario's, or -H). */
const char *hn_fast_reason(const struct hn_scenario *s, const struct hn_user_class *c,
                           const struct hn_step *st, const char *host, char *buf, size_t len);

/* The step runs on the fast path: eligible, and the engine is not curl. */
bool hn_fast_uses(const struct hn_scenario *s, const struct hn_user_class *c,
                  const struct hn_step *st);

/* Length of the "scheme://authority" prefix of @url (http or https, any
 * case), ending before the first '/', '?' or '#' after the authority; 0
 * when @url does not start with http:// or https://. */
size_t hn_fast_origin_len(const char *url, size_t len);
