/* Console tables in Locust's layout (locust/stats.py get_stats_summary,
 * get_percentile_stats_summary, get_error_report_summary), with exact times
 * in milliseconds instead of Locust's rounded integers. */
#include "console.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "csv_report.h"
#include "sanitize.h"

#define TYPE_W 8
#define NAME_W_DEFAULT 80 /* Locust's STATS_NAME_WIDTH when not on a terminal */
#define TIME_W 7          /* Avg, Min, Max, Med columns */
#define PCT_W 7           /* percentile columns but the first (8 wide) */

static const double pcts[] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
static const char *const pct_labels[] = {"50%", "66%", "75%",   "80%",    "90%", "95%",
                                         "98%", "99%", "99.9%", "99.99%", "100%"};
#define N_PCTS (sizeof(pcts) / sizeof(pcts[0]))

/* Locust's STATS_NAME_WIDTH: terminal columns - 80, within [0, 80]; 80 when
 * @out is not a terminal. */
static int name_width(FILE *out)
{
    struct winsize ws;
    int fd = fileno(out);
    if (fd < 0 || !isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        return NAME_W_DEFAULT;
    int w = (int)ws.ws_col - 80;
    return w < 0 ? 0 : w > 80 ? 80 : w;
}

/* @us in ms, exact (up to 3 decimals) if that fits @width characters,
 * otherwise with fewer decimals. */
static const char *fmt_ms(char *buf, uint64_t us, int width)
{
    hn_csv_format_ms(buf, us);
    for (int d = 2; (int)strlen(buf) > width && d >= 0; d--)
        snprintf(buf, HN_CSV_NUM_MAX, "%.*f", d, (double)us / 1000.0);
    return buf;
}

/* Names and errors come from workers: shown escaped (sanitize.h), so that
 * neither an escape sequence nor a CR/LF reaches the terminal or breaks a
 * table row. */
#define SAFE_NAME_SIZE HN_SANITIZE_SIZE(HN_PROTO_NAME_MAX)
#define SAFE_METHOD_SIZE HN_SANITIZE_SIZE(HN_PROTO_METHOD_MAX)
#define SAFE_ERROR_SIZE HN_SANITIZE_SIZE(HN_PROTO_ERROR_MAX)

static void dashes(FILE *out, int n)
{
    for (int i = 0; i < n; i++)
        fputc('-', out);
}

/* --- request table ------------------------------------------------------- */

static void table_separator(FILE *out, int name_w)
{
    /* a '|' stands where the rows have a blank or a '|' */
    const int widths[] = {TYPE_W, name_w, 7, 13, TIME_W + 1, TIME_W, TIME_W, TIME_W + 1, 8, 11};
    for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
        if (i)
            fputc('|', out);
        dashes(out, widths[i]);
    }
    fputc('\n', out);
}

static void table_row(FILE *out, int name_w, const struct hn_stats_entry *e, double rps, double fps)
{
    struct hn_stats_totals t;
    char type[SAFE_METHOD_SIZE + 1], fails[48], method[SAFE_METHOD_SIZE], name[SAFE_NAME_SIZE];
    char avg[HN_CSV_NUM_MAX], min[HN_CSV_NUM_MAX], max[HN_CSV_NUM_MAX], med[HN_CSV_NUM_MAX];
    hn_stats_totals(e, &t);
    snprintf(type, sizeof(type), "%s%s", hn_sanitize_str(method, sizeof(method), t.method),
             t.method[0] ? " " : "");
    double ratio = t.requests ? (double)t.failures / (double)t.requests : 0.0;
    snprintf(fails, sizeof(fails), "%llu(%.2f%%)", (unsigned long long)t.failures, ratio * 100.0);
    const struct hn_hist *h = t.hist;
    uint64_t mean_us = h ? (uint64_t)(hn_hist_mean(h) + 0.5) : 0;
    fprintf(out, "%-*s %-*s %7llu %12s | %*s %*s %*s %*s | %7.2f %11.2f\n", TYPE_W, type, name_w,
            hn_sanitize_str(name, sizeof(name), t.name), (unsigned long long)t.requests, fails,
            TIME_W, fmt_ms(avg, mean_us, TIME_W), TIME_W,
            fmt_ms(min, h ? hn_hist_min(h) : 0, TIME_W), TIME_W,
            fmt_ms(max, h ? hn_hist_max(h) : 0, TIME_W), TIME_W,
            fmt_ms(med, h ? hn_hist_percentile(h, 50) : 0, TIME_W), rps, fps);
}

/* The request table; @current: window rates (live) or whole-run rates. */
static void print_table(FILE *out, const struct hn_stats *st, bool current)
{
    int name_w = name_width(out) - TYPE_W + 4;
    if (name_w < 10)
        name_w = 10;
    double elapsed_s = hn_stats_elapsed_s(st, hn_stats_last_ms(st));
    fprintf(out, "%-*s %-*s %7s %12s | %*s %*s %*s %*s | %7s %11s\n", TYPE_W, "Type", name_w,
            "Name", "# reqs", "# fails", TIME_W, "Avg", TIME_W, "Min", TIME_W, "Max", TIME_W, "Med",
            "req/s", "failures/s");
    table_separator(out, name_w);
    size_t n = hn_stats_entry_count(st);
    for (size_t i = 0; i <= n; i++) {
        const struct hn_stats_entry *e = i < n ? hn_stats_entry_at(st, i) : hn_stats_aggregated(st);
        if (i == n)
            table_separator(out, name_w);
        double rps, fps;
        if (current) {
            struct hn_stats_recent r;
            hn_stats_recent(st, e, NULL, &r);
            rps = r.requests_per_s;
            fps = r.failures_per_s;
        } else {
            struct hn_stats_totals t;
            hn_stats_totals(e, &t);
            rps = (double)t.requests / elapsed_s;
            fps = (double)t.failures / elapsed_s;
        }
        table_row(out, name_w, e, rps, fps);
    }
}

void hn_console_live(FILE *out, const struct hn_stats *st, uint32_t users, uint32_t workers,
                     uint32_t lag_ms, uint32_t lag_max_ms)
{
    print_table(out, st, true);
    uint64_t dropped = hn_stats_total_dropped(st);
    fprintf(out, "Users: %u, workers: %u", users, workers);
    if (dropped)
        fprintf(out, ", dropped iterations: %llu", (unsigned long long)dropped);
    fprintf(out, ", master lag: %u ms (max %u ms)\n\n", lag_ms, lag_max_ms);
    fflush(out);
}

/* --- percentile table ---------------------------------------------------- */

static void percentile_separator(FILE *out, int name_w)
{
    dashes(out, TYPE_W);
    fputc('|', out);
    dashes(out, name_w);
    fputc('|', out);
    dashes(out, 8);
    for (size_t i = 1; i < N_PCTS; i++) {
        fputc('|', out);
        dashes(out, PCT_W);
    }
    fputc('|', out);
    dashes(out, 8);
    fputc('\n', out);
}

static void percentile_row(FILE *out, int name_w, const struct hn_stats_entry *e)
{
    struct hn_stats_totals t;
    char buf[HN_CSV_NUM_MAX], method[SAFE_METHOD_SIZE], name[SAFE_NAME_SIZE];
    hn_stats_totals(e, &t);
    if (!t.hist)
        return; /* Locust lists only entries with requests */
    fprintf(out, "%-*s %-*s", TYPE_W, hn_sanitize_str(method, sizeof(method), t.method), name_w,
            hn_sanitize_str(name, sizeof(name), t.name));
    for (size_t i = 0; i < N_PCTS; i++) {
        int w = i ? PCT_W : 8;
        fprintf(out, " %*s", w, fmt_ms(buf, hn_hist_percentile(t.hist, pcts[i]), w));
    }
    fprintf(out, " %8llu\n", (unsigned long long)t.requests);
}

static void print_percentiles(FILE *out, const struct hn_stats *st)
{
    int name_w = name_width(out);
    fprintf(out, "Response time percentiles (ms)\n");
    fprintf(out, "%-*s %-*s", TYPE_W, "Type", name_w, "Name");
    for (size_t i = 0; i < N_PCTS; i++)
        fprintf(out, " %*s", i ? PCT_W : 8, pct_labels[i]);
    fprintf(out, " %8s\n", "# reqs");
    percentile_separator(out, name_w);
    for (size_t i = 0; i < hn_stats_entry_count(st); i++)
        percentile_row(out, name_w, hn_stats_entry_at(st, i));
    percentile_separator(out, name_w);
    percentile_row(out, name_w, hn_stats_aggregated(st));
    fputc('\n', out);
}

/* --- error report -------------------------------------------------------- */

struct ranked_error {
    struct hn_stats_error e;
    size_t order; /* position in the store's order, to break ties */
};

static int by_count_desc(const void *a, const void *b)
{
    const struct ranked_error *x = a, *y = b;
    if (x->e.count != y->e.count)
        return x->e.count > y->e.count ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void print_errors(FILE *out, const struct hn_stats *st)
{
    size_t n = hn_stats_error_count(st);
    if (n == 0)
        return;
    int sep_w = 80 + name_width(out) - 19;
    struct ranked_error *rank = malloc(n * sizeof(*rank));
    for (size_t i = 0; rank && i < n; i++) {
        hn_stats_error_at(st, i, &rank[i].e);
        rank[i].order = i;
    }
    if (rank)
        qsort(rank, n, sizeof(*rank), by_count_desc);
    fprintf(out, "Error report\n%-18s %s\n", "# occurrences", "Error");
    dashes(out, 18);
    fputc('|', out);
    dashes(out, sep_w);
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        struct hn_stats_error e;
        if (rank)
            e = rank[i].e;
        else
            hn_stats_error_at(st, i, &e); /* no memory to sort: store order */
        char method[SAFE_METHOD_SIZE], name[SAFE_NAME_SIZE], error[SAFE_ERROR_SIZE];
        fprintf(out, "%-18llu %s %s: %s\n", (unsigned long long)e.count,
                hn_sanitize_str(method, sizeof(method), e.method),
                hn_sanitize_str(name, sizeof(name), e.name),
                hn_sanitize_str(error, sizeof(error), e.error));
    }
    dashes(out, 18);
    fputc('|', out);
    dashes(out, sep_w);
    fputs("\n\n", out);
    free(rank);
}

static void print_exceptions(FILE *out, const struct hn_stats *st)
{
    size_t n = hn_stats_exception_count(st);
    if (n == 0)
        return;
    fprintf(out, "Exceptions (not requests)\n%-18s %s\n", "# occurrences", "Message");
    for (size_t i = 0; i < n; i++) {
        struct hn_stats_exception x;
        hn_stats_exception_at(st, i, &x);
        fprintf(out, "%-18llu %s\n", (unsigned long long)x.count, x.message);
    }
    fputc('\n', out);
}

void hn_console_summary(FILE *out, const struct hn_stats *st)
{
    print_table(out, st, false);
    fputc('\n', out);
    print_percentiles(out, st);
    print_errors(out, st);
    print_exceptions(out, st);
    fflush(out);
}
