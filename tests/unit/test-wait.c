/* Unit tests of worker/wait: the think time of each wait kind, the
 * distribution of "between" over many draws, pacing never negative. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wait.h"
#include "test-rng.h"

#define DRAWS 100000

/* Milliseconds of a wait, which must be a whole number. */
static uint64_t whole_ms(double s)
{
    double ms = s * 1000.0;
    if (fabs(ms - round(ms)) > 1e-6)
        fail_msg("wait of %.9f s is not a whole number of milliseconds", s);
    return (uint64_t)llround(ms);
}

static void test_none(void **state)
{
    (void)state;
    struct hn_wait w = {.kind = HN_WAIT_NONE, .min_ms = 500, .max_ms = 900};
    assert_true(hn_wait_next_s(&w, 0, 0) == 0.0);
    assert_true(hn_wait_next_s(&w, UINT64_MAX, 0.25) == 0.0);
    assert_true(hn_wait_next_s(&w, 12345, 100.0) == 0.0);
    /* An unknown kind (a corrupt model) waits nothing rather than garbage. */
    w.kind = HN_WAIT__COUNT;
    assert_true(hn_wait_next_s(&w, 42, 0.5) == 0.0);
}

static void test_constant(void **state)
{
    (void)state;
    struct hn_wait w = {.kind = HN_WAIT_CONSTANT, .min_ms = 250, .max_ms = 9999};
    /* Neither the random number nor the iteration's duration matter. */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(whole_ms(hn_wait_next_s(&w, test_rng_next(), (double)i / 100.0)), 250);
    w.min_ms = 0;
    assert_true(hn_wait_next_s(&w, 7, 0) == 0.0);
    w.min_ms = 3600000;
    assert_true(hn_wait_next_s(&w, 7, 0) == 3600.0);
}

static void test_between_distribution(void **state)
{
    (void)state;
    enum { MIN = 100, MAX = 200, SPAN = MAX - MIN + 1 };
    struct hn_wait w = {.kind = HN_WAIT_BETWEEN, .min_ms = MIN, .max_ms = MAX};
    static uint32_t seen[SPAN];
    memset(seen, 0, sizeof(seen));
    double sum = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t ms = whole_ms(hn_wait_next_s(&w, test_rng_next(), 0.5));
        if (ms < MIN || ms > MAX)
            fail_msg("draw %d: %llu ms outside [%d, %d]", i, (unsigned long long)ms, MIN, MAX);
        seen[ms - MIN]++;
        sum += (double)ms;
    }
    /* Mean of a uniform integer on [100, 200] is 150; the standard error
     * over 100k draws is ~0.09 ms, so 0.5 ms is a 5-sigma tolerance. */
    double mean = sum / DRAWS;
    if (fabs(mean - 150.0) > 0.5)
        fail_msg("mean %.3f ms, want 150 +- 0.5", mean);
    assert_true(seen[0] > 0);        /* min reached */
    assert_true(seen[SPAN - 1] > 0); /* max reached */
    /* Every value about equally often: ~990 each, sd ~31; 20 % is 6 sigma. */
    double expect = (double)DRAWS / SPAN;
    for (int v = 0; v < SPAN; v++)
        if (fabs((double)seen[v] - expect) > 0.2 * expect)
            fail_msg("%d ms drawn %u times, expected ~%.0f", MIN + v, seen[v], expect);
}

static void test_between_edges(void **state)
{
    (void)state;
    struct hn_wait w = {.kind = HN_WAIT_BETWEEN, .min_ms = 1000, .max_ms = 3000};
    /* The random number maps onto the range end to end. */
    assert_int_equal(whole_ms(hn_wait_next_s(&w, 0, 0)), 1000);
    assert_int_equal(whole_ms(hn_wait_next_s(&w, 2000, 0)), 3000);
    assert_int_equal(whole_ms(hn_wait_next_s(&w, 2001, 0)), 1000);
    uint64_t top = whole_ms(hn_wait_next_s(&w, UINT64_MAX, 0));
    assert_true(top >= 1000 && top <= 3000);
    /* A one-value range is a constant. */
    w.max_ms = 1000;
    assert_int_equal(whole_ms(hn_wait_next_s(&w, test_rng_next(), 0)), 1000);
    /* An inverted range (rejected by hn_scenario_finalize) stays at min
     * instead of wrapping around to a huge wait. */
    w.max_ms = 10;
    for (int i = 0; i < 100; i++)
        assert_int_equal(whole_ms(hn_wait_next_s(&w, test_rng_next(), 0)), 1000);
    /* The full 64-bit range must not divide by zero. */
    w.min_ms = 0;
    w.max_ms = UINT64_MAX;
    double s = hn_wait_next_s(&w, 123456789, 0);
    assert_true(s >= 0 && isfinite(s));
}

static void test_pacing(void **state)
{
    (void)state;
    struct hn_wait w = {.kind = HN_WAIT_PACING, .min_ms = 2000};
    /* What is left of the period... */
    assert_true(fabs(hn_wait_next_s(&w, 1, 0.0) - 2.0) < 1e-12);
    assert_true(fabs(hn_wait_next_s(&w, 1, 0.5) - 1.5) < 1e-12);
    assert_true(fabs(hn_wait_next_s(&w, 1, 1.999) - 0.001) < 1e-9);
    /* ...and nothing when the iteration took the period or longer. */
    assert_true(hn_wait_next_s(&w, 1, 2.0) == 0.0);
    assert_true(hn_wait_next_s(&w, 1, 2.001) == 0.0);
    assert_true(hn_wait_next_s(&w, 1, 1e9) == 0.0);
    /* Never negative, never more than the period, whatever the duration. */
    for (int i = 0; i < DRAWS; i++) {
        double elapsed = (double)(test_rng_next() % 5000000) / 1e6; /* 0 .. 5 s */
        double s = hn_wait_next_s(&w, test_rng_next(), elapsed);
        if (s < 0 || s > 2.0)
            fail_msg("pacing wait %.6f s after %.6f s", s, elapsed);
        if (elapsed < 2.0 && fabs(s + elapsed - 2.0) > 1e-9)
            fail_msg("pacing: %.6f s + %.6f s is not the period", s, elapsed);
    }
    /* A zero period paces nothing. */
    w.min_ms = 0;
    assert_true(hn_wait_next_s(&w, 1, 0.0) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_between_distribution),
        cmocka_unit_test(test_between_edges),
        cmocka_unit_test(test_pacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
