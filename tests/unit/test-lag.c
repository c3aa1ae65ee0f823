/* Unit tests for the master's lag (master/lag.c): stalls seen by the watch
 * timer stop the liveness clock and count as lag; the receive backlog
 * counts as lag but not as a stall; figures per second and for the run.
 * Times are given, never measured. */
#include <math.h>
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

/* A master that runs 10 ms of every 500 ms (SIGSTOP/SIGCONT, a throttled
 * container): its liveness clock must advance by about what it ran, not
 * by a watch period per stall (0.1 s of each 0.5 s made workers missing
 * whose messages it could not read). The watch fires when due, or at the
 * start of the next running window when due while stopped. */
static void test_throttled(void **state)
{
    (void)state;
    struct hn_lag l = {0};
    double t = 100.0, period = hn_lag_watch(&l, t);
    assert_true(period == HN_LAG_WATCH_S);
    double start = hn_lag_clock(&l, t);
    const double cycle = 0.5, run = 0.01;
    for (int i = 0; i < 400; i++) {
        double due = t + period, window = floor((due - 100.0) / cycle) * cycle + 100.0;
        t = due < window + run ? due : window + cycle; /* while running, or at the next window */
        period = hn_lag_watch(&l, t);
    }
    double real = t - 100.0, live = hn_lag_clock(&l, t) - start;
    assert_true(real > 10.0);
    assert_true(period == HN_LAG_WATCH_CLOSE_S); /* still stalling */
    /* ran 2 % of the time: the liveness clock gets at most 5 % */
    assert_true(live < 0.05 * real);
    assert_true(live > 0.0);

    /* no stall for HN_LAG_CLOSE_FOR_S: back to the usual period */
    for (double end = t + HN_LAG_CLOSE_FOR_S + 1.0; t < end; t += period)
        period = hn_lag_watch(&l, t);
    assert_true(period == HN_LAG_WATCH_S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_and_tick),
        cmocka_unit_test(test_throttled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
