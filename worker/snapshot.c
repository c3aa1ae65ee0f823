/* Recorder → SNAPSHOT/FINAL frame (see snapshot.h). Runs once a second on
 * the worker's main thread, never on an engine thread. */
#include "snapshot.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int hn_snapshot_encode(const struct hn_scenario *s, const struct hn_recorder *r,
                       const struct hn_snapshot_info *info, msgpack_sbuffer *out)
{
    uint32_t n_entries = 0, n_errors = 0;
    for (uint32_t i = 0; i < r->n_entries; i++) {
        const struct hn_rec_entry *e = &r->entries[i];
        if (!e->requests)
            continue;
        n_entries++;
        if (e->failures)
            for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
                n_errors += e->fail_counts[k] != 0;
    }
    struct hn_msg m = {.type = info->type};
    struct hn_msg_snapshot *snap = &m.snapshot;
    snap->seq = info->seq;
    snap->interval_start_ms = info->interval_start_ms;
    snap->interval_end_ms = info->interval_end_ms;
    snap->users = info->users;
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
    if (!snap->entries || !snap->errors) {
        free(snap->entries);
        free(snap->errors);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < r->n_entries; i++) {
        const struct hn_rec_entry *e = &r->entries[i];
        if (!e->requests)
            continue;
        const struct hn_stat_key *key = &s->entries[i];
        struct hn_msg_entry *me = &snap->entries[snap->n_entries++];
        snprintf(me->method, sizeof(me->method), "%s", key->method);
        snprintf(me->name, sizeof(me->name), "%s", key->name);
        me->requests = e->requests;
        me->failures = e->failures;
        me->bytes_received = e->bytes;
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            me->hist[t] = e->timing[t].total ? &e->timing[t] : NULL;
        for (uint32_t k = 0; e->failures && k < HN_FAIL_SLOTS; k++) {
            if (!e->fail_counts[k] || snap->n_errors == n_errors)
                continue;
            struct hn_msg_error *me_err = &snap->errors[snap->n_errors++];
            snprintf(me_err->method, sizeof(me_err->method), "%s", key->method);
            snprintf(me_err->name, sizeof(me_err->name), "%s", key->name);
            hn_fail_name(k, me_err->error, sizeof(me_err->error));
            me_err->count = e->fail_counts[k];
        }
    }
    int err = hn_msg_encode(&m, out);
    free(snap->entries);
    free(snap->errors);
    return err;
}
