/* Per-second slots of one statistics row (private to stats.c): what
 * arrived in each of the last closed master seconds and in the open one,
 * response times kept sparse. A merge costs the slot O(1) whatever it
 * holds: the counters are taken from the row's cumulative histogram once,
 * when the second ends. */
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

/* One non-empty counter of a sparse histogram. */
struct hn_hist_pair {
    uint32_t index; /* < HN_HIST_COUNTS_LEN */
    uint64_t count; /* >= 1 */
};

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
    /* Nothing is counted twice: the row's cumulative histogram of the
     * shown latency already holds every counter, so a merge only notes the
     * range it touched. When the second ends, the cumulative counters of
     * that range are compared with their values at the previous end (seen,
     * dense, allocated with the first histogram; only the pages of counters
     * in use become resident): the differences are the second's pairs. */
    uint64_t *seen;
    uint32_t open_lo, open_hi; /* touched in the open second; open_lo > open_hi: none */
};

/* Empty slots, nothing allocated yet. */
void hn_window_init(struct hn_window *w);
void hn_window_deinit(struct hn_window *w);

/* The slot of @second (the open one), emptied first if it holds an older
 * second. */
struct hn_window_slot *hn_window_open(struct hn_window *w, uint64_t second);

/* The slot holding the closed @second, or NULL if nothing arrived then. */
const struct hn_window_slot *hn_window_at(const struct hn_window *w, uint64_t second);

/* Allocate what the first histogram needs, counted against @mem. 0 or
 * -ENOMEM. */
int hn_window_prepare(struct hn_window *w, struct hn_stats_mem *mem);

/* Wire histogram @h, whose counters lie in [@lo, @hi], was added to the
 * row's cumulative histogram of the shown latency during the open second
 * @s: note the range, and add its min, max, sum and overflow to @s. O(1).
 * Returns true if the open second had nothing yet: the caller must then
 * have it closed (hn_window_close) when the second ends. */
bool hn_window_touch(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist_wire *h,
                     uint32_t lo, uint32_t hi);

/* End the open second of slot @s: its pairs are the counters of @cum (the
 * row's cumulative histogram of the shown latency) that grew since the
 * last close. Costs O(the touched range). 0, or -ENOMEM if the pairs could
 * not be stored (the slot then misses them; the counters are still marked
 * seen, so the next seconds stay right). */
int hn_window_close(struct hn_window *w, struct hn_window_slot *s, const struct hn_hist *cum,
                    struct hn_stats_mem *mem);

/* Add the min, max, sum and overflow of @h to @s (a slot that keeps no
 * counters: the Aggregated row's). */
void hn_window_add_summary(struct hn_window_slot *s, const struct hn_hist_wire *h);

/* Add slot @s's counters (if @counters) and min, max, sum, overflow to
 * @dst (a dense histogram; its total grows with the counters). */
void hn_window_slot_merge(const struct hn_window_slot *s, struct hn_hist *dst, bool counters);
