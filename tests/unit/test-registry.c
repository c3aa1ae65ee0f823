/* Unit tests for the worker registry (master/registry.c): lookups by
 * routing id and by identity through its hash tables, as workers join and
 * reconnect (new routes), up to --max-workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "registry.h"

static struct hn_msg_hello hello_of(uint32_t i)
{
    struct hn_msg_hello h = {.pid = i, .cpus = 1};
    snprintf(h.worker_id, sizeof(h.worker_id), "w-%u", i);
    snprintf(h.hostname, sizeof(h.hostname), "host-%u", i % 7);
    return h;
}

/* Routes as ZeroMQ makes them: 5 bytes, a zero then a counter. */
static size_t route_of(uint32_t n, uint8_t out[5])
{
    out[0] = 0;
    memcpy(out + 1, &n, 4);
    return 5;
}

static void check_all(struct hn_registry *r, const uint32_t *route_no)
{
    for (uint32_t i = 0; i < r->n; i++) {
        uint8_t route[5];
        size_t len = route_of(route_no[i], route);
        char id[32];
        snprintf(id, sizeof(id), "w-%u", i);
        assert_ptr_equal(hn_registry_find_route(r, route, len), &r->workers[i]);
        assert_ptr_equal(hn_registry_find_identity(r, id), &r->workers[i]);
    }
}

/* 3,000 workers join, then every third reconnects twice (a new route each
 * time): each is found by its current route and its identity, never by an
 * old route; the limit holds. */
static void test_lookups(void **state)
{
    (void)state;
    enum { N = 3000 };
    static uint32_t route_no[N];
    struct hn_registry r;
    hn_registry_init(&r, N);
    for (uint32_t i = 0; i < N; i++) {
        struct hn_msg_hello h = hello_of(i);
        uint8_t route[5];
        size_t len = route_of(route_no[i] = 1000000 + i, route);
        struct hn_worker *w;
        assert_int_equal(hn_registry_add(&r, route, len, h.worker_id, false, &h, 0, &w), 0);
        assert_int_equal(w->index, i);
        assert_false(hn_worker_active(w)); /* not until it says it loaded the scenario */
        w->loaded = true;
    }
    check_all(&r, route_no);
    uint32_t next = 5000000;
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < N; i += 3) {
            uint8_t old[5], route[5];
            size_t len = route_of(route_no[i], old);
            route_of(route_no[i] = next++, route);
            hn_registry_set_route(&r, &r.workers[i], route, len);
            assert_null(hn_registry_find_route(&r, old, len));
        }
        check_all(&r, route_no);
    }
    uint8_t route[5];
    assert_null(hn_registry_find_route(&r, route, route_of(42, route)));
    assert_null(hn_registry_find_identity(&r, "w-3000"));
    struct hn_msg_hello h = hello_of(N);
    struct hn_worker *w;
    assert_int_equal(hn_registry_add(&r, route, 5, h.worker_id, false, &h, 0, &w), HN_E_TOO_LARGE);
    assert_int_equal(hn_registry_alive(&r), N);
    hn_registry_deinit(&r);
}

/* The users workers say they run add up without wrapping around: one
 * worker claiming 2^32 - 1 beside one running 2 showed 1 user. Missing
 * and thrown-out workers do not count. */
static void test_users_sum(void **state)
{
    (void)state;
    struct hn_registry r;
    hn_registry_init(&r, 8);
    for (uint32_t i = 0; i < 4; i++) {
        struct hn_msg_hello h = hello_of(i);
        uint8_t route[5];
        struct hn_worker *w;
        assert_int_equal(
            hn_registry_add(&r, route, route_of(i, route), h.worker_id, false, &h, 0, &w), 0);
    }
    r.workers[0].users = 2;
    r.workers[1].users = 3;
    r.workers[2].users = 100;
    r.workers[2].missing = true;
    r.workers[3].users = 1000;
    r.workers[3].banned = true;
    assert_int_equal(hn_registry_users(&r), 5);
    r.workers[1].users = UINT32_MAX;
    assert_int_equal(hn_registry_users(&r), UINT32_MAX);
    r.workers[3].banned = false;
    r.workers[3].users = UINT32_MAX;
    assert_int_equal(hn_registry_users(&r), UINT32_MAX);
    hn_registry_deinit(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_users_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
