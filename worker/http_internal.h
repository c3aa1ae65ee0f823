/* Private structures of the libcurl transport (http.h), shared by
 * http_multi.c (multi-socket glue on libev, one struct hn_http per engine
 * thread), http_conn.c (one easy handle per user: requests and results) and
 * http_prep.c (steps prepared once per run). Nothing outside http_*.c
 * includes this file or curl.h. */
#pragma once

#include <curl/curl.h>
#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

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
    CURLSH *share; /* DNS cache and TLS sessions of this thread's conns */
    struct hn_multi **multis; /* each allocated once: conns point at them */
    uint32_t n_multis, cap_multis;
    struct hn_sock *free_socks;
    long buffer_size; /* CURLOPT_BUFFERSIZE for new conns */
    int ca_fd;        /* memfd holding the scenario's CA bundle, or -1 */
    char ca_path[48]; /* "/proc/self/fd/N", or "" for the system bundle */
};

struct hn_http_conn {
    struct hn_http *h;
    struct hn_multi *m;
    CURL *easy; /* owned, reused for every request */
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
    char *body; /* kept body, up to the scenario's max_body */
    size_t body_len, body_cap;
    char errbuf[CURL_ERROR_SIZE];
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
};

/* http_multi.c */
int hn_http_multi_for_new_conn(struct hn_http *h, struct hn_multi **out);
/* Add the conn's easy handle to its multi (the request starts). */
int hn_http_multi_add(struct hn_http_conn *c);

/* http_conn.c: a transfer finished (CURLMSG_DONE); calls the done callback. */
void hn_http_conn_finished(struct hn_http_conn *c, CURLcode result);
