/* Escaping of untrusted text for terminals and logs (see sanitize.h). */
#include "sanitize.h"
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* Code points shown as \uXXXX: they control the terminal or reorder text. */
static bool escaped_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t hn_sanitize(char *dst, size_t cap, const char *src, size_t len, size_t *out_len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0, o = 0;
    while (i < len) {
        char esc[8];
        const char *from = esc;
        size_t in, out;
        uint32_t cp = 0;
        size_t n = hn_utf8_decode((const char *)s + i, len - i, &cp);
        if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
            esc[0] = '\\', esc[1] = 'x', esc[2] = hex[s[i] >> 4], esc[3] = hex[s[i] & 15];
            in = 1, out = 4;
        } else if (escaped_cp(cp)) {
            esc[0] = '\\', esc[1] = 'u';
            for (int k = 0; k < 4; k++)
                esc[2 + k] = hex[(cp >> (12 - 4 * k)) & 15];
            in = n, out = 6;
        } else {
            from = (const char *)s + i;
            in = n, out = n;
        }
        if (o + out >= cap)
            break;
        memcpy(dst + o, from, out);
        o += out;
        i += in;
    }
    if (cap)
        dst[o] = '\0';
    if (out_len)
        *out_len = o;
    return i;
}

const char *hn_sanitize_str(char *dst, size_t cap, const char *src)
{
    hn_sanitize(dst, cap, src, strlen(src), NULL);
    return dst;
}

bool hn_sanitize_is_clean(const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = hn_utf8_decode((const char *)s + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || escaped_cp(cp))
            return false;
        i += n;
    }
    return true;
}
