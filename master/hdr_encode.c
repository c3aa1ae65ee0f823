/* HdrHistogram V2 compressed encoding (see hdr_encode.h). The layout
 * follows HdrHistogram's AbstractHistogram.encodeIntoByteBuffer and
 * encodeIntoCompressedByteBuffer: a 40-byte big-endian header, the counts
 * as ZigZag LEB128 longs where a negative value is a run of empty counters,
 * then zlib's deflate of all that behind an 8-byte header. */
#include "hdr_encode.h"

#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define V2_ENCODING_COOKIE 0x1c849313u            /* V2 base 0x1c849303 | 0x10 */
#define V2_COMPRESSED_ENCODING_COOKIE 0x1c849314u /* 0x1c849304 | 0x10 */
#define HEADER_SIZE 40
#define LOWEST_DISCERNIBLE 1
#define SIGNIFICANT_DIGITS 3

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint8_t *put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* ZigZagEncoding.putLong: LEB128 of the ZigZag value, the 9th byte (if
 * any) holding a full 8 bits. */
static uint8_t *put_zigzag(uint8_t *p, int64_t value)
{
    uint64_t v = ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
    for (int i = 0; i < 8; i++) {
        if (v >> 7 == 0) {
            *p++ = (uint8_t)v;
            return p;
        }
        *p++ = (uint8_t)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

int hn_hdr_encode_base64(const struct hn_hist *h, char **out)
{
    /* Counts up to the last non-empty one: at most 9 bytes each. */
    uint32_t limit = h->total ? hn_hist_index_of(h->max) + 1 : 0;
    while (limit > 0 && h->counts[limit - 1] == 0)
        limit--;
    size_t raw_cap = HEADER_SIZE + (size_t)limit * 9;
    uint8_t *raw = malloc(raw_cap);
    if (!raw)
        return -ENOMEM;
    uint8_t *p = raw + HEADER_SIZE;
    for (uint32_t i = 0; i < limit;) {
        uint64_t count = h->counts[i++];
        if (count) {
            p = put_zigzag(p, (int64_t)(count > INT64_MAX ? INT64_MAX : count));
            continue;
        }
        int64_t zeros = 1;
        while (i < limit && h->counts[i] == 0) {
            zeros++;
            i++;
        }
        p = put_zigzag(p, zeros > 1 ? -zeros : 0);
    }
    size_t raw_len = (size_t)(p - raw);
    uint8_t *q = put_be32(raw, V2_ENCODING_COOKIE);
    q = put_be32(q, (uint32_t)(raw_len - HEADER_SIZE));
    q = put_be32(q, 0); /* normalizingIndexOffset */
    q = put_be32(q, SIGNIFICANT_DIGITS);
    q = put_be64(q, LOWEST_DISCERNIBLE);
    q = put_be64(q, HN_HIST_MAX_US);
    double ratio = 1.0; /* integerToDoubleValueConversionRatio */
    uint64_t bits;
    memcpy(&bits, &ratio, sizeof(bits));
    put_be64(q, bits);

    uLongf z_len = compressBound((uLong)raw_len);
    uint8_t *packed = malloc(8 + z_len);
    if (!packed) {
        free(raw);
        return -ENOMEM;
    }
    int rc = compress2(packed + 8, &z_len, raw, (uLong)raw_len, Z_BEST_COMPRESSION);
    free(raw);
    if (rc != Z_OK) {
        free(packed);
        return -ENOMEM;
    }
    put_be32(put_be32(packed, V2_COMPRESSED_ENCODING_COOKIE), (uint32_t)z_len);
    size_t b64_len = sodium_base64_ENCODED_LEN(8 + z_len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_len);
    if (!b64) {
        free(packed);
        return -ENOMEM;
    }
    sodium_bin2base64(b64, b64_len, packed, 8 + z_len, sodium_base64_VARIANT_ORIGINAL);
    free(packed);
    *out = b64;
    return 0;
}
