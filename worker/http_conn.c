/* One user's connection slot (see http.h): its easy handle, reused for
 * every request so its connection stays warm in the multi's cache; setting
 * a request's options with as few setopt calls as possible; turning a
 * finished transfer into a result. Fast steps go to http_fast.c. */
#include "array.h"
#include "error.h"
#include "http_classify.h"
#include "http_internal.h"
#include "recorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void hn_http_keep_body(struct hn_http_conn *c, const char *data, size_t len)
{
    if (!c->keep_body || c->truncated)
        return;
    size_t max = (size_t)c->h->s->max_body;
    size_t take = len;
    if (c->body_len + take > max) {
        take = max - c->body_len;
        c->truncated = true;
    }
    if (c->body_len + take > c->body_cap) {
        /* Grow by doubling: a user's buffer reaches its steady size after a
         * few responses, then no request allocates. */
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < c->body_len + take)
            cap *= 2;
        if (cap > max)
            cap = max;
        char *p = realloc(c->body, cap);
        if (!p) {
            c->truncated = true;
            return;
        }
        c->body = p;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, data, take);
    c->body_len += take;
}

/* CURLOPT_WRITEFUNCTION: count the body; keep it when a check or capture
 * will read it, up to the scenario's max_body. */
static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct hn_http_conn *c = userp;
    size_t len = size * n;
    c->bytes += len;
    hn_http_keep_body(c, data, len);
    return len;
}

int hn_http_conn_new(struct hn_http *h, hn_http_done_fn done, void *user,
                     struct hn_http_conn **out)
{
    struct hn_http_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->h = h;
    c->done = done;
    c->user = user;
    c->fast.fd = CURL_SOCKET_BAD;
    int err = hn_http_multi_for_new_conn(h, &c->m);
    if (err) {
        free(c);
        return err;
    }
    *out = c;
    return 0;
}

void hn_http_easy_defaults(struct hn_http_conn *c, CURL *e)
{
    struct hn_http *h = c->h;
    const struct hn_scenario *s = h->s;
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    /* No signal handlers per transfer (SIGPIPE is ignored process-wide). */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Scenarios come from the network: speak http and https only, also
     * after a redirect (no file://, gopher://, dict://, ...). */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* An explicit empty proxy and a no-proxy list of "*" stop libcurl from
     * reading the proxy environment variables on every transfer; a load
     * generator must hit the target directly anyway. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    /* The receive buffer is allocated per handle: 16 KiB each would cost
     * 160 MB at 10,000 users. */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, h->buffer_size);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_SHARE, h->share);
    if (!s->tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        /* A CA file and no CA directory: the only set-up for which libcurl
         * caches the CA store (per multi handle) instead of loading it for
         * every connection. */
        curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL);
        if (h->ca_path[0])
            curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_path);
    }
}

int hn_http_conn_easy(struct hn_http_conn *c)
{
    if (c->easy)
        return 0;
    if (!(c->easy = curl_easy_init()))
        return -ENOMEM;
    CURL *e = c->easy;
    hn_http_easy_defaults(c, e);
    /* Each user its own connections, as with its own browser (or Locust's
     * session, or a k6 VU): the multi handle's cache hands an idle
     * connection to whichever user asks next, so 40 users with think time
     * shared 2 connections, and over HTTP/2 all users one. A share holding
     * just a connection cache gives this handle its own. DNS answers then
     * come from the multi's cache, TLS sessions from the handle's own. */
    if (!(c->own_conns = curl_share_init()) ||
        curl_share_setopt(c->own_conns, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
        curl_easy_setopt(e, CURLOPT_SHARE, c->own_conns) != CURLE_OK) {
        curl_easy_cleanup(e);
        if (c->own_conns)
            curl_share_cleanup(c->own_conns);
        c->easy = NULL;
        c->own_conns = NULL;
        return -ENOMEM;
    }
    /* Followed redirects stop as Locust's (requests') do: libcurl before
     * 8.3 follows forever, and a loop then failed as a "receive error" once
     * the headers of thousands of hops filled its buffer. */
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, HN_HTTP_MAX_REDIRECTS);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (c->h->s->cookies)
        curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""); /* this handle's own jar */
    return 0;
}

void hn_http_conn_free(struct hn_http_conn *c)
{
    if (!c)
        return;
    hn_fast_free(c);
    if (c->in_flight && c->easy)
        curl_multi_remove_handle(c->m->multi, c->easy);
    if (c->easy)
        curl_easy_cleanup(c->easy);
    if (c->own_conns)
        curl_share_cleanup(c->own_conns); /* closes the user's idle connections */
    free(c->nodes);
    free(c->body);
    free(c);
}

void hn_http_conn_leave(struct hn_http_conn *c)
{
    /* As a browser closed: a server sees users leave in a ramp down (it
     * held their idle connections until its keep-alive timeout), and a
     * user started in the slot later connects anew, as a new user does,
     * instead of inheriting a connection and TLS sessions. The handles,
     * their cookie jar and session cache go with them; the next request
     * makes them again (hn_http_conn_easy, the fast path's fast_easy). */
    hn_fast_leave(c);
    if (c->easy)
        curl_easy_cleanup(c->easy);
    if (c->own_conns)
        curl_share_cleanup(c->own_conns); /* closes the idle connections */
    c->easy = NULL;
    c->own_conns = NULL;
    c->loaded = c->url_from = c->headers_from = c->body_from = NULL;
    c->http_version = 0;
}

/* Method, timeout and redirects of @p, unless the handle holds them. */
static void load_prep(struct hn_http_conn *c, const struct hn_http_prep *p)
{
    if (c->loaded == p)
        return;
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, p->follow_redirects ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    /* A HEAD step leaves NOBODY set, and libcurl then sends any later
     * request of this handle as HEAD (a POST included): clear it. */
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    if (!p->has_body) {
        /* GET, HEAD, and DELETE, PUT, ... without a body: no empty form.
         * HTTPGET clears NOBODY, so HEAD's comes after it. */
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        if (p->kind == HN_PREP_HEAD)
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        c->body_from = p;
    } else {
        c->body_from = NULL; /* the body is set below, every time */
    }
    if (p->kind == HN_PREP_OTHER || (p->kind == HN_PREP_GET && p->has_body))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, p->method);
    c->loaded = p;
}

/* Header nodes for rendered lines: curl_slist is a public struct libcurl
 * only reads, so the nodes live in the conn and are reused. */
static int rendered_headers(struct hn_http_conn *c, const char *const *lines, uint32_t n)
{
    if (n == 0)
        return 0;
    HN_TRY(hn_array_reserve(&c->nodes, &c->cap_nodes, n, sizeof(*c->nodes), 16));
    for (uint32_t i = 0; i < n; i++) {
        c->nodes[i].data = (char *)lines[i];
        c->nodes[i].next = i + 1 < n ? &c->nodes[i + 1] : NULL;
    }
    return 0;
}

static void set_http_version(struct hn_http_conn *c, bool https)
{
    long v = CURL_HTTP_VERSION_1_1;
    if (c->h->s->http_version == HN_HTTP_2)
        v = https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    if (c->http_version != v) {
        curl_easy_setopt(c->easy, CURLOPT_HTTP_VERSION, v);
        c->http_version = v;
    }
}

int hn_http_start(struct hn_http_conn *c, const struct hn_http_request *req)
{
    const struct hn_http_prep *p = req->prep;
    c->last_fast = p->fast;
    if (p->fast)
        return hn_fast_start(c, req);
    HN_TRY(hn_http_conn_easy(c));
    CURL *e = c->easy;
    load_prep(c, p);
    bool https = p->https;
    if (req->url) {
        curl_easy_setopt(e, CURLOPT_CURLU, (CURLU *)NULL);
        curl_easy_setopt(e, CURLOPT_URL, req->url);
        c->url_from = NULL;
        https = strncasecmp(req->url, "https:", 6) == 0;
    } else if (c->url_from != p) {
        /* A pre-parsed URL: libcurl copies it instead of parsing the string
         * again for every transfer (-16 % instructions per request). */
        curl_easy_setopt(e, CURLOPT_CURLU, p->curlu);
        c->url_from = p;
    }
    set_http_version(c, https);
    if (req->header_lines) {
        HN_TRY(rendered_headers(c, req->header_lines, req->n_header_lines));
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->n_header_lines ? c->nodes : NULL);
        c->headers_from = NULL;
    } else if (c->headers_from != p) {
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
        c->headers_from = p;
    }
    if (p->has_body && (req->body || c->body_from != p)) {
        /* The body lives in the plan or the user's buffer until the
         * transfer ends: no copy. */
        const char *body = req->body ? req->body : p->body;
        size_t len = req->body ? req->body_len : p->body_len;
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        c->body_from = req->body ? NULL : p;
    }
    c->bytes = 0;
    c->keep_body = req->keep_body;
    c->truncated = false;
    c->body_len = 0;
    c->errbuf[0] = '\0';
    c->redone = false;
    HN_TRY(hn_http_multi_add(c));
    c->in_flight = true;
    return 0;
}

/* The result of the transfer that just ended. @aborted: stopped by us. */
static void fill_result(struct hn_http_conn *c, CURLcode result, bool aborted,
                        struct hn_http_result *r)
{
    CURL *e = c->easy;
    memset(r, 0, sizeof(*r));
    r->fail_slot = HN_FAIL_NONE;
    r->bytes = c->bytes;
    r->body = c->body;
    r->body_len = c->body_len;
    r->body_truncated = c->truncated;
    if (aborted) {
        r->fail_slot = hn_fail_slot(HN_FAIL_ABORTED);
        return; /* the caller times it: libcurl's figures are not final */
    }
    curl_off_t total = 0, dns = 0, conn = 0, tls = 0, pre = 0, first = 0;
    long connects = 0;
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total);
    curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &first);
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
    r->total_us = (uint64_t)total;
    r->new_connection = connects > 0;
    if (r->new_connection) { /* phases exist only for a new connection */
        curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &dns);
        curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &conn);
        curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &tls);
        r->dns_us = (uint64_t)dns;
        r->connect_us = conn > dns ? (uint64_t)(conn - dns) : 0;
        r->tls_us = tls > conn ? (uint64_t)(tls - conn) : 0;
    }
    /* Waiting time: request fully sent → first response byte. */
    r->ttfb_us = first > pre ? (uint64_t)(first - pre) : 0;
    if (result != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
        /* libcurl sets that errno when a system call fails and never clears
         * it: a receive or send error that came from TLS, HTTP/2 or a
         * closed connection would show the reset of an earlier transfer on
         * the handle. Its message, written for this transfer (the first
         * failure of it: a retried attempt keeps the first attempt's), says
         * which system error it was (the program runs in the C locale). */
        if (result == CURLE_RECV_ERROR || result == CURLE_SEND_ERROR)
            os_errno = strstr(c->errbuf, "Connection reset by peer") ? ECONNRESET
                       : strstr(c->errbuf, "Broken pipe")            ? EPIPE
                                                                     : 0;
        r->fail_slot = hn_classify_curl(result, os_errno);
        /* libcurl's message says which certificate check failed. */
        if (r->fail_slot == hn_fail_slot(HN_FAIL_TLS) && c->errbuf[0])
            r->detail = c->errbuf;
    }
}

/* libcurl (7.88) counts the requests it sent again on a new connection,
 * after a reused one closed before answering, per easy handle and not per
 * request: every sixth such retry of a handle fails ("Connection died,
 * tried 5 times before giving up") and the count starts again. A server
 * that closes idle connections before a user's think time is over (Apache
 * keeps them 5 s) then failed one request in six. Such a request goes once
 * more, now with the count at 0, as its own first retry would have. */
static bool died_sixth_time(struct hn_http_conn *c, CURLcode result)
{
    static const char said[] = "Connection died, tried";
    long redirects = 1;
    /* Sent again, the handle starts over from the step's URL and method:
     * after a redirect, only a GET or HEAD (a redirected POST would reach
     * the server twice, a review found; such a one still fails). */
    bool idempotent =
        c->loaded && (c->loaded->kind == HN_PREP_GET || c->loaded->kind == HN_PREP_HEAD);
    if (c->redone || (!idempotent && (curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_COUNT,
                                                        &redirects) != CURLE_OK ||
                                      redirects)))
        return false;
    /* A clean close: the sixth retry fails with its own message. */
    if (result == CURLE_SEND_ERROR && strncmp(c->errbuf, said, sizeof(said) - 1) == 0)
        return true;
    /* A reset: it keeps the receive error (the error buffer holds the
     * first message only); known by what a retry would have changed, a
     * reused connection (no new one) on which nothing came. */
    long connects = 1, header_bytes = 1;
    return result == CURLE_RECV_ERROR &&
           curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK &&
           curl_easy_getinfo(c->easy, CURLINFO_HEADER_SIZE, &header_bytes) == CURLE_OK &&
           connects == 0 && header_bytes == 0;
}

void hn_http_conn_finished(struct hn_http_conn *c, CURLcode result)
{
    struct hn_http_result r;
    curl_multi_remove_handle(c->m->multi, c->easy);
    if (died_sixth_time(c, result)) {
        c->redone = true;
        c->errbuf[0] = '\0';
        if (hn_http_multi_add(c) == 0)
            return; /* still in flight */
    }
    c->in_flight = false;
    fill_result(c, result, false, &r);
    c->done(c->user, &r);
}

void hn_http_abort(struct hn_http_conn *c)
{
    if (c->last_fast) {
        hn_fast_abort(c);
        return;
    }
    if (!c->in_flight)
        return;
    struct hn_http_result r;
    curl_multi_remove_handle(c->m->multi, c->easy);
    c->in_flight = false;
    fill_result(c, CURLE_OK, true, &r);
    c->done(c->user, &r);
}

const char *hn_http_header(struct hn_http_conn *c, const char *name, size_t *len)
{
    if (c->last_fast)
        return hn_fast_header(c, name, len);
    struct curl_header *h = NULL;
    if (curl_easy_header(c->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
        return NULL;
    *len = strlen(h->value);
    return h->value;
}
