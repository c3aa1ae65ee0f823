/* The worker's conversation with the master (DESIGN.md §2): HELLO until
 * WELCOME, apply SCENARIO and TARGET, snapshot and heartbeat every second,
 * STOP → drain → FINAL, exit on QUIT. Reconnects when the master restarts
 * and stops all load by itself when the master is silent too long. */
#pragma once

#include <stdint.h>

#include "curve.h"

struct hn_session_config {
    const char *master;    /* "tcp://HOST:5557" */
    const char *worker_id; /* NULL: "host-pid-random" */
    uint32_t threads;      /* engine threads, ≥ 1 */
    uint32_t capacity;     /* most users run at once, whatever the master asks; ≥ 1 */
    /* CurveZMQ: the worker's key pair and the master's public key, or NULL
     * for a plain connection. The worker is then known by its key. */
    const struct hn_curve_client *curve;
    uint64_t silence_stop_ms; /* stop all load after this much silence */
    uint64_t seed;            /* 0: random */
};

/* Run until QUIT, REJECT or a second SIGINT/SIGTERM. Returns the process exit
 * code (common/exitcodes.h): HN_EXIT_OK after QUIT or a signal,
 * HN_EXIT_NO_RUN when rejected or the channel cannot be opened. */
int hn_session_run(const struct hn_session_config *cfg);
