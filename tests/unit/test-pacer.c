/* Unit tests of worker/pacer: iterations due exactly at base + k / rate (no
 * drift over a long run), a rate change that neither skips nor doubles an
 * iteration, classes sharing iterations by weight (exact within one), the
 * phase of a thread, rate 0, the tally of what the rates asked for. Time is
 * passed in, never read. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pacer.h"

/* Iterations due by @until, counting each class. */
static uint64_t take_until(struct hn_pacer *p, double until, uint64_t *per_class, double *last)
{
    uint64_t n = 0;
    double at;
    uint32_t c;
    while (hn_pacer_take(p, until, &at, &c)) {
        if (last) {
            assert_true(at >= *last); /* never out of order */
            *last = at;
        }
        if (per_class)
            per_class[c]++;
        n++;
    }
    return n;
}

static void test_exact_count_no_drift(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[1] = {1};
    double t0 = 1.7e9; /* ev_now()-like magnitudes: precision matters there */
    hn_pacer_set(&p, t0, 2000.0, w, 1);
    /* An hour at 2,000/s, taken in irregular bites as a loop would. */
    double t = t0, last = 0;
    uint64_t n = 0;
    for (int i = 0; t < t0 + 3600; i++) {
        t += 0.0007 + (i % 13) * 0.0011;
        n += take_until(&p, t, NULL, &last);
    }
    /* Due at t0, t0 + 1/2000, ...: those <= t. */
    uint64_t want = (uint64_t)floor((t - t0) * 2000.0 + 1e-6) + 1;
    assert_true(n == want || n + 1 == want || n == want + 1);
    /* The schedule itself: iteration k exactly at t0 + k / rate. */
    assert_true(fabs(hn_pacer_next_at(&p) - (t0 + (double)n / 2000.0)) < 1e-6);
}

static void test_intended_starts(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[1] = {1};
    hn_pacer_set(&p, 100.0, 10.0, w, 1);
    double at;
    uint32_t c;
    /* A late look finds every iteration due, each with its own time. */
    for (int k = 0; k < 5; k++) {
        assert_true(hn_pacer_take(&p, 100.45, &at, &c));
        assert_true(fabs(at - (100.0 + k * 0.1)) < 1e-9);
        assert_int_equal(c, 0);
    }
    assert_false(hn_pacer_take(&p, 100.45, &at, &c));
    assert_true(fabs(hn_pacer_next_at(&p) - 100.5) < 1e-9);
}

static void test_rate_change_keeps_progress(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[1] = {1};
    hn_pacer_set(&p, 0.0, 10.0, w, 1);
    assert_int_equal(take_until(&p, 0.0, NULL, NULL), 1); /* at 0 */
    /* At 0.05 half the interval to the next (due 0.1) has passed; at twice
     * the rate the remaining half interval is 0.025 s. */
    hn_pacer_set(&p, 0.05, 20.0, w, 1);
    assert_true(fabs(hn_pacer_next_at(&p) - 0.075) < 1e-9);
    /* Setting the same rate again (a TARGET resent) changes nothing. */
    hn_pacer_set(&p, 0.06, 20.0, w, 1);
    assert_true(fabs(hn_pacer_next_at(&p) - 0.075) < 1e-9);
    /* Over the next second at 20/s: 20 more. */
    assert_int_equal(take_until(&p, 1.074, NULL, NULL), 20);
    /* Rate 0: nothing due ever; back to a rate: the schedule resumes. */
    hn_pacer_set(&p, 1.08, 0, w, 1);
    assert_true(isinf(hn_pacer_next_at(&p)));
    assert_int_equal(take_until(&p, 1000.0, NULL, NULL), 0);
    hn_pacer_set(&p, 1000.0, 4.0, w, 1);
    assert_true(hn_pacer_next_at(&p) >= 1000.0 && hn_pacer_next_at(&p) <= 1000.25);
}

/* A rate change while iterations are overdue (the loop fell behind) keeps
 * them: none is lost, none is restamped later than it was due. And a rate
 * that differs in its last bits (700/s summed over a second of a plan) is
 * the same schedule. */
static void test_rate_change_when_late(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[1] = {1};
    double t0 = 1.7e9;
    hn_pacer_set(&p, t0, 1000.0, w, 1);
    assert_int_equal(take_until(&p, t0 + 0.5, NULL, NULL), 501);
    /* 20 ms behind: 20 iterations are due when the new rate comes. */
    double first_due = hn_pacer_next_at(&p);
    hn_pacer_set(&p, t0 + 0.52, 1000.0000001, w, 1);
    assert_true(hn_pacer_next_at(&p) == first_due);
    hn_pacer_set(&p, t0 + 0.52, 1000.5, w, 1);
    assert_true(hn_pacer_next_at(&p) == first_due); /* still due at its own time */
    uint64_t n = 501 + take_until(&p, t0 + 2.0, NULL, NULL);
    assert_true(n >= 2000 && n <= 2002);
}

/* A change dated before iterations this thread has already started (the
 * target arrived at 5.000; the thread started those due up to 5.045, then
 * took the target) does not make them due again: 100/s over (5, 6]. */
static void test_rate_change_dated_before_taken(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0.01);
    uint32_t w[1] = {1};
    double t0 = 1.7e9;
    hn_pacer_set(&p, t0, 100.0, w, 1);
    uint64_t before = take_until(&p, t0 + 5.0, NULL, NULL);
    uint64_t early = take_until(&p, t0 + 5.045, NULL, NULL);
    assert_int_equal(early, 5); /* due 5.0001, 5.0101, ... 5.0401 */
    hn_pacer_set(&p, t0 + 5.0, 100.5, w, 1);
    uint64_t later = take_until(&p, t0 + 6.0, NULL, NULL);
    assert_int_equal(before, 500);
    assert_true(early + later >= 99 && early + later <= 101);
}

static void test_weighted_classes(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[3] = {6, 3, 1};
    hn_pacer_set(&p, 0.0, 1000.0, w, 3);
    uint64_t per[3] = {0};
    double at;
    uint32_t c;
    for (uint64_t n = 1; n <= 10007; n++) {
        assert_true(hn_pacer_take(&p, 100.0, &at, &c));
        per[c]++;
        /* At every moment each class is within one of its exact share. */
        for (uint32_t k = 0; k < 3; k++)
            assert_true(fabs((double)per[k] - (double)n * w[k] / 10.0) <= 1.0);
    }
    /* A class of weight 0 gets nothing. */
    uint32_t w2[2] = {0, 5};
    hn_pacer_set(&p, 100.0, 1000.0, w2, 2);
    uint64_t per2[2] = {0};
    take_until(&p, 101.0, per2, NULL);
    assert_int_equal(per2[0], 0);
    assert_true(per2[1] >= 1000);
    /* No weight at all: nothing is due. */
    uint32_t w3[2] = {0, 0};
    hn_pacer_set(&p, 101.0, 1000.0, w3, 2);
    assert_true(isinf(hn_pacer_next_at(&p)));
}

/* The run's end: nothing due after it is handed out, however late the
 * caller asks (a STOP that comes late); iterations due before it still
 * are; a rate change keeps the end; INFINITY lifts it. */
static void test_end(void **state)
{
    (void)state;
    struct hn_pacer p;
    hn_pacer_init(&p, 0);
    uint32_t w[1] = {1};
    double t0 = 1.7e9;
    hn_pacer_set(&p, t0, 100, w, 1);
    hn_pacer_set_end(&p, t0 + 3.0);
    double last = 0;
    assert_int_equal(take_until(&p, t0 + 1.0, NULL, &last), 101); /* t0, t0 + 0.01 .. t0 + 1 */
    assert_int_equal(take_until(&p, t0 + 10.0, NULL, &last), 200); /* asked 7 s late */
    assert_true(last <= t0 + 3.0);
    assert_true(isinf(hn_pacer_next_at(&p)));
    hn_pacer_set(&p, t0 + 10.0, 50, w, 1); /* a new rate: the end holds */
    assert_int_equal(take_until(&p, t0 + 20.0, NULL, NULL), 0);
    hn_pacer_set_end(&p, INFINITY);
    assert_true(take_until(&p, t0 + 20.0, NULL, NULL) > 0);
}

/* The tally: what the rates asked for from the first change to a time
 * (rate × time over each rate, the end capping it) is what the schedule
 * handed out within one, whatever the phase, however late the caller took
 * iterations or changed the rate; a zero rate asks for none. */
static void test_tally(void **state)
{
    (void)state;
    uint32_t w[1] = {1};
    double t0 = 1.7e9;
    for (int i = 0; i < 40; i++) {
        bool late = i % 2; /* the change at t0 + 1.3 finds iterations due */
        struct hn_pacer p;
        hn_pacer_init(&p, i / 40.0);
        assert_true(hn_pacer_asked(&p, t0) == 0);
        hn_pacer_set(&p, t0, 0, w, 1); /* the first TARGET: no rate yet */
        assert_true(p.from == t0);
        hn_pacer_set(&p, t0 + 0.5, 100, w, 1);
        take_until(&p, late ? t0 + 1.23 : t0 + 1.3, NULL, NULL);
        hn_pacer_set(&p, t0 + 1.3, 333.3, w, 1);
        take_until(&p, t0 + 2.0, NULL, NULL);
        hn_pacer_set(&p, t0 + 2.0, 7, w, 1);
        hn_pacer_set_end(&p, t0 + 4.0);
        take_until(&p, t0 + 9.0, NULL, NULL); /* after the end */
        double asked = hn_pacer_asked(&p, t0 + 9.0), want = 0.8 * 100 + 0.7 * 333.3 + 2 * 7;
        /* Late, the new rate applies from the first iteration already due
         * (up to 0.07 s earlier): the schedule's own time, tallied as such. */
        assert_true(late ? want < asked && asked < want + 0.07 * 333.3 : fabs(asked - want) < 1e-3);
        assert_true(fabs((double)p.due - asked) <= 1.0 + 1e-3);
    }
}

static void test_phase(void **state)
{
    (void)state;
    /* Two threads at 5/s each, phases 0 and 1/2: they interleave. */
    struct hn_pacer a, b;
    uint32_t w[1] = {1};
    hn_pacer_init(&a, 0);
    hn_pacer_init(&b, 0.5);
    hn_pacer_set(&a, 10.0, 5.0, w, 1);
    hn_pacer_set(&b, 10.0, 5.0, w, 1);
    assert_true(fabs(hn_pacer_next_at(&a) - 10.0) < 1e-9);
    assert_true(fabs(hn_pacer_next_at(&b) - 10.1) < 1e-9);
    /* A phase out of range is 0. */
    hn_pacer_init(&a, 7.0);
    hn_pacer_set(&a, 0.0, 1.0, w, 1);
    assert_true(fabs(hn_pacer_next_at(&a)) < 1e-9);
}

/* A fleet of workers sharing a rate: each worker's thread takes its phase
 * with hn_pacer_phase from its own random bits. Over many fleets the count
 * is the plan's on average (one phase for all ran one more per worker: 10
 * workers at 3/s for 5 s ran 20, not 15), and a thread stays in its slot. */
static void test_fleet_phases(void **state)
{
    (void)state;
    enum { WORKERS = 10, FLEETS = 2000 };
    uint32_t w[1] = {1};
    uint64_t bits = 0x9E3779B97F4A7C15u, total = 0, most = 0;
    for (int f = 0; f < FLEETS; f++) {
        uint64_t fleet = 0;
        for (int k = 0; k < WORKERS; k++) {
            bits = bits * 6364136223846793005u + 1442695040888963407u;
            struct hn_pacer p;
            hn_pacer_init(&p, hn_pacer_phase(0, 1, bits));
            hn_pacer_set(&p, 100.0, 3.0 / WORKERS, w, 1);
            hn_pacer_set_end(&p, 105.0);
            fleet += take_until(&p, 200.0, NULL, NULL);
        }
        total += fleet;
        most = fleet > most ? fleet : most;
    }
    double mean = (double)total / FLEETS;
    assert_true(mean > 14.8 && mean < 15.2); /* 15 planned; 20 with one phase */
    assert_true(most < 20 + 1);
    for (uint32_t i = 0; i < 4; i++)
        for (uint64_t r = 0; r < 64; r++) {
            double ph = hn_pacer_phase(i, 4, r * 0x0123456789ABCDEFu);
            assert_true(ph >= i / 4.0 && ph < (i + 1) / 4.0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_count_no_drift),
        cmocka_unit_test(test_intended_starts),
        cmocka_unit_test(test_rate_change_keeps_progress),
        cmocka_unit_test(test_rate_change_when_late),
        cmocka_unit_test(test_rate_change_dated_before_taken),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_tally),
        cmocka_unit_test(test_weighted_classes),
        cmocka_unit_test(test_phase),
        cmocka_unit_test(test_fleet_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
