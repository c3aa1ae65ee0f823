/* The run state machine (see run.h): one function per event, all on the
 * master's libev loop. Set-up is in run_setup.c, the end of a run (verdict
 * and final reports) in run_finish.c, messages to workers and the user
 * split in dispatch.c, report formats behind report.h. */
#include "clock.h"
#include "console.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"
#include "stop_signals.h"
#include "units.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* Users the workers not marked missing say they run. */
static uint32_t users_reported(const struct hn_run *r)
{
    return hn_registry_users(&r->reg);
}

void hn_run_set_state(struct hn_run *r, enum hn_run_state next)
{
    static const char *const names[] = {[HN_RUN_WAITING] = "waiting",
                                        [HN_RUN_RUNNING] = "running",
                                        [HN_RUN_STOPPING] = "stopping",
                                        [HN_RUN_DONE] = "done"};
    if (r->state != next)
        hn_log_debug("run: %s -> %s", names[r->state], names[next]);
    r->state = next;
}

struct hn_report_moment hn_run_moment(const struct hn_run *r, uint64_t now_ms, uint32_t users)
{
    return (struct hn_report_moment){
        .now_ms = now_ms,
        .users = users,
        .workers = hn_registry_alive(&r->reg),
        .run_id = r->run_id,
        .started_ms = r->started_wall_ms,
        .run_time_ms = r->plan->run_time_ms,
        .thresholds = r->plan->thresholds,
        .threshold_results = r->threshold_results,
        .n_thresholds = r->plan->n_thresholds,
        .aborted = r->aborted[0] ? r->aborted : NULL,
        .workers_list = &r->reg,
        .lag_ms = hn_lag_ms(r->lag.last_s),
        .lag_max_ms = hn_lag_ms(hn_lag_max(&r->lag)),
        .users_not_run = r->shortfall_max,
        .users_asked_max = r->users_max,
        .behind = r->behind,
        .errors_pass = r->cfg->exit_code_on_error == 0,
    };
}

void hn_run_eval_thresholds(struct hn_run *r, uint64_t now_ms)
{
    struct hn_threshold_inputs in = {r->stats, now_ms, hn_stats_total_dropped(r->stats)};
    for (uint32_t i = 0; i < r->plan->n_thresholds; i++)
        hn_threshold_eval(&r->plan->thresholds[i], &in, &r->threshold_results[i]);
}

/* Arm the timer for the next stage boundary of the load shape, so a step
 * in the plan reaches the workers when it is due, not at the next tick. */
static void arm_stage_timer(struct hn_run *r)
{
    uint64_t next = hn_dispatch_next_stage_ms(r);
    if (!next)
        return;
    double at = r->started_at + (double)next / 1000.0 - ev_now(r->loop);
    ev_timer_set(&r->stage, at > 0 ? at : 0, 0.0);
    ev_timer_start(r->loop, &r->stage);
}

void hn_run_on_run_end(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    hn_run_begin_stop(t->data, "run time reached");
}

void hn_run_on_stage(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = t->data;
    if (r->state != HN_RUN_RUNNING)
        return;
    hn_dispatch_targets(r);
    arm_stage_timer(r);
}

/* --- run phases ---------------------------------------------------------- */

void hn_run_start(struct hn_run *r)
{
    /* The run starts now, not at the loop's time before the set-up that
     * led here (a few ms): its stages and its end are reckoned from it, as
     * the workers' schedules are from their targets' arrival. */
    ev_now_update(r->loop);
    ev_timer_stop(r->loop, &r->wait_deadline);
    hn_run_set_state(r, HN_RUN_RUNNING);
    r->started_at = ev_now(r->loop);
    r->started_wall_ms = hn_clock_wall_ms();
    hn_stats_free(r->stats);
    r->stats = NULL;
    if (hn_stats_new(hn_clock_wall_ms(), &r->stats)) {
        hn_log_error("out of memory");
        hn_run_finish(r, HN_EXIT_NO_RUN);
        return;
    }
    hn_stats_set_memory_max(r->stats, r->cfg->max_stats_memory);
    hn_stats_set_latency(r->stats, r->cfg->latency);
    /* The master's seconds (history rows, current rates, TARGETs) start
     * with the run: a tick left in the phase of the wait closed a first
     * "second" of a fraction of one. */
    ev_timer_stop(r->loop, &r->tick);
    ev_timer_set(&r->tick, 1.0, 1.0);
    ev_timer_start(r->loop, &r->tick);
    char brief[200];
    hn_log_info("%u workers joined: %s%s", hn_registry_alive(&r->reg),
                hn_run_plan_brief(r->plan, brief, sizeof(brief)),
                r->plan->run_time_ms ? "" : " (Ctrl-C stops)");
    if (r->plan->run_time_ms) {
        /* Its own timer: the run lasts its time to the millisecond, not
         * to the next tick (an open model at 2,000/s would run up to 2,000
         * iterations too many). Armed before the first TARGETs, which
         * say how much of it is left: from the time now again (the
         * statistics were set up since), so that the STOP does not come
         * before the workers' schedules, reckoned from the targets'
         * arrival, end. */
        ev_now_update(r->loop);
        ev_timer_set(&r->run_end, (double)r->plan->run_time_ms / 1000.0, 0.0);
        ev_timer_start(r->loop, &r->run_end);
    }
    hn_dispatch_targets(r);
    arm_stage_timer(r);
}

/* A worker whose FINAL the stop waits for: one that ran users and is still
 * in the run, also when missing since shortly before the stop while its
 * connection is there (a link cut near the end, not a process gone: its
 * last seconds are in that FINAL). @probe: whether to look at missing ones
 * (their connection is probed with a message). */
static bool owes_final(struct hn_run *r, const struct hn_worker *w, bool probe)
{
    if (!w->loaded || w->final_received || w->banned || w->declined)
        return false;
    if (!w->missing)
        return true;
    return probe && w->last_seen >= r->stop_began_s - HN_RUN_AWAIT_MISSING_S &&
           hn_dispatch_route_alive(r, w);
}

bool hn_run_all_finals_in(struct hn_run *r)
{
    /* Those heard from first: while one owes its FINAL, the missing ones
     * are not probed (on each of thousands of FINALs). */
    for (int probe = 0; probe < 2; probe++)
        for (uint32_t i = 0; i < r->reg.n; i++)
            if (owes_final(r, &r->reg.workers[i], probe))
                return false;
    return true;
}

static uint32_t finals_owed(struct hn_run *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->reg.n; i++)
        n += owes_final(r, &r->reg.workers[i], true);
    return n;
}

void hn_run_begin_stop(struct hn_run *r, const char *why)
{
    if (r->state == HN_RUN_WAITING) {
        hn_run_fail(r, HN_EXIT_NO_RUN, "%s while waiting for workers", why);
        return;
    }
    if (r->state != HN_RUN_RUNNING)
        return;
    hn_log_info("%s: stopping (requests in flight get up to %llu ms)", why,
                (unsigned long long)r->cfg->stop_timeout_ms);
    hn_run_set_state(r, HN_RUN_STOPPING);
    r->stop_began_s = hn_lag_clock(&r->lag, hn_clock_mono_s());
    ev_timer_stop(r->loop, &r->stage);
    ev_timer_stop(r->loop, &r->run_end);
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = (uint32_t)r->cfg->stop_timeout_ms;
    /* Not to one that ran nothing; to one missing whose FINAL is awaited
     * (a stalled link may still deliver it; one that comes back gets it
     * again). */
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if ((!w->missing && !w->declined) || owes_final(r, w, true))
            hn_dispatch_to(r, w, &m);
    }
    ev_timer_set(&r->stop_deadline,
                 (double)(r->cfg->stop_timeout_ms + HN_RUN_FINAL_MARGIN_MS) / 1000.0, 0.0);
    ev_timer_start(r->loop, &r->stop_deadline);
    if (hn_run_all_finals_in(r))
        hn_run_finish(r, HN_EXIT_OK);
}

/* STOP with what is left of the stop timeout, so the FINAL comes in time. */
void hn_run_send_stop(struct hn_run *r, struct hn_worker *w)
{
    double remaining = ev_timer_remaining(r->loop, &r->stop_deadline);
    double left_s = remaining - HN_RUN_FINAL_MARGIN_MS / 1000.0;
    /* One heard again after the stop timeout (cut off, frozen) has answers
     * waiting unread: a second for them, if the deadline leaves one more
     * for its FINAL, rather than "aborted at stop" at once. */
    double floor_s = remaining - 1.0 < 1.0 ? remaining - 1.0 : 1.0;
    if (left_s < floor_s)
        left_s = floor_s;
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = left_s > 0 ? (uint32_t)(left_s * 1000.0) : 0;
    hn_dispatch_to(r, w, &m);
}

/* --- events -------------------------------------------------------------- */

/* A failing threshold marked abort_on_fail stops the run once its delay
 * has passed; one with no data yet (nothing measured) waits. The run then
 * stops as at the end of its time: every request still counts. */
static void check_abort(struct hn_run *r)
{
    if (r->state != HN_RUN_RUNNING)
        return;
    uint64_t ran_ms = (uint64_t)((ev_now(r->loop) - r->started_at) * 1000.0);
    for (uint32_t i = 0; i < r->plan->n_thresholds; i++) {
        const struct hn_threshold *t = &r->plan->thresholds[i];
        const struct hn_threshold_result *res = &r->threshold_results[i];
        if (!t->abort_on_fail || ran_ms < t->delay_ms || res->pass || isnan(res->observed))
            continue;
        char seen[48];
        snprintf(r->aborted, sizeof(r->aborted), "threshold '%s' failed (observed %s)", t->expr,
                 hn_threshold_format(t, res->observed, seen, sizeof(seen)));
        r->abort_index = i;
        hn_log_warn("%s, and it aborts the run", r->aborted);
        hn_run_begin_stop(r, "aborted by a threshold");
        return;
    }
}

/* A worker is missing after HN_RUN_MISSING_AFTER_S of silence on the
 * liveness clock, which stops while the master itself stalls, and not
 * counting the receive backlog (@backlog_s): a message of it may be waiting
 * there unread. So the master's own slowness never makes a worker missing. */
static void check_liveness(struct hn_run *r, double backlog_s)
{
    double now = hn_lag_clock(&r->lag, hn_clock_mono_s()) - backlog_s;
    bool lost = false;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if (hn_worker_active(w) && now - w->last_seen >= HN_RUN_MISSING_AFTER_S) {
            w->missing = true;
            lost = true;
            char users[64] = " during the stop"; /* its users have nowhere to go */
            if (r->state != HN_RUN_STOPPING)
                snprintf(users, sizeof(users), "; its %u users go to the other workers",
                         w->share.total);
            hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_MISSING,
                             "silent for %.1f s%s", now - w->last_seen, users);
            hn_log_warn("worker %u (%s) silent for %.1f s: marked missing%s", w->index,
                        w->hello.worker_id, now - w->last_seen, users);
        }
    }
    if (!lost)
        return;
    if (r->state == HN_RUN_RUNNING && hn_registry_alive(&r->reg) == 0) {
        hn_run_fail(r, HN_EXIT_NO_RUN, "lost all workers");
    } else if (r->state == HN_RUN_RUNNING) {
        hn_dispatch_targets(r);
    } else if (r->state == HN_RUN_STOPPING && hn_run_all_finals_in(r)) {
        hn_run_finish(r, HN_EXIT_OK);
    }
}

/* The master's lag, once a second: said when it is notable, and past
 * HN_RUN_LAG_FAIL_S of receive backlog the run stops and fails: a master
 * that cannot keep up must not report a run with data missing as passed. */
static void check_lag(struct hn_run *r, double now_s, double stall_s, double backlog_s)
{
    r->stall_unsaid_s += stall_s;
    if (r->stall_unsaid_s > 0 && now_s - r->stall_said_at >= HN_RUN_LAG_SAY_S) {
        hn_log_warn("the master itself stalled for %.1f s%s (stopped, swapping, or its disk or "
                    "CPU was slow): workers are not held responsible for that silence",
                    r->stall_unsaid_s, r->stall_said_at > 0 ? " in the last seconds" : "");
        r->stall_said_at = now_s;
        r->stall_unsaid_s = 0;
    }
    if (r->state != HN_RUN_RUNNING && r->state != HN_RUN_STOPPING)
        return;
    if (backlog_s >= HN_RUN_LAG_FAIL_S && !r->behind) {
        r->behind = true;
        hn_log_error("the master cannot keep up with its %u workers: their messages wait %.1f s "
                     "before it reads them; the run fails (exit 3): use fewer workers per "
                     "master, or a host with a faster core",
                     hn_registry_alive(&r->reg), backlog_s);
        hn_run_begin_stop(r, "the master cannot keep up");
        return;
    }
    if (r->lag.last_s >= HN_RUN_LAG_WARN_S && stall_s == 0 &&
        now_s - r->lag_said_at >= HN_RUN_LAG_SAY_S) {
        r->lag_said_at = now_s;
        hn_log_warn("the master is behind: workers' messages waited up to %u ms before it read "
                    "them (%u workers); past %.0f s the run fails",
                    hn_lag_ms(r->lag.last_s), hn_registry_alive(&r->reg), HN_RUN_LAG_FAIL_S);
    }
}

void hn_run_on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct hn_run *r = t->data;
    double now_s = hn_clock_mono_s();
    double backlog_s = hn_chan_backlog_age(&r->chan, now_s);
    double stall_s = hn_lag_tick(&r->lag, backlog_s);
    check_liveness(r, backlog_s);
    check_lag(r, now_s, stall_s, backlog_s);
    hn_refused_peers_check(&r->refused, hn_chan_mechanism_mismatches(&r->chan), r->curve,
                           ev_now(loop));
    if (r->state == HN_RUN_WAITING && r->cfg->local_workers &&
        hn_local_workers_running(&r->local) == 0)
        hn_run_fail(r, HN_EXIT_NO_RUN,
                    "every local worker exited before the run started (see their messages above)");
    if (r->state == HN_RUN_DONE)
        return;
    if (r->state == HN_RUN_STOPPING) {
        /* STOP again to every worker without a FINAL: one lost during a
         * reconnect would otherwise cost the whole stop deadline. Workers
         * ignore a STOP they already follow. */
        for (uint32_t i = 0; i < r->reg.n; i++)
            if (hn_worker_active(&r->reg.workers[i]))
                hn_run_send_stop(r, &r->reg.workers[i]);
    }
    if (r->state == HN_RUN_RUNNING)
        hn_dispatch_targets(r);
    hn_dispatch_heartbeats(r); /* after the TARGETs: to the workers they missed */
    if (r->stats && r->state != HN_RUN_WAITING && r->state != HN_RUN_DONE) {
        uint64_t now_ms = hn_clock_wall_ms();
        struct hn_report_moment m = hn_run_moment(r, now_ms, users_reported(r));
        hn_stats_tick(r->stats, now_ms);
        hn_run_eval_thresholds(r, now_ms);
        hn_reports_second(&r->reports, r->stats, &m);
        check_abort(r);
    }
}

void hn_run_on_watch(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    double period = hn_lag_watch(&((struct hn_run *)t->data)->lag, hn_clock_mono_s());
    if (period != t->repeat) { /* closer after a stall, and back (lag.h) */
        t->repeat = period;
        if (ev_is_active(t))
            ev_timer_again(loop, t);
    }
}

void hn_run_on_console(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct hn_run *r = t->data;
    if (r->stats && (r->state == HN_RUN_RUNNING || r->state == HN_RUN_STOPPING)) {
        hn_console_live(stderr, r->stats, users_reported(r), hn_registry_alive(&r->reg),
                        hn_lag_ms(r->lag.last_s), hn_lag_ms(hn_lag_max(&r->lag)),
                        (uint64_t)((ev_now(loop) - r->started_at) * 1000.0), r->plan->run_time_ms);
    }
}

/* " (N more declined the scenario)", or "" when none did: why a wait for
 * workers may end short. N counts every worker that declined during the
 * wait, also those gone since (the master does not follow a decliner). */
static void say_declined(const struct hn_run *r, char *buf, size_t size)
{
    uint32_t declined = hn_registry_declined(&r->reg);
    buf[0] = '\0';
    if (declined)
        snprintf(buf, size, " (%u more declined the scenario)", declined);
}

void hn_run_on_wait_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = t->data;
    char wait[32] = "the wait";
    if (hn_units_format_duration_ms(r->cfg->expect_wait_ms, wait, sizeof(wait)) < 0)
        snprintf(wait, sizeof(wait), "the wait");
    char why[64];
    say_declined(r, why, sizeof(why));
    hn_run_fail(r, HN_EXIT_NO_RUN, "only %u of %u expected workers joined within %s%s",
                hn_registry_alive(&r->reg), r->cfg->expect_workers, wait, why);
}

void hn_run_on_stop_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = t->data;
    /* Final reports may be waiting in the receive queue, behind a backlog:
     * read what arrived before deciding they are missing (for a few
     * seconds at most: workers go on sending meanwhile). */
    double until = hn_clock_mono_s() + HN_RUN_FINAL_MARGIN_MS / 1000.0;
    bool drained = false;
    while (r->state != HN_RUN_DONE && !drained && hn_clock_mono_s() < until)
        drained = hn_chan_drain_now(&r->chan, HN_CHAN_BATCH);
    if (r->state == HN_RUN_DONE)
        return; /* the last FINAL was in the queue */
    if (!drained) {
        r->behind = true;
        hn_log_error("the master could not read every worker's final report before the stop "
                     "deadline: it is behind");
    }
    hn_log_info("stop deadline reached: %u workers did not send their final report",
                finals_owed(r));
    hn_run_finish(r, HN_EXIT_OK); /* workers without FINAL are named there */
}

void hn_run_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    struct hn_run *r = w->data;
    if (r->state == HN_RUN_STOPPING && !r->signalled) {
        /* A first signal during a stop the run time (or a threshold)
         * began: the run did its time, so keep its results; stop waiting
         * for requests in flight (aborted now, counted) and wait only for
         * the FINALs. A second signal reports at once. */
        r->signalled = true;
        hn_log_warn("%s while stopping: requests in flight are aborted now; the final reports "
                    "are awaited (a second signal reports at once)",
                    hn_stop_signal_name(w->signum));
        if (ev_timer_remaining(loop, &r->stop_deadline) > HN_RUN_FINAL_MARGIN_MS / 1000.0) {
            ev_timer_stop(loop, &r->stop_deadline); /* sooner, never later */
            ev_timer_set(&r->stop_deadline, HN_RUN_FINAL_MARGIN_MS / 1000.0, 0.0);
            ev_timer_start(loop, &r->stop_deadline);
        }
        for (uint32_t i = 0; i < r->reg.n; i++)
            if (hn_worker_active(&r->reg.workers[i]))
                hn_run_send_stop(r, &r->reg.workers[i]); /* with 0 ms left */
        return;
    }
    if (r->state == HN_RUN_STOPPING) {
        /* A second signal: report what we have now, without the FINALs
         * still out (the reports name those workers). Missing FINALs fail
         * the run as ever, unless a signal cut the run itself short (it
         * fails already, saying so). */
        r->stop_forced = r->signal_began_stop;
        hn_run_finish(r, HN_EXIT_OK);
        return;
    }
    r->signalled = true;
    r->signal_began_stop = r->state == HN_RUN_RUNNING;
    /* A run with a length that a signal ends early (Ctrl-C, a CI job's
     * timeout, systemctl stop) did not run its plan: the reports say so and
     * it does not pass, or a gate would take a cut-short run for a good
     * one. A run without a length runs until Ctrl-C: that is its end. */
    if (r->state == HN_RUN_WAITING) {
        char why[64];
        say_declined(r, why, sizeof(why));
        hn_run_fail(r, HN_EXIT_NO_RUN,
                    "interrupted by %s while waiting for workers: %u of %u expected joined%s",
                    hn_stop_signal_name(w->signum), hn_registry_alive(&r->reg),
                    r->cfg->expect_workers, why);
        return;
    }
    if (r->state == HN_RUN_RUNNING && r->plan->run_time_ms && !r->aborted[0]) {
        char planned[32], why[96];
        if (hn_units_format_duration_ms(r->plan->run_time_ms, planned, sizeof(planned)) < 0)
            snprintf(planned, sizeof(planned), "%llu ms", (unsigned long long)r->plan->run_time_ms);
        snprintf(why, sizeof(why), "interrupted by %s %.1f s into a %s run",
                 hn_stop_signal_name(w->signum), ev_now(loop) - r->started_at, planned);
        hn_run_note_aborted(r, why);
        hn_log_warn("run %s: it ends now and does not pass", r->aborted);
    }
    hn_run_begin_stop(r, "interrupted");
}
