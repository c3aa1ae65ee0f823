/* Unit tests of master/run_plan: how the scenario file's load:, arrival:
 * and thresholds: and the command line combine (which replaces which, the
 * run time, defaults), --stages parsing, users per class over time, and
 * the plan in words. The file's part comes from the real loader. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "error.h"
#include "run_plan.h"
#include "scenario_load.h"

static const char file[] = "host: http://127.0.0.1:1\n"
                           "defaults: {timeout: 4s}\n"
                           "users:\n"
                           "  - {name: a, weight: 3, tasks: [{get: /a}]}\n"
                           "  - {name: b, tasks: [{get: /b}]}\n"
                           "load:\n"
                           "  stages:\n"
                           "    - {duration: 10s, users: 8, spawn_rate: 4}\n"
                           "    - {duration: 20s, users: {a: 1, b: 5}}\n"
                           "thresholds: [\"p(95) < 1s\", {expr: \"GET /b: max < 2s\", "
                           "abort_on_fail: true, delay: 5s}]\n";

static const char open_file[] = "host: http://127.0.0.1:1\n"
                                "users: [{tasks: [{get: /a}]}]\n"
                                "arrival: {rate: 100/s, max_users: 50, max_delay: 2s}\n";

struct fixture {
    struct hn_scenario *s;
    struct hn_load_info info;
    struct hn_master_config cfg;
    struct hn_run_plan plan;
    char why[300];
};

/* Load @text (NULL: none, quick mode's empty plan) and parse "-f x ARGS". */
static void setup(struct fixture *f, const char *text, const char *args)
{
    memset(f, 0, sizeof(*f));
    struct hn_load_options opt = {0};
    char err[600];
    int rc = hn_scenario_load_text("t.yaml", text, strlen(text), &opt, &f->s, &f->info, err,
                                   sizeof(err));
    if (rc)
        fail_msg("load: %s", err);
    static char buf[512];
    snprintf(buf, sizeof(buf), "hornet-master -f x %s", args);
    static char *argv[32];
    int argc = 0;
    for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    optind = 0;
    int code;
    assert_true(hn_cli_parse(argc, argv, &f->cfg, &code));
}

static void teardown(struct fixture *f)
{
    hn_load_info_free(&f->info);
    hn_scenario_free(f->s);
}

static int resolve(struct fixture *f)
{
    return hn_run_plan_resolve(&f->cfg, f->s, f->info.plan, &f->plan, f->why, sizeof(f->why));
}

static void test_file_plan(void **state)
{
    (void)state;
    struct fixture *f = calloc(1, sizeof(*f));
    setup(f, file, "");
    assert_int_equal(resolve(f), 0);
    assert_false(f->plan.shape.open);
    assert_int_equal(f->plan.shape.n_stages, 2);
    assert_int_equal(f->plan.run_time_ms, 30000); /* the stages */
    assert_int_equal(f->plan.n_thresholds, 2);
    assert_true(f->plan.thresholds[1].abort_on_fail);
    assert_int_equal(f->plan.thresholds[1].delay_ms, 5000);
    uint32_t users[2];
    hn_run_plan_users(&f->plan, f->s, 2000, users); /* 8 at 4/s: 8 * 2/2 */
    assert_int_equal(users[0] + users[1], 8);
    assert_int_equal(users[0], 6); /* 3:1, the total split exactly */
    hn_run_plan_users(&f->plan, f->s, 1000, users);
    assert_int_equal(users[0] + users[1], 4);
    hn_run_plan_users(&f->plan, f->s, 30000, users);
    assert_int_equal(users[0], 1);
    assert_int_equal(users[1], 5);
    teardown(f);
    free(f);
}

static void test_cli_overrides(void **state)
{
    (void)state;
    struct fixture *f = calloc(1, sizeof(*f));
    /* -t with the file's stages: the run time only. */
    setup(f, file, "-t 1m");
    assert_int_equal(resolve(f), 0);
    assert_int_equal(f->plan.shape.n_stages, 2);
    assert_int_equal(f->plan.run_time_ms, 60000);
    teardown(f);
    /* -u/-r replace load: with one stage; no -t: until stopped. */
    setup(f, file, "-u 20 -r 5");
    assert_int_equal(resolve(f), 0);
    assert_int_equal(f->plan.shape.n_stages, 1);
    assert_int_equal(f->plan.shape.stages[0].total, 20);
    assert_true(f->plan.shape.stages[0].spawn_rate == 5);
    assert_int_equal(f->plan.run_time_ms, 0);
    teardown(f);
    /* --stages replace load:, and time the run. */
    setup(f, file, "--stages 5s:3,10s:9:3");
    assert_int_equal(resolve(f), 0);
    assert_int_equal(f->plan.shape.n_stages, 2);
    assert_int_equal(f->plan.shape.stages[1].total, 9);
    assert_int_equal(f->plan.run_time_ms, 15000);
    teardown(f);
    /* --rate: the open model; max users and max delay default. */
    setup(f, file, "--rate 30000/m -t 20s --threshold dropped<1");
    assert_int_equal(resolve(f), 0);
    assert_true(f->plan.shape.open);
    assert_true(f->plan.shape.arrivals[0].rate_per_s == 500);
    assert_int_equal(f->plan.shape.max_users, HN_PLAN_MAX_USERS_DEFAULT);
    assert_int_equal(f->plan.shape.max_delay_ms, 4000); /* the request timeout */
    assert_int_equal(f->plan.run_time_ms, 20000);
    assert_int_equal(f->plan.n_thresholds, 3); /* the file's, then --threshold */
    assert_string_equal(f->plan.thresholds[2].expr, "dropped<1");
    teardown(f);
    setup(f, file, "--rate 10 --max-users 7 --max-delay 250ms");
    assert_int_equal(resolve(f), 0);
    assert_int_equal(f->plan.shape.max_users, 7);
    assert_int_equal(f->plan.shape.max_delay_ms, 250);
    assert_false(f->plan.max_users_defaulted);
    teardown(f);
    /* --rate over a file's arrival: keeps its bounds. */
    setup(f, open_file, "--rate 200/s");
    assert_int_equal(resolve(f), 0);
    assert_true(f->plan.shape.arrivals[0].rate_per_s == 200);
    assert_int_equal(f->plan.shape.max_users, 50);
    assert_int_equal(f->plan.shape.max_delay_ms, 2000);
    assert_false(f->plan.max_users_defaulted);
    teardown(f);
    /* -u over a file's arrival: the closed model. */
    setup(f, open_file, "-u 3");
    assert_int_equal(resolve(f), 0);
    assert_false(f->plan.shape.open);
    assert_int_equal(f->plan.shape.stages[0].total, 3);
    teardown(f);
    free(f);
}

static void test_refused(void **state)
{
    (void)state;
    struct fixture *f = calloc(1, sizeof(*f));
    /* Open-model bounds without the open model. */
    setup(f, file, "--max-users 5");
    assert_int_equal(resolve(f), HN_E_INVALID);
    assert_non_null(strstr(f->why, "open model"));
    teardown(f);
    /* -r alone over a file's load: would mean 1 user. */
    setup(f, file, "-r 5");
    assert_int_equal(resolve(f), HN_E_INVALID);
    assert_non_null(strstr(f->why, "give -u too"));
    teardown(f);
    /* Fewer users than classes. */
    setup(f, file, "--rate 5 --max-users 1");
    assert_int_equal(resolve(f), HN_E_INVALID);
    assert_non_null(strstr(f->why, "one user per class"));
    teardown(f);
    /* A stage plan with no user at all. */
    setup(f, file, "--stages 10s:0");
    assert_int_equal(resolve(f), HN_E_INVALID);
    assert_non_null(strstr(f->why, "nothing would run"));
    teardown(f);
    /* Stage times whose sum would wrap (it ran 384 ms). */
    setup(f, file, "--stages 1s:1,18446744073709551s:2");
    assert_int_equal(resolve(f), HN_E_INVALID);
    assert_non_null(strstr(f->why, "at most 10 years"));
    teardown(f);
    /* A --threshold scoped to an entry the scenario does not have is
     * taken (with a warning): it fails at the end, having no data. */
    setup(f, file, "");
    f->cfg.thresholds[0] = "GET /x: max < 1s";
    f->cfg.n_thresholds = 1;
    assert_int_equal(resolve(f), 0);
    teardown(f);
    free(f);
}

/* A first stage ramping from start_rate down to 0 starts iterations: it is
 * a plan, not "nothing would run" (it was refused, in the loader and in
 * the plan, both looking only at the stages' rates). */
static void test_ramp_down_to_zero(void **state)
{
    (void)state;
    static const char text[] = "host: http://127.0.0.1:1\n"
                               "users: [{tasks: [{get: /a}]}]\n"
                               "arrival: {start_rate: 200/s, stages: [{duration: 4s, rate: 0}]}\n";
    struct fixture *f = calloc(1, sizeof(*f));
    setup(f, text, "");
    assert_int_equal(resolve(f), 0);
    assert_true(f->plan.shape.open);
    assert_true(f->plan.shape.has_start_rate);
    assert_int_equal(f->plan.run_time_ms, 4000);
    teardown(f);
    free(f);
}

/* A file's host is a base for its paths: a query in it is refused, unless
 * -H replaces it (then it is never used). */
static void test_host_query(void **state)
{
    (void)state;
    static const char text[] = "host: \"http://h/?q=1\"\n"
                               "users: [{tasks: [{get: /a}]}]\n";
    struct hn_load_options opt = {0};
    struct hn_scenario *s = NULL;
    struct hn_load_info info = {0};
    char err[600];
    assert_int_equal(hn_scenario_load_text("t.yaml", text, strlen(text), &opt, &s, &info, err,
                                           sizeof(err)),
                     HN_E_INVALID);
    assert_non_null(strstr(err, "t.yaml:1:7: host: 'http://h/?q=1' has a query or fragment"));
    opt.host = "http://other:8080";
    assert_int_equal(
        hn_scenario_load_text("t.yaml", text, strlen(text), &opt, &s, &info, err, sizeof(err)), 0);
    hn_load_info_free(&info);
    hn_scenario_free(s);
}

/* A check json value is compared as written: a "{{" is refused (it would
 * fail every request), but for the templates' literal {{"{{"}}, which
 * stands for "{{" there too. */
static void test_check_json_literal(void **state)
{
    (void)state;
    static const char text[] = "host: http://h\n"
                               "users: [{tasks: [{get: /a, check: {json: {$.x: "
                               "'Hi {{\"{{\"}}name}}'}}}]}]\n";
    struct hn_load_options opt = {0};
    struct hn_scenario *s = NULL;
    struct hn_load_info info = {0};
    char err[600];
    assert_int_equal(
        hn_scenario_load_text("t.yaml", text, strlen(text), &opt, &s, &info, err, sizeof(err)), 0);
    const struct hn_step *st = &s->classes[0].tasks[0].steps[0];
    assert_int_equal(st->n_json_checks, 1);
    assert_string_equal(st->json_checks[0].want, "Hi {{name}}");
    hn_load_info_free(&info);
    hn_scenario_free(s);
    static const char bad[] = "host: http://h\n"
                              "users: [{tasks: [{get: /a, check: {json: {$.x: "
                              "'Hi {{name}}'}}}]}]\n";
    s = NULL;
    memset(&info, 0, sizeof(info));
    assert_int_equal(
        hn_scenario_load_text("t.yaml", bad, strlen(bad), &opt, &s, &info, err, sizeof(err)),
        HN_E_INVALID);
    assert_non_null(strstr(err, "t.yaml:2:52: check json $.x: a value here is not a template"));
    hn_load_info_free(&info);
}

static void test_parse_stages(void **state)
{
    (void)state;
    struct hn_load_shape *sh = malloc(sizeof(*sh));
    char why[200];
    assert_int_equal(hn_run_plan_parse_stages("30s:10:5,1m:50:10,30s:0", sh, why, sizeof(why)),
                     0);
    assert_int_equal(sh->n_stages, 3);
    assert_int_equal(sh->stages[1].duration_ms, 60000);
    assert_int_equal(sh->stages[1].total, 50);
    assert_true(sh->stages[1].spawn_rate == 10);
    assert_true(sh->stages[2].spawn_rate == 0); /* an even ramp */
    const char *bad[] = {"", "30s", "30s:x", "0s:5", "30s:5:0", "30s:5:-1", "5:5,", "x:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (hn_run_plan_parse_stages(bad[i], sh, why, sizeof(why)) != HN_E_INVALID)
            fail_msg("--stages '%s' accepted", bad[i]);
    free(sh);
}

static void test_describe(void **state)
{
    (void)state;
    struct fixture *f = calloc(1, sizeof(*f));
    setup(f, file, "");
    assert_int_equal(resolve(f), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    hn_run_plan_describe(out, &f->plan, f->s, "");
    fclose(out);
    assert_non_null(strstr(text, "10s: 8 users at 4 users/s"));
    assert_non_null(strstr(text, "20s: a 1, b 5, ramped evenly over the stage"));
    assert_non_null(strstr(text, "run time: 30s (the stages)"));
    assert_non_null(strstr(text, "GET /b: max < 2s (aborts the run when it fails, after 5s)"));
    free(text);
    char brief[200];
    assert_string_equal(hn_run_plan_brief(&f->plan, brief, sizeof(brief)),
                        "2 stages over 30s, at most 8 users");
    teardown(f);
    free(f);
}

/* The open model's rates, held from one TARGET to the next, add up to the
 * plan's iterations exactly: the master sends TARGETs at the start, every
 * second after it (its tick restarts with the run) and at each stage
 * boundary, and each TARGET's rate is the plan's mean until the next one
 * it predicts. The sends are modelled here from the plan's text alone, so
 * a wrong prediction (a boundary missed, the tick ignored) shows: the mean
 * over the coming second held until the next TARGET started 90 of the
 * 100.5 iterations of a one-second ramp from 200/s to 1/s. */
static void test_rates_add_up(void **state)
{
    (void)state;
    static const char ramps[] = "host: http://127.0.0.1:1\n"
                                "users: [{tasks: [{get: /a}]}]\n"
                                "arrival:\n"
                                "  max_users: 10\n"
                                "  stages:\n"
                                "    - {duration: 4s, rate: 200/s}\n"
                                "    - {duration: 1500ms, rate: 1/s}\n"
                                "    - {duration: 2s, rate: 300/s}\n";
    static const uint64_t boundaries[] = {4000, 5500}, end = 7500;
    struct fixture *f = calloc(1, sizeof(*f));
    setup(f, ramps, "");
    assert_int_equal(resolve(f), 0);
    assert_int_equal(f->plan.run_time_ms, end);
    double want = hn_shape_iterations(&f->plan.shape, end);
    assert_true(fabs(want - (800.0 + 150.75 + 301.0)) < 1e-6);
    double got = 0;
    uint32_t targets = 0;
    for (uint64_t t = 0; t < end; targets++) {
        uint64_t sent_next = (t / 1000 + 1) * 1000; /* the tick */
        for (size_t i = 0; i < sizeof(boundaries) / sizeof(boundaries[0]); i++)
            if (boundaries[i] > t && boundaries[i] < sent_next)
                sent_next = boundaries[i];
        if (sent_next > end)
            sent_next = end;
        uint64_t predicted = hn_run_plan_next_target_ms(&f->plan, t, 1000 - t % 1000);
        got += hn_run_plan_rate(&f->plan, t, predicted) * (double)(sent_next - t) / 1000.0;
        t = sent_next;
    }
    if (fabs(got - want) > 1e-6)
        fail_msg("%.6f iterations held, %.6f planned (%u TARGETs)", got, want, targets);
    assert_int_equal(targets, 9); /* 0..3 s, 4 s, 5 s, 5.5 s, 6 s, 7 s */
    teardown(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_plan),     cmocka_unit_test(test_rates_add_up),
        cmocka_unit_test(test_cli_overrides), cmocka_unit_test(test_ramp_down_to_zero),
        cmocka_unit_test(test_host_query),    cmocka_unit_test(test_check_json_literal),
        cmocka_unit_test(test_refused),       cmocka_unit_test(test_parse_stages),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
