/* The scenario compiled for the engine, once per run: steps prepared for
 * the transport, merged header lists, what each request must render, JSON
 * paths and regular expressions of captures and checks, cumulative task
 * weights. Read-only after hn_plan_build, so every engine thread shares one
 * plan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "http.h"
#include "jsonpath.h"
#include "model.h"

/* One header of a step after merging defaults, class and step (the most
 * specific wins) and adding the implied ones (Content-Type, User-Agent). */
struct hn_plan_header {
    char *line;                      /* "Name: value" when fixed, else NULL */
    const char *name;                /* when rendered */
    const struct hn_template *value; /* when rendered */
    bool until_set; /* a class or defaults header: left out while a variable it
                       names is not captured yet (Authorization before login) */
};

struct hn_plan_step {
    const struct hn_step *step; /* model: method, name, checks, entry */
    struct hn_http_prep *prep;  /* what is fixed, for the transport */
    char *url;                  /* the absolute URL when fixed */
    bool render_url, render_headers, render_body;
    struct hn_plan_header *headers; /* merged, in the order sent */
    uint32_t n_headers;
    bool keep_body;                   /* a capture or check reads the body */
    bool fast;                        /* runs on the fast path (http.engine) */
    /* Its entry is also requested by a class without pacing: in the closed
     * model no request of the entry records a latency from the intended
     * start, so that the entry shows one kind of time (service times). */
    bool entry_unpaced;
    struct hn_jsonpath *capture_paths; /* per capture (JSON ones) */
    pcre2_code **capture_res;          /* per capture (regex ones) */
    struct hn_jsonpath *check_paths;   /* per json check */
    double *check_numbers;             /* per json check: the wanted number (NUMBER checks),
                                          read once here rather than for every response */
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
    uint32_t n_steps;     /* total steps, for sizing */
    uint32_t n_fast_steps; /* of which on the fast path */
    uint32_t max_headers; /* most merged headers of any step */
};

/* Compile a finalized scenario. 0, -ENOMEM, or HN_E_INVALID with a reason
 * in @why (a relative URL without a host, a URL that is not http(s), a JSON
 * path or regular expression that does not compile). The scenario must
 * outlive the plan. */
int hn_plan_build(const struct hn_scenario *s, struct hn_plan **out, char *why, size_t why_len);
void hn_plan_free(struct hn_plan *p);

/* Task index for a uniform random number @rnd (weighted choice, O(log n)). */
uint32_t hn_plan_pick_task(const struct hn_plan_class *c, uint64_t rnd);

/* The URL a rendered one is joined to when it is not absolute: "" when it
 * is (http:// or https://, any case), else the scenario host without its
 * trailing slashes, plus "/" when @url does not start with one. */
void hn_plan_url_base(const struct hn_scenario *s, const char *url, size_t url_len,
                      const char **base, size_t *base_len, bool *slash);
