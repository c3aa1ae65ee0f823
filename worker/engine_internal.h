/* Private structures of one engine thread, shared by engine.c (thread,
 * commands), engine_users.c (starting and retiring users), engine_open.c
 * (the open model) and vuser.c (virtual user state machine). Requests
 * go through the transport seam (http.h); nothing here knows libcurl. Not
 * part of the worker's public API. */
#pragma once

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "grants.h"
#include "deadlines.h"
#include "http.h"
#include "loop_lag.h"
#include "pacer.h"
#include "plan.h"
#include "recorder.h"
#include "render.h"

struct hn_engine;

enum hn_vu_state {
    HN_VU_IDLE,    /* not running (never started, or retired) */
    HN_VU_REQUEST, /* a request is in flight */
    HN_VU_WAITING, /* thinking between iterations */
};

struct hn_vuser {
    struct hn_engine *eng;
    struct hn_http_conn *conn; /* owned: its connection and cookie jar */
    enum hn_vu_state state;
    uint32_t class_idx;
    bool retiring;    /* finish the request in flight, then stop */
    bool in_on_start; /* running the class's on_start steps */
    bool task_pending; /* the wait timer resumes the current step */
    const struct hn_plan_task *task;
    uint32_t step;          /* index into task->steps */
    ev_tstamp issued_at;    /* loop time the request was started */
    ev_tstamp iteration_at; /* loop time the iteration started (pacing) */
    bool scheduled;         /* the iteration had an intended start (open
                               model, or pacing): intended_at */
    bool open;              /* started by the open model */
    bool done_pending;      /* open model: the wait timer reports the
                               iteration done (its last step was not sent) */
    ev_tstamp intended_at;  /* when the iteration should have started */
    struct hn_deadline pace; /* pacing: waiting in hn_engine.paced */
    ev_tstamp pace_from;     /* pacing: iteration n is due at pace_from + n periods */
    uint64_t pace_n;
    bool pace_anchored;     /* pace_from set (at the first iteration after on_start) */
    ev_timer wait;          /* think time, or a deferred next step */
    uint32_t slot;          /* index in its class stack while running */
    struct hn_vuser *next_free; /* in hn_engine.spare while idle, or parked
                                   in its open-model class */
    /* The user's session: */
    struct hn_user_data data; /* run-wide id and data rows */
    struct hn_var *vars;      /* captured variables, one per scenario slot */
    struct hn_buf render;     /* rendered URL, header lines and body */
    const char **lines;       /* header line pointers into render */
};

/* Users of one class on this engine: a stack, so the newest retire first. */
struct hn_vu_class {
    uint32_t target;
    uint32_t running; /* in stack[0..running), not retiring */
    uint32_t starved; /* users that could not start (no data row left):
                         they count toward the target, and retire first */
    struct hn_vuser **stack;
    uint32_t cap;
};

/* Open model: one class's users and the iterations waiting for one. */
struct hn_open_class {
    uint32_t cap;              /* most users of the class on this thread */
    struct hn_vuser *parked;   /* users waiting for an iteration (next_free) */
    double *queue;             /* intended starts of waiting iterations (ring) */
    uint32_t q_cap, q_head, q_len;
};

struct hn_open {
    bool on;
    struct hn_pacer pacer;
    double max_delay_s;
    uint64_t q_slots; /* queue slots allocated over all classes (bounded) */
    struct hn_open_class cls[HN_MODEL_CLASSES_MAX];
    /* The tally (hn_engine_open_tally): iterations, counted as they start
     * or drop, never per request. */
    uint64_t started, dropped;
    double to;    /* when the schedule ended (hn_open_leave); 0: not yet */
    double asked; /* iterations the rates asked for until then */
};

/* Commands from the pool's thread; guarded by hn_engine.lock. */
struct hn_engine_cmd {
    uint32_t target[HN_MODEL_CLASSES_MAX]; /* closed: users; open: most users */
    double spawn_rate_per_s;
    bool open;              /* the open model: */
    double class_rates[HN_MODEL_CLASSES_MAX]; /* iterations/s per class, this thread */
    uint64_t max_delay_ms;  /* a waiting iteration older than this is dropped */
    double from;            /* the schedule starts or changes then (ev_time) */
    double end_at;          /* no iteration due after this (ev_time); INFINITY: none */
    uint64_t target_gen;
    uint64_t swap_gen;
    uint64_t stop_gen;        /* a STOP each: a later one may bring the end sooner */
    uint64_t stop_timeout_ms; /* of the latest */
    bool quit;
};

struct hn_engine {
    uint32_t index, n_engines;
    const struct hn_plan *plan;
    struct ev_loop *loop;
    pthread_t thread;
    bool thread_started;
    ev_async wake;        /* the pool posted a command */
    ev_timer spawn_timer; /* converges users toward the target */
    ev_timer stop_timer;  /* aborts transfers at the stop timeout */
    struct hn_loop_lag lag; /* how late this thread's loop runs */

    struct hn_http *http;      /* this thread's transport */
    struct hn_grants *grants;  /* user ids and rows dealt by the master */
    bool warned_no_ids;        /* logged once: users wait for a GRANT */
    pcre2_match_data *md;      /* regex captures of this thread */

    struct hn_vuser **users; /* every user ever created, for cleanup */
    uint32_t n_users, cap_users;
    struct hn_vuser *spare; /* idle users to reuse, linked by next_free */
    struct hn_vu_class classes[HN_MODEL_CLASSES_MAX];
    uint32_t in_flight; /* users in HN_VU_REQUEST */
    uint32_t retiring;  /* retiring users still in a request */

    struct hn_open open; /* the open model (engine_open.c) */
    /* One timerfd wakes the loop at exact times (libev's epoll waits round
     * up to whole milliseconds, which would show in latencies from the
     * intended start): the open model's next iteration and the paced users'
     * next iterations. */
    int tfd;
    ev_io precise;
    struct hn_deadlines paced;
    double spawn_rate_per_s; /* 0 = at once */
    double spawn_credit;
    ev_tstamp spawn_last;
    bool stopping, drained_reported;
    uint64_t rng;

    struct hn_recorder rec[2];
    struct hn_recorder *active;  /* touched by this thread only */
    struct hn_recorder *retired; /* valid after swapped_gen moves */

    pthread_mutex_t lock;
    struct hn_engine_cmd cmd;
    uint64_t applied_target_gen, applied_swap_gen, applied_stop_gen;

    /* Published to the pool thread. */
    _Atomic uint64_t swapped_gen;
    _Atomic uint32_t users_now;
    _Atomic bool drained;
    hn_engine_notify_fn notify;
    void *notify_ctx;
};

/* vuser.c */
int hn_vuser_new(struct hn_engine *e, uint32_t class_idx, struct hn_vuser **out);
void hn_vuser_free(struct hn_vuser *vu);
/* A user with its id and rows (@data) starts: on_start, then tasks. In
 * the open model @intended_at is when its first iteration was due (< 0:
 * the closed model). */
void hn_vuser_start(struct hn_vuser *vu, const struct hn_user_data *data, double intended_at);
/* Open model: a parked user runs one iteration due at @intended_at. */
void hn_vuser_iterate(struct hn_vuser *vu, double intended_at);
/* Pacing: the user's next iteration is due (its deadline came). */
void hn_vuser_paced(struct hn_vuser *vu);
/* Stop at once if waiting, else after the request in flight. */
void hn_vuser_retire(struct hn_vuser *vu);
/* Abort the request in flight (stop timeout): counted as "aborted at stop". */
void hn_vuser_abort(struct hn_vuser *vu);

/* engine.c: a user went idle (retired, or finished its last request while
 * retiring); updates counters and the drained state. */
void hn_engine_user_stopped(struct hn_engine *e, struct hn_vuser *vu, bool was_retiring);
uint64_t hn_engine_random(struct hn_engine *e);
void hn_engine_publish_users(struct hn_engine *e);
/* Set the timerfd to the earliest exact time the engine must wake. */
void hn_engine_arm(struct hn_engine *e);

/* engine_users.c: the user population. */
/* Start a user of class @class_idx (its first iteration due at
 * @intended_at; < 0: closed model). 0; HN_E_STATE: no user id granted yet;
 * HN_E_RANGE: no data row left (the class counts one starved user); -errno. */
int hn_engine_spawn(struct hn_engine *e, uint32_t class_idx, double intended_at);
/* Take @vu out of its class and retire it (now if idle, else after its
 * request). */
void hn_engine_retire_user(struct hn_engine *e, struct hn_vuser *vu);
/* Retire every user (the model changes, or the run stops). */
void hn_engine_retire_all(struct hn_engine *e);
/* Start or retire users toward the target, spending spawn credit earned at
 * the spawn rate. Classes take turns one user at a time, so a ramp keeps
 * their proportions. Arms the spawn timer while not there yet. */
void hn_engine_converge(struct hn_engine *e);

/* engine_open.c: the open model. */
void hn_open_init(struct hn_engine *e);
void hn_open_deinit(struct hn_engine *e);
/* Hand out every iteration due by @now. */
void hn_open_tick(struct hn_engine *e, double now);
/* When the open model next needs the loop: its next iteration, or a look
 * at waiting ones every 100 ms; INFINITY when off. */
double hn_open_next_at(struct hn_engine *e);
/* Follow a target: at most @caps[c] users and @class_rates[c] iterations
 * per second of class c. */
void hn_open_apply(struct hn_engine *e, const uint32_t *caps, const double *class_rates,
                   uint64_t max_delay_ms, double from, double end_at);
/* Leave the open model (stop, or a closed target): no more iterations,
 * waiting ones forgotten (not late: the run ended), parked users retired. */
void hn_open_leave(struct hn_engine *e);
/* @vu finished an iteration: the next waiting one, or park it. */
void hn_open_user_done(struct hn_engine *e, struct hn_vuser *vu);
