/* Recorder → SNAPSHOT/FINAL frame (see snapshot.h). Runs once a second on
 * the worker's main thread, never on an engine thread. */
#include "snapshot.h"
#include "error.h"
#include "log.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_count_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The texts of @r that do not get a row of their own when only @room fit:
 * all but the @room most frequent (ties: the first in the table). */
static bool *choose_folded(const struct hn_recorder *r, uint32_t room)
{
    bool *fold = calloc(HN_REC_TEXTS_MAX, sizeof(*fold));
    uint64_t *counts = calloc(HN_REC_TEXTS_MAX, sizeof(*counts));
    if (!fold || !counts) {
        free(fold);
        free(counts);
        return NULL;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++)
        if (r->texts[i].len && r->texts[i].entry < r->n_entries)
            counts[n++] = r->texts[i].count;
    qsort(counts, n, sizeof(*counts), by_count_desc);
    uint64_t least = room && room <= n ? counts[room - 1] : UINT64_MAX;
    uint32_t ties = 0; /* texts counted @least that keep a row */
    for (uint32_t k = 0; k < room && k < n; k++)
        ties += counts[k] == least;
    for (uint32_t i = 0; i < HN_REC_TEXTS_MAX; i++) {
        const struct hn_rec_text *t = &r->texts[i];
        if (!t->len || t->entry >= r->n_entries)
            continue;
        if (t->count > least || (t->count == least && ties && ties--))
            continue; /* kept */
        fold[i] = true;
    }
    free(counts);
    return fold;
}

/* Whether entry @e goes into the report: its requests, or its phases of
 * earlier intervals when the report carries phases. */
static bool sent(const struct hn_rec_entry *e, const struct hn_snapshot_info *info)
{
    return e->requests || (info->phases && e->phases_held);
}

int hn_snapshot_encode(const struct hn_scenario *s, const struct hn_recorder *r,
                       const struct hn_snapshot_info *info, msgpack_sbuffer *out)
{
    uint32_t n_entries = 0, slot_rows = 0, failing = 0;
    for (uint32_t i = 0; i < r->n_entries; i++) {
        const struct hn_rec_entry *e = &r->entries[i];
        if (!sent(e, info))
            continue;
        n_entries++;
        failing += e->failures != 0;
        if (e->failures)
            for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
                slot_rows += e->fail_counts[k] != 0;
    }
    /* A snapshot holds HN_PROTO_ERRORS_MAX rows: the failure kinds first,
     * then as many texts as fit beside them and an "other check or capture
     * failures" row per failing entry; the counts of the other texts go to
     * that row of their entry. */
    uint32_t text_room =
        HN_PROTO_ERRORS_MAX > slot_rows + failing ? HN_PROTO_ERRORS_MAX - slot_rows - failing : 0;
    uint64_t *folded = NULL;
    bool *fold = NULL;
    if (r->n_texts > text_room) {
        folded = calloc(r->n_entries, sizeof(*folded));
        fold = choose_folded(r, text_room);
        if (!folded || !fold) {
            free(folded);
            free(fold);
            return -ENOMEM;
        }
    }
    for (uint32_t i = 0; fold && i < HN_REC_TEXTS_MAX; i++)
        if (fold[i])
            folded[r->texts[i].entry] += r->texts[i].count;
    uint32_t n_errors = slot_rows + (r->n_texts < text_room ? r->n_texts : text_room);
    for (uint32_t i = 0; folded && i < r->n_entries; i++)
        n_errors += folded[i] && !r->entries[i].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)];
    struct hn_msg m = {.type = info->type};
    struct hn_msg_snapshot *snap = &m.snapshot;
    snap->seq = info->seq;
    snap->interval_start_ms = info->interval_start_ms;
    snap->interval_end_ms = info->interval_end_ms;
    snap->users = info->users;
    snap->dropped = r->dropped;
    snprintf(snap->run_id, sizeof(snap->run_id), "%s", info->run_id ? info->run_id : "");
    if (n_errors > HN_PROTO_ERRORS_MAX) {
        /* Failure totals per entry still travel; only the breakdown by
         * kind is cut, and it is said. */
        hn_log_warn("snapshot %llu: %u error kinds, only %u sent", (unsigned long long)info->seq,
                    n_errors, HN_PROTO_ERRORS_MAX);
        n_errors = HN_PROTO_ERRORS_MAX;
    }
    snap->entries = calloc(n_entries ? n_entries : 1, sizeof(*snap->entries));
    snap->errors = calloc(n_errors ? n_errors : 1, sizeof(*snap->errors));
    snap->exceptions = calloc(HN_REC_EXCEPTIONS_MAX, sizeof(*snap->exceptions));
    if (!snap->entries || !snap->errors || !snap->exceptions) {
        free(snap->entries);
        free(snap->errors);
        free(snap->exceptions);
        free(folded);
        free(fold);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < r->n_entries; i++) {
        const struct hn_rec_entry *e = &r->entries[i];
        if (!sent(e, info))
            continue;
        const struct hn_stat_key *key = &s->entries[i];
        struct hn_msg_entry *me = &snap->entries[snap->n_entries++];
        snprintf(me->method, sizeof(me->method), "%s", key->method);
        snprintf(me->name, sizeof(me->name), "%s", key->name);
        me->requests = e->requests;
        me->failures = e->failures;
        me->bytes_received = e->bytes;
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            me->hist[t] = e->timing[t].total && (info->phases || !hn_timing_is_phase(t))
                              ? &e->timing[t]
                              : NULL;
        for (uint32_t k = 0; e->failures && k < HN_FAIL_SLOTS; k++) {
            uint64_t count = e->fail_counts[k];
            if (folded && k == hn_fail_slot(HN_FAIL_TEXTS_FULL))
                count += folded[i];
            if (!count || snap->n_errors == n_errors)
                continue;
            struct hn_msg_error *me_err = &snap->errors[snap->n_errors++];
            snprintf(me_err->method, sizeof(me_err->method), "%s", key->method);
            snprintf(me_err->name, sizeof(me_err->name), "%s", key->name);
            hn_fail_name(k, me_err->error, sizeof(me_err->error));
            me_err->count = count;
        }
    }
    for (uint32_t i = 0; r->n_texts && i < HN_REC_TEXTS_MAX && snap->n_errors < n_errors; i++) {
        const struct hn_rec_text *t = &r->texts[i];
        if (!t->len || t->entry >= r->n_entries || (fold && fold[i]))
            continue;
        const struct hn_stat_key *key = &s->entries[t->entry];
        struct hn_msg_error *me_err = &snap->errors[snap->n_errors++];
        snprintf(me_err->method, sizeof(me_err->method), "%s", key->method);
        snprintf(me_err->name, sizeof(me_err->name), "%s", key->name);
        hn_utf8_copy(me_err->error, sizeof(me_err->error), t->text, t->len);
        me_err->count = t->count;
    }
    for (uint32_t i = 0; i < r->n_exceptions; i++) {
        struct hn_msg_exception *x = &snap->exceptions[snap->n_exceptions++];
        hn_utf8_copy(x->message, sizeof(x->message), r->exceptions[i].message,
                         strlen(r->exceptions[i].message));
        x->count = r->exceptions[i].count;
    }
    int err = hn_msg_encode(&m, out);
    free(folded);
    free(fold);
    free(snap->entries);
    free(snap->errors);
    free(snap->exceptions);
    return err;
}

int hn_snapshot_encode_fit(const struct hn_scenario *s, const struct hn_recorder *r,
                           const struct hn_snapshot_info *info, msgpack_sbuffer *out,
                           bool *phases_dropped)
{
    *phases_dropped = false;
    int err = hn_snapshot_encode(s, r, info, out);
    if (err != HN_E_TOO_LARGE || !info->phases)
        return err;
    struct hn_snapshot_info without = *info;
    without.phases = false; /* the failed encoding left @out as it was */
    err = hn_snapshot_encode(s, r, &without, out);
    *phases_dropped = err == 0;
    return err;
}
