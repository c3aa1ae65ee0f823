/* ZeroMQ endpoints as users write them (--bind, --master): checked up front
 * so that a typo is a usage error, not a port libzmq picks by itself or a
 * worker that retries forever. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum hn_endpoint_use {
    HN_ENDPOINT_BIND,    /* master: tcp://HOST:PORT, PORT may be '*' (any free) */
    HN_ENDPOINT_CONNECT, /* worker: tcp://HOST:PORT, PORT 1..65535 */
};

struct hn_endpoint_info {
    bool loopback; /* only this host can reach it (127.0.0.0/8, ::1, localhost, ipc://) */
};

/* Check @ep: "tcp://HOST:PORT" (HOST a name, an IPv4 address, "[IPv6]", or
 * for a bind '*' or an interface name) or "ipc://PATH". PORT is decimal
 * 1..65535, or '*' for a bind.
 * @return 0 with *out filled (if not NULL), or HN_E_INVALID with a one-line
 *         reason in @why. */
int hn_endpoint_check(const char *ep, enum hn_endpoint_use use, struct hn_endpoint_info *out,
                      char *why, size_t why_len);
