/* msgpack → scenario (see scenario_codec.h, format in PROTOCOL.md "Scenario
 * blob"; the encoder is scenario_encode.c): a blob from the network is
 * checked for its structure before msgpack-c allocates anything, then field
 * by field, and refused with a reason naming the class, task and step. */
#include "scenario_codec.h"
#include "error.h"
#include "frame_check.h"
#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field limits that model.h does not name. */
#define HEADER_NAME_MAX 256             /* bytes of a header name */
#define VAR_NAME_MAX 128                /* bytes of a variable name */
#define SCENARIO_OBJECTS_MAX (1u << 20) /* msgpack values in one blob */
#define TEMPLATE_TEXT_MAX (4u << 20)    /* bytes of one literal: an escaped body */

/* Bounds of the structural check, run before msgpack-c allocates anything.
 *  - depth 12: blob > class list > class > task list > task > step list >
 *    step > header list > template > segment list > segment, the deepest
 *    path of the format;
 *  - arrays of up to 4096 items: above every model count (1024 tasks, 1024
 *    template segments are the largest), so that a count between the model
 *    limit and 4096 is refused field by field with a reason naming it;
 *  - bin up to the data limit (all rows of a feeder are one bin); str up to
 *    HN_MODEL_STR_MAX (no field is a str, the type check names the field);
 *  - 2^20 values in all: room for the model's 16 384 steps (about 22 values
 *    each at least, more with headers and template parts), while
 *    msgpack-c's objects take at most 24 MiB. A bigger scenario is refused
 *    by the master's own decoding of its blob, before any worker sees it. */
static const struct hn_frame_limits scenario_limits = {
    .depth_max = 12,
    .array_max = HN_PROTO_ARRAY_MAX,
    .str_max = HN_MODEL_STR_MAX,
    .bin_max = HN_MODEL_DATA_BYTES_MAX,
    .objects_max = SCENARIO_OBJECTS_MAX,
};
_Static_assert(HN_PROTO_ARRAY_MAX >= HN_MODEL_TASKS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_MODEL_STEPS_MAX &&
                   HN_PROTO_ARRAY_MAX >= 2 * HN_MODEL_HEADERS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_MODEL_CLASSES_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_TEMPLATE_SEGS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_MODEL_VARS_MAX,
               "the structural check must admit every model count");
_Static_assert(HN_MODEL_DATA_BYTES_MAX >= TEMPLATE_TEXT_MAX &&
                   HN_MODEL_DATA_BYTES_MAX >= HN_MODEL_CA_MAX,
               "data cells are the longest bin");

enum { NONE = -1, ON_START = -2 };

struct reader {
    char *why;
    size_t why_len;
    int err;
    /* Where we are, for the reason: 0-based indices or NONE / ON_START. */
    int cls, task, step;
};

/* Record the first failure as "scenario[ class N][ task N| on_start][ step
 * N]: message". Returns false so callers can `return fail(...)`. */
static bool fail(struct reader *r, int err, const char *fmt, ...)
{
    if (r->err)
        return false;
    r->err = err;
    if (!r->why_len)
        return false;
    char where[64] = "scenario";
    size_t n = strlen(where);
    if (r->cls != NONE)
        n += (size_t)snprintf(where + n, sizeof(where) - n, " class %d", r->cls + 1);
    if (r->task == ON_START)
        n += (size_t)snprintf(where + n, sizeof(where) - n, " on_start");
    else if (r->task != NONE)
        n += (size_t)snprintf(where + n, sizeof(where) - n, " task %d", r->task + 1);
    if (r->step != NONE)
        snprintf(where + n, sizeof(where) - n, " step %d", r->step + 1);
    int used = snprintf(r->why, r->why_len, "%s: ", where);
    if (used >= 0 && (size_t)used < r->why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why + used, r->why_len - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool get_array(struct reader *r, const msgpack_object *o, uint32_t want_min,
                      uint32_t want_max, const char *what)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return fail(r, HN_E_TYPE, "%s is not an array", what);
    if (o->via.array.size < want_min || o->via.array.size > want_max) {
        if (want_min == want_max)
            return fail(r, HN_E_INVALID, "%s has %u items, not %u", what, o->via.array.size,
                        want_min);
        return fail(r, HN_E_TOO_LARGE, "%s has %u items (allowed %u..%u)", what, o->via.array.size,
                    want_min, want_max);
    }
    return true;
}

static bool get_uint(struct reader *r, const msgpack_object *o, uint64_t max, uint64_t *out,
                     const char *what)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return fail(r, HN_E_RANGE, "%s is not an integer in 0..%llu", what,
                    (unsigned long long)max);
    *out = o->via.u64;
    return true;
}

static bool get_int(struct reader *r, const msgpack_object *o, int64_t *out, const char *what)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        *out = o->via.i64;
    else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
        *out = (int64_t)o->via.u64;
    else
        return fail(r, HN_E_RANGE, "%s is not a 64-bit signed integer", what);
    return true;
}

static bool get_bool(struct reader *r, const msgpack_object *o, bool *out, const char *what)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return fail(r, HN_E_TYPE, "%s is not a boolean", what);
    *out = o->via.boolean;
    return true;
}

/* What a byte string may hold besides its length limit. */
enum str_rule {
    ANY_BYTES,   /* binary: bodies */
    NO_NUL,      /* becomes a C string: url, host */
    UTF8,        /* travels in snapshots or logs: names (hn_msg_str_valid) */
    TOKEN,       /* HTTP token (RFC 9110): method, header name */
    FIELD_VALUE, /* header value: no NUL, CR or LF (libcurl sends it raw) */
};

static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool rule_ok(const char *s, size_t n, enum str_rule rule, const char **broken)
{
    switch (rule) {
    case ANY_BYTES:
        return true;
    case NO_NUL:
        *broken = "contains a NUL byte";
        return n == 0 || !memchr(s, '\0', n);
    case UTF8:
        *broken = "is not valid UTF-8 without NUL bytes";
        return hn_msg_str_valid(s, n);
    case TOKEN:
        *broken = "is not an HTTP token (letters, digits, !#$%&'*+-.^_`|~)";
        for (size_t i = 0; i < n; i++)
            if (!is_tchar((unsigned char)s[i]))
                return false;
        return n > 0;
    case FIELD_VALUE:
        *broken = "contains a NUL, CR or LF byte";
        for (size_t i = 0; i < n; i++)
            if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
                return false;
        return true;
    }
    return false;
}

/* A bin as a new NUL-terminated string (the terminator is extra: a body may
 * hold NUL bytes, its length says where it ends); nil gives NULL when
 * @nil_ok. */
static bool get_str(struct reader *r, const msgpack_object *o, size_t max, enum str_rule rule,
                    bool nil_ok, char **out, uint32_t *len_out, const char *what)
{
    const char *broken = "";
    *out = NULL;
    if (o->type == MSGPACK_OBJECT_NIL && nil_ok)
        return true;
    if (o->type != MSGPACK_OBJECT_BIN)
        return fail(r, HN_E_TYPE, "%s is not a byte string%s", what, nil_ok ? " or nil" : "");
    size_t n = o->via.bin.size;
    if (n > max)
        return fail(r, HN_E_TOO_LARGE, "%s is %zu bytes (at most %zu)", what, n, max);
    if (!rule_ok(o->via.bin.ptr, n, rule, &broken))
        return fail(r, HN_E_INVALID, "%s %s", what, broken);
    if (!(*out = malloc(n + 1)))
        return fail(r, -ENOMEM, "out of memory");
    if (n)
        memcpy(*out, o->via.bin.ptr, n);
    (*out)[n] = '\0';
    if (len_out)
        *len_out = (uint32_t)n;
    return true;
}

/* A template; its literal text must meet @rule, be at most @max bytes in
 * one segment, and @source at most HN_MODEL_STR_MAX... the source of a
 * body may be as long as the body. */
static bool get_template(struct reader *r, const msgpack_object *o, size_t max, enum str_rule rule,
                         struct hn_template *t, const char *what)
{
    if (!get_array(r, o, 2, 2, what))
        return false;
    const msgpack_object *f = o->via.array.ptr;
    if (!get_str(r, &f[0], max, NO_NUL, false, &t->source, NULL, what) ||
        !get_array(r, &f[1], 0, HN_TEMPLATE_SEGS_MAX, what))
        return false;
    for (uint32_t i = 0; i < f[1].via.array.size; i++) {
        const msgpack_object *so = &f[1].via.array.ptr[i];
        struct hn_seg seg = {0};
        int err;
        if (so->type == MSGPACK_OBJECT_BIN) {
            const char *broken = "";
            if (so->via.bin.size > max)
                return fail(r, HN_E_TOO_LARGE, "%s: text of %u bytes (at most %zu)", what,
                            so->via.bin.size, max);
            if (!rule_ok(so->via.bin.ptr, so->via.bin.size, rule, &broken))
                return fail(r, HN_E_INVALID, "%s text %s", what, broken);
            err = hn_template_add_literal(t, so->via.bin.ptr, so->via.bin.size);
        } else {
            uint64_t kind = 0, esc = 0, a = 0, b = 0;
            if (!get_array(r, so, 4, 4, "template segment") ||
                !get_uint(r, &so->via.array.ptr[0], HN_SEG__COUNT - 1, &kind, "segment kind") ||
                !get_uint(r, &so->via.array.ptr[1], HN_ESC__COUNT - 1, &esc, "segment escape"))
                return false;
            if (kind == HN_SEG_LITERAL)
                return fail(r, HN_E_INVALID, "%s: a literal segment must be a byte string", what);
            seg.kind = (uint8_t)kind;
            seg.escape = (uint8_t)esc;
            if (kind == HN_SEG_RANDOM) {
                if (!get_int(r, &so->via.array.ptr[2], &seg.lo, "random low bound") ||
                    !get_int(r, &so->via.array.ptr[3], &seg.hi, "random high bound"))
                    return false;
                if (seg.lo > seg.hi)
                    return fail(r, HN_E_RANGE, "%s: random bounds out of order", what);
            } else if (!get_uint(r, &so->via.array.ptr[2], UINT32_MAX, &a, "segment argument") ||
                       !get_uint(r, &so->via.array.ptr[3], UINT32_MAX, &b, "segment argument")) {
                return false;
            }
            seg.a = (uint32_t)a;
            seg.b = (uint32_t)b;
            err = hn_template_add_seg(t, &seg);
        }
        if (err)
            return fail(r, err, "%s: %s", what, hn_strerror(err));
    }
    return true;
}

static bool get_headers(struct reader *r, const msgpack_object *o, struct hn_header **h,
                        uint32_t *n)
{
    if (!get_array(r, o, 0, 2 * HN_MODEL_HEADERS_MAX, "header list"))
        return false;
    if (o->via.array.size % 2)
        return fail(r, HN_E_INVALID, "header list has an odd number of items");
    for (uint32_t i = 0; i < o->via.array.size; i += 2) {
        struct hn_header *hd = hn_headers_add(h, n);
        if (!hd)
            return fail(r, -ENOMEM, "out of memory");
        if (!get_str(r, &o->via.array.ptr[i], HEADER_NAME_MAX, TOKEN, false, &hd->name, NULL,
                     "header name") ||
            !get_template(r, &o->via.array.ptr[i + 1], HN_MODEL_STR_MAX, FIELD_VALUE, &hd->value,
                          "header value"))
            return false;
    }
    return true;
}

static bool get_captures(struct reader *r, const msgpack_object *o, struct hn_step *st)
{
    if (!get_array(r, o, 0, HN_MODEL_CAPTURES_MAX, "capture list"))
        return false;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        uint64_t var = 0, kind = 0;
        struct hn_capture *c = hn_step_add_capture(st);
        if (!c)
            return fail(r, -ENOMEM, "out of memory");
        const msgpack_object *f = o->via.array.ptr[i].via.array.ptr;
        if (!get_array(r, &o->via.array.ptr[i], 3, 3, "capture") ||
            !get_uint(r, &f[0], HN_MODEL_VARS_MAX - 1, &var, "capture variable") ||
            !get_uint(r, &f[1], HN_CAPTURE__COUNT - 1, &kind, "capture kind") ||
            !get_str(r, &f[2], HN_MODEL_STR_MAX, kind == HN_CAPTURE_HEADER ? TOKEN : NO_NUL, false,
                     &c->expr, NULL, "capture expression"))
            return false;
        c->var = (uint32_t)var;
        c->kind = (uint8_t)kind;
    }
    return true;
}

static bool get_checks(struct reader *r, const msgpack_object *f, struct hn_step *st)
{
    if (!get_array(r, &f[0], 0, HN_MODEL_STATUSES_MAX, "status list"))
        return false;
    for (uint32_t i = 0; i < f[0].via.array.size; i++) {
        uint64_t status = 0;
        if (!get_uint(r, &f[0].via.array.ptr[i], 599, &status, "check status"))
            return false;
        if (status < 100)
            return fail(r, HN_E_RANGE, "check status %u is not 100..599", (unsigned)status);
        int err = hn_step_add_status(st, (uint16_t)status);
        if (err)
            return fail(r, err, "status list: %s", hn_strerror(err));
    }
    if (f[1].type != MSGPACK_OBJECT_NIL) {
        st->has_body_contains = true;
        if (!get_template(r, &f[1], HN_MODEL_STR_MAX, ANY_BYTES, &st->body_contains,
                          "body_contains"))
            return false;
    }
    if (!get_array(r, &f[2], 0, HN_MODEL_CHECKS_MAX, "json check list"))
        return false;
    for (uint32_t i = 0; i < f[2].via.array.size; i++) {
        uint64_t type = 0;
        struct hn_check_json *c = hn_step_add_json_check(st);
        if (!c)
            return fail(r, -ENOMEM, "out of memory");
        const msgpack_object *g = f[2].via.array.ptr[i].via.array.ptr;
        if (!get_array(r, &f[2].via.array.ptr[i], 3, 3, "json check") ||
            !get_str(r, &g[0], HN_MODEL_STR_MAX, NO_NUL, false, &c->path, NULL,
                     "json check path") ||
            !get_str(r, &g[1], HN_MODEL_STR_MAX, NO_NUL, false, &c->want, NULL,
                     "json check value") ||
            !get_uint(r, &g[2], HN_JSON__COUNT - 1, &type, "json check type"))
            return false;
        c->want_type = (uint8_t)type;
    }
    return true;
}

static bool get_step(struct reader *r, const msgpack_object *so, struct hn_step *st)
{
    uint64_t timeout = 0, body_kind = 0;
    if (!get_array(r, so, 12, 12, "step"))
        return false;
    const msgpack_object *f = so->via.array.ptr;
    if (!get_str(r, &f[0], HN_PROTO_METHOD_MAX, TOKEN, false, &st->method, NULL, "method") ||
        !get_template(r, &f[1], HN_MODEL_STR_MAX, NO_NUL, &st->url, "url") ||
        !get_str(r, &f[2], HN_PROTO_NAME_MAX, UTF8, true, &st->name, NULL, "name") ||
        !get_headers(r, &f[3], &st->headers, &st->n_headers) ||
        !get_uint(r, &f[4], HN_BODY__COUNT - 1, &body_kind, "body kind") ||
        !get_template(r, &f[5], TEMPLATE_TEXT_MAX, ANY_BYTES, &st->body, "body") ||
        !get_uint(r, &f[6], UINT32_MAX, &timeout, "timeout_ms") ||
        !get_bool(r, &f[7], &st->follow_redirects, "follow_redirects") ||
        !get_captures(r, &f[8], st) || !get_checks(r, &f[9], st))
        return false;
    st->body_kind = (uint8_t)body_kind;
    st->timeout_ms = timeout;
    /* A step without a name is counted under its url as written
     * (hn_scenario_finalize), and stats names travel in snapshots: that
     * text must then be one. */
    const char *src = st->url.source;
    if (!st->name && (strlen(src) > HN_PROTO_NAME_MAX || !hn_msg_str_valid(src, strlen(src))))
        return fail(r, HN_E_INVALID,
                    "step has no name and its url is not a valid stats name (UTF-8, at most "
                    "%u bytes)",
                    HN_PROTO_NAME_MAX);
    return true;
}

typedef struct hn_step *(*add_step_fn)(void *owner);

static bool get_steps(struct reader *r, const msgpack_object *o, void *owner, add_step_fn add)
{
    if (!get_array(r, o, 0, HN_MODEL_STEPS_MAX, "step list"))
        return false;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        struct hn_step *st = add(owner);
        if (!st)
            return fail(r, -ENOMEM, "out of memory");
        r->step = (int)i;
        if (!get_step(r, &o->via.array.ptr[i], st))
            return false;
    }
    r->step = NONE;
    return true;
}

static struct hn_step *add_task_step(void *owner)
{
    return hn_task_add_step(owner);
}

static struct hn_step *add_on_start(void *owner)
{
    return hn_class_add_on_start(owner);
}

static bool get_task(struct reader *r, const msgpack_object *o, struct hn_task *task)
{
    uint64_t weight = 0;
    if (!get_array(r, o, 3, 3, "task") ||
        !get_str(r, &o->via.array.ptr[0], HN_PROTO_NAME_MAX, UTF8, true, &task->name, NULL,
                 "task name") ||
        !get_uint(r, &o->via.array.ptr[1], HN_MODEL_WEIGHT_MAX, &weight, "task weight") ||
        !get_steps(r, &o->via.array.ptr[2], task, add_task_step))
        return false;
    task->weight = (uint32_t)weight;
    return true;
}

static bool get_class(struct reader *r, const msgpack_object *o, struct hn_user_class *c)
{
    uint64_t weight = 0, kind = 0, min_ms = 0, max_ms = 0;
    if (!get_array(r, o, 6, 6, "user class"))
        return false;
    const msgpack_object *f = o->via.array.ptr;
    if (!get_str(r, &f[0], HN_PROTO_NAME_MAX, UTF8, true, &c->name, NULL, "class name") ||
        !get_uint(r, &f[1], HN_MODEL_WEIGHT_MAX, &weight, "class weight") ||
        !get_array(r, &f[2], 3, 3, "wait") ||
        !get_uint(r, &f[2].via.array.ptr[0], HN_WAIT__COUNT - 1, &kind, "wait kind") ||
        !get_uint(r, &f[2].via.array.ptr[1], UINT32_MAX, &min_ms, "wait min_ms") ||
        !get_uint(r, &f[2].via.array.ptr[2], UINT32_MAX, &max_ms, "wait max_ms") ||
        !get_headers(r, &f[3], &c->headers, &c->n_headers))
        return false;
    c->weight = (uint32_t)weight;
    c->wait.kind = (enum hn_wait_kind)kind;
    c->wait.min_ms = min_ms;
    c->wait.max_ms = max_ms;
    r->task = ON_START;
    if (!get_steps(r, &f[4], c, add_on_start))
        return false;
    r->task = NONE;
    if (!get_array(r, &f[5], 0, HN_MODEL_TASKS_MAX, "task list"))
        return false;
    for (uint32_t t = 0; t < f[5].via.array.size; t++) {
        struct hn_task *task = hn_class_add_task(c);
        if (!task)
            return fail(r, -ENOMEM, "out of memory");
        r->task = (int)t;
        if (!get_task(r, &f[5].via.array.ptr[t], task))
            return false;
    }
    r->task = NONE;
    return true;
}

int hn_cells_unpack(const void *buf, size_t len, uint64_t n, char ***out, char *why, size_t why_len)
{
    const char *p = buf, *end = p + len;
    /* Count first: a bin that claims fewer or more cells than the rows and
     * columns say is refused before anything is allocated for it. */
    uint64_t found = 0;
    for (const char *q = p; q < end; q++)
        found += *q == '\0';
    if (found != n || (len && end[-1] != '\0')) {
        snprintf(why, why_len, "data cells: %llu found, %llu expected", (unsigned long long)found,
                 (unsigned long long)n);
        return HN_E_INVALID;
    }
    char **cells = calloc(n ? n : 1, sizeof(*cells));
    if (!cells)
        return -ENOMEM;
    int err = 0;
    uint64_t i = 0;
    for (; i < n && !err; i++) {
        size_t l = strlen(p);
        if (!hn_msg_str_valid(p, l)) {
            snprintf(why, why_len, "data cell %llu is not UTF-8", (unsigned long long)i + 1);
            err = HN_E_INVALID;
        } else if (!(cells[i] = malloc(l + 1))) {
            snprintf(why, why_len, "out of memory");
            err = -ENOMEM;
        } else {
            memcpy(cells[i], p, l + 1);
        }
        p += l + 1;
    }
    if (err) {
        for (uint64_t k = 0; k < i; k++)
            free(cells[k]);
        free(cells);
        return err;
    }
    *out = cells;
    return 0;
}

static bool get_feeder(struct reader *r, const msgpack_object *o, struct hn_feeder *fd)
{
    uint64_t order = 0, rows = 0;
    if (!get_array(r, o, 5, 5, "data feeder"))
        return false;
    const msgpack_object *f = o->via.array.ptr;
    if (!get_str(r, &f[0], HN_PROTO_NAME_MAX, UTF8, false, &fd->name, NULL, "feeder name") ||
        !get_uint(r, &f[1], HN_ORDER__COUNT - 1, &order, "feeder order") ||
        !get_array(r, &f[2], 1, HN_MODEL_COLUMNS_MAX, "column list") ||
        !get_uint(r, &f[3], HN_MODEL_ROWS_MAX, &rows, "row count"))
        return false;
    fd->order = (uint8_t)order;
    fd->n_rows = (uint32_t)rows;
    if (!(fd->columns = calloc(f[2].via.array.size, sizeof(*fd->columns))))
        return fail(r, -ENOMEM, "out of memory");
    for (uint32_t c = 0; c < f[2].via.array.size; c++) {
        fd->n_columns++;
        if (!get_str(r, &f[2].via.array.ptr[c], HN_PROTO_NAME_MAX, UTF8, false, &fd->columns[c],
                     NULL, "column name"))
            return false;
    }
    if (f[4].type == MSGPACK_OBJECT_NIL) {
        if (fd->order != HN_ORDER_UNIQUE && fd->n_rows)
            return fail(r, HN_E_INVALID, "feeder %s: rows missing", fd->name);
        return true;
    }
    if (fd->order == HN_ORDER_UNIQUE)
        return fail(r, HN_E_INVALID, "feeder %s: unique rows must not be in the scenario",
                    fd->name);
    if (f[4].type != MSGPACK_OBJECT_BIN)
        return fail(r, HN_E_TYPE, "feeder %s: rows are not a byte string or nil", fd->name);
    char why[128];
    int err = hn_cells_unpack(f[4].via.bin.ptr, f[4].via.bin.size,
                              (uint64_t)fd->n_rows * fd->n_columns, &fd->cells, why, sizeof(why));
    if (err)
        return fail(r, err, "feeder %s: %s", fd->name, why);
    fd->rows_shipped = true;
    return true;
}

static bool get_options(struct reader *r, const msgpack_object *o, struct hn_scenario *s)
{
    uint64_t version = 0, max_body = 0, engine = 0;
    if (!get_array(r, o, 6, 6, "options"))
        return false;
    const msgpack_object *f = o->via.array.ptr;
    if (!get_bool(r, &f[0], &s->tls_verify, "tls verify") ||
        !get_str(r, &f[1], HN_MODEL_CA_MAX, NO_NUL, true, &s->ca_pem, &s->ca_len, "CA bundle") ||
        !get_uint(r, &f[2], HN_HTTP__COUNT - 1, &version, "http version") ||
        !get_bool(r, &f[3], &s->cookies, "cookies") ||
        !get_uint(r, &f[4], HN_MODEL_MAX_BODY_MAX, &max_body, "max_body") ||
        !get_uint(r, &f[5], HN_ENGINE__COUNT - 1, &engine, "http engine"))
        return false;
    s->http_version = (uint8_t)version;
    s->max_body = max_body;
    s->engine = (uint8_t)engine;
    return true;
}

static bool get_scenario(struct reader *r, const msgpack_object *root, struct hn_scenario *s)
{
    uint64_t timeout = 0;
    if (!get_array(r, root, 7, 7, "blob"))
        return false;
    const msgpack_object *f = root->via.array.ptr;
    if (!get_str(r, &f[0], HN_MODEL_STR_MAX, NO_NUL, true, &s->host, NULL, "host") ||
        !get_uint(r, &f[1], UINT32_MAX, &timeout, "timeout_ms") ||
        !get_headers(r, &f[2], &s->headers, &s->n_headers) || !get_options(r, &f[3], s) ||
        !get_array(r, &f[4], 0, HN_MODEL_VARS_MAX, "variable list") ||
        !get_array(r, &f[5], 0, HN_MODEL_FEEDERS_MAX, "feeder list") ||
        !get_array(r, &f[6], 1, HN_MODEL_CLASSES_MAX, "class list"))
        return false;
    s->timeout_ms = timeout;
    for (uint32_t i = 0; i < f[4].via.array.size; i++) {
        char *name = NULL;
        uint32_t slot;
        if (!get_str(r, &f[4].via.array.ptr[i], VAR_NAME_MAX, UTF8, false, &name, NULL,
                     "variable name"))
            return false;
        int err = hn_scenario_var(s, name, &slot);
        bool dup = !err && slot != i;
        free(name);
        if (err || dup)
            return fail(r, err ? err : HN_E_INVALID, "variable %u: %s", i + 1,
                        err ? hn_strerror(err) : "named twice");
    }
    for (uint32_t i = 0; i < f[5].via.array.size; i++) {
        struct hn_feeder *fd = hn_scenario_add_feeder(s);
        if (!fd)
            return fail(r, -ENOMEM, "out of memory");
        if (!get_feeder(r, &f[5].via.array.ptr[i], fd))
            return false;
    }
    const msgpack_object *classes = &f[6];
    for (uint32_t i = 0; i < classes->via.array.size; i++) {
        struct hn_user_class *c = hn_scenario_add_class(s);
        if (!c)
            return fail(r, -ENOMEM, "out of memory");
        r->cls = (int)i;
        if (!get_class(r, &classes->via.array.ptr[i], c))
            return false;
    }
    r->cls = NONE;
    return true;
}

int hn_scenario_decode(const void *buf, size_t len, struct hn_scenario **out, char *why,
                       size_t why_len)
{
    struct reader r = {.why = why, .why_len = why_len, .cls = NONE, .task = NONE, .step = NONE};
    if (len > HN_PROTO_SCENARIO_MAX) {
        fail(&r, HN_E_TOO_LARGE, "blob of %zu bytes (at most %u)", len, HN_PROTO_SCENARIO_MAX);
        return r.err;
    }
    /* msgpack-c trusts declared lengths: bound them first. */
    int err = hn_frame_check_limits(buf, len, &scenario_limits);
    if (err) {
        fail(&r, err,
             "malformed blob (%s; nesting <= %u, arrays <= %u items, byte strings <= %u "
             "bytes, <= %u values)",
             hn_strerror(err), scenario_limits.depth_max, scenario_limits.array_max,
             scenario_limits.bin_max, scenario_limits.objects_max);
        return r.err;
    }
    msgpack_zone zone;
    msgpack_object root;
    if (!msgpack_zone_init(&zone, 4096)) {
        fail(&r, -ENOMEM, "out of memory");
        return r.err;
    }
    size_t off = 0;
    struct hn_scenario *s = NULL;
    msgpack_unpack_return ur = msgpack_unpack((const char *)buf, len, &off, &zone, &root);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        fail(&r, -ENOMEM, "out of memory");
    else if (ur != MSGPACK_UNPACK_SUCCESS) /* not expected after the check above */
        fail(&r, HN_E_INVALID, "malformed msgpack");
    else if (!(s = hn_scenario_new()))
        fail(&r, -ENOMEM, "out of memory");
    else
        get_scenario(&r, &root, s);
    msgpack_zone_destroy(&zone);
    if (r.err) {
        hn_scenario_free(s);
        return r.err;
    }
    *out = s;
    return 0;
}
