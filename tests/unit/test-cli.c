/* Unit tests of master/cli: defaults, each flag, and bad input giving exit
 * code 2 with a reason (never a crash). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"
#include "model.h"

static bool parse(struct hn_master_config *cfg, int argc, const char **argv, int *code)
{
    optind = 0; /* reset getopt between parses */
    return hn_cli_parse(argc, (char **)argv, cfg, code);
}

/* The command line is good: the run would start. */
static bool runs(struct hn_master_config *cfg, int argc, const char **argv)
{
    int code;
    return parse(cfg, argc, argv, &code);
}

/* The exit code of a command line that does not start a run. */
static int exit_code(struct hn_master_config *cfg, int argc, const char **argv)
{
    int code;
    assert_false(parse(cfg, argc, argv, &code));
    return code;
}

static void test_defaults_and_quick_mode(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *argv[] = {"hornet-master", "-H", "http://127.0.0.1:8080", "/", "/json"};
    assert_true(runs(&cfg, 5, argv));
    assert_string_equal(cfg.host, "http://127.0.0.1:8080");
    assert_int_equal(cfg.users, 1);
    assert_true(cfg.spawn_rate == 1.0);
    assert_int_equal(cfg.run_time_ms, 0);
    assert_int_equal(cfg.stop_timeout_ms, 10000);
    assert_string_equal(cfg.bind, "tcp://127.0.0.1:5557"); /* loopback by default */
    assert_int_equal(cfg.expect_workers, 1);
    assert_int_equal(cfg.exit_code_on_error, 1);
    assert_int_equal(cfg.n_paths, 2);
    assert_string_equal(cfg.paths[1], "/json");
    assert_false(cfg.no_cookies);
    assert_false(cfg.engine_given);
}

static void test_every_flag(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *argv[] = {"hornet-master",
                          "--host",
                          "https://x.test",
                          "-u",
                          "50",
                          "-r",
                          "2.5",
                          "-t",
                          "1h20m",
                          "-s",
                          "3s",
                          "--request-timeout",
                          "500ms",
                          "--bind",
                          "tcp://127.0.0.1:6000",
                          "--local-workers",
                          "3",
                          "--worker-threads",
                          "2",
                          "--worker-bin",
                          "/bin/sh",
                          "--expect-workers-max-wait",
                          "0",
                          "--csv",
                          "out/r",
                          "--csv-full-history",
                          "--only-summary",
                          "--exit-code-on-error",
                          "7",
                          "--log-level",
                          "debug",
                          "--no-cookies",
                          "--engine",
                          "curl",
                          "http://other.test/a"};
    int argc = (int)(sizeof(argv) / sizeof(argv[0]));
    assert_true(runs(&cfg, argc, argv));
    assert_int_equal(cfg.users, 50);
    assert_true(cfg.spawn_rate == 2.5);
    assert_int_equal(cfg.run_time_ms, 4800000);
    assert_int_equal(cfg.stop_timeout_ms, 3000);
    assert_int_equal(cfg.request_timeout_ms, 500);
    assert_int_equal(cfg.local_workers, 3);
    assert_int_equal(cfg.expect_workers, 3); /* follows --local-workers */
    assert_int_equal(cfg.worker_threads, 2);
    assert_string_equal(cfg.worker_bin, "/bin/sh");
    assert_int_equal(cfg.expect_wait_ms, 0);
    assert_string_equal(cfg.csv_prefix, "out/r");
    assert_true(cfg.csv_full_history);
    assert_true(cfg.only_summary);
    assert_int_equal(cfg.exit_code_on_error, 7);
    assert_int_equal(cfg.log_level, HN_LOG_DEBUG);
    assert_true(cfg.no_cookies);
    assert_true(cfg.engine_given);
    assert_int_equal(cfg.engine, HN_ENGINE_CURL);
}

static void test_security_flags(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *argv[] = {"hornet-master",
                          "-H",
                          "http://127.0.0.1:1",
                          "--max-workers",
                          "10",
                          "--insecure",
                          "--max-stats-memory",
                          "64MiB",
                          "--curve-secret",
                          "/etc/hostname",
                          "--allow-workers",
                          "/etc/hostname",
                          "/"};
    assert_true(runs(&cfg, 13, argv));
    assert_int_equal(cfg.max_workers, 10);
    assert_true(cfg.insecure);
    assert_int_equal(cfg.max_stats_memory, 64u << 20);
    assert_string_equal(cfg.curve_secret, "/etc/hostname");
    assert_string_equal(cfg.allow_workers, "/etc/hostname");
    /* Defaults: 1024 workers, a bound on statistics memory. */
    const char *plain[] = {"hornet-master", "-H", "http://127.0.0.1:1", "/"};
    assert_true(runs(&cfg, 4, plain));
    assert_int_equal(cfg.max_workers, 1024);
    assert_true(cfg.max_stats_memory >= (256u << 20));
    /* Local workers alone need no allow list. */
    const char *local[] = {"hornet-master",   "-H", "http://127.0.0.1:1",
                           "--local-workers", "2",  "--curve-secret",
                           "/etc/hostname",   "/"};
    assert_true(runs(&cfg, 8, local));
}

static void test_strict_values(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *argv[] = {"hornet-master", "-H",     "http://[::1]:8080", "-r",
                          "0.5",           "--bind", "tcp://*:*",         "/a?b=1&c=%20"};
    assert_true(runs(&cfg, 8, argv));
    assert_true(cfg.spawn_rate == 0.5);
    assert_string_equal(cfg.bind, "tcp://*:*");
}

/* Quick mode makes each PATH a task of one class: past the model's limit
 * a usage error says so (it was "out of memory", exit 3). */
static void test_too_many_paths(void **state)
{
    (void)state;
    enum { N = HN_MODEL_TASKS_MAX + 1 };
    static const char *argv[N + 3];
    argv[0] = "hornet-master";
    argv[1] = "-H";
    argv[2] = "http://127.0.0.1:1";
    for (int i = 0; i < N; i++)
        argv[3 + i] = "/p";
    struct hn_master_config cfg;
    assert_int_equal(exit_code(&cfg, N + 3, argv), HN_EXIT_USAGE);
    assert_true(runs(&cfg, N + 2, argv));
    assert_int_equal(cfg.n_paths, HN_MODEL_TASKS_MAX);
}

/* --host is a base that PATHs are appended to: a query or a fragment in it
 * would end up before the path ("/?q=1/x"). */
static void test_host_is_base(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *q[] = {"hornet-master", "-H", "http://127.0.0.1:1/?q=1", "/x"};
    assert_int_equal(exit_code(&cfg, 4, q), HN_EXIT_USAGE);
    const char *f[] = {"hornet-master", "-H", "http://127.0.0.1:1#top", "/x"};
    assert_int_equal(exit_code(&cfg, 4, f), HN_EXIT_USAGE);
    const char *ok[] = {"hornet-master", "-H", "http://127.0.0.1:1/base", "/x"};
    assert_true(runs(&cfg, 4, ok));
}

static void test_report_flags(void **state)
{
    (void)state;
    struct hn_master_config cfg;
    const char *argv[] = {"hornet-master", "-H", "http://127.0.0.1:1", "--csv", "r", "--csv-exact",
                          "--json", "-", "--html", "r.html", "--hdr-log", "r.hlog",
                          "--metrics-bind", ":0", "--junit", "r.xml", "--summary-md", "r.md", "/"};
    assert_true(runs(&cfg, (int)(sizeof(argv) / sizeof(argv[0])), argv));
    assert_true(cfg.csv_exact);
    assert_false(cfg.csv_full_history);
    assert_string_equal(cfg.json_path, "-");
    assert_string_equal(cfg.html_path, "r.html");
    assert_string_equal(cfg.hdr_log_path, "r.hlog");
    assert_string_equal(cfg.metrics_bind, ":0");
    assert_string_equal(cfg.junit_path, "r.xml");
    assert_string_equal(cfg.summary_md_path, "r.md");
    const char *v6[] = {"hornet-master", "-H", "http://127.0.0.1:1", "--metrics-bind",
                        "[::1]:9646", "/"};
    assert_true(runs(&cfg, 6, v6));
}

static void test_bad_input(void **state)
{
    (void)state;
    static const char *const cases[][6] = {
        {"-u", "-5", "/", NULL},
        {"-u", "many", "/", NULL},
        {"-r", "0", "/", NULL},
        {"-r", "nan", "/", NULL},
        {"-t", "forever", "/", NULL},
        {"-t", "0s", "/", NULL},
        {"--bind", "5557", "/", NULL},
        {"--local-workers", "999", "/", NULL},
        {"--exit-code-on-error", "300", "/", NULL},
        {"--bogus", "/", NULL, NULL},
        {"relative", NULL, NULL, NULL},
        {"-H", "ftp://x", "/", NULL},
        {"-u", NULL, NULL, NULL},
        {NULL, NULL, NULL, NULL},
        /* careless values: no users; a rate in hex, too small or too large
         * to pace, signed or with a space; ports out of range, IPv6 without
         * brackets; missing or unusable files; broken hosts and URLs;
         * limits out of range */
        {"-u", "0", "/", NULL},
        {"-r", "0x10", "/", NULL},
        {"-r", "1e-300", "/", NULL},
        {"-r", "-1", "/", NULL},
        {"-r", " 1", "/", NULL},
        {"-r", "20000000", "/", NULL},
        {"--bind", "tcp://127.0.0.1:99999", "/", NULL},
        {"--bind", "tcp://127.0.0.1:0", "/", NULL},
        {"--bind", "tcp://::1:5557", "/", NULL},
        {"--worker-bin", "/nonexistent", "/", NULL},
        {"--worker-bin", "/tmp", "/", NULL},
        {"-H", "http://[::1", "/", NULL},
        {"-H", "http://", "/", NULL},
        {"/a b", NULL, NULL, NULL},
        {"/a\nb", NULL, NULL, NULL},
        {"http://[::1/x", NULL, NULL, NULL},
        {"gopher://x/", NULL, NULL, NULL},
        {"--max-workers", "0", "/", NULL},
        {"--max-workers", "20000", "/", NULL},
        {"--max-stats-memory", "1KiB", "/", NULL},
        {"--allow-workers", "/etc/hostname", "/", NULL},
        {"--curve-secret", "/etc/hostname", "/", NULL},
        {"--curve-secret", "/nonexistent", "/", NULL},
        {"--expect-workers", "2000", "/", NULL},
        /* reports */
        {"--csv-exact", "/", NULL, NULL},
        {"--csv-full-history", "/", NULL, NULL},
        {"--json", "", "/", NULL},
        {"--metrics-bind", "127.0.0.1", "/", NULL},
        {"--metrics-bind", "127.0.0.1:99999", "/", NULL},
        {"--metrics-bind", "127.0.0.1:x", "/", NULL},
        {"--metrics-bind", "no-such-host.invalid:9000", "/", NULL},
        {"--engine", "quick", "/", NULL},
        {"--engine", "", "/", NULL},
        {"--engine", NULL, NULL, NULL},
        /* two reports on one file, or both on standard output */
        {"--json", "same", "--html", "same", "/", NULL},
        {"--json", "-", "--summary-md", "-", "/", NULL},
        {"--csv", "r", "--junit", "r_failures.csv", "/", NULL},
    };
    /* stderr gets one line per case; keep the test output readable. */
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[10] = {"hornet-master", "-H", "http://127.0.0.1:1"};
        int argc = 3;
        for (int k = 0; k < 6 && cases[i][k]; k++)
            argv[argc++] = cases[i][k];
        struct hn_master_config cfg;
        int code;
        if (parse(&cfg, argc, argv, &code) || code != HN_EXIT_USAGE) {
            fclose(stderr);
            stderr = saved;
            fail_msg("case %zu (%s %s) parsed with %d", i, cases[i][0] ? cases[i][0] : "",
                     cases[i][1] ? cases[i][1] : "", code);
        }
    }
    fclose(stderr);
    stderr = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_quick_mode),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_security_flags),
        cmocka_unit_test(test_strict_values),
        cmocka_unit_test(test_too_many_paths),
        cmocka_unit_test(test_host_is_base),
        cmocka_unit_test(test_report_flags),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
