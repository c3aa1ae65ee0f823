/* Interval histograms from cumulative ones (see interval.h). */
#include "interval.h"
#include "array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hn_interval_pair {
    uint32_t index;
    uint64_t count;
};

void hn_interval_init(struct hn_interval *iv)
{
    memset(iv, 0, sizeof(*iv));
}

void hn_interval_deinit(struct hn_interval *iv)
{
    free(iv->prev);
    memset(iv, 0, sizeof(*iv));
}

int hn_interval_next(struct hn_interval *iv, const struct hn_hist *cum, struct hn_hist *out)
{
    hn_hist_reset(out);
    if (!cum || cum->total == 0)
        return 0;
    /* Room for every counter @cum has now, before anything changes. */
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    uint32_t need = 0;
    hn_hist_iter_init(&it, cum);
    while (hn_hist_iter_next(&it, &b))
        need++;
    int err = hn_array_reserve(&iv->prev, &iv->cap, need, sizeof(*iv->prev), 64);
    if (err)
        return err;
    /* Walk both sorted lists: the gain of each counter, then the new state
     * written over the old one (never ahead of the read position: @cum has
     * every counter the previous state had). */
    uint32_t j = 0, k = 0, first = UINT32_MAX, last = 0;
    struct hn_interval_pair *next = malloc((size_t)need * sizeof(*next));
    if (!next)
        return -ENOMEM;
    hn_hist_iter_init(&it, cum);
    while (hn_hist_iter_next(&it, &b)) {
        while (j < iv->n && iv->prev[j].index < b.index)
            j++;
        uint64_t before = j < iv->n && iv->prev[j].index == b.index ? iv->prev[j].count : 0;
        if (b.count > before) {
            hn_hist_add_at_index(out, b.index, b.count - before);
            if (first == UINT32_MAX)
                first = b.index;
            last = b.index;
        }
        next[k++] = (struct hn_interval_pair){b.index, b.count};
    }
    memcpy(iv->prev, next, (size_t)k * sizeof(*next));
    free(next);
    iv->n = k;
    if (out->total) {
        uint64_t lo = hn_hist_lowest_at_index(first), hi = hn_hist_highest_at_index(last);
        out->min = lo < cum->min ? cum->min : lo;
        out->max = hi > cum->max ? cum->max : hi;
        out->sum = cum->sum >= iv->sum ? cum->sum - iv->sum : 0;
        out->overflow = cum->overflow >= iv->overflow ? cum->overflow - iv->overflow : 0;
    }
    iv->total = cum->total;
    iv->sum = cum->sum;
    iv->overflow = cum->overflow;
    return 0;
}
