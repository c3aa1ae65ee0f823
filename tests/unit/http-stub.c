/* A tiny keep-alive HTTP/1.1 server for engine unit tests. Counts every
 * request by "METHOD target", logs the first SRV_LOG whole, and answers by
 * path (the query is ignored unless said):
 *   /hang          never
 *   /sleep?ms=N    200 "hello" after N ms (the server waits: one user only)
 *   /sleep-first?ms=N&k=K  the same for the server's first K of these, then at once
 *   /fail          500 "fail"
 *   /status/N      status N, body "status N"
 *   /login?u=V     200 JSON {"token":"tok-V","user":{"id":V},"name":"a b&c=d",
 *                  "quote":"say \"hi\""}, headers "X-Session: sess-V" and
 *                  "Set-Cookie: sid=V; Path=/"
 *   /json          200 JSON {"status":"paid","total":42.0,"ok":true,"note":null,
 *                  "items":[{"id":7},{"id":8}]}
 *   /page          200 HTML with <input name="csrf" value="c5rf-77">
 *   /empty         200 with an empty body
 *   /echo          200 with the request body as its body
 *   /cookie        200 with the request's Cookie header (or "none") as body
 *   /redirect      302 to /a
 *   anything else  200 "hello"
 * HEAD gets the headers only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http-stub.h"

static void srv_count_add(struct srv *s, const struct srv_req *req)
{
    char key[sizeof(s->counts[0].key)];
    snprintf(key, sizeof(key), "%s %s", req->method, req->target);
    pthread_mutex_lock(&s->lock);
    uint32_t i = 0;
    while (i < s->n_keys && strcmp(s->counts[i].key, key) != 0)
        i++;
    if (i == s->n_keys && i < SRV_KEYS)
        snprintf(s->counts[s->n_keys++].key, sizeof(s->counts[i].key), "%s", key);
    if (i < SRV_KEYS)
        s->counts[i].n++;
    s->total++;
    if (s->n_log < SRV_LOG)
        s->log[s->n_log++] = *req;
    pthread_mutex_unlock(&s->lock);
}

double srv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t srv_count(struct srv *s, const char *key)
{
    uint64_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->n_keys; i++)
        if (strcmp(s->counts[i].key, key) == 0)
            n = s->counts[i].n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t srv_count_prefix(struct srv *s, const char *prefix)
{
    uint64_t n = 0;
    size_t len = strlen(prefix);
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->n_keys; i++)
        if (strncmp(s->counts[i].key, prefix, len) == 0)
            n += s->counts[i].n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t srv_total(struct srv *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->total;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint32_t srv_logged(struct srv *s)
{
    pthread_mutex_lock(&s->lock);
    uint32_t n = s->n_log;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void srv_log_get(struct srv *s, uint32_t i, struct srv_req *out)
{
    pthread_mutex_lock(&s->lock);
    assert_true(i < s->n_log);
    *out = s->log[i];
    pthread_mutex_unlock(&s->lock);
}

bool srv_req_header(const struct srv_req *req, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *line = req->head;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            snprintf(out, cap, "%.*s", (int)(eol - v), v);
            return true;
        }
        if ((size_t)(eol - line) == nl && strncasecmp(line, name, nl) == 0)
            return false; /* cannot happen: a line without ':' */
        line = eol + 2;
    }
    return false;
}

static void srv_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 100);
            continue;
        }
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Send a response: status line, Content-Length, @extra header lines (each
 * ending in CRLF), then the body unless HEAD. */
static void srv_respond(int fd, bool head, int status, const char *extra, const char *body,
                        size_t body_len)
{
    char buf[SRV_BODY_MAX * 2 + 1024];
    if (body_len > SRV_BODY_MAX * 2)
        body_len = SRV_BODY_MAX * 2; /* no cmocka assert here: not the test's thread */
    int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status,
                     body_len, extra ? extra : "");
    if (n < 0 || (size_t)n + body_len > sizeof(buf))
        return;
    if (!head && body_len) {
        memcpy(buf + n, body, body_len);
        n += (int)body_len;
    }
    srv_send(fd, buf, (size_t)n);
}

/* The value of query parameter @key of @target, or "" (copied to @out). */
static void query_value(const char *target, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    const char *q = strchr(target, '?');
    size_t kl = strlen(key);
    while (q) {
        q++;
        if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
            const char *v = q + kl + 1;
            size_t vl = strcspn(v, "&");
            snprintf(out, cap, "%.*s", (int)vl, v);
            return;
        }
        q = strchr(q, '&');
    }
}

static bool path_is(const char *target, const char *path)
{
    size_t n = strlen(path);
    return strncmp(target, path, n) == 0 &&
           (target[n] == '\0' || target[n] == '?' || target[n] == '/');
}

/* /sleep-first calls since the server started (its thread only). */
static unsigned sleep_first_calls;

static void srv_route(int fd, const struct srv_req *req)
{
    bool head = strcmp(req->method, "HEAD") == 0;
    const char *t = req->target;
    char body[SRV_BODY_MAX + 256], extra[512];
    if (path_is(t, "/hang"))
        return;
    if (path_is(t, "/sleep") || path_is(t, "/sleep-first")) {
        char ms[16], k[16] = "";
        query_value(t, "ms", ms, sizeof(ms));
        query_value(t, "k", k, sizeof(k));
        if (path_is(t, "/sleep") || sleep_first_calls++ < (unsigned)atoi(k))
            usleep((useconds_t)atoi(ms) * 1000);
        srv_respond(fd, head, 200, NULL, "hello", 5);
        return;
    }
    if (path_is(t, "/fail")) {
        srv_respond(fd, head, 500, NULL, "fail", 4);
    } else if (strncmp(t, "/status/", 8) == 0) {
        int status = atoi(t + 8);
        int n = snprintf(body, sizeof(body), "status %d", status);
        srv_respond(fd, head, status, NULL, body, (size_t)n);
    } else if (path_is(t, "/login")) {
        char u[64];
        query_value(t, "u", u, sizeof(u));
        int n = snprintf(body, sizeof(body),
                         "{\"token\":\"tok-%s\",\"user\":{\"id\":%s},\"name\":\"a b&c=d\","
                         "\"quote\":\"say \\\"hi\\\"\"}",
                         u, u[0] ? u : "0");
        snprintf(extra, sizeof(extra), "X-Session: sess-%s\r\nSet-Cookie: sid=%s; Path=/\r\n", u,
                 u);
        srv_respond(fd, head, 200, extra, body, (size_t)n);
    } else if (path_is(t, "/json")) {
        static const char json[] = "{\"status\":\"paid\",\"total\":42.0,\"ok\":true,\"note\":null,"
                                   "\"items\":[{\"id\":7},{\"id\":8}]}";
        srv_respond(fd, head, 200, "Content-Type: application/json\r\n", json, sizeof(json) - 1);
    } else if (path_is(t, "/page")) {
        static const char page[] =
            "<html><form><input name=\"csrf\" value=\"c5rf-77\"></form></html>";
        srv_respond(fd, head, 200, NULL, page, sizeof(page) - 1);
    } else if (path_is(t, "/empty")) {
        srv_respond(fd, head, 200, NULL, "", 0);
    } else if (path_is(t, "/echo")) {
        srv_respond(fd, head, 200, NULL, req->body, req->body_len);
    } else if (path_is(t, "/redirect")) {
        srv_respond(fd, head, 302, "Location: /a\r\n", "moved", 5);
    } else if (path_is(t, "/cookie")) {
        char cookie[512];
        if (!srv_req_header(req, "Cookie", cookie, sizeof(cookie)))
            strcpy(cookie, "none");
        srv_respond(fd, head, 200, NULL, cookie, strlen(cookie));
    } else {
        srv_respond(fd, head, 200, NULL, "hello", 5);
    }
}

/* Answer every complete request in the buffer. */
static void srv_serve(struct srv *s, struct srv_conn *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!end)
            return;
        size_t head_len = (size_t)(end - c->buf) + 4, body = 0;
        struct srv_req req;
        memset(&req, 0, sizeof(req));
        req.at = srv_now();
        req.conn = c->id;
        /* The request line, then the header lines. */
        char *eol = memmem(c->buf, head_len, "\r\n", 2);
        char line[SRV_KEY_MAX + 64];
        snprintf(line, sizeof(line), "%.*s", (int)(eol - c->buf), c->buf);
        _Static_assert(SRV_KEY_MAX == 192, "the format below reads 191 bytes");
        if (sscanf(line, "%15s %191s", req.method, req.target) != 2)
            return;
        size_t hl = head_len - 2 - (size_t)(eol + 2 - c->buf);
        snprintf(req.head, sizeof(req.head), "%.*s", (int)hl, eol + 2);
        char cl[32];
        if (srv_req_header(&req, "Content-Length", cl, sizeof(cl))) {
            req.has_content_length = true;
            body = strtoul(cl, NULL, 10);
        }
        if (c->len < head_len + body)
            return;
        req.body_len = body < SRV_BODY_MAX ? body : SRV_BODY_MAX;
        memcpy(req.body, c->buf + head_len, req.body_len);
        srv_count_add(s, &req);
        srv_route(c->fd, &req);
        memmove(c->buf, c->buf + head_len + body, c->len - head_len - body);
        c->len -= head_len + body;
    }
}

static void srv_close(struct srv_conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    struct pollfd pfd[2 + SRV_CONNS];
    struct srv_conn *owner[2 + SRV_CONNS];
    for (;;) {
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (int i = 0; i < SRV_CONNS; i++) {
            if (s->conns[i].fd >= 0) {
                owner[n] = &s->conns[i];
                pfd[n++] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
            }
        }
        if (poll(pfd, n, 1000) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break;
        if (pfd[1].revents & POLLIN) {
            int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            int i = 0;
            while (fd >= 0 && i < SRV_CONNS && s->conns[i].fd >= 0)
                i++;
            if (fd >= 0 && i < SRV_CONNS) {
                s->conns[i].fd = fd;
                s->conns[i].id = ++s->accepted;
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (nfds_t k = 2; k < n; k++) {
            struct srv_conn *c = owner[k];
            if (!pfd[k].revents)
                continue;
            ssize_t got = recv(c->fd, c->buf + c->len, SRV_BUF - c->len, 0);
            if (got < 0 && errno == EAGAIN)
                continue;
            if (got <= 0) {
                srv_close(c);
                continue;
            }
            c->len += (size_t)got;
            srv_serve(s, c);
            if (c->len == SRV_BUF) /* a request larger than we take */
                srv_close(c);
        }
    }
    for (int i = 0; i < SRV_CONNS; i++)
        if (s->conns[i].fd >= 0)
            srv_close(&s->conns[i]);
    return NULL;
}

/* A listening socket on 127.0.0.1 and a free port. */
int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 128), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

struct srv *srv_start(void)
{
    struct srv *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    for (int i = 0; i < SRV_CONNS; i++)
        s->conns[i].fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    assert_int_equal(pipe2(s->wake, O_CLOEXEC), 0);
    s->listen_fd = listen_any(&s->port);
    sleep_first_calls = 0;
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

void srv_stop(struct srv *s)
{
    if (!s)
        return;
    assert_int_equal(write(s->wake[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
