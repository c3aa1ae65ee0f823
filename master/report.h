/* Report writers: every output format (CSV, console summary, and the ones
 * to come) sits behind one small interface, so the run's state machine
 * calls the list and never names a format. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "registry.h"
#include "stats.h"
#include "thresholds.h"

/* What a writer may want to know besides the statistics. Pointers are
 * valid during the call only; any may be NULL (a unit test, or a run that
 * has none). */
struct hn_report_moment {
    uint64_t now_ms; /* master wall clock, ms since the epoch */
    uint32_t users;  /* users running now (0 at the end) */
    uint32_t workers;
    const char *run_id;
    uint64_t started_ms;  /* master wall clock when the load began (0: not yet) */
    uint64_t run_time_ms; /* how long the run is planned to last (0: until stopped) */
    /* Thresholds and what each saw the last time they were evaluated
     * (every second, and at the end on the final statistics). */
    const struct hn_threshold *thresholds;
    const struct hn_threshold_result *threshold_results;
    uint32_t n_thresholds;
    const char *aborted; /* why the run ended before its time (a threshold
                            with abort_on_fail), else NULL */
    const struct hn_registry *workers_list; /* every worker that joined: health */
    /* The master's own lag (lag.h): how long workers' messages waited
     * before it read them, stalls of its loop included; in the last second
     * and the most since the run began. */
    uint32_t lag_ms, lag_max_ms;
};

struct hn_report_writer {
    const char *name; /* for error messages: "CSV", ... */
    void *ctx;
    /* Once per closed master second, after hn_stats_tick. NULL: nothing to
     * do. Returns 0 or -errno (logged once per writer, the run goes on). */
    int (*on_second)(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m);
    /* Once at the end, after the last FINAL or the stop deadline; the
     * statistics then hold every request the run will ever know of. */
    int (*on_final)(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m);
    /* Release ctx; called once, also when the run ended before it started.
     * NULL: nothing to release. */
    void (*close)(void *ctx);
};

#define HN_REPORTS_MAX 8

struct hn_reports {
    struct hn_report_writer w[HN_REPORTS_MAX];
    uint32_t n;
    uint32_t failed; /* bit set: writer i has reported an error already */
};

/* Append @w (copied). 0 or HN_E_TOO_LARGE. */
int hn_reports_add(struct hn_reports *rs, const struct hn_report_writer *w);
void hn_reports_second(struct hn_reports *rs, const struct hn_stats *st,
                       const struct hn_report_moment *m);
/* Returns 0, or the first -errno of a writer (each is still called). */
int hn_reports_final(struct hn_reports *rs, const struct hn_stats *st,
                     const struct hn_report_moment *m);
void hn_reports_close(struct hn_reports *rs);

/* The writers this master has. Each returns 0 and appends itself, or -errno
 * with nothing appended. */
int hn_report_csv_add(struct hn_reports *rs, const char *prefix, bool full_history);
/* End-of-run console summary on @out. */
int hn_report_console_add(struct hn_reports *rs, FILE *out);
