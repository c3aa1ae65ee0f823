/* Console tables in Locust's layout (locust/stats.py get_stats_summary,
 * get_percentile_stats_summary, get_error_report_summary): the same format
 * strings and column widths, times in ms with 3 significant digits (whole
 * from 100 ms on) where Locust prints whole ms. */
#include "console.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "report_fmt.h"
#include "sanitize.h"

#define TYPE_W 8          /* Locust's STATS_TYPE_WIDTH */
#define NAME_W_DEFAULT 80 /* Locust's STATS_NAME_WIDTH when not on a terminal */
#define TIME_W 7          /* Avg, Min, Max, Med columns */
#define PCT_W 6           /* percentile columns but the first (8 wide), and # reqs */

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

/* @us in ms, at most 6 characters below 1,000,000 ms: Locust's 7-wide
 * columns keep a blank between values, and the 6-wide ones fit. */
static const char *fmt_ms(char *buf, uint64_t us)
{
    hn_report_fmt_ms_short(buf, us);
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

int hn_console_width_for(const char *s, int w)
{
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) == 0x80; /* a continuation byte */
    return w;
}

static void table_separator(FILE *out, int name_w)
{
    /* Locust's separator, byte for byte */
    const int widths[] = {TYPE_W, name_w, 7, 13, TIME_W, TIME_W, TIME_W, TIME_W, 8, 11};
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
    char avg[HN_REPORT_NUM_MAX], min[HN_REPORT_NUM_MAX], max[HN_REPORT_NUM_MAX],
        med[HN_REPORT_NUM_MAX];
    hn_stats_totals(e, &t);
    snprintf(type, sizeof(type), "%s%s", hn_sanitize_str(method, sizeof(method), t.method),
             t.method[0] ? " " : "");
    double ratio = t.requests ? (double)t.failures / (double)t.requests : 0.0;
    snprintf(fails, sizeof(fails), "%llu(%.2f%%)", (unsigned long long)t.failures, ratio * 100.0);
    const struct hn_hist *h = t.hist;
    uint64_t mean_us = h ? (uint64_t)(hn_hist_mean(h) + 0.5) : 0;
    /* Locust: "%-8s %-Ns %7d %12s |%7d %7d %7d%7d | %7.2f %11.2f" */
    hn_sanitize_str(name, sizeof(name), t.name);
    fprintf(out, "%-*s %-*s %7llu %12s |%*s %*s %*s%*s | %7.2f %11.2f\n", TYPE_W, type,
            hn_console_width_for(name, name_w), name, (unsigned long long)t.requests, fails, TIME_W,
            fmt_ms(avg, mean_us), TIME_W, fmt_ms(min, h ? hn_hist_min(h) : 0), TIME_W,
            fmt_ms(max, h ? hn_hist_max(h) : 0), TIME_W,
            fmt_ms(med, h ? hn_hist_percentile(h, 50) : 0), rps, fps);
}

/* The request table; @current: window rates (live) or whole-run rates. */
static void print_table(FILE *out, const struct hn_stats *st, bool current)
{
    int name_w = name_width(out) - TYPE_W + 4;
    if (name_w < 10)
        name_w = 10;
    double elapsed_s = hn_stats_elapsed_s(st, hn_stats_last_ms(st));
    fprintf(out, "%-*s %-*s %7s %12s |%*s %*s %*s%*s | %7s %11s\n", TYPE_W, "Type", name_w, "Name",
            "# reqs", "# fails", TIME_W, "Avg", TIME_W, "Min", TIME_W, "Max", TIME_W, "Med",
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

/* "1:05" or "1:02:05". */
static void clock_text(char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000;
    if (s >= 3600)
        snprintf(buf, len, "%llu:%02u:%02u", (unsigned long long)(s / 3600),
                 (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
    else
        snprintf(buf, len, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

void hn_console_live(FILE *out, const struct hn_stats *st, uint32_t users, uint32_t workers,
                     uint32_t lag_ms, uint32_t lag_max_ms, uint64_t elapsed_ms,
                     uint64_t run_time_ms)
{
    char done[32], planned[32];
    print_table(out, st, true);
    clock_text(done, sizeof(done), elapsed_ms);
    uint64_t dropped = hn_stats_total_dropped(st);
    fprintf(out, "Users: %u, workers: %u", users, workers);
    if (dropped)
        fprintf(out, ", dropped iterations: %llu", (unsigned long long)dropped);
    fprintf(out, ", master lag: %u ms (max %u ms)", lag_ms, lag_max_ms);
    if (run_time_ms) {
        clock_text(planned, sizeof(planned), run_time_ms);
        double pct = elapsed_ms >= run_time_ms ? 100.0 : 100.0 * elapsed_ms / run_time_ms;
        fprintf(out, ", run time %s of %s (%.0f %%)\n\n", done, planned, pct);
    } else {
        fprintf(out, ", run time %s (until stopped)\n\n", done);
    }
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
    for (size_t i = 1; i <= HN_REPORT_N_PCTS; i++) { /* 10 percentiles, then # reqs */
        fputc('|', out);
        dashes(out, PCT_W);
    }
    fputc('\n', out);
}

static void percentile_row(FILE *out, int name_w, const struct hn_stats_entry *e)
{
    struct hn_stats_totals t;
    char buf[HN_REPORT_NUM_MAX], method[SAFE_METHOD_SIZE], name[SAFE_NAME_SIZE];
    hn_stats_totals(e, &t);
    if (!t.hist)
        return; /* Locust lists only entries with requests */
    hn_sanitize_str(name, sizeof(name), t.name);
    fprintf(out, "%-*s %-*s", TYPE_W, hn_sanitize_str(method, sizeof(method), t.method),
            hn_console_width_for(name, name_w), name);
    for (size_t i = 0; i < HN_REPORT_N_PCTS; i++)
        fprintf(out, " %*s", i ? PCT_W : 8,
                fmt_ms(buf, hn_hist_percentile(t.hist, hn_report_pcts[i])));
    fprintf(out, " %*llu\n", PCT_W, (unsigned long long)t.requests);
}

static void print_percentiles(FILE *out, const struct hn_stats *st)
{
    int name_w = name_width(out);
    fprintf(out, "Response time percentiles (approximated)\n");
    fprintf(out, "%-*s %-*s", TYPE_W, "Type", name_w, "Name");
    for (size_t i = 0; i < HN_REPORT_N_PCTS; i++)
        fprintf(out, " %*s", i ? PCT_W : 8, hn_report_pct_labels[i]);
    fprintf(out, " %*s\n", PCT_W, "# reqs");
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
        char message[SAFE_ERROR_SIZE];
        fprintf(out, "%-18llu %s\n", (unsigned long long)x.count,
                hn_sanitize_str(message, sizeof(message), x.message));
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
