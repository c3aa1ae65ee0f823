/* libmicrohttpd wiring of hornet-target: the listening socket, the daemon
 * and the request lifecycle (count, hold during a stall, read the body,
 * route, reply). The endpoints are in routes.c. */
#include "server.h"
#include "server_internal.h"

#include "error.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Listen backlog: load tests open thousands of connections at once. */
#define LISTEN_BACKLOG 4096

/* A POST request whose body is being read. */
struct request {
    const struct route *route;
    char *body;
    size_t len, cap; /* bytes kept, bytes allocated (<= BODY_MAX) */
    size_t seen;     /* bytes received, kept or not */
    bool stalled;    /* held by a stall already: answer when resumed */
};

/* Values of *req_cls for requests with no state of their own (see
 * server_internal.h). */
char hn_req_headers_seen, hn_req_delay_resumed, hn_req_interim_sent, hn_req_stall_resumed;

/* --- request lifecycle ------------------------------------------------- */

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

/* First call: headers are in. Count the request, and refuse a declared
 * body that is too large right away (which closes the connection). Any other
 * response waits for the final call: libmicrohttpd 0.9.75 closes the
 * connection after a response queued this early, and keep-alive matters. */
static enum MHD_Result on_headers(struct hn_server *s, struct MHD_Connection *c, const char *url,
                                  void **req_cls)
{
    if (is_counted(url))
        hn_stats_count(s->stats, url);
    *req_cls = &hn_req_headers_seen;
    unsigned long declared;
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && !hn_parse_uint(length, BODY_MAX, &declared))
        return hn_send_page(c, 413, s->pages.too_large);
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
    if (*req_cls == &hn_req_headers_seen) {
        const char *arg;
        const struct route *r = hn_route_find(url, &arg);
        if (!is_post(r, method))
            return MHD_YES; /* answered in the final call; the body does not matter */
        struct request *req = calloc(1, sizeof(*req));
        if (req == NULL)
            return MHD_NO;
        req->route = r;
        *req_cls = req;
    }
    if (hn_req_is_marker(*req_cls))
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
    const struct route *r = hn_route_find(url, &arg);
    if (r == NULL)
        return hn_send_page(c, 404, s->pages.not_found);
    if (r->get != NULL) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return hn_send_page(c, 405, s->pages.not_get);
        return r->get(s, c, arg, req_cls);
    }
    if (!is_post(r, method))
        return hn_send_page(c, 405, s->pages.not_post);
    struct hn_reply reply;
    if (r->post(s, c, "", 0, &reply) != 0)
        return hn_send_page(c, 500, s->pages.internal);
    return hn_send_reply(s, c, &reply);
}

/* Final call of a POST whose body was read. */
static enum MHD_Result on_complete_post(struct hn_server *s, struct MHD_Connection *c,
                                        struct request *req)
{
    if (req->seen > BODY_MAX)
        return hn_send_page(c, 413, s->pages.too_large);
    struct hn_reply reply;
    if (req->route->post(s, c, req->body, req->len, &reply) != 0)
        return hn_send_page(c, 500, s->pages.internal);
    return hn_send_reply(s, c, &reply);
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
    if (*req_cls == &hn_req_delay_resumed)
        return hn_finish_delay(s, c);
    if (*req_cls == &hn_req_headers_seen && hold_for_stall(s, c, url)) {
        *req_cls = &hn_req_stall_resumed;
        return MHD_YES;
    }
    if (*req_cls == &hn_req_headers_seen || *req_cls == &hn_req_stall_resumed) {
        *req_cls = &hn_req_headers_seen;
        return on_complete(s, c, url, method, req_cls);
    }
    if (*req_cls == &hn_req_interim_sent)
        return hn_send_page(c, 200, s->pages.status[200 - HN_PAGES_STATUS_MIN]);
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
    if (*req_cls != NULL && !hn_req_is_marker(*req_cls)) {
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
