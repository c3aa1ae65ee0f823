/* Unit tests of master/distribute: largest-remainder splits of users over
 * classes and workers, spread across hosts first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <math.h>
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
        hn_distribute_workers(classes, 2, hosts, 4, NULL, s);
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
    hn_distribute_workers((uint32_t[]){2}, 1, hosts, 3, NULL, s);
    assert_int_equal(s[0].users[0] + s[1].users[0], 1);
    assert_int_equal(s[2].users[0], 1);
    /* One user: the first worker gets it. */
    hn_distribute_workers((uint32_t[]){1}, 1, hosts, 3, NULL, s);
    assert_int_equal(s[0].users[0] + s[1].users[0] + s[2].users[0], 1);
}

/* A class whose count does not change keeps its split whatever the other
 * classes do (moving a user stops it on one worker and starts it on
 * another: on_start again, a new unique data row); a class that grows
 * never takes a user off a worker, one that shrinks never adds one. Before,
 * each class's extra users went where the previous class's had stopped:
 * a: 1 -> 2 moved one of b's 3 users between 2 workers. */
static void test_workers_stable(void **state)
{
    (void)state;
    enum { W = 3, C = 3 };
    uint32_t hosts[W] = {0, 1, 0};
    struct hn_share prev[W], now[W];
    uint32_t users[C] = {1, 3, 0};
    hn_distribute_workers((uint32_t[]){1, 3}, 2, hosts, 2, NULL, prev);
    uint32_t b0 = prev[0].users[1], b1 = prev[1].users[1];
    for (uint32_t a = 2; a < 6; a++) {
        hn_distribute_workers((uint32_t[]){a % 2 ? 1 : 2, 3}, 2, hosts, 2, prev, now);
        assert_int_equal(now[0].users[1], b0);
        assert_int_equal(now[1].users[1], b1);
        memcpy(prev, now, sizeof(now));
    }
    hn_distribute_workers(users, C, hosts, W, NULL, prev);
    uint64_t rng = 42;
    for (int step = 0; step < 2000; step++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        uint32_t c = (uint32_t)(rng >> 33) % C, old = users[c];
        uint32_t delta = (uint32_t)(rng >> 40) % 5;
        users[c] = (rng >> 50) & 1 ? old + delta : (old > delta ? old - delta : 0);
        hn_distribute_workers(users, C, hosts, W, prev, now);
        for (uint32_t k = 0; k < C; k++) {
            uint32_t sum = 0, lo = UINT32_MAX, hi = 0;
            for (int w = 0; w < W; w++) {
                uint32_t u = now[w].users[k], was = prev[w].users[k];
                sum += u;
                lo = u < lo ? u : lo;
                hi = u > hi ? u : hi;
                if (k != c)
                    assert_int_equal(u, was);
                else if (users[c] >= old)
                    assert_true(u >= was);
                else
                    assert_true(u <= was);
            }
            assert_int_equal(sum, users[k]);
            assert_true(hi - lo <= 1);
        }
        for (int w = 0; w < W; w++)
            assert_int_equal(now[w].total, now[w].users[0] + now[w].users[1] + now[w].users[2]);
        memcpy(prev, now, sizeof(now));
    }
}

/* A worker joins a steady 20 users over 2 workers: 3 users move from each
 * to it. It starts its 6 as fast as the two stop their 3 each, so the
 * total stays 20 (at spawn_rate / 3 each, the two stopped theirs in 4.5 s
 * and it took 9 s to start 6: 20 -> 17 -> 20 over 9 s, as an audit saw).
 * A ramp keeps the plan's rate in all; a worker with no change keeps a
 * share of it (it may still be converging). */
static void test_spawn_rates(void **state)
{
    (void)state;
    struct hn_share before[3] = {{.total = 10}, {.total = 10}, {.total = 0}};
    struct hn_share after[3] = {{.total = 7}, {.total = 7}, {.total = 6}};
    double rate[3];
    hn_distribute_spawn_rates(before, after, 3, 2.0, rate);
    assert_true(fabs(rate[2] - 2.0) < 1e-9);
    assert_true(fabs(rate[0] - 1.0) < 1e-9 && fabs(rate[1] - 1.0) < 1e-9);
    /* time to start = time to stop: the total never dips */
    assert_true(fabs(6 / rate[2] - 3 / rate[0]) < 1e-9);
    /* a ramp of 10 users over 2 workers at 10/s: 5/s each, 10/s in all */
    struct hn_share b2[2] = {{.total = 20}, {.total = 20}}, a2[2] = {{.total = 25}, {.total = 25}};
    hn_distribute_spawn_rates(b2, a2, 2, 10.0, rate);
    assert_true(fabs(rate[0] - 5.0) < 1e-9 && fabs(rate[1] - 5.0) < 1e-9);
    /* nothing changes: each keeps rate / workers */
    hn_distribute_spawn_rates(b2, b2, 2, 10.0, rate);
    assert_true(fabs(rate[0] - 5.0) < 1e-9 && fabs(rate[1] - 5.0) < 1e-9);
    /* 0: no limit, as before */
    hn_distribute_spawn_rates(before, after, 3, 0.0, rate);
    assert_true(rate[0] == 0 && rate[1] == 0 && rate[2] == 0);
}

/* Capacities: a worker never gets more users than it offers; its excess
 * goes to the others, and what nobody can hold is said. */
static void test_capacity(void **state)
{
    (void)state;
    struct hn_share s[3];
    uint32_t hosts[3] = {0, 1, 2};
    hn_distribute_workers((uint32_t[]){30}, 1, hosts, 3, NULL, s);
    assert_int_equal(hn_distribute_cap(s, 3, (uint32_t[]){5, 0, 0}, 1), 0);
    assert_int_equal(s[0].total, 5);
    assert_int_equal(s[0].users[0], 5);
    assert_int_equal(s[1].total + s[2].total, 25);
    assert_true(s[1].total >= 12 && s[2].total >= 12);

    hn_distribute_workers((uint32_t[]){30}, 1, hosts, 3, NULL, s);
    assert_int_equal(hn_distribute_cap(s, 3, (uint32_t[]){5, 5, 5}, 1), 15);
    for (int i = 0; i < 3; i++)
        assert_int_equal(s[i].total, 5);

    /* Two classes: class totals are kept when the room suffices. */
    hn_distribute_workers((uint32_t[]){40, 20}, 2, hosts, 3, NULL, s);
    assert_int_equal(hn_distribute_cap(s, 3, (uint32_t[]){10, 100, 25}, 2), 0);
    uint32_t c0 = 0, c1 = 0;
    for (int i = 0; i < 3; i++) {
        c0 += s[i].users[0], c1 += s[i].users[1];
        assert_int_equal(s[i].total, s[i].users[0] + s[i].users[1]);
    }
    assert_int_equal(c0, 40);
    assert_int_equal(c1, 20);
    assert_true(s[0].total <= 10 && s[2].total <= 25);

    /* Fits already: left exactly as split. */
    hn_distribute_workers((uint32_t[]){7}, 1, hosts, 3, NULL, s);
    struct hn_share before[3];
    memcpy(before, s, sizeof(s));
    assert_int_equal(hn_distribute_cap(s, 3, (uint32_t[]){3, 3, 0}, 1), 0);
    assert_memory_equal(before, s, sizeof(s));

    /* A billion users over two workers of 1000: 2000 run. */
    hn_distribute_workers((uint32_t[]){1000000000}, 1, hosts, 2, NULL, s);
    assert_int_equal(hn_distribute_cap(s, 2, (uint32_t[]){1000, 1000}, 1), 1000000000 - 2000);
    assert_int_equal(s[0].total + s[1].total, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes_by_weight), cmocka_unit_test(test_workers_sum_and_balance),
        cmocka_unit_test(test_hosts_first),       cmocka_unit_test(test_workers_stable),
        cmocka_unit_test(test_spawn_rates),       cmocka_unit_test(test_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
