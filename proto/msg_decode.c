/* Message decoder: hostile bytes → struct hn_msg. Size, version and type
 * first, then a structural check of the raw bytes (frame_check.c), and only
 * then msgpack-c, whose objects are checked field by field. */
#include "msg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "frame_check.h"
#include "utf8.h"

bool hn_msg_str_valid(const char *str, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = hn_utf8_char_len(str + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Read an unsigned msgpack integer at *pos (any width; signed forms holding
 * a non-negative value too, as msgpack-c accepts them). */
static int peek_uint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    if (*pos >= len)
        return HN_E_TRUNCATED;
    uint8_t b = p[(*pos)++];
    if (b <= 0x7f) {
        *out = b;
        return 0;
    }
    unsigned n;
    bool is_signed = false;
    if (b >= 0xcc && b <= 0xcf)
        n = 1u << (b - 0xcc);
    else if (b >= 0xd0 && b <= 0xd3)
        n = 1u << (b - 0xd0), is_signed = true;
    else
        return HN_E_TYPE;
    if (len - *pos < n)
        return HN_E_TRUNCATED;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[*pos + i];
    if (is_signed && (p[*pos] & 0x80))
        return HN_E_RANGE; /* negative */
    *pos += n;
    *out = v;
    return 0;
}

int hn_msg_peek(const void *buf, size_t len, uint32_t *type, uint32_t *version)
{
    const uint8_t *p = buf;
    size_t pos = 1;
    uint64_t count, t, v;
    if (len == 0)
        return HN_E_TRUNCATED;
    if (p[0] >= 0x90 && p[0] <= 0x9f) {
        count = p[0] & 0x0f;
    } else if (p[0] == 0xdc || p[0] == 0xdd) {
        unsigned n = p[0] == 0xdc ? 2 : 4;
        if (len < 1 + n)
            return HN_E_TRUNCATED;
        count = 0;
        for (unsigned i = 0; i < n; i++)
            count = (count << 8) | p[1 + i];
        pos += n;
    } else {
        return HN_E_TYPE;
    }
    if (count != 3)
        return HN_E_INVALID;
    HN_TRY(peek_uint(p, len, &pos, &t));
    HN_TRY(peek_uint(p, len, &pos, &v));
    if (t > UINT32_MAX || v > UINT32_MAX)
        return HN_E_RANGE;
    *type = (uint32_t)t;
    *version = (uint32_t)v;
    return 0;
}

/* ---- typed field extraction from msgpack objects ---- */

static int get_u64(const msgpack_object *o, uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return HN_E_RANGE;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return HN_E_TYPE;
    *out = o->via.u64;
    return 0;
}

static int get_u32(const msgpack_object *o, uint32_t *out)
{
    uint64_t v;
    HN_TRY(get_u64(o, &v));
    if (v > UINT32_MAX)
        return HN_E_RANGE;
    *out = (uint32_t)v;
    return 0;
}

/* An enum value below @count. */
static int get_enum(const msgpack_object *o, uint32_t count, uint32_t *out)
{
    HN_TRY(get_u32(o, out));
    return *out < count ? 0 : HN_E_RANGE;
}

/* A rate: finite and >= 0. */
static int get_rate(const msgpack_object *o, double *out)
{
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32)
        return HN_E_TYPE;
    double v = o->via.f64;
    if (!isfinite(v) || v < 0)
        return HN_E_RANGE;
    *out = v;
    return 0;
}

/* Copy a string of at most @limit bytes into @dst (room for limit + 1). */
static int get_str(const msgpack_object *o, char *dst, size_t limit)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return HN_E_TYPE;
    size_t n = o->via.str.size;
    if (n > limit)
        return HN_E_TOO_LARGE;
    if (!hn_msg_str_valid(o->via.str.ptr, n))
        return HN_E_INVALID;
    if (n)
        memcpy(dst, o->via.str.ptr, n);
    dst[n] = '\0';
    return 0;
}

/* Into a char array sized limit + 1 (see msg.h). */
#define GET_STR(o, arr) get_str(o, arr, sizeof(arr) - 1)

/* A bin of at most @limit bytes, pointing into the frame. */
static int get_bin(const msgpack_object *o, const uint8_t **p, size_t *len, size_t limit)
{
    if (o->type != MSGPACK_OBJECT_BIN)
        return HN_E_TYPE;
    if (o->via.bin.size > limit)
        return HN_E_TOO_LARGE;
    *len = o->via.bin.size;
    *p = *len ? (const uint8_t *)o->via.bin.ptr : NULL;
    return 0;
}

/* An array of exactly @n elements (a positional body or tuple). */
static int get_tuple(const msgpack_object *o, uint32_t n, const msgpack_object **items)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return HN_E_TYPE;
    if (o->via.array.size != n)
        return HN_E_INVALID;
    *items = o->via.array.ptr;
    return 0;
}

/* An array of at most @limit elements. */
static int get_list(const msgpack_object *o, uint32_t limit, const msgpack_object **items,
                    uint32_t *n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return HN_E_TYPE;
    if (o->via.array.size > limit)
        return HN_E_TOO_LARGE;
    *items = o->via.array.ptr;
    *n = o->via.array.size;
    return 0;
}

/* ---- bodies ---- */

static int decode_hello(const msgpack_object *o, struct hn_msg_hello *h)
{
    const msgpack_object *f;
    HN_TRY(get_tuple(o, 7, &f));
    HN_TRY(GET_STR(&f[0], h->worker_id));
    HN_TRY(GET_STR(&f[1], h->hostname));
    HN_TRY(get_u32(&f[2], &h->pid));
    HN_TRY(GET_STR(&f[3], h->version));
    HN_TRY(get_u32(&f[4], &h->cpus));
    HN_TRY(get_u32(&f[5], &h->capacity));
    return GET_STR(&f[6], h->run_id);
}

static int decode_welcome(const msgpack_object *o, struct hn_msg_welcome *w)
{
    const msgpack_object *f;
    HN_TRY(get_tuple(o, 3, &f));
    HN_TRY(get_u32(&f[0], &w->worker_index));
    HN_TRY(GET_STR(&f[1], w->run_id));
    return get_u32(&f[2], &w->snapshot_interval_ms);
}

static int decode_target(const msgpack_object *o, struct hn_msg_target *t)
{
    const msgpack_object *f, *users;
    uint32_t phase, model;
    HN_TRY(get_tuple(o, 11, &f));
    HN_TRY(get_u64(&f[0], &t->seq));
    HN_TRY(get_enum(&f[1], HN_PHASE__COUNT, &phase));
    HN_TRY(get_enum(&f[2], HN_MODEL__COUNT, &model));
    t->phase = (enum hn_phase)phase;
    t->model = (enum hn_load_model)model;
    HN_TRY(get_list(&f[3], HN_PROTO_CLASSES_MAX, &users, &t->n_classes));
    for (uint32_t i = 0; i < t->n_classes; i++)
        HN_TRY(get_u32(&users[i], &t->users[i]));
    HN_TRY(get_rate(&f[4], &t->spawn_rate_per_s));
    HN_TRY(get_rate(&f[5], &t->arrival_rate_per_s));
    if (t->arrival_rate_per_s > HN_PROTO_ARRIVAL_RATE_MAX)
        return HN_E_RANGE;
    HN_TRY(get_u32(&f[6], &t->max_users));
    HN_TRY(get_u64(&f[7], &t->start_wall_ms));
    HN_TRY(get_u32(&f[8], &t->max_delay_ms));
    const msgpack_object *rates;
    HN_TRY(get_list(&f[9], HN_PROTO_CLASSES_MAX, &rates, &t->n_class_rates));
    if (t->n_class_rates && t->n_class_rates != t->n_classes)
        return HN_E_INVALID;
    for (uint32_t i = 0; i < t->n_class_rates; i++) {
        HN_TRY(get_rate(&rates[i], &t->class_rates[i]));
        if (t->class_rates[i] > HN_PROTO_ARRIVAL_RATE_MAX)
            return HN_E_RANGE;
    }
    return get_u64(&f[10], &t->ends_in_ms);
}

/* timings: [[kind, hist], ...], kinds strictly increasing, none empty. */
static int decode_timings(const msgpack_object *o, struct hn_hist_pairs *pairs,
                          struct hn_msg_entry *e)
{
    const msgpack_object *items;
    uint32_t n;
    int64_t prev = -1;
    HN_TRY(get_list(o, HN_TIMING__COUNT, &items, &n));
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *pair;
        uint32_t kind;
        HN_TRY(get_tuple(&items[i], 2, &pair));
        HN_TRY(get_enum(&pair[0], HN_TIMING__COUNT, &kind));
        if ((int64_t)kind <= prev)
            return HN_E_INVALID; /* repeated or out of order */
        prev = kind;
        HN_TRY(hn_hist_codec_unpack_into(&pair[1], pairs, &e->wire[kind]));
        if (e->wire[kind].total == 0)
            return HN_E_INVALID; /* empty histograms are not sent */
        e->wire[kind].present = true;
    }
    return 0;
}

static int decode_entry(const msgpack_object *o, struct hn_hist_pairs *pairs,
                        struct hn_msg_entry *e)
{
    const msgpack_object *f;
    HN_TRY(get_tuple(o, 6, &f));
    HN_TRY(GET_STR(&f[0], e->method));
    HN_TRY(GET_STR(&f[1], e->name));
    HN_TRY(get_u64(&f[2], &e->requests));
    HN_TRY(get_u64(&f[3], &e->failures));
    HN_TRY(get_u64(&f[4], &e->bytes_received));
    HN_TRY(decode_timings(&f[5], pairs, e));
    if (e->failures > e->requests)
        return HN_E_INVALID;
    for (int k = 0; k < HN_TIMING__COUNT; k++) {
        uint64_t n = e->wire[k].total; /* 0 when absent */
        if (k == HN_TIMING_TOTAL ? n != e->requests : !hn_timing_is_phase(k) && n > e->requests)
            return HN_E_INVALID; /* phases cover earlier reports' requests too */
    }
    return 0;
}

static int decode_error(const msgpack_object *o, struct hn_msg_error *r)
{
    const msgpack_object *f;
    HN_TRY(get_tuple(o, 4, &f));
    HN_TRY(GET_STR(&f[0], r->method));
    HN_TRY(GET_STR(&f[1], r->name));
    HN_TRY(GET_STR(&f[2], r->error));
    HN_TRY(get_u64(&f[3], &r->count));
    return r->count ? 0 : HN_E_RANGE;
}

/* Fills @s from a frame of @frame_len bytes, its histograms' counters
 * decoded into @room (NULL: room of its own); on error the caller frees
 * whatever was allocated. */
static int decode_snapshot(const msgpack_object *o, size_t frame_len, struct hn_hist_pairs *room,
                           struct hn_msg_snapshot *s)
{
    const msgpack_object *f, *entries, *errors, *exceptions;
    uint32_t n_entries, n_errors, n_exceptions;
    HN_TRY(get_tuple(o, 9, &f));
    HN_TRY(get_u64(&f[0], &s->seq));
    HN_TRY(get_u64(&f[1], &s->interval_start_ms));
    HN_TRY(get_u64(&f[2], &s->interval_end_ms));
    HN_TRY(get_u32(&f[3], &s->users));
    HN_TRY(get_list(&f[4], HN_PROTO_ENTRIES_MAX, &entries, &n_entries));
    HN_TRY(get_list(&f[5], HN_PROTO_ERRORS_MAX, &errors, &n_errors));
    HN_TRY(GET_STR(&f[6], s->run_id));
    HN_TRY(get_list(&f[7], HN_PROTO_EXCEPTIONS_MAX, &exceptions, &n_exceptions));
    HN_TRY(get_u64(&f[8], &s->dropped));
    if (n_entries) {
        s->entries = calloc(n_entries, sizeof(*s->entries));
        if (!s->entries)
            return -ENOMEM;
        if (!room) {
            /* As many counters as the frame can hold (a byte each at
             * least), up to the bound. */
            size_t cap = frame_len < HN_MSG_COUNTERS_MAX ? frame_len : HN_MSG_COUNTERS_MAX;
            HN_TRY(hn_hist_pairs_init(&s->own_counters, cap));
            room = &s->own_counters;
        }
        s->n_entries = n_entries;
        for (uint32_t i = 0; i < n_entries; i++)
            HN_TRY(decode_entry(&entries[i], room, &s->entries[i]));
    }
    if (n_errors) {
        s->errors = calloc(n_errors, sizeof(*s->errors));
        if (!s->errors)
            return -ENOMEM;
        s->n_errors = n_errors;
        for (uint32_t i = 0; i < n_errors; i++)
            HN_TRY(decode_error(&errors[i], &s->errors[i]));
    }
    if (n_exceptions) {
        s->exceptions = calloc(n_exceptions, sizeof(*s->exceptions));
        if (!s->exceptions)
            return -ENOMEM;
        s->n_exceptions = n_exceptions;
        for (uint32_t i = 0; i < n_exceptions; i++) {
            const msgpack_object *x;
            HN_TRY(get_tuple(&exceptions[i], 2, &x));
            HN_TRY(GET_STR(&x[0], s->exceptions[i].message));
            HN_TRY(get_u64(&x[1], &s->exceptions[i].count));
            if (!s->exceptions[i].count)
                return HN_E_RANGE;
        }
    }
    return 0;
}

static int decode_grant(const msgpack_object *o, struct hn_msg_grant *g)
{
    const msgpack_object *f, *feeders;
    HN_TRY(get_tuple(o, 3, &f));
    HN_TRY(get_u64(&f[0], &g->first_user_id));
    HN_TRY(get_u32(&f[1], &g->n_ids));
    HN_TRY(get_list(&f[2], HN_PROTO_FEEDERS_MAX, &feeders, &g->n_feeders));
    for (uint32_t i = 0; i < g->n_feeders; i++) {
        const msgpack_object *x;
        struct hn_msg_grant_feeder *gf = &g->feeders[i];
        HN_TRY(get_tuple(&feeders[i], 4, &x));
        HN_TRY(get_u32(&x[0], &gf->feeder));
        HN_TRY(get_u32(&x[1], &gf->n_rows));
        HN_TRY(get_u64(&x[2], &gf->first_row));
        if (x[3].type != MSGPACK_OBJECT_NIL)
            HN_TRY(get_bin(&x[3], &gf->cells, &gf->cells_len, HN_PROTO_GRANT_CELLS_MAX));
    }
    /* the last id, first + n - 1, must not wrap around */
    return g->n_ids && g->first_user_id + (g->n_ids - 1) < g->first_user_id ? HN_E_RANGE : 0;
}

static int decode_body(const msgpack_object *o, size_t frame_len, struct hn_hist_pairs *room,
                       struct hn_msg *m)
{
    const msgpack_object *f;
    uint32_t state;
    switch (m->type) {
    case HN_MSG_HELLO:
        return decode_hello(o, &m->hello);
    case HN_MSG_WELCOME:
        return decode_welcome(o, &m->welcome);
    case HN_MSG_REJECT:
        HN_TRY(get_tuple(o, 1, &f));
        return GET_STR(&f[0], m->reject.reason);
    case HN_MSG_SCENARIO:
        HN_TRY(get_tuple(o, 2, &f));
        HN_TRY(get_bin(&f[0], &m->scenario.blob, &m->scenario.blob_len, HN_PROTO_SCENARIO_MAX));
        return get_bin(&f[1], &m->scenario.hash, &m->scenario.hash_len, HN_PROTO_HASH_MAX);
    case HN_MSG_TARGET:
        return decode_target(o, &m->target);
    case HN_MSG_SNAPSHOT:
    case HN_MSG_FINAL:
        return decode_snapshot(o, frame_len, room, &m->snapshot);
    case HN_MSG_HEARTBEAT:
        HN_TRY(get_tuple(o, 6, &f));
        HN_TRY(get_enum(&f[0], HN_WSTATE__COUNT, &state));
        m->heartbeat.state = (enum hn_worker_state)state;
        HN_TRY(get_u32(&f[1], &m->heartbeat.cpu_permille));
        HN_TRY(get_u64(&f[2], &m->heartbeat.rss_bytes));
        HN_TRY(get_u32(&f[3], &m->heartbeat.users));
        HN_TRY(get_u32(&f[4], &m->heartbeat.loop_lag_ms));
        return get_u32(&f[5], &m->heartbeat.grants);
    case HN_MSG_STOP:
        HN_TRY(get_tuple(o, 1, &f));
        return get_u32(&f[0], &m->stop.timeout_ms);
    case HN_MSG_QUIT:
        return get_tuple(o, 0, &f);
    case HN_MSG_GRANT:
        return decode_grant(o, &m->grant);
    case HN_MSG_DECLINE:
        HN_TRY(get_tuple(o, 2, &f));
        HN_TRY(GET_STR(&f[0], m->decline.run_id));
        return GET_STR(&f[1], m->decline.reason);
    }
    return HN_E_UNKNOWN_TYPE;
}

int hn_msg_decode(const void *buf, size_t len, struct hn_msg *out)
{
    return hn_msg_decode_into(buf, len, NULL, out);
}

int hn_msg_decode_into(const void *buf, size_t len, struct hn_hist_pairs *room, struct hn_msg *out)
{
    uint32_t type, version;
    if (len > HN_PROTO_FRAME_MAX)
        return HN_E_TOO_LARGE;
    HN_TRY(hn_msg_peek(buf, len, &type, &version));
    if (version != HN_PROTO_VERSION)
        return HN_E_VERSION;
    if (type < 1 || type > HN_MSG_TYPE_MAX)
        return HN_E_UNKNOWN_TYPE;
    if (len > hn_msg_frame_cap(type))
        return HN_E_TOO_LARGE;
    HN_TRY(hn_frame_check(buf, len));

    msgpack_unpacked up;
    size_t off = 0;
    msgpack_unpacked_init(&up);
    msgpack_unpack_return ur = msgpack_unpack_next(&up, buf, len, &off);
    int rc;
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR) {
        rc = -ENOMEM;
    } else if (ur != MSGPACK_UNPACK_SUCCESS || off != len || up.data.type != MSGPACK_OBJECT_ARRAY ||
               up.data.via.array.size != 3) {
        rc = HN_E_INVALID; /* cannot happen after hn_frame_check and peek */
    } else {
        struct hn_msg m;
        memset(&m, 0, sizeof(m));
        m.type = (enum hn_msg_type)type;
        size_t used = room ? room->used : 0;
        rc = decode_body(&up.data.via.array.ptr[2], len, room, &m);
        if (rc) {
            hn_msg_deinit(&m);
            if (room)
                room->used = used;
        } else {
            *out = m;
        }
    }
    msgpack_unpacked_destroy(&up);
    return rc;
}

void hn_msg_deinit(struct hn_msg *m)
{
    if (m->type != HN_MSG_SNAPSHOT && m->type != HN_MSG_FINAL)
        return;
    free(m->snapshot.entries);
    free(m->snapshot.errors);
    free(m->snapshot.exceptions);
    hn_hist_pairs_deinit(&m->snapshot.own_counters);
    m->snapshot.entries = NULL;
    m->snapshot.errors = NULL;
    m->snapshot.exceptions = NULL;
    m->snapshot.n_entries = m->snapshot.n_errors = m->snapshot.n_exceptions = 0;
}
