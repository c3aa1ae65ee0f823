/* Unit tests for common/log: line format, level filtering, truncation,
 * newline replacement, level parsing, and whole lines under concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "error.h"
#include "log.h"

#define STAMP_LEN 24 /* "2026-11-21T18:30:01.123Z" */

/* Wall clock when the running test began, less 1 s: a line's stamp lies
 * between this and now (+1 s), however slowly the test ran. */
static int64_t test_start_ms;

struct capture {
    int rd, wr;
    char buf[8192];
    size_t len;
};

static int setup(void **state)
{
    static struct capture cap;
    int fds[2];

    test_start_ms = (int64_t)hn_clock_wall_ms() - 1000;
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    cap.rd = fds[0];
    cap.wr = fds[1];
    hn_log_set_fd(cap.wr);
    hn_log_set_prefix("hornet-test");
    hn_log_set_level(HN_LOG_INFO);
    *state = &cap;
    return 0;
}

static int teardown(void **state)
{
    struct capture *cap = *state;

    hn_log_set_fd(STDERR_FILENO);
    close(cap->rd);
    close(cap->wr);
    return 0;
}

/* Read everything logged so far into cap->buf (NUL-terminated). */
static const char *drain(struct capture *cap)
{
    ssize_t n;

    cap->len = 0;
    while ((n = read(cap->rd, cap->buf + cap->len, sizeof cap->buf - 1 - cap->len)) > 0)
        cap->len += (size_t)n;
    assert_true(n < 0 && errno == EAGAIN);
    cap->buf[cap->len] = '\0';
    return cap->buf;
}

/* Check the timestamp at the start of @line and that it was taken during
 * the test (not a duration: a loaded machine may run the test slowly). */
static void check_stamp(const char *line)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < STAMP_LEN; i++) {
        if (shape[i] == 'd')
            assert_true(line[i] >= '0' && line[i] <= '9');
        else
            assert_int_equal(line[i], shape[i]);
    }
    struct tm tm = {0};
    assert_non_null(strptime(line, "%Y-%m-%dT%H:%M:%S", &tm));
    int64_t stamp_ms = (int64_t)timegm(&tm) * 1000 + atoi(line + 20);
    int64_t now_ms = (int64_t)hn_clock_wall_ms();
    assert_true(stamp_ms >= test_start_ms);
    assert_true(stamp_ms <= now_ms + 1000);
}

static void test_format(void **state)
{
    struct capture *cap = *state;

    hn_log_warn("hello %d %s", 42, "world");
    const char *out = drain(cap);
    assert_int_equal(cap->len, STAMP_LEN + strlen(" hornet-test warn: hello 42 world\n"));
    check_stamp(out);
    assert_string_equal(out + STAMP_LEN, " hornet-test warn: hello 42 world\n");

    hn_log_error("e");
    assert_string_equal(drain(cap) + STAMP_LEN, " hornet-test error: e\n");

    hn_log_set_prefix(NULL);
    hn_log_info("no prefix");
    assert_string_equal(drain(cap) + STAMP_LEN, " info: no prefix\n");
    hn_log_set_prefix("hornet-test");
}

static void test_level_filter(void **state)
{
    struct capture *cap = *state;

    hn_log_set_level(HN_LOG_WARN);
    assert_int_equal(hn_log_get_level(), HN_LOG_WARN);
    assert_true(hn_log_enabled(HN_LOG_ERROR));
    assert_false(hn_log_enabled(HN_LOG_INFO));
    hn_log_debug("d");
    hn_log_info("i");
    assert_int_equal(strlen(drain(cap)), 0);
    hn_log_warn("w");
    hn_log_error("e");
    drain(cap);
    assert_non_null(strstr(cap->buf, " warn: w\n"));
    assert_non_null(strstr(cap->buf, " error: e\n"));
    assert_null(strstr(cap->buf, ": i\n"));

    hn_log_set_level(HN_LOG_ERROR);
    hn_log_warn("w");
    assert_int_equal(strlen(drain(cap)), 0);

    hn_log_set_level(HN_LOG_DEBUG);
    hn_log_debug("d%d", 1);
    hn_log(HN_LOG_INFO, "i%d", 2);
    drain(cap);
    assert_non_null(strstr(cap->buf, " debug: d1\n"));
    assert_non_null(strstr(cap->buf, " info: i2\n"));
    hn_log_set_level(HN_LOG_INFO);
}

static void test_truncation(void **state)
{
    struct capture *cap = *state;
    static char msg[5000];
    const size_t head = STAMP_LEN + strlen(" hornet-test info: ");
    const size_t room = HN_LOG_LINE_MAX - head - 1;

    /* Exactly fitting: written whole. */
    memset(msg, 'a', room);
    msg[room] = '\0';
    hn_log_info("%s", msg);
    drain(cap);
    assert_int_equal(cap->len, HN_LOG_LINE_MAX);
    assert_memory_equal(cap->buf + head, msg, room);
    assert_int_equal(cap->buf[HN_LOG_LINE_MAX - 1], '\n');

    /* One byte more: cut to the same length, ending in "...". */
    memset(msg, 'b', room + 1);
    msg[room + 1] = '\0';
    hn_log_info("%s", msg);
    drain(cap);
    assert_int_equal(cap->len, HN_LOG_LINE_MAX);
    assert_memory_equal(cap->buf + head, msg, room - 3);
    assert_string_equal(cap->buf + HN_LOG_LINE_MAX - 4, "...\n");

    /* Much longer, with a two-byte UTF-8 character across the cut: the
     * character is dropped whole, never split. */
    memset(msg, 'c', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    memcpy(msg + room - 4, "\xc3\xa9", 2); /* é in bytes room-4 and room-3 */
    hn_log_info("%s", msg);
    drain(cap);
    assert_int_equal(cap->len, HN_LOG_LINE_MAX - 1);
    assert_string_equal(cap->buf + head + room - 4, "...\n");
    assert_int_equal(cap->buf[head + room - 5], 'c');
}

static void test_newlines(void **state)
{
    struct capture *cap = *state;

    hn_log_info("a\nb\r\nc\n");
    drain(cap);
    assert_string_equal(cap->buf + STAMP_LEN, " hornet-test info: a\\x0ab\\x0d\\x0ac\\x0a\n");
    /* Exactly one line. */
    assert_ptr_equal(strchr(cap->buf, '\n'), cap->buf + cap->len - 1);
    /* Escape sequences from the network never reach the terminal raw. */
    hn_log_info("worker %s joined", "\x1b]0;pwned\x07\x1b[2J");
    assert_string_equal(drain(cap) + STAMP_LEN,
                        " hornet-test info: worker \\x1b]0;pwned\\x07\\x1b[2J joined\n");
}

static void test_errno_preserved(void **state)
{
    struct capture *cap = *state;

    hn_log_set_fd(-1); /* write fails with EBADF */
    errno = EAGAIN;
    hn_log_error("lost");
    assert_int_equal(errno, EAGAIN);
    hn_log_set_fd(cap->wr);
    errno = ENOENT;
    hn_log_info("kept");
    assert_int_equal(errno, ENOENT);
    assert_string_equal(drain(cap) + STAMP_LEN, " hornet-test info: kept\n");
}

static void test_level_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum hn_log_level want;
    } good[] = {
        {"error", HN_LOG_ERROR}, {"ERROR", HN_LOG_ERROR},  {"warn", HN_LOG_WARN},
        {"Warn", HN_LOG_WARN},   {"warning", HN_LOG_WARN}, {"WARNING", HN_LOG_WARN},
        {"info", HN_LOG_INFO},   {"INFO", HN_LOG_INFO},    {"debug", HN_LOG_DEBUG},
        {"DeBuG", HN_LOG_DEBUG},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        enum hn_log_level out = (enum hn_log_level)99;
        assert_int_equal(hn_log_level_parse(good[i].in, &out), 0);
        assert_int_equal(out, good[i].want);
    }
    static const char *const bad[] = {"",       "err",   "warn ", " info", "trace",
                                      "debug2", "fatal", "3",     "in fo"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum hn_log_level out = (enum hn_log_level)99;
        assert_int_equal(hn_log_level_parse(bad[i], &out), HN_E_INVALID);
        assert_int_equal(out, 99);
    }
    enum hn_log_level out = HN_LOG_INFO;
    assert_int_equal(hn_log_level_parse(NULL, &out), HN_E_INVALID);

    assert_string_equal(hn_log_level_name(HN_LOG_WARN), "warn");
    assert_string_equal(hn_log_level_name(HN_LOG_DEBUG), "debug");
    assert_string_equal(hn_log_level_name((enum hn_log_level)7), "?");
}

/* Concurrency: several threads log long lines into one blocking pipe; every
 * line read back must be whole (one write per line, below PIPE_BUF). */
#define THREADS 4
#define LINES 500

static void *log_lines(void *arg)
{
    int id = (int)(intptr_t)arg;
    char body[900];

    memset(body, 'A' + id, sizeof body - 1);
    body[sizeof body - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        hn_log_info("t%d n%03d %s", id, i, body);
    return NULL;
}

static void test_threads_whole_lines(void **state)
{
    (void)state;
    int fds[2];
    pthread_t th[THREADS];
    int seen[THREADS] = {0};
    const size_t line_len = STAMP_LEN + strlen(" hornet-test info: t0 n000 ") + 899 + 1;
    size_t total = line_len * THREADS * LINES, got = 0;
    char *all = malloc(total + 1);

    assert_non_null(all);
    assert_int_equal(pipe(fds), 0);
    hn_log_set_fd(fds[1]);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, log_lines, (void *)(intptr_t)t), 0);
    while (got < total) {
        ssize_t n = read(fds[0], all + got, total - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    hn_log_set_fd(STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);

    all[total] = '\0';
    for (size_t off = 0; off < total; off += line_len) {
        char *line = all + off;
        assert_int_equal(line[line_len - 1], '\n');
        check_stamp(line);
        char *msg = line + STAMP_LEN + strlen(" hornet-test info: ");
        int id = msg[1] - '0';
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(atoi(msg + 4), seen[id]++); /* in order per thread */
        for (size_t i = 0; i < 899; i++)
            assert_int_equal(msg[8 + i], 'A' + id);
    }
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(seen[t], LINES);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errno_preserved, setup, teardown),
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test_setup_teardown(test_threads_whole_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
