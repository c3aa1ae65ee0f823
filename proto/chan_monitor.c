/* A channel's socket monitor (chan_monitor.h): connection events read from
 * a ZeroMQ monitor PAIR, whether a DEALER's peer is up, redials where libzmq
 * gave up, and the ROUTER's count of security mechanism mismatches. */
#include "chan_monitor.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "clock.h"

/* libzmq (4.3) stops connecting to an endpoint for good once a handshake
 * there failed on its side: a master of another security mechanism
 * (without CurveZMQ keys, for a worker with them, or the other way round),
 * a master whose --allow-workers lacks the worker's key, or a peer that is
 * no ZeroMQ socket (then with no event that says so). Put right and
 * restarted, the master would never see the worker again. A watched
 * DEALER connects again itself: REDIAL_AFTER_S after a failed handshake,
 * and when neither a connection nor any sign of libzmq trying (its monitor
 * events: a retry comes at least every RECONNECT_IVL_MAX_MS, chan.c) came for
 * REDIAL_QUIET_S. */
#define REDIAL_AFTER_S 1.0
/* A handshake still going after this long is cut short and tried again
 * (libzmq's own limit is 30 s): only a master stalled that long is that
 * slow, and a new connection serves it as well once it wakes up. */
#define REDIAL_QUIET_S 10.0

/* Connection events: a monitor publishes them on a PAIR over inproc; set
 * up before bind or connect, so none is missed. */
int hn_chan_monitor_open(struct hn_chan *c, void *zctx, void *sock, int events)
{
    static atomic_uint seq; /* endpoints are never reused, even for the same `c` */
    char ep[64];
    snprintf(ep, sizeof(ep), "inproc://hn-chan-monitor-%u", atomic_fetch_add(&seq, 1));
    if (zmq_socket_monitor(sock, ep, events) != 0)
        return -errno;
    void *pair = zmq_socket(zctx, ZMQ_PAIR);
    int linger = 0;
    if (!pair || zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_connect(pair, ep) != 0) {
        int err = -errno;
        if (pair)
            zmq_close(pair);
        zmq_socket_monitor(sock, NULL, 0);
        return err;
    }
    c->monitor = pair;
    return 0;
}

void hn_chan_monitor_close(struct hn_chan *c, void *sock)
{
    if (!c->monitor)
        return;
    zmq_socket_monitor(sock, NULL, 0);
    zmq_close(c->monitor);
    c->monitor = NULL;
}

/* A DEALER's connection event: whether the peer is up, and when to
 * connect again (REDIAL_AFTER_S). */
static void dealer_event(struct hn_chan *c, uint16_t event)
{
    double now = hn_clock_mono_s();
    c->event_at = now;
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        /* Up, also when libzmq connected again by itself after a failure
         * it does not give up on: no redial then (it would drop this). */
        c->peer_up = true;
        c->peer_ups++;
        c->redial_at = 0;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        c->peer_up = false;
        if (c->redial_at == 0)
            c->redial_at = now + REDIAL_AFTER_S;
        break;
    case ZMQ_EVENT_DISCONNECTED:
    case ZMQ_EVENT_CLOSED:
        c->peer_up = false;
        break;
    default: /* connected, or trying: a sign of life */
        break;
    }
}

/* Take in the pending monitor events. */
static void read_monitor(struct hn_chan *c)
{
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, c->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            break;
        }
        /* Frame 1: event (u16) and value (u32); frame 2: the endpoint. */
        if (zmq_msg_size(&part) >= 6 && zmq_msg_more(&part)) {
            uint16_t event;
            uint32_t value;
            memcpy(&event, zmq_msg_data(&part), sizeof(event));
            memcpy(&value, (const char *)zmq_msg_data(&part) + 2, sizeof(value));
            c->mismatches += event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
                             value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
            if (!c->is_router)
                dealer_event(c, event);
        }
        while (zmq_msg_more(&part)) {
            zmq_msg_close(&part);
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, c->monitor, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close(&part);
    }
    if (c->is_router || !c->dial)
        return;
    /* The endpoint's session may be gone: a new one. Its entry may still
     * be there, and would be ended by the disconnect. */
    double now = hn_clock_mono_s();
    if ((c->redial_at != 0 && now >= c->redial_at) ||
        (!c->peer_up && now - c->event_at >= REDIAL_QUIET_S)) {
        c->redial_at = 0;
        c->event_at = now;
        zmq_disconnect(c->sock, c->dial);
        if (zmq_connect(c->sock, c->dial) != 0)
            c->redial_at = now + REDIAL_AFTER_S;
    }
}

bool hn_chan_peer_up(struct hn_chan *c)
{
    if (!c->sock || !c->monitor || c->is_router)
        return false;
    read_monitor(c);
    return c->peer_up;
}

uint64_t hn_chan_mechanism_mismatches(struct hn_chan *c)
{
    if (!c->sock || !c->monitor)
        return 0;
    read_monitor(c);
    return c->mismatches;
}
