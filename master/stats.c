/* Master-side statistics store: exact merge of worker snapshots per
 * (method, name) and overall, cumulative and per master second, and error
 * rows; bounded in the number of distinct rows it keeps. */
#include "stats.h"
#include "hist_codec.h"
#include "sat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Ring of per-second slots: HN_STATS_WINDOW_S closed seconds + the open one. */
#define SLOTS (HN_STATS_WINDOW_S + 1u)
/* Open-addressing tables: a power of two, at most ~31 % full. */
#define TABLE_SIZE (1u << 15)
_Static_assert(TABLE_SIZE > 3u * (HN_STATS_ENTRIES_MAX + 1u), "entry table too small");
_Static_assert(TABLE_SIZE > 3u * (HN_STATS_ERRORS_MAX + 1u), "error table too small");

/* One non-empty histogram counter. */
struct pair {
    uint32_t index;
    uint64_t count;
};

/* What arrived for one row during one master second.
 *
 * Memory: the response times are kept sparse, as (index, count) pairs sorted
 * by index and coalesced as they arrive, so a slot holds at most one pair per
 * distinct counter (typically a few hundred, never more than
 * HN_HIST_COUNTS_LEN) instead of a 184 KiB struct hn_hist: 11 slots for each
 * of up to 10,000 entries stay small. The Aggregated row uses the same form, so
 * one code path serves both; window percentiles are built on demand into a
 * reused dense scratch histogram (hn_stats_recent). */
struct slot {
    uint64_t second; /* master second this slot holds; UINT64_MAX = never used */
    uint64_t requests, failures;
    uint64_t overflow, min, max, sum; /* as in struct hn_hist, for these values */
    struct pair *pairs;
    uint32_t n_pairs, cap_pairs;
};

struct hn_stats_entry {
    char method[HN_PROTO_METHOD_MAX + 1];
    char name[HN_PROTO_NAME_MAX + 1];
    uint64_t requests, failures, bytes;
    struct hn_hist *hist;     /* the latency shown (see hn_stats_set_latency),
                                 cumulative; allocated at the first request */
    struct slot slots[SLOTS]; /* indexed by master second % SLOTS */
    struct hn_hist *timing[HN_TIMING__COUNT]; /* every kind, cumulative; allocated
                                                 when the kind first arrives */
};

struct error_row {
    char method[HN_PROTO_METHOD_MAX + 1];
    char name[HN_PROTO_NAME_MAX + 1];
    char error[HN_PROTO_ERROR_MAX + 1];
    uint64_t count, first_ms, last_ms;
};

/* Hash table of row ids: 0 = empty, otherwise id + 1. Linear probing; rows
 * are never removed. */
struct table {
    uint32_t *cell;
};

struct hn_stats {
    uint64_t start_ms, last_ms;
    uint64_t second; /* the open master second, counted from 0 */
    uint32_t users;
    struct hn_stats_entry total;
    /* entries: by id (creation order) and sorted by (name, method) */
    struct hn_stats_entry **entries, **entries_sorted;
    uint32_t n_entries;
    bool entries_warned;
    struct table entry_table;
    struct error_row **errors, **errors_sorted;
    uint32_t n_errors;
    bool errors_warned;
    struct table error_table;
    struct pair *wire_pairs;  /* decode buffer, HN_HIST_COUNTS_LEN pairs */
    size_t mem_used, mem_max; /* bytes allocated for rows and slots, and the bound */
    enum hn_stats_latency latency;
    bool shown_intended; /* some shown times are latencies from the intended start */
    uint64_t dropped;    /* open model: iterations dropped, over all workers */
    struct {
        char message[HN_PROTO_ERROR_MAX + 1];
        uint64_t count;
    } exceptions[HN_STATS_EXCEPTIONS_MAX];
    uint32_t n_exceptions;
};

/* --- small helpers ------------------------------------------------------- */

/* Account for @bytes more of row memory; false (nothing counted) past the
 * bound, which then fails the merge as an allocation failure would. */
static bool mem_take(struct hn_stats *st, size_t bytes)
{
    if (bytes > st->mem_max || st->mem_used > st->mem_max - bytes)
        return false;
    st->mem_used += bytes;
    return true;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* FNV-1a over NUL-separated strings. */
static uint64_t hash_strs(const char *a, const char *b, const char *c)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3 && parts[i]; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * UINT64_C(0x100000001b3);
        h = h * UINT64_C(0x100000001b3); /* separator (xor 0) */
    }
    return h;
}

/* Calloc'd histogram in the state hn_hist_init leaves: for a block this size
 * the allocator maps fresh zero pages, so only the pages of counters actually
 * used become resident (a 1-100 ms distribution touches ~40 KiB, not 184). */
static struct hn_hist *hist_alloc(void)
{
    struct hn_hist *h = calloc(1, sizeof(*h));
    if (h)
        h->min = UINT64_MAX;
    return h;
}

/* The buckets of a validated wire histogram as (index, count) pairs, in
 * increasing index order. Returns the number of pairs. */
static uint32_t wire_to_pairs(const struct hn_hist_wire *w, struct pair *out)
{
    struct hn_hist_wire_iter it;
    uint32_t n = 0, index;
    uint64_t count;
    hn_hist_wire_iter_init(&it, w);
    while (n < HN_HIST_COUNTS_LEN && hn_hist_wire_iter_next(&it, &index, &count)) {
        out[n].index = index;
        out[n].count = count;
        n++;
    }
    return n;
}

/* --- per-second slots ---------------------------------------------------- */

static void slot_clear(struct slot *s, uint64_t second)
{
    s->second = second;
    s->requests = s->failures = s->overflow = s->max = s->sum = 0;
    s->min = UINT64_MAX;
    s->n_pairs = 0;
}

/* The slot of the open second, emptied first if it still holds an old one. */
static struct slot *open_slot(struct hn_stats_entry *e, uint64_t second)
{
    struct slot *s = &e->slots[second % SLOTS];
    if (s->second != second)
        slot_clear(s, second);
    return s;
}

/* Make room for merging @n more pairs. */
static int slot_reserve(struct hn_stats *st, struct slot *s, uint32_t n)
{
    uint32_t need = s->n_pairs + n;
    if (need <= s->cap_pairs)
        return 0;
    uint32_t cap = s->cap_pairs ? s->cap_pairs : 64;
    while (cap < need)
        cap *= 2;
    size_t more = (size_t)(cap - s->cap_pairs) * sizeof(struct pair);
    if (!mem_take(st, more))
        return -ENOMEM;
    struct pair *p = realloc(s->pairs, (size_t)cap * sizeof(*p));
    if (!p) {
        st->mem_used -= more;
        return -ENOMEM;
    }
    s->pairs = p;
    s->cap_pairs = cap;
    return 0;
}

/* Merge sorted @add into the slot's sorted pairs (room reserved): merge from
 * the back in place, then coalesce equal indices. */
static void slot_merge_pairs(struct slot *s, const struct pair *add, uint32_t n_add)
{
    uint32_t i = s->n_pairs, j = n_add, k = s->n_pairs + n_add;
    struct pair *v = s->pairs;
    while (j > 0) {
        if (i > 0 && v[i - 1].index > add[j - 1].index)
            v[--k] = v[--i];
        else
            v[--k] = add[--j];
    }
    uint32_t out = 0;
    for (uint32_t r = 0; r < s->n_pairs + n_add; r++) {
        if (out > 0 && v[out - 1].index == v[r].index)
            hn_sat_inc(&v[out - 1].count, v[r].count);
        else
            v[out++] = v[r];
    }
    s->n_pairs = out;
}

/* Add one entry's interval to a row: cumulative and open-second figures.
 * Room for @n pairs must have been reserved in @s. */
static void row_add(struct hn_stats_entry *row, struct slot *s, const struct hn_msg_entry *me,
                    const struct hn_hist_wire *w, const struct pair *pairs, uint32_t n)
{
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        if (row->timing[k] && me->wire[k].present && me->wire[k].total)
            hn_hist_codec_merge(row->timing[k], &me->wire[k]);
    hn_sat_inc(&row->requests, me->requests);
    hn_sat_inc(&row->failures, me->failures);
    hn_sat_inc(&row->bytes, me->bytes_received);
    hn_sat_inc(&s->requests, me->requests);
    hn_sat_inc(&s->failures, me->failures);
    if (!w->present || w->total == 0)
        return;
    hn_hist_codec_merge(row->hist, w);
    slot_merge_pairs(s, pairs, n);
    hn_sat_inc(&s->overflow, w->overflow);
    hn_sat_inc(&s->sum, w->sum);
    if (w->min < s->min)
        s->min = w->min;
    if (w->max > s->max)
        s->max = w->max;
}

static void entry_free(struct hn_stats_entry *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < SLOTS; i++)
        free(e->slots[i].pairs);
    hn_hist_free(e->hist);
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        hn_hist_free(e->timing[k]);
}

static void entry_init(struct hn_stats_entry *e, const char *method, const char *name)
{
    memset(e, 0, sizeof(*e));
    copy_str(e->method, sizeof(e->method), method);
    copy_str(e->name, sizeof(e->name), name);
    for (unsigned i = 0; i < SLOTS; i++)
        slot_clear(&e->slots[i], UINT64_MAX);
}

/* --- lookup tables ------------------------------------------------------- */

/* Cell holding the row for which @match(ctx, id) holds, or the empty cell
 * where it belongs. */
static uint32_t *table_find(const struct table *t, uint64_t hash,
                            bool (*match)(const struct hn_stats *, uint32_t, const void *),
                            const struct hn_stats *st, const void *key)
{
    uint32_t i = (uint32_t)hash & (TABLE_SIZE - 1);
    while (t->cell[i] && !match(st, t->cell[i] - 1, key))
        i = (i + 1) & (TABLE_SIZE - 1);
    return &t->cell[i];
}

struct entry_key {
    const char *method, *name;
};

static bool entry_match(const struct hn_stats *st, uint32_t id, const void *key)
{
    const struct entry_key *k = key;
    return strcmp(st->entries[id]->name, k->name) == 0 &&
           strcmp(st->entries[id]->method, k->method) == 0;
}

struct error_key {
    const char *method, *name, *error;
};

static bool error_match(const struct hn_stats *st, uint32_t id, const void *key)
{
    const struct error_key *k = key;
    const struct error_row *r = st->errors[id];
    return strcmp(r->name, k->name) == 0 && strcmp(r->method, k->method) == 0 &&
           strcmp(r->error, k->error) == 0;
}

static int entry_cmp(const struct hn_stats_entry *e, const char *method, const char *name)
{
    int c = strcmp(e->name, name);
    return c ? c : strcmp(e->method, method);
}

static int error_cmp(const struct error_row *r, const struct error_key *k)
{
    int c = strcmp(r->name, k->name);
    if (!c)
        c = strcmp(r->method, k->method);
    return c ? c : strcmp(r->error, k->error);
}

/* Insert @item at position @pos of a sorted array of @n pointers. */
static void sorted_insert(void **arr, uint32_t n, uint32_t pos, void *item)
{
    memmove(&arr[pos + 1], &arr[pos], (size_t)(n - pos) * sizeof(*arr));
    arr[pos] = item;
}

/* The entry for (method, name), created if new; past the bound, the shared
 * "(other names)" entry. NULL on out-of-memory. */
static struct hn_stats_entry *entry_get(struct hn_stats *st, const char *method, const char *name)
{
    struct entry_key k = {method, name};
    uint32_t *cell =
        table_find(&st->entry_table, hash_strs(method, name, NULL), entry_match, st, &k);
    if (*cell)
        return st->entries[*cell - 1];
    bool other =
        strcmp(method, HN_STATS_OTHER_METHOD) == 0 && strcmp(name, HN_STATS_OTHER_NAME) == 0;
    if (st->n_entries >= HN_STATS_ENTRIES_MAX && !other) {
        if (!st->entries_warned)
            hn_log_warn("more than %u distinct request names: counting the rest as \"%s\"",
                        HN_STATS_ENTRIES_MAX, HN_STATS_OTHER_NAME);
        st->entries_warned = true;
        return entry_get(st, HN_STATS_OTHER_METHOD, HN_STATS_OTHER_NAME);
    }
    if (!mem_take(st, sizeof(struct hn_stats_entry)))
        return NULL;
    struct hn_stats_entry *e = malloc(sizeof(*e));
    if (!e) {
        st->mem_used -= sizeof(*e);
        return NULL;
    }
    entry_init(e, method, name);
    uint32_t lo = 0, hi = st->n_entries;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(st->entries_sorted[mid], method, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    sorted_insert((void **)st->entries_sorted, st->n_entries, lo, e);
    st->entries[st->n_entries] = e;
    *cell = ++st->n_entries;
    return e;
}

static struct error_row *error_get(struct hn_stats *st, const struct error_key *k, uint64_t now_ms)
{
    uint32_t *cell =
        table_find(&st->error_table, hash_strs(k->method, k->name, k->error), error_match, st, k);
    if (*cell)
        return st->errors[*cell - 1];
    bool other = strcmp(k->error, HN_STATS_OTHER_ERROR) == 0 &&
                 strcmp(k->method, HN_STATS_OTHER_METHOD) == 0 &&
                 strcmp(k->name, HN_STATS_OTHER_NAME) == 0;
    if (st->n_errors >= HN_STATS_ERRORS_MAX && !other) {
        if (!st->errors_warned)
            hn_log_warn("more than %u distinct errors: counting the rest as \"%s\"",
                        HN_STATS_ERRORS_MAX, HN_STATS_OTHER_ERROR);
        st->errors_warned = true;
        struct error_key ok = {HN_STATS_OTHER_METHOD, HN_STATS_OTHER_NAME, HN_STATS_OTHER_ERROR};
        return error_get(st, &ok, now_ms);
    }
    if (!mem_take(st, sizeof(struct error_row)))
        return NULL;
    struct error_row *r = calloc(1, sizeof(*r));
    if (!r) {
        st->mem_used -= sizeof(*r);
        return NULL;
    }
    copy_str(r->method, sizeof(r->method), k->method);
    copy_str(r->name, sizeof(r->name), k->name);
    copy_str(r->error, sizeof(r->error), k->error);
    r->first_ms = now_ms;
    uint32_t lo = 0, hi = st->n_errors;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (error_cmp(st->errors_sorted[mid], k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    sorted_insert((void **)st->errors_sorted, st->n_errors, lo, r);
    st->errors[st->n_errors] = r;
    *cell = ++st->n_errors;
    return r;
}

/* --- public API ---------------------------------------------------------- */

int hn_stats_new(uint64_t start_ms, struct hn_stats **out)
{
    struct hn_stats *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->start_ms = st->last_ms = start_ms;
    st->mem_max = SIZE_MAX;
    entry_init(&st->total, "", HN_STATS_AGGREGATED_NAME);
    size_t n_rows = HN_STATS_ENTRIES_MAX + 1, n_errs = HN_STATS_ERRORS_MAX + 1;
    st->total.hist = hist_alloc();
    st->entries = calloc(n_rows, sizeof(*st->entries));
    st->entries_sorted = calloc(n_rows, sizeof(*st->entries_sorted));
    st->errors = calloc(n_errs, sizeof(*st->errors));
    st->errors_sorted = calloc(n_errs, sizeof(*st->errors_sorted));
    st->entry_table.cell = calloc(TABLE_SIZE, sizeof(uint32_t));
    st->error_table.cell = calloc(TABLE_SIZE, sizeof(uint32_t));
    st->wire_pairs = malloc(HN_HIST_COUNTS_LEN * sizeof(*st->wire_pairs));
    if (!st->total.hist || !st->entries || !st->entries_sorted || !st->errors ||
        !st->errors_sorted || !st->entry_table.cell || !st->error_table.cell || !st->wire_pairs)
        goto fail;
    *out = st;
    return 0;
fail:
    hn_stats_free(st);
    return -ENOMEM;
}

void hn_stats_free(struct hn_stats *st)
{
    if (!st)
        return;
    for (uint32_t i = 0; i < st->n_entries; i++) {
        entry_free(st->entries[i]);
        free(st->entries[i]);
    }
    for (uint32_t i = 0; i < st->n_errors; i++)
        free(st->errors[i]);
    entry_free(&st->total);
    free(st->entries);
    free(st->entries_sorted);
    free(st->errors);
    free(st->errors_sorted);
    free(st->entry_table.cell);
    free(st->error_table.cell);
    free(st->wire_pairs);
    free(st);
}

/* The latency an entry's interval shows: from the intended start when every
 * request of it has one (a scheduled iteration) and the mode allows, else
 * the service time. */
static const struct hn_hist_wire *shown(struct hn_stats *st, const struct hn_msg_entry *me)
{
    const struct hn_hist_wire *in = &me->wire[HN_TIMING_INTENDED];
    if (st->latency != HN_STATS_LATENCY_SERVICE && in->present && in->total == me->requests &&
        me->requests) {
        st->shown_intended = true;
        return in;
    }
    return &me->wire[HN_TIMING_TOTAL];
}

/* Room for every timing kind @me brings, in @e: allocated on first use. */
static bool timings_alloc(struct hn_stats *st, struct hn_stats_entry *e,
                          const struct hn_msg_entry *me)
{
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        if (e->timing[k] || !me->wire[k].present || !me->wire[k].total)
            continue;
        if (!mem_take(st, sizeof(struct hn_hist)))
            return false;
        if (!(e->timing[k] = hist_alloc())) {
            st->mem_used -= sizeof(struct hn_hist);
            return false;
        }
    }
    return true;
}

int hn_stats_add(struct hn_stats *st, const struct hn_msg_snapshot *snap, uint64_t now_ms)
{
    if (now_ms > st->last_ms)
        st->last_ms = now_ms;
    hn_sat_inc(&st->dropped, snap->dropped);
    for (uint32_t i = 0; i < snap->n_entries; i++) {
        const struct hn_msg_entry *me = &snap->entries[i];
        const struct hn_hist_wire *w = shown(st, me);
        struct hn_stats_entry *e = entry_get(st, me->method, me->name);
        if (!e)
            return -ENOMEM;
        if (!timings_alloc(st, e, me) || !timings_alloc(st, &st->total, me))
            return -ENOMEM;
        uint32_t n = 0;
        if (w->present && w->total > 0) {
            if (!e->hist) {
                if (!mem_take(st, sizeof(struct hn_hist)))
                    return -ENOMEM;
                if (!(e->hist = hist_alloc())) {
                    st->mem_used -= sizeof(struct hn_hist);
                    return -ENOMEM;
                }
            }
            n = wire_to_pairs(w, st->wire_pairs);
        }
        /* Reserve everything first, so a row is merged whole or not at all. */
        struct slot *se = open_slot(e, st->second), *sa = open_slot(&st->total, st->second);
        if (slot_reserve(st, se, n) || slot_reserve(st, sa, n))
            return -ENOMEM;
        row_add(e, se, me, w, st->wire_pairs, n);
        row_add(&st->total, sa, me, w, st->wire_pairs, n);
    }
    for (uint32_t i = 0; i < snap->n_errors; i++) {
        const struct hn_msg_error *me = &snap->errors[i];
        struct error_key k = {me->method, me->name, me->error};
        struct error_row *r = error_get(st, &k, now_ms);
        if (!r)
            return -ENOMEM;
        hn_sat_inc(&r->count, me->count);
        r->last_ms = now_ms;
    }
    for (uint32_t i = 0; i < snap->n_exceptions; i++) {
        const struct hn_msg_exception *x = &snap->exceptions[i];
        uint32_t k = 0;
        while (k < st->n_exceptions && strcmp(st->exceptions[k].message, x->message) != 0)
            k++;
        if (k == st->n_exceptions) {
            if (k == HN_STATS_EXCEPTIONS_MAX)
                k--; /* the last one takes the rest */
            else
                copy_str(st->exceptions[st->n_exceptions++].message,
                         sizeof(st->exceptions[0].message), x->message);
        }
        st->exceptions[k].count = hn_sat_add(st->exceptions[k].count, x->count);
    }
    return 0;
}

size_t hn_stats_exception_count(const struct hn_stats *st)
{
    return st->n_exceptions;
}

void hn_stats_exception_at(const struct hn_stats *st, size_t i, struct hn_stats_exception *out)
{
    out->message = st->exceptions[i].message;
    out->count = st->exceptions[i].count;
}

uint64_t hn_stats_total_exceptions(const struct hn_stats *st)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < st->n_exceptions; i++)
        n = hn_sat_add(n, st->exceptions[i].count);
    return n;
}

void hn_stats_tick(struct hn_stats *st, uint64_t now_ms, uint32_t users)
{
    if (now_ms > st->last_ms)
        st->last_ms = now_ms;
    st->users = users;
    st->second++;
}

void hn_stats_set_memory_max(struct hn_stats *st, size_t bytes)
{
    st->mem_max = bytes;
}

size_t hn_stats_memory(const struct hn_stats *st)
{
    return st->mem_used;
}

uint64_t hn_stats_total_requests(const struct hn_stats *st)
{
    return st->total.requests;
}

uint64_t hn_stats_total_failures(const struct hn_stats *st)
{
    return st->total.failures;
}

uint64_t hn_stats_start_ms(const struct hn_stats *st)
{
    return st->start_ms;
}

uint64_t hn_stats_last_ms(const struct hn_stats *st)
{
    return st->last_ms;
}

uint32_t hn_stats_users(const struct hn_stats *st)
{
    return st->users;
}

double hn_stats_elapsed_s(const struct hn_stats *st, uint64_t now_ms)
{
    double s = now_ms > st->start_ms ? (double)(now_ms - st->start_ms) / 1000.0 : 0.0;
    return s < 1.0 ? 1.0 : s;
}

size_t hn_stats_entry_count(const struct hn_stats *st)
{
    return st->n_entries;
}

const struct hn_stats_entry *hn_stats_entry_at(const struct hn_stats *st, size_t i)
{
    return i < st->n_entries ? st->entries_sorted[i] : NULL;
}

const struct hn_stats_entry *hn_stats_aggregated(const struct hn_stats *st)
{
    return &st->total;
}

void hn_stats_totals(const struct hn_stats_entry *e, struct hn_stats_totals *out)
{
    out->method = e->method;
    out->name = e->name;
    out->requests = e->requests;
    out->failures = e->failures;
    out->bytes_received = e->bytes;
    out->hist = e->requests && e->hist && e->hist->total ? e->hist : NULL;
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        out->timing[k] = e->timing[k] && e->timing[k]->total ? e->timing[k] : NULL;
}

void hn_stats_set_latency(struct hn_stats *st, enum hn_stats_latency mode)
{
    st->latency = mode;
}

bool hn_stats_shows_intended(const struct hn_stats *st)
{
    return st->shown_intended;
}

uint64_t hn_stats_total_dropped(const struct hn_stats *st)
{
    return st->dropped;
}

void hn_stats_recent(const struct hn_stats *st, const struct hn_stats_entry *e,
                     struct hn_hist *scratch, struct hn_stats_recent *out)
{
    uint32_t seconds = st->second < HN_STATS_WINDOW_S ? (uint32_t)st->second : HN_STATS_WINDOW_S;
    memset(out, 0, sizeof(*out));
    out->seconds = seconds;
    if (scratch)
        hn_hist_reset(scratch);
    for (uint32_t k = 1; k <= seconds; k++) {
        uint64_t sec = st->second - k; /* closed seconds only */
        const struct slot *s = &e->slots[sec % SLOTS];
        if (s->second != sec)
            continue; /* nothing arrived for this row in that second */
        hn_sat_inc(&out->requests, s->requests);
        hn_sat_inc(&out->failures, s->failures);
        if (!scratch || s->n_pairs == 0)
            continue;
        for (uint32_t i = 0; i < s->n_pairs; i++)
            hn_hist_add_at_index(scratch, s->pairs[i].index, s->pairs[i].count);
        hn_sat_inc(&scratch->overflow, s->overflow);
        hn_sat_inc(&scratch->sum, s->sum);
        if (s->min < scratch->min)
            scratch->min = s->min;
        if (s->max > scratch->max)
            scratch->max = s->max;
    }
    if (seconds) {
        out->requests_per_s = (double)out->requests / seconds;
        out->failures_per_s = (double)out->failures / seconds;
    }
}

size_t hn_stats_error_count(const struct hn_stats *st)
{
    return st->n_errors;
}

void hn_stats_error_at(const struct hn_stats *st, size_t i, struct hn_stats_error *out)
{
    const struct error_row *r = st->errors_sorted[i];
    out->method = r->method;
    out->name = r->name;
    out->error = r->error;
    out->count = r->count;
    out->first_seen_ms = r->first_ms;
    out->last_seen_ms = r->last_ms;
}
