/* --local-workers: fork hornet-worker processes on this host, connected to
 * the master over loopback, and reap them at the end. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "curve.h"

struct hn_local_workers {
    pid_t *pids;
    uint32_t n;
};

/* CurveZMQ for local workers: the master's public key and one throwaway
 * key pair per worker (its public key on the master's allow list). */
struct hn_local_curve {
    const char *master_public_z85;
    const struct hn_curve_keypair *workers; /* one per worker */
};

/* Start @n workers connecting to @endpoint with @threads engine threads
 * each. @bin: the program (see hn_local_workers_find). @curve: keys, or
 * NULL for a plain connection; each worker reads its secret key from a pipe
 * (--curve-secret /dev/fd/3), never from its command line. Workers get their own process
 * group (Ctrl-C reaches only the master, which stops them in order) and die
 * with the master (PR_SET_PDEATHSIG). 0 or -errno. */
int hn_local_workers_start(struct hn_local_workers *lw, uint32_t n, const char *endpoint,
                           uint32_t threads, const char *bin, const struct hn_local_curve *curve);

/* The program hn_local_workers_start would run for @bin (NULL: next to this
 * executable, in the build tree's worker/, then in $PATH), copied to @out.
 * 0, or -ENOENT if there is none (so the run can refuse at once). */
int hn_local_workers_find(const char *bin, char *out, size_t len);

/* How many of the started workers are still running (reaps those that
 * exited, without waiting). */
uint32_t hn_local_workers_running(struct hn_local_workers *lw);

/* Wait up to @grace_ms for them to exit (after QUIT), then SIGTERM, then
 * SIGKILL. Frees the pid list. */
void hn_local_workers_reap(struct hn_local_workers *lw, uint64_t grace_ms);
