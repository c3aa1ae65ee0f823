/* Unit tests of master/yaml_doc: where errors are reported, and the limit
 * on alias expansion. libyaml gives a reader error (bytes that are not
 * UTF-8, control characters) as a byte offset only; the loader turns it
 * into LINE:COL as libyaml counts its own marks (after a byte order mark;
 * LF, CR LF and CR each end a line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "yaml_doc.h"

static void expect_error(const char *text, const char *want)
{
    struct hn_yaml y;
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", text, strlen(text)), HN_E_INVALID);
    if (strncmp(y.error, want, strlen(want)) != 0)
        fail_msg("want '%s...', got '%s'", want, y.error);
    hn_yaml_free(&y);
}

static void test_reader_error_positions(void **state)
{
    (void)state;
    expect_error("host: http://h\n# c\n\nusers: [{name: \"ab\xff\"}]\n",
                 "t.yaml:4:19: invalid leading UTF-8 octet");
    expect_error("a: 1\nb: \"x\x01\"\n", "t.yaml:2:6: control characters are not allowed");
    /* The byte order mark takes no column. */
    expect_error("\xef\xbb\xbfhost: \"h\x01\"\n", "t.yaml:1:9: control characters");
    /* CR alone and CR LF end lines as LF does; multi-byte characters are
     * one column each. */
    expect_error("a: 1\rb: 2\r\nc: \"\xc3\xa9\x01\"\n", "t.yaml:3:6: control characters");
}

/* A scanner error keeps libyaml's own mark. */
static void test_syntax_error_position(void **state)
{
    (void)state;
    expect_error("a: [1, 2\nb: 3\n", "t.yaml:2:");
}

/* The error hn_yaml_fail_in gives at byte @offset of the value of key
 * "k" in @text. */
static void expect_fail_in(const char *text, size_t offset, const char *want)
{
    struct hn_yaml y;
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", text, strlen(text)), 0);
    yaml_node_t *v = hn_yaml_get(&y, hn_yaml_root(&y), "k");
    assert_non_null(v);
    assert_false(hn_yaml_fail_in(&y, v, offset, "here"));
    if (strcmp(y.error, want) != 0)
        fail_msg("want '%s', got '%s'", want, y.error);
    hn_yaml_free(&y);
}

/* An error inside a value is at the character it names, the column
 * counting characters as libyaml's do. libyaml's mark index counts
 * characters too, not bytes: non-ASCII text or a byte order mark before
 * the value, on its line or earlier, must not move the column. */
static void test_position_in_value(void **state)
{
    (void)state;
    expect_fail_in("k: /a/{{x}}\n", 5, "t.yaml:1:9: here");
    expect_fail_in("# Gr\xc3\xb6\xc3\x9f"
                   "e\nk: /a/{{x}}\n",
                   5, "t.yaml:2:9: here");
    expect_fail_in("{a: caf\xc3\xa9, k: \"/a/{{x}}\"}\n", 5, "t.yaml:1:20: here");
    expect_fail_in("k: '/\xc3\xbc/{{x}}'\n", 6, "t.yaml:1:10: here");
    expect_fail_in("\xef\xbb\xbfk: /a/{{x}}\n", 5, "t.yaml:1:9: here");
    expect_fail_in("a: \xc3\xa9\r\nb: \xe2\x82\xac\rk: /a/{{x}}\n", 5, "t.yaml:3:9: here");
    /* A folded value is not the file's text: its start. */
    expect_fail_in("a: \xc3\xa9\nk: >\n  /a/{{x}}\n", 5, "t.yaml:2:4: here");
}

/* "a0: &a0 [x, x, ...]" and @levels more of ten aliases of the one before:
 * 11, 111, 1111, ... nodes once expanded. */
static char *laughs(int levels)
{
    static char buf[4096];
    size_t at = (size_t)snprintf(buf, sizeof(buf), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i <= levels; i++)
        at += (size_t)snprintf(buf + at, sizeof(buf) - at,
                               "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                               "*a%d]\n",
                               i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                               i - 1);
    return buf;
}

/* Aliases of aliases are refused when the file is loaded, even where no
 * one looks (under an x- key), at the first anchor past the limit. */
static void test_expansion_limit(void **state)
{
    (void)state;
    struct hn_yaml y;
    const char *ok = laughs(4); /* 11,111 nodes per anchor, 12,347 in all */
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", ok, strlen(ok)), 0);
    hn_yaml_free(&y);
    /* a5 expands to 1,111,111 nodes */
    expect_error(laughs(9), "t.yaml:6:5: the document expands to more than 1000000 nodes");
}

/* An anchor holding an alias of itself is an endless document. */
static void test_alias_cycle(void **state)
{
    (void)state;
    expect_error("a: 1\nb: &b [1, [*b]]\n", "t.yaml:2:4: an alias inside its own anchor");
    expect_error("b: &b {x: 1, <<: *b}\n", "t.yaml:1:4: an alias inside its own anchor");
}

/* Lookups cost nothing against the limit: a file of 8,000 steps made
 * about 20 lookups a step, and each counted every key of its mapping. */
static void test_lookups_are_not_counted(void **state)
{
    (void)state;
    const char *text = "{weight: 1, get: /echo/x, name: e, tags: [a], timeout: 5s}\n";
    struct hn_yaml y;
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", text, strlen(text)), 0);
    yaml_node_t *root = hn_yaml_root(&y);
    for (int i = 0; i < 200000; i++) {
        yaml_node_t *tags = hn_yaml_get(&y, root, "tags");
        if (!tags || !hn_yaml_item(&y, tags, 0))
            fail_msg("lookup %d failed: %s", i, y.error);
    }
    hn_yaml_free(&y);
}

/* Repeated keys are found in a mapping of any size; merged keys come after
 * the explicit ones, which override them. */
static void test_pairs(void **state)
{
    (void)state;
    enum { N = 5000 };
    char *text = malloc(N * 16 + 64);
    assert_non_null(text);
    size_t at = (size_t)sprintf(text, "{");
    for (int i = 0; i < N; i++)
        at += (size_t)sprintf(text + at, "k%d: %d, ", i, i);
    sprintf(text + at, "k%d: again}\n", N - 1);
    struct hn_yaml y;
    struct hn_yaml_pair *pairs;
    size_t n;
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", text, strlen(text)), 0);
    assert_false(hn_yaml_pairs(&y, hn_yaml_root(&y), &pairs, &n));
    char want[64];
    snprintf(want, sizeof(want), "t.yaml:1:%zu: key 'k%d' given twice", at + 1, N - 1);
    assert_string_equal(y.error, want);
    hn_yaml_free(&y);
    free(text);

    const char *merged = "base: &b {x: 1, y: 2}\nm: {<<: *b, x: 3, z: 4}\n";
    assert_int_equal(hn_yaml_load_text(&y, "t.yaml", merged, strlen(merged)), 0);
    assert_true(hn_yaml_pairs(&y, hn_yaml_get(&y, hn_yaml_root(&y), "m"), &pairs, &n));
    const char *names[] = {"x", "z", "y"}, *values[] = {"3", "4", "2"};
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(pairs[i].name, names[i]);
        assert_string_equal((const char *)pairs[i].value->data.scalar.value, values[i]);
    }
    free(pairs);
    hn_yaml_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_error_positions),
        cmocka_unit_test(test_syntax_error_position),
        cmocka_unit_test(test_position_in_value),
        cmocka_unit_test(test_expansion_limit),
        cmocka_unit_test(test_alias_cycle),
        cmocka_unit_test(test_lookups_are_not_counted),
        cmocka_unit_test(test_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
