/* Prometheus text exposition (format 0.0.4) of a run: requests, failures,
 * errors and response bytes per entry, a latency histogram per entry with
 * classic buckets, users, workers, dropped iterations, and each worker's
 * CPU, memory, loop lag and self-check warnings. Entries only: the
 * Aggregated row is their sum (sum() in PromQL), so it is not repeated. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "journal.h"
#include "registry.h"
#include "stats.h"
#include "thresholds.h"

/* Upper bounds of the latency buckets, in µs (then +Inf). */
#define HN_METRICS_BUCKETS 15
extern const uint64_t hn_metrics_bucket_us[HN_METRICS_BUCKETS];

struct hn_metrics_state {
    const char *run_id;
    const struct hn_stats *st;        /* NULL before the run starts */
    const struct hn_registry *reg;    /* may be NULL: no users, no workers */
    const struct hn_journal *journal; /* may be NULL */
    const struct hn_threshold *thresholds;
    const struct hn_threshold_result *threshold_results;
    uint32_t n_thresholds;
};

/* Write the exposition of @s to @f. 0 or -EIO. */
int hn_metrics_render(FILE *f, const struct hn_metrics_state *s);
