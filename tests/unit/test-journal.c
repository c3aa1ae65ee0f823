/* Unit tests for the run's journal (master/journal.c) and the interval
 * histograms it uses (master/interval.c): per-second samples from
 * cumulative statistics, worker events with their bound, and the generator
 * self-check rules (CPU above 90 % of a worker's CPUs, a loop lag of 20 ms
 * for 3 heartbeats in a row, a stall of 1 s or more). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "interval.h"
#include "journal.h"
#include "utf8.h"
#include "stats-feed.h"
#include "stats.h"

#define T0 UINT64_C(1700000000000)

static void feed(struct hn_stats *st, uint64_t now_ms, const char *name, const uint64_t *us,
                 size_t n, uint64_t failures)
{
    struct hn_hist *h = hn_hist_new();
    for (size_t i = 0; i < n; i++)
        hn_hist_record(h, us[i]);
    struct hn_msg_entry e = {.requests = n, .failures = failures};
    strcpy(e.method, "GET");
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = h;
    feed_snapshot(st, now_ms, &e, 1, NULL, 0);
    hn_hist_free(h);
}

/* Each interval holds exactly what the cumulative histogram gained. */
static void test_interval(void **state)
{
    (void)state;
    struct hn_interval iv;
    hn_interval_init(&iv);
    struct hn_hist *cum = hn_hist_new(), *out = hn_hist_new(), *want = hn_hist_new();
    assert_int_equal(hn_interval_next(&iv, NULL, out), 0);
    assert_int_equal(out->total, 0);
    uint64_t x = 7;
    for (int round = 0; round < 5; round++) {
        hn_hist_reset(want);
        for (int i = 0; i < 1000 * (round + 1); i++) {
            x = x * UINT64_C(6364136223846793005) + 1442695040888963407u;
            uint64_t v = 1 + (x >> 33) % (round == 3 ? 10 : 9000000);
            hn_hist_record(cum, v);
            hn_hist_record(want, v);
        }
        assert_int_equal(hn_interval_next(&iv, cum, out), 0);
        assert_int_equal(out->total, want->total);
        assert_int_equal(out->sum, want->sum);
        assert_memory_equal(out->counts, want->counts, sizeof(out->counts));
        for (double p = 1; p <= 100; p += 7.3) /* same bucket as the exact interval */
            assert_int_equal(hn_hist_index_of(hn_hist_percentile(out, p)),
                             hn_hist_index_of(hn_hist_percentile(want, p)));
        assert_true(out->min >= cum->min && out->max <= cum->max);
    }
    /* nothing new: an empty interval */
    assert_int_equal(hn_interval_next(&iv, cum, out), 0);
    assert_int_equal(out->total, 0);
    hn_interval_deinit(&iv);
    hn_hist_free(cum);
    hn_hist_free(out);
    hn_hist_free(want);
}

/* One sample per second: the requests of that second and their own
 * percentiles, not the cumulative ones. */
static void test_samples(void **state)
{
    (void)state;
    struct hn_journal j;
    assert_int_equal(hn_journal_init(&j), 0);
    j.quiet = true;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t slow[] = {900000, 900000}, fast[] = {1000, 1000, 1000, 2000};
    feed(st, T0 + 100, "/a", slow, 2, 1);
    hn_stats_tick(st, T0 + 1000);
    assert_int_equal(hn_journal_sample(&j, st, T0 + 1000, 3, 1), 0);
    hn_stats_tick(st, T0 + 2000);
    assert_int_equal(hn_journal_sample(&j, st, T0 + 2000, 3, 1), 0); /* an empty second */
    feed(st, T0 + 2100, "/a", fast, 4, 0);
    hn_stats_tick(st, T0 + 3000);
    assert_int_equal(hn_journal_sample(&j, st, T0 + 3000, 5, 2), 0);
    assert_int_equal(j.n_samples, 3);
    assert_int_equal(j.samples[0].requests, 2);
    assert_int_equal(j.samples[0].failures, 1);
    assert_int_equal(j.samples[0].p99_us, 900000);
    assert_int_equal(j.samples[1].requests, 0);
    assert_int_equal(j.samples[1].p50_us, 0);
    assert_int_equal(j.samples[2].requests, 4);
    assert_int_equal(j.samples[2].failures, 0);
    assert_int_equal(j.samples[2].p50_us, 1000);
    assert_int_equal(j.samples[2].max_us, 2000); /* not the slow ones of second 1 */
    assert_int_equal(j.samples[2].users, 5);
    assert_int_equal(j.samples[2].workers, 2);
    hn_stats_free(st);
    hn_journal_deinit(&j);
}

static void beat(struct hn_journal *j, uint64_t at, uint32_t worker, uint32_t cpus,
                 uint32_t cpu_permille, uint32_t lag_ms)
{
    struct hn_msg_heartbeat hb = {.state = HN_WSTATE_RUNNING,
                                  .cpu_permille = cpu_permille,
                                  .rss_bytes = 1 << 20,
                                  .users = 10,
                                  .loop_lag_ms = lag_ms};
    hn_journal_heartbeat(j, at, worker, "w", cpus, &hb);
}

static void test_selfcheck(void **state)
{
    (void)state;
    struct hn_journal j;
    assert_int_equal(hn_journal_init(&j), 0);
    j.quiet = true;
    /* worker 0, 2 CPUs: 1.7 cores is below 90 % of 2, 1.8 is not */
    beat(&j, T0 + 1000, 0, 2, 1700, 0);
    assert_int_equal(hn_journal_worker(&j, 0)->warnings, 0);
    beat(&j, T0 + 2000, 0, 2, 1800, 0);
    assert_int_equal(hn_journal_worker(&j, 0)->warnings, HN_JOURNAL_WARN_CPU);
    assert_int_equal(hn_journal_worker(&j, 0)->first_warned_ms[0], T0 + 2000);
    /* worker 2: lag of 20 ms twice, a good second, then three times */
    uint32_t lags[] = {30, 25, 5, 20, 60, 40};
    for (int i = 0; i < 6; i++) {
        beat(&j, T0 + 1000 * (i + 1), 2, 4, 100, lags[i]);
        assert_int_equal(hn_journal_worker(&j, 2)->warnings, i < 5 ? 0 : HN_JOURNAL_WARN_LAG);
    }
    assert_int_equal(hn_journal_worker(&j, 2)->lag_ms_max, 60);
    assert_null(hn_journal_worker(&j, 1)); /* no heartbeat from worker 1 */
    /* worker 3: a frozen process shows one long lag: a stall, and an event */
    beat(&j, T0 + 1000, 3, 1, 100, 999);
    assert_int_equal(hn_journal_worker(&j, 3)->warnings, 0);
    beat(&j, T0 + 9000, 3, 1, 100, 6004);
    const struct hn_journal_worker *w3 = hn_journal_worker(&j, 3);
    assert_int_equal(w3->warnings, HN_JOURNAL_WARN_STALL);
    assert_int_equal(w3->stalls, 1);
    assert_int_equal(w3->stalled_ms, 6004);
    assert_int_equal(j.n_events, 1);
    assert_int_equal(j.events[0].kind, HN_JEV_STALL);
    assert_int_equal(j.events[0].worker, 3);
    assert_non_null(strstr(j.events[0].detail, "6.0 s"));
    /* the worker repeats a stall for a while: the same stall, once; a
     * repeated stall is no lag of the loops now */
    for (int i = 1; i <= 4; i++)
        beat(&j, T0 + 9000 + 1000 * i, 3, 1, 100, 6004);
    assert_int_equal(w3->stalls, 1);
    assert_int_equal(w3->lag_ms, 0);
    assert_int_equal(w3->warnings, HN_JOURNAL_WARN_STALL);
    assert_int_equal(j.n_events, 1);
    /* a new stall is counted */
    beat(&j, T0 + 15000, 3, 1, 100, 2500);
    assert_int_equal(w3->stalls, 2);
    assert_int_equal(w3->stalled_ms, 8504);
    assert_int_equal(j.n_events, 2);
    assert_int_equal(hn_journal_warnings(&j),
                     HN_JOURNAL_WARN_CPU | HN_JOURNAL_WARN_LAG | HN_JOURNAL_WARN_STALL);
    hn_journal_deinit(&j);
}

/* Events keep their order and time; details are sanitised; past the bound
 * they are only counted. */
static void test_events(void **state)
{
    (void)state;
    struct hn_journal j;
    assert_int_equal(hn_journal_init(&j), 0);
    hn_journal_event(&j, T0, 1, HN_JEV_JOINED, "%s on %s", "w\x1b[2J", "host");
    hn_journal_event(&j, T0 + 5, 1, HN_JEV_MISSING, "silent");
    assert_int_equal(j.n_events, 2);
    assert_null(strchr(j.events[0].detail, '\x1b'));
    assert_string_equal(hn_journal_event_name(j.events[1].kind), "missing");
    for (uint32_t i = 0; i < HN_JOURNAL_EVENTS_MAX + 5; i++)
        hn_journal_event(&j, T0 + 10, 2, HN_JEV_BACK, "back");
    assert_int_equal(j.n_events, HN_JOURNAL_EVENTS_MAX);
    assert_int_equal(j.events_dropped, 7);
    hn_journal_deinit(&j);
}

/* A detail whose escapes make it longer than the room is cut on a
 * character, never inside one: the JSON report takes valid UTF-8 only (an
 * id of controls and "é" cut mid-character made the detail invalid). */
static void test_event_detail_cut_on_a_character(void **state)
{
    (void)state;
    struct hn_journal j;
    assert_int_equal(hn_journal_init(&j), 0);
    char id[128];
    size_t n = 0;
    for (int i = 0; i < 40; i++) /* 40 controls: 160 bytes escaped */
        id[n++] = '\x01';
    for (int i = 0; i < 40; i++) { /* then "é" 40 times */
        id[n++] = (char)0xc3;
        id[n++] = (char)0xa9;
    }
    id[n] = '\0';
    for (int shift = 0; shift < 4; shift++) { /* the cut falls anywhere */
        hn_journal_event(&j, T0, 1, HN_JEV_JOINED, "%.*s%s", shift, "xxx", id);
        const char *d = j.events[j.n_events - 1].detail;
        for (size_t at = 0, len = strlen(d); at < len;) {
            size_t c = hn_utf8_char_len(d + at, len - at);
            assert_true(c > 0); /* each byte starts or continues a whole character */
            at += c;
        }
    }
    hn_journal_deinit(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_selfcheck),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_event_detail_cut_on_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
