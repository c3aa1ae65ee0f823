/* The open model's schedule (see pacer.h). */
#include "pacer.h"

#include <math.h>
#include <string.h>

void hn_pacer_init(struct hn_pacer *p, double phase)
{
    memset(p, 0, sizeof(*p));
    p->offset = phase >= 0 && phase < 1 ? phase : 0;
    p->end = INFINITY;
}

double hn_pacer_phase(uint32_t index, uint32_t n_threads, uint64_t random)
{
    double u = (double)(random >> 11) / 9007199254740992.0; /* [0, 1) */
    if (n_threads == 0 || index >= n_threads)
        return u;
    double phase = ((double)index + u) / n_threads;
    return phase < 1 ? phase : 0; /* rounding */
}

void hn_pacer_set_end(struct hn_pacer *p, double end)
{
    p->end = isnan(end) ? INFINITY : end;
}

/* When the next iteration falls due on the schedule, end or no end. */
static double due_at(const struct hn_pacer *p)
{
    if (!(p->rate > 0) || p->weight_sum == 0)
        return INFINITY;
    return p->base + ((double)p->k + p->offset) / p->rate;
}

double hn_pacer_next_at(const struct hn_pacer *p)
{
    double next = due_at(p);
    return next <= p->end ? next : INFINITY;
}

void hn_pacer_set(struct hn_pacer *p, double now, double rate, const uint32_t *weights,
                  uint32_t n_classes)
{
    /* A change dated before iterations already handed out (the target
     * arrived, then they fell due before this thread took it) takes
     * effect after them: they must not fall due a second time. */
    if (now < p->last)
        now = p->last;
    if (n_classes > HN_MODEL_CLASSES_MAX)
        n_classes = HN_MODEL_CLASSES_MAX;
    double next = due_at(p); /* the schedule goes on across a change */
    bool same = n_classes == p->n_classes &&
                !memcmp(weights, p->weights, n_classes * sizeof(*weights));
    if (!same) {
        p->n_classes = n_classes;
        p->weight_sum = 0;
        for (uint32_t c = 0; c < n_classes; c++) {
            p->weights[c] = weights[c];
            p->weight_sum += weights[c];
        }
        memset(p->current, 0, sizeof(p->current));
    }
    rate = rate > 0 && isfinite(rate) ? rate : 0;
    /* The same schedule: a resent target, or a rate that differs in its
     * last bits only (the master's per-second rate of a constant plan
     * does) changes nothing. */
    if (isfinite(next) && fabs(rate - p->rate) <= 1e-9 * p->rate)
        return;
    if (isfinite(next) && next <= now) {
        /* Iterations are due already (the loop is late): they stay due,
         * at their own times; the new rate applies after them. */
        p->base = next;
        p->offset = 0;
    } else {
        /* What is left of the interval under way, in intervals: the part
         * already waited for counts toward the new one. */
        double left = p->offset;
        if (isfinite(next) && p->rate > 0) {
            left = (next - now) * p->rate;
            left = left < 0 ? 0 : left > 1 ? 1 : left;
        }
        p->base = now;
        p->offset = left;
    }
    p->rate = rate;
    p->k = 0;
    /* The tally: the old rate up to the change, the new one from it. */
    double until = p->base < p->end ? p->base : p->end;
    if (p->asked_rate > 0 && until > p->asked_base)
        p->asked += p->asked_rate * (until - p->asked_base);
    if (p->from == 0)
        p->from = p->base;
    p->asked_rate = rate;
    p->asked_base = p->base;
}

double hn_pacer_asked(const struct hn_pacer *p, double to)
{
    if (to > p->end)
        to = p->end;
    double asked = p->asked;
    if (p->asked_rate > 0 && to > p->asked_base)
        asked += p->asked_rate * (to - p->asked_base);
    return asked;
}

bool hn_pacer_take(struct hn_pacer *p, double now, double *at, uint32_t *class_idx)
{
    double next = hn_pacer_next_at(p);
    if (!(next <= now))
        return false;
    /* Smooth weighted round robin (as nginx's upstream balancer): every
     * class gains its weight, the richest runs and pays the total. */
    uint32_t best = 0;
    for (uint32_t c = 0; c < p->n_classes; c++) {
        p->current[c] += p->weights[c];
        if (p->current[c] > p->current[best])
            best = c;
    }
    p->current[best] -= (int64_t)p->weight_sum;
    *at = next;
    *class_idx = best;
    p->k++;
    p->due++;
    p->last = next;
    return true;
}
