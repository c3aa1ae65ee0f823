/* libFuzzer target: what the master does with its workers' messages once
 * they are decoded (receive.c hn_run_on_message and what it drives: the
 * registry, HELLO claims and restarts, HEARTBEAT, SNAPSHOT/FINAL checks and
 * report numbers, the limits, the statistics merge, DECLINE, bans), with
 * the run's state machine ticking along (run.c: start, liveness, stop,
 * finish).
 *
 * The run is set up as run_setup.c does (a scenario loaded from YAML and
 * checked, its blob, the limits, the registry, the journal), with a real
 * ROUTER socket (proto/chan.c) bound on inproc: four DEALER peers are
 * connected to it under routing ids "wA".."wD" (their connection is up, as
 * route_alive() probes) and four more routes look like libzmq's own ids
 * ("\0" and a counter) with nobody behind them. What the master sends is
 * read off the peers and dropped. The loop never runs: its timers are
 * fired by the harness as a fake clock passes them.
 *
 * Time: the master reads the monotonic and wall clocks through clock.h and
 * the loop's time through ev_now(); this file defines all of them (the
 * static library's clock.o is then never linked, and the definition here
 * takes precedence over libev's), so that time passes only as the input
 * says, without a real sleep, and every input runs the same way. libsodium
 * draws from a deterministic generator (run ids).
 *
 * Input: a first byte of options (CurveZMQ or not, --expect-workers, a
 * tiny --max-workers or --max-stats-memory), then operations: one byte
 * says which (a message of a given type built from the next bytes by the
 * real encoder, a raw frame, a valid frame with one byte changed, time
 * passing, a signal, the stop deadline, a receive backlog), the next bytes
 * its fields. See make_receive_seeds.c for seeds.
 *
 * Checks besides ASan/UBSan: the merged request total never decreases;
 * when it grows, the frame that made it grow is a SNAPSHOT or FINAL whose
 * request counts it grew by exactly, from a worker that was not thrown out,
 * and whose (run id, report number) was never counted before (unless the
 * worker's process was since told to start afresh: a HELLO with another run
 * id on its connection); every registered worker is found by its identity.
 *
 * Run: fuzz-receive master/fuzz/corpus-receive (HN_FUZZ_LOG=1 shows the
 * master's log). */
#include <ev.h>
#include <fcntl.h>
#include <msgpack.h>
#include <signal.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "clock.h"
#include "exitcodes.h"
#include "hist.h"
#include "log.h"
#include "msg.h"
#include "run_internal.h"
#include "scenario.h"
#include "scenario_codec.h"

/* --- fake clocks -------------------------------------------------------- */

static double fake_s = 1000.0; /* monotonic seconds */
#define WALL_BASE_MS UINT64_C(1767225600000)
#define LOOP_OFFSET_S 50000.0 /* the loop's time has another origin */

uint64_t hn_clock_mono_ns(void)
{
    return (uint64_t)(fake_s * 1e9);
}

uint64_t hn_clock_mono_us(void)
{
    return (uint64_t)(fake_s * 1e6);
}

double hn_clock_mono_s(void)
{
    return fake_s;
}

uint64_t hn_clock_wall_ms(void)
{
    return WALL_BASE_MS + (uint64_t)(fake_s * 1000.0);
}

ev_tstamp ev_now(struct ev_loop *loop)
{
    (void)loop;
    return fake_s + LOOP_OFFSET_S;
}

/* --- deterministic randomness for libsodium ------------------------------ */

static uint64_t rng_state = 1;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static const char *rng_name(void)
{
    return "fuzz";
}

static void rng_buf(void *const buf, const size_t size)
{
    for (size_t i = 0; i < size; i++)
        ((uint8_t *)buf)[i] = (uint8_t)rng_next();
}

static randombytes_implementation rng_impl = {
    .implementation_name = rng_name, .random = rng_next, .buf = rng_buf};

/* --- shared, built once ---------------------------------------------------- */

static const char scenario_yaml[] =
    "host: http://127.0.0.1:1\n"
    "thresholds:\n"
    "  - \"p(95) < 500ms\"\n"
    "  - {expr: \"error_rate < 50%\", abort_on_fail: true, delay: 3s}\n"
    "users:\n"
    "  - name: a\n"
    "    weight: 3\n"
    "    tasks:\n"
    "      - get: /a\n"
    "      - post: /b\n"
    "        name: /b/[id]\n"
    "        body: x\n"
    "  - name: c\n"
    "    weight: 1\n"
    "    tasks:\n"
    "      - get: /c\n";

/* Names a SNAPSHOT may use: the scenario's, then some that are not. */
static const char *const methods[] = {"GET", "POST", "GET", "GET", "PUT", "GET /a", ""};
static const char *const names[] = {"/a", "/b/[id]", "/c", "/zzz", "/a", "x", "/b/[id]"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

#define N_PEERS 4  /* connected routes */
#define N_ROUTES 8 /* and as many with nobody behind */
#define N_KEYS 5
#define N_HISTS 4

static struct {
    struct hn_master_config cfg;
    struct hn_scenario *scenario;
    struct hn_run_plan plan;
    msgpack_sbuffer blob;
    uint8_t hash[32];
    struct hn_chan_frame *scenario_frame; /* the SCENARIO, encoded once (run_setup.c) */
    struct hn_limits limits;
    struct hn_hist_pairs counters;
    struct ev_loop *loop;
    void *zctx;
    struct hn_chan router;
    void *peers[N_PEERS];
    struct hn_curve_allow shared;
    struct hn_hist *hists[N_HISTS];
    char keys[N_KEYS][HN_CURVE_KEY_Z85_LEN + 1];
} g;

static void die(const char *what)
{
    dprintf(2, "fuzz-receive: %s\n", what); /* stderr may be /dev/null */
    abort();
}

static void route_of(unsigned slot, uint8_t *out, size_t *len)
{
    slot %= N_ROUTES;
    if (slot < N_PEERS) {
        out[0] = 'w';
        out[1] = (uint8_t)('A' + slot);
        *len = 2;
    } else { /* libzmq's form: a zero byte and a counter */
        uint8_t id[5] = {0, 0, 0, 0, (uint8_t)(slot - N_PEERS + 1)};
        memcpy(out, id, sizeof(id));
        *len = sizeof(id);
    }
}

static void load_scenario(void)
{
    char path[] = "/tmp/fuzz-receive-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 ||
        write(fd, scenario_yaml, sizeof(scenario_yaml) - 1) != (ssize_t)(sizeof(scenario_yaml) - 1))
        die("cannot write the scenario");
    close(fd);
    char *argv[] = {"hornet-master",
                    "-f",
                    path,
                    "-u",
                    "9",
                    "-r",
                    "3",
                    "-t",
                    "10s",
                    "-s",
                    "2s",
                    "--expect-workers",
                    "2",
                    "--max-workers",
                    "6",
                    NULL};
    int code;
    if (!hn_cli_parse((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv, &g.cfg, &code))
        die("bad command line");
    g.cfg.only_summary = true;
    g.cfg.bind = "inproc://fuzz-receive";
    code = hn_master_scenario(&g.cfg, &g.scenario, NULL, &g.plan);
    unlink(path);
    if (code)
        die("cannot load the scenario");
    g.cfg.scenario_file = NULL;
    msgpack_sbuffer_init(&g.blob);
    if (hn_scenario_encode(g.scenario, &g.blob))
        die("cannot encode the scenario");
    crypto_generichash(g.hash, sizeof(g.hash), (const unsigned char *)g.blob.data, g.blob.size,
                       NULL, 0);
    struct hn_msg m = {.type = HN_MSG_SCENARIO};
    m.scenario.blob = (const uint8_t *)g.blob.data;
    m.scenario.blob_len = g.blob.size;
    m.scenario.hash = g.hash;
    m.scenario.hash_len = sizeof(g.hash);
    msgpack_sbuffer frame;
    msgpack_sbuffer_init(&frame);
    if (hn_msg_encode(&m, &frame) || hn_chan_frame_new(frame.data, frame.size, &g.scenario_frame))
        die("cannot encode the SCENARIO");
    msgpack_sbuffer_destroy(&frame);
    if (hn_limits_init(&g.limits, g.scenario) ||
        hn_hist_pairs_init(&g.counters, HN_MSG_COUNTERS_MAX))
        die("out of memory");
}

static void open_sockets(void)
{
    g.loop = ev_loop_new(EVFLAG_AUTO);
    g.zctx = zmq_ctx_new();
    if (!g.loop || !g.zctx)
        die("no loop or context");
    if (hn_chan_router_open(&g.router, g.zctx, g.loop, g.cfg.bind, NULL, hn_run_on_message, NULL))
        die("cannot bind");
    for (unsigned i = 0; i < N_PEERS; i++) {
        uint8_t id[8];
        size_t len;
        route_of(i, id, &len);
        int zero = 0;
        if (!(g.peers[i] = zmq_socket(g.zctx, ZMQ_DEALER)) ||
            zmq_setsockopt(g.peers[i], ZMQ_ROUTING_ID, id, len) ||
            zmq_setsockopt(g.peers[i], ZMQ_LINGER, &zero, sizeof(zero)) ||
            zmq_connect(g.peers[i], g.cfg.bind))
            die("cannot connect a peer");
        /* Until the ROUTER has attached the peer (it does when it next
         * processes its commands). */
        for (int tries = 0; hn_chan_send_to(&g.router, id, len, "", 0) != 0; tries++) {
            if (tries > 1000)
                die("a peer never came up");
            usleep(1000);
        }
    }
}

static void drain_peers(void)
{
    char buf[64];
    for (unsigned i = 0; i < N_PEERS; i++)
        while (zmq_recv(g.peers[i], buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
            ;
}

static void init_once(void)
{
    /* Quiet, unless HN_FUZZ_LOG is set: the log, and what the run prints
     * on stderr itself at its end (libFuzzer keeps the stderr it started
     * with for its own output; sanitizers write to fd 2). */
    int null_fd = getenv("HN_FUZZ_LOG") ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd >= 0) {
        hn_log_set_fd(null_fd);
        FILE *null_file = fdopen(null_fd, "w");
        if (null_file)
            stderr = null_file;
    } else {
        hn_log_set_level(HN_LOG_DEBUG);
    }
    randombytes_set_implementation(&rng_impl);
    if (sodium_init() < 0)
        die("no libsodium");
    load_scenario();
    open_sockets();
    drain_peers();
    /* Keys: made up (the ZAP handler is not there to check them); the
     * last two are shared (--allow-shared-key). */
    for (unsigned k = 0; k < N_KEYS; k++) {
        for (unsigned i = 0; i < HN_CURVE_KEY_Z85_LEN; i++)
            g.keys[k][i] = (char)('a' + (k * 7 + i) % 26);
        if (k >= N_KEYS - 2 && hn_curve_allow_add(&g.shared, g.keys[k]))
            die("cannot share a key");
    }
    /* Narrow ones mostly: the master's per-second windows walk the buckets
     * between the lowest and the highest value. */
    static const uint64_t values[N_HISTS][3] = {
        {1000, 0, 0}, {2000, 2100, 2400}, {50, 50, 57}, {300, 1, 150000}};
    for (unsigned i = 0; i < N_HISTS; i++) {
        if (!(g.hists[i] = hn_hist_new()))
            die("out of memory");
        for (unsigned v = 0; v < 3; v++)
            if (values[i][v])
                hn_hist_record_n(g.hists[i], values[i][v], i + v + 1);
    }
}

/* --- the input ----------------------------------------------------------- */

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint32_t u16(struct input *in)
{
    uint32_t hi = u8(in);
    return hi << 8 | u8(in);
}

static uint64_t u32(struct input *in)
{
    uint64_t hi = u16(in);
    return hi << 16 | u16(in);
}

/* --- the run -------------------------------------------------------------- */

static struct hn_run *run;
static double next_tick, next_watch;
static double started_seen, stop_seen_at; /* run's start and stop the harness saw */

/* What the harness knows of one route: the run id its process was last
 * welcomed with (the master's reply is not read: the registry says). */
static char stale_run_id[N_ROUTES][HN_PROTO_ID_MAX + 1];
static uint64_t worker_clock_ms[N_ROUTES];

/* Report numbers counted, by run id. */
#define COUNTED_MAX 4096
static struct counted {
    char run_id[HN_PROTO_ID_MAX + 1];
    uint64_t seq;
} counted[COUNTED_MAX];
static size_t n_counted;

/* --max-stats-memory's least: runs out within a few snapshots */
#define SMALL_STATS_MEMORY (1u << 20)

static void run_new(uint8_t opts)
{
    struct hn_run *r = run = calloc(1, sizeof(*r));
    static struct hn_master_config cfg;
    if (!r)
        die("out of memory");
    cfg = g.cfg;
    cfg.expect_workers = 1 + (opts >> 1) % 3;
    if (opts & 0x08)
        cfg.max_workers = 2;
    if (opts & 0x10)
        cfg.max_stats_memory = SMALL_STATS_MEMORY;
    if (opts & 0x20)
        cfg.expect_wait_ms = 5000;
    if (opts & 0x40)
        cfg.exit_code_on_error = 0;
    r->cfg = &cfg;
    r->exit_code = HN_EXIT_OK;
    hn_registry_init(&r->reg, cfg.max_workers);
    r->scenario = g.scenario;
    r->plan = &g.plan;
    r->scenario_blob = g.blob;
    memcpy(r->scenario_hash, g.hash, sizeof(r->scenario_hash));
    r->scenario_frame = g.scenario_frame;
    for (uint32_t c = 0; c < g.scenario->n_classes; c++)
        r->class_weights[c] = g.scenario->classes[c].weight;
    hn_dealer_init(&r->dealer);
    snprintf(r->run_id, sizeof(r->run_id), "1767225600-fuzz");
    r->loop = g.loop;
    r->zctx = g.zctx;
    if (hn_journal_init(&r->journal))
        die("no journal");
    r->limits = g.limits;
    r->counters = g.counters;
    r->curve = opts & 1;
    r->shared = g.shared;
    r->chan = (struct hn_chan){.sock = g.router.sock,
                               .loop = g.loop,
                               .is_router = true,
                               .on_router_msg = hn_run_on_message,
                               .user = r};
    /* init_watchers, without the signals (libFuzzer's own) */
    ev_timer_init(&r->tick, hn_run_on_tick, 1.0, 1.0);
    ev_timer_init(&r->watch, hn_run_on_watch, HN_LAG_WATCH_S, HN_LAG_WATCH_S);
    ev_timer_init(&r->console, hn_run_on_console, 2.0, 2.0);
    ev_init(&r->wait_deadline, hn_run_on_wait_deadline);
    ev_init(&r->stop_deadline, hn_run_on_stop_deadline);
    ev_init(&r->stage, hn_run_on_stage);
    ev_init(&r->run_end, hn_run_on_run_end);
    ev_signal_init(&r->sigint, hn_run_on_signal, SIGINT);
    r->tick.data = r->watch.data = r->console.data = r->wait_deadline.data = r;
    r->stop_deadline.data = r->stage.data = r->run_end.data = r->sigint.data = r;
    next_tick = fake_s + 1.0;
    next_watch = fake_s + HN_LAG_WATCH_S;
    started_seen = stop_seen_at = 0;
    memset(stale_run_id, 0, sizeof(stale_run_id));
    memset(worker_clock_ms, 0, sizeof(worker_clock_ms));
    n_counted = 0;
}

static void run_free(void)
{
    struct hn_run *r = run;
    ev_timer *timers[] = {&r->tick,          &r->watch, &r->console, &r->wait_deadline,
                          &r->stop_deadline, &r->stage, &r->run_end};
    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
        ev_timer_stop(g.loop, timers[i]);
    hn_reports_close(&r->reports);
    hn_journal_deinit(&r->journal);
    hn_stats_free(r->stats);
    hn_registry_deinit(&r->reg);
    free(r);
    run = NULL;
}

/* Fire what the loop would have fired by now. */
static void timers_due(void)
{
    struct hn_run *r = run;
    if (r->started_at != started_seen) { /* hn_run_start restarted the tick */
        started_seen = r->started_at;
        next_tick = r->started_at - LOOP_OFFSET_S + 1.0;
    }
    if (r->state == HN_RUN_STOPPING && !stop_seen_at)
        stop_seen_at = fake_s;
    if (r->state == HN_RUN_STOPPING &&
        fake_s >=
            stop_seen_at + (double)(r->cfg->stop_timeout_ms + HN_RUN_FINAL_MARGIN_MS) / 1000.0)
        hn_run_on_stop_deadline(g.loop, &r->stop_deadline, 0);
    while (r->state != HN_RUN_DONE && next_watch <= fake_s) {
        hn_run_on_watch(g.loop, &r->watch, 0);
        next_watch += r->watch.repeat; /* closer after a stall (lag.h) */
        if (next_watch < fake_s)       /* overdue: once more now, as libev does */
            next_watch = fake_s;
    }
    while (r->state != HN_RUN_DONE && next_tick <= fake_s) {
        hn_run_on_tick(g.loop, &r->tick, 0);
        next_tick += 1.0;
        if (r->state == HN_RUN_RUNNING && ev_is_active(&r->stage))
            hn_run_on_stage(g.loop, &r->stage, 0);
    }
    double now = ev_now(g.loop);
    if (r->state == HN_RUN_RUNNING && g.plan.run_time_ms &&
        now >= r->started_at + (double)g.plan.run_time_ms / 1000.0)
        hn_run_on_run_end(g.loop, &r->run_end, 0);
    if (r->state == HN_RUN_WAITING && r->cfg->expect_wait_ms &&
        now - LOOP_OFFSET_S >= 1000.0 + (double)r->cfg->expect_wait_ms / 1000.0)
        hn_run_on_wait_deadline(g.loop, &r->wait_deadline, 0);
}

/* Time passes: smoothly (the watch timer every 100 ms), or in one jump
 * (the master stalled: the liveness clock skips it). */
static void pass_time(double s, bool stall)
{
    if (stall) {
        fake_s += s;
        next_watch = fake_s; /* the watch fires late, once */
    } else {
        double end = fake_s + s;
        while (fake_s < end && run->state != HN_RUN_DONE) {
            double step = end - fake_s < 0.1 ? end - fake_s : 0.1;
            fake_s += step;
            timers_due();
        }
        fake_s = end;
    }
    if (run->state != HN_RUN_DONE)
        timers_due();
}

/* --- invariants ------------------------------------------------------------ */

static uint64_t total_requests(void)
{
    return run->stats ? hn_stats_total_requests(run->stats) : 0;
}

/* Phase timings merged so far, over the rows: a report may carry phases
 * and no requests (its requests came in earlier ones). */
static uint64_t total_phase_timings(void)
{
    uint64_t n = 0;
    for (size_t i = 0; run->stats && i < hn_stats_entry_count(run->stats); i++) {
        struct hn_stats_totals t;
        hn_stats_totals(hn_stats_entry_at(run->stats, i), &t);
        for (int k = 0; k < HN_TIMING__COUNT; k++)
            if (hn_timing_is_phase(k) && t.timing[k])
                n += t.timing[k]->total;
    }
    return n;
}

static bool was_counted(const char *run_id, uint64_t seq)
{
    for (size_t i = 0; i < n_counted; i++)
        if (counted[i].seq == seq && strcmp(counted[i].run_id, run_id) == 0)
            return true;
    return false;
}

static void forget_counted(const char *run_id)
{
    for (size_t i = 0; i < n_counted;)
        if (strcmp(counted[i].run_id, run_id) == 0)
            counted[i] = counted[--n_counted];
        else
            i++;
}

static void check_registry(void)
{
    struct hn_registry *reg = &run->reg;
    for (uint32_t i = 0; i < reg->n; i++) {
        struct hn_worker *w = &reg->workers[i];
        if (w->index != i || hn_registry_find_identity(reg, w->identity) != w)
            die("a registered worker is not found by its identity");
        struct hn_worker *on = hn_registry_find_route(reg, w->route, w->route_len);
        if (!on || on->route_len != w->route_len || memcmp(on->route, w->route, w->route_len))
            die("a registered worker's route finds no worker on it");
        /* One worker per connection (receive.c on_hello) */
        for (uint32_t j = 0; j < i; j++)
            if (reg->workers[j].route_len == w->route_len &&
                memcmp(reg->workers[j].route, w->route, w->route_len) == 0)
                die("two workers on one connection");
        /* What it surely holds ids for is never more than what it was
         * dealt (grant_ledger.h): a lost GRANT is dealt again */
        for (uint32_t c = 0; c < HN_PROTO_CLASSES_MAX; c++)
            if (w->grants.sure[c] > w->granted[c])
                die("a worker surely holds more ids than it was dealt");
    }
}

/* Deliver one frame from @slot's route, as the channel does, and check what
 * it did to the totals. */
static void deliver(unsigned slot, const void *buf, size_t len, int key)
{
    struct hn_run *r = run;
    uint8_t route[8];
    size_t route_len;
    route_of(slot, route, &route_len);
    r->chan.peer_user_id = r->curve && key >= 0 ? g.keys[key % N_KEYS] : NULL;
    struct hn_worker *w = hn_registry_find_route(&r->reg, route, route_len);
    bool banned = w && w->banned;
    struct hn_msg m;
    memset(&m, 0, sizeof(m));
    uint32_t type, version;
    bool decoded = false;
    if (w && hn_msg_peek(buf, len, &type, &version) == 0 && type == HN_MSG_HELLO) {
        decoded = hn_msg_decode(buf, len, &m) == 0;
        if (decoded && strcmp(m.hello.run_id, w->run_id) != 0)
            forget_counted(w->run_id); /* its process starts afresh (receive.c on_hello) */
    }
    const struct hn_stats *stats = r->stats;
    uint64_t before = total_requests(), phases_before = total_phase_timings();
    hn_run_on_message(&r->chan, route, route_len, buf, len, r);
    r->chan.peer_user_id = NULL;
    drain_peers();
    uint64_t after = total_requests(), phases_after = total_phase_timings();
    if (r->stats == stats && (after < before || phases_after < phases_before))
        die("the request or phase total went down");
    if (r->stats == stats && (after > before || phases_after > phases_before)) {
        if (decoded)
            hn_msg_deinit(&m);
        decoded = hn_msg_decode(buf, len, &m) == 0;
        if (!decoded || (m.type != HN_MSG_SNAPSHOT && m.type != HN_MSG_FINAL))
            die("the total grew on a frame that is no SNAPSHOT or FINAL");
        if (banned)
            die("a worker thrown out of the run was counted");
        uint64_t sum = 0, phase_sum = 0;
        for (uint32_t i = 0; i < m.snapshot.n_entries; i++) {
            sum += m.snapshot.entries[i].requests;
            for (int k = 0; k < HN_TIMING__COUNT; k++)
                if (hn_timing_is_phase(k) && m.snapshot.entries[i].wire[k].present)
                    phase_sum += m.snapshot.entries[i].wire[k].total;
        }
        /* All of it; or, when the store ran out of memory, the entries
         * before the one that failed (stats.h), and the run fails. */
        bool short_of_memory =
            r->state == HN_RUN_DONE && r->cfg->max_stats_memory == SMALL_STATS_MEMORY;
        if (after - before > sum || (after - before != sum && !short_of_memory))
            die("the total grew by another amount than the report's");
        if (phases_after - phases_before > phase_sum ||
            (phases_after - phases_before != phase_sum && !short_of_memory))
            die("the phase timings grew by another amount than the report's");
        if (was_counted(m.snapshot.run_id, m.snapshot.seq))
            die("a report number was counted twice");
        if (n_counted < COUNTED_MAX) {
            snprintf(counted[n_counted].run_id, sizeof(counted[n_counted].run_id), "%s",
                     m.snapshot.run_id);
            counted[n_counted++].seq = m.snapshot.seq;
        }
    }
    if (decoded)
        hn_msg_deinit(&m);
    check_registry();
    w = hn_registry_find_route(&r->reg, route, route_len);
    if (w && strcmp(w->run_id, stale_run_id[slot % N_ROUTES]) != 0 && w->run_id[0])
        snprintf(stale_run_id[slot % N_ROUTES], sizeof(stale_run_id[0]), "%s", w->run_id);
}

/* --- messages built from the input ------------------------------------------ */

static const char *const worker_ids[] = {"w0", "w1", "w2", "w3", "w0", "a-much-longer-id-\xc3\xa9"};

/* A run id: the one the route's worker has (most often), another worker's,
 * the one the route had before, none, or a wrong one. */
static void pick_run_id(struct input *in, unsigned slot, char *out, size_t cap)
{
    uint8_t b = u8(in);
    uint8_t route[8];
    size_t len;
    route_of(slot, route, &len);
    struct hn_worker *w = hn_registry_find_route(&run->reg, route, len);
    switch (b % 8) {
    case 0:
    case 1:
    case 2:
    case 3:
        snprintf(out, cap, "%s", w ? w->run_id : "");
        break;
    case 4:
        snprintf(out, cap, "%s", run->reg.n ? run->reg.workers[(b >> 3) % run->reg.n].run_id : "");
        break;
    case 5:
        snprintf(out, cap, "%s", stale_run_id[(b >> 3) % N_ROUTES]);
        break;
    case 6:
        out[0] = '\0';
        break;
    default:
        snprintf(out, cap, "%s/x", run->run_id);
        break;
    }
}

static int build_hello(struct input *in, unsigned slot, struct hn_msg *m)
{
    uint8_t b = u8(in);
    m->type = HN_MSG_HELLO;
    struct hn_msg_hello *h = &m->hello;
    snprintf(h->worker_id, sizeof(h->worker_id), "%s",
             worker_ids[(b & 0x0f) % (sizeof(worker_ids) / sizeof(worker_ids[0]))]);
    snprintf(h->hostname, sizeof(h->hostname), "host%u", (b >> 4) & 3);
    h->pid = u8(in);
    snprintf(h->version, sizeof(h->version), "0.fuzz");
    h->cpus = 1 + (b >> 6);
    h->capacity = u8(in) % 16;
    pick_run_id(in, slot, h->run_id, sizeof(h->run_id));
    return 0;
}

static int build_heartbeat(struct input *in, struct hn_msg *m)
{
    uint8_t b = u8(in);
    m->type = HN_MSG_HEARTBEAT;
    m->heartbeat.state = (enum hn_worker_state)(b % HN_WSTATE__COUNT);
    m->heartbeat.users = b & 0x80 ? u8(in) : (b >> 3) & 7;
    m->heartbeat.cpu_permille = u16(in) % 4000;
    m->heartbeat.rss_bytes = (uint64_t)u8(in) << 20;
    m->heartbeat.loop_lag_ms = b & 0x40 ? u16(in) : 0;
    m->heartbeat.grants = u8(in) % 8; /* small: often what was sent */
    return 0;
}

/* Entries, errors and exceptions point into these until encoded. */
static struct hn_msg_entry entries[4];
static struct hn_msg_error errors[3];
static struct hn_msg_exception exceptions[2];

static int build_snapshot(struct input *in, unsigned slot, bool final, struct hn_msg *m)
{
    uint8_t b = u8(in);
    m->type = final ? HN_MSG_FINAL : HN_MSG_SNAPSHOT;
    struct hn_msg_snapshot *s = &m->snapshot;
    pick_run_id(in, slot, s->run_id, sizeof(s->run_id));
    uint8_t route[8];
    size_t len;
    route_of(slot, route, &len);
    struct hn_worker *w = hn_registry_find_route(&run->reg, route, len);
    uint64_t last = w ? w->snap_seq : 0;
    uint8_t q = u8(in);
    switch (q % 8) {
    case 0:
    case 1:
    case 2:
    case 3:
        s->seq = last + 1;
        break;
    case 4:
        s->seq = last + 1 + (q >> 3); /* some lost */
        break;
    case 5:
        s->seq = last > (q >> 3) ? last - (q >> 3) : last; /* sent again */
        break;
    case 6:
        s->seq = q >> 3; /* 0 too */
        break;
    default:
        s->seq = u32(in) << (q >> 3 & 31); /* ahead of the run */
        break;
    }
    /* Its own clock: about the master's, set back or forward at times. */
    uint64_t *clock = &worker_clock_ms[slot % N_ROUTES];
    uint64_t skew_ms = (uint64_t)u16(in) * 100; /* 0x8000: none */
    if (!*clock || (b & 0x80))
        *clock = hn_clock_wall_ms() + skew_ms - 3276800;
    else
        *clock += 1000;
    s->interval_end_ms = *clock;
    s->interval_start_ms = *clock - 1000;
    s->users = u8(in);
    s->dropped = b & 0x40 ? u8(in) : 0;
    s->n_entries = b & 3;
    s->n_errors = (b >> 2) % 3;
    s->n_exceptions = (b >> 4) & 1;
    s->entries = entries;
    s->errors = errors;
    s->exceptions = exceptions;
    memset(entries, 0, sizeof(entries));
    memset(errors, 0, sizeof(errors));
    memset(exceptions, 0, sizeof(exceptions));
    for (uint32_t i = 0; i < s->n_entries; i++) {
        struct hn_msg_entry *e = &entries[i];
        uint8_t x = u8(in);
        unsigned n = x % N_NAMES;
        /* the scenario's names most of the time */
        if ((x & 0x80) == 0)
            n %= 3;
        snprintf(e->method, sizeof(e->method), "%s", methods[n]);
        snprintf(e->name, sizeof(e->name), "%s", names[n]);
        uint8_t y = u8(in);
        if (y & 0x80) { /* no requests: no timing, or phases held from earlier reports */
            e->requests = 0;
            if (y & 0x40)
                e->hist[HN_TIMING_TTFB] = g.hists[y % N_HISTS];
        } else {
            const struct hn_hist *h = g.hists[y % N_HISTS];
            e->hist[HN_TIMING_TOTAL] = h;
            e->requests = h->total;
            if (y & 0x10)
                e->hist[HN_TIMING_TTFB] = h;
            if (y & 0x20)
                e->hist[HN_TIMING_INTENDED] = h;
            if (y & 0x40) /* a phase: may count more than this report's requests */
                e->hist[HN_TIMING_DNS] = g.hists[(y >> 2) % N_HISTS];
        }
        uint8_t f = u8(in);
        e->failures = f & 0x80 ? e->requests + (f & 1) : (f & 0x7f) % (e->requests + 1);
        e->bytes_received = f & 0x40 ? (uint64_t)u32(in) << 20 : u16(in);
    }
    for (uint32_t i = 0; i < s->n_errors; i++) {
        struct hn_msg_error *r = &errors[i];
        uint8_t x = u8(in);
        unsigned n = x % N_NAMES;
        if ((x & 0x80) == 0 && s->n_entries)
            n = x % s->n_entries; /* one of the message's entries (by index) */
        if ((x & 0x80) == 0 && s->n_entries) {
            snprintf(r->method, sizeof(r->method), "%s", entries[n].method);
            snprintf(r->name, sizeof(r->name), "%s", entries[n].name);
        } else {
            snprintf(r->method, sizeof(r->method), "%s", methods[n]);
            snprintf(r->name, sizeof(r->name), "%s", names[n]);
        }
        snprintf(r->error, sizeof(r->error), "error %u", (x >> 4) & 3);
        uint8_t c = u8(in);
        r->count = c & 0x80 ? (uint64_t)u32(in) << (c & 31) : 1 + (c & 7);
    }
    for (uint32_t i = 0; i < s->n_exceptions; i++) {
        snprintf(exceptions[i].message, sizeof(exceptions[i].message), "exception %u", u8(in) & 3);
        exceptions[i].count = 1 + (u8(in) & 3);
    }
    return 0;
}

static int build_decline(struct input *in, unsigned slot, struct hn_msg *m)
{
    m->type = HN_MSG_DECLINE;
    pick_run_id(in, slot, m->decline.run_id, sizeof(m->decline.run_id));
    snprintf(m->decline.reason, sizeof(m->decline.reason), "cannot %u", u8(in));
    return 0;
}

/* A message only the master sends: a worker must not, and is ignored. */
static int build_other(struct input *in, struct hn_msg *m)
{
    static const enum hn_msg_type types[] = {HN_MSG_WELCOME, HN_MSG_REJECT, HN_MSG_STOP,
                                             HN_MSG_QUIT, HN_MSG_TARGET};
    memset(m, 0, sizeof(*m));
    m->type = types[u8(in) % (sizeof(types) / sizeof(types[0]))];
    if (m->type == HN_MSG_TARGET) {
        m->target.n_classes = 1;
        m->target.users[0] = 1;
    }
    return 0;
}

/* Build a message of kind @kind for @slot into @buf. 0 or an error. */
static int build(struct input *in, unsigned kind, unsigned slot, msgpack_sbuffer *buf)
{
    struct hn_msg m;
    memset(&m, 0, sizeof(m));
    switch (kind) {
    case 0:
        build_hello(in, slot, &m);
        break;
    case 1:
        build_heartbeat(in, &m);
        break;
    case 2:
        build_snapshot(in, slot, false, &m);
        break;
    case 3:
        build_snapshot(in, slot, true, &m);
        break;
    case 4:
        build_decline(in, slot, &m);
        break;
    default:
        build_other(in, &m);
        break;
    }
    return hn_msg_encode(&m, buf);
}

/* --- the target --------------------------------------------------------- */

/* Operations per input at most: a run costs some milliseconds already (its
 * statistics store, every second's windows), a longer input is no better. */
#define OPS_MAX 400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g.loop)
        init_once();
    struct input in = {data, size};
    fake_s = 1000.0;
    rng_state = 0x9e3779b97f4a7c15u;
    run_new(u8(&in));
    /* At most one batch of messages after the run is done (the loop ends
     * after the batch it was in). */
    unsigned after_done = 0;
    unsigned ops = 0;
    while (in.n && after_done < HN_CHAN_BATCH && ops++ < OPS_MAX) {
        uint8_t op = u8(&in);
        unsigned slot = op >> 4 & 7;
        int key = run->curve ? (int)(u8(&in) % (N_KEYS + 1)) - 1 : -1;
        bool done = run->state == HN_RUN_DONE;
        after_done += done;
        switch (op & 0x0f) {
        case 0:   /* HELLO */
        case 1:   /* HEARTBEAT */
        case 2:   /* SNAPSHOT */
        case 3:   /* SNAPSHOT */
        case 4:   /* FINAL */
        case 5:   /* DECLINE */
        case 6:   /* a master's message */
        case 7: { /* a valid frame with one byte changed */
            unsigned kind = (op & 0x0f) == 7 ? u8(&in) % 7 : (op & 0x0f);
            kind = kind >= 3 ? kind - 1 : kind; /* 2 and 3: SNAPSHOT */
            msgpack_sbuffer buf;
            msgpack_sbuffer_init(&buf);
            if (build(&in, kind, slot, &buf) == 0) {
                if ((op & 0x0f) == 7 && buf.size) {
                    size_t at = u16(&in) % buf.size;
                    buf.data[at] ^= (char)(u8(&in) | 1);
                }
                deliver(slot, buf.data, buf.size, key);
            }
            msgpack_sbuffer_destroy(&buf);
            break;
        }
        case 8: { /* raw bytes */
            size_t len = u8(&in);
            if (len > in.n)
                len = in.n;
            deliver(slot, in.p, len, key);
            in.p += len, in.n -= len;
            break;
        }
        case 9: /* up to 2.55 s pass */
        case 10:
            if (!done)
                pass_time(u8(&in) / 100.0, false);
            break;
        case 11: /* the master stalls for up to 25.5 s */
            if (!done)
                pass_time(u8(&in) / 10.0, true);
            break;
        case 12: /* a receive backlog: messages waited this long */
            run->chan.backlog_since = u8(&in) ? fake_s - u8(&in) / 10.0 : 0;
            break;
        case 13: /* Ctrl-C */
            if (!done)
                hn_run_on_signal(g.loop, &run->sigint, 0);
            break;
        case 14: /* the stop deadline */
            if (!done && run->state == HN_RUN_STOPPING)
                hn_run_on_stop_deadline(g.loop, &run->stop_deadline, 0);
            break;
        default: /* many seconds pass (ticks, liveness, the run's end) */
            if (!done)
                pass_time(1.0 + (u8(&in) & 31), false);
            break;
        }
        drain_peers();
    }
    run_free();
    return 0;
}
