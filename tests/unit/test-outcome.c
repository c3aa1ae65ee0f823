/* Unit tests for worker/outcome.c: how a response's JSON checks judge it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonpath.h"
#include "outcome.h"
#include "recorder.h"

/* A number of 20,000 digits is longer than a kept value (16 KiB): its
 * check compared whatever the value buffer held before, here the previous
 * check's "5", and passed. */
static void test_json_number_too_long_fails(void **state)
{
    (void)state;
    struct hn_check_json checks[2] = {
        {.path = "$.a", .want = "5", .want_type = HN_JSON_NUMBER},
        {.path = "$.b", .want = "5", .want_type = HN_JSON_NUMBER},
    };
    struct hn_step st = {.json_checks = checks, .n_json_checks = 2};
    struct hn_jsonpath paths[2];
    char why[128];
    size_t at;
    assert_int_equal(hn_jsonpath_compile(&paths[0], "$.a", 3, why, sizeof(why), &at), 0);
    assert_int_equal(hn_jsonpath_compile(&paths[1], "$.b", 3, why, sizeof(why), &at), 0);
    double numbers[2] = {5, 5};
    struct hn_plan_step ps = {
        .step = &st, .check_paths = paths, .check_numbers = numbers, .keep_body = true};
    size_t digits = 20000;
    char *body = malloc(digits + 32);
    assert_non_null(body);
    size_t n = (size_t)sprintf(body, "{\"a\":5,\"b\":");
    memset(body + n, '9', digits);
    n += digits;
    body[n++] = '}';
    struct hn_http_result r = {
        .status = 200, .fail_slot = HN_FAIL_NONE, .body = body, .body_len = n};
    struct hn_outcome out;
    hn_outcome_judge(&ps, &r, NULL, NULL, NULL, NULL, NULL, &out);
    assert_non_null(out.text);
    assert_non_null(strstr(out.text, "check json $.b"));
    /* The same check on a short number still passes. */
    n = (size_t)sprintf(body, "{\"a\":5,\"b\":5.0}");
    r.body_len = n;
    hn_outcome_judge(&ps, &r, NULL, NULL, NULL, NULL, NULL, &out);
    assert_null(out.text);
    assert_int_equal(out.fail_slot, HN_FAIL_NONE);
    free(body);
    hn_jsonpath_deinit(&paths[0]);
    hn_jsonpath_deinit(&paths[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_number_too_long_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
