/* Scenario ⇄ msgpack (see scenario_codec.h, format in PROTOCOL.md "Scenario
 * blob"). Strings travel as bin so that URLs, header values and bodies are
 * not bound by the 256-byte string limit of control messages; header lists
 * are flat [name, value, ...] arrays so the nesting stays within 8 levels. */
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
#define HEADER_NAME_MAX 256 /* bytes of a header name */
#define STATUS_MIN 100      /* expect_status: 0 or STATUS_MIN..STATUS_MAX */
#define STATUS_MAX 599
#define SCENARIO_OBJECTS_MAX (1u << 20) /* msgpack values in one blob */

/* Bounds of the structural check, run before msgpack-c allocates anything.
 * The defaults of control frames do not fit: a scenario of 64 classes with
 * many tasks easily holds more than their 2^18 values, and its byte strings
 * (URLs, bodies) are longer than 256 bytes.
 *  - depth 8: blob > class list > class > task list > task > step list >
 *    step > header list, the deepest path of the format;
 *  - arrays of up to 4096 items: above every model count (1024 tasks is the
 *    largest), so that a count between the model limit and 4096 is refused
 *    field by field with a reason naming the list;
 *  - bin up to HN_MODEL_BODY_MAX, the longest field; str up to
 *    HN_MODEL_STR_MAX (no field is a str, the type check names the field);
 *  - 2^20 values in all: room for about 100 000 steps, far beyond a scenario
 *    written by hand, while msgpack-c's objects take at most 24 MiB and the
 *    decoded model (about 40 bytes per value at worst) some 40 MiB more. */
static const struct hn_frame_limits scenario_limits = {
    .depth_max = 8,
    .array_max = HN_PROTO_ARRAY_MAX,
    .str_max = HN_MODEL_STR_MAX,
    .bin_max = HN_MODEL_BODY_MAX,
    .objects_max = SCENARIO_OBJECTS_MAX,
};
_Static_assert(HN_PROTO_ARRAY_MAX >= HN_MODEL_TASKS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_MODEL_STEPS_MAX &&
                   HN_PROTO_ARRAY_MAX >= 2 * HN_MODEL_HEADERS_MAX &&
                   HN_PROTO_ARRAY_MAX >= HN_MODEL_CLASSES_MAX,
               "the structural check must admit every model count");
_Static_assert(HN_MODEL_BODY_MAX >= HN_MODEL_STR_MAX, "bodies are the longest bin");

/* --- encoding ------------------------------------------------------------ */

/* msgpack-c ignores a failed write and keeps packing; remember it. */
struct sink {
    msgpack_sbuffer *sbuf;
    bool failed;
};

static int sink_write(void *data, const char *buf, size_t len)
{
    struct sink *k = data;
    if (!k->failed && msgpack_sbuffer_write(k->sbuf, buf, len) != 0)
        k->failed = true;
    return k->failed ? -1 : 0;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_bin(pk, len);
    msgpack_pack_bin_body(pk, s, len);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    pack_str(pk, s, s ? strlen(s) : 0);
}

static void pack_headers(msgpack_packer *pk, const struct hn_header *h, uint32_t n)
{
    msgpack_pack_array(pk, 2 * (size_t)n);
    for (uint32_t i = 0; i < n; i++) {
        pack_cstr(pk, h[i].name);
        pack_cstr(pk, h[i].value ? h[i].value : "");
    }
}

static void pack_steps(msgpack_packer *pk, const struct hn_step *st, uint32_t n)
{
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_array(pk, 8);
        pack_cstr(pk, st[i].method);
        pack_cstr(pk, st[i].url);
        pack_cstr(pk, st[i].name);
        pack_headers(pk, st[i].headers, st[i].n_headers);
        pack_str(pk, st[i].body, st[i].body_len);
        msgpack_pack_uint64(pk, st[i].timeout_ms);
        if (st[i].follow_redirects)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        msgpack_pack_uint16(pk, st[i].expect_status);
    }
}

int hn_scenario_encode(const struct hn_scenario *s, msgpack_sbuffer *out)
{
    struct sink sink = {out, false};
    size_t start = out->size;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sink, sink_write);
    msgpack_pack_array(&pk, 4);
    pack_cstr(&pk, s->host);
    msgpack_pack_uint64(&pk, s->timeout_ms);
    pack_headers(&pk, s->headers, s->n_headers);
    msgpack_pack_array(&pk, s->n_classes);
    for (uint32_t i = 0; i < s->n_classes; i++) {
        const struct hn_user_class *c = &s->classes[i];
        msgpack_pack_array(&pk, 6);
        pack_cstr(&pk, c->name);
        msgpack_pack_uint32(&pk, c->weight);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint8(&pk, (uint8_t)c->wait.kind);
        msgpack_pack_uint64(&pk, c->wait.min_ms);
        msgpack_pack_uint64(&pk, c->wait.max_ms);
        pack_headers(&pk, c->headers, c->n_headers);
        pack_steps(&pk, c->on_start, c->n_on_start);
        msgpack_pack_array(&pk, c->n_tasks);
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            msgpack_pack_array(&pk, 3);
            pack_cstr(&pk, c->tasks[t].name);
            msgpack_pack_uint32(&pk, c->tasks[t].weight);
            pack_steps(&pk, c->tasks[t].steps, c->tasks[t].n_steps);
        }
    }
    if (sink.failed) { /* only out-of-memory makes msgpack_sbuffer_write fail */
        out->size = start;
        return -ENOMEM;
    }
    return 0;
}

/* --- decoding ------------------------------------------------------------ */

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
            !get_str(r, &o->via.array.ptr[i + 1], HN_MODEL_STR_MAX, FIELD_VALUE, false, &hd->value,
                     NULL, "header value"))
            return false;
    }
    return true;
}

static bool get_step(struct reader *r, const msgpack_object *so, struct hn_step *st)
{
    uint64_t timeout = 0, status = 0;
    if (!get_array(r, so, 8, 8, "step"))
        return false;
    const msgpack_object *f = so->via.array.ptr;
    if (!get_str(r, &f[0], HN_PROTO_METHOD_MAX, TOKEN, false, &st->method, NULL, "method") ||
        !get_str(r, &f[1], HN_MODEL_STR_MAX, NO_NUL, false, &st->url, NULL, "url") ||
        !get_str(r, &f[2], HN_PROTO_NAME_MAX, UTF8, true, &st->name, NULL, "name") ||
        !get_headers(r, &f[3], &st->headers, &st->n_headers) ||
        !get_str(r, &f[4], HN_MODEL_BODY_MAX, ANY_BYTES, true, &st->body, &st->body_len, "body") ||
        !get_uint(r, &f[5], UINT32_MAX, &timeout, "timeout_ms") ||
        !get_uint(r, &f[7], STATUS_MAX, &status, "expect_status"))
        return false;
    if (f[6].type != MSGPACK_OBJECT_BOOLEAN)
        return fail(r, HN_E_TYPE, "follow_redirects is not a boolean");
    if (status != 0 && status < STATUS_MIN)
        return fail(r, HN_E_RANGE, "expect_status %u is not 0 or %u..%u", (unsigned)status,
                    STATUS_MIN, STATUS_MAX);
    /* A step without a name is counted under its url (hn_scenario_finalize),
     * and stats names travel in snapshots: the url must then be one. */
    if (!st->name &&
        (strlen(st->url) > HN_PROTO_NAME_MAX || !hn_msg_str_valid(st->url, strlen(st->url))))
        return fail(r, HN_E_INVALID,
                    "step has no name and its url is not a valid stats name (UTF-8, at most "
                    "%u bytes)",
                    HN_PROTO_NAME_MAX);
    st->timeout_ms = timeout;
    st->follow_redirects = f[6].via.boolean;
    st->expect_status = (uint16_t)status;
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

static bool get_scenario(struct reader *r, const msgpack_object *root, struct hn_scenario *s)
{
    uint64_t timeout = 0;
    if (!get_array(r, root, 4, 4, "blob") ||
        !get_str(r, &root->via.array.ptr[0], HN_MODEL_STR_MAX, NO_NUL, true, &s->host, NULL,
                 "host") ||
        !get_uint(r, &root->via.array.ptr[1], UINT32_MAX, &timeout, "timeout_ms") ||
        !get_headers(r, &root->via.array.ptr[2], &s->headers, &s->n_headers) ||
        !get_array(r, &root->via.array.ptr[3], 1, HN_MODEL_CLASSES_MAX, "class list"))
        return false;
    s->timeout_ms = timeout;
    const msgpack_object *classes = &root->via.array.ptr[3];
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
