/* HDR-style log-linear latency histogram of microseconds.
 *
 * Values 0 µs .. HN_HIST_MAX_US (1 hour) are tracked with 3 significant
 * digits: every value maps to a bucket whose width is at most 1/1024 of the
 * value, so a reported percentile is within 0.1 % of the true one. Values
 * below 2048 µs are exact. The layout is a compile-time constant, which makes
 * merging exact (bucket-wise add) and lets bucket indices travel on the wire.
 *
 * Memory is fixed (struct hn_hist holds its counts inline, ~184 KiB);
 * recording is O(1) and never allocates. Not thread-safe: each engine thread
 * owns its histograms and hands them to the main thread when it swaps its
 * recorder, once a second (README.md, Design). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest trackable value: one hour in microseconds. Larger values are
 * clamped to it and counted in ->overflow. */
#define HN_HIST_MAX_US UINT64_C(3600000000)
/* log2 of half the number of sub-buckets per power-of-two bucket. 2^10 = 1024
 * half-range sub-buckets give a bucket width ≤ value/1024 (< 0.1 %). */
#define HN_HIST_SUB_BITS 10
#define HN_HIST_SUB_HALF (1u << HN_HIST_SUB_BITS)
#define HN_HIST_SUB_COUNT (2u * HN_HIST_SUB_HALF)
/* Power-of-two buckets needed so that 2048 << (BUCKETS - 1) > MAX_US. */
#define HN_HIST_BUCKETS 22u
/* Number of counters: (buckets + 1) * half sub-bucket count. */
#define HN_HIST_COUNTS_LEN ((HN_HIST_BUCKETS + 1u) * HN_HIST_SUB_HALF)

struct hn_hist {
    uint64_t total;    /* number of recorded values, overflow included */
    uint64_t overflow; /* values above HN_HIST_MAX_US (clamped into the top) */
    uint64_t min;      /* exact smallest value recorded (UINT64_MAX if empty) */
    uint64_t max;      /* exact largest value recorded (0 if empty), unclamped */
    uint64_t sum;      /* exact sum of values (clamped values add the clamp) */
    uint64_t counts[HN_HIST_COUNTS_LEN];
};

/* One non-empty bucket, as produced by the iterator. */
struct hn_hist_bucket {
    uint32_t index; /* counter index, < HN_HIST_COUNTS_LEN */
    uint64_t count; /* values in this bucket (> 0) */
    uint64_t low;   /* lowest value mapping to this bucket */
    uint64_t high;  /* highest value mapping to this bucket */
};

/* Iterator over non-empty buckets in increasing value order. */
struct hn_hist_iter {
    const struct hn_hist *hist;
    uint32_t next; /* next counter index to examine */
    uint32_t end;  /* one past the last index that can be non-empty */
};

/* Make *h empty. Caller owns the storage (may be static, stack or heap:
 * heap is advised, the struct is large). */
void hn_hist_init(struct hn_hist *h);

/* Allocate an empty histogram; NULL on out-of-memory. Free with hn_hist_free. */
struct hn_hist *hn_hist_new(void);
void hn_hist_free(struct hn_hist *h);

/* Empty *h again (same as hn_hist_init). */
void hn_hist_reset(struct hn_hist *h);

/* Record one value in microseconds. O(1), no allocation.
 * @return true if recorded as is, false if above HN_HIST_MAX_US: then it was
 *         clamped into the top bucket and counted in ->overflow (never lost). */
bool hn_hist_record(struct hn_hist *h, uint64_t value_us);

/* Record @count occurrences of one value (count 0 is a no-op). */
bool hn_hist_record_n(struct hn_hist *h, uint64_t value_us, uint64_t count);

/* Add every count of @src into @dst (exact: same layout, bucket-wise add).
 * min/max/sum/overflow merge accordingly. */
void hn_hist_merge(struct hn_hist *dst, const struct hn_hist *src);

/* Add @count values at counter @index and to ->total (used by the wire
 * codec, which has validated @index < HN_HIST_COUNTS_LEN). Does not touch
 * min/max/sum/overflow: the codec restores those from the wire. */
void hn_hist_add_at_index(struct hn_hist *h, uint32_t index, uint64_t count);

/* Counter index of a value (values above the range map to the top). */
uint32_t hn_hist_index_of(uint64_t value_us);
/* Lowest and highest values that map to counter @index. */
uint64_t hn_hist_lowest_at_index(uint32_t index);
uint64_t hn_hist_highest_at_index(uint32_t index);

static inline uint64_t hn_hist_count(const struct hn_hist *h)
{
    return h->total;
}
/* Exact min/max; 0 for an empty histogram. */
uint64_t hn_hist_min(const struct hn_hist *h);
uint64_t hn_hist_max(const struct hn_hist *h);
/* Exact arithmetic mean (from the exact sum); 0 when empty. */
double hn_hist_mean(const struct hn_hist *h);
/* Population standard deviation from bucket midpoints; 0 when empty. */
double hn_hist_stddev(const struct hn_hist *h);

/* Value at percentile @p in [0, 100], nearest-rank definition: the smallest
 * recorded value v such that at least p % of values are <= v. Reported as the
 * highest value of v's bucket, clamped to [min, max], so p=0 gives the exact
 * min, p=100 the exact max, and any other result is within 0.1 % above the
 * true value. 0 for an empty histogram. */
uint64_t hn_hist_percentile(const struct hn_hist *h, double p);

/* Iterate over non-empty buckets:
 *   struct hn_hist_iter it; struct hn_hist_bucket b;
 *   hn_hist_iter_init(&it, h);
 *   while (hn_hist_iter_next(&it, &b)) ...                                */
void hn_hist_iter_init(struct hn_hist_iter *it, const struct hn_hist *h);
bool hn_hist_iter_next(struct hn_hist_iter *it, struct hn_hist_bucket *out);

/* True if both histograms hold the same counts, total, overflow, min, max
 * and sum. */
bool hn_hist_equal(const struct hn_hist *a, const struct hn_hist *b);
