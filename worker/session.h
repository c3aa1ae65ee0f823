/* The worker's conversation with the master (proto/PROTOCOL.md): HELLO until
 * WELCOME, apply SCENARIO and TARGET, snapshot and heartbeat every second,
 * STOP → drain → FINAL, exit on QUIT. Reconnects when the master restarts
 * and stops all load by itself when the master is silent too long. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "curve.h"

struct hn_session_config {
    const char *master;    /* "tcp://HOST:5557" */
    const char *worker_id; /* NULL: "host-pid-random" */
    uint32_t threads;      /* engine threads, ≥ 1 (0: none, for fuzzing) */
    uint32_t capacity;     /* most users run at once, whatever the master asks; 0: no limit */
    /* CurveZMQ: the worker's key pair and the master's public key, or NULL
     * for a plain connection. The worker is then known by its key. */
    const struct hn_curve_client *curve;
    uint64_t silence_stop_ms; /* stop all load after this much silence */
    uint64_t seed;            /* 0: random */
};

struct hn_session;
struct ev_loop;

/* Run until QUIT, REJECT or a second SIGINT/SIGTERM. Returns the process exit
 * code (common/exitcodes.h): HN_EXIT_OK after QUIT or a signal,
 * HN_EXIT_NO_RUN when rejected or the channel cannot be opened. */
int hn_session_run(const struct hn_session_config *cfg);

/* A session with no connection, for fuzzing and tests: frames are handed to
 * it with hn_session_deliver, exactly as they come from the master, and
 * everything it would send is dropped (as for an unreachable master). With
 * @cfg->threads 0 its runs have no engine thread, so no request is made.
 * @cfg must outlive the session. 0 or -ENOMEM. */
int hn_session_new(const struct hn_session_config *cfg, struct ev_loop *loop,
                   struct hn_session **out);
/* One frame from the master (any bytes: it is decoded and checked first). */
void hn_session_deliver(struct hn_session *s, const void *frame, size_t len);
/* End the run (engines joined) and free. NULL-safe. */
void hn_session_free(struct hn_session *s);
