/* URLs of a scenario checked on the master before the run, with libcurl's
 * own URL parser (the one workers use): a URL a worker could not request is
 * a usage error now, not a run that sends nothing. */
#pragma once

#include <stddef.h>

/* Check the URL a worker will request for @url: @url itself if absolute,
 * else @host (trailing slashes dropped) joined with @url. It must parse
 * (curl_url_set), use http or https, and name a host and a port other than
 * 0; the text may hold no space or control character.
 * @return 0; HN_E_INVALID with a one-line reason in @why (e.g. "http://[::1:
 *         Bad IPv6 address"); -ENOMEM. */
int hn_url_check(const char *host, const char *url, char *why, size_t why_len);
