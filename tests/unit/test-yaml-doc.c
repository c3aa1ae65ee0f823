/* Unit tests of master/yaml_doc: where errors are reported. libyaml gives
 * a reader error (bytes that are not UTF-8, control characters) as a byte
 * offset only; the loader turns it into LINE:COL as libyaml counts its own
 * marks (after a byte order mark; LF, CR LF and CR each end a line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_error_positions),
        cmocka_unit_test(test_syntax_error_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
