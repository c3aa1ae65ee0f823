/* What hornet-target's request lifecycle (server.c), its endpoints
 * (routes.c) and their response helpers (respond.c) share. */
#pragma once

#include "delay.h"
#include "pages.h"
#include "reply.h"
#include "shop.h"
#include "stats.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request bodies above this are refused with 413. */
#define BODY_MAX (64 * 1024)
/* A body (chunked, so its size is not known up front) past this is not
 * even read: the connection is closed. Between BODY_MAX and this, it is
 * read and dropped so the client gets its 413. */
#define BODY_DISCARD_MAX (1024 * 1024)
/* GET /delay?ms=N waits at most this long. */
#define DELAY_MAX_MS 60000

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

/* Values of *req_cls for requests with no state of their own: headers
 * seen (counted, not yet answered), GET /delay suspended or resumed, and
 * GET /status/1xx after its interim response. A POST with a body has a
 * struct request of server.c instead. */
extern char hn_req_headers_seen, hn_req_delay_resumed, hn_req_interim_sent, hn_req_stall_resumed;

static inline bool hn_req_is_marker(const void *req_cls)
{
    return req_cls == &hn_req_headers_seen || req_cls == &hn_req_delay_resumed ||
           req_cls == &hn_req_interim_sent || req_cls == &hn_req_stall_resumed;
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

/* respond.c */
/* Strict decimal: digits only, value <= max. */
bool hn_parse_uint(const char *s, unsigned long max, unsigned long *out);
enum MHD_Result hn_send_page(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
/* Send and release *reply (its owned body passes to libmicrohttpd). */
enum MHD_Result hn_send_reply(struct hn_server *s, struct MHD_Connection *c,
                              struct hn_reply *reply);
/* Send text built per request (copied by libmicrohttpd). */
enum MHD_Result hn_send_text(struct hn_server *s, struct MHD_Connection *c, unsigned status,
                             const char *text, size_t len, const char *type);
/* The query argument @key, or NULL. */
const char *hn_query_arg(struct MHD_Connection *c, const char *key);

/* routes.c */
/* The route of @url (*out_arg: what follows a prefix route), or NULL. */
const struct route *hn_route_find(const char *url, const char **out_arg);
/* Called again once the timer thread resumed a GET /delay request. */
enum MHD_Result hn_finish_delay(struct hn_server *s, struct MHD_Connection *c);
