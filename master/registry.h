/* The master's list of workers: who joined (HELLO), on which host, when it
 * was last heard from, what it was told to run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "distribute.h"
#include "msg.h"

/* Bound on registered workers: a flood of HELLOs cannot grow memory. */
#define HN_REGISTRY_MAX 4096
#define HN_REGISTRY_HOSTS_MAX 4096

struct hn_worker {
    uint8_t route[256]; /* ZeroMQ routing identity */
    size_t route_len;
    struct hn_msg_hello hello;
    uint32_t index;        /* join order, sent in WELCOME */
    uint32_t host;         /* host number (same hostname = same host) */
    bool missing;          /* silent for too long; users moved away */
    bool final_received;   /* its last report is in: it runs no more users */
    double last_seen;      /* loop time of its last valid message */
    struct hn_share share; /* users it was last told to run */
    uint32_t granted[HN_PROTO_CLASSES_MAX]; /* users per class it holds ids for */
    uint32_t users;        /* users it reported running */
    uint32_t cpu_permille;
    uint64_t rss_bytes;
};

struct hn_registry {
    struct hn_worker *workers;
    uint32_t n, cap;
    char (*hosts)[HN_PROTO_HOSTNAME_MAX + 1];
    uint32_t n_hosts;
};

void hn_registry_init(struct hn_registry *r);
void hn_registry_deinit(struct hn_registry *r);

/* Worker with routing identity @route, or NULL. */
struct hn_worker *hn_registry_find(struct hn_registry *r, const void *route, size_t len);

/* Register a HELLO: a new worker, or the same identity saying HELLO again
 * (it is alive again). *out is valid until the next join. 0, HN_E_TOO_LARGE
 * (registry full) or -ENOMEM. @rejoined tells which case it was. */
int hn_registry_join(struct hn_registry *r, const void *route, size_t len,
                     const struct hn_msg_hello *hello, double now, struct hn_worker **out,
                     bool *rejoined);

/* True if @w can run users: not missing, and no FINAL from it yet (after
 * its FINAL a worker stays stopped, whether the master asked or not). */
static inline bool hn_worker_active(const struct hn_worker *w)
{
    return !w->missing && !w->final_received;
}

/* Workers that can run users (hn_worker_active). */
uint32_t hn_registry_alive(const struct hn_registry *r);
