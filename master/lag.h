/* The master's own lag: how long workers' messages wait before the master
 * handles them (its receive backlog), and how long its loop stalled (a
 * stop, swap, a slow disk: the once-a-second tick comes late). Liveness is
 * judged on a clock that stops during those stalls, so the master never
 * takes its own silence for its workers'. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A tick later than this counts as a stall of the loop. */
#define HN_LAG_STALL_S 0.25

struct hn_lag {
    double stalled_s;    /* seconds of loop time lost to stalls so far */
    double last_tick_s;  /* loop time of the previous tick; 0: none yet */
    double second_max_s; /* the largest lag since the previous tick */
    double last_s;       /* the largest lag in the last closed second */
    double max_s;        /* the largest lag of the run */
    double backlog_max_s; /* the largest receive backlog alone (no stall) */
};

void hn_lag_init(struct hn_lag *l);

/* A message handled @age_s after it may have arrived (hn_chan_backlog_age). */
static inline void hn_lag_message(struct hn_lag *l, double age_s)
{
    if (age_s > l->second_max_s)
        l->second_max_s = age_s;
    if (age_s > l->backlog_max_s)
        l->backlog_max_s = age_s;
}

/* The tick, every @interval_s of loop time @now_s, with the receive
 * backlog's age now. A tick more than HN_LAG_STALL_S late is a stall: its
 * lateness counts as lag and stops the liveness clock. Closes the second.
 * Returns the stall in seconds (0 if none). */
double hn_lag_tick(struct hn_lag *l, double now_s, double interval_s, double backlog_s);

/* Loop time minus the stalls: what a worker's silence is measured on. */
static inline double hn_lag_clock(const struct hn_lag *l, double now_s)
{
    return now_s - l->stalled_s;
}

/* Whole milliseconds, for logs and reports. */
static inline uint32_t hn_lag_ms(double s)
{
    return s <= 0 ? 0 : s >= 4e6 ? UINT32_MAX : (uint32_t)(s * 1000.0 + 0.5);
}
