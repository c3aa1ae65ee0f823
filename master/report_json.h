/* The whole run as one JSON document, built with jansson: what --json
 * writes and what the HTML page draws from. Its schema is
 * master/report.schema.json; master/REPORTS.md explains every field. */
#pragma once

#include <jansson.h>

#include "report.h"

/* Version of the document's layout ("format_version"): raised when a field
 * changes meaning or goes away (new fields do not raise it). */
#define HN_REPORT_JSON_VERSION 1

/* Build the document from the statistics, the moment (thresholds, workers)
 * and the run (@run may be NULL). NULL on out-of-memory. */
json_t *hn_report_json_build(const struct hn_stats *st, const struct hn_report_moment *m,
                             const struct hn_report_run *run);

/* Write @path (hn_report_file_write) with @body, given the document
 * (json_t *) as its ctx: how --json and --html write theirs. 0 or -errno
 * (-ENOMEM: the document could not be built; @path untouched). */
int hn_report_json_file_write(const char *path, const struct hn_report_run *run,
                              const struct hn_stats *st, const struct hn_report_moment *m,
                              int (*body)(FILE *f, void *doc));

/* Percentiles of the percentile spectrum (HdrHistogram's "percentile
 * distribution", halving the distance to 100 % at each step), 0 and 100
 * included. */
#define HN_REPORT_SPECTRUM_MAX 48
/* Fill @pcts; returns how many. */
size_t hn_report_spectrum_points(double pcts[HN_REPORT_SPECTRUM_MAX]);
