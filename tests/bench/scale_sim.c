/* Simulated workers of the master-scale benchmark (see scale_sim.h). The
 * snapshots are encoded once per variant at start-up and only framed per
 * send (seq, times, run id), so that the simulator costs little next to the
 * master it measures; every thread runs an event heap of periodic sends and
 * an epoll set of its sockets' ZMQ_FDs. */
#include "scale_sim.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "report_phases.h"
#include "error.h"
#include "hist.h"
#include "hist_codec.h"
#include "msg.h"

#define NS_PER_S UINT64_C(1000000000)
#define LATE_NS (100 * UINT64_C(1000000))
/* Requests per entry per snapshot, on average: a worker doing 20 x 200
 * requests a second over 20 names. */
#define REQUESTS_PER_ENTRY 200u

/* Reports that carry phases hold one of these lengths of them in seconds
 * (the first at or above the seconds a worker held them since its last
 * such report): one before the end (report_phases.h), up to
 * HN_PROTO_PHASES_EVERY at a worker's turn. */
static const uint32_t hold_s[] = {1, 10, 20, 30, 40, 50, HN_PROTO_PHASES_EVERY};
#define HOLDS (sizeof(hold_s) / sizeof(hold_s[0]))

/* One snapshot's entries, encoded (a msgpack array of entries): without
 * the phases, and with them (a report that carries them) for each length
 * of time held. */
struct variant {
    uint8_t *entries; /* msgpack bytes */
    size_t entries_len;
    uint8_t *with_phases[HOLDS]; /* [i]: hold_s[i] seconds held */
    size_t with_phases_len[HOLDS];
    uint64_t counts[SCALE_ENTRIES_MAX];
    uint32_t total_buckets_min, total_buckets_max;
};

enum wstate { W_IDLE, W_HELLO, W_WELCOMED, W_RUNNING, W_STOPPED, W_QUIT };
enum ev_kind { EV_CONNECT, EV_HEARTBEAT, EV_SNAPSHOT };

struct sim_worker {
    void *sock;
    uint32_t index;
    enum wstate state;
    uint64_t seq;
    uint64_t interval_start_ms;
    uint32_t targets;
    bool loaded;           /* got the SCENARIO: says LOADED, as a worker does */
    uint64_t heartbeat_ns; /* when the last HEARTBEAT went */
    uint64_t end_ns;       /* the run's end its TARGETs announced (monotonic); 0: none */
    uint64_t phases_seq;   /* the last report that carried phases; 0: none yet */
    uint32_t grants;       /* GRANTs received, said in HEARTBEATs as a worker does */
    char run_id[HN_PROTO_ID_MAX + 1];
};

struct event {
    uint64_t due_ns;
    uint32_t worker; /* index in the thread's slice */
    uint8_t kind;
};

struct sim_thread {
    struct scale_fleet *f;
    pthread_t tid;
    bool started;
    struct sim_worker *w; /* the slice */
    uint32_t n;
    int ep;
    struct event *heap;
    uint32_t heap_n, heap_cap;
    msgpack_sbuffer sb;
    struct scale_result res;
    uint32_t quit;
};

struct scale_fleet {
    struct scale_opts o;
    void *zctx;
    struct variant *variants;
    struct sim_worker *workers;
    struct sim_thread *threads;
    uint64_t requests_per_snapshot;
    atomic_uint running, stopped, quit;
    atomic_bool stop;
};

/* --- random numbers and histograms --------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* (0, 1) */
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

/* A log-normal latency in µs: @median_us, spread @sigma. */
static uint64_t lognormal_us(uint64_t *s, double median_us, double sigma)
{
    double z = sqrt(-2.0 * log(rng_unit(s))) * cos(2.0 * M_PI * rng_unit(s));
    double v = median_us * exp(sigma * z);
    return v < 1.0 ? 1 : (uint64_t)v;
}

static uint32_t bucket_count(const struct hn_hist *h)
{
    struct hn_hist_iter it;
    struct hn_hist_bucket b;
    uint32_t n = 0;
    hn_hist_iter_init(&it, h);
    while (hn_hist_iter_next(&it, &b))
        n++;
    return n;
}

/* Request counts of one snapshot's entries: random, summing to exactly
 * entries x REQUESTS_PER_ENTRY, so the master's total tells how many
 * snapshots it counted. */
static void make_counts(uint64_t *rng, uint32_t n, uint64_t *counts)
{
    uint64_t want = (uint64_t)n * REQUESTS_PER_ENTRY, sum = 0;
    for (uint32_t e = 0; e < n; e++)
        sum += counts[e] = REQUESTS_PER_ENTRY / 4 + rng_next(rng) % (REQUESTS_PER_ENTRY * 3 / 2);
    for (uint32_t e = 0; sum != want; e = (e + 1) % n) {
        if (sum < want) {
            counts[e]++;
            sum++;
        } else if (counts[e] > 1) {
            counts[e]--;
            sum--;
        }
    }
}

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    if (msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n))
        return -ENOMEM;
    return 0;
}

/* Entry names: GET /e00, /e01, ... (the master runs them in quick mode). */
static void entry_name(uint32_t e, char *out, size_t len)
{
    snprintf(out, len, "/e%02u", e);
}

/* Entry @e of a report into @pk: its @requests with TOTAL (h[0]) and, if
 * @phases, the phases h[1..3] (TTFB, DNS, CONNECT). */
static int pack_entry(msgpack_packer *pk, uint32_t e, uint64_t requests, struct hn_hist *h[4],
                      bool phases)
{
    /* [kind, hist] pairs in increasing kind order, non-empty only */
    static const uint32_t kinds[4] = {HN_TIMING_TOTAL, HN_TIMING_TTFB, HN_TIMING_DNS,
                                      HN_TIMING_CONNECT};
    static const int order[4] = {0, 2, 3, 1}; /* TOTAL, DNS, CONNECT, TTFB */
    uint32_t n_kinds = 0;
    for (int k = 0; k < 4; k++)
        n_kinds += h[k]->total && (phases || k == 0);
    char name[16];
    entry_name(e, name, sizeof(name));
    if (msgpack_pack_array(pk, 6) || pack_str(pk, "GET") || pack_str(pk, name) ||
        msgpack_pack_uint64(pk, requests) || msgpack_pack_uint64(pk, 0) ||
        msgpack_pack_uint64(pk, requests * 1024) || msgpack_pack_array(pk, n_kinds))
        return -ENOMEM;
    for (int j = 0; j < 4; j++) {
        int k = order[j];
        if (!h[k]->total || (!phases && k != 0))
            continue;
        if (msgpack_pack_array(pk, 2) || msgpack_pack_uint32(pk, kinds[k]))
            return -ENOMEM;
        HN_TRY(hn_hist_codec_pack(pk, h[k]));
    }
    return 0;
}

/* Encode the entries of variant @v: entry e's response times are
 * log-normal around 2 ms x 1.25^e; TTFB a share of each; a few requests
 * open a connection (DNS, CONNECT). The phases of a report that carries
 * them hold each length of time's requests (one report's with
 * --phases-always), this one's and those before. */
static int make_variant(const struct scale_opts *o, uint64_t *rng, struct variant *v,
                        struct hn_hist *h[4])
{
    make_counts(rng, o->entries, v->counts);
    uint32_t holds = o->phases_always ? 1 : HOLDS;
    msgpack_sbuffer sb, sbp[HOLDS];
    msgpack_packer pk, pkp[HOLDS];
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int err = msgpack_pack_array(&pk, o->entries) ? -ENOMEM : 0;
    for (uint32_t j = 0; j < holds; j++) {
        msgpack_sbuffer_init(&sbp[j]);
        msgpack_packer_init(&pkp[j], &sbp[j], msgpack_sbuffer_write);
        if (msgpack_pack_array(&pkp[j], o->entries))
            err = -ENOMEM;
    }
    v->total_buckets_min = UINT32_MAX;
    for (uint32_t e = 0; e < o->entries && !err; e++) {
        for (int k = 0; k < 4; k++)
            hn_hist_reset(h[k]);
        double median = 2000.0 * pow(1.25, e), sigma = 0.3 + 0.08 * (e % 8);
        /* One report's requests, then the phases of the seconds before,
         * packed each time a length of time is reached. */
        uint32_t j = 0;
        uint64_t seconds = 0;
        for (uint64_t i = 0; j < holds && !err; i++) {
            if (i == v->counts[e] * (seconds + 1)) {
                seconds++;
                if (seconds == 1) {
                    uint32_t nb = bucket_count(h[0]);
                    v->total_buckets_min = nb < v->total_buckets_min ? nb : v->total_buckets_min;
                    v->total_buckets_max = nb > v->total_buckets_max ? nb : v->total_buckets_max;
                    err = pack_entry(&pk, e, v->counts[e], h, false);
                }
                if (!err && seconds == hold_s[j])
                    err = pack_entry(&pkp[j++], e, v->counts[e], h, !o->total_only);
                if (j == holds)
                    break;
            }
            uint64_t total = lognormal_us(rng, median, sigma);
            if (i < v->counts[e])
                hn_hist_record(h[0], total);
            hn_hist_record(h[1], (uint64_t)((double)total * (0.6 + 0.38 * rng_unit(rng))));
            if (rng_next(rng) % 50 == 0) {
                hn_hist_record(h[2], lognormal_us(rng, 40, 0.5));
                hn_hist_record(h[3], lognormal_us(rng, 150, 0.4));
            }
        }
    }
    if (err) {
        msgpack_sbuffer_destroy(&sb);
        for (uint32_t k = 0; k < holds; k++)
            msgpack_sbuffer_destroy(&sbp[k]);
        return err;
    }
    v->entries = (uint8_t *)sb.data;
    v->entries_len = sb.size;
    for (uint32_t k = 0; k < holds; k++) {
        v->with_phases[k] = (uint8_t *)sbp[k].data;
        v->with_phases_len[k] = sbp[k].size;
    }
    return 0;
}

/* Whether report @w->seq of type @type, sent at monotonic @now_ns, carries
 * the phases: the worker's own rule (report_phases.h), its turn (a worker
 * draws it at random) spread evenly over the fleet. A simulated worker's
 * held phases never reach the byte bound (20 names). */
static bool carries_phases(const struct scale_opts *o, uint32_t type, const struct sim_worker *w,
                           uint64_t now_ns)
{
    struct hn_report_phases_when when = {
        .final = type == HN_MSG_FINAL,
        .seq = w->seq,
        .turn = w->index % HN_PROTO_PHASES_EVERY,
        .now_s = (double)now_ns / NS_PER_S,
        .end_at_s = w->end_ns ? (double)w->end_ns / NS_PER_S : INFINITY,
    };
    return o->phases_always || hn_report_phases_due_by_time(&when);
}

/* Index in with_phases[] of report @w->seq's phases: the seconds since its
 * last report that carried them (none: since the first), rounded up. */
static uint32_t hold_index(const struct scale_opts *o, const struct sim_worker *w)
{
    if (o->phases_always)
        return 0;
    uint64_t held = w->seq - w->phases_seq; /* this report's second and those before */
    uint32_t k = 0;
    while (k + 1 < HOLDS && hold_s[k] < held)
        k++;
    return k;
}

/* One SNAPSHOT or FINAL frame into @sb (emptied first). */
static int pack_stats(const struct scale_opts *o, msgpack_sbuffer *sb, uint32_t type,
                      struct sim_worker *w, uint64_t end_ms, uint64_t now_ns,
                      const struct variant *v)
{
    bool phases = carries_phases(o, type, w, now_ns);
    uint32_t hold = phases ? hold_index(o, w) : 0;
    const uint8_t *entries = phases ? v->with_phases[hold] : v->entries;
    size_t entries_len = phases ? v->with_phases_len[hold] : v->entries_len;
    msgpack_packer pk;
    sb->size = 0;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (msgpack_pack_array(&pk, 3) || msgpack_pack_uint32(&pk, type) ||
        msgpack_pack_uint32(&pk, HN_PROTO_VERSION) || msgpack_pack_array(&pk, 9) ||
        msgpack_pack_uint64(&pk, w->seq) || msgpack_pack_uint64(&pk, w->interval_start_ms) ||
        msgpack_pack_uint64(&pk, end_ms) || msgpack_pack_uint32(&pk, 1) ||
        msgpack_sbuffer_write(sb, (const char *)entries, entries_len) ||
        msgpack_pack_array(&pk, 0) || pack_str(&pk, w->run_id) || msgpack_pack_array(&pk, 0) ||
        msgpack_pack_uint64(&pk, 0))
        return -ENOMEM;
    if (phases)
        w->phases_seq = w->seq;
    return 0;
}

int scale_fleet_new(const struct scale_opts *o, struct scale_fleet **out)
{
    if (o->entries == 0 || o->entries > SCALE_ENTRIES_MAX || o->workers == 0 || o->threads == 0 ||
        o->variants == 0)
        return -EINVAL;
    struct scale_fleet *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->o = *o;
    f->requests_per_snapshot = (uint64_t)o->entries * REQUESTS_PER_ENTRY;
    f->variants = calloc(o->variants, sizeof(*f->variants));
    f->workers = calloc(o->workers, sizeof(*f->workers));
    f->threads = calloc(o->threads, sizeof(*f->threads));
    struct hn_hist *h[4] = {hn_hist_new(), hn_hist_new(), hn_hist_new(), hn_hist_new()};
    int err = f->variants && f->workers && f->threads && h[0] && h[1] && h[2] && h[3] ? 0 : -ENOMEM;
    uint64_t rng = 12345;
    for (uint32_t i = 0; i < o->variants && !err; i++)
        err = make_variant(o, &rng, &f->variants[i], h);
    for (int k = 0; k < 4; k++)
        hn_hist_free(h[k]);
    if (!err) {
        /* The frames must be what a real worker sends: through the decoder. */
        struct sim_worker w = {.seq = 1, .interval_start_ms = 1};
        strcpy(w.run_id, "check");
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        struct hn_msg m;
        static const uint32_t types[2] = {HN_MSG_SNAPSHOT, HN_MSG_FINAL}; /* phases: no, yes */
        for (int i = 0; i < 2 && !err; i++) {
            err = pack_stats(o, &sb, types[i], &w, 2, 0, &f->variants[0]);
            if (!err && (err = hn_msg_decode(sb.data, sb.size, &m)) == 0) {
                if (m.snapshot.n_entries != o->entries)
                    err = HN_E_INVALID;
                hn_msg_deinit(&m);
            }
        }
        if (err)
            fprintf(stderr, "master-scale: a simulated snapshot does not decode: %s\n",
                    hn_strerror(err));
        msgpack_sbuffer_destroy(&sb);
    }
    if (err) {
        scale_fleet_free(f);
        return err;
    }
    *out = f;
    return 0;
}

int scale_fleet_frame(const struct scale_fleet *f, uint32_t worker, uint64_t seq,
                      const char *run_id, msgpack_sbuffer *sb)
{
    struct sim_worker w = {.index = worker, .seq = seq, .interval_start_ms = 1000 * seq};
    snprintf(w.run_id, sizeof(w.run_id), "%s", run_id);
    /* its last turn before this report (no end announced here) */
    uint64_t turn = worker % HN_PROTO_PHASES_EVERY;
    if (seq - 1 >= turn)
        w.phases_seq = seq - 1 - (seq - 1 - turn) % HN_PROTO_PHASES_EVERY;
    /* the variant send_stats picks for that worker and report */
    const struct variant *v = &f->variants[(worker + seq - 1) % f->o.variants];
    return pack_stats(&f->o, sb, HN_MSG_SNAPSHOT, &w, 1000 * seq + 1000, 0, v);
}

void scale_fleet_shape(const struct scale_fleet *f, struct scale_shape *out)
{
    memset(out, 0, sizeof(*out));
    out->requests_per_snapshot = f->requests_per_snapshot;
    out->buckets_min = UINT32_MAX;
    out->frame_bytes_min = UINT32_MAX;
    uint32_t *per = calloc(f->o.variants, sizeof(*per));
    for (uint32_t i = 0; i < f->o.variants; i++) {
        const struct variant *v = &f->variants[i];
        if (v->total_buckets_min < out->buckets_min)
            out->buckets_min = v->total_buckets_min;
        if (v->total_buckets_max > out->buckets_max)
            out->buckets_max = v->total_buckets_max;
        /* the frame adds ~80 bytes of header and run id to the entries */
        uint32_t bytes = (uint32_t)v->entries_len + 80;
        uint32_t phased = (uint32_t)v->with_phases_len[f->o.phases_always ? 0 : HOLDS - 1] + 80;
        if (!f->o.phases_always && bytes < out->frame_bytes_min)
            out->frame_bytes_min = bytes;
        if (phased < out->frame_bytes_min)
            out->frame_bytes_min = phased;
        if (phased > out->frame_bytes_max)
            out->frame_bytes_max = phased;
        if (!f->o.phases_always && bytes > out->frame_bytes_max)
            out->frame_bytes_max = bytes;
        if (per)
            per[i] = (v->total_buckets_min + v->total_buckets_max) / 2;
    }
    if (per) {
        /* a rough middle: the median of per-variant midpoints */
        for (uint32_t i = 1; i < f->o.variants; i++)
            for (uint32_t j = i; j > 0 && per[j - 1] > per[j]; j--) {
                uint32_t t = per[j];
                per[j] = per[j - 1];
                per[j - 1] = t;
            }
        out->buckets_median = per[f->o.variants / 2];
        free(per);
    }
}

/* --- event heap ---------------------------------------------------------- */

static int heap_push(struct sim_thread *t, uint64_t due_ns, uint32_t worker, uint8_t kind)
{
    if (t->heap_n == t->heap_cap) {
        uint32_t cap = t->heap_cap ? t->heap_cap * 2 : 64;
        struct event *h = realloc(t->heap, cap * sizeof(*h));
        if (!h)
            return -ENOMEM;
        t->heap = h;
        t->heap_cap = cap;
    }
    uint32_t i = t->heap_n++;
    while (i > 0 && t->heap[(i - 1) / 2].due_ns > due_ns) {
        t->heap[i] = t->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->heap[i] = (struct event){due_ns, worker, kind};
    return 0;
}

static struct event heap_pop(struct sim_thread *t)
{
    struct event top = t->heap[0], last = t->heap[--t->heap_n];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= t->heap_n)
            break;
        if (c + 1 < t->heap_n && t->heap[c + 1].due_ns < t->heap[c].due_ns)
            c++;
        if (t->heap[c].due_ns >= last.due_ns)
            break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (t->heap_n)
        t->heap[i] = last;
    return top;
}

/* --- one simulated worker ------------------------------------------------ */

static int send_msg(struct sim_thread *t, struct sim_worker *w, const struct hn_msg *m)
{
    t->sb.size = 0;
    int err = hn_msg_encode(m, &t->sb);
    if (!err && zmq_send(w->sock, t->sb.data, t->sb.size, ZMQ_DONTWAIT) < 0)
        err = -errno;
    return err;
}

static void send_stats(struct sim_thread *t, struct sim_worker *w, uint32_t type, uint64_t now_ns)
{
    const struct variant *v = &t->f->variants[(w->index + w->seq) % t->f->o.variants];
    uint64_t end_ms = hn_clock_wall_ms();
    w->seq++;
    if (pack_stats(&t->f->o, &t->sb, type, w, end_ms, now_ns, v) ||
        zmq_send(w->sock, t->sb.data, t->sb.size, ZMQ_DONTWAIT) < 0) {
        t->res.send_failures++;
        return;
    }
    w->interval_start_ms = end_ms;
    t->res.snapshots_sent++;
    t->res.finals_sent += type == HN_MSG_FINAL;
    t->res.snapshot_bytes += t->sb.size;
    for (uint32_t e = 0; e < t->f->o.entries; e++) {
        t->res.requests[e] += v->counts[e];
        t->res.requests_total += v->counts[e];
    }
}

static void on_message(struct sim_thread *t, struct sim_worker *w, const void *buf, size_t len)
{
    uint32_t type, version;
    if (hn_msg_peek(buf, len, &type, &version) || version != HN_PROTO_VERSION)
        return;
    struct hn_msg m;
    switch (type) {
    case HN_MSG_WELCOME:
        if (hn_msg_decode(buf, len, &m) == 0) {
            snprintf(w->run_id, sizeof(w->run_id), "%s", m.welcome.run_id);
            if (w->state == W_HELLO)
                w->state = W_WELCOMED;
            t->res.welcomes++;
            hn_msg_deinit(&m);
        }
        break;
    case HN_MSG_TARGET:
        if (hn_msg_decode(buf, len, &m) == 0) {
            t->res.targets++;
            w->targets++;
            if (m.target.ends_in_ms) { /* as a worker: the earliest end announced */
                uint64_t end = hn_clock_mono_ns() + m.target.ends_in_ms * UINT64_C(1000000);
                if (!w->end_ns || end < w->end_ns)
                    w->end_ns = end;
            }
            if (m.target.phase == HN_PHASE_RUN && w->state == W_WELCOMED) {
                /* As a worker: the snapshot timer starts with the first TARGET. */
                w->state = W_RUNNING;
                w->interval_start_ms = hn_clock_wall_ms();
                heap_push(t, hn_clock_mono_ns() + NS_PER_S, (uint32_t)(w - t->w), EV_SNAPSHOT);
                atomic_fetch_add(&t->f->running, 1);
            }
            hn_msg_deinit(&m);
        }
        break;
    case HN_MSG_STOP:
        t->res.stops++;
        if (w->state == W_RUNNING || w->state == W_WELCOMED) {
            send_stats(t, w, HN_MSG_FINAL, hn_clock_mono_ns());
            w->state = W_STOPPED;
            atomic_fetch_add(&t->f->stopped, 1);
        }
        break;
    case HN_MSG_QUIT:
        t->res.quits++;
        if (w->state != W_QUIT) {
            w->state = W_QUIT;
            t->quit++;
            atomic_fetch_add(&t->f->quit, 1);
        }
        break;
    case HN_MSG_REJECT:
        t->res.rejects++;
        if (hn_msg_decode(buf, len, &m) == 0) {
            snprintf(t->res.reject_reason, sizeof(t->res.reject_reason), "%s", m.reject.reason);
            hn_msg_deinit(&m);
        }
        break;
    case HN_MSG_SCENARIO:
        w->grants = 0;    /* counted from the SCENARIO on */
        if (!w->loaded) { /* a worker says so at once: the master counts it from then on */
            w->loaded = true;
            struct hn_msg hb = {.type = HN_MSG_HEARTBEAT};
            hb.heartbeat.state = HN_WSTATE_LOADED;
            hb.heartbeat.rss_bytes = 1 << 20;
            send_msg(t, w, &hb);
        }
        break;
    case HN_MSG_GRANT:
        w->grants++;
        break;
    default:
        break; /* HEARTBEAT: nothing to do */
    }
}

/* Read everything waiting on @w's socket (this also re-arms its ZMQ_FD). */
static void drain(struct sim_thread *t, struct sim_worker *w)
{
    if (!w->sock)
        return;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, w->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        on_message(t, w, zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
    }
}

static int connect_worker(struct sim_thread *t, struct sim_worker *w)
{
    const struct scale_opts *o = &t->f->o;
    int linger = 0, ivl = 100, ivl_max = 1000, fd;
    /* The master answers each PING with a PONG: part of its cost per worker. */
    int ping_ivl = (int)o->zmtp_ping_ms, ping_timeout = 5 * ping_ivl;
    size_t fd_len = sizeof(fd);
    w->sock = zmq_socket(t->f->zctx, ZMQ_DEALER);
    if (!w->sock)
        return -errno;
    if (zmq_setsockopt(w->sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) ||
        zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max)) ||
        zmq_setsockopt(w->sock, ZMQ_HEARTBEAT_IVL, &ping_ivl, sizeof(ping_ivl)) ||
        zmq_setsockopt(w->sock, ZMQ_HEARTBEAT_TIMEOUT, &ping_timeout, sizeof(ping_timeout)) ||
        zmq_connect(w->sock, o->endpoint) || zmq_getsockopt(w->sock, ZMQ_FD, &fd, &fd_len))
        return -errno;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(w - t->w)};
    if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev))
        return -errno;
    struct hn_msg m = {.type = HN_MSG_HELLO};
    snprintf(m.hello.worker_id, sizeof(m.hello.worker_id), "sim-%u", w->index);
    snprintf(m.hello.hostname, sizeof(m.hello.hostname), "simhost-%u", w->index / 8);
    m.hello.pid = 100000 + w->index;
    snprintf(m.hello.version, sizeof(m.hello.version), "%s", HN_VERSION);
    m.hello.cpus = 2;
    w->state = W_HELLO;
    return send_msg(t, w, &m);
}

static void send_heartbeat(struct sim_thread *t, struct sim_worker *w, uint64_t now_ns)
{
    struct hn_msg m = {.type = HN_MSG_HEARTBEAT};
    m.heartbeat.state = w->state == W_RUNNING   ? HN_WSTATE_RUNNING
                        : w->state == W_STOPPED ? HN_WSTATE_STOPPED
                        : w->loaded             ? HN_WSTATE_LOADED
                                                : HN_WSTATE_IDLE;
    m.heartbeat.users = w->state == W_RUNNING;
    m.heartbeat.rss_bytes = 1 << 20;
    m.heartbeat.grants = w->grants;
    send_msg(t, w, &m);
    w->heartbeat_ns = now_ns;
}

static void on_event(struct sim_thread *t, struct event ev, uint64_t now_ns)
{
    struct sim_worker *w = &t->w[ev.worker];
    if (ev.kind == EV_CONNECT) {
        int err = connect_worker(t, w);
        if (err) {
            fprintf(stderr, "master-scale: worker %u cannot connect: %s\n", w->index,
                    hn_strerror(err));
            t->res.send_failures++;
            return;
        }
        heap_push(t, now_ns + NS_PER_S, ev.worker, EV_HEARTBEAT);
        return;
    }
    if (w->state == W_QUIT)
        return;
    uint64_t late = now_ns - ev.due_ns;
    t->res.sends_on_schedule++;
    t->res.late_100ms += late > LATE_NS;
    if (late / 1000 > t->res.late_max_us)
        t->res.late_max_us = late / 1000;
    if (ev.kind == EV_HEARTBEAT) {
        /* As worker/session.c: the one-second tick sends one only when
         * none went with a SNAPSHOT for 1.5 s. */
        if (t->f->o.heartbeats_apart || now_ns - w->heartbeat_ns >= NS_PER_S * 3 / 2)
            send_heartbeat(t, w, now_ns);
        heap_push(t, ev.due_ns + NS_PER_S, ev.worker, EV_HEARTBEAT);
    } else if (w->state == W_RUNNING) {
        send_stats(t, w, HN_MSG_SNAPSHOT, now_ns);
        if (!t->f->o.heartbeats_apart)
            send_heartbeat(t, w, now_ns);
        heap_push(t, ev.due_ns + NS_PER_S, ev.worker, EV_SNAPSHOT);
    }
    drain(t, w); /* a send may have consumed the ZMQ_FD signal */
}

static void *thread_main(void *arg)
{
    struct sim_thread *t = arg;
    struct epoll_event evs[256];
    while (!atomic_load(&t->f->stop) && t->quit < t->n) {
        uint64_t now = hn_clock_mono_ns();
        while (t->heap_n && t->heap[0].due_ns <= now) {
            on_event(t, heap_pop(t), now);
            now = hn_clock_mono_ns();
        }
        int timeout_ms = 50;
        if (t->heap_n) {
            uint64_t wait = t->heap[0].due_ns > now ? t->heap[0].due_ns - now : 0;
            if (wait / 1000000 < 50)
                timeout_ms = (int)((wait + 999999) / 1000000);
        }
        int n = epoll_wait(t->ep, evs, 256, timeout_ms);
        for (int i = 0; i < n; i++)
            drain(t, &t->w[evs[i].data.u32]);
    }
    return NULL;
}

int scale_fleet_start(struct scale_fleet *f)
{
    const struct scale_opts *o = &f->o;
    if (!(f->zctx = zmq_ctx_new()))
        return -errno;
    if (zmq_ctx_set(f->zctx, ZMQ_IO_THREADS, (int)o->io_threads) ||
        zmq_ctx_set(f->zctx, ZMQ_MAX_SOCKETS, (int)o->workers + 64))
        return -errno;
    uint64_t now = hn_clock_mono_ns();
    uint64_t gap_ns = NS_PER_S / (o->connect_rate ? o->connect_rate : 1000);
    uint32_t per = (o->workers + o->threads - 1) / o->threads;
    for (uint32_t i = 0; i < o->workers; i++)
        f->workers[i].index = i;
    for (uint32_t k = 0; k < o->threads; k++) {
        struct sim_thread *t = &f->threads[k];
        uint32_t first = k * per;
        t->f = f;
        t->w = &f->workers[first < o->workers ? first : o->workers];
        t->n = first >= o->workers ? 0 : first + per > o->workers ? o->workers - first : per;
        msgpack_sbuffer_init(&t->sb);
        if ((t->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
            return -errno;
        /* connections spread over time: the master's listen backlog is short */
        for (uint32_t i = 0; i < t->n; i++)
            HN_TRY(heap_push(t, now + (uint64_t)(t->w[i].index) * gap_ns, i, EV_CONNECT));
    }
    for (uint32_t k = 0; k < o->threads; k++) {
        int err = pthread_create(&f->threads[k].tid, NULL, thread_main, &f->threads[k]);
        if (err)
            return -err;
        f->threads[k].started = true;
    }
    return 0;
}

uint32_t scale_fleet_running(const struct scale_fleet *f)
{
    return atomic_load(&f->running);
}

uint32_t scale_fleet_stopped(const struct scale_fleet *f)
{
    return atomic_load(&f->stopped);
}

uint32_t scale_fleet_quit(const struct scale_fleet *f)
{
    return atomic_load(&f->quit);
}

void scale_fleet_join(struct scale_fleet *f, struct scale_result *out)
{
    memset(out, 0, sizeof(*out));
    atomic_store(&f->stop, true);
    for (uint32_t k = 0; k < f->o.threads; k++) {
        struct sim_thread *t = &f->threads[k];
        if (t->started)
            pthread_join(t->tid, NULL);
        t->started = false;
        const struct scale_result *r = &t->res;
        out->snapshots_sent += r->snapshots_sent;
        out->finals_sent += r->finals_sent;
        out->send_failures += r->send_failures;
        out->requests_total += r->requests_total;
        for (uint32_t e = 0; e < SCALE_ENTRIES_MAX; e++)
            out->requests[e] += r->requests[e];
        out->snapshot_bytes += r->snapshot_bytes;
        out->welcomes += r->welcomes;
        out->targets += r->targets;
        out->rejects += r->rejects;
        out->stops += r->stops;
        out->quits += r->quits;
        out->sends_on_schedule += r->sends_on_schedule;
        out->late_100ms += r->late_100ms;
        if (r->late_max_us > out->late_max_us)
            out->late_max_us = r->late_max_us;
        if (r->reject_reason[0])
            memcpy(out->reject_reason, r->reject_reason, sizeof(out->reject_reason));
        for (uint32_t i = 0; i < t->n; i++) {
            if (t->w[i].targets > out->targets_max)
                out->targets_max = t->w[i].targets;
            out->workers_final += t->w[i].state == W_STOPPED || t->w[i].state == W_QUIT;
        }
        out->workers_quit += t->quit;
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        out->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void scale_fleet_free(struct scale_fleet *f)
{
    if (!f)
        return;
    if (f->threads) {
        for (uint32_t k = 0; k < f->o.threads; k++) {
            struct sim_thread *t = &f->threads[k];
            if (t->started) {
                atomic_store(&f->stop, true);
                pthread_join(t->tid, NULL);
            }
            free(t->heap);
            if (t->sb.data)
                msgpack_sbuffer_destroy(&t->sb);
            if (t->ep > 0)
                close(t->ep);
        }
    }
    for (uint32_t i = 0; f->workers && i < f->o.workers; i++)
        if (f->workers[i].sock)
            zmq_close(f->workers[i].sock);
    if (f->zctx)
        zmq_ctx_term(f->zctx);
    for (uint32_t i = 0; f->variants && i < f->o.variants; i++) {
        free(f->variants[i].entries);
        for (uint32_t k = 0; k < HOLDS; k++)
            free(f->variants[i].with_phases[k]);
    }
    free(f->variants);
    free(f->workers);
    free(f->threads);
    free(f);
}
