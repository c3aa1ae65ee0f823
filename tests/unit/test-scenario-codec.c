/* Unit tests of proto/scenario_codec: round trip of a rich scenario, every
 * truncation, seeded random mutations, field edits against every limit and
 * string rule (with the decoder's reason), and hostile structure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "error.h"
#include "msg.h"
#include "mutate.h"
#include "proto_limits.h"
#include "scenario_codec.h"

/* ---- fixtures ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void add_header(struct hn_header **h, uint32_t *n, const char *name, const char *value)
{
    struct hn_header *hd = hn_headers_add(h, n);
    assert_non_null(hd);
    hd->name = hn_model_strdup(name);
    hd->value = hn_model_strdup(value);
}

static struct hn_step *add_step(struct hn_step *st, const char *method, const char *url,
                                const char *name)
{
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    st->url = hn_model_strdup(url);
    st->name = hn_model_strdup(name);
    return st;
}

static void set_body(struct hn_step *st, const char *body, uint32_t len)
{
    st->body = malloc(len + 1);
    assert_non_null(st->body);
    memcpy(st->body, body, len);
    st->body[len] = '\0';
    st->body_len = len;
}

static struct hn_task *add_task(struct hn_user_class *c, const char *name, uint32_t weight)
{
    struct hn_task *t = hn_class_add_task(c);
    assert_non_null(t);
    t->name = hn_model_strdup(name);
    t->weight = weight;
    return t;
}

static struct hn_user_class *add_class(struct hn_scenario *s, const char *name, uint32_t weight,
                                       enum hn_wait_kind kind, uint64_t min_ms, uint64_t max_ms)
{
    struct hn_user_class *c = hn_scenario_add_class(s);
    assert_non_null(c);
    c->name = hn_model_strdup(name);
    c->weight = weight;
    c->wait = (struct hn_wait){kind, min_ms, max_ms};
    return c;
}

/* Four classes (one per wait kind), headers at all three levels, on_start,
 * single steps and a sequence, bodies with NUL bytes, an empty and an absent
 * body, timeouts, redirects and expected statuses. Paths used by the field
 * edits below: class 0 task 1 step 0 is unnamed, task 2 is the sequence. */
static struct hn_scenario *rich(void)
{
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    s->host = hn_model_strdup("http://127.0.0.1:8080");
    s->timeout_ms = 7500;
    add_header(&s->headers, &s->n_headers, "Accept", "application/json");
    add_header(&s->headers, &s->n_headers, "X-Run", "");

    struct hn_user_class *c = add_class(s, "shopper", 6, HN_WAIT_BETWEEN, 1000, 3000);
    add_header(&c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    struct hn_step *st = add_step(hn_class_add_on_start(c), "POST", "/api/auth/login", NULL);
    set_body(st, "{\"email\":\"a@b.c\"}", 17);
    st->expect_status = 200;
    struct hn_task *t = add_task(c, "browse", 5);
    st = add_step(hn_task_add_step(t), "GET", "/api/products?page=1", "/api/products");
    add_header(&st->headers, &st->n_headers, "Cache-Control", "no-cache");
    t = add_task(c, NULL, 3);
    st = add_step(hn_task_add_step(t), "GET", "/api/products/42", NULL);
    st->follow_redirects = true;
    t = add_task(c, "checkout", 1);
    add_step(hn_task_add_step(t), "GET", "/api/products/{{product_id}}", "/api/products/[id]");
    st = add_step(hn_task_add_step(t), "PUT", "/api/cart/items", "/api/cart/items");
    set_body(st, "\0\x01\xff\0binary\0", 11);
    st->timeout_ms = 1500;
    add_header(&st->headers, &st->n_headers, "Content-Type", "application/octet-stream");
    add_header(&st->headers, &st->n_headers, "X-Empty", "");
    st = add_step(hn_task_add_step(t), "POST", "/api/orders", "/api/orders");
    set_body(st, "", 0);
    st->expect_status = 201;
    st->timeout_ms = UINT32_MAX;

    c = add_class(s, "caf\xc3\xa9 reader", 3, HN_WAIT_CONSTANT, 500, 0);
    add_step(hn_task_add_step(add_task(c, "r\xc3\xa9sum\xc3\xa9", 1)), "GET", "/json", NULL);
    c = add_class(s, "pacer", 1, HN_WAIT_PACING, 2000, 0);
    add_step(hn_task_add_step(add_task(c, NULL, HN_MODEL_WEIGHT_MAX)), "DELETE", "/x", "x");
    c = add_class(s, NULL, 1, HN_WAIT_NONE, 0, 0);
    add_step(hn_task_add_step(add_task(c, NULL, 1)), "HEAD", "http://other:81/health", NULL);
    return s;
}

static void encode(const struct hn_scenario *s, msgpack_sbuffer *sbuf)
{
    msgpack_sbuffer_init(sbuf);
    assert_int_equal(hn_scenario_encode(s, sbuf), 0);
}

/* Decode from an exactly sized heap copy, so ASan catches any overread. */
static int decode_copy(const void *buf, size_t len, struct hn_scenario **out, char *why,
                       size_t why_len)
{
    void *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    int rc = hn_scenario_decode(copy, len, out, why, why_len);
    free(copy);
    return rc;
}

/* ---- deep comparison ---- */

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool headers_eq(const struct hn_header *a, uint32_t na, const struct hn_header *b,
                       uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++)
        if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].value, b[i].value))
            return false;
    return true;
}

static bool steps_eq(const struct hn_step *a, uint32_t na, const struct hn_step *b, uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++) {
        const struct hn_step *x = &a[i], *y = &b[i];
        if (!str_eq(x->method, y->method) || !str_eq(x->url, y->url) || !str_eq(x->name, y->name) ||
            !headers_eq(x->headers, x->n_headers, y->headers, y->n_headers) ||
            !x->body != !y->body || x->body_len != y->body_len ||
            (x->body && memcmp(x->body, y->body, x->body_len + 1)) ||
            x->timeout_ms != y->timeout_ms || x->follow_redirects != y->follow_redirects ||
            x->expect_status != y->expect_status)
            return false;
    }
    return true;
}

static bool scenario_eq(const struct hn_scenario *a, const struct hn_scenario *b)
{
    if (!str_eq(a->host, b->host) || a->timeout_ms != b->timeout_ms ||
        !headers_eq(a->headers, a->n_headers, b->headers, b->n_headers) ||
        a->n_classes != b->n_classes)
        return false;
    for (uint32_t i = 0; i < a->n_classes; i++) {
        const struct hn_user_class *x = &a->classes[i], *y = &b->classes[i];
        if (!str_eq(x->name, y->name) || x->weight != y->weight || x->wait.kind != y->wait.kind ||
            x->wait.min_ms != y->wait.min_ms || x->wait.max_ms != y->wait.max_ms ||
            !headers_eq(x->headers, x->n_headers, y->headers, y->n_headers) ||
            !steps_eq(x->on_start, x->n_on_start, y->on_start, y->n_on_start) ||
            x->n_tasks != y->n_tasks)
            return false;
        for (uint32_t t = 0; t < x->n_tasks; t++)
            if (!str_eq(x->tasks[t].name, y->tasks[t].name) ||
                x->tasks[t].weight != y->tasks[t].weight ||
                !steps_eq(x->tasks[t].steps, x->tasks[t].n_steps, y->tasks[t].steps,
                          y->tasks[t].n_steps))
                return false;
    }
    return true;
}

/* ---- round trips ---- */

static void test_round_trip(void **state)
{
    (void)state;
    struct hn_scenario *s = rich(), *got = NULL;
    msgpack_sbuffer a, b;
    char why[256] = "";
    encode(s, &a);
    assert_int_equal(decode_copy(a.data, a.size, &got, why, sizeof(why)), 0);
    assert_true(scenario_eq(s, got));
    /* A few fields by hand, so a bug shared by encoder and comparison shows. */
    assert_string_equal(got->host, "http://127.0.0.1:8080");
    assert_int_equal(got->timeout_ms, 7500);
    assert_int_equal(got->n_classes, 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(got->classes[k].wait.kind, s->classes[k].wait.kind);
    assert_int_equal(got->classes[0].wait.max_ms, 3000);
    const struct hn_task *seq = &got->classes[0].tasks[2];
    assert_int_equal(seq->n_steps, 3);
    assert_int_equal(seq->steps[1].body_len, 11);
    assert_memory_equal(seq->steps[1].body, "\0\x01\xff\0binary\0", 12);
    assert_string_equal(seq->steps[1].headers[1].name, "X-Empty");
    assert_string_equal(seq->steps[1].headers[1].value, "");
    assert_non_null(seq->steps[2].body);
    assert_int_equal(seq->steps[2].body_len, 0);
    assert_int_equal(seq->steps[2].expect_status, 201);
    assert_int_equal(seq->steps[2].timeout_ms, UINT32_MAX);
    assert_null(got->classes[0].tasks[0].steps[0].body);
    assert_null(got->classes[0].tasks[1].name);
    assert_null(got->classes[0].tasks[1].steps[0].name);
    assert_true(got->classes[0].tasks[1].steps[0].follow_redirects);
    assert_int_equal(got->classes[0].n_on_start, 1);
    assert_int_equal(got->classes[0].on_start[0].expect_status, 200);
    assert_string_equal(got->classes[1].name, "caf\xc3\xa9 reader");
    assert_null(got->classes[3].name);
    assert_int_equal(got->classes[2].tasks[0].weight, HN_MODEL_WEIGHT_MAX);
    /* Canonical: encoding the decoded scenario gives the same bytes. */
    encode(got, &b);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    assert_int_equal(hn_scenario_finalize(got, why, sizeof(why)), 0);
    hn_scenario_free(got);

    /* The quick mode's scenario (no host) travels too. */
    const char *paths[] = {"http://h/a", "http://h/b"};
    struct hn_scenario *q = hn_scenario_quick(NULL, paths, 2);
    msgpack_sbuffer_clear(&b);
    assert_int_equal(hn_scenario_encode(q, &b), 0);
    assert_int_equal(decode_copy(b.data, b.size, &got, why, sizeof(why)), 0);
    assert_true(scenario_eq(q, got));
    assert_null(got->host);
    hn_scenario_free(got);
    hn_scenario_free(q);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

/* The encoder appends; the decoder wants exactly one blob. */
static void test_append_and_trailing(void **state)
{
    (void)state;
    struct hn_scenario *s = rich(), *got = NULL;
    msgpack_sbuffer sbuf;
    char why[256];
    msgpack_sbuffer_init(&sbuf);
    msgpack_sbuffer_write(&sbuf, "xyz", 3);
    assert_int_equal(hn_scenario_encode(s, &sbuf), 0);
    assert_memory_equal(sbuf.data, "xyz", 3);
    assert_int_equal(decode_copy(sbuf.data + 3, sbuf.size - 3, &got, why, sizeof(why)), 0);
    hn_scenario_free(got);
    got = NULL;
    msgpack_sbuffer_write(&sbuf, "\xc0", 1);
    assert_int_equal(decode_copy(sbuf.data + 3, sbuf.size - 3, &got, why, sizeof(why)),
                     HN_E_INVALID);
    assert_null(got);
    assert_non_null(strstr(why, "malformed blob"));
    /* Size first: a length beyond the frame limit is refused unread. */
    assert_int_equal(
        hn_scenario_decode(sbuf.data, (size_t)HN_PROTO_SCENARIO_MAX + 1, &got, why, sizeof(why)),
        HN_E_TOO_LARGE);
    /* No room for a reason is fine. */
    static const uint8_t reserved[] = {0xc1};
    assert_int_equal(hn_scenario_decode(reserved, 1, &got, NULL, 0), HN_E_INVALID);
    assert_int_equal(hn_scenario_decode(sbuf.data + 3, 1, &got, why, 1), HN_E_TRUNCATED);
    assert_string_equal(why, "");
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&sbuf);
}

/* ---- hostile input ---- */

static void test_every_truncation_fails(void **state)
{
    (void)state;
    struct hn_scenario *s = rich(), *got = NULL;
    msgpack_sbuffer sbuf;
    encode(s, &sbuf);
    for (size_t len = 0; len < sbuf.size; len++) {
        char why[256] = "";
        int rc = decode_copy(sbuf.data, len, &got, why, sizeof(why));
        if (rc <= 0 || got || !why[0])
            fail_msg("truncated to %zu of %zu bytes: rc %d, why \"%s\"", len, sbuf.size, rc, why);
    }
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&sbuf);
}

/* A decoded scenario must encode, decode to the same model, and encode to
 * the same bytes again. */
static void check_consistent(const struct hn_scenario *s1)
{
    struct hn_scenario *s2 = NULL;
    msgpack_sbuffer a, b;
    char why[256] = "";
    encode(s1, &a);
    if (hn_scenario_decode(a.data, a.size, &s2, why, sizeof(why)))
        fail_msg("re-encoded scenario rejected: %s", why);
    assert_true(scenario_eq(s1, s2));
    encode(s2, &b);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    hn_scenario_free(s2);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

static void test_random_mutations(void **state)
{
    (void)state;
    enum { ROUNDS = 100000, SLACK = 128 };
    struct hn_scenario *s = rich();
    msgpack_sbuffer orig;
    unsigned valid = 0, by_rc[HN_E__COUNT] = {0};
    encode(s, &orig);
    uint8_t *work = malloc(orig.size + SLACK);
    assert_non_null(work);
    rng_state = 20240611;
    for (int round = 0; round < ROUNDS; round++) {
        size_t len = orig.size;
        memcpy(work, orig.data, len);
        for (int i = 0, n = 1 + (int)(rng_next() % 4); i < n; i++)
            len = test_mutate(work, len, orig.size + SLACK, rng_next);
        struct hn_scenario *got = NULL;
        char why[256] = "";
        int rc = decode_copy(work, len, &got, why, sizeof(why));
        assert_true(rc >= 0 && rc < HN_E__COUNT); /* never -ENOMEM on small blobs */
        by_rc[rc]++;
        if (rc == 0) {
            check_consistent(got);
            hn_scenario_free(got);
            valid++;
        } else if (got || !why[0]) {
            fail_msg("round %d: rc %d with got %p, why \"%s\"", round, rc, (void *)got, why);
        }
    }
    print_message("mutations: %u of %d valid; rejected: invalid %u, too large %u, truncated "
                  "%u, type %u, range %u\n",
                  valid, ROUNDS, by_rc[HN_E_INVALID], by_rc[HN_E_TOO_LARGE], by_rc[HN_E_TRUNCATED],
                  by_rc[HN_E_TYPE], by_rc[HN_E_RANGE]);
    assert_true(valid > ROUNDS / 50); /* the valid path was exercised too */
    free(work);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&orig);
}

/* ---- field edits: decode the rich blob with msgpack-c, replace one object,
 * pack it again, and check the verdict and its reason ---- */

/* clang-format off */
#define U(v) {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (v)}
#define NIL {.type = MSGPACK_OBJECT_NIL}
#define TRUE {.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true}
#define STR(s) {.type = MSGPACK_OBJECT_STR, .via.str = {.size = sizeof(s) - 1, .ptr = s}}
#define BIN(s) {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = sizeof(s) - 1, .ptr = s}}
#define LONG(n) {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = (n), .ptr = filler}}
#define ARR(n) {.type = MSGPACK_OBJECT_ARRAY, .via.array = {.size = (n), .ptr = items}}
/* clang-format on */
#define END (-1)
#define SHRINK (-2)
/* Paths from the blob: [host, timeout, headers, classes]; a class: [name,
 * weight, wait, headers, on_start, tasks]; a task: [name, weight, steps]; a
 * step: [method, url, name, headers, body, timeout, redirects, status]. */
#define CLASS0 3, 0
#define STEP(t, s) 3, 0, 5, t, 2, s

static char filler[HN_MODEL_BODY_MAX + 1]; /* bytes of 'a' */
static msgpack_object items[4200];         /* elements of ARR(n): copies of a valid header */

static const struct edit {
    int path[10]; /* indices; END; or SHRINK: drop the array's last element */
    msgpack_object value;
    int want;
    const char *why; /* substring of the reason */
} edits[] = {
    /* counts */
    {{3, END}, ARR(0), HN_E_TOO_LARGE, "class list has 0 items (allowed 1..64)"},
    {{3, END}, ARR(HN_MODEL_CLASSES_MAX + 1), HN_E_TOO_LARGE, "class list has 65 items"},
    {{CLASS0, 5, END}, ARR(HN_MODEL_TASKS_MAX + 1), HN_E_TOO_LARGE, "class 1: task list has 1025"},
    {{STEP(2, END)}, ARR(HN_MODEL_STEPS_MAX + 1), HN_E_TOO_LARGE, "task 3: step list has 257"},
    {{CLASS0, 4, END}, ARR(HN_MODEL_STEPS_MAX + 1), HN_E_TOO_LARGE, "on_start: step list has"},
    {{2, END}, ARR(2 * HN_MODEL_HEADERS_MAX + 2), HN_E_TOO_LARGE, "header list has 130 items"},
    {{2, END}, ARR(2 * HN_MODEL_HEADERS_MAX), 0, NULL},
    {{2, END}, ARR(3), HN_E_INVALID, "header list has an odd number"},
    {{3, 0, SHRINK}, U(0), HN_E_INVALID, "class 1: user class has 5 items, not 6"},
    {{STEP(2, 1), SHRINK}, U(0), HN_E_INVALID, "class 1 task 3 step 2: step has 7 items"},
    {{CLASS0, 2, SHRINK}, U(0), HN_E_INVALID, "wait has 2 items, not 3"},
    {{SHRINK}, U(0), HN_E_INVALID, "scenario: blob has 3 items, not 4"},
    {{END}, ARR(HN_PROTO_ARRAY_MAX + 1), HN_E_TOO_LARGE, "malformed blob (length exceeds"},
    /* string lengths */
    {{STEP(0, 0), 0, END}, LONG(HN_PROTO_METHOD_MAX + 1), HN_E_TOO_LARGE, "method is 17 bytes"},
    {{STEP(0, 0), 1, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "url is 8193 bytes"},
    {{STEP(0, 0), 1, END}, LONG(HN_MODEL_STR_MAX), 0, NULL}, /* named step: any url */
    {{STEP(0, 0), 2, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "name is 257 bytes"},
    {{STEP(0, 0), 2, END}, LONG(HN_PROTO_NAME_MAX), 0, NULL},
    {{STEP(0, 0), 3, 1, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "header value is"},
    {{STEP(0, 0), 3, 0, END}, LONG(257), HN_E_TOO_LARGE, "header name is 257 bytes"},
    {{STEP(0, 0), 4, END}, LONG(HN_MODEL_BODY_MAX), 0, NULL},
    {{STEP(0, 0), 4, END}, LONG(HN_MODEL_BODY_MAX + 1), HN_E_TOO_LARGE, "byte strings <= 1048576"},
    {{0, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "host is 8193 bytes"},
    {{CLASS0, 0, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "class name is 257"},
    {{STEP(1, 0), 2, END}, NIL, 0, NULL},
    {{STEP(1, 0), 1, END}, LONG(HN_PROTO_NAME_MAX), 0, NULL}, /* unnamed: url is the name */
    {{STEP(1, 0), 1, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_INVALID, "no name and its url"},
    {{STEP(1, 0), 1, END}, BIN("/caf\xe9"), HN_E_INVALID, "no name and its url"},
    /* string contents */
    {{STEP(0, 0), 0, END}, BIN("G\0T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("GET /x HTTP/1.1\r\nX"), HN_E_TOO_LARGE, "method is 18"},
    {{STEP(0, 0), 0, END}, BIN("GE T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("G\xc3\xa9T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN(""), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("M-SEARCH"), 0, NULL},
    {{STEP(0, 0), 1, END}, BIN("/a\0b"), HN_E_INVALID, "url contains a NUL byte"},
    {{STEP(0, 0), 2, END}, BIN("n\0"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xc3\x28"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xc0\xaf"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xed\xa0\x80"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("/\xf0\x9f\x90\x9d"), 0, NULL},
    {{STEP(0, 0), 3, 0, END}, BIN("X-A:b"), HN_E_INVALID, "header name is not an HTTP token"},
    {{STEP(0, 0), 3, 0, END}, BIN("X\0"), HN_E_INVALID, "header name is not an HTTP token"},
    {{STEP(0, 0), 3, 1, END}, BIN("a\r\nX-Injected: 1"), HN_E_INVALID, "NUL, CR or LF"},
    {{STEP(0, 0), 3, 1, END}, BIN("a\0"), HN_E_INVALID, "header value contains a NUL"},
    {{STEP(0, 0), 3, 1, END}, BIN("tab\tand \xc3\xa9"), 0, NULL},
    {{STEP(0, 0), 4, END}, BIN("\0"), 0, NULL},
    {{0, END}, BIN("http://h\0"), HN_E_INVALID, "host contains a NUL byte"},
    {{CLASS0, 0, END}, BIN("\xff"), HN_E_INVALID, "class name is not valid UTF-8"},
    {{CLASS0, 5, 0, 0, END}, BIN("t\0"), HN_E_INVALID, "task 1: task name is not valid UTF-8"},
    /* types and ranges */
    {{STEP(0, 0), 0, END}, STR("GET"), HN_E_TYPE, "method is not a byte string"},
    {{STEP(0, 0), 0, END}, NIL, HN_E_TYPE, "method is not a byte string"},
    {{STEP(0, 0), 1, END}, NIL, HN_E_TYPE, "url is not a byte string"},
    {{STEP(0, 0), 5, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "timeout_ms is not an integer"},
    {{STEP(0, 0), 6, END}, U(1), HN_E_TYPE, "follow_redirects is not a boolean"},
    {{STEP(0, 0), 7, END}, U(600), HN_E_RANGE, "expect_status is not an integer in 0..599"},
    {{STEP(0, 0), 7, END}, U(99), HN_E_RANGE, "expect_status 99 is not 0 or 100..599"},
    {{STEP(0, 0), 7, END}, U(100), 0, NULL},
    {{STEP(0, 0), 7, END}, TRUE, HN_E_RANGE, "expect_status"},
    {{1, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "timeout_ms"},
    {{CLASS0, 1, END}, U(HN_MODEL_WEIGHT_MAX + 1), HN_E_RANGE, "class weight"},
    {{CLASS0, 5, 0, 1, END}, U(HN_MODEL_WEIGHT_MAX + 1), HN_E_RANGE, "task weight"},
    {{CLASS0, 2, 0, END}, U(HN_WAIT__COUNT), HN_E_RANGE, "wait kind is not an integer in 0..3"},
    {{CLASS0, 2, 2, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "wait max_ms"},
    {{CLASS0, 2, END}, U(0), HN_E_TYPE, "class 1: wait is not an array"},
    {{3, 0, END}, {.type = MSGPACK_OBJECT_MAP}, HN_E_TYPE, "malformed blob (wrong value type"},
    {{END}, U(4), HN_E_TYPE, "blob is not an array"},
};

static int apply_edit(const struct edit *e, msgpack_sbuffer *blob, char *why, size_t why_len)
{
    msgpack_sbuffer out;
    msgpack_unpacked up;
    msgpack_packer pk;
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, blob->data, blob->size, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    msgpack_object *o = &up.data;
    int i = 0;
    for (; e->path[i] >= 0; i++) {
        assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
        assert_true((uint32_t)e->path[i] < o->via.array.size);
        o = &o->via.array.ptr[e->path[i]];
    }
    if (e->path[i] == SHRINK)
        o->via.array.size--;
    else
        *o = e->value;
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    assert_int_equal(msgpack_pack_object(&pk, up.data), 0);
    struct hn_scenario *got = NULL;
    int rc = decode_copy(out.data, out.size, &got, why, why_len);
    assert_true(rc ? got == NULL : got != NULL);
    hn_scenario_free(got);
    msgpack_sbuffer_destroy(&out);
    msgpack_unpacked_destroy(&up);
    return rc;
}

static void test_field_edits(void **state)
{
    (void)state;
    struct hn_scenario *s = rich();
    msgpack_sbuffer blob;
    msgpack_unpacked up;
    encode(s, &blob);
    memset(filler, 'a', sizeof(filler));
    /* Items of ARR(n): a header name, valid for every list it fills up to
     * the point where the count is checked. */
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, blob.data, blob.size, NULL), MSGPACK_UNPACK_SUCCESS);
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        items[i] = up.data.via.array.ptr[2].via.array.ptr[0]; /* "Accept" */
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char why[256] = "";
        int rc = apply_edit(&edits[i], &blob, why, sizeof(why));
        if (rc != edits[i].want || (edits[i].why && !strstr(why, edits[i].why)))
            fail_msg("edit %zu: rc %d \"%s\", want %d \"%s\"", i, rc, why, edits[i].want,
                     edits[i].why ? edits[i].why : "");
    }
    msgpack_unpacked_destroy(&up);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&blob);
}

/* Headers declaring far more than the blob holds, and nesting or value
 * counts beyond the structural bounds: refused before msgpack-c allocates
 * (under ASan a 2^32-element allocation would abort the test). */
static void test_hostile_structure(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[16];
        size_t len;
        int want;
    } cases[] = {
        {{0xdd, 0xff, 0xff, 0xff, 0xff}, 5, HN_E_TOO_LARGE},
        {{0x94, 0xc0, 0x00, 0x90, 0xdc, 0x10, 0x00}, 7, HN_E_TRUNCATED},
        {{0x94, 0xc6, 0xff, 0xff, 0xff, 0xff}, 6, HN_E_TOO_LARGE},
        {{0x94, 0xc6, 0x00, 0x10, 0x00, 0x00, 0x00}, 7, HN_E_TRUNCATED},
        {{0x94, 0xdb, 0xff, 0xff, 0xff, 0xff}, 6, HN_E_TOO_LARGE},
        {{0x94, 0xc0, 0x00, 0x90, 0xd4, 1, 2}, 7, HN_E_TYPE},
        {{0x91, 0xc1}, 2, HN_E_INVALID},
        {{0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90}, 9, HN_E_TOO_LARGE},
        {{0}, 0, HN_E_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hn_scenario *got = NULL;
        char why[256] = "";
        int rc = decode_copy(cases[i].bytes, cases[i].len, &got, why, sizeof(why));
        if (rc != cases[i].want || got || !strstr(why, "malformed blob"))
            fail_msg("case %zu: rc %d \"%s\", want %d", i, rc, why, cases[i].want);
    }

    /* Depth 8 is the deepest path of the format and is accepted by the
     * structural check (this blob then fails on its types). */
    static const uint8_t deep8[] = {0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90};
    char why[256] = "";
    struct hn_scenario *got = NULL;
    assert_int_equal(decode_copy(deep8, sizeof(deep8), &got, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "blob has 1 items, not 4"));

    /* More than 2^20 values, each a legal nil. */
    size_t n_inner = (1u << 20) / HN_PROTO_ARRAY_MAX + 1, len = 0;
    uint8_t *big = malloc(3 + n_inner * (3 + HN_PROTO_ARRAY_MAX));
    assert_non_null(big);
    big[len++] = 0xdc, big[len++] = (uint8_t)(n_inner >> 8), big[len++] = (uint8_t)n_inner;
    for (size_t i = 0; i < n_inner; i++) {
        big[len++] = 0xdc, big[len++] = HN_PROTO_ARRAY_MAX >> 8, big[len++] = 0;
        memset(big + len, 0xc0, HN_PROTO_ARRAY_MAX);
        len += HN_PROTO_ARRAY_MAX;
    }
    assert_int_equal(hn_scenario_decode(big, len, &got, why, sizeof(why)), HN_E_TOO_LARGE);
    assert_non_null(strstr(why, "<= 1048576 values"));
    free(big);
}

/* The largest scenario the limits admit in one shape: 64 classes of 1024
 * one-step tasks (about 850 000 msgpack values). Decoding it must stay fast
 * (the builders grow arrays one item at a time). */
static void test_largest_scenario(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new(), *got = NULL;
    assert_non_null(s);
    for (int i = 0; i < HN_MODEL_CLASSES_MAX; i++) {
        struct hn_user_class *c = add_class(s, NULL, 1, HN_WAIT_NONE, 0, 0);
        for (int t = 0; t < HN_MODEL_TASKS_MAX; t++)
            add_step(hn_task_add_step(add_task(c, NULL, 1)), "GET", "/", NULL);
    }
    msgpack_sbuffer sbuf;
    char why[256] = "";
    encode(s, &sbuf);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = hn_scenario_decode(sbuf.data, sbuf.size, &got, why, sizeof(why));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc)
        fail_msg("largest scenario rejected: %s", why);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("largest scenario: %zu bytes decoded in %.0f ms\n", sbuf.size, ms);
    assert_true(scenario_eq(s, got));
    assert_true(ms < 5000);
    hn_scenario_free(got);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&sbuf);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Seeds for proto/fuzz: with HN_FUZZ_SCENARIO_SEED_DIR set, the rich blob
 * (fuzz-scenario); with HN_FUZZ_SEED_DIR set, a SCENARIO frame carrying it
 * (fuzz-decode). */
static void test_dump_seeds(void **state)
{
    (void)state;
    const char *blobs = getenv("HN_FUZZ_SCENARIO_SEED_DIR"), *frames = getenv("HN_FUZZ_SEED_DIR");
    if (!blobs && !frames)
        skip();
    struct hn_scenario *s = rich();
    msgpack_sbuffer a, f;
    encode(s, &a);
    if (blobs)
        write_file(blobs, "rich.bin", a.data, a.size);
    if (frames) {
        static const uint8_t hash[32] = {1, 2, 3};
        struct hn_msg m = {.type = HN_MSG_SCENARIO};
        m.scenario.blob = (const uint8_t *)a.data;
        m.scenario.blob_len = a.size;
        m.scenario.hash = hash;
        m.scenario.hash_len = sizeof(hash);
        msgpack_sbuffer_init(&f);
        assert_int_equal(hn_msg_encode(&m, &f), 0);
        write_file(frames, "SCENARIO-rich.bin", f.data, f.size);
        msgpack_sbuffer_destroy(&f);
    }
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_append_and_trailing),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_field_edits),
        cmocka_unit_test(test_hostile_structure),
        cmocka_unit_test(test_largest_scenario),
        cmocka_unit_test(test_dump_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
