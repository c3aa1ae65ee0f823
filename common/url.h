/* URL checks with libcurl's own URL parser, so the master refuses at load
 * time exactly what workers could not send. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True if @url is an absolute http:// or https:// URL libcurl can parse.
 * Workers speak no other scheme (also after redirects). */
bool hn_url_ok(const char *url);

/* True if @url (hn_url_ok) can be a base that paths are appended to: no
 * query (?...) and no fragment (#...), which the appended path would land
 * after ("http://h/?q=1" + "/x" requests "/?q=1/x"). */
bool hn_url_is_base(const char *url);

/* Length of the "scheme://" @s starts with (RFC 3986: a letter, then
 * letters, digits, '+', '-', '.'), 0 if it starts with none: a path whose
 * query holds a URL ("/login?next=http://a/b") has no scheme. */
size_t hn_url_scheme_len(const char *s);

/* @url with its credentials (user:password@ before the host) replaced by
 * "***@", into @out (@len bytes, cut if short): what a report may show of
 * a URL. Any text without credentials is copied as it is. Returns @out. */
const char *hn_url_redact(const char *url, char *out, size_t len);
