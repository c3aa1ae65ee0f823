/* Unit tests for the report writers that describe a whole run, fed a
 * synthetic run: a store with two entries (one with failures), two
 * thresholds (one failing), dropped iterations, two workers (one lost, one
 * flagged for a stall) and their events. JSON (report_json.c), JUnit
 * (report_junit.c), Markdown (report_md.c) and the Prometheus text
 * (metrics_text.c); also names that need escaping in each format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "journal.h"
#include "metrics_text.h"
#include "registry.h"
#include "report.h"
#include "report_json.h"
#include "stats-feed.h"
#include "stats.h"
#include "thresholds.h"

#define T0 UINT64_C(1700000000000)
#define ODD_NAME "/a|b\"c\\d<e>&"

struct run {
    struct hn_stats *st;
    struct hn_registry reg;
    struct hn_journal j;
    struct hn_threshold th[2];
    struct hn_threshold_result res[2];
    struct hn_report_moment m;
    struct hn_report_run info;
};

static void feed(struct hn_stats *st, const char *name, uint64_t us, uint64_t n, uint64_t failures,
                 uint64_t dropped)
{
    struct hn_hist *h = hn_hist_new();
    hn_hist_record_n(h, us, n);
    struct hn_msg_entry e = {.requests = n, .failures = failures, .bytes_received = 10 * n};
    strcpy(e.method, "GET");
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = h;
    struct hn_msg_error err = {.count = failures};
    strcpy(err.method, "GET");
    strcpy(err.name, name);
    strcpy(err.error, "HTTP 503");
    feed_snapshot_dropped(st, T0 + 500, &e, 1, &err, failures ? 1 : 0, dropped);
    hn_hist_free(h);
}

static void add_worker(struct hn_registry *reg, const char *id, bool final)
{
    struct hn_msg_hello h = {.pid = 42, .cpus = 2, .capacity = 100};
    strcpy(h.worker_id, id);
    strcpy(h.hostname, "host");
    strcpy(h.version, "0.1.0");
    struct hn_worker *w;
    assert_int_equal(hn_registry_add(reg, id, strlen(id), id, false, &h, 0, &w), 0);
    w->loaded = true; /* its HEARTBEAT said LOADED */
    w->final_received = final;
    w->cpu_permille = 500;
}

static struct run *make_run(void)
{
    struct run *r = calloc(1, sizeof(*r));
    assert_int_equal(hn_stats_new(T0, &r->st), 0);
    feed(r->st, "/ok", 2000, 90, 0, 3);
    feed(r->st, ODD_NAME, 40000, 10, 4, 4);
    hn_stats_tick(r->st, T0 + 1000);
    hn_registry_init(&r->reg, 16);
    add_worker(&r->reg, "w-0", true);
    add_worker(&r->reg, "w-1", false);
    r->reg.workers[0].reports_lost = 2; /* two of w-0's reports never arrived */
    assert_int_equal(hn_journal_init(&r->j), 0);
    r->j.quiet = true;
    hn_journal_event(&r->j, T0 + 100, 0, HN_JEV_JOINED, "w-0 on host");
    hn_journal_event(&r->j, T0 + 100, 1, HN_JEV_JOINED, "w-1 on host");
    struct hn_msg_heartbeat hb = {.cpu_permille = 500, .loop_lag_ms = 2500};
    hn_journal_heartbeat(&r->j, T0 + 800, 0, "w-0", 2, &hb);
    hn_journal_event(&r->j, T0 + 900, 1, HN_JEV_LOST, "no final report");
    assert_int_equal(hn_journal_sample(&r->j, r->st, T0 + 1000, 5, 2), 0);
    char why[128];
    size_t at;
    assert_int_equal(hn_threshold_parse("p(95) < 30ms", &r->th[0], why, sizeof(why), &at), 0);
    assert_int_equal(hn_threshold_parse("error_rate < 10%", &r->th[1], why, sizeof(why), &at), 0);
    r->res[0] = (struct hn_threshold_result){40000, false};
    r->res[1] = (struct hn_threshold_result){0.04, true};
    r->m = (struct hn_report_moment){
        .now_ms = T0 + 2000,
        .users = 0,
        .workers = 1,
        .run_id = "run-1",
        .started_ms = T0,
        .run_time_ms = 2000,
        .thresholds = r->th,
        .threshold_results = r->res,
        .n_thresholds = 2,
        .workers_list = &r->reg,
    };
    r->info = (struct hn_report_run){.host = "http://127.0.0.1:1",
                                     .load = "5 users at 5/s",
                                     .stop_timeout_ms = 10000,
                                     .journal = &r->j};
    return r;
}

static void free_run(struct run *r)
{
    hn_stats_free(r->st);
    hn_registry_deinit(&r->reg);
    hn_journal_deinit(&r->j);
    free(r);
}

static void test_json(void **state)
{
    (void)state;
    struct run *r = make_run();
    json_t *d = hn_report_json_build(r->st, &r->m, &r->info);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "format")), "hornet-report");
    json_t *t = json_object_get(d, "totals");
    assert_int_equal(json_integer_value(json_object_get(t, "requests")), 100);
    assert_int_equal(json_integer_value(json_object_get(t, "failures")), 4);
    json_t *p = json_object_get(json_object_get(t, "latency_us"), "percentiles");
    assert_int_equal(json_integer_value(json_object_get(p, "95")), 40000);
    assert_int_equal(json_integer_value(json_object_get(p, "50")), 2000);
    assert_int_equal(json_integer_value(json_object_get(d, "dropped_iterations")), 7);
    json_t *th = json_object_get(d, "thresholds");
    assert_int_equal(json_array_size(th), 2);
    json_t *t0 = json_array_get(th, 0);
    assert_string_equal(json_string_value(json_object_get(t0, "metric")), "p(95)");
    assert_false(json_boolean_value(json_object_get(t0, "pass")));
    assert_true(json_real_value(json_object_get(t0, "observed")) == 40000.0);
    assert_string_equal(json_string_value(json_object_get(t0, "unit")), "us");
    assert_true(json_boolean_value(json_object_get(json_array_get(th, 1), "pass")));
    json_t *w = json_object_get(d, "workers");
    assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "state")),
                        "finished");
    assert_string_equal(json_string_value(json_object_get(json_array_get(w, 1), "state")), "lost");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(w, 0), "reports_lost")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(w, 1), "reports_lost")), 0);
    json_t *warn = json_object_get(json_array_get(w, 0), "warnings");
    assert_string_equal(json_string_value(json_array_get(warn, 0)), "stall");
    json_t *gw = json_object_get(d, "generator_warnings");
    assert_int_equal(json_array_size(gw), 1);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(gw, 0), "message")),
                           "worker 0 (w-0)"));
    json_t *ev = json_object_get(d, "events");
    assert_int_equal(json_array_size(ev), 4); /* 2 joined, the stall, lost */
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 3), "kind")), "lost");
    json_t *tl = json_object_get(d, "timeline");
    assert_int_equal(json_array_size(json_object_get(tl, "requests")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(tl, "requests"), 0)), 100);
    /* the odd name survives as it is */
    json_t *e = json_array_get(json_object_get(d, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "name")), ODD_NAME);
    json_decref(d);
    free_run(r);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    buf[size] = '\0';
    return buf;
}

/* Run one end-of-run writer into a temporary file and return the file. */
static char *write_one(struct run *r,
                       int (*add)(struct hn_reports *, const char *, const struct hn_report_run *))
{
    char dir[] = "/tmp/hn-test-writers-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/out", dir);
    struct hn_reports rs = {0};
    assert_int_equal(add(&rs, path, &r->info), 0);
    assert_int_equal(hn_reports_final(&rs, r->st, &r->m), 0);
    hn_reports_close(&rs);
    char *text = slurp(path);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    return text;
}

static void test_junit(void **state)
{
    (void)state;
    struct run *r = make_run();
    /* CR and DEL are XML 1.0 characters: kept, as references (CR was '?') */
    r->info.load = "a\r\nb\x7f\x01";
    char *x = write_one(r, hn_report_junit_add);
    assert_non_null(strstr(x, "<property name=\"load\" value=\"a&#13;&#10;b&#127;?\"/>"));
    /* run + 2 thresholds + 1 entry with failures; 3 of them fail */
    assert_non_null(strstr(x, "<testsuite name=\"hornet load test\" tests=\"4\" failures=\"3\""));
    assert_non_null(
        strstr(x, "<testcase classname=\"hornet.thresholds\" name=\"p(95) &lt; 30ms\""));
    assert_non_null(strstr(x, "<failure type=\"threshold\" message=\"observed 40.000 ms\"/>"));
    assert_non_null(strstr(x, "name=\"error_rate &lt; 10%\" time=\"0\">\n      <system-out>"));
    assert_non_null(strstr(x, "name=\"GET /a|b&quot;c\\d&lt;e&gt;&amp;\""));
    assert_non_null(strstr(x, "message=\"4 of 10 requests failed (40.00 %)\">HTTP 503: 4&#10;"));
    assert_non_null(strstr(x, "message=\"1 of 2 thresholds failed; 4 of 100 requests failed\""));
    free(x);
    free_run(r);
}

/* The HTML page carries the JSON document in a <script> element: no '<'
 * may appear in it (after "<!--", even "<script" changes how the browser
 * reads the rest), yet it must parse back to the same names. */
static void test_html_data(void **state)
{
    (void)state;
    struct run *r = make_run();
    char *page = write_one(r, hn_report_html_add);
    const char *open = "<script type=\"application/json\" id=\"hornet-data\">";
    char *data = strstr(page, open);
    assert_non_null(data);
    data += strlen(open);
    char *end = strstr(data, "</script>");
    assert_non_null(end);
    *end = '\0';
    assert_null(strpbrk(data, "<>&"));
    assert_non_null(strstr(data, "\\u003ce\\u003e\\u0026"));
    json_error_t err;
    json_t *d = json_loads(data, 0, &err);
    assert_non_null(d);
    json_t *e = json_array_get(json_object_get(d, "entries"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "name")), ODD_NAME);
    json_decref(d);
    free(page);
    free_run(r);
}

/* --exit-code-on-error 0: failed requests do not fail the run, so the CI
 * reports do not fail it either; a failed threshold still does. */
static void test_errors_pass(void **state)
{
    (void)state;
    struct run *r = make_run();
    r->m.errors_pass = true;
    char *x = write_one(r, hn_report_junit_add);
    assert_non_null(strstr(x, "message=\"1 of 2 thresholds failed\""));
    assert_null(strstr(x, "of 100 requests failed\""));
    free(x);
    r->res[0].pass = true;
    x = write_one(r, hn_report_junit_add);
    assert_non_null(strstr(x, "<testcase classname=\"hornet.run\""));
    assert_null(strstr(x, "<failure type=\"run\""));
    free(x);
    char *md = write_one(r, hn_report_summary_md_add);
    assert_null(strstr(md, "❌ failed"));
    free(md);
    free_run(r);
}

/* A master that fell behind fails the run (exit 3): the reports say so too. */
static void test_behind(void **state)
{
    (void)state;
    struct run *r = make_run();
    r->m.behind = true;
    r->m.lag_max_ms = 12000;
    char *x = write_one(r, hn_report_junit_add);
    assert_non_null(strstr(x, "1 of 2 thresholds failed; the master fell behind its workers: "
                              "results may be incomplete; 4 of 100 requests failed"));
    free(x);
    json_t *d = hn_report_json_build(r->st, &r->m, &r->info);
    json_t *lag = json_object_get(d, "master_lag");
    assert_true(json_boolean_value(json_object_get(lag, "fell_behind")));
    assert_int_equal(json_integer_value(json_object_get(lag, "max_ms")), 12000);
    json_decref(d);
    free_run(r);
}

static void test_markdown(void **state)
{
    (void)state;
    struct run *r = make_run();
    char *md = write_one(r, hn_report_summary_md_add);
    assert_non_null(strstr(md, "## Hornet load test: ❌ failed\n"));
    assert_non_null(strstr(md, "| ❌ | p(95) \\< 30ms | 40.000 ms |"));
    assert_non_null(strstr(md, "| ✅ | error\\_rate \\< 10% | 0.040 % |") ||
                    strstr(md, "| ✅ | error\\_rate \\< 10% |"));
    /* & and $ too: "&amp;" rendered as "&", "$x$" as math */
    assert_non_null(strstr(md, "| GET | /a\\|b\"c\\\\d\\<e\\>\\& | 10 | 4 |"));
    assert_non_null(strstr(md, "- worker 1 (w-1): lost"));
    assert_non_null(strstr(md, "- worker 0 (w-0): 2 of its reports never arrived: about 2 s of its "
                               "requests are not in the totals; stalled 1 time (2.5 s in all): its "
                               "latencies"));
    free(md);
    free_run(r);
}

static void test_metrics(void **state)
{
    (void)state;
    struct run *r = make_run();
    /* Names that differ only in a control character: each its own series
     * (a label value may hold any character but \\, " and a line feed,
     * which are escaped; these once all became "x?y", one series thrice). */
    feed(r->st, "x\ty", 2000, 3, 0, 0);
    feed(r->st, "x\ry", 2000, 4, 0, 0);
    feed(r->st, "x\001y", 2000, 5, 0, 0);
    /* The same expression twice (the file's and --threshold's): one series. */
    /* And one with no data yet: NaN, not 0 (an alert on == 0 would fire
     * at every run's start). */
    struct hn_threshold th[4] = {r->th[0], r->th[1], r->th[0], r->th[1]};
    snprintf(th[3].expr, sizeof(th[3].expr), "rps > 1");
    struct hn_threshold_result res[4] = {r->res[0], r->res[1], r->res[0], {NAN, false}};
    struct hn_metrics_state s = {.run_id = "run-1",
                                 .st = r->st,
                                 .reg = &r->reg,
                                 .journal = &r->j,
                                 .thresholds = th,
                                 .threshold_results = res,
                                 .n_thresholds = 4};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(hn_metrics_render(f, &s), 0);
    fclose(f);
    assert_non_null(strstr(text, "# TYPE hornet_request_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "hornet_requests_total{method=\"GET\",name=\"/ok\"} 90\n"));
    /* the odd name: quote and backslash escaped */
    assert_non_null(strstr(text, "name=\"/a|b\\\"c\\\\d<e>&\"} 10\n"));
    /* 2 ms requests: in the 2.5 ms bucket, not in the 1 ms one */
    assert_non_null(strstr(text, "{method=\"GET\",name=\"/ok\",le=\"0.001\"} 0\n"));
    assert_non_null(strstr(text, "{method=\"GET\",name=\"/ok\",le=\"0.0025\"} 90\n"));
    assert_non_null(strstr(
        text, "hornet_request_duration_seconds_sum{method=\"GET\",name=\"/ok\"} 0.180000\n"));
    assert_non_null(strstr(text, "hornet_dropped_iterations_total 7\n"));
    const char *pass = strstr(text, "hornet_threshold_pass{expression=\"p(95) < 30ms\"} 0\n");
    assert_non_null(pass);
    assert_null(strstr(pass + 1, "hornet_threshold_pass{expression=\"p(95) < 30ms\"}"));
    assert_non_null(strstr(text, "hornet_threshold_pass{expression=\"error_rate < 10%\"} 1\n"));
    assert_non_null(strstr(text, "hornet_threshold_pass{expression=\"rps > 1\"} NaN\n"));
    assert_non_null(strstr(text, "hornet_workers 1\n")); /* w-1 has no final but is active */
    assert_non_null(strstr(text, "hornet_worker_generator_warning{worker=\"0\",id=\"w-0\",host="
                                 "\"host\",kind=\"stall\"} 1\n"));
    assert_null(strstr(text, "Aggregated"));
    assert_non_null(strstr(text, "hornet_requests_total{method=\"GET\",name=\"x\ty\"} 3\n"));
    assert_non_null(strstr(text, "hornet_requests_total{method=\"GET\",name=\"x\ry\"} 4\n"));
    assert_non_null(strstr(text, "hornet_requests_total{method=\"GET\",name=\"x\001y\"} 5\n"));
    free(text);
    free_run(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_behind),
        cmocka_unit_test(test_errors_pass),
        cmocka_unit_test(test_html_data),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
