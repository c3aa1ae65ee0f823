/* Shop API handlers: request bodies are parsed with jansson; the catalog is
 * rendered once at start (one JSON fragment per product), so product pages
 * are served by copying fragments, not by building JSON per request. */
#include "shop.h"
#include "units.h"

#include "error.h"
#include "session.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits on login fields, so one request cannot make us hold much. */
#define EMAIL_MAX 254
#define PASSWORD_MAX 1024
/* Largest number accepted for a page or an id; a page past the catalog is
 * just empty, an id past it is 404. */
#define NUMBER_MAX 1000000000ul

struct hn_shop {
    struct hn_sessions *sessions;
    atomic_uint_fast64_t next_order_id;
    char *products[HN_SHOP_PRODUCTS]; /* compact JSON object per product, id = index + 1 */
    size_t product_len[HN_SHOP_PRODUCTS];
};

static const char *const adjectives[10] = {"Swift", "Quiet", "Bright",  "Sturdy", "Tiny",
                                           "Grand", "Smart", "Classic", "Rapid",  "Gentle"};
static const char *const materials[10] = {"Copper", "Oak",    "Steel",  "Glass",  "Wool",
                                          "Bamboo", "Marble", "Cotton", "Carbon", "Leather"};
static const char *const nouns[10] = {"Widget", "Lamp",    "Chair",    "Kettle", "Backpack",
                                      "Clock",  "Speaker", "Notebook", "Mug",    "Bicycle"};

/* Render product `id`: a unique name and a price in 1.00 .. 999.99. */
static char *render_product(unsigned id)
{
    unsigned i = id - 1;
    char name[64];
    snprintf(name, sizeof(name), "%s %s %s", adjectives[i % 10], materials[(i / 10) % 10],
             nouns[i / 100]);
    unsigned cents = 100 + (i * 7919u + 13u) % 99900u;
    json_t *p = json_pack("{s:i, s:s, s:f}", "id", (int)id, "name", name, "price", cents / 100.0);
    if (p == NULL)
        return NULL;
    char *text = json_dumps(p, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(p);
    return text;
}

int hn_shop_new(struct hn_shop **out)
{
    struct hn_shop *shop = calloc(1, sizeof(*shop));
    if (shop == NULL)
        return -ENOMEM;
    int rc = hn_sessions_new(&shop->sessions);
    if (rc != 0)
        goto fail;
    for (unsigned i = 0; i < HN_SHOP_PRODUCTS; i++) {
        shop->products[i] = render_product(i + 1);
        if (shop->products[i] == NULL) {
            rc = -ENOMEM;
            goto fail;
        }
        shop->product_len[i] = strlen(shop->products[i]);
    }
    atomic_init(&shop->next_order_id, 1);
    *out = shop;
    return 0;
fail:
    hn_shop_free(shop);
    return rc;
}

void hn_shop_free(struct hn_shop *shop)
{
    if (shop == NULL)
        return;
    for (unsigned i = 0; i < HN_SHOP_PRODUCTS; i++)
        free(shop->products[i]);
    hn_sessions_free(shop->sessions);
    free(shop);
}

/* --- replies ------------------------------------------------------------ */

static int reply_static(struct hn_reply *out, unsigned status, const char *json)
{
    *out = (struct hn_reply){.status = status, .body = json, .body_len = strlen(json)};
    return 0;
}

/* Send `doc` (reference stolen) as the body. */
static int reply_json(struct hn_reply *out, unsigned status, json_t *doc)
{
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text == NULL)
        return -ENOMEM;
    *out =
        (struct hn_reply){.status = status, .body = text, .body_len = strlen(text), .owned = text};
    return 0;
}

#define ERR_JSON(msg) "{\"error\":\"" msg "\"}"

static int reply_unauthorized(struct hn_reply *out)
{
    return reply_static(out, 401, ERR_JSON("missing or invalid bearer token"));
}

/* --- input parsing ------------------------------------------------------ */

/* Strict decimal: digits only, no sign or spaces, value <= max. */
static bool parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
    uint64_t v;
    if (s == NULL || hn_units_parse_count(s, max, &v) != 0)
        return false;
    *out = (unsigned long)v;
    return true;
}

/* A JSON number field that templating may have turned into a string:
 * accept an integer or a string of digits, in min..max. */
static bool json_get_uint(const json_t *v, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long n;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || (unsigned long long)i > max)
            return false;
        n = (unsigned long)i;
    } else if (!json_is_string(v) || !parse_decimal(json_string_value(v), max, &n)) {
        return false;
    }
    if (n < min)
        return false;
    *out = n;
    return true;
}

/* Parse a body that must be one JSON object; NULL if it is not. */
static json_t *parse_object(const char *body, size_t len)
{
    json_error_t err;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (doc != NULL && !json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The token of "Authorization: Bearer <token>"; false if absent or another scheme. */
static bool bearer_token(const char *authorization, const char **out, size_t *out_len)
{
    static const char scheme[] = "Bearer";
    if (authorization == NULL || strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
        return false;
    const char *p = authorization + sizeof(scheme) - 1;
    if (*p != ' ')
        return false;
    while (*p == ' ')
        p++;
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    *out = p;
    *out_len = len;
    return true;
}

static bool valid_text(const json_t *v, size_t max)
{
    size_t len = json_is_string(v) ? json_string_length(v) : 0;
    return len > 0 && len <= max;
}

/* --- handlers ----------------------------------------------------------- */

int hn_shop_login(struct hn_shop *shop, const char *body, size_t len, struct hn_reply *out)
{
    json_t *doc = parse_object(body, len);
    if (doc == NULL)
        return reply_static(out, 400, ERR_JSON("body must be a JSON object"));
    const json_t *email = json_object_get(doc, "email");
    const json_t *password = json_object_get(doc, "password");
    bool ok = valid_text(email, EMAIL_MAX) && valid_text(password, PASSWORD_MAX) &&
              strchr(json_string_value(email), '@') != NULL;
    json_decref(doc);
    if (!ok)
        return reply_static(out, 400, ERR_JSON("email and password must be non-empty strings"));

    char token[HN_SESSION_TOKEN_LEN + 1];
    hn_sessions_login(shop->sessions, token);
    return reply_json(out, 200, json_pack("{s:s}", "access_token", token));
}

int hn_shop_products(struct hn_shop *shop, const char *page, const char *limit,
                     struct hn_reply *out)
{
    unsigned long p = 1, l = HN_SHOP_LIMIT_DEFAULT;
    if ((page != NULL && (!parse_decimal(page, NUMBER_MAX, &p) || p < 1)) ||
        (limit != NULL && (!parse_decimal(limit, HN_SHOP_LIMIT_MAX, &l) || l < 1)))
        return reply_static(out, 400, ERR_JSON("page must be >= 1 and limit 1..100"));

    unsigned long first = (p - 1) * l; /* index of the first product shown */
    unsigned long n = first < HN_SHOP_PRODUCTS ? HN_SHOP_PRODUCTS - first : 0;
    if (n > l)
        n = l;
    size_t cap = 96; /* envelope and numbers */
    for (unsigned long i = 0; i < n; i++)
        cap += shop->product_len[first + i] + 1;
    char *text = malloc(cap);
    if (text == NULL)
        return -ENOMEM;
    size_t at = 0;
    memcpy(text, "{\"data\":[", 9);
    at = 9;
    for (unsigned long i = 0; i < n; i++) {
        if (i > 0)
            text[at++] = ',';
        memcpy(text + at, shop->products[first + i], shop->product_len[first + i]);
        at += shop->product_len[first + i];
    }
    at += (size_t)snprintf(text + at, cap - at, "],\"page\":%lu,\"limit\":%lu,\"total\":%d}", p, l,
                           HN_SHOP_PRODUCTS);
    *out = (struct hn_reply){.status = 200, .body = text, .body_len = at, .owned = text};
    return 0;
}

int hn_shop_product(struct hn_shop *shop, const char *id, struct hn_reply *out)
{
    unsigned long n;
    if (!parse_decimal(id, NUMBER_MAX, &n)) {
        if (id != NULL && strspn(id, "0123456789") == strlen(id) && *id != '\0')
            return reply_static(out, 404, ERR_JSON("no such product"));
        return reply_static(out, 400, ERR_JSON("product id must be a number"));
    }
    if (n < 1 || n > HN_SHOP_PRODUCTS)
        return reply_static(out, 404, ERR_JSON("no such product"));
    *out = (struct hn_reply){
        .status = 200, .body = shop->products[n - 1], .body_len = shop->product_len[n - 1]};
    return 0;
}

/* The bearer token of @authorization, when it names a live session. */
static bool authorized(struct hn_shop *shop, const char *authorization, const char **token,
                       size_t *token_len)
{
    return bearer_token(authorization, token, token_len) &&
           hn_sessions_check(shop->sessions, *token, *token_len) == 0;
}

int hn_shop_cart_add(struct hn_shop *shop, const char *authorization, const char *body, size_t len,
                     struct hn_reply *out)
{
    const char *token;
    size_t token_len;
    if (!authorized(shop, authorization, &token, &token_len))
        return reply_unauthorized(out);

    json_t *doc = parse_object(body, len);
    unsigned long product_id = 0, quantity = 1;
    bool ok = doc != NULL &&
              json_get_uint(json_object_get(doc, "product_id"), 0, NUMBER_MAX, &product_id);
    const json_t *q = doc != NULL ? json_object_get(doc, "quantity") : NULL;
    if (ok && q != NULL)
        ok = json_get_uint(q, 1, HN_SHOP_QUANTITY_MAX, &quantity);
    json_decref(doc);
    if (!ok)
        return reply_static(out, 400, ERR_JSON("body needs product_id and quantity 1..1000"));
    if (product_id < 1 || product_id > HN_SHOP_PRODUCTS)
        return reply_static(out, 404, ERR_JSON("no such product"));

    struct hn_cart cart;
    if (hn_sessions_cart_add(shop->sessions, token, token_len, (uint32_t)quantity, &cart) != 0)
        return reply_unauthorized(out); /* the session was overwritten meanwhile */
    return reply_json(out, 201,
                      json_pack("{s:I, s:I, s:I}", "product_id", (json_int_t)product_id, "items",
                                (json_int_t)cart.items, "quantity", (json_int_t)cart.quantity));
}

int hn_shop_order(struct hn_shop *shop, const char *authorization, const char *body, size_t len,
                  struct hn_reply *out)
{
    const char *token;
    size_t token_len;
    if (!authorized(shop, authorization, &token, &token_len))
        return reply_unauthorized(out);
    if (len > 0) {
        json_t *doc = parse_object(body, len);
        if (doc == NULL)
            return reply_static(out, 400, ERR_JSON("body must be a JSON object"));
        json_decref(doc);
    }

    struct hn_cart cart;
    int rc = hn_sessions_checkout(shop->sessions, token, token_len, &cart);
    if (rc == HN_E_STATE)
        return reply_static(out, 409, ERR_JSON("cart is empty"));
    if (rc != 0)
        return reply_unauthorized(out);
    uint64_t order_id = atomic_fetch_add(&shop->next_order_id, 1);
    return reply_json(out, 201,
                      json_pack("{s:I, s:I, s:I}", "order_id", (json_int_t)order_id, "items",
                                (json_int_t)cart.items, "quantity", (json_int_t)cart.quantity));
}
