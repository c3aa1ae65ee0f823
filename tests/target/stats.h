/* Exact request counters of hornet-target: a total and one count per path,
 * served as JSON by GET /__stats so tests can check what a load test sent. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* At most this many distinct paths get their own counter; requests to any
 * further path are counted under HN_STATS_OTHER, so memory stays bounded. */
#define HN_STATS_MAX_PATHS 1024
/* Paths longer than this, or holding bytes outside printable ASCII, are
 * counted under HN_STATS_OTHER too (keys must be valid JSON strings). */
#define HN_STATS_PATH_MAX 256
#define HN_STATS_OTHER "(other)"

struct hn_stats;

/* Allocate empty counters. Returns 0 and sets *out, or -ENOMEM. */
int hn_stats_new(struct hn_stats **out);
/* Free the counters; NULL-safe. */
void hn_stats_free(struct hn_stats *s);

/* Count one request for `path` (without query string). Thread-safe and
 * exact; allocates only the first time a path is seen. */
void hn_stats_count(struct hn_stats *s, const char *path);

/* Zero the total and forget every path. Thread-safe. */
void hn_stats_reset(struct hn_stats *s);

/* Total requests counted since start or the last reset. */
uint64_t hn_stats_total(struct hn_stats *s);

/* Count for one path (HN_STATS_OTHER for the overflow key); 0 if unseen. */
uint64_t hn_stats_path(struct hn_stats *s, const char *path);

/* Render {"total": N, "paths": {"/": n, ...}} (keys sorted, zero counts
 * omitted) as a NUL-terminated string the caller frees with free().
 * Total and paths come from one consistent snapshot.
 * Returns 0 and sets *out_json and *out_len, or -ENOMEM. */
int hn_stats_to_json(struct hn_stats *s, char **out_json, size_t *out_len);
