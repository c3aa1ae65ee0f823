/* Tests of common/sanitize.h: what reaches a terminal or a log from the
 * network is escaped, everything else is copied byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"

static const char *san(const char *s, size_t len)
{
    static char out[256];
    hn_sanitize(out, sizeof out, s, len, NULL);
    return out;
}

static void test_controls_escaped(void **state)
{
    (void)state;
    /* Clear screen, set title, colour: escapes a hostile name could send to
     * the operator's terminal. */
    assert_string_equal(san("\x1b[2J\x1b]0;pwned\x07", 14), "\\x1b[2J\\x1b]0;pwned\\x07");
    assert_string_equal(san("a\r\nb\tc\x7f", 7), "a\\x0d\\x0ab\\x09c\\x7f");
    assert_string_equal(san("n\0ul", 4), "n\\x00ul");
}

static void test_text_kept(void **state)
{
    (void)state;
    const char *t = "GET /api/products?page=1&x=\\ caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9d";
    assert_string_equal(san(t, strlen(t)), t);
    assert_true(hn_sanitize_is_clean(t, strlen(t)));
    assert_false(hn_sanitize_is_clean("a\nb", 3));
}

static void test_unicode_controls(void **state)
{
    (void)state;
    /* C1 CSI (U+009B) acts as ESC [ on some terminals; U+202E reverses text. */
    assert_string_equal(san("\xc2\x9b"
                            "31m",
                            5),
                        "\\u009b31m");
    assert_string_equal(san("ab\xe2\x80\xae"
                            "cd",
                            7),
                        "ab\\u202ecd");
    assert_string_equal(san("\xe2\x80\xa8", 3), "\\u2028");
    assert_false(hn_sanitize_is_clean("\xe2\x81\xa6", 3));
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    assert_string_equal(san("\xff\xfe", 2), "\\xff\\xfe");
    assert_string_equal(san("\xc3", 1), "\\xc3");                   /* truncated */
    assert_string_equal(san("\xc0\xaf", 2), "\\xc0\\xaf");          /* overlong '/' */
    assert_string_equal(san("\xed\xa0\x80", 3), "\\xed\\xa0\\x80"); /* surrogate */
}

static void test_cut_whole(void **state)
{
    (void)state;
    char out[8];
    size_t len;
    /* 4 + 4 bytes would need 9 with the NUL: the second escape is dropped whole. */
    size_t used = hn_sanitize(out, sizeof out, "\x01\x02", 2, &len);
    assert_int_equal(used, 1);
    assert_int_equal(len, 4);
    assert_string_equal(out, "\\x01");
    used = hn_sanitize(out, 4, "ab\xc3\xa9", 4, &len);
    assert_int_equal(used, 2);
    assert_string_equal(out, "ab");
    char big[HN_SANITIZE_SIZE(3)];
    assert_int_equal(hn_sanitize(big, sizeof big, "\x1b\x1b\x1b", 3, &len), 3);
    assert_int_equal(len, 12);
    assert_string_equal(hn_sanitize_str(big, sizeof big, "x\ty"), "x\\x09y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_escaped), cmocka_unit_test(test_text_kept),
        cmocka_unit_test(test_unicode_controls), cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_cut_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
