/* Per-second slots of a statistics row (see stats_window.h): the open
 * second is read off the cumulative histogram when it ends, and kept as
 * pairs in increasing index order. */
#include "stats_window.h"
#include "sat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void slot_clear(struct hn_window_slot *s, uint64_t second)
{
    s->second = second;
    s->requests = s->failures = s->overflow = s->max = s->sum = 0;
    s->min = UINT64_MAX;
    s->n_pairs = 0;
}

void hn_window_init(struct hn_window *w)
{
    memset(w, 0, sizeof(*w));
    for (uint32_t i = 0; i < HN_WINDOW_SLOTS; i++)
        slot_clear(&w->slots[i], UINT64_MAX);
    w->open_lo = UINT32_MAX;
}

void hn_window_deinit(struct hn_window *w)
{
    for (uint32_t i = 0; i < HN_WINDOW_SLOTS; i++)
        free(w->slots[i].pairs);
    free(w->seen);
    memset(w, 0, sizeof(*w));
}

struct hn_window_slot *hn_window_open(struct hn_window *w, uint64_t second)
{
    struct hn_window_slot *s = &w->slots[second % HN_WINDOW_SLOTS];
    if (s->second != second)
        slot_clear(s, second);
    return s;
}

const struct hn_window_slot *hn_window_at(const struct hn_window *w, uint64_t second)
{
    const struct hn_window_slot *s = &w->slots[second % HN_WINDOW_SLOTS];
    return s->second == second ? s : NULL;
}

int hn_window_prepare(struct hn_window *w, struct hn_stats_mem *mem)
{
    if (w->seen)
        return 0;
    /* calloc: the zero pages of counters never used stay unmapped */
    size_t bytes = HN_HIST_COUNTS_LEN * sizeof(*w->seen);
    if (!hn_stats_mem_take(mem, bytes))
        return -ENOMEM;
    if (!(w->seen = calloc(HN_HIST_COUNTS_LEN, sizeof(*w->seen)))) {
        mem->used -= bytes;
        return -ENOMEM;
    }
    return 0;
}

void hn_window_add_summary(struct hn_window_slot *s, const struct hn_hist_wire *h)
{
    hn_sat_inc(&s->overflow, h->overflow);
    hn_sat_inc(&s->sum, h->sum);
    if (h->min < s->min)
        s->min = h->min;
    if (h->max > s->max)
        s->max = h->max;
}

bool hn_window_touch(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist_wire *h,
                     uint32_t lo, uint32_t hi)
{
    bool first = w->open_lo > w->open_hi;
    if (lo < w->open_lo)
        w->open_lo = lo;
    if (hi > w->open_hi)
        w->open_hi = hi;
    hn_window_add_summary(s, h);
    return first;
}

/* Room for @n pairs in all in @s. */
static int reserve(struct hn_window_slot *s, uint32_t n, struct hn_stats_mem *mem)
{
    if (n <= s->cap_pairs)
        return 0;
    uint32_t cap = s->cap_pairs ? s->cap_pairs : 64;
    while (cap < n)
        cap *= 2;
    size_t more = (size_t)(cap - s->cap_pairs) * sizeof(*s->pairs);
    if (!hn_stats_mem_take(mem, more))
        return -ENOMEM;
    struct hn_hist_pair *p = realloc(s->pairs, (size_t)cap * sizeof(*p));
    if (!p) {
        mem->used -= more;
        return -ENOMEM;
    }
    s->pairs = p;
    s->cap_pairs = cap;
    return 0;
}

int hn_window_close(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist *cum,
                    struct hn_stats_mem *mem)
{
    uint32_t lo = w->open_lo, hi = w->open_hi;
    if (lo > hi)
        return 0;
    w->open_lo = UINT32_MAX;
    w->open_hi = 0;
    if (!cum || !w->seen)
        return 0; /* nothing was added: a touch goes with an add */
    uint32_t n = 0;
    for (uint32_t i = lo; i <= hi; i++)
        n += cum->counts[i] != w->seen[i];
    int err = reserve(s, s->n_pairs + n, mem);
    for (uint32_t i = lo; i <= hi; i++) {
        if (cum->counts[i] == w->seen[i])
            continue;
        /* A saturated counter stays at the maximum: its growth is then
         * what was left below it. */
        if (!err)
            s->pairs[s->n_pairs++] = (struct hn_hist_pair){i, cum->counts[i] - w->seen[i]};
        w->seen[i] = cum->counts[i];
    }
    return err;
}

void hn_window_slot_merge(const struct hn_window_slot *s, struct hn_hist *dst, bool counters)
{
    if (counters)
        for (uint32_t i = 0; i < s->n_pairs; i++)
            hn_hist_add_at_index(dst, s->pairs[i].index, s->pairs[i].count);
    hn_sat_inc(&dst->overflow, s->overflow);
    hn_sat_inc(&dst->sum, s->sum);
    if (s->min < dst->min)
        dst->min = s->min;
    if (s->max > dst->max)
        dst->max = s->max;
}
