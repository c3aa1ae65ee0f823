/* Wire form of a histogram (struct hn_hist, common/hist.h): a msgpack array
 * [total, overflow, min, max, sum, buckets] where buckets is a bin of LEB128
 * varints holding only the non-empty counters. See PROTOCOL.md §5. */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

/* Number of msgpack elements in the histogram array. */
#define HN_HIST_WIRE_FIELDS 6

/* A decoded (and fully validated) wire histogram. @buckets points INTO the
 * frame it was decoded from: valid only while that buffer lives. Empty:
 * total = overflow = min = max = sum = 0 and buckets_len = 0. */
struct hn_hist_wire {
    uint64_t total;         /* number of values, overflow included */
    uint64_t overflow;      /* values above HN_HIST_MAX_US */
    uint64_t min;           /* exact smallest value (0 if empty) */
    uint64_t max;           /* exact largest value, unclamped (0 if empty) */
    uint64_t sum;           /* exact sum of (clamped) values */
    const uint8_t *buckets; /* varint bucket stream, see PROTOCOL.md */
    size_t buckets_len;
    uint32_t n_buckets; /* non-empty counters: set by hn_hist_codec_unpack (which
                           walks them anyway); 0 in a wire assembled by hand */
    bool present;       /* set by the message decoder: this timing was sent */
    /* The n_buckets counters, decoded (hn_hist_codec_unpack_into), or NULL
     * (then a merge decodes the bucket stream). */
    const uint16_t *index;
    const uint64_t *count;
};

/* Room for the decoded counters of wire histograms: hn_hist_codec_unpack_into
 * fills it while it validates, so that merging adds them without decoding
 * the varint stream a second time (that second walk was a fifth of what a
 * master spends on a snapshot). The caller owns the arrays, which must
 * outlive the wire histograms pointing into them. A stream of L bytes
 * holds at most L counters. */
struct hn_hist_pairs {
    uint16_t *index; /* [cap] */
    uint64_t *count; /* [cap] */
    size_t used, cap;
};
_Static_assert(HN_HIST_COUNTS_LEN <= 65536, "a counter index must fit a uint16_t");

/* Allocate room for @cap counters (used = 0). 0 or -ENOMEM (then @p is
 * empty and hn_hist_pairs_deinit is still safe). */
int hn_hist_pairs_init(struct hn_hist_pairs *p, size_t cap);
/* Free the room; safe on an empty or already freed one. */
void hn_hist_pairs_deinit(struct hn_hist_pairs *p);

/* Append the wire form of @h (empty or not) to @pk. Scans only the span
 * [index_of(min), index_of(max)] via the histogram iterator.
 * @return 0, or -ENOMEM if the packer's buffer could not grow. */
int hn_hist_codec_pack(msgpack_packer *pk, const struct hn_hist *h);

/* Number of bytes the bucket stream of @h takes (the bin's length). */
size_t hn_hist_codec_buckets_size(const struct hn_hist *h);

/* Decode and validate one wire histogram from msgpack object @o (which must
 * come from a frame that passed hn_frame_check). Checks everything a merge
 * relies on: well-formed minimal varints, indices < HN_HIST_COUNTS_LEN in
 * increasing order, counts >= 1 summing exactly to total, min <= max, first
 * bucket = index_of(min), last = index_of(max), overflow consistent with max,
 * sum within what total, min and max allow.
 * @return 0 and *out filled (present left false), or HN_E_TYPE, HN_E_INVALID,
 *         HN_E_TRUNCATED, HN_E_RANGE; *out untouched on error. */
int hn_hist_codec_unpack(const msgpack_object *o, struct hn_hist_wire *out);

/* hn_hist_codec_unpack that also stores the decoded counters in @pairs
 * (when it has room for buckets_len more; NULL: none) and points
 * out->index and out->count at them. Same checks and return codes; on
 * error *out and pairs->used are as they were (the room past used may
 * have been written). */
int hn_hist_codec_unpack_into(const msgpack_object *o, struct hn_hist_pairs *pairs,
                              struct hn_hist_wire *out);

/* Validate the fields of @w as hn_hist_codec_unpack does (for wire
 * histograms assembled by hand, e.g. in tests). Same return codes. */
int hn_hist_codec_check(const struct hn_hist_wire *w);

/* Add validated wire histogram @w into @dst. Gives exactly what
 * hn_hist_merge(dst, original) would. @w must have passed
 * hn_hist_codec_unpack or hn_hist_codec_check. */
void hn_hist_codec_merge(struct hn_hist *dst, const struct hn_hist_wire *w);

/* Walk the non-empty buckets of a VALIDATED wire histogram in increasing
 * index order, without building a struct hn_hist:
 *   struct hn_hist_wire_iter it; uint32_t i; uint64_t n;
 *   hn_hist_wire_iter_init(&it, w);
 *   while (hn_hist_wire_iter_next(&it, &i, &n)) ...
 * Bounds are still checked, so misuse cannot read or index out of range. */
struct hn_hist_wire_iter {
    const uint8_t *p, *end;
    int64_t prev; /* index of the previous bucket, -1 at the start */
};
void hn_hist_wire_iter_init(struct hn_hist_wire_iter *it, const struct hn_hist_wire *w);
bool hn_hist_wire_iter_next(struct hn_hist_wire_iter *it, uint32_t *index, uint64_t *count);

/* Add VALIDATED wire histogram @w to each of @dst[0..n_dst) (NULL ones are
 * skipped): what hn_hist_codec_merge does to each, in one walk of the
 * counters (its decoded ones when it has them), for a receiver that keeps
 * the same figures in several places.
 * Returns the number of counters; *first and *last get the lowest and the
 * highest counter index (left as they were when @w is empty). */
uint32_t hn_hist_codec_merge_many(const struct hn_hist_wire *w, struct hn_hist *const *dst,
                                  unsigned n_dst, uint32_t *first, uint32_t *last);

/* Append the LEB128 encoding of @v to @p (room for 10 bytes needed).
 * @return bytes written (1..10). */
size_t hn_hist_codec_put_varint(uint8_t *p, uint64_t v);
