/* Unit tests of common/hist: index layout, accuracy against sorted data,
 * exact merge, exact min/max, overflow accounting, reset and iteration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "test-rng.h"

#define N_VALUES 1000000

/* Log-normal latency: median ~20 ms, heavy tail reaching seconds. */
static uint64_t lognormal_us(void)
{
    return test_rng_lognormal(20000.0, 1.2);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_index_layout(void **state)
{
    (void)state;
    /* Every counter's range is contiguous with the next and the width is
     * within 1/1024 of its lowest value (the 0.1 % guarantee). */
    uint32_t top = hn_hist_index_of(HN_HIST_MAX_US);
    assert_true(top < HN_HIST_COUNTS_LEN);
    for (uint32_t i = 0; i < top; i++) {
        uint64_t lo = hn_hist_lowest_at_index(i), hi = hn_hist_highest_at_index(i);
        assert_true(lo <= hi);
        assert_int_equal(hn_hist_lowest_at_index(i + 1), hi + 1);
        assert_int_equal(hn_hist_index_of(lo), i);
        assert_int_equal(hn_hist_index_of(hi), i);
        if (lo >= 2048)
            assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 1024.0);
    }
    for (uint64_t v = 0; v < 2048; v++)
        assert_int_equal(hn_hist_lowest_at_index(hn_hist_index_of(v)), v);
    assert_true(hn_hist_index_of(HN_HIST_MAX_US) < HN_HIST_COUNTS_LEN);
    assert_int_equal(hn_hist_index_of(UINT64_MAX), hn_hist_index_of(HN_HIST_MAX_US));
}

static void test_percentiles_within_0_1_percent(void **state)
{
    (void)state;
    uint64_t *values = malloc(N_VALUES * sizeof(*values));
    struct hn_hist *h = hn_hist_new();
    assert_non_null(values);
    assert_non_null(h);
    for (size_t i = 0; i < N_VALUES; i++) {
        values[i] = lognormal_us();
        assert_true(hn_hist_record(h, values[i]));
    }
    qsort(values, N_VALUES, sizeof(*values), cmp_u64);
    assert_int_equal(hn_hist_count(h), N_VALUES);
    assert_int_equal(hn_hist_min(h), values[0]);
    assert_int_equal(hn_hist_max(h), values[N_VALUES - 1]);

    static const double pcts[] = {50, 90, 99, 99.9, 99.99, 100, 0.1, 66, 75, 95, 98};
    double worst = 0;
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        size_t rank = (size_t)ceil(pcts[k] / 100.0 * N_VALUES - 1e-6);
        uint64_t exact = values[rank - 1];
        uint64_t got = hn_hist_percentile(h, pcts[k]);
        double rel = fabs((double)got - (double)exact) / (double)exact;
        if (rel > worst)
            worst = rel;
        if (rel > 0.001)
            fail_msg("p%g: got %llu, exact %llu (rel %.6f)", pcts[k], (unsigned long long)got,
                     (unsigned long long)exact, rel);
    }
    print_message("worst relative percentile error over 10^6 log-normal values: %.5f %%\n",
                  worst * 100);

    long double sum = 0;
    for (size_t i = 0; i < N_VALUES; i++)
        sum += values[i];
    assert_true(fabs(hn_hist_mean(h) - (double)(sum / N_VALUES)) < 1e-6 * hn_hist_mean(h));
    long double var = 0, mean = sum / N_VALUES;
    for (size_t i = 0; i < N_VALUES; i++)
        var += (values[i] - mean) * (values[i] - mean);
    double sd = sqrt((double)(var / N_VALUES));
    assert_true(fabs(hn_hist_stddev(h) - sd) < 0.001 * sd);
    hn_hist_free(h);
    free(values);
}

static void test_merge_partitions_is_exact(void **state)
{
    (void)state;
    enum { K = 7, N = 200000 };
    struct hn_hist *all = hn_hist_new(), *merged = hn_hist_new(), *part[K];
    for (int k = 0; k < K; k++)
        part[k] = hn_hist_new();
    for (int i = 0; i < N; i++) {
        uint64_t v = lognormal_us();
        if (i % 1000 == 0)
            v = HN_HIST_MAX_US + test_rng_next() % 1000000; /* some overflow */
        hn_hist_record(all, v);
        hn_hist_record(part[test_rng_next() % K], v);
    }
    for (int k = 0; k < K; k++)
        hn_hist_merge(merged, part[k]);
    assert_true(hn_hist_equal(all, merged));
    assert_int_equal(merged->overflow, all->overflow);
    for (double p = 0; p <= 100; p += 0.5)
        assert_int_equal(hn_hist_percentile(all, p), hn_hist_percentile(merged, p));
    /* Merging an empty histogram changes nothing. */
    struct hn_hist *empty = hn_hist_new();
    hn_hist_merge(merged, empty);
    assert_true(hn_hist_equal(all, merged));
    /* A deliberately different histogram must not compare equal. */
    hn_hist_record(merged, 1234);
    assert_false(hn_hist_equal(all, merged));
    for (int k = 0; k < K; k++)
        hn_hist_free(part[k]);
    hn_hist_free(all);
    hn_hist_free(merged);
    hn_hist_free(empty);
}

static void test_overflow_is_counted_not_lost(void **state)
{
    (void)state;
    struct hn_hist *h = hn_hist_new();
    assert_true(hn_hist_record(h, 5));
    assert_false(hn_hist_record(h, HN_HIST_MAX_US + 1));
    assert_false(hn_hist_record(h, UINT64_MAX / 4));
    assert_int_equal(hn_hist_count(h), 3);
    assert_int_equal(h->overflow, 2);
    assert_int_equal(hn_hist_max(h), UINT64_MAX / 4);
    assert_int_equal(hn_hist_percentile(h, 100), UINT64_MAX / 4);
    assert_int_equal(hn_hist_percentile(h, 50),
                     hn_hist_highest_at_index(hn_hist_index_of(HN_HIST_MAX_US)));
    assert_int_equal(h->sum, 5 + 2 * HN_HIST_MAX_US);
    hn_hist_free(h);
}

static void test_empty_reset_and_iteration(void **state)
{
    (void)state;
    struct hn_hist *h = hn_hist_new();
    assert_int_equal(hn_hist_min(h), 0);
    assert_int_equal(hn_hist_max(h), 0);
    assert_int_equal(hn_hist_percentile(h, 99), 0);
    assert_true(hn_hist_mean(h) == 0.0);

    static const uint64_t vals[] = {0, 1, 1, 2047, 2048, 2049, 100000, 100050, 3000000};
    size_t n = sizeof(vals) / sizeof(vals[0]);
    for (size_t i = 0; i < n; i++)
        hn_hist_record(h, vals[i]);
    assert_int_equal(hn_hist_min(h), 0);
    assert_int_equal(hn_hist_max(h), 3000000);
    assert_int_equal(hn_hist_percentile(h, 0), 0);
    assert_int_equal(hn_hist_percentile(h, 30), 1); /* rank 3 of 9 */

    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    uint64_t seen = 0, prev_high = 0;
    int buckets = 0;
    hn_hist_iter_init(&it, h);
    while (hn_hist_iter_next(&it, &b)) {
        assert_true(b.count > 0);
        assert_true(buckets == 0 || b.low > prev_high);
        prev_high = b.high;
        seen += b.count;
        buckets++;
    }
    assert_int_equal(seen, n);
    /* 1 twice, 2048/2049 share a 2 µs bucket; 100000/100050 differ (64 µs). */
    assert_int_equal(buckets, 7);

    hn_hist_reset(h);
    struct hn_hist *fresh = hn_hist_new();
    assert_true(hn_hist_equal(h, fresh));
    for (uint32_t i = 0; i < HN_HIST_COUNTS_LEN; i++)
        assert_int_equal(h->counts[i], 0);
    hn_hist_iter_init(&it, h);
    assert_false(hn_hist_iter_next(&it, &b));
    hn_hist_free(fresh);
    hn_hist_free(h);
}

static void test_record_n(void **state)
{
    (void)state;
    struct hn_hist *a = hn_hist_new(), *b = hn_hist_new();
    for (int i = 0; i < 37; i++)
        hn_hist_record(a, 4242);
    hn_hist_record_n(b, 4242, 37);
    hn_hist_record_n(b, 99, 0);
    assert_true(hn_hist_equal(a, b));
    hn_hist_free(a);
    hn_hist_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_layout),
        cmocka_unit_test(test_percentiles_within_0_1_percent),
        cmocka_unit_test(test_merge_partitions_is_exact),
        cmocka_unit_test(test_overflow_is_counted_not_lost),
        cmocka_unit_test(test_empty_reset_and_iteration),
        cmocka_unit_test(test_record_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
