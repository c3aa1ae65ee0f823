/* ZeroMQ ROUTER/DEALER channel glued into a libev loop (API in chan.h).
 * The subtle part is ZMQ_FD's edge-triggered signalling, explained above
 * the watcher callbacks below; the socket monitor is in chan_monitor.c. */
#include "chan.h"
#include "chan_monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "clock.h"
#include "error.h"
#include "proto_limits.h"

/* Workers reconnect quickly when the master restarts, without hammering a
 * master that is down. */
#define RECONNECT_IVL_MS 100
#define RECONNECT_IVL_MAX_MS 1000
/* TCP keepalive keeps NAT/conntrack entries of quiet connections alive. */
#define KEEPALIVE_IDLE_S 30
#define KEEPALIVE_INTVL_S 10
#define KEEPALIVE_CNT 3
/* ZMTP heartbeats, sent by the DEALER only: a master that does not answer
 * a PING within the timeout (host gone, network partition) is
 * disconnected, so the worker reconnects instead of waiting minutes for
 * TCP to give up: within 8 s of its master's going, before the worker's
 * own silence timeout (10 s) stops its load. A PING every 3 s, not every
 * second: the master answers each, and at 1,000 workers those answers cost
 * it 2 to 4 % of a core (master-scale --zmtp-ping). The ROUTER answers them
 * but sends none: libzmq (4.3) cancels a heartbeat timer by a linear search
 * of all its timers, once per connection per interval, which costs
 * O(connections^2) a second in its I/O thread (a tenth of a core at 1,000
 * workers, most of one at 5,000). A dead worker's connection is dropped by
 * TCP keepalive instead, and the master stops sending to a worker it hears
 * nothing from (marked missing) within seconds anyway. */
#define ZMTP_HEARTBEAT_IVL_MS 3000
#define ZMTP_HEARTBEAT_TIMEOUT_MS 5000

struct int_opt {
    int name;
    int value;
};

static int set_int_opts(void *sock, const struct int_opt *opts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (zmq_setsockopt(sock, opts[i].name, &opts[i].value, sizeof opts[i].value) < 0)
            return -errno;
    }
    return 0;
}

/*
 * Why three watchers and two flags for one socket.
 *
 * ZMQ_FD is not the data socket: it is the signal of zmq's internal command
 * mailbox ("a pipe became readable", ...), and it is edge-triggered in
 * effect. ANY call on the zmq socket (zmq_send, zmq_recv, getsockopt
 * ZMQ_EVENTS) may process those commands, consume the signal, and leave
 * messages readable while ZMQ_FD never becomes readable again. Hence:
 *
 *  1. After a wake-up, receive until EAGAIN. A non-blocking recv that finds
 *     nothing first processes every pending command, so from then on the
 *     next arriving message signals ZMQ_FD again (`readable` and `dirty`
 *     are cleared only there).
 *  2. When something else touched the socket since (a send, from anywhere),
 *     ask ZMQ_EVENTS before the loop blocks: ev_prepare (`dirty`).
 *  3. While messages may be waiting (`readable`: ZMQ_FD fired, ZMQ_EVENTS
 *     said POLLIN, a batch of HN_CHAN_BATCH was cut short, or a gathering
 *     period ended), keep the loop from blocking with an ev_idle, and drain
 *     from ev_check. The check runs once per iteration whatever else is
 *     pending, whereas an idle callback would be starved for as long as
 *     curl sockets keep the loop busy.
 *  4. Gathering (hn_chan_opts.gather_s): a period starts when a drain
 *     empties a queue that held messages. ZMQ_FD is not watched until the
 *     `gather` timer ends (it then sets `readable`), and prepare does not
 *     ask ZMQ_EVENTS meanwhile: the drain at the end covers rule 2. libev
 *     takes an unwatched fd out of epoll at its first signal, so a period
 *     costs at most two wake-ups.
 *
 * This is the prepare/check/idle pattern libev's manual gives for embedding
 * foreign event sources. ZMQ_EVENTS costs a syscall, so prepare asks only
 * when `dirty`: a quiet channel adds nothing to an iteration. The unit test
 * test_send_consumes_wakeup reproduces the lost edge of rule 2.
 */

/* ZMQ_FD is readable. Normally never called: check_cb clears it first. */
static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct hn_chan *c = w->data;
    (void)loop;
    (void)revents;
    c->readable = true;
}

/* Only here to keep the loop from blocking while `readable`. */
static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

/* hn_chan_opts.gather_s is over: watch ZMQ_FD again and drain what came
 * meanwhile (the next check does). */
static void gather_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct hn_chan *c = w->data;
    (void)revents;
    ev_io_start(loop, &c->io);
    c->readable = true;
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct hn_chan *c = w->data;
    (void)revents;
    /* While gathering, the timer drains anyway: no need to ask. */
    if (c->dirty && !c->readable && !ev_is_active(&c->gather)) {
        int events = 0;
        size_t len = sizeof events;
        /* Processes pending commands: if nothing is readable now, the next
         * message will signal ZMQ_FD. On error (context terminated) there is
         * nothing to wait for either. */
        if (zmq_getsockopt(c->sock, ZMQ_EVENTS, &events, &len) == 0)
            c->readable = events & ZMQ_POLLIN;
        c->dirty = false;
    }
    if (c->readable) {
        ev_idle_start(loop, &c->idle);
    } else {
        ev_idle_stop(loop, &c->idle);
        c->backlog_since = 0;
        c->slept_empty = true; /* what wakes the loop now arrived as it wakes */
    }
}

/* Receive one message: [identity,] payload. Returns 1 when a message was
 * consumed (delivered or dropped), else -errno (-EAGAIN: none waiting). The
 * callback may close `c` and free it: nothing here touches `c` after it. */
static int recv_one(struct hn_chan *c)
{
    const int want = c->is_router ? 2 : 1;
    zmq_msg_t part[2];
    zmq_msg_t extra;
    int n = 0;
    bool more = true;

    while (more) {
        zmq_msg_t *m = n < want ? &part[n] : &extra;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, c->sock, ZMQ_DONTWAIT) < 0) {
            /* Only ever on the first part: zmq delivers the parts of a
             * message atomically. */
            int err = -errno;
            zmq_msg_close(m);
            for (int i = 0; i < n && i < want; i++)
                zmq_msg_close(&part[i]);
            return err;
        }
        more = zmq_msg_more(m);
        if (m == &extra)
            zmq_msg_close(&extra); /* draining the parts of a malformed message */
        n++;
    }

    if (n != want) {
        c->stats.dropped_malformed++;
    } else {
        c->stats.received++;
        if (c->is_router) {
            /* Set by the ZAP handler (CurveZMQ: the peer's public key). */
            c->peer_user_id = zmq_msg_gets(&part[1], "User-Id");
            c->on_router_msg(c, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]),
                             zmq_msg_data(&part[1]), zmq_msg_size(&part[1]), c->user);
            /* `c` may be freed by now: do not touch it. */
        } else
            c->on_dealer_msg(c, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), c->user);
    }
    for (int i = 0; i < n && i < want; i++)
        zmq_msg_close(&part[i]);
    return 1;
}

/* Handle up to @max messages (rule 1 and 3 above). Returns true if the
 * queue was found empty; false if cut short or closed by the callback. */
static bool drain(struct hn_chan *c, uint32_t max)
{
    bool closed = false;
    int rc = 1;

    if (c->backlog_since == 0) /* a backlog begins: since when at most */
        c->backlog_since = c->slept_empty || c->empty_at == 0 ? hn_clock_mono_s() : c->empty_at;
    c->slept_empty = false;
    c->closed_flag = &closed;
    for (uint32_t n = 0; n < max && rc == 1; n++) {
        rc = recv_one(c);
        if (closed)
            return false; /* closed by the callback: `c` may be freed already */
        c->delivered |= rc == 1;
    }
    c->closed_flag = NULL;
    if (rc == 1 || rc == -EINTR) {
        c->readable = true; /* cut short: more may wait, go on next iteration */
        return false;
    }
    /* -EAGAIN: every command processed, ZMQ_FD re-armed. Otherwise a fatal
     * error (context terminated): nothing more will come. */
    c->readable = false;
    c->dirty = false;
    c->backlog_since = 0;
    c->empty_at = hn_clock_mono_s();
    /* Gather the next ones, unless the drains since the queue was last
     * empty found none: a quiet channel then waits on ZMQ_FD again, and
     * its first message comes at once. */
    bool gather = c->delivered;
    c->delivered = false;
    if (c->gather_s > 0 && gather && !ev_is_active(&c->gather)) {
        ev_io_stop(c->loop, &c->io);
        ev_timer_set(&c->gather, c->gather_s, 0.0);
        ev_timer_start(c->loop, &c->gather);
    }
    return true;
}

bool hn_chan_drain_now(struct hn_chan *c, uint32_t max)
{
    return c->sock ? drain(c, max) : false;
}

double hn_chan_backlog_age(const struct hn_chan *c, double now_s)
{
    return c->backlog_since > 0 && now_s > c->backlog_since ? now_s - c->backlog_since : 0.0;
}

static void check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
    struct hn_chan *c = w->data;
    (void)revents;
    if (ev_clear_pending(loop, &c->io))
        c->readable = true;
    if (c->readable)
        drain(c, HN_CHAN_BATCH);
}

/* Create, configure, bind or connect, then watch. */
static int chan_open(struct hn_chan *c, void *zctx, struct ev_loop *loop, bool is_router,
                     const char *endpoint, const char *identity, const struct hn_chan_opts *opts)
{
    const int hwm = opts && opts->hwm > 0 ? opts->hwm : HN_CHAN_HWM_DEFAULT;
    const struct int_opt common_opts[] = {
        {ZMQ_LINGER, 0}, /* close drops unsent messages: processes exit promptly */
        {ZMQ_SNDHWM, hwm},
        {ZMQ_RCVHWM, hwm},
        {ZMQ_TCP_KEEPALIVE, 1},
        {ZMQ_TCP_KEEPALIVE_IDLE, KEEPALIVE_IDLE_S},
        {ZMQ_TCP_KEEPALIVE_INTVL, KEEPALIVE_INTVL_S},
        {ZMQ_TCP_KEEPALIVE_CNT, KEEPALIVE_CNT},
    };
    /* No ZMQ_ROUTER_HANDOVER: a peer claiming the routing id of a connected
     * one must not take its route over (peers are told apart by their
     * CurveZMQ key, or by the id in their HELLO, not by routing ids). */
    const struct int_opt router_opts[] = {
        {ZMQ_ROUTER_MANDATORY, 1}, /* unknown peer or full queue: an error, not a drop */
    };
    const struct int_opt dealer_opts[] = {
        {ZMQ_RECONNECT_IVL, RECONNECT_IVL_MS},
        {ZMQ_RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS},
        {ZMQ_HEARTBEAT_IVL, ZMTP_HEARTBEAT_IVL_MS},
        {ZMQ_HEARTBEAT_TIMEOUT, ZMTP_HEARTBEAT_TIMEOUT_MS},
    };
    const int64_t max_size = HN_PROTO_FRAME_MAX;
    int fd = -1;
    size_t fd_len = sizeof fd;
    int err;

    memset(c, 0, sizeof *c);
    void *sock = zmq_socket(zctx, is_router ? ZMQ_ROUTER : ZMQ_DEALER);
    if (!sock)
        return -errno;
    err = set_int_opts(sock, common_opts, sizeof common_opts / sizeof common_opts[0]);
    if (err)
        goto fail;
    if (is_router)
        err = set_int_opts(sock, router_opts, sizeof router_opts / sizeof router_opts[0]);
    else
        err = set_int_opts(sock, dealer_opts, sizeof dealer_opts / sizeof dealer_opts[0]);
    if (err)
        goto fail;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) < 0)
        goto fail_errno;
    /* An IPv6 address ([::1], [::]) needs ZMQ_IPV6. Only then: with it, a
     * host name such as localhost may resolve to ::1 first, and a master
     * bound to 127.0.0.1 would not be found. */
    const int ipv6 = 1;
    if (strncmp(endpoint, "tcp://[", 7) == 0 &&
        zmq_setsockopt(sock, ZMQ_IPV6, &ipv6, sizeof ipv6) < 0)
        goto fail_errno;
    if (identity && zmq_setsockopt(sock, ZMQ_ROUTING_ID, identity, strlen(identity)) < 0)
        goto fail_errno;
    /* A DEALER's connection, a ROUTER's refused peers. */
    const int dealer_events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                              ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_CONNECTED |
                              ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED;
    if (!is_router && opts && opts->watch_peer &&
        (err = hn_chan_monitor_open(c, zctx, sock, dealer_events)))
        goto fail;
    if (is_router && opts && opts->watch_handshakes &&
        (err = hn_chan_monitor_open(c, zctx, sock, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)))
        goto fail;
    if (opts && opts->setup && (err = opts->setup(sock, opts->setup_arg)) != 0)
        goto fail;
    if ((is_router ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint)) < 0)
        goto fail_errno;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &fd_len) < 0)
        goto fail_errno;

    c->sock = sock;
    c->loop = loop;
    c->is_router = is_router;
    c->dirty = true; /* zmq's documentation: check ZMQ_EVENTS before first waiting */
    ev_io_init(&c->io, io_cb, fd, EV_READ);
    ev_prepare_init(&c->prepare, prepare_cb);
    ev_check_init(&c->check, check_cb);
    ev_idle_init(&c->idle, idle_cb);
    ev_timer_init(&c->gather, gather_cb, 0.0, 0.0);
    c->gather_s = opts ? opts->gather_s : 0.0;
    c->io.data = c->prepare.data = c->check.data = c->idle.data = c->gather.data = c;
    ev_io_start(loop, &c->io);
    ev_prepare_start(loop, &c->prepare);
    ev_check_start(loop, &c->check);
    return 0;

fail_errno:
    err = -errno;
fail:
    hn_chan_monitor_close(c, sock);
    zmq_close(sock);
    return err;
}

int hn_chan_router_open(struct hn_chan *c, void *zctx, struct ev_loop *loop,
                        const char *bind_endpoint, const struct hn_chan_opts *opts,
                        hn_chan_router_cb on_msg, void *user)
{
    int err = chan_open(c, zctx, loop, true, bind_endpoint, NULL, opts);
    if (err)
        return err;
    c->on_router_msg = on_msg;
    c->user = user;
    return 0;
}

int hn_chan_dealer_open(struct hn_chan *c, void *zctx, struct ev_loop *loop,
                        const char *connect_endpoint, const char *identity,
                        const struct hn_chan_opts *opts, hn_chan_dealer_cb on_msg, void *user)
{
    int err = chan_open(c, zctx, loop, false, connect_endpoint, identity, opts);
    if (err)
        return err;
    if (!(c->dial = strdup(connect_endpoint))) {
        hn_chan_close(c);
        return -ENOMEM;
    }
    c->event_at = hn_clock_mono_s();
    c->on_dealer_msg = on_msg;
    c->user = user;
    return 0;
}

/* Count the outcome of a zmq_send; reads errno, so call right after it. */
static int send_result(struct hn_chan *c, int rc)
{
    if (rc >= 0) {
        c->stats.sent++;
        return 0;
    }
    int err = errno;
    if (err == EAGAIN)
        c->stats.send_again++;
    else
        c->stats.send_errors++;
    return -err;
}

int hn_chan_send(struct hn_chan *c, const void *buf, size_t len)
{
    if (!c->sock || c->is_router)
        return HN_E_STATE;
    if (len > HN_PROTO_FRAME_MAX)
        return HN_E_TOO_LARGE;
    c->dirty = true; /* zmq_send may consume a ZMQ_FD signal (rule 2) */
    return send_result(c, zmq_send(c->sock, buf, len, ZMQ_DONTWAIT));
}

int hn_chan_send_to(struct hn_chan *c, const void *id, size_t id_len, const void *buf, size_t len)
{
    if (!c->sock || !c->is_router)
        return HN_E_STATE;
    if (len > HN_PROTO_FRAME_MAX)
        return HN_E_TOO_LARGE;
    c->dirty = true;
    /* With ZMQ_ROUTER_MANDATORY the identity frame is where an unknown peer
     * (EHOSTUNREACH) or a full queue (EAGAIN) is reported; once it is
     * accepted, the payload frame always joins it. */
    if (zmq_send(c->sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return send_result(c, -1);
    return send_result(c, zmq_send(c->sock, buf, len, ZMQ_DONTWAIT));
}

struct hn_chan_frame {
    zmq_msg_t msg;
};

int hn_chan_frame_new(const void *buf, size_t len, struct hn_chan_frame **out)
{
    *out = NULL;
    if (len > HN_PROTO_FRAME_MAX)
        return HN_E_TOO_LARGE;
    struct hn_chan_frame *f = malloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    if (zmq_msg_init_size(&f->msg, len) != 0) {
        free(f);
        return -ENOMEM;
    }
    if (len)
        memcpy(zmq_msg_data(&f->msg), buf, len);
    *out = f;
    return 0;
}

void hn_chan_frame_free(struct hn_chan_frame *f)
{
    if (!f)
        return;
    zmq_msg_close(&f->msg);
    free(f);
}

int hn_chan_send_frame_to(struct hn_chan *c, const void *id, size_t id_len, struct hn_chan_frame *f)
{
    if (!c->sock || !c->is_router)
        return HN_E_STATE;
    /* A reference to the bytes, not a copy (zmq_msg_copy shares a long
     * message's content): a peer that does not read holds no copies. */
    zmq_msg_t ref;
    zmq_msg_init(&ref);
    if (zmq_msg_copy(&ref, &f->msg) != 0) {
        int err = errno;
        zmq_msg_close(&ref);
        c->stats.send_errors++;
        return -err;
    }
    c->dirty = true;
    int rc = zmq_send(c->sock, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_msg_send(&ref, c->sock, ZMQ_DONTWAIT);
    if (rc < 0) {
        int err = errno;
        zmq_msg_close(&ref);
        errno = err;
    }
    return send_result(c, rc);
}

const char *hn_chan_peer_user_id(const struct hn_chan *c)
{
    return c->peer_user_id;
}

int hn_chan_endpoint(const struct hn_chan *c, char *buf, size_t size)
{
    if (!c->sock)
        return HN_E_STATE;
    size_t len = size;
    if (zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, buf, &len) < 0)
        return -errno;
    return 0;
}

void hn_chan_close(struct hn_chan *c)
{
    if (!c->sock)
        return;
    /* Stop watching ZMQ_FD before zmq closes it. */
    ev_io_stop(c->loop, &c->io);
    ev_prepare_stop(c->loop, &c->prepare);
    ev_check_stop(c->loop, &c->check);
    ev_idle_stop(c->loop, &c->idle);
    ev_timer_stop(c->loop, &c->gather);
    hn_chan_monitor_close(c, c->sock);
    zmq_close(c->sock);
    c->sock = NULL;
    free(c->dial);
    c->dial = NULL;
    if (c->closed_flag) {
        *c->closed_flag = true; /* tell the running drain() to stop */
        c->closed_flag = NULL;
    }
}
