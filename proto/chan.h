/* ZeroMQ channel between master and workers, driven by a libev loop: one
 * ROUTER on the master, one DEALER per worker, one msgpack value per frame.
 * Receiving never blocks the loop and sending never blocks (ZMQ_DONTWAIT). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

/* Messages handled per loop iteration at most, so that a flood of control
 * messages cannot starve the other watchers (curl transfers, timers); the
 * rest is handled on the next iterations, without the loop blocking. */
#define HN_CHAN_BATCH 256

/* Default high-water mark, in messages, per peer and per direction. Control
 * traffic is small (a heartbeat and a snapshot per second per worker), so
 * 1000 messages is minutes of backlog while a peer is slow or away, yet
 * bounds the memory a stuck peer can pin. A send beyond it returns -EAGAIN. */
#define HN_CHAN_HWM_DEFAULT 1000

struct hn_chan;

/* A ROUTER received `len` payload bytes from the peer `id` (`id_len` bytes).
 * Both buffers are valid only during the call. The callback may send on the
 * channel and may close it (and then free its storage). */
typedef void (*hn_chan_router_cb)(struct hn_chan *c, const void *id, size_t id_len, const void *buf,
                                  size_t len, void *user);
/* A DEALER received `len` payload bytes; same rules as hn_chan_router_cb. */
typedef void (*hn_chan_dealer_cb)(struct hn_chan *c, const void *buf, size_t len, void *user);

/* Optional settings for the open functions; NULL means all defaults. */
struct hn_chan_opts {
    int hwm; /* messages per peer and direction; 0: HN_CHAN_HWM_DEFAULT */
    /* DEALER: watch the connection (a ZeroMQ socket monitor), so that
     * hn_chan_peer_up() can tell whether the peer is reachable now; and
     * connect again where libzmq (4.3) gave up for good (a failed
     * handshake, a peer that is no ZeroMQ socket: see chan_monitor.c). */
    bool watch_peer;
    /* ROUTER: count the connections refused for speaking another security
     * mechanism (CurveZMQ against none), hn_chan_mechanism_mismatches. */
    bool watch_handshakes;
    /* Called with the new zmq socket after Hornet's own options and before
     * bind/connect, to set more (e.g. CurveZMQ keys). May be NULL. Returns 0
     * or -errno; an error fails the open. */
    int (*setup)(void *zsock, void *arg);
    void *setup_arg;
    /* Once a drain that handed over messages has emptied the queue, wait
     * this many seconds (from the loop's time, ev_now) before the next one
     * (0: at once). A receiver with many peers that each send a little
     * then wakes up a few times per period instead of once per message:
     * at 1,000 workers a master woke ~2,000 times a second, each wake-up a
     * context switch on both its threads. Messages wait at most that much
     * longer; the backlog (hn_chan_backlog_age) does not count the wait.
     * When the drain at the end of a period finds nothing, no new period
     * starts: a quiet channel waits on ZMQ_FD. */
    double gather_s;
};

/* Counters, only ever touched by the loop's thread. */
struct hn_chan_stats {
    uint64_t received;          /* messages handed to the callback */
    uint64_t dropped_malformed; /* wrong number of frames, discarded */
    uint64_t sent;              /* messages queued by a send */
    uint64_t send_again;        /* sends refused with -EAGAIN (peer at its HWM) */
    uint64_t send_errors;       /* sends failed otherwise (e.g. -EHOSTUNREACH) */
};

/* Caller-owned storage: open fills it, close releases the socket. Fields are
 * private except `stats`. A channel belongs to its loop's thread: call every
 * function below from that thread only (zmq sockets are not thread-safe). */
struct hn_chan {
    void *sock; /* zmq socket; NULL when closed */
    struct ev_loop *loop;
    ev_io io;           /* ZMQ_FD readable: wakes the loop */
    ev_prepare prepare; /* before blocking: is a message waiting unseen? */
    ev_check check;     /* after polling: drain a batch */
    ev_idle idle;       /* active while work remains: keeps the loop from blocking */
    ev_timer gather;    /* hn_chan_opts.gather_s: ZMQ_FD unwatched until it fires */
    double gather_s;
    bool delivered; /* messages handed over since the queue was last empty */
    bool readable;      /* a message may be waiting: drain in the next check */
    bool dirty;         /* zmq may have consumed the ZMQ_FD edge: ask ZMQ_EVENTS */
    bool *closed_flag;  /* set by close while a drain is running */
    bool is_router;
    hn_chan_router_cb on_router_msg;
    hn_chan_dealer_cb on_dealer_msg;
    void *user;
    const char *peer_user_id; /* of the message being delivered, or NULL */
    void *monitor;            /* PAIR receiving the socket's monitor events, or NULL */
    bool peer_up;             /* handshake done and not disconnected since */
    uint64_t peer_ups;        /* handshakes done: a new one is a new connection */
    uint64_t mismatches;      /* handshakes failed on the security mechanism */
    char *dial;               /* DEALER: the endpoint it connects to (owned) */
    double redial_at;         /* DEALER: connect again then (monotonic s; 0: no) */
    double event_at;          /* DEALER: the last monitor event (or redial) */
    /* Backlog (hn_chan_backlog_age): monotonic seconds since when the
     * oldest message not handed over yet may have been waiting (0: none),
     * when the queue was last found empty, and whether the loop then went
     * to sleep with it empty. */
    double backlog_since, empty_at;
    bool slept_empty;
    struct hn_chan_stats stats;
};

/**
 * Open a ROUTER bound to `bind_endpoint` (e.g. "tcp://0.0.0.0:5557", or
 * "tcp://127.0.0.1:*" for a free port, see hn_chan_endpoint) and watch it
 * in `loop`. Options: linger 0, ZMQ_MAXMSGSIZE = HN_PROTO_FRAME_MAX,
 * ZMQ_ROUTER_MANDATORY (sending to an unknown peer fails), TCP keepalive;
 * it answers the DEALERs' ZMTP heartbeats but sends none (see chan.c). Not
 * ZMQ_ROUTER_HANDOVER: a second connection claiming a
 * routing id in use is not attached, so no peer can take over another's
 * route.
 * @param c     storage, overwritten (must not hold an open channel)
 * @param zctx  zmq context, shared by all channels of the process
 * @param opts  NULL for defaults
 * @return 0, or -errno (e.g. -EADDRINUSE); on error `c` is left closed.
 */
int hn_chan_router_open(struct hn_chan *c, void *zctx, struct ev_loop *loop,
                        const char *bind_endpoint, const struct hn_chan_opts *opts,
                        hn_chan_router_cb on_msg, void *user);

/**
 * Open a DEALER connected to `connect_endpoint` and watch it in `loop`. It
 * reconnects by itself (after 100 ms, backing off to 1 s) when the master
 * goes away, or does not answer a ZMTP heartbeat (one every 3 s) within
 * 5 s; messages sent
 * meanwhile are queued up to the HWM (see hn_chan_peer_up to avoid that).
 * @param identity  routing id the ROUTER sees (1..255 bytes, not starting
 *                  with a zero byte), or NULL for one chosen by zmq
 * @return 0 or -errno; on error `c` is left closed.
 */
int hn_chan_dealer_open(struct hn_chan *c, void *zctx, struct ev_loop *loop,
                        const char *connect_endpoint, const char *identity,
                        const struct hn_chan_opts *opts, hn_chan_dealer_cb on_msg, void *user);

/**
 * DEALER: queue one message (copied) for the master. Never blocks.
 * @return 0; -EAGAIN if the queue is at its HWM (retry later, e.g. from a
 *         timer); HN_E_TOO_LARGE beyond HN_PROTO_FRAME_MAX; HN_E_STATE if
 *         the channel is closed or a ROUTER; other -errno from zmq.
 */
int hn_chan_send(struct hn_chan *c, const void *buf, size_t len);

/**
 * ROUTER: queue one message (copied) for the peer `id`. Never blocks.
 * @return 0; -EHOSTUNREACH if no peer with that identity is connected;
 *         -EAGAIN if that peer's queue is at its HWM; HN_E_TOO_LARGE,
 *         HN_E_STATE (closed or a DEALER) or other -errno as hn_chan_send.
 */
int hn_chan_send_to(struct hn_chan *c, const void *id, size_t id_len, const void *buf, size_t len);

/* A frame sent to many peers, or many times (the master's SCENARIO): its
 * bytes are copied once, by hn_chan_frame_new; each hn_chan_send_frame_to
 * queues a reference to them (libzmq's reference-counted message content),
 * so a frame queued for many peers, or again and again for one that does
 * not read, is held once. */
struct hn_chan_frame;

/* A frame of @len bytes (at most HN_PROTO_FRAME_MAX) copied from @buf.
 * 0, HN_E_TOO_LARGE or -ENOMEM. */
int hn_chan_frame_new(const void *buf, size_t len, struct hn_chan_frame **out);
/* Free @f (NULL is fine): sends still queued keep its bytes until sent. */
void hn_chan_frame_free(struct hn_chan_frame *f);

/**
 * ROUTER: queue @f for the peer `id`, as hn_chan_send_to does with a copy
 * of its bytes (the same results), sharing them instead.
 */
int hn_chan_send_frame_to(struct hn_chan *c, const void *id, size_t id_len,
                          struct hn_chan_frame *f);

/**
 * Copy the endpoint the socket last bound or connected to (ZMQ_LAST_ENDPOINT,
 * e.g. "tcp://127.0.0.1:41234") into `buf` as a string.
 * @return 0 or -errno (-EINVAL if `size` is too small), HN_E_STATE if closed.
 */
int hn_chan_endpoint(const struct hn_chan *c, char *buf, size_t size);

/* DEALER opened with `watch_peer`: true if the connection to the peer is up
 * now (its handshake, CurveZMQ included, succeeded and it has not dropped
 * since). Reads the pending monitor events; never blocks. False for other
 * channels. */
bool hn_chan_peer_up(struct hn_chan *c);
/* How many connections to the peer have come up so far (read by
 * hn_chan_peer_up): a change means the DEALER reconnected, and the peer
 * sees a new connection. */
static inline uint64_t hn_chan_peer_connections(const struct hn_chan *c)
{
    return c->peer_ups;
}
/* ROUTER opened with `watch_handshakes`, DEALER with `watch_peer`:
 * connections refused so far because the peer spoke another security
 * mechanism than this socket (CurveZMQ keys against none, or none against
 * keys). Reads the pending monitor events; never blocks. 0 for other
 * channels. */
uint64_t hn_chan_mechanism_mismatches(struct hn_chan *c);

/* How long the oldest message not yet handed to the callback has been
 * waiting, in seconds at monotonic time @now_s (hn_clock_mono_s), or 0 when
 * none waits: the receiver's own lag. An upper bound: from the moment the
 * queue was last found empty, or, when the loop slept with it empty, from
 * the moment it woke (a message wakes it as it arrives). A process stopped
 * while asleep is not seen here (its timers are late instead). */
double hn_chan_backlog_age(const struct hn_chan *c, double now_s);

/* Hand up to @max waiting messages to the callback now, outside the loop's
 * rhythm (e.g. before a deadline decides). Returns true if the queue was
 * then found empty. Same rules as a normal delivery: the callback may close
 * the channel (false is returned then). */
bool hn_chan_drain_now(struct hn_chan *c, uint32_t max);

/* ROUTER, during a receive callback only: the "User-Id" the ZAP handler
 * gave the sender's connection (with CurveZMQ, the peer's public key), or
 * NULL without one. Valid until the callback returns. */
const char *hn_chan_peer_user_id(const struct hn_chan *c);

/* Stop the watchers and close the socket, dropping unsent messages (linger
 * 0). Safe on a closed or zeroed channel, and from inside the channel's own
 * callback (the storage may be freed right after). `stats` stay readable. */
void hn_chan_close(struct hn_chan *c);
