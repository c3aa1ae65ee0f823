/* Private structures of one engine thread, shared by engine.c (thread,
 * commands, spawning), curl_io.c (multi-socket glue) and vuser.c (virtual
 * user state machine). Not part of the worker's public API. */
#pragma once

#include <curl/curl.h>
#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "plan.h"
#include "recorder.h"

struct hn_engine;

/* One curl multi handle and its timer. An engine shards its users over
 * several multis because libcurl looks for a reusable connection by walking
 * every connection to the host in the multi's cache: with thousands of
 * users on one multi that walk dominates (throughput collapses); with
 * HN_ENGINE_USERS_PER_MULTI it stays short. */
struct hn_multi {
    CURLM *multi;
    ev_timer timer; /* CURLMOPT_TIMERFUNCTION's single timeout */
    struct hn_engine *eng;
    uint32_t n_users; /* users assigned to this multi */
};

/* One socket libcurl asked us to watch (CURLMOPT_SOCKETFUNCTION). */
struct hn_sock {
    ev_io io;
    curl_socket_t fd;
    struct hn_multi *m;
    struct hn_sock *next_free;
};

enum hn_vu_state {
    HN_VU_IDLE,    /* not running (never started, or retired) */
    HN_VU_REQUEST, /* a request is in flight */
    HN_VU_WAITING, /* thinking between iterations */
};

struct hn_vuser {
    struct hn_engine *eng;
    struct hn_multi *m;
    CURL *easy; /* owned, reused for every request */
    enum hn_vu_state state;
    uint32_t class_idx;
    bool retiring;    /* finish the request in flight, then stop */
    bool in_on_start; /* running the class's on_start steps */
    const struct hn_plan_task *task;
    uint32_t step;                     /* index into task->steps */
    const struct hn_plan_step *loaded; /* step whose options the easy holds */
    ev_tstamp issued_at;               /* loop time the request was added */
    ev_tstamp iteration_at;            /* loop time the iteration started (pacing) */
    ev_timer wait;                     /* think time */
    uint64_t bytes;                    /* body bytes of the request in flight */
    uint32_t slot;                     /* index in its class stack while running */
    struct hn_vuser *next_free;        /* in hn_engine.spare while idle */
};

/* Users of one class on this engine: a stack, so the newest retire first. */
struct hn_vu_class {
    uint32_t target;
    uint32_t running; /* in stack[0..running), not retiring */
    struct hn_vuser **stack;
    uint32_t cap;
};

/* Commands from the pool's thread; guarded by hn_engine.lock. */
struct hn_engine_cmd {
    uint32_t target[HN_MODEL_CLASSES_MAX];
    double spawn_rate_per_s;
    uint64_t target_gen;
    uint64_t swap_gen;
    bool stop;
    uint64_t stop_timeout_ms;
    bool quit;
};

struct hn_engine {
    uint32_t index;
    const struct hn_plan *plan;
    struct ev_loop *loop;
    pthread_t thread;
    bool thread_started;
    ev_async wake;        /* the pool posted a command */
    ev_timer spawn_timer; /* converges users toward the target */
    ev_timer stop_timer;  /* aborts transfers at the stop timeout */

    struct hn_multi **multis; /* each allocated once: users point at them */
    uint32_t n_multis, cap_multis;
    struct hn_sock *free_socks;
    long buffer_size; /* CURLOPT_BUFFERSIZE for new users */

    struct hn_vuser **users; /* every user ever created, for cleanup */
    uint32_t n_users, cap_users;
    struct hn_vuser *spare; /* idle users to reuse, linked by next_free */
    struct hn_vu_class classes[HN_MODEL_CLASSES_MAX];
    uint32_t in_flight; /* users in HN_VU_REQUEST */
    uint32_t retiring;  /* retiring users still in a request */

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
    uint64_t applied_target_gen, applied_swap_gen;

    /* Published to the pool thread. */
    _Atomic uint64_t swapped_gen;
    _Atomic uint32_t users_now;
    _Atomic bool drained;
    hn_engine_notify_fn notify;
    void *notify_ctx;
};

/* curl_io.c */
int hn_engine_multi_for_new_user(struct hn_engine *e, struct hn_multi **out);
void hn_engine_multis_free(struct hn_engine *e);
/* Add the user's easy handle to its multi (the request starts). */
int hn_engine_add_request(struct hn_vuser *vu);

/* vuser.c */
int hn_vuser_new(struct hn_engine *e, uint32_t class_idx, struct hn_vuser **out);
void hn_vuser_free(struct hn_vuser *vu);
void hn_vuser_start(struct hn_vuser *vu);
/* A transfer finished (libcurl's CURLMSG_DONE) or was aborted. */
void hn_vuser_done(struct hn_vuser *vu, CURLcode result, bool aborted);
/* Stop at once if waiting, else after the request in flight. */
void hn_vuser_retire(struct hn_vuser *vu);

/* engine.c: a user went idle (retired, or finished its last request while
 * retiring); updates counters and the drained state. */
void hn_engine_user_stopped(struct hn_engine *e, struct hn_vuser *vu, bool was_retiring);
uint64_t hn_engine_random(struct hn_engine *e);
