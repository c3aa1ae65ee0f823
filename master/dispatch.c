/* Messages from the master to its workers, and the split of the users
 * wanted now over the live workers (see run_internal.h). */
#include "clock.h"
#include "distribute.h"
#include "error.h"
#include "log.h"
#include "run_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int hn_dispatch_to(struct hn_run *r, struct hn_worker *w, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int err = hn_msg_encode(m, &buf);
    if (!err)
        err = hn_chan_send_to(&r->chan, w->route, w->route_len, buf.data, buf.size);
    if (!err)
        w->last_sent = ev_now(r->loop);
    if (err && err != -EHOSTUNREACH)
        hn_log_warn("cannot send %s to worker %u: %s", hn_msg_type_name(m->type), w->index,
                    hn_strerror(err));
    msgpack_sbuffer_destroy(&buf);
    return err;
}

void hn_dispatch_frame_to(struct hn_run *r, struct hn_worker *w, struct hn_chan_frame *f,
                          enum hn_msg_type type)
{
    int err = hn_chan_send_frame_to(&r->chan, w->route, w->route_len, f);
    if (!err)
        w->last_sent = ev_now(r->loop);
    if (err && err != -EHOSTUNREACH)
        hn_log_warn("cannot send %s to worker %u: %s", hn_msg_type_name(type), w->index,
                    hn_strerror(err));
}

void hn_dispatch_heartbeats(struct hn_run *r)
{
    struct hn_msg hb = {.type = HN_MSG_HEARTBEAT};
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (hn_msg_encode(&hb, &buf) == 0) {
        double now = ev_now(r->loop);
        for (uint32_t i = 0; i < r->reg.n; i++) {
            struct hn_worker *w = &r->reg.workers[i];
            if (w->missing || now - w->last_sent < HN_RUN_HEARTBEAT_QUIET_S)
                continue;
            if (hn_chan_send_to(&r->chan, w->route, w->route_len, buf.data, buf.size) == 0)
                w->last_sent = now;
        }
    }
    msgpack_sbuffer_destroy(&buf);
}

bool hn_dispatch_route_alive(struct hn_run *r, const struct hn_worker *w)
{
    struct hn_msg hb = {.type = HN_MSG_HEARTBEAT};
    return hn_dispatch_to_route(r, w->route, w->route_len, &hb) != -EHOSTUNREACH;
}

int hn_dispatch_to_route(struct hn_run *r, const void *route, size_t len, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int err = hn_msg_encode(m, &buf);
    if (!err)
        err = hn_chan_send_to(&r->chan, route, len, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
    return err;
}

void hn_dispatch_broadcast(struct hn_run *r, const struct hn_msg *m)
{
    for (uint32_t i = 0; i < r->reg.n; i++)
        if (!r->reg.workers[i].missing)
            hn_dispatch_to(r, &r->reg.workers[i], m);
}

/* Milliseconds since the load began. */
static uint64_t elapsed_ms(const struct hn_run *r)
{
    double e = (ev_now(r->loop) - r->started_at) * 1000.0;
    return e > 0 ? (uint64_t)e : 0;
}

uint64_t hn_dispatch_next_stage_ms(const struct hn_run *r)
{
    uint64_t end = hn_run_plan_stage_end_ms(r->plan, elapsed_ms(r));
    return end == UINT64_MAX ? 0 : end;
}

/* What the whole run asks for now: users per class (closed model: as the
 * plan wants them one second ahead, never past the end of the stage, so
 * workers ramp within the coming second and a step lands on time; open
 * model: the most users per class), the spawn rate, and the open model's
 * iterations per second until the next TARGET (the plan's exact integral
 * over that time, so ramps add up to the plan's count). */
struct want {
    uint32_t users[HN_PROTO_CLASSES_MAX];
    double spawn_rate, rate;
};

/* Open model: the most users, per class. Every class gets one (the plan
 * has at least as many as classes), the rest goes by weight. A default
 * max_users is headroom, not a demand: it is held to what the workers can
 * hold, so it never reads as a shortfall. */
static void open_users(struct hn_run *r, uint32_t *out)
{
    const struct hn_load_shape *sh = &r->plan->shape;
    uint32_t n = r->scenario->n_classes, most = sh->max_users;
    if (r->plan->max_users_defaulted) {
        uint64_t room = 0;
        for (uint32_t i = 0; i < r->reg.n; i++) {
            const struct hn_worker *w = &r->reg.workers[i];
            if (hn_worker_active(w))
                room += w->hello.capacity ? w->hello.capacity : UINT32_MAX;
        }
        if (room < most)
            most = room > n ? (uint32_t)room : n;
    }
    hn_distribute_classes(most - n, r->class_weights, n, out);
    for (uint32_t c = 0; c < n; c++)
        out[c]++;
}

static void wanted(struct hn_run *r, struct want *w)
{
    const struct hn_load_shape *sh = &r->plan->shape;
    uint32_t n = r->scenario->n_classes;
    uint64_t t = elapsed_ms(r);
    if (sh->open) {
        open_users(r, w->users);
        /* A worker holds a TARGET's rate until the next one: the plan's
         * mean over exactly that time, so that the rates held add up to
         * the plan's integral whatever the phase of the tick (the mean
         * over the coming second ran half a second ahead of a ramp: 12 %
         * short on a one-second ramp down at the end of a run). */
        double tick_in_ms =
            ev_is_active(&r->tick) ? ev_timer_remaining(r->loop, &r->tick) * 1000.0 : 1000.0;
        uint64_t next = hn_run_plan_next_target_ms(r->plan, t, (uint64_t)tick_in_ms);
        w->rate = hn_run_plan_rate(r->plan, t, next);
        w->spawn_rate = 0; /* users start when an iteration needs one */
        return;
    }
    uint64_t ahead = t + 1000, end = hn_run_plan_stage_end_ms(r->plan, t);
    hn_run_plan_users(r->plan, r->scenario, ahead < end ? ahead : end, w->users);
    w->spawn_rate = hn_shape_spawn_rate(sh, r->class_weights, n, t);
    w->rate = 0;
}

struct grant_ctx {
    struct hn_run *r;
    struct hn_worker *w;
    uint32_t sent;
    bool failed;
};

static void send_grant(void *ctx, const struct hn_msg *m)
{
    struct grant_ctx *g = ctx;
    if (hn_dispatch_to(g->r, g->w, m) == 0)
        g->sent++;
    else
        g->failed = true;
}

/* Users the workers cannot hold: said plainly when it starts, when it
 * changes (at most every 10 s) and at the end (run_finish.c). */
static void say_shortfall(struct hn_run *r, uint32_t lost)
{
    double now = ev_now(r->loop);
    if (lost > r->shortfall_max)
        r->shortfall_max = lost;
    if (lost == r->shortfall_said || (r->shortfall_said && lost && now - r->shortfall_at < 10.0))
        return;
    if (lost)
        hn_log_warn("the workers cannot hold the requested load: %u of the %u users asked for "
                    "now exceed their capacities and do not run (add workers or raise their "
                    "--capacity)",
                    lost, r->users_now);
    else
        hn_log_info("the workers hold the requested load again");
    r->shortfall_said = lost;
    r->shortfall_at = now;
}

/* What is left of the run's time, for a TARGET: an open-model worker
 * schedules no iteration past it, whenever our STOP reaches it, and every
 * worker sends the phases it held back before it. Read off
 * the run_end timer (the monotonic clock: a wall clock that jumps must not
 * shorten the run). 0: the run has no set time; at least 1 once it is over
 * (the STOP is on its way). */
static uint64_t ends_in_ms(struct hn_run *r)
{
    if (!r->plan->run_time_ms || !ev_is_active(&r->run_end))
        return 0;
    double left_ms = ev_timer_remaining(r->loop, &r->run_end) * 1000.0;
    return left_ms >= 1.0 ? (uint64_t)(left_ms + 0.5) : 1; /* to the nearest ms */
}

void hn_dispatch_targets(struct hn_run *r)
{
    uint32_t alive = hn_registry_alive(&r->reg);
    if (alive == 0 || r->state != HN_RUN_RUNNING)
        return;
    uint32_t n_classes = r->scenario->n_classes;
    struct want want;
    wanted(r, &want);
    r->users_now = 0;
    for (uint32_t c = 0; c < n_classes; c++)
        r->users_now += want.users[c];
    r->users_max = r->users_now > r->users_max ? r->users_now : r->users_max;
    uint32_t *hosts = calloc(alive, sizeof(*hosts));
    struct hn_share *shares = calloc(alive, sizeof(*shares));
    struct hn_share *before = calloc(alive, sizeof(*before));
    struct hn_share *running = calloc(alive, sizeof(*running)); /* as they report */
    double *spawn_rates = calloc(alive, sizeof(*spawn_rates));
    struct hn_worker **live = calloc(alive, sizeof(*live));
    if (!hosts || !shares || !before || !running || !spawn_rates || !live) {
        hn_log_error("out of memory while distributing users");
        goto out;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        if (hn_worker_active(&r->reg.workers[i])) {
            live[k] = &r->reg.workers[i];
            before[k] = live[k]->share;
            running[k].total = live[k]->users;
            hosts[k++] = r->reg.workers[i].host;
        }
    }
    hn_distribute_workers(want.users, n_classes, hosts, alive, before, shares);
    for (uint32_t i = 0; i < alive; i++)
        hosts[i] = live[i]->hello.capacity; /* reused: the capacities */
    uint32_t lost = hn_distribute_cap(shares, alive, hosts, n_classes);
    say_shortfall(r, lost);
    /* From the users each runs now, not those it was told: a worker still
     * far from its target keeps a rate that gets it there with the others. */
    hn_distribute_spawn_rates(running, shares, alive, want.spawn_rate, spawn_rates);
    /* The open model's iterations go to classes by weight, and a class's
     * iterations to workers with its users: a worker holding a third of a
     * class's users starts a third of its iterations. */
    uint64_t placed[HN_PROTO_CLASSES_MAX] = {0}, wsum = 0;
    for (uint32_t c = 0; c < n_classes; c++) {
        wsum += r->class_weights[c];
        for (uint32_t i = 0; i < alive; i++)
            placed[c] += shares[i].users[c];
    }
    bool open = r->plan->shape.open;
    for (uint32_t i = 0; i < alive; i++) {
        /* Back on a new connection, GRANTs of the old one unacknowledged:
         * it keeps what it runs until a HEARTBEAT says which arrived. */
        if (!hn_grant_ledger_settled(&live[i]->grants))
            continue;
        struct hn_msg m = {.type = HN_MSG_TARGET};
        m.target.seq = ++r->target_seq;
        m.target.phase = HN_PHASE_RUN;
        m.target.model = open ? HN_MODEL_OPEN : HN_MODEL_CLOSED;
        m.target.n_classes = n_classes;
        memcpy(m.target.users, shares[i].users, n_classes * sizeof(uint32_t));
        m.target.spawn_rate_per_s = spawn_rates[i];
        if (open) {
            m.target.n_class_rates = n_classes;
            for (uint32_t c = 0; c < n_classes; c++) {
                double of_class = wsum ? want.rate * r->class_weights[c] / (double)wsum : 0;
                m.target.class_rates[c] =
                    placed[c] ? of_class * shares[i].users[c] / (double)placed[c] : 0;
                m.target.arrival_rate_per_s += m.target.class_rates[c];
            }
            m.target.max_users = shares[i].total;
            m.target.max_delay_ms = (uint32_t)r->plan->shape.max_delay_ms;
        }
        m.target.ends_in_ms = ends_in_ms(r);
        m.target.start_wall_ms = hn_clock_wall_ms();
        live[i]->share = shares[i];
        /* Ids and rows first: the worker starts its new users with them. */
        struct grant_ctx g = {r, live[i], 0, false};
        if (hn_deal(&r->dealer, r->scenario, live[i]->granted, shares[i].users, n_classes,
                    send_grant, &g)) {
            hn_log_error("out of memory while dealing users to worker %u", live[i]->index);
            g.failed = true; /* part of it not sent: dealt again at the next tick */
        }
        hn_grant_ledger_dealt(&live[i]->grants, live[i]->granted, n_classes, g.sent, g.failed);
        hn_dispatch_to(r, live[i], &m);
    }
out:
    free(hosts);
    free(shares);
    free(before);
    free(running);
    free(spawn_rates);
    free(live);
}
