/* Locust-compatible CSV reports (--csv PREFIX): PREFIX_stats.csv,
 * PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv,
 * with Locust's header rows and conventions. Formats: master/REPORTS.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct hn_csv;

struct hn_csv_options {
    /* History rows for every entry, not only the Aggregated row, with the
     * percentiles of the current window (--csv-full-history); without it,
     * history percentiles are cumulative, as Locust writes them. */
    bool full_history;
    /* Median and percentile columns as exact decimals of ms (--csv-exact)
     * instead of Locust's whole milliseconds. */
    bool exact;
};

/* Create (or truncate) the four files and write their header rows; the
 * history file stays open for appending.
 * @return 0 and *out set; -errno if a file cannot be created or written,
 *         -ENOMEM. Nothing is left open on error. */
int hn_csv_open(const char *prefix, const struct hn_csv_options *opts, struct hn_csv **out);

/* Check, touching no file, that the four files of @prefix can be written
 * (directories made as needed; the history file must be a regular file,
 * or none yet, since it rewrites its last rows). 0 or -errno. */
int hn_csv_check(const char *prefix);

/* Append this second's rows to PREFIX_stats_history.csv and flush: every
 * entry (with full history) then the Aggregated row. Call once per
 * hn_stats_tick, after it. @started_ms, @now_ms: master wall clock at the
 * run's start and now; the Timestamp column (Unix seconds) is the start
 * plus the whole seconds since, rounded. @users: users running now.
 * Timestamps increase strictly: a group falling in the same second as the
 * previous one (the last group, written at the end) replaces it.
 * @return 0 or -errno (e.g. -ENOSPC; -EIO when the cause is unknown). */
int hn_csv_append_history(struct hn_csv *c, const struct hn_stats *st, uint64_t started_ms,
                          uint64_t now_ms, uint32_t users);

/* Rewrite PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_exceptions.csv
 * from the current totals, each atomically (written to "<file>.tmp", then
 * renamed over the file), so a reader never sees a partial file. @now_ms:
 * master wall clock, the end of the run so far (Requests/s divisor).
 * @return 0 or the first -errno met (the other files are still written). */
int hn_csv_write_current(struct hn_csv *c, const struct hn_stats *st, uint64_t now_ms);

/* Close the history file and free @c. NULL is a no-op. */
void hn_csv_close(struct hn_csv *c);
