/* Unit tests of worker/report_phases: which reports carry the phase
 * histograms (the FINAL, the worker's turn, held bytes past the bound, the
 * announced end within the worker's lead), and the bytes they take. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "hist_codec.h"
#include "proto_limits.h"
#include "report_phases.h"

static bool due(uint64_t seq, uint32_t turn, double now_s, double end_at_s, size_t held)
{
    struct hn_report_phases_when w = {
        .seq = seq, .turn = turn, .now_s = now_s, .end_at_s = end_at_s, .held_bytes = held};
    return hn_report_phases_due(&w);
}

/* Without an end announced and little held: once a minute, at the turn. */
static void test_turn_once_a_minute(void **state)
{
    (void)state;
    for (uint32_t turn = 0; turn < HN_PROTO_PHASES_EVERY; turn += 7) {
        unsigned carried = 0;
        for (uint64_t seq = 1; seq <= 10 * HN_PROTO_PHASES_EVERY; seq++) {
            bool d = due(seq, turn, 100.0, INFINITY, 1000);
            assert_int_equal(d, seq % HN_PROTO_PHASES_EVERY == turn);
            carried += d;
        }
        assert_int_equal(carried, 10);
    }
}

static void test_final_always(void **state)
{
    (void)state;
    struct hn_report_phases_when w = {.final = true, .seq = 5, .turn = 6, .end_at_s = INFINITY};
    assert_true(hn_report_phases_due(&w));
    assert_true(hn_report_phases_due_by_time(&w));
}

/* A scenario with many busy names: held phases go before they pass the
 * bound, whatever the turn. */
static void test_held_bytes_bound(void **state)
{
    (void)state;
    assert_false(due(5, 6, 0, INFINITY, HN_REPORT_PHASES_HOLD_BYTES - 1));
    assert_true(due(5, 6, 0, INFINITY, HN_REPORT_PHASES_HOLD_BYTES));
    struct hn_report_phases_when w = {
        .seq = 5, .turn = 6, .end_at_s = INFINITY, .held_bytes = HN_REPORT_PHASES_HOLD_BYTES};
    assert_false(hn_report_phases_due_by_time(&w)); /* the bytes alone say it */
}

/* Before an announced end: every report from the worker's lead on (the
 * first empties what was held), none just before it. */
static void test_lead_before_end(void **state)
{
    (void)state;
    const double end = 1000.0;
    for (uint32_t turn = 0; turn < HN_PROTO_PHASES_EVERY; turn++) {
        double lead = HN_REPORT_PHASES_LEAD_MIN_S + turn % HN_REPORT_PHASES_LEAD_SPREAD_S;
        uint64_t seq = turn + 1; /* never the turn */
        assert_false(due(seq, turn, end - lead - 0.01, end, 0));
        assert_true(due(seq, turn, end - lead, end, 0));
        assert_true(due(seq, turn, end - 1, end, 0));
        assert_true(due(seq, turn, end + 5, end, 0)); /* the STOP is late */
    }
}

/* The leads spread the fleet's flushes over the last seconds: each of the
 * LEAD_SPREAD_S seconds gets the same share of turns. */
static void test_leads_spread(void **state)
{
    (void)state;
    unsigned per_lead[HN_REPORT_PHASES_LEAD_SPREAD_S] = {0};
    for (uint32_t turn = 0; turn < HN_PROTO_PHASES_EVERY; turn++) {
        unsigned first = 0; /* seconds past LEAD_MIN_S it is due already */
        while (first < 60 &&
               due(turn + 1, turn, 1000.0 - HN_REPORT_PHASES_LEAD_MIN_S - (first + 1), 1000.0, 0))
            first++;
        assert_true(due(turn + 1, turn, 1000.0 - HN_REPORT_PHASES_LEAD_MIN_S, 1000.0, 0));
        assert_true(first < HN_REPORT_PHASES_LEAD_SPREAD_S);
        per_lead[first]++;
    }
    for (unsigned s = 0; s < HN_REPORT_PHASES_LEAD_SPREAD_S; s++)
        assert_int_equal(per_lead[s], HN_PROTO_PHASES_EVERY / HN_REPORT_PHASES_LEAD_SPREAD_S);
}

/* The bytes are those of the phase histograms' counters, not TOTAL's or
 * INTENDED's. */
static void test_bytes_of_phases_only(void **state)
{
    (void)state;
    struct hn_recorder r;
    assert_int_equal(hn_recorder_init(&r, 3), 0);
    assert_int_equal(hn_report_phases_bytes(&r), 0);
    for (uint64_t i = 0; i < 500; i++) {
        struct hn_rec_sample s = {.entry = (uint32_t)(i % 2),
                                  .fail_slot = HN_FAIL_NONE,
                                  .new_connection = i % 10 == 0,
                                  .scheduled = true,
                                  .total_us = 1000 + 37 * i,
                                  .dns_us = 5 + i,
                                  .connect_us = 40 + 3 * i,
                                  .ttfb_us = 700 + 29 * i,
                                  .intended_us = 2000 + 41 * i};
        hn_recorder_add(&r, &s);
    }
    size_t want = 0;
    for (uint32_t e = 0; e < 2; e++) {
        const struct hn_rec_entry *en = &r.entries[e];
        assert_true(en->timing[HN_TIMING_TOTAL].total > 0);
        want += hn_hist_codec_buckets_size(&en->timing[HN_TIMING_DNS]) +
                hn_hist_codec_buckets_size(&en->timing[HN_TIMING_CONNECT]) +
                hn_hist_codec_buckets_size(&en->timing[HN_TIMING_TTFB]);
    }
    assert_true(want > 0);
    assert_int_equal(hn_report_phases_bytes(&r), want);
    /* Held across a report without them; gone with one that took them. */
    hn_recorder_reset_keep_phases(&r);
    assert_int_equal(hn_report_phases_bytes(&r), want);
    hn_recorder_reset(&r);
    assert_int_equal(hn_report_phases_bytes(&r), 0);
    hn_recorder_deinit(&r);
}

/* With a seed, the turn is the id's: the same every time, and a fleet of
 * distinct ids sharing one seed spreads over the turns as random draws do
 * (600 workers leave hardly any of the 60 turns empty). */
static void test_turn_of_seed_and_id(void **state)
{
    (void)state;
    assert_int_equal(hn_report_phases_turn(8, "phases-test"), 51); /* worker-exact's */
    bool used[HN_PROTO_PHASES_EVERY] = {false};
    unsigned distinct = 0;
    for (unsigned i = 0; i < 600; i++) {
        char id[32];
        snprintf(id, sizeof(id), "host-%u", i);
        uint32_t t = hn_report_phases_turn(42, id);
        assert_true(t < HN_PROTO_PHASES_EVERY);
        assert_int_equal(hn_report_phases_turn(42, id), t);
        distinct += !used[t];
        used[t] = true;
    }
    assert_true(distinct >= 55);
    for (unsigned i = 0; i < 100; i++) /* random without a seed: in range */
        assert_true(hn_report_phases_turn(0, "w") < HN_PROTO_PHASES_EVERY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn_once_a_minute),  cmocka_unit_test(test_final_always),
        cmocka_unit_test(test_held_bytes_bound),    cmocka_unit_test(test_lead_before_end),
        cmocka_unit_test(test_leads_spread),        cmocka_unit_test(test_bytes_of_phases_only),
        cmocka_unit_test(test_turn_of_seed_and_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
