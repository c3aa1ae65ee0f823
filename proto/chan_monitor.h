/* The socket monitor of a channel (chan_monitor.c), shared with chan.c:
 * opened with the socket, closed with it. The public part, hn_chan_peer_up
 * and hn_chan_mechanism_mismatches, is declared in chan.h. */
#pragma once

#include "chan.h"

/* Watch @events of the zmq socket @sock (before its bind or connect, so
 * none is missed) through a PAIR in @zctx, kept in c->monitor. 0 or
 * -errno (nothing left open). */
int hn_chan_monitor_open(struct hn_chan *c, void *zctx, void *sock, int events);
/* Stop watching @sock and close c->monitor; nothing if none is open. */
void hn_chan_monitor_close(struct hn_chan *c, void *sock);
