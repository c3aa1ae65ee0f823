/* The open model's schedule on one engine thread: when each iteration is
 * due and which user class runs it. Iterations are due at exact times
 * base + (k + offset) / rate, counted from the last rate change, so a long
 * run does not drift by accumulated rounding; classes take iterations in
 * proportion to their weights by smooth weighted round robin (exact to
 * within one iteration at any moment, no randomness). Pure: the caller
 * passes the time; no loop, no allocation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct hn_pacer {
    double rate;   /* iterations per second; 0: none due */
    double base;   /* time of the last rate change */
    double offset; /* in intervals: the first iteration after base is due at
                      base + offset / rate */
    uint64_t k;    /* iterations handed out since base */
    double last;   /* when the last one handed out was due (0: none yet) */
    double end;    /* no iteration is due after it (the run's end); INFINITY: none */
    uint32_t n_classes;
    uint32_t weights[HN_MODEL_CLASSES_MAX];
    uint64_t weight_sum;
    int64_t current[HN_MODEL_CLASSES_MAX]; /* smooth weighted round robin */
    /* The tally (hn_pacer_asked): what the rates asked for, kept apart
     * from the schedule's own arithmetic so that a wrong schedule shows. */
    double from;       /* the first hn_pacer_set (0: none yet) */
    double asked_rate; /* the rate the last change set, as asked */
    double asked_base; /* when it took effect */
    double asked;      /* iterations the rates before it asked for */
    uint64_t due;      /* iterations handed out since hn_pacer_init */
};

/* The phase of engine thread @index of @n_threads (>= 1) of a worker:
 * its own slot of the interval among the worker's threads (they
 * interleave), at the point @random (any 64 bits) of that slot, so that
 * the workers of a fleet interleave too, on average. With one phase for
 * all, every worker started an iteration the moment the rate came and ran
 * ceil(its rate x the time): up to one iteration more per worker than the
 * plan (10 workers at 3/s for 5 s ran 20, not 15); with a random point
 * each runs floor or ceil, ceil as often as the fraction says. */
double hn_pacer_phase(uint32_t index, uint32_t n_threads, uint64_t random);

/* A pacer with no rate yet; the first iteration after the first rate is
 * set comes @phase (0..1) of an interval later (threads of one worker take
 * different phases, so their iterations interleave instead of bunching). */
void hn_pacer_init(struct hn_pacer *p, double phase);

/* Iterations per second from @now on, shared among classes by @weights
 * (n_classes entries; a class of weight 0 gets none). The interval under
 * way keeps the part of it already elapsed, so a change neither skips nor
 * doubles an iteration. */
void hn_pacer_set(struct hn_pacer *p, double now, double rate, const uint32_t *weights,
                  uint32_t n_classes);

/* No iteration is due after @end (the run's end, as the master announced
 * it: a STOP that comes late must not make the schedule longer than the
 * run); INFINITY: no end. Keeps the schedule otherwise. */
void hn_pacer_set_end(struct hn_pacer *p, double end);

/* Time the next iteration is due; INFINITY when the rate is 0, no class
 * has weight, or it would be due after the end. */
double hn_pacer_next_at(const struct hn_pacer *p);

/* Iterations the rates asked for from the first hn_pacer_set to @to (at
 * most the end): the integral of the rate over that window. The schedule
 * hands out (p->due) this many within one, whatever the loop's delays: the
 * first iteration is due up to an interval after the start (the phase). */
double hn_pacer_asked(const struct hn_pacer *p, double to);

/* The next iteration if it is due at or before @now: its intended start in
 * *@at and its class in *@class_idx; false when none is due yet. */
bool hn_pacer_take(struct hn_pacer *p, double now, double *at, uint32_t *class_idx);
