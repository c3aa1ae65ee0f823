/* libmicrohttpd wiring of hornet-target: the listening socket, the daemon,
 * request lifecycle (count, route, read body, reply) and the endpoints.
 * GET / and GET /json send shared prebuilt responses (pages.h), so they
 * allocate nothing per request. */
#include "server.h"
#include "units.h"

#include "delay.h"
#include "error.h"
#include "pages.h"
#include "reply.h"
#include "shop.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Request bodies above this are refused with 413. */
#define BODY_MAX (64 * 1024)
/* A body (chunked, so its size is not known up front) past this is not
 * even read: the connection is closed. Between BODY_MAX and this, it is
 * read and dropped so the client gets its 413. */
#define BODY_DISCARD_MAX (1024 * 1024)
/* GET /delay?ms=N waits at most this long. */
#define DELAY_MAX_MS 60000
/* Listen backlog: load tests open thousands of connections at once. */
#define LISTEN_BACKLOG 4096

#define TYPE_JSON "application/json"
#define TYPE_TEXT "text/plain"

struct hn_server {
    struct MHD_Daemon *mhd;
    /* POST /__stall?ms=N: until this CLOCK_MONOTONIC time every response
     * waits (the server "freezes", as in wrk2's coordinated omission demo). */
    _Atomic uint64_t stall_until_ns;
    int listen_fd; /* owned by mhd once it runs */
    struct hn_stats *stats;
    struct hn_shop *shop;
    struct hn_delay *delay;
    struct hn_pages pages;
};

/* A POST request whose body is being read. */
struct request {
    const struct route *route;
    char *body;
    size_t len, cap; /* bytes kept, bytes allocated (<= BODY_MAX) */
    size_t seen;     /* bytes received, kept or not */
    bool stalled;    /* held by a stall already: answer when resumed */
};

/* Values of *req_cls for requests with no state of their own: headers
 * seen (counted, not yet answered), GET /delay suspended or resumed, and
 * GET /status/1xx after its interim response. A POST with a body has a
 * struct request instead. */
static char headers_seen, delay_resumed, interim_sent, stall_resumed;

static bool is_marker(const void *req_cls)
{
    return req_cls == &headers_seen || req_cls == &delay_resumed || req_cls == &interim_sent ||
           req_cls == &stall_resumed;
}

struct route {
    const char *path; /* exact path, or a prefix (ending in '/') when `prefix` */
    bool prefix;
    /* GET/HEAD endpoint: called once the request is in; queues a response or suspends. */
    enum MHD_Result (*get)(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                           void **req_cls);
    /* POST endpoint: called with the whole body; fills *out. */
    int (*post)(struct hn_server *s, struct MHD_Connection *c, const char *body, size_t len,
                struct hn_reply *out);
};

/* --- helpers ------------------------------------------------------------ */

/* Strict decimal: digits only, value <= max. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    uint64_t v;
    if (s == NULL || hn_units_parse_count(s, max, &v) != 0)
        return false;
    *out = (unsigned long)v;
    return true;
}

static enum MHD_Result send_page(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    return MHD_queue_response(c, status, r);
}

/* Send and release *reply (its owned body passes to libmicrohttpd). */
static enum MHD_Result send_reply(struct hn_server *s, struct MHD_Connection *c,
                                  struct hn_reply *reply)
{
    struct MHD_Response *r;
    if (reply->owned != NULL)
        r = MHD_create_response_from_buffer(reply->body_len, reply->owned, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(reply->body_len, (void *)reply->body,
                                            MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(reply->owned);
        return send_page(c, 500, s->pages.internal);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, TYPE_JSON);
    if (reply->status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, reply->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send text built per request (copied by libmicrohttpd). */
static enum MHD_Result send_text(struct hn_server *s, struct MHD_Connection *c, unsigned status,
                                 const char *text, size_t len, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return send_page(c, 500, s->pages.internal);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *query(struct MHD_Connection *c, const char *key)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

/* --- GET endpoints ------------------------------------------------------ */

static enum MHD_Result get_root(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)arg, (void)req_cls;
    return send_page(c, 200, s->pages.root);
}

static enum MHD_Result get_json(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)arg, (void)req_cls;
    return send_page(c, 200, s->pages.json);
}

static enum MHD_Result get_health(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                  void **req_cls)
{
    (void)arg, (void)req_cls;
    return send_page(c, 200, s->pages.health);
}

/* GET /echo/ANYTHING: 200 with ANYTHING (percent-decoded) as the body, so
 * a scenario can make a rendered value visible in the path counters. */
static enum MHD_Result get_echo(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                void **req_cls)
{
    (void)req_cls;
    return send_text(s, c, 200, arg, strlen(arg), TYPE_TEXT);
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
        return send_page(c, 500, s->pages.internal);
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
    return send_text(s, c, 200, text, (size_t)n, TYPE_JSON);
}

static enum MHD_Result get_delay(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)arg;
    unsigned long ms;
    if (!parse_uint(query(c, "ms"), DELAY_MAX_MS, &ms))
        return send_page(c, 400, s->pages.bad_request);
    if (ms == 0)
        return send_delayed(s, c, 0);
    if (hn_delay_suspend(s->delay, c, (uint32_t)ms) != 0)
        return send_page(c, 503, s->pages.unavailable);
    *req_cls = &delay_resumed;
    return MHD_YES;
}

/* Called again once the timer thread resumed a GET /delay request. */
static enum MHD_Result finish_delay(struct hn_server *s, struct MHD_Connection *c)
{
    unsigned long ms = 0;
    parse_uint(query(c, "ms"), DELAY_MAX_MS, &ms); /* validated before suspending */
    return send_delayed(s, c, ms);
}

static enum MHD_Result get_status(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                  void **req_cls)
{
    (void)req_cls;
    unsigned long code;
    if (!parse_uint(arg, HN_PAGES_STATUS_MAX, &code) || code < HN_PAGES_STATUS_MIN)
        return send_page(c, 400, s->pages.bad_request);
    /* libmicrohttpd 0.9.75 sends 1xx codes as the final response, except 102,
     * after which it asks again: then we answer 200 (not 102 forever). */
    if (code < 200)
        *req_cls = &interim_sent;
    return send_page(c, (unsigned)code, s->pages.status[code - HN_PAGES_STATUS_MIN]);
}

static enum MHD_Result get_bytes(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)req_cls;
    unsigned long n;
    if (!parse_uint(arg, HN_PAGES_BYTES_MAX, &n))
        return send_page(c, 400, s->pages.bad_request);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, s->pages.bytes, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return send_page(c, 500, s->pages.internal);
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
    if (!parse_uint(arg, HN_PAGES_BYTES_MAX, &n))
        return send_page(c, 400, s->pages.bad_request);
    struct stream *st = malloc(sizeof(*st));
    if (!st)
        return send_page(c, 500, s->pages.internal);
    st->bytes = s->pages.bytes;
    st->size = n;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1000, stream_read, st, free);
    if (r == NULL) {
        free(st);
        return send_page(c, 500, s->pages.internal);
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
    if (hn_shop_products(s->shop, query(c, "page"), query(c, "limit"), &reply) != 0)
        return send_page(c, 500, s->pages.internal);
    return send_reply(s, c, &reply);
}

static enum MHD_Result get_product(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                   void **req_cls)
{
    (void)req_cls;
    struct hn_reply reply;
    if (hn_shop_product(s->shop, arg, &reply) != 0)
        return send_page(c, 500, s->pages.internal);
    return send_reply(s, c, &reply);
}

static enum MHD_Result get_stats(struct hn_server *s, struct MHD_Connection *c, const char *arg,
                                 void **req_cls)
{
    (void)arg, (void)req_cls;
    struct hn_reply reply = {.status = 200};
    if (hn_stats_to_json(s->stats, &reply.owned, &reply.body_len) != 0)
        return send_page(c, 500, s->pages.internal);
    reply.body = reply.owned;
    return send_reply(s, c, &reply);
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
    if (!parse_uint(query(c, "ms"), DELAY_MAX_MS, &ms)) {
        static const char bad[] = "{\"error\":\"ms=N wanted, N <= 60000\"}";
        *out = (struct hn_reply){.status = 400, .body = bad, .body_len = sizeof(bad) - 1};
        return 0;
    }
    atomic_store(&s->stall_until_ns, hn_delay_now_ns() + (uint64_t)ms * 1000000u);
    static const char ok[] = "{\"stalled\":true}";
    *out = (struct hn_reply){.status = 200, .body = ok, .body_len = sizeof(ok) - 1};
    return 0;
}

/* --- routing and request lifecycle -------------------------------------- */

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

/* Paths not counted in /__stats, so reading the counters does not change them. */
static bool is_counted(const char *url)
{
    return strncmp(url, "/__", 3) != 0;
}

/* During a stall, suspend a request whose answer is due until the stall
 * ends. True if it was suspended (the answer comes when it resumes). */
static bool hold_for_stall(struct hn_server *s, struct MHD_Connection *c, const char *url)
{
    uint64_t until = atomic_load(&s->stall_until_ns), now = hn_delay_now_ns();
    if (now >= until || !is_counted(url))
        return false;
    uint32_t ms = (uint32_t)((until - now + 999999u) / 1000000u);
    return hn_delay_suspend(s->delay, c, ms) == 0;
}

static const struct route *route_find(const char *url, const char **out_arg)
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

/* First call: headers are in. Count the request, and refuse a declared
 * body that is too large right away (which closes the connection). Any other
 * response waits for the final call: libmicrohttpd 0.9.75 closes the
 * connection after a response queued this early, and keep-alive matters. */
static enum MHD_Result on_headers(struct hn_server *s, struct MHD_Connection *c, const char *url,
                                  void **req_cls)
{
    if (is_counted(url))
        hn_stats_count(s->stats, url);
    *req_cls = &headers_seen;
    unsigned long declared;
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && !parse_uint(length, BODY_MAX, &declared))
        return send_page(c, 413, s->pages.too_large);
    return MHD_YES;
}

static bool is_post(const struct route *r, const char *method)
{
    return r != NULL && r->post != NULL && strcmp(method, MHD_HTTP_METHOD_POST) == 0;
}

/* Body data: POST endpoints keep up to BODY_MAX bytes; past that, and for
 * every other request, data is only counted and dropped. */
static enum MHD_Result on_body(const char *url, const char *method, const char *data, size_t n,
                               void **req_cls)
{
    if (*req_cls == &headers_seen) {
        const char *arg;
        const struct route *r = route_find(url, &arg);
        if (!is_post(r, method))
            return MHD_YES; /* answered in the final call; the body does not matter */
        struct request *req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        req->route = r;
        *req_cls = req;
    }
    if (is_marker(*req_cls))
        return MHD_YES; /* no body kept for this request */
    struct request *req = *req_cls;
    req->seen += n;
    if (req->seen > BODY_DISCARD_MAX)
        return MHD_NO;
    if (req->seen > BODY_MAX)
        return MHD_YES;
    if (req->len + n > req->cap) {
        size_t cap = req->cap == 0 ? 1024 : req->cap;
        while (cap < req->len + n)
            cap *= 2;
        if (cap > BODY_MAX)
            cap = BODY_MAX;
        char *body = realloc(req->body, cap);
        if (body == NULL)
            return MHD_NO;
        req->body = body;
        req->cap = cap;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return MHD_YES;
}

/* Final call without a kept body: route and answer. */
static enum MHD_Result on_complete(struct hn_server *s, struct MHD_Connection *c, const char *url,
                                   const char *method, void **req_cls)
{
    const char *arg;
    const struct route *r = route_find(url, &arg);
    if (r == NULL)
        return send_page(c, 404, s->pages.not_found);
    if (r->get != NULL) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return send_page(c, 405, s->pages.not_get);
        return r->get(s, c, arg, req_cls);
    }
    if (!is_post(r, method))
        return send_page(c, 405, s->pages.not_post);
    struct hn_reply reply;
    if (r->post(s, c, "", 0, &reply) != 0)
        return send_page(c, 500, s->pages.internal);
    return send_reply(s, c, &reply);
}

/* Final call of a POST whose body was read. */
static enum MHD_Result on_complete_post(struct hn_server *s, struct MHD_Connection *c,
                                        struct request *req)
{
    if (req->seen > BODY_MAX)
        return send_page(c, 413, s->pages.too_large);
    struct hn_reply reply;
    if (req->route->post(s, c, req->body, req->len, &reply) != 0)
        return send_page(c, 500, s->pages.internal);
    return send_reply(s, c, &reply);
}

/* libmicrohttpd calls this once with the headers (*req_cls NULL), once per
 * piece of body (*upload_size > 0), then once more to get the response. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct hn_server *s = cls;
    (void)version;
    if (*req_cls == NULL)
        return on_headers(s, c, url, req_cls);
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        return on_body(url, method, upload, n, req_cls);
    }
    if (*req_cls == &delay_resumed)
        return finish_delay(s, c);
    if (*req_cls == &headers_seen && hold_for_stall(s, c, url)) {
        *req_cls = &stall_resumed;
        return MHD_YES;
    }
    if (*req_cls == &headers_seen || *req_cls == &stall_resumed) {
        *req_cls = &headers_seen;
        return on_complete(s, c, url, method, req_cls);
    }
    if (*req_cls == &interim_sent)
        return send_page(c, 200, s->pages.status[200 - HN_PAGES_STATUS_MIN]);
    struct request *req = *req_cls;
    if (!req->stalled && hold_for_stall(s, c, url)) {
        req->stalled = true;
        return MHD_YES;
    }
    return on_complete_post(s, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    if (*req_cls != NULL && !is_marker(*req_cls)) {
        struct request *req = *req_cls;
        free(req->body);
        free(req);
    }
    *req_cls = NULL;
}

/* --- start and stop ----------------------------------------------------- */

int hn_server_listen(const struct sockaddr_in *addr, int *out_fd)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *out_fd = fd;
    return 0;
}

/* Free everything but the daemon; NULL-safe in every field. */
static void server_free(struct hn_server *s)
{
    hn_delay_free(s->delay);
    hn_pages_deinit(&s->pages);
    hn_shop_free(s->shop);
    hn_stats_free(s->stats);
    free(s);
}

int hn_server_start(const struct hn_server_config *cfg, int listen_fd, struct hn_server **out)
{
    struct hn_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        close(listen_fd);
        return -ENOMEM;
    }
    s->listen_fd = listen_fd;
    int rc = hn_stats_new(&s->stats);
    if (rc == 0)
        rc = hn_shop_new(&s->shop);
    if (rc == 0)
        rc = hn_delay_new(cfg->max_connections, &s->delay);
    if (rc == 0)
        rc = hn_pages_init(&s->pages);
    if (rc != 0)
        goto fail;

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (cfg->log_errors)
        flags |= MHD_USE_ERROR_LOG;
    /* TLS options only when serving HTTPS: an option list that grows. */
    struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}};
    if (cfg->tls_cert_pem) {
        flags |= MHD_USE_TLS;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
        tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
    }
    /* clang-format off */
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                              MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
                              MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
                              MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
                              MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_ARRAY, tls,
                              MHD_OPTION_END);
    /* clang-format on */
    if (s->mhd == NULL) {
        rc = HN_E_INVALID;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    close(listen_fd);
    server_free(s);
    return rc;
}

int hn_server_address(const struct hn_server *s, struct sockaddr_in *out)
{
    socklen_t len = sizeof(*out);
    if (getsockname(s->listen_fd, (struct sockaddr *)out, &len) != 0)
        return -errno;
    return 0;
}

void hn_server_stop(struct hn_server *s)
{
    if (s == NULL)
        return;
    /* libmicrohttpd aborts if it stops with a suspended connection. */
    hn_delay_shutdown(s->delay);
    MHD_stop_daemon(s->mhd); /* also closes listen_fd */
    server_free(s);
}
