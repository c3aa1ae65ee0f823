/* What one worker may send, checked before anything it sends is merged:
 * statistics only under the scenario's own (method, name) pairs, bounded
 * histograms and counts, consistent figures, and a bounded rate of
 * statistics bytes. A worker that breaks a limit is thrown out of the run
 * (run.c): its figures never reach the reports, the honest ones stay exact. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "msg.h"

/* Non-empty counters in one histogram of one interval (TOTAL, INTENDED;
 * the phases, which hold about a minute of requests, are bounded by the
 * layout alone). A one-second interval spread over four decades of latency
 * (100 µs .. 1 s) fills about 13,000 at most; the layout has 23,552. */
#define HN_LIMIT_BUCKETS_MAX 16384u
/* Requests (and error occurrences) of one entry in one interval: 2^40 is a
 * trillion, beyond any generator; it keeps sums far from overflowing. */
#define HN_LIMIT_COUNT_MAX (UINT64_C(1) << 40)
/* Response bytes of one entry in one interval (1 PiB). */
#define HN_LIMIT_BYTES_MAX (UINT64_C(1) << 50)
/* SNAPSHOT/FINAL bytes per worker: a sustained rate and a burst (a token
 * bucket). An honest worker sends 3-22 KB a second; one full 8 MiB frame a
 * second is still allowed. */
#define HN_LIMIT_STATS_BYTES_PER_S (8.0 * 1024 * 1024)
#define HN_LIMIT_STATS_BURST_BYTES (24.0 * 1024 * 1024)

/* The (method, name) pairs a worker may report: those of the scenario. */
struct hn_limits {
    char **names; /* "METHOD NAME" (method has no space), sorted */
    uint32_t n_names;
};

/* Index @s's stats entries. 0 or -ENOMEM. */
int hn_limits_init(struct hn_limits *l, const struct hn_scenario *s);
void hn_limits_deinit(struct hn_limits *l);

/* Check one decoded SNAPSHOT or FINAL: every entry and error row names a
 * pair of the scenario; per entry, requests, failures, error occurrences and
 * bytes within the limits above; histograms with at most
 * HN_LIMIT_BUCKETS_MAX counters; and, besides what the decoder checked
 * (failures <= requests, min <= max, histogram totals), error rows only for
 * entries of the same message, adding up to no more than their failures.
 * @return 0, or HN_E_INVALID / HN_E_TOO_LARGE with a one-line reason in @why. */
int hn_limits_check_snapshot(const struct hn_limits *l, const struct hn_msg_snapshot *s, char *why,
                             size_t why_len);

/* Token bucket of statistics bytes: refill *budget at HN_LIMIT_STATS_BYTES_PER_S
 * since *at (up to HN_LIMIT_STATS_BURST_BYTES; a fresh bucket has *at < 0),
 * then take @bytes. False if they were more than the budget. */
bool hn_limits_charge(double *budget, double *at, size_t bytes, double now);
