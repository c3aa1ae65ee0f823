/* The HTTP transport seam. Everything that knows libcurl sits behind this
 * header (http_*.c): the engine, the virtual users and the recorder see
 * requests and results only. libcurl owns every connection (DNS, connect,
 * TLS, proxies, redirects, HTTP/2); a virtual user owns one connection slot
 * (struct hn_http_conn), so its keep-alive connection and cookie jar stay
 * its own, as a browser session would.
 *
 * Two transports behind it, chosen per step when the plan is built: a full
 * libcurl transfer, or the fast path for eligible HTTP/1.1 steps
 * (common/fastpath.h), where libcurl opens the connection and Hornet writes
 * the request and parses the response. Results mean the same either way.
 *
 * Three lifetimes, as in curl's evhiperfifo.c:
 *   struct hn_http_prep  one per scenario step, built once per run and
 *                        shared read-only by every engine thread;
 *   struct hn_http       one per engine thread (its loop, multi handles,
 *                        shared DNS cache and TLS sessions);
 *   struct hn_http_conn  one per virtual user, reused for every request. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct hn_http;
struct hn_http_conn;
struct hn_http_prep;

/* Process-wide set-up and tear-down of the transport library, before any
 * thread starts and after every one ended. 0 or -ENOMEM. */
int hn_http_global_init(void);
void hn_http_global_cleanup(void);

/* What a step sends, as far as it is fixed at load time. */
struct hn_http_step_desc {
    const char *method;             /* "GET", ... */
    const char *url;                /* absolute URL when fixed, else NULL */
    const char *const *header_lines; /* "Name: value" lines when all fixed, else NULL */
    uint32_t n_header_lines;
    bool has_body;    /* the step sends a body (POST with "" included) */
    const char *body; /* the body when fixed (has_body), else NULL */
    size_t body_len;
    uint64_t timeout_ms; /* > 0 */
    bool follow_redirects;
    bool fast;          /* run on the fast path (the step is eligible) */
    const char *origin; /* fast: "scheme://authority" requests go to */
    size_t origin_len;
    bool keep_headers;  /* a capture reads a response header (hn_http_header) */
};

/* Prepare a step for every engine thread (URL parsed once, fixed header
 * list built once). 0; HN_E_INVALID with a reason in @why (a URL libcurl
 * cannot parse, a scheme other than http or https); -ENOMEM. */
int hn_http_prep_new(const struct hn_scenario *s, const struct hn_http_step_desc *d,
                     struct hn_http_prep **out, char *why, size_t why_len);
void hn_http_prep_free(struct hn_http_prep *p);

/* One request, completing a prepared step with what was rendered now.
 * Pointed-to memory must stay valid until the done callback. */
struct hn_http_request {
    const struct hn_http_prep *prep;
    const char *url;                 /* NULL: the prepared URL */
    const char *const *header_lines; /* NULL: the prepared header list */
    uint32_t n_header_lines;
    const char *body; /* NULL: the prepared body (if any) */
    size_t body_len;
    bool keep_body; /* keep up to max_body bytes of the response body */
};

/* A finished request. Times in microseconds. */
struct hn_http_result {
    long status;        /* HTTP status of the last response; 0 if none */
    uint32_t fail_slot; /* transport failure (hn_fail_slot()), or HN_FAIL_NONE;
                           HTTP statuses are the caller's to judge */
    const char *detail; /* for some failures (TLS), what failed; NULL otherwise */
    bool new_connection;
    uint64_t total_us, dns_us, connect_us, tls_us, ttfb_us;
    uint64_t bytes;     /* response body bytes received */
    const char *body;   /* the kept body (keep_body), NOT NUL-terminated */
    size_t body_len;
    bool body_truncated; /* the body was longer than max_body */
};

typedef void (*hn_http_done_fn)(void *user, const struct hn_http_result *r);

/* Transport of one engine thread, on @loop. @s supplies TLS, HTTP version,
 * cookie and body-size settings and must outlive it. 0 or -ENOMEM. */
int hn_http_new(struct ev_loop *loop, const struct hn_scenario *s, struct hn_http **out);
/* Abort whatever runs (without callbacks) and free. Every conn must have
 * been freed first. NULL-safe. */
void hn_http_free(struct hn_http *h);
/* Users this thread is about to run: sizes receive buffers of new conns
 * (16 KiB each up to 1,000 users, shrinking to 1 KiB at 16,000). */
void hn_http_set_users_hint(struct hn_http *h, uint32_t users);

/* A connection slot for one user; @done is called once per request. */
int hn_http_conn_new(struct hn_http *h, hn_http_done_fn done, void *user,
                     struct hn_http_conn **out);
/* Free (aborting a request in flight, without callback). NULL-safe. */
void hn_http_conn_free(struct hn_http_conn *c);
/* The user leaves: its connections close, its cookies and TLS sessions
 * are forgotten, and a user given the slot later starts afresh. No
 * request may be in flight. */
void hn_http_conn_leave(struct hn_http_conn *c);

/* Start @req. 0: the done callback follows (never from inside this call).
 * A negative errno: nothing was started. */
int hn_http_start(struct hn_http_conn *c, const struct hn_http_request *req);
/* Abort the request in flight, if any: the done callback runs at once with
 * fail_slot = "aborted at stop". */
void hn_http_abort(struct hn_http_conn *c);
/* After the done callback, until the next start: the value of response
 * header @name (any case; the last response's first such header), or NULL.
 * *len gets its length. */
const char *hn_http_header(struct hn_http_conn *c, const char *name, size_t *len);
