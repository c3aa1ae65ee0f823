/* Hornet wire messages: typed structs and the msgpack frame codec shared by
 * master and worker. The byte format is specified in PROTOCOL.md; limits are
 * in limits.h. Every decoded byte is treated as hostile. */
#pragma once

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "hist_codec.h"
#include "proto_limits.h"

enum hn_msg_type {
    HN_MSG_HELLO = 1, /* w→m: worker introduces itself */
    HN_MSG_WELCOME,   /* m→w: accepted, here is your index */
    HN_MSG_REJECT,    /* m→w: not accepted, with a reason */
    HN_MSG_SCENARIO,  /* m→w: compiled scenario */
    HN_MSG_TARGET,    /* m→w: absolute load target */
    HN_MSG_SNAPSHOT,  /* w→m: one interval of stats */
    HN_MSG_HEARTBEAT, /* both: liveness and worker state */
    HN_MSG_STOP,      /* m→w: stop gracefully */
    HN_MSG_FINAL,     /* w→m: last snapshot after draining */
    HN_MSG_QUIT,      /* m→w: exit */
    HN_MSG_GRANT,     /* m→w: user ids and data rows for users to start */
    HN_MSG_DECLINE,   /* w→m: cannot run the run's scenario, with a reason */
};
#define HN_MSG_TYPE_MAX HN_MSG_DECLINE

/* Run phase in a TARGET. */
enum hn_phase { HN_PHASE_IDLE, HN_PHASE_RUN, HN_PHASE_STOP, HN_PHASE__COUNT };

/* Load model in a TARGET: fixed users (closed) or arrival rate (open). */
enum hn_load_model { HN_MODEL_CLOSED, HN_MODEL_OPEN, HN_MODEL__COUNT };

/* Kinds of timing histograms in a stats entry, all in microseconds. */
enum hn_timing {
    HN_TIMING_TOTAL = 0, /* response time of the whole request */
    HN_TIMING_DNS,       /* name resolution */
    HN_TIMING_CONNECT,   /* TCP connect */
    HN_TIMING_TLS,       /* TLS handshake */
    HN_TIMING_TTFB,      /* time to first byte */
    HN_TIMING_INTENDED,  /* latency from the intended start of the request's
                            iteration (open model, pacing): the service time
                            plus how late the iteration started */
    HN_TIMING__COUNT
};

/* The phases of a request (DNS, CONNECT, TLS, TTFB): sent only in some
 * reports (PROTOCOL.md §5), so their counts are not
 * bounded by the requests of the report carrying them. */
static inline bool hn_timing_is_phase(int kind)
{
    return kind == HN_TIMING_DNS || kind == HN_TIMING_CONNECT || kind == HN_TIMING_TLS ||
           kind == HN_TIMING_TTFB;
}

/* Worker state in a HEARTBEAT. */
enum hn_worker_state {
    HN_WSTATE_IDLE,     /* no usable scenario (none yet, or declined) */
    HN_WSTATE_RUNNING,  /* a TARGET of the run is applied */
    HN_WSTATE_STOPPING, /* draining after STOP */
    HN_WSTATE_STOPPED,  /* FINAL sent */
    HN_WSTATE_LOADED,   /* the run's scenario is loaded: it can take users */
    HN_WSTATE__COUNT
};

/* Strings are NUL-terminated and hold at most the named limit in bytes of
 * UTF-8 without NUL bytes (both directions enforce it). */
struct hn_msg_hello {
    char worker_id[HN_PROTO_ID_MAX + 1]; /* "host-pid-random" */
    char hostname[HN_PROTO_HOSTNAME_MAX + 1];
    uint32_t pid;
    char version[HN_PROTO_VERSION_STR_MAX + 1]; /* software version */
    uint32_t cpus;
    uint32_t capacity;                /* max VUs the worker offers, 0 = unlimited */
    char run_id[HN_PROTO_ID_MAX + 1]; /* run the worker is in; "" = none (new process) */
};

struct hn_msg_welcome {
    uint32_t worker_index;
    char run_id[HN_PROTO_ID_MAX + 1];
    uint32_t snapshot_interval_ms;
};

struct hn_msg_reject {
    char reason[HN_PROTO_REASON_MAX + 1];
};

/* The worker cannot run the SCENARIO of run @run_id (its WELCOME's): it
 * runs no users of that run, and the master gives them to the others. */
struct hn_msg_decline {
    char run_id[HN_PROTO_ID_MAX + 1];
    char reason[HN_PROTO_REASON_MAX + 1];
};

/* Decoded blob/hash point INTO the decoded frame (zero copy). */
struct hn_msg_scenario {
    const uint8_t *blob; /* compiled scenario, opaque here */
    size_t blob_len;     /* <= HN_PROTO_SCENARIO_MAX */
    const uint8_t *hash; /* content hash */
    size_t hash_len;     /* <= HN_PROTO_HASH_MAX */
};

struct hn_msg_target {
    uint64_t seq; /* monotonic per run: ignore older targets */
    enum hn_phase phase;
    enum hn_load_model model;
    uint32_t n_classes;                   /* <= HN_PROTO_CLASSES_MAX */
    uint32_t users[HN_PROTO_CLASSES_MAX]; /* closed model: VUs per class */
    double spawn_rate_per_s;              /* finite, >= 0 */
    double arrival_rate_per_s;            /* open model; finite, >= 0 */
    uint32_t max_users;                   /* open model */
    uint64_t start_wall_ms;               /* wall clock, ms since the epoch */
    uint32_t max_delay_ms; /* open model: an iteration waiting longer is dropped */
    /* Open model: the run ends this many ms after this TARGET was sent (0:
     * no end set); the worker schedules no iteration due later than that
     * after it got it (the earliest of the run's TARGETs), whenever the
     * STOP comes. */
    uint64_t ends_in_ms;
    /* Open model: this worker's iterations per second per class (n_classes
     * of them, or none: then arrival_rate_per_s split by users). */
    uint32_t n_class_rates;
    double class_rates[HN_PROTO_CLASSES_MAX];
};

/* Stats of one (method, name) over an interval. One struct serves both
 * directions:
 *  - the ENCODER reads hist[k] (NULL or empty = kind k not sent) and ignores
 *    wire[];
 *  - the DECODER fills wire[k] (present = sent; buckets point into the
 *    frame) and sets hist[k] to NULL.
 * requests equals the TOTAL histogram's count (0 when TOTAL is absent),
 * failures <= requests, and INTENDED counts <= requests; the phases
 * (hn_timing_is_phase) hold the requests since the last report that carried
 * them, not only this one's. */
struct hn_msg_entry {
    char method[HN_PROTO_METHOD_MAX + 1];
    char name[HN_PROTO_NAME_MAX + 1];
    uint64_t requests;
    uint64_t failures;
    uint64_t bytes_received;
    const struct hn_hist *hist[HN_TIMING__COUNT];
    struct hn_hist_wire wire[HN_TIMING__COUNT];
};

/* One error row: (method, name, error) seen @count (>= 1) times. */
struct hn_msg_error {
    char method[HN_PROTO_METHOD_MAX + 1];
    char name[HN_PROTO_NAME_MAX + 1];
    char error[HN_PROTO_ERROR_MAX + 1];
    uint64_t count;
};

/* Something that went wrong outside any request, e.g. a user that could not
 * start: @message happened @count (>= 1) times. */
struct hn_msg_exception {
    char message[HN_PROTO_ERROR_MAX + 1];
    uint64_t count;
};

/* SNAPSHOT and FINAL. The encoder reads entries/errors/exceptions from the
 * caller's arrays; the decoder allocates them (freed by hn_msg_deinit). */
struct hn_msg_snapshot {
    uint64_t seq;
    char run_id[HN_PROTO_ID_MAX + 1]; /* run of WELCOME these figures belong to */
    uint64_t interval_start_ms;       /* worker wall clock */
    uint64_t interval_end_ms;
    uint32_t users;     /* VUs running now */
    uint32_t n_entries; /* <= HN_PROTO_ENTRIES_MAX */
    uint32_t n_errors;  /* <= HN_PROTO_ERRORS_MAX */
    uint32_t n_exceptions; /* <= HN_PROTO_EXCEPTIONS_MAX */
    uint64_t dropped;      /* open model: iterations dropped in the interval
                              (they waited longer than max_delay) */
    struct hn_msg_entry *entries;
    struct hn_msg_error *errors;
    struct hn_msg_exception *exceptions;
    /* Decoder only: room for the entries' decoded histogram counters
     * (hist_codec.h) when the caller gave none (hn_msg_decode_into). */
    struct hn_hist_pairs own_counters;
};

/* Decoded histogram counters one snapshot keeps at most (10 bytes each):
 * an honest snapshot of 20 names has some 8,000; a frame stuffed with
 * more costs the decoder no more memory than this (the rest of its
 * histograms are merged from their bucket streams). */
#define HN_MSG_COUNTERS_MAX (1u << 18)

/* Rows of one data feeder granted to a worker. */
struct hn_msg_grant_feeder {
    uint32_t feeder;    /* index into the scenario's feeders */
    uint32_t n_rows;    /* rows granted */
    uint64_t first_row; /* SEQUENTIAL feeders: index of the first row (the
                           rows follow it, wrapping); 0 otherwise */
    const uint8_t *cells; /* UNIQUE feeders: n_rows * columns NUL-terminated
                             cells (points into the frame); NULL otherwise */
    size_t cells_len;
};

/* GRANT: before the master raises a worker's users, it gives it a run-wide
 * user id for each user it may start and, for every data feeder those
 * users' classes read, their rows. The worker queues them; each user it
 * starts takes the next id and rows. */
struct hn_msg_grant {
    uint64_t first_user_id; /* ids first_user_id .. first_user_id + n_ids - 1 */
    uint32_t n_ids;
    uint32_t n_feeders; /* <= HN_PROTO_FEEDERS_MAX */
    struct hn_msg_grant_feeder feeders[HN_PROTO_FEEDERS_MAX];
};

/* HEARTBEAT loop_lag_ms: a lag of HN_PROTO_STALL_MS or more is a stall. A
 * worker repeats a stall's lag in its HEARTBEATs for HN_PROTO_STALL_REPEAT_MS
 * (unless a new stall replaces it): a frozen worker often finds its
 * connection broken, and the HEARTBEAT that would have told the master may
 * be lost with it. The master counts a repeated value once. */
#define HN_PROTO_STALL_MS 1000u
#define HN_PROTO_STALL_REPEAT_MS 10000u

struct hn_msg_heartbeat {
    enum hn_worker_state state;
    uint32_t cpu_permille; /* CPU use, 1000 = one core busy */
    uint64_t rss_bytes;
    uint32_t users;
    uint32_t loop_lag_ms; /* longest an event loop of the worker ran late since
                             its previous HEARTBEAT (a frozen process shows the
                             freeze here); a stall is repeated, see above */
    uint32_t grants;      /* GRANT messages its process received since its SCENARIO
                             (0 from the master): tells the master which GRANTs
                             a broken connection lost */
};

struct hn_msg_stop {
    uint32_t timeout_ms; /* graceful stop deadline */
};

struct hn_msg {
    enum hn_msg_type type;
    union {
        struct hn_msg_hello hello;
        struct hn_msg_welcome welcome;
        struct hn_msg_reject reject;
        struct hn_msg_scenario scenario;
        struct hn_msg_target target;
        struct hn_msg_snapshot snapshot; /* SNAPSHOT and FINAL */
        struct hn_msg_heartbeat heartbeat;
        struct hn_msg_stop stop;
        struct hn_msg_grant grant;
        struct hn_msg_decline decline;
        /* QUIT has no body */
    };
};

/* "HELLO", "WELCOME", ...; "UNKNOWN" for anything else. Never NULL. */
const char *hn_msg_type_name(uint32_t type);

/* Append one frame holding @m (protocol version HN_PROTO_VERSION) to @out.
 * Checks @m against the same rules the decoder enforces (string and array
 * limits, enum ranges, finite rates, entry consistency, per-type frame
 * size), so a frame we send is never one the peer rejects.
 * @return 0; HN_E_TOO_LARGE, HN_E_RANGE, HN_E_INVALID, HN_E_UNKNOWN_TYPE if
 *         @m breaks a rule; -ENOMEM. On error @out is left as it was. */
int hn_msg_encode(const struct hn_msg *m, msgpack_sbuffer *out);

/* Largest frame accepted for message @type: HN_PROTO_FRAME_MAX for
 * SCENARIO, HN_PROTO_SNAPSHOT_FRAME_MAX for SNAPSHOT, FINAL and GRANT,
 * HN_PROTO_SMALL_FRAME_MAX for the rest. */
size_t hn_msg_frame_cap(uint32_t type);

/* Read a frame's type and protocol version without decoding the body, so a
 * receiver can answer a frame of another version (e.g. a REJECT naming both
 * versions). Checks only the frame header.
 * @return 0 with *type and *version set; HN_E_TRUNCATED, HN_E_TYPE,
 *         HN_E_INVALID or HN_E_RANGE (a number above UINT32_MAX). */
int hn_msg_peek(const void *buf, size_t len, uint32_t *type, uint32_t *version);

/* Decode and validate one frame of @len bytes. Checks, in order: overall
 * size (HN_E_TOO_LARGE), header (see hn_msg_peek), version (HN_E_VERSION),
 * type (HN_E_UNKNOWN_TYPE), per-type size cap (HN_E_TOO_LARGE), structure
 * (hn_frame_check) and then every field's type, range and limit.
 * The decoded message may point into @buf (SCENARIO blob and hash, snapshot
 * histogram buckets): it is valid only while @buf lives and is unchanged.
 * A snapshot's histogram counters are also decoded, for the merge
 * (hn_msg_decode_into).
 * @return 0: *out filled, call hn_msg_deinit(out) when done; a positive
 *         hn_error or -ENOMEM: nothing to free, *out untouched. */
int hn_msg_decode(const void *buf, size_t len, struct hn_msg *out);

/* hn_msg_decode, with the decoded histogram counters of a SNAPSHOT or
 * FINAL stored in @room (a stream of L bytes holds at most L counters;
 * those that do not fit are not decoded, and their histograms are merged
 * from the stream), so that a receiver decoding one snapshot after another
 * allocates that memory once. @room must outlive the message, and not be
 * reset or reused for another until hn_msg_deinit of this one; on error
 * room->used is as it was (the space past it may have been written).
 * NULL: like hn_msg_decode, room of the message's own, up to
 * HN_MSG_COUNTERS_MAX counters. */
int hn_msg_decode_into(const void *buf, size_t len, struct hn_hist_pairs *room, struct hn_msg *out);

/* True if @s[0..len) is valid UTF-8 without NUL bytes: the rule for every
 * string on the wire. */
bool hn_msg_str_valid(const char *s, size_t len);

/* True if two DECODED messages hold the same values (strings, numbers, and
 * for snapshots every wire histogram field and bucket byte). A test and
 * fuzzing oracle (msg_equal.c): the daemons do not use it. */
bool hn_msg_equal(const struct hn_msg *a, const struct hn_msg *b);

/* Free what hn_msg_decode allocated (snapshot entries, errors, exceptions,
 * decoded counters). Only for decoded messages; safe to call twice. */
void hn_msg_deinit(struct hn_msg *m);
