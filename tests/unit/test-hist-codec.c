/* Unit tests for the histogram wire codec (proto/hist_codec.c): exact round
 * trips, exact merges, rejection of hand-crafted bad encodings, and the
 * encoded size of realistic snapshots. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "hist.h"
#include "hist_codec.h"
#include "msg.h"
/* test_snapshot_size's budgets are tight for splitmix64's draws (test-rng.h). */
#define TEST_RNG_SPLITMIX64
#include "test-rng.h"

/* Fill @h with a random mix: log-normal latencies, some zeros, and now and
 * then values beyond HN_HIST_MAX_US. */
static void fill_random(struct hn_hist *h, unsigned n)
{
    double median = 200.0 * (double)(1 + test_rng_next() % 500);
    double sigma = 0.2 + (double)(test_rng_next() % 200) / 100.0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = test_rng_next() % 100;
        if (r == 0)
            hn_hist_record(h, 0);
        else if (r == 1)
            hn_hist_record(h, HN_HIST_MAX_US + 1 + test_rng_next() % HN_HIST_MAX_US);
        else
            hn_hist_record(h, test_rng_lognormal(median, sigma));
    }
}

/* Encoded wire form of a histogram, kept alive for its wire view. */
struct packed {
    msgpack_sbuffer sbuf;
    msgpack_unpacked up;
};

static int pack_and_unpack(struct packed *p, const struct hn_hist *h, struct hn_hist_wire *w)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(&p->sbuf);
    msgpack_packer_init(&pk, &p->sbuf, msgpack_sbuffer_write);
    assert_int_equal(hn_hist_codec_pack(&pk, h), 0);
    msgpack_unpacked_init(&p->up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&p->up, p->sbuf.data, p->sbuf.size, &off),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, p->sbuf.size);
    return hn_hist_codec_unpack(&p->up.data, w);
}

static void packed_free(struct packed *p)
{
    msgpack_unpacked_destroy(&p->up);
    msgpack_sbuffer_destroy(&p->sbuf);
}

static void check_round_trip(const struct hn_hist *h, struct hn_hist *out)
{
    struct packed p;
    struct hn_hist_wire w;
    assert_int_equal(pack_and_unpack(&p, h, &w), 0);
    assert_int_equal(w.total, h->total);
    assert_int_equal(w.buckets_len, h->total ? hn_hist_codec_buckets_size(h) : 0);
    hn_hist_reset(out);
    hn_hist_codec_merge(out, &w);
    assert_true(hn_hist_equal(out, h));
    packed_free(&p);
}

static void test_round_trip_random(void **state)
{
    (void)state;
    struct hn_hist *h = hn_hist_new(), *out = hn_hist_new();
    test_rng_seed(42);
    for (int round = 0; round < 200; round++) {
        hn_hist_reset(h);
        fill_random(h, (unsigned)(test_rng_next() % (round < 100 ? 50 : 20000)));
        check_round_trip(h, out);
    }
    hn_hist_free(h);
    hn_hist_free(out);
}

/* The wire iterator yields exactly the histogram's non-empty buckets. */
static void test_wire_iterator(void **state)
{
    (void)state;
    struct hn_hist *h = hn_hist_new();
    test_rng_seed(7);
    for (int round = 0; round < 50; round++) {
        hn_hist_reset(h);
        fill_random(h, (unsigned)(test_rng_next() % 5000));
        struct packed p;
        struct hn_hist_wire w;
        assert_int_equal(pack_and_unpack(&p, h, &w), 0);
        struct hn_hist_iter hi;
        struct hn_hist_bucket b;
        struct hn_hist_wire_iter wi;
        uint32_t index;
        uint64_t count;
        hn_hist_iter_init(&hi, h);
        hn_hist_wire_iter_init(&wi, &w);
        while (hn_hist_iter_next(&hi, &b)) {
            assert_true(hn_hist_wire_iter_next(&wi, &index, &count));
            assert_int_equal(index, b.index);
            assert_int_equal(count, b.count);
        }
        assert_false(hn_hist_wire_iter_next(&wi, &index, &count));
        packed_free(&p);
    }
    hn_hist_free(h);
}

static void test_round_trip_edges(void **state)
{
    (void)state;
    struct hn_hist *h = hn_hist_new(), *out = hn_hist_new();
    check_round_trip(h, out); /* empty */

    hn_hist_record(h, 0); /* a single zero */
    check_round_trip(h, out);

    hn_hist_reset(h); /* only overflow values */
    hn_hist_record(h, HN_HIST_MAX_US + 1);
    hn_hist_record(h, UINT64_MAX / 4);
    check_round_trip(h, out);

    hn_hist_reset(h); /* exactly the top value, not overflow */
    hn_hist_record(h, HN_HIST_MAX_US);
    hn_hist_record(h, 1);
    check_round_trip(h, out);

    hn_hist_reset(h); /* huge counts: 10-byte count varints */
    hn_hist_record_n(h, 0, UINT64_MAX / 2);
    hn_hist_record_n(h, 1, 3);
    check_round_trip(h, out);

    hn_hist_reset(h); /* every exact low bucket: long run of count-1 bytes */
    for (uint64_t v = 0; v < 2048; v++)
        hn_hist_record(h, v);
    check_round_trip(h, out);
    assert_int_equal(hn_hist_codec_buckets_size(h), 2048); /* one byte each */
    hn_hist_free(h);
    hn_hist_free(out);
}

/* Merging K wire histograms equals hn_hist_merge of the originals, also
 * into a histogram that already holds data. */
static void test_merge_many(void **state)
{
    (void)state;
    enum { K = 8 };
    struct hn_hist *src[K], *want = hn_hist_new(), *got = hn_hist_new();
    struct packed p[K];
    struct hn_hist_wire w[K];
    test_rng_seed(7);
    for (int round = 0; round < 10; round++) {
        hn_hist_reset(want);
        hn_hist_reset(got);
        if (round & 1) { /* pre-existing data in dst */
            hn_hist_record(want, 123456);
            hn_hist_record(got, 123456);
        }
        for (int k = 0; k < K; k++) {
            src[k] = hn_hist_new();
            if (k != 3) /* one empty source */
                fill_random(src[k], (unsigned)(test_rng_next() % 3000));
            assert_int_equal(pack_and_unpack(&p[k], src[k], &w[k]), 0);
        }
        for (int k = 0; k < K; k++) {
            hn_hist_merge(want, src[k]);
            hn_hist_codec_merge(got, &w[k]);
        }
        assert_true(hn_hist_equal(got, want));
        for (int k = 0; k < K; k++) {
            packed_free(&p[k]);
            hn_hist_free(src[k]);
        }
    }
    hn_hist_free(want);
    hn_hist_free(got);
}

/* The counters unpack_into decodes are the stream's, and merging them
 * (hn_hist_codec_merge_many) gives what merging the stream gives, which is
 * hn_hist_merge of the originals; without room, nothing is decoded; an
 * invalid stream takes no room. */
static void test_merge_many_decoded(void **state)
{
    (void)state;
    enum { CAP = 1 << 16 };
    struct hn_hist_pairs pairs = {.index = calloc(CAP, sizeof(uint16_t)),
                                  .count = calloc(CAP, sizeof(uint64_t)),
                                  .cap = CAP};
    struct hn_hist *src = hn_hist_new(), *want = hn_hist_new(), *a[2] = {hn_hist_new(), hn_hist_new()},
                   *b[2] = {hn_hist_new(), hn_hist_new()};
    assert_non_null(pairs.index);
    assert_non_null(pairs.count);
    test_rng_seed(11);
    for (int round = 0; round < 20; round++) {
        hn_hist_reset(src);
        fill_random(src, 1 + (unsigned)(test_rng_next() % 5000));
        hn_hist_merge(want, src);
        hn_hist_merge(want, src); /* a[0] and b[0] take it twice below */
        struct packed p;
        struct hn_hist_wire plain, dec;
        assert_int_equal(pack_and_unpack(&p, src, &plain), 0);
        assert_null(plain.index);
        size_t used = pairs.used;
        assert_int_equal(hn_hist_codec_unpack_into(&p.up.data, &pairs, &dec), 0);
        assert_non_null(dec.index);
        assert_int_equal(pairs.used, used + dec.n_buckets);
        struct hn_hist_wire_iter it;
        uint32_t index, i = 0;
        uint64_t count;
        hn_hist_wire_iter_init(&it, &plain);
        while (hn_hist_wire_iter_next(&it, &index, &count)) {
            assert_true(i < dec.n_buckets);
            assert_int_equal(dec.index[i], index);
            assert_int_equal(dec.count[i], count);
            i++;
        }
        assert_int_equal(i, dec.n_buckets);
        uint32_t f1 = 0, l1 = 0, f2 = 0, l2 = 0;
        struct hn_hist *da[3] = {a[0], NULL, a[1]}, *db[2] = {b[0], b[1]};
        assert_int_equal(hn_hist_codec_merge_many(&plain, da, 3, &f1, &l1), i);
        /* Without its stream: the decoded counters are what it merges. */
        struct hn_hist_wire only = dec;
        only.buckets = NULL;
        only.buckets_len = 0;
        assert_int_equal(hn_hist_codec_merge_many(&only, db, 2, &f2, &l2), i);
        assert_int_equal(f1, f2);
        assert_int_equal(l1, l2);
        assert_int_equal(f1, hn_hist_index_of(src->min));
        hn_hist_codec_merge(a[0], &dec); /* the single merge takes the stream */
        hn_hist_codec_merge(b[0], &plain);
        packed_free(&p);
    }
    assert_true(hn_hist_equal(a[0], want));
    assert_true(hn_hist_equal(b[0], want));
    assert_true(hn_hist_equal(a[1], b[1]));

    /* No room for every counter the stream may hold: none decoded. */
    struct packed p;
    struct hn_hist_wire w;
    assert_int_equal(pack_and_unpack(&p, src, &w), 0);
    struct hn_hist_pairs small = pairs;
    small.cap = small.used + w.buckets_len - 1;
    assert_int_equal(hn_hist_codec_unpack_into(&p.up.data, &small, &w), 0);
    assert_null(w.index);
    assert_int_equal(small.used, pairs.used);
    packed_free(&p);

    /* An invalid stream (its second count is the long form of 1) takes no
     * room and leaves nothing decoded behind. */
    static const uint8_t bad[] = {0x01, 0x00, 0x81, 0x00};
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 6);
    msgpack_pack_uint64(&pk, 2);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_bin(&pk, sizeof(bad));
    msgpack_pack_bin_body(&pk, bad, sizeof(bad));
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    size_t used = pairs.used;
    struct hn_hist_wire before = w;
    assert_int_not_equal(hn_hist_codec_unpack_into(&up.data, &pairs, &w), 0);
    assert_int_equal(pairs.used, used);
    assert_memory_equal(&w, &before, sizeof(w)); /* untouched on error */
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);

    free(pairs.index);
    free(pairs.count);
    hn_hist_free(src);
    hn_hist_free(want);
    for (int k = 0; k < 2; k++) {
        hn_hist_free(a[k]);
        hn_hist_free(b[k]);
    }
}

/* Decode a hand-made wire histogram given as msgpack fields. */
static int unpack_raw(uint64_t total, uint64_t overflow, uint64_t min, uint64_t max, uint64_t sum,
                      const uint8_t *bytes, size_t len)
{
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 6);
    msgpack_pack_uint64(&pk, total);
    msgpack_pack_uint64(&pk, overflow);
    msgpack_pack_uint64(&pk, min);
    msgpack_pack_uint64(&pk, max);
    msgpack_pack_uint64(&pk, sum);
    msgpack_pack_bin(&pk, len);
    if (len)
        msgpack_pack_bin_body(&pk, bytes, len);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    struct hn_hist_wire w;
    uint8_t before[sizeof(w)];
    memset(&w, 0xaa, sizeof(w));
    memcpy(before, &w, sizeof(w));
    int rc = hn_hist_codec_unpack(&up.data, &w);
    if (rc)
        assert_memory_equal(&w, before, sizeof(w)); /* untouched on error */
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);
    return rc;
}

#define RAW(total, ovf, min, max, sum, ...)                                                        \
    unpack_raw(total, ovf, min, max, sum, (const uint8_t[]){__VA_ARGS__},                          \
               sizeof((const uint8_t[]){__VA_ARGS__}))

static void test_reject_bad_encodings(void **state)
{
    (void)state;
    /* Baselines that must pass, so each rejection below is for its reason:
     * value 5 once (token 5<<1|1 = 11); values 5 and 7 (gap 1: token 3). */
    assert_int_equal(RAW(1, 0, 5, 5, 5, 11), 0);
    assert_int_equal(RAW(2, 0, 5, 7, 12, 11, 3), 0);
    assert_int_equal(RAW(3, 0, 5, 5, 15, 10, 3), 0); /* count 3 at 5 */
    assert_int_equal(unpack_raw(0, 0, 0, 0, 0, NULL, 0), 0);

    /* index beyond the layout */
    uint8_t big[4];
    size_t n = hn_hist_codec_put_varint(big, (uint64_t)HN_HIST_COUNTS_LEN << 1 | 1);
    assert_int_equal(unpack_raw(1, 0, 5, 5, 5, big, n), HN_E_RANGE);
    n = hn_hist_codec_put_varint(big, (uint64_t)(HN_HIST_COUNTS_LEN - 1) << 1 | 1);
    assert_int_not_equal(unpack_raw(1, 0, 5, 5, 5, big, n), 0); /* in range, but not min */
    /* count sum != total */
    assert_int_equal(RAW(2, 0, 5, 5, 10, 11), HN_E_INVALID);
    assert_int_equal(RAW(1, 0, 5, 5, 5, 10, 2), HN_E_INVALID);
    /* min / max inconsistent with the buckets */
    assert_int_equal(RAW(1, 0, 6, 6, 6, 11), HN_E_INVALID);
    assert_int_equal(RAW(2, 0, 5, 6, 11, 11, 3), HN_E_INVALID);
    assert_int_equal(RAW(2, 0, 7, 5, 12, 11, 3), HN_E_RANGE); /* min > max */
    /* truncated varints: token, then count */
    assert_int_equal(RAW(1, 0, 5, 5, 5, 0x80), HN_E_TRUNCATED);
    assert_int_equal(RAW(3, 0, 5, 5, 15, 10), HN_E_TRUNCATED);
    assert_int_equal(RAW(300, 0, 5, 5, 1500, 10, 0xac), HN_E_TRUNCATED);
    /* overlong varints: non-minimal, and more than 64 bits */
    assert_int_equal(RAW(1, 0, 5, 5, 5, 0x8b, 0x00), HN_E_INVALID);
    assert_int_equal(RAW(1, 0, 5, 5, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02),
                     HN_E_RANGE);
    assert_int_equal(
        RAW(1, 0, 5, 5, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        HN_E_RANGE); /* 11 bytes */
    /* zero count written explicitly; count 1 in the long form */
    assert_int_equal(RAW(1, 0, 5, 5, 5, 11, 0, 0), HN_E_INVALID);
    assert_int_equal(RAW(1, 0, 5, 5, 5, 10, 1), HN_E_INVALID);
    assert_int_equal(RAW(1, 0, 5, 5, 5, 10, 0), HN_E_INVALID);
    /* trailing garbage after a complete stream */
    assert_int_equal(RAW(1, 0, 5, 5, 5, 11, 1), HN_E_INVALID);
    assert_int_equal(RAW(1, 0, 5, 5, 5, 11, 0x80), HN_E_TRUNCATED);
    /* empty histogram with anything non-zero */
    assert_int_equal(RAW(0, 0, 0, 0, 0, 11), HN_E_INVALID);
    assert_int_equal(unpack_raw(0, 0, 0, 5, 0, NULL, 0), HN_E_INVALID);
    assert_int_equal(unpack_raw(1, 0, 5, 5, 5, NULL, 0), HN_E_INVALID);
    /* sum impossible for the bounds */
    assert_int_equal(RAW(1, 0, 5, 5, 4, 11), HN_E_RANGE);
    assert_int_equal(RAW(2, 0, 5, 7, 13, 11, 3), HN_E_RANGE);
    assert_int_equal(RAW(2, 0, 5, 7, 11, 11, 3), HN_E_RANGE);
    /* overflow must match max > HN_HIST_MAX_US and fit the top bucket */
    uint8_t top[8];
    uint32_t ti = hn_hist_index_of(HN_HIST_MAX_US);
    n = hn_hist_codec_put_varint(top, (uint64_t)ti << 1 | 1);
    uint64_t over = HN_HIST_MAX_US + 9;
    assert_int_equal(unpack_raw(1, 1, over, over, HN_HIST_MAX_US, top, n), 0);
    assert_int_equal(unpack_raw(1, 0, over, over, HN_HIST_MAX_US, top, n), HN_E_INVALID);
    assert_int_equal(unpack_raw(1, 1, HN_HIST_MAX_US, HN_HIST_MAX_US, HN_HIST_MAX_US, top, n),
                     HN_E_INVALID);
    assert_int_equal(unpack_raw(1, 2, over, over, HN_HIST_MAX_US, top, n), HN_E_RANGE);
}

static void test_reject_bad_shape(void **state)
{
    (void)state;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_unpacked up;
    struct hn_hist_wire w;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_unpacked_init(&up);

    msgpack_pack_array(&pk, 5); /* one field short */
    for (int i = 0; i < 5; i++)
        msgpack_pack_uint64(&pk, 0);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(hn_hist_codec_unpack(&up.data, &w), HN_E_INVALID);

    sbuf.size = 0; /* buckets as str instead of bin */
    msgpack_pack_array(&pk, 6);
    for (int i = 0; i < 5; i++)
        msgpack_pack_uint64(&pk, 0);
    msgpack_pack_str(&pk, 0);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(hn_hist_codec_unpack(&up.data, &w), HN_E_TYPE);

    sbuf.size = 0; /* negative count */
    msgpack_pack_array(&pk, 6);
    msgpack_pack_int64(&pk, -1);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint64(&pk, 0);
    msgpack_pack_bin(&pk, 0);
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, NULL), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(hn_hist_codec_unpack(&up.data, &w), HN_E_TYPE);

    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);
}

/* How compact the bucket stream is in practice: encoded bytes of a SNAPSHOT
 * with 20 entries of one second of traffic, each with @lo..@hi requests (log-normal response times
 * with medians of 5-50 ms, TTFB, a few connects and DNS lookups). */
enum { N_SIZE_ENTRIES = 20 };

static size_t snapshot_size(struct hn_hist **pool, uint64_t lo, uint64_t hi)
{
    enum { N = N_SIZE_ENTRIES };
    struct hn_msg_entry e[N];
    struct hn_msg m = {.type = HN_MSG_SNAPSHOT};
    memset(e, 0, sizeof(e));
    for (int i = 0; i < N; i++) {
        uint64_t n = lo + test_rng_next() % (hi - lo + 1);
        double median = 5000.0 * pow(10.0, test_rng_unit());
        struct hn_hist **h = &pool[i * HN_TIMING__COUNT];
        for (int k = 0; k < HN_TIMING__COUNT; k++) {
            hn_hist_reset(h[k]);
            e[i].hist[k] = h[k];
        }
        for (uint64_t r = 0; r < n; r++) {
            uint64_t t = test_rng_lognormal(median, 0.5);
            hn_hist_record(h[HN_TIMING_TOTAL], t);
            hn_hist_record(h[HN_TIMING_TTFB], t - t / 10);
        }
        for (uint64_t c = test_rng_next() % 4; c > 0; c--)
            hn_hist_record(h[HN_TIMING_CONNECT], test_rng_lognormal(800, 0.3));
        if (test_rng_next() % 2)
            hn_hist_record(h[HN_TIMING_DNS], test_rng_lognormal(300, 0.3));
        strcpy(e[i].method, i % 3 ? "GET" : "POST");
        snprintf(e[i].name, sizeof(e[i].name), "/api/resource/%d/items", i);
        e[i].requests = n;
        e[i].failures = n / 50;
        e[i].bytes_received = n * 2345;
    }
    m.snapshot = (struct hn_msg_snapshot){.seq = 1,
                                          .interval_start_ms = UINT64_C(1700000000000),
                                          .interval_end_ms = UINT64_C(1700000001000),
                                          .users = 500,
                                          .n_entries = N,
                                          .entries = e};
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    assert_int_equal(hn_msg_encode(&m, &sbuf), 0);
    struct hn_msg got;
    assert_int_equal(hn_msg_decode(sbuf.data, sbuf.size, &got), 0);
    hn_msg_deinit(&got);
    size_t size = sbuf.size;
    msgpack_sbuffer_destroy(&sbuf);
    return size;
}

static void test_snapshot_size(void **state)
{
    (void)state;
    struct hn_hist *pool[N_SIZE_ENTRIES * HN_TIMING__COUNT];
    for (size_t i = 0; i < sizeof(pool) / sizeof(pool[0]); i++)
        pool[i] = hn_hist_new();
    test_rng_seed(99);
    size_t typical = snapshot_size(pool, 50, 500), busy = snapshot_size(pool, 500, 500),
           light = snapshot_size(pool, 5, 20);
    for (size_t i = 0; i < sizeof(pool) / sizeof(pool[0]); i++)
        hn_hist_free(pool[i]);
    print_message("snapshot of 20 entries: %zu bytes at 50-500 req/s per entry, %zu bytes at "
                  "500 req/s, %zu bytes at 5-20 req/s\n",
                  typical, busy, light);
    assert_true(typical < 16 * 1024);
    assert_true(busy < 32 * 1024);
    assert_true(light < 4 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random),    cmocka_unit_test(test_wire_iterator),
        cmocka_unit_test(test_round_trip_edges),     cmocka_unit_test(test_merge_many),
        cmocka_unit_test(test_reject_bad_encodings), cmocka_unit_test(test_reject_bad_shape),
        cmocka_unit_test(test_snapshot_size),        cmocka_unit_test(test_merge_many_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
