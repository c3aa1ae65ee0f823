/* Console reports in Locust's layout: the live table printed every 2 s and
 * the end-of-run summary (final table, percentile table, error report).
 * Columns and units: master/REPORTS.md. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "stats.h"
#include "thresholds.h"

/* Live table: one row per entry (by name, then method) and the Aggregated
 * row, with cumulative counts and times and the current req/s and failures/s
 * (last <= 10 closed master seconds), then a line with @users, @workers and
 * the master's lag (lag.h): in the last second and the most so far, and the
 * progress toward the run time (@run_time_ms 0: until stopped). The name
 * column fits the terminal when @out is one (80 wide otherwise). */
void hn_console_live(FILE *out, const struct hn_stats *st, uint32_t users, uint32_t workers,
                     uint32_t lag_ms, uint32_t lag_max_ms, uint64_t elapsed_ms,
                     uint64_t run_time_ms);

/* End-of-run summary: the table with whole-run req/s and failures/s (run
 * duration: start to the latest add or tick), the response time percentile
 * table (50 % ... 100 %, entries with requests only) and, if any error
 * happened, the error report (most frequent first). */
void hn_console_summary(FILE *out, const struct hn_stats *st);

/* printf width for @s to fill @w columns: one a character, not a byte, as
 * Locust (Python) pads, so that a name in UTF-8 keeps the columns after it
 * in place ("%-*s", hn_console_width_for(s, 50), s). */
int hn_console_width_for(const char *s, int w);

struct hn_journal;
struct hn_registry;
/* End of the summary: what happened to workers (joined, missing, back,
 * lost... with times) and the generator self-check warnings, if any; what
 * the totals exclude is said plainly. @reg may be NULL. */
void hn_console_journal(FILE *out, const struct hn_journal *j, const struct hn_registry *reg);

/* The verdict after the summary: which latency the tables show (when it
 * is the latency from the intended start), dropped iterations, each of the
 * @n thresholds with ✓/✗ and what it observed (@res: the final
 * evaluation), and @aborted (why a threshold stopped the run early, or
 * NULL). */
void hn_console_verdict(FILE *out, const struct hn_stats *st, const struct hn_threshold *t,
                        const struct hn_threshold_result *res, uint32_t n, const char *aborted);
