/* Report writers: every output format (CSV, console summary, and the ones
 * to come) sits behind one small interface, so the run's state machine
 * calls the list and never names a format. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "journal.h"
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
    /* The most users asked for at once that the workers' capacities could
     * not run, and the most users asked for (0 and 0 before any). */
    uint32_t users_not_run, users_asked_max;
    bool behind; /* it could not keep up: the run fails (exit 3) */
    bool errors_pass; /* --exit-code-on-error 0: failed requests and exceptions
                         do not fail the run */
    const char *unwritten; /* a report that could not be written at the end (the
                              run fails), for those written after it; NULL */
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
    const char *path; /* the file (or CSV prefix) it writes, for messages; NULL: none */
};

#define HN_REPORTS_MAX 16

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
                     struct hn_report_moment *m);
void hn_reports_close(struct hn_reports *rs);

/* What the run was asked to do and what it kept, for the reports that
 * describe the whole run. Strings and the journal must outlive the writers
 * (they point into argv and struct hn_run). */
struct hn_report_run {
    const char *scenario_file; /* NULL: quick mode */
    const char *host;          /* -H, NULL: the scenario's */
    const char *load;          /* the load in a few words: "50 users at 10/s", "500/s
                                  iterations, at most 1000 users"; NULL: unknown */
    uint64_t stop_timeout_ms;
    const struct hn_journal *journal; /* timeline, worker events, self-check; may be NULL */
};

/* The writers this master has. Each returns 0 and appends itself, or -errno
 * with nothing appended (a file that cannot be written is found now, before
 * any load is sent). */
struct hn_csv_options;
int hn_report_csv_add(struct hn_reports *rs, const char *prefix, const struct hn_csv_options *opts);
/* End-of-run console summary on @out: tables, worker events and generator
 * warnings (@run->journal). */
int hn_report_console_add(struct hn_reports *rs, FILE *out, const struct hn_report_run *run);
/* Samples the journal's timeline every second: add it before the writers
 * that read the timeline. */
int hn_report_journal_add(struct hn_reports *rs, struct hn_journal *j);
/* --json PATH ("-": stdout): everything of the run in one document
 * (master/report.schema.json), written at the end. */
int hn_report_json_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run);
/* --html PATH: one self-contained page with charts, written at the end. */
int hn_report_html_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run);
/* --junit PATH: JUnit XML, one test case per threshold and per entry with
 * failures, written at the end. */
int hn_report_junit_add(struct hn_reports *rs, const char *path, const struct hn_report_run *run);
/* --summary-md PATH: a short Markdown summary, written at the end. */
int hn_report_summary_md_add(struct hn_reports *rs, const char *path,
                             const struct hn_report_run *run);
/* --hdr-log PATH: HdrHistogram interval log, one line per second per entry. */
int hn_report_hdr_log_add(struct hn_reports *rs, const char *path, const char *run_id);
