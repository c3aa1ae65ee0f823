/* Responses on the fast path, read with http-parser (the parser wrk uses,
 * Debian's libhttp-parser): status, the final response's headers when a
 * capture reads one, the body counted and kept as the libcurl path keeps
 * it. Interim 1xx responses are skipped as libcurl skips them; a HEAD
 * response has no body whatever its headers say. */
#include "http_internal.h"

#include <pthread.h>
#include <string.h>

/* libcurl (7.88) takes header lines of up to 100 KiB each and 300 KiB of
 * them in all (MAX_HTTP_RESP_HEADER_SIZE); http-parser's default is 80 KiB
 * in all. */
#define HEADERS_MAX_BYTES (300u << 10)

static void setup_once(void)
{
    http_parser_set_max_header_size(HEADERS_MAX_BYTES); /* process-wide */
}

void hn_fast_parse_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, setup_once);
}

static struct hn_http_conn *conn_of(http_parser *p)
{
    return p->data;
}

static int on_message_begin(http_parser *p)
{
    struct hn_http_conn *c = conn_of(p);
    c->fast.hdrs.len = 0;
    c->fast.in_value = false;
    c->fast.interim = false;
    return 0;
}

/* Header names and values, possibly in pieces: stored as "name\0value\0"
 * pairs for hn_fast_header. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct hn_fast *f = &conn_of(p)->fast;
    if (!f->keep_headers)
        return 0;
    if (f->in_value || f->hdrs.len == 0) {
        if (f->in_value && hn_buf_append(&f->hdrs, "", 1))
            return -1;
        f->in_value = false;
    } else {
        f->hdrs.len--; /* the name goes on: drop its NUL */
    }
    return hn_buf_append(&f->hdrs, at, len) || hn_buf_append(&f->hdrs, "", 1) ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct hn_fast *f = &conn_of(p)->fast;
    if (!f->keep_headers)
        return 0;
    f->in_value = true;
    return hn_buf_append(&f->hdrs, at, len) ? -1 : 0;
}

static int on_headers_complete(http_parser *p)
{
    struct hn_http_conn *c = conn_of(p);
    struct hn_fast *f = &c->fast;
    if (f->keep_headers && f->in_value && hn_buf_append(&f->hdrs, "", 1))
        return -1;
    f->in_value = false;
    /* 1: no body follows, whatever Content-Length says (as libcurl). */
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
        f->interim = true; /* 100 Continue, 103 Early Hints: the answer follows */
        return 1;
    }
    f->status = p->status_code;
    f->headers_done = true;
    bool skip = f->head || p->status_code == 204 || p->status_code == 304;
    f->length_body = !skip && !(p->flags & F_CHUNKED) && (p->flags & F_CONTENTLENGTH) &&
                     p->content_length > 0;
    return skip ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct hn_http_conn *c = conn_of(p);
    if (c->fast.interim)
        return 0;
    c->bytes += len;
    hn_http_keep_body(c, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct hn_http_conn *c = conn_of(p);
    if (c->fast.interim)
        return 0; /* the final response is next */
    c->fast.message_done = true;
    http_parser_pause(p, 1); /* bytes after it are not this request's */
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void hn_fast_parse_begin(struct hn_http_conn *c)
{
    http_parser_init(&c->fast.parser, HTTP_RESPONSE);
    c->fast.parser.data = c;
    /* Transfer-Encoding: chunked with a Content-Length too (some proxies):
     * the chunks frame the body, as libcurl reads it and HTTP/1.1 says. */
    c->fast.parser.allow_chunked_length = 1;
    c->fast.hdrs.len = 0;
    c->fast.in_value = false;
    c->fast.interim = false;
}

size_t hn_fast_parse(struct hn_http_conn *c, const char *data, size_t n, enum http_errno *err)
{
    size_t used = http_parser_execute(&c->fast.parser, &settings, data, n);
    *err = HTTP_PARSER_ERRNO(&c->fast.parser);
    return used;
}

/* Trim what libcurl trims around a header value. */
static bool blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

const char *hn_fast_header(struct hn_http_conn *c, const char *name, size_t *len)
{
    const struct hn_buf *h = &c->fast.hdrs;
    size_t at = 0;
    while (at < h->len) {
        const char *n = h->p + at;
        size_t nl = strnlen(n, h->len - at);
        if (at + nl + 1 >= h->len)
            break;
        const char *v = n + nl + 1;
        size_t vl = strnlen(v, h->len - at - nl - 1);
        if (strcasecmp(n, name) == 0) {
            while (vl && blank(*v))
                v++, vl--;
            while (vl && blank(v[vl - 1]))
                vl--;
            *len = vl;
            return v;
        }
        at += nl + 1 + vl + 1;
    }
    return NULL;
}
