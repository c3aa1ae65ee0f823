/* One engine thread: its loop, the mailbox from the pool, the exact-time
 * wake-ups, the per-second recorder swap and the graceful stop. Its users
 * are started and retired in engine_users.c. */
#include "engine_internal.h"
#include "rng.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

uint64_t hn_engine_random(struct hn_engine *e)
{
    return hn_rng_next(&e->rng);
}

void hn_engine_publish_users(struct hn_engine *e)
{
    uint32_t n = 0;
    for (uint32_t c = 0; c < e->plan->n_classes; c++)
        n += e->classes[c].running;
    atomic_store_explicit(&e->users_now, n, memory_order_relaxed);
}

static void check_drained(struct hn_engine *e)
{
    if (e->stopping && e->in_flight == 0 && !e->drained_reported) {
        e->drained_reported = true;
        ev_timer_stop(e->loop, &e->stop_timer);
        atomic_store_explicit(&e->drained, true, memory_order_release);
        e->notify(e->notify_ctx);
    }
}

void hn_engine_user_stopped(struct hn_engine *e, struct hn_vuser *vu, bool was_retiring)
{
    if (was_retiring)
        e->retiring--;
    vu->retiring = false;
    hn_http_conn_leave(vu->conn);
    vu->next_free = e->spare;
    e->spare = vu;
    check_drained(e);
}

void hn_engine_arm(struct hn_engine *e)
{
    double open = hn_open_next_at(e), paced = hn_deadlines_next_at(&e->paced);
    double in = (open < paced ? open : paced) - ev_now(e->loop);
    struct itimerspec its = {0};
    if (isfinite(in)) {
        if (in < 1e-6)
            in = 1e-6; /* 0 would disarm it */
        its.it_value.tv_sec = (time_t)in;
        its.it_value.tv_nsec = (long)((in - (double)its.it_value.tv_sec) * 1e9);
    }
    timerfd_settime(e->tfd, 0, &its, NULL);
}

/* The timerfd: the open model's iterations and paced users that are due. */
static void on_precise(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct hn_engine *e = w->data;
    uint64_t expirations;
    if (read(e->tfd, &expirations, sizeof(expirations)) < 0)
        return;
    ev_now_update(loop);
    double now = ev_now(loop);
    hn_open_tick(e, now);
    struct hn_deadline *d;
    while ((d = hn_deadlines_pop_due(&e->paced, now)))
        hn_vuser_paced((struct hn_vuser *)((char *)d - offsetof(struct hn_vuser, pace)));
    hn_engine_publish_users(e);
    hn_engine_arm(e);
}

static void on_spawn_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hn_engine_converge(w->data);
}

/* Stop timeout: abort what is still running; it is counted, not lost. */
static void on_stop_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_engine *e = w->data;
    for (uint32_t i = 0; i < e->n_users; i++)
        hn_vuser_abort(e->users[i]);
    check_drained(e);
}

/* A STOP while stopping, with less time than is left: in-flight requests
 * get only that (0: aborted now). */
static void stop_sooner(struct hn_engine *e, uint64_t timeout_ms)
{
    ev_timer_stop(e->loop, &e->stop_timer);
    ev_timer_set(&e->stop_timer, (double)timeout_ms / 1000.0, 0.0);
    ev_timer_start(e->loop, &e->stop_timer);
}

static void apply_stop(struct hn_engine *e, uint64_t timeout_ms)
{
    e->stopping = true;
    ev_timer_stop(e->loop, &e->spawn_timer);
    hn_open_leave(e);
    hn_engine_retire_all(e);
    hn_engine_publish_users(e);
    ev_timer_set(&e->stop_timer, (double)timeout_ms / 1000.0, 0.0);
    ev_timer_start(e->loop, &e->stop_timer);
    check_drained(e);
}

static void apply_target(struct hn_engine *e, const struct hn_engine_cmd *cmd)
{
    if (cmd->open) {
        if (!e->open.on) {
            ev_timer_stop(e->loop, &e->spawn_timer);
            hn_engine_retire_all(e); /* closed-model users do not take iterations */
        }
        hn_open_apply(e, cmd->target, cmd->class_rates, cmd->max_delay_ms, cmd->from, cmd->end_at);
        return;
    }
    if (e->open.on) {
        hn_open_leave(e);
        hn_engine_retire_all(e);
    }
    uint32_t total = 0;
    for (uint32_t c = 0; c < e->plan->n_classes; c++) {
        e->classes[c].target = cmd->target[c];
        total += cmd->target[c];
    }
    hn_http_set_users_hint(e->http, total);
    if (!ev_is_active(&e->spawn_timer)) {
        /* A new ramp: the first user starts at once. */
        e->spawn_last = ev_now(e->loop);
        e->spawn_credit = 1.0;
    }
    e->spawn_rate_per_s = cmd->spawn_rate_per_s;
    hn_engine_converge(e);
}

/* The pool posted something: copy the mailbox under the lock, act outside. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)revents;
    struct hn_engine *e = w->data;
    struct hn_engine_cmd cmd;
    pthread_mutex_lock(&e->lock);
    cmd = e->cmd;
    pthread_mutex_unlock(&e->lock);

    if (cmd.quit) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (cmd.swap_gen > e->applied_swap_gen) {
        e->applied_swap_gen = cmd.swap_gen;
        e->retired = e->active;
        e->active = e->active == &e->rec[0] ? &e->rec[1] : &e->rec[0];
        atomic_store_explicit(&e->swapped_gen, cmd.swap_gen, memory_order_release);
        e->notify(e->notify_ctx);
    }
    if (cmd.stop_gen > e->applied_stop_gen) {
        e->applied_stop_gen = cmd.stop_gen;
        if (!e->stopping)
            apply_stop(e, cmd.stop_timeout_ms);
        else if (ev_is_active(&e->stop_timer) &&
                 (double)cmd.stop_timeout_ms / 1000.0 < ev_timer_remaining(loop, &e->stop_timer))
            stop_sooner(e, cmd.stop_timeout_ms); /* the master was told to hurry */
    }
    if (cmd.target_gen > e->applied_target_gen) {
        e->applied_target_gen = cmd.target_gen;
        if (!e->stopping)
            apply_target(e, &cmd);
    }
}

static void *engine_main(void *arg)
{
    struct hn_engine *e = arg;
    ev_run(e->loop, 0);
    return NULL;
}

static void engine_destroy(struct hn_engine *e)
{
    for (uint32_t i = 0; i < e->n_users; i++)
        hn_vuser_free(e->users[i]);
    free(e->users);
    for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++)
        free(e->classes[c].stack);
    hn_open_deinit(e);
    hn_deadlines_free(&e->paced);
    if (e->tfd >= 0) {
        if (e->loop)
            ev_io_stop(e->loop, &e->precise);
        close(e->tfd);
    }
    hn_http_free(e->http);
    if (e->md)
        pcre2_match_data_free(e->md);
    if (e->loop)
        ev_loop_destroy(e->loop);
    hn_recorder_deinit(&e->rec[0]);
    hn_recorder_deinit(&e->rec[1]);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int hn_engine_start(const struct hn_engine_config *cfg, struct hn_engine **out)
{
    int err = -ENOMEM;
    struct hn_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->tfd = -1;
    hn_deadlines_init(&e->paced);
    pthread_mutex_init(&e->lock, NULL);
    e->index = cfg->index;
    e->n_engines = cfg->n_engines;
    e->plan = cfg->plan;
    e->rng = hn_rng_seed(cfg->seed);
    e->grants = cfg->grants;
    e->notify = cfg->notify;
    e->notify_ctx = cfg->notify_ctx;
    uint32_t n_entries = cfg->plan->scenario->n_entries;
    if ((err = hn_recorder_init(&e->rec[0], n_entries)) ||
        (err = hn_recorder_init(&e->rec[1], n_entries)))
        goto fail;
    e->active = &e->rec[0];
    err = -ENOMEM;
    if (!(e->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK)) ||
        !(e->md = pcre2_match_data_create(2, NULL)))
        goto fail;
    if ((err = hn_http_new(e->loop, cfg->plan->scenario, &e->http)))
        goto fail;
    ev_async_init(&e->wake, on_wake);
    e->wake.data = e;
    ev_async_start(e->loop, &e->wake);
    ev_init(&e->spawn_timer, on_spawn_tick);
    e->spawn_timer.data = e;
    ev_init(&e->stop_timer, on_stop_timeout);
    e->stop_timer.data = e;
    hn_open_init(e);
    if ((e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
        err = -errno;
        goto fail;
    }
    ev_io_init(&e->precise, on_precise, e->tfd, EV_READ);
    e->precise.data = e;
    ev_io_start(e->loop, &e->precise);
    hn_loop_lag_start(&e->lag, e->loop);

    /* Signals belong to the main thread: block them all in the engine. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = -pthread_create(&e->thread, NULL, engine_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        goto fail;
    e->thread_started = true;
    *out = e;
    return 0;
fail:
    engine_destroy(e);
    return err;
}

static void post(struct hn_engine *e)
{
    ev_async_send(e->loop, &e->wake);
}

void hn_engine_free(struct hn_engine *e)
{
    if (!e)
        return;
    if (e->thread_started) {
        pthread_mutex_lock(&e->lock);
        e->cmd.quit = true;
        pthread_mutex_unlock(&e->lock);
        post(e);
        pthread_join(e->thread, NULL);
    }
    engine_destroy(e);
}

void hn_engine_set_target(struct hn_engine *e, const uint32_t *users, uint32_t n_classes,
                          double spawn_rate_per_s)
{
    pthread_mutex_lock(&e->lock);
    for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++)
        e->cmd.target[c] = c < n_classes ? users[c] : 0;
    e->cmd.spawn_rate_per_s = isfinite(spawn_rate_per_s) ? spawn_rate_per_s : 0;
    e->cmd.open = false;
    e->cmd.target_gen++;
    pthread_mutex_unlock(&e->lock);
    post(e);
}

void hn_engine_set_open(struct hn_engine *e, const uint32_t *users, const double *class_rates,
                        uint32_t n_classes, uint64_t max_delay_ms, double from, double end_at)
{
    pthread_mutex_lock(&e->lock);
    for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++) {
        e->cmd.target[c] = c < n_classes ? users[c] : 0;
        double r = c < n_classes ? class_rates[c] : 0;
        e->cmd.class_rates[c] = isfinite(r) && r > 0 ? r : 0;
    }
    e->cmd.open = true;
    e->cmd.max_delay_ms = max_delay_ms;
    e->cmd.from = from;
    e->cmd.end_at = end_at;
    e->cmd.target_gen++;
    pthread_mutex_unlock(&e->lock);
    post(e);
}

void hn_engine_request_swap(struct hn_engine *e, uint64_t gen)
{
    pthread_mutex_lock(&e->lock);
    e->cmd.swap_gen = gen;
    pthread_mutex_unlock(&e->lock);
    post(e);
}

uint64_t hn_engine_swapped_gen(struct hn_engine *e)
{
    return atomic_load_explicit(&e->swapped_gen, memory_order_acquire);
}

struct hn_recorder *hn_engine_retired(struct hn_engine *e)
{
    return e->retired;
}

void hn_engine_stop(struct hn_engine *e, uint64_t timeout_ms)
{
    pthread_mutex_lock(&e->lock);
    e->cmd.stop_gen++;
    e->cmd.stop_timeout_ms = timeout_ms;
    pthread_mutex_unlock(&e->lock);
    post(e);
}

bool hn_engine_drained(struct hn_engine *e)
{
    return atomic_load_explicit(&e->drained, memory_order_acquire);
}

void hn_engine_open_tally(struct hn_engine *e, struct hn_open_tally *out)
{
    /* Written by the engine thread before it published drained (release). */
    *out = (struct hn_open_tally){
        .from = e->open.pacer.from,
        .to = e->open.to,
        .asked = e->open.asked,
        .due = e->open.pacer.due,
        .started = e->open.started,
        .dropped = e->open.dropped,
    };
}

uint32_t hn_engine_take_lag_ms(struct hn_engine *e)
{
    return hn_loop_lag_take(&e->lag);
}

uint32_t hn_engine_users(struct hn_engine *e)
{
    return atomic_load_explicit(&e->users_now, memory_order_relaxed);
}
