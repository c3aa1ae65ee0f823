/* Locust-compatible CSV reports (--csv PREFIX): PREFIX_stats.csv,
 * PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv,
 * with Locust's header rows and conventions. Formats: master/REPORTS.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct hn_csv;

/* Create (or truncate) the four files and write their header rows; the
 * history file stays open for appending. @full_history: history rows for
 * every entry, not only the Aggregated row (--csv-full-history).
 * @return 0 and *out set; -errno if a file cannot be created or written,
 *         -ENOMEM. Nothing is left open on error. */
int hn_csv_open(const char *prefix, bool full_history, struct hn_csv **out);

/* Append this second's rows to PREFIX_stats_history.csv and flush: every
 * entry (with full history) then the Aggregated row. Call once per
 * hn_stats_tick, after it. @now_ms: master wall clock (Timestamp column,
 * Unix seconds); @users: users running now.
 * @return 0 or -errno (e.g. -ENOSPC; -EIO when the cause is unknown). */
int hn_csv_append_history(struct hn_csv *c, const struct hn_stats *st, uint64_t now_ms,
                          uint32_t users);

/* Rewrite PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_exceptions.csv
 * from the current totals, each atomically (written to "<file>.tmp", then
 * renamed over the file), so a reader never sees a partial file. @now_ms:
 * master wall clock, the end of the run so far (Requests/s divisor).
 * @return 0 or the first -errno met (the other files are still written). */
int hn_csv_write_current(struct hn_csv *c, const struct hn_stats *st, uint64_t now_ms);

/* Close the history file and free @c. NULL is a no-op. */
void hn_csv_close(struct hn_csv *c);

/* Room for any number these formatters write, NUL included. */
#define HN_CSV_NUM_MAX 32

/* Milliseconds from microseconds, exact: "12.345" for 12345 µs, "12" for
 * 12000 µs, "0.5" for 500 µs (trailing zeros trimmed). @buf: HN_CSV_NUM_MAX. */
void hn_csv_format_ms(char *buf, uint64_t us);

/* @v with at most @decimals decimals, rounded, trailing zeros trimmed
 * ("2.5", "3", "0"). @buf: HN_CSV_NUM_MAX. */
void hn_csv_format_decimal(char *buf, double v, int decimals);

/* UTC time "YYYY-MM-DDTHH:MM:SSZ" of @ms since the epoch. @buf: >= 21 bytes. */
void hn_csv_format_utc(char *buf, size_t len, uint64_t ms);
