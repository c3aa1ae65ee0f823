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

void hn_dispatch_to(struct hn_run *r, struct hn_worker *w, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int err = hn_msg_encode(m, &buf);
    if (!err)
        err = hn_chan_send_to(&r->chan, w->route, w->route_len, buf.data, buf.size);
    if (err && err != -EHOSTUNREACH)
        hn_log_warn("cannot send %s to worker %u: %s", hn_msg_type_name(m->type), w->index,
                    hn_strerror(err));
    msgpack_sbuffer_destroy(&buf);
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

/* Users wanted now: ramped at the spawn rate from the start, aiming one
 * second ahead so workers ramp smoothly within the coming second. */
static uint32_t ramp_users(struct hn_run *r)
{
    double elapsed = ev_now(r->loop) - r->started_at;
    double ramped = ceil(r->cfg->spawn_rate * (elapsed + 1.0));
    return ramped >= r->cfg->users ? r->cfg->users : (uint32_t)ramped;
}

struct grant_ctx {
    struct hn_run *r;
    struct hn_worker *w;
};

static void send_grant(void *ctx, const struct hn_msg *m)
{
    struct grant_ctx *g = ctx;
    hn_dispatch_to(g->r, g->w, m);
}

/* Users the workers cannot hold: said plainly when it starts, when it
 * changes (at most every 10 s) and at the end (run.c). */
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

void hn_dispatch_targets(struct hn_run *r)
{
    uint32_t alive = hn_registry_alive(&r->reg);
    if (alive == 0 || r->state != HN_RUN_RUNNING)
        return;
    r->users_now = ramp_users(r);
    uint32_t n_classes = r->scenario->n_classes;
    uint32_t class_users[HN_PROTO_CLASSES_MAX];
    hn_distribute_classes(r->users_now, r->class_weights, n_classes, class_users);
    uint32_t *hosts = calloc(alive, sizeof(*hosts));
    struct hn_share *shares = calloc(alive, sizeof(*shares));
    struct hn_worker **live = calloc(alive, sizeof(*live));
    if (!hosts || !shares || !live) {
        hn_log_error("out of memory while distributing users");
        goto out;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        if (hn_worker_active(&r->reg.workers[i])) {
            live[k] = &r->reg.workers[i];
            hosts[k++] = r->reg.workers[i].host;
        }
    }
    hn_distribute_workers(class_users, n_classes, hosts, alive, shares);
    for (uint32_t i = 0; i < alive; i++)
        hosts[i] = live[i]->hello.capacity; /* reused: the capacities */
    uint32_t lost = hn_distribute_cap(shares, alive, hosts, n_classes);
    say_shortfall(r, lost);
    for (uint32_t i = 0; i < alive; i++) {
        struct hn_msg m = {.type = HN_MSG_TARGET};
        m.target.seq = ++r->target_seq;
        m.target.phase = HN_PHASE_RUN;
        m.target.model = HN_MODEL_CLOSED;
        m.target.n_classes = n_classes;
        memcpy(m.target.users, shares[i].users, n_classes * sizeof(uint32_t));
        m.target.spawn_rate_per_s = r->cfg->spawn_rate / alive;
        m.target.start_wall_ms = hn_clock_wall_ms();
        live[i]->share = shares[i];
        /* Ids and rows first: the worker starts its new users with them. */
        struct grant_ctx g = {r, live[i]};
        if (hn_deal(&r->dealer, r->scenario, live[i]->granted, shares[i].users, n_classes,
                    send_grant, &g))
            hn_log_error("out of memory while dealing users to worker %u", live[i]->index);
        hn_dispatch_to(r, live[i], &m);
    }
out:
    free(hosts);
    free(shares);
    free(live);
}
