/* Message encoder: struct hn_msg → one msgpack frame [type, version, body].
 * Checks the message against the decoder's rules before it leaves. */
#include "msg.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "error.h"

/* Pack-call result → our error code (msgpack-c only fails when its buffer
 * cannot grow). */
#define PK(call)                                                                                   \
    do {                                                                                           \
        if (call)                                                                                  \
            return -ENOMEM;                                                                        \
    } while (0)

const char *hn_msg_type_name(uint32_t type)
{
    static const char *const names[] = {
        [HN_MSG_HELLO] = "HELLO",         [HN_MSG_WELCOME] = "WELCOME",
        [HN_MSG_REJECT] = "REJECT",       [HN_MSG_SCENARIO] = "SCENARIO",
        [HN_MSG_TARGET] = "TARGET",       [HN_MSG_SNAPSHOT] = "SNAPSHOT",
        [HN_MSG_HEARTBEAT] = "HEARTBEAT", [HN_MSG_STOP] = "STOP",
        [HN_MSG_FINAL] = "FINAL",         [HN_MSG_QUIT] = "QUIT",
        [HN_MSG_GRANT] = "GRANT",         [HN_MSG_DECLINE] = "DECLINE",
    };
    if (type >= 1 && type <= HN_MSG_TYPE_MAX)
        return names[type];
    return "UNKNOWN";
}

/* A NUL-terminated string from a char array of @cap bytes, at most @limit
 * bytes long. */
static int pack_str(msgpack_packer *pk, const char *s, size_t cap, size_t limit)
{
    size_t n = strnlen(s, cap);
    if (n == cap || n > limit)
        return HN_E_TOO_LARGE;
    if (!hn_msg_str_valid(s, n))
        return HN_E_INVALID;
    PK(msgpack_pack_str(pk, n));
    PK(msgpack_pack_str_body(pk, s, n));
    return 0;
}

#define PACK_STR(pk, arr, limit) pack_str(pk, arr, sizeof(arr), limit)

static int pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n, size_t limit)
{
    if (n > limit)
        return HN_E_TOO_LARGE;
    PK(msgpack_pack_bin(pk, n));
    if (n)
        PK(msgpack_pack_bin_body(pk, p, n));
    return 0;
}

static int pack_rate(msgpack_packer *pk, double v)
{
    if (!isfinite(v) || v < 0)
        return HN_E_RANGE;
    PK(msgpack_pack_double(pk, v));
    return 0;
}

static int pack_hello(msgpack_packer *pk, const struct hn_msg_hello *h)
{
    PK(msgpack_pack_array(pk, 7));
    HN_TRY(PACK_STR(pk, h->worker_id, HN_PROTO_ID_MAX));
    HN_TRY(PACK_STR(pk, h->hostname, HN_PROTO_HOSTNAME_MAX));
    PK(msgpack_pack_uint32(pk, h->pid));
    HN_TRY(PACK_STR(pk, h->version, HN_PROTO_VERSION_STR_MAX));
    PK(msgpack_pack_uint32(pk, h->cpus));
    PK(msgpack_pack_uint32(pk, h->capacity));
    HN_TRY(PACK_STR(pk, h->run_id, HN_PROTO_ID_MAX));
    return 0;
}

static int pack_welcome(msgpack_packer *pk, const struct hn_msg_welcome *w)
{
    PK(msgpack_pack_array(pk, 3));
    PK(msgpack_pack_uint32(pk, w->worker_index));
    HN_TRY(PACK_STR(pk, w->run_id, HN_PROTO_ID_MAX));
    PK(msgpack_pack_uint32(pk, w->snapshot_interval_ms));
    return 0;
}

static int pack_target(msgpack_packer *pk, const struct hn_msg_target *t)
{
    if ((unsigned)t->phase >= HN_PHASE__COUNT || (unsigned)t->model >= HN_MODEL__COUNT)
        return HN_E_RANGE;
    if (t->n_classes > HN_PROTO_CLASSES_MAX)
        return HN_E_TOO_LARGE;
    if (t->n_class_rates && t->n_class_rates != t->n_classes)
        return HN_E_INVALID;
    PK(msgpack_pack_array(pk, 11));
    PK(msgpack_pack_uint64(pk, t->seq));
    PK(msgpack_pack_uint32(pk, (uint32_t)t->phase));
    PK(msgpack_pack_uint32(pk, (uint32_t)t->model));
    PK(msgpack_pack_array(pk, t->n_classes));
    for (uint32_t i = 0; i < t->n_classes; i++)
        PK(msgpack_pack_uint32(pk, t->users[i]));
    HN_TRY(pack_rate(pk, t->spawn_rate_per_s));
    if (t->arrival_rate_per_s > HN_PROTO_ARRIVAL_RATE_MAX)
        return HN_E_RANGE;
    HN_TRY(pack_rate(pk, t->arrival_rate_per_s));
    PK(msgpack_pack_uint32(pk, t->max_users));
    PK(msgpack_pack_uint64(pk, t->start_wall_ms));
    PK(msgpack_pack_uint32(pk, t->max_delay_ms));
    PK(msgpack_pack_array(pk, t->n_class_rates));
    for (uint32_t i = 0; i < t->n_class_rates; i++) {
        if (t->class_rates[i] > HN_PROTO_ARRIVAL_RATE_MAX)
            return HN_E_RANGE;
        HN_TRY(pack_rate(pk, t->class_rates[i]));
    }
    PK(msgpack_pack_uint64(pk, t->ends_in_ms));
    return 0;
}

static bool hist_sent(const struct hn_hist *h)
{
    return h && h->total > 0;
}

/* The decoder's consistency rules for one entry (see struct hn_msg_entry). */
static int check_entry(const struct hn_msg_entry *e)
{
    if (e->failures > e->requests)
        return HN_E_INVALID;
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        uint64_t n = hist_sent(e->hist[k]) ? e->hist[k]->total : 0;
        if (k == HN_TIMING_TOTAL ? n != e->requests : !hn_timing_is_phase(k) && n > e->requests)
            return HN_E_INVALID;
    }
    return 0;
}

static int pack_entry(msgpack_packer *pk, const struct hn_msg_entry *e)
{
    HN_TRY(check_entry(e));
    uint32_t n_timings = 0;
    for (int k = 0; k < HN_TIMING__COUNT; k++)
        n_timings += hist_sent(e->hist[k]);
    PK(msgpack_pack_array(pk, 6));
    HN_TRY(PACK_STR(pk, e->method, HN_PROTO_METHOD_MAX));
    HN_TRY(PACK_STR(pk, e->name, HN_PROTO_NAME_MAX));
    PK(msgpack_pack_uint64(pk, e->requests));
    PK(msgpack_pack_uint64(pk, e->failures));
    PK(msgpack_pack_uint64(pk, e->bytes_received));
    PK(msgpack_pack_array(pk, n_timings));
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        if (!hist_sent(e->hist[k]))
            continue;
        PK(msgpack_pack_array(pk, 2));
        PK(msgpack_pack_uint32(pk, (uint32_t)k));
        HN_TRY(hn_hist_codec_pack(pk, e->hist[k]));
    }
    return 0;
}

static int pack_error(msgpack_packer *pk, const struct hn_msg_error *r)
{
    if (r->count == 0)
        return HN_E_RANGE;
    PK(msgpack_pack_array(pk, 4));
    HN_TRY(PACK_STR(pk, r->method, HN_PROTO_METHOD_MAX));
    HN_TRY(PACK_STR(pk, r->name, HN_PROTO_NAME_MAX));
    HN_TRY(PACK_STR(pk, r->error, HN_PROTO_ERROR_MAX));
    PK(msgpack_pack_uint64(pk, r->count));
    return 0;
}

static int pack_snapshot(msgpack_packer *pk, const struct hn_msg_snapshot *s)
{
    if (s->n_entries > HN_PROTO_ENTRIES_MAX || s->n_errors > HN_PROTO_ERRORS_MAX ||
        s->n_exceptions > HN_PROTO_EXCEPTIONS_MAX)
        return HN_E_TOO_LARGE;
    PK(msgpack_pack_array(pk, 9));
    PK(msgpack_pack_uint64(pk, s->seq));
    PK(msgpack_pack_uint64(pk, s->interval_start_ms));
    PK(msgpack_pack_uint64(pk, s->interval_end_ms));
    PK(msgpack_pack_uint32(pk, s->users));
    PK(msgpack_pack_array(pk, s->n_entries));
    for (uint32_t i = 0; i < s->n_entries; i++)
        HN_TRY(pack_entry(pk, &s->entries[i]));
    PK(msgpack_pack_array(pk, s->n_errors));
    for (uint32_t i = 0; i < s->n_errors; i++)
        HN_TRY(pack_error(pk, &s->errors[i]));
    HN_TRY(PACK_STR(pk, s->run_id, HN_PROTO_ID_MAX));
    PK(msgpack_pack_array(pk, s->n_exceptions));
    for (uint32_t i = 0; i < s->n_exceptions; i++) {
        if (s->exceptions[i].count == 0)
            return HN_E_RANGE;
        PK(msgpack_pack_array(pk, 2));
        HN_TRY(PACK_STR(pk, s->exceptions[i].message, HN_PROTO_ERROR_MAX));
        PK(msgpack_pack_uint64(pk, s->exceptions[i].count));
    }
    PK(msgpack_pack_uint64(pk, s->dropped));
    return 0;
}

static int pack_grant(msgpack_packer *pk, const struct hn_msg_grant *g)
{
    if (g->n_feeders > HN_PROTO_FEEDERS_MAX)
        return HN_E_TOO_LARGE;
    if (g->n_ids && g->first_user_id + (g->n_ids - 1) < g->first_user_id)
        return HN_E_RANGE; /* the decoder's rule: ids do not wrap */
    PK(msgpack_pack_array(pk, 3));
    PK(msgpack_pack_uint64(pk, g->first_user_id));
    PK(msgpack_pack_uint32(pk, g->n_ids));
    PK(msgpack_pack_array(pk, g->n_feeders));
    for (uint32_t i = 0; i < g->n_feeders; i++) {
        const struct hn_msg_grant_feeder *f = &g->feeders[i];
        PK(msgpack_pack_array(pk, 4));
        PK(msgpack_pack_uint32(pk, f->feeder));
        PK(msgpack_pack_uint32(pk, f->n_rows));
        PK(msgpack_pack_uint64(pk, f->first_row));
        if (f->cells)
            HN_TRY(pack_bin(pk, f->cells, f->cells_len, HN_PROTO_GRANT_CELLS_MAX));
        else
            PK(msgpack_pack_nil(pk));
    }
    return 0;
}

static int pack_heartbeat(msgpack_packer *pk, const struct hn_msg_heartbeat *h)
{
    if ((unsigned)h->state >= HN_WSTATE__COUNT)
        return HN_E_RANGE;
    PK(msgpack_pack_array(pk, 6));
    PK(msgpack_pack_uint32(pk, (uint32_t)h->state));
    PK(msgpack_pack_uint32(pk, h->cpu_permille));
    PK(msgpack_pack_uint64(pk, h->rss_bytes));
    PK(msgpack_pack_uint32(pk, h->users));
    PK(msgpack_pack_uint32(pk, h->loop_lag_ms));
    PK(msgpack_pack_uint32(pk, h->grants));
    return 0;
}

static int pack_body(msgpack_packer *pk, const struct hn_msg *m)
{
    switch (m->type) {
    case HN_MSG_HELLO:
        return pack_hello(pk, &m->hello);
    case HN_MSG_WELCOME:
        return pack_welcome(pk, &m->welcome);
    case HN_MSG_REJECT:
        PK(msgpack_pack_array(pk, 1));
        return PACK_STR(pk, m->reject.reason, HN_PROTO_REASON_MAX);
    case HN_MSG_SCENARIO:
        PK(msgpack_pack_array(pk, 2));
        HN_TRY(pack_bin(pk, m->scenario.blob, m->scenario.blob_len, HN_PROTO_SCENARIO_MAX));
        return pack_bin(pk, m->scenario.hash, m->scenario.hash_len, HN_PROTO_HASH_MAX);
    case HN_MSG_TARGET:
        return pack_target(pk, &m->target);
    case HN_MSG_SNAPSHOT:
    case HN_MSG_FINAL:
        return pack_snapshot(pk, &m->snapshot);
    case HN_MSG_HEARTBEAT:
        return pack_heartbeat(pk, &m->heartbeat);
    case HN_MSG_STOP:
        PK(msgpack_pack_array(pk, 1));
        PK(msgpack_pack_uint32(pk, m->stop.timeout_ms));
        return 0;
    case HN_MSG_QUIT:
        PK(msgpack_pack_array(pk, 0));
        return 0;
    case HN_MSG_GRANT:
        return pack_grant(pk, &m->grant);
    case HN_MSG_DECLINE:
        PK(msgpack_pack_array(pk, 2));
        HN_TRY(PACK_STR(pk, m->decline.run_id, HN_PROTO_ID_MAX));
        return PACK_STR(pk, m->decline.reason, HN_PROTO_REASON_MAX);
    }
    return HN_E_UNKNOWN_TYPE;
}

/* Per-type frame size cap (shared rule with the decoder). */
size_t hn_msg_frame_cap(uint32_t type)
{
    switch (type) {
    case HN_MSG_SCENARIO:
        return HN_PROTO_FRAME_MAX;
    case HN_MSG_SNAPSHOT:
    case HN_MSG_FINAL:
    case HN_MSG_GRANT:
        return HN_PROTO_SNAPSHOT_FRAME_MAX;
    default:
        return HN_PROTO_SMALL_FRAME_MAX;
    }
}

int hn_msg_encode(const struct hn_msg *m, msgpack_sbuffer *out)
{
    if (m->type < 1 || m->type > HN_MSG_TYPE_MAX)
        return HN_E_UNKNOWN_TYPE;
    size_t start = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    int rc = 0;
    if (msgpack_pack_array(&pk, 3) || msgpack_pack_uint32(&pk, (uint32_t)m->type) ||
        msgpack_pack_uint32(&pk, HN_PROTO_VERSION))
        rc = -ENOMEM;
    if (!rc)
        rc = pack_body(&pk, m);
    if (!rc && out->size - start > hn_msg_frame_cap(m->type))
        rc = HN_E_TOO_LARGE;
    if (rc)
        out->size = start; /* drop the partial frame */
    return rc;
}
