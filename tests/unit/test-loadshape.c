/* Unit tests of common/loadshape: users over time through stages (spawn
 * rates, even ramps, per-class targets, the last stage holding), the open
 * model's rate and its exact integral (the count a run must reach), and the
 * named shapes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "loadshape.h"

static struct hn_load_shape *shape(void)
{
    struct hn_load_shape *sh = calloc(1, sizeof(*sh));
    assert_non_null(sh);
    return sh;
}

static struct hn_stage *stage(struct hn_load_shape *sh, uint64_t ms, uint32_t total, double rate)
{
    struct hn_stage *st = &sh->stages[sh->n_stages++];
    st->duration_ms = ms;
    st->total = total;
    st->spawn_rate = rate;
    return st;
}

static uint32_t users1(const struct hn_load_shape *sh, uint64_t t_ms)
{
    uint32_t one = 1, out;
    hn_shape_users(sh, &one, 1, t_ms, &out);
    return out;
}

static void test_stages_with_spawn_rates(void **state)
{
    (void)state;
    struct hn_load_shape *sh = shape();
    stage(sh, 30000, 10, 5);  /* 0..2 s ramp at 5/s, hold 10 */
    stage(sh, 60000, 50, 10); /* 30..34 s ramp to 50, hold */
    stage(sh, 30000, 0, 10);  /* 90..95 s ramp down */
    assert_int_equal(hn_shape_duration_ms(sh), 120000);
    assert_int_equal(users1(sh, 0), 0);
    assert_int_equal(users1(sh, 1000), 5);
    assert_int_equal(users1(sh, 2000), 10);
    assert_int_equal(users1(sh, 29999), 10);
    assert_int_equal(users1(sh, 31000), 20);
    assert_int_equal(users1(sh, 34000), 50);
    assert_int_equal(users1(sh, 89999), 50);
    assert_int_equal(users1(sh, 92000), 30);
    assert_int_equal(users1(sh, 95000), 0);
    assert_int_equal(users1(sh, 200000), 0); /* after the last: it holds */
    uint32_t one = 1;
    assert_true(hn_shape_spawn_rate(sh, &one, 1, 1000) == 5);
    assert_true(hn_shape_spawn_rate(sh, &one, 1, 40000) == 10);
    free(sh);
}

static void test_even_ramp_without_rate(void **state)
{
    (void)state;
    struct hn_load_shape *sh = shape();
    stage(sh, 10000, 100, 0); /* 0 -> 100 evenly over 10 s */
    stage(sh, 10000, 100, 0); /* hold */
    stage(sh, 20000, 0, 0);   /* 100 -> 0 over 20 s */
    assert_int_equal(users1(sh, 0), 0);
    assert_int_equal(users1(sh, 2500), 25);
    assert_int_equal(users1(sh, 10000), 100);
    assert_int_equal(users1(sh, 15000), 100);
    assert_int_equal(users1(sh, 30000), 50);
    assert_int_equal(users1(sh, 40000), 0);
    uint32_t one = 1;
    /* The rate its ramp takes: 100 users over 10 s. */
    assert_true(fabs(hn_shape_spawn_rate(sh, &one, 1, 5000) - 10.0) < 1e-9);
    assert_true(fabs(hn_shape_spawn_rate(sh, &one, 1, 25000) - 5.0) < 1e-9);
    /* A hold has nothing to ramp: at least 1/s. */
    assert_true(hn_shape_spawn_rate(sh, &one, 1, 12000) >= 1.0);
    free(sh);
}

static void test_per_class_and_weights(void **state)
{
    (void)state;
    struct hn_load_shape *sh = shape();
    stage(sh, 10000, 40, 1e9); /* at once, split 3:1 */
    struct hn_stage *st = stage(sh, 10000, 0, 1e9);
    st->per_class = true;
    st->users[0] = 2;
    st->users[1] = 8;
    uint32_t w[2] = {3, 1}, out[2];
    hn_shape_users(sh, w, 2, 5000, out);
    assert_int_equal(out[0], 30);
    assert_int_equal(out[1], 10);
    hn_shape_users(sh, w, 2, 15000, out);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 8);
    /* A total among per-class stages is split so the classes add up to it:
     * 5 over 1:1 is 3 + 2, 4 over three equal classes 2 + 1 + 1. */
    stage(sh, 10000, 5, 1e9);
    uint32_t even[3] = {1, 1, 1}, out3[3];
    hn_shape_users(sh, even, 2, 25000, out);
    assert_int_equal(out[0] + out[1], 5);
    assert_int_equal(out[0], 3);
    sh->stages[2].total = 4;
    hn_shape_users(sh, even, 3, 25000, out3);
    assert_int_equal(out3[0] + out3[1] + out3[2], 4);
    assert_int_equal(out3[0], 2);
    free(sh);
}

/* The open model's rate at @t_ms (>= 1), as the master's count of
 * iterations gives it: iterations started from 1 ms before to 1 ms after,
 * per second (exact on a linear ramp). */
static double rate_at(const struct hn_load_shape *sh, uint64_t t_ms)
{
    return (hn_shape_iterations(sh, t_ms + 1) - hn_shape_iterations(sh, t_ms - 1)) * 500.0;
}

static void test_arrival_rate_and_count(void **state)
{
    (void)state;
    struct hn_load_shape *sh = shape();
    sh->open = true;
    sh->n_stages = 3;
    sh->arrivals[0] = (struct hn_arrival_stage){60000, 100}; /* constant 100/s */
    sh->arrivals[1] = (struct hn_arrival_stage){60000, 500}; /* ramp 100 -> 500 */
    sh->arrivals[2] = (struct hn_arrival_stage){30000, 0};   /* ramp down to 0 */
    assert_true(fabs(rate_at(sh, 1) - 100) < 1e-6);
    assert_true(fabs(rate_at(sh, 30000) - 100) < 1e-6);
    assert_true(fabs(rate_at(sh, 90000) - 300) < 1e-6);
    assert_true(fabs(rate_at(sh, 135000) - 250) < 1e-6);
    /* The exact integral: 6,000 + 18,000 + 7,500 iterations. */
    assert_true(fabs(hn_shape_iterations(sh, 60000) - 6000) < 1e-6);
    assert_true(fabs(hn_shape_iterations(sh, 120000) - 24000) < 1e-6);
    assert_true(fabs(hn_shape_iterations(sh, 150000) - 31500) < 1e-6);
    assert_true(fabs(hn_shape_iterations(sh, 500000) - 31500) < 1e-6); /* the last rate (0) holds */
    /* Summed second by second, as the master sends them, nothing is lost
     * to rounding: the plan's count exactly. */
    double sum = 0;
    for (uint64_t t = 0; t < 150000; t += 1000)
        sum += hn_shape_iterations(sh, t + 1000) - hn_shape_iterations(sh, t);
    assert_true(fabs(sum - 31500) < 1e-6);
    /* A start rate ramps into the first stage. */
    sh->has_start_rate = true;
    sh->start_rate = 0;
    assert_true(fabs(rate_at(sh, 1) - 100.0 / 60000) < 1e-6); /* 0/s at 0, 100/s at 60 s */
    assert_true(fabs(rate_at(sh, 30000) - 50) < 1e-6);
    assert_true(fabs(hn_shape_iterations(sh, 60000) - 3000) < 1e-6);
    free(sh);
}

static void test_named_shapes(void **state)
{
    (void)state;
    struct hn_load_shape *sh = shape();
    char why[160];
    struct hn_shape_params p = {.users = 100, .steps = 4, .step_ms = 60000, .rate = 10};
    assert_int_equal(hn_shape_named("step", &p, sh, why, sizeof(why)), 0);
    assert_int_equal(sh->n_stages, 4);
    assert_int_equal(sh->stages[0].total, 25);
    assert_int_equal(sh->stages[3].total, 100);
    assert_int_equal(hn_shape_duration_ms(sh), 240000);

    p = (struct hn_shape_params){.users = 10, .peak = 200, .step_ms = 60000, .spike_ms = 30000};
    assert_int_equal(hn_shape_named("spike", &p, sh, why, sizeof(why)), 0);
    assert_int_equal(sh->n_stages, 3);
    assert_int_equal(users1(sh, 59000), 10);
    assert_int_equal(users1(sh, 60001), 200); /* at once without a rate */
    assert_int_equal(users1(sh, 90001), 10);

    p = (struct hn_shape_params){.users = 50, .ramp_ms = 10000, .hold_ms = 3600000};
    assert_int_equal(hn_shape_named("soak", &p, sh, why, sizeof(why)), 0);
    assert_int_equal(hn_shape_duration_ms(sh), 3620000);
    assert_int_equal(users1(sh, 5000), 25);
    assert_int_equal(users1(sh, 1000000), 50);
    assert_int_equal(users1(sh, 3615000), 25);

    /* Missing or contradictory parameters are refused with a reason. */
    p = (struct hn_shape_params){.users = 10, .peak = 5, .step_ms = 1000, .spike_ms = 1000};
    assert_int_equal(hn_shape_named("spike", &p, sh, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "peak must be above users"));
    p = (struct hn_shape_params){.users = 10};
    assert_int_equal(hn_shape_named("step", &p, sh, why, sizeof(why)), HN_E_INVALID);
    assert_int_equal(hn_shape_named("soak", &p, sh, why, sizeof(why)), HN_E_INVALID);
    assert_int_equal(hn_shape_named("ramp", &p, sh, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "unknown shape"));
    free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_with_spawn_rates),
        cmocka_unit_test(test_even_ramp_without_rate),
        cmocka_unit_test(test_per_class_and_weights),
        cmocka_unit_test(test_arrival_rate_and_count),
        cmocka_unit_test(test_named_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
