/* The master's list of workers: who joined (HELLO), under which identity
 * (the CurveZMQ public key, or without CURVE the id in its HELLO), on which
 * connection (route) and host, when it was last heard from, what it was
 * told to run, and whether it was thrown out for breaking a limit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "curve.h"
#include "distribute.h"
#include "grant_ledger.h"
#include "msg.h"

/* A worker's identity: a CurveZMQ key (Z85), the key, a space and the id
 * of its HELLO (a key many workers share), or that id alone. */
#define HN_REGISTRY_IDENTITY_MAX (HN_CURVE_KEY_Z85_LEN + 1 + HN_PROTO_ID_MAX)
/* A worker's run id: the run's (< 40), a slash, 32 hex digits. */
#define HN_REGISTRY_RUN_ID_MAX 80

/* Hard bound on registered workers (--max-workers is at most this): a flood
 * of HELLOs cannot grow memory. */
#define HN_REGISTRY_MAX 16384
#define HN_REGISTRY_HOSTS_MAX 4096
#define HN_REGISTRY_ROUTE_MAX 256
#define HN_REGISTRY_REASON_MAX 160

struct hn_worker {
    uint8_t route[HN_REGISTRY_ROUTE_MAX]; /* ZeroMQ routing id of its connection now */
    size_t route_len;
    /* Who it is: its Z85 public key with CURVE (and its worker id when
     * the key is shared), else the worker id of its HELLO. A HELLO with a
     * known identity is that worker coming back. */
    char identity[HN_REGISTRY_IDENTITY_MAX + 1];
    bool keyed;      /* identity starts with a CurveZMQ key */
    bool shared_key; /* ... that other workers may hold too (--allow-shared-key) */
    struct hn_msg_hello hello;
    uint32_t index;      /* join order, sent in WELCOME */
    uint32_t host;       /* host number (same hostname = same host) */
    bool missing;        /* silent for too long; users moved away */
    bool final_received; /* its last report is in: it runs no more users */
    /* Its process said (HEARTBEAT LOADED or RUNNING) that it holds the
     * run's scenario: only then does it count towards --expect-workers and
     * get users (one that cannot run it says DECLINE instead). */
    bool loaded;
    bool banned;         /* broke a limit: ignored for the rest of the run */
    char ban_reason[HN_REGISTRY_REASON_MAX];
    /* It cannot run the run's scenario (its DECLINE): it stays connected
     * and idle, and gets no users (a new process of it gets the scenario
     * again). */
    bool declined;
    char decline_reason[HN_PROTO_REASON_MAX + 1];
    double last_seen;      /* when its last valid message was read, on the liveness clock
                              (lag.h: monotonic seconds without the master's stalls) */
    double last_welcome;   /* loop time of the last WELCOME sent (rate limit) */
    double last_sent;      /* loop time the master last queued a message for it */
    double last_back_log;  /* loop time "is back" was last logged (rate limit) */
    /* Another process saying HELLO with this identity while this worker's
     * connection is still up: liveness-clock times of the first and the
     * latest HELLO of that claim (receive.c: a duplicate, or a restart). */
    double claim_since, claim_last;
    /* last_seen less the receive backlog that message had waited in: when
     * the worker was last known to be alive (what a claim is judged by) */
    double alive_at;
    /* The run id its process got in its WELCOME: the run's, a slash and a
     * secret of that process. A HELLO carrying it on another connection is
     * that process reconnecting; host and pid prove nothing. */
    char run_id[HN_REGISTRY_RUN_ID_MAX + 1];
    struct hn_share share; /* users it was last told to run */
    uint32_t granted[HN_PROTO_CLASSES_MAX]; /* users per class it holds ids for */
    struct hn_grant_ledger grants;          /* which GRANTs arrived (grant_ledger.h) */
    uint32_t users;                         /* users it reported running */
    uint32_t cpu_permille;
    uint64_t rss_bytes;
    /* Highest SNAPSHOT/FINAL seq received from its process, and the reports
     * whose seq never arrived (sent while the master was unreachable): their
     * requests are not in the totals. */
    uint64_t snap_seq;
    uint64_t reports_lost;
    /* How late its reports arrive (receive.c note_delay): the first
     * report's arrival (liveness clock) and end (its clock), the worst
     * delay seen since, and the delay last said in the log. */
    double delay_base_at;
    uint64_t delay_base_end_ms, delay_last_end_ms;
    double delay_max_s, delay_said_s, delay_last_s; /* worst, last said, latest */
    /* Statistics bytes it may still send (token bucket, see limits_check.h). */
    double stats_budget;
    double stats_budget_at; /* loop time the budget was last refilled */
};

struct hn_registry {
    struct hn_worker *workers;
    uint32_t n, cap;
    uint32_t max; /* --max-workers */
    /* Hash tables (linear probing) from a connection's routing id and from
     * an identity to the worker: index + 1, 0 = empty. Every message is
     * looked up, so a run of thousands of workers must not scan them. */
    uint32_t *by_route, *by_identity;
    uint32_t mask; /* cells - 1 */
    char (*hosts)[HN_PROTO_HOSTNAME_MAX + 1];
    uint32_t n_hosts;
};

/* @max: most workers registered at once (1..HN_REGISTRY_MAX). */
void hn_registry_init(struct hn_registry *r, uint32_t max);
void hn_registry_deinit(struct hn_registry *r);

/* Worker whose connection has routing id @route, or NULL. */
struct hn_worker *hn_registry_find_route(struct hn_registry *r, const void *route, size_t len);
/* Worker with identity @identity, or NULL. */
struct hn_worker *hn_registry_find_identity(struct hn_registry *r, const char *identity);

/* Register a new worker (its identity must not be registered yet). *out is
 * valid until the next add. 0; HN_E_TOO_LARGE when @max workers are
 * registered already (or @len is over HN_REGISTRY_ROUTE_MAX); -ENOMEM. */
int hn_registry_add(struct hn_registry *r, const void *route, size_t len, const char *identity,
                    bool keyed, const struct hn_msg_hello *hello, double now,
                    struct hn_worker **out);

/* @w (of @r) now speaks over the connection @route (it reconnected). */
/* Whether connection @a was opened before connection @b, when both routing
 * ids are the ROUTER's own: libzmq 4.x names each new connection a zero
 * byte and a 32-bit counter, big-endian, that only grows (compared modulo
 * 2^32). False when either id is not of that form. */
bool hn_route_older(const void *a, size_t alen, const void *b, size_t blen);

void hn_registry_set_route(struct hn_registry *r, struct hn_worker *w, const void *route,
                           size_t len);

/* True if @w can run users: it loaded the scenario, is not missing, not
 * banned, and no FINAL from it yet (after its FINAL a worker stays
 * stopped, whether the master asked or not). */
static inline bool hn_worker_active(const struct hn_worker *w)
{
    return w->loaded && !w->missing && !w->final_received && !w->banned && !w->declined;
}

/* Workers that can run users (hn_worker_active). */
uint32_t hn_registry_alive(const struct hn_registry *r);
/* Users the workers not missing nor thrown out say they run, a sum that
 * sticks at UINT32_MAX: each worker's figure is its own word, up to
 * 2^32 - 1, and a sum that wrapped around showed a run of thousands of
 * users as a handful. */
uint32_t hn_registry_users(const struct hn_registry *r);
/* Workers that declined the run's scenario. */
uint32_t hn_registry_declined(const struct hn_registry *r);
