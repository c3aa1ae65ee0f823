/* Limits on worker statistics (see limits_check.h). */
#include "limits_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hist_codec.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int hn_limits_init(struct hn_limits *l, const struct hn_scenario *s)
{
    memset(l, 0, sizeof(*l));
    if (!s->n_entries)
        return 0;
    if (!(l->names = calloc(s->n_entries, sizeof(*l->names))))
        return -ENOMEM;
    for (uint32_t i = 0; i < s->n_entries; i++) {
        if (asprintf(&l->names[i], "%s %s", s->entries[i].method, s->entries[i].name) < 0) {
            l->names[i] = NULL;
            hn_limits_deinit(l);
            return -ENOMEM;
        }
        l->n_names++;
    }
    qsort(l->names, l->n_names, sizeof(*l->names), by_name);
    return 0;
}

void hn_limits_deinit(struct hn_limits *l)
{
    for (uint32_t i = 0; i < l->n_names; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof(*l));
}

struct name_key {
    const char *method, *name;
};

/* strcmp of "METHOD NAME" against the entry @elem of l->names, without
 * writing the key out: this runs for every entry of every snapshot. */
static int by_key(const void *k, const void *elem)
{
    const struct name_key *key = k;
    const unsigned char *m = (const unsigned char *)key->method;
    const unsigned char *s = *(const unsigned char *const *)elem;
    for (; *m; m++, s++)
        if (*m != *s)
            return *m - *s;
    if (*s != ' ')
        return ' ' - *s;
    return strcmp(key->name, (const char *)s + 1);
}

static bool known(const struct hn_limits *l, const char *method, const char *name)
{
    /* "GET /a" + "b" would read as the scenario's "GET" + "/a b": a
     * method is one word (the scenario's are). */
    if (!*method || strchr(method, ' '))
        return false;
    struct name_key key = {method, name};
    return bsearch(&key, l->names, l->n_names, sizeof(*l->names), by_key) != NULL;
}

static int bad(char *why, size_t len, int err, const char *method, const char *name,
               const char *what)
{
    snprintf(why, len, "%s %.64s%s: %s", method, name, strlen(name) > 64 ? "..." : "", what);
    return err;
}

static uint32_t buckets(const struct hn_hist_wire *w)
{
    struct hn_hist_wire_iter it;
    uint32_t n = 0, index;
    uint64_t count;
    hn_hist_wire_iter_init(&it, w);
    while (hn_hist_wire_iter_next(&it, &index, &count))
        n++;
    return n;
}

static int check_entry(const struct hn_limits *l, const struct hn_msg_entry *e, char *why,
                       size_t len)
{
    char what[96];
    if (!known(l, e->method, e->name))
        return bad(why, len, HN_E_INVALID, e->method, e->name, "not a request of the scenario");
    if (e->requests > HN_LIMIT_COUNT_MAX || e->bytes_received > HN_LIMIT_BYTES_MAX) {
        snprintf(what, sizeof(what), "%llu requests, %llu bytes in one interval",
                 (unsigned long long)e->requests, (unsigned long long)e->bytes_received);
        return bad(why, len, HN_E_TOO_LARGE, e->method, e->name, what);
    }
    if (e->failures > e->requests)
        return bad(why, len, HN_E_INVALID, e->method, e->name, "more failures than requests");
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        const struct hn_hist_wire *w = &e->wire[k];
        if (!w->present)
            continue;
        if (w->min > w->max)
            return bad(why, len, HN_E_INVALID, e->method, e->name, "histogram min above max");
        /* TOTAL equals requests (decoder), INTENDED is at most that; the
         * phases hold several reports' requests and are bounded here. */
        if (w->total > HN_LIMIT_COUNT_MAX) {
            snprintf(what, sizeof(what), "%llu timings in one histogram",
                     (unsigned long long)w->total);
            return bad(why, len, HN_E_TOO_LARGE, e->method, e->name, what);
        }
        /* A phase holds up to a minute's requests, which may fill more
         * counters than an interval does: only the layout bounds it. */
        if (hn_timing_is_phase(k))
            continue;
        uint32_t n = w->n_buckets ? w->n_buckets : buckets(w); /* counted by the decoder */
        if (n > HN_LIMIT_BUCKETS_MAX) {
            snprintf(what, sizeof(what), "%u histogram counters in one interval", n);
            return bad(why, len, HN_E_TOO_LARGE, e->method, e->name, what);
        }
    }
    return 0;
}

/* Order of entry indices by (method, name) (qsort_r with the snapshot). */
static int entry_order(const void *a, const void *b, void *snap)
{
    const struct hn_msg_snapshot *s = snap;
    const struct hn_msg_entry *x = &s->entries[*(const uint32_t *)a];
    const struct hn_msg_entry *y = &s->entries[*(const uint32_t *)b];
    int c = strcmp(x->method, y->method);
    return c ? c : strcmp(x->name, y->name);
}

/* Index of the entry named like error row @r, or -1. @order: sorted. */
static int64_t find_entry(const struct hn_msg_snapshot *s, const uint32_t *order,
                          const struct hn_msg_error *r)
{
    uint32_t lo = 0, hi = s->n_entries;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct hn_msg_entry *e = &s->entries[order[mid]];
        int c = strcmp(e->method, r->method);
        if (!c)
            c = strcmp(e->name, r->name);
        if (!c)
            return order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int hn_limits_check_snapshot(const struct hn_limits *l, const struct hn_msg_snapshot *s, char *why,
                             size_t why_len)
{
    /* Counts outside any entry: as bounded as the entries' (a worker's
     * 2^64 - 1 dropped iterations stood in the reports, and saturated the
     * run's count for good). */
    if (s->dropped > HN_LIMIT_COUNT_MAX) {
        snprintf(why, why_len, "%llu dropped iterations in one interval",
                 (unsigned long long)s->dropped);
        return HN_E_TOO_LARGE;
    }
    for (uint32_t i = 0; i < s->n_exceptions; i++)
        if (s->exceptions[i].count > HN_LIMIT_COUNT_MAX) {
            snprintf(why, why_len, "%llu exceptions in one interval",
                     (unsigned long long)s->exceptions[i].count);
            return HN_E_TOO_LARGE;
        }
    for (uint32_t i = 0; i < s->n_entries; i++)
        HN_TRY(check_entry(l, &s->entries[i], why, why_len));
    if (!s->n_errors)
        return 0;
    /* Error rows: each for an entry of this message, and per entry adding
     * up to no more than its failures. */
    uint32_t *order = malloc((s->n_entries ? s->n_entries : 1) * sizeof(*order));
    uint64_t *sum = calloc(s->n_entries ? s->n_entries : 1, sizeof(*sum));
    int err = 0;
    if (!order || !sum) {
        err = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < s->n_entries; i++)
        order[i] = i;
    qsort_r(order, s->n_entries, sizeof(*order), entry_order, (void *)s);
    for (uint32_t i = 0; i < s->n_errors && !err; i++) {
        const struct hn_msg_error *r = &s->errors[i];
        int64_t k = find_entry(s, order, r);
        if (k < 0) {
            err = bad(why, why_len, HN_E_INVALID, r->method, r->name, "errors without requests");
        } else if (r->count > HN_LIMIT_COUNT_MAX) {
            err = bad(why, why_len, HN_E_TOO_LARGE, r->method, r->name,
                      "too many errors in one interval");
        } else {
            sum[k] += r->count; /* each <= 2^40, at most 4096 of them: no overflow */
            if (sum[k] > s->entries[k].failures)
                err = bad(why, why_len, HN_E_INVALID, r->method, r->name,
                          "more errors than failures");
        }
    }
out:
    free(order);
    free(sum);
    return err;
}

bool hn_limits_charge(double *budget, double *at, size_t bytes, double now)
{
    if (*at < 0) {
        *budget = HN_LIMIT_STATS_BURST_BYTES;
    } else if (now > *at) {
        *budget += (now - *at) * HN_LIMIT_STATS_BYTES_PER_S;
        if (*budget > HN_LIMIT_STATS_BURST_BYTES)
            *budget = HN_LIMIT_STATS_BURST_BYTES;
    }
    *at = now;
    if ((double)bytes > *budget)
        return false;
    *budget -= (double)bytes;
    return true;
}
