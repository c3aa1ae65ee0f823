/* Histogram wire codec: sparse varint bucket stream, full validation of
 * hostile input, and an exact merge of a validated wire form. */
#include "hist_codec.h"
#include "sat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Longest LEB128 encoding of a uint64_t. */
#define VARINT_MAX 10

size_t hn_hist_codec_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Read one minimal LEB128 varint from [*p, end). Rejects truncation, more
 * than 64 bits and non-minimal forms (a trailing 0x00 byte), so every value
 * has exactly one encoding. */
static int get_varint_long(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *s = *p;
    uint64_t v = 0;
    for (unsigned i = 0; i < VARINT_MAX; i++) {
        if (s + i >= end)
            return HN_E_TRUNCATED;
        uint8_t b = s[i];
        if (i == VARINT_MAX - 1 && b > 1)
            return HN_E_RANGE; /* bits beyond 64 */
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0)
                return HN_E_INVALID; /* overlong */
            *p = s + i + 1;
            *out = v;
            return 0;
        }
    }
    return HN_E_RANGE; /* not reached: a 10th byte with its high bit set is > 1 */
}

/* Token of one bucket: gap since the previous index, and whether the count
 * is 1 (then no count follows). */
static uint64_t bucket_token(uint32_t gap, uint64_t count)
{
    return ((uint64_t)gap << 1) | (count == 1);
}

size_t hn_hist_codec_buckets_size(const struct hn_hist *h)
{
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    size_t n = 0;
    int64_t prev = -1;
    hn_hist_iter_init(&it, h);
    while (hn_hist_iter_next(&it, &b)) {
        n += varint_size(bucket_token((uint32_t)(b.index - prev - 1), b.count));
        if (b.count != 1)
            n += varint_size(b.count);
        prev = b.index;
    }
    return n;
}

int hn_hist_codec_pack(msgpack_packer *pk, const struct hn_hist *h)
{
    bool empty = h->total == 0;
    size_t len = empty ? 0 : hn_hist_codec_buckets_size(h);
    if (msgpack_pack_array(pk, HN_HIST_WIRE_FIELDS) || msgpack_pack_uint64(pk, h->total) ||
        msgpack_pack_uint64(pk, h->overflow) || msgpack_pack_uint64(pk, empty ? 0 : h->min) ||
        msgpack_pack_uint64(pk, empty ? 0 : h->max) || msgpack_pack_uint64(pk, h->sum) ||
        msgpack_pack_bin(pk, len))
        return -ENOMEM;
    if (empty)
        return 0;

    /* Emit the stream in chunks through a small stack buffer. */
    uint8_t buf[256];
    size_t used = 0;
    int64_t prev = -1;
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    hn_hist_iter_init(&it, h);
    while (hn_hist_iter_next(&it, &b)) {
        if (used > sizeof(buf) - 2 * VARINT_MAX) {
            if (msgpack_pack_bin_body(pk, buf, used))
                return -ENOMEM;
            used = 0;
        }
        used += hn_hist_codec_put_varint(buf + used,
                                         bucket_token((uint32_t)(b.index - prev - 1), b.count));
        if (b.count != 1)
            used += hn_hist_codec_put_varint(buf + used, b.count);
        prev = b.index;
    }
    if (used && msgpack_pack_bin_body(pk, buf, used))
        return -ENOMEM;
    return 0;
}

/* One step of the bucket stream: next index and count after @prev. */
/* Most varints of a histogram are one byte (a gap below 64 with a count
 * of 1, or a count below 128) or two: those inline, the rest out of line,
 * with the same checks. A master decodes millions of them a second. */
static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *s = *p;
    if (s < end && s[0] < 0x80) {
        *out = s[0];
        *p = s + 1;
        return 0;
    }
    if (s + 1 < end && s[1] < 0x80) {
        if (s[1] == 0)
            return HN_E_INVALID; /* overlong */
        *out = (uint64_t)(s[0] & 0x7f) | (uint64_t)s[1] << 7;
        *p = s + 2;
        return 0;
    }
    return get_varint_long(p, end, out);
}

static inline int next_bucket(const uint8_t **p, const uint8_t *end, int64_t prev, uint32_t *index,
                              uint64_t *count)
{
    uint64_t token, c = 1;
    int rc = get_varint(p, end, &token);
    if (rc)
        return rc;
    uint64_t gap = token >> 1;
    if (gap >= (uint64_t)(HN_HIST_COUNTS_LEN - (prev + 1)))
        return HN_E_RANGE; /* index beyond the layout */
    if (!(token & 1)) {
        rc = get_varint(p, end, &c);
        if (rc)
            return rc;
        if (c < 2)
            return HN_E_INVALID; /* 0 is never sent, 1 has the short form */
    }
    *index = (uint32_t)(prev + 1 + (int64_t)gap);
    *count = c;
    return 0;
}

static uint64_t clamp_us(uint64_t v)
{
    return v > HN_HIST_MAX_US ? HN_HIST_MAX_US : v;
}

/* sum must lie in [cmin*(total-1) + cmax, cmax*(total-1) + cmin] (values are
 * clamped before summing; min and max each occur at least once). */
static bool sum_plausible(const struct hn_hist_wire *w)
{
    uint64_t cmin = clamp_us(w->min), cmax = clamp_us(w->max), lo, hi;
    if (__builtin_mul_overflow(cmin, w->total - 1, &lo) || __builtin_add_overflow(lo, cmax, &lo))
        return false; /* the smallest possible sum does not fit: sum cannot be right */
    if (__builtin_mul_overflow(cmax, w->total - 1, &hi) || __builtin_add_overflow(hi, cmin, &hi))
        hi = UINT64_MAX;
    return w->sum >= lo && w->sum <= hi;
}

/* hn_hist_codec_check, which also counts the non-empty counters and, when
 * @index_out and @count_out are not NULL (room for buckets_len), stores
 * them. */
static int check(const struct hn_hist_wire *w, uint32_t *n_buckets, uint16_t *index_out,
                 uint64_t *count_out)
{
    *n_buckets = 0;
    if (w->total == 0)
        return (w->overflow || w->min || w->max || w->sum || w->buckets_len) ? HN_E_INVALID : 0;
    if (w->min > w->max || w->overflow > w->total)
        return HN_E_RANGE;
    if ((w->overflow > 0) != (w->max > HN_HIST_MAX_US))
        return HN_E_INVALID;
    if (w->min > HN_HIST_MAX_US && w->overflow != w->total)
        return HN_E_INVALID;
    if (!sum_plausible(w))
        return HN_E_RANGE;
    if (w->buckets_len == 0)
        return HN_E_INVALID;

    const uint8_t *p = w->buckets, *end = w->buckets + w->buckets_len;
    int64_t prev = -1;
    uint64_t seen = 0, last_count = 0;
    uint32_t n = 0; /* < HN_HIST_COUNTS_LEN: indices increase */
    while (p < end) {
        uint32_t index;
        uint64_t count;
        int rc = next_bucket(&p, end, prev, &index, &count);
        if (rc)
            return rc;
        if (prev < 0 && index != hn_hist_index_of(w->min))
            return HN_E_INVALID; /* first bucket must hold min */
        if (count > w->total - seen)
            return HN_E_INVALID; /* counts exceed total */
        seen += count;
        last_count = count;
        prev = index;
        if (index_out) {
            index_out[n] = (uint16_t)index;
            count_out[n] = count;
        }
        n++;
    }
    if (seen != w->total)
        return HN_E_INVALID;
    if ((uint32_t)prev != hn_hist_index_of(w->max))
        return HN_E_INVALID; /* last bucket must hold max */
    if (w->overflow > last_count)
        return HN_E_INVALID; /* overflowed values sit in the top bucket */
    *n_buckets = n;
    return 0;
}

int hn_hist_pairs_init(struct hn_hist_pairs *p, size_t cap)
{
    *p = (struct hn_hist_pairs){.index = malloc(cap * sizeof(*p->index)),
                                .count = malloc(cap * sizeof(*p->count)),
                                .cap = cap};
    if (!p->index || !p->count) {
        hn_hist_pairs_deinit(p);
        return -ENOMEM;
    }
    return 0;
}

void hn_hist_pairs_deinit(struct hn_hist_pairs *p)
{
    free(p->index);
    free(p->count);
    *p = (struct hn_hist_pairs){0};
}

int hn_hist_codec_check(const struct hn_hist_wire *w)
{
    uint32_t n;
    return check(w, &n, NULL, NULL);
}

static int get_u64(const msgpack_object *o, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return HN_E_TYPE;
    *out = o->via.u64;
    return 0;
}

int hn_hist_codec_unpack(const msgpack_object *o, struct hn_hist_wire *out)
{
    return hn_hist_codec_unpack_into(o, NULL, out);
}

int hn_hist_codec_unpack_into(const msgpack_object *o, struct hn_hist_pairs *pairs,
                              struct hn_hist_wire *out)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return HN_E_TYPE;
    if (o->via.array.size != HN_HIST_WIRE_FIELDS)
        return HN_E_INVALID;
    const msgpack_object *f = o->via.array.ptr;
    struct hn_hist_wire w = {0};
    int rc;
    if ((rc = get_u64(&f[0], &w.total)) || (rc = get_u64(&f[1], &w.overflow)) ||
        (rc = get_u64(&f[2], &w.min)) || (rc = get_u64(&f[3], &w.max)) ||
        (rc = get_u64(&f[4], &w.sum)))
        return rc;
    if (f[5].type != MSGPACK_OBJECT_BIN)
        return HN_E_TYPE;
    w.buckets = (const uint8_t *)f[5].via.bin.ptr;
    w.buckets_len = f[5].via.bin.size;
    if (w.buckets_len == 0)
        w.buckets = NULL;
    /* Each counter takes at least one byte of the stream. */
    bool room = pairs && pairs->cap - pairs->used >= w.buckets_len;
    uint16_t *index = room ? pairs->index + pairs->used : NULL;
    uint64_t *count = room ? pairs->count + pairs->used : NULL;
    rc = check(&w, &w.n_buckets, index, count);
    if (rc)
        return rc;
    if (room && w.n_buckets) {
        w.index = index;
        w.count = count;
        pairs->used += w.n_buckets;
    }
    *out = w;
    return 0;
}

void hn_hist_wire_iter_init(struct hn_hist_wire_iter *it, const struct hn_hist_wire *w)
{
    it->p = w->buckets;
    it->end = w->buckets + w->buckets_len;
    it->prev = -1;
}

bool hn_hist_wire_iter_next(struct hn_hist_wire_iter *it, uint32_t *index, uint64_t *count)
{
    /* The checks in next_bucket keep a misuse from going out of bounds. */
    if (it->p >= it->end || next_bucket(&it->p, it->end, it->prev, index, count) != 0)
        return false;
    it->prev = *index;
    return true;
}

/* The figures besides the counters: total, overflow, sum, min, max. */
static void add_summary(const struct hn_hist_wire *w, struct hn_hist *const *d, unsigned m)
{
    for (unsigned j = 0; j < m; j++) {
        hn_sat_inc(&d[j]->total, w->total); /* the counts add up to it (validated) */
        hn_sat_inc(&d[j]->overflow, w->overflow);
        hn_sat_inc(&d[j]->sum, w->sum);
        if (w->min < d[j]->min)
            d[j]->min = w->min;
        if (w->max > d[j]->max)
            d[j]->max = w->max;
    }
}

uint32_t hn_hist_codec_merge_many(const struct hn_hist_wire *w, struct hn_hist *const *dst,
                                  unsigned n_dst, uint32_t *first, uint32_t *last)
{
    struct hn_hist *d[8];
    unsigned m = 0;
    for (unsigned j = 0; j < n_dst && m < 8; j++)
        if (dst[j])
            d[m++] = dst[j];
    if (w->total == 0 || m == 0)
        return 0;
    if (w->index && w->n_buckets) {
        /* Decoded already: a loop of independent additions. */
        uint32_t n = w->n_buckets;
        *first = w->index[0];
        *last = w->index[n - 1];
        for (unsigned j = 0; j < m; j++) {
            uint64_t *counts = d[j]->counts;
            for (uint32_t i = 0; i < n; i++)
                hn_sat_inc(&counts[w->index[i]], w->count[i]);
        }
        add_summary(w, d, m);
        return n;
    }
    const uint8_t *p = w->buckets, *end = w->buckets + w->buckets_len;
    int64_t prev = -1;
    uint32_t n = 0, index;
    uint64_t count;
    while (p < end && next_bucket(&p, end, prev, &index, &count) == 0) {
        if (prev < 0)
            *first = index;
        for (unsigned j = 0; j < m; j++)
            hn_sat_inc(&d[j]->counts[index], count);
        prev = index;
        n++;
    }
    if (prev >= 0)
        *last = (uint32_t)prev;
    add_summary(w, d, m);
    return n;
}

void hn_hist_codec_merge(struct hn_hist *dst, const struct hn_hist_wire *w)
{
    if (w->total == 0)
        return;
    struct hn_hist_wire_iter it;
    uint32_t index;
    uint64_t count;
    hn_hist_wire_iter_init(&it, w);
    while (hn_hist_wire_iter_next(&it, &index, &count))
        hn_hist_add_at_index(dst, index, count);
    hn_sat_inc(&dst->overflow, w->overflow);
    hn_sat_inc(&dst->sum, w->sum);
    if (w->min < dst->min)
        dst->min = w->min;
    if (w->max > dst->max)
        dst->max = w->max;
}
