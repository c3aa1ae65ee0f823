/* The transport seam (worker/http.h) with both transports side by side:
 * every case sends the same step through a full libcurl transfer and
 * through the fast path, against a scripted server that answers with
 * exact bytes (good, chunked, close-delimited, 1xx, HEAD/204/304,
 * truncated, garbage, resets, timeouts, servers that close idle
 * connections), and checks that both give the same result: status,
 * failure kind, bytes, kept body, header captures, connection reuse. The
 * server also records each request's raw bytes: the fast path must write
 * exactly what libcurl writes. Bounded in time: every wait has a deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "recorder.h"

/* ---- A scripted server: a thread per connection ---- */

enum after { KEEP, CLOSE, RESET, HANG, CLOSE_LATER };

struct script {
    const char *name;     /* the request path is "/" name */
    const char *response; /* exact bytes */
    size_t len;           /* 0: strlen(response) */
    enum after after;
};

#define REQ_MAX 8192

static struct {
    int fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock;
    const struct script *scripts;
    size_t n_scripts;
    char last[2][REQ_MAX]; /* raw bytes of the last two requests */
    size_t last_len[2];
    uint32_t requests, accepted;
    volatile bool stop;
} srv;

static const struct script *find_script(const char *path)
{
    for (size_t i = 0; i < srv.n_scripts; i++)
        if (strcmp(path + 1, srv.scripts[i].name) == 0)
            return &srv.scripts[i];
    return NULL;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Wait until the peer closes (or 5 s). */
static void hang(int fd)
{
    char b[256];
    struct pollfd pfd = {fd, POLLIN, 0};
    for (int i = 0; i < 50 && poll(&pfd, 1, 100) >= 0; i++)
        if ((pfd.revents & POLLIN) && recv(fd, b, sizeof(b), 0) <= 0)
            return;
}

static void *serve_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[REQ_MAX];
    size_t len = 0;
    for (;;) {
        char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (!end) {
            if (len == sizeof(buf))
                break;
            ssize_t r = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (r <= 0)
                break;
            len += (size_t)r;
            continue;
        }
        size_t head = (size_t)(end - buf) + 4, body = 0;
        const char *cl = memmem(buf, head, "Content-Length: ", 16);
        if (cl)
            body = strtoul(cl + 16, NULL, 10);
        while (len < head + body && len < sizeof(buf)) {
            ssize_t r = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        size_t req_len = head + body < len ? head + body : len;
        char path[256] = "";
        sscanf(buf, "%*s %255s", path);
        char *q = strchr(path, '?');
        if (q)
            *q = '\0';
        pthread_mutex_lock(&srv.lock);
        memcpy(srv.last[0], srv.last[1], srv.last_len[1]);
        srv.last_len[0] = srv.last_len[1];
        memcpy(srv.last[1], buf, req_len);
        srv.last_len[1] = req_len;
        srv.requests++;
        pthread_mutex_unlock(&srv.lock);
        memmove(buf, buf + req_len, len - req_len);
        len -= req_len;
        const struct script *sc = find_script(path);
        static const struct script ok = {"", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0,
                                         KEEP};
        if (!sc)
            sc = &ok;
        if (!write_all(fd, sc->response, sc->len ? sc->len : strlen(sc->response)))
            break;
        if (sc->after == KEEP)
            continue;
        if (sc->after == HANG)
            hang(fd);
        if (sc->after == CLOSE_LATER)
            usleep(100 * 1000);
        if (sc->after == RESET) {
            struct linger l = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        }
        break;
    }
out:
    close(fd);
    return NULL;
}

static void *serve(void *arg)
{
    (void)arg;
    while (!srv.stop) {
        struct pollfd pfd = {srv.fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int fd = accept(srv.fd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&srv.lock);
        srv.accepted++;
        pthread_mutex_unlock(&srv.lock);
        pthread_t t;
        if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
    return NULL;
}

static void srv_start(const struct script *scripts, size_t n)
{
    srv.scripts = scripts;
    srv.n_scripts = n;
    pthread_mutex_init(&srv.lock, NULL);
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv.fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv.fd, 64), 0);
    assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &al), 0);
    srv.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void srv_stop(void)
{
    srv.stop = true;
    pthread_join(srv.thread, NULL);
    close(srv.fd);
}

static uint32_t srv_accepted(void)
{
    pthread_mutex_lock(&srv.lock);
    uint32_t n = srv.accepted;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

/* ---- Driving the seam ---- */

struct got {
    bool done;
    long status;
    uint32_t fail_slot;
    bool new_connection;
    uint64_t bytes;
    char body[512];
    size_t body_len;
    bool truncated;
    char header[128]; /* the X-Session capture, or "(none)" */
    char raw[REQ_MAX];  /* the request as the server read it */
    size_t raw_len;
};

struct side {
    struct hn_http_conn *conn;
    struct got *got;
};

static uint32_t mismatches; /* counted, so one run shows them all */
static struct ev_loop *loop;
static struct hn_scenario *sc;
static struct hn_http *http;

static void on_done(void *user, const struct hn_http_result *r)
{
    struct side *s = user;
    struct got *g = s->got;
    g->done = true;
    g->status = r->status;
    g->fail_slot = r->fail_slot;
    g->new_connection = r->new_connection;
    g->bytes = r->bytes;
    g->body_len = r->body_len < sizeof(g->body) ? r->body_len : sizeof(g->body);
    if (g->body_len)
        memcpy(g->body, r->body, g->body_len);
    g->truncated = r->body_truncated;
    size_t len = 0;
    const char *v = r->fail_slot == HN_FAIL_NONE ? hn_http_header(s->conn, "x-session", &len)
                                                 : NULL;
    snprintf(g->header, sizeof(g->header), "%.*s", v ? (int)len : 6, v ? v : "(none)");
    ev_break(loop, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(l, EVBREAK_ALL);
}

/* One request of @p on @s, waited for (10 s at most). */
static void run(struct side *s, struct hn_http_prep *p, struct got *g, bool keep_body,
                const char *url, const char *const *lines, uint32_t n_lines, const char *body)
{
    memset(g, 0, sizeof(*g));
    s->got = g;
    struct hn_http_request req = {.prep = p, .keep_body = keep_body, .url = url,
                                  .header_lines = lines, .n_header_lines = n_lines,
                                  .body = body, .body_len = body ? strlen(body) : 0};
    assert_int_equal(hn_http_start(s->conn, &req), 0);
    ev_timer deadline;
    ev_timer_init(&deadline, on_deadline, 10.0, 0);
    ev_timer_start(loop, &deadline);
    while (!g->done && ev_is_active(&deadline))
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &deadline);
    assert_true(g->done);
    pthread_mutex_lock(&srv.lock);
    g->raw_len = srv.last_len[1];
    memcpy(g->raw, srv.last[1], g->raw_len);
    pthread_mutex_unlock(&srv.lock);
}

struct step_desc {
    const char *method, *path;
    const char *const *lines; /* fixed header lines */
    uint32_t n_lines;
    const char *body; /* fixed, or NULL */
    bool has_body, keep_headers;
    uint64_t timeout_ms;
};

static char origin[64];

/* Preps live as long as the conns (as in the engine, where the plan
 * outlives every user): libcurl's handle keeps pointers into them. */
static struct hn_http_prep *preps[1024];
static size_t n_preps;

static struct hn_http_prep *prep(const struct step_desc *d, bool fast)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", origin, d->path);
    struct hn_http_step_desc desc = {
        .method = d->method,
        .url = d->path ? url : NULL,
        .header_lines = d->lines,
        .n_header_lines = d->n_lines,
        .has_body = d->has_body,
        .body = d->body,
        .body_len = d->body ? strlen(d->body) : 0,
        .timeout_ms = d->timeout_ms ? d->timeout_ms : 5000,
        .fast = fast,
        .origin = origin,
        .origin_len = strlen(origin),
        .keep_headers = true, /* on_done reads X-Session every time */
    };
    struct hn_http_prep *p = NULL;
    char why[256] = "";
    if (hn_http_prep_new(sc, &desc, &p, why, sizeof(why)))
        fail_msg("prep: %s", why);
    assert_true(n_preps < sizeof(preps) / sizeof(preps[0]));
    preps[n_preps++] = p;
    return p;
}

static struct side curl_side, fast_side;
static const char *const default_lines[] = {"User-Agent: hornet-test"};

static int setup(void **state)
{
    (void)state;
    mismatches = 0;
    loop = ev_loop_new(EVFLAG_AUTO);
    sc = hn_scenario_new();
    sc->cookies = false;
    sc->max_body = 64;
    assert_int_equal(hn_http_new(loop, sc, &http), 0);
    assert_int_equal(hn_http_conn_new(http, on_done, &curl_side, &curl_side.conn), 0);
    assert_int_equal(hn_http_conn_new(http, on_done, &fast_side, &fast_side.conn), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hn_http_conn_free(curl_side.conn);
    hn_http_conn_free(fast_side.conn);
    while (n_preps)
        hn_http_prep_free(preps[--n_preps]);
    hn_http_free(http);
    hn_scenario_free(sc);
    ev_loop_destroy(loop);
    return 0;
}

static const char *slot_name(uint32_t slot)
{
    static char buf[32];
    if (slot == HN_FAIL_NONE)
        return "ok";
    snprintf(buf, sizeof(buf), "slot %u", slot);
    return buf;
}


/* Both transports agree on everything a user sees. */
static void assert_same(const char *what, const struct got *a, const struct got *b)
{
    if (a->fail_slot != b->fail_slot || (a->fail_slot == HN_FAIL_NONE && a->status != b->status) ||
        a->bytes != b->bytes || a->body_len != b->body_len ||
        memcmp(a->body, b->body, a->body_len) || a->truncated != b->truncated ||
        a->new_connection != b->new_connection || strcmp(a->header, b->header)) {
        char fa[64];
        snprintf(fa, sizeof(fa), "%s", slot_name(a->fail_slot));
        mismatches++;
        print_error("%s: curl %s status %ld bytes %llu body %zu%s new %d header '%s'; "
                 "fast %s status %ld bytes %llu body %zu%s new %d header '%s'\n",
                 what, fa, a->status, (unsigned long long)a->bytes, a->body_len,
                 a->truncated ? " truncated" : "", a->new_connection, a->header,
                 slot_name(b->fail_slot), b->status, (unsigned long long)b->bytes, b->body_len,
                 b->truncated ? " truncated" : "", b->new_connection, b->header);
    }
}

/* ---- Responses ---- */

/* One header of 90 KiB (libcurl takes up to 100 KiB a line; http-parser's
 * default limit was 80 KiB for all of them): filled in by main. */
static char big_header[92 * 1024 + 128];
/* Four of them: past libcurl's 300 KiB of headers in all. */
static char big_headers[4 * (92 * 1024) + 128];

static const struct script scripts[] = {
    {"ok", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Session:  s-1 \r\n\r\nhello", 0, KEEP},
    {"chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n"
     "0\r\nX-Trailer: t\r\n\r\n",
     0, KEEP},
    {"close-delimited", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", 0,
     CLOSE},
    {"http10", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc", 0, KEEP},
    {"http10-keep", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", 0,
     KEEP},
    {"conn-close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0, CLOSE},
    {"interim",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
     "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Session: final\r\n\r\nok",
     0, KEEP},
    {"204", "HTTP/1.1 204 No Content\r\nX-Session: n\r\n\r\n", 0, KEEP},
    {"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0, KEEP},
    {"head", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0, KEEP},
    {"500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail", 0, KEEP},
    {"404-close", "HTTP/1.1 404 Not Found\r\n\r\nmissing", 0, CLOSE},
    {"big",
     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
     "0123456789012345678901234567890123456789012345678901234567890123456789"
     "012345678901234567890123456789",
     0, KEEP},
    {"trunc-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, CLOSE},
    {"trunc-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0, CLOSE},
    {"trunc-chunks-end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0,
     CLOSE},
    {"trunc-headers-cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 0, CLOSE},
    {"trunc-headers", "HTTP/1.1 200 OK\r\nX-A: b\r\n", 0, CLOSE},
    /* Cut right after the line that announces chunks: the parser reads a
     * header line only once the next begins. */
    {"trunc-headers-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", 0, CLOSE},
    {"interim-only", "HTTP/1.1 100 Continue\r\n\r\n", 0, CLOSE},
    {"chunked-and-length",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n"
     "5\r\nhello\r\n0\r\n\r\n",
     0, KEEP},
    {"chunk-size-huge",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nhello\r\n", 0,
     CLOSE},
    {"chunk-size-bad", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", 0,
     CLOSE},
    {"big-header", big_header, 0, KEEP},
    {"big-headers", big_headers, 0, CLOSE},
    /* Cut inside the blank line, after its CR: no body byte either way. */
    {"trunc-blank-cr", "HTTP/1.1 200 OK\r\nX-Session: q\r\n\r", 0, CLOSE},
    {"trunc-blank-cr-length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r", 0, CLOSE},
    /* A 1xx cut before its blank line is the response; a whole one with
     * only part of the answer's status line after it is none. */
    {"interim-cut", "HTTP/1.1 100 Continue\r\n", 0, CLOSE},
    {"interim-then-part", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2", 0, CLOSE},
    {"bare-101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, KEEP},
    {"switch-101", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n",
     0, KEEP},
    {"trunc-status", "HTTP/1.1 20", 0, CLOSE},
    {"trunc-status-line", "HTTP/1.1 200 OK\r\n", 0, CLOSE},
    {"empty", "", 0, CLOSE},
    {"reset", "", 0, RESET},
    {"reset-mid", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, RESET},
    {"garbage", "hello world\r\n\r\n", 0, CLOSE},
    {"garbage-keep", "this is not http\r\n\r\n", 0, HANG},
    {"bad-status", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", 0, CLOSE},
    {"no-reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", 0, KEEP},
    {"status-999", "HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok", 0, KEEP},
    {"lf-only", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, KEEP},
    {"excess", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 0, KEEP},
    {"two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 0,
     CLOSE},
    {"bad-length", "HTTP/1.1 200 OK\r\nContent-Length: x2\r\n\r\nok", 0, CLOSE},
    {"empty-header",
     "HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Session: after-empty\r\n"
     "Content-Length: 0\r\n\r\n",
     0, KEEP},
    {"dup-header",
     "HTTP/1.1 200 OK\r\nx-session: first\r\nX-Session: second\r\n"
     "Content-Length: 0\r\n\r\n",
     0, KEEP},
    {"idle-close", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, CLOSE_LATER},
    {"hang", "", 0, HANG},
    {"hang-body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, HANG},
};

/* GET /NAME on both transports, then GET /ok on both: the same result, and
 * the same decision to reuse the connection or not. */
static void compare(const char *name, const char *method, bool keep_body, uint64_t timeout_ms)
{
    char path[64];
    snprintf(path, sizeof(path), "/%s", name);
    struct step_desc d = {.method = method, .path = path, .lines = default_lines, .n_lines = 1,
                          .keep_headers = true, .timeout_ms = timeout_ms};
    struct step_desc ok = {.method = "GET", .path = "/ok", .lines = default_lines, .n_lines = 1,
                           .keep_headers = true};
    struct hn_http_prep *pc = prep(&d, false), *pf = prep(&d, true);
    struct hn_http_prep *okc = prep(&ok, false), *okf = prep(&ok, true);
    struct got a, b;
    run(&curl_side, okc, &a, false, NULL, NULL, 0, NULL); /* warm connections */
    run(&fast_side, okf, &b, false, NULL, NULL, 0, NULL);
    run(&curl_side, pc, &a, keep_body, NULL, NULL, 0, NULL);
    run(&fast_side, pf, &b, keep_body, NULL, NULL, 0, NULL);
    assert_same(name, &a, &b);
    char then[96];
    snprintf(then, sizeof(then), "GET /ok after %s", name);
    run(&curl_side, okc, &a, true, NULL, NULL, 0, NULL);
    run(&fast_side, okf, &b, true, NULL, NULL, 0, NULL);
    assert_same(then, &a, &b);
}

static void test_responses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        const char *n = scripts[i].name;
        if (!strcmp(n, "hang") || !strcmp(n, "hang-body") || !strcmp(n, "head") ||
            !strcmp(n, "two-lengths") || !strcmp(n, "switch-101") || !strcmp(n, "bare-101"))
            continue;
        compare(n, "GET", true, 0);
        compare(n, "GET", false, 0);
    }
    compare("head", "HEAD", true, 0);
    compare("ok", "HEAD", false, 0);
    compare("hang", "GET", false, 300);
    compare("hang-body", "GET", true, 300);
    assert_int_equal(mismatches, 0);
}

/* A known difference: two different Content-Length headers. RFC
 * 9112 §6.3 makes that an unrecoverable error, and http-parser says so
 * ("bad response"); libcurl 7.88 takes the last one. */
static void test_two_lengths(void **state)
{
    (void)state;
    struct step_desc d = {"GET", "/two-lengths", default_lines, 1, NULL, false, false, 0};
    struct got b;
    run(&fast_side, prep(&d, true), &b, false, NULL, NULL, 0, NULL);
    assert_int_equal(b.fail_slot, hn_fail_slot(HN_FAIL_BAD_RESPONSE));
}

/* A 101 that no request asked for: the connection speaks something else
 * now, and the next request goes on a new one. (libcurl reads what follows
 * as the body until the server closes; the fast path ends at the headers.) */
static void test_unasked_upgrade_not_reused(void **state)
{
    (void)state;
    struct step_desc ok = {"GET", "/ok", default_lines, 1, NULL, false, false, 0};
    struct hn_http_prep *okf = prep(&ok, true);
    /* With Upgrade and Connection: upgrade headers, and without. */
    const char *paths[] = {"/switch-101", "/bare-101"};
    for (size_t i = 0; i < 2; i++) {
        struct step_desc d = {"GET", paths[i], default_lines, 1, NULL, false, false, 0};
        struct got b;
        run(&fast_side, okf, &b, false, NULL, NULL, 0, NULL);
        run(&fast_side, prep(&d, true), &b, false, NULL, NULL, 0, NULL);
        assert_int_equal(b.fail_slot, HN_FAIL_NONE);
        assert_int_equal(b.status, 101);
        assert_false(b.new_connection);
        run(&fast_side, okf, &b, false, NULL, NULL, 0, NULL);
        assert_int_equal(b.fail_slot, HN_FAIL_NONE);
        assert_true(b.new_connection);
    }
}

/* A server that closes a kept-alive connection while the user thinks: the
 * next request goes on a new connection and succeeds, on both. */
static void test_idle_close_retried(void **state)
{
    (void)state;
    compare("idle-close", "GET", false, 0);
    uint32_t before = srv_accepted();
    compare("ok", "GET", false, 0);
    (void)before;
    assert_int_equal(mismatches, 0);
}

/* ---- Requests: the fast path writes libcurl's bytes ---- */

static void assert_same_bytes(const char *what, const struct got *a, const struct got *b)
{
    if (a->raw_len != b->raw_len || memcmp(a->raw, b->raw, a->raw_len))
        mismatches++, print_error("%s: curl wrote\n%.*s\n--- fast wrote\n%.*s\n", what, (int)a->raw_len, a->raw,
                 (int)b->raw_len, b->raw);
}

static void same_request(const char *what, const struct step_desc *d, const char *url,
                         const char *const *lines, uint32_t n_lines, const char *body)
{
    struct hn_http_prep *pc = prep(d, false), *pf = prep(d, true);
    struct got a, b;
    run(&curl_side, pc, &a, false, url, lines, n_lines, body);
    run(&fast_side, pf, &b, false, url, lines, n_lines, body);
    assert_same(what, &a, &b);
    assert_same_bytes(what, &a, &b);
}

static void test_request_bytes(void **state)
{
    (void)state;
    static const char *const ua[] = {"User-Agent: hornet/0.1.0"};
    static const char *const json[] = {"Content-Type: application/json", "Expect:",
                                       "User-Agent: hornet/0.1.0"};
    static const char *const raw[] = {"Content-Type:", "Expect:", "User-Agent: x"};
    static const char *const odd[] = {"Accept: text/html", "X-Blank:", "X-Space:  ",
                                      "Host: virtual.example:81", "x-lower: v",
                                      "Authorization: Bearer t", "User-Agent: y"};
    static const char *const no_host[] = {"Host:", "Accept:", "User-Agent: z"};
    static const char *const empty_post[] = {"Content-Type:", "User-Agent: u"};
    /* Headers sent empty ("Name;", a scenario's empty value), Host too. */
    static const char *const sent_empty[] = {"X-Empty;", "Host;", "accept;", "User-Agent: e"};
    struct step_desc get = {"GET", "/a/b?x=1&y=%20z", ua, 1, NULL, false, false, 0};
    same_request("GET with a query", &get, NULL, NULL, 0, NULL);
    struct step_desc dots = {"GET", "/a/./b/../c", ua, 1, NULL, false, false, 0};
    same_request("GET with dot segments", &dots, NULL, NULL, 0, NULL);
    struct step_desc post = {"POST", "/orders", json, 3, "{\"a\":1}", true, false, 0};
    same_request("POST json", &post, NULL, NULL, 0, NULL);
    struct step_desc put = {"PUT", "/raw", raw, 3, "raw body", true, false, 0};
    same_request("PUT raw", &put, NULL, NULL, 0, NULL);
    struct step_desc del = {"DELETE", "/x", ua, 1, NULL, false, false, 0};
    same_request("DELETE", &del, NULL, NULL, 0, NULL);
    struct step_desc opt = {"OPTIONS", "/", ua, 1, NULL, false, false, 0};
    same_request("OPTIONS", &opt, NULL, NULL, 0, NULL);
    struct step_desc head = {"HEAD", "/ok", ua, 1, NULL, false, false, 0};
    same_request("HEAD", &head, NULL, NULL, 0, NULL);
    struct step_desc getb = {"GET", "/gb", json, 3, "{}", true, false, 0};
    same_request("GET with a body", &getb, NULL, NULL, 0, NULL);
    struct step_desc pe = {"POST", "/empty", empty_post, 2, "", true, false, 0};
    same_request("POST without a body", &pe, NULL, NULL, 0, NULL);
    struct step_desc o = {"GET", "/o", odd, 7, NULL, false, false, 0};
    same_request("custom Host, Accept, blank headers", &o, NULL, NULL, 0, NULL);
    struct step_desc nh = {"GET", "/nh", no_host, 3, NULL, false, false, 0};
    same_request("Host and Accept removed", &nh, NULL, NULL, 0, NULL);
    struct step_desc se = {"GET", "/se", sent_empty, 4, NULL, false, false, 0};
    same_request("headers sent empty, Host and Accept among them", &se, NULL, NULL, 0, NULL);
    /* Rendered parts: URL, header lines, body. */
    char url[128];
    snprintf(url, sizeof(url), "%s/items/42?q=a%%2Fb", origin);
    struct step_desc tpl = {"POST", NULL, NULL, 0, NULL, true, false, 0};
    static const char *const rendered[] = {"Content-Type: application/json", "Expect:",
                                           "Authorization: Bearer tok-7", "User-Agent: r"};
    same_request("rendered URL, headers and body", &tpl, url, rendered, 4, "{\"id\":42}");
    snprintf(url, sizeof(url), "%s/a/../b/./c?d=/../e", origin);
    struct step_desc tget = {"GET", NULL, ua, 1, NULL, false, false, 0};
    same_request("rendered URL with dot segments", &tget, url, NULL, 0, NULL);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    hn_http_global_init();
    int n = snprintf(big_header, sizeof(big_header), "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(big_header + n, 'b', 90 * 1024);
    n += 90 * 1024;
    snprintf(big_header + n, sizeof(big_header) - (size_t)n, "\r\nContent-Length: 2\r\n\r\nok");
    n = snprintf(big_headers, sizeof(big_headers), "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 4; i++) {
        n += snprintf(big_headers + n, sizeof(big_headers) - (size_t)n, "X-Big-%d: ", i);
        memset(big_headers + n, 'b', 90 * 1024);
        n += 90 * 1024;
        n += snprintf(big_headers + n, sizeof(big_headers) - (size_t)n, "\r\n");
    }
    snprintf(big_headers + n, sizeof(big_headers) - (size_t)n, "Content-Length: 2\r\n\r\nok");
    srv_start(scripts, sizeof(scripts) / sizeof(scripts[0]));
    snprintf(origin, sizeof(origin), "http://127.0.0.1:%u", srv.port);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_close_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unasked_upgrade_not_reused, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    srv_stop();
    hn_http_global_cleanup();
    return rc;
}
