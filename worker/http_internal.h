/* Private structures of the transport (http.h), shared by http_multi.c
 * (multi-socket glue on libev, one struct hn_http per engine thread),
 * http_conn.c (one easy handle per user: requests and results),
 * http_prep.c (steps prepared once per run) and the fast path: http_fast.c
 * (connections libcurl opens, requests written and answers read by Hornet),
 * http_fast_req.c (the request bytes) and http_fast_parse.c (responses,
 * through http-parser). In the worker nothing outside http_* includes
 * this file, curl.h or http_parser.h. Two unit tests look inside the seam:
 * test-plan.c includes this file (the steps prepared for libcurl) and
 * test-recorder.c http_classify.h (libcurl errors to failure kinds). */
#pragma once

#include <curl/curl.h>
#include <ev.h>
#include <http_parser.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"

/* Users per libcurl multi handle: libcurl looks for a reusable connection
 * by walking every connection to the host in the multi's cache, so with
 * thousands of users on one multi that walk dominates (throughput
 * collapses); with 64 it stays short. libcurl also caches the CA store per
 * multi handle, so it is loaded once per 64 users, not per connection. */
#define HN_HTTP_USERS_PER_MULTI 64

/* One curl multi handle and its timer. */
struct hn_multi {
    CURLM *multi;
    ev_timer timer; /* CURLMOPT_TIMERFUNCTION's single timeout */
    struct hn_http *h;
    uint32_t n_conns; /* conns assigned to this multi */
};

/* One socket libcurl asked us to watch (CURLMOPT_SOCKETFUNCTION). */
struct hn_sock {
    ev_io io;
    curl_socket_t fd;
    struct hn_multi *m;
    struct hn_sock *next_free;
};

struct hn_http {
    struct ev_loop *loop;
    const struct hn_scenario *s;
    CURLSH *share;            /* DNS cache of this thread's fast-path handles */
    struct hn_multi **multis; /* each allocated once: conns point at them */
    uint32_t n_multis, cap_multis;
    struct hn_sock *free_socks;
    long buffer_size; /* CURLOPT_BUFFERSIZE for new conns */
    int ca_fd;        /* memfd holding the scenario's CA bundle, or -1 */
    /* The fast path's receive buffer, one per thread: http-parser consumes
     * every read before the next, and what a request keeps (body, headers)
     * is copied out, so no conn needs one of its own. */
    char *fast_in;
    size_t fast_in_cap;
    char ca_path[48]; /* "/proc/self/fd/N", or "" for the system bundle */
};

/* A growing byte buffer of a conn: it reaches its steady size after a few
 * requests, then nothing allocates. */

/* The fast path of one conn: a connection libcurl opened (CONNECT_ONLY),
 * kept by leaving its easy handle in the multi (removing it closes the
 * connection), on which Hornet writes requests and reads responses. */
struct hn_fast {
    CURL *easy;     /* CONNECT_ONLY handle, made at the first fast request */
    bool added;     /* easy is in the multi: connecting, or connected */
    bool connected; /* the connection is open (fd valid, watched by io) */
    bool attached;  /* libcurl re-attached it (first curl_easy_send done) */
    bool tls;
    bool used;      /* a request ran on it already (a retry is allowed) */
    struct hn_buf origin; /* "scheme://authority/" connected to (NUL-ended) */
    curl_socket_t fd;
    ev_io io;       /* EV_READ always while connected; EV_WRITE while sending */
    bool want_write;
    ev_timer timer; /* the request's deadline (checked lazily, see http_fast.c) */
    ev_tstamp deadline;
    bool starting;      /* inside hn_http_start: no callback now */
    bool pending_fail;  /* a failure to report from the loop */
    uint32_t pending_slot;
    http_parser parser;
    /* The request in flight. */
    const struct hn_http_prep *prep;
    const char *out; /* request bytes: the prep's, or req below */
    size_t out_len, out_at;
    struct hn_buf req;  /* rendered requests */
    struct hn_buf hdrs; /* the final response's headers, "name\0value\0"... */
    bool keep_headers, in_value;
    uint32_t retries;
    bool head;        /* HEAD: the response has no body */
    bool got_bytes;   /* any byte of the response */
    bool got_line;    /* a whole line of it (libcurl retries only before) */
    bool headers_done, message_done, interim, close_after;
    bool length_body; /* the body's end is its Content-Length */
    bool retried;     /* sent again on a new connection (see retry()) */
    long status;
    bool new_connection;
    uint64_t t_start_ns, t_pre_ns, t_first_ns;
    uint64_t dns_us, connect_us, tls_us;
};

/* Redirects a step that follows them takes at most; one more fails it
 * with "too many redirects" (SCENARIOS.md). */
#define HN_HTTP_MAX_REDIRECTS 30L

struct hn_http_conn {
    struct hn_http *h;
    struct hn_multi *m;
    CURL *easy; /* owned, reused for every libcurl request; made at the first */
    CURLSH *own_conns; /* the easy handle's connection cache: this user's alone */
    hn_http_done_fn done;
    void *user;
    bool in_flight;
    /* What the easy handle holds, to skip setopt calls that would change
     * nothing: the prepared step whose method and options are set, and the
     * one whose fixed URL, header list and body are (NULL: rendered ones). */
    const struct hn_http_prep *loaded;
    const struct hn_http_prep *url_from, *headers_from, *body_from;
    long http_version; /* CURLOPT_HTTP_VERSION set, 0 before any */
    struct curl_slist *nodes; /* header list nodes for rendered headers */
    uint32_t cap_nodes;
    uint64_t bytes; /* body bytes of the request in flight */
    bool keep_body, truncated;
    bool redone; /* sent once more after libcurl's sixth retry (http_conn.c) */
    char *body; /* kept body, up to the scenario's max_body */
    size_t body_len, body_cap;
    char errbuf[CURL_ERROR_SIZE];
    bool last_fast; /* the last request ran on the fast path */
    struct hn_fast fast;
};

enum hn_prep_method { HN_PREP_GET, HN_PREP_HEAD, HN_PREP_POST, HN_PREP_OTHER };

struct hn_http_prep {
    char *method;
    enum hn_prep_method kind;
    CURLU *curlu;               /* fixed URL, parsed once (read-only), or NULL */
    bool https;                 /* fixed URL is https (HTTP/2 over TLS) */
    struct curl_slist *headers; /* fixed header list, or NULL */
    bool has_body;
    char *body; /* fixed body (copy), when has_body */
    size_t body_len;
    long timeout_ms;
    bool follow_redirects;
    /* The fast path (hn_http_step_desc.fast): */
    bool fast;
    bool keep_headers;   /* a capture reads a response header */
    char *origin;        /* "scheme://authority/" to connect to */
    bool origin_https;
    size_t origin_len;   /* bytes of a rendered URL before its request target */
    char *target;        /* the fixed URL's request target ("/path?query") */
    char *host_line;     /* "Host: name[:port]\r\n" as libcurl writes it */
    const char *const *lines; /* the fixed header lines (copies), or NULL */
    char **line_copies;
    uint32_t n_lines;
    char *request;       /* the whole request when nothing is rendered */
    size_t request_len;
};

/* http_multi.c */
int hn_http_multi_for_new_conn(struct hn_http *h, struct hn_multi **out);
/* Add the conn's easy handle to its multi (the request starts). */
int hn_http_multi_add(struct hn_http_conn *c);

/* http_conn.c: a transfer finished (CURLMSG_DONE); calls the done callback. */
void hn_http_conn_finished(struct hn_http_conn *c, CURLcode result);
/* The conn's libcurl handle, made with the conn's options on first use. */
int hn_http_conn_easy(struct hn_http_conn *c);
/* Options every easy handle of @c gets (TLS, share, protocols, ...). */
void hn_http_easy_defaults(struct hn_http_conn *c, CURL *e);
/* Keep up to max_body bytes of a response body (keep_body). */
void hn_http_keep_body(struct hn_http_conn *c, const char *data, size_t len);

/* http_fast.c */
int hn_fast_start(struct hn_http_conn *c, const struct hn_http_request *req);
/* The CONNECT_ONLY transfer ended (CURLMSG_DONE). */
void hn_fast_connected(struct hn_http_conn *c, CURLcode result);
void hn_fast_abort(struct hn_http_conn *c);
/* Close the connection and drop the handle (made again at the next
 * request); the buffers stay. hn_fast_free: and the buffers. */
void hn_fast_leave(struct hn_http_conn *c);
void hn_fast_free(struct hn_http_conn *c);
const char *hn_fast_header(struct hn_http_conn *c, const char *name, size_t *len);

/* http_fast_req.c */
/* The request bytes libcurl 7.88 would write for @p with @target, the
 * header @lines and the body (has_body), appended to @out. 0 or -ENOMEM. */
int hn_fast_request(struct hn_buf *out, const struct hn_http_prep *p, const char *target,
                    size_t target_len, const char *const *lines, uint32_t n_lines, const char *body,
                    size_t body_len);
/* Prepare the fast path of @p from @d (origin, target, Host line, the whole
 * request when nothing is rendered). 0, HN_E_INVALID (@why), -ENOMEM. */
int hn_fast_prep(struct hn_http_prep *p, const struct hn_http_step_desc *d, char *why,
                 size_t why_len);
void hn_fast_prep_free(struct hn_http_prep *p);

/* http_fast_parse.c */
/* Process-wide parser settings (the header size limit): once, from
 * hn_http_new. */
void hn_fast_parse_setup(void);
/* Reset the parser for a new response. */
void hn_fast_parse_begin(struct hn_http_conn *c);
/* Feed @n bytes (@n == 0: the connection ended). Returns the bytes used;
 * *err gets the parser's error (HPE_OK when none, HPE_PAUSED once the
 * response is complete). */
size_t hn_fast_parse(struct hn_http_conn *c, const char *data, size_t n, enum http_errno *err);
