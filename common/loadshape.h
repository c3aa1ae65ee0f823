/* Load over time, the master's plan for a run: in the closed model the
 * users wanted per class at each moment (stages, as k6 ramping-vus and
 * Locust's LoadTestShape), in the open model the arrival rate at each
 * moment (k6 ramping-arrival-rate) and the number of iterations that must
 * have started by then. Pure functions of time; no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define HN_SHAPE_STAGES_MAX 256

/* A closed-model stage: for @duration_ms the users go to their target at
 * @spawn_rate users per second (all classes together), then hold. */
struct hn_stage {
    uint64_t duration_ms;
    bool per_class;    /* users[] per class; else total split by class weight */
    uint32_t total;    /* users of all classes, when !per_class */
    uint32_t users[HN_MODEL_CLASSES_MAX];
    double spawn_rate; /* users/s > 0; 0: a linear ramp over the whole stage */
};

/* An open-model stage: for @duration_ms iterations start at a rate that
 * goes linearly from the previous stage's rate to @rate_per_s (the first
 * stage from the shape's start_rate, or holds its own rate without one). */
struct hn_arrival_stage {
    uint64_t duration_ms;
    double rate_per_s;
};

struct hn_load_shape {
    bool open; /* arrival stages; else user stages */
    struct hn_stage stages[HN_SHAPE_STAGES_MAX];
    struct hn_arrival_stage arrivals[HN_SHAPE_STAGES_MAX];
    uint32_t n_stages;
    bool has_start_rate;   /* open model: the first stage ramps from start_rate */
    double start_rate;
    uint32_t max_users;    /* open model: most users at once, >= 1 */
    uint64_t max_delay_ms; /* open model: an iteration waiting longer is dropped */
};

/* Longest stage: ten years, so that no sum of stage times wraps. */
#define HN_SHAPE_STAGE_MAX_MS (UINT64_C(10) * 366 * 24 * 3600 * 1000)

/* Sum of the stages' durations. */
uint64_t hn_shape_duration_ms(const struct hn_load_shape *sh);

/* Closed model: users of each of @n_classes classes (weights @weights)
 * wanted at @t_ms after the start (after the last stage: its targets).
 * The total rounds to the nearest user and is split by largest remainder,
 * so the classes add up to it. */
void hn_shape_users(const struct hn_load_shape *sh, const uint32_t *weights, uint32_t n_classes,
                    uint64_t t_ms, uint32_t *out);
/* The spawn rate of the stage running at @t_ms (users/s; for a stage
 * without one, the rate its linear ramp takes, at least 1). */
double hn_shape_spawn_rate(const struct hn_load_shape *sh, const uint32_t *weights,
                           uint32_t n_classes, uint64_t t_ms);

/* Open model: how many iterations have started by @t_ms (the integral of
 * the rate: exact for linear ramps, so a run never drifts). */
double hn_shape_iterations(const struct hn_load_shape *sh, uint64_t t_ms);
/* Open model: the highest rate the shape reaches, start_rate included (a
 * first stage ramping from it down to 0 still starts iterations); 0 means
 * nothing would run. */
double hn_shape_peak_rate(const struct hn_load_shape *sh);

/* Named shapes, expanded to stages (documented in SCENARIOS.md):
 *  - step:  @users reached in @steps equal steps of @step_ms each, spawned
 *           at @rate users/s (0: at once);
 *  - spike: @users for @step_ms, a jump to @peak held @spike_ms, back to
 *           @users for @step_ms;
 *  - soak:  a ramp to @users over @ramp_ms, held @hold_ms, a ramp down
 *           over @ramp_ms.
 * 0, or HN_E_INVALID with a reason in @why. */
struct hn_shape_params {
    uint32_t users, peak, steps;
    uint64_t step_ms, spike_ms, ramp_ms, hold_ms;
    double rate;
};
int hn_shape_named(const char *name, const struct hn_shape_params *p, struct hn_load_shape *out,
                   char *why, size_t why_len);
