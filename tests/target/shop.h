/* The demo shop API of hornet-target: login, a fixed product catalog, carts
 * and orders. Handlers take request parts as plain strings and fill a
 * struct hn_reply, so they can be tested without a server.
 *
 * Each handler returns 0 and fills *out (status and JSON body; an owned body
 * is freed by the caller with free()), or -ENOMEM and leaves *out alone. */
#pragma once

#include "reply.h"

#include <stddef.h>

/* Products have ids 1..HN_SHOP_PRODUCTS. */
#define HN_SHOP_PRODUCTS 1000
/* GET /api/products: limit is 1..HN_SHOP_LIMIT_MAX, default HN_SHOP_LIMIT_DEFAULT. */
#define HN_SHOP_LIMIT_MAX 100
#define HN_SHOP_LIMIT_DEFAULT 20
/* POST /api/cart/items: quantity is 1..HN_SHOP_QUANTITY_MAX (default 1). */
#define HN_SHOP_QUANTITY_MAX 1000

struct hn_shop;

/* Build the catalog and the session ring. Returns 0 and sets *out, or -ENOMEM. */
int hn_shop_new(struct hn_shop **out);
/* Free the shop; NULL-safe. */
void hn_shop_free(struct hn_shop *shop);

/* POST /api/auth/login, body {"email": "a@b", "password": "..."} (non-empty
 * strings, the email holding an '@') → 200 {"access_token": "<hex>"};
 * anything else → 400 {"error": ...}. */
int hn_shop_login(struct hn_shop *shop, const char *body, size_t len, struct hn_reply *out);

/* GET /api/products?page=P&limit=L. `page` and `limit` are the raw query
 * values, NULL when absent. → 200 {"data": [...], "page", "limit", "total"};
 * a page past the end has empty data; bad values → 400. */
int hn_shop_products(struct hn_shop *shop, const char *page, const char *limit,
                     struct hn_reply *out);

/* GET /api/products/{id} → 200 product, 404 if no such id, 400 if `id` is
 * not a decimal number. */
int hn_shop_product(struct hn_shop *shop, const char *id, struct hn_reply *out);

/* POST /api/cart/items with `authorization` = the Authorization header
 * (NULL when absent) and body {"product_id": N, "quantity": Q} (numbers, or
 * strings of digits; quantity optional) → 201 {"product_id", "items",
 * "quantity"} describing the cart; 401 bad token, 400 bad body, 404 no such
 * product (checked in that order). */
int hn_shop_cart_add(struct hn_shop *shop, const char *authorization, const char *body, size_t len,
                     struct hn_reply *out);

/* POST /api/orders (body ignored unless present, then it must be a JSON
 * object) → 201 {"order_id", "items", "quantity"} and the cart is emptied;
 * 401 bad token, 400 bad body, 409 empty cart. */
int hn_shop_order(struct hn_shop *shop, const char *authorization, const char *body, size_t len,
                  struct hn_reply *out);
