/* Random byte-level mutations of encoded frames (see mutate.h). */
#include "mutate.h"

#include <string.h>

size_t test_mutate(uint8_t *b, size_t len, size_t cap, uint64_t (*rnd)(void))
{
    static const uint8_t special[] = {0x00, 0x01, 0x7f, 0x80, 0x90, 0x9f, 0xa1,
                                      0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xcb, 0xcc,
                                      0xcf, 0xd3, 0xd9, 0xdc, 0xdd, 0xde, 0xff};
    size_t pos = len ? rnd() % len : 0, n;
    switch (rnd() % 5) {
    case 0: /* bit flip */
        if (len)
            b[pos] ^= (uint8_t)(1u << (rnd() % 8));
        break;
    case 1: /* overwrite, often with a msgpack type byte */
        if (len)
            b[pos] = (rnd() & 1) ? (uint8_t)rnd() : special[rnd() % sizeof(special)];
        break;
    case 2: /* insert */
        if (len < cap) {
            memmove(b + pos + 1, b + pos, len - pos);
            b[pos] = (uint8_t)rnd();
            len++;
        }
        break;
    case 3: /* delete 1..4 bytes */
        n = 1 + rnd() % 4;
        if (pos + n <= len) {
            memmove(b + pos, b + pos + n, len - pos - n);
            len -= n;
        }
        break;
    case 4: /* duplicate a chunk of up to 16 bytes elsewhere */
        n = 1 + rnd() % 16;
        if (pos + n <= len && len + n <= cap) {
            uint8_t chunk[16];
            size_t at = rnd() % (len + 1);
            memcpy(chunk, b + pos, n);
            memmove(b + at + n, b + at, len - at);
            memcpy(b + at, chunk, n);
            len += n;
        }
        break;
    }
    return len;
}
