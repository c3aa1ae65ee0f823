/* hornet-master -f FILE: a YAML scenario file (format: SCENARIOS.md) into
 * the scenario model, checked completely before any worker is contacted.
 * Every error is reported as "FILE:LINE:COL: message". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "run_plan.h"

#define HN_LOAD_TAGS_MAX 32

struct hn_load_options {
    const char *host; /* -H: replaces the file's host (NULL: keep) */
    const char *tags[HN_LOAD_TAGS_MAX]; /* --tags: keep only tasks with one of these */
    uint32_t n_tags;
    const char *exclude_tags[HN_LOAD_TAGS_MAX]; /* --exclude-tags */
    uint32_t n_exclude_tags;
    uint64_t request_timeout_ms; /* --request-timeout (0: the file's, or 10 s) */
    bool no_cookies;             /* --no-cookies: replaces http.cookies */
    uint8_t engine;              /* --engine (enum hn_engine) when engine_given */
    bool engine_given;
    bool no_files; /* refuse data and CA files (the fuzzer reads no file) */
    /* Workers run on this host (--local-workers), with its libcurl: what
     * that libcurl cannot do is refused, else only said (curl_quirks.h). */
    bool local_workers;
    /* getenv for {{env NAME}} (tests); NULL: getenv(3) */
    const char *(*getenv)(void *ctx, const char *name);
    void *getenv_ctx;
};

/* What --check shows besides the model. */
struct hn_load_info {
    char *data_paths[HN_MODEL_FEEDERS_MAX]; /* as resolved, owned */
    uint32_t tasks_dropped;                 /* by --tags / --exclude-tags */
    uint32_t classes_dropped;               /* left with no task */
    struct hn_run_plan *plan; /* load:, arrival:, thresholds: as the file says
                                 (owned; has_shape false without load:/arrival:) */
};

/* Load and finalize @path. 0 with *out set; HN_E_INVALID with
 * "FILE:LINE:COL: message" in @err; -ENOMEM. @info may be NULL; free it
 * with hn_load_info_free. */
int hn_scenario_load(const char *path, const struct hn_load_options *opt,
                     struct hn_scenario **out, struct hn_load_info *info, char *err,
                     size_t err_len);
/* The same for a file already in memory, reported as @path. */
int hn_scenario_load_text(const char *path, const char *text, size_t len,
                          const struct hn_load_options *opt, struct hn_scenario **out,
                          struct hn_load_info *info, char *err, size_t err_len);
void hn_load_info_free(struct hn_load_info *info);
