/* The scenario compiled for libcurl, once per run: absolute URLs, merged
 * header lists, cumulative task weights. Read-only after hn_plan_build, so
 * every engine thread shares one plan. */
#pragma once

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum hn_plan_method {
    HN_PLAN_GET,
    HN_PLAN_HEAD,
    HN_PLAN_POST,
    HN_PLAN_OTHER, /* CURLOPT_CUSTOMREQUEST with the model's method */
};

struct hn_plan_step {
    const struct hn_step *step; /* model: method, name, body, entry */
    char *url;                  /* absolute URL */
    CURLU *curlu;               /* the same, parsed once (read-only) */
    struct curl_slist *headers; /* defaults, then class, then step */
    enum hn_plan_method method;
    long timeout_ms;
};

struct hn_plan_task {
    struct hn_plan_step *steps;
    uint32_t n_steps;
};

struct hn_plan_class {
    const struct hn_user_class *cls;
    struct hn_plan_task on_start;
    struct hn_plan_task *tasks;
    uint32_t n_tasks;
    uint64_t *cum_weight; /* cum_weight[i] = sum of weights of tasks 0..i */
};

struct hn_plan {
    const struct hn_scenario *scenario; /* not owned */
    struct hn_plan_class *classes;
    uint32_t n_classes;
    uint32_t n_steps; /* total steps, for sizing */
};

/* Compile a finalized scenario. 0, -ENOMEM, or HN_E_INVALID with a reason
 * in @why (a relative URL without a host, a template the worker cannot run
 * yet). The scenario must outlive the plan. */
int hn_plan_build(const struct hn_scenario *s, struct hn_plan **out, char *why, size_t why_len);
void hn_plan_free(struct hn_plan *p);

/* Task index for a uniform random number @rnd (weighted choice, O(log n)). */
uint32_t hn_plan_pick_task(const struct hn_plan_class *c, uint64_t rnd);
