/* Scenario ⇄ msgpack (see scenario_codec.h). Strings travel as bin so that
 * URLs, header values and bodies are not bound by the 256-byte string limit
 * of control messages; header lists are flat [name, value, ...] arrays so
 * the nesting stays within HN_PROTO_DEPTH_MAX. */
#include "scenario_codec.h"
#include "error.h"
#include "frame_check.h"
#include "msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- encoding ------------------------------------------------------------ */

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
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
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
    /* msgpack_sbuffer_write only fails on out-of-memory. */
    return out->data ? 0 : -ENOMEM;
}

/* --- decoding ------------------------------------------------------------ */

struct reader {
    char *why;
    size_t why_len;
    int err;
};

static bool fail(struct reader *r, int err, const char *fmt, ...)
{
    if (!r->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->why_len, fmt, ap);
        va_end(ap);
        r->err = err;
    }
    return false;
}

static bool get_array(struct reader *r, const msgpack_object *o, uint32_t want_min,
                      uint32_t want_max, const char *what)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return fail(r, HN_E_TYPE, "scenario: %s is not an array", what);
    if (o->via.array.size < want_min || o->via.array.size > want_max)
        return fail(r, HN_E_TOO_LARGE, "scenario: %s has %u items (allowed %u..%u)", what,
                    o->via.array.size, want_min, want_max);
    return true;
}

static bool get_uint(struct reader *r, const msgpack_object *o, uint64_t max, uint64_t *out,
                     const char *what)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return fail(r, HN_E_RANGE, "scenario: %s is not an integer in 0..%llu", what,
                    (unsigned long long)max);
    *out = o->via.u64;
    return true;
}

/* A bin as a new NUL-terminated string; nil gives NULL when @nil_ok. No NUL
 * bytes inside (all these become C strings). */
static bool get_str(struct reader *r, const msgpack_object *o, size_t max, bool nil_ok,
                    char **out, uint32_t *len_out, const char *what)
{
    *out = NULL;
    if (o->type == MSGPACK_OBJECT_NIL && nil_ok)
        return true;
    if (o->type != MSGPACK_OBJECT_BIN)
        return fail(r, HN_E_TYPE, "scenario: %s is not a byte string", what);
    size_t n = o->via.bin.size;
    if (n > max)
        return fail(r, HN_E_TOO_LARGE, "scenario: %s longer than %zu bytes", what, max);
    if (memchr(o->via.bin.ptr, '\0', n))
        return fail(r, HN_E_INVALID, "scenario: %s contains a NUL byte", what);
    if (!(*out = malloc(n + 1)))
        return fail(r, -ENOMEM, "scenario: out of memory");
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
        return fail(r, HN_E_INVALID, "scenario: odd header list");
    for (uint32_t i = 0; i < o->via.array.size; i += 2) {
        struct hn_header *hd = hn_headers_add(h, n);
        if (!hd)
            return fail(r, -ENOMEM, "scenario: out of memory");
        if (!get_str(r, &o->via.array.ptr[i], 256, false, &hd->name, NULL, "header name") ||
            !get_str(r, &o->via.array.ptr[i + 1], HN_MODEL_STR_MAX, false, &hd->value, NULL,
                     "header value"))
            return false;
    }
    return true;
}

typedef struct hn_step *(*add_step_fn)(void *owner);

static bool get_steps(struct reader *r, const msgpack_object *o, void *owner, add_step_fn add)
{
    if (!get_array(r, o, 0, HN_MODEL_STEPS_MAX, "step list"))
        return false;
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *so = &o->via.array.ptr[i];
        struct hn_step *st = add(owner);
        if (!st)
            return fail(r, -ENOMEM, "scenario: out of memory");
        if (!get_array(r, so, 8, 8, "step"))
            return false;
        const msgpack_object *f = so->via.array.ptr;
        uint64_t timeout = 0, status = 0;
        if (!get_str(r, &f[0], HN_PROTO_METHOD_MAX, false, &st->method, NULL, "method") ||
            !get_str(r, &f[1], HN_MODEL_STR_MAX, false, &st->url, NULL, "url") ||
            !get_str(r, &f[2], HN_PROTO_NAME_MAX, true, &st->name, NULL, "name") ||
            !get_headers(r, &f[3], &st->headers, &st->n_headers) ||
            !get_str(r, &f[4], HN_MODEL_BODY_MAX, true, &st->body, &st->body_len, "body") ||
            !get_uint(r, &f[5], UINT32_MAX, &timeout, "timeout") ||
            !get_uint(r, &f[7], 599, &status, "expected status"))
            return false;
        if (f[6].type != MSGPACK_OBJECT_BOOLEAN)
            return fail(r, HN_E_TYPE, "scenario: follow_redirects is not a boolean");
        /* Names travel in snapshots, which require valid UTF-8. */
        if (!hn_msg_str_valid(st->method, strlen(st->method)) ||
            (st->name && !hn_msg_str_valid(st->name, strlen(st->name))))
            return fail(r, HN_E_INVALID, "scenario: method or name is not valid UTF-8");
        st->timeout_ms = timeout;
        st->follow_redirects = f[6].via.boolean;
        st->expect_status = (uint16_t)status;
    }
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

static bool get_class(struct reader *r, const msgpack_object *o, struct hn_user_class *c)
{
    uint64_t weight = 0, kind = 0, min_ms = 0, max_ms = 0;
    if (!get_array(r, o, 6, 6, "user class"))
        return false;
    const msgpack_object *f = o->via.array.ptr;
    if (!get_str(r, &f[0], 256, true, &c->name, NULL, "class name") ||
        !get_uint(r, &f[1], HN_MODEL_WEIGHT_MAX, &weight, "class weight") ||
        !get_array(r, &f[2], 3, 3, "wait") ||
        !get_uint(r, &f[2].via.array.ptr[0], HN_WAIT__COUNT - 1, &kind, "wait kind") ||
        !get_uint(r, &f[2].via.array.ptr[1], UINT32_MAX, &min_ms, "wait min") ||
        !get_uint(r, &f[2].via.array.ptr[2], UINT32_MAX, &max_ms, "wait max") ||
        !get_headers(r, &f[3], &c->headers, &c->n_headers) || !get_steps(r, &f[4], c, add_on_start) ||
        !get_array(r, &f[5], 0, HN_MODEL_TASKS_MAX, "task list"))
        return false;
    c->weight = (uint32_t)weight;
    c->wait.kind = (enum hn_wait_kind)kind;
    c->wait.min_ms = min_ms;
    c->wait.max_ms = max_ms;
    for (uint32_t t = 0; t < f[5].via.array.size; t++) {
        const msgpack_object *to = &f[5].via.array.ptr[t];
        struct hn_task *task = hn_class_add_task(c);
        if (!task)
            return fail(r, -ENOMEM, "scenario: out of memory");
        if (!get_array(r, to, 3, 3, "task") ||
            !get_str(r, &to->via.array.ptr[0], 256, true, &task->name, NULL, "task name") ||
            !get_uint(r, &to->via.array.ptr[1], HN_MODEL_WEIGHT_MAX, &weight, "task weight") ||
            !get_steps(r, &to->via.array.ptr[2], task, add_task_step))
            return false;
        task->weight = (uint32_t)weight;
    }
    return true;
}

int hn_scenario_decode(const void *buf, size_t len, struct hn_scenario **out, char *why,
                       size_t why_len)
{
    struct reader r = {.why = why, .why_len = why_len};
    int err = hn_frame_check(buf, len);
    if (err) {
        snprintf(why, why_len, "scenario: malformed (%s)", hn_strerror(err));
        return err;
    }
    msgpack_zone zone;
    msgpack_object root;
    if (!msgpack_zone_init(&zone, 4096))
        return -ENOMEM;
    size_t off = 0;
    if (msgpack_unpack((const char *)buf, len, &off, &zone, &root) != MSGPACK_UNPACK_SUCCESS) {
        msgpack_zone_destroy(&zone);
        snprintf(why, why_len, "scenario: malformed msgpack");
        return HN_E_INVALID;
    }
    struct hn_scenario *s = hn_scenario_new();
    uint64_t timeout = 0;
    if (!s) {
        fail(&r, -ENOMEM, "scenario: out of memory");
    } else if (get_array(&r, &root, 4, 4, "scenario") &&
               get_str(&r, &root.via.array.ptr[0], HN_MODEL_STR_MAX, true, &s->host, NULL, "host") &&
               get_uint(&r, &root.via.array.ptr[1], UINT32_MAX, &timeout, "timeout") &&
               get_headers(&r, &root.via.array.ptr[2], &s->headers, &s->n_headers) &&
               get_array(&r, &root.via.array.ptr[3], 1, HN_MODEL_CLASSES_MAX, "class list")) {
        s->timeout_ms = timeout;
        const msgpack_object *classes = &root.via.array.ptr[3];
        for (uint32_t i = 0; i < classes->via.array.size; i++) {
            struct hn_user_class *c = hn_scenario_add_class(s);
            if (!c) {
                fail(&r, -ENOMEM, "scenario: out of memory");
                break;
            }
            if (!get_class(&r, &classes->via.array.ptr[i], c))
                break;
        }
    }
    msgpack_zone_destroy(&zone);
    if (r.err) {
        hn_scenario_free(s);
        return r.err;
    }
    *out = s;
    return 0;
}
