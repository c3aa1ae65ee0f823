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

/* Refused keys logged by name at most this many: a peer anyone can reach
 * can make new keys without end. Beyond (a flood), a refused key is named
 * when it comes from an address no refused key came from before (of the
 * first HN_ZAP_ADDRESSES), or when it tries again while among the last
 * HN_ZAP_RECENT refused, at most once per HN_ZAP_AGAIN_S: a worker whose
 * key is missing from the allow list (it tries every second or so) is
 * still named, and the log stays bounded. */
#define HN_ZAP_LOGGED_MAX 1024
#define HN_ZAP_RECENT 4096
#define HN_ZAP_ADDRESSES 1024
#define HN_ZAP_ADDRESS_LEN 64
#define HN_ZAP_AGAIN_S 10.0

struct hn_zap_recent {
    char key[HN_CURVE_KEY_Z85_LEN + 1];
    bool named;
};

struct hn_zap {
    void *sock; /* REP socket, used by the thread only once it runs */
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;         /* guards the three sets and the counters */
    struct hn_curve_allow allow;  /* admitted keys */
    struct hn_curve_allow banned; /* admitted once, refused from now on */
    struct hn_curve_allow logged; /* refused keys already logged */
    /* Past HN_ZAP_LOGGED_MAX: the last refused keys (a ring of
     * HN_ZAP_RECENT), the addresses refused keys came from (up to
     * HN_ZAP_ADDRESSES), and when a key trying again may be named next. */
    struct hn_zap_recent *recent;
    uint32_t recent_next;
    char (*addresses)[HN_ZAP_ADDRESS_LEN];
    uint32_t n_addresses;
    double again_at;
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
