/* HDR-style log-linear histogram: index math, recording, merge, queries.
 * The index scheme is HdrHistogram's with lowest value 1 and 3 significant
 * digits, fixed at compile time (see hist.h). */
#include "hist.h"
#include "sat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hn_hist_init(struct hn_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

struct hn_hist *hn_hist_new(void)
{
    struct hn_hist *h = malloc(sizeof(*h));
    if (h)
        hn_hist_init(h);
    return h;
}

void hn_hist_free(struct hn_hist *h)
{
    free(h);
}

void hn_hist_reset(struct hn_hist *h)
{
    /* Only the span that can be non-empty needs clearing: a per-second reset
     * then touches a few cache lines instead of the whole 184 KiB. */
    if (h->total) {
        uint32_t lo = hn_hist_index_of(h->min), hi = hn_hist_index_of(h->max);
        memset(&h->counts[lo], 0, (size_t)(hi - lo + 1) * sizeof(h->counts[0]));
    }
    h->total = h->overflow = h->max = h->sum = 0;
    h->min = UINT64_MAX;
}

uint32_t hn_hist_index_of(uint64_t v)
{
    if (v > HN_HIST_MAX_US)
        v = HN_HIST_MAX_US;
    /* Power-of-two bucket: position of the highest set bit above the
     * sub-bucket range (values < 2048 all fall in bucket 0). */
    unsigned bucket =
        (unsigned)(63 - __builtin_clzll(v | (HN_HIST_SUB_COUNT - 1))) - HN_HIST_SUB_BITS;
    uint32_t sub = (uint32_t)(v >> bucket);
    return ((bucket + 1) << HN_HIST_SUB_BITS) + sub - HN_HIST_SUB_HALF;
}

uint64_t hn_hist_lowest_at_index(uint32_t index)
{
    uint32_t bucket_plus_1 = index >> HN_HIST_SUB_BITS;
    if (bucket_plus_1 == 0)
        return index; /* first half of bucket 0: exact */
    unsigned bucket = bucket_plus_1 - 1;
    uint64_t sub = (index & (HN_HIST_SUB_HALF - 1)) + HN_HIST_SUB_HALF;
    return sub << bucket;
}

uint64_t hn_hist_highest_at_index(uint32_t index)
{
    uint32_t bucket_plus_1 = index >> HN_HIST_SUB_BITS;
    unsigned bucket = bucket_plus_1 ? bucket_plus_1 - 1 : 0;
    return hn_hist_lowest_at_index(index) + (UINT64_C(1) << bucket) - 1;
}

bool hn_hist_record_n(struct hn_hist *h, uint64_t value_us, uint64_t count)
{
    if (count == 0)
        return true;
    bool in_range = value_us <= HN_HIST_MAX_US;
    uint64_t clamped = in_range ? value_us : HN_HIST_MAX_US;
    h->counts[hn_hist_index_of(clamped)] += count;
    h->total += count;
    h->sum += clamped * count;
    if (!in_range)
        h->overflow += count;
    if (value_us < h->min)
        h->min = value_us;
    if (value_us > h->max)
        h->max = value_us;
    return in_range;
}

bool hn_hist_record(struct hn_hist *h, uint64_t value_us)
{
    return hn_hist_record_n(h, value_us, 1);
}

void hn_hist_add_at_index(struct hn_hist *h, uint32_t index, uint64_t count)
{
    hn_sat_inc(&h->counts[index], count);
    hn_sat_inc(&h->total, count);
}

void hn_hist_merge(struct hn_hist *dst, const struct hn_hist *src)
{
    if (src->total == 0)
        return;
    uint32_t lo = hn_hist_index_of(src->min), hi = hn_hist_index_of(src->max);
    for (uint32_t i = lo; i <= hi; i++)
        hn_sat_inc(&dst->counts[i], src->counts[i]);
    hn_sat_inc(&dst->total, src->total);
    hn_sat_inc(&dst->overflow, src->overflow);
    hn_sat_inc(&dst->sum, src->sum);
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hn_hist_min(const struct hn_hist *h)
{
    return h->total ? h->min : 0;
}

uint64_t hn_hist_max(const struct hn_hist *h)
{
    return h->total ? h->max : 0;
}

double hn_hist_mean(const struct hn_hist *h)
{
    return h->total ? (double)h->sum / (double)h->total : 0.0;
}

double hn_hist_stddev(const struct hn_hist *h)
{
    if (h->total == 0)
        return 0.0;
    double mean = hn_hist_mean(h), acc = 0.0;
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    hn_hist_iter_init(&it, h);
    while (hn_hist_iter_next(&it, &b)) {
        double mid = ((double)b.low + (double)b.high) / 2.0;
        acc += (double)b.count * (mid - mean) * (mid - mean);
    }
    return sqrt(acc / (double)h->total);
}

uint64_t hn_hist_percentile(const struct hn_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (!(p > 0.0)) /* also catches NaN */
        return h->min;
    if (p >= 100.0)
        return h->max;
    /* Nearest rank: ceil(p/100 * N). The tiny relative slack keeps products
     * such as 99.9/100 * 10^6 = 999000.0000001 from rounding up a rank. */
    double exact = p / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)ceil(exact - exact * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    uint32_t lo = hn_hist_index_of(h->min), hi = hn_hist_index_of(h->max);
    for (uint32_t i = lo; i <= hi; i++) {
        hn_sat_inc(&seen, h->counts[i]);
        if (seen >= rank) {
            uint64_t v = hn_hist_highest_at_index(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max; /* unreachable when counts and total agree */
}

void hn_hist_iter_init(struct hn_hist_iter *it, const struct hn_hist *h)
{
    it->hist = h;
    if (h->total == 0) {
        it->next = it->end = 0;
        return;
    }
    it->next = hn_hist_index_of(h->min);
    it->end = hn_hist_index_of(h->max) + 1;
}

bool hn_hist_iter_next(struct hn_hist_iter *it, struct hn_hist_bucket *out)
{
    const uint64_t *counts = it->hist->counts;
    while (it->next < it->end) {
        uint32_t i = it->next++;
        if (counts[i]) {
            out->index = i;
            out->count = counts[i];
            out->low = hn_hist_lowest_at_index(i);
            out->high = hn_hist_highest_at_index(i);
            return true;
        }
    }
    return false;
}

bool hn_hist_equal(const struct hn_hist *a, const struct hn_hist *b)
{
    return a->total == b->total && a->overflow == b->overflow && a->sum == b->sum &&
           hn_hist_min(a) == hn_hist_min(b) && hn_hist_max(a) == hn_hist_max(b) &&
           memcmp(a->counts, b->counts, sizeof(a->counts)) == 0;
}
