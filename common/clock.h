/* Clock readings in integer units: monotonic for measuring intervals,
 * wall (UTC) for timestamps in logs and reports. */
#pragma once

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. Only differences are meaningful. Never
 * fails on Linux; cheap (vDSO), safe on the hot path and from any thread. */
uint64_t hn_clock_mono_ns(void);

/* CLOCK_MONOTONIC in microseconds (the histogram unit). */
uint64_t hn_clock_mono_us(void);

/* CLOCK_MONOTONIC in seconds, as a double (for libev-style timeouts). */
double hn_clock_mono_s(void);

/* CLOCK_REALTIME as Unix time in milliseconds (UTC). May jump when the
 * system clock is set: never use it to measure intervals. */
uint64_t hn_clock_wall_ms(void);
