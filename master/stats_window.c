/* Per-second slots of a statistics row (see stats_window.h). The open
 * slot is a sparse set: pairs[] holds its distinct counters, where[] maps a
 * counter index to its position, so adding a counter is one lookup and
 * opening a new second is setting n_pairs to 0. */
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
}

void hn_window_deinit(struct hn_window *w)
{
    for (uint32_t i = 0; i < HN_WINDOW_SLOTS; i++)
        free(w->slots[i].pairs);
    free(w->where);
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

int hn_window_reserve(struct hn_window *w, struct hn_window_slot *s, uint32_t n,
                      struct hn_stats_mem *mem)
{
    if (n > HN_HIST_COUNTS_LEN)
        n = HN_HIST_COUNTS_LEN; /* distinct counters, whatever was asked */
    if (!w->where) {
        /* calloc: the zero pages of counters never used stay unmapped */
        size_t bytes = HN_HIST_COUNTS_LEN * sizeof(*w->where);
        if (!hn_stats_mem_take(mem, bytes))
            return -ENOMEM;
        if (!(w->where = calloc(HN_HIST_COUNTS_LEN, sizeof(*w->where)))) {
            mem->used -= bytes;
            return -ENOMEM;
        }
    }
    uint32_t need = s->n_pairs + n;
    if (need > HN_HIST_COUNTS_LEN)
        need = HN_HIST_COUNTS_LEN;
    if (need <= s->cap_pairs)
        return 0;
    uint32_t cap = s->cap_pairs ? s->cap_pairs : 64;
    while (cap < need)
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

void hn_window_add_summary(struct hn_window_slot *s, const struct hn_hist_wire *h)
{
    hn_sat_inc(&s->overflow, h->overflow);
    hn_sat_inc(&s->sum, h->sum);
    if (h->min < s->min)
        s->min = h->min;
    if (h->max > s->max)
        s->max = h->max;
}

void hn_window_add(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist_wire *h,
                   const struct hn_hist_pair *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t index = p[i].index, at = w->where[index];
        if (at < s->n_pairs && s->pairs[at].index == index) {
            hn_sat_inc(&s->pairs[at].count, p[i].count);
        } else {
            w->where[index] = (uint16_t)s->n_pairs;
            s->pairs[s->n_pairs++] = p[i];
        }
    }
    hn_window_add_summary(s, h);
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
