/* The fast path of a conn (see http.h, http_internal.h): libcurl opens the
 * connection — DNS, connect, TLS and its options — as a CONNECT_ONLY
 * transfer through the conn's multi, then Hornet writes the request bytes
 * (http_fast_req.c) and reads the response (http_fast_parse.c) on it, one
 * request at a time, keep-alive. What libcurl 7.88 does that shapes this:
 *  - removing a CONNECT_ONLY handle from its multi closes its connection,
 *    so the handle stays in the multi while the connection lives;
 *  - curl_easy_send/recv look the connection up by walking the multi's
 *    whole connection cache, so plain http:// uses the socket libcurl
 *    connected directly; TLS goes through curl_easy_send/recv (reading
 *    until CURLE_AGAIN: OpenSSL may hold decrypted bytes epoll will not
 *    signal);
 *  - the first curl_easy_send re-attaches the connection to the handle,
 *    after which libcurl's cache never closes it as idle or too old.
 * Results mean what the libcurl path's mean: the same failure kinds for the
 * same events (a reused connection that dies before a response line is
 * retried once on a new one, as libcurl retries), total time from the
 * start to the last byte, time to first byte from the request's first
 * write to the first response byte, connection phases from libcurl. */
#include "error.h"
#include "fastpath.h"
#include "http_classify.h"
#include "http_internal.h"
#include "recorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Retries of one request on a new connection after a reused one died
 * before a response line, at most (libcurl's CONN_MAX_RETRIES). libcurl
 * counts them per easy handle, so that every sixth retry of a handle
 * fails; its transfers send that one again (http_conn.c), and the fast
 * path counts per request: both retry each request that needs it. */
#define RETRIES_MAX 5

/* The thread's receive buffer: TLS records are up to 16 KiB; a few fit. */
#define FAST_IN_BYTES (64u << 10)

static void on_io(struct ev_loop *loop, ev_io *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Close the connection: removing the handle makes libcurl close it. */
static void fast_close(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    if (f->connected)
        ev_io_stop(c->h->loop, &f->io);
    if (f->added)
        curl_multi_remove_handle(c->m->multi, f->easy);
    f->added = f->connected = f->attached = f->used = f->want_write = false;
    f->fd = CURL_SOCKET_BAD;
    f->origin.len = 0;
}

static void want_write(struct hn_http_conn *c, bool on)
{
    struct hn_fast *f = &c->fast;
    if (f->want_write == on || !f->connected)
        return;
    ev_io_stop(c->h->loop, &f->io);
    ev_io_set(&f->io, f->fd, EV_READ | (on ? EV_WRITE : 0));
    ev_io_start(c->h->loop, &f->io);
    f->want_write = on;
}

/* The request ends: its result to the user. */
static void finish(struct hn_http_conn *c, uint32_t slot, const char *detail)
{
    struct hn_fast *f = &c->fast;
    if (f->starting) {
        /* Inside hn_http_start: the callback must come from the loop. */
        f->pending_fail = true;
        f->pending_slot = slot;
        ev_feed_event(c->h->loop, &f->timer, EV_TIMER);
        return;
    }
    c->in_flight = false;
    want_write(c, false);
    struct hn_http_result r;
    memset(&r, 0, sizeof(r));
    r.fail_slot = slot;
    r.detail = detail;
    r.status = f->headers_done ? f->status : 0;
    r.new_connection = f->new_connection;
    if (r.new_connection) {
        r.dns_us = f->dns_us;
        r.connect_us = f->connect_us;
        r.tls_us = f->tls_us;
    }
    uint64_t end = now_ns();
    r.total_us = (end - f->t_start_ns) / 1000;
    r.ttfb_us = f->t_first_ns > f->t_pre_ns && f->t_pre_ns ? (f->t_first_ns - f->t_pre_ns) / 1000
                                                            : 0;
    r.bytes = c->bytes;
    r.body = c->body;
    r.body_len = c->body_len;
    r.body_truncated = c->truncated;
    c->done(c->user, &r);
}

static void fail(struct hn_http_conn *c, CURLcode code, long os_errno)
{
    fast_close(c);
    finish(c, hn_classify_curl(code, os_errno), NULL);
}

static void reset_response(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    f->out_at = 0;
    f->got_bytes = f->got_line = false;
    f->headers_done = f->message_done = f->interim = f->close_after = false;
    f->length_body = false;
    f->status = 0;
    f->t_pre_ns = f->t_first_ns = 0;
    c->bytes = 0;
    c->body_len = 0;
    c->truncated = false;
    hn_fast_parse_begin(c);
}

/* The CONNECT_ONLY handle, made once per conn. */
static int fast_easy(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    if (f->easy)
        return 0;
    if (!(f->easy = curl_easy_init()))
        return -ENOMEM;
    hn_http_easy_defaults(c, f->easy);
    curl_easy_setopt(f->easy, CURLOPT_CONNECT_ONLY, 1L);
    /* HTTP/1.1 is all the fast path speaks: the only protocol offered in
     * TLS's ALPN. */
    curl_easy_setopt(f->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* libcurl's transfer buffer lives only while it connects. */
    curl_easy_setopt(f->easy, CURLOPT_BUFFERSIZE, 1024L);
    ev_init(&f->io, on_io);
    f->io.data = c;
    ev_init(&f->timer, on_timer);
    f->timer.data = c;
    return 0;
}

/* Ask libcurl for a connection to the request's origin (it finishes in
 * hn_fast_connected). */
static int connect_origin(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    const struct hn_http_prep *p = f->prep;
    double left_s = f->deadline - ev_now(c->h->loop);
    long left_ms = left_s > 0 ? (long)(left_s * 1000.0) + 1 : 1;
    curl_easy_setopt(f->easy, CURLOPT_URL, p->origin);
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, left_ms);
    c->errbuf[0] = '\0';
    f->origin.len = 0;
    HN_TRY(hn_buf_append(&f->origin, p->origin, strlen(p->origin) + 1));
    CURLMcode rc = curl_multi_add_handle(c->m->multi, f->easy);
    if (rc != CURLM_OK)
        return rc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
    f->added = true;
    f->tls = p->origin_https;
    return 0;
}

/* The connection died before a response line: as libcurl does, the request
 * goes again on a new connection, if it was reused. */
static bool retry(struct hn_http_conn *c, long os_errno)
{
    struct hn_fast *f = &c->fast;
    if (!f->used || f->got_line)
        return false;
    fast_close(c);
    if (f->retries++ >= RETRIES_MAX) {
        finish(c, hn_classify_curl(CURLE_SEND_ERROR, os_errno), NULL);
        return true;
    }
    reset_response(c);
    f->retried = true;
    if (connect_origin(c))
        fail(c, CURLE_OUT_OF_MEMORY, 0);
    return true;
}

static void io_failed(struct hn_http_conn *c, CURLcode code, long os_errno)
{
    if (!retry(c, os_errno))
        fail(c, code, os_errno);
}

/* Write what is left of the request. */
static void send_request(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    if (!f->t_pre_ns)
        f->t_pre_ns = now_ns();
    while (f->out_at < f->out_len) {
        const char *at = f->out + f->out_at;
        size_t left = f->out_len - f->out_at, n = 0;
        if (f->tls || !f->attached) {
            /* The first send also re-attaches the connection (see above). */
            CURLcode rc = curl_easy_send(f->easy, at, left, &n);
            f->attached = true;
            if (rc == CURLE_AGAIN) {
                want_write(c, true);
                return;
            }
            if (rc != CURLE_OK) {
                long os_errno = 0;
                curl_easy_getinfo(f->easy, CURLINFO_OS_ERRNO, &os_errno);
                io_failed(c, CURLE_SEND_ERROR, os_errno);
                return;
            }
        } else {
            ssize_t w = send(f->fd, at, left, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                want_write(c, true);
                return;
            }
            if (w < 0) {
                io_failed(c, CURLE_SEND_ERROR, errno);
                return;
            }
            n = (size_t)w;
        }
        f->out_at += n;
    }
    want_write(c, false);
}

/* The response is complete: keep the connection unless the server closes
 * it, or sent more than this response (libcurl would not reuse it). */
static void complete(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    /* An answer before the whole request was written (a 413, say): the
     * rest of the request must not be read as the next one. */
    if (f->out_at < f->out_len)
        f->close_after = true;
    /* A 101 nobody asked for switched the connection to something else
     * (the parser says upgrade only when its headers ask for one). */
    if (f->close_after || f->status == 101 || f->parser.upgrade ||
        !http_should_keep_alive(&f->parser))
        fast_close(c);
    else
        f->used = true;
    finish(c, HN_FAIL_NONE, NULL);
}

/* A response the parser refuses: in the chunks of a chunked body (a size
 * that is no number or too big) or headers over the limit a receive error
 * to libcurl, anything else a weird reply. */
static void parse_failed(struct hn_http_conn *c, enum http_errno e)
{
    bool chunks =
        e == HPE_INVALID_CHUNK_SIZE || (c->fast.headers_done && (c->fast.parser.flags & F_CHUNKED));
    bool too_big = e == HPE_HEADER_OVERFLOW;
    fail(c, chunks || too_big ? CURLE_RECV_ERROR : CURLE_WEIRD_SERVER_REPLY, 0);
}

/* Bytes of the response. False once the request ended. */
static bool feed(struct hn_http_conn *c, const char *data, size_t n)
{
    struct hn_fast *f = &c->fast;
    if (!f->got_bytes) {
        f->got_bytes = true;
        f->t_first_ns = now_ns();
    }
    if (!f->got_line && memchr(data, '\n', n))
        f->got_line = true;
    enum http_errno e;
    size_t used = hn_fast_parse(c, data, n, &e);
    if (f->message_done) {
        /* Bytes past the response in the same read: libcurl drops them, and
         * closes the connection only after a Content-Length body. */
        if (used < n && f->length_body)
            f->close_after = true;
        complete(c);
        return false;
    }
    if (e != HPE_OK) {
        parse_failed(c, e);
        return false;
    }
    return true;
}

/* The server closed the connection. */
static void eof(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    if (retry(c, 0))
        return;
    if (!f->got_bytes) {
        fail(c, CURLE_GOT_NOTHING, 0);
        return;
    }
    if (!f->got_line) {
        fail(c, CURLE_GOT_NOTHING, 0); /* not even a status line */
        return;
    }
    if (!f->headers_done) {
        /* libcurl takes the whole header lines it has as the response: a
         * transfer with no body, unless a length or chunks were announced.
         * The parser takes in a header line only when the next one begins:
         * an end of the headers (a bare LF: it never adds a body byte)
         * makes it read the last whole line. A whole 1xx and then nothing,
         * or no status line of the answer after it, is no response. */
        bool interim_whole = f->interim;
        enum http_errno e;
        hn_fast_parse(c, "\n", 1, &e);
        const http_parser *hp = &f->parser;
        if (interim_whole || hp->status_code < 100) {
            fail(c, CURLE_GOT_NOTHING, 0);
            return;
        }
        bool no_body = f->head || hp->status_code == 204 || hp->status_code == 304;
        f->status = hp->status_code;
        f->headers_done = true;
        if (!no_body && ((hp->flags & F_CHUNKED) ||
                         ((hp->flags & F_CONTENTLENGTH) && hp->content_length > 0))) {
            fail(c, CURLE_PARTIAL_FILE, 0);
            return;
        }
        f->close_after = true;
        complete(c);
        return;
    }
    enum http_errno e;
    hn_fast_parse(c, NULL, 0, &e); /* a body that ends with the connection */
    if (f->message_done) {
        f->close_after = true;
        complete(c);
        return;
    }
    fail(c, CURLE_PARTIAL_FILE, 0);
}

static void read_response(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    char *in = c->h->fast_in;
    size_t cap = c->h->fast_in_cap;
    for (;;) {
        size_t n = 0;
        if (f->tls) {
            CURLcode rc = curl_easy_recv(f->easy, in, cap, &n);
            if (rc == CURLE_AGAIN)
                return;
            if (rc != CURLE_OK) {
                long os_errno = 0;
                curl_easy_getinfo(f->easy, CURLINFO_OS_ERRNO, &os_errno);
                io_failed(c, CURLE_RECV_ERROR, os_errno);
                return;
            }
        } else {
            ssize_t r = recv(f->fd, in, cap, 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (r < 0) {
                io_failed(c, CURLE_RECV_ERROR, errno);
                return;
            }
            n = (size_t)r;
        }
        if (n == 0) {
            eof(c);
            return;
        }
        if (!feed(c, in, n))
            return;
        /* A plain socket read short of the buffer is drained. */
        if (!f->tls && n < cap)
            return;
    }
}

/* Is the request in flight the fast path's? A user's steps may take both
 * transports: its libcurl request is none of this file's business. */
static bool fast_in_flight(const struct hn_http_conn *c)
{
    return c->in_flight && c->last_fast;
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct hn_http_conn *c = w->data;
    struct hn_fast *f = &c->fast;
    if (!fast_in_flight(c)) {
        /* Readable while idle: the server closed it (or sent what nobody
         * asked for). libcurl would find it dead at the next request and
         * connect anew; so does the fast path. */
        fast_close(c);
        return;
    }
    if ((revents & EV_WRITE) && f->out_at < f->out_len) {
        send_request(c);
        if (!c->in_flight || !f->connected)
            return;
    }
    if (revents & EV_READ)
        read_response(c);
}

/* The deadline timer runs lazily: a request only moves the deadline, and
 * the timer, when it fires early, waits for what is left. */
static void arm_timer(struct hn_http_conn *c, long timeout_ms)
{
    struct hn_fast *f = &c->fast;
    ev_tstamp now = ev_now(c->h->loop);
    f->deadline = now + (double)timeout_ms / 1000.0;
    if (ev_is_active(&f->timer) && ev_timer_remaining(c->h->loop, &f->timer) <= f->deadline - now)
        return;
    ev_timer_stop(c->h->loop, &f->timer);
    ev_timer_set(&f->timer, f->deadline - now, 0.0);
    ev_timer_start(c->h->loop, &f->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct hn_http_conn *c = w->data;
    struct hn_fast *f = &c->fast;
    if (f->pending_fail) {
        f->pending_fail = false;
        if (fast_in_flight(c))
            finish(c, f->pending_slot, NULL); /* the connection is closed already */
        return;
    }
    /* The deadline of a fast request that ended (the timer runs lazily):
     * not a libcurl request's, that one has its own. */
    if (!fast_in_flight(c) || ev_is_active(w))
        return;
    ev_tstamp left = f->deadline - ev_now(loop);
    if (left > 0.0005) {
        ev_timer_set(w, left, 0.0);
        ev_timer_start(loop, w);
        return;
    }
    fail(c, CURLE_OPERATION_TIMEDOUT, 0);
}

/* The request's bytes: the prep's, or written now from what was rendered. */
static int request_bytes(struct hn_http_conn *c, const struct hn_http_request *req)
{
    struct hn_fast *f = &c->fast;
    const struct hn_http_prep *p = req->prep;
    if (p->request && !req->url && !req->header_lines && !req->body) {
        f->out = p->request;
        f->out_len = p->request_len;
        return 0;
    }
    const char *target = p->target;
    size_t target_len = target ? strlen(target) : 0;
    char *normal = NULL;
    if (req->url) {
        size_t ul = strlen(req->url);
        size_t ol = hn_fast_origin_len(req->url, ul);
        target = req->url + ol;
        target_len = ul - ol;
        /* A rendered value may have made a "." or ".." segment: libcurl
         * removes them; so does its URL parser here (rarely needed). */
        const char *q = memchr(target, '?', target_len);
        size_t path_len = q ? (size_t)(q - target) : target_len;
        if (memmem(target, path_len, "/.", 2)) {
            CURLU *u = curl_url();
            char *path = NULL, *query = NULL;
            if (u && curl_url_set(u, CURLUPART_URL, req->url, 0) == CURLUE_OK &&
                curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLENCODE) == CURLUE_OK) {
                curl_url_get(u, CURLUPART_QUERY, &query, 0);
                if (asprintf(&normal, "%s%s%s", path, query ? "?" : "", query ? query : "") < 0)
                    normal = NULL;
            }
            curl_free(path);
            curl_free(query);
            curl_url_cleanup(u);
            if (!normal)
                return -ENOMEM;
            target = normal;
            target_len = strlen(normal);
        }
    }
    const char *const *lines = req->header_lines ? req->header_lines : p->lines;
    uint32_t n_lines = req->header_lines ? req->n_header_lines : p->n_lines;
    const char *body = req->body ? req->body : p->body;
    size_t body_len = req->body ? req->body_len : p->body_len;
    f->req.len = 0;
    int err = hn_fast_request(&f->req, p, target, target_len, lines, n_lines, body, body_len);
    free(normal);
    if (err)
        return err;
    f->out = f->req.p;
    f->out_len = f->req.len;
    return 0;
}

int hn_fast_start(struct hn_http_conn *c, const struct hn_http_request *req)
{
    struct hn_fast *f = &c->fast;
    const struct hn_http_prep *p = req->prep;
    HN_TRY(fast_easy(c));
    if (!c->h->fast_in) {
        if (!(c->h->fast_in = malloc(FAST_IN_BYTES)))
            return -ENOMEM;
        c->h->fast_in_cap = FAST_IN_BYTES;
    }
    HN_TRY(request_bytes(c, req));
    f->prep = p;
    f->keep_headers = p->keep_headers;
    f->head = p->kind == HN_PREP_HEAD;
    f->retried = false;
    f->retries = 0;
    f->new_connection = false;
    f->dns_us = f->connect_us = f->tls_us = 0;
    c->keep_body = req->keep_body;
    reset_response(c);
    f->t_start_ns = now_ns();
    if (f->connected && strcmp(f->origin.p, p->origin) != 0)
        fast_close(c); /* another host: one connection per user */
    arm_timer(c, p->timeout_ms);
    c->in_flight = true;
    if (!f->connected) {
        int err = connect_origin(c);
        if (err)
            c->in_flight = false;
        return err;
    }
    f->starting = true;
    send_request(c);
    f->starting = false;
    return 0;
}

void hn_fast_connected(struct hn_http_conn *c, CURLcode result)
{
    struct hn_fast *f = &c->fast;
    CURL *e = f->easy;
    if (!fast_in_flight(c)) {
        fast_close(c);
        return;
    }
    curl_off_t dns = 0, conn = 0, tls = 0;
    curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &dns);
    curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &conn);
    curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &tls);
    long connects = 0;
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    f->new_connection = connects > 0 || result == CURLE_OK;
    f->dns_us = (uint64_t)dns;
    f->connect_us = conn > dns ? (uint64_t)(conn - dns) : 0;
    f->tls_us = tls > conn ? (uint64_t)(tls - conn) : 0;
    if (result != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
        uint32_t slot = hn_classify_curl(result, os_errno);
        fast_close(c);
        /* libcurl's message says which certificate check failed. */
        finish(c, slot, slot == hn_fail_slot(HN_FAIL_TLS) && c->errbuf[0] ? c->errbuf : NULL);
        return;
    }
    curl_socket_t fd = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
        fail(c, CURLE_COULDNT_CONNECT, 0);
        return;
    }
    f->fd = fd;
    f->connected = true;
    f->attached = false;
    f->used = false;
    f->want_write = false;
    ev_io_set(&f->io, fd, EV_READ);
    ev_io_start(c->h->loop, &f->io);
    send_request(c);
}

void hn_fast_abort(struct hn_http_conn *c)
{
    if (!c->in_flight)
        return;
    /* The answer would arrive on the connection later: close it, as
     * libcurl closes a transfer's connection when it is removed. */
    fast_close(c);
    c->in_flight = false;
    struct hn_http_result r;
    memset(&r, 0, sizeof(r));
    r.fail_slot = hn_fail_slot(HN_FAIL_ABORTED);
    r.bytes = c->bytes;
    r.body = c->body;
    r.body_len = c->body_len;
    r.body_truncated = c->truncated;
    c->done(c->user, &r);
}

void hn_fast_leave(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    if (!f->easy)
        return;
    fast_close(c);
    ev_timer_stop(c->h->loop, &f->timer);
    f->pending_fail = false;
    curl_easy_cleanup(f->easy); /* and with it the user's TLS sessions */
    f->easy = NULL;
}

void hn_fast_free(struct hn_http_conn *c)
{
    struct hn_fast *f = &c->fast;
    hn_fast_leave(c);
    hn_buf_free(&f->req);
    hn_buf_free(&f->hdrs);
    hn_buf_free(&f->origin);
}
