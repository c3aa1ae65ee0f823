/* --local-workers: fork hornet-worker processes on this host, connected to
 * the master over loopback, and reap them at the end. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hn_local_workers {
    pid_t *pids;
    uint32_t n;
};

/* Start @n workers connecting to @endpoint with @threads engine threads
 * each. @bin: the program (see hn_local_workers_find). Workers get their own process
 * group (Ctrl-C reaches only the master, which stops them in order) and die
 * with the master (PR_SET_PDEATHSIG). 0 or -errno. */
int hn_local_workers_start(struct hn_local_workers *lw, uint32_t n, const char *endpoint,
                           uint32_t threads, const char *bin);

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
