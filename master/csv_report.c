/* Locust-compatible CSV reports: header rows, row conventions (CRLF, minimal
 * quoting, Aggregated row with an empty Type, N/A percentiles) and atomic
 * rewrites of the current-state files. */
#include "csv_report.h"

#include <errno.h>
#include <stdio.h>
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

/* Locust's PERCENTILES_TO_REPORT, in percent. */
static const double pcts[] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
#define N_PCTS (sizeof(pcts) / sizeof(pcts[0]))

struct hn_csv {
    bool full_history;
    FILE *history;           /* open for appending rows */
    char *path[CSV__COUNT];  /* PREFIX + suffix */
    char *tmp;               /* room for any path + ".tmp" */
    struct hn_hist *scratch; /* window histogram of the history rows */
};

/* --- number formatting --------------------------------------------------- */

void hn_csv_format_ms(char *buf, uint64_t us)
{
    int n = snprintf(buf, HN_CSV_NUM_MAX, "%llu.%03u", (unsigned long long)(us / 1000),
                     (unsigned)(us % 1000));
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
}

void hn_csv_format_decimal(char *buf, double v, int decimals)
{
    int n = snprintf(buf, HN_CSV_NUM_MAX, "%.*f", decimals, v);
    if (n <= 0 || n >= HN_CSV_NUM_MAX || !strchr(buf, '.'))
        return;
    while (buf[n - 1] == '0')
        buf[--n] = '\0';
    if (buf[n - 1] == '.')
        buf[--n] = '\0';
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
}

void hn_csv_format_utc(char *buf, size_t len, uint64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

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
    char buf[HN_CSV_NUM_MAX];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    put(r, buf);
}

static void put_ms(struct row *r, uint64_t us)
{
    char buf[HN_CSV_NUM_MAX];
    hn_csv_format_ms(buf, us);
    put(r, buf);
}

static void put_decimal(struct row *r, double v, int decimals)
{
    char buf[HN_CSV_NUM_MAX];
    hn_csv_format_decimal(buf, v, decimals);
    put(r, buf);
}

static void end_row(struct row *r)
{
    fputs("\r\n", r->f);
    r->started = false;
}

/* The 11 percentile columns of @h, or N/A when it holds no request. */
static void put_percentiles(struct row *r, const struct hn_hist *h)
{
    for (size_t i = 0; i < N_PCTS; i++) {
        if (h && h->total)
            put_ms(r, hn_hist_percentile(h, pcts[i]));
        else
            put(r, "N/A");
    }
}

/* Median, average, min, max (ms) and average content size (bytes) of a
 * row's totals: all 0 for a row without requests, as Locust writes. */
static void put_time_summary(struct row *r, const struct hn_stats_totals *t)
{
    const struct hn_hist *h = t->hist;
    put_ms(r, h ? hn_hist_percentile(h, 50) : 0);
    put_decimal(r, h ? hn_hist_mean(h) / 1000.0 : 0.0, 3);
    put_ms(r, h ? hn_hist_min(h) : 0);
    put_ms(r, h ? hn_hist_max(h) : 0);
}

static void put_content_size(struct row *r, const struct hn_stats_totals *t)
{
    put_decimal(r, t->requests ? (double)t->bytes_received / (double)t->requests : 0.0, 3);
}

static void stats_row(FILE *f, const struct hn_stats_entry *e, double elapsed_s)
{
    struct hn_stats_totals t;
    struct row r = {f, false};
    hn_stats_totals(e, &t);
    put(&r, t.method);
    put(&r, t.name);
    put_u64(&r, t.requests);
    put_u64(&r, t.failures);
    put_time_summary(&r, &t);
    put_content_size(&r, &t);
    put_decimal(&r, (double)t.requests / elapsed_s, 6);
    put_decimal(&r, (double)t.failures / elapsed_s, 6);
    put_percentiles(&r, t.hist);
    end_row(&r);
}

static void history_row(struct hn_csv *c, const struct hn_stats *st, const struct hn_stats_entry *e,
                        uint64_t now_ms, uint32_t users)
{
    struct hn_stats_totals t;
    struct hn_stats_recent recent;
    struct row r = {c->history, false};
    hn_stats_totals(e, &t);
    hn_stats_recent(st, e, c->scratch, &recent);
    put_u64(&r, now_ms / 1000);
    put_u64(&r, users);
    put(&r, t.method);
    put(&r, t.name);
    put_decimal(&r, recent.requests_per_s, 6);
    put_decimal(&r, recent.failures_per_s, 6);
    put_percentiles(&r, c->scratch);
    put_u64(&r, t.requests);
    put_u64(&r, t.failures);
    put_time_summary(&r, &t);
    put_content_size(&r, &t);
    end_row(&r);
}

/* --- file bodies --------------------------------------------------------- */

static void write_header(FILE *f, enum csv_file which)
{
    fputs(header[which], f);
    fputs("\r\n", f);
}

static void stats_body(FILE *f, const struct hn_stats *st, uint64_t now_ms)
{
    write_header(f, CSV_STATS);
    if (!st)
        return;
    double elapsed_s = hn_stats_elapsed_s(st, now_ms);
    for (size_t i = 0; i < hn_stats_entry_count(st); i++)
        stats_row(f, hn_stats_entry_at(st, i), elapsed_s);
    stats_row(f, hn_stats_aggregated(st), elapsed_s);
}

static void failures_body(FILE *f, const struct hn_stats *st, uint64_t now_ms)
{
    (void)now_ms;
    write_header(f, CSV_FAILURES);
    for (size_t i = 0; st && i < hn_stats_error_count(st); i++) {
        struct hn_stats_error e;
        char first[32], last[32];
        struct row r = {f, false};
        hn_stats_error_at(st, i, &e);
        hn_csv_format_utc(first, sizeof(first), e.first_seen_ms);
        hn_csv_format_utc(last, sizeof(last), e.last_seen_ms);
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
static void exceptions_body(FILE *f, const struct hn_stats *st, uint64_t now_ms)
{
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

typedef void body_fn(FILE *f, const struct hn_stats *st, uint64_t now_ms);

/* -errno of the last failed stdio call, or -EIO if errno says nothing. */
static int io_error(void)
{
    return errno ? -errno : -EIO;
}

/* Write @body to "<path>.tmp", then rename it over @path. */
static int write_atomic(struct hn_csv *c, enum csv_file which, body_fn *body,
                        const struct hn_stats *st, uint64_t now_ms)
{
    sprintf(c->tmp, "%s.tmp", c->path[which]);
    errno = 0;
    FILE *f = fopen(c->tmp, "we"); /* "e": O_CLOEXEC, kept from local workers */
    if (!f)
        return io_error();
    body(f, st, now_ms);
    int err = 0;
    if (fflush(f) != 0 || ferror(f))
        err = io_error();
    if (fclose(f) != 0 && !err)
        err = io_error();
    if (!err && rename(c->tmp, c->path[which]) != 0)
        err = io_error();
    if (err)
        unlink(c->tmp);
    return err;
}

/* --- public API ---------------------------------------------------------- */

int hn_csv_open(const char *prefix, bool full_history, struct hn_csv **out)
{
    struct hn_csv *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int err = -ENOMEM;
    c->full_history = full_history;
    size_t len = strlen(prefix);
    for (int i = 0; i < CSV__COUNT; i++) {
        c->path[i] = malloc(len + strlen(suffix[i]) + 1);
        if (!c->path[i])
            goto fail;
        memcpy(c->path[i], prefix, len);
        strcpy(c->path[i] + len, suffix[i]);
    }
    c->tmp = malloc(len + 32);
    c->scratch = hn_hist_new();
    if (!c->tmp || !c->scratch)
        goto fail;
    if ((err = write_atomic(c, CSV_STATS, stats_body, NULL, 0)) ||
        (err = write_atomic(c, CSV_FAILURES, failures_body, NULL, 0)) ||
        (err = write_atomic(c, CSV_EXCEPTIONS, exceptions_body, NULL, 0)))
        goto fail;
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

int hn_csv_append_history(struct hn_csv *c, const struct hn_stats *st, uint64_t now_ms,
                          uint32_t users)
{
    errno = 0;
    if (c->full_history)
        for (size_t i = 0; i < hn_stats_entry_count(st); i++)
            history_row(c, st, hn_stats_entry_at(st, i), now_ms, users);
    history_row(c, st, hn_stats_aggregated(st), now_ms, users);
    if (fflush(c->history) != 0 || ferror(c->history)) {
        int err = io_error();
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
    free(c->tmp);
    hn_hist_free(c->scratch);
    free(c);
}
