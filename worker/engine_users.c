/* The users of one engine thread: starting them (an id and data rows from
 * the grants), retiring them, and converging their number toward the
 * target at the spawn rate. Runs when the number of users changes, never
 * per request (the request path stays in vuser.c and engine.c). */
#include "engine_internal.h"
#include "array.h"
#include "error.h"
#include "log.h"

#include <stdio.h>

static int track_user(struct hn_engine *e, struct hn_vuser *vu)
{
    int err = hn_array_reserve(&e->users, &e->cap_users, e->n_users + 1, sizeof(*e->users), 64);
    if (!err) /* a paced wait of every user never allocates */
        err = hn_deadlines_reserve(&e->paced, e->n_users + 1);
    if (err)
        return err;
    e->users[e->n_users++] = vu;
    return 0;
}

/* Take the next user's id and rows. 0; HN_E_STATE: none granted yet (try
 * again later); HN_E_RANGE: a UNIQUE feeder has no row left (counted as an
 * exception: the user cannot start). */
static int user_data(struct hn_engine *e, uint32_t class_idx, struct hn_user_data *d)
{
    const struct hn_scenario *s = e->plan->scenario;
    const struct hn_user_class *c = &s->classes[class_idx];
    uint32_t feeder = 0;
    int err = hn_grants_take(e->grants, c, d, &feeder);
    if (err == HN_E_STATE && !e->warned_no_ids) {
        e->warned_no_ids = true;
        hn_log_warn("engine %u: waiting for the master to grant user ids", e->index);
    }
    if (err == HN_E_RANGE) {
        char msg[HN_PROTO_ERROR_MAX + 1];
        snprintf(msg, sizeof(msg), "data %s exhausted: a user could not start",
                 feeder < s->n_feeders ? s->feeders[feeder].name : "?");
        hn_recorder_exception(e->active, msg);
    }
    if (err)
        return err;
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        const struct hn_feeder *fd = &s->feeders[f];
        if ((c->feeders_used & (1u << f)) && fd->order == HN_ORDER_RANDOM && fd->n_rows)
            d->rows[f] = &fd->cells[(hn_engine_random(e) % fd->n_rows) * fd->n_columns];
    }
    return 0;
}

int hn_engine_spawn(struct hn_engine *e, uint32_t class_idx, double intended_at)
{
    struct hn_vu_class *vc = &e->classes[class_idx];
    int err = hn_array_reserve(&vc->stack, &vc->cap, vc->running + 1, sizeof(*vc->stack), 16);
    if (err)
        return err;
    struct hn_user_data data;
    if ((err = user_data(e, class_idx, &data))) {
        if (err == HN_E_RANGE)
            vc->starved++;
        return err;
    }
    struct hn_vuser *vu = e->spare;
    if (vu) {
        e->spare = vu->next_free;
        vu->class_idx = class_idx;
    } else {
        err = hn_vuser_new(e, class_idx, &vu);
        if (!err && (err = track_user(e, vu)))
            hn_vuser_free(vu);
        if (err)
            return err;
    }
    vu->slot = vc->running;
    vc->stack[vc->running++] = vu;
    hn_vuser_start(vu, &data, intended_at);
    return 0;
}

void hn_engine_retire_user(struct hn_engine *e, struct hn_vuser *vu)
{
    struct hn_vu_class *vc = &e->classes[vu->class_idx];
    if (vu->slot < vc->running && vc->stack[vu->slot] == vu) {
        struct hn_vuser *last = vc->stack[--vc->running];
        vc->stack[vu->slot] = last;
        last->slot = vu->slot;
    }
    hn_vuser_retire(vu);
}

/* Retire one user of the class: one that could not start first. */
static void retire_newest(struct hn_engine *e, uint32_t class_idx)
{
    struct hn_vu_class *vc = &e->classes[class_idx];
    if (vc->starved) {
        vc->starved--;
        return;
    }
    hn_vuser_retire(vc->stack[--vc->running]);
}

/* Users of a class as far as the target goes: running, and those that
 * could not start (they do not try again until the target drops). */
static uint32_t counted(const struct hn_vu_class *vc)
{
    return vc->running + vc->starved;
}

static bool converged(const struct hn_engine *e)
{
    for (uint32_t c = 0; c < e->plan->n_classes; c++)
        if (counted(&e->classes[c]) != e->classes[c].target)
            return false;
    return true;
}

void hn_engine_converge(struct hn_engine *e)
{
    if (e->stopping)
        return;
    ev_tstamp now = ev_now(e->loop);
    bool unlimited = !(e->spawn_rate_per_s > 0);
    if (!unlimited) {
        e->spawn_credit += (now - e->spawn_last) * e->spawn_rate_per_s;
        e->spawn_last = now;
    }
    bool progressed = true;
    while (progressed && (unlimited || e->spawn_credit >= 1.0)) {
        progressed = false;
        for (uint32_t c = 0; c < e->plan->n_classes; c++) {
            struct hn_vu_class *vc = &e->classes[c];
            if (!unlimited && e->spawn_credit < 1.0)
                break;
            if (counted(vc) < vc->target) {
                int err = hn_engine_spawn(e, c, -1);
                if (err == HN_E_STATE)
                    goto out; /* no user id yet: the spawn timer tries again */
                if (err && err != HN_E_RANGE) {
                    hn_log_error("engine %u: cannot start a user: %s; target lowered to %u",
                                 e->index, hn_strerror(err), counted(vc));
                    vc->target = counted(vc);
                    continue;
                }
            } else if (counted(vc) > vc->target) {
                retire_newest(e, c);
            } else {
                continue;
            }
            progressed = true;
            if (!unlimited)
                e->spawn_credit -= 1.0;
        }
    }
out:
    hn_engine_publish_users(e);
    if (converged(e)) {
        ev_timer_stop(e->loop, &e->spawn_timer);
        e->spawn_credit = 0;
    } else if (!ev_is_active(&e->spawn_timer)) {
        double period = 1.0 / e->spawn_rate_per_s;
        period = period < 0.001 ? 0.001 : period > 0.1 ? 0.1 : period;
        ev_timer_set(&e->spawn_timer, period, period);
        ev_timer_start(e->loop, &e->spawn_timer);
    }
}

void hn_engine_retire_all(struct hn_engine *e)
{
    for (uint32_t c = 0; c < e->plan->n_classes; c++) {
        e->classes[c].target = 0;
        e->classes[c].starved = 0;
        while (e->classes[c].running > 0)
            retire_newest(e, c);
    }
}
