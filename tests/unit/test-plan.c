/* Unit tests of worker/plan: URLs joined to the host, header precedence
 * (step over class over scenario defaults), methods, timeouts, refused
 * scenarios, and the weighted task choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "error.h"
#include "plan.h"

#define PICKS 1000000

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void set_header(struct hn_header **h, uint32_t *n, const char *name, const char *value)
{
    struct hn_header *x = hn_headers_add(h, n);
    assert_non_null(x);
    x->name = hn_model_strdup(name);
    x->value = hn_model_strdup(value);
}

static struct hn_step *add_step(struct hn_task *t, const char *method, const char *url)
{
    struct hn_step *st = hn_task_add_step(t);
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    st->url = hn_model_strdup(url);
    return st;
}

/* A scenario of one class; each url becomes a one-step GET task. */
static struct hn_scenario *scenario(const char *host, const char *const *urls, size_t n)
{
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    s->host = hn_model_strdup(host);
    struct hn_user_class *c = hn_scenario_add_class(s);
    c->name = hn_model_strdup("c");
    for (size_t i = 0; i < n; i++)
        add_step(hn_class_add_task(c), "GET", urls[i]);
    return s;
}

static struct hn_plan *build(struct hn_scenario *s)
{
    char why[256] = "";
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    struct hn_plan *p = NULL;
    int rc = hn_plan_build(s, &p, why, sizeof(why));
    if (rc != 0)
        fail_msg("hn_plan_build = %d: %s", rc, why);
    assert_non_null(p);
    return p;
}

/* The build must be refused with a reason containing @want. */
static void expect_invalid(struct hn_scenario *s, const char *want)
{
    char why[256] = "";
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    struct hn_plan *p = (struct hn_plan *)&why; /* must stay untouched */
    int rc = hn_plan_build(s, &p, why, sizeof(why));
    if (rc != HN_E_INVALID || !strstr(why, want))
        fail_msg("hn_plan_build = %d \"%s\"; want %d with \"%s\"", rc, why, HN_E_INVALID, want);
    assert_ptr_equal(p, (struct hn_plan *)&why);
}

static const struct hn_plan_step *task_step(const struct hn_plan *p, uint32_t task)
{
    return &p->classes[0].tasks[task].steps[0];
}

/* Lines of @list whose header name is @name (case-insensitive). */
static int count_header(const struct curl_slist *list, const char *name)
{
    int n = 0;
    size_t nl = strlen(name);
    for (; list; list = list->next)
        if (strncasecmp(list->data, name, nl) == 0 && list->data[nl] == ':')
            n++;
    return n;
}

/* The whole line of header @name, or NULL. */
static const char *header_line(const struct curl_slist *list, const char *name)
{
    size_t nl = strlen(name);
    for (; list; list = list->next)
        if (strncasecmp(list->data, name, nl) == 0 && list->data[nl] == ':')
            return list->data;
    return NULL;
}

static void test_url_join(void **state)
{
    (void)state;
    const char *urls[] = {"/a", "b/c?x=1", "http://other:81/x", "HTTPS://Secure/y", "/"};
    const char *hosts[] = {"http://127.0.0.1:8080", "http://127.0.0.1:8080/",
                           "http://127.0.0.1:8080//"};
    for (size_t h = 0; h < 3; h++) {
        struct hn_scenario *s = scenario(hosts[h], urls, 5);
        struct hn_plan *p = build(s);
        assert_string_equal(task_step(p, 0)->url, "http://127.0.0.1:8080/a");
        assert_string_equal(task_step(p, 1)->url, "http://127.0.0.1:8080/b/c?x=1");
        assert_string_equal(task_step(p, 2)->url, "http://other:81/x");
        assert_string_equal(task_step(p, 3)->url, "HTTPS://Secure/y");
        assert_string_equal(task_step(p, 4)->url, "http://127.0.0.1:8080/");
        /* The pre-parsed URL is the same one. */
        char *host = NULL, *path = NULL;
        assert_int_equal(curl_url_get(task_step(p, 1)->curlu, CURLUPART_HOST, &host, 0), CURLUE_OK);
        assert_int_equal(curl_url_get(task_step(p, 1)->curlu, CURLUPART_PATH, &path, 0), CURLUE_OK);
        assert_string_equal(host, "127.0.0.1");
        assert_string_equal(path, "/b/c");
        curl_free(host);
        curl_free(path);
        hn_plan_free(p);
        hn_scenario_free(s);
    }
    /* A host with a base path keeps it. */
    const char *one[] = {"/v1/items"};
    struct hn_scenario *s = scenario("http://h:1/api/", one, 1);
    struct hn_plan *p = build(s);
    assert_string_equal(task_step(p, 0)->url, "http://h:1/api/v1/items");
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_url_refused(void **state)
{
    (void)state;
    const char *rel[] = {"/a"};
    struct hn_scenario *s = scenario(NULL, rel, 1);
    expect_invalid(s, "GET /a: relative url and no host");
    free(s->host);
    s->host = hn_model_strdup("");
    expect_invalid(s, "relative url and no host");
    hn_scenario_free(s);

    /* Absolute URLs need no host. */
    const char *abs[] = {"http://127.0.0.1:1/x"};
    s = scenario(NULL, abs, 1);
    struct hn_plan *p = build(s);
    assert_string_equal(task_step(p, 0)->url, "http://127.0.0.1:1/x");
    hn_plan_free(p);
    hn_scenario_free(s);

    /* A host libcurl cannot parse. */
    s = scenario("not a url", rel, 1);
    expect_invalid(s, "invalid url");
    hn_scenario_free(s);
}

static void test_templates_refused(void **state)
{
    (void)state;
    const char *url_tpl[] = {"/a", "/products/{{id}}"};
    struct hn_scenario *s = scenario("http://h", url_tpl, 2);
    expect_invalid(s, "GET /products/{{id}}: templates ({{...}}) are not supported");
    hn_scenario_free(s);

    const char *plain[] = {"/orders"};
    s = scenario("http://h", plain, 1);
    struct hn_step *st = &s->classes[0].tasks[0].steps[0];
    st->body = hn_model_strdup("{\"id\": \"{{product_id}}\"}");
    st->body_len = (uint32_t)strlen(st->body);
    expect_invalid(s, "templates");
    hn_scenario_free(s);

    /* In an on_start step too. */
    s = scenario("http://h", plain, 1);
    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    login->url = hn_model_strdup("/login/{{user}}");
    expect_invalid(s, "templates");
    hn_scenario_free(s);
}

static void test_header_templates_refused(void **state)
{
    (void)state;
    /* A header value such as "Bearer {{token}}" cannot be sent literally. */
    const char *plain[] = {"/me"};
    struct hn_scenario *s = scenario("http://h", plain, 1);
    struct hn_user_class *c = &s->classes[0];
    set_header(&c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    expect_invalid(s, "templates");
    hn_scenario_free(s);

    s = scenario("http://h", plain, 1);
    set_header(&s->headers, &s->n_headers, "X-Run", "{{run_id}}");
    expect_invalid(s, "templates");
    hn_scenario_free(s);

    s = scenario("http://h", plain, 1);
    struct hn_step *st = &s->classes[0].tasks[0].steps[0];
    set_header(&st->headers, &st->n_headers, "X-Id", "{{id}}");
    expect_invalid(s, "templates");
    hn_scenario_free(s);
}

static void test_header_precedence(void **state)
{
    (void)state;
    const char *urls[] = {"/step-sets", "/class-sets"};
    struct hn_scenario *s = scenario("http://h", urls, 2);
    struct hn_user_class *c = &s->classes[0];
    set_header(&s->headers, &s->n_headers, "Accept", "application/json");
    set_header(&s->headers, &s->n_headers, "X-Level", "scenario");
    set_header(&s->headers, &s->n_headers, "X-Only-Default", "d");
    set_header(&c->headers, &c->n_headers, "x-level", "class");
    set_header(&c->headers, &c->n_headers, "X-Only-Class", "c");
    struct hn_step *st = &c->tasks[0].steps[0];
    set_header(&st->headers, &st->n_headers, "X-LEVEL", "step");
    set_header(&st->headers, &st->n_headers, "X-Level-Extra", "e"); /* longer name */
    struct hn_plan *p = build(s);

    const struct curl_slist *h0 = task_step(p, 0)->headers;
    assert_int_equal(count_header(h0, "X-Level"), 1);
    assert_string_equal(header_line(h0, "x-level"), "X-LEVEL: step");
    assert_string_equal(header_line(h0, "X-Level-Extra"), "X-Level-Extra: e");
    assert_string_equal(header_line(h0, "X-Only-Class"), "X-Only-Class: c");
    assert_string_equal(header_line(h0, "X-Only-Default"), "X-Only-Default: d");
    assert_string_equal(header_line(h0, "Accept"), "Accept: application/json");

    const struct curl_slist *h1 = task_step(p, 1)->headers;
    assert_int_equal(count_header(h1, "X-Level"), 1);
    assert_string_equal(header_line(h1, "X-Level"), "x-level: class");
    assert_null(header_line(h1, "X-Level-Extra"));
    assert_string_equal(header_line(h1, "Accept"), "Accept: application/json");

    /* The default User-Agent, once, on every step. */
    for (uint32_t t = 0; t < 2; t++) {
        const struct curl_slist *h = task_step(p, t)->headers;
        assert_int_equal(count_header(h, "User-Agent"), 1);
        assert_string_equal(header_line(h, "User-Agent"), "User-Agent: hornet/" HN_VERSION);
        assert_int_equal(count_header(h, "Expect"), 0); /* no body */
    }
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_user_agent_override(void **state)
{
    (void)state;
    const char *urls[] = {"/a", "/b"};
    /* Set by the defaults. */
    struct hn_scenario *s = scenario("http://h", urls, 2);
    set_header(&s->headers, &s->n_headers, "user-agent", "locust-compatible");
    struct hn_plan *p = build(s);
    assert_int_equal(count_header(task_step(p, 0)->headers, "User-Agent"), 1);
    assert_string_equal(header_line(task_step(p, 0)->headers, "User-Agent"),
                        "user-agent: locust-compatible");
    hn_plan_free(p);
    hn_scenario_free(s);

    /* Set by one step only: the other keeps the default. */
    s = scenario("http://h", urls, 2);
    struct hn_step *st = &s->classes[0].tasks[1].steps[0];
    set_header(&st->headers, &st->n_headers, "USER-AGENT", "curl/8");
    p = build(s);
    assert_string_equal(header_line(task_step(p, 0)->headers, "User-Agent"),
                        "User-Agent: hornet/" HN_VERSION);
    assert_int_equal(count_header(task_step(p, 1)->headers, "User-Agent"), 1);
    assert_string_equal(header_line(task_step(p, 1)->headers, "User-Agent"), "USER-AGENT: curl/8");
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_methods_body_timeout(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    s->host = hn_model_strdup("http://h");
    s->timeout_ms = 2500;
    struct hn_user_class *c = hn_scenario_add_class(s);
    struct hn_task *t = hn_class_add_task(c);
    const char *methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    const enum hn_plan_method want[] = {HN_PLAN_GET,   HN_PLAN_HEAD,  HN_PLAN_POST, HN_PLAN_OTHER,
                                        HN_PLAN_OTHER, HN_PLAN_OTHER, HN_PLAN_OTHER};
    for (int i = 0; i < 7; i++)
        add_step(t, methods[i], "/m");
    t->steps[1].timeout_ms = 750;
    t->steps[3].timeout_ms = UINT64_C(1) << 40; /* clamped to what a long holds */
    t->steps[2].body = hn_model_strdup("{\"a\":1}");
    t->steps[2].body_len = 7;
    t->steps[5].body = hn_model_strdup("");
    struct hn_plan *p = build(s);
    const struct hn_plan_task *pt = &p->classes[0].tasks[0];
    assert_int_equal(pt->n_steps, 7);
    assert_int_equal(p->n_steps, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(pt->steps[i].method, want[i]);
        assert_ptr_equal(pt->steps[i].step, &t->steps[i]);
        /* "Expect:" (no 100-continue wait) exactly for steps with a body. */
        bool body = i == 2 || i == 5;
        assert_int_equal(count_header(pt->steps[i].headers, "Expect"), body ? 1 : 0);
        if (body)
            assert_string_equal(header_line(pt->steps[i].headers, "Expect"), "Expect:");
    }
    assert_int_equal(pt->steps[0].timeout_ms, 2500);
    assert_int_equal(pt->steps[1].timeout_ms, 750);
    assert_int_equal(pt->steps[2].timeout_ms, 2500);
    assert_int_equal(pt->steps[3].timeout_ms, 0x7fffffff);
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_on_start_and_classes(void **state)
{
    (void)state;
    const char *urls[] = {"/a", "/b"};
    struct hn_scenario *s = scenario("http://h", urls, 2);
    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    login->url = hn_model_strdup("/login");
    struct hn_user_class *c2 = hn_scenario_add_class(s);
    add_step(hn_class_add_task(c2), "GET", "/c");
    struct hn_plan *p = build(s);
    assert_int_equal(p->n_classes, 2);
    assert_ptr_equal(p->scenario, s);
    assert_ptr_equal(p->classes[0].cls, &s->classes[0]);
    assert_ptr_equal(p->classes[1].cls, &s->classes[1]);
    assert_int_equal(p->classes[0].on_start.n_steps, 1);
    assert_string_equal(p->classes[0].on_start.steps[0].url, "http://h/login");
    assert_int_equal(p->classes[0].on_start.steps[0].method, HN_PLAN_POST);
    assert_int_equal(p->classes[1].on_start.n_steps, 0);
    assert_int_equal(p->classes[1].n_tasks, 1);
    assert_string_equal(p->classes[1].tasks[0].steps[0].url, "http://h/c");
    assert_int_equal(p->n_steps, 4);
    hn_plan_free(p);
    hn_scenario_free(s);
    hn_plan_free(NULL);
}

/* A plan class with tasks of the given weights (no scenario needed). */
static struct hn_plan_class weighted(uint64_t *cum, const uint32_t *w, uint32_t n)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        cum[i] = sum += w[i];
    return (struct hn_plan_class){.n_tasks = n, .cum_weight = cum};
}

static void test_pick_distribution(void **state)
{
    (void)state;
    /* Built from a real scenario: weights 1:3:6. */
    const char *urls[] = {"/one", "/three", "/six"};
    struct hn_scenario *s = scenario("http://h", urls, 3);
    s->classes[0].tasks[0].weight = 1;
    s->classes[0].tasks[1].weight = 3;
    s->classes[0].tasks[2].weight = 6;
    struct hn_plan *p = build(s);
    const struct hn_plan_class *pc = &p->classes[0];
    assert_int_equal(pc->cum_weight[2], 10);
    uint32_t seen[3] = {0};
    for (int i = 0; i < PICKS; i++) {
        uint32_t t = hn_plan_pick_task(pc, rng_next());
        assert_true(t < 3);
        seen[t]++;
    }
    const double share[3] = {0.1, 0.3, 0.6};
    for (int t = 0; t < 3; t++) {
        double got = (double)seen[t] / PICKS;
        if (got < share[t] - 0.01 || got > share[t] + 0.01)
            fail_msg("task %d picked %.4f of the time, want %.2f +- 0.01", t, got, share[t]);
    }
    /* Exact mapping of rnd modulo the weight sum. */
    for (uint64_t r = 0; r < 40; r++) {
        uint32_t want = r % 10 == 0 ? 0 : r % 10 < 4 ? 1 : 2;
        assert_int_equal(hn_plan_pick_task(pc, r), want);
    }
    assert_int_equal(hn_plan_pick_task(pc, UINT64_MAX), 2); /* UINT64_MAX % 10 = 5 */
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_pick_single_and_edges(void **state)
{
    (void)state;
    uint64_t cum[1024];
    uint32_t w[1024];

    /* One task: always 0, whatever its weight and the random number. */
    w[0] = 7;
    struct hn_plan_class one = weighted(cum, w, 1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(hn_plan_pick_task(&one, rng_next()), 0);
    assert_int_equal(hn_plan_pick_task(&one, 0), 0);
    assert_int_equal(hn_plan_pick_task(&one, UINT64_MAX), 0);

    /* Many tasks at the largest weight: the sum exceeds 32 bits. */
    for (uint32_t i = 0; i < 1024; i++)
        w[i] = HN_MODEL_WEIGHT_MAX;
    struct hn_plan_class big = weighted(cum, w, 1024);
    assert_true(cum[1023] > UINT32_MAX / 8);
    for (uint32_t k = 0; k < 1024; k++) {
        uint64_t base = (uint64_t)k * HN_MODEL_WEIGHT_MAX;
        assert_int_equal(hn_plan_pick_task(&big, base), k);
        assert_int_equal(hn_plan_pick_task(&big, base + HN_MODEL_WEIGHT_MAX - 1), k);
    }

    /* A tiny weight next to a huge one is still picked, exactly 1 in sum. */
    w[0] = 1;
    w[1] = HN_MODEL_WEIGHT_MAX;
    struct hn_plan_class skew = weighted(cum, w, 2);
    assert_int_equal(hn_plan_pick_task(&skew, 0), 0);
    assert_int_equal(hn_plan_pick_task(&skew, 1), 1);
    assert_int_equal(hn_plan_pick_task(&skew, HN_MODEL_WEIGHT_MAX + 1), 0);

    /* A zero weight (hn_scenario_finalize refuses it) is never picked. */
    w[0] = 2;
    w[1] = 0;
    w[2] = 2;
    struct hn_plan_class hole = weighted(cum, w, 3);
    for (uint64_t r = 0; r < 100; r++)
        assert_int_not_equal(hn_plan_pick_task(&hole, r), 1);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_join),
        cmocka_unit_test(test_url_refused),
        cmocka_unit_test(test_templates_refused),
        cmocka_unit_test(test_header_templates_refused),
        cmocka_unit_test(test_header_precedence),
        cmocka_unit_test(test_user_agent_override),
        cmocka_unit_test(test_methods_body_timeout),
        cmocka_unit_test(test_on_start_and_classes),
        cmocka_unit_test(test_pick_distribution),
        cmocka_unit_test(test_pick_single_and_edges),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
