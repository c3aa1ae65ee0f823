/* UTF-8 text that must stay valid where it goes (wire strings, reports):
 * copy bytes of unknown origin, replacing what is not UTF-8. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Copy @src[0..len) into @dst (room for @cap >= 1 bytes, NUL included):
 * invalid UTF-8 sequences and NUL bytes become '?', and the copy is cut on
 * a character boundary when it does not fit. Returns the bytes written
 * (NUL excluded). */
size_t hn_utf8_copy(char *dst, size_t cap, const char *src, size_t len);

/* Length of the valid UTF-8 sequence starting at @s (at most @len bytes
 * available), or 0 if the byte there does not start one (or is NUL). */
size_t hn_utf8_char_len(const char *s, size_t len);

/* The same, NUL counting as a character, with its code point in *@cp:
 * well-formed sequences only (no overlong form, surrogate or code point
 * beyond U+10FFFF). */
size_t hn_utf8_decode(const char *s, size_t len, uint32_t *cp);
