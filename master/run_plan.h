/* What a run does over time and how it is judged: the load shape (users
 * over time in the closed model, iterations per second in the open model)
 * and the thresholds. The scenario file gives them (load:, arrival:,
 * thresholds:), the command line overrides it; this module merges the two
 * into the plan the master follows and says it in words for --check. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "loadshape.h"
#include "model.h"
#include "thresholds.h"

/* Most iterations an open-model run keeps in flight at once when neither
 * the file nor --max-users says (users are created when needed, so a high
 * default costs nothing until the target is slow). */
#define HN_PLAN_MAX_USERS_DEFAULT 1000u

struct hn_run_plan {
    /* Given: the file's load: or arrival:, or --stages / -u / -r / --rate. */
    bool has_shape;
    struct hn_load_shape shape;
    /* The shape was written as stages (file or --stages): the run lasts as
     * long as they do unless -t says otherwise. */
    bool timed_by_shape;
    /* Open model: max_users was not given (the master holds it to what
     * the workers can hold). */
    bool max_users_defaulted;
    /* A named shape (shape: step, ...), for --check: "" otherwise. */
    char shape_name[16];
    struct hn_threshold thresholds[HN_THRESHOLDS_MAX];
    uint32_t n_thresholds;
    uint64_t run_time_ms; /* after hn_run_plan_resolve: 0 = until stopped */
};

/* Parse --stages "30s:10:5,1m:50:10,30s:0" (duration:users[:spawn rate]) into
 * closed-model stages. 0, or HN_E_INVALID with a reason in @why. */
int hn_run_plan_parse_stages(const char *arg, struct hn_load_shape *out, char *why,
                             size_t why_len);

/* The plan of the run: @file (what the scenario file said; NULL for quick
 * mode) overridden by the command line @cfg, completed with defaults
 * (max users, max delay = the request timeout of @s). Thresholds from the
 * file come first, then --threshold ones. 0, or HN_E_INVALID with a
 * one-line reason in @why. */
int hn_run_plan_resolve(const struct hn_master_config *cfg, const struct hn_scenario *s,
                        const struct hn_run_plan *file, struct hn_run_plan *out, char *why,
                        size_t why_len);

/* The plan in words (stages, rates, run time, thresholds), for --check and
 * the start of a run; every line starts with @indent. */
void hn_run_plan_describe(FILE *out, const struct hn_run_plan *p, const struct hn_scenario *s,
                          const char *indent);

/* The plan in a few words for the log: "ramping to 50 users at 10/s",
 * "3 stages over 2m, at most 50 users", "500/s iterations, at most 1000
 * users". Returns @buf. */
const char *hn_run_plan_brief(const struct hn_run_plan *p, char *buf, size_t len);

/* End of the stage running @t_ms after the start (UINT64_MAX in the last
 * one: it holds). */
uint64_t hn_run_plan_stage_end_ms(const struct hn_run_plan *p, uint64_t t_ms);

/* When the next TARGET goes out of itself, in ms after the start, after
 * @t_ms: the next tick (@tick_in_ms from @t_ms), stage boundary or end of
 * the run, whichever comes first. */
uint64_t hn_run_plan_next_target_ms(const struct hn_run_plan *p, uint64_t t_ms,
                                    uint64_t tick_in_ms);

/* Open model: the iterations per second to hold from @t_ms until @next_ms
 * (> @t_ms): the plan's mean over that stretch, so that rates held from
 * one TARGET to the next add up to the plan's integral. */
double hn_run_plan_rate(const struct hn_run_plan *p, uint64_t t_ms, uint64_t next_ms);

/* Users of each class wanted @t_ms after the start (closed model), in @out
 * (n_classes entries, weights from @s). */
void hn_run_plan_users(const struct hn_run_plan *p, const struct hn_scenario *s, uint64_t t_ms,
                       uint32_t *out);
