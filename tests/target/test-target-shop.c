/* Unit tests of hornet-target's shop API and sessions: status codes and
 * bodies of every handler, and token invalidation when the ring wraps. */
#include "error.h"
#include "session.h"
#include "shop.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int setup(void **state)
{
    struct hn_shop *shop;
    if (hn_shop_new(&shop) != 0)
        return -1;
    *state = shop;
    return 0;
}

static int teardown(void **state)
{
    hn_shop_free(*state);
    return 0;
}

/* Check the status, parse the body as JSON, release the reply. */
static json_t *take(struct hn_reply *r, unsigned want_status)
{
    assert_int_equal(r->status, want_status);
    json_error_t err;
    json_t *doc = json_loadb(r->body, r->body_len, 0, &err);
    free(r->owned);
    assert_non_null(doc);
    return doc;
}

static void expect(struct hn_reply *r, unsigned want_status)
{
    json_decref(take(r, want_status));
}

static json_int_t int_of(json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

#define LOGIN_OK "{\"email\": \"ada@example.com\", \"password\": \"secret\"}"

/* Log in and return "Bearer <token>" in `auth`. */
static void login(struct hn_shop *shop, char *auth, size_t size)
{
    struct hn_reply r;
    assert_int_equal(hn_shop_login(shop, LOGIN_OK, strlen(LOGIN_OK), &r), 0);
    json_t *doc = take(&r, 200);
    const char *token = json_string_value(json_object_get(doc, "access_token"));
    assert_non_null(token);
    assert_int_equal(strlen(token), HN_SESSION_TOKEN_LEN);
    assert_int_equal(strspn(token, "0123456789abcdef"), HN_SESSION_TOKEN_LEN);
    snprintf(auth, size, "Bearer %s", token);
    json_decref(doc);
}

static void login_validates_body(void **state)
{
    struct hn_shop *shop = *state;
    char auth[64], auth2[64];
    login(shop, auth, sizeof(auth));
    login(shop, auth2, sizeof(auth2));
    assert_string_not_equal(auth, auth2);

    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "null",
        "{\"email\": \"a@b\"}",
        "{\"password\": \"x\"}",
        "{\"email\": \"\", \"password\": \"x\"}",
        "{\"email\": \"a@b\", \"password\": \"\"}",
        "{\"email\": \"no-at-sign\", \"password\": \"x\"}",
        "{\"email\": 5, \"password\": \"x\"}",
        "{\"email\": \"a@b\", \"password\": [1]}",
        "{\"email\": \"a@b\", \"email\": \"c@d\", \"password\": \"x\"}",
        "{\"email\": \"a@b\", \"password\": \"x\"} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hn_reply r;
        assert_int_equal(hn_shop_login(shop, bad[i], strlen(bad[i]), &r), 0);
        json_t *doc = take(&r, 400);
        assert_true(json_is_string(json_object_get(doc, "error")));
        json_decref(doc);
    }
}

/* Fetch a page and check it lists ids first..first+n-1. */
static void expect_page(struct hn_shop *shop, const char *page, const char *limit, int first, int n,
                        int want_page, int want_limit)
{
    struct hn_reply r;
    assert_int_equal(hn_shop_products(shop, page, limit, &r), 0);
    json_t *doc = take(&r, 200);
    json_t *data = json_object_get(doc, "data");
    assert_int_equal(json_array_size(data), n);
    for (int i = 0; i < n; i++) {
        json_t *p = json_array_get(data, (size_t)i);
        assert_int_equal(int_of(p, "id"), first + i);
        assert_true(json_is_string(json_object_get(p, "name")));
        double price = json_number_value(json_object_get(p, "price"));
        assert_true(price >= 1.0 && price < 1000.0);
    }
    assert_int_equal(int_of(doc, "page"), want_page);
    assert_int_equal(int_of(doc, "limit"), want_limit);
    assert_int_equal(int_of(doc, "total"), HN_SHOP_PRODUCTS);
    json_decref(doc);
}

static void products_paginate(void **state)
{
    struct hn_shop *shop = *state;
    expect_page(shop, NULL, NULL, 1, 20, 1, 20);
    expect_page(shop, "2", "10", 11, 10, 2, 10);
    expect_page(shop, "10", "100", 901, 100, 10, 100);
    expect_page(shop, "34", "30", 991, 10, 34, 30);
    expect_page(shop, "11", "100", 0, 0, 11, 100);
    expect_page(shop, "1000000000", "100", 0, 0, 1000000000, 100);

    static const char *const bad[][2] = {
        {"0", NULL}, {"-1", NULL},  {"abc", NULL}, {"", NULL},   {"1x", NULL},
        {NULL, "0"}, {NULL, "101"}, {NULL, "+5"},  {NULL, " 5"}, {"99999999999999999999", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hn_reply r;
        assert_int_equal(hn_shop_products(shop, bad[i][0], bad[i][1], &r), 0);
        expect(&r, 400);
    }
}

static void product_by_id(void **state)
{
    struct hn_shop *shop = *state;
    struct hn_reply r;
    assert_int_equal(hn_shop_product(shop, "1000", &r), 0);
    json_t *doc = take(&r, 200);
    assert_int_equal(int_of(doc, "id"), 1000);
    const char *name = json_string_value(json_object_get(doc, "name"));

    /* Names are unique and deterministic. */
    struct hn_reply again;
    hn_shop_product(shop, "999", &again);
    json_t *other = take(&again, 200);
    assert_string_not_equal(name, json_string_value(json_object_get(other, "name")));
    json_decref(other);
    json_decref(doc);

    const char *const missing[] = {"0", "1001", "99999999999999999999"};
    for (size_t i = 0; i < 3; i++) {
        hn_shop_product(shop, missing[i], &r);
        expect(&r, 404);
    }
    const char *const malformed[] = {"", "abc", "-1", "1.5"};
    for (size_t i = 0; i < 4; i++) {
        hn_shop_product(shop, malformed[i], &r);
        expect(&r, 400);
    }
}

static void cart_add(struct hn_shop *shop, const char *auth, const char *body, unsigned want,
                     json_t **out_doc)
{
    struct hn_reply r;
    assert_int_equal(hn_shop_cart_add(shop, auth, body, strlen(body), &r), 0);
    json_t *doc = take(&r, want);
    if (out_doc != NULL)
        *out_doc = doc;
    else
        json_decref(doc);
}

static void cart_checks_token_body_product(void **state)
{
    struct hn_shop *shop = *state;
    char auth[64];
    login(shop, auth, sizeof(auth));
    const char *item = "{\"product_id\": 7, \"quantity\": 2}";

    cart_add(shop, NULL, item, 401, NULL);
    cart_add(shop, "Basic abc", item, 401, NULL);
    cart_add(shop, "Bearer", item, 401, NULL);
    cart_add(shop, "Bearer 0123", item, 401, NULL);
    char forged[64];
    strcpy(forged, auth);
    forged[strlen(forged) - 1] ^= 1; /* flip the key's last hex digit */
    cart_add(shop, forged, item, 401, NULL);
    cart_add(shop, "Bearer 00040000ffffffffffffffffffffffffffffffff", item, 401, NULL);
    cart_add(shop, auth, "{\"product_id\": 7", 400, NULL);
    cart_add(shop, auth, "{\"quantity\": 1}", 400, NULL);
    cart_add(shop, auth, "{\"product_id\": \"x7\"}", 400, NULL);
    cart_add(shop, auth, "{\"product_id\": 7, \"quantity\": 0}", 400, NULL);
    cart_add(shop, auth, "{\"product_id\": 7, \"quantity\": 1001}", 400, NULL);
    cart_add(shop, auth, "{\"product_id\": -3}", 400, NULL);
    cart_add(shop, auth, "{\"product_id\": 1001}", 404, NULL);
    cart_add(shop, auth, "{\"product_id\": 0}", 404, NULL);

    json_t *doc;
    cart_add(shop, auth, item, 201, &doc);
    assert_int_equal(int_of(doc, "product_id"), 7);
    assert_int_equal(int_of(doc, "items"), 1);
    assert_int_equal(int_of(doc, "quantity"), 2);
    json_decref(doc);
    /* Templated values arrive as strings; quantity defaults to 1; scheme is case-insensitive. */
    char lower[128];
    snprintf(lower, sizeof(lower), "bearer  %s ", auth + 7);
    cart_add(shop, lower, "{\"product_id\": \"12\"}", 201, &doc);
    assert_int_equal(int_of(doc, "items"), 2);
    assert_int_equal(int_of(doc, "quantity"), 3);
    json_decref(doc);
}

static void order(struct hn_shop *shop, const char *auth, const char *body, unsigned want,
                  json_t **out_doc)
{
    struct hn_reply r;
    assert_int_equal(hn_shop_order(shop, auth, body, strlen(body), &r), 0);
    json_t *doc = take(&r, want);
    if (out_doc != NULL)
        *out_doc = doc;
    else
        json_decref(doc);
}

static void order_empties_cart(void **state)
{
    struct hn_shop *shop = *state;
    char auth[64], other[64];
    login(shop, auth, sizeof(auth));
    login(shop, other, sizeof(other));

    order(shop, NULL, "", 401, NULL);
    order(shop, "Bearer nope", "", 401, NULL);
    order(shop, auth, "", 409, NULL);
    cart_add(shop, auth, "{\"product_id\": 1, \"quantity\": 3}", 201, NULL);
    cart_add(shop, auth, "{\"product_id\": 2}", 201, NULL);
    order(shop, other, "", 409, NULL); /* carts are per session */
    order(shop, auth, "not json", 400, NULL);
    order(shop, auth, "[1]", 400, NULL);

    json_t *doc;
    order(shop, auth, "{\"payment_method\": \"card\"}", 201, &doc);
    json_int_t first_id = int_of(doc, "order_id");
    assert_int_equal(int_of(doc, "items"), 2);
    assert_int_equal(int_of(doc, "quantity"), 4);
    json_decref(doc);
    order(shop, auth, "", 409, NULL);

    cart_add(shop, auth, "{\"product_id\": 3}", 201, NULL);
    order(shop, auth, "", 201, &doc);
    assert_int_equal(int_of(doc, "order_id"), first_id + 1);
    assert_int_equal(int_of(doc, "items"), 1);
    json_decref(doc);
}

static void ring_wrap_invalidates_oldest_token(void **state)
{
    (void)state;
    struct hn_sessions *s;
    assert_int_equal(hn_sessions_new(&s), 0);
    char first[HN_SESSION_TOKEN_LEN + 1], second[HN_SESSION_TOKEN_LEN + 1];
    char token[HN_SESSION_TOKEN_LEN + 1];
    hn_sessions_login(s, first);
    hn_sessions_login(s, second);
    assert_int_equal(hn_sessions_check(s, first, HN_SESSION_TOKEN_LEN), 0);
    struct hn_cart cart;
    assert_int_equal(hn_sessions_cart_add(s, second, HN_SESSION_TOKEN_LEN, 5, &cart), 0);

    for (int i = 0; i < HN_SESSION_SLOTS - 1; i++)
        hn_sessions_login(s, token);
    /* Slot 0 was reused: the first token is dead, the second still lives. */
    assert_int_equal(hn_sessions_check(s, first, HN_SESSION_TOKEN_LEN), HN_E_INVALID);
    assert_int_equal(hn_sessions_cart_add(s, first, HN_SESSION_TOKEN_LEN, 1, &cart), HN_E_INVALID);
    assert_int_equal(hn_sessions_check(s, second, HN_SESSION_TOKEN_LEN), 0);
    assert_int_equal(hn_sessions_check(s, token, HN_SESSION_TOKEN_LEN), 0);
    assert_int_equal(hn_sessions_checkout(s, second, HN_SESSION_TOKEN_LEN, &cart), 0);
    assert_int_equal(cart.quantity, 5);

    hn_sessions_login(s, token); /* reuses slot 1 */
    assert_int_equal(hn_sessions_check(s, second, HN_SESSION_TOKEN_LEN), HN_E_INVALID);
    assert_int_equal(hn_sessions_check(s, token, HN_SESSION_TOKEN_LEN - 1), HN_E_INVALID);
    hn_sessions_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(login_validates_body, setup, teardown),
        cmocka_unit_test_setup_teardown(products_paginate, setup, teardown),
        cmocka_unit_test_setup_teardown(product_by_id, setup, teardown),
        cmocka_unit_test_setup_teardown(cart_checks_token_body_product, setup, teardown),
        cmocka_unit_test_setup_teardown(order_empties_cart, setup, teardown),
        cmocka_unit_test(ring_wrap_invalidates_oldest_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
