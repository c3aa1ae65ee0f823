/* Unit tests for worker/health.c: the CPU share a HEARTBEAT reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "health.h"

/* Spend about @ms of CPU; returns what it computed (not optimised away). */
static uint64_t burn_ms(long ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    volatile uint64_t x = 0;
    do {
        for (int i = 0; i < 10000; i++)
            x += (uint64_t)i;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
    return x;
}

/* Heartbeats back to back (a paused machine catching up): a few ms of work
 * over a few ms is not a busy worker; the share stays the last one
 * measured over half a second or more (none yet: 0). An idle worker was
 * said to use 102 % of its CPU after a pause. */
static void test_cpu_not_from_a_short_span(void **state)
{
    (void)state;
    struct hn_health h = {0};
    struct hn_msg_heartbeat hb = {0};
    hn_health_sample(&h, 0, 0, 0, &hb);
    assert_true(burn_ms(5) > 0);
    hn_health_sample(&h, 0, 0, 0, &hb);
    assert_true(hb.cpu_permille < 900);
    assert_true(hb.rss_bytes > 0);
}

/* A stall is reported, and repeated until its time is up. */
static void test_stall_repeated(void **state)
{
    (void)state;
    struct hn_health h = {0};
    struct hn_msg_heartbeat hb = {0};
    hn_health_sample(&h, HN_PROTO_STALL_MS, 0, 100.0, &hb);
    assert_int_equal(hb.loop_lag_ms, HN_PROTO_STALL_MS);
    hn_health_sample(&h, 0, 3, 100.5, &hb);
    assert_int_equal(hb.loop_lag_ms, HN_PROTO_STALL_MS);
    hn_health_sample(&h, 0, 3, 100.0 + HN_PROTO_STALL_REPEAT_MS / 1000.0 + 1, &hb);
    assert_int_equal(hb.loop_lag_ms, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_not_from_a_short_span),
        cmocka_unit_test(test_stall_repeated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
