/* One engine thread: a libev loop and its transport (http.h) running
 * virtual users of the closed model, or iterations of the open model. The pool (pool.h) owns one engine per thread
 * and is the only caller of these functions; every function here is called
 * from the pool's thread and talks to the engine thread through a mailbox. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "grants.h"
#include "plan.h"
#include "recorder.h"

struct hn_engine;

/* Called from the engine thread when it has news for the pool (a swap done,
 * drained after stop). Must be thread-safe, e.g. ev_async_send. */
typedef void (*hn_engine_notify_fn)(void *ctx);

struct hn_engine_config {
    uint32_t index;             /* thread number, for logs and seeding */
    uint32_t n_engines;         /* threads in the pool (open model: phases) */
    const struct hn_plan *plan; /* shared, must outlive the engine */
    uint64_t seed;              /* random seed (task choice, wait times) */
    struct hn_grants *grants;   /* shared, must outlive the engine */
    hn_engine_notify_fn notify;
    void *notify_ctx;
};

/* Create an engine and start its thread. 0 or -errno. */
int hn_engine_start(const struct hn_engine_config *cfg, struct hn_engine **out);
/* Ask the thread to quit (aborting any transfer), join it and free. NULL-safe. */
void hn_engine_free(struct hn_engine *e);

/* Converge to @users[i] users of class i at @spawn_rate_per_s users per
 * second (0 or less: at once), starting and retiring users as needed. */
void hn_engine_set_target(struct hn_engine *e, const uint32_t *users, uint32_t n_classes,
                          double spawn_rate_per_s);
/* Open model: at most @users[i] users of class i, starting @class_rates[i]
 * iterations of class i per second from @from (the target's arrival, not
 * when this thread gets to it), none due after @end_at (both ev_time();
 * INFINITY: no end); an iteration that cannot start within @max_delay_ms
 * is dropped and counted. */
void hn_engine_set_open(struct hn_engine *e, const uint32_t *users, const double *class_rates,
                        uint32_t n_classes, uint64_t max_delay_ms, double from, double end_at);
/* Swap the recording buffer. When hn_engine_swapped_gen() reaches @gen the
 * previous buffer is hn_engine_retired(): the caller may read and must reset
 * it before requesting the next swap. */
void hn_engine_request_swap(struct hn_engine *e, uint64_t gen);
uint64_t hn_engine_swapped_gen(struct hn_engine *e);
struct hn_recorder *hn_engine_retired(struct hn_engine *e);
/* Start no new request; abort those still running after @timeout_ms (they
 * are counted as failures "aborted at stop"). hn_engine_drained() becomes
 * true when no request is left. */
void hn_engine_stop(struct hn_engine *e, uint64_t timeout_ms);
bool hn_engine_drained(struct hn_engine *e);

/* The open model's iterations on a thread, or summed over threads
 * (hn_pool_open_tally), from its first TARGET to its end. */
struct hn_open_tally {
    double from, to;           /* the pacing window (ev_time()); from == 0: no open model */
    double asked;              /* iterations the rates asked for in it (rate × time) */
    uint64_t due;              /* handed out by the schedule in it: asked, within one */
    uint64_t started, dropped; /* they add up to due */
};
/* This thread's tally; read only once hn_engine_drained(). */
void hn_engine_open_tally(struct hn_engine *e, struct hn_open_tally *out);
/* How late the thread's loop ran at worst (ms) since the previous call
 * (loop_lag.h). */
uint32_t hn_engine_take_lag_ms(struct hn_engine *e);
/* Users running now (retiring ones excluded). */
uint32_t hn_engine_users(struct hn_engine *e);
