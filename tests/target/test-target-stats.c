/* Unit tests of hornet-target's request counters: exact counts, bounded
 * path table, reset, and exactness when many threads count at once. */
#include "stats.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int setup(void **state)
{
    struct hn_stats *s;
    if (hn_stats_new(&s) != 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    hn_stats_free(*state);
    return 0;
}

/* Parse hn_stats_to_json output; the caller decrefs. */
static json_t *snapshot(struct hn_stats *s)
{
    char *text;
    size_t len;
    assert_int_equal(hn_stats_to_json(s, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    free(text);
    assert_non_null(doc);
    return doc;
}

static json_int_t path_count(json_t *doc, const char *path)
{
    return json_integer_value(json_object_get(json_object_get(doc, "paths"), path));
}

static void counts_total_and_paths(void **state)
{
    struct hn_stats *s = *state;
    for (int i = 0; i < 3; i++)
        hn_stats_count(s, "/");
    hn_stats_count(s, "/json");
    assert_int_equal(hn_stats_total(s), 4);
    assert_int_equal(hn_stats_path(s, "/"), 3);
    assert_int_equal(hn_stats_path(s, "/json"), 1);
    assert_int_equal(hn_stats_path(s, "/never"), 0);

    json_t *doc = snapshot(s);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 4);
    assert_int_equal(path_count(doc, "/"), 3);
    assert_int_equal(path_count(doc, "/json"), 1);
    assert_int_equal(json_object_size(json_object_get(doc, "paths")), 2);
    json_decref(doc);
}

static void reset_forgets_everything(void **state)
{
    struct hn_stats *s = *state;
    hn_stats_count(s, "/a");
    hn_stats_count(s, "\x01");
    hn_stats_reset(s);
    assert_int_equal(hn_stats_total(s), 0);
    assert_int_equal(hn_stats_path(s, "/a"), 0);
    assert_int_equal(hn_stats_path(s, HN_STATS_OTHER), 0);
    json_t *doc = snapshot(s);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 0);
    assert_int_equal(json_object_size(json_object_get(doc, "paths")), 0);
    json_decref(doc);

    hn_stats_count(s, "/b");
    assert_int_equal(hn_stats_path(s, "/b"), 1);
}

static void odd_paths_count_as_other(void **state)
{
    struct hn_stats *s = *state;
    char long_path[HN_STATS_PATH_MAX + 2];
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    hn_stats_count(s, long_path);
    hn_stats_count(s, "/caf\xc3\xa9");
    hn_stats_count(s, "/tab\there");
    long_path[HN_STATS_PATH_MAX] = '\0'; /* exactly the limit: its own key */
    hn_stats_count(s, long_path);
    assert_int_equal(hn_stats_path(s, HN_STATS_OTHER), 3);
    assert_int_equal(hn_stats_path(s, long_path), 1);
    assert_int_equal(hn_stats_total(s), 4);
}

static void path_table_is_bounded(void **state)
{
    struct hn_stats *s = *state;
    char path[32];
    for (int i = 0; i < HN_STATS_MAX_PATHS + 10; i++) {
        snprintf(path, sizeof(path), "/p/%d", i);
        hn_stats_count(s, path);
        hn_stats_count(s, path);
    }
    assert_int_equal(hn_stats_total(s), 2 * (HN_STATS_MAX_PATHS + 10));
    assert_int_equal(hn_stats_path(s, "/p/0"), 2);
    snprintf(path, sizeof(path), "/p/%d", HN_STATS_MAX_PATHS - 1);
    assert_int_equal(hn_stats_path(s, path), 2);
    snprintf(path, sizeof(path), "/p/%d", HN_STATS_MAX_PATHS);
    assert_int_equal(hn_stats_path(s, path), 0);
    assert_int_equal(hn_stats_path(s, HN_STATS_OTHER), 20);

    json_t *doc = snapshot(s);
    assert_int_equal(json_object_size(json_object_get(doc, "paths")), HN_STATS_MAX_PATHS + 1);
    assert_int_equal(path_count(doc, HN_STATS_OTHER), 20);
    json_decref(doc);
}

#define THREADS 8
#define PER_THREAD 50000

struct worker {
    struct hn_stats *s;
    int id;
};

static void *count_many(void *arg)
{
    struct worker *w = arg;
    char own[32];
    snprintf(own, sizeof(own), "/t/%d", w->id);
    for (int i = 0; i < PER_THREAD; i++) {
        hn_stats_count(w->s, "/");
        hn_stats_count(w->s, own);
        if (i % 100 == 0) {
            char fresh[32]; /* new paths force the write-lock path */
            snprintf(fresh, sizeof(fresh), "/n/%d/%d", w->id, i / 100);
            hn_stats_count(w->s, fresh);
        }
    }
    return NULL;
}

static void exact_under_concurrency(void **state)
{
    struct hn_stats *s = *state;
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    /* Give each thread's own path a slot before fresh paths fill the table. */
    for (int i = 0; i < THREADS; i++) {
        char own[32];
        snprintf(own, sizeof(own), "/t/%d", i);
        hn_stats_count(s, own);
    }
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){s, i};
        assert_int_equal(pthread_create(&threads[i], NULL, count_many, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    uint64_t fresh = THREADS * (PER_THREAD / 100);
    assert_int_equal(hn_stats_total(s), THREADS * (2 * PER_THREAD + 1) + fresh);
    assert_int_equal(hn_stats_path(s, "/"), THREADS * PER_THREAD);
    assert_int_equal(hn_stats_path(s, "/t/3"), PER_THREAD + 1);
    assert_true(hn_stats_path(s, HN_STATS_OTHER) > 0); /* fresh paths overflowed */

    /* Fresh paths beyond the table's room went to (other); the sum holds. */
    json_t *doc = snapshot(s);
    json_int_t sum = 0;
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(doc, "paths"), key, value) sum += json_integer_value(value);
    assert_int_equal(sum, json_integer_value(json_object_get(doc, "total")));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(counts_total_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_forgets_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(odd_paths_count_as_other, setup, teardown),
        cmocka_unit_test_setup_teardown(path_table_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(exact_under_concurrency, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
