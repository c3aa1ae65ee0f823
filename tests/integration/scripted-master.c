/* A minimal master for worker integration tests, written with the proto
 * library: welcomes workers, ships a quick scenario, plays a script of
 * TARGET/STOP/QUIT steps, sums every SNAPSHOT and FINAL, and prints one JSON
 * summary on stdout.
 *
 * Usage: scripted-master --bind EP --workers N [--timeout-ms MS] [--snapshot-ms MS]
 *                        [--run-id ID] [--ends-in-ms MS] --script S URL...
 * --ends-in-ms: every TARGET announces the run's end MS after the workers
 * joined (ends_in_ms). The summary also counts the time-to-first-byte
 * timings that came in SNAPSHOTs and in FINALs, and the SNAPSHOTs that
 * carried phases (workers hold them back: PROTOCOL.md §5).
 * Script: comma-separated steps, run in order:
 *   users=N@R   absolute target of N users at R users/s (0: at once)
 *   await=N     wait until the workers' latest snapshots report N users in
 *               all (bounded by --deadline)
 *   sleep=S     wait S seconds (decimal)
 *   stop=MS     send STOP with that timeout and wait for every FINAL
 *   silence     stop sending anything (heartbeats included) until the end
 *   quit        send QUIT
 * Each URL is one equally weighted GET task. The --timeline file gets a line
 * "MS USERS" per snapshot (ms since the start, users of every worker) and
 * "# target MS USERS RATE" per users= step. */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "chan.h"
#include "clock.h"
#include "model.h"
#include "msg.h"
#include "scenario_codec.h"

#define MAX_WORKERS 16
#define MAX_ROWS 256

struct row {
    char key[HN_PROTO_METHOD_MAX + HN_PROTO_NAME_MAX + HN_PROTO_ERROR_MAX + 3];
    uint64_t count;
};

struct master {
    struct ev_loop *loop;
    struct hn_chan chan;
    char ids[MAX_WORKERS][256];
    size_t id_len[MAX_WORKERS];
    int n_workers, want_workers, finals;
    uint32_t snapshot_ms; /* interval asked of workers in WELCOME */
    const char *run_id;
    bool silent;
    uint64_t target_seq;
    uint64_t next_user_id;         /* next run-wide user id to grant */
    uint32_t granted[MAX_WORKERS]; /* users each worker holds ids for */
    msgpack_sbuffer scenario;
    char *script, *step_next;
    ev_timer step_timer, heartbeat, deadline;
    bool waiting_finals;
    long awaiting_users; /* await=N step under way: N, else -1 */
    uint64_t requests, failures, snapshots, start_ms;
    uint64_t ends_in_ms;                  /* 0: no end announced */
    uint64_t ttfb_snapshots, ttfb_finals; /* TTFB timings that came in each */
    uint64_t phase_snapshots;             /* SNAPSHOTs with any phase histogram */
    struct row entries[MAX_ROWS], errors[MAX_ROWS];
    int n_entries, n_errors;
    FILE *timeline; /* "ms users" per snapshot, worker-summed per second */
    uint32_t users_by_worker[MAX_WORKERS];
};

static void add_row(struct row *rows, int *n, const char *key, uint64_t count)
{
    for (int i = 0; i < *n; i++) {
        if (strcmp(rows[i].key, key) == 0) {
            rows[i].count += count;
            return;
        }
    }
    if (*n < MAX_ROWS) {
        snprintf(rows[*n].key, sizeof(rows[*n].key), "%s", key);
        rows[(*n)++].count = count;
    }
}

static void send_to(struct master *m, int w, const struct hn_msg *msg)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (hn_msg_encode(msg, &buf) == 0)
        hn_chan_send_to(&m->chan, m->ids[w], m->id_len[w], buf.data, buf.size);
    msgpack_sbuffer_destroy(&buf);
}

static void broadcast(struct master *m, const struct hn_msg *msg)
{
    for (int w = 0; w < m->n_workers; w++)
        send_to(m, w, msg);
}

static void run_next_step(struct master *m);

static void on_step_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    run_next_step(t->data);
}

static uint32_t users_now(const struct master *m)
{
    uint32_t total = 0;
    for (int k = 0; k < m->n_workers; k++)
        total += m->users_by_worker[k];
    return total;
}

static void send_target(struct master *m, uint32_t users, double rate)
{
    if (m->timeline)
        fprintf(m->timeline, "# target %llu %u %g\n",
                (unsigned long long)(hn_clock_wall_ms() - m->start_ms), users, rate);
    /* Split users over workers like the real master: largest remainder. */
    for (int w = 0; w < m->n_workers; w++) {
        uint32_t share = users / m->n_workers + ((uint32_t)w < users % m->n_workers);
        /* Run-wide ids for the users a worker may start, as the real master
         * deals them (quick scenarios read no data rows). */
        if (share > m->granted[w]) {
            struct hn_msg grant = {.type = HN_MSG_GRANT};
            grant.grant.first_user_id = m->next_user_id;
            grant.grant.n_ids = share - m->granted[w];
            m->next_user_id += grant.grant.n_ids;
            send_to(m, w, &grant);
        }
        m->granted[w] = share;
        struct hn_msg msg = {.type = HN_MSG_TARGET};
        msg.target.seq = ++m->target_seq;
        msg.target.phase = HN_PHASE_RUN;
        msg.target.model = HN_MODEL_CLOSED;
        msg.target.n_classes = 1;
        msg.target.users[0] = share;
        msg.target.spawn_rate_per_s = rate / m->n_workers;
        msg.target.start_wall_ms = hn_clock_wall_ms();
        if (m->ends_in_ms) {
            uint64_t ran_ms = hn_clock_wall_ms() - m->start_ms;
            msg.target.ends_in_ms = ran_ms < m->ends_in_ms ? m->ends_in_ms - ran_ms : 1;
        }
        send_to(m, w, &msg);
    }
}

static void run_next_step(struct master *m)
{
    char *step = m->step_next;
    if (!step || !*step) {
        ev_break(m->loop, EVBREAK_ALL);
        return;
    }
    char *comma = strchr(step, ',');
    m->step_next = comma ? comma + 1 : step + strlen(step);
    if (comma)
        *comma = '\0';
    unsigned users;
    double rate, secs;
    unsigned long stop_ms;
    if (sscanf(step, "users=%u@%lf", &users, &rate) == 2) {
        send_target(m, users, rate);
    } else if (sscanf(step, "await=%u", &users) == 1) {
        if (users_now(m) != users) {
            m->awaiting_users = users;
            return; /* resumes when a snapshot reports them */
        }
    } else if (sscanf(step, "sleep=%lf", &secs) == 1) {
        ev_timer_set(&m->step_timer, secs, 0);
        ev_timer_start(m->loop, &m->step_timer);
        return;
    } else if (sscanf(step, "stop=%lu", &stop_ms) == 1) {
        struct hn_msg msg = {.type = HN_MSG_STOP};
        msg.stop.timeout_ms = (uint32_t)stop_ms;
        broadcast(m, &msg);
        m->waiting_finals = true;
        return; /* resumes when every FINAL is in */
    } else if (strcmp(step, "silence") == 0) {
        m->silent = true;
    } else if (strcmp(step, "quit") == 0) {
        struct hn_msg msg = {.type = HN_MSG_QUIT};
        broadcast(m, &msg);
    } else {
        fprintf(stderr, "scripted-master: bad step '%s'\n", step);
        exit(2);
    }
    ev_feed_event(m->loop, &m->step_timer, EV_TIMER);
}

static int worker_index(struct master *m, const void *id, size_t len)
{
    for (int w = 0; w < m->n_workers; w++)
        if (m->id_len[w] == len && memcmp(m->ids[w], id, len) == 0)
            return w;
    return -1;
}

static void on_msg(struct hn_chan *c, const void *id, size_t id_len, const void *buf, size_t len,
                   void *user)
{
    (void)c;
    struct master *m = user;
    struct hn_msg msg;
    if (m->silent || hn_msg_decode(buf, len, &msg) != 0)
        return;
    int w = worker_index(m, id, id_len);
    if (msg.type == HN_MSG_HELLO && w < 0 && m->n_workers < MAX_WORKERS && id_len < 256) {
        w = m->n_workers++;
        memcpy(m->ids[w], id, id_len);
        m->id_len[w] = id_len;
        struct hn_msg welcome = {.type = HN_MSG_WELCOME};
        welcome.welcome.worker_index = (uint32_t)w;
        snprintf(welcome.welcome.run_id, sizeof(welcome.welcome.run_id), "%s", m->run_id);
        welcome.welcome.snapshot_interval_ms = m->snapshot_ms;
        send_to(m, w, &welcome);
        struct hn_msg scn = {.type = HN_MSG_SCENARIO};
        scn.scenario.blob = (const uint8_t *)m->scenario.data;
        scn.scenario.blob_len = m->scenario.size;
        scn.scenario.hash = (const uint8_t *)"h";
        scn.scenario.hash_len = 1;
        send_to(m, w, &scn);
        if (m->n_workers == m->want_workers) {
            m->start_ms = hn_clock_wall_ms();
            ev_feed_event(m->loop, &m->step_timer, EV_TIMER);
        }
    } else if (w >= 0 && (msg.type == HN_MSG_SNAPSHOT || msg.type == HN_MSG_FINAL)) {
        struct hn_msg_snapshot *s = &msg.snapshot;
        m->snapshots++;
        bool phases = false;
        for (uint32_t i = 0; i < s->n_entries; i++) {
            for (int k = 0; k < HN_TIMING__COUNT; k++)
                phases |= hn_timing_is_phase(k) && s->entries[i].wire[k].present;
            uint64_t ttfb = s->entries[i].wire[HN_TIMING_TTFB].present
                                ? s->entries[i].wire[HN_TIMING_TTFB].total
                                : 0;
            *(msg.type == HN_MSG_FINAL ? &m->ttfb_finals : &m->ttfb_snapshots) += ttfb;
            char key[sizeof(m->entries[0].key)];
            snprintf(key, sizeof(key), "%s %s", s->entries[i].method, s->entries[i].name);
            add_row(m->entries, &m->n_entries, key, s->entries[i].requests);
            m->requests += s->entries[i].requests;
            m->failures += s->entries[i].failures;
        }
        for (uint32_t i = 0; i < s->n_errors; i++) {
            char key[sizeof(m->errors[0].key)];
            snprintf(key, sizeof(key), "%s %s|%s", s->errors[i].method, s->errors[i].name,
                     s->errors[i].error);
            add_row(m->errors, &m->n_errors, key, s->errors[i].count);
        }
        m->phase_snapshots += phases && msg.type == HN_MSG_SNAPSHOT;
        m->users_by_worker[w] = s->users;
        if (m->timeline)
            fprintf(m->timeline, "%llu %u\n",
                    (unsigned long long)(hn_clock_wall_ms() - m->start_ms), users_now(m));
        if (m->awaiting_users >= 0 && users_now(m) == (uint32_t)m->awaiting_users) {
            m->awaiting_users = -1;
            ev_feed_event(m->loop, &m->step_timer, EV_TIMER);
        }
        if (msg.type == HN_MSG_FINAL && ++m->finals == m->n_workers && m->waiting_finals) {
            m->waiting_finals = false;
            ev_feed_event(m->loop, &m->step_timer, EV_TIMER);
        }
    }
    hn_msg_deinit(&msg);
}

static void on_heartbeat(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct master *m = t->data;
    if (m->silent)
        return;
    struct hn_msg msg = {.type = HN_MSG_HEARTBEAT};
    broadcast(m, &msg);
}

static void on_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    (void)t;
    fprintf(stderr, "scripted-master: deadline reached\n");
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    struct master m = {
        .want_workers = 1, .snapshot_ms = 1000, .run_id = "test-run", .next_user_id = 1,
        .awaiting_users = -1};
    const char *bind = "tcp://127.0.0.1:*", *timeline = NULL;
    uint64_t timeout_ms = 10000;
    double deadline_s = 120;
    static const struct option opts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"workers", required_argument, NULL, 'w'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"script", required_argument, NULL, 's'},
        {"timeline", required_argument, NULL, 'l'},
        {"deadline", required_argument, NULL, 'd'},
        {"snapshot-ms", required_argument, NULL, 'n'},
        {"run-id", required_argument, NULL, 'i'},
        {"ends-in-ms", required_argument, NULL, 'e'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bind = optarg;
            break;
        case 'w':
            m.want_workers = atoi(optarg);
            break;
        case 't':
            timeout_ms = strtoull(optarg, NULL, 10);
            break;
        case 's':
            m.script = strdup(optarg);
            break;
        case 'l':
            timeline = optarg;
            break;
        case 'd':
            deadline_s = atof(optarg);
            break;
        case 'n':
            m.snapshot_ms = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'i':
            m.run_id = optarg;
            break;
        case 'e':
            m.ends_in_ms = strtoull(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    if (!m.script || optind >= argc || m.want_workers < 1 || m.want_workers > MAX_WORKERS) {
        fprintf(stderr, "usage: scripted-master --bind EP --workers N --script S URL...\n");
        return 2;
    }
    m.step_next = m.script;
    struct hn_scenario *s =
        hn_scenario_quick(NULL, (const char *const *)&argv[optind], (size_t)(argc - optind));
    s->timeout_ms = timeout_ms;
    msgpack_sbuffer_init(&m.scenario);
    hn_scenario_encode(s, &m.scenario);
    if (timeline)
        m.timeline = fopen(timeline, "w");

    m.loop = ev_default_loop(0);
    void *zctx = zmq_ctx_new();
    if (hn_chan_router_open(&m.chan, zctx, m.loop, bind, NULL, on_msg, &m) != 0) {
        fprintf(stderr, "scripted-master: cannot bind %s\n", bind);
        return 3;
    }
    char ep[256];
    hn_chan_endpoint(&m.chan, ep, sizeof(ep));
    fprintf(stderr, "scripted-master: listening on %s\n", ep);
    ev_init(&m.step_timer, on_step_timer);
    m.step_timer.data = &m;
    ev_timer_init(&m.heartbeat, on_heartbeat, 1.0, 1.0);
    m.heartbeat.data = &m;
    ev_timer_start(m.loop, &m.heartbeat);
    ev_timer_init(&m.deadline, on_deadline, deadline_s, 0);
    ev_timer_start(m.loop, &m.deadline);
    ev_run(m.loop, 0);

    printf("{\"workers\": %d, \"finals\": %d, \"snapshots\": %llu, \"requests\": %llu, "
           "\"failures\": %llu, \"entries\": {",
           m.n_workers, m.finals, (unsigned long long)m.snapshots, (unsigned long long)m.requests,
           (unsigned long long)m.failures);
    for (int i = 0; i < m.n_entries; i++)
        printf("%s\"%s\": %llu", i ? ", " : "", m.entries[i].key,
               (unsigned long long)m.entries[i].count);
    printf("}, \"ttfb_in_snapshots\": %llu, \"ttfb_in_finals\": %llu, "
           "\"phase_snapshots\": %llu, \"errors\": {",
           (unsigned long long)m.ttfb_snapshots, (unsigned long long)m.ttfb_finals,
           (unsigned long long)m.phase_snapshots);
    for (int i = 0; i < m.n_errors; i++)
        printf("%s\"%s\": %llu", i ? ", " : "", m.errors[i].key,
               (unsigned long long)m.errors[i].count);
    printf("}}\n");
    if (m.timeline)
        fclose(m.timeline);
    /* Let a QUIT just queued reach the workers before the socket closes. */
    int linger_ms = 2000;
    zmq_setsockopt(m.chan.sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    hn_chan_close(&m.chan);
    zmq_ctx_term(zctx);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&m.scenario);
    free(m.script);
    return m.finals == m.n_workers ? 0 : 1;
}
