/* Unit tests of worker/report_ring: the reports a worker keeps for a new
 * connection, oldest first, bounded by count and by bytes, each freed once
 * (AddressSanitizer's leak check sees the rest). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report_ring.h"

/* A malloc'd frame of @len bytes whose first byte is @tag. */
static void *frame(unsigned char tag, size_t len)
{
    unsigned char *p = malloc(len);
    assert_non_null(p);
    memset(p, 0, len);
    p[0] = tag;
    return p;
}

static unsigned char tag_at(const struct hn_report_ring *r, unsigned i)
{
    size_t len;
    const unsigned char *p = hn_report_ring_at(r, i, &len);
    assert_non_null(p);
    assert_true(len > 0);
    return p[0];
}

static void test_order_and_count(void **state)
{
    (void)state;
    struct hn_report_ring r = {0};
    assert_int_equal(hn_report_ring_count(&r), 0);
    size_t len = 1;
    assert_null(hn_report_ring_at(&r, 0, &len));
    assert_int_equal(len, 0);
    for (unsigned i = 1; i <= 3; i++)
        hn_report_ring_push(&r, frame((unsigned char)i, 10), 10);
    assert_int_equal(hn_report_ring_count(&r), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(tag_at(&r, i), i + 1);
    /* Past the count bound the oldest go, the order stays. */
    for (unsigned i = 4; i <= 2 * HN_REPORT_RING_MAX + 3; i++)
        hn_report_ring_push(&r, frame((unsigned char)i, 10), 10);
    assert_int_equal(hn_report_ring_count(&r), HN_REPORT_RING_MAX);
    for (unsigned i = 0; i < HN_REPORT_RING_MAX; i++)
        assert_int_equal(tag_at(&r, i), HN_REPORT_RING_MAX + 4 + i);
    assert_null(hn_report_ring_at(&r, HN_REPORT_RING_MAX, &len));
    hn_report_ring_clear(&r);
    assert_int_equal(hn_report_ring_count(&r), 0);
    /* Usable again after a clear. */
    hn_report_ring_push(&r, frame(7, 5), 5);
    assert_int_equal(hn_report_ring_count(&r), 1);
    assert_int_equal(tag_at(&r, 0), 7);
    hn_report_ring_clear(&r);
}

static void test_byte_bound(void **state)
{
    (void)state;
    struct hn_report_ring r = {0};
    size_t third = HN_REPORT_RING_BYTES_MAX / 3;
    for (unsigned i = 1; i <= 3; i++)
        hn_report_ring_push(&r, frame((unsigned char)i, third), third);
    assert_int_equal(hn_report_ring_count(&r), 3);
    /* One more does not fit beside all three: the oldest makes room. */
    hn_report_ring_push(&r, frame(4, third), third);
    assert_int_equal(hn_report_ring_count(&r), 3);
    assert_int_equal(tag_at(&r, 0), 2);
    assert_int_equal(tag_at(&r, 2), 4);
    /* One of exactly the bound is kept, alone. */
    hn_report_ring_push(&r, frame(10, HN_REPORT_RING_BYTES_MAX), HN_REPORT_RING_BYTES_MAX);
    assert_int_equal(hn_report_ring_count(&r), 1);
    assert_int_equal(tag_at(&r, 0), 10);
    /* A frame larger than the bound (a report may be up to 8 MiB) is kept
     * too, alone: the newest report always is. */
    hn_report_ring_push(&r, frame(9, HN_REPORT_RING_BYTES_MAX + 1), HN_REPORT_RING_BYTES_MAX + 1);
    assert_int_equal(hn_report_ring_count(&r), 1);
    assert_int_equal(tag_at(&r, 0), 9);
    hn_report_ring_push(&r, frame(11, 10), 10);
    assert_int_equal(hn_report_ring_count(&r), 1);
    assert_int_equal(tag_at(&r, 0), 11);
    /* NULL (an encoder that had nothing) is ignored. */
    hn_report_ring_push(&r, NULL, 0);
    assert_int_equal(hn_report_ring_count(&r), 1);
    hn_report_ring_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_count),
        cmocka_unit_test(test_byte_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
