/* Bounded walk over raw msgpack bytes: validates every declared length
 * against the bytes left and the named limits, without allocating. */
#include "frame_check.h"

#include <stdint.h>

#include "error.h"
#include "proto_limits.h"

_Static_assert(HN_PROTO_ARRAY_MAX >= HN_PROTO_ENTRIES_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_PROTO_ERRORS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_PROTO_CLASSES_MAX,
               "HN_PROTO_ARRAY_MAX must cover every array limit");
_Static_assert(HN_PROTO_STR_MAX >= HN_PROTO_ID_MAX && HN_PROTO_STR_MAX >= HN_PROTO_HOSTNAME_MAX &&
                   HN_PROTO_STR_MAX >= HN_PROTO_VERSION_STR_MAX &&
                   HN_PROTO_STR_MAX >= HN_PROTO_REASON_MAX &&
                   HN_PROTO_STR_MAX >= HN_PROTO_METHOD_MAX &&
                   HN_PROTO_STR_MAX >= HN_PROTO_NAME_MAX && HN_PROTO_STR_MAX >= HN_PROTO_ERROR_MAX,
               "HN_PROTO_STR_MAX must cover every string limit");

/* Big-endian unsigned of @n bytes at @p. */
static uint32_t be(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

enum kind { K_SCALAR, K_STR, K_BIN, K_ARRAY };

/* Decode the header of the value at @p (with @left bytes available): its
 * kind, the bytes the header itself takes plus any fixed payload (@skip),
 * and for str/bin/array the declared length (@n). */
static int header(const uint8_t *p, size_t left, enum kind *kind, size_t *skip, uint32_t *n)
{
    uint8_t b = p[0];
    unsigned lenbytes = 0; /* size of a following length field */
    *n = 0;
    *skip = 1;
    *kind = K_SCALAR;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0; /* fixints, nil, bool */
    if (b >= 0x80 && b <= 0x8f)
        return HN_E_TYPE; /* fixmap */
    if (b >= 0x90 && b <= 0x9f) {
        *kind = K_ARRAY;
        *n = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        *kind = K_STR;
        *n = b & 0x1f;
        return 0;
    }
    if (b >= 0xca && b <= 0xd3) {
        /* payload of float 32/64, uint 8/16/32/64, int 8/16/32/64 */
        static const uint8_t fixed[] = {4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
        *skip = 1 + (size_t)fixed[b - 0xca];
        return 0;
    }
    switch (b) {
    case 0xc4:
    case 0xc5:
    case 0xc6: /* bin 8/16/32 */
        *kind = K_BIN;
        lenbytes = 1u << (b - 0xc4);
        break;
    case 0xd9:
    case 0xda:
    case 0xdb: /* str 8/16/32 */
        *kind = K_STR;
        lenbytes = 1u << (b - 0xd9);
        break;
    case 0xdc:
    case 0xdd: /* array 16/32 */
        *kind = K_ARRAY;
        lenbytes = 2u << (b - 0xdc);
        break;
    case 0xde:
    case 0xdf: /* map 16/32 */
    case 0xc7:
    case 0xc8:
    case 0xc9: /* ext 8/16/32 */
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: /* fixext */
        return HN_E_TYPE;
    default: /* 0xc1: never used */
        return HN_E_INVALID;
    }
    if (left < 1 + (size_t)lenbytes)
        return HN_E_TRUNCATED;
    *n = be(p + 1, lenbytes);
    *skip = 1 + lenbytes;
    return 0;
}

const struct hn_frame_limits hn_frame_limits_default = {
    .depth_max = HN_PROTO_DEPTH_MAX,
    .array_max = HN_PROTO_ARRAY_MAX,
    .str_max = HN_PROTO_STR_MAX,
    .bin_max = HN_PROTO_SCENARIO_MAX,
    .objects_max = HN_PROTO_OBJECTS_MAX,
};

_Static_assert(HN_PROTO_DEPTH_MAX <= HN_FRAME_DEPTH_LIMIT, "depth stack too small");

int hn_frame_check(const void *buf, size_t len)
{
    return hn_frame_check_limits(buf, len, &hn_frame_limits_default);
}

int hn_frame_check_limits(const void *buf, size_t len, const struct hn_frame_limits *lim)
{
    const uint8_t *p = buf;
    size_t pos = 0, objects = 0;
    /* remaining[d]: values still expected at nesting level d (0 = top). */
    uint32_t remaining[HN_FRAME_DEPTH_LIMIT + 1];
    unsigned depth = 0;
    unsigned depth_max =
        lim->depth_max < HN_FRAME_DEPTH_LIMIT ? lim->depth_max : HN_FRAME_DEPTH_LIMIT;

    if (len == 0)
        return HN_E_INVALID;
    remaining[0] = 1;
    for (;;) {
        if (remaining[depth] == 0) {
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        remaining[depth]--;
        if (pos >= len)
            return HN_E_TRUNCATED;
        if (++objects > lim->objects_max)
            return HN_E_TOO_LARGE;

        size_t left = len - pos, skip;
        enum kind kind;
        uint32_t n;
        int rc = header(p + pos, left, &kind, &skip, &n);
        if (rc)
            return rc;
        if (skip > left)
            return HN_E_TRUNCATED;
        pos += skip;
        left -= skip;
        switch (kind) {
        case K_SCALAR:
            break;
        case K_STR:
        case K_BIN:
            if (n > (kind == K_STR ? lim->str_max : lim->bin_max))
                return HN_E_TOO_LARGE;
            if (n > left)
                return HN_E_TRUNCATED;
            pos += n;
            break;
        case K_ARRAY:
            if (depth + 1 > depth_max || n > lim->array_max)
                return HN_E_TOO_LARGE;
            if (n > left) /* every element takes at least one byte */
                return HN_E_TRUNCATED;
            remaining[++depth] = n;
            break;
        }
    }
    return pos == len ? 0 : HN_E_INVALID;
}
