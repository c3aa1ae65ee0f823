/* UTF-8 validation and repair (see utf8.h). */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t hn_utf8_decode(const char *str, size_t len, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (len == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, v = s[0] & 0x1f, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, v = s[0] & 0x0f, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, v = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0; /* overlong, beyond Unicode, surrogate */
    *cp = v;
    return n;
}

size_t hn_utf8_char_len(const char *str, size_t len)
{
    uint32_t cp;
    if (len == 0 || str[0] == 0)
        return 0;
    return hn_utf8_decode(str, len, &cp);
}

size_t hn_utf8_copy(char *dst, size_t cap, const char *src, size_t len)
{
    size_t out = 0, i = 0;
    while (i < len) {
        size_t n = hn_utf8_char_len(src + i, len - i);
        const char *from = src + i;
        if (n == 0) {
            from = "?";
            n = 1;
            i++;
        } else {
            i += n;
        }
        if (out + n + 1 > cap)
            break;
        memcpy(dst + out, from, n);
        out += n;
    }
    dst[out] = '\0';
    return out;
}
