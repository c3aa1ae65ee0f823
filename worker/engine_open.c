/* The open model on one engine thread: the pacer's iterations, each handed
 * to a free user of its class, to a new one while the class is under its
 * share of max_users, or queued first in, first out until a user is free.
 * An iteration that waited longer than max_delay, or still waits when the
 * open model ends, is dropped and counted, never silently skipped; the time the others waited
 * counts in their latency from the intended start (vuser.c). */
#include "engine_internal.h"
#include "array.h"
#include "error.h"
#include "log.h"
#include "clock.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Queue slots kept per class beyond what max_delay can hold at the rate. */
#define QUEUE_SLACK 64
/* Queue slots of all classes of a thread together (64 MiB): a rate and a
 * max_delay from the network cannot make a worker take more; beyond it,
 * iterations are dropped at once, and counted. */
#define QUEUE_SLOTS_MAX (1u << 23)

/* Make room for @cap iterations in @oc's queue, within the thread's budget.
 * False if the budget or memory says no. */
static bool queue_reserve(struct hn_engine *e, struct hn_open_class *oc, uint32_t cap)
{
    if (cap <= oc->q_cap)
        return true;
    if (e->open.q_slots - oc->q_cap + cap > QUEUE_SLOTS_MAX)
        return false;
    double *q = malloc(cap * sizeof(*q));
    if (!q)
        return false;
    for (uint32_t i = 0; i < oc->q_len; i++)
        q[i] = oc->queue[(oc->q_head + i) % oc->q_cap];
    free(oc->queue);
    e->open.q_slots += cap - oc->q_cap;
    oc->queue = q;
    oc->q_cap = cap;
    oc->q_head = 0;
    return true;
}

static bool queue_push(struct hn_engine *e, struct hn_open_class *oc, double at)
{
    /* Grown here only when the rate or max_delay grew past what the target
     * reserved (hn_open_apply): not in the steady state. */
    if (oc->q_len == oc->q_cap &&
        !queue_reserve(e, oc, oc->q_cap ? oc->q_cap * 2 : QUEUE_SLACK))
        return false;
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

/* @n iterations dropped: in this interval's report and in the run's tally
 * (hn_engine_open_tally). */
static void count_dropped(struct hn_engine *e, uint64_t n)
{
    e->active->dropped += n;
    e->open.dropped += n;
}

/* Drop the iterations at the head of @oc's queue that waited too long. */
static void drop_stale(struct hn_engine *e, struct hn_open_class *oc, double now)
{
    while (oc->q_len && now - oc->queue[oc->q_head] > e->open.max_delay_s) {
        queue_pop(oc);
        count_dropped(e, 1);
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
            e->open.started++;
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
        e->open.started++;
        queue_pop(oc);
    }
}

double hn_open_next_at(struct hn_engine *e)
{
    if (!e->open.on)
        return INFINITY;
    double next = hn_pacer_next_at(&e->open.pacer), look = ev_now(e->loop) + 0.1;
    /* Waiting iterations need a look every 100 ms even without arrivals:
     * they may have to be dropped, or a user id may have come. */
    for (uint32_t c = 0; c < e->plan->n_classes; c++)
        if (e->open.cls[c].q_len)
            return next < look ? next : look;
    return next;
}

void hn_open_tick(struct hn_engine *e, double now)
{
    if (!e->open.on)
        return;
    double at;
    uint32_t c;
    /* Everything due by now, each with its own intended start: a late
     * wake-up delays iterations (and says so in their latency), it does
     * not lose them. */
    while (hn_pacer_take(&e->open.pacer, now, &at, &c)) {
        if (!queue_push(e, &e->open.cls[c], at))
            count_dropped(e, 1); /* no room: counted, not lost */
    }
    for (uint32_t k = 0; k < e->plan->n_classes; k++)
        if (e->open.cls[k].q_len)
            serve(e, k);
}

void hn_open_init(struct hn_engine *e)
{
    /* Not from the engine's generator: workers started with one --seed
     * would all take the same phase (and the seeded sequences would
     * shift); the clock, the process and the thread differ. */
    uint64_t entropy = hn_rng_seed(hn_clock_mono_ns() ^ (uint64_t)getpid() << 32 ^ e->index);
    hn_pacer_init(&e->open.pacer, hn_pacer_phase(e->index, e->n_engines, hn_rng_next(&entropy)));
}

void hn_open_deinit(struct hn_engine *e)
{
    for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++)
        free(e->open.cls[c].queue);
    e->open.q_slots = 0;
}

void hn_open_apply(struct hn_engine *e, const uint32_t *caps, const double *class_rates,
                   uint64_t max_delay_ms, double from, double end_at)
{
    uint32_t n = e->plan->n_classes, total = 0;
    double rate = 0;
    e->open.on = true;
    e->open.max_delay_s = (double)max_delay_ms / 1000.0;
    for (uint32_t c = 0; c < n; c++) {
        total += caps[c];
        rate += class_rates[c];
    }
    /* The pacer shares iterations by integer weights: the class rates in
     * millionths of the whole. */
    uint32_t weights[HN_MODEL_CLASSES_MAX] = {0};
    for (uint32_t c = 0; c < n && rate > 0; c++)
        weights[c] = (uint32_t)llround(class_rates[c] / rate * 1e6);
    for (uint32_t c = 0; c < n; c++) {
        struct hn_open_class *oc = &e->open.cls[c];
        oc->cap = caps[c];
        /* Room for every iteration max_delay can keep waiting, reserved
         * now so the hot path does not allocate (what the budget allows). */
        double most = class_rates[c] * e->open.max_delay_s + QUEUE_SLACK;
        queue_reserve(e, oc, most < QUEUE_SLOTS_MAX ? (uint32_t)most : QUEUE_SLOTS_MAX);
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
    /* From the target's arrival, not from when this thread woke for it: the
     * run's end is reckoned from the arrival too, and the wake-up (a few ms
     * on a busy machine) would otherwise cut iterations off the end. */
    double now = ev_now(e->loop);
    hn_pacer_set(&e->open.pacer, from < now ? from : now, rate, weights, n);
    hn_pacer_set_end(&e->open.pacer, end_at);
    hn_http_set_users_hint(e->http, total);
    for (uint32_t c = 0; c < n; c++)
        serve(e, c);
    hn_engine_publish_users(e);
    hn_engine_arm(e);
}

void hn_open_leave(struct hn_engine *e)
{
    if (!e->open.on)
        return;
    /* Iterations due by now that the loop has not taken yet start as they
     * would have a moment ago: the timerfd and this command can wake the
     * loop together (after a stall), and which it reads first must not
     * decide whether they run (they would go uncounted). */
    double now = ev_now(e->loop);
    hn_open_tick(e, now);
    e->open.on = false;
    hn_engine_arm(e);
    struct hn_pacer *p = &e->open.pacer;
    e->open.to = now < p->end ? now : p->end;
    e->open.asked = hn_pacer_asked(p, e->open.to);
    hn_pacer_set(p, now, 0, p->weights, p->n_classes);
    for (uint32_t c = 0; c < e->plan->n_classes; c++) {
        struct hn_open_class *oc = &e->open.cls[c];
        /* Iterations still waiting at the end of the open model were due
         * and found no free user: dropped, or a run whose users could not
         * keep up would report the rate it was asked for (22 % of it went
         * missing, with "dropped < 1" passed). */
        count_dropped(e, oc->q_len);
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
        e->open.started++;
        hn_vuser_iterate(vu, queue_pop(oc));
        return;
    }
    vu->next_free = oc->parked;
    oc->parked = vu;
}
