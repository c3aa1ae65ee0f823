/* Unit tests for proto/chan: ROUTER/DEALER channels on loopback, each in a
 * libev loop: a multi-threaded stress exchange in both directions, malformed
 * messages, unknown peers, close from a callback, batching, reconnection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "chan.h"
#include "error.h"
#include "proto_limits.h"

#define ANY_PORT "tcp://127.0.0.1:*"
/* Bound of every wait for a message: generous, so that a loaded machine
 * only makes a test slower, never fails it. */
#define WAIT_S 20.0
#define ENDPOINT_MAX 64

static void *zctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- Single-thread helpers: run a loop until a condition or a deadline. */

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

static void count_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    (*(int *)w->data)++;
}

/* Run `loop` until *flag >= want or `timeout_s` passed. Returns the final
 * *flag. A 10 ms ticker makes each EVRUN_ONCE return even when idle. */
static int run_until(struct ev_loop *loop, const int *flag, int want, double timeout_s)
{
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.01, 0.01);
    ev_timer_start(loop, &tick);
    double deadline = now_s() + timeout_s;
    while (*flag < want && now_s() < deadline)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
    return *flag;
}

/* Run `loop` for `seconds` regardless. */
static void run_for(struct ev_loop *loop, double seconds)
{
    int never = 0;
    run_until(loop, &never, 1, seconds);
}

/* Everything a single-thread test opens, closed by the teardown even when
 * an assertion failed (an open socket would block zmq_ctx_term forever). */
struct fixture {
    struct ev_loop *loop;
    struct hn_chan r, r2, d;
    void *raw;            /* a plain zmq socket playing a misbehaving peer */
    struct hn_chan *heap; /* freed by the test itself when it gets that far */
};

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->loop = ev_loop_new(EVFLAG_AUTO);
    *state = f;
    return f->loop ? 0 : -1;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    hn_chan_close(&f->r);
    hn_chan_close(&f->r2);
    hn_chan_close(&f->d);
    if (f->heap) {
        hn_chan_close(f->heap);
        free(f->heap);
    }
    if (f->raw)
        zmq_close(f->raw);
    ev_loop_destroy(f->loop);
    free(f);
    return 0;
}

/* What a test callback saw. */
struct seen {
    int calls;
    char last[64];
    char last_id[64];
    size_t last_id_len;
    struct hn_chan *close_me; /* close (and maybe free) this on the first call */
    bool free_it;
};

static void keep(struct seen *s, const void *buf, size_t len)
{
    s->calls++;
    size_t n = len < sizeof s->last - 1 ? len : sizeof s->last - 1;
    memcpy(s->last, buf, n);
    s->last[n] = '\0';
}

static void router_seen_cb(struct hn_chan *c, const void *id, size_t id_len, const void *buf,
                           size_t len, void *user)
{
    struct seen *s = user;
    (void)c;
    keep(s, buf, len);
    s->last_id_len = id_len < sizeof s->last_id ? id_len : sizeof s->last_id;
    memcpy(s->last_id, id, s->last_id_len);
    if (s->close_me) {
        hn_chan_close(s->close_me);
        if (s->free_it)
            free(s->close_me);
        s->close_me = NULL;
    }
}

static void dealer_seen_cb(struct hn_chan *c, const void *buf, size_t len, void *user)
{
    struct seen *s = user;
    (void)c;
    keep(s, buf, len);
    if (s->close_me) {
        hn_chan_close(s->close_me);
        s->close_me = NULL;
    }
}

static void open_router(struct hn_chan *r, struct ev_loop *loop, struct seen *s, char *endpoint)
{
    assert_int_equal(hn_chan_router_open(r, zctx, loop, ANY_PORT, NULL, router_seen_cb, s), 0);
    assert_int_equal(hn_chan_endpoint(r, endpoint, ENDPOINT_MAX), 0);
    assert_true(strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0);
}

/* ---- Stress: one ROUTER, N_DEALERS DEALERs, each loop on its own thread. */

#define N_DEALERS 4
#define N_MSGS 25000 /* per dealer and per direction */
#define BURST 64     /* sends per target per pump call */
#define WATCHDOG_S 30.0

/* Message: seq (4 bytes), sender index (4 bytes), seq % 61 filler bytes. */
static size_t make_msg(uint8_t *buf, uint32_t seq, uint32_t from)
{
    memcpy(buf, &seq, 4);
    memcpy(buf + 4, &from, 4);
    size_t fill = seq % 61;
    memset(buf + 8, (int)(uint8_t)(seq * 7 + from), fill);
    return 8 + fill;
}

/* 1 if `buf` is exactly make_msg(seq, from). */
static int msg_ok(const uint8_t *buf, size_t len, uint32_t seq, uint32_t from)
{
    uint8_t want[8 + 61];
    size_t want_len = make_msg(want, seq, from);
    return len == want_len && memcmp(buf, want, len) == 0;
}

static atomic_int done_count; /* (peer, direction) pairs fully received */
static atomic_bool abort_all;
#define DONE_WANTED (2 * N_DEALERS)

/* One side of the exchange: the router (index -1) or dealer `index`. */
struct peer {
    int index;
    struct ev_loop *loop;
    struct hn_chan chan;
    ev_idle pump;      /* sends while there is something to send */
    ev_timer retry;    /* after -EAGAIN everywhere: pump again in 1 ms */
    ev_timer finish;   /* polls done_count / abort_all */
    ev_timer watchdog; /* fails the test when nothing finished in time */
    pthread_t thread;
    bool known[N_DEALERS]; /* router: dealer has said something, it can be sent to */
    uint32_t next_tx[N_DEALERS];
    uint32_t next_rx[N_DEALERS];
    uint64_t bad;    /* out of order, duplicated or corrupt messages */
    int send_error;  /* first unexpected send result */
    uint64_t eagain; /* -EAGAIN seen (expected: HWM 1000 < N_MSGS) */
    bool timed_out;
};

static void got(struct peer *p, int from, const void *buf, size_t len)
{
    if (from < 0 || from >= N_DEALERS || p->next_rx[from] >= N_MSGS ||
        !msg_ok(buf, len, p->next_rx[from], (uint32_t)(p->index < 0 ? from : N_DEALERS))) {
        p->bad++;
        atomic_store(&abort_all, true); /* fail now, not at the watchdog */
        return;
    }
    if (++p->next_rx[from] == N_MSGS)
        atomic_fetch_add(&done_count, 1);
}

static void stress_router_cb(struct hn_chan *c, const void *id, size_t id_len, const void *buf,
                             size_t len, void *user)
{
    struct peer *p = user;
    (void)c;
    int from = -1;
    if (id_len == 8 && memcmp(id, "dealer-", 7) == 0)
        from = ((const char *)id)[7] - '0';
    got(p, from, buf, len);
    if (from >= 0 && from < N_DEALERS && !p->known[from]) {
        p->known[from] = true;
        ev_idle_start(p->loop, &p->pump);
    }
}

static void stress_dealer_cb(struct hn_chan *c, const void *buf, size_t len, void *user)
{
    (void)c;
    got(user, 0, buf, len);
}

static void pump_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    struct peer *p = w->data;
    int targets = p->index < 0 ? N_DEALERS : 1;
    uint32_t from = p->index < 0 ? N_DEALERS : (uint32_t)p->index;
    bool sent_any = false, pending = false;
    uint8_t buf[8 + 61];
    (void)revents;

    for (int t = 0; t < targets; t++) {
        if (p->index < 0 && !p->known[t])
            continue;
        for (int k = 0; k < BURST && p->next_tx[t] < N_MSGS; k++) {
            size_t len = make_msg(buf, p->next_tx[t], from);
            char id[9];
            snprintf(id, sizeof id, "dealer-%d", t);
            int rc = p->index < 0 ? hn_chan_send_to(&p->chan, id, 8, buf, len)
                                  : hn_chan_send(&p->chan, buf, len);
            if (rc == -EAGAIN) {
                p->eagain++;
                break;
            }
            if (rc != 0) {
                p->send_error = rc;
                atomic_store(&abort_all, true);
                ev_break(loop, EVBREAK_ALL);
                return;
            }
            p->next_tx[t]++;
            sent_any = true;
        }
        pending |= p->next_tx[t] < N_MSGS;
    }
    if (!pending || !sent_any)
        ev_idle_stop(loop, w);
    if (pending && !sent_any)
        ev_timer_start(loop, &p->retry); /* every queue full: do not spin */
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct peer *p = w->data;
    (void)revents;
    ev_idle_start(loop, &p->pump);
}

static void finish_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    if (atomic_load(&done_count) == DONE_WANTED || atomic_load(&abort_all))
        ev_break(loop, EVBREAK_ALL);
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct peer *p = w->data;
    (void)revents;
    p->timed_out = true;
    atomic_store(&abort_all, true);
    ev_break(loop, EVBREAK_ALL);
}

static void peer_init(struct peer *p, int index)
{
    memset(p, 0, sizeof *p);
    p->index = index;
    p->loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(p->loop);
    ev_idle_init(&p->pump, pump_cb);
    ev_timer_init(&p->retry, retry_cb, 0.001, 0.);
    ev_timer_init(&p->finish, finish_cb, 0.005, 0.005);
    ev_timer_init(&p->watchdog, watchdog_cb, WATCHDOG_S, 0.);
    p->pump.data = p->retry.data = p->finish.data = p->watchdog.data = p;
    ev_timer_start(p->loop, &p->finish);
    ev_timer_start(p->loop, &p->watchdog);
}

static void *peer_thread(void *arg)
{
    struct peer *p = arg;
    ev_run(p->loop, 0);
    hn_chan_close(&p->chan);
    return NULL;
}

/* The router's hn_chan_opts.gather_s in the stress test. */
static double stress_gather_s;

static void test_stress_many_dealers(void **state)
{
    static struct peer router, dealers[N_DEALERS];
    char endpoint[ENDPOINT_MAX];
    struct hn_chan_opts opts = {.gather_s = stress_gather_s};
    (void)state;

    atomic_store(&done_count, 0);
    atomic_store(&abort_all, false);
    peer_init(&router, -1);
    assert_int_equal(hn_chan_router_open(&router.chan, zctx, router.loop, ANY_PORT, &opts,
                                         stress_router_cb, &router),
                     0);
    assert_int_equal(hn_chan_endpoint(&router.chan, endpoint, sizeof endpoint), 0);
    for (int i = 0; i < N_DEALERS; i++) {
        char id[9];
        snprintf(id, sizeof id, "dealer-%d", i);
        peer_init(&dealers[i], i);
        assert_int_equal(hn_chan_dealer_open(&dealers[i].chan, zctx, dealers[i].loop, endpoint, id,
                                             NULL, stress_dealer_cb, &dealers[i]),
                         0);
        ev_idle_start(dealers[i].loop, &dealers[i].pump); /* the router waits to hear first */
    }

    double start = now_s();
    assert_int_equal(pthread_create(&router.thread, NULL, peer_thread, &router), 0);
    for (int i = 0; i < N_DEALERS; i++)
        assert_int_equal(pthread_create(&dealers[i].thread, NULL, peer_thread, &dealers[i]), 0);
    pthread_join(router.thread, NULL);
    for (int i = 0; i < N_DEALERS; i++)
        pthread_join(dealers[i].thread, NULL);
    double elapsed = now_s() - start;

    uint64_t eagain = router.eagain;
    for (int i = 0; i < N_DEALERS; i++)
        eagain += dealers[i].eagain;
    printf("# stress: %d dealers, %d messages each way each: %.3f s, %.0f msg/s, "
           "%llu sends refused with EAGAIN and retried\n",
           N_DEALERS, N_MSGS, elapsed, 2.0 * N_DEALERS * N_MSGS / elapsed,
           (unsigned long long)eagain);

    assert_false(router.timed_out);
    assert_int_equal(router.send_error, 0);
    assert_int_equal(router.bad, 0);
    assert_int_equal(router.chan.stats.received, (uint64_t)N_DEALERS * N_MSGS);
    assert_int_equal(router.chan.stats.sent, (uint64_t)N_DEALERS * N_MSGS);
    assert_int_equal(router.chan.stats.dropped_malformed, 0);
    assert_int_equal(router.chan.stats.send_errors, 0);
    for (int i = 0; i < N_DEALERS; i++) {
        struct peer *d = &dealers[i];
        assert_false(d->timed_out);
        assert_int_equal(d->send_error, 0);
        assert_int_equal(d->bad, 0);
        assert_int_equal(router.next_rx[i], N_MSGS); /* none lost on the way up */
        assert_int_equal(d->next_rx[0], N_MSGS);     /* none lost on the way down */
        assert_int_equal(d->chan.stats.received, N_MSGS);
        assert_int_equal(d->chan.stats.dropped_malformed, 0);
        ev_loop_destroy(d->loop);
    }
    assert_int_equal(atomic_load(&done_count), DONE_WANTED);
    ev_loop_destroy(router.loop);
}

/* The same with a router that gathers messages between drains (what the
 * master does): nothing lost, nothing stuck. */
static void test_stress_many_dealers_gathering(void **state)
{
    stress_gather_s = 0.002;
    test_stress_many_dealers(state);
    stress_gather_s = 0;
}

/* ---- Single-thread behaviour tests: router and dealer share one loop. */

static void test_malformed_dropped_router(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0};
    char endpoint[ENDPOINT_MAX];

    open_router(&f->r, f->loop, &rs, endpoint);
    f->raw = zmq_socket(zctx, ZMQ_DEALER);
    assert_non_null(f->raw);
    assert_int_equal(zmq_connect(f->raw, endpoint), 0);
    /* Three frames (the router sees four with the identity), then a good one. */
    assert_int_equal(zmq_send(f->raw, "a", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(f->raw, "b", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(f->raw, "c", 1, 0), 1);
    assert_int_equal(zmq_send(f->raw, "good", 4, 0), 4);

    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    run_for(f->loop, 0.05);
    assert_int_equal(rs.calls, 1);
    assert_string_equal(rs.last, "good");
    assert_int_equal(f->r.stats.dropped_malformed, 1);
    assert_int_equal(f->r.stats.received, 1);

    /* Still works, in the other direction too. */
    assert_int_equal(hn_chan_send_to(&f->r, rs.last_id, rs.last_id_len, "back", 4), 0);
    char buf[8] = {0};
    int timeout_ms = 5000;
    zmq_setsockopt(f->raw, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    assert_int_equal(zmq_recv(f->raw, buf, sizeof buf, 0), 4);
    assert_string_equal(buf, "back");
}

static void test_malformed_dropped_dealer(void **state)
{
    struct fixture *f = *state;
    struct seen ds = {0};
    char endpoint[ENDPOINT_MAX];
    size_t len = sizeof endpoint;
    int timeout_ms = 5000;

    f->raw = zmq_socket(zctx, ZMQ_ROUTER);
    assert_non_null(f->raw);
    zmq_setsockopt(f->raw, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    assert_int_equal(zmq_bind(f->raw, ANY_PORT), 0);
    assert_int_equal(zmq_getsockopt(f->raw, ZMQ_LAST_ENDPOINT, endpoint, &len), 0);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w1", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send(&f->d, "hello", 5), 0);
    char buf[8];
    assert_int_equal(zmq_recv(f->raw, buf, sizeof buf, 0), 2); /* identity "w1" */
    assert_int_equal(zmq_recv(f->raw, buf, sizeof buf, 0), 5);

    assert_int_equal(zmq_send(f->raw, "w1", 2, ZMQ_SNDMORE), 2);
    assert_int_equal(zmq_send(f->raw, "x", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(f->raw, "y", 1, 0), 1);
    assert_int_equal(zmq_send(f->raw, "w1", 2, ZMQ_SNDMORE), 2);
    assert_int_equal(zmq_send(f->raw, "fine", 4, 0), 4);

    assert_int_equal(run_until(f->loop, &ds.calls, 1, WAIT_S), 1);
    run_for(f->loop, 0.05);
    assert_int_equal(ds.calls, 1);
    assert_string_equal(ds.last, "fine");
    assert_int_equal(f->d.stats.dropped_malformed, 1);
    assert_int_equal(f->d.stats.received, 1);
}

static void test_send_errors(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX];

    open_router(&f->r, f->loop, &rs, endpoint);
    assert_int_equal(hn_chan_send_to(&f->r, "nobody", 6, "x", 1), -EHOSTUNREACH);
    assert_int_equal(f->r.stats.send_errors, 1);
    assert_int_equal(f->r.stats.sent, 0);
    assert_int_equal(hn_chan_send(&f->r, "x", 1), HN_E_STATE); /* wrong socket type */
    /* The length is checked before the buffer is read. */
    assert_int_equal(hn_chan_send_to(&f->r, "nobody", 6, "x", (size_t)HN_PROTO_FRAME_MAX + 1),
                     HN_E_TOO_LARGE);

    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w2", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send_to(&f->d, "w2", 2, "x", 1), HN_E_STATE);
    /* Once the dealer has spoken, its identity is reachable. */
    assert_int_equal(hn_chan_send(&f->d, "hi", 2), 0);
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    assert_int_equal(hn_chan_send_to(&f->r, "w2", 2, "yo", 2), 0);
    assert_int_equal(run_until(f->loop, &ds.calls, 1, WAIT_S), 1);
    assert_string_equal(ds.last, "yo");

    hn_chan_close(&f->d);
    assert_int_equal(hn_chan_send(&f->d, "x", 1), HN_E_STATE);
    hn_chan_close(&f->d); /* twice is harmless */

    /* A bad endpoint fails the open and leaves the channel closed. */
    assert_true(hn_chan_router_open(&f->r2, zctx, f->loop, "nonsense", NULL, router_seen_cb, &rs) <
                0);
    assert_null(f->r2.sock);
}

/* Resident memory of this process, in bytes. */
static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* A frame sent many times (the master's SCENARIO, to a peer that says
 * HELLO again and again without reading) is held once: 64 sends of 4 MiB
 * queued for a peer that reads nothing cost far less than 64 copies
 * (256 MiB; each SCENARIO was a copy, and a peer re-saying HELLO every
 * second grew the master by the scenario's size each second). A peer that
 * reads gets the bytes whole. */
static void test_send_frame_shared(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0};
    char endpoint[ENDPOINT_MAX];
    open_router(&f->r, f->loop, &rs, endpoint);
    f->raw = zmq_socket(zctx, ZMQ_DEALER);
    assert_non_null(f->raw);
    int one = 1, small = 4096;
    zmq_setsockopt(f->raw, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(f->raw, ZMQ_RCVBUF, &small, sizeof small);
    assert_int_equal(zmq_connect(f->raw, endpoint), 0);
    assert_int_equal(zmq_send(f->raw, "hi", 2, 0), 2);
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);

    enum { FRAME = 4 << 20, SENDS = 64 };
    char *bytes = malloc(FRAME);
    assert_non_null(bytes);
    for (size_t i = 0; i < FRAME; i++)
        bytes[i] = (char)(i * 7);
    struct hn_chan_frame *fr;
    assert_int_equal(hn_chan_frame_new(bytes, (size_t)HN_PROTO_FRAME_MAX + 1, &fr), HN_E_TOO_LARGE);
    assert_int_equal(hn_chan_frame_new(bytes, FRAME, &fr), 0);
    assert_int_equal(hn_chan_send_frame_to(&f->r, "nobody", 6, fr), -EHOSTUNREACH);
    uint64_t before = rss_bytes();
    for (int i = 0; i < SENDS; i++)
        assert_int_equal(hn_chan_send_frame_to(&f->r, rs.last_id, rs.last_id_len, fr), 0);
    run_for(f->loop, 0.3);
    uint64_t grew = rss_bytes() - before;
    assert_true(before > 0);
    if (grew >= (uint64_t)16 * FRAME)
        fail_msg("%d sends of one %d-byte frame grew the process by %llu bytes", SENDS, FRAME,
                 (unsigned long long)grew);
    hn_chan_frame_free(fr); /* the queued sends keep the bytes */

    char *got = malloc(FRAME + 1);
    assert_non_null(got);
    int timeout_ms = 5000;
    zmq_setsockopt(f->raw, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    for (int i = 0; i < SENDS; i++) {
        assert_int_equal(zmq_recv(f->raw, got, FRAME + 1, 0), FRAME);
        assert_memory_equal(got, bytes, FRAME);
    }
    assert_int_equal(f->r.stats.sent, SENDS);
    free(got);
    free(bytes);
}

static int setup_calls;
static int failing_setup(void *zsock, void *arg)
{
    (void)zsock;
    (void)arg;
    setup_calls++;
    return -EPERM;
}

static void test_setup_hook(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0};
    struct hn_chan_opts opts = {.hwm = 10, .setup = failing_setup};

    assert_int_equal(
        hn_chan_router_open(&f->r, zctx, f->loop, ANY_PORT, &opts, router_seen_cb, &rs), -EPERM);
    assert_int_equal(setup_calls, 1);
    assert_null(f->r.sock);
}

/* The router's callback closes and frees the router on the first of five
 * queued messages: the drain must stop there (ASan catches any later use). */
static void test_close_in_callback(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0}, rs2 = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX], ep2[ENDPOINT_MAX];

    f->heap = malloc(sizeof *f->heap);
    assert_non_null(f->heap);
    open_router(f->heap, f->loop, &rs, endpoint);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w3", NULL, dealer_seen_cb, &ds), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(hn_chan_send(&f->d, "m", 1), 0);
    usleep(100 * 1000); /* let all five reach the router's queue: one drain */
    rs.close_me = f->heap;
    rs.free_it = true;
    f->heap = NULL; /* the callback frees it */
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    run_for(f->loop, 0.1);
    assert_int_equal(rs.calls, 1);

    /* A dealer closing itself (storage kept) stops too; the loop goes on. */
    open_router(&f->r2, f->loop, &rs2, ep2);
    hn_chan_close(&f->d);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, ep2, "w4", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send(&f->d, "hi", 2), 0);
    assert_int_equal(run_until(f->loop, &rs2.calls, 1, WAIT_S), 1);
    ds.calls = 0;
    ds.close_me = &f->d;
    for (int i = 0; i < 3; i++)
        assert_int_equal(hn_chan_send_to(&f->r2, "w4", 2, "z", 1), 0);
    usleep(100 * 1000);
    assert_int_equal(run_until(f->loop, &ds.calls, 1, WAIT_S), 1);
    run_for(f->loop, 0.1);
    assert_int_equal(ds.calls, 1);
    assert_null(f->d.sock);
    assert_int_equal(f->d.stats.received, 1);
}

/* A flood is handled HN_CHAN_BATCH messages per loop iteration, and the rest
 * on the following iterations without any new event (the loop must not
 * block with messages waiting). */
static void test_batch_bounded(void **state)
{
    enum { FLOOD = 1000 };
    struct fixture *f = *state;
    struct seen rs = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX];

    open_router(&f->r, f->loop, &rs, endpoint);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w5", NULL, dealer_seen_cb, &ds), 0);
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(hn_chan_send(&f->d, "f", 1), 0);
    /* Give the io thread time to move them into the router's queue (best
     * effort: nothing below depends on how many arrived). */
    usleep(300 * 1000);

    ev_run(f->loop, EVRUN_NOWAIT);
    assert_true(rs.calls > 0 && rs.calls <= HN_CHAN_BATCH);
    /* Blocking iterations now: only the channel's idle watcher keeps them
     * from sleeping until the fallback timer, which must never fire. */
    ev_timer fallback;
    int fallbacks = 0;
    ev_timer_init(&fallback, count_cb, WAIT_S, WAIT_S);
    fallback.data = &fallbacks;
    ev_timer_start(f->loop, &fallback);
    for (int i = 0; i < 100 && rs.calls < FLOOD && !fallbacks; i++)
        ev_run(f->loop, EVRUN_ONCE);
    ev_timer_stop(f->loop, &fallback);
    assert_int_equal(rs.calls, FLOOD);
    assert_int_equal(f->r.stats.received, FLOOD);
    assert_int_equal(fallbacks, 0);
}

/* ZMQ_FD's lost edge: a message waits and ZMQ_FD is readable, then a send on
 * the same socket processes zmq's commands, which consumes the signal. Only
 * asking ZMQ_EVENTS before the loop blocks finds that message. */
static void test_send_consumes_wakeup(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX];

    open_router(&f->r, f->loop, &rs, endpoint);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w7", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send(&f->d, "hello", 5), 0);
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    run_for(f->loop, 0.05); /* everything drained: the router waits on ZMQ_FD */

    for (int round = 0; round < 3; round++) {
        assert_int_equal(hn_chan_send(&f->d, "x", 1), 0);
        usleep(50 * 1000); /* "x" reaches the router; its ZMQ_FD is signalled */
        /* zmq_send processes commands when over ~1 ms passed since the last
         * call: the "pipe readable" command and the ZMQ_FD signal go here. */
        assert_int_equal(hn_chan_send_to(&f->r, "w7", 2, "y", 1), 0);
        assert_int_equal(run_until(f->loop, &rs.calls, 2 + round, WAIT_S), 2 + round);
        assert_int_equal(run_until(f->loop, &ds.calls, 1 + round, WAIT_S), 1 + round);
    }
}

/* hn_chan_opts.gather_s: once a drain handed over messages and emptied the
 * queue, what arrives waits for the gathering period to end, without
 * counting as backlog; a drain that finds nothing ends the gathering. */
static void test_gather(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX];
    struct hn_chan_opts opts = {.gather_s = 2.5};

    assert_int_equal(hn_chan_router_open(&f->r, zctx, f->loop, ANY_PORT, &opts, router_seen_cb, &rs),
                     0);
    assert_int_equal(hn_chan_endpoint(&f->r, endpoint, ENDPOINT_MAX), 0);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w8", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send(&f->d, "a", 1), 0);
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    assert_true(ev_is_active(&f->r.gather));

    assert_int_equal(hn_chan_send(&f->d, "b", 1), 0);
    /* "b" waits: the router gathers for 2.5 s from its last drain (this
     * fails only if the machine stalls over two seconds here). */
    run_for(f->loop, 0.2);
    assert_int_equal(rs.calls, 1);
    assert_true(hn_chan_backlog_age(&f->r, now_s()) == 0.0);
    assert_int_equal(run_until(f->loop, &rs.calls, 2, WAIT_S), 2);
    /* Replies are not held back. */
    assert_int_equal(hn_chan_send_to(&f->r, "w8", 2, "r", 1), 0);
    assert_int_equal(run_until(f->loop, &ds.calls, 1, WAIT_S), 1);

    /* Nothing more comes: the period's drain finds nothing and the router
     * waits on ZMQ_FD again (however long the machine takes to get there);
     * a message still comes. */
    double until = now_s() + WAIT_S;
    while (ev_is_active(&f->r.gather) && now_s() < until)
        run_for(f->loop, 0.1);
    assert_false(ev_is_active(&f->r.gather));
    assert_int_equal(hn_chan_send(&f->d, "c", 1), 0);
    assert_int_equal(run_until(f->loop, &rs.calls, 3, WAIT_S), 3);
    assert_string_equal(rs.last, "c");
}

static void ping_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hn_chan_send(w->data, "ping", 4); /* -EAGAIN is fine: the next tick retries */
}

/* The router goes away and comes back on the same port: the dealer
 * reconnects by itself and messages flow both ways again. */
static void test_reconnect(void **state)
{
    struct fixture *f = *state;
    struct seen rs = {0}, ds = {0};
    char endpoint[ENDPOINT_MAX];

    open_router(&f->r, f->loop, &rs, endpoint);
    assert_int_equal(
        hn_chan_dealer_open(&f->d, zctx, f->loop, endpoint, "w6", NULL, dealer_seen_cb, &ds), 0);
    assert_int_equal(hn_chan_send(&f->d, "first", 5), 0);
    assert_int_equal(run_until(f->loop, &rs.calls, 1, WAIT_S), 1);
    assert_int_equal(hn_chan_send_to(&f->r, "w6", 2, "ack1", 4), 0);
    assert_int_equal(run_until(f->loop, &ds.calls, 1, WAIT_S), 1);

    hn_chan_close(&f->r);
    run_for(f->loop, 0.2); /* the dealer notices and starts reconnecting */
    assert_int_equal(hn_chan_send_to(&f->r, "w6", 2, "x", 1), HN_E_STATE);
    memset(&rs, 0, sizeof rs);
    double start = now_s();
    assert_int_equal(hn_chan_router_open(&f->r, zctx, f->loop, endpoint, NULL, router_seen_cb, &rs),
                     0);

    ev_timer ping;
    ev_timer_init(&ping, ping_cb, 0., 0.05);
    ping.data = &f->d;
    ev_timer_start(f->loop, &ping);
    int got = run_until(f->loop, &rs.calls, 1, WAIT_S);
    ev_timer_stop(f->loop, &ping);
    assert_true(got >= 1);
    printf("# reconnect: first message through %.0f ms after the re-bind\n",
           (now_s() - start) * 1e3);
    assert_string_equal(rs.last, "ping");
    assert_int_equal(rs.last_id_len, 2);
    assert_memory_equal(rs.last_id, "w6", 2);
    assert_int_equal(hn_chan_send_to(&f->r, "w6", 2, "ack2", 4), 0);
    assert_int_equal(run_until(f->loop, &ds.calls, 2, WAIT_S), 2);
    assert_string_equal(ds.last, "ack2");
}

static int group_setup(void **state)
{
    (void)state;
    zctx = zmq_ctx_new();
    return zctx ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return zmq_ctx_term(zctx);
}

#define FIXTURE_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_malformed_dropped_router),
        FIXTURE_TEST(test_malformed_dropped_dealer),
        FIXTURE_TEST(test_send_errors),
        FIXTURE_TEST(test_send_frame_shared),
        FIXTURE_TEST(test_setup_hook),
        FIXTURE_TEST(test_close_in_callback),
        FIXTURE_TEST(test_batch_bounded),
        FIXTURE_TEST(test_send_consumes_wakeup),
        FIXTURE_TEST(test_reconnect),
        FIXTURE_TEST(test_gather),
        cmocka_unit_test(test_stress_many_dealers),
        cmocka_unit_test(test_stress_many_dealers_gathering),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
