/* Peers refused at the handshake for their security mechanism: a worker
 * without CurveZMQ keys at a master with them, or one with keys at a
 * master without. ZeroMQ drops such a connection before any message, so
 * the worker says only, after a while, that no answer came; the master
 * says why at once, then at most once per HN_REFUSED_PEERS_AGAIN_S with
 * the count since (a worker tries again every second or so). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HN_REFUSED_PEERS_AGAIN_S 10.0

struct hn_refused_peers {
    uint64_t said;  /* refusals counted in messages so far */
    double said_at; /* when the last message went (0: never) */
};

/* @refused: hn_chan_mechanism_mismatches so far; @curve: the master has
 * keys; @now_s: the loop's time. Logs a warning when due. */
void hn_refused_peers_check(struct hn_refused_peers *p, uint64_t refused, bool curve, double now_s);
/* At the end: what was not said yet, whenever the last message went. */
void hn_refused_peers_flush(struct hn_refused_peers *p, uint64_t refused, bool curve);
