/* Set-up and tear-down of a run: the scenario blob workers receive, the
 * run id, report writers, the ROUTER socket, local workers and the loop's
 * watchers (CurveZMQ in run_curve.c); hn_run ties them together. */
#include "clock.h"
#include "cpus.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run.h"
#include "report_file.h"
#include "run_internal.h"
#include "url.h"
#include "scenario.h"
#include "scenario_codec.h"
#include "csv_report.h"
#include "report_metrics.h"
#include "metrics_addr.h"
#include "stop_signals.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

/* The scenario, and the blob every worker receives. 0 or an exit code. */
static int build_scenario(struct hn_run *r)
{
    if (!(r->plan = calloc(1, sizeof(*r->plan)))) {
        hn_log_error("out of memory");
        return HN_EXIT_NO_RUN;
    }
    int code = hn_master_scenario(r->cfg, &r->scenario, NULL, r->plan);
    if (code)
        return code;
    char why[256] = "";
    int err;
    for (uint32_t c = 0; c < r->scenario->n_classes; c++)
        r->class_weights[c] = r->scenario->classes[c].weight;
    hn_dealer_init(&r->dealer);
    msgpack_sbuffer_init(&r->scenario_blob);
    if ((err = hn_scenario_encode(r->scenario, &r->scenario_blob))) {
        hn_log_error("cannot encode the scenario: %s", hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    /* Workers decode the blob with every wire rule (names of at most 256
     * bytes of UTF-8, header syntax, ...): check it here first, so a bad
     * scenario is reported once, now, and not by every worker later. */
    struct hn_scenario *check = NULL;
    err =
        hn_scenario_decode(r->scenario_blob.data, r->scenario_blob.size, &check, why, sizeof(why));
    hn_scenario_free(check);
    if (err == HN_E_TOO_LARGE) {
        hn_log_error("the compiled scenario is too large to send to workers (%s): use fewer "
                     "steps, headers or template parts",
                     why);
        return HN_EXIT_USAGE;
    }
    if (err) {
        hn_log_error("invalid scenario: %s", why);
        return HN_EXIT_USAGE;
    }
    crypto_generichash(r->scenario_hash, sizeof(r->scenario_hash),
                       (const unsigned char *)r->scenario_blob.data, r->scenario_blob.size, NULL,
                       0);
    struct hn_msg m = {.type = HN_MSG_SCENARIO};
    m.scenario.blob = (const uint8_t *)r->scenario_blob.data;
    m.scenario.blob_len = r->scenario_blob.size;
    m.scenario.hash = r->scenario_hash;
    m.scenario.hash_len = sizeof(r->scenario_hash);
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    err = hn_msg_encode(&m, &frame);
    if (!err)
        err = hn_chan_frame_new(frame.data, frame.size, &r->scenario_frame);
    msgpack_sbuffer_destroy(&frame);
    if (err) {
        hn_log_error("cannot encode the scenario: %s", hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    return 0;
}

/* The endpoint local workers connect to: the bound one, with a wildcard
 * address replaced by 127.0.0.1 (libzmq's [::] takes IPv4 too, and ::1 may
 * not exist: containers often turn IPv6 off). */
static void local_endpoint(const struct hn_run *r, char *out, size_t len)
{
    char bound[256] = "";
    hn_chan_endpoint(&r->chan, bound, sizeof(bound));
    const char *port = strrchr(bound, ':');
    if (strncmp(bound, "tcp://0.0.0.0:", 14) == 0 && port)
        snprintf(out, len, "tcp://127.0.0.1%s", port);
    else if (strncmp(bound, "tcp://[::]:", 11) == 0 && port)
        snprintf(out, len, "tcp://127.0.0.1%s", port);
    else
        snprintf(out, len, "%s", bound);
}

static void make_run_id(char *out, size_t len)
{
    uint8_t rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(out, len, "%llu-%s", (unsigned long long)(hn_clock_wall_ms() / 1000), hex);
}

/* One writer per report asked for; a file that cannot be written stops the
 * run now, before any load is sent. The journal's sampler comes first: the
 * writers after it read the timeline. Returns 0 or an exit code: a file
 * that cannot be created is a bad command line, an address the metrics
 * cannot bind is as --bind's. */
static int add_reports(struct hn_run *r)
{
    const struct hn_master_config *cfg = r->cfg;
    /* -H, or the scenario's host: (NULL when every URL is absolute). */
    const char *host = cfg->host ? cfg->host : r->scenario ? r->scenario->host : NULL;
    struct hn_report_run run = {
        .scenario_file = cfg->scenario_file,
        .host = host ? hn_url_redact(host, r->host_shown, sizeof(r->host_shown)) : NULL,
        .load = hn_run_plan_brief(r->plan, r->load_brief, sizeof(r->load_brief)),
        .stop_timeout_ms = cfg->stop_timeout_ms,
        .journal = &r->journal,
    };
    const struct {
        const char *path, *what;
        int (*add)(struct hn_reports *, const char *, const struct hn_report_run *);
    } files[] = {
        {cfg->json_path, "JSON report", hn_report_json_add},
        {cfg->html_path, "HTML report", hn_report_html_add},
        {cfg->junit_path, "JUnit report", hn_report_junit_add},
        {cfg->summary_md_path, "Markdown summary", hn_report_summary_md_add},
        {cfg->hdr_log_path, "HdrHistogram log", NULL}, /* checked here, added below */
    };
    const size_t n_files = sizeof(files) / sizeof(files[0]);
    /* Every file is checked before any is made: a master that refuses one
     * leaves the last run's files as they were. */
    for (size_t i = 0; i < n_files; i++) {
        int e = files[i].path ? hn_report_file_check(files[i].path) : 0;
        if (e) {
            hn_log_error("cannot create the %s %s: %s", files[i].what, files[i].path,
                         hn_strerror(e));
            return HN_EXIT_USAGE;
        }
    }
    if (cfg->csv_prefix) {
        int e = hn_csv_check(cfg->csv_prefix);
        if (e) {
            hn_log_error("cannot create the CSV files %s_*.csv: %s", cfg->csv_prefix,
                         hn_strerror(e));
            return HN_EXIT_USAGE;
        }
    }
    int err = hn_report_journal_add(&r->reports, &r->journal);
    /* First what binds: a master that cannot has not touched the last
     * run's files. */
    if (!err && cfg->metrics_bind && !cfg->insecure &&
        !hn_metrics_addr_loopback(cfg->metrics_bind)) {
        /* No authentication there: loopback by default, as --bind. */
        hn_log_error("--metrics-bind %s serves the run's metrics (request names, which may hold "
                     "tokens; worker hosts) to other hosts without authentication: bind "
                     "127.0.0.1:PORT and scrape through a proxy that authenticates, or add "
                     "--insecure on a network you trust",
                     cfg->metrics_bind);
        return HN_EXIT_USAGE;
    }
    if (!err && cfg->metrics_bind) {
        char bound[96];
        err = hn_report_metrics_add(&r->reports, r->loop, cfg->metrics_bind, r->run_id, &r->reg,
                                    &r->journal, bound, sizeof(bound));
        if (err) {
            hn_log_error("cannot serve metrics on %s: %s", cfg->metrics_bind, hn_strerror(err));
            return HN_EXIT_NO_RUN;
        }
        hn_log_info("Prometheus metrics on http://%s/metrics", bound);
    }
    if (!err && cfg->csv_prefix) {
        struct hn_csv_options opts = {cfg->csv_full_history, cfg->csv_exact};
        if ((err = hn_report_csv_add(&r->reports, cfg->csv_prefix, &opts)))
            hn_log_error("cannot create the CSV files %s_*.csv: %s", cfg->csv_prefix,
                         hn_strerror(err));
    }
    if (!err && cfg->hdr_log_path &&
        (err = hn_report_hdr_log_add(&r->reports, cfg->hdr_log_path, r->run_id)))
        hn_log_error("cannot create the HdrHistogram log %s: %s", cfg->hdr_log_path,
                     hn_strerror(err));
    /* The verdicts (JUnit, Markdown, then the console) are written last, so
     * that they can say when a report before them could not be. */
    for (size_t i = 0; !err && i < n_files; i++)
        if (files[i].path && files[i].add && (err = files[i].add(&r->reports, files[i].path, &run)))
            hn_log_error("cannot create the %s %s: %s", files[i].what, files[i].path,
                         hn_strerror(err));
    if (!err)
        err = hn_report_console_add(&r->reports, stderr, &run);
    return err ? HN_EXIT_USAGE : 0;
}

static int start_local_workers(struct hn_run *r)
{
    char local[256];
    local_endpoint(r, local, sizeof(local));
    /* The CPUs the master may run on (taskset, a container's cpuset): its
     * local workers inherit them. */
    uint32_t cpus = hn_cpus_usable();
    uint32_t threads = r->cfg->worker_threads;
    if (!threads)
        threads = cpus > r->cfg->local_workers ? cpus / r->cfg->local_workers : 1;
    struct hn_local_curve curve = {r->keys.public_z85, r->local_keys};
    int err = hn_local_workers_start(&r->local, r->cfg->local_workers, local, threads,
                                     r->cfg->worker_bin, r->curve ? &curve : NULL);
    if (err)
        hn_log_error("cannot start local workers: %s", hn_strerror(err));
    return err;
}

/* One descriptor per worker connection, and some to spare: raise the soft
 * open-file limit as far as --max-workers needs (the hard limit allows),
 * or say what a full run will lack. */
static void raise_nofile(uint32_t max_workers)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)max_workers + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    struct rlimit up = {want, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &up) != 0)
        want = rl.rlim_cur;
    if (want < need)
        hn_log_warn("--max-workers %u needs %llu open files, the limit is %llu: fewer workers "
                    "can connect (raise it: ulimit -n, or LimitNOFILE= in a systemd unit)",
                    max_workers, (unsigned long long)need, (unsigned long long)want);
}

static void init_watchers(struct hn_run *r)
{
    ev_timer_init(&r->tick, hn_run_on_tick, 1.0, 1.0);
    ev_timer_init(&r->watch, hn_run_on_watch, HN_LAG_WATCH_S, HN_LAG_WATCH_S);
    r->watch.data = r;
    ev_timer_start(r->loop, &r->watch);
    ev_timer_init(&r->console, hn_run_on_console, HN_RUN_CONSOLE_INTERVAL_S,
                  HN_RUN_CONSOLE_INTERVAL_S);
    ev_init(&r->wait_deadline, hn_run_on_wait_deadline);
    ev_init(&r->stop_deadline, hn_run_on_stop_deadline);
    ev_init(&r->stage, hn_run_on_stage);
    ev_init(&r->run_end, hn_run_on_run_end);
    r->stage.data = r->run_end.data = r;
    ev_signal_init(&r->sigint, hn_run_on_signal, SIGINT);
    ev_signal_init(&r->sigterm, hn_run_on_signal, SIGTERM);
    ev_signal_init(&r->sighup, hn_run_on_signal, SIGHUP);
    r->tick.data = r->console.data = r->wait_deadline.data = r->stop_deadline.data = r;
    r->sigint.data = r->sigterm.data = r->sighup.data = r;
    ev_timer_start(r->loop, &r->tick);
    if (!r->cfg->only_summary)
        ev_timer_start(r->loop, &r->console);
    if (r->cfg->expect_wait_ms) {
        ev_timer_set(&r->wait_deadline, (double)r->cfg->expect_wait_ms / 1000.0, 0.0);
        ev_timer_start(r->loop, &r->wait_deadline);
    }
    ev_signal_start(r->loop, &r->sigint);
    ev_signal_start(r->loop, &r->sigterm);
    if (hn_stop_signal_wanted(SIGHUP))
        ev_signal_start(r->loop, &r->sighup);
}

int hn_run_setup(struct hn_run *r)
{
    if (sodium_init() < 0) {
        hn_log_error("cannot initialise libsodium");
        return HN_EXIT_NO_RUN;
    }
    int code = build_scenario(r);
    if (code)
        return code;
    char bin[PATH_MAX + 32];
    if (r->cfg->local_workers && hn_local_workers_find(r->cfg->worker_bin, bin, sizeof(bin))) {
        hn_log_error("cannot find hornet-worker for --local-workers next to hornet-master or in "
                     "$PATH: give --worker-bin");
        return HN_EXIT_USAGE;
    }
    make_run_id(r->run_id, sizeof(r->run_id));
    raise_nofile(r->cfg->max_workers);
    r->loop = ev_default_loop(EVFLAG_AUTO);
    if (!r->loop) {
        hn_log_error("cannot create the event loop (libev found no usable backend)");
        return HN_EXIT_NO_RUN;
    }
    int err = hn_journal_init(&r->journal);
    if (err) {
        hn_log_error("cannot set up the run's journal: %s", hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    r->zctx = zmq_ctx_new();
    if (!r->zctx) {
        hn_log_error("cannot create the ZeroMQ context: %s", zmq_strerror(errno));
        return HN_EXIT_NO_RUN;
    }
    if ((err = hn_limits_init(&r->limits, r->scenario))) {
        hn_log_error("cannot index the scenario's statistics entries: %s", hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    if ((err = hn_hist_pairs_init(&r->counters, HN_MSG_COUNTERS_MAX))) {
        hn_log_error("cannot allocate room to decode the workers' histograms: %s",
                     hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    if ((code = hn_run_curve_setup(r)))
        return code;
    /* Workers' messages are handled in batches, 10 ms apart at most: a
     * thousand workers then cost a hundred wake-ups a second, not two
     * thousand, and nothing the master does needs them sooner. */
    struct hn_chan_opts opts = {.gather_s = 0.010, .watch_handshakes = true};
    if (r->curve) {
        opts.setup = hn_curve_setup_server;
        opts.setup_arg = &r->keys;
    }
    /* libzmq binds addresses and interface names, not host names: the one
     * host name people write is bound as what it means. */
    char bind[256];
    const char *port = strrchr(r->cfg->bind, ':');
    if (strncmp(r->cfg->bind, "tcp://localhost:", 16) == 0 && port)
        snprintf(bind, sizeof(bind), "tcp://127.0.0.1%s", port);
    else
        snprintf(bind, sizeof(bind), "%s", r->cfg->bind);
    err = hn_chan_router_open(&r->chan, r->zctx, r->loop, bind, &opts, hn_run_on_message, r);
    if (err) {
        hn_log_error("cannot bind %s: %s", r->cfg->bind, hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    /* Once bound: a master that cannot run leaves the last run's reports
     * as they were (it truncated the CSV files before). */
    if ((code = add_reports(r)))
        return code;
    char ep[256];
    hn_chan_endpoint(&r->chan, ep, sizeof(ep));
    hn_log_info("run %s: waiting for %u worker%s on %s", r->run_id, r->cfg->expect_workers,
                r->cfg->expect_workers == 1 ? "" : "s", ep);
    if (r->cfg->local_workers && start_local_workers(r))
        return HN_EXIT_NO_RUN;
    init_watchers(r);
    return 0;
}

void hn_run_teardown(struct hn_run *r)
{
    /* Refusals since the last message would go unsaid otherwise. */
    hn_refused_peers_flush(&r->refused, hn_chan_mechanism_mismatches(&r->chan), r->curve);
    /* Let QUIT reach the workers before the socket closes. */
    if (r->chan.sock) {
        int linger_ms = 1000;
        zmq_setsockopt(r->chan.sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    }
    hn_chan_close(&r->chan);
    hn_local_workers_reap(&r->local, 3000);
    if (r->zctx)
        zmq_ctx_term(r->zctx); /* ends the ZAP thread's wait */
    hn_zap_stop(&r->zap);
    hn_curve_allow_free(&r->shared);
    hn_limits_deinit(&r->limits);
    if (r->local_keys) {
        sodium_memzero(r->local_keys, r->cfg->local_workers * sizeof(*r->local_keys));
        free(r->local_keys);
    }
    sodium_memzero(&r->keys, sizeof(r->keys));
    hn_reports_close(&r->reports);
    hn_journal_deinit(&r->journal);
    hn_stats_free(r->stats);
    hn_hist_pairs_deinit(&r->counters);
    hn_scenario_free(r->scenario);
    free(r->plan);
    if (r->scenario_blob.data)
        msgpack_sbuffer_destroy(&r->scenario_blob);
    hn_chan_frame_free(r->scenario_frame);
    hn_registry_deinit(&r->reg);
}

/* --check: load, summarise, exit; no socket, no worker, no file written. */
static int check_only(const struct hn_master_config *cfg)
{
    struct hn_scenario *s = NULL;
    struct hn_load_info info;
    struct hn_run_plan *plan = calloc(1, sizeof(*plan));
    if (!plan) {
        hn_log_error("out of memory");
        return HN_EXIT_NO_RUN;
    }
    int code = hn_master_scenario(cfg, &s, &info, plan);
    if (!code) {
        hn_scenario_summary(stdout, cfg->scenario_file, s, &info, plan);
        hn_load_info_free(&info);
        hn_scenario_free(s);
    }
    free(plan);
    return code;
}

int hn_run(const struct hn_master_config *cfg)
{
    if (cfg->check)
        return check_only(cfg);
    struct hn_run r = {.cfg = cfg, .exit_code = HN_EXIT_OK};
    hn_registry_init(&r.reg, cfg->max_workers);
    int code = hn_run_setup(&r);
    if (!code) {
        ev_run(r.loop, 0);
        code = r.exit_code;
    }
    hn_run_teardown(&r);
    return code;
}
