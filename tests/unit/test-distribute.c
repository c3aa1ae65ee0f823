/* Unit tests of master/distribute: largest-remainder splits of users over
 * classes and workers, spread across hosts first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>

#include "distribute.h"

static void test_classes_by_weight(void **state)
{
    (void)state;
    uint32_t out[3];
    hn_distribute_classes(10, (uint32_t[]){6, 3, 1}, 3, out);
    assert_int_equal(out[0], 6);
    assert_int_equal(out[1], 3);
    assert_int_equal(out[2], 1);
    /* 7 users at 1:1:1: remainders go to the first classes, sum stays 7. */
    hn_distribute_classes(7, (uint32_t[]){1, 1, 1}, 3, out);
    assert_int_equal(out[0] + out[1] + out[2], 7);
    assert_true(out[0] >= out[1] && out[1] >= out[2] && out[0] - out[2] <= 1);
    /* Largest remainder: 5 users at 2:1 → exact 3.33/1.67 → 3 and 2. */
    hn_distribute_classes(5, (uint32_t[]){2, 1}, 2, out);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 2);
    for (uint32_t total = 0; total < 200; total++) {
        hn_distribute_classes(total, (uint32_t[]){5, 3, 2}, 3, out);
        assert_int_equal(out[0] + out[1] + out[2], total);
        for (int c = 0; c < 3; c++) {
            double exact = total * (c == 0 ? 0.5 : c == 1 ? 0.3 : 0.2);
            assert_true(out[c] + 1.0 > exact && out[c] < exact + 1.0);
        }
    }
}

static void test_workers_sum_and_balance(void **state)
{
    (void)state;
    struct hn_share s[4];
    uint32_t hosts[4] = {0, 1, 2, 3};
    for (uint32_t total = 0; total < 100; total++) {
        uint32_t classes[2] = {total, total / 3};
        hn_distribute_workers(classes, 2, hosts, 4, s);
        for (int c = 0; c < 2; c++) {
            uint32_t sum = 0, lo = UINT32_MAX, hi = 0;
            for (int w = 0; w < 4; w++) {
                sum += s[w].users[c];
                lo = s[w].users[c] < lo ? s[w].users[c] : lo;
                hi = s[w].users[c] > hi ? s[w].users[c] : hi;
            }
            assert_int_equal(sum, classes[c]);
            assert_true(hi - lo <= 1);
        }
        uint32_t lo = UINT32_MAX, hi = 0;
        for (int w = 0; w < 4; w++) {
            assert_int_equal(s[w].total, s[w].users[0] + s[w].users[1]);
            lo = s[w].total < lo ? s[w].total : lo;
            hi = s[w].total > hi ? s[w].total : hi;
        }
        assert_true(hi - lo <= 1); /* remainders rotate across classes */
    }
}

static void test_hosts_first(void **state)
{
    (void)state;
    /* Workers 0,1 on host A and worker 2 on host B: 2 users go one per host,
     * not both to host A. */
    struct hn_share s[3];
    uint32_t hosts[3] = {0, 0, 1};
    hn_distribute_workers((uint32_t[]){2}, 1, hosts, 3, s);
    assert_int_equal(s[0].users[0] + s[1].users[0], 1);
    assert_int_equal(s[2].users[0], 1);
    /* One user: the first worker gets it. */
    hn_distribute_workers((uint32_t[]){1}, 1, hosts, 3, s);
    assert_int_equal(s[0].users[0] + s[1].users[0] + s[2].users[0], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes_by_weight),
        cmocka_unit_test(test_workers_sum_and_balance),
        cmocka_unit_test(test_hosts_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
