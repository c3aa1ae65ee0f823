/* The open model on one engine thread: the pacer's iterations, each handed
 * to a free user of its class, to a new one while the class is under its
 * share of max_users, or queued first in, first out until a user is free.
 * An iteration that waited longer than max_delay is dropped and counted,
 * never silently skipped; the time the others waited counts in their
 * latency from the intended start (vuser.c). */
#include "engine_internal.h"
#include "array.h"
#include "error.h"
#include "log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Queue slots kept per class beyond what max_delay can hold at the rate. */
#define QUEUE_SLACK 64
/* Slots reserved ahead of need (8 MiB of a class's queue), and the most a
 * queue ever holds (beyond, iterations are dropped at once): a rate and a
 * max_delay from the network cannot make a worker reserve gigabytes. */
#define QUEUE_RESERVE_MAX (1u << 20)
#define QUEUE_MAX (1u << 23)

static bool queue_push(struct hn_open_class *oc, double at)
{
    if (oc->q_len == oc->q_cap) {
        /* Grown only when the rate or max_delay grew past what the target
         * reserved (hn_open_apply): not in the steady state. */
        if (oc->q_cap >= QUEUE_MAX)
            return false;
        uint32_t cap = oc->q_cap ? oc->q_cap * 2 : QUEUE_SLACK;
        double *q = malloc(cap * sizeof(*q));
        if (!q)
            return false;
        for (uint32_t i = 0; i < oc->q_len; i++)
            q[i] = oc->queue[(oc->q_head + i) % oc->q_cap];
        free(oc->queue);
        oc->queue = q;
        oc->q_cap = cap;
        oc->q_head = 0;
    }
    oc->queue[(oc->q_head + oc->q_len) % oc->q_cap] = at;
    oc->q_len++;
    return true;
}

static double queue_pop(struct hn_open_class *oc)
{
    double at = oc->queue[oc->q_head];
    oc->q_head = (oc->q_head + 1) % oc->q_cap;
    oc->q_len--;
    return at;
}

/* Drop the iterations at the head of @oc's queue that waited too long. */
static void drop_stale(struct hn_engine *e, struct hn_open_class *oc, double now)
{
    while (oc->q_len && now - oc->queue[oc->q_head] > e->open.max_delay_s) {
        queue_pop(oc);
        e->active->dropped++;
    }
}

/* Run queued iterations of class @c while a user can take them: a parked
 * one, else a new one while the class is under its cap. */
static void serve(struct hn_engine *e, uint32_t c)
{
    struct hn_open_class *oc = &e->open.cls[c];
    struct hn_vu_class *vc = &e->classes[c];
    double now = ev_now(e->loop);
    drop_stale(e, oc, now);
    while (oc->q_len) {
        struct hn_vuser *vu = oc->parked;
        if (vu) {
            oc->parked = vu->next_free;
            vu->next_free = NULL;
            hn_vuser_iterate(vu, queue_pop(oc));
            continue;
        }
        if (vc->running + vc->starved >= oc->cap)
            return;
        double at = oc->queue[oc->q_head];
        int err = hn_engine_spawn(e, c, at);
        if (err == HN_E_STATE)
            return; /* no user id granted yet: the next tick tries again */
        if (err == HN_E_RANGE)
            continue; /* no data row left: counted as starved, cap reached */
        if (err) {
            hn_log_error("engine %u: cannot start a user: %s; class %u capped at %u", e->index,
                         hn_strerror(err), c, vc->running);
            oc->cap = vc->running;
            return;
        }
        queue_pop(oc);
    }
}

static void arm(struct hn_engine *e)
{
    double next = hn_pacer_next_at(&e->open.pacer), now = ev_now(e->loop);
    /* Waiting iterations need a look every 100 ms even without arrivals:
     * they may have to be dropped, or a user id may have come. */
    bool waiting = false;
    for (uint32_t c = 0; c < e->plan->n_classes && !waiting; c++)
        waiting = e->open.cls[c].q_len > 0;
    double in = next - now;
    if (waiting && !(in < 0.1))
        in = 0.1;
    /* A timerfd, not an ev_timer: libev's epoll wait rounds timeouts up to
     * whole milliseconds, and that much lateness on every iteration would
     * show in its latency from the intended start as if the server were
     * slow. The timerfd wakes the loop within microseconds. */
    struct itimerspec its = {0};
    if (isfinite(in)) {
        if (in < 1e-6)
            in = 1e-6; /* 0 would disarm it */
        its.it_value.tv_sec = (time_t)in;
        its.it_value.tv_nsec = (long)((in - (double)its.it_value.tv_sec) * 1e9);
    }
    timerfd_settime(e->open.tfd, 0, &its, NULL);
}

static void on_pace(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct hn_engine *e = w->data;
    uint64_t expirations;
    if (read(e->open.tfd, &expirations, sizeof(expirations)) < 0 || !e->open.on)
        return;
    ev_now_update(loop);
    double now = ev_now(e->loop), at;
    uint32_t c;
    /* Everything due by now, each with its own intended start: a late
     * wake-up delays iterations (and says so in their latency), it does
     * not lose them. */
    while (hn_pacer_take(&e->open.pacer, now, &at, &c)) {
        if (!queue_push(&e->open.cls[c], at))
            e->active->dropped++; /* no room: counted, not lost */
    }
    for (uint32_t k = 0; k < e->plan->n_classes; k++)
        if (e->open.cls[k].q_len)
            serve(e, k);
    hn_engine_publish_users(e);
    arm(e);
}

int hn_open_init(struct hn_engine *e)
{
    hn_pacer_init(&e->open.pacer, e->n_engines ? (double)e->index / e->n_engines : 0);
    e->open.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (e->open.tfd < 0)
        return -errno;
    ev_io_init(&e->open.timer, on_pace, e->open.tfd, EV_READ);
    e->open.timer.data = e;
    ev_io_start(e->loop, &e->open.timer);
    return 0;
}

void hn_open_deinit(struct hn_engine *e)
{
    for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++)
        free(e->open.cls[c].queue);
    if (e->open.tfd >= 0) {
        if (e->loop)
            ev_io_stop(e->loop, &e->open.timer);
        close(e->open.tfd);
    }
}

void hn_open_apply(struct hn_engine *e, const uint32_t *caps, double rate, uint64_t max_delay_ms)
{
    uint32_t n = e->plan->n_classes;
    e->open.on = true;
    e->open.max_delay_s = (double)max_delay_ms / 1000.0;
    uint32_t total = 0;
    for (uint32_t c = 0; c < n; c++)
        total += caps[c];
    for (uint32_t c = 0; c < n; c++) {
        struct hn_open_class *oc = &e->open.cls[c];
        oc->cap = caps[c];
        /* Room for every iteration max_delay can keep waiting, reserved
         * now so the hot path does not allocate. */
        double most = total ? rate * caps[c] / total * e->open.max_delay_s : 0;
        uint32_t want = most < QUEUE_RESERVE_MAX ? (uint32_t)most + QUEUE_SLACK : QUEUE_RESERVE_MAX;
        if (want > oc->q_cap) {
            double *q = malloc(want * sizeof(*q));
            if (q) {
                for (uint32_t i = 0; i < oc->q_len; i++)
                    q[i] = oc->queue[(oc->q_head + i) % oc->q_cap];
                free(oc->queue);
                oc->queue = q;
                oc->q_cap = want;
                oc->q_head = 0;
            }
        }
        /* Users over a lowered cap leave: parked ones now, busy ones when
         * their iteration ends (hn_open_user_done). */
        struct hn_vu_class *vc = &e->classes[c];
        while (vc->running > oc->cap && oc->parked) {
            struct hn_vuser *vu = oc->parked;
            oc->parked = vu->next_free;
            vu->next_free = NULL;
            hn_engine_retire_user(e, vu);
        }
    }
    hn_pacer_set(&e->open.pacer, ev_now(e->loop), rate, caps, n);
    hn_http_set_users_hint(e->http, total);
    for (uint32_t c = 0; c < n; c++)
        serve(e, c);
    hn_engine_publish_users(e);
    arm(e);
}

void hn_open_leave(struct hn_engine *e)
{
    if (!e->open.on)
        return;
    e->open.on = false;
    struct itimerspec off = {0};
    timerfd_settime(e->open.tfd, 0, &off, NULL);
    hn_pacer_set(&e->open.pacer, ev_now(e->loop), 0, e->open.pacer.weights,
                 e->open.pacer.n_classes);
    for (uint32_t c = 0; c < e->plan->n_classes; c++) {
        struct hn_open_class *oc = &e->open.cls[c];
        /* Iterations still waiting at the end of the open model were not
         * late past max_delay: the run ended before their turn. */
        oc->q_len = 0;
        oc->q_head = 0;
        while (oc->parked) {
            struct hn_vuser *vu = oc->parked;
            oc->parked = vu->next_free;
            vu->next_free = NULL;
            hn_engine_retire_user(e, vu);
        }
        oc->cap = 0;
    }
}

void hn_open_user_done(struct hn_engine *e, struct hn_vuser *vu)
{
    uint32_t c = vu->class_idx;
    struct hn_open_class *oc = &e->open.cls[c];
    if (!e->open.on || e->classes[c].running > oc->cap) {
        hn_engine_retire_user(e, vu);
        hn_engine_publish_users(e);
        return;
    }
    drop_stale(e, oc, ev_now(e->loop));
    if (oc->q_len) {
        hn_vuser_iterate(vu, queue_pop(oc));
        return;
    }
    vu->next_free = oc->parked;
    oc->parked = vu;
}
