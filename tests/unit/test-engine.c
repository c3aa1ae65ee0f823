/* End-to-end tests of the worker engine (worker/pool.h): virtual users run
 * scenarios against a tiny HTTP/1.1 server thread inside this process; the
 * server's own counts and its log of requests (URLs, headers and bodies as
 * rendered) are checked against the pool's snapshots (counts, failures by
 * kind and by text, exceptions). Tests assert behaviour, never timing:
 * every run is bounded by a generous deadline that fails the test.
 * HN_TEST_ENGINE=fast runs every test on the fast path where a step is
 * eligible (cookies off unless a test turns them on), =curl (the default)
 * on full libcurl transfers: both must pass the same tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "fastpath.h"
#include "grants.h"
#include "http.h"
#include "pool.h"

#include "http-stub.h"
#include "scenario-build.h"

/* ---- Driving a pool on a libev loop ---- */

/* Bound of every wait for a condition: generous, so that a loaded machine
 * (ASan, other builds running) makes a test slower, never fails it. Tests
 * check behaviour (counts, order, rates against measured time), not how
 * soon something happened. */
#define WAIT_S 30.0

struct run {
    struct srv *srv;
    struct ev_loop *loop;
    struct hn_scenario *sc;
    struct hn_plan *plan;
    struct hn_grants *grants; /* local: ids from 1, rows dealt here */
    struct hn_pool *pool;
    struct hn_recorder sum; /* every snapshot added up */
    uint32_t snapshots, drained_calls;
    bool snap_pending, drained, final_requested, final_done;
    ev_tstamp last_snap, drained_at;
    ev_timer tick;
    bool (*until)(struct run *r);
    ev_tstamp deadline;
    bool timed_out;
    /* phases_at_final: on_snapshot keeps the phases for the final one (as a
     * worker does between the reports that carry them), and checks each
     * time that they hold every request so far (phases_wrong counts the
     * times they did not). */
    bool phases_at_final;
    uint64_t requests_so_far, phases_wrong;
};

/* Snapshot every 100 ms; once drained, one last snapshot holds the rest. */
static void maybe_snapshot(struct run *r)
{
    if (r->snap_pending || r->final_requested)
        return;
    ev_tstamp now = ev_now(r->loop);
    if (!r->drained && now - r->last_snap < 0.1)
        return;
    if (hn_pool_snapshot(r->pool) == 0) {
        r->snap_pending = true;
        r->last_snap = now;
        r->final_requested = r->drained;
    }
}

static void check_done(struct run *r)
{
    if (r->until && r->until(r))
        ev_break(r->loop, EVBREAK_ALL);
    else if (ev_now(r->loop) >= r->deadline) {
        r->timed_out = r->until != NULL;
        ev_break(r->loop, EVBREAK_ALL);
    }
}

static bool on_snapshot(void *ctx, const struct hn_recorder *merged)
{
    struct run *r = ctx;
    bool final = r->final_requested;
    if (r->phases_at_final) {
        r->requests_so_far += hn_recorder_requests(merged);
        uint64_t ttfb = 0;
        for (uint32_t i = 0; i < merged->n_entries; i++)
            ttfb += merged->entries[i].timing[HN_TIMING_TTFB].total;
        r->phases_wrong += ttfb != r->requests_so_far; /* each request has one */
    }
    hn_recorder_merge(&r->sum, merged); /* its phases: not checked then */
    r->snapshots++;
    r->snap_pending = false;
    r->final_done = final;
    maybe_snapshot(r);
    check_done(r);
    return !r->phases_at_final || final; /* else every phase taken each time */
}

static void on_drained(void *ctx)
{
    struct run *r = ctx;
    r->drained = true;
    r->drained_calls++;
    r->drained_at = ev_now(r->loop);
    maybe_snapshot(r);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    maybe_snapshot(w->data);
    check_done(w->data);
}

/* Run the loop until @until holds (false if @max_s passed first), or for
 * @max_s exactly when @until is NULL. */
static bool run_until(struct run *r, bool (*until)(struct run *), double max_s)
{
    ev_now_update(r->loop);
    r->until = until;
    r->deadline = ev_now(r->loop) + max_s;
    r->timed_out = false;
    if (!until || !until(r))
        ev_run(r->loop, 0);
    r->until = NULL;
    return !r->timed_out;
}

static void run_for(struct run *r, double s)
{
    run_until(r, NULL, s);
}

static bool is_final(struct run *r)
{
    return r->final_done;
}

/* Graceful stop; true once drained and the last snapshot is in. */
static bool stop_and_drain(struct run *r, uint64_t timeout_ms)
{
    hn_pool_stop(r->pool, timeout_ms);
    return run_until(r, is_final, WAIT_S);
}

/* The transport under test (HN_TEST_ENGINE). */
static bool fast_engine(void)
{
    const char *e = getenv("HN_TEST_ENGINE");
    return e && strcmp(e, "fast") == 0;
}

static int setup(void **state)
{
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->srv = srv_start();
    r->loop = ev_loop_new(EVFLAG_AUTO);
    r->sc = hn_scenario_new();
    r->sc->engine = fast_engine() ? HN_ENGINE_AUTO : HN_ENGINE_CURL;
    r->sc->cookies = !fast_engine();
    char host[64];
    snprintf(host, sizeof(host), "http://127.0.0.1:%u", r->srv->port);
    r->sc->host = hn_model_strdup(host);
    ev_timer_init(&r->tick, on_tick, 0.01, 0.01);
    r->tick.data = r;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct run *r = *state;
    hn_pool_free(r->pool);
    hn_grants_free(r->grants);
    ev_timer_stop(r->loop, &r->tick);
    hn_plan_free(r->plan);
    hn_recorder_deinit(&r->sum);
    hn_scenario_free(r->sc);
    ev_loop_destroy(r->loop);
    srv_stop(r->srv);
    free(r);
    return 0;
}

static struct hn_user_class *add_class(struct run *r, struct hn_wait wait)
{
    struct hn_user_class *c = hn_scenario_add_class(r->sc);
    assert_non_null(c);
    c->name = hn_model_strdup("c");
    c->wait = wait;
    return c;
}

/* A step whose URL is a template; its stats name is the template as
 * written. */
static struct hn_step *add_tpl_step(struct run *r, struct hn_task *t, const char *method,
                                    const char *url)
{
    struct hn_step *st = scenario_add_step(t, method, "/");
    scenario_compile(r->sc, &st->url, url, HN_ESC_URL);
    return st;
}

static void add_header(struct run *r, struct hn_header **h, uint32_t *n, const char *name,
                       const char *value)
{
    struct hn_header *hd = hn_headers_add(h, n);
    assert_non_null(hd);
    hd->name = hn_model_strdup(name);
    scenario_compile(r->sc, &hd->value, value, HN_ESC_HEADER);
}

static void set_body(struct run *r, struct hn_step *st, enum hn_body_kind kind, const char *body)
{
    st->body_kind = (uint8_t)kind;
    scenario_compile(r->sc, &st->body, body,
                     kind == HN_BODY_JSON   ? HN_ESC_JSON
                     : kind == HN_BODY_FORM ? HN_ESC_FORM
                                            : HN_ESC_NONE);
}

static void add_capture(struct run *r, struct hn_step *st, const char *var,
                        enum hn_capture_kind kind, const char *expr)
{
    struct hn_capture *c = hn_step_add_capture(st);
    assert_non_null(c);
    assert_int_equal(hn_scenario_var(r->sc, var, &c->var), 0);
    c->kind = (uint8_t)kind;
    c->expr = hn_model_strdup(expr);
}

static void add_json_check(struct hn_step *st, const char *path, const char *want,
                           enum hn_json_type type)
{
    struct hn_check_json *c = hn_step_add_json_check(st);
    assert_non_null(c);
    c->path = hn_model_strdup(path);
    c->want = hn_model_strdup(want);
    c->want_type = (uint8_t)type;
}

/* A data feeder of one column @col whose rows are @cells. */
static void add_feeder(struct run *r, const char *name, enum hn_feeder_order order, const char *col,
                       const char *const *cells, uint32_t rows)
{
    struct hn_feeder *f = hn_scenario_add_feeder(r->sc);
    assert_non_null(f);
    f->name = hn_model_strdup(name);
    f->order = (uint8_t)order;
    f->columns = calloc(1, sizeof(*f->columns));
    f->columns[0] = hn_model_strdup(col);
    f->n_columns = 1;
    f->cells = calloc(rows, sizeof(*f->cells));
    for (uint32_t i = 0; i < rows; i++)
        f->cells[i] = hn_model_strdup(cells[i]);
    f->n_rows = rows;
    f->rows_shipped = true;
}

static struct hn_task *add_task(struct hn_user_class *c, uint32_t weight, const char *url)
{
    struct hn_task *t = hn_class_add_task(c);
    assert_non_null(t);
    t->weight = weight;
    scenario_add_step(t, "GET", url);
    return t;
}

/* Build the plan and start @threads engines seeded with @seed. @local: the
 * worker deals its own user ids and rows (hn_grants_new), as in a run
 * without a master; else they come only in GRANTs (hn_grants_add). */
static void begin(struct run *r, uint32_t threads, bool local, uint64_t seed)
{
    char why[256] = "";
    if (hn_scenario_finalize(r->sc, why, sizeof(why)) ||
        hn_plan_build(r->sc, &r->plan, why, sizeof(why)))
        fail_msg("scenario: %s", why);
    /* Each step runs where the rules say: on the fast path exactly when
     * eligible, in the fast run. */
    for (uint32_t i = 0; i < r->plan->n_classes; i++) {
        const struct hn_plan_class *pc = &r->plan->classes[i];
        for (uint32_t t = 0; t <= pc->n_tasks; t++) {
            const struct hn_plan_task *task = t < pc->n_tasks ? &pc->tasks[t] : &pc->on_start;
            for (uint32_t k = 0; k < task->n_steps; k++)
                assert_int_equal(task->steps[k].fast,
                                 fast_engine() && hn_fast_uses(r->sc, pc->cls, task->steps[k].step));
        }
    }
    assert_int_equal(hn_recorder_init(&r->sum, r->sc->n_entries), 0);
    assert_int_equal(hn_grants_new(r->sc, local, &r->grants), 0);
    struct hn_pool_callbacks cb = {.on_snapshot = on_snapshot, .on_drained = on_drained, .ctx = r};
    assert_int_equal(hn_pool_new(r->loop, r->plan, threads, seed, r->grants, &cb, &r->pool), 0);
    assert_int_equal(hn_pool_threads(r->pool), threads);
    ev_timer_start(r->loop, &r->tick);
}

static void start(struct run *r, uint32_t threads, uint32_t users, double spawn_rate)
{
    begin(r, threads, true, 12345);
    hn_pool_set_target(r->pool, &users, 1, spawn_rate);
}

/* The open model: at most @users users, @rate iterations per second. */
static void start_open(struct run *r, uint32_t threads, uint32_t users, double rate,
                       uint64_t max_delay_ms)
{
    begin(r, threads, true, 12345);
    hn_pool_set_open(r->pool, &users, &rate, 1, max_delay_ms, ev_time(), INFINITY);
}

/* Recorded figures of (method, name). */
static const struct hn_rec_entry *rec(struct run *r, const char *method, const char *name)
{
    for (uint32_t i = 0; i < r->sc->n_entries; i++)
        if (!strcmp(r->sc->entries[i].method, method) && !strcmp(r->sc->entries[i].name, name))
            return &r->sum.entries[i];
    fail_msg("no entry %s %s", method, name);
    return NULL;
}

/* The recorder and the server agree on every entry and in total. */
static void assert_counts_agree(struct run *r)
{
    for (uint32_t i = 0; i < r->sc->n_entries; i++) {
        char key[96];
        snprintf(key, sizeof(key), "%s %s", r->sc->entries[i].method, r->sc->entries[i].name);
        if (r->sum.entries[i].requests != srv_count(r->srv, key))
            fail_msg("%s: recorded %llu, server counted %llu", key,
                     (unsigned long long)r->sum.entries[i].requests,
                     (unsigned long long)srv_count(r->srv, key));
    }
    assert_int_equal(hn_recorder_requests(&r->sum), srv_total(r->srv));
}

static uint64_t target_count;
static bool srv_reached(struct run *r)
{
    return srv_total(r->srv) >= target_count;
}

/* Requests recorded so far (failures included, and those not sent). */
static bool recorded_reached(struct run *r)
{
    return hn_recorder_requests(&r->sum) >= target_count;
}

/* Count of failure text @text recorded for (method, name). */
static uint64_t text_count(struct run *r, const char *method, const char *name, const char *text)
{
    const struct hn_rec_entry *e = rec(r, method, name);
    uint32_t entry = (uint32_t)(e - r->sum.entries);
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++) {
        const struct hn_rec_text *t = &r->sum.texts[i];
        if (t->len && t->entry == entry && t->len == strlen(text) && !memcmp(t->text, text, t->len))
            return t->count;
    }
    return 0;
}

/* Failure texts recorded for (method, name), all of them. */
static uint64_t texts_of(struct run *r, const char *method, const char *name)
{
    const struct hn_rec_entry *e = rec(r, method, name);
    uint32_t entry = (uint32_t)(e - r->sum.entries);
    uint64_t n = 0;
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
        if (r->sum.texts[i].len && r->sum.texts[i].entry == entry)
            n += r->sum.texts[i].count;
    return n;
}

/* Every failure of (method, name) has the text @text. */
static void assert_all_fail_with(struct run *r, const char *method, const char *name,
                                 const char *text)
{
    const struct hn_rec_entry *e = rec(r, method, name);
    uint64_t n = text_count(r, method, name, text);
    if (e->requests == 0 || e->failures != e->requests || n != e->requests) {
        char all[HN_PROTO_ERROR_MAX * 4] = "";
        size_t at = 0;
        uint32_t entry = (uint32_t)(e - r->sum.entries);
        for (uint32_t i = 0; i < HN_REC_TEXTS_MAX && at < sizeof(all); i++)
            if (r->sum.texts[i].len && r->sum.texts[i].entry == entry)
                at += (size_t)snprintf(all + at, sizeof(all) - at, " [%s]", r->sum.texts[i].text);
        fail_msg("%s %s: %llu requests, %llu failures, %llu with \"%s\"; texts:%s", method, name,
                 (unsigned long long)e->requests, (unsigned long long)e->failures,
                 (unsigned long long)n, text, all);
    }
}

static uint64_t exception_count(struct run *r, const char *message)
{
    for (uint32_t i = 0; i < r->sum.n_exceptions; i++)
        if (!strcmp(r->sum.exceptions[i].message, message))
            return r->sum.exceptions[i].count;
    return 0;
}

/* (method, name) was never sent: no request recorded, and exceptions
 * "METHOD NAME: @why". */
static void assert_not_sent(struct run *r, const char *method, const char *name, const char *why)
{
    char message[HN_PROTO_ERROR_MAX + 1];
    snprintf(message, sizeof(message), "%s %s: %s", method, name, why);
    assert_int_equal(rec(r, method, name)->requests, 0);
    if (exception_count(r, message) == 0)
        fail_msg("no exception \"%s\"", message);
}

/* No failure at all, by kind or by text. */
static void assert_no_failures(struct run *r)
{
    for (uint32_t i = 0; i < r->sc->n_entries; i++)
        if (r->sum.entries[i].failures)
            fail_msg(
                "%s %s: %llu failures (%llu by text)", r->sc->entries[i].method,
                r->sc->entries[i].name, (unsigned long long)r->sum.entries[i].failures,
                (unsigned long long)texts_of(r, r->sc->entries[i].method, r->sc->entries[i].name));
}

static const char *want_exception;
static uint64_t want_exceptions;
static bool exceptions_reached(struct run *r)
{
    return exception_count(r, want_exception) >= want_exceptions;
}

static uint32_t want_logged;
static bool logged_reached(struct run *r)
{
    return srv_logged(r->srv) >= want_logged;
}

/* The number after @prefix in @s (e.g. the user id in "/u/7/x"), or -1. */
static long number_after(const char *s, const char *prefix)
{
    const char *p = strstr(s, prefix);
    if (!p)
        return -1;
    char *end;
    long v = strtol(p + strlen(prefix), &end, 10);
    return end == p + strlen(prefix) ? -1 : v;
}

static const struct hn_wait no_wait = {.kind = HN_WAIT_NONE};

/* ---- Tests ---- */

/* Every user is past on_start, and target_count requests were served. */
static bool on_start_done(struct run *r)
{
    return srv_count(r->srv, "GET /me") == 3 && srv_total(r->srv) >= target_count;
}

/* Requests of user @id ("/PREFIX/<id>" targets) in the server's log, and
 * the times they arrived (up to @max). */
static uint32_t arrivals(struct run *r, const char *prefix, long id, double *at, uint32_t max)
{
    uint32_t n = 0, logged = srv_logged(r->srv);
    for (uint32_t i = 0; i < logged; i++) {
        struct srv_req q;
        srv_log_get(r->srv, i, &q);
        if (number_after(q.target, prefix) == id && n < max)
            at[n++] = q.at;
    }
    return n;
}

/* Recorder and server agree in total (for templated URLs, whose entries
 * are named by the template). */
static void assert_totals_agree(struct run *r)
{
    assert_int_equal(hn_recorder_requests(&r->sum), srv_total(r->srv));
}

static void test_on_start_once(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    /* A body: a POST without one is test_known_bug_post_without_body. */
    set_body(r, login, HN_BODY_FORM, "user=u1");
    login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("GET");
    assert_int_equal(hn_template_set_literal(&login->url, "/me"), 0);
    add_task(c, 1, "/a");
    start(r, 2, 3, 0);
    target_count = 300;
    assert_true(run_until(r, on_start_done, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(srv_count(r->srv, "POST /login"), 3);
    assert_int_equal(srv_count(r->srv, "GET /me"), 3);
    assert_int_equal(rec(r, "POST", "/login")->requests, 3);
    assert_int_equal(rec(r, "POST", "/login")->failures, 0);
    const struct hn_rec_entry *a = rec(r, "GET", "/a");
    assert_true(a->requests >= 290);
    assert_int_equal(a->failures, 0);
    assert_int_equal(a->bytes, 5 * a->requests); /* "hello" each */
    assert_int_equal(hn_hist_count(&a->timing[HN_TIMING_TOTAL]), a->requests);
    assert_counts_agree(r);
    assert_int_equal(hn_pool_users(r->pool), 0);
}

static void test_sequence_order(void **state)
{
    struct run *r = *state;
    enum { USERS = 4 };
    struct hn_task *t = add_task(add_class(r, no_wait), 1, "/a");
    scenario_add_step(t, "GET", "/b");
    scenario_add_step(t, "GET", "/c");
    start(r, 2, USERS, 0);
    target_count = 600;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    /* Per user a >= b >= c >= a - 1: a stop can cut one sequence short. */
    uint64_t a = srv_count(r->srv, "GET /a"), b = srv_count(r->srv, "GET /b"),
             c = srv_count(r->srv, "GET /c");
    if (!(a >= b && b >= c && c + USERS >= a))
        fail_msg("sequence out of order: /a %llu, /b %llu, /c %llu", (unsigned long long)a,
                 (unsigned long long)b, (unsigned long long)c);
}

static void test_weighted_tasks(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    add_task(c, 1, "/w1");
    add_task(c, 4, "/w4");
    start(r, 1, 4, 0);
    target_count = 5000;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    /* Share of /w1 is 0.2; its standard error is ~0.006 at 5000 requests. */
    double n1 = (double)rec(r, "GET", "/w1")->requests, n4 = (double)rec(r, "GET", "/w4")->requests;
    double share = n1 / (n1 + n4);
    if (share < 0.17 || share > 0.23)
        fail_msg("/w1 got %.3f of %.0f requests, want 0.20 +- 0.03", share, n1 + n4);
}

/* A constant wait spaces a user's iterations by at least its time (load
 * can only make the gaps longer). */
static void test_constant_wait(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c =
        add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 100});
    add_tpl_step(r, hn_class_add_task(c), "GET", "/t/{{user_id}}");
    start(r, 1, 2, 0);
    want_logged = 8;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_totals_agree(r);
    for (long id = 1; id <= 2; id++) {
        double at[64];
        uint32_t n = arrivals(r, "/t/", id, at, 64);
        assert_true(n >= 2);
        for (uint32_t k = 1; k < n; k++)
            if (at[k] - at[k - 1] < 0.09)
                fail_msg("user %ld: iterations %u and %u %.3f s apart with 100 ms waits", id, k - 1,
                         k, at[k] - at[k - 1]);
    }
}

static uint32_t want_users;
static bool users_reached(struct run *r)
{
    return hn_pool_users(r->pool) == want_users;
}

static void set_users(struct run *r, uint32_t users)
{
    want_users = users;
    hn_pool_set_target(r->pool, &users, 1, 0);
}

static void test_targets(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c =
        add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 200});
    add_tpl_step(r, hn_class_add_task(c), "GET", "/t/{{user_id}}");
    start(r, 2, 4, 0);
    want_users = 4;
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = 4;
    assert_true(run_until(r, srv_reached, WAIT_S));
    set_users(r, 1);
    assert_true(run_until(r, users_reached, WAIT_S));
    run_for(r, 0.3);
    set_users(r, 0);
    assert_true(run_until(r, users_reached, WAIT_S));
    /* Waiting users retire at once: once the engine has retired them, each
     * sends at most the request it had in flight, though a user still
     * waiting would fire every 200 ms. */
    double retired_at = srv_now();
    run_for(r, 0.7);
    for (long id = 1; id <= 4; id++) {
        double at[256];
        uint32_t n = arrivals(r, "/t/", id, at, 256), late = 0;
        for (uint32_t k = 0; k < n; k++)
            late += at[k] > retired_at;
        if (late > 1)
            fail_msg("user %ld sent %u requests after it retired", id, late);
    }
    uint64_t after = srv_total(r->srv);
    assert_false(r->drained); /* zero users is not a stop */
    /* Back up: retired users are reused and run again. */
    set_users(r, 3);
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = after + 3;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_totals_agree(r);
    /* The new users have new ids (5, 6, 7), in the slots of old ones. */
    assert_true(srv_count_prefix(r->srv, "GET /t/5") + srv_count_prefix(r->srv, "GET /t/6") +
                    srv_count_prefix(r->srv, "GET /t/7") >=
                3);
}

/* At 10 users/s, users start no faster than that: never more than the
 * first one plus 10 per second elapsed (and one for the engine loop's
 * cached time); load can only slow the ramp. */
static double ramp_t0;
static uint32_t ramp_too_fast;
static bool ramp_done(struct run *r)
{
    uint32_t users = hn_pool_users(r->pool);
    double elapsed = srv_now() - ramp_t0;
    if (users > 2 + (uint32_t)(10.0 * elapsed)) /* one more: loop time lags */
        ramp_too_fast++;
    return users == 6;
}

static void test_spawn_rate(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 50}), 1, "/t");
    ramp_t0 = srv_now();
    ramp_too_fast = 0;
    start(r, 1, 6, 10.0); /* one at once, then one per 100 ms: 0.5 s */
    assert_true(run_until(r, ramp_done, WAIT_S));
    assert_int_equal(ramp_too_fast, 0);
    double ramp_s = srv_now() - ramp_t0;
    if (ramp_s < 0.35)
        fail_msg("6 users at 10/s started in %.3f s", ramp_s);
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
}

static bool two_snapshots(struct run *r)
{
    return r->snapshots >= 2;
}

static void test_stop_exact(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    add_task(c, 1, "/a");
    scenario_add_step(add_task(c, 1, "/b"), "GET", "/c");
    start(r, 2, 4, 0);
    target_count = 100;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(run_until(r, two_snapshots, WAIT_S)); /* the run spans several */
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(r->drained_calls, 1);
    assert_int_equal(hn_pool_users(r->pool), 0);
    assert_true(srv_total(r->srv) > 100);
    /* Earlier snapshots plus the final one hold every request, exactly. */
    assert_counts_agree(r);
    uint64_t total = srv_total(r->srv);
    run_for(r, 0.2);
    assert_int_equal(srv_total(r->srv), total); /* nothing after the stop */
    assert_int_equal(r->drained_calls, 1);
}

static bool five_snapshots(struct run *r)
{
    return r->snapshots >= 5;
}

/* The pool empties the phases only after a snapshot whose callback says
 * they went: until then each snapshot's phases hold every request since
 * the start (a worker sends them in one report out of
 * HN_PROTO_PHASES_EVERY and in the FINAL), while its requests and TOTAL
 * are the interval's. */
static void test_phases_held(void **state)
{
    struct run *r = *state;
    r->phases_at_final = true;
    add_task(add_class(r, no_wait), 1, "/a");
    start(r, 2, 3, 0);
    assert_true(run_until(r, five_snapshots, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(r->phases_wrong, 0);
    assert_int_equal(r->requests_so_far, srv_total(r->srv));
    assert_true(r->requests_so_far > 0);
    assert_counts_agree(r);
    assert_int_equal(hn_hist_count(&rec(r, "GET", "/a")->timing[HN_TIMING_TOTAL]),
                     srv_total(r->srv));
}

static void test_http_500(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    add_task(c, 1, "/fail");
    add_task(c, 1, "/a");
    add_task(c, 1, "/status/404");
    add_task(c, 1, "/status/302"); /* below 400: a success without a check */
    start(r, 1, 2, 0);
    target_count = 300;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    const struct hn_rec_entry *f = rec(r, "GET", "/fail"), *a = rec(r, "GET", "/a");
    assert_true(f->requests > 0);
    assert_int_equal(f->failures, f->requests);
    assert_int_equal(f->fail_counts[500], f->requests);
    assert_int_equal(f->bytes, 4 * f->requests);
    assert_int_equal(texts_of(r, "GET", "/fail"), 0); /* a kind, not a text */
    assert_int_equal(a->failures, 0);
    const struct hn_rec_entry *nf = rec(r, "GET", "/status/404");
    assert_true(nf->requests > 0);
    assert_int_equal(nf->fail_counts[404], nf->requests);
    assert_int_equal(rec(r, "GET", "/status/302")->failures, 0);
}

/* check: {status: ...}: the statuses that pass, instead of "below 400";
 * a failure is told in words. */
static void test_check_status(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    assert_int_equal(hn_step_add_status(&add_task(c, 1, "/fail")->steps[0], 201), 0);
    struct hn_step *two = &add_task(c, 1, "/a")->steps[0];
    assert_int_equal(hn_step_add_status(two, 201), 0);
    assert_int_equal(hn_step_add_status(two, 202), 0);
    /* A 500 that is expected passes; so does a 200 among others. */
    assert_int_equal(hn_step_add_status(&add_task(c, 1, "/status/500")->steps[0], 500), 0);
    struct hn_step *ok = &add_task(c, 1, "/b")->steps[0];
    assert_int_equal(hn_step_add_status(ok, 204), 0);
    assert_int_equal(hn_step_add_status(ok, 200), 0);
    start(r, 1, 2, 0);
    target_count = 200;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    assert_all_fail_with(r, "GET", "/fail", "check status: got 500, want 201");
    assert_int_equal(rec(r, "GET", "/fail")->fail_counts[500], 0);
    assert_all_fail_with(r, "GET", "/a", "check status: got 200, want 201 or 202");
    assert_int_equal(rec(r, "GET", "/status/500")->failures, 0);
    assert_true(rec(r, "GET", "/status/500")->requests > 0);
    assert_int_equal(rec(r, "GET", "/b")->failures, 0);
}

static void test_connection_refused(void **state)
{
    struct run *r = *state;
    uint16_t port;
    close(listen_any(&port)); /* a port nobody listens on now */
    char host[64];
    snprintf(host, sizeof(host), "http://127.0.0.1:%u", port);
    free(r->sc->host);
    r->sc->host = hn_model_strdup(host);
    struct hn_task *t =
        add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 20}), 1, "/x");
    /* No response: a capture fails with the request, not on its own. */
    add_capture(r, &t->steps[0], "token", HN_CAPTURE_JSON, "$.token");
    start(r, 1, 1, 0);
    target_count = 3;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    const struct hn_rec_entry *e = rec(r, "GET", "/x");
    assert_true(e->requests >= 3);
    assert_int_equal(e->failures, e->requests);
    assert_int_equal(e->fail_counts[hn_fail_slot(HN_FAIL_CONN_REFUSED)], e->requests);
    assert_int_equal(texts_of(r, "GET", "/x"), 0);
    char name[64];
    assert_string_equal(hn_fail_name(hn_fail_slot(HN_FAIL_CONN_REFUSED), name, sizeof(name)),
                        "connection refused");
}

static void test_request_timeout(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, no_wait), 1, "/hang")->steps[0].timeout_ms = 150;
    double t0 = ev_time();
    start(r, 1, 1, 0);
    target_count = 2;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000)); /* the last one times out too */
    double elapsed = ev_time() - t0;
    assert_counts_agree(r);
    const struct hn_rec_entry *e = rec(r, "GET", "/hang");
    /* One user, one request at a time, each ended by its 150 ms timeout (or
     * the stop): no more than the time measured allows. */
    assert_true(e->requests >= 2);
    if (e->requests > (uint64_t)(elapsed / 0.15) + 1)
        fail_msg("%llu requests of 150 ms each in %.3f s", (unsigned long long)e->requests,
                 elapsed);
    assert_int_equal(e->fail_counts[hn_fail_slot(HN_FAIL_TIMEOUT)], e->requests);
}

static void test_abort_at_stop(void **state)
{
    struct run *r = *state;
    /* Requests that would hang for a minute: only the stop ends them. */
    add_task(add_class(r, no_wait), 1, "/hang")->steps[0].timeout_ms = 60000;
    start(r, 2, 2, 0);
    target_count = 2;
    assert_true(run_until(r, srv_reached, WAIT_S));
    ev_now_update(r->loop);
    ev_tstamp stop_at = ev_now(r->loop);
    assert_true(stop_and_drain(r, 200));
    /* Aborted at the stop timeout, not before (the requests hang). */
    double took = r->drained_at - stop_at;
    if (took < 0.15)
        fail_msg("drained %.3f s after a stop with a 200 ms timeout", took);
    assert_counts_agree(r);
    const struct hn_rec_entry *e = rec(r, "GET", "/hang");
    assert_int_equal(e->requests, 2);
    assert_int_equal(e->fail_counts[hn_fail_slot(HN_FAIL_ABORTED)], 2);
}

static void test_method_switching(void **state)
{
    struct run *r = *state;
    /* One easy handle per user runs every method in turn: options of the
     * previous step must not leak into the next (HEAD's no-body flag, a
     * POST's body into a bodyless PUT or DELETE). */
    struct hn_task *t = hn_class_add_task(add_class(r, no_wait));
    scenario_add_step(t, "HEAD", "/h");
    struct hn_step *post = scenario_add_step(t, "POST", "/p");
    set_body(r, post, HN_BODY_FORM, "x=1");
    scenario_add_step(t, "GET", "/g");
    scenario_add_step(t, "DELETE", "/d");
    scenario_add_step(t, "HEAD", "/h2");
    scenario_add_step(t, "PUT", "/u");
    set_body(r, scenario_add_step(t, "PATCH", "/echo"), HN_BODY_RAW, "");
    start(r, 1, 1, 0);
    target_count = 70;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r); /* every request arrived with its own method */
    uint64_t h = srv_count(r->srv, "HEAD /h");
    assert_true(h >= 10);
    assert_true(srv_count(r->srv, "PUT /u") + 1 >= h);
    assert_int_equal(rec(r, "HEAD", "/h")->bytes, 0);
    assert_int_equal(hn_recorder_requests(&r->sum) - srv_total(r->srv), 0);
    assert_no_failures(r);
    /* Bodies where they belong, and nowhere else. */
    uint32_t n = srv_logged(r->srv);
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        srv_log_get(r->srv, i, &q);
        if (!strcmp(q.method, "POST")) {
            assert_true(q.has_content_length);
            assert_int_equal(q.body_len, 3);
            assert_memory_equal(q.body, "x=1", 3);
        } else if (!strcmp(q.method, "PATCH")) { /* an empty body is still one */
            assert_true(q.has_content_length);
            assert_int_equal(q.body_len, 0);
        } else {
            if (q.has_content_length || q.body_len)
                fail_msg("%s %s carries a body", q.method, q.target);
            char te[64];
            assert_false(srv_req_header(&q, "Transfer-Encoding", te, sizeof(te)));
        }
    }
}

/* ---- templates, captures, checks ---- */

static const struct hn_wait short_wait = {.kind = HN_WAIT_CONSTANT, .min_ms = 10};

/* Templates in the URL and in headers are rendered per request: the user
 * id, random numbers, UUIDs. */
static void test_templates_per_request(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    struct hn_task *t = hn_class_add_task(c);
    struct hn_step *st = add_tpl_step(r, t, "GET", "/u/{{user_id}}/{{random 1 1}}");
    add_header(r, &st->headers, &st->n_headers, "X-User", "id-{{user_id}}");
    add_header(r, &st->headers, &st->n_headers, "X-Req", "{{uuid}}");
    add_header(r, &c->headers, &c->n_headers, "X-Rnd", "{{random -3 -3}}");
    start(r, 2, 3, 0);
    want_logged = 60;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    /* One stats entry, under the URL as written. */
    const struct hn_rec_entry *e = rec(r, "GET", "/u/{{user_id}}/{{random 1 1}}");
    assert_int_equal(e->requests, srv_total(r->srv));
    assert_no_failures(r);
    /* Three users, ids 1 to 3, each on its own path. */
    uint64_t sum = 0;
    for (int id = 1; id <= 3; id++) {
        char key[64];
        snprintf(key, sizeof(key), "GET /u/%d/1", id);
        assert_true(srv_count(r->srv, key) > 0);
        sum += srv_count(r->srv, key);
    }
    assert_int_equal(sum, srv_total(r->srv));
    char prev_uuid[64] = "";
    uint32_t n = srv_logged(r->srv);
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        char v[128], want[64];
        srv_log_get(r->srv, i, &q);
        long id = number_after(q.target, "/u/");
        assert_true(id >= 1 && id <= 3);
        snprintf(want, sizeof(want), "id-%ld", id);
        assert_true(srv_req_header(&q, "X-User", v, sizeof(v)));
        assert_string_equal(v, want);
        assert_true(srv_req_header(&q, "X-Rnd", v, sizeof(v)));
        assert_string_equal(v, "-3");
        /* A fresh version-4 UUID every request. */
        assert_true(srv_req_header(&q, "X-Req", v, sizeof(v)));
        assert_int_equal(strlen(v), 36);
        assert_true(v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-');
        assert_int_equal(v[14], '4');
        assert_non_null(strchr("89ab", v[19]));
        assert_string_not_equal(v, prev_uuid);
        snprintf(prev_uuid, sizeof(prev_uuid), "%s", v);
    }
}

/* A JSON capture and a header capture of the login feed the next requests'
 * URL and headers; the class's "Authorization: Bearer {{token}}" is left
 * out until the token is captured. */
static void test_capture_chain(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    add_header(r, &c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    struct hn_step *anon = hn_class_add_on_start(c);
    anon->method = hn_model_strdup("GET");
    assert_int_equal(hn_template_set_literal(&anon->url, "/anon"), 0);
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    scenario_compile(r->sc, &login->url, "/login?u={{user_id}}", HN_ESC_URL);
    set_body(r, login, HN_BODY_JSON, "{\"user\":{{user_id}}}");
    add_capture(r, login, "token", HN_CAPTURE_JSON, "$.token");
    add_capture(r, login, "uid", HN_CAPTURE_JSON, "$.user.id");
    add_capture(r, login, "session", HN_CAPTURE_HEADER, "x-session"); /* any case */
    struct hn_task *t = hn_class_add_task(c);
    struct hn_step *me = add_tpl_step(r, t, "GET", "/me/{{token}}/{{uid}}");
    add_header(r, &me->headers, &me->n_headers, "X-Session", "{{session}}");
    start(r, 1, 3, 0);
    want_logged = 40;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    assert_int_equal(rec(r, "POST", "/login?u={{user_id}}")->requests, 3);
    assert_int_equal(srv_count_prefix(r->srv, "POST /login"), 3);
    for (int id = 1; id <= 3; id++) {
        char key[64];
        snprintf(key, sizeof(key), "GET /me/tok-%d/%d", id, id);
        assert_true(srv_count(r->srv, key) > 0);
    }
    assert_int_equal(srv_count_prefix(r->srv, "GET /me/"),
                     rec(r, "GET", "/me/{{token}}/{{uid}}")->requests);
    uint32_t n = srv_logged(r->srv), me_seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        char v[128], want[64];
        srv_log_get(r->srv, i, &q);
        if (!strncmp(q.target, "/anon", 5) || !strncmp(q.target, "/login", 6)) {
            /* Before the login captured a token: no Authorization at all. */
            assert_false(srv_req_header(&q, "Authorization", v, sizeof(v)));
            continue;
        }
        long id = number_after(q.target, "/me/tok-");
        assert_true(id >= 1 && id <= 3);
        snprintf(want, sizeof(want), "Bearer tok-%ld", id);
        assert_true(srv_req_header(&q, "Authorization", v, sizeof(v)));
        assert_string_equal(v, want);
        snprintf(want, sizeof(want), "sess-%ld", id);
        assert_true(srv_req_header(&q, "X-Session", v, sizeof(v)));
        assert_string_equal(v, want);
        me_seen++;
    }
    assert_true(me_seen > 0);
}

/* A regex capture takes the first group (or the whole match without one);
 * a value rendered into a form body is url-encoded. */
static void test_regex_capture(void **state)
{
    struct run *r = *state;
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    struct hn_step *page = scenario_add_step(t, "GET", "/page");
    add_capture(r, page, "csrf", HN_CAPTURE_REGEX, "name=\"csrf\" value=\"([^\"]+)\"");
    add_capture(r, page, "whole", HN_CAPTURE_REGEX, "c5rf-\\d+");
    add_capture(r, page, "tag", HN_CAPTURE_REGEX, "<(\\w+)>");
    struct hn_step *post = scenario_add_step(t, "POST", "/echo");
    set_body(r, post, HN_BODY_FORM, "csrf={{csrf}}&w={{whole}}&t={{tag}}");
    start(r, 1, 1, 0);
    want_logged = 10;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    uint32_t n = srv_logged(r->srv), posts = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        srv_log_get(r->srv, i, &q);
        if (strcmp(q.method, "POST"))
            continue;
        static const char want[] = "csrf=c5rf-77&w=c5rf-77&t=html";
        assert_int_equal(q.body_len, sizeof(want) - 1);
        assert_memory_equal(q.body, want, sizeof(want) - 1);
        posts++;
    }
    assert_true(posts > 0);
}

/* Captures that find nothing fail the request with their name; a later
 * request needing the variable is not sent, and says why. */
static void test_capture_not_found(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    add_capture(r, &add_task(c, 1, "/json")->steps[0], "missing", HN_CAPTURE_JSON, "$.missing");
    add_capture(r, &add_task(c, 1, "/page")->steps[0], "nope", HN_CAPTURE_REGEX, "nomatch=(\\w+)");
    add_capture(r, &add_task(c, 1, "/a")->steps[0], "absent", HN_CAPTURE_HEADER, "X-Absent");
    add_capture(r, &add_task(c, 1, "/b")->steps[0], "notjson", HN_CAPTURE_JSON, "$.x");
    /* A null is no value either. */
    add_capture(r, &add_task(c, 1, "/json?null")->steps[0], "note", HN_CAPTURE_JSON, "$.note");
    start(r, 1, 2, 0);
    target_count = 100;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    assert_all_fail_with(r, "GET", "/json", "capture missing: not found");
    assert_all_fail_with(r, "GET", "/page", "capture nope: not found");
    assert_all_fail_with(r, "GET", "/a", "capture absent: not found");
    assert_all_fail_with(r, "GET", "/b", "capture notjson: response is not JSON");
    assert_all_fail_with(r, "GET", "/json?null", "capture note: not found");
}

/* A request whose URL (or own header) names a variable no capture has set
 * is not sent: the server never sees it, it is no request (no response
 * time: a 0 µs one lowered the step's times), an exception names the step
 * and the variable, and the task goes on. */
static void test_unset_variable_not_sent(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    struct hn_task *t = hn_class_add_task(c);
    add_tpl_step(r, t, "GET", "/x/{{never}}");
    scenario_add_step(t, "GET", "/after");
    struct hn_step *h = scenario_add_step(hn_class_add_task(c), "GET", "/hdr");
    add_header(r, &h->headers, &h->n_headers, "X-T", "{{never2}}");
    struct hn_step *b = scenario_add_step(hn_class_add_task(c), "POST", "/body");
    set_body(r, b, HN_BODY_JSON, "{\"v\":\"{{never3}}\"}");
    start(r, 2, 2, 0);
    target_count = 60;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_not_sent(r, "GET", "/x/{{never}}", "not sent: variable never not set (no capture yet)");
    assert_not_sent(r, "GET", "/hdr", "not sent: variable never2 not set (no capture yet)");
    assert_not_sent(r, "POST", "/body", "not sent: variable never3 not set (no capture yet)");
    assert_int_equal(srv_count_prefix(r->srv, "GET /x"), 0);
    assert_int_equal(srv_count(r->srv, "GET /hdr"), 0);
    assert_int_equal(srv_count(r->srv, "POST /body"), 0);
    /* The sequence went on after the step it could not send. */
    const struct hn_rec_entry *after = rec(r, "GET", "/after");
    assert_true(after->requests > 0);
    assert_int_equal(after->failures, 0);
    assert_int_equal(after->requests, srv_count(r->srv, "GET /after"));
    assert_int_equal(srv_total(r->srv), srv_count(r->srv, "GET /after"));
    /* Not sent: no time on the wire, no bytes. */
    assert_int_equal(rec(r, "GET", "/hdr")->bytes, 0);
}

/* body_contains and json checks; a failed check is told in words. */
static void test_body_checks(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    struct hn_step *ok = &add_task(c, 1, "/json")->steps[0];
    ok->has_body_contains = true;
    scenario_compile(r->sc, &ok->body_contains, "\"status\":\"paid\"", HN_ESC_NONE);
    add_json_check(ok, "$.status", "paid", HN_JSON_STRING);
    add_json_check(ok, "$.total", "42", HN_JSON_NUMBER); /* 42.0 == 42 */
    add_json_check(ok, "$.ok", "true", HN_JSON_BOOL);
    add_json_check(ok, "$.note", "null", HN_JSON_NULL);
    add_json_check(ok, "$.items[1]['id']", "8", HN_JSON_NUMBER);
    struct hn_step *st = &add_task(c, 1, "/json?contains")->steps[0];
    st->has_body_contains = true;
    scenario_compile(r->sc, &st->body_contains, "nope", HN_ESC_NONE);
    add_json_check(&add_task(c, 1, "/json?string")->steps[0], "$.status", "open", HN_JSON_STRING);
    add_json_check(&add_task(c, 1, "/json?number")->steps[0], "$.total", "41", HN_JSON_NUMBER);
    add_json_check(&add_task(c, 1, "/json?type")->steps[0], "$.total", "42", HN_JSON_STRING);
    add_json_check(&add_task(c, 1, "/json?missing")->steps[0], "$.nothere", "1", HN_JSON_NUMBER);
    add_json_check(&add_task(c, 1, "/a")->steps[0], "$.status", "paid", HN_JSON_STRING);
    st = &add_task(c, 1, "/json?unset")->steps[0];
    st->has_body_contains = true; /* a variable nothing captures */
    scenario_compile(r->sc, &st->body_contains, "{{nothing}}", HN_ESC_NONE);
    /* The status check comes first: a 500 is named by its status. */
    add_json_check(&add_task(c, 1, "/fail")->steps[0], "$.status", "paid", HN_JSON_STRING);
    start(r, 1, 2, 0);
    target_count = 200;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    const struct hn_rec_entry *e = rec(r, "GET", "/json");
    assert_true(e->requests > 0);
    assert_int_equal(e->failures, 0);
    assert_all_fail_with(r, "GET", "/json?contains", "check body_contains: \"nope\" not found");
    assert_all_fail_with(r, "GET", "/json?string",
                         "check json $.status: got \"paid\", want \"open\"");
    assert_all_fail_with(r, "GET", "/json?number", "check json $.total: got 42.0, want 41");
    assert_all_fail_with(r, "GET", "/json?type", "check json $.total: got 42.0, want \"42\"");
    assert_all_fail_with(r, "GET", "/json?missing", "check json $.nothere: not found");
    assert_all_fail_with(r, "GET", "/a", "check json $.status: response is not JSON");
    assert_all_fail_with(r, "GET", "/json?unset", "check body_contains: variable nothing not set");
    e = rec(r, "GET", "/fail");
    assert_true(e->requests > 0);
    assert_int_equal(e->fail_counts[500], e->requests);
    assert_int_equal(texts_of(r, "GET", "/fail"), 0);
}

/* Bodies are sent exactly as rendered: values escaped for JSON strings,
 * url-encoded in forms, as is in raw bodies (NUL bytes included); URLs
 * and headers escape values their own way. */
static void test_bodies_as_rendered(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("GET");
    scenario_compile(r->sc, &login->url, "/login?u={{user_id}}", HN_ESC_URL);
    add_capture(r, login, "quote", HN_CAPTURE_JSON, "$.quote"); /* say "hi" */
    add_capture(r, login, "name", HN_CAPTURE_JSON, "$.name");   /* a b&c=d */
    struct hn_task *t = hn_class_add_task(c);
    struct hn_step *json = scenario_add_step(t, "POST", "/echo?json");
    set_body(r, json, HN_BODY_JSON, "{\"q\":\"{{quote}}\",\"id\":{{user_id}},\"n\":\"{{name}}\"}");
    json->has_body_contains = true; /* the echo holds what was sent */
    scenario_compile(r->sc, &json->body_contains, "\"q\":\"say \\\"hi\\\"\"", HN_ESC_NONE);
    struct hn_step *form = scenario_add_step(t, "POST", "/echo?form");
    set_body(r, form, HN_BODY_FORM, "name={{name}}&q={{quote}}&id={{user_id}}");
    struct hn_step *raw = scenario_add_step(t, "PUT", "/echo?raw");
    raw->body_kind = HN_BODY_RAW;
    assert_int_equal(hn_template_add_literal(&raw->body, "a\0b", 3), 0);
    struct hn_seg var = {.kind = HN_SEG_VAR, .escape = HN_ESC_NONE};
    assert_int_equal(hn_scenario_var(r->sc, "quote", &var.a), 0);
    assert_int_equal(hn_template_add_seg(&raw->body, &var), 0);
    raw->body.source = hn_model_strdup("(raw)");
    struct hn_step *url = add_tpl_step(r, t, "GET", "/q/{{name}}/{{quote}}");
    add_header(r, &url->headers, &url->n_headers, "X-Name", "{{name}} {{quote}}");
    start(r, 1, 1, 0);
    want_logged = 25;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    uint32_t n = srv_logged(r->srv), seen[4] = {0};
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        char v[256];
        srv_log_get(r->srv, i, &q);
        if (!strcmp(q.target, "/echo?json")) {
            static const char want[] = "{\"q\":\"say \\\"hi\\\"\",\"id\":1,\"n\":\"a b&c=d\"}";
            assert_int_equal(q.body_len, sizeof(want) - 1);
            assert_memory_equal(q.body, want, sizeof(want) - 1);
            assert_true(srv_req_header(&q, "Content-Type", v, sizeof(v)));
            assert_string_equal(v, "application/json");
            seen[0]++;
        } else if (!strcmp(q.target, "/echo?form")) {
            static const char want[] = "name=a+b%26c%3Dd&q=say+%22hi%22&id=1";
            assert_int_equal(q.body_len, sizeof(want) - 1);
            assert_memory_equal(q.body, want, sizeof(want) - 1);
            assert_true(srv_req_header(&q, "Content-Type", v, sizeof(v)));
            assert_string_equal(v, "application/x-www-form-urlencoded");
            seen[1]++;
        } else if (!strcmp(q.target, "/echo?raw")) {
            static const char want[] = "a\0bsay \"hi\"";
            assert_int_equal(q.body_len, sizeof(want) - 1);
            assert_memory_equal(q.body, want, sizeof(want) - 1);
            /* No Content-Type at all (libcurl would claim a form). */
            assert_false(srv_req_header(&q, "Content-Type", v, sizeof(v)));
            seen[2]++;
        } else if (!strncmp(q.target, "/q/", 3)) {
            assert_string_equal(q.target, "/q/a%20b&c=d/say%20%22hi%22");
            assert_true(srv_req_header(&q, "X-Name", v, sizeof(v)));
            assert_string_equal(v, "a b&c=d say \"hi\"");
            seen[3]++;
        }
        /* The User-Agent Hornet sends unless told otherwise. */
        assert_true(srv_req_header(&q, "User-Agent", v, sizeof(v)));
        assert_string_equal(v, "hornet/" HN_VERSION);
        assert_false(srv_req_header(&q, "Expect", v, sizeof(v)));
    }
    for (int k = 0; k < 4; k++)
        assert_true(seen[k] > 0);
}

/* Each user keeps its own cookies: the server's cookie comes back with the
 * user's next requests, never with another user's; a new user starts with
 * none, also in a reused slot. */
static void test_cookies_per_user(void **state)
{
    struct run *r = *state;
    r->sc->cookies = true; /* libcurl's jar: these steps stay on libcurl */
    struct hn_user_class *c = add_class(r, short_wait);
    /* Captured variables are the user's too: a new user has none. */
    add_header(r, &c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("GET");
    scenario_compile(r->sc, &login->url, "/login?u={{user_id}}", HN_ESC_URL);
    add_capture(r, login, "token", HN_CAPTURE_JSON, "$.token");
    struct hn_step *me = add_tpl_step(r, hn_class_add_task(c), "GET", "/cookie/{{user_id}}");
    me->has_body_contains = true; /* the server echoes the cookie it got */
    scenario_compile(r->sc, &me->body_contains, "sid={{user_id}}", HN_ESC_NONE);
    start(r, 2, 3, 0);
    want_logged = 30;
    assert_true(run_until(r, logged_reached, WAIT_S));
    /* Retire every user, then start two: new ids (4, 5) in reused slots. */
    set_users(r, 0);
    assert_true(run_until(r, users_reached, WAIT_S));
    set_users(r, 2);
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = 2;
    want_logged = srv_logged(r->srv) + 20;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    assert_int_equal(srv_count_prefix(r->srv, "GET /login"), 5);
    uint32_t n = srv_logged(r->srv), late = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        char v[128], want[64];
        srv_log_get(r->srv, i, &q);
        if (!strncmp(q.target, "/login", 6)) {
            if (srv_req_header(&q, "Cookie", v, sizeof(v)))
                fail_msg("%s sent cookie \"%s\" before any was set", q.target, v);
            if (srv_req_header(&q, "Authorization", v, sizeof(v)))
                fail_msg("%s sent \"%s\" before any token was captured", q.target, v);
            continue;
        }
        long id = number_after(q.target, "/cookie/");
        assert_true(id >= 1 && id <= 5);
        late += id > 3;
        snprintf(want, sizeof(want), "sid=%ld", id);
        assert_true(srv_req_header(&q, "Cookie", v, sizeof(v)));
        assert_string_equal(v, want);
        snprintf(want, sizeof(want), "Bearer tok-%ld", id);
        assert_true(srv_req_header(&q, "Authorization", v, sizeof(v)));
        assert_string_equal(v, want);
    }
    assert_true(late > 0);
}

static void test_cookies_off(void **state)
{
    struct run *r = *state;
    r->sc->cookies = false;
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    scenario_add_step(t, "GET", "/login?u=9");
    struct hn_step *me = scenario_add_step(t, "GET", "/cookie");
    me->has_body_contains = true;
    scenario_compile(r->sc, &me->body_contains, "none", HN_ESC_NONE);
    start(r, 1, 2, 0);
    want_logged = 20;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    assert_true(srv_count(r->srv, "GET /cookie") > 0);
}

/* Rows of a SEQUENTIAL feeder go to users in turn (wrapping); a RANDOM
 * feeder's row is picked once per user and kept. */
static void test_data_rows_sequential(void **state)
{
    struct run *r = *state;
    static const char *const emails[] = {"r0@x", "r1@x", "r2@x"};
    static const char *const cards[] = {"c0", "c1"};
    add_feeder(r, "users", HN_ORDER_SEQUENTIAL, "email", emails, 3);
    add_feeder(r, "cards", HN_ORDER_RANDOM, "number", cards, 2);
    struct hn_user_class *c = add_class(r, short_wait);
    struct hn_step *st =
        add_tpl_step(r, hn_class_add_task(c), "GET", "/d/{{user_id}}/{{users.email}}");
    add_header(r, &st->headers, &st->n_headers, "X-Card", "{{cards.number}}");
    start(r, 2, 5, 0);
    want_logged = 80;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    for (int id = 1; id <= 5; id++) {
        char key[64];
        snprintf(key, sizeof(key), "GET /d/%d/r%d@x", id, (id - 1) % 3);
        if (srv_count(r->srv, key) == 0)
            fail_msg("user %d never sent %s", id, key);
    }
    assert_int_equal(srv_count_prefix(r->srv, "GET /d/"), srv_total(r->srv));
    char card_of[6][64] = {"", "", "", "", "", ""};
    uint32_t n = srv_logged(r->srv);
    for (uint32_t i = 0; i < n; i++) {
        struct srv_req q;
        char v[64], want[64];
        srv_log_get(r->srv, i, &q);
        long id = number_after(q.target, "/d/");
        assert_true(id >= 1 && id <= 5);
        snprintf(want, sizeof(want), "/d/%ld/r%ld@x", id, (id - 1) % 3);
        assert_string_equal(q.target, want); /* a user keeps its row */
        assert_true(srv_req_header(&q, "X-Card", v, sizeof(v)));
        assert_true(!strcmp(v, "c0") || !strcmp(v, "c1"));
        if (!card_of[id][0])
            snprintf(card_of[id], sizeof(card_of[id]), "%s", v);
        assert_string_equal(v, card_of[id]);
    }
}

/* UNIQUE rows: each to one user at most in the whole run. When they run
 * out, a user cannot start: an exception, and no user beyond the rows. */
static void test_data_rows_unique(void **state)
{
    struct run *r = *state;
    static const char *const codes[] = {"A", "B", "C"};
    add_feeder(r, "coupons", HN_ORDER_UNIQUE, "code", codes, 3);
    struct hn_user_class *c = add_class(r, short_wait);
    add_tpl_step(r, hn_class_add_task(c), "GET", "/c/{{user_id}}/{{coupons.code}}");
    start(r, 1, 5, 0);
    want_users = 3;
    assert_true(run_until(r, users_reached, WAIT_S));
    want_logged = 30;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_int_equal(hn_pool_users(r->pool), 3);
    static const char exhausted[] = "data coupons exhausted: a user could not start";
    /* Retired users keep their rows: no new user can start either. */
    set_users(r, 0);
    assert_true(run_until(r, users_reached, WAIT_S));
    uint32_t target = 2;
    hn_pool_set_target(r->pool, &target, 1, 0);
    want_exception = exhausted;
    want_exceptions = 4;
    assert_true(run_until(r, exceptions_reached, WAIT_S));
    assert_int_equal(hn_pool_users(r->pool), 0);
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(exception_count(r, exhausted), 4);
    assert_no_failures(r);
    /* Three users, one code each, every code used once. */
    bool code_used[3] = {false, false, false};
    for (int id = 1; id <= 3; id++) {
        int found = 0;
        for (int k = 0; k < 3; k++) {
            char key[64];
            snprintf(key, sizeof(key), "GET /c/%d/%s", id, codes[k]);
            if (srv_count(r->srv, key)) {
                assert_false(code_used[k]);
                code_used[k] = true;
                found++;
            }
        }
        assert_int_equal(found, 1);
    }
    assert_int_equal(srv_count_prefix(r->srv, "GET /c/4/"), 0);
    assert_int_equal(srv_count_prefix(r->srv, "GET /c/"), srv_total(r->srv));
}

/* A body longer than max_body is not checked: the request fails and says
 * so, and what it would capture stays unset. */
static void test_max_body(void **state)
{
    struct run *r = *state;
    r->sc->max_body = 16;
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    add_capture(r, scenario_add_step(t, "GET", "/json"), "status", HN_CAPTURE_JSON, "$.status");
    add_tpl_step(r, t, "GET", "/s/{{status}}");
    start(r, 1, 1, 0);
    target_count = 20;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_all_fail_with(r, "GET", "/json", "response body over max_body (16 B): not checked");
    assert_not_sent(r, "GET", "/s/{{status}}",
                    "not sent: variable status not set (no capture yet)");
    /* The bytes received still count in full. */
    const struct hn_rec_entry *e = rec(r, "GET", "/json");
    assert_true(e->bytes > 16 * e->requests);
}

/* Redirects are followed only where the step says so; either way the
 * request counts once, under its own entry. */
static void test_redirects(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, short_wait);
    add_task(c, 1, "/redirect?follow")->steps[0].follow_redirects = true;
    struct hn_step *st = &add_task(c, 1, "/redirect?stay")->steps[0];
    assert_int_equal(hn_step_add_status(st, 302), 0);
    start(r, 1, 2, 0);
    target_count = 60;
    assert_true(run_until(r, recorded_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    const struct hn_rec_entry *follow = rec(r, "GET", "/redirect?follow");
    const struct hn_rec_entry *stay = rec(r, "GET", "/redirect?stay");
    assert_true(follow->requests > 0 && stay->requests > 0);
    assert_int_equal(follow->requests, srv_count(r->srv, "GET /redirect?follow"));
    assert_int_equal(stay->requests, srv_count(r->srv, "GET /redirect?stay"));
    /* Each followed redirect fetched /a once; the final body counts. */
    assert_int_equal(srv_count(r->srv, "GET /a"), follow->requests);
    assert_int_equal(follow->bytes, 5 * follow->requests);
    assert_int_equal(stay->bytes, 5 * stay->requests); /* "moved" */
}

/* Without a master dealing locally, users wait for user ids: none starts
 * before a GRANT, each takes the next granted id and its rows (SEQUENTIAL
 * from the granted position, UNIQUE ones as granted), and users beyond the
 * grants wait, without an exception, until more arrive. */
static void test_grants_from_master(void **state)
{
    struct run *r = *state;
    static const char *const emails[] = {"r0@x", "r1@x", "r2@x"};
    add_feeder(r, "users", HN_ORDER_SEQUENTIAL, "email", emails, 3);
    /* A worker's UNIQUE feeder: rows come in GRANTs only. */
    struct hn_feeder *f = hn_scenario_add_feeder(r->sc);
    f->name = hn_model_strdup("coupons");
    f->order = HN_ORDER_UNIQUE;
    f->columns = calloc(1, sizeof(*f->columns));
    f->columns[0] = hn_model_strdup("code");
    f->n_columns = 1;
    f->n_rows = 10;
    add_tpl_step(r, hn_class_add_task(add_class(r, short_wait)), "GET",
                 "/g/{{user_id}}/{{users.email}}/{{coupons.code}}");
    begin(r, 1, false, 7); /* ids and rows only from GRANTs */
    char why[256] = "";
    set_users(r, 3);
    run_for(r, 0.3);
    assert_int_equal(hn_pool_users(r->pool), 0); /* no id yet */
    assert_int_equal(srv_total(r->srv), 0);

    /* Ids 101 and 102: users rows 2 and 0, coupons X and Y. */
    static const uint8_t two[] = "X\0Y";
    struct hn_msg_grant g = {.first_user_id = 101, .n_ids = 2, .n_feeders = 2};
    g.feeders[0] = (struct hn_msg_grant_feeder){.feeder = 0, .n_rows = 2, .first_row = 2};
    g.feeders[1] = (struct hn_msg_grant_feeder){
        .feeder = 1, .n_rows = 2, .cells = two, .cells_len = sizeof(two)};
    assert_int_equal(hn_grants_add(r->grants, &g, why, sizeof(why)), 0);
    want_users = 2;
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = 10;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_int_equal(hn_pool_users(r->pool), 2); /* the third waits */

    /* One more id and coupon: the waiting user starts (a SEQUENTIAL row not
     * dealt: the one its id points at, (103 - 1) % 3 = 0). */
    static const uint8_t one[] = "Z";
    struct hn_msg_grant g2 = {.first_user_id = 103, .n_ids = 1, .n_feeders = 1};
    g2.feeders[0] = (struct hn_msg_grant_feeder){
        .feeder = 1, .n_rows = 1, .cells = one, .cells_len = sizeof(one)};
    assert_int_equal(hn_grants_add(r->grants, &g2, why, sizeof(why)), 0);
    want_users = 3;
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = srv_total(r->srv) + 10;
    assert_true(run_until(r, srv_reached, WAIT_S));

    /* A GRANT the scenario cannot hold is refused whole. */
    struct hn_msg_grant bad = {.first_user_id = 200, .n_ids = 1, .n_feeders = 1};
    bad.feeders[0] = (struct hn_msg_grant_feeder){.feeder = 5, .n_rows = 1};
    assert_int_equal(hn_grants_add(r->grants, &bad, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "GRANT names feeder 6 of 2"));
    bad.feeders[0] = (struct hn_msg_grant_feeder){
        .feeder = 1, .n_rows = 2, .cells = one, .cells_len = sizeof(one)};
    assert_int_equal(hn_grants_add(r->grants, &bad, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "data cells: 1 found, 2 expected"));
    set_users(r, 4);
    run_for(r, 0.3);
    assert_int_equal(hn_pool_users(r->pool), 3);

    /* 4 x 10^9 SEQUENTIAL rows in one GRANT of a few bytes: queued as one
     * range, not a pointer per row (an allocation of 32 GiB, refused, or
     * at 10^9 rows 8 GiB allocated and filled); the next user takes the
     * first of them. */
    static const uint8_t w[] = "W";
    struct hn_msg_grant big = {.first_user_id = 104, .n_ids = 1, .n_feeders = 2};
    big.feeders[0] =
        (struct hn_msg_grant_feeder){.feeder = 0, .n_rows = 4000000000u, .first_row = 1};
    big.feeders[1] =
        (struct hn_msg_grant_feeder){.feeder = 1, .n_rows = 1, .cells = w, .cells_len = sizeof(w)};
    assert_int_equal(hn_grants_add(r->grants, &big, why, sizeof(why)), 0);
    want_users = 4;
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = srv_total(r->srv) + 10;
    assert_true(run_until(r, srv_reached, WAIT_S));

    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    assert_int_equal(r->sum.n_exceptions, 0);
    assert_true(srv_count(r->srv, "GET /g/101/r2@x/X") > 0);
    assert_true(srv_count(r->srv, "GET /g/102/r0@x/Y") > 0);
    assert_true(srv_count(r->srv, "GET /g/103/r0@x/Z") > 0);
    assert_true(srv_count(r->srv, "GET /g/104/r1@x/W") > 0);
    assert_int_equal(
        srv_count(r->srv, "GET /g/101/r2@x/X") + srv_count(r->srv, "GET /g/102/r0@x/Y") +
            srv_count(r->srv, "GET /g/103/r0@x/Z") + srv_count(r->srv, "GET /g/104/r1@x/W"),
        srv_total(r->srv));
}

/* ---- regressions of library bugs found while writing these tests ---- */

/* A POST step without a body is a POST with an empty body (it was sent as
 * GET). */
static void test_post_without_body(void **state)
{
    struct run *r = *state;
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    scenario_add_step(t, "POST", "/logout");
    scenario_add_step(t, "GET", "/a");
    start(r, 1, 1, 0);
    target_count = 10;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(srv_count(r->srv, "GET /logout"), 0);
    assert_true(srv_count(r->srv, "POST /logout") > 0);
    assert_counts_agree(r);
}

/* A regex capture that matches the empty string in an empty body (no body
 * buffer at all): an empty value, no undefined behaviour (UBSan watches). */
static void test_regex_empty_match(void **state)
{
    struct run *r = *state;
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    add_capture(r, scenario_add_step(t, "GET", "/empty"), "v", HN_CAPTURE_REGEX, "(x*)");
    add_tpl_step(r, t, "GET", "/v/{{v}}end");
    start(r, 1, 1, 0);
    want_logged = 10;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    assert_true(srv_count(r->srv, "GET /v/end") > 0);
}

/* A rendered relative URL long enough to grow the user's buffer while the
 * host is joined to it (it once copied from the freed block: ASan watches). */
static void test_long_rendered_url(void **state)
{
    struct run *r = *state;
    char url[400];
    int n = snprintf(url, sizeof(url), "/long/{{user_id}}/");
    memset(url + n, 'a', 150);
    url[n + 150] = '\0';
    struct hn_task *t = hn_class_add_task(add_class(r, short_wait));
    add_tpl_step(r, t, "GET", url);
    start(r, 1, 1, 0);
    want_logged = 5;
    assert_true(run_until(r, logged_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_no_failures(r);
    struct srv_req q;
    srv_log_get(r->srv, 0, &q);
    assert_int_equal(strlen(q.target), strlen("/long/1/") + 150);
    assert_memory_equal(q.target, "/long/1/aaa", 11);
}

/* The open model: iterations go to users created as needed (each runs its
 * on_start once, never more than max_users), every request (on_start's
 * too) carries its latency from the intended start, and none is dropped
 * when users keep up. */
static void test_open_model(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT,
                                                            .min_ms = 10000});
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("GET");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    scenario_add_step(add_task(c, 1, "/a"), "GET", "/b");
    /* Iterations may wait up to a minute before they are dropped: users
     * keep up, though on a machine busy with sanitizer builds a backlog
     * of over 5 s has been seen (32 dropped). */
    start_open(r, 2, 6, 200.0, 60000);
    target_count = 200; /* a second of iterations: a wait of 10 s would allow 12 */
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(hn_pool_users(r->pool) <= 6);
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    uint64_t logins = srv_count(r->srv, "GET /login");
    assert_true(logins >= 1 && logins <= 6);
    const struct hn_rec_entry *a = rec(r, "GET", "/a"), *b = rec(r, "GET", "/b");
    /* Whole iterations, except that the stop retires a user whose /a is in
     * flight without its /b (at most one per user). */
    assert_true(b->requests <= a->requests && a->requests - b->requests <= 6);
    assert_true(a->requests >= 90);
    assert_int_equal(hn_hist_count(&a->timing[HN_TIMING_INTENDED]), a->requests);
    assert_int_equal(hn_hist_count(&b->timing[HN_TIMING_INTENDED]), b->requests);
    /* on_start belongs to the user's first iteration: it has one too. */
    const struct hn_rec_entry *login_rec = rec(r, "GET", "/login");
    assert_int_equal(hn_hist_count(&login_rec->timing[HN_TIMING_INTENDED]), login_rec->requests);
    /* From the intended start is never shorter than the service time. */
    assert_true(hn_hist_min(&a->timing[HN_TIMING_INTENDED]) >=
                hn_hist_min(&a->timing[HN_TIMING_TOTAL]));
    assert_int_equal(r->sum.dropped, 0);
    assert_int_equal(hn_pool_users(r->pool), 0);
}

static double open_end_at;

static bool open_window_over(struct run *r)
{
    return srv_count(r->srv, "GET /a") >= 100 && ev_time() > open_end_at + 0.3;
}

/* The schedule runs from when the target arrived (the session's clock), not
 * from when an engine thread woke for it: a target that arrived 0.5 s
 * before its thread took it, for a window of 1 s at 100/s, still starts
 * the window's 100 iterations (late ones at once), none after its end. */
static void test_open_schedule_from_arrival(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, no_wait), 1, "/a");
    begin(r, 1, true, 12345);
    uint32_t users = 10;
    double rate = 100, from = ev_time() - 0.5;
    open_end_at = from + 1.0;
    hn_pool_set_open(r->pool, &users, &rate, 1, 5000, from, open_end_at);
    assert_true(run_until(r, open_window_over, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    uint64_t n = rec(r, "GET", "/a")->requests;
    assert_true(n == 100 || n == 101); /* 101 when the first falls on `from` itself */
    assert_int_equal(r->sum.dropped, 0);
}

static bool some_dropped(struct run *r)
{
    /* and the server thread has seen the request the user is stuck in */
    return r->sum.dropped >= 5 && srv_count(r->srv, "GET /hang") >= 1;
}

/* One user, stuck in a request that never ends: the next iterations wait
 * for it, and after max_delay each is dropped and counted, not run late
 * and not lost. */
static void test_open_model_drops(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, no_wait), 1, "/hang");
    r->sc->timeout_ms = 20000;
    start_open(r, 1, 1, 50.0, 100);
    assert_true(run_until(r, some_dropped, WAIT_S));
    assert_int_equal(srv_count(r->srv, "GET /hang"), 1);
    assert_int_equal(hn_pool_users(r->pool), 1);
    assert_true(stop_and_drain(r, 100));
    assert_int_equal(rec(r, "GET", "/hang")->requests, 1); /* aborted at stop */
    assert_true(r->sum.dropped >= 5);
}

static bool paced_enough(struct run *r)
{
    return srv_total(r->srv) >= 6;
}

/* Pacing: every iteration has an intended start, so its requests carry the
 * latency from it (the closed model without pacing has none: the other
 * tests' recorders show no INTENDED time). */
static void test_pacing_intended(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_PACING, .min_ms = 50}), 1, "/a");
    start(r, 1, 2, 0);
    assert_true(run_until(r, paced_enough, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    const struct hn_rec_entry *a = rec(r, "GET", "/a");
    assert_int_equal(hn_hist_count(&a->timing[HN_TIMING_INTENDED]), a->requests);
}

static bool paced_twenty(struct run *r)
{
    return srv_count(r->srv, "GET /a") >= 20;
}

/* Requests of @e whose latency from the intended start is at least @us. */
static uint64_t intended_at_least(const struct hn_rec_entry *e, uint64_t us)
{
    uint64_t n = 0;
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    hn_hist_iter_init(&it, &e->timing[HN_TIMING_INTENDED]);
    while (hn_hist_iter_next(&it, &b))
        if (b.low >= us)
            n += b.count;
    return n;
}

/* A paced class whose first iteration takes a second (its second step
 * sleeps, that once), with a period of 100 ms: about ten iterations are
 * owed when it ends. They start at once, one after the other, each late by
 * what it owes (900, 800, ... ms): several requests show it, not only the
 * first, as they would had the schedule moved on with the late start. */
static void test_pacing_keeps_schedule(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, (struct hn_wait){.kind = HN_WAIT_PACING, .min_ms = 100});
    scenario_add_step(add_task(c, 1, "/a"), "GET", "/sleep-first?ms=1000&k=1");
    start(r, 1, 1, 0);
    assert_true(run_until(r, paced_twenty, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    const struct hn_rec_entry *a = rec(r, "GET", "/a");
    /* Late by 900, 800, ..., 100 ms: at least 6 of them by 50 ms or more,
     * whatever the machine's speed (a slower one only makes them later). */
    assert_true(intended_at_least(a, 50000) >= 6);
    assert_int_equal(r->sum.dropped, 0);
}

/* Iterations owed for longer than the request timeout (here 500 ms; the
 * first iteration takes 1.2 s in three steps of 400 ms, each within it)
 * are dropped and counted, not run in a burst. */
static void test_pacing_drops_beyond_timeout(void **state)
{
    struct run *r = *state;
    r->sc->timeout_ms = 500;
    struct hn_user_class *c = add_class(r, (struct hn_wait){.kind = HN_WAIT_PACING, .min_ms = 100});
    struct hn_task *t = add_task(c, 1, "/a");
    for (int i = 0; i < 3; i++)
        scenario_add_step(t, "GET", "/sleep-first?ms=400&k=3");
    start(r, 1, 1, 0);
    assert_true(run_until(r, paced_twenty, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_int_equal(rec(r, "GET", "/sleep-first?ms=400&k=3")->failures, 0);
    /* 1.2 s late less the 0.5 s allowed: about 7 periods dropped. */
    assert_true(r->sum.dropped >= 3);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(300); /* last resort: a hang kills the test instead of the CI */
    assert_int_equal(hn_http_global_init(), 0);
    if (getenv("HN_TEST_FILTER")) /* e.g. "test_capture_*" */
        cmocka_set_test_filter(getenv("HN_TEST_FILTER"));
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        T(test_on_start_once),
        T(test_phases_held),
        T(test_sequence_order),
        T(test_weighted_tasks),
        T(test_constant_wait),
        T(test_targets),
        T(test_spawn_rate),
        T(test_stop_exact),
        T(test_http_500),
        T(test_check_status),
        T(test_connection_refused),
        T(test_request_timeout),
        T(test_abort_at_stop),
        T(test_method_switching),
        T(test_templates_per_request),
        T(test_capture_chain),
        T(test_regex_capture),
        T(test_capture_not_found),
        T(test_unset_variable_not_sent),
        T(test_body_checks),
        T(test_bodies_as_rendered),
        T(test_cookies_per_user),
        T(test_cookies_off),
        T(test_data_rows_sequential),
        T(test_data_rows_unique),
        T(test_max_body),
        T(test_redirects),
        T(test_grants_from_master),
        T(test_post_without_body),
        T(test_regex_empty_match),
        T(test_long_rendered_url),
        T(test_open_model),
        T(test_open_model_drops),
        T(test_pacing_intended),
        T(test_pacing_keeps_schedule),
        T(test_pacing_drops_beyond_timeout),
        T(test_open_schedule_from_arrival),
    };
    /* clang-format on */
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    hn_http_global_cleanup();
    return rc;
}
