/* How late an event loop runs: a timer fires every HN_LOOP_LAG_PERIOD_MS
 * and measures, on the monotonic clock, how much later than due it ran.
 * A loop that is busy for long, starved of CPU, or frozen (SIGSTOP, a
 * paused VM) shows it here, so the worker can tell the master that the
 * latencies it measured then include its own delay. One probe per loop;
 * the largest lag since the last read is published for another thread. */
#pragma once

#include <ev.h>
#include <stdatomic.h>
#include <stdint.h>

#define HN_LOOP_LAG_PERIOD_MS 100

struct hn_loop_lag {
    ev_timer probe;
    uint64_t due_ns;         /* monotonic time the probe should fire next */
    _Atomic uint32_t max_ms; /* largest lag since the last hn_loop_lag_take */
};

/* Start probing @loop (call from the loop's thread, or before it runs). */
void hn_loop_lag_start(struct hn_loop_lag *l, struct ev_loop *loop);
void hn_loop_lag_stop(struct hn_loop_lag *l, struct ev_loop *loop);
/* The largest lag (ms) since the previous call, and start again from 0.
 * Any thread. */
uint32_t hn_loop_lag_take(struct hn_loop_lag *l);
