/* Load shapes over time (see loadshape.h). */
#include "loadshape.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

uint64_t hn_shape_duration_ms(const struct hn_load_shape *sh)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < sh->n_stages; i++)
        t += sh->open ? sh->arrivals[i].duration_ms : sh->stages[i].duration_ms;
    return t;
}

/* A stage's target per class, as real numbers: a total is split by weight
 * exactly (rounding happens once, on the result). */
static void targets(const struct hn_stage *st, const uint32_t *w, uint32_t n, double *out)
{
    uint64_t wsum = 0;
    for (uint32_t c = 0; c < n; c++)
        wsum += w[c];
    for (uint32_t c = 0; c < n; c++)
        out[c] = st->per_class ? st->users[c]
                 : wsum        ? (double)st->total * w[c] / (double)wsum
                               : 0;
}

/* Seconds stage @st takes to go from @from to @to (all classes). */
static double ramp_s(const struct hn_stage *st, const double *from, const double *to, uint32_t n)
{
    if (!(st->spawn_rate > 0))
        return (double)st->duration_ms / 1000.0;
    double moved = 0;
    for (uint32_t c = 0; c < n; c++)
        moved += fabs(to[c] - from[c]);
    return moved / st->spawn_rate;
}

/* Users per class (real numbers) at @t_ms, and the stage then. After the
 * last stage, its end holds. */
static uint32_t users_at(const struct hn_load_shape *sh, const uint32_t *w, uint32_t n,
                         uint64_t t_ms, double *now)
{
    double prev[HN_MODEL_CLASSES_MAX] = {0}, to[HN_MODEL_CLASSES_MAX];
    uint64_t start = 0;
    memset(now, 0, n * sizeof(*now));
    for (uint32_t i = 0; i < sh->n_stages; i++) {
        const struct hn_stage *st = &sh->stages[i];
        uint64_t end = start + st->duration_ms;
        bool here = t_ms < end || i + 1 == sh->n_stages;
        double elapsed_s = (double)(here ? (t_ms > start ? t_ms - start : 0) : st->duration_ms) /
                           1000.0;
        targets(st, w, n, to);
        double span = ramp_s(st, prev, to, n);
        double p = span > 0 ? elapsed_s / span : 1;
        if (p > 1)
            p = 1;
        for (uint32_t c = 0; c < n; c++)
            now[c] = prev[c] + (to[c] - prev[c]) * p;
        if (here)
            return i;
        memcpy(prev, now, n * sizeof(*now));
        start = end;
    }
    return 0;
}

void hn_shape_users(const struct hn_load_shape *sh, const uint32_t *weights, uint32_t n_classes,
                    uint64_t t_ms, uint32_t *out)
{
    double now[HN_MODEL_CLASSES_MAX];
    if (n_classes > HN_MODEL_CLASSES_MAX)
        n_classes = HN_MODEL_CLASSES_MAX;
    users_at(sh, weights, n_classes, t_ms, now);
    /* Round the total once, then give each class its whole part and the
     * rest to the largest fractions (ties: the first class): the classes
     * add up to the plan's total, each within one of its exact share. */
    double sum = 0;
    uint32_t given = 0;
    for (uint32_t c = 0; c < n_classes; c++) {
        sum += now[c];
        out[c] = (uint32_t)floor(now[c]);
        given += out[c];
    }
    uint32_t total = (uint32_t)floor(sum + 0.5);
    while (given < total) {
        uint32_t best = 0;
        double best_frac = -1;
        for (uint32_t c = 0; c < n_classes; c++) {
            double frac = now[c] - floor(now[c]);
            if (frac > best_frac && (double)out[c] < now[c]) {
                best = c;
                best_frac = frac;
            }
        }
        if (best_frac < 0)
            break;
        out[best]++;
        given++;
    }
}

double hn_shape_spawn_rate(const struct hn_load_shape *sh, const uint32_t *weights,
                           uint32_t n_classes, uint64_t t_ms)
{
    double now[HN_MODEL_CLASSES_MAX];
    if (n_classes > HN_MODEL_CLASSES_MAX)
        n_classes = HN_MODEL_CLASSES_MAX;
    if (sh->n_stages == 0)
        return 1;
    uint32_t i = users_at(sh, weights, n_classes, t_ms, now);
    const struct hn_stage *st = &sh->stages[i];
    if (st->spawn_rate > 0)
        return st->spawn_rate;
    /* A linear ramp: the users it moves over its duration, per second. */
    double from[HN_MODEL_CLASSES_MAX] = {0}, to[HN_MODEL_CLASSES_MAX];
    uint64_t start = 0;
    for (uint32_t k = 0; k < i; k++)
        start += sh->stages[k].duration_ms;
    if (i > 0)
        users_at(sh, weights, n_classes, start - 1, from);
    targets(st, weights, n_classes, to);
    double moved = 0;
    for (uint32_t c = 0; c < n_classes; c++)
        moved += fabs(to[c] - from[c]);
    double rate = st->duration_ms ? moved * 1000.0 / (double)st->duration_ms : moved;
    return rate < 1 ? 1 : rate;
}

/* Rate at offset @dt_ms into arrival stage @i. */
static double stage_rate(const struct hn_load_shape *sh, uint32_t i, double dt_ms)
{
    const struct hn_arrival_stage *st = &sh->arrivals[i];
    if ((i == 0 && !sh->has_start_rate) || st->duration_ms == 0)
        return st->rate_per_s;
    double from = i ? sh->arrivals[i - 1].rate_per_s : sh->start_rate;
    return from + (st->rate_per_s - from) * dt_ms / (double)st->duration_ms;
}

double hn_shape_iterations(const struct hn_load_shape *sh, uint64_t t_ms)
{
    double n = 0;
    uint64_t start = 0;
    for (uint32_t i = 0; i < sh->n_stages; i++) {
        const struct hn_arrival_stage *st = &sh->arrivals[i];
        uint64_t end = start + st->duration_ms;
        bool last = i + 1 == sh->n_stages;
        uint64_t upto = t_ms < end ? t_ms : end;
        double dt_ms = upto > start ? (double)(upto - start) : 0;
        /* The area under a line: exact, so the count never drifts. */
        n += (stage_rate(sh, i, 0) + stage_rate(sh, i, dt_ms)) / 2 * dt_ms / 1000.0;
        if (last && t_ms > end) /* past the end: the final rate holds */
            n += st->rate_per_s * (double)(t_ms - end) / 1000.0;
        if (t_ms <= end)
            return n;
        start = end;
    }
    return n;
}

static int bad(char *why, size_t len, const char *msg)
{
    snprintf(why, len, "%s", msg);
    return HN_E_INVALID;
}

static struct hn_stage *add(struct hn_load_shape *out, uint64_t ms, uint32_t users, double rate)
{
    if (out->n_stages == HN_SHAPE_STAGES_MAX)
        return NULL;
    struct hn_stage *st = &out->stages[out->n_stages++];
    memset(st, 0, sizeof(*st));
    st->duration_ms = ms;
    st->total = users;
    st->spawn_rate = rate;
    return st;
}

int hn_shape_named(const char *name, const struct hn_shape_params *p, struct hn_load_shape *out,
                   char *why, size_t why_len)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(name, "step") == 0) {
        if (!p->users || !p->steps || !p->step_ms)
            return bad(why, why_len, "shape step needs users, steps and step_duration");
        if (p->steps > HN_SHAPE_STAGES_MAX)
            return bad(why, why_len, "shape step: at most 256 steps");
        for (uint32_t k = 1; k <= p->steps; k++)
            add(out, p->step_ms, (uint32_t)((uint64_t)p->users * k / p->steps),
                p->rate > 0 ? p->rate : 1e9);
        return 0;
    }
    if (strcmp(name, "spike") == 0) {
        if (!p->peak || !p->step_ms || !p->spike_ms)
            return bad(why, why_len, "shape spike needs peak, duration and spike_duration");
        if (p->peak <= p->users)
            return bad(why, why_len, "shape spike: peak must be above users");
        double rate = p->rate > 0 ? p->rate : 1e9;
        add(out, p->step_ms, p->users, rate);
        add(out, p->spike_ms, p->peak, rate);
        add(out, p->step_ms, p->users, rate);
        return 0;
    }
    if (strcmp(name, "soak") == 0) {
        if (!p->users || !p->hold_ms)
            return bad(why, why_len, "shape soak needs users and duration");
        if (p->ramp_ms)
            add(out, p->ramp_ms, p->users, 0);
        add(out, p->hold_ms, p->users, p->ramp_ms ? 0 : 1e9);
        if (p->ramp_ms)
            add(out, p->ramp_ms, 0, 0);
        return 0;
    }
    return bad(why, why_len, "unknown shape (step, spike or soak)");
}

double hn_shape_peak_rate(const struct hn_load_shape *sh)
{
    double peak = sh->has_start_rate ? sh->start_rate : 0;
    for (uint32_t i = 0; i < sh->n_stages; i++)
        if (sh->arrivals[i].rate_per_s > peak)
            peak = sh->arrivals[i].rate_per_s;
    return peak;
}
