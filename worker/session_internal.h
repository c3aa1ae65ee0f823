/* Private state of the worker's session (session.h), shared by session.c
 * (the state machine: what the master's messages and the timers do) and
 * session_link.c (how messages and reports reach the master). Not part of
 * the worker's API. */
#pragma once

#include <ev.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "chan.h"
#include "grants.h"
#include "health.h"
#include "loop_lag.h"
#include "msg.h"
#include "plan.h"
#include "pool.h"
#include "report_ring.h"
#include "scenario_codec.h"
#include "session.h"

enum session_state {
    SS_HELLO,    /* saying HELLO every second until WELCOME */
    SS_READY,    /* welcomed, no scenario yet */
    SS_LOADED,   /* scenario applied, engines idle */
    SS_RUNNING,  /* a target is applied */
    SS_STOPPING, /* draining requests in flight */
    SS_STOPPED,  /* FINAL sent; waiting for QUIT or a new run */
};

struct hn_session {
    const struct hn_session_config *cfg;
    struct ev_loop *loop;
    struct hn_chan chan;  /* closed (zeroed) in a session fed by hn_session_deliver */
    ev_timer tick;        /* every second: HELLO or HEARTBEAT, silence check */
    ev_timer hello_retry; /* HELLO again soon when the first found no connection */
    ev_timer snap_tick;   /* every snapshot interval */
    ev_signal sigint, sigterm, sighup;
    enum session_state state;
    char worker_id[HN_PROTO_ID_MAX + 1];
    char run_id[HN_PROTO_ID_MAX + 1];
    uint32_t snapshot_interval_ms;
    ev_tstamp last_heard;
    struct hn_scenario *scenario;
    struct hn_plan *plan;
    struct hn_grants *grants;
    struct hn_pool *pool;
    /* Why this worker cannot run the run's scenario ("": it can, or has
     * none yet): said to the master in a DECLINE, again on every new
     * connection of the run (the first may have been lost with the old). */
    char declined[HN_PROTO_REASON_MAX + 1];
    uint64_t declined_on; /* the connection it was last said on (0: none) */
    uint32_t grants_received; /* GRANTs since the SCENARIO, said in HEARTBEATs */
    uint64_t target_seq;
    /* The run's end (ev_time()), the earliest any TARGET of the run
     * announced; INFINITY: none. The open model schedules no iteration
     * past it, and held phases go before it (report_phases.h). Never moved
     * later: iterations held back by it must not all start when a TARGET
     * sent after the end (while the STOP is on its way) says "1 ms left". */
    double run_end_at;
    uint64_t snap_seq;
    /* The reports whose seq is phases_turn modulo HN_PROTO_PHASES_EVERY
     * carry the phases: each worker its own turn, drawn at random (or from
     * --seed and the worker id), so that a fleet started together does not
     * send them all in the same second. */
    uint32_t phases_turn;
    struct hn_report_ring reports; /* the last reports, sent again on a new connection */
    bool resend_pending;           /* a new connection: they go once the master answers on it */
    uint64_t connection;           /* hn_chan_peer_connections when this worker last sent */
    uint64_t interval_start_ms;
    bool final_wanted;     /* drained: a FINAL must follow */
    bool final_pending;    /* the snapshot under way was asked after the drain */
    bool exit_after_final; /* a signal asked us to leave */
    int exit_code;
    ev_tstamp heartbeat_at; /* loop time of the last HEARTBEAT sent */
    struct hn_health health;    /* CPU, memory and lag for HEARTBEATs */
    struct hn_loop_lag lag;     /* how late the main loop runs */
    unsigned warned;            /* bit set of one-time warnings */
    bool unreachable;           /* a send found no master; said once until it answers */
    ev_tstamp hello_since;      /* loop time HELLO began (no WELCOME yet) */
    ev_tstamp capacity_said_at; /* loop time a capped target was last logged */
};

enum {
    WARN_BAD_FRAME = 2,
    WARN_VERSION = 4,
    WARN_NO_SCENARIO = 8,
    WARN_BAD_GRANT = 16,
    WARN_NO_WELCOME = 32,
    WARN_MECHANISM = 64,
};

/* Send @m to the master if one is connected (saying HELLO first on a new
 * connection). 0; -EAGAIN when none is (said once until it answers);
 * another error, logged. */
int hn_link_send_msg(struct hn_session *s, const struct hn_msg *m);
/* HELLO, with this process's id, host, CPUs, capacity and run id. */
int hn_link_send_hello(struct hn_session *s);
/* The master answered on the new connection: the kept reports go now. */
void hn_link_resend_reports(struct hn_session *s);
/* A new run: its reports are numbered from 1, none of the old run's kept. */
void hn_link_forget_reports(struct hn_session *s);
/* Send the encoded report in @buf (SNAPSHOT or FINAL number @seq, of
 * @requests requests) and keep it for a new connection; @buf is emptied. */
void hn_link_send_report(struct hn_session *s, msgpack_sbuffer *buf, uint32_t type, uint64_t seq,
                         uint64_t requests);
/* A FINAL with no requests (no engines ran, or none are left). */
void hn_link_send_empty_final(struct hn_session *s);
/* DECLINE with s->declined, for the run of s->run_id; notes the connection
 * it went out on. */
void hn_link_send_decline(struct hn_session *s);
