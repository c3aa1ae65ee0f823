/* Console reports in Locust's layout: the live table printed every 2 s and
 * the end-of-run summary (final table, percentile table, error report).
 * Columns and units: master/REPORTS.md. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "stats.h"

/* Live table: one row per entry (by name, then method) and the Aggregated
 * row, with cumulative counts and times and the current req/s and failures/s
 * (last <= 10 closed master seconds), then a line with @users and @workers.
 * The name column fits the terminal when @out is one (80 wide otherwise). */
void hn_console_live(FILE *out, const struct hn_stats *st, uint32_t users, uint32_t workers);

/* End-of-run summary: the table with whole-run req/s and failures/s (run
 * duration: start to the latest add or tick), the response time percentile
 * table (50 % ... 100 %, entries with requests only) and, if any error
 * happened, the error report (most frequent first). */
void hn_console_summary(FILE *out, const struct hn_stats *st);
