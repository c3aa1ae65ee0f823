/* Worker session state machine (see session.h). One function per event;
 * the state is an explicit enum. Everything runs on the main thread's loop;
 * the engine threads are reached only through the pool. */
#include "session_internal.h"
#include "chan.h"
#include "clock.h"
#include "curl_quirks.h"
#include "stop_signals.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "loop_lag.h"
#include "msg.h"
#include "plan.h"
#include "grants.h"
#include "health.h"
#include "pool.h"
#include "report_phases.h"
#include "report_ring.h"
#include "scenario_codec.h"
#include "snapshot.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <zmq.h>

/* Silence after which the worker says HELLO again: the master heartbeats
 * every second, so 3 s of nothing means it restarted or is gone. */
#define REHELLO_AFTER_S 3.0
/* On SIGINT/SIGTERM (e.g. docker stop), requests in flight get this long to
 * finish before they count as "aborted at stop"; a second signal forces. */
#define SIGNAL_GRACE_MS 2000
/* Stopping on its own after its master's silence, requests in flight get
 * this long (the master's default --stop-timeout): the link, not the
 * target, failed, and cutting them would fail the run for requests the
 * target was answering. A STOP that comes meanwhile ends it sooner. */
#define SILENCE_GRACE_MS 10000
/* Saying HELLO this long without a WELCOME: a hint of what may be wrong. */
#define NO_WELCOME_HINT_S 10.0
/* While reports flow, each HEARTBEAT goes right after a SNAPSHOT: the
 * master's ZeroMQ thread then wakes once for both (at 1,000 workers the
 * separate wake-ups cost it a fifth of its CPU; tests/bench/README.md).
 * The one-second tick still sends one when none went for this long. */
#define HEARTBEAT_ALONE_AFTER_S 1.5

static const char *const state_names[] = {"hello",   "ready",    "loaded",
                                          "running", "stopping", "stopped"};

static void set_state(struct hn_session *s, enum session_state next)
{
    if (s->state != next)
        hn_log_debug("session: %s -> %s", state_names[s->state], state_names[next]);
    s->state = next;
}

static void send_heartbeat(struct hn_session *s)
{
    static const enum hn_worker_state wire_state[] = {
        [SS_HELLO] = HN_WSTATE_IDLE,        [SS_READY] = HN_WSTATE_IDLE,
        [SS_LOADED] = HN_WSTATE_LOADED,     [SS_RUNNING] = HN_WSTATE_RUNNING,
        [SS_STOPPING] = HN_WSTATE_STOPPING, [SS_STOPPED] = HN_WSTATE_STOPPED,
    };
    struct hn_msg m = {.type = HN_MSG_HEARTBEAT};
    m.heartbeat.state = wire_state[s->state];
    m.heartbeat.users = s->pool ? hn_pool_users(s->pool) : 0;
    m.heartbeat.grants = s->grants_received;
    uint32_t lag = hn_loop_lag_take(&s->lag), engines = s->pool ? hn_pool_take_lag_ms(s->pool) : 0;
    hn_health_sample(&s->health, lag, engines, ev_now(s->loop), &m.heartbeat);
    s->heartbeat_at = ev_now(s->loop);
    hn_link_send_msg(s, &m);
}

/* Drop the current run's engines, plan and scenario (aborts transfers). */
static void reset_run(struct hn_session *s)
{
    ev_timer_stop(s->loop, &s->snap_tick);
    hn_pool_free(s->pool);
    hn_grants_free(s->grants);
    hn_plan_free(s->plan);
    hn_scenario_free(s->scenario);
    s->pool = NULL;
    s->grants = NULL;
    s->plan = NULL;
    s->scenario = NULL;
    s->target_seq = 0;
    s->run_end_at = INFINITY;
    s->final_wanted = s->final_pending = false;
    /* Reports keep their numbers (and the kept ones stay) while the run id
     * does: a SCENARIO sent again in the same run (a HELLO that crossed our
     * WELCOME) starts new engines, not a new count, which the master has
     * partly seen (hn_link_forget_reports, for a new run). */
}

static void begin_stop(struct hn_session *s, uint64_t timeout_ms)
{
    if (s->state == SS_RUNNING) {
        set_state(s, SS_STOPPING);
        hn_pool_stop(s->pool, timeout_ms);
    } else if (s->state == SS_STOPPING) {
        /* Said again (the master resends it, or was interrupted while
         * waiting and wants the FINAL now): an engine takes the new
         * timeout only if it ends sooner. */
        hn_pool_stop(s->pool, timeout_ms);
    } else if (s->state == SS_READY || s->state == SS_LOADED) {
        hn_link_send_empty_final(s);
        set_state(s, SS_STOPPED);
        if (s->exit_after_final)
            ev_break(s->loop, EVBREAK_ALL);
    }
}

/* --- pool callbacks ------------------------------------------------------ */

/* Ask for the FINAL. Only a snapshot asked after the pool drained holds every
 * request left: one already under way may have been swapped on some thread
 * before that thread's last requests ended. While one is under way this
 * fails, and on_pool_snapshot asks again once it is sent. */
static void request_final(struct hn_session *s)
{
    if (!s->final_pending && hn_pool_snapshot(s->pool) == 0)
        s->final_pending = true;
}

/* Returns whether the pool empties the phases it holds. */
static bool on_pool_snapshot(void *ctx, const struct hn_recorder *merged)
{
    struct hn_session *s = ctx;
    uint64_t now_ms = hn_clock_wall_ms();
    struct hn_snapshot_info info = {
        .type = s->final_pending ? HN_MSG_FINAL : HN_MSG_SNAPSHOT,
        .seq = ++s->snap_seq,
        .interval_start_ms = s->interval_start_ms,
        .interval_end_ms = now_ms,
        .users = hn_pool_users(s->pool),
        .run_id = s->run_id,
    };
    struct hn_report_phases_when when = {
        .final = info.type == HN_MSG_FINAL,
        .seq = info.seq,
        .turn = s->phases_turn,
        .now_s = ev_time(), /* the clock of run_end_at */
        .end_at_s = s->run_end_at,
    };
    info.phases = hn_report_phases_due_by_time(&when);
    if (!info.phases) {
        when.held_bytes = hn_report_phases_bytes(merged);
        info.phases = hn_report_phases_due(&when);
    }
    s->interval_start_ms = now_ms;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    bool dropped;
    int err = hn_snapshot_encode_fit(s->scenario, merged, &info, &buf, &dropped);
    if (dropped)
        hn_log_error("report %llu: with the phase timings it held (DNS, connect, TLS, time to "
                     "first byte) it would not fit in a frame: sent without them, they are lost",
                     (unsigned long long)info.seq);
    if (!err) {
        hn_link_send_report(s, &buf, info.type, info.seq, hn_recorder_requests(merged));
        if (info.type == HN_MSG_SNAPSHOT)
            send_heartbeat(s);
    } else
        hn_log_error("snapshot %llu of %llu requests lost, with the phase timings held since "
                     "the last report that carried them: %s",
                     (unsigned long long)info.seq, (unsigned long long)hn_recorder_requests(merged),
                     hn_strerror(err));
    msgpack_sbuffer_destroy(&buf);
    if (info.type == HN_MSG_FINAL) {
        s->final_wanted = s->final_pending = false;
        ev_timer_stop(s->loop, &s->snap_tick);
        set_state(s, SS_STOPPED);
        hn_log_info("stopped: final snapshot sent");
        if (s->exit_after_final)
            ev_break(s->loop, EVBREAK_ALL);
    } else if (s->final_wanted) {
        request_final(s);
    }
    /* The pool empties the phases once they went, or were lost with the
     * report (kept, they would count requests the master never got). */
    return info.phases || err;
}

static void on_pool_drained(void *ctx)
{
    struct hn_session *s = ctx;
    /* The open model's account of its own schedule: its window starts when
     * this worker got its first TARGET, so one that started late ran fewer
     * iterations than the master's rate × time, and says why. */
    struct hn_open_tally t;
    if (hn_pool_open_tally(s->pool, &t)) {
        double window = t.to > t.from ? t.to - t.from : 0;
        hn_log_info("open model: paced %.3f s from the first TARGET at %.6g/s on average: "
                    "%llu iterations due (%.1f asked), %llu started, %llu dropped",
                    window, window > 0 ? t.asked / window : 0.0, (unsigned long long)t.due, t.asked,
                    (unsigned long long)t.started, (unsigned long long)t.dropped);
    }
    s->final_wanted = true;
    request_final(s);
}

/* --- messages from the master ------------------------------------------- */

/* How much of a run id to log: a master may append a secret of this
 * process after a slash (PROTOCOL.md §9), which the log must not show. */
static int run_shown(const char *run_id)
{
    return (int)strcspn(run_id, "/");
}

static void decline(struct hn_session *s, const char *why)
{
    hn_log_error("cannot run the master's scenario: %s", why);
    hn_utf8_copy(s->declined, sizeof(s->declined), why, strlen(why));
    if (!s->declined[0])
        snprintf(s->declined, sizeof(s->declined), "no reason given");
    hn_link_send_decline(s);
    set_state(s, SS_READY);
}

static void on_welcome(struct hn_session *s, const struct hn_msg_welcome *w)
{
    bool new_run = strcmp(w->run_id, s->run_id) != 0;
    if (new_run && s->exit_after_final) {
        /* A signal asked us to leave once stopped: the old run is over for
         * us, and a new one must not keep us. */
        hn_log_info("master started run %.*s while leaving: leaving now", run_shown(w->run_id),
                    w->run_id);
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    if (new_run) {
        if (s->pool)
            hn_log_warn("master started run %.*s: dropping run %.*s", run_shown(w->run_id),
                        w->run_id, run_shown(s->run_id), s->run_id);
        /* Also without a pool (its scenario was unusable, or it sent an
         * empty FINAL): the new master numbers TARGETs from 1 and expects
         * reports from 1 (a first report numbered 2 would read as one lost). */
        reset_run(s);
        hn_link_forget_reports(s);
        s->declined[0] = '\0';
        s->declined_on = 0;
    }
    if (new_run || s->state == SS_HELLO) {
        hn_log_info("joined master %s as worker %u (run %.*s)", s->cfg->master, w->worker_index,
                    run_shown(w->run_id), w->run_id);
        snprintf(s->run_id, sizeof(s->run_id), "%s", w->run_id);
        s->snapshot_interval_ms = w->snapshot_interval_ms ? w->snapshot_interval_ms : 1000;
        if (s->state == SS_HELLO || !s->pool)
            set_state(s, SS_READY);
    }
}

static void on_scenario(struct hn_session *s, const struct hn_msg_scenario *m)
{
    if (s->pool)
        reset_run(s);
    s->declined[0] = '\0';
    s->declined_on = 0;
    s->grants_received = 0;
    char why[256] = "";
    struct hn_scenario *scn = NULL;
    int err = hn_scenario_decode(m->blob, m->blob_len, &scn, why, sizeof(why));
    if (!err)
        err = hn_scenario_finalize(scn, why, sizeof(why));
    if (!err && hn_scenario_uses_h2c(scn) && hn_curl_h2c_broken()) {
        /* The master's libcurl may be another (it checks its own). */
        snprintf(why, sizeof(why),
                 "HTTP/2 over http:// (h2c): libcurl %s on this worker cannot reuse an h2c "
                 "connection, every request after a connection's first would fail (a libcurl "
                 "bug, fixed in libcurl 8.0.0)",
                 hn_curl_version());
        err = HN_E_INVALID;
    }
    if (!err)
        err = hn_plan_build(scn, &s->plan, why, sizeof(why));
    if (err) {
        hn_scenario_free(scn);
        decline(s, why[0] ? why : hn_strerror(err));
        return;
    }
    s->scenario = scn;
    uint64_t seed = s->cfg->seed;
    if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = hn_clock_mono_ns();
    struct hn_pool_callbacks cb = {on_pool_snapshot, on_pool_drained, s};
    err = hn_grants_new(scn, false, &s->grants);
    if (!err)
        err = hn_pool_new(s->loop, s->plan, s->cfg->threads, seed, s->grants, &cb, &s->pool);
    if (err) {
        snprintf(why, sizeof(why), "cannot start engine threads: %s", hn_strerror(err));
        reset_run(s);
        decline(s, why);
        return;
    }
    hn_log_info("scenario loaded: %u user classes, %u stats entries, %u engine threads, "
                "%u of %u steps on the fast path; phase timings go in report %u of each minute "
                "and in each of the last %u s before the run's end",
                scn->n_classes, scn->n_entries, s->cfg->threads, s->plan->n_fast_steps,
                s->plan->n_steps, s->phases_turn, hn_report_phases_lead_s(s->phases_turn));
    set_state(s, SS_LOADED);
    send_heartbeat(s); /* LOADED: the master gives users only from then on */
}

/* Scale @users (per class) down to at most @capacity in total, in
 * proportion, the remainder to the first classes. Returns the total asked. */
static uint64_t fit_capacity(uint32_t *users, uint32_t n, uint32_t capacity)
{
    uint64_t asked = 0, kept = 0;
    for (uint32_t c = 0; c < n; c++)
        asked += users[c];
    if (!capacity || asked <= capacity) /* 0: no limit */
        return asked;
    uint32_t cut[HN_PROTO_CLASSES_MAX];
    for (uint32_t c = 0; c < n; c++) {
        cut[c] = (uint32_t)((uint64_t)users[c] * capacity / asked);
        kept += cut[c];
    }
    for (uint32_t c = 0; c < n && kept < capacity; c++) {
        if (cut[c] < users[c]) {
            cut[c]++;
            kept++;
        }
    }
    memcpy(users, cut, n * sizeof(*users));
    return asked;
}

static void on_target(struct hn_session *s, const struct hn_msg_target *t)
{
    if (t->seq <= s->target_seq)
        return; /* stale or repeated: targets are absolute, the newest wins */
    if (!s->pool) {
        /* Its number is not kept: it must not make the run's next TARGETs
         * look stale (targets are absolute, ignoring one loses nothing).
         * After a DECLINE one may still be on its way: nothing to say. */
        if (!(s->warned & WARN_NO_SCENARIO) && !s->declined[0])
            hn_log_warn("TARGET before a usable scenario: ignored");
        s->warned |= WARN_NO_SCENARIO;
        return;
    }
    s->target_seq = t->seq;
    if (t->phase != HN_PHASE_RUN || (s->state != SS_LOADED && s->state != SS_RUNNING))
        return;
    uint32_t users[HN_PROTO_CLASSES_MAX];
    memcpy(users, t->users, t->n_classes * sizeof(*users));
    uint64_t asked = fit_capacity(users, t->n_classes, s->cfg->capacity);
    if (s->cfg->capacity && asked > s->cfg->capacity &&
        ev_now(s->loop) - s->capacity_said_at >= 10.0) {
        hn_log_warn("the master asks for %llu users, this worker's capacity is %u: running %u",
                    (unsigned long long)asked, s->cfg->capacity, s->cfg->capacity);
        s->capacity_said_at = ev_now(s->loop);
    }
    if (s->state == SS_LOADED) {
        s->interval_start_ms = hn_clock_wall_ms();
        double iv = (double)s->snapshot_interval_ms / 1000.0;
        ev_timer_set(&s->snap_tick, iv, iv);
        ev_timer_start(s->loop, &s->snap_tick);
        set_state(s, SS_RUNNING);
    }
    /* The run's end as the master announced it, on this host's clock from
     * now: a STOP that comes late (a stalled master or network) must not
     * lengthen the open model's schedule; and the held phases go out
     * before it (report_phases.h). */
    double end_at = t->ends_in_ms ? ev_time() + (double)t->ends_in_ms / 1000.0 : INFINITY;
    if (end_at < s->run_end_at)
        s->run_end_at = end_at;
    if (t->model == HN_MODEL_OPEN) {
        /* Fewer users than asked (the capacity) keep the whole rate: what
         * they cannot start in time is dropped and counted, not hidden. */
        double rates[HN_PROTO_CLASSES_MAX] = {0};
        uint64_t all = 0;
        for (uint32_t c = 0; c < t->n_classes; c++)
            all += t->users[c];
        for (uint32_t c = 0; c < t->n_classes; c++)
            rates[c] = t->n_class_rates ? t->class_rates[c]
                       : all ? t->arrival_rate_per_s * (double)t->users[c] / (double)all
                             : 0;
        double now = ev_time();
        hn_pool_set_open(s->pool, users, rates, t->n_classes, t->max_delay_ms, now, s->run_end_at);
    } else {
        hn_pool_set_target(s->pool, users, t->n_classes, t->spawn_rate_per_s);
    }
}

static void on_grant(struct hn_session *s, const struct hn_msg_grant *g)
{
    if (!s->grants) {
        if (!(s->warned & WARN_NO_SCENARIO) && !s->declined[0])
            hn_log_warn("GRANT before a usable scenario: ignored");
        s->warned |= WARN_NO_SCENARIO;
        return;
    }
    /* Counted whatever becomes of it: the master learns from the count
     * which GRANTs a broken connection lost. */
    s->grants_received++;
    char why[160] = "";
    int err = hn_grants_add(s->grants, g, why, sizeof(why));
    if (err && !(s->warned & WARN_BAD_GRANT))
        hn_log_error("cannot use the master's GRANT: %s (reported once)",
                     why[0] ? why : hn_strerror(err));
    if (err)
        s->warned |= WARN_BAD_GRANT;
}

static void on_master_msg(struct hn_chan *c, const void *buf, size_t len, void *user)
{
    (void)c;
    struct hn_session *s = user;
    struct hn_msg m;
    int err = hn_msg_decode(buf, len, &m);
    if (err) {
        uint32_t type, version;
        if (err == HN_E_VERSION && hn_msg_peek(buf, len, &type, &version) == 0) {
            if (!(s->warned & WARN_VERSION))
                hn_log_error("master speaks protocol version %u, this worker %u: upgrade one",
                             version, HN_PROTO_VERSION);
            s->warned |= WARN_VERSION;
        } else if (!(s->warned & WARN_BAD_FRAME)) {
            hn_log_warn("dropped a bad frame from the master: %s (reported once)",
                        hn_strerror(err));
            s->warned |= WARN_BAD_FRAME;
        }
        return;
    }
    s->last_heard = ev_now(s->loop);
    s->unreachable = false;
    if (s->resend_pending && m.type != HN_MSG_REJECT &&
        !(m.type == HN_MSG_WELCOME && strcmp(m.welcome.run_id, s->run_id) != 0))
        hn_link_resend_reports(s); /* the same master, the same run */
    switch (m.type) {
    case HN_MSG_WELCOME:
        on_welcome(s, &m.welcome);
        break;
    case HN_MSG_REJECT:
        hn_log_error("rejected by the master: %s", m.reject.reason);
        s->exit_code = HN_EXIT_NO_RUN;
        ev_break(s->loop, EVBREAK_ALL);
        break;
    case HN_MSG_SCENARIO:
        if (s->state != SS_HELLO)
            on_scenario(s, &m.scenario);
        break;
    case HN_MSG_GRANT:
        on_grant(s, &m.grant);
        break;
    case HN_MSG_TARGET:
        on_target(s, &m.target);
        break;
    case HN_MSG_STOP:
        begin_stop(s, m.stop.timeout_ms);
        break;
    case HN_MSG_QUIT:
        hn_log_info("master says quit");
        ev_break(s->loop, EVBREAK_ALL);
        break;
    default:
        break; /* HEARTBEAT: liveness only; worker-bound types are ignored */
    }
    /* A DECLINE of this run not said on this connection (the last went
     * with the old one, or found none): again, now that the master
     * answers here. */
    if (s->declined[0] && s->declined_on != s->connection && m.type != HN_MSG_REJECT &&
        m.type != HN_MSG_QUIT)
        hn_link_send_decline(s);
    hn_msg_deinit(&m);
}

/* --- timers and signals -------------------------------------------------- */

static void on_snap_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_session *s = w->data;
    if (!s->pool || (s->state != SS_RUNNING && s->state != SS_STOPPING))
        return;
    /* Master unreachable: keep counting; the next snapshot sent holds every
     * request since the last one (nothing is queued meanwhile). */
    if (!hn_chan_peer_up(&s->chan))
        return;
    if (s->final_wanted)
        request_final(s);
    else
        hn_pool_snapshot(s->pool); /* HN_E_STATE: one is under way already */
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct hn_session *s = w->data;
    ev_tstamp silent = ev_now(loop) - s->last_heard;
    if (s->state == SS_RUNNING && silent * 1000.0 >= (double)s->cfg->silence_stop_ms) {
        hn_log_warn("no word from the master for %.0f s: stopping all load (requests in flight "
                    "get up to %d s)",
                    silent, SILENCE_GRACE_MS / 1000);
        begin_stop(s, SILENCE_GRACE_MS);
    }
    /* A master of the other security mechanism: said at once (the channel
     * keeps connecting, should the master be restarted right). */
    if (!(s->warned & WARN_MECHANISM) && hn_chan_mechanism_mismatches(&s->chan)) {
        if (s->cfg->curve)
            hn_log_warn("the master at %s has no CurveZMQ keys, and this worker has: start the "
                        "master with --curve-secret and --allow-workers, or this worker without "
                        "--master-key and --curve-secret",
                        s->cfg->master);
        else
            hn_log_warn("the master at %s wants CurveZMQ keys: give this worker --master-key "
                        "(the master's public key) and --curve-secret (a key the master's "
                        "--allow-workers holds)",
                        s->cfg->master);
        s->warned |= WARN_MECHANISM;
    }
    /* Saying HELLO again does not change the run's state: if the same
     * master answers, the run goes on; a new run id resets it. */
    if (s->state == SS_HELLO && !(s->warned & WARN_NO_WELCOME) &&
        ev_now(loop) - s->hello_since >= NO_WELCOME_HINT_S) {
        char fp[HN_CURVE_FINGERPRINT_LEN + 1] = "";
        if (s->cfg->curve)
            hn_curve_fingerprint(s->cfg->curve->own.public_z85, fp);
        hn_log_warn("no answer from the master at %s after %.0f s: is it running%s%s%s",
                    s->cfg->master, ev_now(loop) - s->hello_since,
                    s->cfg->curve ? ", is --master-key its public key, and does its "
                                    "--allow-workers hold this worker's key (fingerprint "
                                  : "",
                    fp,
                    s->cfg->curve ? ")?"
                                  : "? (a master with CurveZMQ keys answers only workers given "
                                    "--master-key and --curve-secret)");
        s->warned |= WARN_NO_WELCOME;
    }
    if (s->state == SS_HELLO || silent >= REHELLO_AFTER_S) {
        if (s->state != SS_HELLO && silent < REHELLO_AFTER_S + 1.0)
            hn_log_warn("master silent for %.0f s: saying HELLO again", silent);
        if (hn_link_send_hello(s) == -EAGAIN && !ev_is_active(&s->hello_retry))
            ev_timer_start(loop, &s->hello_retry); /* try again as soon as it connects */
    } else if (!ev_is_active(&s->snap_tick) ||
               ev_now(loop) - s->heartbeat_at >= HEARTBEAT_ALONE_AFTER_S) {
        send_heartbeat(s); /* every second while no reports flow */
    }
}

/* HELLO again shortly after one found no connection yet, until the next tick. */
static void on_hello_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct hn_session *s = w->data;
    if (s->state != SS_HELLO || hn_link_send_hello(s) != -EAGAIN ||
        ev_timer_remaining(loop, &s->tick) < 0.2)
        ev_timer_stop(loop, w); /* else it repeats */
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    struct hn_session *s = w->data;
    if (s->exit_after_final) {
        ev_break(loop, EVBREAK_ALL); /* second signal: leave now */
        return;
    }
    hn_log_info("signal %d: stopping load and leaving (again to force)", w->signum);
    s->exit_after_final = true;
    if (s->state == SS_RUNNING || s->state == SS_STOPPING)
        begin_stop(s, SIGNAL_GRACE_MS); /* stopping: sooner, if the master gave more */
    else if (s->state == SS_READY || s->state == SS_LOADED)
        begin_stop(s, 0); /* an empty FINAL: the master must not count on it (then it leaves) */
    else
        ev_break(loop, EVBREAK_ALL);
}

static void make_worker_id(char *out, size_t len)
{
    char host[64] = "host";
    uint32_t rnd = 0;
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
        rnd = (uint32_t)hn_clock_mono_ns();
    snprintf(out, len, "%s-%d-%08x", host, (int)getpid(), rnd);
}

/* Fields and watchers of a session on @loop, nothing started. */
static void session_init(struct hn_session *s, const struct hn_session_config *cfg,
                         struct ev_loop *loop)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->exit_code = HN_EXIT_OK;
    s->loop = loop;
    s->run_end_at = INFINITY;
    if (cfg->worker_id)
        snprintf(s->worker_id, sizeof(s->worker_id), "%s", cfg->worker_id);
    else
        make_worker_id(s->worker_id, sizeof(s->worker_id));
    s->last_heard = s->hello_since = ev_now(loop);
    s->capacity_said_at = -1e9;
    s->phases_turn = hn_report_phases_turn(cfg->seed, s->worker_id);
    ev_timer_init(&s->tick, on_tick, 0.0, 1.0);
    ev_timer_init(&s->hello_retry, on_hello_retry, 0.1, 0.1);
    ev_init(&s->snap_tick, on_snap_tick);
    ev_signal_init(&s->sigint, on_signal, SIGINT);
    ev_signal_init(&s->sigterm, on_signal, SIGTERM);
    ev_signal_init(&s->sighup, on_signal, SIGHUP);
    s->tick.data = s->hello_retry.data = s->snap_tick.data = s;
    s->sigint.data = s->sigterm.data = s->sighup.data = s;
}

/* Stop the run and every watcher (the channel is closed by the caller). */
static void session_deinit(struct hn_session *s)
{
    reset_run(s);
    hn_link_forget_reports(s);
    ev_timer_stop(s->loop, &s->tick);
    ev_timer_stop(s->loop, &s->hello_retry);
    hn_loop_lag_stop(&s->lag, s->loop);
    ev_signal_stop(s->loop, &s->sigint);
    ev_signal_stop(s->loop, &s->sigterm);
    ev_signal_stop(s->loop, &s->sighup);
}

int hn_session_new(const struct hn_session_config *cfg, struct ev_loop *loop,
                   struct hn_session **out)
{
    struct hn_session *s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    session_init(s, cfg, loop);
    *out = s;
    return 0;
}

void hn_session_deliver(struct hn_session *s, const void *frame, size_t len)
{
    on_master_msg(&s->chan, frame, len, s);
}

void hn_session_free(struct hn_session *s)
{
    if (!s)
        return;
    session_deinit(s);
    free(s);
}

int hn_session_run(const struct hn_session_config *cfg)
{
    struct hn_session s;
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    void *zctx = zmq_ctx_new();
    if (!loop || !zctx) {
        hn_log_error("cannot create the event loop or the ZeroMQ context");
        return HN_EXIT_NO_RUN;
    }
    session_init(&s, cfg, loop);
    /* No routing id of our own: the master tells workers apart by their
     * key (CurveZMQ) or the id in their HELLO, never by a routing id a peer
     * could claim. The connection is watched: nothing is sent (so nothing
     * queued) while the master is unreachable. */
    struct hn_chan_opts opts = {.watch_peer = true};
    if (cfg->curve) {
        opts.setup = hn_curve_setup_client;
        opts.setup_arg = (void *)cfg->curve;
    }
    int err = hn_chan_dealer_open(&s.chan, zctx, loop, cfg->master, NULL, &opts, on_master_msg, &s);
    if (err) {
        hn_log_error("cannot connect to %s: %s", cfg->master, hn_strerror(err));
        zmq_ctx_term(zctx);
        return HN_EXIT_NO_RUN;
    }
    char fp[HN_CURVE_FINGERPRINT_LEN + 1] = "";
    if (cfg->curve)
        hn_curve_fingerprint(cfg->curve->own.public_z85, fp);
    hn_log_info("worker %s connecting to %s (capacity %u users%s%s)", s.worker_id, cfg->master,
                cfg->capacity, cfg->curve ? ", CurveZMQ, key fingerprint " : ", no CurveZMQ", fp);
    ev_timer_start(loop, &s.tick);
    hn_loop_lag_start(&s.lag, loop);
    ev_signal_start(loop, &s.sigint);
    ev_signal_start(loop, &s.sigterm);
    if (hn_stop_signal_wanted(SIGHUP))
        ev_signal_start(loop, &s.sighup);

    ev_run(loop, 0);

    reset_run(&s);
    /* Give a FINAL just queued a moment to leave before the socket closes. */
    int linger_ms = 1000;
    if (s.chan.sock)
        zmq_setsockopt(s.chan.sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    hn_chan_close(&s.chan);
    zmq_ctx_term(zctx);
    session_deinit(&s);
    return s.exit_code;
}
