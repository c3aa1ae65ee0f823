/* Unit tests of common/model: hn_scenario_finalize (stats entries keyed by
 * (method, name), name defaulting to the url, readable errors for unusable
 * scenarios), limits of the builders and the command line's quick mode. */
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

static struct hn_step *add_step(struct hn_task *t, const char *method, const char *url,
                                const char *name)
{
    struct hn_step *st = hn_task_add_step(t);
    assert_non_null(st);
    st->method = hn_model_strdup(method);
    st->url = hn_model_strdup(url);
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

/* Finalize must fail with HN_E_INVALID and a reason containing @want. */
static void expect_invalid(struct hn_scenario *s, const char *want)
{
    char why[256] = "";
    int rc = hn_scenario_finalize(s, why, sizeof(why));
    if (rc != HN_E_INVALID || !strstr(why, want))
        fail_msg("finalize = %d \"%s\"; want %d with \"%s\"", rc, why, HN_E_INVALID, want);
}

static uint32_t find_entry(const struct hn_scenario *s, const char *method, const char *name)
{
    for (uint32_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].method, method) == 0 && strcmp(s->entries[i].name, name) == 0)
            return i;
    fail_msg("no entry (%s, %s)", method, name);
    return UINT32_MAX;
}

static void test_new_defaults(void **state)
{
    (void)state;
    struct hn_scenario *s = hn_scenario_new();
    assert_non_null(s);
    assert_null(s->host);
    assert_int_equal(s->timeout_ms, 10000);
    assert_int_equal(s->n_classes, 0);
    struct hn_user_class *c = hn_scenario_add_class(s);
    assert_int_equal(c->weight, 1);
    assert_int_equal(c->wait.kind, HN_WAIT_NONE);
    struct hn_task *t = hn_class_add_task(c);
    assert_int_equal(t->weight, 1);
    assert_int_equal(t->n_steps, 0);
    hn_scenario_free(s);
    hn_scenario_free(NULL);
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
    struct hn_step *login = hn_class_add_on_start(c);
    login->method = hn_model_strdup("POST");
    login->url = hn_model_strdup("/login");

    char why[256] = "";
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    assert_int_equal(s->n_entries, 5);
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
    /* The name defaults to the url, as an own copy. */
    assert_string_equal(c->tasks[0].steps[0].name, "/");
    assert_string_equal(c->tasks[4].steps[1].name, "/items/7");
    assert_ptr_not_equal(c->tasks[4].steps[1].name, c->tasks[4].steps[1].url);
    assert_string_equal(c->tasks[3].steps[0].name, "/items");

    /* Finalizing again (e.g. after the codec) gives the same indexing. */
    assert_int_equal(hn_scenario_finalize(s, why, sizeof(why)), 0);
    assert_int_equal(s->n_entries, 5);
    assert_int_equal(c->tasks[4].steps[1].entry, find_entry(s, "GET", "/items/7"));
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
    free(t->steps[1].url);
    t->steps[1].url = hn_model_strdup("/ok");
    free(t->steps[1].method);
    t->steps[1].method = NULL;
    expect_invalid(s, "class shop task 1 step 2: no method");
    free(t->steps[1].method);
    t->steps[1].method = hn_model_strdup("GET");
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);

    struct hn_step *login = hn_class_add_on_start(&s->classes[0]);
    login->method = hn_model_strdup("POST");
    expect_invalid(s, "class shop on_start step 1: no url");

    /* A task with no step at all. */
    login->url = hn_model_strdup("/login");
    assert_non_null(hn_class_add_task(&s->classes[0]));
    expect_invalid(s, "class shop task 2 has no step");
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
    struct hn_task *t = hn_class_add_task(&s->classes[0]);
    for (int i = 0; i < HN_MODEL_STEPS_MAX; i++)
        assert_non_null(hn_task_add_step(t));
    assert_null(hn_task_add_step(t));
    assert_int_equal(t->n_steps, HN_MODEL_STEPS_MAX);
    hn_scenario_free(s);
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

static void test_quick(void **state)
{
    (void)state;
    const char *paths[] = {"/", "/api/items", "/health"};
    struct hn_scenario *s = hn_scenario_quick("http://localhost:9000", paths, 3);
    assert_non_null(s);
    assert_string_equal(s->host, "http://localhost:9000");
    assert_int_equal(s->n_classes, 1);
    struct hn_user_class *c = &s->classes[0];
    assert_string_equal(c->name, "quick");
    assert_int_equal(c->weight, 1);
    assert_int_equal(c->wait.kind, HN_WAIT_NONE);
    assert_int_equal(c->n_on_start, 0);
    assert_int_equal(c->n_tasks, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(c->tasks[i].weight, 1);
        assert_int_equal(c->tasks[i].n_steps, 1);
        assert_string_equal(c->tasks[i].steps[0].method, "GET");
        assert_string_equal(c->tasks[i].steps[0].url, paths[i]);
        assert_null(c->tasks[i].steps[0].body);
    }
    assert_int_equal(hn_scenario_finalize(s, NULL, 0), 0);
    assert_int_equal(s->n_entries, 3);
    assert_string_equal(s->entries[1].name, "/api/items");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_defaults),
        cmocka_unit_test(test_entries_dedup),
        cmocka_unit_test(test_entries_across_classes),
        cmocka_unit_test(test_error_no_class),
        cmocka_unit_test(test_error_class_without_task),
        cmocka_unit_test(test_error_weights),
        cmocka_unit_test(test_error_wait_range),
        cmocka_unit_test(test_error_steps),
        cmocka_unit_test(test_unnamed_class_reason),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_quick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
