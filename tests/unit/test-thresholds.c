/* Unit tests of master/thresholds: the expression grammar (metrics, scopes,
 * operators, units, errors with the offset of the problem) and evaluation
 * on a real stats store fed through the wire codec: percentiles, averages,
 * error rate, rps, dropped iterations, scoped entries, no data, and the
 * latency the store shows (from the intended start when every request has
 * one). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "hist.h"
#include "stats-feed.h"
#include "thresholds.h"

static struct hn_threshold parse_ok(const char *expr)
{
    struct hn_threshold t;
    char why[200] = "";
    size_t at = 0;
    int rc = hn_threshold_parse(expr, &t, why, sizeof(why), &at);
    if (rc)
        fail_msg("'%s' refused: %s (at %zu)", expr, why, at);
    return t;
}

static void parse_bad(const char *expr, const char *want, size_t want_at)
{
    struct hn_threshold t;
    char why[200] = "";
    size_t at = 999;
    assert_int_equal(hn_threshold_parse(expr, &t, why, sizeof(why), &at), HN_E_INVALID);
    if (!strstr(why, want))
        fail_msg("'%s': reason '%s' lacks '%s'", expr, why, want);
    if (at != want_at)
        fail_msg("'%s': at %zu, want %zu", expr, at, want_at);
}

static void test_parse(void **state)
{
    (void)state;
    struct hn_threshold t = parse_ok("p(95) < 500ms");
    assert_int_equal(t.metric, HN_TH_PERCENTILE);
    assert_true(t.percentile == 95);
    assert_int_equal(t.op, HN_TH_LT);
    assert_true(t.limit == 500000); /* µs */
    assert_string_equal(t.method, "");
    t = parse_ok("p(99.9)<=1.5s");
    assert_true(t.percentile == 99.9 && t.op == HN_TH_LE && t.limit == 1500000);
    t = parse_ok("error_rate < 1%");
    assert_true(t.metric == HN_TH_ERROR_RATE && fabs(t.limit - 0.01) < 1e-12);
    t = parse_ok("error_rate <= 0.05");
    assert_true(fabs(t.limit - 0.05) < 1e-12);
    t = parse_ok("rps > 150");
    assert_true(t.metric == HN_TH_RPS && t.op == HN_TH_GT && t.limit == 150);
    t = parse_ok("rps >= 600/m");
    assert_true(t.op == HN_TH_GE && t.limit == 10);
    t = parse_ok("dropped < 1");
    assert_true(t.metric == HN_TH_DROPPED && t.limit == 1);
    t = parse_ok("avg < 200ms");
    assert_int_equal(t.metric, HN_TH_AVG);
    t = parse_ok("med < 200ms");
    assert_int_equal(t.metric, HN_TH_MED);
    t = parse_ok("max < 2s");
    assert_int_equal(t.metric, HN_TH_MAX);
    /* Scoped to one entry; a name may hold ": " and ':' (URLs). */
    t = parse_ok("GET /api/orders: p(95) < 800ms");
    assert_string_equal(t.method, "GET");
    assert_string_equal(t.name, "/api/orders");
    t = parse_ok("GET http://other:81/x: y: max < 1s");
    assert_string_equal(t.name, "http://other:81/x: y");
    assert_string_equal(t.expr, "GET http://other:81/x: y: max < 1s");
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_bad("p95 < 500ms", "unknown metric", 0);
    parse_bad("p(0) < 1s", "a percentile is p(N) with 0 < N <= 100", 0);
    parse_bad("p(101) < 1s", "a percentile is p(N) with 0 < N <= 100", 0);
    parse_bad("pp < 1s", "unknown metric", 0);
    parse_bad("p(95) = 500ms", "expected <, <=, > or >=", 6);
    parse_bad("p(95) < fast", "not a duration", 8);
    /* 800 s here, 800 ms in k6: a unit must be written */
    parse_bad("p(95) < 800", "'800' has no unit: write 800ms or 800s", 8);
    parse_bad("avg < 0.5", "no unit", 6);
    parse_bad("p(95) <", "value is missing", 7);
    parse_bad("error_rate < 120%", "at most 100%", 13);
    parse_bad("error_rate < -1", "not a rate", 13);
    parse_bad("rps > lots", "not a rate", 6);
    parse_bad("dropped < 1.5", "not a whole number", 10);
    parse_bad("GET /x: dropped < 1", "whole run only", 0);
    parse_bad("/x: p(95) < 1s", "a scope is METHOD NAME", 0);
    char longer[HN_THRESHOLD_EXPR_MAX + 10];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    parse_bad(longer, "longer than", 0);
}

/* One snapshot: @n requests of @method @name, @failures of them failed,
 * every one taking @us (service time) and, when @intended_us, that much
 * from the intended start. */
static void feed(struct hn_stats *st, uint64_t now_ms, const char *method, const char *name,
                 uint64_t n, uint64_t failures, uint64_t us, uint64_t intended_us)
{
    struct hn_hist *total = hn_hist_new(), *intended = hn_hist_new();
    assert_non_null(total);
    assert_non_null(intended);
    hn_hist_record_n(total, us, n);
    hn_hist_record_n(intended, intended_us, n);
    struct hn_msg_entry e = {.requests = n, .failures = failures};
    strcpy(e.method, method);
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = total;
    if (intended_us)
        e.hist[HN_TIMING_INTENDED] = intended;
    feed_snapshot(st, now_ms, &e, 1, NULL, 0);
    hn_hist_free(total);
    hn_hist_free(intended);
}

static struct hn_threshold_result eval(const char *expr, struct hn_stats *st, uint64_t now_ms,
                                       uint64_t dropped)
{
    struct hn_threshold t = parse_ok(expr);
    struct hn_threshold_inputs in = {st, now_ms, dropped};
    struct hn_threshold_result r;
    hn_threshold_eval(&t, &in, &r);
    return r;
}

static void test_eval(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(1000000, &st), 0);
    /* Nothing measured yet: no data, which does not pass. */
    struct hn_threshold_result r = eval("p(95) < 1s", st, 1000000, 0);
    assert_true(isnan(r.observed));
    assert_false(r.pass);
    feed(st, 1001000, "GET", "/a", 90, 0, 10000, 0);  /* 90 × 10 ms */
    feed(st, 1002000, "POST", "/b", 10, 5, 900000, 0); /* 10 × 900 ms, 5 failed */
    hn_stats_tick(st, 1010000);
    r = eval("p(95) < 500ms", st, 1010000, 0);
    assert_false(r.pass);
    assert_true(r.observed >= 899000 && r.observed <= 901000);
    assert_true(eval("p(90) < 500ms", st, 1010000, 0).pass);
    r = eval("error_rate < 1%", st, 1010000, 0);
    assert_true(fabs(r.observed - 0.05) < 1e-12);
    assert_false(r.pass);
    assert_true(eval("error_rate <= 5%", st, 1010000, 0).pass);
    /* 100 requests in the 10 s since the store began (the reports of
     * the seconds after the second said nothing more). */
    feed_snapshot(st, 1010000, NULL, 0, NULL, 0);
    r = eval("rps >= 10", st, 1010000, 0);
    assert_true(fabs(r.observed - 10.0) < 1e-9);
    assert_true(r.pass);
    r = eval("avg < 100ms", st, 1010000, 0);
    assert_true(fabs(r.observed - 99000) < 1000); /* (90 × 10 + 10 × 900) / 100 ms */
    assert_true(eval("GET /a: max < 11ms", st, 1010000, 0).pass);
    assert_false(eval("POST /b: med < 800ms", st, 1010000, 0).pass);
    /* A scope nothing was recorded under: no data. */
    assert_true(isnan(eval("GET /c: max < 1s", st, 1010000, 0).observed));
    assert_true(eval("dropped < 1", st, 1010000, 0).pass);
    r = eval("dropped < 1", st, 1010000, 3);
    assert_false(r.pass);
    assert_true(r.observed == 3);
    hn_stats_free(st);
}

/* A steady 200/s: each second's report comes as it ends, so at 2.9 s the
 * store holds 2 s of requests, which is 200/s, not 138/s (400 / 2.9). */
static void test_rps_to_latest_report(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(0, &st), 0);
    feed(st, 1000, "GET", "/", 200, 0, 1000, 0);
    hn_stats_tick(st, 1000);
    feed(st, 2000, "GET", "/", 200, 0, 1000, 0);
    hn_stats_tick(st, 2000);
    struct hn_threshold_result r = eval("rps > 150", st, 2900, 0);
    assert_true(fabs(r.observed - 200.0) < 1e-9);
    assert_true(r.pass);
    hn_stats_free(st);
}

static void test_eval_on_intended_latency(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(0, &st), 0);
    /* Service 1 ms, but 600 ms late from the schedule: the store shows the
     * latency from the intended start, and thresholds judge it. */
    feed(st, 1000, "GET", "/", 100, 0, 1000, 600000);
    hn_stats_tick(st, 2000);
    assert_true(hn_stats_shows_intended(st));
    assert_false(eval("p(99) < 500ms", st, 2000, 0).pass);
    hn_stats_free(st);
    /* --latency service: the service time. */
    assert_int_equal(hn_stats_new(0, &st), 0);
    hn_stats_set_latency(st, HN_STATS_LATENCY_SERVICE);
    feed(st, 1000, "GET", "/", 100, 0, 1000, 600000);
    hn_stats_tick(st, 2000);
    assert_false(hn_stats_shows_intended(st));
    assert_true(eval("p(99) < 500ms", st, 2000, 0).pass);
    hn_stats_free(st);
    /* Some requests without an intended start (closed model): service. */
    assert_int_equal(hn_stats_new(0, &st), 0);
    feed(st, 1000, "GET", "/", 100, 0, 1000, 0);
    hn_stats_tick(st, 2000);
    assert_false(hn_stats_shows_intended(st));
    hn_stats_free(st);
}

static void test_format(void **state)
{
    (void)state;
    char buf[48];
    struct hn_threshold t = parse_ok("p(95) < 1s");
    assert_string_equal(hn_threshold_format(&t, 812500, buf, sizeof(buf)), "812.500 ms");
    assert_string_equal(hn_threshold_format(&t, NAN, buf, sizeof(buf)), "no data");
    t = parse_ok("error_rate < 1%");
    assert_string_equal(hn_threshold_format(&t, 0.0052, buf, sizeof(buf)), "0.520 %");
    t = parse_ok("rps > 1");
    assert_string_equal(hn_threshold_format(&t, 1520.34, buf, sizeof(buf)), "1520.3/s");
    t = parse_ok("dropped < 1");
    assert_string_equal(hn_threshold_format(&t, 3, buf, sizeof(buf)), "3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_rps_to_latest_report),
        cmocka_unit_test(test_eval_on_intended_latency),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
