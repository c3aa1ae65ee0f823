/* Unit tests of common/model (and the template compiler it stores):
 * hn_scenario_finalize (stats entries keyed by (method, name), name
 * defaulting to the url as written, templates naming variables and data
 * columns that exist, feeders each class reads, readable errors for
 * unusable scenarios), limits of the builders, and the command line's quick
 * mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "model.h"
#include "scenario-build.h"
#include "template.h"

/* ---- templates: a resolver like the loader's ---- */

/* Names in {{ }} as the loader resolves them (scenario_resolve), except
 * that an undotted name starting with "bad" is an unknown variable. */
static int resolve(void *ctx, const char *name, size_t len, struct hn_seg *seg, char *why,
                   size_t why_len)
{
    if (!memchr(name, '.', len) && len >= 3 && memcmp(name, "bad", 3) == 0) {
        snprintf(why, why_len, "unknown variable '%.*s'", (int)len, name);
        return HN_E_INVALID;
    }
    return scenario_resolve(ctx, name, len, seg, why, why_len);
}

static const char *test_getenv(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "HN_TEST_TOKEN") == 0 ? "s3cr\"et" : NULL;
}

/* Compile @src into @t for scenario @s, or fail the test. */
static void compile(struct hn_scenario *s, struct hn_template *t, const char *src,
                    enum hn_escape esc)
{
    struct hn_template_names names = {resolve, test_getenv, s};
    struct hn_template_error err = {0};
    int rc = hn_template_compile(t, src, strlen(src), esc, &names, &err);
    if (rc)
        fail_msg("compile \"%s\" = %d at %zu: %s", src, rc, err.offset, err.message);
}

/* ---- scenario builders ---- */

static struct hn_step *add_step(struct hn_task *t, const char *method, const char *url,
                                const char *name)
{
    struct hn_step *st = hn_task_add_step(t);
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    assert_int_equal(hn_template_set_literal(&st->url, url), 0);
    st->name = hn_model_strdup(name);
    return st;
}

/* A task of one step. */
static struct hn_task *add_task(struct hn_user_class *c, const char *method, const char *url,
                                const char *name)
{
    struct hn_task *t = hn_class_add_task(c);
    assert_non_null(t);
    add_step(t, method, url, name);
    return t;
}

/* A finalizable scenario: one class "shop" with one GET / task. */
static struct hn_scenario *valid_scenario(void)
{
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    s->host = hn_model_strdup("http://127.0.0.1:8080");
    struct hn_user_class *c = hn_scenario_add_class(s);
    assert_non_null(c);
    c->name = hn_model_strdup("shop");
    add_task(c, "GET", "/", NULL);
    return s;
}

static struct hn_header *add_header(struct hn_header **h, uint32_t *n, const char *name)
{
    struct hn_header *hd = hn_headers_add(h, n);
    assert_non_null(hd);
    hd->name = hn_model_strdup(name);
    return hd;
}

/* A feeder @name with @cols columns "c0", "c1", ... and @rows rows of
 * cells "r<row>c<col>" (shipped unless @rows is 0 and UNIQUE). */
static struct hn_feeder *add_feeder(struct hn_scenario *s, const char *name,
                                    enum hn_feeder_order order, uint32_t cols, uint32_t rows)
{
    struct hn_feeder *f = hn_scenario_add_feeder(s);
    assert_non_null(f);
    f->name = hn_model_strdup(name);
    f->order = (uint8_t)order;
    f->columns = calloc(cols, sizeof(*f->columns));
    assert_non_null(f->columns);
    for (uint32_t c = 0; c < cols; c++) {
        char col[16];
        snprintf(col, sizeof(col), "c%u", c);
        f->columns[f->n_columns++] = hn_model_strdup(col);
    }
    f->n_rows = rows;
    if (rows) {
        f->cells = calloc((size_t)rows * cols, sizeof(*f->cells));
        assert_non_null(f->cells);
        for (uint32_t i = 0; i < rows * cols; i++) {
            char cell[32];
            snprintf(cell, sizeof(cell), "r%uc%u", i / cols, i % cols);
            f->cells[i] = hn_model_strdup(cell);
        }
        f->rows_shipped = true;
    }
    return f;
}

/* Finalize must fail with HN_E_INVALID and a reason containing @want. */
static void expect_invalid(struct hn_scenario *s, const char *want)
{
    char why[256] = "";
    int rc = hn_scenario_finalize(s, why, sizeof(why));
    if (rc != HN_E_INVALID || !strstr(why, want))
        fail_msg("finalize = %d \"%s\"; want %d with \"%s\"", rc, why, HN_E_INVALID, want);
}

static void expect_valid(struct hn_scenario *s)
{
    char why[256] = "";
    int rc = hn_scenario_finalize(s, why, sizeof(why));
    if (rc != 0)
        fail_msg("finalize = %d \"%s\"; want 0", rc, why);
}

static uint32_t find_entry(const struct hn_scenario *s, const char *method, const char *name)
{
    for (uint32_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].method, method) == 0 && strcmp(s->entries[i].name, name) == 0)
            return i;
    fail_msg("no entry (%s, %s)", method, name);
    return UINT32_MAX;
}

/* ---- scenario model ---- */

static void test_new_defaults(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    assert_null(s->host);
    assert_int_equal(s->timeout_ms, 10000);
    assert_int_equal(s->n_classes, 0);
    assert_true(s->tls_verify);
    assert_null(s->ca_pem);
    assert_int_equal(s->ca_len, 0);
    assert_int_equal(s->http_version, HN_HTTP_1_1);
    assert_true(s->cookies);
    assert_int_equal(s->max_body, HN_MODEL_MAX_BODY_DEFAULT);
    assert_int_equal(s->n_vars, 0);
    assert_int_equal(s->n_feeders, 0);
    assert_int_equal(s->n_headers, 0);
    struct hn_user_class *c = hn_scenario_add_class(s);
    assert_int_equal(c->weight, 1);
    assert_int_equal(c->wait.kind, HN_WAIT_NONE);
    assert_int_equal(c->feeders_used, 0);
    struct hn_task *t = hn_class_add_task(c);
    assert_int_equal(t->weight, 1);
    assert_int_equal(t->n_steps, 0);
    struct hn_step *st = hn_task_add_step(t);
    assert_int_equal(st->body_kind, HN_BODY_NONE);
    assert_int_equal(st->url.n_segs, 0);
    assert_int_equal(st->n_statuses, 0);
    assert_false(st->has_body_contains);
    assert_int_equal(st->n_captures, 0);
    struct hn_feeder *f = hn_scenario_add_feeder(s);
    assert_non_null(f);
    assert_int_equal(f->order, HN_ORDER_SEQUENTIAL);
    assert_false(f->rows_shipped);
    hn_scenario_free(s);
    hn_scenario_free(NULL);
}

static void test_set_literal(void **state)
{
    (void)state;
    struct hn_template t = {0};
    /* Fixed text: no template syntax is read. */
    assert_int_equal(hn_template_set_literal(&t, "/a/{{id}}"), 0);
    assert_string_equal(t.source, "/a/{{id}}");
    assert_int_equal(t.n_segs, 1);
    assert_true(hn_template_is_literal(&t));
    assert_int_equal(hn_template_literal_len(&t), 9);
    assert_string_equal(hn_template_literal_text(&t), "/a/{{id}}");
    /* Replacing frees the old text. */
    assert_int_equal(hn_template_set_literal(&t, "/b"), 0);
    assert_string_equal(t.source, "/b");
    assert_string_equal(hn_template_literal_text(&t), "/b");
    /* Empty: a source, no segment. */
    assert_int_equal(hn_template_set_literal(&t, ""), 0);
    assert_string_equal(t.source, "");
    assert_int_equal(t.n_segs, 0);
    assert_true(hn_template_is_literal(&t));
    assert_int_equal(hn_template_literal_len(&t), 0);
    assert_null(hn_template_literal_text(&t));
    hn_template_deinit(&t);
    assert_null(t.source);
    assert_int_equal(t.n_segs, 0);
    hn_template_deinit(&t); /* twice is harmless */
}

static void test_entries_dedup(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario(); /* GET / */
    struct hn_user_class *c = &s->classes[0];
    add_task(c, "GET", "/", NULL);                                       /* same as task 1 */
    add_task(c, "POST", "/", NULL);                                      /* other method */
    add_task(c, "GET", "/items?page=1", "/items");                       /* named */
    struct hn_task *seq = add_task(c, "GET", "/items?page=2", "/items"); /* same name */
    add_step(seq, "GET", "/items/7", NULL);                              /* name = url */
    add_task(c, "GET", "http://bob:AbsPW@127.0.0.1:8080/abs", NULL);     /* credentials */
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);

    expect_valid(s);
    assert_int_equal(s->n_entries, 6);
    /* Named after its url without the credentials: the name is in every
     * report. */
    assert_int_equal(c->tasks[5].steps[0].entry,
                     find_entry(s, "GET", "http://***@127.0.0.1:8080/abs"));
    uint32_t get_root = find_entry(s, "GET", "/");
    uint32_t post_root = find_entry(s, "POST", "/");
    uint32_t items = find_entry(s, "GET", "/items");
    uint32_t item7 = find_entry(s, "GET", "/items/7");
    uint32_t post_login = find_entry(s, "POST", "/login");
    assert_int_equal(c->tasks[0].steps[0].entry, get_root);
    assert_int_equal(c->tasks[1].steps[0].entry, get_root);
    assert_int_equal(c->tasks[2].steps[0].entry, post_root);
    assert_int_equal(c->tasks[3].steps[0].entry, items);
    assert_int_equal(c->tasks[4].steps[0].entry, items);
    assert_int_equal(c->tasks[4].steps[1].entry, item7);
    assert_int_equal(c->on_start[0].entry, post_login);
    /* The name defaults to the url as written, as an own copy. */
    assert_string_equal(c->tasks[0].steps[0].name, "/");
    assert_string_equal(c->tasks[4].steps[1].name, "/items/7");
    assert_ptr_not_equal(c->tasks[4].steps[1].name, c->tasks[4].steps[1].url.source);
    assert_string_equal(c->tasks[3].steps[0].name, "/items");

    /* Finalizing again (e.g. after the codec) gives the same indexing. */
    expect_valid(s);
    assert_int_equal(s->n_entries, 6);
    assert_int_equal(c->tasks[4].steps[1].entry, find_entry(s, "GET", "/items/7"));
    hn_scenario_free(s);
}

static void test_template_url_names(void **state)
{
    (void)state;
    /* An unnamed step with a template URL is counted under the template as
     * written, not under what a user renders: one entry for all ids. */
    struct hn_scenario *s = valid_scenario();
    struct hn_user_class *c = &s->classes[0];
    struct hn_task *t = hn_class_add_task(c);
    struct hn_step *st = hn_task_add_step(t);
    st->method = hn_model_strdup("GET");
    compile(s, &st->url, "/products/{{random 1 1000}}", HN_ESC_URL);
    st = hn_task_add_step(t);
    st->method = hn_model_strdup("GET");
    compile(s, &st->url, "/products/{{ random 1 1000 }}", HN_ESC_URL); /* other source */
    st = hn_task_add_step(t);
    st->method = hn_model_strdup("GET");
    compile(s, &st->url, "/products/{{random 1 1000}}", HN_ESC_URL); /* same source */
    expect_valid(s);
    assert_string_equal(t->steps[0].name, "/products/{{random 1 1000}}");
    assert_int_equal(t->steps[0].entry, t->steps[2].entry);
    assert_int_not_equal(t->steps[0].entry, t->steps[1].entry);
    assert_int_equal(s->n_entries, 3);
    hn_scenario_free(s);
}

static void test_entries_across_classes(void **state)
{
    (void)state;
    /* Two classes hitting the same (method, name) share one stats entry. */
    struct hn_scenario *s = valid_scenario();
    struct hn_user_class *c2 = hn_scenario_add_class(s);
    c2->name = hn_model_strdup("admin");
    add_task(c2, "GET", "/", NULL);
    add_task(c2, "DELETE", "/", NULL);
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);
    assert_int_equal(s->n_entries, 2);
    assert_int_equal(s->classes[0].tasks[0].steps[0].entry, c2->tasks[0].steps[0].entry);
    assert_int_not_equal(c2->tasks[0].steps[0].entry, c2->tasks[1].steps[0].entry);
    assert_int_equal(hn_scenario_class_weight_sum(s), 2);
    c2->weight = 5;
    assert_int_equal(hn_scenario_class_weight_sum(s), 6);
    hn_scenario_free(s);
}

static void test_error_no_class(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    expect_invalid(s, "no user class");
    /* No room for a reason: still refused, nothing written. */
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), HN_E_INVALID);
    hn_scenario_free(s);
}

static void test_error_class_without_task(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    struct hn_user_class *c = hn_scenario_add_class(s);
    c->name = hn_model_strdup("idle");
    expect_invalid(s, "class idle has no task");
    hn_scenario_free(s);
}

static void test_error_weights(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    s->classes[0].weight = 0;
    expect_invalid(s, "class shop: weight must be 1..");
    s->classes[0].weight = HN_MODEL_WEIGHT_MAX + 1;
    expect_invalid(s, "class shop: weight must be 1..");
    s->classes[0].weight = HN_MODEL_WEIGHT_MAX;
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);

    add_task(&s->classes[0], "GET", "/b", NULL);
    s->classes[0].tasks[1].weight = 0;
    expect_invalid(s, "class shop task 2: weight must be 1..");
    s->classes[0].tasks[1].weight = HN_MODEL_WEIGHT_MAX + 1;
    expect_invalid(s, "class shop task 2: weight must be 1..");
    hn_scenario_free(s);
}

static void test_error_wait_range(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    struct hn_wait *w = &s->classes[0].wait;
    *w = (struct hn_wait){.kind = HN_WAIT_BETWEEN, .min_ms = 3000, .max_ms = 1000};
    expect_invalid(s, "class shop: bad wait time");
    w->max_ms = 3000; /* a one-value range is fine */
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);
    w->kind = HN_WAIT__COUNT;
    expect_invalid(s, "bad wait time");
    hn_scenario_free(s);
}

static void test_error_steps(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    struct hn_task *t = &s->classes[0].tasks[0];
    add_step(t, "GET", "", NULL);
    expect_invalid(s, "class shop task 1 step 2: no url");
    assert_int_equal(hn_template_set_literal(&t->steps[1].url, "/ok"), 0);
    free(t->steps[1].method);
    t->steps[1].method = NULL;
    expect_invalid(s, "class shop task 1 step 2: no method");
    t->steps[1].method = hn_model_strdup("");
    expect_invalid(s, "class shop task 1 step 2: no method");
    free(t->steps[1].method);
    t->steps[1].method = hn_model_strdup("GET");
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);

    /* A url compiled to segments without its source as written. */
    free(t->steps[1].url.source);
    t->steps[1].url.source = NULL;
    expect_invalid(s, "class shop task 1 step 2: no url");
    t->steps[1].url.source = hn_model_strdup("/ok");

    t->steps[1].body_kind = HN_BODY__COUNT;
    expect_invalid(s, "class shop task 1 step 2: bad body kind");
    t->steps[1].body_kind = HN_BODY_FORM;
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);

    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    expect_invalid(s, "class shop on_start step 1: no url");

    /* A task with no step at all. */
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    assert_non_null(hn_class_add_task(&s->classes[0]));
    expect_invalid(s, "class shop task 2 has no step");
    hn_scenario_free(s);
}

static void test_error_checks_and_captures(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    struct hn_step *st = &s->classes[0].tasks[0].steps[0];

    /* Statuses: 100..599. */
    assert_int_equal(hn_step_add_status(st, 201), 0);
    assert_int_equal(hn_step_add_status(st, 99), 0);
    expect_invalid(s, "class shop task 1 step 1: status 99 is not 100..599");
    st->statuses[1] = 600;
    expect_invalid(s, "status 600 is not 100..599");
    st->statuses[1] = 599;
    expect_valid(s);
    st->statuses[1] = 100;
    expect_valid(s);

    /* A capture names an existing variable slot, a known kind, an expression. */
    uint32_t slot = 99;
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0);
    assert_int_equal(slot, 0);
    struct hn_capture *cap = hn_step_add_capture(st);
    assert_non_null(cap);
    cap->var = 0;
    cap->kind = HN_CAPTURE_JSON;
    expect_invalid(s, "class shop task 1 step 1: bad capture 1"); /* no expression */
    cap->expr = hn_model_strdup("$.token");
    expect_valid(s);
    cap->var = 1;
    expect_invalid(s, "bad capture 1");
    cap->var = 0;
    cap->kind = HN_CAPTURE__COUNT;
    expect_invalid(s, "bad capture 1");
    cap->kind = HN_CAPTURE_REGEX;
    expect_valid(s);

    /* A json check has a path, a value and a known type. */
    struct hn_check_json *jc = hn_step_add_json_check(st);
    assert_non_null(jc);
    jc->path = hn_model_strdup("$.status");
    expect_invalid(s, "bad json check 1");
    jc->want = hn_model_strdup("paid");
    expect_valid(s);
    jc->want_type = HN_JSON__COUNT;
    expect_invalid(s, "bad json check 1");
    jc->want_type = HN_JSON_NULL;
    expect_valid(s);

    /* Headers at every level need a name. */
    struct hn_header *h = hn_headers_add(&st->headers, &st->n_headers);
    assert_non_null(h);
    expect_invalid(s, "class shop task 1 step 1: header without a name");
    h->name = hn_model_strdup("");
    expect_invalid(s, "header without a name");
    free(h->name);
    h->name = hn_model_strdup("X-A");
    expect_valid(s);
    h = hn_headers_add(&s->classes[0].headers, &s->classes[0].n_headers);
    expect_invalid(s, "class shop: header without a name");
    h->name = hn_model_strdup("X-B");
    h = hn_headers_add(&s->headers, &s->n_headers);
    expect_invalid(s, "defaults: header without a name");
    h->name = hn_model_strdup("X-C");
    expect_valid(s);

    s->http_version = HN_HTTP__COUNT;
    expect_invalid(s, "bad HTTP version");
    s->http_version = HN_HTTP_2;
    expect_valid(s);
    hn_scenario_free(s);
}

/* Finalize checks every template of the scenario: segments of known kinds
 * and escapes, variables and data columns that exist, random bounds in
 * order; the reason says where. */
static void test_error_templates(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    add_feeder(s, "users", HN_ORDER_SEQUENTIAL, 2, 3);
    uint32_t slot;
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0);
    struct hn_user_class *c = &s->classes[0];
    struct hn_step *st = &c->tasks[0].steps[0];
    struct hn_seg var = {.kind = HN_SEG_VAR, .escape = HN_ESC_URL, .a = 0};
    struct hn_seg data = {.kind = HN_SEG_DATA, .escape = HN_ESC_URL, .a = 0, .b = 1};
    assert_int_equal(hn_template_add_seg(&st->url, &var), 0);
    assert_int_equal(hn_template_add_seg(&st->url, &data), 0);
    expect_valid(s);

    st->url.segs[1].a = 1; /* variable 1 of 1 */
    expect_invalid(s, "class shop task 1 step 1: template names variable 1 of 1");
    st->url.segs[1].a = 0;
    st->url.segs[2].b = 2; /* column 2 of 2 */
    expect_invalid(s, "class shop task 1 step 1: template names a data column that does not");
    st->url.segs[2].b = 1;
    st->url.segs[2].a = 1; /* feeder 1 of 1 */
    expect_invalid(s, "data column that does not exist");
    st->url.segs[2].a = 0;
    st->url.segs[1].kind = HN_SEG__COUNT;
    expect_invalid(s, "class shop task 1 step 1: bad template segment");
    st->url.segs[1].kind = HN_SEG_VAR;
    st->url.segs[1].escape = HN_ESC__COUNT;
    expect_invalid(s, "bad template segment");
    st->url.segs[1].escape = HN_ESC_NONE;
    expect_valid(s);

    /* Random bounds, in the body this time. */
    struct hn_seg rnd = {.kind = HN_SEG_RANDOM, .lo = 5, .hi = 5};
    st->body_kind = HN_BODY_RAW;
    assert_int_equal(hn_template_add_seg(&st->body, &rnd), 0);
    expect_valid(s);
    st->body.segs[0].lo = 6;
    expect_invalid(s, "class shop task 1 step 1: random bounds out of order");
    st->body.segs[0].lo = INT64_MIN;
    st->body.segs[0].hi = INT64_MAX;
    expect_valid(s);

    /* body_contains, header values at every level. */
    struct hn_seg bad_var = {.kind = HN_SEG_VAR, .a = 7};
    assert_int_equal(hn_template_add_seg(&st->body_contains, &bad_var), 0);
    st->has_body_contains = true;
    expect_invalid(s, "template names variable 7 of 1");
    st->body_contains.segs[0].a = 0;
    expect_valid(s);
    struct hn_header *h = add_header(&st->headers, &st->n_headers, "X-Step");
    assert_int_equal(hn_template_add_seg(&h->value, &bad_var), 0);
    expect_invalid(s, "class shop task 1 step 1: template names variable 7");
    h->value.segs[0].a = 0;
    h = add_header(&c->headers, &c->n_headers, "Authorization");
    assert_int_equal(hn_template_add_seg(&h->value, &bad_var), 0);
    expect_invalid(s, "class shop: template names variable 7");
    h->value.segs[0].a = 0;
    h = add_header(&s->headers, &s->n_headers, "X-Default");
    assert_int_equal(hn_template_add_seg(&h->value, &bad_var), 0);
    expect_invalid(s, "defaults: template names variable 7");
    h->value.segs[0].a = 0;
    expect_valid(s);

    /* In on_start too. */
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    struct hn_seg bad_data = {.kind = HN_SEG_DATA, .a = 3};
    login->body_kind = HN_BODY_JSON;
    assert_int_equal(hn_template_add_seg(&login->body, &bad_data), 0);
    expect_invalid(s, "class shop on_start step 1: template names a data column");
    hn_scenario_free(s);
}

static void test_feeders(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    add_feeder(s, "users", HN_ORDER_SEQUENTIAL, 2, 3);
    add_feeder(s, "cards", HN_ORDER_RANDOM, 1, 2);
    add_feeder(s, "coupons", HN_ORDER_UNIQUE, 1, 4);
    add_feeder(s, "unused", HN_ORDER_SEQUENTIAL, 1, 1);
    hn_scenario_add_class(s)->name = hn_model_strdup("admin");
    hn_scenario_add_class(s)->name = hn_model_strdup("guest");
    /* Pointers only now: adding a class moves the array. */
    struct hn_user_class *shop = &s->classes[0], *admin = &s->classes[1], *guest = &s->classes[2];
    struct hn_task *t = hn_class_add_task(admin);
    struct hn_step *st = hn_task_add_step(t);
    st->method = hn_model_strdup("GET");
    add_task(guest, "GET", "/", NULL);

    /* shop reads users in a URL and coupons in a body; admin reads cards in
     * a header and users in on_start; guest reads none. */
    struct hn_step *sst = &shop->tasks[0].steps[0];
    hn_template_deinit(&sst->url);
    compile(s, &sst->url, "/u/{{users.c1}}", HN_ESC_URL);
    sst->body_kind = HN_BODY_FORM;
    compile(s, &sst->body, "code={{coupons.c0}}", HN_ESC_FORM);
    compile(s, &st->url, "/admin", HN_ESC_URL);
    struct hn_header *h = add_header(&st->headers, &st->n_headers, "X-Card");
    compile(s, &h->value, "{{cards.c0}}", HN_ESC_HEADER);
    struct hn_step *login = hn_class_add_on_start(admin);
    login->method = hn_model_strdup("POST");
    compile(s, &login->url, "/login?u={{users.c0}}", HN_ESC_URL);
    expect_valid(s);
    assert_int_equal(shop->feeders_used, 1u << 0 | 1u << 2);
    assert_int_equal(admin->feeders_used, 1u << 0 | 1u << 1);
    assert_int_equal(guest->feeders_used, 0);
    assert_int_equal(sst->url.segs[1].kind, HN_SEG_DATA);
    assert_int_equal(sst->url.segs[1].a, 0);
    assert_int_equal(sst->url.segs[1].b, 1);

    /* A defaults header is every class's: its feeder too. Finalize
     * recomputes the bits from scratch. */
    h = add_header(&s->headers, &s->n_headers, "X-Unused");
    compile(s, &h->value, "{{unused.c0}}", HN_ESC_HEADER);
    expect_valid(s);
    assert_int_equal(shop->feeders_used, 1u << 0 | 1u << 2 | 1u << 3);
    assert_int_equal(admin->feeders_used, 1u << 0 | 1u << 1 | 1u << 3);
    assert_int_equal(guest->feeders_used, 1u << 3);

    /* Feeders must be complete. */
    struct hn_feeder *f = &s->feeders[2];
    f->rows_shipped = false; /* cells but not marked */
    expect_invalid(s, "data feeder coupons: rows missing");
    f->rows_shipped = true;
    /* UNIQUE rows stay on the master: a worker's feeder has none. */
    for (uint32_t i = 0; i < f->n_rows * f->n_columns; i++)
        free(f->cells[i]);
    free(f->cells);
    f->cells = NULL;
    expect_invalid(s, "data feeder coupons: rows missing");
    f->rows_shipped = false;
    expect_valid(s);
    f->order = HN_ORDER__COUNT;
    expect_invalid(s, "data feeder 3 is malformed");
    f->order = HN_ORDER_UNIQUE;
    f->n_rows = HN_MODEL_ROWS_MAX + 1;
    expect_invalid(s, "data feeder 3 is malformed");
    f->n_rows = HN_MODEL_ROWS_MAX;
    expect_valid(s);
    char *name = f->name;
    f->name = NULL;
    expect_invalid(s, "data feeder 3 is malformed");
    f->name = name;
    uint32_t cols = f->n_columns;
    f->n_columns = 0;
    expect_invalid(s, "data feeder 3 is malformed");
    f->n_columns = cols;
    expect_valid(s);
    hn_scenario_free(s);
}

static void test_vars(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    uint32_t slot = 77;
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0);
    assert_int_equal(slot, 0);
    assert_int_equal(hn_scenario_var(s, "order_id", &slot), 0);
    assert_int_equal(slot, 1);
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0); /* known: same slot */
    assert_int_equal(slot, 0);
    assert_int_equal(s->n_vars, 2);
    assert_string_equal(s->vars[1], "order_id");
    for (uint32_t i = 2; i < HN_MODEL_VARS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof(name), "v%u", i);
        assert_int_equal(hn_scenario_var(s, name, &slot), 0);
        assert_int_equal(slot, i);
    }
    assert_int_equal(hn_scenario_var(s, "one_more", &slot), HN_E_TOO_LARGE);
    assert_int_equal(hn_scenario_var(s, "token", &slot), 0); /* known names still resolve */
    assert_int_equal(slot, 0);
    assert_int_equal(s->n_vars, HN_MODEL_VARS_MAX);
    hn_scenario_free(s);
}

static void test_unnamed_class_reason(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    free(s->classes[0].name);
    s->classes[0].name = NULL;
    s->classes[0].weight = 0;
    expect_invalid(s, "class (unnamed)");
    hn_scenario_free(s);
}

static void test_limits(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    for (int i = 0; i < HN_MODEL_CLASSES_MAX; i++)
        assert_non_null(hn_scenario_add_class(s));
    assert_null(hn_scenario_add_class(s));
    assert_int_equal(s->n_classes, HN_MODEL_CLASSES_MAX);
    for (int i = 0; i < HN_MODEL_HEADERS_MAX; i++)
        assert_non_null(hn_headers_add(&s->headers, &s->n_headers));
    assert_null(hn_headers_add(&s->headers, &s->n_headers));
    for (int i = 0; i < HN_MODEL_FEEDERS_MAX; i++)
        assert_non_null(hn_scenario_add_feeder(s));
    assert_null(hn_scenario_add_feeder(s));
    assert_int_equal(s->n_feeders, HN_MODEL_FEEDERS_MAX);
    struct hn_task *t = hn_class_add_task(&s->classes[0]);
    for (int i = 0; i < HN_MODEL_STEPS_MAX; i++)
        assert_non_null(hn_task_add_step(t));
    assert_null(hn_task_add_step(t));
    assert_int_equal(t->n_steps, HN_MODEL_STEPS_MAX);
    for (int i = 0; i < HN_MODEL_STEPS_MAX; i++)
        assert_non_null(hn_class_add_on_start(&s->classes[1]));
    assert_null(hn_class_add_on_start(&s->classes[1]));
    struct hn_step *st = &t->steps[0];
    for (int i = 0; i < HN_MODEL_CAPTURES_MAX; i++)
        assert_non_null(hn_step_add_capture(st));
    assert_null(hn_step_add_capture(st));
    assert_int_equal(st->n_captures, HN_MODEL_CAPTURES_MAX);
    for (int i = 0; i < HN_MODEL_CHECKS_MAX; i++)
        assert_non_null(hn_step_add_json_check(st));
    assert_null(hn_step_add_json_check(st));
    for (int i = 0; i < HN_MODEL_STATUSES_MAX; i++)
        assert_int_equal(hn_step_add_status(st, (uint16_t)(200 + i)), 0);
    assert_int_equal(hn_step_add_status(st, 299), HN_E_TOO_LARGE);
    assert_int_equal(st->n_statuses, HN_MODEL_STATUSES_MAX);
    assert_int_equal(st->statuses[HN_MODEL_STATUSES_MAX - 1], 200 + HN_MODEL_STATUSES_MAX - 1);
    struct hn_user_class *c = &s->classes[2];
    for (int i = 0; i < HN_MODEL_TASKS_MAX; i++)
        assert_non_null(hn_class_add_task(c));
    assert_null(hn_class_add_task(c));
    hn_scenario_free(s); /* frees half-built items (NULL fields) too */
}

static void test_too_many_entries(void **state)
{
    (void)state;
    /* One more distinct (method, name) than the limit is refused. */
    struct hn_scenario *s = hn_scenario_new();
    struct hn_user_class *c = hn_scenario_add_class(s);
    c->name = hn_model_strdup("many");
    uint32_t made = 0;
    while (made <= HN_MODEL_ENTRIES_MAX) {
        struct hn_task *t = hn_class_add_task(c);
        assert_non_null(t);
        for (uint32_t i = 0; i < HN_MODEL_STEPS_MAX && made <= HN_MODEL_ENTRIES_MAX; i++) {
            char url[32];
            snprintf(url, sizeof(url), "/p/%u", made++);
            add_step(t, "GET", url, NULL);
        }
    }
    expect_invalid(s, "distinct (method, name) entries");
    /* Exactly at the limit is fine: the last step reuses the first name. */
    struct hn_task *last = &c->tasks[c->n_tasks - 1];
    struct hn_step *st = &last->steps[last->n_steps - 1];
    free(st->name); /* set to the url by the failed finalize */
    st->name = hn_model_strdup("/p/0");
    char why[256] = "";
    if (hn_scenario_finalize(s, why, sizeof(why)) != 0)
        fail_msg("at the limit: %s", why);
    assert_int_equal(s->n_entries, HN_MODEL_ENTRIES_MAX);
    hn_scenario_free(s);
}

static void test_remove_class_and_clear_task(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario();
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        struct hn_user_class *c = hn_scenario_add_class(s);
        c->name = hn_model_strdup(names[i]);
        add_task(c, "GET", names[i], NULL);
        struct hn_header *h = add_header(&c->headers, &c->n_headers, "X-Class");
        compile(s, &h->value, "{{token}}", HN_ESC_HEADER);
    }
    assert_int_equal(s->n_classes, 4);
    hn_scenario_remove_class(s, 2); /* "b" */
    assert_int_equal(s->n_classes, 3);
    assert_string_equal(s->classes[0].name, "shop");
    assert_string_equal(s->classes[1].name, "a");
    assert_string_equal(s->classes[2].name, "c");
    assert_string_equal(s->classes[2].tasks[0].steps[0].url.source, "c");
    hn_scenario_remove_class(s, 3); /* out of range: nothing */
    assert_int_equal(s->n_classes, 3);
    hn_scenario_remove_class(s, 2); /* the last */
    assert_int_equal(s->n_classes, 2);
    expect_valid(s);

    /* A cleared task holds nothing, and finalize then says so. */
    struct hn_task *t = &s->classes[1].tasks[0];
    t->name = hn_model_strdup("gone");
    add_step(t, "POST", "/x", "x");
    hn_task_clear(t);
    assert_null(t->name);
    assert_null(t->steps);
    assert_int_equal(t->n_steps, 0);
    assert_int_equal(t->weight, 0);
    expect_invalid(s, "class a task 1: weight must be 1..");
    hn_scenario_free(s);
}

struct walk {
    const char *seen[16];
    int n, stop_at;
};

static int walk_step(void *ctx, struct hn_user_class *c, struct hn_step *st)
{
    struct walk *w = ctx;
    (void)c;
    assert_true(w->n < 16);
    w->seen[w->n++] = st->url.source;
    return w->n == w->stop_at ? 42 : 0;
}

static void test_each_step(void **state)
{
    (void)state;
    struct hn_scenario *s = valid_scenario(); /* task: / */
    struct hn_user_class *c = &s->classes[0];
    add_step(add_task(c, "GET", "/t2a", NULL), "GET", "/t2b", NULL);
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    struct hn_user_class *c2 = hn_scenario_add_class(s);
    add_task(c2, "GET", "/other", NULL);
    struct walk w = {.stop_at = 0};
    assert_int_equal(hn_scenario_each_step(s, walk_step, &w), 0);
    const char *want[] = {"/login", "/", "/t2a", "/t2b", "/other"};
    assert_int_equal(w.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(w.seen[i], want[i]);
    /* The first non-zero result stops the walk and is returned. */
    w = (struct walk){.stop_at = 3};
    assert_int_equal(hn_scenario_each_step(s, walk_step, &w), 42);
    assert_int_equal(w.n, 3);
    hn_scenario_free(s);
}

static void test_quick(void **state)
{
    (void)state;
    const char *paths[] = {"/", "/api/items", "/health", "/t/{{x}}"};
    struct hn_scenario *s = hn_scenario_quick("http://localhost:9000", paths, 4);
    assert_non_null(s);
    assert_string_equal(s->host, "http://localhost:9000");
    assert_int_equal(s->n_classes, 1);
    struct hn_user_class *c = &s->classes[0];
    assert_string_equal(c->name, "quick");
    assert_int_equal(c->weight, 1);
    assert_int_equal(c->wait.kind, HN_WAIT_NONE);
    assert_int_equal(c->n_on_start, 0);
    assert_int_equal(c->n_tasks, 4);
    for (uint32_t i = 0; i < 4; i++) {
        const struct hn_step *st = &c->tasks[i].steps[0];
        assert_int_equal(c->tasks[i].weight, 1);
        assert_int_equal(c->tasks[i].n_steps, 1);
        assert_string_equal(st->method, "GET");
        /* Paths are fixed text: "{{" on the command line is not a template. */
        assert_string_equal(st->url.source, paths[i]);
        assert_true(hn_template_is_literal(&st->url));
        assert_string_equal(hn_template_literal_text(&st->url), paths[i]);
        assert_int_equal(st->body_kind, HN_BODY_NONE);
        assert_int_equal(st->body.n_segs, 0);
        assert_int_equal(st->n_statuses, 0);
        assert_int_equal(st->n_captures, 0);
    }
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);
    assert_int_equal(s->n_entries, 4);
    assert_string_equal(s->entries[1].name, "/api/items");
    assert_int_equal(c->feeders_used, 0);
    hn_scenario_free(s);

    /* No host is allowed here (absolute URLs); no path leaves no task. */
    const char *abs[] = {"http://example.com/"};
    s = hn_scenario_quick(NULL, abs, 1);
    assert_non_null(s);
    assert_null(s->host);
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);
    hn_scenario_free(s);
    s = hn_scenario_quick("http://h", NULL, 0);
    assert_non_null(s);
    expect_invalid(s, "has no task");
    hn_scenario_free(s);
}

/* ---- the template compiler ---- */

static void test_template_compile(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    add_feeder(s, "users", HN_ORDER_SEQUENTIAL, 2, 1);
    struct hn_template t;
    compile(s, &t,
            "/p/{{random -5 10}}?u={{ user_id }}&id={{uuid}}&t={{token}}&m={{users.c1}}"
            "&l={{\"{{\"}}x}}",
            HN_ESC_URL);
    assert_string_equal(t.source, "/p/{{random -5 10}}?u={{ user_id }}&id={{uuid}}&t={{token}}"
                                  "&m={{users.c1}}&l={{\"{{\"}}x}}");
    static const uint8_t kinds[] = {HN_SEG_LITERAL, HN_SEG_RANDOM, HN_SEG_LITERAL, HN_SEG_USER_ID,
                                    HN_SEG_LITERAL, HN_SEG_UUID,   HN_SEG_LITERAL, HN_SEG_VAR,
                                    HN_SEG_LITERAL, HN_SEG_DATA,   HN_SEG_LITERAL};
    assert_int_equal(t.n_segs, sizeof(kinds));
    for (uint32_t i = 0; i < t.n_segs; i++) {
        assert_int_equal(t.segs[i].kind, kinds[i]);
        if (kinds[i] != HN_SEG_LITERAL)
            assert_int_equal(t.segs[i].escape, HN_ESC_URL);
    }
    assert_string_equal(t.segs[0].text, "/p/");
    assert_int_equal(t.segs[1].lo, -5);
    assert_int_equal(t.segs[1].hi, 10);
    assert_string_equal(t.segs[2].text, "?u=");
    assert_int_equal(t.segs[7].a, 0); /* slot of token */
    assert_string_equal(s->vars[0], "token");
    assert_int_equal(t.segs[9].a, 0);
    assert_int_equal(t.segs[9].b, 1);
    /* A quoted literal merges with the literal text around it, and a lone
     * "}}" is literal text. */
    assert_string_equal(t.segs[10].text, "&l={{x}}");
    assert_int_equal(t.segs[10].len, 8);
    assert_false(hn_template_is_literal(&t));
    hn_template_deinit(&t);

    /* {{env NAME}} is read at load time: literal text, no segment of its
     * own; {{"..."}} with escaped quotes. */
    compile(s, &t, "Bearer {{env HN_TEST_TOKEN}} {{\"a\\\"b\"}}", HN_ESC_HEADER);
    assert_int_equal(t.n_segs, 1);
    assert_true(hn_template_is_literal(&t));
    assert_string_equal(hn_template_literal_text(&t), "Bearer s3cr\"et a\"b");
    hn_template_deinit(&t);

    /* Empty text: no segment. */
    compile(s, &t, "", HN_ESC_NONE);
    assert_int_equal(t.n_segs, 0);
    assert_string_equal(t.source, "");
    hn_template_deinit(&t);
    hn_scenario_free(s);
}

static void test_template_errors(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    static const struct {
        const char *src;
        size_t offset;
        const char *why;
    } cases[] = {
        {"/a/{{id", 3, "unterminated {{"},
        {"/a/{{id {{x}}", 3, "unterminated {{"},
        {"{{}}", 0, "empty {{ }}"},
        {"x{{   }}", 1, "empty {{ }}"},
        {"{{random 1}}", 2, "{{random A B}} takes two integers"},
        {"{{random 1 x}}", 11, "random: 'x' is not an integer"},
        {"{{random 1.5 2}}", 9, "random: '1.5' is not an integer"},
        {"{{random 9 2}}", 9, "random: 9 is greater than 2"},
        {"{{random 1 99999999999999999999}}", 11, "is not an integer"},
        {"{{random - 1}}", 9, "is not an integer"},
        {"{{a b c d e}}", 8, "too many words"},
        {"{{uuid x}}", 7, "unexpected 'x' after 'uuid'"},
        {"{{env}}", 2, "{{env NAME}} takes one name"},
        {"{{env NOT_SET_ANYWHERE}}", 6, "environment variable NOT_SET_ANYWHERE is not set"},
        {"/x/{{badname}}", 5, "unknown variable 'badname'"},
        {"/x/{{users.c0}}", 5, "no column 'users.c0'"},
        {"{{\"abc}}", 0, "unterminated {{"},
        {"{{\"abc\" x}}", 8, "expected }} after the quoted text"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hn_template t;
        struct hn_template_names names = {resolve, test_getenv, s};
        struct hn_template_error err = {0};
        int rc =
            hn_template_compile(&t, cases[i].src, strlen(cases[i].src), HN_ESC_URL, &names, &err);
        if (rc != HN_E_INVALID || err.offset != cases[i].offset ||
            !strstr(err.message, cases[i].why))
            fail_msg("\"%s\": rc %d at %zu \"%s\"; want %d at %zu \"%s\"", cases[i].src, rc,
                     err.offset, err.message, HN_E_INVALID, cases[i].offset, cases[i].why);
        /* A failed compile leaves nothing to free. */
        assert_null(t.segs);
        assert_null(t.source);
        assert_int_equal(t.n_segs, 0);
    }
    /* Without a resolver every name is unknown. */
    struct hn_template t;
    struct hn_template_error err = {0};
    assert_int_equal(hn_template_compile(&t, "{{token}}", 9, HN_ESC_URL, NULL, &err), HN_E_INVALID);
    assert_non_null(strstr(err.message, "unknown variable"));
    /* ...but the built-in words need none. */
    assert_int_equal(hn_template_compile(&t, "{{uuid}}{{user_id}}", 19, HN_ESC_URL, NULL, &err), 0);
    assert_int_equal(t.n_segs, 2);
    hn_template_deinit(&t);
    hn_scenario_free(s);
}

static void test_template_segment_limit(void **state)
{
    (void)state;
    struct hn_template t = {0};
    struct hn_seg uuid = {.kind = HN_SEG_UUID};
    for (int i = 0; i < HN_TEMPLATE_SEGS_MAX; i++)
        assert_int_equal(hn_template_add_seg(&t, &uuid), 0);
    assert_int_equal(hn_template_add_seg(&t, &uuid), HN_E_TOO_LARGE);
    assert_int_equal(hn_template_add_literal(&t, "x", 1), HN_E_TOO_LARGE);
    assert_int_equal(t.n_segs, HN_TEMPLATE_SEGS_MAX);
    hn_template_deinit(&t);
    /* Literals merge, so long text never runs out of segments; an empty
     * literal adds nothing. */
    for (int i = 0; i < 2 * HN_TEMPLATE_SEGS_MAX; i++)
        assert_int_equal(hn_template_add_literal(&t, "ab", 2), 0);
    assert_int_equal(hn_template_add_literal(&t, "", 0), 0);
    assert_int_equal(t.n_segs, 1);
    assert_int_equal(t.segs[0].len, 4 * HN_TEMPLATE_SEGS_MAX);
    assert_int_equal(strlen(t.segs[0].text), 4 * HN_TEMPLATE_SEGS_MAX);
    /* Literal text may hold NUL bytes. */
    assert_int_equal(hn_template_add_seg(&t, &uuid), 0);
    struct hn_seg lit = {.kind = HN_SEG_LITERAL, .text = "a\0b", .len = 3};
    assert_int_equal(hn_template_add_seg(&t, &lit), 0);
    assert_int_equal(t.n_segs, 3);
    assert_int_equal(t.segs[2].len, 3);
    assert_memory_equal(t.segs[2].text, "a\0b", 3);
    assert_ptr_not_equal(t.segs[2].text, lit.text); /* copied */
    hn_template_deinit(&t);
}

static void test_escape_write(void **state)
{
    (void)state;
    static const struct {
        enum hn_escape esc;
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        {HN_ESC_NONE, "a \"b\"\r\n", 7, "a \"b\"\r\n"},
        {HN_ESC_URL, "a b#c?d=e&f/g", 13, "a%20b%23c?d=e&f/g"},
        {HN_ESC_URL, "<>\\^`{|}\"", 9, "%3C%3E%5C%5E%60%7B%7C%7D%22"},
        {HN_ESC_URL, "\x01\x7f\xc3\xa9", 4, "%01%7F%C3%A9"},
        {HN_ESC_HEADER, "a\r\nX-Injected: 1\0z", 18, "a  X-Injected: 1 z"},
        {HN_ESC_JSON, "a\"b\\c/", 6, "a\\\"b\\\\c/"},
        {HN_ESC_JSON, "\n\r\t\b\f\x01\x1f", 7, "\\n\\r\\t\\b\\f\\u0001\\u001F"},
        {HN_ESC_JSON, "caf\xc3\xa9", 5, "caf\xc3\xa9"},
        {HN_ESC_FORM, "a b&c=d+e", 9, "a+b%26c%3Dd%2Be"},
        {HN_ESC_FORM, "Az09*-._~%\xc3\xa9", 12, "Az09*-._%7E%25%C3%A9"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        size_t n = hn_escape_write(cases[i].esc, cases[i].in, cases[i].len, out, sizeof(out));
        if (n != strlen(cases[i].want) || memcmp(out, cases[i].want, n) != 0)
            fail_msg("case %zu: \"%.*s\" (%zu), want \"%s\"", i, (int)(n < 128 ? n : 128), out, n,
                     cases[i].want);
    }
    /* Too small: the length it needs, and a prefix of whole escapes. */
    char small[5];
    memset(small, '#', sizeof(small));
    size_t n = hn_escape_write(HN_ESC_URL, "a b c", 5, small, 4);
    assert_int_equal(n, 9);
    assert_memory_equal(small, "a%20", 4);
    assert_int_equal(small[4], '#'); /* nothing past cap */
    assert_int_equal(hn_escape_write(HN_ESC_JSON, "\x01", 1, NULL, 0), HN_ESCAPE_GROWTH_MAX);
    assert_int_equal(hn_escape_write(HN_ESC_FORM, "", 0, NULL, 0), 0);
}

/* '%' stays as is in a value rendered into a URL (template.h): a value
 * that is percent-encoded already passes unchanged, not encoded twice. */
static void test_url_escape_keeps_percent(void **state)
{
    (void)state;
    char out[16];
    size_t n = hn_escape_write(HN_ESC_URL, "a%2Fb c", 7, out, sizeof(out));
    assert_int_equal(n, 9);
    assert_memory_equal(out, "a%2Fb%20c", 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_defaults),
        cmocka_unit_test(test_set_literal),
        cmocka_unit_test(test_entries_dedup),
        cmocka_unit_test(test_template_url_names),
        cmocka_unit_test(test_entries_across_classes),
        cmocka_unit_test(test_error_no_class),
        cmocka_unit_test(test_error_class_without_task),
        cmocka_unit_test(test_error_weights),
        cmocka_unit_test(test_error_wait_range),
        cmocka_unit_test(test_error_steps),
        cmocka_unit_test(test_error_checks_and_captures),
        cmocka_unit_test(test_error_templates),
        cmocka_unit_test(test_feeders),
        cmocka_unit_test(test_vars),
        cmocka_unit_test(test_unnamed_class_reason),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_remove_class_and_clear_task),
        cmocka_unit_test(test_each_step),
        cmocka_unit_test(test_quick),
        cmocka_unit_test(test_template_compile),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_template_segment_limit),
        cmocka_unit_test(test_escape_write),
        cmocka_unit_test(test_url_escape_keeps_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
