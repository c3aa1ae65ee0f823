/* Delayed responses for GET /delay: the connection is suspended so no pool
 * thread waits, and one timer thread resumes it when its deadline passes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct hn_delay;

/* Start the timer thread with room for `capacity` suspended connections
 * (one per connection is enough: a connection waits for one request at a
 * time). Returns 0 and sets *out, or -ENOMEM / -errno. */
int hn_delay_new(size_t capacity, struct hn_delay **out);
/* CLOCK_MONOTONIC in nanoseconds: the clock of every deadline here. */
uint64_t hn_delay_now_ns(void);

/* Resume every waiting connection now and refuse new ones. Call before
 * MHD_stop_daemon, which must not find a suspended connection. */
void hn_delay_shutdown(struct hn_delay *d);

/* Shut down if not done yet, join the thread and free; NULL-safe. */
void hn_delay_free(struct hn_delay *d);

/* Suspend `c` and resume it after `delay_ms`; the access handler is called
 * again then. Call only from the access handler, with delay_ms > 0.
 * Returns 0, HN_E_TOO_LARGE when `capacity` connections already wait, or
 * HN_E_STATE after shutdown (then `c` is not suspended). */
int hn_delay_suspend(struct hn_delay *d, struct MHD_Connection *c, uint32_t delay_ms);
