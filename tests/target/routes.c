/* hornet-target's endpoints (README.md lists them) and their routing
 * table. GET / and GET /json send shared prebuilt responses (pages.h), so
 * they allocate nothing per request. */
#include "server_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- GET endpoints ------------------------------------------------------ */

static enum MHD_Result get_root(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)arg, (void)req_cls;
    return hn_send_page(c, 200, s->pages.root);
}

static enum MHD_Result get_json(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)arg, (void)req_cls;
    return hn_send_page(c, 200, s->pages.json);
}

static enum MHD_Result get_health(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                  void **req_cls)
{
    (void)arg, (void)req_cls;
    return hn_send_page(c, 200, s->pages.health);
}

/* GET /echo/ANYTHING: 200 with ANYTHING (percent-decoded) as the body, so
 * a scenario can make a rendered value visible in the path counters. */
static enum MHD_Result get_echo(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)req_cls;
    return hn_send_text(s, c, 200, arg, strlen(arg), TYPE_TEXT);
}

/* GET /close: 200, and the connection is closed after it (every request
 * opens a new connection: the cost of connection set-up, TLS included). */
static enum MHD_Result get_close(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)arg, (void)req_cls;
    static const char ok[] = "closing\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return hn_send_page(c, 500, s->pages.internal);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TYPE_TEXT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_delayed(struct hn_server *s, struct MHD_Connection *c, unsigned long ms)
{
    char text[48];
    int n = snprintf(text, sizeof(text), "{\"delay_ms\":%lu}\n", ms);
    return hn_send_text(s, c, 200, text, (size_t)n, TYPE_JSON);
}

static enum MHD_Result get_delay(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)arg;
    unsigned long ms;
    if (!hn_parse_uint(hn_query_arg(c, "ms"), DELAY_MAX_MS, &ms))
        return hn_send_page(c, 400, s->pages.bad_request);
    if (ms == 0)
        return send_delayed(s, c, 0);
    if (hn_delay_suspend(s->delay, c, (uint32_t)ms) != 0)
        return hn_send_page(c, 503, s->pages.unavailable);
    *req_cls = &hn_req_delay_resumed;
    return MHD_YES;
}

/* Called again once the timer thread resumed a GET /delay request. */
enum MHD_Result hn_finish_delay(struct hn_server *s, struct MHD_Connection *c)
{
    unsigned long ms = 0;
    hn_parse_uint(hn_query_arg(c, "ms"), DELAY_MAX_MS, &ms); /* validated before suspending */
    return send_delayed(s, c, ms);
}

static enum MHD_Result get_status(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                  void **req_cls)
{
    (void)req_cls;
    unsigned long code;
    if (!hn_parse_uint(arg, HN_PAGES_STATUS_MAX, &code) || code < HN_PAGES_STATUS_MIN)
        return hn_send_page(c, 400, s->pages.bad_request);
    /* libmicrohttpd 0.9.75 sends 1xx codes as the final response, except 102,
     * after which it asks again: then we answer 200 (not 102 forever). */
    if (code < 200)
        *req_cls = &hn_req_interim_sent;
    return hn_send_page(c, (unsigned)code, s->pages.status[code - HN_PAGES_STATUS_MIN]);
}

static enum MHD_Result get_bytes(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)req_cls;
    unsigned long n;
    if (!hn_parse_uint(arg, HN_PAGES_BYTES_MAX, &n))
        return hn_send_page(c, 400, s->pages.bad_request);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, s->pages.bytes, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return hn_send_page(c, 500, s->pages.internal);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* Body bytes of /chunked/N and /unsized/N, produced in blocks. */
struct stream {
    const char *bytes;
    uint64_t size;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    if (pos >= st->size)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = st->size - pos < max ? (size_t)(st->size - pos) : max;
    memcpy(buf, st->bytes + pos, n);
    return (ssize_t)n;
}

/* GET /chunked/N and /unsized/N: /bytes/N without a Content-Length, in
 * chunks of at most 1000 bytes, or (unsized) ended by closing the
 * connection, as an HTTP/1.0 server would. */
static enum MHD_Result send_stream(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                   bool unsized)
{
    unsigned long n;
    if (!hn_parse_uint(arg, HN_PAGES_BYTES_MAX, &n))
        return hn_send_page(c, 400, s->pages.bad_request);
    struct stream *st = malloc(sizeof(*st));
    if (!st)
        return hn_send_page(c, 500, s->pages.internal);
    st->bytes = s->pages.bytes;
    st->size = n;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1000, stream_read, st, free);
    if (r == NULL) {
        free(st);
        return hn_send_page(c, 500, s->pages.internal);
    }
    if (unsized)
        MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result get_chunked(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                   void **req_cls)
{
    (void)req_cls;
    return send_stream(s, c, arg, false);
}

static enum MHD_Result get_unsized(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                   void **req_cls)
{
    (void)req_cls;
    return send_stream(s, c, arg, true);
}

static enum MHD_Result get_products(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                    void **req_cls)
{
    (void)arg, (void)req_cls;
    struct hn_reply reply;
    if (hn_shop_products(s->shop, hn_query_arg(c, "page"), hn_query_arg(c, "limit"), &reply) != 0)
        return hn_send_page(c, 500, s->pages.internal);
    return hn_send_reply(s, c, &reply);
}

static enum MHD_Result get_product(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                   void **req_cls)
{
    (void)req_cls;
    struct hn_reply reply;
    if (hn_shop_product(s->shop, arg, &reply) != 0)
        return hn_send_page(c, 500, s->pages.internal);
    return hn_send_reply(s, c, &reply);
}

static enum MHD_Result get_stats(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)arg, (void)req_cls;
    struct hn_reply reply = {.status = 200};
    if (hn_stats_to_json(s->stats, &reply.owned, &reply.body_len) != 0)
        return hn_send_page(c, 500, s->pages.internal);
    reply.body = reply.owned;
    return hn_send_reply(s, c, &reply);
}

/* --- POST endpoints ----------------------------------------------------- */

static const char *authorization(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
}

static int post_login(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                      struct hn_reply *out)
{
    (void)c;
    return hn_shop_login(s->shop, body, len, out);
}

static int post_cart(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                     struct hn_reply *out)
{
    return hn_shop_cart_add(s->shop, authorization(c), body, len, out);
}

static int post_order(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                      struct hn_reply *out)
{
    return hn_shop_order(s->shop, authorization(c), body, len, out);
}

/* The control endpoints change what every client gets (the counters, a
 * freeze): they answer clients on this host only, also when the server
 * listens on every address (the demo's systemd unit does). */
static bool from_this_host(struct MHD_Connection *c, struct hn_reply *out)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET &&
        ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24 == 127)
        return true;
    static const char refused[] = "{\"error\":\"control endpoints answer clients on this host "
                                  "only (127.0.0.0/8)\"}";
    *out = (struct hn_reply){.status = 403, .body = refused, .body_len = sizeof(refused) - 1};
    return false;
}

static int post_reset(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                      struct hn_reply *out)
{
    (void)body, (void)len;
    if (!from_this_host(c, out))
        return 0;
    hn_stats_reset(s->stats);
    static const char ok[] = "{\"reset\":true}";
    *out = (struct hn_reply){.status = 200, .body = ok, .body_len = sizeof(ok) - 1};
    return 0;
}

/* POST /__stall?ms=N: hold every response for the next N ms. */
static int post_stall(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                      struct hn_reply *out)
{
    (void)body, (void)len;
    if (!from_this_host(c, out))
        return 0;
    unsigned long ms;
    if (!hn_parse_uint(hn_query_arg(c, "ms"), DELAY_MAX_MS, &ms)) {
        static const char bad[] = "{\"error\":\"ms=N wanted, N <= 60000\"}";
        *out = (struct hn_reply){.status = 400, .body = bad, .body_len = sizeof(bad) - 1};
        return 0;
    }
    atomic_store(&s->stall_until_ns, hn_delay_now_ns() + (uint64_t)ms * 1000000u);
    static const char ok[] = "{\"stalled\":true}";
    *out = (struct hn_reply){.status = 200, .body = ok, .body_len = sizeof(ok) - 1};
    return 0;
}

/* --- routing ----------------------------------------------------------- */

static const struct route routes[] = {
    {"/", false, get_root, NULL},
    {"/json", false, get_json, NULL},
    {"/health", false, get_health, NULL},
    {"/delay", false, get_delay, NULL},
    {"/status/", true, get_status, NULL},
    {"/bytes/", true, get_bytes, NULL},
    {"/chunked/", true, get_chunked, NULL},
    {"/unsized/", true, get_unsized, NULL},
    {"/echo/", true, get_echo, NULL},
    {"/close", false, get_close, NULL},
    {"/api/auth/login", false, NULL, post_login},
    {"/api/products", false, get_products, NULL},
    {"/api/products/", true, get_product, NULL},
    {"/api/cart/items", false, NULL, post_cart},
    {"/api/orders", false, NULL, post_order},
    {"/__stats", false, get_stats, NULL},
    {"/__reset", false, NULL, post_reset},
    {"/__stall", false, NULL, post_stall},
};

const struct route *hn_route_find(const char *url, const char **out_arg)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (!r->prefix && strcmp(url, r->path) == 0) {
            *out_arg = "";
            return r;
        }
        size_t n = strlen(r->path);
        if (r->prefix && strncmp(url, r->path, n) == 0) {
            *out_arg = url + n;
            return r;
        }
    }
    return NULL;
}
