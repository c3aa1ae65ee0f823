/* Unit tests of worker/deadlines: the earliest deadline first, removal
 * from anywhere (a paced user retired while it waits), reserved room
 * (no allocation when a user waits), against a sorted reference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "deadlines.h"

#define N 2000

static void test_order_and_removal(void **state)
{
    (void)state;
    struct hn_deadlines h;
    hn_deadlines_init(&h);
    assert_int_equal(hn_deadlines_reserve(&h, N), 0);
    uint32_t reserved = h.cap;
    assert_true(reserved >= N);
    static struct hn_deadline d[N];
    static bool in[N];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d[i].index = HN_DEADLINE_NONE;
        assert_int_equal(hn_deadlines_add(&h, &d[i], (double)(x % 100000) / 1000.0), 0);
        in[i] = true;
    }
    assert_int_equal(h.cap, reserved); /* adding did not grow it */
    /* Remove every third, some twice (harmless). */
    for (int i = 0; i < N; i += 3) {
        hn_deadlines_remove(&h, &d[i]);
        hn_deadlines_remove(&h, &d[i]);
        in[i] = false;
        assert_int_equal(d[i].index, HN_DEADLINE_NONE);
    }
    assert_false(hn_deadlines_pop_due(&h, -1.0)); /* nothing due yet */
    double last = -1;
    int popped = 0;
    struct hn_deadline *p;
    while ((p = hn_deadlines_pop_due(&h, 1e9))) {
        assert_true(p->at >= last);
        last = p->at;
        int i = (int)(p - d);
        assert_true(in[i]);
        in[i] = false;
        popped++;
    }
    assert_int_equal(popped, N - (N + 2) / 3);
    assert_true(isinf(hn_deadlines_next_at(&h)));
    hn_deadlines_free(&h);
}

static void test_due(void **state)
{
    (void)state;
    struct hn_deadlines h;
    hn_deadlines_init(&h);
    struct hn_deadline a = {.index = HN_DEADLINE_NONE}, b = {.index = HN_DEADLINE_NONE};
    assert_int_equal(hn_deadlines_add(&h, &a, 10.5), 0); /* grows when not reserved */
    assert_int_equal(hn_deadlines_add(&h, &b, 10.25), 0);
    assert_true(hn_deadlines_next_at(&h) == 10.25);
    assert_null(hn_deadlines_pop_due(&h, 10.2));
    assert_ptr_equal(hn_deadlines_pop_due(&h, 10.25), &b);
    assert_null(hn_deadlines_pop_due(&h, 10.4));
    assert_ptr_equal(hn_deadlines_pop_due(&h, 11), &a);
    hn_deadlines_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_removal),
        cmocka_unit_test(test_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
