/* Unit tests for worker/buf.c (growing byte buffers) and the cap that
 * rendering puts on them (worker/render.c: HN_RENDER_MAX). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "error.h"
#include "render.h"

static void test_append_insert_keep_offsets(void **state)
{
    (void)state;
    struct hn_buf b = {0};
    assert_int_equal(hn_buf_append(&b, "world", 5), 0);
    assert_int_equal(hn_buf_insert(&b, 0, "hello ", 6), 0);
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.p, "hello world", 11);
    /* Growth keeps what is there, at the same offsets. */
    char big[5000];
    memset(big, 'x', sizeof(big));
    assert_int_equal(hn_buf_append(&b, big, sizeof(big)), 0);
    assert_true(b.cap >= b.len);
    assert_memory_equal(b.p, "hello world", 11);
    assert_int_equal(b.p[b.len - 1], 'x');
    assert_int_equal(hn_buf_append(&b, NULL, 0), 0); /* nothing */
    /* Emptied for the next use, its room kept: no allocation then. */
    size_t cap = b.cap;
    b.len = 0;
    assert_int_equal(hn_buf_append(&b, "a", 1), 0);
    assert_int_equal(b.cap, cap);
    assert_int_equal(hn_buf_reserve(&b, SIZE_MAX - 4), -ENOMEM); /* no overflow */
    hn_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len + b.cap, 0);
}

/* A template whose values add up to more than HN_RENDER_MAX fails with
 * HN_E_TOO_LARGE instead of growing memory. */
static void test_render_is_capped(void **state)
{
    (void)state;
    static char *vars[1] = {"v"};
    struct hn_scenario s = {.vars = vars, .n_vars = 1};
    struct hn_var v = {0};
    size_t n = 16u << 10;
    char *value = malloc(n);
    assert_non_null(value);
    memset(value, 'v', n);
    assert_int_equal(hn_var_set(&v, value, n), 0);
    struct hn_template t = {0};
    for (int i = 0; i < (int)(HN_RENDER_MAX / n) + 1; i++)
        assert_int_equal(hn_template_add_seg(&t, &(struct hn_seg){.kind = HN_SEG_VAR, .a = 0}), 0);
    struct hn_render_ctx ctx = {.s = &s, .vars = &v};
    struct hn_buf b = {0};
    uint32_t unset = 0;
    assert_int_equal(hn_render_append(&b, &t, &ctx, &unset), HN_E_TOO_LARGE);
    assert_true(b.len <= HN_RENDER_MAX);
    /* One fewer fits. */
    t.n_segs--;
    b.len = 0;
    assert_int_equal(hn_render_append(&b, &t, &ctx, &unset), 0);
    assert_int_equal(b.len, (size_t)t.n_segs * n);
    hn_buf_free(&b);
    hn_template_deinit(&t);
    free(v.val);
    free(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_insert_keep_offsets),
        cmocka_unit_test(test_render_is_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
