/* Private state of one run, shared by the files that make up the run:
 * run.c (state machine and events), run_setup.c (set-up and tear-down),
 * run_finish.c (the end of a run: verdict, final reports),
 * run_curve.c (CurveZMQ keys and the ZAP handler),
 * dispatch.c (messages to workers, user distribution) and report.c (report
 * writers). Not part of the master's public API. */
#pragma once

#include <ev.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "chan.h"
#include "cli.h"
#include "curve.h"
#include "deal.h"
#include "lag.h"
#include "journal.h"
#include "limits_check.h"
#include "local_workers.h"
#include "model.h"
#include "msg.h"
#include "registry.h"
#include "report.h"
#include "run_plan.h"
#include "stats.h"
#include "refused_peers.h"
#include "zap.h"

#define HN_RUN_MISSING_AFTER_S 3.0  /* silence before a worker is declared missing */
/* The master's lag (lag.h): said above HN_RUN_LAG_WARN_S (at most every
 * HN_RUN_LAG_SAY_S); a receive backlog above HN_RUN_LAG_FAIL_S fails the
 * run: per-second figures and liveness mean little that late, and final
 * reports would miss the stop deadline. */
#define HN_RUN_LAG_WARN_S 1.0
#define HN_RUN_LAG_FAIL_S 10.0
#define HN_RUN_LAG_SAY_S 10.0
#define HN_RUN_HEARTBEAT_QUIET_S 0.5
#define HN_RUN_FINAL_MARGIN_MS 5000 /* extra wait for FINALs beyond the stop timeout */
/* A worker missing for less than this when the stop begins (cut off near
 * the end; a worker stops itself after 10 s without its master) may still
 * send its FINAL: the stop waits for it as for the others, to its deadline. */
#define HN_RUN_AWAIT_MISSING_S 10.0
/* A worker's reports this late are said (receive.c note_delay). */
#define HN_RUN_DELAY_SAY_S 3.0
#define HN_RUN_SNAPSHOT_INTERVAL_MS 1000
#define HN_RUN_CONSOLE_INTERVAL_S 2.0

enum hn_run_state { HN_RUN_WAITING, HN_RUN_RUNNING, HN_RUN_STOPPING, HN_RUN_DONE };

struct hn_run {
    const struct hn_master_config *cfg;
    struct ev_loop *loop;
    void *zctx;
    struct hn_chan chan;
    struct hn_registry reg;
    struct hn_local_workers local;
    bool curve;                          /* CurveZMQ on: workers are known by their key */
    struct hn_curve_keypair keys;        /* the master's */
    struct hn_curve_keypair *local_keys; /* throwaway keys of local workers */
    struct hn_zap zap;
    struct hn_refused_peers refused; /* peers of another security mechanism */
    /* --allow-shared-key: keys several workers may hold, each known by the
     * key and the id of its HELLO (receive.c) */
    struct hn_curve_allow shared;
    enum hn_run_state state;
    char run_id[40];
    struct hn_scenario *scenario;
    struct hn_run_plan *plan; /* load shape, run time and thresholds */
    msgpack_sbuffer scenario_blob;
    uint8_t scenario_hash[32];
    /* The SCENARIO message, encoded once and shared by every send: a peer
     * that says HELLO again and again without reading (or many such
     * peers) must not make the master encode and hold a copy each time. */
    struct hn_chan_frame *scenario_frame;
    uint32_t class_weights[HN_PROTO_CLASSES_MAX];
    struct hn_dealer dealer; /* user ids and data rows dealt so far */
    struct hn_stats *stats;
    struct hn_hist_pairs counters; /* where a snapshot's counters are decoded
                                      (hn_msg_decode_into), reused */
    struct hn_reports reports;
    struct hn_journal journal; /* timeline, worker events, self-check: for reports */
    char load_brief[200];      /* the load in a few words, for reports */
    char host_shown[2048];     /* -H without its credentials, for reports */
    ev_timer tick, console, wait_deadline, stop_deadline;
    ev_timer watch;   /* the master's own stalls (lag.h) */
    ev_timer stage;   /* the next stage boundary of the load shape */
    ev_timer run_end; /* the run time is up */
    ev_signal sigint, sigterm, sighup; /* hn_run_on_signal */
    double started_at;        /* loop time the ramp began */
    uint64_t started_wall_ms; /* wall clock then */
    uint64_t target_seq;
    uint32_t users_now; /* users the master currently asks for */
    uint32_t users_max; /* the most it asked for at once */
    int exit_code;
    struct hn_threshold_result threshold_results[HN_THRESHOLDS_MAX];
    char aborted[HN_THRESHOLD_EXPR_MAX + 100]; /* why the run ended before its time: a
                                                  threshold, a signal; or "" */
    uint32_t abort_index; /* the threshold, or UINT32_MAX (a signal, a failure) */
    bool signalled;       /* a signal came (during the run or its stop) */
    bool signal_began_stop; /* ... and it began the stop */
    bool stop_forced;     /* a second signal: the FINALs are not waited for */
    bool users_seen;     /* some worker reported running users */
    uint64_t bad_frames; /* undecodable frames received (logged once) */
    uint64_t rejected;   /* HELLOs of another protocol version */
    struct hn_limits limits;
    uint64_t foreign_stats;                 /* SNAPSHOT/FINAL of another run (logged once) */
    uint64_t reports_resent; /* SNAPSHOT/FINAL counted already, sent again after a reconnect */
    uint64_t unknown_frames;                /* non-HELLO frames from unknown connections */
    double message_backlog_s;               /* what the message being handled waited */
    uint64_t refused_hellos;                /* HELLOs refused (full, duplicate identity) */
    double reply_budget, reply_at;          /* replies to unregistered peers (token bucket) */
    uint32_t shortfall_said, shortfall_max; /* users beyond the workers' capacities */
    double shortfall_at;
    struct hn_lag lag;                    /* the master's own lag and stalls */
    double lag_said_at;                   /* mono time the lag was last said */
    double stall_said_at, stall_unsaid_s; /* stalls: when last said, and since */
    double stop_began_s;                  /* liveness clock (lag.h) at the stop */
    uint32_t delays_said;                 /* workers' late reports said (capped) */
    bool behind;                          /* could not keep up: the run fails (exit 3) */
    uint64_t stats_msgs;                  /* SNAPSHOT and FINAL frames merged */
    uint64_t stats_bytes;                 /* their bytes */
};

/* run_setup.c: everything before the loop runs. Returns 0 to run the loop,
 * or an exit code (positive: enum hn_exit) to return without it. */
int hn_run_setup(struct hn_run *r);
void hn_run_teardown(struct hn_run *r);

/* run_curve.c: CurveZMQ: the master's keys, the keys admitted (the allow
 * lists and local workers' throwaway keys) and the ZAP handler, before the
 * socket binds. Without keys, an address other hosts can reach is refused
 * unless --insecure: loopback by default, authenticated beyond it. Returns
 * 0 to go on, or an exit code (the reason logged). */
int hn_run_curve_setup(struct hn_run *r);

/* run.c: phases, and the loop's callbacks installed by hn_run_setup. */
void hn_run_start(struct hn_run *r);
/* Every transition of the run's state goes through here (with a debug
 * line), as the worker's session does. */
void hn_run_set_state(struct hn_run *r, enum hn_run_state next);
/* What the report writers are told besides the statistics. */
struct hn_report_moment hn_run_moment(const struct hn_run *r, uint64_t now_ms, uint32_t users);
/* Evaluate every threshold on the statistics merged so far. */
void hn_run_eval_thresholds(struct hn_run *r, uint64_t now_ms);
bool hn_run_all_finals_in(struct hn_run *r);
/* Stop the load: STOP to every worker, FINALs awaited (once). */
void hn_run_begin_stop(struct hn_run *r, const char *why);
/* STOP with what is left of the stop timeout. */
void hn_run_send_stop(struct hn_run *r, struct hn_worker *w);

/* run_finish.c: the end of a run. */
/* Write the reports, tell workers to quit, leave the loop (once). */
void hn_run_finish(struct hn_run *r, int exit_code);
/* The run cannot go on: log @fmt as an error, and once load has run say
 * it in every report as why the run ended early (run.aborted, the JUnit
 * run test, the Markdown verdict), then hn_run_finish(@exit_code). */
void hn_run_fail(struct hn_run *r, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Why the run did not complete, other than a threshold (that one keeps
 * its own reason and index): the first reason stays. */
void hn_run_note_aborted(struct hn_run *r, const char *why);

/* receive.c: every message from a worker, and who may send one. */
void hn_run_on_message(struct hn_chan *c, const void *route, size_t len, const void *buf,
                       size_t buf_len, void *user);
/* receive.c: throw @w out of the run for breaking a limit (@why: which);
 * its FINAL came (after STOP, or it stopped on its own). */
void hn_receive_ban(struct hn_run *r, struct hn_worker *w, const char *why);
void hn_receive_final(struct hn_run *r, struct hn_worker *w);
/* receive_stats.c: a SNAPSHOT or FINAL of worker @w (@len bytes on the wire). */
void hn_receive_stats(struct hn_run *r, struct hn_worker *w, const struct hn_msg *m, size_t len);
void hn_run_on_tick(struct ev_loop *loop, ev_timer *t, int revents);
/* Every HN_LAG_WATCH_S: notices the master's own stalls (lag.h). */
void hn_run_on_watch(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_stage(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_run_end(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_console(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_wait_deadline(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_stop_deadline(struct ev_loop *loop, ev_timer *t, int revents);
void hn_run_on_signal(struct ev_loop *loop, ev_signal *w, int revents);

/* dispatch.c: messages to workers. Send errors other than an unreachable
 * peer are logged; nothing is retried (the next second resends). Returns 0
 * or the send error. */
int hn_dispatch_to(struct hn_run *r, struct hn_worker *w, const struct hn_msg *m);
/* The same with frame @f, encoded once (chan.h), a message of type @type. */
void hn_dispatch_frame_to(struct hn_run *r, struct hn_worker *w, struct hn_chan_frame *f,
                          enum hn_msg_type type);
/* 0, or the send error (-EHOSTUNREACH: no such connection any more). */
int hn_dispatch_to_route(struct hn_run *r, const void *route, size_t len, const struct hn_msg *m);
/* Is @w's connection still there? (A HEARTBEAT sent to it is the probe: a
 * route whose peer closed its connection refuses it.) */
bool hn_dispatch_route_alive(struct hn_run *r, const struct hn_worker *w);
/* Every worker not marked missing. */
void hn_dispatch_broadcast(struct hn_run *r, const struct hn_msg *m);
/* A HEARTBEAT to every worker not marked missing that was sent nothing
 * for HN_RUN_HEARTBEAT_QUIET_S (any message says the master is alive):
 * encoded once, and while the run runs the TARGETs of the tick make most
 * of them unneeded (a master of thousands of workers saves as many sends a
 * second). */
void hn_dispatch_heartbeats(struct hn_run *r);
/* Split the load the plan wants now over the live workers and send each
 * its absolute TARGET (idempotent: resending is harmless). */
void hn_dispatch_targets(struct hn_run *r);
/* Time of the next stage boundary, ms after the start; 0: none left. */
uint64_t hn_dispatch_next_stage_ms(const struct hn_run *r);
