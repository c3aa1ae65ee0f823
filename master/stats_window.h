/* Per-second slots of one statistics row (private to stats.c): what
 * arrived in each of the last closed master seconds and in the open one,
 * response times kept sparse. Adding a histogram to the open slot costs
 * O(its non-empty counters) whatever the slot holds already: each counter
 * is found through a direct index (a sparse set), never by search. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "hist_codec.h"
#include "stats.h"

/* Bytes a store may still allocate for rows, histograms and slots. */
struct hn_stats_mem {
    size_t used, max;
};

/* Count @bytes more against the bound; false (nothing counted) past it. */
static inline bool hn_stats_mem_take(struct hn_stats_mem *m, size_t bytes)
{
    if (bytes > m->max || m->used > m->max - bytes)
        return false;
    m->used += bytes;
    return true;
}

/* What arrived for one row during one master second. */
struct hn_window_slot {
    uint64_t second; /* master second this slot holds; UINT64_MAX = never used */
    uint64_t requests, failures;
    uint64_t overflow, min, max, sum; /* as in struct hn_hist, for these values */
    struct hn_hist_pair *pairs;       /* distinct counters, in order of first arrival */
    uint32_t n_pairs, cap_pairs;
};

/* The closed seconds of the window and the open one. */
#define HN_WINDOW_SLOTS (HN_STATS_WINDOW_S + 1u)

struct hn_window {
    struct hn_window_slot slots[HN_WINDOW_SLOTS]; /* indexed by second % HN_WINDOW_SLOTS */
    /* Counter index -> its position in the open slot's pairs, allocated
     * with the first histogram. An entry counts only if the pair it points
     * at holds that index: entries left from earlier seconds are ignored,
     * so opening a new second clears nothing. */
    uint16_t *where;
};
_Static_assert(HN_HIST_COUNTS_LEN <= UINT16_MAX, "positions must fit where[]");

/* Empty slots, nothing allocated yet. */
void hn_window_init(struct hn_window *w);
void hn_window_deinit(struct hn_window *w);

/* The slot of @second (the open one), emptied first if it holds an older
 * second. */
struct hn_window_slot *hn_window_open(struct hn_window *w, uint64_t second);

/* The slot holding the closed @second, or NULL if nothing arrived then. */
const struct hn_window_slot *hn_window_at(const struct hn_window *w, uint64_t second);

/* Room in the open slot @s for @n more distinct counters (and the index,
 * on first use), counted against @mem. 0 or -ENOMEM (nothing changed). */
int hn_window_reserve(struct hn_window *w, struct hn_window_slot *s, uint32_t n,
                      struct hn_stats_mem *mem);

/* Add the counters @p[0..n) of wire histogram @h to the open slot @s (room
 * reserved), and its min, max, sum and overflow. Counts saturate. */
void hn_window_add(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist_wire *h,
                   const struct hn_hist_pair *p, uint32_t n);

/* Add the min, max, sum and overflow of @h to @s (a slot that keeps no
 * counters: the Aggregated row's). */
void hn_window_add_summary(struct hn_window_slot *s, const struct hn_hist_wire *h);

/* Add slot @s's counters (if @counters) and min, max, sum, overflow to
 * @dst (a dense histogram; its total grows with the counters). */
void hn_window_slot_merge(const struct hn_window_slot *s, struct hn_hist *dst, bool counters);
