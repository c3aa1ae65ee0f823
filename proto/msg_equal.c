/* Equality of two decoded messages: a test and fuzzing oracle (the
 * round-trip checks of tests/unit/test-msg.c and proto/fuzz/fuzz_decode.c),
 * not used by the master or the worker. */
#include "msg.h"

#include <string.h>

static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool wire_equal(const struct hn_hist_wire *a, const struct hn_hist_wire *b)
{
    return a->present == b->present && a->total == b->total && a->overflow == b->overflow &&
           a->min == b->min && a->max == b->max && a->sum == b->sum &&
           bytes_equal(a->buckets, a->buckets_len, b->buckets, b->buckets_len);
}

static bool entry_equal(const struct hn_msg_entry *a, const struct hn_msg_entry *b)
{
    if (strcmp(a->method, b->method) || strcmp(a->name, b->name) || a->requests != b->requests ||
        a->failures != b->failures || a->bytes_received != b->bytes_received)
        return false;
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        if (!wire_equal(&a->wire[k], &b->wire[k]))
            return false;
    return true;
}

static bool snapshot_equal(const struct hn_msg_snapshot *a, const struct hn_msg_snapshot *b)
{
    if (a->seq != b->seq || strcmp(a->run_id, b->run_id) ||
        a->interval_start_ms != b->interval_start_ms || a->interval_end_ms != b->interval_end_ms ||
        a->users != b->users || a->n_entries != b->n_entries || a->n_errors != b->n_errors ||
        a->n_exceptions != b->n_exceptions || a->dropped != b->dropped)
        return false;
    for (uint32_t i = 0; i < a->n_exceptions; i++)
        if (strcmp(a->exceptions[i].message, b->exceptions[i].message) ||
            a->exceptions[i].count != b->exceptions[i].count)
            return false;
    for (uint32_t i = 0; i < a->n_entries; i++)
        if (!entry_equal(&a->entries[i], &b->entries[i]))
            return false;
    for (uint32_t i = 0; i < a->n_errors; i++) {
        const struct hn_msg_error *x = &a->errors[i], *y = &b->errors[i];
        if (strcmp(x->method, y->method) || strcmp(x->name, y->name) ||
            strcmp(x->error, y->error) || x->count != y->count)
            return false;
    }
    return true;
}

static bool target_equal(const struct hn_msg_target *a, const struct hn_msg_target *b)
{
    if (a->seq != b->seq || a->phase != b->phase || a->model != b->model ||
        a->n_classes != b->n_classes || a->spawn_rate_per_s != b->spawn_rate_per_s ||
        a->arrival_rate_per_s != b->arrival_rate_per_s || a->max_users != b->max_users ||
        a->start_wall_ms != b->start_wall_ms || a->max_delay_ms != b->max_delay_ms ||
        a->ends_in_ms != b->ends_in_ms || a->n_class_rates != b->n_class_rates)
        return false;
    for (uint32_t i = 0; i < a->n_class_rates && i < HN_PROTO_CLASSES_MAX; i++)
        if (a->class_rates[i] != b->class_rates[i])
            return false;
    for (uint32_t i = 0; i < a->n_classes && i < HN_PROTO_CLASSES_MAX; i++)
        if (a->users[i] != b->users[i])
            return false;
    return true;
}

bool hn_msg_equal(const struct hn_msg *a, const struct hn_msg *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case HN_MSG_HELLO:
        return !strcmp(a->hello.worker_id, b->hello.worker_id) &&
               !strcmp(a->hello.hostname, b->hello.hostname) && a->hello.pid == b->hello.pid &&
               !strcmp(a->hello.version, b->hello.version) && a->hello.cpus == b->hello.cpus &&
               a->hello.capacity == b->hello.capacity && !strcmp(a->hello.run_id, b->hello.run_id);
    case HN_MSG_WELCOME:
        return a->welcome.worker_index == b->welcome.worker_index &&
               !strcmp(a->welcome.run_id, b->welcome.run_id) &&
               a->welcome.snapshot_interval_ms == b->welcome.snapshot_interval_ms;
    case HN_MSG_REJECT:
        return !strcmp(a->reject.reason, b->reject.reason);
    case HN_MSG_SCENARIO:
        return bytes_equal(a->scenario.blob, a->scenario.blob_len, b->scenario.blob,
                           b->scenario.blob_len) &&
               bytes_equal(a->scenario.hash, a->scenario.hash_len, b->scenario.hash,
                           b->scenario.hash_len);
    case HN_MSG_TARGET:
        return target_equal(&a->target, &b->target);
    case HN_MSG_SNAPSHOT:
    case HN_MSG_FINAL:
        return snapshot_equal(&a->snapshot, &b->snapshot);
    case HN_MSG_HEARTBEAT:
        return a->heartbeat.state == b->heartbeat.state &&
               a->heartbeat.cpu_permille == b->heartbeat.cpu_permille &&
               a->heartbeat.rss_bytes == b->heartbeat.rss_bytes &&
               a->heartbeat.users == b->heartbeat.users &&
               a->heartbeat.loop_lag_ms == b->heartbeat.loop_lag_ms;
    case HN_MSG_STOP:
        return a->stop.timeout_ms == b->stop.timeout_ms;
    case HN_MSG_QUIT:
        return true;
    case HN_MSG_GRANT:
        if (a->grant.first_user_id != b->grant.first_user_id || a->grant.n_ids != b->grant.n_ids ||
            a->grant.n_feeders != b->grant.n_feeders)
            return false;
        for (uint32_t i = 0; i < a->grant.n_feeders; i++) {
            const struct hn_msg_grant_feeder *x = &a->grant.feeders[i], *y = &b->grant.feeders[i];
            if (x->feeder != y->feeder || x->n_rows != y->n_rows || x->first_row != y->first_row ||
                !x->cells != !y->cells ||
                !bytes_equal(x->cells, x->cells_len, y->cells, y->cells_len))
                return false;
        }
        return true;
    case HN_MSG_DECLINE:
        return !strcmp(a->decline.run_id, b->decline.run_id) &&
               !strcmp(a->decline.reason, b->decline.reason);
    }
    return false;
}
