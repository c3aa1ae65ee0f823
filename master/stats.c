/* Master-side statistics store: exact merge of worker snapshots per
 * (method, name) and overall, cumulative and per master second, and error
 * rows; bounded in the number of distinct rows it keeps. */
#include "stats.h"
#include "error.h"
#include "hist_codec.h"
#include "sat.h"
#include "stats_window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Open-addressing tables: a power of two, at most ~31 % full. */
#define TABLE_SIZE (1u << 15)
_Static_assert(TABLE_SIZE > 3u * (HN_STATS_ENTRIES_MAX + 1u), "entry table too small");
_Static_assert(TABLE_SIZE > 3u * (HN_STATS_ERRORS_MAX + 1u), "error table too small");

/* One row: a (method, name) entry, or the Aggregated row.
 *
 * Cost of a merge: every histogram of a snapshot entry is decoded once
 * and its non-empty counters added to the entry's cumulative histograms,
 * to the Aggregated row's (but not its phases: DNS, connect, TLS, TTFB,
 * summed from the rows by hn_stats_settle) and to the entry's open
 * second, each in
 * O(1) per counter, so a merge costs O(non-empty counters in the
 * snapshot) whatever the store holds already (hn_stats_work counts it).
 *
 * Memory: cumulative histograms are dense (struct hn_hist, 184 KiB, of
 * which only the pages of counters in use become resident); the latency
 * shown is timing[TOTAL] itself until some interval shows another
 * (INTENDED), and only then gets a histogram of its own. The per-second
 * slots are sparse (stats_window.h). The Aggregated row keeps no counters
 * per second: its window is built from the entries' slots when read. */
struct hn_stats_entry {
    char method[HN_PROTO_METHOD_MAX + 1];
    char name[HN_PROTO_NAME_MAX + 1];
    uint64_t requests, failures, bytes;
    struct hn_hist *shown; /* the latency shown (see hn_stats_set_latency), cumulative,
                              once it differs from timing[TOTAL]; NULL until then */
    struct hn_hist *timing[HN_TIMING__COUNT]; /* every kind, cumulative; allocated
                                                 when the kind first arrives */
    struct hn_window win;                     /* per master second */
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
    uint64_t reported_ms; /* when the latest report was added (start_ms before any) */
    uint64_t second; /* the open master second, counted from 0 */
    /* The second the first report arrived in (UINT64_MAX: none yet): the
     * current window starts there, not at the run's start, when workers
     * had sent nothing yet (their first report comes a second after they
     * start), or the first rates would be (k - 1) / k of the true ones. */
    uint64_t first_second;
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
    struct hn_stats_entry **open_rows; /* rows with counters in the open second */
    uint32_t n_open_rows;
    struct hn_stats_mem mem; /* bytes allocated for rows and slots, and the bound */
    uint64_t work;           /* see hn_stats_work */
    bool oom;                /* a slot could not be stored at a tick: the next merge fails */
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
    return hn_stats_mem_take(&st->mem, bytes);
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
 * used become resident (a 1-100 ms distribution touches ~40 KiB, not 184).
 * Counted against the bound. */
static struct hn_hist *hist_alloc(struct hn_stats *st)
{
    if (!mem_take(st, sizeof(struct hn_hist)))
        return NULL;
    struct hn_hist *h = calloc(1, sizeof(*h));
    if (h)
        h->min = UINT64_MAX;
    else
        st->mem.used -= sizeof(struct hn_hist);
    return h;
}

/* The latency @e shows, cumulative: its own histogram once it has one,
 * else timing[TOTAL] (NULL if none). */
static const struct hn_hist *shown_hist(const struct hn_stats_entry *e)
{
    return e->shown ? e->shown : e->timing[HN_TIMING_TOTAL];
}

static void entry_free(struct hn_stats_entry *e)
{
    if (!e)
        return;
    hn_window_deinit(&e->win);
    hn_hist_free(e->shown);
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        hn_hist_free(e->timing[k]);
}

static void entry_init(struct hn_stats_entry *e, const char *method, const char *name)
{
    memset(e, 0, sizeof(*e));
    copy_str(e->method, sizeof(e->method), method);
    copy_str(e->name, sizeof(e->name), name);
    hn_window_init(&e->win);
}

/* --- lookup tables ------------------------------------------------------- */

/* Cell holding the row for which @match(ctx, id) holds, or the empty cell
 * where it belongs. */
static uint32_t *table_find(const struct table *t, uint64_t hash,
                            bool (*match)(const struct hn_stats *, uint32_t, const void *),
                            struct hn_stats *st, const void *key)
{
    uint32_t i = (uint32_t)hash & (TABLE_SIZE - 1);
    st->work++;
    while (t->cell[i] && !match(st, t->cell[i] - 1, key)) {
        i = (i + 1) & (TABLE_SIZE - 1);
        st->work++;
    }
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
        st->mem.used -= sizeof(*e);
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
        st->mem.used -= sizeof(*r);
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
    st->start_ms = st->last_ms = st->reported_ms = start_ms;
    st->first_second = UINT64_MAX;
    st->mem.max = SIZE_MAX;
    entry_init(&st->total, "", HN_STATS_AGGREGATED_NAME);
    size_t n_rows = HN_STATS_ENTRIES_MAX + 1, n_errs = HN_STATS_ERRORS_MAX + 1;
    st->entries = calloc(n_rows, sizeof(*st->entries));
    st->entries_sorted = calloc(n_rows, sizeof(*st->entries_sorted));
    st->errors = calloc(n_errs, sizeof(*st->errors));
    st->errors_sorted = calloc(n_errs, sizeof(*st->errors_sorted));
    st->entry_table.cell = calloc(TABLE_SIZE, sizeof(uint32_t));
    st->error_table.cell = calloc(TABLE_SIZE, sizeof(uint32_t));
    st->open_rows = calloc(n_rows, sizeof(*st->open_rows));
    if (!st->open_rows || !st->entries || !st->entries_sorted || !st->errors ||
        !st->errors_sorted || !st->entry_table.cell || !st->error_table.cell)
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
    free(st->open_rows);
    free(st);
}

/* The timing kind an entry's interval shows: from the intended start when
 * every request of it has one (a scheduled iteration) and the mode allows,
 * else the service time; -1 when it has no histogram. */
static int shown_kind(struct hn_stats *st, const struct hn_msg_entry *me)
{
    const struct hn_hist_wire *in = &me->wire[HN_TIMING_INTENDED];
    if (st->latency != HN_STATS_LATENCY_SERVICE && in->present && in->total == me->requests &&
        me->requests) {
        st->shown_intended = true;
        return HN_TIMING_INTENDED;
    }
    const struct hn_hist_wire *w = &me->wire[HN_TIMING_TOTAL];
    return w->present && w->total ? HN_TIMING_TOTAL : -1;
}

/* Everything @row needs to take @me, allocated before anything merges, so
 * that a row is merged whole or not at all: a histogram per kind that
 * arrives, the shown latency's own histogram once it leaves timing[TOTAL]
 * (a copy of it: until now every shown time was a TOTAL one), and what
 * the per-second slots need (@window). */
static int row_prepare(struct hn_stats *st, struct hn_stats_entry *row,
                       const struct hn_msg_entry *me, int shown, bool window)
{
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        if (!row->timing[k] && me->wire[k].present && me->wire[k].total &&
            !(row->timing[k] = hist_alloc(st)))
            return -ENOMEM;
    if (shown >= 0 && shown != HN_TIMING_TOTAL && !row->shown) {
        if (!(row->shown = hist_alloc(st)))
            return -ENOMEM;
        if (row->timing[HN_TIMING_TOTAL])
            memcpy(row->shown, row->timing[HN_TIMING_TOTAL], sizeof(*row->shown));
    }
    return window && shown >= 0 ? hn_window_prepare(&row->win, &st->mem) : 0;
}

/* The phases (hn_timing_is_phase): Aggregated gets them from its rows only
 * when asked: nothing reads them during the run, and merging them there too
 * was a quarter of the master's memory traffic at 1,000 workers (every
 * counter of a histogram is a cache line of its own). */
void hn_stats_settle(struct hn_stats *st)
{
    struct hn_stats_entry *all = &st->total;
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        /* Allocated with the first row's histogram of that kind. */
        if (!hn_timing_is_phase(k) || !all->timing[k])
            continue;
        hn_hist_reset(all->timing[k]);
        for (uint32_t i = 0; i < st->n_entries; i++)
            if (st->entries[i]->timing[k])
                hn_hist_merge(all->timing[k], st->entries[i]->timing[k]);
    }
}

/* Merge entry @me of a snapshot into its row @e and the Aggregated row:
 * counts, then each histogram decoded once and added where it belongs. */
static int entry_add(struct hn_stats *st, struct hn_stats_entry *e, const struct hn_msg_entry *me)
{
    struct hn_stats_entry *all = &st->total;
    int shown = shown_kind(st, me);
    struct hn_window_slot *se = hn_window_open(&e->win, st->second);
    struct hn_window_slot *sa = hn_window_open(&all->win, st->second);
    if (st->oom)
        return -ENOMEM; /* a per-second slot could not be stored */
    HN_TRY(row_prepare(st, e, me, shown, true));
    HN_TRY(row_prepare(st, all, me, shown, false));
    hn_sat_inc(&e->requests, me->requests);
    hn_sat_inc(&e->failures, me->failures);
    hn_sat_inc(&e->bytes, me->bytes_received);
    hn_sat_inc(&all->requests, me->requests);
    hn_sat_inc(&all->failures, me->failures);
    hn_sat_inc(&all->bytes, me->bytes_received);
    hn_sat_inc(&se->requests, me->requests);
    hn_sat_inc(&se->failures, me->failures);
    hn_sat_inc(&sa->requests, me->requests);
    hn_sat_inc(&sa->failures, me->failures);
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        const struct hn_hist_wire *w = &me->wire[k];
        if (!w->present || !w->total)
            continue;
        /* Decoded once, added where it belongs: the row, Aggregated (but
         * not its phases: hn_stats_settle sums those from the rows), and
         * for the latency shown their own histograms once they have one. */
        struct hn_hist *dst[4] = {e->timing[k], hn_timing_is_phase(k) ? NULL : all->timing[k],
                                  k == shown ? e->shown : NULL, k == shown ? all->shown : NULL};
        uint32_t first = 0, last = 0;
        uint32_t n = hn_hist_codec_merge_many(w, dst, 4, &first, &last);
        st->work += (uint64_t)n * (1 + (dst[0] != NULL) + (dst[1] != NULL) + (dst[2] != NULL) +
                                   (dst[3] != NULL));
        if (k != shown)
            continue;
        if (n && hn_window_touch(&e->win, se, w, first, last))
            st->open_rows[st->n_open_rows++] = e; /* once per second: closed at the tick */
        hn_window_add_summary(sa, w);
    }
    return 0;
}

int hn_stats_add(struct hn_stats *st, const struct hn_msg_snapshot *snap, uint64_t now_ms)
{
    if (now_ms > st->last_ms)
        st->last_ms = now_ms;
    if (now_ms > st->reported_ms)
        st->reported_ms = now_ms;
    if (st->first_second == UINT64_MAX)
        st->first_second = st->second;
    hn_sat_inc(&st->dropped, snap->dropped);
    for (uint32_t i = 0; i < snap->n_entries; i++) {
        const struct hn_msg_entry *me = &snap->entries[i];
        struct hn_stats_entry *e = entry_get(st, me->method, me->name);
        if (!e)
            return -ENOMEM;
        HN_TRY(entry_add(st, e, me));
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

uint64_t hn_stats_work(const struct hn_stats *st)
{
    return st->work;
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

void hn_stats_tick(struct hn_stats *st, uint64_t now_ms)
{
    if (now_ms > st->last_ms)
        st->last_ms = now_ms;
    for (uint32_t i = 0; i < st->n_open_rows; i++) {
        struct hn_stats_entry *e = st->open_rows[i];
        if (hn_window_close(&e->win, hn_window_open(&e->win, st->second), shown_hist(e), &st->mem))
            st->oom = true;
    }
    st->n_open_rows = 0;
    st->second++;
}

void hn_stats_set_memory_max(struct hn_stats *st, size_t bytes)
{
    st->mem.max = bytes;
}

size_t hn_stats_memory(const struct hn_stats *st)
{
    return st->mem.used;
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

uint64_t hn_stats_reported_ms(const struct hn_stats *st)
{
    return st->reported_ms;
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
    const struct hn_hist *h = shown_hist(e);
    out->hist = e->requests && h && h->total ? h : NULL;
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

uint32_t hn_stats_entries_intended(const struct hn_stats *st, uint32_t *of)
{
    uint32_t n = 0, with_requests = 0;
    for (uint32_t i = 0; i < st->n_entries; i++) {
        const struct hn_stats_entry *e = st->entries[i];
        with_requests += e->requests > 0;
        n += e->requests > 0 && e->shown != NULL; /* left service time for it */
    }
    *of = with_requests;
    return n;
}

uint64_t hn_stats_total_dropped(const struct hn_stats *st)
{
    return st->dropped;
}

/* Add the closed @sec of row @e to @scratch: the row's own counters, or
 * for the Aggregated row every entry's. */
static void recent_hist(const struct hn_stats *st, const struct hn_stats_entry *e, uint64_t sec,
                        struct hn_hist *scratch)
{
    const struct hn_window_slot *s = hn_window_at(&e->win, sec);
    if (!s || s->min == UINT64_MAX)
        return; /* no response time arrived for this row in that second */
    hn_window_slot_merge(s, scratch, e != &st->total);
    if (e != &st->total)
        return;
    for (uint32_t i = 0; i < st->n_entries; i++) {
        const struct hn_window_slot *es = hn_window_at(&st->entries[i]->win, sec);
        if (es)
            for (uint32_t k = 0; k < es->n_pairs; k++)
                hn_hist_add_at_index(scratch, es->pairs[k].index, es->pairs[k].count);
    }
}

void hn_stats_recent(const struct hn_stats *st, const struct hn_stats_entry *e,
                     struct hn_hist *scratch, struct hn_stats_recent *out)
{
    uint64_t since = st->first_second == UINT64_MAX ? 0 : st->second - st->first_second;
    uint32_t seconds = since < HN_STATS_WINDOW_S ? (uint32_t)since : HN_STATS_WINDOW_S;
    memset(out, 0, sizeof(*out));
    out->seconds = seconds;
    if (scratch)
        hn_hist_reset(scratch);
    for (uint32_t k = 1; k <= seconds; k++) {
        uint64_t sec = st->second - k; /* closed seconds only */
        const struct hn_window_slot *s = hn_window_at(&e->win, sec);
        if (!s)
            continue; /* nothing arrived for this row in that second */
        hn_sat_inc(&out->requests, s->requests);
        hn_sat_inc(&out->failures, s->failures);
        if (scratch)
            recent_hist(st, e, sec, scratch);
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
