/* The worker process's health, as its HEARTBEATs report it: CPU use since
 * the previous measure (half a second ago at least), resident memory, and how late its event loops
 * ran, a stall repeated for a while (PROTOCOL.md, HEARTBEAT). */
#pragma once

#include <stdint.h>

#include "msg.h"

/* What the next sample needs of the previous ones. Zero-initialised
 * storage is ready: the first sample reports 0 CPU. Main thread only. */
struct hn_health {
    uint64_t cpu_prev_us, cpu_prev_mono_us; /* process CPU time and clock then */
    uint32_t cpu_permille;                  /* the last CPU use computed */
    uint32_t stall_ms;                      /* the last stall, repeated ... */
    double stall_until;                     /* ... until then (loop time, s) */
};

/* Fill @hb's cpu_permille, rss_bytes and loop_lag_ms at loop time @now_s.
 * @main_lag_ms and @engines_lag_ms are how late the main loop and the
 * engine threads' loops ran at worst since the previous HEARTBEAT
 * (hn_loop_lag_take, hn_pool_take_lag_ms). */
void hn_health_sample(struct hn_health *h, uint32_t main_lag_ms, uint32_t engines_lag_ms,
                      double now_s, struct hn_msg_heartbeat *hb);
