/* Unit tests for the Locust-compatible CSV reports (master/csv.c): header
 * rows byte for byte, CRLF, row order, quoting, N/A rules, exact values,
 * failure dates, history rows per tick and atomic rewrites. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "csv_report.h"
#include "report_fmt.h"
#include "hist.h"
#include "msg.h"
#include "stats-feed.h"
#include "stats.h"

#define T0 UINT64_C(1700000000000) /* 2023-11-14T22:13:20Z */

/* Locust's CSV header rows, byte for byte. */
static const char STATS_HEADER[] =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min "
    "Response Time,Max Response Time,Average Content "
    "Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
static const char HISTORY_HEADER[] =
    "Timestamp,User "
    "Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response "
    "Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";
static const char FAILURES_HEADER[] = "Method,Name,Error,Occurrences,First Seen,Last Seen";
static const char EXCEPTIONS_HEADER[] = "Count,Message,Traceback,Nodes";

static char dir[64], prefix[128];

/* Locust's defaults; full history; exact decimals. */
static const struct hn_csv_options PLAIN = {false, false}, FULL = {true, false},
                                   EXACT = {false, true};

/* ---- helpers ----------------------------------------------------------- */

static char *slurp(const char *suffix)
{
    char path[256];
    snprintf(path, sizeof(path), "%s%s", prefix, suffix);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* Split @text into CRLF-terminated lines (in place). Fails on a bare LF or a
 * missing final CRLF. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p) {
        char *crlf = strstr(p, "\r\n");
        assert_non_null(crlf);
        *crlf = '\0';
        assert_null(strchr(p, '\n'));
        assert_true(n < max);
        lines[n++] = p;
        p = crlf + 2;
    }
    return n;
}

/* Parse one CSV line (RFC 4180 quoting) into unquoted fields, which point
 * into a static copy of the line (valid until the next call). */
static size_t split_fields(const char *line, char **fields, size_t max)
{
    static char copy[4096];
    assert_true(strlen(line) < sizeof(copy));
    strcpy(copy, line);
    size_t n = 0;
    char *out = copy, *p = copy;
    for (;;) {
        assert_true(n < max);
        fields[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                assert_true(*p != '\0');
                if (p[0] == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (p[0] == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        assert_true(*p == ',' || *p == '\0');
        char end = *p;
        *out++ = '\0';
        if (!end)
            return n;
        p++;
    }
}

static void merge(struct hn_stats *st, uint64_t now_ms, const char *method, const char *name,
                  struct hn_hist *h, uint64_t failures, uint64_t bytes,
                  const struct hn_msg_error *errors, size_t n_errors)
{
    struct hn_msg_entry e = {.failures = failures, .bytes_received = bytes};
    strcpy(e.method, method);
    strcpy(e.name, name);
    e.requests = h ? h->total : 0;
    e.hist[HN_TIMING_TOTAL] = h;
    feed_snapshot(st, now_ms, &e, 1, errors, (uint32_t)n_errors);
}

static struct hn_hist *hist_of(const uint64_t *values, size_t n)
{
    struct hn_hist *h = hn_hist_new();
    for (size_t i = 0; i < n; i++)
        hn_hist_record(h, values[i]);
    return h;
}

/* A store with four entries fed in scrambled order, one of them empty and
 * one with a comma and a quote in its name, plus two error rows. */
static struct hn_stats *sample_stats(void)
{
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t b_get[] = {500, 1500, 2000};
    static const uint64_t b_post[] = {800};
    static const uint64_t a_quoted[] = {1000, 1000};
    struct hn_hist *h1 = hist_of(b_post, 1), *h2 = hist_of(b_get, 3), *h3 = hist_of(a_quoted, 2);
    struct hn_msg_error err = {.count = 2};
    strcpy(err.method, "GET");
    strcpy(err.name, "/b");
    strcpy(err.error, "HTTP 500");
    merge(st, T0 + 100, "POST", "/b", h1, 0, 100, NULL, 0);
    merge(st, T0 + 200, "GET", "/b", h2, 1, 3000, &err, 1);
    merge(st, T0 + 300, "GET", "/a,\"x\"", h3, 0, 1, NULL, 0);
    merge(st, T0 + 400, "DELETE", "/a", NULL, 0, 0, NULL, 0);
    strcpy(err.error, "timeout, \"read\"");
    merge(st, T0 + 3600 * 1000 + 500, "GET", "/b", NULL, 0, 0, &err, 1);
    merge(st, T0 + 3 * 3600 * 1000 + 1500, "GET", "/b", NULL, 0, 0, &err, 1);
    hn_hist_free(h1);
    hn_hist_free(h2);
    hn_hist_free(h3);
    return st;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/hn-test-csv-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(prefix, sizeof(prefix), "%s/run", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const sfx[] = {"_stats.csv", "_stats_history.csv", "_failures.csv",
                                      "_exceptions.csv"};
    char path[256];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s%s", prefix, sfx[i]);
        unlink(path);
    }
    return rmdir(dir);
}

/* ---- tests ------------------------------------------------------------- */

static void test_headers(void **state)
{
    (void)state;
    struct hn_csv *c;
    assert_int_equal(hn_csv_open(prefix, &PLAIN, &c), 0);
    char *s = slurp("_stats.csv"), *h = slurp("_stats_history.csv");
    char *f = slurp("_failures.csv"), *e = slurp("_exceptions.csv");
    char want[1024];
    snprintf(want, sizeof(want), "%s\r\n", STATS_HEADER);
    assert_string_equal(s, want);
    snprintf(want, sizeof(want), "%s\r\n", HISTORY_HEADER);
    assert_string_equal(h, want);
    snprintf(want, sizeof(want), "%s\r\n", FAILURES_HEADER);
    assert_string_equal(f, want);
    snprintf(want, sizeof(want), "%s\r\n", EXCEPTIONS_HEADER);
    assert_string_equal(e, want);
    free(s), free(h), free(f), free(e);
    hn_csv_close(c);
}

static void test_open_fails_cleanly(void **state)
{
    (void)state;
    struct hn_csv *c = (struct hn_csv *)0x1;
    assert_int_equal(hn_csv_open("/nonexistent-dir-hn/run", &PLAIN, &c), -ENOENT);
    assert_ptr_equal(c, (struct hn_csv *)0x1);
}

/* Locust's integer median and percentiles (what int(row["95%"]) reads),
 * exact decimals with --csv-exact; min, max and average are decimals in
 * both, as Locust writes floats there. */
static void check_stats_rows(bool exact)
{
    struct hn_stats *st = sample_stats();
    struct hn_csv *c;
    assert_int_equal(hn_csv_open(prefix, exact ? &EXACT : &PLAIN, &c), 0);
    assert_int_equal(hn_csv_write_current(c, st, T0 + 4000), 0);
    char *text = slurp("_stats.csv"), *lines[16], *f[32];
    size_t n = split_lines(text, lines, 16);
    assert_int_equal(n, 6);
    assert_string_equal(lines[0], STATS_HEADER);
    /* by name then method; the quoted name stays a single field */
    assert_string_equal(lines[1], "DELETE,/a,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,"
                                  "N/A,N/A,N/A");
    assert_non_null(strstr(lines[2], "GET,\"/a,\"\"x\"\"\",2,0,"));
    assert_int_equal(split_fields(lines[2], f, 32), 22);
    assert_string_equal(f[1], "/a,\"x\"");
    /* 3 requests over 4 s; 1.5 ms rounds to 2, 0.8 ms to 1 */
    if (exact) {
        assert_string_equal(lines[3], "GET,/b,3,1,1.5,1.333,0.5,2,1000,0.75,0.25,1.5,1.5,2,2,2,2,"
                                      "2,2,2,2,2");
        assert_string_equal(lines[4], "POST,/b,1,0,0.8,0.8,0.8,0.8,100,0.25,0,0.8,0.8,0.8,0.8,0.8,"
                                      "0.8,0.8,0.8,0.8,0.8,0.8");
    } else {
        assert_string_equal(lines[3], "GET,/b,3,1,2,1.333,0.5,2,1000,0.75,0.25,2,2,2,2,2,2,2,2,2,"
                                      "2,2");
        assert_string_equal(lines[4], "POST,/b,1,0,1,0.8,0.8,0.8,100,0.25,0,1,1,1,1,1,1,1,1,1,1,1");
    }
    /* Aggregated last, with an empty Type */
    assert_int_equal(split_fields(lines[5], f, 32), 22);
    assert_string_equal(f[0], "");
    assert_string_equal(f[1], "Aggregated");
    assert_string_equal(f[2], "6");
    assert_string_equal(f[3], "1");
    assert_string_equal(f[5], "1.133"); /* 6800 µs / 6 */
    assert_string_equal(f[6], "0.5");
    assert_string_equal(f[7], "2");
    assert_string_equal(f[8], "516.833"); /* 3101 bytes / 6 */
    assert_string_equal(f[9], "1.5");
    if (exact)
        assert_string_equal(lines[5], ",Aggregated,6,1,1,1.133,0.5,2,516.833,1.5,0.25,1,1,1.5,1.5,"
                                      "2,2,2,2,2,2,2");
    else
        assert_string_equal(lines[5], ",Aggregated,6,1,1,1.133,0.5,2,516.833,1.5,0.25,1,1,2,2,2,2,"
                                      "2,2,2,2,2");
    free(text);
    hn_csv_close(c);
    hn_stats_free(st);
}

static void test_stats_rows(void **state)
{
    (void)state;
    check_stats_rows(false);
}

static void test_stats_rows_exact(void **state)
{
    (void)state;
    check_stats_rows(true);
}

/* Names and errors from workers keep their exact bytes in the CSV files
 * (a report is data, not a terminal): CR/LF inside a field is quoted, an
 * escape byte is written as is. */
static void test_exact_bytes(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t v[] = {1000};
    struct hn_hist *h = hist_of(v, 1);
    struct hn_msg_error err = {.count = 1};
    strcpy(err.method, "GET");
    strcpy(err.name, "/a\r\nb");
    strcpy(err.error, "HTTP 500\x1b[31m");
    merge(st, T0 + 100, "GET", "/a\r\nb", h, 1, 0, &err, 1);
    merge(st, T0 + 100, "GET", "/\x1b]0;t\x07", h, 0, 0, NULL, 0);
    struct hn_csv *c;
    assert_int_equal(hn_csv_open(prefix, &PLAIN, &c), 0);
    assert_int_equal(hn_csv_write_current(c, st, T0 + 1000), 0);
    char *text = slurp("_stats.csv");
    assert_non_null(strstr(text, "\r\nGET,/\x1b]0;t\x07,1,0,"));
    assert_non_null(strstr(text, "\r\nGET,\"/a\r\nb\",1,1,"));
    free(text);
    text = slurp("_failures.csv");
    assert_non_null(strstr(text, "\r\nGET,\"/a\r\nb\",HTTP 500\x1b[31m,1,"));
    free(text);
    hn_csv_close(c);
    hn_hist_free(h);
    hn_stats_free(st);
}

static void test_failures_and_exceptions(void **state)
{
    (void)state;
    struct hn_stats *st = sample_stats();
    struct hn_csv *c;
    assert_int_equal(hn_csv_open(prefix, &PLAIN, &c), 0);
    assert_int_equal(hn_csv_write_current(c, st, T0 + 4000), 0);
    char *text = slurp("_failures.csv"), *lines[8];
    size_t n = split_lines(text, lines, 8);
    assert_int_equal(n, 3);
    assert_string_equal(lines[0], FAILURES_HEADER);
    assert_string_equal(lines[1], "GET,/b,HTTP 500,2,2023-11-14T22:13:20Z,2023-11-14T22:13:20Z");
    assert_string_equal(lines[2], "GET,/b,\"timeout, \"\"read\"\"\",4,2023-11-14T23:13:20Z,"
                                  "2023-11-15T01:13:21Z");
    free(text);
    text = slurp("_exceptions.csv");
    char want[128];
    snprintf(want, sizeof(want), "%s\r\n", EXCEPTIONS_HEADER);
    assert_string_equal(text, want);
    free(text);
    hn_csv_close(c);
    hn_stats_free(st);
}

/* One history row per tick: only Aggregated by default, with cumulative
 * percentiles; every entry then Aggregated with full history, with the
 * window's percentiles (Locust's use_current=full_history). */
static void check_history(bool full)
{
    struct hn_stats *st;
    struct hn_csv *c;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    assert_int_equal(hn_csv_open(prefix, full ? &FULL : &PLAIN, &c), 0);
    static const uint64_t slow[] = {3000000}, fast[] = {1000, 1000, 1000, 1000};
    struct hn_hist *hs = hist_of(slow, 1), *hf = hist_of(fast, 4);
    /* tick 1: one slow request; ticks 2..12: 4 fast requests on "/f" */
    merge(st, T0 + 5, "GET", "/f", NULL, 0, 0, NULL, 0);
    merge(st, T0 + 10, "GET", "/s", hs, 1, 10, NULL, 0);
    hn_stats_tick(st, T0 + 1000);
    assert_int_equal(hn_csv_append_history(c, st, T0, T0 + 1000, 7), 0);
    for (uint64_t s = 1; s <= 11; s++) {
        merge(st, T0 + s * 1000 + 10, "GET", "/f", hf, 0, 40, NULL, 0);
        hn_stats_tick(st, T0 + (s + 1) * 1000);
        assert_int_equal(hn_csv_append_history(c, st, T0, T0 + (s + 1) * 1000, 8), 0);
    }
    char *text = slurp("_stats_history.csv"), *lines[64] = {0}, *f[32];
    size_t n = split_lines(text, lines, 64);
    size_t per_tick = full ? 3 : 1;
    assert_int_equal(n, 1 + 12 * per_tick);
    assert_string_equal(lines[0], HISTORY_HEADER);
    for (size_t i = 1; i < n; i++) {
        size_t tick = (i - 1) / per_tick, pos = (i - 1) % per_tick;
        assert_int_equal(split_fields(lines[i], f, 32), 24);
        char ts[32];
        snprintf(ts, sizeof(ts), "%llu", (unsigned long long)(T0 / 1000 + 1 + tick));
        assert_string_equal(f[0], ts);
        assert_string_equal(f[1], tick ? "8" : "7");
        if (pos == per_tick - 1) {
            assert_string_equal(f[2], "");
            assert_string_equal(f[3], "Aggregated");
        } else {
            assert_string_equal(f[2], "GET");
            assert_string_equal(f[3], pos ? "/s" : "/f"); /* by name */
        }
    }
    /* First tick, Aggregated: window = everything = the slow request. */
    split_fields(lines[per_tick], f, 32);
    assert_string_equal(f[4], "1.000000"); /* req/s, as Locust's f"{:2f}" */
    assert_string_equal(f[5], "1.000000"); /* failures/s */
    assert_string_equal(f[16], "3000"); /* 100 % */
    assert_string_equal(f[17], "1");    /* total requests */
    if (full) {
        /* "/f" has had no request at all yet: N/A */
        split_fields(lines[1], f, 32);
        assert_string_equal(f[3], "/f");
        for (int k = 6; k <= 16; k++)
            assert_string_equal(f[k], "N/A");
        assert_string_equal(f[17], "0");
    }
    /* Last tick, Aggregated: the slow second left the 10 s window, not the
     * cumulative figures (44 fast, 1 slow: 98 % and up are the slow one). */
    split_fields(lines[n - 1], f, 32);
    assert_string_equal(f[4], "4.000000");
    assert_string_equal(f[5], "0.000000");
    for (int k = 6; k <= 16; k++)
        assert_string_equal(f[k], full || k < 12 ? "1" : "3000");
    assert_string_equal(f[17], "45");
    assert_string_equal(f[18], "1");
    assert_string_equal(f[19], "1");      /* total median */
    assert_string_equal(f[20], "67.644"); /* (44 * 1 ms + 3 s) / 45 */
    assert_string_equal(f[21], "1");      /* total min */
    assert_string_equal(f[22], "3000");   /* total max */
    assert_string_equal(f[23], "10");     /* 450 bytes / 45 */
    if (full) {
        /* "/s" has no request in the window: 0 (it had one before), and
         * cumulative totals */
        split_fields(lines[n - 2], f, 32);
        assert_string_equal(f[3], "/s");
        assert_string_equal(f[4], "0.000000");
        for (int k = 6; k <= 16; k++)
            assert_string_equal(f[k], "0");
        assert_string_equal(f[17], "1");
        assert_string_equal(f[19], "3000");
    }
    free(text);
    hn_hist_free(hs);
    hn_hist_free(hf);
    hn_csv_close(c);
    hn_stats_free(st);
}

static void test_history_aggregated_only(void **state)
{
    (void)state;
    check_history(false);
}

static void test_history_full(void **state)
{
    (void)state;
    check_history(true);
}

/* A run that began just before a second ended, with ticks a few ms late:
 * the groups still get consecutive timestamps, none replaces another
 * (the wall clock's second at each tick went 1, 3, 4, 5, 5). */
static void test_history_timestamps_from_start(void **state)
{
    (void)state;
    struct hn_stats *st;
    struct hn_csv *c;
    const uint64_t started = T0 + 999;
    assert_int_equal(hn_stats_new(started, &st), 0);
    assert_int_equal(hn_csv_open(prefix, &PLAIN, &c), 0);
    static const uint64_t late_ms[] = {0, 3, 1, 7, 0};
    for (uint64_t k = 0; k < 5; k++) {
        uint64_t now = started + (k + 1) * 1000 + late_ms[k];
        hn_stats_tick(st, now);
        assert_int_equal(hn_csv_append_history(c, st, started, now, 1), 0);
    }
    char *text = slurp("_stats_history.csv"), *lines[16], *f[32];
    size_t n = split_lines(text, lines, 16);
    assert_int_equal(n, 1 + 5); /* header, five Aggregated rows */
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(split_fields(lines[i], f, 32), 24);
        assert_int_equal(strtoull(f[0], NULL, 10), T0 / 1000 + i);
    }
    free(text);
    hn_csv_close(c);
    hn_stats_free(st);
}

/* Timestamps increase strictly: a group in the same second as the previous
 * one (the end of the run comes less than a second after the last tick)
 * replaces it, and Δcount/Δtime never divides by zero. */
static void test_history_timestamps_increase(void **state)
{
    (void)state;
    struct hn_stats *st;
    struct hn_csv *c;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    assert_int_equal(hn_csv_open(prefix, &FULL, &c), 0);
    static const uint64_t v[] = {1000};
    struct hn_hist *h = hist_of(v, 1);
    uint64_t at[] = {1000, 2000, 2600, 2990, 3000, 2500 /* clock stepped back */, 4100};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        merge(st, T0 + at[i], "GET", "/x", h, 0, 0, NULL, 0);
        hn_stats_tick(st, T0 + at[i]);
        assert_int_equal(hn_csv_append_history(c, st, T0, T0 + at[i], 1), 0);
    }
    char *text = slurp("_stats_history.csv"), *lines[32], *f[32];
    size_t n = split_lines(text, lines, 32);
    /* seconds 1, 2, 3, 4: two rows each (/x, Aggregated) */
    assert_int_equal(n, 1 + 4 * 2);
    uint64_t prev = 0;
    for (size_t i = 2; i < n; i += 2) {
        assert_int_equal(split_fields(lines[i], f, 32), 24);
        uint64_t ts = strtoull(f[0], NULL, 10);
        assert_true(ts > prev);
        prev = ts;
    }
    /* second 2 of the run is the write at 2000 ms: 2 requests (2600 ms
     * rounds to second 3) */
    split_fields(lines[4], f, 32);
    assert_string_equal(f[17], "2");
    split_fields(lines[6], f, 32); /* second 3 ends with the stepped-back write: 6 */
    assert_string_equal(f[17], "6");
    free(text);
    hn_hist_free(h);
    hn_csv_close(c);
    hn_stats_free(st);
}

/* With many random values, percentiles never decrease and stay within
 * [min, max]. */
static void test_percentiles_monotonic(void **state)
{
    (void)state;
    struct hn_stats *st;
    struct hn_csv *c;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_hist *h = hn_hist_new();
    uint64_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * UINT64_C(6364136223846793005) + 1442695040888963407u;
        hn_hist_record(h, 1 + (x >> 33) % 5000000);
    }
    merge(st, T0 + 1, "GET", "/r", h, 0, 0, NULL, 0);
    assert_int_equal(hn_csv_open(prefix, &EXACT, &c), 0);
    assert_int_equal(hn_csv_write_current(c, st, T0 + 1000), 0);
    char *text = slurp("_stats.csv"), *lines[8], *f[32];
    assert_int_equal(split_lines(text, lines, 8), 3);
    for (int row = 1; row <= 2; row++) {
        assert_int_equal(split_fields(lines[row], f, 32), 22);
        double min = atof(f[6]), max = atof(f[7]), prev = min;
        assert_true(fabs(min * 1000 - (double)hn_hist_min(h)) < 1e-6);
        for (int k = 11; k < 22; k++) {
            double v = atof(f[k]);
            assert_true(v >= prev);
            assert_true(v >= min && v <= max);
            prev = v;
        }
        assert_true(prev == max); /* 100 % is the max */
    }
    free(text);
    hn_hist_free(h);
    hn_csv_close(c);
    hn_stats_free(st);
}

/* Rewrites replace the file by rename: a reader holding the old file keeps a
 * complete old version, and no temporary file is left behind. */
static void test_atomic_rewrite(void **state)
{
    (void)state;
    struct hn_stats *st = sample_stats();
    struct hn_csv *c;
    assert_int_equal(hn_csv_open(prefix, &PLAIN, &c), 0);
    char path[256], tmp[300];
    snprintf(path, sizeof(path), "%s_stats.csv", prefix);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *old = fopen(path, "rb");
    assert_non_null(old);
    struct stat before, after;
    assert_int_equal(fstat(fileno(old), &before), 0);
    assert_int_equal(hn_csv_write_current(c, st, T0 + 4000), 0);
    assert_int_equal(stat(path, &after), 0);
    assert_true(before.st_ino != after.st_ino); /* a new file, renamed in */
    char buf[512];
    size_t n = fread(buf, 1, sizeof(buf) - 1, old);
    buf[n] = '\0';
    char want[512];
    snprintf(want, sizeof(want), "%s\r\n", STATS_HEADER);
    assert_string_equal(buf, want); /* the old version, whole */
    fclose(old);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_true(after.st_size > before.st_size);
    hn_csv_close(c);
    hn_stats_free(st);
}

static void test_formatters(void **state)
{
    (void)state;
    char b[HN_REPORT_NUM_MAX];
    hn_report_fmt_ms(b, 12345);
    assert_string_equal(b, "12.345");
    hn_report_fmt_ms(b, 12000);
    assert_string_equal(b, "12");
    hn_report_fmt_ms(b, 12300);
    assert_string_equal(b, "12.3");
    hn_report_fmt_ms(b, 7);
    assert_string_equal(b, "0.007");
    hn_report_fmt_ms(b, 0);
    assert_string_equal(b, "0");
    hn_report_fmt_ms(b, UINT64_MAX);
    assert_string_equal(b, "18446744073709551.615");
    hn_report_fmt_ms_int(b, 12499);
    assert_string_equal(b, "12");
    hn_report_fmt_ms_int(b, 12500);
    assert_string_equal(b, "13");
    hn_report_fmt_ms_int(b, 499);
    assert_string_equal(b, "0");
    hn_report_fmt_ms_short(b, 312);
    assert_string_equal(b, "0.312");
    hn_report_fmt_ms_short(b, 4500);
    assert_string_equal(b, "4.5");
    hn_report_fmt_ms_short(b, 43114);
    assert_string_equal(b, "43.1");
    hn_report_fmt_ms_short(b, 99999);
    assert_string_equal(b, "100");
    hn_report_fmt_ms_short(b, 363295);
    assert_string_equal(b, "363");
    hn_report_fmt_ms_short(b, 999999499);
    assert_string_equal(b, "999999");
    hn_report_fmt_decimal(b, 2.5, 6);
    assert_string_equal(b, "2.5");
    hn_report_fmt_decimal(b, 1.0 / 3.0, 3);
    assert_string_equal(b, "0.333");
    hn_report_fmt_decimal(b, 100, 3);
    assert_string_equal(b, "100");
    hn_report_fmt_decimal(b, 0.0001, 3);
    assert_string_equal(b, "0");
    hn_report_fmt_utc(b, sizeof(b), T0 + 999);
    assert_string_equal(b, "2023-11-14T22:13:20Z");
    hn_report_fmt_utc_ms(b, sizeof(b), T0 + 7);
    assert_string_equal(b, "2023-11-14T22:13:20.007Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_rows_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_and_exceptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_aggregated_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_timestamps_increase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_timestamps_from_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_percentiles_monotonic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_rewrite, setup, teardown),
        cmocka_unit_test(test_formatters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
