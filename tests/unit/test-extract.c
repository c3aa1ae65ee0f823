/* Unit tests for worker/extract.c: values a JSON path or a regular
 * expression finds in a response body, and the JSON parser's arena (what
 * does not fit it goes to malloc and still parses right). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract.h"

struct found {
    int rc;
    int type;
    size_t len;
    char value[256];
};

static struct found json(const char *path, const char *body, size_t len)
{
    struct hn_jsonpath p;
    char why[128];
    size_t at;
    assert_int_equal(hn_jsonpath_compile(&p, path, strlen(path), why, sizeof(why), &at), 0);
    struct found f = {0};
    struct hn_extract x = {.out = f.value, .cap = sizeof(f.value)};
    f.rc = hn_extract_json(&p, body, len, &x);
    f.type = x.type;
    f.len = x.len;
    hn_jsonpath_deinit(&p);
    return f;
}

static struct found json_s(const char *path, const char *body)
{
    return json(path, body, strlen(body));
}

static void test_values_by_kind(void **state)
{
    (void)state;
    const char *body = "{\"a\":{\"b\":[10,{\"c\":\"x\\u00e9\\ny\"}]},\"n\":-1.5e3,"
                       "\"t\":true,\"z\":null,\"o\":{\"k\": [1, 2]}}";
    struct found f = json_s("$.a.b[1].c", body);
    assert_int_equal(f.rc, 1);
    assert_int_equal(f.type, HN_JSON_STRING);
    assert_string_equal(f.value, "x\xc3\xa9\ny"); /* decoded */
    f = json_s("$.n", body);
    assert_int_equal(f.type, HN_JSON_NUMBER);
    assert_string_equal(f.value, "-1.5e3"); /* as written */
    f = json_s("$.t", body);
    assert_int_equal(f.type, HN_JSON_BOOL);
    assert_string_equal(f.value, "true");
    f = json_s("$.z", body);
    assert_int_equal(f.rc, 1);
    assert_int_equal(f.type, HN_JSON_NULL);
    f = json_s("$.o", body);
    assert_int_equal(f.type, HN_JSON_OBJECT);
    assert_string_equal(f.value, "{\"k\": [1, 2]}"); /* its JSON text */
    f = json_s("$.a.b[0]", body);
    assert_string_equal(f.value, "10");
}

static void test_missing_and_not_json(void **state)
{
    (void)state;
    assert_int_equal(json_s("$.nope", "{\"a\":1}").rc, 0);
    assert_int_equal(json_s("$.a[3]", "{\"a\":[1,2]}").rc, 0);
    assert_int_equal(json_s("$.a", "<html>").rc, -1);
    assert_int_equal(json_s("$.b", "{\"a\":1,").rc, -1); /* cut before the value */
    assert_int_equal(json_s("$.a", "").rc, -1);
}

static void test_too_long_value_is_not_kept(void **state)
{
    (void)state;
    char body[1024];
    int n = snprintf(body, sizeof(body), "{\"a\":\"%0600d\"}", 7);
    struct found f = json("$.a", body, (size_t)n);
    assert_int_equal(f.rc, 1);
    assert_int_equal(f.len, 600);
    assert_string_equal(f.value, ""); /* nothing of it, not an older value */
}

/* A string with escapes longer than the arena makes yajl's decode buffer
 * grow out of it (realloc from the arena to malloc); nesting deeper than
 * the arena does the same to its stack. The value after them is found. */
static void test_beyond_the_arena(void **state)
{
    (void)state;
    size_t big = 200000, len = 0;
    char *body = malloc(2 * big + 64);
    assert_non_null(body);
    len += (size_t)sprintf(body, "{\"s\":\"");
    for (size_t i = 0; i < big / 2; i++)
        len += (size_t)sprintf(body + len, "\\n");
    len += (size_t)sprintf(body + len, "\",\"d\":");
    for (size_t i = 0; i < big / 4; i++)
        body[len++] = '[';
    for (size_t i = 0; i < big / 4; i++)
        body[len++] = ']';
    len += (size_t)sprintf(body + len, ",\"v\":\"after\"}");
    struct found f = json("$.v", body, len);
    assert_int_equal(f.rc, 1);
    assert_string_equal(f.value, "after");
    /* And the parses after it, from an emptied arena. */
    for (int i = 0; i < 1000; i++) {
        f = json_s("$.k[2]", "{\"k\":[\"a\",\"b\",\"c\\\"\"]}");
        assert_int_equal(f.rc, 1);
        assert_string_equal(f.value, "c\"");
    }
    free(body);
}

static void test_regex_group_or_match(void **state)
{
    (void)state;
    char why[128];
    size_t at, off = 0, len = 0;
    pcre2_match_data *md = pcre2_match_data_create(2, NULL);
    pcre2_code *group = hn_regex_compile("token=([a-f0-9]+)", why, sizeof(why), &at);
    pcre2_code *whole = hn_regex_compile("[0-9]+", why, sizeof(why), &at);
    assert_non_null(md);
    assert_non_null(group);
    assert_non_null(whole);
    const char *body = "x token=beef42; y";
    assert_int_equal(hn_extract_regex(group, md, body, strlen(body), &off, &len), 1);
    assert_int_equal(off, 8);
    assert_int_equal(len, 6);
    assert_int_equal(hn_extract_regex(whole, md, body, strlen(body), &off, &len), 1);
    assert_int_equal(off, 12);
    assert_int_equal(len, 2);
    assert_int_equal(hn_extract_regex(group, md, "none", 4, &off, &len), 0);
    assert_int_equal(hn_extract_regex(group, md, NULL, 0, &off, &len), 0);
    pcre2_code_free(group);
    pcre2_code_free(whole);
    pcre2_match_data_free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_by_kind),
        cmocka_unit_test(test_missing_and_not_json),
        cmocka_unit_test(test_too_long_value_is_not_kept),
        cmocka_unit_test(test_beyond_the_arena),
        cmocka_unit_test(test_regex_group_or_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
