/* A tiny keep-alive HTTP/1.1 server for engine unit tests (http-stub.c). */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_CONNS 64
#define SRV_BUF 16384
#define SRV_KEYS 32

struct srv_conn {
    int fd;
    size_t len;
    char buf[SRV_BUF + 1];
};

struct srv {
    int listen_fd, wake[2];
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the counts */
    struct {
        char key[96]; /* "GET /a" */
        uint64_t n;
    } counts[SRV_KEYS];
    uint32_t n_keys;
    uint64_t total;
    struct srv_conn conns[SRV_CONNS];
};

/* Start the server thread on 127.0.0.1 and a free port (s->port). */
struct srv *srv_start(void);
void srv_stop(struct srv *s);
/* Requests "METHOD path" the server has read, and all of them. */
uint64_t srv_count(struct srv *s, const char *key);
uint64_t srv_total(struct srv *s);
/* A listening socket on 127.0.0.1 and a free port (for closed-port tests). */
int listen_any(uint16_t *port);
