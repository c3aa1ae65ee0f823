/* --local-workers: fork hornet-worker processes on this host, connected to
 * the master over loopback, and reap them at the end. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct hn_local_workers {
    pid_t *pids;
    uint32_t n;
};

/* Start @n workers connecting to @endpoint with @threads engine threads
 * each. @bin: the program, or NULL to look next to this executable (and in
 * the build tree's worker/), then in $PATH. Workers get their own process
 * group (Ctrl-C reaches only the master, which stops them in order) and die
 * with the master (PR_SET_PDEATHSIG). 0 or -errno. */
int hn_local_workers_start(struct hn_local_workers *lw, uint32_t n, const char *endpoint,
                           uint32_t threads, const char *bin);

/* Wait up to @grace_ms for them to exit (after QUIT), then SIGTERM, then
 * SIGKILL. Frees the pid list. */
void hn_local_workers_reap(struct hn_local_workers *lw, uint64_t grace_ms);
