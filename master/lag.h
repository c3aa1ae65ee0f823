/* The master's own lag: how long workers' messages wait before the master
 * handles them (its receive backlog), and how long its loop stalled (a
 * stop, swap, a slow disk: the once-a-second tick comes late). Liveness is
 * judged on a clock that stops during those stalls, so the master never
 * takes its own silence for its workers'. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The watch timer's period, and how much later than that it must come to
 * count as a stall of the loop. */
#define HN_LAG_WATCH_S 0.1
#define HN_LAG_STALL_S 0.25
/* A stall is measured to within one period: the loop may have run for up
 * to a period of it. A master stopped and resumed again and again (a
 * throttled container, a host swapping) would so gain a period of
 * liveness clock at each stall: 0.1 s of every 0.5 s when it runs 10 ms of
 * them, enough to mark workers missing whose messages it could not read.
 * So for HN_LAG_CLOSE_FOR_S after a stall the watch comes every
 * HN_LAG_WATCH_CLOSE_S. */
#define HN_LAG_WATCH_CLOSE_S 0.01
#define HN_LAG_CLOSE_FOR_S 10.0

/* Zero-initialised storage is a fresh one (the run's is). */
struct hn_lag {
    double stalled_s;      /* seconds of loop time lost to stalls so far */
    double last_watch_s;   /* monotonic time of the previous watch; 0: none yet */
    double period_s;       /* the watch's period since then; 0: HN_LAG_WATCH_S */
    double close_until_s;  /* watch every HN_LAG_WATCH_CLOSE_S until then */
    double second_stall_s; /* stalls since the previous tick */
    double second_max_s;   /* the largest lag since the previous tick */
    double last_s;         /* the largest lag in the last closed second */
    double max_s;          /* the largest lag of the run */
    double backlog_max_s;  /* the largest receive backlog alone (no stall) */
};

/* A message handled @age_s after it may have arrived (hn_chan_backlog_age). */
static inline void hn_lag_message(struct hn_lag *l, double age_s)
{
    if (age_s > l->second_max_s)
        l->second_max_s = age_s;
    if (age_s > l->backlog_max_s)
        l->backlog_max_s = age_s;
}

/* The watch timer fired at monotonic @now_s. One more than HN_LAG_STALL_S
 * late means the loop stalled (the process was stopped, swapped out, or
 * blocked): messages that arrived meanwhile waited that long, and no worker
 * could be heard, so the liveness clock skips it.
 * @return the period until the next watch (HN_LAG_WATCH_S, or
 *         HN_LAG_WATCH_CLOSE_S for a while after a stall). */
double hn_lag_watch(struct hn_lag *l, double now_s);

/* Once a second, with the receive backlog's age now: closes the second.
 * Returns the stalls of that second in seconds (0 if none). */
double hn_lag_tick(struct hn_lag *l, double backlog_s);

/* Loop time minus the stalls: what a worker's silence is measured on. */
static inline double hn_lag_clock(const struct hn_lag *l, double now_s)
{
    return now_s - l->stalled_s;
}

/* The largest lag so far, the open second and the backlog included. */
static inline double hn_lag_max(const struct hn_lag *l)
{
    double m = l->max_s > l->second_max_s ? l->max_s : l->second_max_s;
    return m > l->backlog_max_s ? m : l->backlog_max_s;
}

/* Whole milliseconds, for logs and reports. */
static inline uint32_t hn_lag_ms(double s)
{
    return s <= 0 ? 0 : s >= 4e6 ? UINT32_MAX : (uint32_t)(s * 1000.0 + 0.5);
}
