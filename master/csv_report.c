/* Locust-compatible CSV reports: header rows, row conventions (CRLF, minimal
 * quoting, Aggregated row with an empty Type, whole-ms percentiles, N/A
 * percentiles), strictly increasing history timestamps and atomic rewrites
 * of the current-state files. */
#include "csv_report.h"
#include "report_file.h"
#include "report_fmt.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum csv_file { CSV_STATS, CSV_HISTORY, CSV_FAILURES, CSV_EXCEPTIONS, CSV__COUNT };

static const char *const suffix[CSV__COUNT] = {
    [CSV_STATS] = "_stats.csv",
    [CSV_HISTORY] = "_stats_history.csv",
    [CSV_FAILURES] = "_failures.csv",
    [CSV_EXCEPTIONS] = "_exceptions.csv",
};

/* Locust's header rows, byte for byte. */
#define PCT_HEADER "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
static const char *const header[CSV__COUNT] = {
    [CSV_STATS] = "Type,Name,Request Count,Failure Count,Median Response Time,"
                  "Average Response Time,Min Response Time,Max Response Time,"
                  "Average Content Size,Requests/s,Failures/s," PCT_HEADER,
    [CSV_HISTORY] = "Timestamp,User Count,Type,Name,Requests/s,Failures/s," PCT_HEADER
                    ",Total Request Count,Total Failure Count,Total Median Response Time,"
                    "Total Average Response Time,Total Min Response Time,"
                    "Total Max Response Time,Total Average Content Size",
    [CSV_FAILURES] = "Method,Name,Error,Occurrences,First Seen,Last Seen",
    [CSV_EXCEPTIONS] = "Count,Message,Traceback,Nodes",
};

struct hn_csv {
    struct hn_csv_options opts;
    FILE *history;           /* open for appending rows */
    uint64_t history_s;      /* Timestamp of the last group written (0: none) */
    off_t history_group_at;  /* where that group starts in the file */
    char *path[CSV__COUNT];  /* PREFIX + suffix */
    struct hn_hist *scratch; /* window histogram of the history rows */
};

/* --- rows ---------------------------------------------------------------- */

/* One row being written: fields are separated by commas. */
struct row {
    FILE *f;
    bool started;
};

/* Minimal quoting (Python's csv.QUOTE_MINIMAL): quote a field only if it
 * holds a comma, a quote, CR or LF; double embedded quotes. */
static void put(struct row *r, const char *s)
{
    if (r->started)
        fputc(',', r->f);
    r->started = true;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, r->f);
        return;
    }
    fputc('"', r->f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', r->f);
        fputc(*s, r->f);
    }
    fputc('"', r->f);
}

static void put_u64(struct row *r, uint64_t v)
{
    char buf[HN_REPORT_NUM_MAX];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    put(r, buf);
}

/* Min, max: exact ms, as Locust writes floats there. */
static void put_ms(struct row *r, uint64_t us)
{
    char buf[HN_REPORT_NUM_MAX];
    hn_report_fmt_ms(buf, us);
    put(r, buf);
}

/* Median and percentiles: whole ms as Locust's int(...), or exact with
 * --csv-exact. */
static void put_pct_ms(struct row *r, bool exact, uint64_t us)
{
    char buf[HN_REPORT_NUM_MAX];
    if (exact)
        hn_report_fmt_ms(buf, us);
    else
        hn_report_fmt_ms_int(buf, us);
    put(r, buf);
}

static void put_decimal(struct row *r, double v, int decimals)
{
    char buf[HN_REPORT_NUM_MAX];
    hn_report_fmt_decimal(buf, v, decimals);
    put(r, buf);
}

/* Exactly @decimals digits after the point, zeros kept: Python's
 * f"{v:2f}", which Locust's history rates are written with. */
static void put_fixed(struct row *r, double v, int decimals)
{
    char buf[HN_REPORT_NUM_MAX];
    snprintf(buf, sizeof(buf), "%.*f", decimals, isfinite(v) ? v : 0.0);
    put(r, buf);
}

static void end_row(struct row *r)
{
    fputs("\r\n", r->f);
    r->started = false;
}

/* The 11 percentile columns of @h: N/A while the entry has had no request
 * at all (@requests, cumulative), 0 for an empty @h (a window without
 * requests), as Locust writes them. */
static void put_percentiles(struct row *r, bool exact, uint64_t requests, const struct hn_hist *h)
{
    for (size_t i = 0; i < HN_REPORT_N_PCTS; i++) {
        if (!requests)
            put(r, "N/A");
        else
            put_pct_ms(r, exact, h && h->total ? hn_hist_percentile(h, hn_report_pcts[i]) : 0);
    }
}

/* Median, average, min, max (ms) and average content size (bytes) of a
 * row's totals: all 0 for a row without requests, as Locust writes. */
static void put_time_summary(struct row *r, bool exact, const struct hn_stats_totals *t)
{
    const struct hn_hist *h = t->hist;
    put_pct_ms(r, exact, h ? hn_hist_percentile(h, 50) : 0);
    put_decimal(r, h ? hn_hist_mean(h) / 1000.0 : 0.0, 3);
    put_ms(r, h ? hn_hist_min(h) : 0);
    put_ms(r, h ? hn_hist_max(h) : 0);
}

static void put_content_size(struct row *r, const struct hn_stats_totals *t)
{
    put_decimal(r, t->requests ? (double)t->bytes_received / (double)t->requests : 0.0, 3);
}

static void stats_row(FILE *f, bool exact, const struct hn_stats_entry *e, double elapsed_s)
{
    struct hn_stats_totals t;
    struct row r = {f, false};
    hn_stats_totals(e, &t);
    put(&r, t.method);
    put(&r, t.name);
    put_u64(&r, t.requests);
    put_u64(&r, t.failures);
    put_time_summary(&r, exact, &t);
    put_content_size(&r, &t);
    put_decimal(&r, (double)t.requests / elapsed_s, 6);
    put_decimal(&r, (double)t.failures / elapsed_s, 6);
    put_percentiles(&r, exact, t.requests, t.hist);
    end_row(&r);
}

/* Locust's history row: current rates; percentiles of the window with full
 * history, else cumulative ones (locust/stats.py _stats_history_data_rows:
 * use_current=full_history); then the cumulative totals. */
static void history_row(struct hn_csv *c, const struct hn_stats *st, const struct hn_stats_entry *e,
                        uint64_t timestamp_s, uint32_t users)
{
    struct hn_stats_totals t;
    struct hn_stats_recent recent;
    struct row r = {c->history, false};
    bool exact = c->opts.exact;
    hn_stats_totals(e, &t);
    hn_stats_recent(st, e, c->opts.full_history ? c->scratch : NULL, &recent);
    put_u64(&r, timestamp_s);
    put_u64(&r, users);
    put(&r, t.method);
    put(&r, t.name);
    put_fixed(&r, recent.requests_per_s, 6);
    put_fixed(&r, recent.failures_per_s, 6);
    put_percentiles(&r, exact, t.requests, c->opts.full_history ? c->scratch : t.hist);
    put_u64(&r, t.requests);
    put_u64(&r, t.failures);
    put_time_summary(&r, exact, &t);
    put_content_size(&r, &t);
    end_row(&r);
}

/* --- file bodies --------------------------------------------------------- */

static void write_header(FILE *f, enum csv_file which)
{
    fputs(header[which], f);
    fputs("\r\n", f);
}

static void stats_body(const struct hn_csv *c, FILE *f, const struct hn_stats *st, uint64_t now_ms)
{
    write_header(f, CSV_STATS);
    if (!st)
        return;
    double elapsed_s = hn_stats_elapsed_s(st, now_ms);
    for (size_t i = 0; i < hn_stats_entry_count(st); i++)
        stats_row(f, c->opts.exact, hn_stats_entry_at(st, i), elapsed_s);
    stats_row(f, c->opts.exact, hn_stats_aggregated(st), elapsed_s);
}

static void failures_body(const struct hn_csv *c, FILE *f, const struct hn_stats *st,
                          uint64_t now_ms)
{
    (void)c;
    (void)now_ms;
    write_header(f, CSV_FAILURES);
    for (size_t i = 0; st && i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        char first[32], last[32];
        struct row r = {f, false};
        hn_stats_error_at(st, i, &e);
        hn_report_fmt_utc(first, sizeof(first), e.first_seen_ms);
        hn_report_fmt_utc(last, sizeof(last), e.last_seen_ms);
        put(&r, e.method);
        put(&r, e.name);
        put(&r, e.error);
        put_u64(&r, e.count);
        put(&r, first);
        put(&r, last);
        end_row(&r);
    }
}

/* Locust lists Python exceptions raised in user code here; Hornet lists
 * what went wrong outside any request (e.g. a user that could not start
 * because its data ran out). No traceback; Nodes stays empty. */
static void exceptions_body(const struct hn_csv *c, FILE *f, const struct hn_stats *st,
                            uint64_t now_ms)
{
    (void)c;
    (void)now_ms;
    write_header(f, CSV_EXCEPTIONS);
    for (size_t i = 0; st && i < hn_stats_exception_count(st); i++) {
        struct hn_stats_exception x;
        struct row r = {f, false};
        hn_stats_exception_at(st, i, &x);
        put_u64(&r, x.count);
        put(&r, x.message);
        put(&r, "");
        put(&r, "");
        end_row(&r);
    }
}

typedef void body_fn(const struct hn_csv *c, FILE *f, const struct hn_stats *st, uint64_t now_ms);

/* -errno of the last failed stdio call, or -EIO if errno says nothing. */
static int io_error(void)
{
    return errno ? -errno : -EIO;
}

/* Write @body as a new version of the file (report_file.h: through
 * "<path>.tmp", renamed over it). */
static int write_atomic(struct hn_csv *c, enum csv_file which, body_fn *body,
                        const struct hn_stats *st, uint64_t now_ms)
{
    struct hn_report_out o;
    int err = hn_report_out_open(&o, c->path[which]);
    if (err)
        return err;
    body(c, o.f, st, now_ms);
    return hn_report_out_close(&o, 0);
}

/* --- public API ---------------------------------------------------------- */

int hn_csv_check(const char *prefix)
{
    char path[PATH_MAX];
    for (int i = 0; i < CSV__COUNT; i++) {
        if (snprintf(path, sizeof(path), "%s%s", prefix, suffix[i]) >= (int)sizeof(path))
            return -ENAMETOOLONG;
        struct stat st;
        if (i == CSV_HISTORY && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
            return -ESPIPE;
        int err = hn_report_file_check(path);
        if (err)
            return err;
    }
    return 0;
}

int hn_csv_open(const char *prefix, const struct hn_csv_options *opts, struct hn_csv **out)
{
    struct hn_csv *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int err = -ENOMEM;
    c->opts = *opts;
    size_t len = strlen(prefix);
    for (int i = 0; i < CSV__COUNT; i++) {
        c->path[i] = malloc(len + strlen(suffix[i]) + 1);
        if (!c->path[i])
            goto fail;
        memcpy(c->path[i], prefix, len);
        strcpy(c->path[i] + len, suffix[i]);
    }
    c->scratch = hn_hist_new();
    if (!c->scratch)
        goto fail;
    if ((err = write_atomic(c, CSV_STATS, stats_body, NULL, 0)) ||
        (err = write_atomic(c, CSV_FAILURES, failures_body, NULL, 0)) ||
        (err = write_atomic(c, CSV_EXCEPTIONS, exceptions_body, NULL, 0)))
        goto fail;
    /* The history file rewrites its last group in place (same second):
     * it must be a regular file (a link to one is fine). */
    struct stat st;
    if (stat(c->path[CSV_HISTORY], &st) == 0 && !S_ISREG(st.st_mode)) {
        err = -ESPIPE;
        goto fail;
    }
    errno = 0;
    c->history = fopen(c->path[CSV_HISTORY], "we");
    if (!c->history) {
        err = io_error();
        goto fail;
    }
    write_header(c->history, CSV_HISTORY);
    if (fflush(c->history) != 0) {
        err = io_error();
        goto fail;
    }
    *out = c;
    return 0;
fail:
    hn_csv_close(c);
    return err;
}

/* Start the group of second @*ts: strictly after the previous group, or in
 * its place when it falls in the same second (or the clock stepped back):
 * a script computing a rate as Δcount/Δtime never divides by zero, and a
 * table keyed by time loses no row. */
static int begin_group(struct hn_csv *c, uint64_t *ts)
{
    if (c->history_s && *ts <= c->history_s) {
        *ts = c->history_s;
        if (fflush(c->history) != 0 || ftruncate(fileno(c->history), c->history_group_at) != 0 ||
            fseeko(c->history, c->history_group_at, SEEK_SET) != 0)
            return io_error();
        return 0;
    }
    off_t at = ftello(c->history);
    if (at < 0)
        return io_error();
    c->history_group_at = at;
    c->history_s = *ts;
    return 0;
}

int hn_csv_append_history(struct hn_csv *c, const struct hn_stats *st, uint64_t started_ms,
                          uint64_t now_ms, uint32_t users)
{
    errno = 0;
    /* The run's start plus the whole seconds since, rounded, not the wall
     * clock's second at the tick: in a run that began just before a second
     * ended, a tick a few ms late fell in the next second and one on time
     * in its own, so one group replaced another and a gap came after. */
    uint64_t since = now_ms > started_ms ? now_ms - started_ms : 0;
    uint64_t ts = (started_ms + (since + 500) / 1000 * 1000) / 1000;
    int err = begin_group(c, &ts);
    if (err)
        return err;
    if (c->opts.full_history)
        for (size_t i = 0; i < hn_stats_entry_count(st); i++)
            history_row(c, st, hn_stats_entry_at(st, i), ts, users);
    history_row(c, st, hn_stats_aggregated(st), ts, users);
    if (fflush(c->history) != 0 || ferror(c->history)) {
        err = io_error();
        clearerr(c->history);
        return err;
    }
    return 0;
}

int hn_csv_write_current(struct hn_csv *c, const struct hn_stats *st, uint64_t now_ms)
{
    int err = write_atomic(c, CSV_STATS, stats_body, st, now_ms);
    int e2 = write_atomic(c, CSV_FAILURES, failures_body, st, now_ms);
    int e3 = write_atomic(c, CSV_EXCEPTIONS, exceptions_body, st, now_ms);
    return err ? err : e2 ? e2 : e3;
}

void hn_csv_close(struct hn_csv *c)
{
    if (!c)
        return;
    if (c->history)
        fclose(c->history);
    for (int i = 0; i < CSV__COUNT; i++)
        free(c->path[i]);
    hn_hist_free(c->scratch);
    free(c);
}
