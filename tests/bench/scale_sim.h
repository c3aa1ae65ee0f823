/* A fleet of simulated workers for the master-scale benchmark: one DEALER
 * per worker, speaking the real protocol (HELLO, HEARTBEAT every second, a
 * SNAPSHOT every second once a TARGET says RUN, FINAL on STOP, leave on
 * QUIT), with realistic histograms and known request counts. Several
 * threads share the workers; each thread checks its own cadence. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#define SCALE_ENTRIES_MAX 64
#define HN_SCALE_REASON_MAX 260

struct scale_opts {
    const char *endpoint; /* the master's, e.g. tcp://127.0.0.1:5557 */
    uint32_t workers;
    uint32_t entries;      /* stats entries per snapshot: GET /e00 .. */
    uint32_t threads;      /* simulator threads */
    uint32_t io_threads;   /* ZeroMQ I/O threads */
    uint32_t variants;     /* distinct snapshots, reused round robin */
    bool total_only;       /* only the TOTAL histogram (else TOTAL, TTFB and,
                              for new connections, DNS and CONNECT) */
    bool phases_always;    /* TTFB, DNS, CONNECT in every report, as workers
                              before protocol 8; else, as they do now
                              (report_phases.h): at the worker's turn every
                              HN_PROTO_PHASES_EVERY-th, in every report of
                              its lead before the announced end, and in the
                              FINAL, holding the requests since the last */
    uint32_t connect_rate; /* new connections per second at the start */
    uint32_t zmtp_ping_ms; /* ZMTP heartbeat interval of each DEALER, as a real
                              worker's (proto/chan.c); 0: none */
    bool heartbeats_apart; /* a HEARTBEAT every second on its own timer, as
                              workers did before 2026-12-02; else, as they do
                              now, one right after each SNAPSHOT (and on its
                              own only after 1.5 s without) */
};

/* What the fleet did, summed over threads once they have ended. */
struct scale_result {
    uint64_t snapshots_sent; /* SNAPSHOT and FINAL frames queued */
    uint64_t finals_sent;
    uint64_t send_failures; /* frames zmq refused (never counted as sent) */
    uint64_t requests[SCALE_ENTRIES_MAX];
    uint64_t requests_total;
    uint64_t snapshot_bytes; /* bytes of those frames */
    uint64_t welcomes, targets, rejects, stops, quits;
    uint32_t targets_max;   /* most TARGETs one worker got */
    uint32_t workers_quit;  /* workers that got QUIT */
    uint32_t workers_final; /* workers that sent their FINAL */
    /* Cadence: how late each periodic send was against its schedule. */
    uint64_t sends_on_schedule;
    uint64_t late_100ms;  /* sends more than 100 ms late */
    uint64_t late_max_us; /* the latest */
    double cpu_s;         /* the simulator process's CPU over the run */
    char reject_reason[HN_SCALE_REASON_MAX];
};

/* Per-snapshot figures of the variants, for the report. */
struct scale_shape {
    uint64_t requests_per_snapshot;                    /* every variant has the same total */
    uint32_t buckets_min, buckets_max, buckets_median; /* TOTAL histograms */
    uint32_t frame_bytes_min, frame_bytes_max;         /* a whole SNAPSHOT frame */
};

struct scale_fleet;

/* Build the variants and check one frame through the real decoder. 0 or
 * -errno / HN_E_*; the reason printed on stderr. */
int scale_fleet_new(const struct scale_opts *o, struct scale_fleet **out);
void scale_fleet_shape(const struct scale_fleet *f, struct scale_shape *out);
/* Start the threads: they connect and say HELLO. 0 or -errno. */
int scale_fleet_start(struct scale_fleet *f);
/* Workers that got a TARGET with phase RUN (the run has begun for them). */
uint32_t scale_fleet_running(const struct scale_fleet *f);
/* Workers that got STOP. */
uint32_t scale_fleet_stopped(const struct scale_fleet *f);
/* Workers that got QUIT. */
uint32_t scale_fleet_quit(const struct scale_fleet *f);
/* Ask the threads to end, wait for them, sum what they did. */
void scale_fleet_join(struct scale_fleet *f, struct scale_result *out);
void scale_fleet_free(struct scale_fleet *f);

/* The SNAPSHOT simulated worker @worker sends as its report @seq of run
 * @run_id, into @sb (emptied first): for benchmarks of the master's merge
 * without sockets (merge-cost.c). 0 or -ENOMEM. */
int scale_fleet_frame(const struct scale_fleet *f, uint32_t worker, uint64_t seq,
                      const char *run_id, msgpack_sbuffer *sb);
