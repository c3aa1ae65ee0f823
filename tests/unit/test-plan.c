/* Unit tests of worker/plan: fixed URLs joined to the host, what each step
 * must render per request, merged headers (step over class over scenario
 * defaults, the implied Content-Type, User-Agent and Expect), what the
 * transport gets prepared (method, URL, header list, body, timeout),
 * captures and checks compiled, refused scenarios, and the weighted task
 * choice. */
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
#include "http_internal.h" /* the prepared step, to check what libcurl gets */
#include "plan.h"
#include "scenario-build.h"
#include "test-rng.h"

#define PICKS 1000000

/* ---- scenarios ---- */

static void set_header(struct hn_scenario *s, struct hn_header **h, uint32_t *n, const char *name,
                       const char *value)
{
    struct hn_header *x = hn_headers_add(h, n);
    assert_non_null(x);
    x->name = hn_model_strdup(name);
    scenario_compile(s, &x->value, value, HN_ESC_HEADER);
}

static void set_body(struct hn_scenario *s, struct hn_step *st, enum hn_body_kind kind,
                     const char *body)
{
    st->body_kind = (uint8_t)kind;
    scenario_compile(s, &st->body, body,
                     kind == HN_BODY_JSON   ? HN_ESC_JSON
                     : kind == HN_BODY_FORM ? HN_ESC_FORM
                                            : HN_ESC_NONE);
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
        scenario_add_step(hn_class_add_task(c), "GET", urls[i]);
    return s;
}

static struct hn_plan *build(struct hn_scenario *s)
{
    char why[256] = "";
    if (hn_scenario_finalize(s, why, sizeof(why)))
        fail_msg("finalize: %s", why);
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

/* ---- merged headers ---- */

/* Does plan header @h carry header @name (any case)? */
static bool is_header(const struct hn_plan_header *h, const char *name)
{
    size_t nl = strlen(name);
    if (h->line)
        return strncasecmp(h->line, name, nl) == 0 && (h->line[nl] == ':' || h->line[nl] == ';');
    return strcasecmp(h->name, name) == 0;
}

/* Headers of @ps named @name. */
static int count_header(const struct hn_plan_step *ps, const char *name)
{
    int n = 0;
    for (uint32_t i = 0; i < ps->n_headers; i++)
        n += is_header(&ps->headers[i], name);
    return n;
}

static const struct hn_plan_header *find_header(const struct hn_plan_step *ps, const char *name)
{
    for (uint32_t i = 0; i < ps->n_headers; i++)
        if (is_header(&ps->headers[i], name))
            return &ps->headers[i];
    return NULL;
}

/* The whole line of header @name: fixed as sent, rendered as
 * "Name: {{template as written}}"; NULL if absent. */
static const char *header_line(const struct hn_plan_step *ps, const char *name)
{
    static char buf[512];
    const struct hn_plan_header *h = find_header(ps, name);
    if (!h)
        return NULL;
    if (h->line)
        return h->line;
    snprintf(buf, sizeof(buf), "%s: %s", h->name, h->value->source);
    return buf;
}

/* The libcurl list prepared for a step whose headers are all fixed: the
 * plan's lines, in order. */
static void assert_prepared_headers(const struct hn_plan_step *ps)
{
    assert_false(ps->render_headers);
    const struct curl_slist *l = ps->prep->headers;
    for (uint32_t i = 0; i < ps->n_headers; i++, l = l->next) {
        assert_non_null(l);
        assert_non_null(ps->headers[i].line);
        assert_string_equal(l->data, ps->headers[i].line);
    }
    assert_null(l);
}

/* ---- tests ---- */

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
        for (uint32_t t = 0; t < 5; t++) {
            assert_false(task_step(p, t)->render_url);
            assert_non_null(task_step(p, t)->prep->curlu);
            assert_int_equal(task_step(p, t)->prep->https, t == 3);
        }
        /* The pre-parsed URL is the same one. */
        char *host = NULL, *path = NULL;
        assert_int_equal(curl_url_get(task_step(p, 1)->prep->curlu, CURLUPART_HOST, &host, 0),
                         CURLUE_OK);
        assert_int_equal(curl_url_get(task_step(p, 1)->prep->curlu, CURLUPART_PATH, &path, 0),
                         CURLUE_OK);
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

/* What a rendered URL is joined to (the engine calls this per request). */
static void test_url_base(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    s->host = hn_model_strdup("http://h:8/api//");
    const char *base;
    size_t len;
    bool slash;
    hn_plan_url_base(s, "/x", 2, &base, &len, &slash);
    assert_int_equal(len, 14);
    assert_memory_equal(base, "http://h:8/api", 14);
    assert_false(slash);
    hn_plan_url_base(s, "x/y", 3, &base, &len, &slash);
    assert_int_equal(len, 14);
    assert_true(slash);
    hn_plan_url_base(s, "", 0, &base, &len, &slash);
    assert_int_equal(len, 14);
    assert_true(slash);
    /* Absolute (any case): nothing to join. */
    static const char *const absolute[] = {"http://o/x", "HTTPS://o", "hTtP://", "https://"};
    for (int i = 0; i < 4; i++) {
        hn_plan_url_base(s, absolute[i], strlen(absolute[i]), &base, &len, &slash);
        assert_int_equal(len, 0);
        assert_string_equal(base, "");
        assert_false(slash);
    }
    /* Only the first @url_len bytes are read. */
    hn_plan_url_base(s, "http://o/x", 6, &base, &len, &slash);
    assert_int_equal(len, 14);
    assert_true(slash);
    /* No host: nothing to join to. */
    free(s->host);
    s->host = NULL;
    hn_plan_url_base(s, "/x", 2, &base, &len, &slash);
    assert_int_equal(len, 0);
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
    free(s->host);
    s->host = hn_model_strdup("///"); /* only slashes: no host either */
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
    expect_invalid(s, "GET not a url/a: not an http:// or https:// URL");
    hn_scenario_free(s);
    /* Schemes other than http and https. */
    s = scenario("ftp://files.example", rel, 1);
    expect_invalid(s, "GET ftp://files.example/a: not an http:// or https:// URL");
    hn_scenario_free(s);
    s = scenario("file://", rel, 1);
    expect_invalid(s, "not an http:// or https:// URL");
    hn_scenario_free(s);
    /* An absolute URL that does not parse. */
    const char *broken[] = {"/ok", "http://[::1/x"};
    s = scenario("http://h", broken, 2);
    expect_invalid(s, "GET http://[::1/x: not an http:// or https:// URL");
    hn_scenario_free(s);
    /* In on_start too. */
    s = scenario("http://h", rel, 1);
    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "https://[bad"), 0);
    expect_invalid(s, "POST https://[bad: not an http:// or https:// URL");
    hn_scenario_free(s);
}

/* Templates are rendered per request, only where they are: the rest is
 * prepared once. */
static void test_render_flags(void **state)
{
    (void)state;
    const char *urls[] = {"/fixed", "/tpl", "/hdr", "/body", "/all"};
    struct hn_scenario *s = scenario("http://h", urls, 5);
    struct hn_user_class *c = &s->classes[0];
    scenario_compile(s, &c->tasks[1].steps[0].url, "/products/{{id}}", HN_ESC_URL);
    struct hn_step *st = &c->tasks[2].steps[0];
    set_header(s, &st->headers, &st->n_headers, "X-Id", "id-{{id}}");
    set_header(s, &st->headers, &st->n_headers, "X-Fixed", "f");
    st = &c->tasks[3].steps[0];
    free(st->method);
    st->method = hn_model_strdup("POST");
    set_body(s, st, HN_BODY_JSON, "{\"id\":\"{{id}}\"}");
    st = &c->tasks[4].steps[0];
    free(st->method);
    st->method = hn_model_strdup("PUT");
    scenario_compile(s, &st->url, "{{base}}/x", HN_ESC_URL);
    set_header(s, &st->headers, &st->n_headers, "X-Id", "{{id}}");
    set_body(s, st, HN_BODY_RAW, "{{id}}");
    struct hn_plan *p = build(s);

    const struct hn_plan_step *ps = task_step(p, 0);
    assert_false(ps->render_url || ps->render_headers || ps->render_body);
    assert_string_equal(ps->url, "http://h/fixed");
    assert_prepared_headers(ps);

    ps = task_step(p, 1); /* the URL only */
    assert_true(ps->render_url);
    assert_false(ps->render_headers || ps->render_body);
    assert_null(ps->url);
    assert_null(ps->prep->curlu);
    assert_prepared_headers(ps);

    ps = task_step(p, 2); /* a header: the whole list is rendered */
    assert_false(ps->render_url || ps->render_body);
    assert_true(ps->render_headers);
    assert_string_equal(ps->url, "http://h/hdr");
    assert_null(ps->prep->headers);
    const struct hn_plan_header *h = find_header(ps, "X-Id");
    assert_null(h->line);
    assert_string_equal(h->name, "X-Id");
    assert_ptr_equal(h->value, &c->tasks[2].steps[0].headers[0].value);
    assert_false(h->until_set); /* a step's own header: the request waits for it */
    assert_string_equal(header_line(ps, "X-Fixed"), "X-Fixed: f"); /* a fixed line among them */
    assert_string_equal(header_line(ps, "User-Agent"), "User-Agent: hornet/" HN_VERSION);

    ps = task_step(p, 3); /* the body only */
    assert_true(ps->render_body);
    assert_false(ps->render_url || ps->render_headers);
    assert_true(ps->prep->has_body);
    assert_null(ps->prep->body);
    assert_prepared_headers(ps);

    ps = task_step(p, 4);
    assert_true(ps->render_url && ps->render_headers && ps->render_body);
    assert_null(ps->url);
    assert_int_equal(ps->prep->kind, HN_PREP_OTHER);
    assert_int_equal(p->n_steps, 5);
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_header_precedence(void **state)
{
    (void)state;
    const char *urls[] = {"/step-sets", "/class-sets"};
    struct hn_scenario *s = scenario("http://h", urls, 2);
    struct hn_user_class *c = &s->classes[0];
    set_header(s, &s->headers, &s->n_headers, "Accept", "application/json");
    set_header(s, &s->headers, &s->n_headers, "X-Level", "scenario");
    set_header(s, &s->headers, &s->n_headers, "X-Only-Default", "d");
    set_header(s, &c->headers, &c->n_headers, "x-level", "class");
    set_header(s, &c->headers, &c->n_headers, "X-Only-Class", "c");
    struct hn_step *st = &c->tasks[0].steps[0];
    set_header(s, &st->headers, &st->n_headers, "X-LEVEL", "step");
    set_header(s, &st->headers, &st->n_headers, "X-Level-Extra", "e"); /* longer name */
    set_header(s, &st->headers, &st->n_headers, "X-Empty", "");
    struct hn_plan *p = build(s);

    const struct hn_plan_step *h0 = task_step(p, 0);
    assert_int_equal(count_header(h0, "X-Level"), 1);
    assert_string_equal(header_line(h0, "x-level"), "X-LEVEL: step");
    assert_string_equal(header_line(h0, "X-Level-Extra"), "X-Level-Extra: e");
    assert_string_equal(header_line(h0, "X-Only-Class"), "X-Only-Class: c");
    assert_string_equal(header_line(h0, "X-Only-Default"), "X-Only-Default: d");
    assert_string_equal(header_line(h0, "Accept"), "Accept: application/json");
    /* An empty value is sent empty: "Name;" in libcurl's list ("Name:"
     * would remove the header). */
    assert_string_equal(header_line(h0, "X-Empty"), "X-Empty;");
    /* The order sent: the step's, the class's, the defaults', then the
     * implied ones. */
    static const char *const order[] = {"X-LEVEL", "X-Level-Extra",  "X-Empty",   "X-Only-Class",
                                        "Accept",  "X-Only-Default", "User-Agent"};
    assert_int_equal(h0->n_headers, 7);
    for (uint32_t i = 0; i < 7; i++)
        assert_true(is_header(&h0->headers[i], order[i]));
    assert_prepared_headers(h0);

    const struct hn_plan_step *h1 = task_step(p, 1);
    assert_int_equal(count_header(h1, "X-Level"), 1);
    assert_string_equal(header_line(h1, "X-Level"), "x-level: class");
    assert_null(header_line(h1, "X-Level-Extra"));
    assert_string_equal(header_line(h1, "Accept"), "Accept: application/json");
    assert_prepared_headers(h1);

    /* The default User-Agent, once, on every step. */
    for (uint32_t t = 0; t < 2; t++) {
        const struct hn_plan_step *ps = task_step(p, t);
        assert_int_equal(count_header(ps, "User-Agent"), 1);
        assert_string_equal(header_line(ps, "User-Agent"), "User-Agent: hornet/" HN_VERSION);
        assert_int_equal(count_header(ps, "Expect"), 0);       /* no body */
        assert_int_equal(count_header(ps, "Content-Type"), 0); /* no body */
    }
    assert_int_equal(p->max_headers, 7);
    hn_plan_free(p);
    hn_scenario_free(s);
}

/* Rendered headers keep the same precedence; those of the class and the
 * defaults are left out while a variable they name is not captured yet
 * ("Authorization: Bearer {{token}}" before the login). */
static void test_header_templates(void **state)
{
    (void)state;
    const char *urls[] = {"/me", "/override"};
    struct hn_scenario *s = scenario("http://h", urls, 2);
    struct hn_user_class *c = &s->classes[0];
    set_header(s, &s->headers, &s->n_headers, "X-Run", "{{run}}");
    set_header(s, &c->headers, &c->n_headers, "Authorization", "Bearer {{token}}");
    struct hn_step *st = &c->tasks[1].steps[0];
    set_header(s, &st->headers, &st->n_headers, "authorization", "Basic abc"); /* fixed */
    set_header(s, &st->headers, &st->n_headers, "X-Step", "{{token}}");
    struct hn_plan *p = build(s);

    const struct hn_plan_step *ps = task_step(p, 0);
    assert_true(ps->render_headers);
    const struct hn_plan_header *auth = find_header(ps, "Authorization");
    assert_non_null(auth);
    assert_null(auth->line);
    assert_true(auth->until_set);
    assert_string_equal(auth->value->source, "Bearer {{token}}");
    assert_int_equal(auth->value->segs[1].kind, HN_SEG_VAR);
    const struct hn_plan_header *run = find_header(ps, "X-Run");
    assert_true(run->until_set);
    assert_int_equal(count_header(ps, "User-Agent"), 1);

    /* The step's fixed Authorization wins over the class's template. */
    ps = task_step(p, 1);
    assert_int_equal(count_header(ps, "Authorization"), 1);
    assert_string_equal(header_line(ps, "Authorization"), "authorization: Basic abc");
    assert_false(find_header(ps, "X-Step")->until_set);
    assert_true(ps->render_headers); /* X-Step and X-Run */
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_user_agent_override(void **state)
{
    (void)state;
    const char *urls[] = {"/a", "/b"};
    /* Set by the defaults. */
    struct hn_scenario *s = scenario("http://h", urls, 2);
    set_header(s, &s->headers, &s->n_headers, "user-agent", "locust-compatible");
    struct hn_plan *p = build(s);
    assert_int_equal(count_header(task_step(p, 0), "User-Agent"), 1);
    assert_string_equal(header_line(task_step(p, 0), "User-Agent"),
                        "user-agent: locust-compatible");
    hn_plan_free(p);
    hn_scenario_free(s);

    /* Set by one step only: the other keeps the default. */
    s = scenario("http://h", urls, 2);
    struct hn_step *st = &s->classes[0].tasks[1].steps[0];
    set_header(s, &st->headers, &st->n_headers, "USER-AGENT", "curl/8");
    p = build(s);
    assert_string_equal(header_line(task_step(p, 0), "User-Agent"),
                        "User-Agent: hornet/" HN_VERSION);
    assert_int_equal(count_header(task_step(p, 1), "User-Agent"), 1);
    assert_string_equal(header_line(task_step(p, 1), "User-Agent"), "USER-AGENT: curl/8");
    hn_plan_free(p);
    hn_scenario_free(s);

    /* A rendered User-Agent counts as set too. */
    s = scenario("http://h", urls, 1);
    set_header(s, &s->classes[0].headers, &s->classes[0].n_headers, "User-Agent", "u{{n}}");
    p = build(s);
    assert_int_equal(count_header(task_step(p, 0), "User-Agent"), 1);
    assert_string_equal(header_line(task_step(p, 0), "User-Agent"), "User-Agent: u{{n}}");
    hn_plan_free(p);
    hn_scenario_free(s);
}

/* Bodies imply their Content-Type, unless the scenario sets one; a raw
 * body is sent without one (libcurl would add form-urlencoded); every body
 * gets "Expect:" (no 100-continue wait). */
static void test_implied_headers(void **state)
{
    (void)state;
    const char *urls[] = {"/json", "/form", "/raw", "/none", "/own", "/class"};
    struct hn_scenario *s = scenario("http://h", urls, 6);
    struct hn_user_class *c = &s->classes[0];
    set_body(s, &c->tasks[0].steps[0], HN_BODY_JSON, "{\"a\":1}");
    set_body(s, &c->tasks[1].steps[0], HN_BODY_FORM, "a=1&b=2");
    set_body(s, &c->tasks[2].steps[0], HN_BODY_RAW, "raw bytes");
    struct hn_step *st = &c->tasks[4].steps[0];
    set_body(s, st, HN_BODY_JSON, "[]");
    set_header(s, &st->headers, &st->n_headers, "content-type", "application/vnd.api+json");
    struct hn_plan *p = build(s);
    assert_string_equal(header_line(task_step(p, 0), "Content-Type"),
                        "Content-Type: application/json");
    assert_string_equal(header_line(task_step(p, 1), "Content-Type"),
                        "Content-Type: application/x-www-form-urlencoded");
    assert_string_equal(header_line(task_step(p, 2), "Content-Type"), "Content-Type:");
    assert_int_equal(count_header(task_step(p, 3), "Content-Type"), 0);
    assert_int_equal(count_header(task_step(p, 4), "Content-Type"), 1);
    assert_string_equal(header_line(task_step(p, 4), "Content-Type"),
                        "content-type: application/vnd.api+json");
    for (uint32_t t = 0; t < 6; t++) {
        const struct hn_plan_step *ps = task_step(p, t);
        bool body = t != 3 && t != 5;
        assert_int_equal(count_header(ps, "Expect"), body ? 1 : 0);
        if (body)
            assert_string_equal(header_line(ps, "Expect"), "Expect:");
        assert_int_equal(count_header(ps, "User-Agent"), 1);
        assert_int_equal(ps->prep->has_body, body);
        assert_prepared_headers(ps);
    }
    /* The fixed bodies are prepared as written. */
    assert_int_equal(task_step(p, 0)->prep->body_len, 7);
    assert_string_equal(task_step(p, 0)->prep->body, "{\"a\":1}");
    assert_string_equal(task_step(p, 2)->prep->body, "raw bytes");
    hn_plan_free(p);
    hn_scenario_free(s);

    /* A class's Content-Type wins over the implied one. */
    s = scenario("http://h", urls, 1);
    set_header(s, &s->classes[0].headers, &s->classes[0].n_headers, "Content-Type", "text/x");
    set_body(s, &s->classes[0].tasks[0].steps[0], HN_BODY_FORM, "a=1");
    p = build(s);
    assert_int_equal(count_header(task_step(p, 0), "Content-Type"), 1);
    assert_string_equal(header_line(task_step(p, 0), "Content-Type"), "Content-Type: text/x");
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
    const char *methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
    const enum hn_prep_method want[] = {HN_PREP_GET,   HN_PREP_HEAD,  HN_PREP_POST,  HN_PREP_OTHER,
                                        HN_PREP_OTHER, HN_PREP_OTHER, HN_PREP_OTHER, HN_PREP_HEAD};
    for (int i = 0; i < 8; i++)
        scenario_add_step(t, methods[i], "/m");
    t->steps[1].timeout_ms = 750;
    t->steps[3].timeout_ms = UINT64_C(1) << 40; /* clamped to what a long holds */
    set_body(s, &t->steps[2], HN_BODY_JSON, "{\"a\":1}");
    set_body(s, &t->steps[5], HN_BODY_RAW, "");  /* an empty body is a body */
    set_body(s, &t->steps[7], HN_BODY_RAW, "x"); /* HEAD sends none anyway */
    t->steps[6].follow_redirects = true;
    struct hn_plan *p = build(s);
    const struct hn_plan_task *pt = &p->classes[0].tasks[0];
    assert_int_equal(pt->n_steps, 8);
    assert_int_equal(p->n_steps, 8);
    for (int i = 0; i < 8; i++) {
        const struct hn_plan_step *ps = &pt->steps[i];
        assert_int_equal(ps->prep->kind, want[i]);
        assert_string_equal(ps->prep->method, methods[i]);
        assert_ptr_equal(ps->step, &t->steps[i]);
        bool body = i == 2 || i == 5;
        assert_int_equal(ps->prep->has_body, body);
        assert_int_equal(ps->prep->follow_redirects, i == 6);
        /* "Expect:" (no 100-continue wait) for steps with a body. */
        assert_int_equal(count_header(ps, "Expect"), body || i == 7 ? 1 : 0);
    }
    assert_int_equal(pt->steps[0].prep->timeout_ms, 2500);
    assert_int_equal(pt->steps[1].prep->timeout_ms, 750);
    assert_int_equal(pt->steps[2].prep->timeout_ms, 2500);
    assert_int_equal(pt->steps[3].prep->timeout_ms, 0x7fffffff);
    assert_int_equal(pt->steps[2].prep->body_len, 7);
    assert_memory_equal(pt->steps[2].prep->body, "{\"a\":1}", 8);
    assert_non_null(pt->steps[5].prep->body);
    assert_int_equal(pt->steps[5].prep->body_len, 0);
    assert_null(pt->steps[0].prep->body);
    assert_null(pt->steps[7].prep->body);
    hn_plan_free(p);

    /* No timeout anywhere: the smallest one libcurl takes as a limit (0
     * would mean none). */
    s->timeout_ms = 0;
    p = build(s);
    assert_int_equal(p->classes[0].tasks[0].steps[0].prep->timeout_ms, 1);
    assert_int_equal(p->classes[0].tasks[0].steps[1].prep->timeout_ms, 750);
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
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    struct hn_user_class *c2 = hn_scenario_add_class(s);
    scenario_add_step(hn_class_add_task(c2), "GET", "/c");
    struct hn_plan *p = build(s);
    assert_int_equal(p->n_classes, 2);
    assert_ptr_equal(p->scenario, s);
    assert_ptr_equal(p->classes[0].cls, &s->classes[0]);
    assert_ptr_equal(p->classes[1].cls, &s->classes[1]);
    assert_int_equal(p->classes[0].on_start.n_steps, 1);
    assert_string_equal(p->classes[0].on_start.steps[0].url, "http://h/login");
    assert_int_equal(p->classes[0].on_start.steps[0].prep->kind, HN_PREP_POST);
    assert_ptr_equal(p->classes[0].on_start.steps[0].step, &s->classes[0].on_start[0]);
    assert_int_equal(p->classes[1].on_start.n_steps, 0);
    assert_int_equal(p->classes[1].n_tasks, 1);
    assert_string_equal(p->classes[1].tasks[0].steps[0].url, "http://h/c");
    assert_int_equal(p->n_steps, 4);
    hn_plan_free(p);
    hn_scenario_free(s);
    hn_plan_free(NULL);
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

static void add_json_check(struct hn_step *st, const char *path, const char *want)
{
    struct hn_check_json *c = hn_step_add_json_check(st);
    assert_non_null(c);
    c->path = hn_model_strdup(path);
    c->want = hn_model_strdup(want);
    c->want_type = HN_JSON_STRING;
}

/* JSON paths and regular expressions are compiled once; a step keeps the
 * response body only when something reads it. */
static void test_captures_and_checks(void **state)
{
    (void)state;
    const char *urls[] = {"/json", "/header", "/regex", "/check", "/contains", "/status", "/none"};
    struct hn_scenario *s = scenario("http://h", urls, 7);
    struct hn_user_class *c = &s->classes[0];
    struct hn_step *st = &c->tasks[0].steps[0];
    add_capture(s, st, "token", HN_CAPTURE_JSON, "$.data[2]['access token']");
    add_capture(s, st, "session", HN_CAPTURE_HEADER, "X-Session");
    add_capture(s, &c->tasks[1].steps[0], "session", HN_CAPTURE_HEADER, "X-Session");
    add_capture(s, &c->tasks[2].steps[0], "csrf", HN_CAPTURE_REGEX,
                "name=\"csrf\" value=\"([^\"]+)\"");
    add_json_check(&c->tasks[3].steps[0], "$.status", "paid");
    add_json_check(&c->tasks[3].steps[0], "$", "x");
    add_json_check(&c->tasks[3].steps[0], "$.total", "1.5e2");
    c->tasks[3].steps[0].json_checks[2].want_type = HN_JSON_NUMBER;
    st = &c->tasks[4].steps[0];
    st->has_body_contains = true;
    assert_int_equal(hn_template_set_literal(&st->body_contains, "Welcome"), 0);
    assert_int_equal(hn_step_add_status(&c->tasks[5].steps[0], 201), 0);
    struct hn_plan *p = build(s);

    const struct hn_plan_step *ps = task_step(p, 0);
    assert_true(ps->keep_body);
    const struct hn_jsonpath *jp = &ps->capture_paths[0];
    assert_int_equal(jp->n_steps, 3);
    assert_string_equal(jp->steps[0].key, "data");
    assert_true(jp->steps[1].is_index);
    assert_int_equal(jp->steps[1].index, 2);
    assert_string_equal(jp->steps[2].key, "access token");
    assert_null(ps->capture_res[0]);
    assert_null(ps->capture_res[1]);
    /* A header capture alone does not read the body. */
    ps = task_step(p, 1);
    assert_false(ps->keep_body);
    ps = task_step(p, 2);
    assert_true(ps->keep_body);
    assert_non_null(ps->capture_res[0]);
    assert_int_equal(hn_regex_groups(ps->capture_res[0]), 1);
    ps = task_step(p, 3);
    assert_true(ps->keep_body);
    assert_non_null(ps->check_paths);
    assert_int_equal(ps->check_paths[0].n_steps, 1);
    assert_int_equal(ps->check_paths[1].n_steps, 0); /* "$": the whole document */
    assert_true(ps->check_numbers[2] == 150.0);      /* read once, not per response */
    assert_true(task_step(p, 4)->keep_body);
    /* A status check needs no body. */
    assert_false(task_step(p, 5)->keep_body);
    assert_false(task_step(p, 6)->keep_body);
    assert_null(task_step(p, 6)->capture_paths);
    assert_null(task_step(p, 6)->check_paths);
    hn_plan_free(p);
    hn_scenario_free(s);
}

static void test_extractors_refused(void **state)
{
    (void)state;
    static const struct {
        enum hn_capture_kind kind; /* HN_CAPTURE__COUNT: a json check */
        const char *expr;
        const char *why;
    } cases[] = {
        {HN_CAPTURE_JSON, "token", "capture token: a JSON path starts with '$'"},
        {HN_CAPTURE_JSON, "$.a..b", "capture $.a..b: empty key after '.'"},
        {HN_CAPTURE_JSON, "$.a[x]", "capture $.a[x]: expected [N]"},
        {HN_CAPTURE_JSON, "$['a", "capture $['a: unterminated ['...']"},
        {HN_CAPTURE_REGEX, "id=(\\d+", "capture regex id=(\\d+: missing closing parenthesis"},
        {HN_CAPTURE_REGEX, "*x", "capture regex *x: quantifier does not follow"},
        {HN_CAPTURE__COUNT, "$.a b", "check json $.a b: unexpected character in key"},
        {HN_CAPTURE__COUNT, "", "check json : a JSON path starts with '$'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *urls[] = {"/ok", "/bad"};
        struct hn_scenario *s = scenario("http://h", urls, 2);
        struct hn_step *st = &s->classes[0].tasks[1].steps[0];
        if (cases[i].kind == HN_CAPTURE__COUNT)
            add_json_check(st, cases[i].expr, "v");
        else
            add_capture(s, st, "v", cases[i].kind, cases[i].expr);
        expect_invalid(s, cases[i].why);
        hn_scenario_free(s);
    }
    /* In on_start too; a header capture is not compiled. */
    const char *urls[] = {"/ok"};
    struct hn_scenario *s = scenario("http://h", urls, 1);
    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    assert_int_equal(hn_template_set_literal(&login->url, "/login"), 0);
    add_capture(s, login, "h", HN_CAPTURE_HEADER, "not a path (");
    struct hn_plan *p = build(s);
    hn_plan_free(p);
    add_capture(s, login, "t", HN_CAPTURE_REGEX, "(");
    expect_invalid(s, "capture regex (:");
    hn_scenario_free(s);
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
        uint32_t t = hn_plan_pick_task(pc, test_rng_next());
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
        assert_int_equal(hn_plan_pick_task(&one, test_rng_next()), 0);
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
    assert_int_equal(hn_http_global_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_join),
        cmocka_unit_test(test_url_base),
        cmocka_unit_test(test_url_refused),
        cmocka_unit_test(test_render_flags),
        cmocka_unit_test(test_header_precedence),
        cmocka_unit_test(test_header_templates),
        cmocka_unit_test(test_user_agent_override),
        cmocka_unit_test(test_implied_headers),
        cmocka_unit_test(test_methods_body_timeout),
        cmocka_unit_test(test_on_start_and_classes),
        cmocka_unit_test(test_captures_and_checks),
        cmocka_unit_test(test_extractors_refused),
        cmocka_unit_test(test_pick_distribution),
        cmocka_unit_test(test_pick_single_and_edges),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    hn_http_global_cleanup();
    return rc;
}
