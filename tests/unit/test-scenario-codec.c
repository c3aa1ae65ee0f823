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
#include "scenario-build.h"
#include "scenario_codec.h"
#include "test-rng.h"

/* ---- fixtures ---- */

/* The codec's private limit on one literal of a template (an escaped body). */
#define TEMPLATE_TEXT_MAX (4u << 20)

static void add_header(struct hn_scenario *s, struct hn_header **h, uint32_t *n, const char *name,
                       const char *value)
{
    struct hn_header *hd = hn_headers_add(h, n);
    assert_non_null(hd);
    hd->name = hn_model_strdup(name);
    scenario_compile(s, &hd->value, value, HN_ESC_HEADER);
}

static struct hn_step *add_step(struct hn_step *st, const char *method, const char *url,
                                const char *name)
{
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    assert_int_equal(hn_template_set_literal(&st->url, url), 0);
    st->name = hn_model_strdup(name);
    return st;
}

/* A raw body of @len bytes as written (may hold NUL bytes). */
static void set_raw_body(struct hn_step *st, const char *body, uint32_t len)
{
    st->body_kind = HN_BODY_RAW;
    assert_int_equal(hn_template_add_literal(&st->body, body, len), 0);
    st->body.source = hn_model_strdup("(raw body)");
}

static void add_capture(struct hn_scenario *s, struct hn_step *st, const char *var,
                        enum hn_capture_kind kind, const char *expr)
{
    struct hn_capture *c = hn_step_add_capture(st);
    assert_non_null(c);
    assert_int_equal(hn_scenario_var(s, var, &c->var), 0);
    c->kind = (uint8_t)kind;
    c->expr = hn_model_strdup(expr);
}

static void add_json_check(struct hn_step *st, const char *path, const char *want,
                           enum hn_json_type type)
{
    struct hn_check_json *c = hn_step_add_json_check(st);
    assert_non_null(c);
    c->path = hn_model_strdup(path);
    c->want = hn_model_strdup(want);
    c->want_type = (uint8_t)type;
}

static struct hn_feeder *add_feeder(struct hn_scenario *s, const char *name,
                                    enum hn_feeder_order order, const char *const *cols,
                                    uint32_t n_cols, const char *const *cells, uint32_t rows)
{
    struct hn_feeder *f = hn_scenario_add_feeder(s);
    assert_non_null(f);
    f->name = hn_model_strdup(name);
    f->order = (uint8_t)order;
    f->columns = calloc(n_cols, sizeof(*f->columns));
    assert_non_null(f->columns);
    for (uint32_t c = 0; c < n_cols; c++)
        f->columns[f->n_columns++] = hn_model_strdup(cols[c]);
    f->n_rows = rows;
    if (cells) {
        f->cells = calloc((size_t)rows * n_cols + 1, sizeof(*f->cells));
        assert_non_null(f->cells);
        for (uint32_t i = 0; i < rows * n_cols; i++)
            f->cells[i] = hn_model_strdup(cells[i]);
        f->rows_shipped = true;
    }
    return f;
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

#define CA_PEM "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"

/* Everything the format carries: options (TLS off with a CA bundle,
 * HTTP/2, no cookies, max_body, engine curl), default, class and step headers (fixed
 * and templates), variables, the three kinds of data feeders (the UNIQUE
 * one's rows stay on the master), four classes (one per wait kind),
 * on_start, single steps and a sequence, every kind of template segment
 * (random bounds below zero), every body kind (a raw one with NUL bytes, an
 * empty one, none), captures of every kind, statuses, body_contains (with
 * and without), json checks of every type, timeouts and redirects. Paths
 * used by the field edits below: class 0 task 0 step 0 is named and its url
 * a template; task 1 step 0 is unnamed; task 2 is the sequence. */
static struct hn_scenario *rich(void)
{
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    s->host = hn_model_strdup("http://127.0.0.1:8080");
    s->timeout_ms = 7500;
    s->tls_verify = false;
    s->ca_pem = hn_model_strdup(CA_PEM);
    s->ca_len = (uint32_t)strlen(CA_PEM);
    s->http_version = HN_HTTP_2;
    s->cookies = false;
    s->max_body = 65536;
    s->engine = HN_ENGINE_CURL;
    add_header(s, &s->headers, &s->n_headers, "Accept", "application/json");
    add_header(s, &s->headers, &s->n_headers, "X-Run", "");
    add_header(s, &s->headers, &s->n_headers, "X-User", "u{{user_id}}-{{uuid}}");
    /* Variable 0 is "token": the edits rely on it. */
    uint32_t slot;
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0);

    static const char *const user_cols[] = {"email", "password"};
    static const char *const user_cells[] = {"a@b.c", "caf\xc3\xa9", "x@y.z", ""};
    add_feeder(s, "users", HN_ORDER_SEQUENTIAL, user_cols, 2, user_cells, 2);
    static const char *const card_cols[] = {"number"};
    static const char *const card_cells[] = {"4111 1111"};
    add_feeder(s, "cards", HN_ORDER_RANDOM, card_cols, 1, card_cells, 1);
    static const char *const coupon_cols[] = {"code"};
    static const char *const coupon_cells[] = {"A1", "B2", "C3"};
    add_feeder(s, "coupons", HN_ORDER_UNIQUE, coupon_cols, 1, coupon_cells, 3);
    static const char *const empty_cols[] = {"x"};
    add_feeder(s, "empty", HN_ORDER_SEQUENTIAL, empty_cols, 1, NULL, 0);

    struct hn_user_class *c = add_class(s, "shopper", 6, HN_WAIT_BETWEEN, 1000, 3000);
    add_header(s, &c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    struct hn_step *st = add_step(hn_class_add_on_start(c), "POST", "/api/auth/login", NULL);
    st->body_kind = HN_BODY_JSON;
    scenario_compile(s, &st->body,
                     "{\"email\":\"{{users.email}}\",\"password\":\"{{users.password}}\"}",
                     HN_ESC_JSON);
    assert_int_equal(hn_step_add_status(st, 200), 0);
    add_capture(s, st, "token", HN_CAPTURE_JSON, "$.token");
    add_capture(s, st, "session", HN_CAPTURE_HEADER, "X-Session");

    struct hn_task *t = add_task(c, "browse", 5);
    st = add_step(hn_task_add_step(t), "GET", "/", "/api/products");
    hn_template_deinit(&st->url);
    scenario_compile(s, &st->url, "/api/products?page={{random -3 3}}", HN_ESC_URL);
    add_header(s, &st->headers, &st->n_headers, "Cache-Control", "no-cache");
    add_capture(s, st, "product_id", HN_CAPTURE_REGEX, "id=(\\d+)");
    add_json_check(st, "$.items[0].id", "42", HN_JSON_NUMBER);

    t = add_task(c, NULL, 3);
    st = add_step(hn_task_add_step(t), "GET", "/api/products/42", NULL);
    st->follow_redirects = true;
    st->has_body_contains = true;
    scenario_compile(s, &st->body_contains, "\"owner\":\"{{token}}\"", HN_ESC_NONE);

    t = add_task(c, "checkout", 1);
    st = add_step(hn_task_add_step(t), "GET", "/", "/api/products/[id]");
    hn_template_deinit(&st->url);
    scenario_compile(s, &st->url, "/api/products/{{product_id}}", HN_ESC_URL);
    st = add_step(hn_task_add_step(t), "PUT", "/api/cart/items", "/api/cart/items");
    set_raw_body(st, "\0\x01\xff\0binary\0", 11);
    st->timeout_ms = 1500;
    add_header(s, &st->headers, &st->n_headers, "Content-Type", "application/octet-stream");
    add_header(s, &st->headers, &st->n_headers, "X-Empty", "");
    st = add_step(hn_task_add_step(t), "POST", "/api/orders", "/api/orders");
    st->body_kind = HN_BODY_FORM;
    scenario_compile(s, &st->body, "coupon={{coupons.code}}&card={{cards.number}}", HN_ESC_FORM);
    assert_int_equal(hn_step_add_status(st, 201), 0);
    assert_int_equal(hn_step_add_status(st, 202), 0);
    st->timeout_ms = UINT32_MAX;
    st->has_body_contains = true; /* an empty text: always found */
    assert_int_equal(hn_template_set_literal(&st->body_contains, ""), 0);
    add_json_check(st, "$.status", "paid", HN_JSON_STRING);
    add_json_check(st, "$['ok']", "true", HN_JSON_BOOL);
    add_json_check(st, "$.note", "null", HN_JSON_NULL);
    st = add_step(hn_task_add_step(t), "DELETE", "/api/cart", NULL);
    add_header(s, &st->headers, &st->n_headers, "X-Request-Id", "{{uuid}}");
    st->body_kind = HN_BODY_RAW; /* an empty body, not none */
    assert_int_equal(hn_template_set_literal(&st->body, ""), 0);

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

/* Same source and segments. A template without source travels as "". */
static bool template_eq(const struct hn_template *a, const struct hn_template *b)
{
    if (!str_eq(a->source ? a->source : "", b->source ? b->source : "") || a->n_segs != b->n_segs)
        return false;
    for (uint32_t i = 0; i < a->n_segs; i++) {
        const struct hn_seg *x = &a->segs[i], *y = &b->segs[i];
        if (x->kind != y->kind)
            return false;
        if (x->kind == HN_SEG_LITERAL) {
            if (x->len != y->len || memcmp(x->text, y->text, x->len + 1))
                return false;
        } else if (x->escape != y->escape) {
            return false;
        } else if (x->kind == HN_SEG_RANDOM ? x->lo != y->lo || x->hi != y->hi
                                            : x->a != y->a || x->b != y->b) {
            return false;
        }
    }
    return true;
}

static bool headers_eq(const struct hn_header *a, uint32_t na, const struct hn_header *b,
                       uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++)
        if (!str_eq(a[i].name, b[i].name) || !template_eq(&a[i].value, &b[i].value))
            return false;
    return true;
}

static bool checks_eq(const struct hn_step *x, const struct hn_step *y)
{
    if (x->n_captures != y->n_captures || x->n_statuses != y->n_statuses ||
        x->n_json_checks != y->n_json_checks || x->has_body_contains != y->has_body_contains ||
        (x->has_body_contains && !template_eq(&x->body_contains, &y->body_contains)))
        return false;
    for (uint32_t k = 0; k < x->n_captures; k++)
        if (x->captures[k].var != y->captures[k].var ||
            x->captures[k].kind != y->captures[k].kind ||
            !str_eq(x->captures[k].expr, y->captures[k].expr))
            return false;
    for (uint32_t k = 0; k < x->n_statuses; k++)
        if (x->statuses[k] != y->statuses[k])
            return false;
    for (uint32_t k = 0; k < x->n_json_checks; k++)
        if (!str_eq(x->json_checks[k].path, y->json_checks[k].path) ||
            !str_eq(x->json_checks[k].want, y->json_checks[k].want) ||
            x->json_checks[k].want_type != y->json_checks[k].want_type)
            return false;
    return true;
}

static bool steps_eq(const struct hn_step *a, uint32_t na, const struct hn_step *b, uint32_t nb)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++) {
        const struct hn_step *x = &a[i], *y = &b[i];
        if (!str_eq(x->method, y->method) || !template_eq(&x->url, &y->url) ||
            !str_eq(x->name, y->name) ||
            !headers_eq(x->headers, x->n_headers, y->headers, y->n_headers) ||
            x->body_kind != y->body_kind || !template_eq(&x->body, &y->body) ||
            x->timeout_ms != y->timeout_ms || x->follow_redirects != y->follow_redirects ||
            !checks_eq(x, y))
            return false;
    }
    return true;
}

/* Feeders compare by everything but the cells of UNIQUE ones, which @b (a
 * decoded scenario) never has. */
static bool feeders_eq(const struct hn_scenario *a, const struct hn_scenario *b)
{
    if (a->n_feeders != b->n_feeders)
        return false;
    for (uint32_t f = 0; f < a->n_feeders; f++) {
        const struct hn_feeder *x = &a->feeders[f], *y = &b->feeders[f];
        if (!str_eq(x->name, y->name) || x->order != y->order || x->n_columns != y->n_columns ||
            x->n_rows != y->n_rows)
            return false;
        for (uint32_t c = 0; c < x->n_columns; c++)
            if (!str_eq(x->columns[c], y->columns[c]))
                return false;
        bool shipped = x->order != HN_ORDER_UNIQUE && x->cells;
        if (y->rows_shipped != shipped || !y->cells != !shipped)
            return false;
        for (uint64_t i = 0; shipped && i < (uint64_t)x->n_rows * x->n_columns; i++)
            if (!str_eq(x->cells[i], y->cells[i]))
                return false;
    }
    return true;
}

static bool scenario_eq(const struct hn_scenario *a, const struct hn_scenario *b)
{
    if (!str_eq(a->host, b->host) || a->timeout_ms != b->timeout_ms ||
        !headers_eq(a->headers, a->n_headers, b->headers, b->n_headers) ||
        a->tls_verify != b->tls_verify || a->ca_len != b->ca_len || !a->ca_pem != !b->ca_pem ||
        (a->ca_pem && memcmp(a->ca_pem, b->ca_pem, a->ca_len)) ||
        a->http_version != b->http_version || a->cookies != b->cookies ||
        a->max_body != b->max_body || a->engine != b->engine || a->n_vars != b->n_vars || !feeders_eq(a, b) ||
        a->n_classes != b->n_classes)
        return false;
    for (uint32_t i = 0; i < a->n_vars; i++)
        if (!str_eq(a->vars[i], b->vars[i]))
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
    assert_false(got->tls_verify);
    assert_int_equal(got->ca_len, strlen(CA_PEM));
    assert_string_equal(got->ca_pem, CA_PEM);
    assert_int_equal(got->http_version, HN_HTTP_2);
    assert_false(got->cookies);
    assert_int_equal(got->max_body, 65536);
    assert_int_equal(got->engine, HN_ENGINE_CURL);
    assert_int_equal(got->n_vars, 3);
    assert_string_equal(got->vars[0], "token");
    assert_string_equal(got->vars[1], "session");
    assert_string_equal(got->vars[2], "product_id");
    assert_int_equal(got->n_headers, 3);
    assert_int_equal(got->headers[1].value.n_segs, 0); /* X-Run: "" */
    assert_string_equal(got->headers[1].value.source, "");
    const struct hn_template *xu = &got->headers[2].value;
    assert_int_equal(xu->n_segs, 4);
    assert_int_equal(xu->segs[1].kind, HN_SEG_USER_ID);
    assert_int_equal(xu->segs[1].escape, HN_ESC_HEADER);
    assert_int_equal(xu->segs[3].kind, HN_SEG_UUID);
    assert_int_equal(got->n_classes, 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(got->classes[k].wait.kind, s->classes[k].wait.kind);
    assert_int_equal(got->classes[0].wait.max_ms, 3000);

    /* Feeders: sequential and random rows travel, unique ones do not. */
    assert_int_equal(got->n_feeders, 4);
    assert_true(got->feeders[0].rows_shipped);
    assert_int_equal(got->feeders[0].n_rows, 2);
    assert_string_equal(got->feeders[0].columns[1], "password");
    assert_string_equal(got->feeders[0].cells[1], "caf\xc3\xa9");
    assert_string_equal(got->feeders[0].cells[3], "");
    assert_int_equal(got->feeders[1].order, HN_ORDER_RANDOM);
    assert_string_equal(got->feeders[1].cells[0], "4111 1111");
    assert_int_equal(got->feeders[2].order, HN_ORDER_UNIQUE);
    assert_int_equal(got->feeders[2].n_rows, 3);
    assert_false(got->feeders[2].rows_shipped);
    assert_null(got->feeders[2].cells);
    assert_null(memmem(a.data, a.size, "B2", 2)); /* not in the blob at all */
    assert_int_equal(got->feeders[3].n_rows, 0);
    assert_false(got->feeders[3].rows_shipped);

    /* on_start: a json body of data columns, a status, two captures. */
    const struct hn_step *login = &got->classes[0].on_start[0];
    assert_int_equal(got->classes[0].n_on_start, 1);
    assert_int_equal(login->body_kind, HN_BODY_JSON);
    assert_int_equal(login->body.n_segs, 5);
    assert_string_equal(login->body.segs[0].text, "{\"email\":\"");
    assert_int_equal(login->body.segs[1].kind, HN_SEG_DATA);
    assert_int_equal(login->body.segs[1].escape, HN_ESC_JSON);
    assert_int_equal(login->body.segs[3].b, 1);
    assert_int_equal(login->n_statuses, 1);
    assert_int_equal(login->statuses[0], 200);
    assert_int_equal(login->n_captures, 2);
    assert_int_equal(login->captures[1].kind, HN_CAPTURE_HEADER);
    assert_int_equal(login->captures[1].var, 1);
    assert_string_equal(login->captures[1].expr, "X-Session");
    assert_false(login->has_body_contains);

    const struct hn_step *browse = &got->classes[0].tasks[0].steps[0];
    assert_string_equal(browse->url.source, "/api/products?page={{random -3 3}}");
    assert_int_equal(browse->url.segs[1].kind, HN_SEG_RANDOM);
    assert_int_equal(browse->url.segs[1].lo, -3);
    assert_int_equal(browse->url.segs[1].hi, 3);
    assert_int_equal(browse->captures[0].kind, HN_CAPTURE_REGEX);
    assert_string_equal(browse->captures[0].expr, "id=(\\d+)");
    assert_int_equal(browse->json_checks[0].want_type, HN_JSON_NUMBER);
    assert_string_equal(browse->json_checks[0].path, "$.items[0].id");

    const struct hn_step *unnamed = &got->classes[0].tasks[1].steps[0];
    assert_null(got->classes[0].tasks[1].name);
    assert_null(unnamed->name);
    assert_true(unnamed->follow_redirects);
    assert_true(unnamed->has_body_contains);
    assert_int_equal(unnamed->body_contains.segs[1].kind, HN_SEG_VAR);
    assert_int_equal(unnamed->body_kind, HN_BODY_NONE);

    const struct hn_task *seq = &got->classes[0].tasks[2];
    assert_int_equal(seq->n_steps, 4);
    assert_int_equal(seq->steps[0].url.segs[1].kind, HN_SEG_VAR);
    assert_int_equal(seq->steps[0].url.segs[1].a, 2);
    assert_int_equal(seq->steps[1].body_kind, HN_BODY_RAW);
    assert_int_equal(hn_template_literal_len(&seq->steps[1].body), 11);
    assert_memory_equal(hn_template_literal_text(&seq->steps[1].body), "\0\x01\xff\0binary\0", 12);
    assert_string_equal(seq->steps[1].headers[1].name, "X-Empty");
    assert_string_equal(seq->steps[1].headers[1].value.source, "");
    assert_int_equal(seq->steps[1].timeout_ms, 1500);
    assert_int_equal(seq->steps[2].body_kind, HN_BODY_FORM);
    assert_int_equal(seq->steps[2].n_statuses, 2);
    assert_int_equal(seq->steps[2].statuses[1], 202);
    assert_int_equal(seq->steps[2].timeout_ms, UINT32_MAX);
    assert_true(seq->steps[2].has_body_contains);
    assert_int_equal(seq->steps[2].body_contains.n_segs, 0);
    assert_int_equal(seq->steps[2].n_json_checks, 3);
    assert_int_equal(seq->steps[2].json_checks[1].want_type, HN_JSON_BOOL);
    assert_int_equal(seq->steps[2].json_checks[2].want_type, HN_JSON_NULL);
    assert_int_equal(seq->steps[3].body_kind, HN_BODY_RAW);
    assert_int_equal(seq->steps[3].body.n_segs, 0);
    assert_string_equal(got->classes[1].name, "caf\xc3\xa9 reader");
    assert_null(got->classes[3].name);
    assert_int_equal(got->classes[2].tasks[0].weight, HN_MODEL_WEIGHT_MAX);
    /* Canonical: encoding the decoded scenario gives the same bytes. */
    encode(got, &b);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    /* A decoded scenario finalizes (a worker's: no unique rows). */
    if (hn_scenario_finalize(got, why, sizeof(why)))
        fail_msg("decoded scenario: %s", why);
    assert_int_equal(got->classes[0].feeders_used, 1u << 0 | 1u << 1 | 1u << 2);
    assert_int_equal(got->classes[1].feeders_used, 0);
    hn_scenario_free(got);

    /* The quick mode's scenario (no host) travels too. */
    const char *paths[] = {"http://h/a", "http://h/b"};
    struct hn_scenario *q = hn_scenario_quick(NULL, paths, 2);
    msgpack_sbuffer_clear(&b);
    assert_int_equal(hn_scenario_encode(q, &b), 0);
    assert_int_equal(decode_copy(b.data, b.size, &got, why, sizeof(why)), 0);
    assert_true(scenario_eq(q, got));
    assert_null(got->host);
    assert_null(got->ca_pem);
    assert_true(got->tls_verify);
    assert_true(got->cookies);
    assert_int_equal(got->max_body, HN_MODEL_MAX_BODY_DEFAULT);
    assert_int_equal(got->engine, HN_ENGINE_AUTO);
    assert_int_equal(got->n_feeders, 0);
    assert_int_equal(got->n_vars, 0);
    hn_scenario_free(got);
    hn_scenario_free(q);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}

/* Data cells: one bin of NUL-terminated UTF-8 strings. */
static void test_cells(void **state)
{
    (void)state;
    char *cells[] = {"a", "", "caf\xc3\xa9", "x y"};
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    assert_int_equal(hn_cells_pack(&pk, cells, 4), 0);
    assert_int_equal(hn_cells_pack(&pk, cells, 0), 0);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(up.data.type, MSGPACK_OBJECT_BIN);
    static const char want[] = "a\0\0caf\xc3\xa9\0x y"; /* + the final NUL */
    assert_int_equal(up.data.via.bin.size, sizeof(want));
    assert_memory_equal(up.data.via.bin.ptr, want, sizeof(want));
    char **out = NULL, why[128] = "";
    assert_int_equal(hn_cells_unpack(want, sizeof(want), 4, &out, why, sizeof(why)), 0);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(out[i], cells[i]);
        free(out[i]);
    }
    free(out);
    /* No cell: an empty bin. */
    assert_int_equal(msgpack_unpack_next(&up, sbuf.data, sbuf.size, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(up.data.via.bin.size, 0);
    out = NULL;
    assert_int_equal(hn_cells_unpack("", 0, 0, &out, why, sizeof(why)), 0);
    assert_non_null(out);
    free(out);

    /* Wrong counts, a last cell without its NUL, bad UTF-8: refused. */
    out = NULL;
    assert_int_equal(hn_cells_unpack(want, sizeof(want), 5, &out, why, sizeof(why)), HN_E_INVALID);
    assert_string_equal(why, "data cells: 4 found, 5 expected");
    assert_int_equal(hn_cells_unpack(want, sizeof(want), 3, &out, why, sizeof(why)), HN_E_INVALID);
    assert_int_equal(hn_cells_unpack(want, sizeof(want) - 1, 3, &out, why, sizeof(why)),
                     HN_E_INVALID); /* "x y" unterminated */
    assert_int_equal(hn_cells_unpack("a", 1, 0, &out, why, sizeof(why)), HN_E_INVALID);
    assert_int_equal(hn_cells_unpack("ok\0\xff\0", 5, 2, &out, why, sizeof(why)), HN_E_INVALID);
    assert_string_equal(why, "data cell 2 is not UTF-8");
    assert_null(out);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);
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
    test_rng_seed(20240611);
    for (int round = 0; round < ROUNDS; round++) {
        size_t len = orig.size;
        memcpy(work, orig.data, len);
        for (int i = 0, n = 1 + (int)(test_rng_next() % 4); i < n; i++)
            len = test_mutate(work, len, orig.size + SLACK, test_rng_next);
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
#define I(v) {.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = (v)}
#define NIL {.type = MSGPACK_OBJECT_NIL}
#define TRUE {.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true}
#define STR(s) {.type = MSGPACK_OBJECT_STR, .via.str = {.size = sizeof(s) - 1, .ptr = s}}
#define BIN(s) {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = sizeof(s) - 1, .ptr = s}}
#define LONG(n) {.type = MSGPACK_OBJECT_BIN, .via.bin = {.size = (n), .ptr = filler}}
#define ARR(n) {.type = MSGPACK_OBJECT_ARRAY, .via.array = {.size = (n), .ptr = items}}
/* clang-format on */
#define END (-1)
#define SHRINK (-2)
/* Paths from the blob: [host, timeout, headers, options, vars, feeders,
 * classes]; options: [tls_verify, ca, http_version, cookies, max_body,
 * engine]; a
 * feeder: [name, order, columns, rows, cells]; a class: [name, weight,
 * wait, headers, on_start, tasks]; a task: [name, weight, steps]; a step:
 * [method, url, name, headers, body_kind, body, timeout, redirects,
 * captures, statuses, body_contains, json_checks]; a template: [source,
 * segments]; a segment: bin, or [kind, escape, a, b]. */
#define CLASS0 6, 0
#define STEP(t, s) 6, 0, 5, t, 2, s
#define ON_START0 6, 0, 4, 0

static char filler[TEMPLATE_TEXT_MAX + 1]; /* bytes of 'a' */
static msgpack_object items[4200]; /* elements of ARR(n): a valid header name, value, name, ... */

static const struct edit {
    int path[12]; /* indices; END; or SHRINK: drop the array's last element */
    msgpack_object value;
    int want;
    const char *why; /* substring of the reason */
} edits[] = {
    /* counts */
    {{6, END}, ARR(0), HN_E_TOO_LARGE, "class list has 0 items (allowed 1..64)"},
    {{6, END}, ARR(HN_MODEL_CLASSES_MAX + 1), HN_E_TOO_LARGE, "class list has 65 items"},
    {{CLASS0, 5, END}, ARR(HN_MODEL_TASKS_MAX + 1), HN_E_TOO_LARGE, "class 1: task list has 1025"},
    {{STEP(2, END)}, ARR(HN_MODEL_STEPS_MAX + 1), HN_E_TOO_LARGE, "task 3: step list has 257"},
    {{CLASS0, 4, END}, ARR(HN_MODEL_STEPS_MAX + 1), HN_E_TOO_LARGE, "on_start: step list has"},
    {{2, END}, ARR(2 * HN_MODEL_HEADERS_MAX + 2), HN_E_TOO_LARGE, "header list has 130 items"},
    {{2, END}, ARR(2 * HN_MODEL_HEADERS_MAX), 0, NULL},
    {{2, END}, ARR(3), HN_E_INVALID, "header list has an odd number"},
    {{4, END}, ARR(HN_MODEL_VARS_MAX + 1), HN_E_TOO_LARGE, "variable list has 257 items"},
    {{5, END}, ARR(HN_MODEL_FEEDERS_MAX + 1), HN_E_TOO_LARGE, "feeder list has 33 items"},
    {{STEP(0, 0), 8, END}, ARR(HN_MODEL_CAPTURES_MAX + 1), HN_E_TOO_LARGE, "capture list has 33"},
    {{STEP(2, 2), 9, END}, ARR(HN_MODEL_STATUSES_MAX + 1), HN_E_TOO_LARGE, "status list has 33"},
    {{STEP(2, 2), 11, END}, ARR(HN_MODEL_CHECKS_MAX + 1), HN_E_TOO_LARGE, "check list has 33"},
    {{STEP(0, 0), 1, 1, END},
     ARR(HN_TEMPLATE_SEGS_MAX + 1),
     HN_E_TOO_LARGE,
     "url has 1025 items (allowed 0..1024)"},
    {{5, 0, 2, END}, ARR(0), HN_E_TOO_LARGE, "column list has 0 items (allowed 1..64)"},
    {{5, 0, 2, END}, ARR(HN_MODEL_COLUMNS_MAX + 1), HN_E_TOO_LARGE, "column list has 65"},
    {{6, 0, SHRINK}, U(0), HN_E_INVALID, "class 1: user class has 5 items, not 6"},
    {{STEP(2, 1), SHRINK}, U(0), HN_E_INVALID, "class 1 task 3 step 2: step has 11 items, not 12"},
    {{CLASS0, 2, SHRINK}, U(0), HN_E_INVALID, "wait has 2 items, not 3"},
    {{3, SHRINK}, U(0), HN_E_INVALID, "scenario: options has 5 items, not 6"},
    {{5, 0, SHRINK}, U(0), HN_E_INVALID, "data feeder has 4 items, not 5"},
    {{STEP(0, 0), 8, 0, SHRINK}, U(0), HN_E_INVALID, "capture has 2 items, not 3"},
    {{STEP(2, 2), 11, 0, SHRINK}, U(0), HN_E_INVALID, "json check has 2 items, not 3"},
    {{STEP(0, 0), 1, SHRINK}, U(0), HN_E_INVALID, "step 1: url has 1 items, not 2"},
    {{STEP(0, 0), 1, 1, 1, SHRINK}, U(0), HN_E_INVALID, "template segment has 3 items, not 4"},
    {{SHRINK}, U(0), HN_E_INVALID, "scenario: blob has 6 items, not 7"},
    {{END}, ARR(HN_PROTO_ARRAY_MAX + 1), HN_E_TOO_LARGE, "malformed blob (length exceeds"},
    /* string lengths */
    {{STEP(0, 0), 0, END}, LONG(HN_PROTO_METHOD_MAX + 1), HN_E_TOO_LARGE, "method is 17 bytes"},
    {{STEP(0, 0), 1, 0, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "url is 8193 bytes"},
    {{STEP(0, 0), 1, 0, END}, LONG(HN_MODEL_STR_MAX), 0, NULL}, /* named step: any url */
    {{STEP(0, 0), 1, 1, 0, END},
     LONG(HN_MODEL_STR_MAX + 1),
     HN_E_TOO_LARGE,
     "url: text of 8193 bytes (at most 8192)"},
    {{STEP(0, 0), 1, 1, 0, END}, LONG(HN_MODEL_STR_MAX), 0, NULL},
    {{STEP(0, 0), 2, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "name is 257 bytes"},
    {{STEP(0, 0), 2, END}, LONG(HN_PROTO_NAME_MAX), 0, NULL},
    {{STEP(0, 0), 3, 1, 0, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "header value is"},
    {{STEP(0, 0), 3, 1, 1, 0, END},
     LONG(HN_MODEL_STR_MAX + 1),
     HN_E_TOO_LARGE,
     "header value: text of 8193 bytes"},
    {{STEP(0, 0), 3, 0, END}, LONG(257), HN_E_TOO_LARGE, "header name is 257 bytes"},
    {{STEP(2, 1), 5, 1, 0, END}, LONG(TEMPLATE_TEXT_MAX), 0, NULL},
    {{STEP(2, 1), 5, 1, 0, END},
     LONG(TEMPLATE_TEXT_MAX + 1),
     HN_E_TOO_LARGE,
     "body: text of 4194305 bytes (at most 4194304)"},
    {{STEP(2, 1), 5, 0, END}, LONG(TEMPLATE_TEXT_MAX + 1), HN_E_TOO_LARGE, "body is 4194305 bytes"},
    {{0, END}, LONG(HN_MODEL_STR_MAX + 1), HN_E_TOO_LARGE, "host is 8193 bytes"},
    {{CLASS0, 0, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "class name is 257"},
    {{3, 1, END}, LONG(HN_MODEL_CA_MAX), 0, NULL},
    {{3, 1, END}, LONG(HN_MODEL_CA_MAX + 1), HN_E_TOO_LARGE, "CA bundle is 1048577 bytes"},
    {{4, 0, END}, LONG(129), HN_E_TOO_LARGE, "variable name is 129 bytes"},
    {{5, 0, 0, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "feeder name is 257 bytes"},
    {{5, 0, 2, 0, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_TOO_LARGE, "column name is 257"},
    {{STEP(0, 0), 8, 0, 2, END},
     LONG(HN_MODEL_STR_MAX + 1),
     HN_E_TOO_LARGE,
     "capture expression is 8193 bytes"},
    {{STEP(1, 0), 2, END}, NIL, 0, NULL},
    {{STEP(1, 0), 1, 0, END}, LONG(HN_PROTO_NAME_MAX), 0, NULL}, /* unnamed: url is the name */
    {{STEP(1, 0), 1, 0, END}, LONG(HN_PROTO_NAME_MAX + 1), HN_E_INVALID, "no name and its url"},
    {{STEP(1, 0), 1, 0, END}, BIN("/caf\xe9"), HN_E_INVALID, "no name and its url"},
    /* string contents */
    {{STEP(0, 0), 0, END}, BIN("G\0T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("GET /x HTTP/1.1\r\nX"), HN_E_TOO_LARGE, "method is 18"},
    {{STEP(0, 0), 0, END}, BIN("GE T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("G\xc3\xa9T"), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN(""), HN_E_INVALID, "method is not an HTTP token"},
    {{STEP(0, 0), 0, END}, BIN("M-SEARCH"), 0, NULL},
    {{STEP(0, 0), 1, 0, END}, BIN("/a\0b"), HN_E_INVALID, "url contains a NUL byte"},
    {{STEP(0, 0), 1, 1, 0, END}, BIN("/a\0b"), HN_E_INVALID, "url text contains a NUL byte"},
    {{STEP(0, 0), 2, END}, BIN("n\0"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xc3\x28"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xc0\xaf"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("\xed\xa0\x80"), HN_E_INVALID, "name is not valid UTF-8"},
    {{STEP(0, 0), 2, END}, BIN("/\xf0\x9f\x90\x9d"), 0, NULL},
    {{STEP(0, 0), 3, 0, END}, BIN("X-A:b"), HN_E_INVALID, "header name is not an HTTP token"},
    {{STEP(0, 0), 3, 0, END}, BIN("X\0"), HN_E_INVALID, "header name is not an HTTP token"},
    {{STEP(0, 0), 3, 1, 1, 0, END},
     BIN("a\r\nX-Injected: 1"),
     HN_E_INVALID,
     "header value text contains a NUL, CR or LF"},
    {{STEP(0, 0), 3, 1, 1, 0, END}, BIN("a\0"), HN_E_INVALID, "header value text contains a NUL"},
    {{STEP(0, 0), 3, 1, 1, 0, END}, BIN("tab\tand \xc3\xa9"), 0, NULL},
    {{STEP(0, 0), 3, 1, 0, END}, BIN("a\0"), HN_E_INVALID, "header value contains a NUL"},
    {{STEP(2, 1), 5, 1, 0, END}, BIN("\0"), 0, NULL},
    {{0, END}, BIN("http://h\0"), HN_E_INVALID, "host contains a NUL byte"},
    {{CLASS0, 0, END}, BIN("\xff"), HN_E_INVALID, "class name is not valid UTF-8"},
    {{CLASS0, 5, 0, 0, END}, BIN("t\0"), HN_E_INVALID, "task 1: task name is not valid UTF-8"},
    {{3, 1, END}, BIN("pem\0"), HN_E_INVALID, "CA bundle contains a NUL byte"},
    {{3, 1, END}, NIL, 0, NULL}, /* the system's CA store */
    {{4, 0, END}, BIN("t\0"), HN_E_INVALID, "variable name is not valid UTF-8"},
    {{4, 1, END}, BIN("token"), HN_E_INVALID, "variable 2: named twice"},
    {{5, 0, 0, END}, BIN("\xff"), HN_E_INVALID, "feeder name is not valid UTF-8"},
    {{5, 0, 2, 1, END}, BIN("p\0w"), HN_E_INVALID, "column name is not valid UTF-8"},
    {{STEP(0, 0), 8, 0, 2, END}, BIN("a\0"), HN_E_INVALID, "capture expression contains a NUL"},
    {{ON_START0, 8, 1, 2, END},
     BIN("X Session"),
     HN_E_INVALID,
     "on_start step 1: capture expression is not an HTTP token"},
    {{ON_START0, 8, 1, 2, END}, BIN("X-Other"), 0, NULL},
    {{STEP(2, 2), 11, 0, 0, END}, BIN("$\0"), HN_E_INVALID, "json check path contains a NUL"},
    {{STEP(2, 2), 11, 0, 1, END}, BIN("p\0"), HN_E_INVALID, "json check value contains a NUL"},
    /* data cells */
    {{5, 0, 3, END}, U(3), HN_E_INVALID, "feeder users: data cells: 4 found, 6 expected"},
    {{5, 0, 3, END},
     U(HN_MODEL_ROWS_MAX + 1),
     HN_E_RANGE,
     "row count is not an integer in 0..200000"},
    {{5, 0, 4, END}, NIL, HN_E_INVALID, "feeder users: rows missing"},
    {{5, 0, 4, END}, U(1), HN_E_TYPE, "feeder users: rows are not a byte string or nil"},
    {{5, 0, 4, END}, BIN("a\0b\0c\0d"), HN_E_INVALID, "data cells: 3 found, 4 expected"},
    {{5, 0, 4, END},
     BIN("a\0b\0\xff\0d\0"),
     HN_E_INVALID,
     "feeder users: data cell 3 is not UTF-8"},
    {{5, 0, 4, END}, BIN("a\0b\0c\0d\0"), 0, NULL},
    {{5, 2, 4, END},
     BIN("x\0y\0z\0"),
     HN_E_INVALID,
     "feeder coupons: unique rows must not be in the scenario"},
    {{5, 2, 3, END}, U(0), 0, NULL},
    {{5, 3, 4, END}, BIN(""), 0, NULL}, /* no row, as an empty bin */
    /* types and ranges */
    {{STEP(0, 0), 0, END}, STR("GET"), HN_E_TYPE, "method is not a byte string"},
    {{STEP(0, 0), 0, END}, NIL, HN_E_TYPE, "method is not a byte string"},
    {{STEP(0, 0), 1, END}, BIN("/x"), HN_E_TYPE, "url is not an array"},
    {{STEP(0, 0), 1, 0, END}, NIL, HN_E_TYPE, "url is not a byte string"},
    {{STEP(0, 0), 4, END}, U(HN_BODY__COUNT), HN_E_RANGE, "body kind is not an integer in 0..3"},
    {{STEP(0, 0), 6, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "timeout_ms is not an integer"},
    {{STEP(0, 0), 7, END}, U(1), HN_E_TYPE, "follow_redirects is not a boolean"},
    /* template segments: url "/api/products?page=" {{random -3 3}} */
    {{STEP(0, 0), 1, 1, 1, 0, END},
     U(HN_SEG__COUNT),
     HN_E_RANGE,
     "segment kind is not an integer in 0..5"},
    {{STEP(0, 0), 1, 1, 1, 0, END},
     U(HN_SEG_LITERAL),
     HN_E_INVALID,
     "url: a literal segment must be a byte string"},
    {{STEP(0, 0), 1, 1, 1, 1, END},
     U(HN_ESC__COUNT),
     HN_E_RANGE,
     "segment escape is not an integer in 0..4"},
    {{STEP(0, 0), 1, 1, 1, 2, END}, U(5), HN_E_RANGE, "url: random bounds out of order"},
    {{STEP(0, 0), 1, 1, 1, 3, END}, I(-4), HN_E_RANGE, "url: random bounds out of order"},
    {{STEP(0, 0), 1, 1, 1, 2, END}, I(INT64_MIN), 0, NULL},
    {{STEP(0, 0), 1, 1, 1, 3, END}, U(INT64_MAX), 0, NULL},
    {{STEP(0, 0), 1, 1, 1, 3, END},
     U(UINT64_C(1) << 63),
     HN_E_RANGE,
     "random high bound is not a 64-bit signed integer"},
    {{STEP(0, 0), 1, 1, 1, 2, END}, TRUE, HN_E_RANGE, "random low bound"},
    {{STEP(0, 0), 1, 1, 1, END}, U(7), HN_E_TYPE, "template segment is not an array"},
    {{STEP(0, 0), 1, 1, END}, U(7), HN_E_TYPE, "step 1: url is not an array"},
    /* class header "Authorization": "Bearer " {{token}} */
    {{CLASS0, 3, 1, 1, 1, 2, END},
     U(UINT64_C(1) << 32),
     HN_E_RANGE,
     "segment argument is not an integer in 0..4294967295"},
    {{CLASS0, 3, 1, 1, 1, 2, END}, U(200), 0, NULL}, /* a slot finalize refuses */
    {{CLASS0, 3, 1, 1, 1, 1, END}, I(-1), HN_E_RANGE, "segment escape"},
    /* captures, statuses, checks */
    {{STEP(0, 0), 8, 0, 0, END},
     U(HN_MODEL_VARS_MAX),
     HN_E_RANGE,
     "capture variable is not an integer in 0..255"},
    {{STEP(0, 0), 8, 0, 0, END}, U(HN_MODEL_VARS_MAX - 1), 0, NULL},
    {{STEP(0, 0), 8, 0, 1, END},
     U(HN_CAPTURE__COUNT),
     HN_E_RANGE,
     "capture kind is not an integer in 0..2"},
    {{STEP(0, 0), 8, 0, END}, U(1), HN_E_TYPE, "capture is not an array"},
    {{STEP(2, 2), 9, 0, END}, U(600), HN_E_RANGE, "check status is not an integer in 0..599"},
    {{STEP(2, 2), 9, 0, END}, U(99), HN_E_RANGE, "check status 99 is not 100..599"},
    {{STEP(2, 2), 9, 0, END}, U(100), 0, NULL},
    {{STEP(2, 2), 9, 0, END}, TRUE, HN_E_RANGE, "check status"},
    {{STEP(2, 2), 9, END}, U(201), HN_E_TYPE, "status list is not an array"},
    {{STEP(1, 0), 10, END}, NIL, 0, NULL}, /* no body_contains check */
    {{STEP(1, 0), 10, END}, U(1), HN_E_TYPE, "body_contains is not an array"},
    {{STEP(1, 0), 10, 0, END}, NIL, HN_E_TYPE, "body_contains is not a byte string"},
    {{STEP(2, 2), 11, 0, 2, END},
     U(HN_JSON__COUNT),
     HN_E_RANGE,
     "json check type is not an integer in 0..3"},
    {{STEP(2, 2), 11, 0, 0, END}, NIL, HN_E_TYPE, "json check path is not a byte string"},
    /* options */
    {{3, 0, END}, U(1), HN_E_TYPE, "tls verify is not a boolean"},
    {{3, 2, END}, U(HN_HTTP__COUNT), HN_E_RANGE, "http version is not an integer in 0..1"},
    {{3, 3, END}, NIL, HN_E_TYPE, "cookies is not a boolean"},
    {{3, 4, END}, U(HN_MODEL_MAX_BODY_MAX + 1), HN_E_RANGE, "max_body is not an integer in 0.."},
    {{3, 4, END}, U(HN_MODEL_MAX_BODY_MAX), 0, NULL},
    {{3, 5, END}, U(HN_ENGINE__COUNT), HN_E_RANGE, "http engine is not an integer in 0..2"},
    {{3, 5, END}, U(HN_ENGINE_FAST), 0, NULL},
    {{3, 5, END}, NIL, HN_E_RANGE, "http engine is not an integer"},
    {{3, END}, U(0), HN_E_TYPE, "options is not an array"},
    /* feeders */
    {{5, 0, 0, END}, NIL, HN_E_TYPE, "feeder name is not a byte string"},
    {{5, 0, 1, END}, U(HN_ORDER__COUNT), HN_E_RANGE, "feeder order is not an integer in 0..2"},
    {{5, 0, END}, U(0), HN_E_TYPE, "data feeder is not an array"},
    {{4, END}, U(0), HN_E_TYPE, "variable list is not an array"},
    /* the rest */
    {{1, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "timeout_ms"},
    {{CLASS0, 1, END}, U(HN_MODEL_WEIGHT_MAX + 1), HN_E_RANGE, "class weight"},
    {{CLASS0, 5, 0, 1, END}, U(HN_MODEL_WEIGHT_MAX + 1), HN_E_RANGE, "task weight"},
    {{CLASS0, 2, 0, END}, U(HN_WAIT__COUNT), HN_E_RANGE, "wait kind is not an integer in 0..3"},
    {{CLASS0, 2, 2, END}, U(UINT64_C(1) << 32), HN_E_RANGE, "wait max_ms"},
    {{CLASS0, 2, END}, U(0), HN_E_TYPE, "class 1: wait is not an array"},
    {{6, 0, END}, {.type = MSGPACK_OBJECT_MAP}, HN_E_TYPE, "malformed blob (wrong value type"},
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
    /* Items of ARR(n): a header name and its value in turn ("Accept:
     * application/json"), valid for a header list, and for every other list
     * up to the point where its count is checked. */
    msgpack_unpacked_init(&up);
    assert_int_equal(msgpack_unpack_next(&up, blob.data, blob.size, NULL), MSGPACK_UNPACK_SUCCESS);
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        items[i] = up.data.via.array.ptr[2].via.array.ptr[i % 2];
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
        {{0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90},
         13,
         HN_E_TOO_LARGE},
        {{0}, 0, HN_E_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hn_scenario *got = NULL;
        char why[256] = "";
        int rc = decode_copy(cases[i].bytes, cases[i].len, &got, why, sizeof(why));
        if (rc != cases[i].want || got || !strstr(why, "malformed blob"))
            fail_msg("case %zu: rc %d \"%s\", want %d", i, rc, why, cases[i].want);
    }

    /* Depth 12 is the deepest path of the format (blob > class list > class
     * > task list > task > step list > step > header list > template >
     * segment list > segment) and is accepted by the structural check (this
     * blob then fails on its types). */
    static const uint8_t deep12[] = {0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
                                     0x91, 0x91, 0x91, 0x91, 0x91, 0x90};
    char why[256] = "";
    struct hn_scenario *got = NULL;
    assert_int_equal(decode_copy(deep12, sizeof(deep12), &got, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "blob has 1 items, not 7"));

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

/* The largest scenario of one-step tasks the blob's value budget (2^20
 * msgpack values) admits with full classes: 46 classes of 1024 tasks (a
 * one-step task costs 22 values in protocol 2, so the 64 classes of 1024
 * tasks the model limits allow no longer fit the budget). Decoding it must
 * stay fast (the builders grow arrays one item at a time). */
#define LARGEST_CLASSES 46
static void test_largest_scenario(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new(), *got = NULL;
    assert_non_null(s);
    for (int i = 0; i < LARGEST_CLASSES; i++) {
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

/* The largest scenario the model allows (HN_MODEL_STEPS_TOTAL_MAX steps)
 * encodes and decodes; one step more is refused by finalize with a reason,
 * before anything is encoded. */
static void test_model_limits_decode(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new(), *got = NULL;
    uint32_t steps = 0;
    for (int i = 0; i < HN_MODEL_CLASSES_MAX && steps < HN_MODEL_STEPS_TOTAL_MAX; i++) {
        struct hn_user_class *c = add_class(s, NULL, 1, HN_WAIT_NONE, 0, 0);
        for (int t = 0; t < HN_MODEL_TASKS_MAX && steps < HN_MODEL_STEPS_TOTAL_MAX; t++, steps++)
            add_step(hn_task_add_step(add_task(c, NULL, 1)), "GET", "/", NULL);
    }
    char why[256] = "";
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    msgpack_sbuffer sbuf;
    encode(s, &sbuf);
    int rc = hn_scenario_decode(sbuf.data, sbuf.size, &got, why, sizeof(why));
    if (rc)
        fail_msg("a scenario within the model's limits is refused: %s", why);
    hn_scenario_free(got);
    msgpack_sbuffer_destroy(&sbuf);
    struct hn_user_class *extra = add_class(s, NULL, 1, HN_WAIT_NONE, 0, 0);
    add_step(hn_task_add_step(add_task(extra, NULL, 1)), "GET", "/", NULL);
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "steps in all"));
    hn_scenario_free(s);
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
    if (blobs) {
        write_file(blobs, "rich.bin", a.data, a.size);
        /* And the smallest kind of scenario: the command line's quick mode. */
        const char *paths[] = {"/", "http://other:81/x"};
        struct hn_scenario *q = hn_scenario_quick("http://h", paths, 2);
        msgpack_sbuffer qb;
        encode(q, &qb);
        write_file(blobs, "quick.bin", qb.data, qb.size);
        msgpack_sbuffer_destroy(&qb);
        hn_scenario_free(q);
    }
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
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_append_and_trailing),
        cmocka_unit_test(test_every_truncation_fails),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_field_edits),
        cmocka_unit_test(test_hostile_structure),
        cmocka_unit_test(test_largest_scenario),
        cmocka_unit_test(test_model_limits_decode),
        cmocka_unit_test(test_dump_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
