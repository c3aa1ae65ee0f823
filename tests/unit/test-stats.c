/* Unit tests for the master statistics store (master/stats.c): exact merge of
 * real encoded/decoded snapshots from several workers, the Aggregated row,
 * error rows, the bounds on distinct rows and the per-second window. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"
#include "msg.h"
#include "stats-feed.h"
#include "stats.h"
#include "test-rng.h"

#define T0 UINT64_C(1700000000000) /* run start, ms since the epoch */

/* ---- fixtures ---------------------------------------------------------- */

/* Log-uniform value between 1 µs and ~10 s, sometimes 0 or above 1 h. */
static uint64_t rng_latency(void)
{
    uint64_t r = test_rng_next();
    if (r % 97 == 0)
        return 0;
    if (r % 211 == 0)
        return HN_HIST_MAX_US + 1 + r % 1000; /* overflow */
    double u = (double)(test_rng_next() >> 11) / 9007199254740992.0;
    return (uint64_t)exp(u * log(1e7));
}

/* One entry of a fake worker's interval. */
struct fake {
    const char *method, *name;
    struct hn_hist *hist; /* response times; requests = hist->total */
    uint64_t failures, bytes;
};

/* Encode a SNAPSHOT of @fakes and @errors like a worker, decode it like the
 * master, and merge it into @st at @now_ms. */
static void merge_snapshot(struct hn_stats *st, uint64_t now_ms, const struct fake *fakes, size_t n,
                           const struct hn_msg_error *errors, size_t n_errors)
{
    struct hn_msg_entry *entries = calloc(n ? n : 1, sizeof(*entries));
    assert_non_null(entries);
    for (size_t i = 0; i < n; i++) {
        strcpy(entries[i].method, fakes[i].method);
        strcpy(entries[i].name, fakes[i].name);
        entries[i].requests = fakes[i].hist ? fakes[i].hist->total : 0;
        entries[i].failures = fakes[i].failures;
        entries[i].bytes_received = fakes[i].bytes;
        entries[i].hist[HN_TIMING_TOTAL] = fakes[i].hist;
    }
    feed_snapshot(st, now_ms, entries, (uint32_t)n, errors, (uint32_t)n_errors);
    free(entries);
}

static struct hn_msg_error error_row(const char *method, const char *name, const char *error,
                                     uint64_t count)
{
    struct hn_msg_error e = {.count = count};
    strcpy(e.method, method);
    strcpy(e.name, name);
    strcpy(e.error, error);
    return e;
}

static void assert_same_percentiles(const struct hn_hist *a, const struct hn_hist *b)
{
    static const double p[] = {0, 1, 25, 50, 66, 75, 90, 95, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        assert_true(hn_hist_percentile(a, p[i]) == hn_hist_percentile(b, p[i]));
}

/* ---- tests ------------------------------------------------------------- */

/* Three workers, three entries, five seconds of snapshots: every row equals
 * what one histogram recording every value gives, and the Aggregated row is
 * the sum of the entries. */
static void test_merge_three_workers_exact(void **state)
{
    (void)state;
    enum { WORKERS = 3, ENTRIES = 3, SECONDS = 5 };
    static const char *const methods[ENTRIES] = {"GET", "POST", "GET"};
    static const char *const names[ENTRIES] = {"/api/items", "/api/items", "/caf\xc3\xa9"};
    struct hn_hist *ref[ENTRIES], *ref_all = hn_hist_new(), *scratch = hn_hist_new();
    uint64_t ref_fail[ENTRIES] = {0}, ref_bytes[ENTRIES] = {0};
    for (int e = 0; e < ENTRIES; e++)
        ref[e] = hn_hist_new();
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    test_rng_seed(7);

    for (int s = 0; s < SECONDS; s++) {
        for (int w = 0; w < WORKERS; w++) {
            struct fake fakes[ENTRIES];
            for (int e = 0; e < ENTRIES; e++) {
                fakes[e] = (struct fake){methods[e], names[e], hn_hist_new(), 0, 0};
                int n = (int)(test_rng_next() % 300) + (e == 2 && w == 1 ? 0 : 1);
                for (int i = 0; i < n; i++) {
                    uint64_t v = rng_latency();
                    hn_hist_record(fakes[e].hist, v);
                    hn_hist_record(ref[e], v);
                    hn_hist_record(ref_all, v);
                }
                fakes[e].failures = (uint64_t)n / 7;
                fakes[e].bytes = (uint64_t)n * 1000 + (uint64_t)w;
                ref_fail[e] += fakes[e].failures;
                ref_bytes[e] += fakes[e].bytes;
            }
            merge_snapshot(st, T0 + 1000 * (uint64_t)s + 100 * (uint64_t)w, fakes, ENTRIES, NULL,
                           0);
            for (int e = 0; e < ENTRIES; e++)
                hn_hist_free(fakes[e].hist);
        }
        hn_stats_tick(st, T0 + 1000 * (uint64_t)(s + 1));
    }

    assert_int_equal(hn_stats_entry_count(st), ENTRIES);
    uint64_t sum_req = 0, sum_fail = 0, sum_bytes = 0;
    for (int e = 0; e < ENTRIES; e++) {
        /* order: by name then method: GET /api/items, POST /api/items, GET /café */
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, (size_t)e), &t);
        assert_string_equal(t.method, methods[e]);
        assert_string_equal(t.name, names[e]);
        assert_non_null(t.hist);
        assert_true(hn_hist_equal(t.hist, ref[e]));
        assert_same_percentiles(t.hist, ref[e]);
        assert_int_equal(t.requests, ref[e]->total);
        assert_int_equal(t.failures, ref_fail[e]);
        assert_int_equal(t.bytes_received, ref_bytes[e]);
        sum_req += t.requests;
        sum_fail += t.failures;
        sum_bytes += t.bytes_received;
        /* The run is shorter than the window: the window holds everything,
         * rebuilt from the per-second sparse form. */
        struct hn_stats_recent r;
        hn_stats_recent(st, hn_stats_entry_at(st, (size_t)e), scratch, &r);
        assert_int_equal(r.seconds, SECONDS);
        assert_int_equal(r.requests, ref[e]->total);
        assert_true(hn_hist_equal(scratch, ref[e]));
    }
    struct hn_stats_totals all;
    hn_stats_totals(hn_stats_aggregated(st), &all);
    assert_string_equal(all.method, "");
    assert_string_equal(all.name, "Aggregated");
    assert_true(hn_hist_equal(all.hist, ref_all));
    assert_same_percentiles(all.hist, ref_all);
    assert_int_equal(all.requests, sum_req);
    assert_int_equal(all.failures, sum_fail);
    assert_int_equal(all.bytes_received, sum_bytes);
    assert_int_equal(hn_stats_total_requests(st), sum_req);
    assert_int_equal(hn_stats_total_failures(st), sum_fail);
    struct hn_stats_recent r;
    hn_stats_recent(st, hn_stats_aggregated(st), scratch, &r);
    assert_true(hn_hist_equal(scratch, ref_all));

    hn_stats_free(st);
    for (int e = 0; e < ENTRIES; e++)
        hn_hist_free(ref[e]);
    hn_hist_free(ref_all);
    hn_hist_free(scratch);
}

/* An entry without requests exists with no histogram; one with requests
 * has one. */
static void test_empty_entry(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct fake f = {"GET", "/never", NULL, 0, 0};
    merge_snapshot(st, T0, &f, 1, NULL, 0);
    assert_int_equal(hn_stats_entry_count(st), 1);
    struct hn_stats_totals t;
    hn_stats_totals(hn_stats_entry_at(st, 0), &t);
    assert_int_equal(t.requests, 0);
    assert_null(t.hist);
    hn_stats_totals(hn_stats_aggregated(st), &t);
    assert_null(t.hist);
    hn_stats_free(st);
}

/* Error rows from several workers merge by (method, name, error); first and
 * last seen come from the master clock. */
static void test_errors_merged(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_msg_error w1[] = {error_row("GET", "/b", "HTTP 500", 3),
                                error_row("GET", "/a", "timeout", 1)};
    struct hn_msg_error w2[] = {error_row("GET", "/b", "HTTP 500", 4),
                                error_row("POST", "/b", "HTTP 500", 2),
                                error_row("GET", "/b", "HTTP 502", 1)};
    merge_snapshot(st, T0 + 1500, NULL, 0, w1, 2);
    merge_snapshot(st, T0 + 7250, NULL, 0, w2, 3);
    assert_int_equal(hn_stats_error_count(st), 4);
    /* by name, method, error */
    static const char *const want[4][3] = {{"GET", "/a", "timeout"},
                                           {"GET", "/b", "HTTP 500"},
                                           {"GET", "/b", "HTTP 502"},
                                           {"POST", "/b", "HTTP 500"}};
    static const uint64_t counts[4] = {1, 7, 1, 2};
    for (size_t i = 0; i < 4; i++) {
        struct hn_stats_error e;
        hn_stats_error_at(st, i, &e);
        assert_string_equal(e.method, want[i][0]);
        assert_string_equal(e.name, want[i][1]);
        assert_string_equal(e.error, want[i][2]);
        assert_int_equal(e.count, counts[i]);
    }
    struct hn_stats_error e;
    hn_stats_error_at(st, 1, &e);
    assert_int_equal(e.first_seen_ms, T0 + 1500);
    assert_int_equal(e.last_seen_ms, T0 + 7250);
    hn_stats_error_at(st, 0, &e);
    assert_int_equal(e.first_seen_ms, T0 + 1500);
    assert_int_equal(e.last_seen_ms, T0 + 1500);
    hn_stats_free(st);
}

/* Past HN_STATS_ENTRIES_MAX names, requests go to "(other names)": the
 * number of rows stays bounded and no count is lost. */
static void test_entry_bound(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    /* Fill the table with request-less entries (no histogram needed). */
    enum { CHUNK = 2500 };
    struct hn_msg_entry *ents = calloc(CHUNK, sizeof(*ents));
    assert_non_null(ents);
    for (uint32_t base = 0; base < HN_STATS_ENTRIES_MAX; base += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++) {
            memset(&ents[i], 0, sizeof(ents[i]));
            strcpy(ents[i].method, "GET");
            snprintf(ents[i].name, sizeof(ents[i].name), "/n/%05u", base + i);
        }
        struct hn_msg_snapshot snap = {.n_entries = CHUNK, .entries = ents};
        assert_int_equal(hn_stats_add(st, &snap, T0), 0);
    }
    free(ents);
    assert_int_equal(hn_stats_entry_count(st), HN_STATS_ENTRIES_MAX);

    struct hn_hist *h1 = hn_hist_new(), *h2 = hn_hist_new(), *h3 = hn_hist_new();
    for (uint64_t v = 1; v <= 50; v++)
        hn_hist_record(h1, v * 100);
    for (uint64_t v = 1; v <= 30; v++)
        hn_hist_record(h2, v * 7000);
    hn_hist_record(h3, 123);
    struct fake extra[] = {{"GET", "/new/1", h1, 5, 10},
                           {"DELETE", "/new/2", h2, 0, 20},
                           {"GET", "/n/00042", h3, 1, 1}};
    merge_snapshot(st, T0 + 10, extra, 3, NULL, 0);
    /* one more row only: the shared "(other names)" */
    assert_int_equal(hn_stats_entry_count(st), HN_STATS_ENTRIES_MAX + 1);
    const struct hn_stats_entry *other = NULL, *known = NULL;
    for (size_t i = 0; i < hn_stats_entry_count(st); i++) {
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, i), &t);
        if (strcmp(t.name, HN_STATS_OTHER_NAME) == 0)
            other = hn_stats_entry_at(st, i);
        if (strcmp(t.name, "/n/00042") == 0)
            known = hn_stats_entry_at(st, i);
    }
    assert_non_null(other);
    assert_non_null(known);
    struct hn_stats_totals t;
    hn_stats_totals(other, &t);
    assert_string_equal(t.method, HN_STATS_OTHER_METHOD);
    assert_int_equal(t.requests, 80);
    assert_int_equal(t.failures, 5);
    assert_int_equal(t.bytes_received, 30);
    struct hn_hist *both = hn_hist_new();
    hn_hist_merge(both, h1);
    hn_hist_merge(both, h2);
    assert_true(hn_hist_equal(t.hist, both));
    hn_stats_totals(known, &t);
    assert_int_equal(t.requests, 1); /* existing names keep their own row */
    assert_int_equal(hn_stats_total_requests(st), 81);
    assert_int_equal(hn_stats_total_failures(st), 6);
    /* sorted order still holds */
    for (size_t i = 1; i < hn_stats_entry_count(st); i++) {
        struct hn_stats_totals a, b;
        hn_stats_totals(hn_stats_entry_at(st, i - 1), &a);
        hn_stats_totals(hn_stats_entry_at(st, i), &b);
        int c = strcmp(a.name, b.name);
        assert_true(c < 0 || (c == 0 && strcmp(a.method, b.method) < 0));
    }
    hn_hist_free(h1);
    hn_hist_free(h2);
    hn_hist_free(h3);
    hn_hist_free(both);
    hn_stats_free(st);
}

/* Same for error rows. */
static void test_error_bound(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    enum { CHUNK = 2000 };
    struct hn_msg_error *errs = calloc(CHUNK, sizeof(*errs));
    assert_non_null(errs);
    uint64_t sent = 0;
    for (uint32_t base = 0; base < HN_STATS_ERRORS_MAX + 2 * CHUNK; base += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++) {
            errs[i] = error_row("GET", "/x", "", 2);
            snprintf(errs[i].error, sizeof(errs[i].error), "HTTP %u", base + i);
            sent += 2;
        }
        struct hn_msg_snapshot snap = {.n_errors = CHUNK, .errors = errs};
        assert_int_equal(hn_stats_add(st, &snap, T0 + base), 0);
    }
    free(errs);
    assert_int_equal(hn_stats_error_count(st), HN_STATS_ERRORS_MAX + 1);
    uint64_t total = 0, other = 0;
    for (size_t i = 0; i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        hn_stats_error_at(st, i, &e);
        total += e.count;
        if (strcmp(e.error, HN_STATS_OTHER_ERROR) == 0)
            other = e.count;
    }
    assert_int_equal(total, sent);
    assert_int_equal(other, 2 * 2 * CHUNK);
    hn_stats_free(st);
}

static void send_n(struct hn_stats *st, uint64_t now_ms, uint64_t n, uint64_t failures,
                   uint64_t value_us)
{
    struct hn_hist *h = hn_hist_new();
    hn_hist_record_n(h, value_us, n);
    struct fake f = {"GET", "/w", h, failures, 0};
    merge_snapshot(st, now_ms, &f, 1, NULL, 0);
    hn_hist_free(h);
}

/* Current rates: what arrived in the last <= 10 closed master seconds,
 * divided by their number; the open second does not count yet. */
static void test_window_rates(void **state)
{
    (void)state;
    struct hn_stats *st;
    struct hn_hist *scratch = hn_hist_new();
    struct hn_stats_recent r;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    const struct hn_stats_entry *all = hn_stats_aggregated(st);

    hn_stats_recent(st, all, scratch, &r);
    assert_int_equal(r.seconds, 0);
    assert_true(r.requests_per_s == 0.0);
    assert_int_equal(scratch->total, 0);

    send_n(st, T0 + 200, 10, 2, 100000); /* second 0: 10 req at 100 ms */
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.requests, 0); /* still open */
    hn_stats_tick(st, T0 + 1000);
    send_n(st, T0 + 1500, 20, 0, 100000); /* second 1 */
    hn_stats_tick(st, T0 + 2000);
    hn_stats_recent(st, all, scratch, &r);
    assert_int_equal(r.seconds, 2);
    assert_int_equal(r.requests, 30);
    assert_int_equal(r.failures, 2);
    assert_true(r.requests_per_s == 15.0);
    assert_true(r.failures_per_s == 1.0);
    assert_int_equal(scratch->total, 30);

    /* 12 more seconds of 5 fast requests each: the window slides past the
     * slow ones and the ring wraps. */
    for (uint64_t s = 2; s < 14; s++) {
        send_n(st, T0 + s * 1000 + 10, 5, 1, 1000);
        hn_stats_tick(st, T0 + (s + 1) * 1000);
    }
    hn_stats_recent(st, all, scratch, &r);
    assert_int_equal(r.seconds, HN_STATS_WINDOW_S);
    assert_int_equal(r.requests, 50);
    assert_true(r.requests_per_s == 5.0);
    assert_true(r.failures_per_s == 1.0);
    assert_int_equal(scratch->total, 50);
    assert_int_equal(hn_hist_max(scratch), 1000);
    assert_int_equal(hn_hist_percentile(scratch, 100), 1000);
    struct hn_stats_totals t;
    hn_stats_totals(all, &t);
    assert_int_equal(hn_hist_max(t.hist), 100000); /* cumulative keeps them */
    assert_int_equal(t.requests, 90);

    /* A quiet second counts as a second with nothing in it. */
    hn_stats_tick(st, T0 + 15000);
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.requests, 45);
    assert_true(r.requests_per_s == 4.5);
    assert_int_equal(hn_stats_last_ms(st), T0 + 15000);
    assert_true(hn_stats_elapsed_s(st, T0 + 15000) == 15.0);
    assert_true(hn_stats_elapsed_s(st, T0 + 10) == 1.0); /* at least 1 s */
    hn_hist_free(scratch);
    hn_stats_free(st);
}

/* The window starts in the second the first report arrived in: workers
 * report a second after they start, and seconds before that are no part
 * of the rate (20 a second over two seconds is 20/s, not 40/3). */
static void test_window_starts_at_first_report(void **state)
{
    (void)state;
    struct hn_stats *st;
    struct hn_stats_recent r;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    const struct hn_stats_entry *all = hn_stats_aggregated(st);
    hn_stats_tick(st, T0 + 1000); /* second 0: nothing came */
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.seconds, 0);
    assert_true(r.requests_per_s == 0.0);
    send_n(st, T0 + 1100, 20, 0, 1000); /* second 1 */
    hn_stats_tick(st, T0 + 2000);
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.seconds, 1);
    assert_true(r.requests_per_s == 20.0);
    send_n(st, T0 + 2100, 20, 0, 1000); /* second 2 */
    hn_stats_tick(st, T0 + 3000);
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.seconds, 2);
    assert_int_equal(r.requests, 40);
    assert_true(r.requests_per_s == 20.0);
    hn_stats_tick(st, T0 + 4000); /* a quiet second still counts */
    hn_stats_recent(st, all, NULL, &r);
    assert_int_equal(r.seconds, 3);
    assert_int_equal(r.requests, 40);
    hn_stats_free(st);
}

/* Encode, decode and add one entry; returns what hn_stats_add returned. */
static int add_entry(struct hn_stats *st, const char *name, struct hn_hist *h, uint64_t failures)
{
    struct hn_msg_entry e = {.requests = h->total, .failures = failures};
    strcpy(e.method, "GET");
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = h;
    struct hn_msg m = {.type = HN_MSG_SNAPSHOT};
    m.snapshot.n_entries = 1;
    m.snapshot.entries = &e;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(hn_msg_encode(&m, &buf), 0);
    struct hn_msg d;
    assert_int_equal(hn_msg_decode(buf.data, buf.size, &d), 0);
    int rc = hn_stats_add(st, &d.snapshot, T0);
    hn_msg_deinit(&d);
    msgpack_sbuffer_destroy(&buf);
    return rc;
}

/* Counts that would overflow when merged stick at the maximum: never a
 * Failure Count above the Request Count, never a wrapped Max. */
static void test_saturating(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_hist *h = hn_hist_new();
    assert_true(hn_hist_record_n(h, 1, UINT64_C(1) << 63));
    for (int i = 0; i < 3; i++)
        assert_int_equal(add_entry(st, "/big", h, UINT64_C(1) << 62), 0);
    struct hn_stats_totals t;
    hn_stats_totals(hn_stats_aggregated(st), &t);
    assert_true(t.requests == UINT64_MAX);
    assert_true(t.failures <= t.requests);
    assert_non_null(t.hist);
    assert_true(t.hist->total == UINT64_MAX);
    assert_int_equal(hn_hist_max(t.hist), 1);
    assert_int_equal(hn_hist_percentile(t.hist, 100), 1);
    hn_stats_tick(st, T0 + 1000);
    struct hn_stats_recent r;
    hn_stats_recent(st, hn_stats_aggregated(st), NULL, &r);
    assert_true(r.requests == UINT64_MAX);
    hn_hist_free(h);
    hn_stats_free(st);
}

/* Past its memory bound the store refuses a merge as an allocation failure
 * would (-ENOMEM, for the run to fail loudly), and stays consistent. */
static void test_memory_bound(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    hn_stats_set_memory_max(st, 64 * 1024); /* less than one histogram */
    struct hn_hist *h = hn_hist_new();
    hn_hist_record(h, 1000);
    assert_int_equal(add_entry(st, "/a", h, 0), -ENOMEM);
    assert_int_equal(hn_stats_total_requests(st), 0);
    assert_true(hn_stats_memory(st) <= 64 * 1024);
    hn_stats_set_memory_max(st, 8u << 20);
    assert_int_equal(add_entry(st, "/a", h, 0), 0);
    assert_int_equal(hn_stats_total_requests(st), 1);
    assert_true(hn_stats_memory(st) > sizeof(struct hn_hist));
    hn_hist_free(h);
    hn_stats_free(st);
}

/* ---- cost and the shown latency (stats.c's merge) ------------------------ */

/* A histogram of @n distinct counters from counter @first on, one value
 * each (values below 2048 µs have a counter each; above, every counter's
 * lowest value). */
static struct hn_hist *wide_hist(uint32_t first, uint32_t n)
{
    struct hn_hist *h = hn_hist_new();
    assert_non_null(h);
    for (uint32_t i = first; i < first + n; i++)
        hn_hist_record(h, hn_hist_lowest_at_index(i));
    return h;
}

/* One snapshot of entries GET /a, /b, /c, each with TOTAL and TTFB
 * histograms of ~150 counters (log-uniform 1 ms .. 1 s). */
static void small_snapshot(struct hn_msg_entry *e, struct hn_hist *h[3][2])
{
    static const char *const names[3] = {"/a", "/b", "/c"};
    test_rng_seed(99);
    for (int i = 0; i < 3; i++) {
        memset(&e[i], 0, sizeof(e[i]));
        strcpy(e[i].method, "GET");
        strcpy(e[i].name, names[i]);
        h[i][0] = hn_hist_new();
        h[i][1] = hn_hist_new();
        for (int k = 0; k < 400; k++) {
            uint64_t v = 1000 + test_rng_next() % 1000000;
            hn_hist_record(h[i][0], v);
            hn_hist_record(h[i][1], v / 2);
        }
        e[i].requests = h[i][0]->total;
        e[i].hist[HN_TIMING_TOTAL] = h[i][0];
        e[i].hist[HN_TIMING_TTFB] = h[i][1];
    }
}

static void small_snapshot_free(struct hn_hist *h[3][2])
{
    for (int i = 0; i < 3; i++) {
        hn_hist_free(h[i][0]);
        hn_hist_free(h[i][1]);
    }
}

static uint64_t work_of(struct hn_stats *st, struct hn_msg_entry *e, uint32_t n)
{
    uint64_t before = hn_stats_work(st);
    feed_snapshot(st, T0 + 500, e, n, NULL, 0);
    return hn_stats_work(st) - before;
}

/* Merging a snapshot costs the same, counted in steps (never timed), into
 * a store that holds over 100,000 distinct counters in its open second,
 * its window and its cumulative histograms as into one that holds none:
 * O(the snapshot's counters), not O(what the store has seen). */
static void test_merge_cost_flat(void **state)
{
    (void)state;
    struct hn_msg_entry e[3];
    struct hn_hist *h[3][2];
    small_snapshot(e, h);
    uint64_t counters = 0, per_kind[2] = {0, 0}; /* TOTAL, TTFB */
    for (int i = 0; i < 3; i++) {
        struct hn_hist_iter it;
        struct hn_hist_bucket b;
        for (int k = 0; k < 2; k++)
            for (hn_hist_iter_init(&it, h[i][k]); hn_hist_iter_next(&it, &b);)
                per_kind[k]++;
    }
    counters = per_kind[0] + per_kind[1];

    /* Both stores know the three rows already (one request each). */
    struct hn_stats *empty, *full;
    assert_int_equal(hn_stats_new(T0, &empty), 0);
    assert_int_equal(hn_stats_new(T0, &full), 0);
    struct hn_hist *one = hn_hist_new();
    hn_hist_record(one, 5);
    struct hn_msg_entry tiny[3];
    for (int i = 0; i < 3; i++) {
        tiny[i] = e[i];
        memset(tiny[i].hist, 0, sizeof(tiny[i].hist));
        tiny[i].requests = 1;
        tiny[i].hist[HN_TIMING_TOTAL] = one;
    }
    feed_snapshot(empty, T0, tiny, 3, NULL, 0);
    feed_snapshot(full, T0, tiny, 3, NULL, 0);

    /* The full one: 5 more rows and the same three, 20,000 distinct
     * counters each, in 3 closed seconds and the open one. */
    static const char *const big[] = {"/big0", "/big1", "/big2", "/big3", "/big4"};
    struct hn_hist *wide = wide_hist(100, 20000);
    struct hn_msg_entry w[8];
    for (int i = 0; i < 8; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        strcpy(w[i].method, "GET");
        strcpy(w[i].name, i < 5 ? big[i] : e[i - 5].name);
        w[i].requests = wide->total;
        w[i].hist[HN_TIMING_TOTAL] = wide;
        w[i].hist[HN_TIMING_TTFB] = wide;
    }
    for (int s = 0; s < 4; s++) {
        if (s) {
            hn_stats_tick(full, T0 + 1000 * (uint64_t)s);
            hn_stats_tick(empty, T0 + 1000 * (uint64_t)s);
        }
        feed_snapshot(full, T0 + 1000 * (uint64_t)s + 1, w, 8, NULL, 0);
    }
    assert_true(hn_stats_total_requests(full) >= 4u * 8u * 20000u);

    uint64_t cost_empty = work_of(empty, e, 3), cost_full = work_of(full, e, 3);
    print_message("merge: %llu steps into the empty store, %llu into the full one, %llu "
                  "counters in the snapshot\n",
                  (unsigned long long)cost_empty, (unsigned long long)cost_full,
                  (unsigned long long)counters);
    assert_true(cost_empty == cost_full);
    /* each counter: decoded, added to its row and (TOTAL only: phases are
     * summed by hn_stats_settle) to Aggregated; plus a lookup per entry */
    assert_true(cost_empty <= 3 * per_kind[0] + 2 * per_kind[1] + 3 * 4);
    assert_true(cost_empty >= counters);

    hn_hist_free(wide);
    hn_hist_free(one);
    small_snapshot_free(h);
    hn_stats_free(empty);
    hn_stats_free(full);
}

/* Aggregated's phases come from its rows when settled: after three
 * snapshots of /a, /b, /c (TOTAL and TTFB), hn_stats_settle makes
 * Aggregated's TTFB exactly the merge of the rows' (and again after more
 * arrive: settling twice counts nothing twice); its TOTAL is current
 * without settling. */
static void test_settle_phases(void **state)
{
    (void)state;
    struct hn_msg_entry e[3];
    struct hn_hist *h[3][2];
    small_snapshot(e, h);
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_hist *want_total = hn_hist_new(), *want_ttfb = hn_hist_new();
    for (int round = 0; round < 2; round++) {
        for (int s = 0; s < 3; s++) {
            feed_snapshot(st, T0 + 1000 * (uint64_t)(3 * round + s) + 1, e, 3, NULL, 0);
            for (int i = 0; i < 3; i++) {
                hn_hist_merge(want_total, h[i][0]);
                hn_hist_merge(want_ttfb, h[i][1]);
            }
        }
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_aggregated(st), &t);
        assert_non_null(t.timing[HN_TIMING_TOTAL]);
        assert_true(hn_hist_equal(t.timing[HN_TIMING_TOTAL], want_total));
        hn_stats_settle(st);
        hn_stats_settle(st);
        hn_stats_totals(hn_stats_aggregated(st), &t);
        assert_non_null(t.timing[HN_TIMING_TTFB]);
        assert_true(hn_hist_equal(t.timing[HN_TIMING_TTFB], want_ttfb));
        assert_null(t.timing[HN_TIMING_DNS]);
    }
    hn_hist_free(want_total);
    hn_hist_free(want_ttfb);
    small_snapshot_free(h);
    hn_stats_free(st);
}

/* The latency shown: from the intended start for intervals where every
 * request has one (AUTO), else the service time; cumulative, per row and
 * Aggregated, and in the window, exactly, also when a row switches within
 * a second; SERVICE mode always shows the service time. */
static void check_shown(enum hn_stats_latency mode)
{
    enum { ENTRIES = 2, SECONDS = 4, WORKERS = 3 };
    static const char *const names[ENTRIES] = {"/p", "/q"};
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    hn_stats_set_latency(st, mode);
    struct hn_hist *shown[ENTRIES], *total[ENTRIES], *intended[ENTRIES], *all = hn_hist_new();
    struct hn_hist *win[SECONDS], *win_e[SECONDS][ENTRIES];
    for (int i = 0; i < ENTRIES; i++) {
        shown[i] = hn_hist_new();
        total[i] = hn_hist_new();
        intended[i] = hn_hist_new();
    }
    test_rng_seed(5);
    bool any_intended = false;
    for (int s = 0; s < SECONDS; s++) {
        win[s] = hn_hist_new();
        for (int i = 0; i < ENTRIES; i++)
            win_e[s][i] = hn_hist_new();
        for (int w = 0; w < WORKERS; w++) {
            struct hn_msg_entry me[ENTRIES];
            struct hn_hist *ht[ENTRIES], *hi[ENTRIES];
            for (int i = 0; i < ENTRIES; i++) {
                memset(&me[i], 0, sizeof(me[i]));
                strcpy(me[i].method, "GET");
                strcpy(me[i].name, names[i]);
                ht[i] = hn_hist_new();
                hi[i] = hn_hist_new();
                /* /p: scheduled in odd seconds from worker 1 on (a switch
                 * within a second); /q: only part of its requests are */
                int n = 50 + (int)(test_rng_next() % 100);
                bool all_sched = i == 0 && s % 2 == 1 && w >= 1;
                for (int k = 0; k < n; k++) {
                    uint64_t v = rng_latency() % 5000000;
                    hn_hist_record(ht[i], v);
                    if (all_sched || (i == 1 && k % 3 == 0))
                        hn_hist_record(hi[i], v + 1000 + test_rng_next() % 100000);
                }
                me[i].requests = ht[i]->total;
                me[i].hist[HN_TIMING_TOTAL] = ht[i];
                me[i].hist[HN_TIMING_INTENDED] = hi[i]->total ? hi[i] : NULL;
                bool show_i = mode != HN_STATS_LATENCY_SERVICE && all_sched;
                any_intended |= show_i;
                const struct hn_hist *sh = show_i ? hi[i] : ht[i];
                hn_hist_merge(shown[i], sh);
                hn_hist_merge(all, sh);
                hn_hist_merge(win[s], sh);
                hn_hist_merge(win_e[s][i], sh);
                hn_hist_merge(total[i], ht[i]);
                hn_hist_merge(intended[i], hi[i]);
            }
            feed_snapshot(st, T0 + 1000 * (uint64_t)s + 10 * (uint64_t)w, me, ENTRIES, NULL, 0);
            for (int i = 0; i < ENTRIES; i++) {
                hn_hist_free(ht[i]);
                hn_hist_free(hi[i]);
            }
        }
        /* cumulative figures are exact between ticks too */
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(st, 0), &t);
        assert_true(hn_hist_equal(t.hist, shown[0]));
        hn_stats_tick(st, T0 + 1000 * (uint64_t)(s + 1));
    }
    assert_true(hn_stats_shows_intended(st) == any_intended);
    assert_true(any_intended == (mode != HN_STATS_LATENCY_SERVICE));
    struct hn_hist *scratch = hn_hist_new(), *want = hn_hist_new();
    for (int i = 0; i <= ENTRIES; i++) {
        const struct hn_stats_entry *e =
            i < ENTRIES ? hn_stats_entry_at(st, (size_t)i) : hn_stats_aggregated(st);
        struct hn_stats_totals t;
        hn_stats_totals(e, &t);
        if (i < ENTRIES) {
            assert_string_equal(t.name, names[i]);
            assert_true(hn_hist_equal(t.hist, shown[i]));
            assert_true(hn_hist_equal(t.timing[HN_TIMING_TOTAL], total[i]));
            assert_true(hn_hist_equal(t.timing[HN_TIMING_INTENDED], intended[i]));
        } else {
            assert_true(hn_hist_equal(t.hist, all));
        }
        struct hn_stats_recent r;
        hn_stats_recent(st, e, scratch, &r);
        hn_hist_reset(want);
        for (int s = 0; s < SECONDS; s++)
            hn_hist_merge(want, i < ENTRIES ? win_e[s][i] : win[s]);
        assert_true(hn_hist_equal(scratch, want));
    }
    hn_hist_free(scratch);
    hn_hist_free(want);
    for (int s = 0; s < SECONDS; s++) {
        hn_hist_free(win[s]);
        for (int i = 0; i < ENTRIES; i++)
            hn_hist_free(win_e[s][i]);
    }
    for (int i = 0; i < ENTRIES; i++) {
        hn_hist_free(shown[i]);
        hn_hist_free(total[i]);
        hn_hist_free(intended[i]);
    }
    hn_hist_free(all);
    hn_stats_free(st);
}

static void test_shown_latency(void **state)
{
    (void)state;
    check_shown(HN_STATS_LATENCY_AUTO);
    check_shown(HN_STATS_LATENCY_SERVICE);
}

/* A second's counters that cannot be stored when the second ends (memory
 * bound) fail the next merge: the run must not go on with a window short
 * of them. */
static void test_window_memory_bound(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_hist *h = hn_hist_new();
    hn_hist_record(h, 1000);
    assert_int_equal(add_entry(st, "/a", h, 0), 0);
    hn_stats_set_memory_max(st, hn_stats_memory(st)); /* not a byte more */
    assert_int_equal(add_entry(st, "/a", h, 0), 0);   /* nothing new to allocate */
    hn_stats_tick(st, T0 + 1000);                     /* the slot's pairs do not fit */
    assert_int_equal(add_entry(st, "/a", h, 0), -ENOMEM);
    hn_hist_free(h);
    hn_stats_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_three_workers_exact),
        cmocka_unit_test(test_empty_entry),
        cmocka_unit_test(test_errors_merged),
        cmocka_unit_test(test_entry_bound),
        cmocka_unit_test(test_error_bound),
        cmocka_unit_test(test_window_rates),
        cmocka_unit_test(test_window_starts_at_first_report),
        cmocka_unit_test(test_saturating),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_merge_cost_flat),
        cmocka_unit_test(test_settle_phases),
        cmocka_unit_test(test_shown_latency),
        cmocka_unit_test(test_window_memory_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
