/* Unit tests of proto/endpoint: what --bind and --master accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint.h"
#include "error.h"

static int check(const char *ep, enum hn_endpoint_use use, bool *loopback)
{
    char why[128];
    struct hn_endpoint_info info;
    int rc = hn_endpoint_check(ep, use, &info, why, sizeof(why));
    if (!rc && loopback)
        *loopback = info.loopback;
    return rc;
}

static void test_accepted(void **state)
{
    (void)state;
    bool lo = false;
    assert_int_equal(check("tcp://*:5557", HN_ENDPOINT_BIND, &lo), 0);
    assert_false(lo);
    assert_int_equal(check("tcp://127.0.0.1:*", HN_ENDPOINT_BIND, &lo), 0);
    assert_true(lo);
    assert_int_equal(check("tcp://127.3.2.1:1", HN_ENDPOINT_CONNECT, &lo), 0);
    assert_true(lo);
    assert_int_equal(check("tcp://[::1]:65535", HN_ENDPOINT_CONNECT, &lo), 0);
    assert_true(lo);
    assert_int_equal(check("tcp://localhost:5557", HN_ENDPOINT_CONNECT, &lo), 0);
    assert_true(lo);
    assert_int_equal(check("tcp://0.0.0.0:5557", HN_ENDPOINT_BIND, &lo), 0);
    assert_false(lo);
    assert_int_equal(check("tcp://master.example:5557", HN_ENDPOINT_CONNECT, &lo), 0);
    assert_false(lo);
    assert_int_equal(check("ipc:///run/hornet.sock", HN_ENDPOINT_BIND, &lo), 0);
    assert_true(lo);
    /* libzmq reads a leading 0 as octal: 0127.0.0.1 is 87.0.0.1, no loopback */
    assert_int_equal(check("tcp://0127.0.0.1:5557", HN_ENDPOINT_BIND, &lo), 0);
    assert_false(lo);
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "tcp://127.0.0.1:99999",
        "tcp://127.0.0.1:0",
        "tcp://127.0.0.1:",
        "tcp://127.0.0.1",
        "tcp://:5557",
        "tcp://::1:5557",
        "tcp://[::1:5557",
        "tcp://h:55x7",
        "tcp://h:-1",
        "tcp://h:000005557",
        "5557",
        "udp://h:1",
        "ipc://",
        "tcp://a;b:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (check(bad[i], HN_ENDPOINT_BIND, NULL) != HN_E_INVALID)
            fail_msg("accepted %s", bad[i]);
    /* What libzmq cannot bind: said as such, not as an address that would
     * reach other hosts (the master's refusal without keys). */
    static const char *const unbindable[] = {"tcp://256.1.1.1:5557", "tcp://no-such-if0:5557",
                                             "tcp://[::zz]:5557", "tcp://master.example:5557"};
    for (size_t i = 0; i < sizeof(unbindable) / sizeof(unbindable[0]); i++) {
        char why[256] = "";
        if (hn_endpoint_check(unbindable[i], HN_ENDPOINT_BIND, NULL, why, sizeof(why)) !=
                HN_E_INVALID ||
            !strstr(why, "neither an IP address nor a network interface"))
            fail_msg("%s: '%s'", unbindable[i], why);
    }
    assert_int_equal(check("tcp://lo:5557", HN_ENDPOINT_BIND, NULL), 0);
    assert_int_equal(check("tcp://[::]:5557", HN_ENDPOINT_BIND, NULL), 0);
    assert_int_equal(check("tcp://*:5557", HN_ENDPOINT_CONNECT, NULL), HN_E_INVALID);
    assert_int_equal(check("tcp://h:*", HN_ENDPOINT_CONNECT, NULL), HN_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
