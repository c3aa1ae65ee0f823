/* Unit tests of the structural check (proto/frame_check.c) run before
 * msgpack-c sees untrusted bytes: every msgpack format, each limit at and
 * beyond its bound, hostile headers in whole frames, and a differential test
 * against msgpack-c on random trees and their mutations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "frame_check.h"
#include "msg.h"
#include "test-rng.h"

/* Check an exactly sized heap copy, so ASan catches any overread. */
static int check_copy(const void *buf, size_t len, const struct hn_frame_limits *lim)
{
    void *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    int rc = hn_frame_check_limits(copy, len, lim);
    free(copy);
    return rc;
}

static int decode_copy(const void *buf, size_t len, struct hn_msg *out)
{
    void *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    int rc = hn_msg_decode(copy, len, out);
    if (rc == 0)
        hn_msg_deinit(out);
    free(copy);
    return rc;
}

struct bytes_case {
    uint8_t bytes[24];
    size_t len;
    int want;
};

static void run_cases(const struct bytes_case *cases, size_t n, const struct hn_frame_limits *lim)
{
    for (size_t i = 0; i < n; i++) {
        int rc = check_copy(cases[i].bytes, cases[i].len, lim);
        if (rc != cases[i].want)
            fail_msg("case %zu (first byte 0x%02x): rc %d, want %d", i, cases[i].bytes[0], rc,
                     cases[i].want);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every msgpack format, alone: accepted, or rejected with the right code. */
static void test_formats(void **state)
{
    (void)state;
    static const struct bytes_case cases[] = {
        {{0xc0}, 1, 0},                                     /* nil */
        {{0xc2}, 1, 0},                                     /* false */
        {{0xc3}, 1, 0},                                     /* true */
        {{0x7f}, 1, 0},                                     /* positive fixint */
        {{0xe0}, 1, 0},                                     /* negative fixint */
        {{0xcc, 0xff}, 2, 0},                               /* uint 8 */
        {{0xcd, 1, 2}, 3, 0},                               /* uint 16 */
        {{0xce, 1, 2, 3, 4}, 5, 0},                         /* uint 32 */
        {{0xcf, 1, 2, 3, 4, 5, 6, 7, 8}, 9, 0},             /* uint 64 */
        {{0xd0, 0x80}, 2, 0},                               /* int 8 */
        {{0xd1, 1, 2}, 3, 0},                               /* int 16 */
        {{0xd2, 1, 2, 3, 4}, 5, 0},                         /* int 32 */
        {{0xd3, 1, 2, 3, 4, 5, 6, 7, 8}, 9, 0},             /* int 64 */
        {{0xca, 0x3f, 0x80, 0, 0}, 5, 0},                   /* float 32 */
        {{0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 9, 0},       /* float 64 */
        {{0xa3, 'a', 'b', 'c'}, 4, 0},                      /* fixstr */
        {{0xd9, 3, 'a', 'b', 'c'}, 5, 0},                   /* str 8 */
        {{0xda, 0, 3, 'a', 'b', 'c'}, 6, 0},                /* str 16 */
        {{0xdb, 0, 0, 0, 3, 'a', 'b', 'c'}, 8, 0},          /* str 32 */
        {{0xc4, 2, 0, 0xff}, 4, 0},                         /* bin 8 */
        {{0xc5, 0, 2, 0, 0xff}, 5, 0},                      /* bin 16 */
        {{0xc6, 0, 0, 0, 2, 0, 0xff}, 7, 0},                /* bin 32 */
        {{0x92, 0xc0, 0x91, 0x90}, 4, 0},                   /* fixarray */
        {{0xdc, 0, 1, 0xc0}, 4, 0},                         /* array 16 */
        {{0xdd, 0, 0, 0, 1, 0xc0}, 6, 0},                   /* array 32 */
        {{0x80}, 1, HN_E_TYPE},                             /* fixmap */
        {{0x81, 0xc0, 0xc0}, 3, HN_E_TYPE},                 /* fixmap */
        {{0xde, 0, 0}, 3, HN_E_TYPE},                       /* map 16 */
        {{0xdf, 0, 0, 0, 0}, 5, HN_E_TYPE},                 /* map 32 */
        {{0xd4, 1, 0}, 3, HN_E_TYPE},                       /* fixext 1 */
        {{0xd8, 1}, 2, HN_E_TYPE},                          /* fixext 16 */
        {{0xc7, 1, 1, 0}, 4, HN_E_TYPE},                    /* ext 8 */
        {{0xc9, 0, 0, 0, 0, 1}, 6, HN_E_TYPE},              /* ext 32 */
        {{0xd6, 0xff, 0, 0, 0, 0}, 6, HN_E_TYPE},           /* timestamp 32 */
        {{0x91, 0x80}, 2, HN_E_TYPE},                       /* map inside */
        {{0xc1}, 1, HN_E_INVALID},                          /* never used */
        {{0x92, 0xc0, 0xc1}, 3, HN_E_INVALID},              /* never used, inside */
        {{0}, 0, HN_E_INVALID},                             /* empty */
        {{0xc0, 0xc0}, 2, HN_E_INVALID},                    /* trailing byte */
        {{0x91, 0xc0, 0xc0}, 3, HN_E_INVALID},              /* trailing byte */
        {{0xcc}, 1, HN_E_TRUNCATED},                        /* payloads cut */
        {{0xcf, 1, 2, 3, 4, 5, 6, 7}, 8, HN_E_TRUNCATED},   /* */
        {{0xcb, 0, 0, 0}, 4, HN_E_TRUNCATED},               /* */
        {{0xd9}, 1, HN_E_TRUNCATED},                        /* length fields cut */
        {{0xda, 0}, 2, HN_E_TRUNCATED},                     /* */
        {{0xdb, 0, 0, 0}, 4, HN_E_TRUNCATED},               /* */
        {{0xc6, 0, 0}, 3, HN_E_TRUNCATED},                  /* */
        {{0xdd, 0, 0, 0}, 4, HN_E_TRUNCATED},               /* */
        {{0xa3, 'a', 'b'}, 3, HN_E_TRUNCATED},              /* bodies cut */
        {{0xc4, 2, 0}, 3, HN_E_TRUNCATED},                  /* */
        {{0x92, 0xc0}, 2, HN_E_TRUNCATED},                  /* elements missing */
        {{0x91, 0x92, 0xc0}, 3, HN_E_TRUNCATED},            /* */
        {{0xdc, 0x00, 0x03, 0xc0, 0xc0}, 5, HN_E_TRUNCATED} /* */
    };
    run_cases(cases, N(cases), &hn_frame_limits_default);
    /* Whatever the default check accepts, msgpack-c parses whole. */
    for (size_t i = 0; i < N(cases); i++) {
        if (cases[i].want)
            continue;
        msgpack_zone zone;
        msgpack_object o;
        size_t off = 0;
        assert_true(msgpack_zone_init(&zone, 256));
        assert_int_equal(
            msgpack_unpack((const char *)cases[i].bytes, cases[i].len, &off, &zone, &o),
            MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(off, cases[i].len);
        msgpack_zone_destroy(&zone);
    }
}

/* Each bound of hn_frame_limits: at the bound accepted, one beyond it not. */
static void test_limit_boundaries(void **state)
{
    (void)state;
    const struct hn_frame_limits lim = {
        .depth_max = 3, .array_max = 5, .str_max = 4, .bin_max = 6, .objects_max = 10};
    static const struct bytes_case cases[] = {
        {{0x91, 0x91, 0x90}, 3, 0},
        {{0x91, 0x91, 0x91, 0x90}, 4, HN_E_TOO_LARGE},
        {{0x95, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0}, 6, 0},
        {{0x96, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0}, 7, HN_E_TOO_LARGE},
        {{0xdc, 0, 6}, 3, HN_E_TOO_LARGE}, /* length first: no elements needed */
        {{0xa4, 'a', 'b', 'c', 'd'}, 5, 0},
        {{0xa5, 'a', 'b', 'c', 'd', 'e'}, 6, HN_E_TOO_LARGE},
        {{0xda, 0, 5}, 3, HN_E_TOO_LARGE},
        {{0xc4, 6, 1, 2, 3, 4, 5, 6}, 8, 0},
        {{0xc4, 7, 1, 2, 3, 4, 5, 6, 7}, 9, HN_E_TOO_LARGE},
        {{0xc6, 0xff, 0xff, 0xff, 0xff}, 5, HN_E_TOO_LARGE},
        /* 10 values: 2 arrays + 8 nils; then 11 */
        {{0x92, 0x94, 0xc0, 0xc0, 0xc0, 0xc0, 0x94, 0xc0, 0xc0, 0xc0, 0xc0}, 11, HN_E_TOO_LARGE},
        {{0x92, 0x94, 0xc0, 0xc0, 0xc0, 0xc0, 0x93, 0xc0, 0xc0, 0xc0}, 10, 0},
    };
    run_cases(cases, N(cases), &lim);

    /* depth_max above HN_FRAME_DEPTH_LIMIT is treated as that limit. */
    struct hn_frame_limits deep = {.depth_max = 1000, .array_max = 1, .objects_max = 100};
    uint8_t nest[HN_FRAME_DEPTH_LIMIT + 1];
    memset(nest, 0x91, sizeof(nest));
    nest[HN_FRAME_DEPTH_LIMIT - 1] = 0x90; /* 32 levels */
    assert_int_equal(check_copy(nest, HN_FRAME_DEPTH_LIMIT, &deep), 0);
    nest[HN_FRAME_DEPTH_LIMIT - 1] = 0x91;
    nest[HN_FRAME_DEPTH_LIMIT] = 0x90; /* 33 levels */
    assert_int_equal(check_copy(nest, sizeof(nest), &deep), HN_E_TOO_LARGE);
    /* Depth 0 admits scalars only. */
    struct hn_frame_limits flat = {.objects_max = 1, .str_max = 1};
    assert_int_equal(check_copy("\xa1x", 2, &flat), 0);
    assert_int_equal(check_copy("\x90", 1, &flat), HN_E_TOO_LARGE);

    assert_int_equal(hn_frame_limits_default.depth_max, HN_PROTO_DEPTH_MAX);
    assert_int_equal(hn_frame_limits_default.array_max, HN_PROTO_ARRAY_MAX);
    assert_int_equal(hn_frame_limits_default.str_max, HN_PROTO_STR_MAX);
    assert_int_equal(hn_frame_limits_default.bin_max, HN_PROTO_SCENARIO_MAX);
    assert_int_equal(hn_frame_limits_default.objects_max, HN_PROTO_OBJECTS_MAX);
}

/* Whole frames through hn_msg_decode: headers declaring far more than the
 * frame holds are rejected before msgpack-c could allocate for them (under
 * ASan a 2^32-element allocation aborts). */
static void test_hostile_headers(void **state)
{
    (void)state;
    struct hn_msg m;
    static const struct bytes_case cases[] = {
        {{0x93, 6, HN_PROTO_VERSION, 0xdd, 0xff, 0xff, 0xff, 0xff},
         8,
         HN_E_TOO_LARGE}, /* body 2^32-1 */
        {{0x93, 6, HN_PROTO_VERSION, 0x96, 0, 0, 0, 0, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x90},
         14,
         HN_E_TOO_LARGE},
        {{0x93, 6, HN_PROTO_VERSION, 0xdc, 0x10, 0x00},
         6,
         HN_E_TRUNCATED}, /* 4096 elements, 0 bytes */
        {{0x93, 3, HN_PROTO_VERSION, 0x91, 0xdb, 0xff, 0xff, 0xff, 0xff},
         9,
         HN_E_TOO_LARGE}, /* str32 */
        {{0x93, 4, HN_PROTO_VERSION, 0x92, 0xc6, 0xff, 0xff, 0xff, 0xff, 0xc4, 0},
         11,
         HN_E_TOO_LARGE},
        {{0x93, 4, HN_PROTO_VERSION, 0x92, 0xc6, 0x00, 0x10, 0x00, 0x00, 0xc4, 0},
         11,
         HN_E_TRUNCATED},
        {{0x93, 10, HN_PROTO_VERSION, 0x80}, 4, HN_E_TYPE},          /* map body */
        {{0x93, 10, HN_PROTO_VERSION, 0xd4, 1, 2}, 6, HN_E_TYPE},    /* fixext body */
        {{0x93, 10, HN_PROTO_VERSION, 0xc1}, 4, HN_E_INVALID},       /* reserved byte */
        {{0x93, 10, HN_PROTO_VERSION, 0x90, 0xc0}, 5, HN_E_INVALID}, /* trailing byte */
        {{0x93, 10, HN_PROTO_VERSION, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90},
         12,
         HN_E_TOO_LARGE},
        {{0x93, 10, HN_PROTO_VERSION, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90},
         11,
         HN_E_INVALID}, /* depth 8 */
    };
    for (size_t i = 0; i < N(cases); i++) {
        int rc = decode_copy(cases[i].bytes, cases[i].len, &m);
        if (rc != cases[i].want)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].want);
    }

    /* More objects than HN_PROTO_OBJECTS_MAX, each a legal nil. */
    size_t n_inner = HN_PROTO_OBJECTS_MAX / HN_PROTO_ARRAY_MAX + 1, len = 0;
    uint8_t *big = malloc(8 + n_inner * (3 + HN_PROTO_ARRAY_MAX));
    assert_non_null(big);
    big[len++] = 0x93, big[len++] = HN_MSG_SNAPSHOT, big[len++] = HN_PROTO_VERSION;
    big[len++] = 0xdc, big[len++] = (uint8_t)(n_inner >> 8), big[len++] = (uint8_t)n_inner;
    for (size_t i = 0; i < n_inner; i++) {
        big[len++] = 0xdc, big[len++] = HN_PROTO_ARRAY_MAX >> 8, big[len++] = 0;
        memset(big + len, 0xc0, HN_PROTO_ARRAY_MAX);
        len += HN_PROTO_ARRAY_MAX;
    }
    assert_int_equal(hn_msg_decode(big, len, &m), HN_E_TOO_LARGE);
    assert_int_equal(hn_frame_check(big, len), HN_E_TOO_LARGE);
    struct hn_frame_limits lim = hn_frame_limits_default;
    lim.objects_max = (uint32_t)len;
    assert_int_equal(hn_frame_check_limits(big, len, &lim), 0); /* a caller may allow more */
    lim.array_max = HN_PROTO_ARRAY_MAX - 1;
    assert_int_equal(hn_frame_check_limits(big, len, &lim), HN_E_TOO_LARGE);
    free(big);

    /* Per-type size caps, checked before anything else is parsed. */
    uint8_t head[] = {0x93, HN_MSG_STOP, HN_PROTO_VERSION};
    assert_int_equal(hn_msg_decode(head, HN_PROTO_SMALL_FRAME_MAX + 1, &m), HN_E_TOO_LARGE);
    assert_int_equal(hn_msg_decode(head, HN_PROTO_FRAME_MAX + 1, &m), HN_E_TOO_LARGE);
}

/* ---- differential test against msgpack-c ---- */

/* What a msgpack value holds, in the terms of hn_frame_limits. */
struct shape {
    uint32_t depth, array, str, bin, objects;
    bool forbidden; /* a map or an ext somewhere */
};

static void note(uint32_t *max, uint32_t v)
{
    if (v > *max)
        *max = v;
}

/* Pack a random value (maps and ext now and then) and record its shape. */
static void gen(msgpack_packer *pk, uint32_t depth, struct shape *sh)
{
    static const char text[] = "0123456789abcdef";
    uint32_t n = (uint32_t)(test_rng_next() % 9);
    sh->objects++;
    switch (depth < 6 ? test_rng_next() % 10 : test_rng_next() % 5) {
    case 0:
        msgpack_pack_nil(pk);
        break;
    case 1:
        msgpack_pack_int64(pk, (int64_t)test_rng_next() >> (test_rng_next() % 64));
        break;
    case 2:
        if (test_rng_next() & 1)
            msgpack_pack_double(pk, 1.5);
        else
            msgpack_pack_float(pk, 2.5f);
        break;
    case 3:
        msgpack_pack_str_with_body(pk, text, n);
        note(&sh->str, n);
        break;
    case 4:
        msgpack_pack_bin_with_body(pk, text, n);
        note(&sh->bin, n);
        break;
    case 5:
        if (test_rng_next() % 8 == 0) {
            msgpack_pack_ext_with_body(pk, text, n % 3, 1);
            sh->forbidden = true;
            break;
        }
        /* fall through */
    case 6:
        if (test_rng_next() % 8 == 0) {
            msgpack_pack_map(pk, n % 2);
            for (uint32_t i = 0; i < 2 * (n % 2); i++)
                gen(pk, depth + 1, sh);
            note(&sh->depth, depth + 1);
            sh->forbidden = true;
            break;
        }
        /* fall through */
    default:
        msgpack_pack_array(pk, n);
        note(&sh->depth, depth + 1);
        note(&sh->array, n);
        for (uint32_t i = 0; i < n; i++)
            gen(pk, depth + 1, sh);
        break;
    }
}

/* The shape of a parsed value (only called on what the check accepted). */
static void measure(const msgpack_object *o, uint32_t depth, struct shape *sh)
{
    sh->objects++;
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        note(&sh->str, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        note(&sh->bin, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        note(&sh->depth, depth + 1);
        note(&sh->array, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++)
            measure(&o->via.array.ptr[i], depth + 1, sh);
        break;
    case MSGPACK_OBJECT_MAP:
    case MSGPACK_OBJECT_EXT:
        sh->forbidden = true;
        break;
    default:
        break;
    }
}

static bool fits(const struct shape *sh, const struct hn_frame_limits *lim)
{
    return !sh->forbidden && sh->depth <= lim->depth_max && sh->array <= lim->array_max &&
           sh->str <= lim->str_max && sh->bin <= lim->bin_max && sh->objects <= lim->objects_max;
}

/* Random trees: the check accepts exactly those that fit the limits. Then
 * mutated bytes: whatever the check accepts, msgpack-c parses whole into a
 * value that fits. (msgpack-c is never given unchecked bytes: a hostile
 * array header would make it allocate gigabytes.) */
static void test_differential(void **state)
{
    (void)state;
    enum { ROUNDS = 100000 };
    const struct hn_frame_limits lim = {
        .depth_max = 4, .array_max = 6, .str_max = 5, .bin_max = 5, .objects_max = 40};
    unsigned trees_ok = 0, mutants_ok = 0;
    uint8_t work[4096];
    test_rng_seed(77);
    for (int round = 0; round < ROUNDS; round++) {
        msgpack_sbuffer sbuf;
        msgpack_packer pk;
        struct shape want = {0}, got = {0};
        msgpack_sbuffer_init(&sbuf);
        msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
        gen(&pk, 0, &want);
        int rc = check_copy(sbuf.data, sbuf.size, &lim);
        if (fits(&want, &lim) ? rc != 0 : rc != HN_E_TOO_LARGE && rc != HN_E_TYPE)
            fail_msg("round %d: tree of %u values, rc %d", round, want.objects, rc);
        trees_ok += rc == 0;

        size_t len = sbuf.size < sizeof(work) ? sbuf.size : sizeof(work);
        memcpy(work, sbuf.data, len);
        for (int i = 0, n = 1 + (int)(test_rng_next() % 3); i < n && len; i++) {
            size_t pos = test_rng_next() % len;
            if (test_rng_next() & 1)
                work[pos] ^= (uint8_t)(1u << (test_rng_next() % 8));
            else if (test_rng_next() & 1)
                work[pos] = (uint8_t)test_rng_next();
            else
                len = pos; /* cut */
        }
        msgpack_sbuffer_destroy(&sbuf);
        if (check_copy(work, len, &lim) != 0)
            continue;
        msgpack_zone zone;
        msgpack_object o;
        size_t off = 0;
        assert_true(msgpack_zone_init(&zone, 1024));
        if (msgpack_unpack((const char *)work, len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
            off != len)
            fail_msg("round %d: accepted %zu bytes that msgpack-c does not parse whole", round,
                     len);
        measure(&o, 0, &got);
        if (!fits(&got, &lim))
            fail_msg("round %d: accepted a value beyond the limits", round);
        msgpack_zone_destroy(&zone);
        mutants_ok++;
    }
    print_message("differential: %u of %d trees fit, %u mutants accepted\n", trees_ok, ROUNDS,
                  mutants_ok);
    assert_true(trees_ok > ROUNDS / 10 && trees_ok < ROUNDS * 9 / 10);
    assert_true(mutants_ok > ROUNDS / 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_limit_boundaries),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
