/* Interval histograms from cumulative ones: what a row's cumulative
 * histogram gained since the previous call. The stats store keeps
 * cumulative histograms (and a 10 s window); the timeline, the HdrHistogram
 * log and the metrics need each second on its own. The previous state is
 * kept sparse (one pair per non-empty counter), so tracking many entries
 * costs little memory. */
#pragma once

#include <stdint.h>

#include "hist.h"

struct hn_interval_pair;

struct hn_interval {
    struct hn_interval_pair *prev; /* non-empty counters at the previous call */
    uint32_t n, cap;
    uint64_t total, overflow, sum; /* of the previous call */
};

void hn_interval_init(struct hn_interval *iv);
void hn_interval_deinit(struct hn_interval *iv);

/* Reset @out, fill it with what @cum (cumulative; NULL = still empty)
 * gained since the previous call, and remember @cum. The interval's min and
 * max are the edges of its first and last non-empty buckets, kept within
 * @cum's exact min and max (the exact ones are not known per interval).
 * Returns 0 or -ENOMEM (then @out is empty and nothing is remembered). */
int hn_interval_next(struct hn_interval *iv, const struct hn_hist *cum, struct hn_hist *out);
