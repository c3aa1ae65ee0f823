/* A tiny keep-alive HTTP/1.1 server for engine unit tests (http-stub.c):
 * counts requests by "METHOD target", keeps the first SRV_LOG requests
 * whole (headers and body) for tests to inspect, and answers by path (see
 * http-stub.c for the routes). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_CONNS 64
#define SRV_BUF 16384
#define SRV_KEYS 256
#define SRV_KEY_MAX 192
#define SRV_LOG 2048
#define SRV_HEAD_MAX 2048
#define SRV_BODY_MAX 1024

struct srv_conn {
    int fd;
    uint32_t id; /* accept order, from 1: tells connections apart */
    size_t len;
    char buf[SRV_BUF + 1];
};

/* One request as the server read it. */
struct srv_req {
    double at;     /* CLOCK_MONOTONIC seconds when it was read */
    uint32_t conn; /* srv_conn.id it came on */
    char method[16];
    char target[SRV_KEY_MAX]; /* path and query as sent */
    char head[SRV_HEAD_MAX];  /* header lines, each "Name: value\r\n" */
    char body[SRV_BODY_MAX];  /* may hold NUL bytes */
    size_t body_len;
    bool has_content_length;
};

struct srv {
    int listen_fd, wake[2];
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the counts and the log */
    struct {
        char key[SRV_KEY_MAX + 20]; /* "GET /a" */
        uint64_t n;
    } counts[SRV_KEYS];
    uint32_t n_keys;
    uint64_t total;
    uint32_t n_log; /* requests kept in log[], at most SRV_LOG */
    struct srv_req log[SRV_LOG];
    uint32_t accepted; /* connections so far */
    struct srv_conn conns[SRV_CONNS];
};

/* Start the server thread on 127.0.0.1 and a free port (s->port). */
struct srv *srv_start(void);
void srv_stop(struct srv *s);
/* Requests "METHOD target" the server has read, and all of them. */
uint64_t srv_count(struct srv *s, const char *key);
uint64_t srv_total(struct srv *s);
/* Requests whose "METHOD target" starts with @prefix. */
uint64_t srv_count_prefix(struct srv *s, const char *prefix);
/* Requests kept in the log so far. */
uint32_t srv_logged(struct srv *s);
/* Copy of log entry @i (< srv_logged()), taken under the lock. */
void srv_log_get(struct srv *s, uint32_t i, struct srv_req *out);
/* Value of header @name (any case) of @req into @out (size @cap); false if
 * the request has no such header. */
bool srv_req_header(const struct srv_req *req, const char *name, char *out, size_t cap);
/* CLOCK_MONOTONIC now, in seconds (the clock of srv_req.at). */
double srv_now(void);
/* A listening socket on 127.0.0.1 and a free port (for closed-port tests). */
int listen_any(uint16_t *port);
