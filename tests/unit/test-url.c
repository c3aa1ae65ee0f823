/* Unit tests of common/url: what a report may show of a URL (no
 * credentials), and the checks the master makes of a host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "url.h"

static void redacts(const char *url, const char *want)
{
    char out[256];
    assert_string_equal(hn_url_redact(url, out, sizeof(out)), want);
}

static void test_redact(void **state)
{
    (void)state;
    redacts("http://user:pa55word@127.0.0.1:8080", "http://***@127.0.0.1:8080");
    redacts("https://token@api.example/v1?x=1", "https://***@api.example/v1?x=1");
    /* the last @ before the path ends the credentials: a password may hold one */
    redacts("http://u:p@ss@h/x", "http://***@h/x");
    /* an @ in the path or query is not a credential */
    redacts("http://h/a@b?c=d@e", "http://h/a@b?c=d@e");
    redacts("http://h:8080", "http://h:8080");
    redacts("not a url", "not a url");
    char small[12];
    assert_string_equal(hn_url_redact("http://a:b@host.example", small, sizeof(small)),
                        "http://***@"); /* cut, never the credentials */
}

static void test_checks(void **state)
{
    (void)state;
    assert_true(hn_url_ok("http://127.0.0.1:8080"));
    assert_true(hn_url_ok("HTTPS://h/x"));
    assert_false(hn_url_ok("ftp://h/"));
    assert_false(hn_url_ok("http://"));
    assert_true(hn_url_is_base("http://h/api"));
    assert_false(hn_url_is_base("http://h/?q=1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
