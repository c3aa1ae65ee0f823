/* The master's ZAP handler (ZeroMQ RFC 27): decides which CurveZMQ clients
 * may connect. Admits the public keys of the allow list (and of local
 * workers), names each admitted connection by its Z85 key (the "User-Id"
 * of its messages, hn_chan_peer_user_id), refuses every other key and logs
 * each refused key once, with its fingerprint. Runs on a small thread of
 * its own, bound to inproc://zeromq.zap.01 before the master's socket, so
 * no handshake happens without it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "curve.h"

/* Refused keys logged by name at most this many. Beyond, a key is logged
 * when it tries again while among the last HN_ZAP_RECENT refused: a peer
 * anyone can reach could otherwise use up the log with new keys of its
 * own, and a worker whose key is missing from the allow list (it tries
 * every second or so) would never be named. */
#define HN_ZAP_LOGGED_MAX 1024
#define HN_ZAP_RECENT 256

struct hn_zap {
    void *sock; /* REP socket, used by the thread only once it runs */
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;         /* guards the three sets and the counters */
    struct hn_curve_allow allow;  /* admitted keys */
    struct hn_curve_allow banned; /* admitted once, refused from now on */
    struct hn_curve_allow logged; /* refused keys already logged */
    /* Past HN_ZAP_LOGGED_MAX: the last refused keys not logged (a ring),
     * each with whether it was logged when it came again. */
    char recent[HN_ZAP_RECENT][HN_CURVE_KEY_Z85_LEN + 1];
    bool recent_logged[HN_ZAP_RECENT];
    uint32_t recent_next;
    bool flood_said; /* the log said that new keys are no longer all named */
    uint64_t admitted, refused;
};

/* Bind the handler in @zctx and start its thread; @allow is copied.
 * 0; -EADDRINUSE if another handler is bound; -errno. */
int hn_zap_start(struct hn_zap *z, void *zctx, const struct hn_curve_allow *allow);

/* Refuse @z85 from now on (a worker thrown out of the run). Thread-safe;
 * a no-op on a handler that is not running. */
void hn_zap_refuse(struct hn_zap *z, const char *z85);

/* Join the thread. Call after zmq_ctx_term() (or zmq_ctx_shutdown()) of its
 * context: that ends the thread's wait. Safe on a handler never started. */
void hn_zap_stop(struct hn_zap *z);
