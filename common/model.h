/* In-memory scenario model: user classes with weight and wait time,
 * weighted tasks made of request steps, compiled templates, captures,
 * checks and data feeders (the scenario file format is described in
 * SCENARIOS.md).
 *
 * Built by the master (the YAML loader, or quick mode from the command
 * line), shipped to workers as msgpack (proto/scenario_codec.h) and run by
 * the worker engine. Everything a scenario points to is owned by it and
 * freed by hn_scenario_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template.h"

#define HN_MODEL_CLASSES_MAX 64 /* user classes per scenario */
#define HN_MODEL_TASKS_MAX 1024 /* tasks per class */
#define HN_MODEL_STEPS_MAX 256  /* steps per task or on_start */
#define HN_MODEL_STEPS_TOTAL_MAX                                                                   \
    16384                       /* steps in a whole scenario: what the                             \
                                   blob can carry (proto/scenario_decode.c) */
#define HN_MODEL_HEADERS_MAX 64 /* headers per step, class or defaults */
#define HN_MODEL_WEIGHT_MAX 1000000
#define HN_MODEL_BODY_MAX (1u << 20) /* bytes of a body as written */
#define HN_MODEL_STR_MAX 8192        /* URL, header value, data cell */
#define HN_MODEL_ENTRIES_MAX 4096    /* distinct (method, name) stats entries */
#define HN_MODEL_VARS_MAX 256        /* captured variable names per scenario */
#define HN_MODEL_CAPTURES_MAX 32     /* captures per step */
#define HN_MODEL_CHECKS_MAX 32       /* json checks per step */
#define HN_MODEL_STATUSES_MAX 32     /* statuses one check accepts */
#define HN_MODEL_FEEDERS_MAX 32      /* data feeders per scenario */
#define HN_MODEL_COLUMNS_MAX 64      /* columns per data feeder */
#define HN_MODEL_ROWS_MAX 200000     /* rows per data feeder */
#define HN_MODEL_DATA_BYTES_MAX (32u << 20) /* bytes of all data cells */
#define HN_MODEL_CA_MAX (1u << 20)          /* bytes of a CA bundle */
#define HN_MODEL_VALUE_MAX (16u << 10)      /* bytes of one captured value */
#define HN_MODEL_MAX_BODY_DEFAULT (1u << 20)
#define HN_MODEL_MAX_BODY_MAX (64u << 20) /* bytes a capture or check reads */

/* What a virtual user does between two task iterations. */
enum hn_wait_kind {
    HN_WAIT_NONE = 0, /* start the next task at once */
    HN_WAIT_CONSTANT, /* sleep min_ms */
    HN_WAIT_BETWEEN,  /* sleep uniformly in [min_ms, max_ms] */
    HN_WAIT_PACING,   /* start iterations every min_ms (sleep what is left) */
    HN_WAIT__COUNT
};

struct hn_wait {
    enum hn_wait_kind kind;
    uint64_t min_ms; /* constant time, lower bound, or pacing period */
    uint64_t max_ms; /* upper bound for HN_WAIT_BETWEEN */
};

struct hn_header {
    char *name;                /* "Authorization" */
    struct hn_template value;  /* "Bearer {{token}}", escaped for headers */
};

enum hn_body_kind {
    HN_BODY_NONE, /* no body */
    HN_BODY_RAW,  /* body: as written */
    HN_BODY_JSON, /* json: serialised at load time, values escaped for JSON */
    HN_BODY_FORM, /* form: url-encoded at load time */
    HN_BODY__COUNT
};

enum hn_capture_kind {
    HN_CAPTURE_JSON,   /* a JSON path into the response body */
    HN_CAPTURE_HEADER, /* a response header, by name (any case) */
    HN_CAPTURE_REGEX,  /* the first group of a regular expression on the body */
    HN_CAPTURE__COUNT
};

struct hn_capture {
    uint32_t var; /* variable slot (index into hn_scenario.vars) */
    uint8_t kind; /* enum hn_capture_kind */
    char *expr;   /* JSON path, header name or regular expression */
};

/* Type of the value a json check expects. */
enum hn_json_type { HN_JSON_STRING, HN_JSON_NUMBER, HN_JSON_BOOL, HN_JSON_NULL, HN_JSON__COUNT };

struct hn_check_json {
    char *path; /* JSON path */
    char *want; /* expected value as text: "paid", "42", "true", "null" */
    uint8_t want_type;
};

/* One HTTP request. */
struct hn_step {
    char *method;           /* "GET", "POST", ... (upper case) */
    struct hn_template url; /* a path is joined to the scenario host */
    char *name;             /* stats name; the url as written when unset */
    struct hn_header *headers;
    uint32_t n_headers;
    uint8_t body_kind;       /* enum hn_body_kind */
    struct hn_template body; /* rendered body (for every kind but NONE) */
    uint64_t timeout_ms;     /* 0: scenario default */
    bool follow_redirects;
    struct hn_capture *captures;
    uint32_t n_captures;
    /* Checks. The status check passes for any of statuses[] or, when there
     * is none, for any status below 400. */
    uint16_t *statuses;
    uint32_t n_statuses;
    struct hn_template body_contains; /* no segment: no such check */
    bool has_body_contains;
    struct hn_check_json *json_checks;
    uint32_t n_json_checks;
    uint32_t entry; /* stats entry index, set by hn_scenario_finalize */
};

struct hn_task {
    char *name;            /* may be NULL; names the task in logs */
    uint32_t weight;       /* relative, >= 1 */
    struct hn_step *steps; /* 1 step, or a sequence run in order */
    uint32_t n_steps;
};

struct hn_user_class {
    char *name;
    uint32_t weight; /* relative share of users, >= 1 */
    struct hn_wait wait;
    struct hn_header *headers; /* added to every request of this class */
    uint32_t n_headers;
    struct hn_step *on_start; /* run once when a user starts */
    uint32_t n_on_start;
    struct hn_task *tasks;
    uint32_t n_tasks;
    uint32_t feeders_used; /* bit f: the class reads feeder f (set by finalize) */
};

/* How users of a run share the rows of a data feeder. */
enum hn_feeder_order {
    HN_ORDER_SEQUENTIAL, /* rows in turn, across the whole run, wrapping */
    HN_ORDER_RANDOM,     /* a row picked at random per user */
    HN_ORDER_UNIQUE,     /* each row to one user at most, in the whole run */
    HN_ORDER__COUNT
};

/* A data feeder: a CSV file with a header row. Each user takes one row of
 * every feeder its class reads, when it starts, and keeps it. */
struct hn_feeder {
    char *name;
    uint8_t order; /* enum hn_feeder_order */
    char **columns;
    uint32_t n_columns;
    /* Rows, n_rows * n_columns NUL-terminated cells. UNIQUE feeders keep
     * their rows on the master, which deals them to workers as users start
     * (the scenario blob carries none); n_rows is the count either way. */
    char **cells;
    uint32_t n_rows;
    bool rows_shipped; /* cells hold the rows (false on workers for UNIQUE) */
};

/* A stats series: requests are keyed by (method, name). */
struct hn_stat_key {
    const char *method; /* points into a step of the scenario */
    const char *name;
};

enum hn_http_version { HN_HTTP_1_1, HN_HTTP_2, HN_HTTP__COUNT };

/* Which transport runs the steps (http.engine; see common/fastpath.h). */
enum hn_http_engine {
    HN_ENGINE_AUTO, /* the fast path for every eligible step, libcurl for the rest */
    HN_ENGINE_CURL, /* a full libcurl transfer for every step */
    HN_ENGINE_FAST, /* the fast path for every step; an ineligible one is an error */
    HN_ENGINE__COUNT
};

struct hn_scenario {
    char *host;                /* "http://127.0.0.1:8080" */
    uint64_t timeout_ms;       /* default per-request timeout */
    struct hn_header *headers; /* defaults for every request */
    uint32_t n_headers;
    bool tls_verify;        /* verify the server's certificate (default on) */
    char *ca_pem;           /* CA bundle (PEM) to verify with, NULL: system's */
    uint32_t ca_len;        /* bytes of ca_pem */
    uint8_t http_version;   /* enum hn_http_version */
    bool cookies;           /* each user keeps a cookie jar (default on) */
    uint8_t engine;         /* enum hn_http_engine (default auto) */
    uint64_t max_body;      /* bytes of a response kept for captures/checks */
    char **vars;            /* captured variable names; a slot is an index */
    uint32_t n_vars;
    struct hn_feeder *feeders;
    uint32_t n_feeders;
    struct hn_user_class *classes;
    uint32_t n_classes;
    /* Filled by hn_scenario_finalize: */
    struct hn_stat_key *entries;
    uint32_t n_entries;
};

/* Allocate an empty scenario (host NULL, timeout 10 s, TLS verified,
 * HTTP/1.1, cookies on, engine auto, max_body HN_MODEL_MAX_BODY_DEFAULT). NULL
 * on OOM. */
struct hn_scenario *hn_scenario_new(void);
/* Free the scenario and everything it owns. NULL-safe. */
void hn_scenario_free(struct hn_scenario *s);

/* Append an item and return it zero-initialised (weights 1); NULL on OOM or
 * when the named limit would be exceeded. */
struct hn_user_class *hn_scenario_add_class(struct hn_scenario *s);
struct hn_feeder *hn_scenario_add_feeder(struct hn_scenario *s);
struct hn_task *hn_class_add_task(struct hn_user_class *c);
struct hn_step *hn_task_add_step(struct hn_task *t);
struct hn_step *hn_class_add_on_start(struct hn_user_class *c);
struct hn_header *hn_headers_add(struct hn_header **headers, uint32_t *n);
struct hn_capture *hn_step_add_capture(struct hn_step *st);
struct hn_check_json *hn_step_add_json_check(struct hn_step *st);
/* Free class @i and close the gap (the loader drops a class --tags left
 * without a task). */
void hn_scenario_remove_class(struct hn_scenario *s, uint32_t i);
/* Free what a task holds and zero it (the loader drops a task that
 * --tags excludes once it has been read and checked). */
void hn_task_clear(struct hn_task *t);
/* 0, HN_E_TOO_LARGE or -ENOMEM. */
int hn_step_add_status(struct hn_step *st, uint16_t status);
/* Slot of variable @name, added when new. 0, HN_E_TOO_LARGE or -ENOMEM. */
int hn_scenario_var(struct hn_scenario *s, const char *name, uint32_t *slot);
char *hn_model_strdup(const char *s);

/* Replace @t with fixed text (no template syntax is read). 0 or -ENOMEM. */
int hn_template_set_literal(struct hn_template *t, const char *text);

/* Check the scenario and index its stats entries: every step gets a name
 * (its url as written when unset) and an entry index into s->entries, one
 * per distinct (method, name); every class learns which feeders it reads.
 * Returns 0, or HN_E_INVALID with a one-line reason in @why (size
 * @why_len) for an unusable scenario: no class, a class with no task, zero
 * weights, an empty method or url, a bad wait range, a template naming a
 * variable or column that does not exist. */
int hn_scenario_finalize(struct hn_scenario *s, char *why, size_t why_len);

/* Total weight of the classes; users are split by these weights. */
uint64_t hn_scenario_class_weight_sum(const struct hn_scenario *s);

/* Call @fn for every step of the scenario (on_start steps first, then the
 * tasks', class by class). Stops at and returns the first non-zero result. */
int hn_scenario_each_step(struct hn_scenario *s,
                          int (*fn)(void *ctx, struct hn_user_class *c, struct hn_step *st),
                          void *ctx);

/* The quick mode of the command line: one class, no wait, one equally
 * weighted GET task per path. NULL on OOM. */
struct hn_scenario *hn_scenario_quick(const char *host, const char *const *paths, size_t n_paths);
