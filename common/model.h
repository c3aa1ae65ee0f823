/* In-memory scenario model (DESIGN.md §5): user classes with weight and wait
 * time, weighted tasks made of request steps, request templates.
 *
 * Built by the master (YAML loader, or the command line's quick mode),
 * shipped to workers as msgpack (proto/scenario_codec.h) and executed by the
 * worker engine. All strings are owned by the scenario and freed by
 * hn_scenario_free(). Templates are stored as written ("{{var}}" syntax);
 * template compilation belongs to the scenario issue and happens once at load
 * time, never per request. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_MODEL_CLASSES_MAX 64 /* user classes per scenario */
#define HN_MODEL_TASKS_MAX 1024 /* tasks per class */
#define HN_MODEL_STEPS_MAX 256  /* steps per task or on_start */
#define HN_MODEL_HEADERS_MAX 64 /* headers per step, class or defaults */
#define HN_MODEL_WEIGHT_MAX 1000000
#define HN_MODEL_BODY_MAX (1u << 20)
#define HN_MODEL_STR_MAX 8192     /* URL, header value, name */
#define HN_MODEL_ENTRIES_MAX 4096 /* distinct (method, name) stats entries */

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
    char *name;  /* "Accept" */
    char *value; /* template: "Bearer {{token}}" */
};

/* One HTTP request. */
struct hn_step {
    char *method; /* "GET", "POST", ... (upper case) */
    char *url;    /* template; a path is joined to the scenario host */
    char *name;   /* stats name; defaults to the url template */
    struct hn_header *headers;
    uint32_t n_headers;
    char *body; /* template, may be NULL */
    uint32_t body_len;
    uint64_t timeout_ms; /* 0: scenario default */
    bool follow_redirects;
    uint16_t expect_status; /* check: {status: N}; 0 = any status < 400 */
    uint32_t entry;         /* stats entry index, set by hn_scenario_finalize */
};

struct hn_task {
    char *name;            /* may be NULL; names the task in logs */
    uint32_t weight;       /* relative, ≥ 1 */
    struct hn_step *steps; /* 1 step, or a sequence run in order */
    uint32_t n_steps;
};

struct hn_user_class {
    char *name;
    uint32_t weight; /* relative share of users, ≥ 1 */
    struct hn_wait wait;
    struct hn_header *headers; /* added to every request of this class */
    uint32_t n_headers;
    struct hn_step *on_start; /* run once when a user starts */
    uint32_t n_on_start;
    struct hn_task *tasks;
    uint32_t n_tasks;
};

/* A stats series: requests are keyed by (method, name). */
struct hn_stat_key {
    const char *method; /* points into a step of the scenario */
    const char *name;
};

struct hn_scenario {
    char *host;                /* "http://127.0.0.1:8080" */
    uint64_t timeout_ms;       /* default per-request timeout */
    struct hn_header *headers; /* defaults for every request */
    uint32_t n_headers;
    struct hn_user_class *classes;
    uint32_t n_classes;
    /* Filled by hn_scenario_finalize: */
    struct hn_stat_key *entries;
    uint32_t n_entries;
};

/* Allocate an empty scenario (host NULL, timeout 10 s). NULL on OOM. */
struct hn_scenario *hn_scenario_new(void);
/* Free the scenario and everything it owns. NULL-safe. */
void hn_scenario_free(struct hn_scenario *s);

/* Append an item and return it zero-initialised; NULL on OOM or when the
 * named limit would be exceeded. Strings are set with hn_model_strdup. */
struct hn_user_class *hn_scenario_add_class(struct hn_scenario *s);
struct hn_task *hn_class_add_task(struct hn_user_class *c);
struct hn_step *hn_task_add_step(struct hn_task *t);
struct hn_step *hn_class_add_on_start(struct hn_user_class *c);
struct hn_header *hn_headers_add(struct hn_header **headers, uint32_t *n);
char *hn_model_strdup(const char *s);

/* Check the scenario and index its stats entries: every step gets a name
 * (its url when unset) and an entry index into s->entries, one per distinct
 * (method, name). Returns 0, or HN_E_INVALID with a one-line reason in
 * @why (size @why_len) for an unusable scenario: no class, a class with no
 * task, zero weights, an empty method or url, a bad wait range. */
int hn_scenario_finalize(struct hn_scenario *s, char *why, size_t why_len);

/* Total weight of the classes; users are split by these weights. */
uint64_t hn_scenario_class_weight_sum(const struct hn_scenario *s);

/* The quick mode of the command line: one class, no wait, one equally
 * weighted GET task per path. NULL on OOM. */
struct hn_scenario *hn_scenario_quick(const char *host, const char *const *paths, size_t n_paths);
