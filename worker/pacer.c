/* The open model's schedule (see pacer.h). */
#include "pacer.h"

#include <math.h>
#include <string.h>

void hn_pacer_init(struct hn_pacer *p, double phase)
{
    memset(p, 0, sizeof(*p));
    p->offset = phase >= 0 && phase < 1 ? phase : 0;
}

double hn_pacer_next_at(const struct hn_pacer *p)
{
    if (!(p->rate > 0) || p->weight_sum == 0)
        return INFINITY;
    return p->base + ((double)p->k + p->offset) / p->rate;
}

void hn_pacer_set(struct hn_pacer *p, double now, double rate, const uint32_t *weights,
                  uint32_t n_classes)
{
    if (n_classes > HN_MODEL_CLASSES_MAX)
        n_classes = HN_MODEL_CLASSES_MAX;
    double next = hn_pacer_next_at(p);
    /* What is left of the interval under way, in intervals (the part of
     * an interval already waited for counts toward the new one). */
    double left = p->offset;
    if (isfinite(next) && p->rate > 0) {
        left = (next - now) * p->rate;
        left = left < 0 ? 0 : left > 1 ? 1 : left;
    }
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
    if (rate == p->rate && isfinite(next))
        return; /* the same schedule: resending a target changes nothing */
    p->rate = rate > 0 && isfinite(rate) ? rate : 0;
    p->base = now;
    p->k = 0;
    p->offset = left;
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
    return true;
}
