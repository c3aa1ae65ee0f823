/* The run state machine (see run.h): one function per event, all on the
 * master's libev loop. Set-up is in run_setup.c, messages to workers and
 * the user split in dispatch.c, report formats behind report.h. */
#include "clock.h"
#include "console.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"

#include <stdio.h>
#include <string.h>

/* Users the workers not marked missing say they run. */
static uint32_t users_reported(const struct hn_run *r)
{
    uint32_t users = 0;
    for (uint32_t i = 0; i < r->reg.n; i++)
        users += r->reg.workers[i].missing ? 0 : r->reg.workers[i].users;
    return users;
}

/* --- run phases ---------------------------------------------------------- */

static void finish(struct hn_run *r, int exit_code);

static void start_running(struct hn_run *r)
{
    ev_timer_stop(r->loop, &r->wait_deadline);
    r->state = HN_RUN_RUNNING;
    r->started_at = ev_now(r->loop);
    hn_stats_free(r->stats);
    r->stats = NULL;
    if (hn_stats_new(hn_clock_wall_ms(), &r->stats)) {
        hn_log_error("out of memory");
        finish(r, HN_EXIT_NO_RUN);
        return;
    }
    hn_log_info("%u workers joined: ramping to %u users at %g/s%s", hn_registry_alive(&r->reg),
                r->cfg->users, r->cfg->spawn_rate, r->cfg->run_time_ms ? "" : " (Ctrl-C stops)");
    hn_dispatch_targets(r);
}

static bool all_finals_in(const struct hn_run *r)
{
    for (uint32_t i = 0; i < r->reg.n; i++)
        if (hn_worker_active(&r->reg.workers[i]))
            return false;
    return true;
}

static void begin_stop(struct hn_run *r, const char *why)
{
    if (r->state == HN_RUN_WAITING) {
        finish(r, HN_EXIT_NO_RUN);
        return;
    }
    if (r->state != HN_RUN_RUNNING)
        return;
    hn_log_info("%s: stopping (requests in flight get up to %llu ms)", why,
                (unsigned long long)r->cfg->stop_timeout_ms);
    r->state = HN_RUN_STOPPING;
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = (uint32_t)r->cfg->stop_timeout_ms;
    hn_dispatch_broadcast(r, &m);
    ev_timer_set(&r->stop_deadline,
                 (double)(r->cfg->stop_timeout_ms + HN_RUN_FINAL_MARGIN_MS) / 1000.0, 0.0);
    ev_timer_start(r->loop, &r->stop_deadline);
    if (all_finals_in(r))
        finish(r, HN_EXIT_OK);
}

/* Write the reports, tell workers to quit, leave the loop. */
static void finish(struct hn_run *r, int exit_code)
{
    if (r->state == HN_RUN_DONE)
        return;
    bool ran = r->state != HN_RUN_WAITING;
    r->state = HN_RUN_DONE;
    if (r->bad_frames || r->rejected)
        hn_log_info("dropped %llu undecodable frames, rejected %llu workers of another "
                    "protocol version",
                    (unsigned long long)r->bad_frames, (unsigned long long)r->rejected);
    ev_timer_stop(r->loop, &r->stop_deadline);
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if (ran && !w->final_received)
            hn_log_warn("worker %u (%s) sent no final report: requests it had not reported "
                        "yet are missing from the results",
                        w->index, w->hello.worker_id);
    }
    if (ran && r->stats) {
        uint64_t now_ms = hn_clock_wall_ms();
        hn_stats_tick(r->stats, now_ms, 0);
        struct hn_report_moment m = {now_ms, 0, hn_registry_alive(&r->reg)};
        hn_reports_final(&r->reports, r->stats, &m);
        if (exit_code == HN_EXIT_OK && hn_stats_total_requests(r->stats) == 0) {
            /* A run that sent nothing tested nothing: it must not pass. */
            hn_log_error("nothing was sent: no request completed in this run%s",
                         r->users_seen ? ""
                                       : " (no worker ran a user: did they accept the scenario? "
                                         "see their logs)");
            exit_code = HN_EXIT_NO_RUN;
        }
        if (exit_code == HN_EXIT_OK && hn_stats_total_failures(r->stats) > 0)
            exit_code = r->cfg->exit_code_on_error;
    }
    struct hn_msg quit = {.type = HN_MSG_QUIT};
    hn_dispatch_broadcast(r, &quit);
    r->exit_code = exit_code;
    ev_break(r->loop, EVBREAK_ALL);
}

/* --- events -------------------------------------------------------------- */

static void heard_from(struct hn_run *r, struct hn_worker *w);

/* STOP with what is left of the stop timeout, so the FINAL comes in time. */
static void send_stop(struct hn_run *r, struct hn_worker *w)
{
    double left_s =
        ev_timer_remaining(r->loop, &r->stop_deadline) - HN_RUN_FINAL_MARGIN_MS / 1000.0;
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = left_s > 0 ? (uint32_t)(left_s * 1000.0) : 0;
    hn_dispatch_to(r, w, &m);
}

static void on_hello(struct hn_run *r, const void *route, size_t len, const struct hn_msg_hello *h)
{
    if (r->state == HN_RUN_STOPPING || r->state == HN_RUN_DONE) {
        /* Too late to join this run; a worker of the run still gets STOP. */
        struct hn_worker *known = hn_registry_find(&r->reg, route, len);
        if (known && r->state == HN_RUN_STOPPING)
            heard_from(r, known);
        return;
    }
    struct hn_worker *w;
    bool rejoined;
    int err = hn_registry_join(&r->reg, route, len, h, ev_now(r->loop), &w, &rejoined);
    if (err) {
        struct hn_msg m = {.type = HN_MSG_REJECT};
        snprintf(m.reject.reason, sizeof(m.reject.reason), "master cannot take more workers");
        hn_dispatch_to_route(r, route, len, &m);
        return;
    }
    if (!rejoined)
        hn_log_info("worker %u joined: %s (%s, %u cpus, version %s)", w->index, h->worker_id,
                    h->hostname, h->cpus, h->version);
    else
        hn_log_info("worker %u is back: %s", w->index, h->worker_id);
    struct hn_msg m = {.type = HN_MSG_WELCOME};
    m.welcome.worker_index = w->index;
    snprintf(m.welcome.run_id, sizeof(m.welcome.run_id), "%s", r->run_id);
    m.welcome.snapshot_interval_ms = HN_RUN_SNAPSHOT_INTERVAL_MS;
    hn_dispatch_to(r, w, &m);
    if (!rejoined) {
        struct hn_msg s = {.type = HN_MSG_SCENARIO};
        s.scenario.blob = (const uint8_t *)r->scenario_blob.data;
        s.scenario.blob_len = r->scenario_blob.size;
        s.scenario.hash = r->scenario_hash;
        s.scenario.hash_len = sizeof(r->scenario_hash);
        hn_dispatch_to(r, w, &s);
    }
    if (r->state == HN_RUN_WAITING && hn_registry_alive(&r->reg) >= r->cfg->expect_workers)
        start_running(r);
    else if (r->state == HN_RUN_RUNNING)
        hn_dispatch_targets(r); /* a newcomer gets its share at once */
}

/* A HELLO from a worker of another protocol version: REJECT it with a reason
 * naming both versions (encoded in our version; its header stays readable). */
static void reject_version(struct hn_run *r, const void *route, size_t len, uint32_t version)
{
    struct hn_msg m = {.type = HN_MSG_REJECT};
    snprintf(m.reject.reason, sizeof(m.reject.reason),
             "protocol version mismatch: worker speaks %u, master speaks %u", version,
             HN_PROTO_VERSION);
    /* Any peer can send these: log the first, count the rest. */
    if (r->rejected++ == 0)
        hn_log_warn("rejected a worker: %s (further rejections are only counted)", m.reject.reason);
    hn_dispatch_to_route(r, route, len, &m);
}

/* Any message from worker @w: it is alive. A worker marked missing that
 * speaks again is taken back: it gets a share while the run runs, and STOP
 * while it stops (it never got the broadcast, and would go on loading the
 * target until its own silence timeout). */
static void heard_from(struct hn_run *r, struct hn_worker *w)
{
    w->last_seen = ev_now(r->loop);
    if (!w->missing || w->final_received)
        return;
    if (r->state == HN_RUN_RUNNING) {
        hn_log_info("worker %u is responding again", w->index);
        w->missing = false;
        hn_dispatch_targets(r);
    } else if (r->state == HN_RUN_STOPPING) {
        hn_log_info("worker %u is responding again: asking it to stop", w->index);
        w->missing = false;
        send_stop(r, w);
    }
}

/* A FINAL: the worker has stopped for good, after our STOP or on its own
 * (a signal, or its master silent too long). Either way it runs no more
 * users and owes no more reports. */
static void on_final(struct hn_run *r, struct hn_worker *w)
{
    if (w->final_received || (r->state != HN_RUN_RUNNING && r->state != HN_RUN_STOPPING))
        return;
    w->final_received = true;
    if (r->state == HN_RUN_STOPPING) {
        if (all_finals_in(r))
            finish(r, HN_EXIT_OK);
        return;
    }
    hn_log_warn("worker %u (%s) stopped on its own: its %u users go to the other workers", w->index,
                w->hello.worker_id, w->share.total);
    w->share = (struct hn_share){0};
    if (hn_registry_alive(&r->reg) == 0) {
        hn_log_error("every worker has stopped");
        finish(r, HN_EXIT_NO_RUN);
    } else {
        hn_dispatch_targets(r);
    }
}

void hn_run_on_message(struct hn_chan *c, const void *route, size_t len, const void *buf,
                       size_t buf_len, void *user)
{
    (void)c;
    struct hn_run *r = user;
    struct hn_msg m;
    int err = hn_msg_decode(buf, buf_len, &m);
    if (err) {
        uint32_t type, version;
        if (err == HN_E_VERSION && hn_msg_peek(buf, buf_len, &type, &version) == 0 &&
            type == HN_MSG_HELLO) {
            reject_version(r, route, len, version);
        } else if (r->bad_frames++ == 0) {
            hn_log_warn("dropped an undecodable frame: %s (further ones are only counted)",
                        hn_strerror(err));
        }
        return;
    }
    struct hn_worker *w = hn_registry_find(&r->reg, route, len);
    if (m.type == HN_MSG_HELLO) {
        on_hello(r, route, len, &m.hello);
    } else if (w) {
        heard_from(r, w);
        switch (m.type) {
        case HN_MSG_HEARTBEAT:
            w->users = m.heartbeat.users;
            r->users_seen |= w->users > 0;
            w->cpu_permille = m.heartbeat.cpu_permille;
            w->rss_bytes = m.heartbeat.rss_bytes;
            break;
        case HN_MSG_SNAPSHOT:
        case HN_MSG_FINAL:
            w->users = m.snapshot.users;
            r->users_seen |= w->users > 0;
            if (r->stats && r->state != HN_RUN_WAITING && !w->final_received)
                hn_stats_add(r->stats, &m.snapshot, hn_clock_wall_ms());
            if (m.type == HN_MSG_FINAL)
                on_final(r, w);
            break;
        default:
            break; /* master-bound only: anything else is ignored */
        }
    }
    hn_msg_deinit(&m);
}

static void check_liveness(struct hn_run *r)
{
    double now = ev_now(r->loop);
    bool lost = false;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if (hn_worker_active(w) && now - w->last_seen >= HN_RUN_MISSING_AFTER_S) {
            w->missing = true;
            lost = true;
            hn_log_warn("worker %u (%s) silent for %.0f s: marked missing, its %u users go to "
                        "the other workers",
                        w->index, w->hello.worker_id, now - w->last_seen, w->share.total);
        }
    }
    if (!lost)
        return;
    if (r->state == HN_RUN_RUNNING && hn_registry_alive(&r->reg) == 0) {
        hn_log_error("lost all workers");
        finish(r, HN_EXIT_NO_RUN);
    } else if (r->state == HN_RUN_RUNNING) {
        hn_dispatch_targets(r);
    } else if (r->state == HN_RUN_STOPPING && all_finals_in(r)) {
        finish(r, HN_EXIT_OK);
    }
}

void hn_run_on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct hn_run *r = t->data;
    check_liveness(r);
    if (r->state == HN_RUN_WAITING && r->cfg->local_workers &&
        hn_local_workers_running(&r->local) == 0) {
        hn_log_error("every local worker exited before the run started (see their messages "
                     "above)");
        finish(r, HN_EXIT_NO_RUN);
    }
    if (r->state == HN_RUN_DONE)
        return;
    struct hn_msg hb = {.type = HN_MSG_HEARTBEAT};
    hn_dispatch_broadcast(r, &hb);
    if (r->state == HN_RUN_STOPPING) {
        /* STOP again to every worker without a FINAL: one lost during a
         * reconnect would otherwise cost the whole stop deadline. Workers
         * ignore a STOP they already follow. */
        for (uint32_t i = 0; i < r->reg.n; i++)
            if (hn_worker_active(&r->reg.workers[i]))
                send_stop(r, &r->reg.workers[i]);
    }
    if (r->state == HN_RUN_RUNNING) {
        hn_dispatch_targets(r);
        if (r->cfg->run_time_ms &&
            (ev_now(loop) - r->started_at) * 1000.0 >= (double)r->cfg->run_time_ms)
            begin_stop(r, "run time reached");
    }
    if (r->stats && r->state != HN_RUN_WAITING && r->state != HN_RUN_DONE) {
        uint64_t now_ms = hn_clock_wall_ms();
        struct hn_report_moment m = {now_ms, users_reported(r), hn_registry_alive(&r->reg)};
        hn_stats_tick(r->stats, now_ms, m.users);
        hn_reports_second(&r->reports, r->stats, &m);
    }
}

void hn_run_on_console(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = t->data;
    if (r->stats && (r->state == HN_RUN_RUNNING || r->state == HN_RUN_STOPPING)) {
        hn_console_live(stderr, r->stats, users_reported(r), hn_registry_alive(&r->reg));
    }
}

void hn_run_on_wait_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = t->data;
    hn_log_error("only %u of %u expected workers joined within the wait: giving up",
                 hn_registry_alive(&r->reg), r->cfg->expect_workers);
    finish(r, HN_EXIT_NO_RUN);
}

void hn_run_on_stop_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    finish(t->data, HN_EXIT_OK); /* workers without FINAL are reported there */
}

void hn_run_on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_run *r = w->data;
    if (r->state == HN_RUN_STOPPING)
        finish(r, HN_EXIT_OK); /* second Ctrl-C: report what we have now */
    else
        begin_stop(r, "interrupted");
}
