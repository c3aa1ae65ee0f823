/* The run state machine (see run.h): one function per event, all on the
 * master's libev loop. */
#include "run.h"
#include "chan.h"
#include "clock.h"
#include "console.h"
#include "csv.h"
#include "distribute.h"
#include "error.h"
#include "exitcodes.h"
#include "local_workers.h"
#include "log.h"
#include "model.h"
#include "msg.h"
#include "registry.h"
#include "scenario_codec.h"
#include "stats.h"

#include <errno.h>
#include <ev.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define MISSING_AFTER_S 3.0  /* silence before a worker is declared missing */
#define FINAL_MARGIN_MS 5000 /* extra wait for FINALs beyond the stop timeout */
#define SNAPSHOT_INTERVAL_MS 1000
#define CONSOLE_INTERVAL_S 2.0

enum run_state { RUN_WAITING, RUN_RUNNING, RUN_STOPPING, RUN_DONE };

struct run {
    const struct hn_master_config *cfg;
    struct ev_loop *loop;
    void *zctx;
    struct hn_chan chan;
    struct hn_registry reg;
    struct hn_local_workers local;
    enum run_state state;
    char run_id[40];
    struct hn_scenario *scenario;
    msgpack_sbuffer scenario_blob;
    uint8_t scenario_hash[32];
    uint32_t class_weights[HN_PROTO_CLASSES_MAX];
    struct hn_stats *stats;
    struct hn_csv *csv;
    ev_timer tick, console, wait_deadline, stop_deadline;
    ev_signal sigint, sigterm;
    double started_at; /* loop time the ramp began */
    uint64_t target_seq;
    uint32_t users_now; /* users the master currently asks for */
    int exit_code;
    uint64_t bad_frames; /* undecodable frames received (logged once) */
    uint64_t rejected;   /* HELLOs of another protocol version */
};

/* --- sending ------------------------------------------------------------- */

static void send_to(struct run *r, struct hn_worker *w, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int err = hn_msg_encode(m, &buf);
    if (!err)
        err = hn_chan_send_to(&r->chan, w->route, w->route_len, buf.data, buf.size);
    if (err && err != -EHOSTUNREACH)
        hn_log_warn("cannot send %s to worker %u: %s", hn_msg_type_name(m->type), w->index,
                    hn_strerror(err));
    msgpack_sbuffer_destroy(&buf);
}

static void send_to_route(struct run *r, const void *route, size_t len, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (hn_msg_encode(m, &buf) == 0)
        hn_chan_send_to(&r->chan, route, len, buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

static void broadcast(struct run *r, const struct hn_msg *m)
{
    for (uint32_t i = 0; i < r->reg.n; i++)
        if (!r->reg.workers[i].missing)
            send_to(r, &r->reg.workers[i], m);
}

/* Users wanted now: ramped at the spawn rate from the start, aiming one
 * second ahead so workers ramp smoothly within the coming second. */
static uint32_t ramp_users(struct run *r)
{
    double elapsed = ev_now(r->loop) - r->started_at;
    double ramped = ceil(r->cfg->spawn_rate * (elapsed + 1.0));
    return ramped >= r->cfg->users ? r->cfg->users : (uint32_t)ramped;
}

/* Split the wanted users over live workers and send every live worker its
 * absolute TARGET (idempotent: resending is harmless). */
static void send_targets(struct run *r)
{
    uint32_t alive = hn_registry_alive(&r->reg);
    if (alive == 0 || r->state != RUN_RUNNING)
        return;
    r->users_now = ramp_users(r);
    uint32_t n_classes = r->scenario->n_classes;
    uint32_t class_users[HN_PROTO_CLASSES_MAX];
    hn_distribute_classes(r->users_now, r->class_weights, n_classes, class_users);
    uint32_t *hosts = calloc(alive, sizeof(*hosts));
    struct hn_share *shares = calloc(alive, sizeof(*shares));
    struct hn_worker **live = calloc(alive, sizeof(*live));
    if (!hosts || !shares || !live) {
        hn_log_error("out of memory while distributing users");
        goto out;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        if (hn_worker_active(&r->reg.workers[i])) {
            live[k] = &r->reg.workers[i];
            hosts[k++] = r->reg.workers[i].host;
        }
    }
    hn_distribute_workers(class_users, n_classes, hosts, alive, shares);
    for (uint32_t i = 0; i < alive; i++) {
        struct hn_msg m = {.type = HN_MSG_TARGET};
        m.target.seq = ++r->target_seq;
        m.target.phase = HN_PHASE_RUN;
        m.target.model = HN_MODEL_CLOSED;
        m.target.n_classes = n_classes;
        memcpy(m.target.users, shares[i].users, n_classes * sizeof(uint32_t));
        m.target.spawn_rate_per_s = r->cfg->spawn_rate / alive;
        m.target.start_wall_ms = hn_clock_wall_ms();
        live[i]->share = shares[i];
        send_to(r, live[i], &m);
    }
out:
    free(hosts);
    free(shares);
    free(live);
}

/* --- run phases ---------------------------------------------------------- */

static void finish(struct run *r, int exit_code);

static void start_running(struct run *r)
{
    ev_timer_stop(r->loop, &r->wait_deadline);
    r->state = RUN_RUNNING;
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
    send_targets(r);
}

static bool all_finals_in(const struct run *r)
{
    for (uint32_t i = 0; i < r->reg.n; i++)
        if (hn_worker_active(&r->reg.workers[i]))
            return false;
    return true;
}

static void begin_stop(struct run *r, const char *why)
{
    if (r->state == RUN_WAITING) {
        finish(r, HN_EXIT_NO_RUN);
        return;
    }
    if (r->state != RUN_RUNNING)
        return;
    hn_log_info("%s: stopping (requests in flight get up to %llu ms)", why,
                (unsigned long long)r->cfg->stop_timeout_ms);
    r->state = RUN_STOPPING;
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = (uint32_t)r->cfg->stop_timeout_ms;
    broadcast(r, &m);
    ev_timer_set(&r->stop_deadline, (double)(r->cfg->stop_timeout_ms + FINAL_MARGIN_MS) / 1000.0,
                 0.0);
    ev_timer_start(r->loop, &r->stop_deadline);
    if (all_finals_in(r))
        finish(r, HN_EXIT_OK);
}

/* Write the reports, tell workers to quit, leave the loop. */
static void finish(struct run *r, int exit_code)
{
    if (r->state == RUN_DONE)
        return;
    bool ran = r->state != RUN_WAITING;
    r->state = RUN_DONE;
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
        if (r->csv) {
            hn_csv_append_history(r->csv, r->stats, now_ms, 0);
            if (hn_csv_write_current(r->csv, r->stats, now_ms))
                hn_log_error("cannot write the CSV reports");
        }
        hn_console_summary(stderr, r->stats);
        if (exit_code == HN_EXIT_OK && hn_stats_total_failures(r->stats) > 0)
            exit_code = r->cfg->exit_code_on_error;
    }
    struct hn_msg quit = {.type = HN_MSG_QUIT};
    broadcast(r, &quit);
    r->exit_code = exit_code;
    ev_break(r->loop, EVBREAK_ALL);
}

/* --- events -------------------------------------------------------------- */

static void heard_from(struct run *r, struct hn_worker *w);

/* STOP with what is left of the stop timeout, so the FINAL comes in time. */
static void send_stop(struct run *r, struct hn_worker *w)
{
    double left_s = ev_timer_remaining(r->loop, &r->stop_deadline) - FINAL_MARGIN_MS / 1000.0;
    struct hn_msg m = {.type = HN_MSG_STOP};
    m.stop.timeout_ms = left_s > 0 ? (uint32_t)(left_s * 1000.0) : 0;
    send_to(r, w, &m);
}

static void on_hello(struct run *r, const void *route, size_t len, const struct hn_msg_hello *h)
{
    if (r->state == RUN_STOPPING || r->state == RUN_DONE) {
        /* Too late to join this run; a worker of the run still gets STOP. */
        struct hn_worker *known = hn_registry_find(&r->reg, route, len);
        if (known && r->state == RUN_STOPPING)
            heard_from(r, known);
        return;
    }
    struct hn_worker *w;
    bool rejoined;
    int err = hn_registry_join(&r->reg, route, len, h, ev_now(r->loop), &w, &rejoined);
    if (err) {
        struct hn_msg m = {.type = HN_MSG_REJECT};
        snprintf(m.reject.reason, sizeof(m.reject.reason), "master cannot take more workers");
        send_to_route(r, route, len, &m);
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
    m.welcome.snapshot_interval_ms = SNAPSHOT_INTERVAL_MS;
    send_to(r, w, &m);
    if (!rejoined) {
        struct hn_msg s = {.type = HN_MSG_SCENARIO};
        s.scenario.blob = (const uint8_t *)r->scenario_blob.data;
        s.scenario.blob_len = r->scenario_blob.size;
        s.scenario.hash = r->scenario_hash;
        s.scenario.hash_len = sizeof(r->scenario_hash);
        send_to(r, w, &s);
    }
    if (r->state == RUN_WAITING && hn_registry_alive(&r->reg) >= r->cfg->expect_workers)
        start_running(r);
    else if (r->state == RUN_RUNNING)
        send_targets(r); /* a newcomer gets its share at once */
}

/* A HELLO from a worker of another protocol version: REJECT it with a reason
 * naming both versions (encoded in our version; its header stays readable). */
static void reject_version(struct run *r, const void *route, size_t len, uint32_t version)
{
    struct hn_msg m = {.type = HN_MSG_REJECT};
    snprintf(m.reject.reason, sizeof(m.reject.reason),
             "protocol version mismatch: worker speaks %u, master speaks %u", version,
             HN_PROTO_VERSION);
    /* Any peer can send these: log the first, count the rest. */
    if (r->rejected++ == 0)
        hn_log_warn("rejected a worker: %s (further rejections are only counted)", m.reject.reason);
    send_to_route(r, route, len, &m);
}

/* Any message from worker @w: it is alive. A worker marked missing that
 * speaks again is taken back: it gets a share while the run runs, and STOP
 * while it stops (it never got the broadcast, and would go on loading the
 * target until its own silence timeout). */
static void heard_from(struct run *r, struct hn_worker *w)
{
    w->last_seen = ev_now(r->loop);
    if (!w->missing || w->final_received)
        return;
    if (r->state == RUN_RUNNING) {
        hn_log_info("worker %u is responding again", w->index);
        w->missing = false;
        send_targets(r);
    } else if (r->state == RUN_STOPPING) {
        hn_log_info("worker %u is responding again: asking it to stop", w->index);
        w->missing = false;
        send_stop(r, w);
    }
}

/* A FINAL: the worker has stopped for good, after our STOP or on its own
 * (a signal, or its master silent too long). Either way it runs no more
 * users and owes no more reports. */
static void on_final(struct run *r, struct hn_worker *w)
{
    if (w->final_received || (r->state != RUN_RUNNING && r->state != RUN_STOPPING))
        return;
    w->final_received = true;
    if (r->state == RUN_STOPPING) {
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
        send_targets(r);
    }
}

static void on_router_msg(struct hn_chan *c, const void *route, size_t len, const void *buf,
                          size_t buf_len, void *user)
{
    (void)c;
    struct run *r = user;
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
            w->cpu_permille = m.heartbeat.cpu_permille;
            w->rss_bytes = m.heartbeat.rss_bytes;
            break;
        case HN_MSG_SNAPSHOT:
        case HN_MSG_FINAL:
            w->users = m.snapshot.users;
            if (r->stats && r->state != RUN_WAITING && !w->final_received)
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

static void check_liveness(struct run *r)
{
    double now = ev_now(r->loop);
    bool lost = false;
    for (uint32_t i = 0; i < r->reg.n; i++) {
        struct hn_worker *w = &r->reg.workers[i];
        if (hn_worker_active(w) && now - w->last_seen >= MISSING_AFTER_S) {
            w->missing = true;
            lost = true;
            hn_log_warn("worker %u (%s) silent for %.0f s: marked missing, its %u users go to "
                        "the other workers",
                        w->index, w->hello.worker_id, now - w->last_seen, w->share.total);
        }
    }
    if (!lost)
        return;
    if (r->state == RUN_RUNNING && hn_registry_alive(&r->reg) == 0) {
        hn_log_error("lost all workers");
        finish(r, HN_EXIT_NO_RUN);
    } else if (r->state == RUN_RUNNING) {
        send_targets(r);
    } else if (r->state == RUN_STOPPING && all_finals_in(r)) {
        finish(r, HN_EXIT_OK);
    }
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct run *r = t->data;
    check_liveness(r);
    if (r->state == RUN_DONE)
        return;
    struct hn_msg hb = {.type = HN_MSG_HEARTBEAT};
    broadcast(r, &hb);
    if (r->state == RUN_STOPPING) {
        /* STOP again to every worker without a FINAL: one lost during a
         * reconnect would otherwise cost the whole stop deadline. Workers
         * ignore a STOP they already follow. */
        for (uint32_t i = 0; i < r->reg.n; i++)
            if (hn_worker_active(&r->reg.workers[i]))
                send_stop(r, &r->reg.workers[i]);
    }
    if (r->state == RUN_RUNNING) {
        send_targets(r);
        if (r->cfg->run_time_ms &&
            (ev_now(loop) - r->started_at) * 1000.0 >= (double)r->cfg->run_time_ms)
            begin_stop(r, "run time reached");
    }
    if (r->stats && r->state != RUN_WAITING && r->state != RUN_DONE) {
        uint64_t now_ms = hn_clock_wall_ms();
        uint32_t users = 0;
        for (uint32_t i = 0; i < r->reg.n; i++)
            users += r->reg.workers[i].missing ? 0 : r->reg.workers[i].users;
        hn_stats_tick(r->stats, now_ms, users);
        if (r->csv) {
            hn_csv_append_history(r->csv, r->stats, now_ms, users);
            hn_csv_write_current(r->csv, r->stats, now_ms);
        }
    }
}

static void on_console(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct run *r = t->data;
    if (r->stats && (r->state == RUN_RUNNING || r->state == RUN_STOPPING)) {
        uint32_t users = 0;
        for (uint32_t i = 0; i < r->reg.n; i++)
            users += r->reg.workers[i].missing ? 0 : r->reg.workers[i].users;
        hn_console_live(stderr, r->stats, users, hn_registry_alive(&r->reg));
    }
}

static void on_wait_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct run *r = t->data;
    hn_log_error("only %u of %u expected workers joined within the wait: giving up",
                 hn_registry_alive(&r->reg), r->cfg->expect_workers);
    finish(r, HN_EXIT_NO_RUN);
}

static void on_stop_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    finish(t->data, HN_EXIT_OK); /* workers without FINAL are reported there */
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    struct run *r = w->data;
    if (r->state == RUN_STOPPING)
        finish(r, HN_EXIT_OK); /* second Ctrl-C: report what we have now */
    else
        begin_stop(r, "interrupted");
}

/* --- setup --------------------------------------------------------------- */

static int build_scenario(struct run *r)
{
    const struct hn_master_config *cfg = r->cfg;
    r->scenario = hn_scenario_quick(cfg->host, cfg->paths, cfg->n_paths);
    char why[256] = "";
    if (!r->scenario)
        return -ENOMEM;
    r->scenario->timeout_ms = cfg->request_timeout_ms;
    int err = hn_scenario_finalize(r->scenario, why, sizeof(why));
    if (err) {
        hn_log_error("invalid scenario: %s", why);
        return err;
    }
    for (uint32_t c = 0; c < r->scenario->n_classes; c++)
        r->class_weights[c] = r->scenario->classes[c].weight;
    msgpack_sbuffer_init(&r->scenario_blob);
    if ((err = hn_scenario_encode(r->scenario, &r->scenario_blob)))
        return err;
    /* Workers decode the blob with every wire rule (names of at most 256
     * bytes of UTF-8, header syntax, ...): check it here first, so a bad
     * scenario is reported once, now, and not by every worker later. */
    struct hn_scenario *check = NULL;
    err =
        hn_scenario_decode(r->scenario_blob.data, r->scenario_blob.size, &check, why, sizeof(why));
    hn_scenario_free(check);
    if (err) {
        hn_log_error("invalid scenario: %s", why);
        return err;
    }
    crypto_generichash(r->scenario_hash, sizeof(r->scenario_hash),
                       (const unsigned char *)r->scenario_blob.data, r->scenario_blob.size, NULL,
                       0);
    return 0;
}

/* The endpoint local workers connect to: the bound one, with a wildcard
 * address replaced by loopback. */
static void local_endpoint(const struct run *r, char *out, size_t len)
{
    char bound[256] = "";
    hn_chan_endpoint(&r->chan, bound, sizeof(bound));
    const char *port = strrchr(bound, ':');
    if (strncmp(bound, "tcp://", 6) == 0 && port)
        snprintf(out, len, "tcp://127.0.0.1%s", port);
    else
        snprintf(out, len, "%s", bound);
}

/* mkdir -p of the directory part of a CSV prefix ("out/run" → "out/"). */
static int make_parent_dirs(const char *prefix)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", prefix) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(path, 0777) && errno != EEXIST)
        return -errno;
    return 0;
}

static void make_run_id(char *out, size_t len)
{
    uint8_t rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(out, len, "%llu-%s", (unsigned long long)(hn_clock_wall_ms() / 1000), hex);
}

static int setup(struct run *r)
{
    if (sodium_init() < 0)
        return HN_EXIT_NO_RUN;
    if (build_scenario(r))
        return HN_EXIT_USAGE;
    make_run_id(r->run_id, sizeof(r->run_id));
    if (r->cfg->csv_prefix) {
        int err = make_parent_dirs(r->cfg->csv_prefix);
        if (!err)
            err = hn_csv_open(r->cfg->csv_prefix, r->cfg->csv_full_history, &r->csv);
        if (err) {
            hn_log_error("cannot create the CSV files %s_*.csv: %s", r->cfg->csv_prefix,
                         hn_strerror(err));
            return HN_EXIT_USAGE;
        }
    }
    r->loop = ev_default_loop(EVFLAG_AUTO);
    r->zctx = zmq_ctx_new();
    if (!r->loop || !r->zctx)
        return HN_EXIT_NO_RUN;
    int err = hn_chan_router_open(&r->chan, r->zctx, r->loop, r->cfg->bind, NULL, on_router_msg, r);
    if (err) {
        hn_log_error("cannot bind %s: %s", r->cfg->bind, hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    char ep[256];
    hn_chan_endpoint(&r->chan, ep, sizeof(ep));
    hn_log_info("run %s: waiting for %u worker%s on %s", r->run_id, r->cfg->expect_workers,
                r->cfg->expect_workers == 1 ? "" : "s", ep);
    if (r->cfg->local_workers) {
        char local[256];
        local_endpoint(r, local, sizeof(local));
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        uint32_t threads = r->cfg->worker_threads;
        if (!threads)
            threads =
                cpus > (long)r->cfg->local_workers ? (uint32_t)(cpus / r->cfg->local_workers) : 1;
        if ((err = hn_local_workers_start(&r->local, r->cfg->local_workers, local, threads,
                                          r->cfg->worker_bin))) {
            hn_log_error("cannot start local workers: %s", hn_strerror(err));
            return HN_EXIT_NO_RUN;
        }
    }
    ev_timer_init(&r->tick, on_tick, 1.0, 1.0);
    ev_timer_init(&r->console, on_console, CONSOLE_INTERVAL_S, CONSOLE_INTERVAL_S);
    ev_init(&r->wait_deadline, on_wait_deadline);
    ev_init(&r->stop_deadline, on_stop_deadline);
    ev_signal_init(&r->sigint, on_signal, SIGINT);
    ev_signal_init(&r->sigterm, on_signal, SIGTERM);
    r->tick.data = r->console.data = r->wait_deadline.data = r->stop_deadline.data = r;
    r->sigint.data = r->sigterm.data = r;
    ev_timer_start(r->loop, &r->tick);
    if (!r->cfg->only_summary)
        ev_timer_start(r->loop, &r->console);
    if (r->cfg->expect_wait_ms) {
        ev_timer_set(&r->wait_deadline, (double)r->cfg->expect_wait_ms / 1000.0, 0.0);
        ev_timer_start(r->loop, &r->wait_deadline);
    }
    ev_signal_start(r->loop, &r->sigint);
    ev_signal_start(r->loop, &r->sigterm);
    return -1;
}

int hn_run(const struct hn_master_config *cfg)
{
    struct run r = {.cfg = cfg, .exit_code = HN_EXIT_OK};
    hn_registry_init(&r.reg);
    int code = setup(&r);
    if (code < 0) {
        ev_run(r.loop, 0);
        code = r.exit_code;
    }
    /* Let QUIT reach the workers before the socket closes. */
    if (r.chan.sock) {
        int linger_ms = 1000;
        zmq_setsockopt(r.chan.sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    }
    hn_chan_close(&r.chan);
    hn_local_workers_reap(&r.local, 3000);
    if (r.zctx)
        zmq_ctx_term(r.zctx);
    hn_csv_close(r.csv);
    hn_stats_free(r.stats);
    hn_scenario_free(r.scenario);
    if (r.scenario_blob.data)
        msgpack_sbuffer_destroy(&r.scenario_blob);
    hn_registry_deinit(&r.reg);
    return code;
}
