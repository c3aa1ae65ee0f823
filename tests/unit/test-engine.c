/* End-to-end tests of the worker engine (worker/pool.h): virtual users run
 * scenarios against a tiny HTTP/1.1 server thread inside this process; the
 * server's own counts are checked against the pool's snapshots. Every run
 * is bounded by a deadline that fails the test. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#include "pool.h"

#include "http-stub.h"

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
    struct hn_pool *pool;
    struct hn_recorder sum; /* every snapshot added up */
    uint32_t snapshots, drained_calls;
    bool snap_pending, drained, final_requested, final_done;
    ev_tstamp last_snap, drained_at;
    ev_timer tick;
    bool (*until)(struct run *r);
    ev_tstamp deadline;
    bool timed_out;
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

static void on_snapshot(void *ctx, const struct hn_recorder *merged)
{
    struct run *r = ctx;
    hn_recorder_merge(&r->sum, merged);
    r->snapshots++;
    r->snap_pending = false;
    r->final_done = r->final_requested;
    maybe_snapshot(r);
    check_done(r);
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

static int setup(void **state)
{
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->srv = srv_start();
    r->loop = ev_loop_new(EVFLAG_AUTO);
    r->sc = hn_scenario_new();
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

static struct hn_step *add_step(struct hn_task *t, const char *method, const char *url)
{
    struct hn_step *st = hn_task_add_step(t);
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    st->url = hn_model_strdup(url);
    return st;
}

static struct hn_task *add_task(struct hn_user_class *c, uint32_t weight, const char *url)
{
    struct hn_task *t = hn_class_add_task(c);
    assert_non_null(t);
    t->weight = weight;
    add_step(t, "GET", url);
    return t;
}

/* Build the plan, start @threads engines and ask for @users of class 0. */
static void start(struct run *r, uint32_t threads, uint32_t users, double spawn_rate)
{
    char why[256] = "";
    if (hn_scenario_finalize(r->sc, why, sizeof(why)) ||
        hn_plan_build(r->sc, &r->plan, why, sizeof(why)))
        fail_msg("scenario: %s", why);
    assert_int_equal(hn_recorder_init(&r->sum, r->sc->n_entries), 0);
    struct hn_pool_callbacks cb = {.on_snapshot = on_snapshot, .on_drained = on_drained, .ctx = r};
    assert_int_equal(hn_pool_new(r->loop, r->plan, threads, 12345, &cb, &r->pool), 0);
    assert_int_equal(hn_pool_threads(r->pool), threads);
    ev_timer_start(r->loop, &r->tick);
    hn_pool_set_target(r->pool, &users, 1, spawn_rate);
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

static const struct hn_wait no_wait = {.kind = HN_WAIT_NONE};

/* ---- Tests ---- */

static void test_on_start_once(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    login->url = hn_model_strdup("/login");
    login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("GET");
    login->url = hn_model_strdup("/me");
    add_task(c, 1, "/a");
    start(r, 2, 3, 0);
    target_count = 300;
    assert_true(run_until(r, srv_reached, WAIT_S));
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
    add_step(t, "GET", "/b");
    add_step(t, "GET", "/c");
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

static void test_constant_wait(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 100}), 1, "/t");
    double t0 = ev_time();
    start(r, 1, 2, 0);
    target_count = 6;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    double elapsed = ev_time() - t0;
    assert_counts_agree(r);
    /* Each user waits 100 ms after each request: at most one request per
     * user per 100 ms of the time measured (plus its first); without the
     * wait, thousands. */
    uint64_t n = srv_count(r->srv, "GET /t"), most = 2 * (uint64_t)(elapsed / 0.1 + 1);
    if (n > most)
        fail_msg("%llu iterations of 2 users in %.3f s with 100 ms waits (at most %llu)",
                 (unsigned long long)n, elapsed, (unsigned long long)most);
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
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 200}), 1, "/t");
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
    /* Waiting users retire at once: at most the one request in flight at
     * retirement arrives later, though a user still waiting would fire
     * every 200 ms (at least 4 in the 1 s watched). */
    uint64_t after = srv_total(r->srv);
    run_for(r, 1.0);
    if (srv_total(r->srv) > after + 1)
        fail_msg("%llu requests after every user retired",
                 (unsigned long long)(srv_total(r->srv) - after));
    after = srv_total(r->srv);
    assert_false(r->drained); /* zero users is not a stop */
    /* Back up: retired users are reused and run again. */
    set_users(r, 3);
    assert_true(run_until(r, users_reached, WAIT_S));
    target_count = after + 3;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
}

/* Users seen over time, each sample taken with the wall time after it. */
static double ramp_t0;
static uint32_t ramp_faster; /* samples above what 10 users/s allows */
static bool ramp_sampled_full(struct run *r)
{
    uint32_t users = hn_pool_users(r->pool);
    double t = ev_time() - ramp_t0;
    /* One user at once, then 10/s: never more than 1 + 10 t (+1 rounding). */
    if (users > 2 + (uint32_t)(10.0 * t))
        ramp_faster++;
    return users == 6;
}

static void test_spawn_rate(void **state)
{
    struct run *r = *state;
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 50}), 1, "/t");
    ramp_t0 = ev_time(); /* before the start: elapsed times are upper bounds */
    ramp_faster = 0;
    start(r, 1, 6, 10.0); /* one at once, then one per 100 ms */
    assert_true(run_until(r, ramp_sampled_full, WAIT_S));
    if (ramp_faster)
        fail_msg("%u samples with more users than 10 users/s allows", ramp_faster);
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
}

static bool two_snapshots(struct run *r)
{
    return r->snapshots >= 2 && srv_total(r->srv) > 100;
}

static void test_stop_exact(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    add_task(c, 1, "/a");
    add_step(add_task(c, 1, "/b"), "GET", "/c");
    start(r, 2, 4, 0);
    assert_true(run_until(r, two_snapshots, WAIT_S));
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

static void test_http_500(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    add_task(c, 1, "/fail");
    add_task(c, 1, "/a");
    start(r, 1, 2, 0);
    target_count = 200;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    const struct hn_rec_entry *f = rec(r, "GET", "/fail"), *a = rec(r, "GET", "/a");
    assert_true(f->requests > 0);
    assert_int_equal(f->failures, f->requests);
    assert_int_equal(f->fail_counts[500], f->requests);
    assert_int_equal(f->bytes, 4 * f->requests);
    assert_int_equal(a->failures, 0);
}

static void test_expect_status(void **state)
{
    struct run *r = *state;
    struct hn_user_class *c = add_class(r, no_wait);
    /* check: {status: 201} fails a 200; check: {status: 500} passes a 500. */
    add_task(c, 1, "/a")->steps[0].expect_status = 201;
    add_task(c, 1, "/fail")->steps[0].expect_status = 500;
    start(r, 1, 2, 0);
    target_count = 200;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r);
    const struct hn_rec_entry *a = rec(r, "GET", "/a"), *f = rec(r, "GET", "/fail");
    assert_int_equal(a->failures, a->requests);
    assert_int_equal(a->fail_counts[200], a->requests);
    assert_int_equal(f->failures, 0);
}

static bool three_recorded(struct run *r)
{
    return hn_recorder_requests(&r->sum) >= 3;
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
    add_task(add_class(r, (struct hn_wait){.kind = HN_WAIT_CONSTANT, .min_ms = 20}), 1, "/x");
    start(r, 1, 1, 0);
    assert_true(run_until(r, three_recorded, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    const struct hn_rec_entry *e = rec(r, "GET", "/x");
    assert_true(e->requests >= 3);
    assert_int_equal(e->failures, e->requests);
    assert_int_equal(e->fail_counts[hn_fail_slot(HN_FAIL_CONN_REFUSED)], e->requests);
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
    assert_true(run_until(r, srv_reached, WAIT_S));
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
    double took = r->drained_at - stop_at;
    /* Not before the 200 ms granted, and by the stop, not by the requests'
     * own minute-long timeout. */
    if (took < 0.15 || took > 30.0)
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
     * previous step must not leak into the next (HEAD's no-body flag). */
    struct hn_task *t = hn_class_add_task(add_class(r, no_wait));
    add_step(t, "HEAD", "/h");
    struct hn_step *post = add_step(t, "POST", "/p");
    post->body = hn_model_strdup("x=1");
    post->body_len = 3;
    add_step(t, "GET", "/g");
    add_step(t, "DELETE", "/d");
    add_step(t, "HEAD", "/h2");
    add_step(t, "PUT", "/u");
    start(r, 1, 1, 0);
    target_count = 60;
    assert_true(run_until(r, srv_reached, WAIT_S));
    assert_true(stop_and_drain(r, 2000));
    assert_counts_agree(r); /* every request arrived with its own method */
    uint64_t h = srv_count(r->srv, "HEAD /h");
    assert_true(h >= 10);
    assert_true(srv_count(r->srv, "PUT /u") + 1 >= h);
    assert_int_equal(rec(r, "HEAD", "/h")->bytes, 0);
    assert_int_equal(hn_recorder_requests(&r->sum) - srv_total(r->srv), 0);
    for (uint32_t i = 0; i < r->sc->n_entries; i++)
        assert_int_equal(r->sum.entries[i].failures, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(120); /* last resort: a hang kills the test instead of the CI */
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_on_start_once),      T(test_sequence_order),  T(test_weighted_tasks),
        T(test_constant_wait),      T(test_targets),         T(test_spawn_rate),
        T(test_stop_exact),         T(test_http_500),        T(test_expect_status),
        T(test_connection_refused), T(test_request_timeout), T(test_abort_at_stop),
        T(test_method_switching),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
