/* The SNAPSHOT / FINAL encoder (worker/snapshot.c): what a merged
 * recorder becomes on the wire, read back with the protocol's decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "hist.h"
#include "hist_codec.h"
#include "proto_limits.h"
#include "recorder.h"
#include "snapshot.h"

#define ENTRIES 3

/* More failure kinds and texts than a snapshot's 4,096 error rows: the
 * texts that do not fit count under "other check or capture failures" of
 * their entry; every failure is in some row. */
static void test_snapshot_rows_full(void **state)
{
    (void)state;
    struct hn_recorder r;
    assert_int_equal(hn_recorder_init(&r, ENTRIES), 0);
    struct hn_rec_sample s = {.fail_slot = HN_FAIL_NONE};
    uint64_t failures = 0;
    for (uint32_t e = 0; e < ENTRIES; e++) /* 3 x 500 statuses: 1,500 kinds */
        for (long status = 100; status < 600; status++, failures++) {
            s.entry = e;
            s.fail_slot = hn_fail_slot_status(status);
            hn_recorder_add(&r, &s);
        }
    char text[64];
    s.fail_slot = HN_FAIL_NONE;
    s.fail_text = text;
    for (uint32_t i = 0; i < 3000; i++, failures++) {
        s.entry = i % ENTRIES;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "check %u", i);
        hn_recorder_add(&r, &s);
    }
    for (uint32_t i = 0; i < 100; i++, failures++) { /* the most frequent keeps its row */
        s.entry = 1;
        s.fail_text_len = (size_t)snprintf(text, sizeof(text), "the usual failure");
        hn_recorder_add(&r, &s);
    }
    struct hn_stat_key keys[ENTRIES] = {{"GET", "/a"}, {"GET", "/b"}, {"GET", "/c"}};
    struct hn_scenario sc = {.entries = keys, .n_entries = ENTRIES};
    struct hn_snapshot_info info = {.type = HN_MSG_SNAPSHOT, .seq = 1, .run_id = "r"};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(hn_snapshot_encode(&sc, &r, &info, &sb), 0);
    struct hn_msg m;
    assert_int_equal(hn_msg_decode(sb.data, sb.size, &m), 0);
    assert_true(m.snapshot.n_errors <= 4096);
    uint64_t in_rows = 0, other = 0, usual = 0;
    for (uint32_t i = 0; i < m.snapshot.n_errors; i++) {
        in_rows += m.snapshot.errors[i].count;
        if (!strcmp(m.snapshot.errors[i].error, "the usual failure"))
            usual = m.snapshot.errors[i].count;
        if (!strcmp(m.snapshot.errors[i].error, "other check or capture failures"))
            other += m.snapshot.errors[i].count;
    }
    assert_int_equal(in_rows, failures);
    assert_true(other > 0);
    assert_int_equal(usual, 100);
    hn_msg_deinit(&m);
    msgpack_sbuffer_destroy(&sb);
    hn_recorder_deinit(&r);
}

/* Encode @r as report @seq (@phases: carrying them), decode it back into @m. */
static void encode_decode(const struct hn_recorder *r, uint64_t seq, bool phases,
                          struct hn_msg *m)
{
    static struct hn_stat_key keys[ENTRIES] = {{"GET", "/a"}, {"GET", "/b"}, {"GET", "/c"}};
    struct hn_scenario sc = {.entries = keys, .n_entries = ENTRIES};
    struct hn_snapshot_info info = {
        .type = HN_MSG_SNAPSHOT, .seq = seq, .run_id = "r", .phases = phases};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(hn_snapshot_encode(&sc, r, &info, &sb), 0);
    assert_int_equal(hn_msg_decode(sb.data, sb.size, m), 0);
    msgpack_sbuffer_destroy(&sb);
}

/* The entry named @name in @m, or NULL. */
static const struct hn_msg_entry *entry(const struct hn_msg *m, const char *name)
{
    for (uint32_t i = 0; i < m->snapshot.n_entries; i++)
        if (!strcmp(m->snapshot.entries[i].name, name))
            return &m->snapshot.entries[i];
    return NULL;
}

static void add(struct hn_recorder *r, uint32_t e, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        struct hn_rec_sample s = {.entry = e, .fail_slot = HN_FAIL_NONE, .new_connection = true,
                                  .total_us = 900 + i, .dns_us = 10, .connect_us = 50,
                                  .ttfb_us = 800 + i};
        hn_recorder_add(r, &s);
    }
}

/* The phases (DNS, CONNECT, TTFB here) travel only in a report that
 * carries them, holding every request since the last such report, as the
 * pool's merged recorder keeps them: reset_keep_phases after a report
 * without them, reset after one with them. TOTAL goes in every report. An
 * entry without requests in the interval goes only for its phases. */
static void test_snapshot_phases_held(void **state)
{
    (void)state;
    struct hn_recorder r;
    struct hn_msg m;
    assert_int_equal(hn_recorder_init(&r, ENTRIES), 0);
    add(&r, 0, 7); /* interval 1: /a 7, /b 2 */
    add(&r, 1, 2);
    encode_decode(&r, 1, false, &m);
    assert_int_equal(m.snapshot.n_entries, 2);
    const struct hn_msg_entry *a = entry(&m, "/a");
    assert_non_null(a);
    assert_int_equal(a->requests, 7);
    assert_true(a->wire[HN_TIMING_TOTAL].present);
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        if (hn_timing_is_phase(k))
            assert_false(a->wire[k].present);
    hn_msg_deinit(&m);
    hn_recorder_reset_keep_phases(&r);

    add(&r, 1, 3); /* interval 2: /b 3 only */
    encode_decode(&r, 2, false, &m);
    assert_int_equal(m.snapshot.n_entries, 1);
    assert_null(entry(&m, "/a"));
    assert_int_equal(entry(&m, "/b")->wire[HN_TIMING_TOTAL].total, 3);
    assert_false(entry(&m, "/b")->wire[HN_TIMING_TTFB].present);
    hn_msg_deinit(&m);
    hn_recorder_reset_keep_phases(&r);

    add(&r, 1, 4); /* interval 3, which carries the phases: /b 4 */
    encode_decode(&r, 3, true, &m);
    assert_int_equal(m.snapshot.n_entries, 2);
    a = entry(&m, "/a"); /* no requests now, its phases of interval 1 */
    assert_non_null(a);
    assert_int_equal(a->requests, 0);
    assert_false(a->wire[HN_TIMING_TOTAL].present);
    assert_int_equal(a->wire[HN_TIMING_TTFB].total, 7);
    assert_int_equal(a->wire[HN_TIMING_DNS].total, 7);
    assert_int_equal(a->wire[HN_TIMING_CONNECT].total, 7);
    assert_int_equal(a->wire[HN_TIMING_TTFB].min, 800);
    assert_int_equal(a->wire[HN_TIMING_TTFB].max, 806);
    const struct hn_msg_entry *b = entry(&m, "/b");
    assert_int_equal(b->requests, 4);
    assert_int_equal(b->wire[HN_TIMING_TOTAL].total, 4);
    assert_int_equal(b->wire[HN_TIMING_TTFB].total, 2 + 3 + 4); /* more than its requests */
    assert_int_equal(b->wire[HN_TIMING_CONNECT].total, 9);
    hn_msg_deinit(&m);
    hn_recorder_reset(&r); /* they went: nothing is held any more */

    encode_decode(&r, 4, true, &m);
    assert_int_equal(m.snapshot.n_entries, 0);
    hn_msg_deinit(&m);
    add(&r, 2, 1);
    encode_decode(&r, 5, true, &m);
    assert_int_equal(m.snapshot.n_entries, 1);
    assert_int_equal(entry(&m, "/c")->wire[HN_TIMING_TTFB].total, 1);
    hn_msg_deinit(&m);
    hn_recorder_deinit(&r);
}

/* Phases that would make the frame too large: the report goes without them
 * (its requests and response times must get through), and says so. A
 * report whose phases fit goes with them. */
static void test_snapshot_phases_too_large(void **state)
{
    (void)state;
    enum { BIG = 64 }; /* 64 entries x 3 phases x ~23,500 counters of 2 bytes: ~9 MB */
    static struct hn_stat_key keys[BIG];
    static char names[BIG][8];
    for (uint32_t e = 0; e < BIG; e++) {
        snprintf(names[e], sizeof(names[e]), "/%u", e);
        keys[e] = (struct hn_stat_key){"GET", names[e]};
    }
    struct hn_scenario sc = {.entries = keys, .n_entries = BIG};
    struct hn_recorder r;
    assert_int_equal(hn_recorder_init(&r, BIG), 0);
    for (uint32_t e = 0; e < BIG; e++) {
        struct hn_rec_sample s = {.entry = e, .fail_slot = HN_FAIL_NONE, .total_us = 1000};
        hn_recorder_add(&r, &s); /* one request, one TOTAL counter */
        for (uint32_t i = 0; i < HN_HIST_COUNTS_LEN; i++) {
            uint64_t v = hn_hist_lowest_at_index(i);
            if (v > HN_HIST_MAX_US)
                break;
            struct hn_hist *ph[3] = {&r.entries[e].timing[HN_TIMING_DNS],
                                     &r.entries[e].timing[HN_TIMING_CONNECT],
                                     &r.entries[e].timing[HN_TIMING_TTFB]};
            for (int k = 0; k < 3; k++) /* held phases of many requests before */
                hn_hist_record_n(ph[k], v, 2);
        }
    }
    /* Over the frame limit by the counters alone (the layout decides). */
    size_t counters = 0;
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        if (hn_timing_is_phase(k) && r.entries[0].timing[k].total)
            counters += hn_hist_codec_buckets_size(&r.entries[0].timing[k]);
    assert_true(counters * BIG > HN_PROTO_SNAPSHOT_FRAME_MAX);
    assert_true(counters * (BIG / 3) < HN_PROTO_SNAPSHOT_FRAME_MAX / 2);
    struct hn_snapshot_info info = {
        .type = HN_MSG_FINAL, .seq = 9, .run_id = "r", .phases = true};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(hn_snapshot_encode(&sc, &r, &info, &sb), HN_E_TOO_LARGE);
    bool dropped = false;
    assert_int_equal(hn_snapshot_encode_fit(&sc, &r, &info, &sb, &dropped), 0);
    assert_true(dropped);
    struct hn_msg m;
    assert_int_equal(hn_msg_decode(sb.data, sb.size, &m), 0);
    assert_int_equal(m.type, HN_MSG_FINAL);
    assert_int_equal(m.snapshot.n_entries, BIG);
    for (uint32_t e = 0; e < BIG; e++) {
        const struct hn_msg_entry *me = &m.snapshot.entries[e];
        assert_int_equal(me->requests, 1);
        assert_int_equal(me->wire[HN_TIMING_TOTAL].total, 1);
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            if (hn_timing_is_phase(k))
                assert_false(me->wire[k].present);
    }
    hn_msg_deinit(&m);

    /* The same report with a third of the names: it fits, phases and all. */
    sc.n_entries = BIG / 3;
    struct hn_recorder small;
    assert_int_equal(hn_recorder_init(&small, BIG / 3), 0);
    for (uint32_t e = 0; e < BIG / 3; e++)
        small.entries[e] = r.entries[e];
    msgpack_sbuffer_clear(&sb);
    assert_int_equal(hn_snapshot_encode_fit(&sc, &small, &info, &sb, &dropped), 0);
    assert_false(dropped);
    assert_int_equal(hn_msg_decode(sb.data, sb.size, &m), 0);
    assert_true(m.snapshot.entries[0].wire[HN_TIMING_TTFB].present);
    assert_int_equal(m.snapshot.entries[0].wire[HN_TIMING_TTFB].total,
                     r.entries[0].timing[HN_TIMING_TTFB].total);
    hn_msg_deinit(&m);
    msgpack_sbuffer_destroy(&sb);
    hn_recorder_deinit(&small);
    hn_recorder_deinit(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_rows_full),
        cmocka_unit_test(test_snapshot_phases_held),
        cmocka_unit_test(test_snapshot_phases_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
