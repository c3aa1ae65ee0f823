/* Unit tests for the console tables (master/console.c): for a known store,
 * the live table, the final table, the percentile table and the error report
 * hold the expected columns and numbers (key lines, not whole screens). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "console.h"
#include "hist.h"
#include "msg.h"
#include "stats-feed.h"
#include "stats.h"

#define T0 UINT64_C(1700000000000)

static void merge(struct hn_stats *st, uint64_t now_ms, const char *method, const char *name,
                  const uint64_t *values, size_t n, uint64_t failures,
                  const struct hn_msg_error *errors, size_t n_errors)
{
    struct hn_hist *h = hn_hist_new();
    for (size_t i = 0; i < n; i++)
        hn_hist_record(h, values[i]);
    struct hn_msg_entry e = {.requests = n, .failures = failures};
    strcpy(e.method, method);
    strcpy(e.name, name);
    e.hist[HN_TIMING_TOTAL] = h;
    feed_snapshot(st, now_ms, &e, 1, errors, (uint32_t)n_errors);
    hn_hist_free(h);
}

static struct hn_msg_error error_row(const char *error, uint64_t count)
{
    struct hn_msg_error e = {.count = count};
    strcpy(e.method, "GET");
    strcpy(e.name, "/b");
    strcpy(e.error, error);
    return e;
}

/* GET /b: 0.5, 1.5, 2 ms (1 failure) in second 0; POST /b: 0.8 ms in
 * second 1; DELETE /a: no request; two error kinds. Ticks at 1 s and 2 s,
 * last at 4 s. */
static struct hn_stats *sample(void)
{
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t get_b[] = {500, 1500, 2000}, post_b[] = {800};
    struct hn_msg_error errs[] = {error_row("HTTP 500", 1), error_row("timeout", 4)};
    merge(st, T0 + 100, "GET", "/b", get_b, 3, 1, errs, 2);
    merge(st, T0 + 200, "DELETE", "/a", NULL, 0, 0, NULL, 0);
    hn_stats_tick(st, T0 + 1000);
    merge(st, T0 + 1100, "POST", "/b", post_b, 1, 0, NULL, 0);
    hn_stats_tick(st, T0 + 2000);
    hn_stats_tick(st, T0 + 4000); /* a late last tick: 4 s run */
    return st;
}

/* Run @fn into a memory stream and return what it printed. */
/* noinline: gcc 12 inlines open_memstream's &text and then reports a
 * dangling pointer (-Wdangling-pointer false positive). */
__attribute__((noinline)) static char *capture_live(const struct hn_stats *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    hn_console_live(f, st, 5, 2, 3, 250, 3000, 30000);
    fclose(f);
    return text;
}

__attribute__((noinline)) static char *capture_summary(const struct hn_stats *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    hn_console_summary(f, st);
    fclose(f);
    return text;
}

/* The @nth (0-based) line starting with @prefix, split on blanks into
 * @tok; returns the number of tokens (0 if there is no such line). */
static size_t find_line(const char *text, const char *prefix, int nth, char tok[][64], size_t max)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0 && nth-- == 0) {
            char line[1024];
            assert_true(len < sizeof(line));
            memcpy(line, p, len);
            line[len] = '\0';
            size_t n = 0;
            for (char *s = strtok(line, " "); s && n < max; s = strtok(NULL, " "))
                snprintf(tok[n++], 64, "%s", s);
            return n;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static void assert_tokens(char tok[][64], size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_string_equal(tok[i], want[i]);
}

static void test_summary_table(void **state)
{
    (void)state;
    struct hn_stats *st = sample();
    char *text = capture_summary(st), tok[32][64];
    size_t n = find_line(text, "Type ", 0, tok, 32);
    static const char *const head[] = {"Type", "Name", "#",   "reqs", "#", "fails", "|",
                                       "Avg",  "Min",  "Max", "Med",  "|", "req/s", "failures/s"};
    assert_tokens(tok, n, head, 14);
    /* rows by name then method, whole-run rates over 4 s */
    n = find_line(text, "DELETE   /a ", 0, tok, 32);
    static const char *const del[] = {"DELETE", "/a", "0", "0(0.00%)", "|",    "0",
                                      "0",      "0",  "0", "|",        "0.00", "0.00"};
    assert_tokens(tok, n, del, 12);
    n = find_line(text, "GET      /b ", 0, tok, 32);
    static const char *const get[] = {"GET", "/b", "3",   "1(33.33%)", "|",    "1.33",
                                      "0.5", "2",  "1.5", "|",         "0.75", "0.25"};
    assert_tokens(tok, n, get, 12);
    n = find_line(text, "POST     /b ", 0, tok, 32);
    static const char *const post[] = {"POST", "/b",  "1",   "0(0.00%)", "|",    "0.8",
                                       "0.8",  "0.8", "0.8", "|",        "0.25", "0.00"};
    assert_tokens(tok, n, post, 12);
    /* Aggregated: empty Type column (8 + 1 blanks), then the name */
    n = find_line(text, "         Aggregated ", 0, tok, 32);
    static const char *const agg[] = {"Aggregated", "4",   "1(25.00%)", "|",    "1.2", "0.5",
                                      "2",          "0.8", "|",         "1.00", "0.25"};
    assert_tokens(tok, n, agg, 11);
    /* the separator lines line up with the header */
    n = find_line(text, "--------|", 0, tok, 32);
    assert_int_equal(n, 1);
    assert_non_null(strstr(text, "Type "));
    assert_non_null(strstr(text, "--------|"));
    size_t header_len = strcspn(strstr(text, "Type "), "\n");
    size_t sep_len = strcspn(strstr(text, "--------|"), "\n");
    assert_int_equal(header_len, sep_len);
    /* Locust's format strings, byte for byte (name column 80 - 8 + 4 wide
     * when not on a terminal) */
    char want[512];
    snprintf(want, sizeof(want), "%-8s %-76s %7s %12s |%7s %7s %7s%7s | %7s %11s\n", "Type", "Name",
             "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof(want), "%-8s %-76s %7d %12s |%7s %7s %7s%7s | %7.2f %11.2f\n", "GET ",
             "/b", 3, "1(33.33%)", "1.33", "0.5", "2", "1.5", 0.75, 0.25);
    assert_non_null(strstr(text, want));
    free(text);
    hn_stats_free(st);
}

static void test_summary_percentiles(void **state)
{
    (void)state;
    struct hn_stats *st = sample();
    char *text = capture_summary(st), tok[32][64];
    assert_non_null(strstr(text, "Response time percentiles (approximated)\n"));
    /* Locust's layout: 50 % 8 wide, the other percentiles and # reqs 6 wide */
    char want[512];
    snprintf(want, sizeof(want), "%-8s %-80s %8s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s\n", "Type",
             "Name", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%",
             "100%");
    want[strlen(want) - 1] = '\0'; /* "# reqs" follows */
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof(want), "%-8s %-80s %8s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6s %6d\n",
             "GET", "/b", "1.5", "1.5", "2", "2", "2", "2", "2", "2", "2", "2", "2", 3);
    assert_non_null(strstr(text, want));
    /* the percentile header is the second "Type " line */
    size_t n = find_line(text, "Type ", 1, tok, 32);
    static const char *const head[] = {"Type",  "Name",   "50%",  "66%", "75%",
                                       "80%",   "90%",    "95%",  "98%", "99%",
                                       "99.9%", "99.99%", "100%", "#",   "reqs"};
    assert_tokens(tok, n, head, 15);
    n = find_line(text, "GET      /b ", 1, tok, 32);
    static const char *const get[] = {"GET", "/b", "1.5", "1.5", "2", "2", "2",
                                      "2",   "2",  "2",   "2",   "2", "2", "3"};
    assert_tokens(tok, n, get, 14);
    /* no percentile row for an entry without requests */
    assert_int_equal(find_line(text, "DELETE   /a ", 1, tok, 32), 0);
    n = find_line(text, "         Aggregated ", 1, tok, 32);
    static const char *const agg[] = {"Aggregated", "0.8", "1.5", "1.5", "2", "2", "2",
                                      "2",          "2",   "2",   "2",   "2", "4"};
    assert_tokens(tok, n, agg, 13);
    free(text);
    hn_stats_free(st);
}

static void test_summary_errors(void **state)
{
    (void)state;
    struct hn_stats *st = sample();
    char *text = capture_summary(st), tok[32][64];
    assert_non_null(strstr(text, "Error report\n# occurrences      Error\n"));
    /* most frequent first */
    size_t n = find_line(text, "4 ", 0, tok, 32);
    static const char *const first[] = {"4", "GET", "/b:", "timeout"};
    assert_tokens(tok, n, first, 4);
    const char *a = strstr(text, "4                  GET /b: timeout\n");
    const char *b = strstr(text, "1                  GET /b: HTTP 500\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    free(text);

    /* no errors: no error report */
    struct hn_stats *quiet;
    assert_int_equal(hn_stats_new(T0, &quiet), 0);
    text = capture_summary(quiet);
    assert_null(strstr(text, "Error report"));
    assert_non_null(strstr(text, "Aggregated"));
    free(text);
    hn_stats_free(quiet);
    hn_stats_free(st);
}

/* The live table shows current rates: the last <= 10 closed seconds. */
static void test_live(void **state)
{
    (void)state;
    struct hn_stats *st = sample();
    char *text = capture_live(st), tok[32][64];
    assert_non_null(strstr(text, "Users: 5, workers: 2, master lag: 3 ms (max 250 ms), run time 0:03 of 0:30 (10 %)\n"));
    assert_null(strstr(text, "Response time percentiles"));
    /* 3 closed seconds: GET /b 3 requests -> 1/s, POST /b 1 -> 0.33/s */
    size_t n = find_line(text, "GET      /b ", 0, tok, 32);
    assert_true(n == 12);
    assert_string_equal(tok[10], "1.00");
    assert_string_equal(tok[11], "0.33");
    n = find_line(text, "POST     /b ", 0, tok, 32);
    assert_string_equal(tok[10], "0.33");
    n = find_line(text, "         Aggregated ", 0, tok, 32);
    assert_string_equal(tok[9], "1.33");
    assert_string_equal(tok[10], "0.33");
    free(text);
    hn_stats_free(st);
}

/* Names and errors arrive from workers: escape sequences and CR/LF are
 * shown escaped, never written raw, and every table row stays one line. */
static void test_hostile_names(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t v[] = {1000};
    struct hn_msg_error err = {.count = 1};
    strcpy(err.method, "GET");
    strcpy(err.name, "/\x1b[2J");
    strcpy(err.error, "HTTP 500\r\n\x1b]0;pwned\x07");
    merge(st, T0 + 100, "GET", "/\x1b[2J", v, 1, 1, &err, 1);
    merge(st, T0 + 100, "GET", "/a\r\nAggregated", v, 1, 0, NULL, 0);
    hn_stats_tick(st, T0 + 1000);
    char *text = capture_summary(st);
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\r'));
    assert_null(strchr(text, '\x07'));
    assert_non_null(strstr(text, "/\\x1b[2J"));
    assert_non_null(strstr(text, "/a\\x0d\\x0aAggregated"));
    assert_non_null(strstr(text, "HTTP 500\\x0d\\x0a\\x1b]0;pwned\\x07"));
    /* The fake "Aggregated" name did not start a line of its own. */
    for (char *p = strstr(text, "\nAggregated"); p; p = strstr(p + 1, "\nAggregated"))
        fail_msg("a name broke a table row: %.40s", p);
    free(text);
    hn_stats_free(st);
}

/* Exception messages arrive from workers too (a SNAPSHOT's exception
 * rows): shown escaped like error texts. */
static void test_hostile_exceptions(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    struct hn_msg_exception x = {.count = 2};
    strcpy(x.message, "data gone\r\n\x1b]52;c;cHduZWQ=\x07\x1b[2J");
    struct hn_msg m = {.type = HN_MSG_SNAPSHOT};
    m.snapshot.seq = 1;
    m.snapshot.n_exceptions = 1;
    m.snapshot.exceptions = &x;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    assert_int_equal(hn_msg_encode(&m, &buf), 0);
    struct hn_msg d;
    assert_int_equal(hn_msg_decode(buf.data, buf.size, &d), 0);
    assert_int_equal(hn_stats_add(st, &d.snapshot, T0 + 100), 0);
    hn_msg_deinit(&d);
    msgpack_sbuffer_destroy(&buf);
    hn_stats_tick(st, T0 + 1000);
    char *text = capture_summary(st);
    assert_non_null(strstr(text, "Exceptions (not requests)"));
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\r'));
    assert_null(strchr(text, '\x07'));
    assert_non_null(strstr(text, "data gone\\x0d\\x0a\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J"));
    free(text);
    hn_stats_free(st);
}

/* The character column where the @nth line starting with @prefix has
 * @needle (UTF-8 continuation bytes not counted), or -1. */
static int column_of(const char *text, const char *prefix, int nth, const char *needle)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix)) || nth-- > 0)
            continue;
        const char *end = strchr(p, '\n'), *at = strstr(p, needle);
        if (!at || (end && at > end))
            return -1;
        int col = 0;
        for (const char *q = p; q < at; q++)
            col += ((unsigned char)*q & 0xc0) != 0x80;
        return col;
    }
    return -1;
}

/* A name in UTF-8 pads by characters, as Locust's Python does: the counts
 * after it stand in the column of an ASCII name's (they came 6 columns
 * early after "café ☕ 日本"). */
static void test_utf8_names_align(void **state)
{
    (void)state;
    struct hn_stats *st;
    assert_int_equal(hn_stats_new(T0, &st), 0);
    static const uint64_t v[] = {1000, 1000, 1000, 1000, 1000, 1000, 1000};
    merge(st, T0 + 100, "GET", "/caf\xc3\xa9-\xe2\x98\x95-\xe6\x97\xa5", v, 7, 0, NULL, 0);
    merge(st, T0 + 100, "PUT", "/plain", v, 3, 0, NULL, 0);
    hn_stats_tick(st, T0 + 1000);
    char *text = capture_summary(st);
    int utf8_col = column_of(text, "GET ", 0, " 7 "), ascii_col = column_of(text, "PUT ", 0, " 3 ");
    assert_true(utf8_col > 0);
    assert_int_equal(utf8_col, ascii_col); /* the request counts' column */
    free(text);
    hn_stats_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_table),    cmocka_unit_test(test_summary_percentiles),
        cmocka_unit_test(test_summary_errors),   cmocka_unit_test(test_live),
        cmocka_unit_test(test_hostile_names),    cmocka_unit_test(test_hostile_exceptions),
        cmocka_unit_test(test_utf8_names_align),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
