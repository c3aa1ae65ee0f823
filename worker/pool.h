/* The worker's engine threads as one: splits the target over threads,
 * collects and merges their per-second recorders, stops them gracefully.
 * All functions run on the thread of @loop (the worker's main loop). */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "grants.h"
#include "plan.h"
#include "recorder.h"

struct hn_pool;

struct hn_pool_callbacks {
    /* A snapshot requested by hn_pool_snapshot is ready: @merged holds every
     * request completed since the previous one, over all threads, and the
     * phase histograms (hn_timing_is_phase) since the last call that
     * returned true: they are emptied only then (the report carried them,
     * or lost them). Valid during the call only. */
    bool (*on_snapshot)(void *ctx, const struct hn_recorder *merged);
    /* After hn_pool_stop: no request is left in flight on any thread. A
     * snapshot already under way may lack the last requests (a thread may
     * have swapped before they ended); one requested from here on holds
     * every request left, so only that one may serve as the final. */
    void (*on_drained)(void *ctx);
    void *ctx;
};

/* Start @threads engine threads running @plan, whose users take their ids
 * and data rows from @grants (both must outlive the pool). 0 or -errno. */
int hn_pool_new(struct ev_loop *loop, const struct hn_plan *plan, uint32_t threads, uint64_t seed,
                struct hn_grants *grants, const struct hn_pool_callbacks *cb,
                struct hn_pool **out);
/* Stop and join every thread, aborting transfers. NULL-safe. */
void hn_pool_free(struct hn_pool *p);

/* Converge to @users[c] users of class c over all threads at
 * @spawn_rate_per_s users/s in total (0: at once). */
void hn_pool_set_target(struct hn_pool *p, const uint32_t *users, uint32_t n_classes,
                        double spawn_rate_per_s);
/* Open model: at most @users[c] users of class c over all threads, starting
 * @class_rates[c] iterations of class c per second (each thread in
 * proportion to its users of the class); iterations that wait more than
 * @max_delay_ms for a user are dropped and counted; the schedule starts (or
 * changes) at @from, when the target arrived, and none is due after
 * @end_at (both ev_time(); INFINITY: no end). */
void hn_pool_set_open(struct hn_pool *p, const uint32_t *users, const double *class_rates,
                      uint32_t n_classes, uint64_t max_delay_ms, double from, double end_at);
/* Swap every thread's recorder; on_snapshot follows. HN_E_STATE if the
 * previous snapshot has not completed yet. */
int hn_pool_snapshot(struct hn_pool *p);
/* Graceful stop (see hn_engine_stop); on_drained follows. */
void hn_pool_stop(struct hn_pool *p, uint64_t timeout_ms);
/* The open model's tally over all threads (see struct hn_open_tally: the
 * window from the earliest start to the latest end; due is asked within
 * one per thread). Only once on_drained came; false when the open model
 * did not run. */
bool hn_pool_open_tally(struct hn_pool *p, struct hn_open_tally *out);
/* How late the engine threads' loops ran at worst (ms) since the previous
 * call. */
uint32_t hn_pool_take_lag_ms(struct hn_pool *p);
/* Users running now over all threads. */
uint32_t hn_pool_users(struct hn_pool *p);
/* Engine threads running. Used by tests as an oracle (test-engine.c: the
 * pool started the threads asked for); the worker itself does not ask. */
uint32_t hn_pool_threads(const struct hn_pool *p);
