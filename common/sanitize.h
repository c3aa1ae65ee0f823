/* Text from the network made safe to print: control characters, invalid
 * UTF-8 and the invisible characters that reorder or break a line are shown
 * escaped ("\x1b", "\u202e"), never written raw to a terminal or a log.
 * Reports that keep exact bytes (CSV) quote instead of escaping. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to hold @n bytes of any input escaped, NUL included: each
 * input byte becomes at most 4 output bytes ("\xNN"). */
#define HN_SANITIZE_SIZE(n) ((n)*4 + 1)

/* Copy @len bytes of @src to @dst (@cap >= 1 bytes, always NUL-terminated),
 * escaping:
 *   - bytes 0x00-0x1f and 0x7f (C0 controls, DEL) as \xNN;
 *   - bytes that are not part of well-formed UTF-8 as \xNN;
 *   - C1 controls U+0080-U+009F, line and paragraph separators U+2028 and
 *     U+2029, and the bidirectional controls U+200E, U+200F, U+202A-U+202E,
 *     U+2066-U+2069 as \uXXXX.
 * Everything else (printable ASCII, other UTF-8) is copied as is. Output
 * stops before an escape or character that would not fit.
 * @return the number of bytes of @src consumed (@len when everything fit);
 *         *out_len (if not NULL) receives the length written. */
size_t hn_sanitize(char *dst, size_t cap, const char *src, size_t len, size_t *out_len);

/* hn_sanitize of a NUL-terminated @src; returns @dst, for use as a printf
 * argument: hn_sanitize_str(buf, sizeof buf, h->worker_id). */
const char *hn_sanitize_str(char *dst, size_t cap, const char *src);

/* True if @src[0..len) would be copied unchanged (nothing to escape). */
bool hn_sanitize_is_clean(const char *src, size_t len);
