/* Every message from a worker (see run_internal.h): who may speak, and on
 * which connection (identity = CurveZMQ key, or the id of its HELLO); HELLO
 * and the joins, returns and restarts it means; SNAPSHOT/FINAL are
 * receive_stats.c's. A peer can make
 * the master do little: replies to strangers and re-HELLOs are rate-limited,
 * logs about one peer too. */
#include "clock.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"
#include "utf8.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* A registered worker gets at most one WELCOME per this many seconds; its
 * further HELLOs only say it is alive. */
#define REWELCOME_MIN_S 1.0
/* "worker N is back" at most once per this many seconds per worker. */
#define BACK_LOG_MIN_S 10.0
/* A second process claiming a connected worker's identity (its id, or its
 * key) is refused once that worker has been heard from this long after the
 * claim began: it is alive, the claimer is a duplicate. Until then the
 * claimer gets no answer (it says HELLO every second), and if the worker
 * falls silent and is declared missing, the claimer takes its place. A
 * worker killed and restarted at once says HELLO before the master has seen
 * its old connection close (libzmq's I/O thread tells the socket later, so
 * route_alive() still says yes), and a host that died without closing its
 * connections leaves them up: both are restarts, not duplicates. The margin
 * lets messages the old process sent before it died be read first. */
#define CLAIM_HEARD_AFTER_S 1.0
/* A claim's HELLOs come a second apart: a longer gap starts a new claim. */
#define CLAIM_GAP_S 3.0
/* Replies (REJECTs) to peers that are not workers of the run: a sustained
 * rate and a burst, over all of them together. */
#define STRANGER_REPLIES_PER_S 50.0
#define STRANGER_REPLIES_BURST 200.0

/* One more reply to a stranger allowed now? */
static bool stranger_reply_ok(struct hn_run *r)
{
    double now = ev_now(r->loop);
    if (r->reply_at <= 0) {
        r->reply_budget = STRANGER_REPLIES_BURST;
    } else {
        r->reply_budget += (now - r->reply_at) * STRANGER_REPLIES_PER_S;
        if (r->reply_budget > STRANGER_REPLIES_BURST)
            r->reply_budget = STRANGER_REPLIES_BURST;
    }
    r->reply_at = now;
    if (r->reply_budget < 1.0)
        return false;
    r->reply_budget -= 1.0;
    return true;
}

/* @src into @dst as valid UTF-8: reasons quote what a worker sent (its id,
 * an entry's name) cut to a length, maybe inside a character, and the wire
 * and the JSON report take valid UTF-8 only (a REJECT that could not be
 * encoded was never sent). */
static void utf8_text(char *dst, size_t cap, const char *src)
{
    hn_utf8_copy(dst, cap, src, strlen(src));
}

static void reject(struct hn_run *r, const void *route, size_t len, const char *reason)
{
    if (!stranger_reply_ok(r))
        return;
    struct hn_msg m = {.type = HN_MSG_REJECT};
    utf8_text(m.reject.reason, sizeof(m.reject.reason), reason);
    hn_dispatch_to_route(r, route, len, &m);
}

/* A HELLO from a worker of another protocol version: REJECT it with a reason
 * naming both versions (encoded in our version; its header stays readable). */
static void reject_version(struct hn_run *r, const void *route, size_t len, uint32_t version)
{
    char reason[HN_PROTO_REASON_MAX + 1];
    snprintf(reason, sizeof(reason),
             "protocol version mismatch: worker speaks %u, master speaks %u", version,
             HN_PROTO_VERSION);
    /* Any peer can send these: log the first, count the rest. */
    if (r->rejected++ == 0)
        hn_log_warn("rejected a worker: %s (further rejections are only counted)", reason);
    reject(r, route, len, reason);
}

/* Is @w known by a key of its own (not shared, not an id)? Then the key
 * is what is refused, claimed or in use; otherwise its --id is. */
static bool own_key(const struct hn_worker *w)
{
    return w->keyed && !w->shared_key;
}

/* A worker left the run's workers (thrown out, stopped on its own,
 * declined): users it @held go to the others now, a run with none left
 * fails (@none_left says why), and a stop that waited only for it ends. */
static void worker_left(struct hn_run *r, bool held, const char *none_left)
{
    if (r->state == HN_RUN_RUNNING) {
        if (hn_registry_alive(&r->reg) == 0)
            hn_run_fail(r, HN_EXIT_NO_RUN, "%s", none_left);
        else if (held)
            hn_dispatch_targets(r);
    } else if (r->state == HN_RUN_STOPPING && hn_run_all_finals_in(r)) {
        hn_run_finish(r, HN_EXIT_OK);
    }
}

/* Throw @w out of the run: it broke a limit. Its figures so far stay (they
 * passed every check); nothing it sends from now on is read, its users go
 * to the others, and with CURVE its key is refused from now on. */
void hn_receive_ban(struct hn_run *r, struct hn_worker *w, const char *why)
{
    if (w->banned)
        return;
    w->banned = true;
    utf8_text(w->ban_reason, sizeof(w->ban_reason), why);
    hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_BANNED, "%s", why);
    hn_log_warn("worker %u (%s on %s) broke a limit and is ignored for the rest of the run: %s",
                w->index, w->hello.worker_id, w->hello.hostname, why);
    if (own_key(w)) /* a shared key stays: the others hold it too */
        hn_zap_refuse(&r->zap, w->identity);
    struct hn_msg m = {.type = HN_MSG_REJECT};
    char reason[sizeof(m.reject.reason)];
    snprintf(reason, sizeof(reason), "thrown out of the run: %s", why);
    utf8_text(m.reject.reason, sizeof(m.reject.reason), reason);
    hn_dispatch_to(r, w, &m);
    worker_left(r, true, "no worker left in the run");
}

/* Now on the liveness clock (lag.h): monotonic, without the master's own
 * stalls. */
static double liveness_now(const struct hn_run *r)
{
    return hn_lag_clock(&r->lag, hn_clock_mono_s());
}

/* Any valid message from worker @w: it is alive. A worker marked missing
 * that speaks again is taken back: it gets a share while the run runs (at
 * the next tick, within a second: a worker coming and going must not make
 * the master send every worker a TARGET each time), and STOP while it
 * stops (it never got the broadcast, and would go on loading the target
 * until its own silence timeout). */
static void heard_from(struct hn_run *r, struct hn_worker *w)
{
    w->last_seen = liveness_now(r);
    w->alive_at = w->last_seen - r->message_backlog_s;
    if (!w->missing || w->final_received)
        return;
    if (r->state == HN_RUN_RUNNING) {
        hn_log_info("worker %u is responding again", w->index);
        hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_BACK,
                         "responding again: it gets users again");
        w->missing = false;
    } else if (r->state == HN_RUN_STOPPING) {
        hn_log_info("worker %u is responding again: asking it to stop", w->index);
        hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_BACK,
                         "responding again during the stop: asked to stop");
        w->missing = false;
        hn_run_send_stop(r, w);
    }
}

static void send_welcome(struct hn_run *r, struct hn_worker *w, bool scenario)
{
    struct hn_msg m = {.type = HN_MSG_WELCOME};
    m.welcome.worker_index = w->index;
    snprintf(m.welcome.run_id, sizeof(m.welcome.run_id), "%s", w->run_id);
    m.welcome.snapshot_interval_ms = HN_RUN_SNAPSHOT_INTERVAL_MS;
    hn_dispatch_to(r, w, &m);
    w->last_welcome = ev_now(r->loop);
    if (!scenario)
        return;
    /* A worker that gets the scenario starts afresh: it holds no user id
     * or data row yet, so the next TARGET comes with a GRANT of them all. */
    hn_grant_ledger_reset(&w->grants, w->granted);
    hn_dispatch_frame_to(r, w, r->scenario_frame, HN_MSG_SCENARIO);
}

/* Is the connection @w last spoke on still there? A HEARTBEAT to it says:
 * with ZMQ_ROUTER_MANDATORY a send to a closed connection fails at once. */
static bool route_alive(struct hn_run *r, const struct hn_worker *w)
{
    return hn_dispatch_route_alive(r, w);
}

/* A new secret for the process now behind @w: its run id (see registry.h). */
static void new_run_id(const struct hn_run *r, struct hn_worker *w)
{
    uint8_t rnd[16];
    char hex[2 * sizeof(rnd) + 1];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(w->run_id, sizeof(w->run_id), "%s/%s", r->run_id, hex);
}

static void new_worker(struct hn_run *r, const void *route, size_t len, const char *identity,
                       const struct hn_msg_hello *h)
{
    if (r->state != HN_RUN_WAITING && r->state != HN_RUN_RUNNING)
        return; /* too late to join this run */
    struct hn_worker *w;
    int err = hn_registry_add(&r->reg, route, len, identity, r->curve, h, liveness_now(r), &w);
    if (err) {
        char reason[HN_PROTO_REASON_MAX + 1];
        if (err == HN_E_TOO_LARGE)
            snprintf(reason, sizeof(reason),
                     "the master takes at most %u workers in a run, those that left included "
                     "(--max-workers)",
                     r->reg.max);
        else
            snprintf(reason, sizeof(reason), "the master cannot take more workers: %s",
                     hn_strerror(err));
        if (r->refused_hellos++ == 0)
            hn_log_warn("refused a worker (%s): %s (further refusals are only counted)",
                        h->worker_id, reason);
        reject(r, route, len, reason);
        return;
    }
    w->shared_key = r->curve && identity[HN_CURVE_KEY_Z85_LEN] == ' ';
    char fp[HN_CURVE_FINGERPRINT_LEN + 1] = "";
    if (r->curve) {
        char key[HN_CURVE_KEY_Z85_LEN + 1];
        snprintf(key, sizeof(key), "%.*s", HN_CURVE_KEY_Z85_LEN, identity);
        hn_curve_fingerprint(key, fp);
    }
    hn_log_info("worker %u joined: %s (%s, %u cpus, capacity %u, version %s%s%s)", w->index,
                h->worker_id, h->hostname, h->cpus, h->capacity, h->version,
                !r->curve       ? ""
                : w->shared_key ? ", shared key "
                                : ", key ",
                fp);
    hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_JOINED,
                     "%s on %s, pid %u, %u CPUs, capacity %u, version %s", h->worker_id,
                     h->hostname, h->pid, h->cpus, h->capacity, h->version);
    new_run_id(r, w);
    send_welcome(r, w, true);
    /* It counts, and gets users, once it says it has loaded the scenario
     * (on_heartbeat); while the run runs, at the next tick: a thousand
     * workers joining must not each make the master send every worker a
     * TARGET. */
}

/* What a HELLO on another connection gets when it claims the identity of
 * a worker whose connection is still up (see CLAIM_HEARD_AFTER_S). */
enum claim {
    CLAIM_WAIT,   /* no answer yet: the claimer says HELLO again */
    CLAIM_REFUSE, /* the worker goes on reporting: the claimer is a duplicate */
    CLAIM_GRANT,  /* the worker is gone: the claimer takes its place */
};

static enum claim judge_claim(struct hn_run *r, struct hn_worker *w, const struct hn_msg_hello *h)
{
    double live = liveness_now(r);
    if (!w->claim_last || live - w->claim_last > CLAIM_GAP_S) {
        /* Said once per claim, and not again for claims less than
         * BACK_LOG_MIN_S apart (an impostor trying again and again). */
        if (!w->claim_last || live - w->claim_last >= BACK_LOG_MIN_S)
            hn_log_info("worker %u (%s): a new process (pid %u on %s) says HELLO with its %s: it "
                        "takes the place of worker %u if that falls silent, and is refused if it "
                        "goes on reporting",
                        w->index, w->hello.worker_id, h->pid, h->hostname,
                        own_key(w) ? "key" : "id", w->index);
        w->claim_since = live;
    }
    /* Every claimer of the moment shares the claim: the worker's word
     * refuses them all, its silence lets the next one in. */
    w->claim_last = live;
    /* Silent for as long as makes a worker missing, measured as
     * check_liveness does: the worker's word since the claim began only
     * counts while it still speaks (a claim kept open by a persistent
     * duplicate outlives the worker it was refused for). */
    double backlog = hn_chan_backlog_age(&r->chan, hn_clock_mono_s());
    bool silent = live - backlog - w->last_seen >= HN_RUN_MISSING_AFTER_S;
    if (!silent && w->alive_at >= w->claim_since + CLAIM_HEARD_AFTER_S)
        return CLAIM_REFUSE;
    /* Silent that long, and for that long since the claim began: gone
     * (hung, its host dead with the connection up, or lingering after its
     * FINAL, when it is never declared missing). A stall shorter than that
     * keeps its place. */
    if (silent && live - w->claim_since >= HN_RUN_MISSING_AFTER_S)
        return CLAIM_GRANT;
    return CLAIM_WAIT;
}

/* One worker per connection: a HELLO for @w (NULL: a new identity) on a
 * connection that carries another worker (or carried one thrown out of the
 * run) is refused, whether it would register another worker under a new id
 * (which a key several workers share would allow) or take over a known one
 * that fell silent (two workers on one route: the other's messages would
 * all go to that connection's process, and its reports be another's).
 * True if refused. */
static bool route_taken(struct hn_run *r, const void *route, size_t len, const struct hn_worker *w)
{
    struct hn_worker *owner = hn_registry_find_route(&r->reg, route, len);
    if (!owner || owner == w)
        return false;
    char reason[HN_PROTO_REASON_MAX + 1];
    snprintf(reason, sizeof(reason), "one worker per connection: this one is worker %u's",
             owner->index);
    if (!owner->banned)
        reject(r, route, len, reason);
    return true;
}

/* A HELLO with the identity of a worker thrown out of the run. */
static void hello_from_banned(struct hn_run *r, const void *route, size_t len,
                              const struct hn_worker *w)
{
    /* Its key is refused, unless several workers share it (or there are no
     * keys): then this id is, and a process restarted with it should know
     * why rather than wait. */
    if (own_key(w))
        return;
    char reason[HN_PROTO_REASON_MAX + 1];
    snprintf(reason, sizeof(reason), "thrown out of the run: %s", w->ban_reason);
    reject(r, route, len, reason);
}

/* The worker's identity says HELLO on another connection: the process
 * reconnected (@fresh false: its run id says so), or a new one restarted or
 * claims it. Moves the worker to the new connection and returns true, or
 * returns false when the HELLO goes no further. Sets *replaced_live when the
 * old connection was still up (its process is told to stop). */
static bool take_new_route(struct hn_run *r, struct hn_worker *w, const void *route, size_t len,
                           const struct hn_msg_hello *h, bool fresh, bool *replaced_live)
{
    /* What a HELLO says of its host and pid proves nothing (anyone without
     * keys, or holding a shared key, can say them; containers on one host
     * all run as pid 1): while the worker's connection is up, a claim waits
     * until the worker goes on reporting or falls silent. */
    bool old_up = fresh && route_alive(r, w);
    if (old_up) {
        enum claim c = judge_claim(r, w, h);
        if (c == CLAIM_WAIT)
            return false;
        if (c == CLAIM_REFUSE) {
            char reason[HN_PROTO_REASON_MAX + 1];
            snprintf(reason, sizeof(reason),
                     "%s %.80s is already used by a connected worker: give each worker its "
                     "own %s",
                     own_key(w) ? "this key of worker" : "worker id", h->worker_id,
                     own_key(w) ? "key" : "--id");
            double now = ev_now(r->loop);
            if (r->refused_hellos++ == 0 || now - w->last_back_log >= BACK_LOG_MIN_S) {
                hn_log_warn("refused a second worker as worker %u (pid %u on %s): %s", w->index,
                            h->pid, h->hostname, reason);
                w->last_back_log = now;
            }
            reject(r, route, len, reason);
            return false;
        }
    }
    /* A new process cannot finish what the old one ran: while the run stops
     * it stays out (unanswered, as a newcomer would), and the worker stays
     * as it is. */
    if (fresh && (r->state == HN_RUN_STOPPING || r->state == HN_RUN_DONE))
        return false;
    /* The old connection, still up, belongs to a process now replaced (hung,
     * then resumed; or lingering after its FINAL): it must stop, or it would
     * run load nobody counts. */
    if (old_up) {
        struct hn_msg m = {.type = HN_MSG_REJECT};
        snprintf(m.reject.reason, sizeof(m.reject.reason),
                 "replaced: another process (pid %u) took the place of this worker", h->pid);
        hn_dispatch_to(r, w, &m);
        *replaced_live = true;
    }
    hn_registry_set_route(&r->reg, w, route, len);
    if (!fresh)
        hn_grant_ledger_reconnected(&w->grants);
    w->claim_last = 0;      /* the claim, if any, is granted */
    w->last_welcome = -1e9; /* the new connection gets its WELCOME now */
    return true;
}

/* A known worker is back (reconnected, restarted, or no longer missing):
 * the journal says how, the log says it at most every BACK_LOG_MIN_S. */
static void say_back(struct hn_run *r, struct hn_worker *w, const struct hn_msg_hello *h,
                     bool fresh, bool replaced_live)
{
    /* A replaced process still connected may run on for a moment before it
     * reads its REJECT: the reader of the results must know that the
     * target may have served more than they count. */
    hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index,
                     fresh ? HN_JEV_RESTARTED : HN_JEV_BACK, "%s%s", h->worker_id,
                     replaced_live ? ": a new process took the place of one still connected "
                                     "(told to stop; requests it sent after its last report "
                                     "are not counted), the scenario is sent again"
                     : fresh       ? ": a new process, the scenario is sent again"
                                   : " reconnected");
    if (replaced_live)
        hn_log_warn("worker %u (%s): a new process took the place of one still connected, "
                    "which is told to stop; requests it sent after its last report are not "
                    "counted",
                    w->index, h->worker_id);
    double now = ev_now(r->loop);
    if (now - w->last_back_log >= BACK_LOG_MIN_S) {
        hn_log_info("worker %u is back: %s%s", w->index, h->worker_id,
                    fresh ? " (a new process: sending the scenario again)" : "");
        w->last_back_log = now;
    }
}

/* A new process took the worker's place on a new connection: what the old
 * one had not reported is lost (said when the run is affected), and the
 * worker starts afresh. */
static void start_afresh(struct hn_run *r, struct hn_worker *w, const struct hn_msg_hello *h,
                         bool same_route, bool replaced_live)
{
    if (!same_route && !replaced_live && r->state == HN_RUN_RUNNING && w->loaded &&
        !w->final_received && (w->snap_seq > 0 || w->share.total > 0)) {
        /* Its old process is gone without a FINAL (killed, then restarted
         * with the same identity): what it had not reported is missing, as
         * for a worker lost at the end, and the reports must say so
         * although the identity finishes the run. */
        hn_log_warn("worker %u (%s): its process ended without a final report and a new one took "
                    "its place: requests the old one had not reported are missing from the "
                    "results",
                    w->index, h->worker_id);
        hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_LOST,
                         "its process ended without a final report (a new one took its place): "
                         "what it had not reported is not in the results");
    }
    /* Another process: a secret of its own, and the replaced one's reports
     * are another run's now. (On the same connection it is the same
     * process, whose HELLO crossed its WELCOME.) */
    if (!same_route)
        new_run_id(r, w);
    w->final_received = false;
    w->loaded = false;    /* it says so again once it has the scenario */
    w->declined = false;  /* it may decline again: it gets the scenario */
    w->snap_seq = 0;      /* a new process numbers its reports from 1 */
    w->delay_base_at = 0; /* and its clock may be another's */
    w->delay_last_s = 0;
    w->users = 0;
    w->share = (struct hn_share){0};
}

static void on_hello(struct hn_run *r, const void *route, size_t len, const char *identity,
                     const struct hn_msg_hello *h)
{
    struct hn_worker *w = hn_registry_find_identity(&r->reg, identity);
    if (route_taken(r, route, len, w))
        return;
    if (!w) {
        new_worker(r, route, len, identity, h);
        return;
    }
    if (w->banned) {
        hello_from_banned(r, route, len, w);
        return;
    }
    bool same_route = w->route_len == len && memcmp(w->route, route, len) == 0;
    /* Only the process the worker's WELCOME went to knows its run id (see
     * registry.h): any other HELLO comes from a process that does not run
     * our scenario (it restarted, another one claims the identity, or it was
     * in another run): it starts afresh. */
    bool fresh = strcmp(h->run_id, w->run_id) != 0;
    bool replaced_live = false; /* its old process was still connected */
    if (!same_route && !fresh && hn_route_older(route, len, w->route, w->route_len)) {
        /* Its process on a connection older than the one it uses now:
         * bytes a cut network held back (a HELLO it said while cut off)
         * arriving after it reconnected. Moving it back there would send
         * its messages to a dying connection and drop the reports it sends
         * on the new one as a stranger's. */
        hn_log_debug("worker %u: a HELLO on a connection older than its own, ignored", w->index);
        return;
    }
    if (!same_route && !take_new_route(r, w, route, len, h, fresh, &replaced_live))
        return;
    /* At most one WELCOME a second per worker: a HELLO storm only says it
     * is alive (a new connection was let through above). */
    if (ev_now(r->loop) - w->last_welcome < REWELCOME_MIN_S) {
        heard_from(r, w);
        return;
    }
    w->hello = *h;
    if (r->state == HN_RUN_STOPPING || r->state == HN_RUN_DONE) {
        heard_from(r, w); /* too late to join again; a worker of the run still gets STOP */
        return;
    }
    if (fresh || w->missing || !same_route)
        say_back(r, w, h, fresh, replaced_live);
    if (fresh)
        start_afresh(r, w, h, same_route, replaced_live);
    w->missing = false;
    w->last_seen = w->alive_at = liveness_now(r);
    send_welcome(r, w, fresh);
    /* Running: its share comes with the next tick's TARGETs (heard_from). */
    if (r->state == HN_RUN_WAITING && hn_registry_alive(&r->reg) >= r->cfg->expect_workers)
        hn_run_start(r);
}

/* A HEARTBEAT: the worker's health for the reports, and the first one
 * saying LOADED (or RUNNING, from a process that loaded it before a
 * reconnect) makes it a worker of the run: it counts towards
 * --expect-workers and gets users at the next tick. */
static void on_heartbeat(struct hn_run *r, struct hn_worker *w, const struct hn_msg_heartbeat *hb)
{
    w->users = hb->users;
    uint32_t lost =
        hn_grant_ledger_heard(&w->grants, w->granted, r->scenario->n_classes, hb->grants);
    if (lost)
        hn_log_info("worker %u: %u GRANT message%s went down with its old connection: its users "
                    "get ids again",
                    w->index, lost, lost == 1 ? "" : "s");
    w->cpu_permille = hb->cpu_permille;
    w->rss_bytes = hb->rss_bytes;
    hn_journal_heartbeat(&r->journal, hn_clock_wall_ms(), w->index, w->hello.worker_id,
                         w->hello.cpus, hb);
    r->users_seen |= w->users > 0;
    if (w->loaded || w->declined ||
        (hb->state != HN_WSTATE_LOADED && hb->state != HN_WSTATE_RUNNING))
        return;
    w->loaded = true;
    if (r->state == HN_RUN_WAITING && hn_registry_alive(&r->reg) >= r->cfg->expect_workers)
        hn_run_start(r);
}

/* A FINAL: the worker has stopped for good, after our STOP or on its own
 * (a signal, or its master silent too long). Either way it runs no more
 * users and owes no more reports. */
void hn_receive_final(struct hn_run *r, struct hn_worker *w)
{
    if (r->state == HN_RUN_WAITING && w->loaded) {
        /* It leaves before the run starts (stopped, Ctrl-C): it must not
         * count towards --expect-workers, or the run would start short
         * and deal it users. A process that comes back says LOADED again. */
        w->loaded = false;
        hn_log_info("worker %u (%s) left before the run started", w->index, w->hello.worker_id);
        return;
    }
    if (w->final_received || (r->state != HN_RUN_RUNNING && r->state != HN_RUN_STOPPING))
        return;
    w->final_received = true;
    if (r->state == HN_RUN_STOPPING) {
        if (hn_run_all_finals_in(r))
            hn_run_finish(r, HN_EXIT_OK);
        return;
    }
    hn_log_warn("worker %u (%s) stopped on its own: its %u users go to the other workers", w->index,
                w->hello.worker_id, w->share.total);
    hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_STOPPED,
                     "stopped on its own (sent its final report); its %u users went to the others",
                     w->share.total);
    w->share = (struct hn_share){0};
    worker_left(r, true, "every worker has stopped");
}

/* Whether every worker that can join is known: local workers (throwaway
 * keys) and no --allow-workers for others. */
static bool fleet_known(const struct hn_run *r)
{
    return r->cfg->local_workers && r->curve && !r->cfg->allow_workers && !r->cfg->allow_shared;
}

/* A worker that cannot run the scenario (its libcurl, its threads, its
 * memory): it stays connected and idle and never counts as a worker of
 * the run; users it held (a process that loaded the scenario once) go to
 * the others, and a run that no worker can run fails now rather than at
 * its end with "nothing was sent". Waiting, the run waits on for others
 * (its wait says why it gives up), unless the fleet is known and too many
 * of it declined. */
static void on_decline(struct hn_run *r, struct hn_worker *w, const struct hn_msg_decline *d)
{
    if (strcmp(d->run_id, w->run_id) != 0 || w->declined || w->final_received ||
        r->state == HN_RUN_DONE)
        return; /* another run's (a process since replaced), or said already */
    bool was_active = hn_worker_active(w), held = was_active && w->share.total > 0;
    w->declined = true;
    hn_utf8_copy(w->decline_reason, sizeof(w->decline_reason), d->reason, strlen(d->reason));
    w->share = (struct hn_share){0};
    hn_log_error("worker %u (%s on %s) cannot run the scenario: %s", w->index, w->hello.worker_id,
                 w->hello.hostname, w->decline_reason);
    hn_journal_event(&r->journal, hn_clock_wall_ms(), w->index, HN_JEV_DECLINED,
                     "cannot run the scenario: %s", w->decline_reason);
    uint32_t declined = hn_registry_declined(&r->reg);
    if (r->state == HN_RUN_WAITING && fleet_known(r) &&
        declined + r->cfg->expect_workers > r->cfg->local_workers) {
        hn_run_fail(r, HN_EXIT_NO_RUN,
                    "%u of the %u local workers cannot run the scenario, and the run expects %u",
                    declined, r->cfg->local_workers, r->cfg->expect_workers);
    } else if (was_active || r->state == HN_RUN_STOPPING) {
        char why[HN_PROTO_REASON_MAX + 64];
        snprintf(why, sizeof(why), "no worker left that can run the scenario (%s)",
                 w->decline_reason);
        worker_left(r, held, why);
    }
}

/* Is @key (Z85) the key of worker @w, shared or not? */
static bool has_key(const struct hn_worker *w, const char *key)
{
    return w->keyed && strncmp(w->identity, key, HN_CURVE_KEY_Z85_LEN) == 0 &&
           (w->identity[HN_CURVE_KEY_Z85_LEN] == '\0' || w->shared_key);
}

/* Who says HELLO: with CURVE its key, and its worker id after it when the
 * key is shared (--allow-shared-key); without CURVE its worker id. */
static const char *hello_identity(const struct hn_run *r, const char *key,
                                  const struct hn_msg_hello *h, char *buf, size_t len)
{
    if (!r->curve)
        return h->worker_id;
    if (!hn_curve_allow_has(&r->shared, key))
        return key;
    snprintf(buf, len, "%s %s", key, h->worker_id);
    return buf;
}

/* The worker a message from @route comes from, or NULL. With CURVE the
 * key the ZAP handler vouched for must be the worker's. */
static struct hn_worker *sender(struct hn_run *r, const void *route, size_t len, const char *key)
{
    /* A worker says HELLO first on a new connection (PROTOCOL.md §4):
     * only that moves it there, not a key (a process replaced by another
     * holds the same key). */
    struct hn_worker *w = hn_registry_find_route(&r->reg, route, len);
    return w && (!r->curve || (key && has_key(w, key))) ? w : NULL;
}

void hn_run_on_message(struct hn_chan *c, const void *route, size_t len, const void *buf,
                       size_t buf_len, void *user)
{
    struct hn_run *r = user;
    r->message_backlog_s = hn_chan_backlog_age(c, hn_clock_mono_s());
    hn_lag_message(&r->lag, r->message_backlog_s);
    const char *key = hn_chan_peer_user_id(c);
    if (r->curve && (!key || strlen(key) != HN_CURVE_KEY_Z85_LEN)) {
        r->bad_frames++; /* cannot happen: the ZAP handler names every peer */
        return;
    }
    uint32_t type, version;
    bool peeked = hn_msg_peek(buf, buf_len, &type, &version) == 0;
    struct hn_worker *w = NULL;
    if (!peeked || type != HN_MSG_HELLO || version != HN_PROTO_VERSION) {
        /* Only workers of the run are heard: a stranger's frame is dropped
         * before it costs a decode. */
        w = sender(r, route, len, key);
        if (w && w->banned)
            return;
        if (!w && !(peeked && type == HN_MSG_HELLO)) {
            r->unknown_frames++;
            return;
        }
        if (w &&
            !hn_limits_charge(&w->stats_budget, &w->stats_budget_at, buf_len, ev_now(r->loop))) {
            char why[96];
            snprintf(why, sizeof(why), "sent more than %.0f MiB of statistics per second",
                     HN_LIMIT_STATS_BYTES_PER_S / (1024.0 * 1024.0));
            hn_receive_ban(r, w, why);
            return;
        }
    }
    struct hn_msg m;
    r->counters.used = 0; /* the previous message is merged and gone */
    int err = hn_msg_decode_into(buf, buf_len, &r->counters, &m);
    if (err) {
        if (err == HN_E_VERSION && peeked && type == HN_MSG_HELLO)
            reject_version(r, route, len, version);
        else if (r->bad_frames++ == 0)
            hn_log_warn("dropped an undecodable frame: %s (further ones are only counted)",
                        hn_strerror(err));
        return;
    }
    if (m.type == HN_MSG_HELLO) {
        char identity[HN_REGISTRY_IDENTITY_MAX + 1];
        on_hello(r, route, len, hello_identity(r, key, &m.hello, identity, sizeof(identity)),
                 &m.hello);
    } else if (w) {
        heard_from(r, w);
        switch (m.type) {
        case HN_MSG_HEARTBEAT:
            on_heartbeat(r, w, &m.heartbeat);
            break;
        case HN_MSG_SNAPSHOT:
        case HN_MSG_FINAL:
            hn_receive_stats(r, w, &m, buf_len);
            break;
        case HN_MSG_DECLINE:
            on_decline(r, w, &m.decline);
            break;
        default:
            break; /* master-bound only: anything else is ignored */
        }
    }
    hn_msg_deinit(&m);
}
