/* Unit tests for the master's lag (master/lag.c): stalls seen by the watch
 * timer stop the liveness clock and count as lag; the receive backlog
 * counts as lag but not as a stall; figures per second and for the run.
 * Times are given, never measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lag.h"

static void test_watch_and_tick(void **state)
{
    (void)state;
    struct hn_lag l = {0};
    double t = 100.0;
    for (int i = 0; i < 10; i++, t += HN_LAG_WATCH_S)
        hn_lag_watch(&l, t + (i % 2) * 0.05); /* on time, within jitter */
    hn_lag_watch(&l, t);
    hn_lag_message(&l, 0.002);
    assert_true(hn_lag_tick(&l, 0.0) == 0.0);
    assert_int_equal(hn_lag_ms(l.last_s), 2);
    assert_true(hn_lag_clock(&l, t) == t); /* no stall: the clocks agree */

    /* the process is stopped for 3 s between two watches */
    hn_lag_watch(&l, t += 3.0 + HN_LAG_WATCH_S);
    double stall = hn_lag_tick(&l, 0.0);
    assert_true(stall > 2.99 && stall < 3.01);
    assert_int_equal(hn_lag_ms(l.last_s), 3000);
    assert_true(hn_lag_clock(&l, t) > t - 3.01 && hn_lag_clock(&l, t) < t - 2.99);

    /* a backlog of 1.5 s: lag, not a stall; then it is gone */
    hn_lag_watch(&l, t += HN_LAG_WATCH_S);
    hn_lag_message(&l, 1.2);
    assert_true(hn_lag_tick(&l, 1.5) == 0.0);
    assert_int_equal(hn_lag_ms(l.last_s), 1500);
    assert_true(hn_lag_tick(&l, 0.0) == 0.0);
    assert_int_equal(hn_lag_ms(l.last_s), 0);
    assert_int_equal(hn_lag_ms(hn_lag_max(&l)), 3000);
    assert_int_equal(hn_lag_ms(l.backlog_max_s), 1500);
    hn_lag_message(&l, 4.0); /* not closed by a tick yet: still the max */
    assert_int_equal(hn_lag_ms(hn_lag_max(&l)), 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_and_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
