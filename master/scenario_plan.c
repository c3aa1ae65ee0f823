/* The scenario file's run plan (see scenario_load.h): load: (closed model:
 * stages, or a named shape), arrival: (open model) and thresholds:. Read
 * after users:, so per-class stages can name the classes. */
#include "scenario_load_internal.h"
#include "units.h"

#include <math.h>
#include <string.h>

/* A rate written as a number ("10", "0.5") or with a unit ("500/s", "30/m"). */
static bool yaml_rate(struct hn_yaml *y, yaml_node_t *n, bool zero_ok, double *out,
                      const char *what)
{
    const char *s;
    size_t len;
    if (!hn_yaml_string(y, n, 64, &s, &len, what))
        return false;
    if (hn_units_parse_rate(s, out) || (!zero_ok && !(*out > 0)) || *out > 1e7)
        return hn_yaml_fail(y, n, "%s: '%s' is not a rate %ssuch as 10, 0.5, 500/s or 30/m (at "
                                  "most 10000000/s)",
                            what, s, zero_ok ? "" : "above 0 ");
    return true;
}

/* Index of the class named @name; UINT32_MAX when --tags dropped it; false
 * (error recorded at @n) when the file has no such class. */
static bool class_index(struct hn_loader *L, yaml_node_t *n, const char *name,
                        yaml_node_t *users, uint32_t *out)
{
    const struct hn_scenario *s = L->s;
    for (uint32_t c = 0; c < s->n_classes; c++)
        if (!strcmp(s->classes[c].name, name)) {
            *out = c;
            return true;
        }
    /* Not kept: was it in the file (dropped by --tags)? */
    for (size_t i = 0; users && i < hn_yaml_items(users); i++) {
        yaml_node_t *cls = hn_yaml_item(&L->y, users, i);
        yaml_node_t *nm = cls ? hn_yaml_get(&L->y, cls, "name") : NULL;
        char dflt[32];
        snprintf(dflt, sizeof(dflt), "class%zu", i + 1);
        const char *text = nm && hn_yaml_is_scalar(nm) ? (const char *)nm->data.scalar.value
                                                        : dflt;
        if (!strcmp(text, name)) {
            *out = UINT32_MAX;
            return true;
        }
    }
    char names[400] = "";
    for (uint32_t c = 0; c < s->n_classes && strlen(names) < 300; c++)
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", c ? ", " : "",
                 s->classes[c].name);
    return hn_yaml_fail(&L->y, n, "no user class is named '%s' (classes: %s)", name, names);
}

static bool load_stage_users(struct hn_loader *L, yaml_node_t *n, yaml_node_t *users,
                             struct hn_stage *st)
{
    struct hn_yaml *y = &L->y;
    uint64_t v;
    if (!hn_yaml_is_map(n)) {
        if (!hn_yaml_uint(y, n, 0, 10000000, &v, "stage users"))
            return false;
        st->total = (uint32_t)v;
        return true;
    }
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_pairs(y, n, &pairs, &np))
        return false;
    st->per_class = true;
    bool ok = true;
    uint64_t sum = 0;
    for (size_t i = 0; i < np && ok; i++) {
        uint32_t c;
        ok = class_index(L, pairs[i].key, pairs[i].name, users, &c) &&
             hn_yaml_uint(y, pairs[i].value, 0, 10000000, &v, "class users");
        if (ok && c != UINT32_MAX)
            st->users[c] = (uint32_t)v;
        sum += ok ? v : 0;
    }
    if (ok && sum > 10000000)
        ok = hn_yaml_fail(y, n, "stage users: more than 10000000 in all");
    free(pairs);
    return ok;
}

/* What the two kinds of stages share: a list of 1 to HN_SHAPE_STAGES_MAX
 * (@keys: the keys of one, for the message), each with a duration over 0
 * (@what: "stage" or "arrival stage"). */
static bool stages_list(struct hn_yaml *y, yaml_node_t *n, const char *keys)
{
    if (!hn_yaml_is_seq(n) || hn_yaml_items(n) == 0)
        return hn_yaml_fail(y, n, "stages: a list of one or more {%s}, got %s", keys,
                            hn_yaml_is_seq(n) ? "an empty list" : hn_yaml_kind(n));
    if (hn_yaml_items(n) > HN_SHAPE_STAGES_MAX)
        return hn_yaml_fail(y, n, "stages: at most %d", HN_SHAPE_STAGES_MAX);
    return true;
}

static bool stage_duration(struct hn_yaml *y, yaml_node_t *it, const char *what, uint64_t *ms)
{
    yaml_node_t *v = hn_yaml_get(y, it, "duration");
    if (!v)
        return y->failed || hn_yaml_fail(y, it, "%s: duration: is missing", what);
    if (!hn_yaml_duration_ms(y, v, ms, "stage duration"))
        return false;
    return *ms || hn_yaml_fail(y, v, "stage duration: more than 0, e.g. 30s");
}

static bool load_stages(struct hn_loader *L, yaml_node_t *n, yaml_node_t *users,
                        struct hn_load_shape *sh)
{
    static const char *const keys[] = {"duration", "users", "spawn_rate", NULL};
    struct hn_yaml *y = &L->y;
    if (!stages_list(y, n, "duration, users, spawn_rate"))
        return false;
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i), *v;
        struct hn_stage *st = &sh->stages[sh->n_stages++];
        if (!it)
            return false;
        if (!hn_yaml_is_map(it))
            return hn_yaml_fail(y, it, "a stage is a mapping {duration, users, spawn_rate}, got %s",
                                hn_yaml_kind(it));
        if (!hn_yaml_check_keys(y, it, keys, "stage") ||
            !stage_duration(y, it, "stage", &st->duration_ms))
            return false;
        if (!(v = hn_yaml_get(y, it, "users")))
            return y->failed || hn_yaml_fail(y, it, "stage: users: is missing");
        if (!load_stage_users(L, v, users, st))
            return false;
        if ((v = hn_yaml_get(y, it, "spawn_rate")) &&
            !yaml_rate(y, v, false, &st->spawn_rate, "spawn_rate"))
            return false;
    }
    return !y->failed;
}

/* A named shape: its parameters, checked against what it takes. */
static bool load_named_shape(struct hn_loader *L, yaml_node_t *n, yaml_node_t *shape,
                             struct hn_run_plan *plan)
{
    static const struct {
        const char *name;
        const char *const keys[8];
    } shapes[] = {
        {"step", {"shape", "users", "steps", "step_duration", "spawn_rate", NULL}},
        {"spike", {"shape", "users", "peak", "duration", "spike_duration", "spawn_rate", NULL}},
        {"soak", {"shape", "users", "ramp", "duration", NULL}},
    };
    struct hn_yaml *y = &L->y;
    const char *name;
    size_t len;
    if (!hn_yaml_string(y, shape, 16, &name, &len, "shape"))
        return false;
    size_t k = 0;
    while (k < 3 && strcmp(shapes[k].name, name))
        k++;
    if (k == 3)
        return hn_yaml_fail(y, shape, "shape: '%s' is not a shape: step, spike or soak (or give "
                                      "stages:)",
                            name);
    if (!hn_yaml_check_keys(y, n, shapes[k].keys, "load shape"))
        return false;
    struct hn_shape_params p = {0};
    yaml_node_t *v;
    uint64_t u;
    if ((v = hn_yaml_get(y, n, "users"))) {
        if (!hn_yaml_uint(y, v, 0, 10000000, &u, "users"))
            return false;
        p.users = (uint32_t)u;
    }
    if ((v = hn_yaml_get(y, n, "peak"))) {
        if (!hn_yaml_uint(y, v, 1, 10000000, &u, "peak"))
            return false;
        p.peak = (uint32_t)u;
    }
    if ((v = hn_yaml_get(y, n, "steps"))) {
        if (!hn_yaml_uint(y, v, 1, HN_SHAPE_STAGES_MAX, &u, "steps"))
            return false;
        p.steps = (uint32_t)u;
    }
    if (((v = hn_yaml_get(y, n, "step_duration")) &&
         !hn_yaml_duration_ms(y, v, &p.step_ms, "step_duration")) ||
        ((v = hn_yaml_get(y, n, "spike_duration")) &&
         !hn_yaml_duration_ms(y, v, &p.spike_ms, "spike_duration")) ||
        ((v = hn_yaml_get(y, n, "ramp")) && !hn_yaml_duration_ms(y, v, &p.ramp_ms, "ramp")) ||
        ((v = hn_yaml_get(y, n, "spawn_rate")) &&
         !yaml_rate(y, v, false, &p.rate, "spawn_rate")))
        return false;
    if ((v = hn_yaml_get(y, n, "duration"))) {
        uint64_t d;
        if (!hn_yaml_duration_ms(y, v, &d, "duration"))
            return false;
        /* spike: each calm phase; soak: the hold. */
        p.step_ms = k == 1 ? d : p.step_ms;
        p.hold_ms = k == 2 ? d : 0;
    }
    if (y->failed)
        return false;
    char why[160];
    if (hn_shape_named(name, &p, &plan->shape, why, sizeof(why)))
        return hn_yaml_fail(y, n, "%s", why);
    snprintf(plan->shape_name, sizeof(plan->shape_name), "%s", name);
    return true;
}

static bool load_load(struct hn_loader *L, yaml_node_t *n, yaml_node_t *users,
                      struct hn_run_plan *plan)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "load: a mapping with stages: (or shape:), got %s",
                            hn_yaml_kind(n));
    yaml_node_t *stages = hn_yaml_get(y, n, "stages"), *shape = hn_yaml_get(y, n, "shape");
    if (stages && shape)
        return hn_yaml_fail(y, shape, "load: give stages: or shape:, not both");
    plan->has_shape = plan->timed_by_shape = true;
    if (shape)
        return load_named_shape(L, n, shape, plan);
    static const char *const keys[] = {"stages", "shape", NULL};
    if (!hn_yaml_check_keys(y, n, keys, "load"))
        return false;
    if (!stages)
        return y->failed || hn_yaml_fail(y, n, "load: stages: is missing (or give shape:)");
    return load_stages(L, stages, users, &plan->shape);
}

static bool load_arrival_stages(struct hn_loader *L, yaml_node_t *n, struct hn_load_shape *sh)
{
    static const char *const keys[] = {"duration", "rate", NULL};
    struct hn_yaml *y = &L->y;
    if (!stages_list(y, n, "duration, rate"))
        return false;
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i), *v;
        struct hn_arrival_stage *st = &sh->arrivals[sh->n_stages++];
        if (!it)
            return false;
        if (!hn_yaml_is_map(it))
            return hn_yaml_fail(y, it, "an arrival stage is a mapping {duration, rate}, got %s",
                                hn_yaml_kind(it));
        if (!hn_yaml_check_keys(y, it, keys, "arrival stage") ||
            !stage_duration(y, it, "arrival stage", &st->duration_ms))
            return false;
        if (!(v = hn_yaml_get(y, it, "rate")))
            return y->failed || hn_yaml_fail(y, it, "arrival stage: rate: is missing");
        if (!yaml_rate(y, v, true, &st->rate_per_s, "rate"))
            return false;
    }
    return !y->failed;
}

static bool load_arrival(struct hn_loader *L, yaml_node_t *n, struct hn_run_plan *plan)
{
    static const char *const keys[] = {"stages",    "rate",      "duration", "start_rate",
                                       "max_users", "max_delay", NULL};
    struct hn_yaml *y = &L->y;
    struct hn_load_shape *sh = &plan->shape;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "arrival: a mapping (stages or rate, max_users, max_delay), "
                                  "got %s",
                            hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "arrival"))
        return false;
    memset(sh, 0, sizeof(*sh));
    sh->open = true;
    plan->has_shape = true;
    yaml_node_t *stages = hn_yaml_get(y, n, "stages"), *rate = hn_yaml_get(y, n, "rate"),
                *duration = hn_yaml_get(y, n, "duration"), *v;
    if (stages && (rate || duration))
        return hn_yaml_fail(y, rate ? rate : duration,
                            "arrival: give stages: or rate: (with duration:), not both");
    if (stages) {
        if (!load_arrival_stages(L, stages, sh))
            return false;
        plan->timed_by_shape = true;
    } else if (rate) {
        /* A constant rate: for its duration, else as long as the run. */
        sh->n_stages = 1;
        if (!yaml_rate(y, rate, false, &sh->arrivals[0].rate_per_s, "rate") ||
            (duration && !hn_yaml_duration_ms(y, duration, &sh->arrivals[0].duration_ms,
                                              "duration")))
            return false;
        /* 0 would read as "no duration": a run meant to be short would
         * run until stopped. */
        if (duration && !sh->arrivals[0].duration_ms)
            return hn_yaml_fail(y, duration,
                                "duration: more than 0, e.g. 30s (leave it out to run until "
                                "stopped or for -t)");
        plan->timed_by_shape = sh->arrivals[0].duration_ms > 0;
    } else {
        return y->failed || hn_yaml_fail(y, n, "arrival: stages: or rate: is missing");
    }
    if ((v = hn_yaml_get(y, n, "start_rate"))) {
        if (!stages)
            return hn_yaml_fail(y, v, "start_rate: ramps into the first of stages:");
        if (!yaml_rate(y, v, true, &sh->start_rate, "start_rate"))
            return false;
        sh->has_start_rate = true;
    }
    uint64_t u;
    if ((v = hn_yaml_get(y, n, "max_users"))) {
        if (!hn_yaml_uint(y, v, 1, 10000000, &u, "max_users"))
            return false;
        sh->max_users = (uint32_t)u;
    }
    if ((v = hn_yaml_get(y, n, "max_delay"))) {
        if (!hn_yaml_duration_ms(y, v, &sh->max_delay_ms, "max_delay"))
            return false;
        if (!sh->max_delay_ms || sh->max_delay_ms > UINT32_MAX)
            return hn_yaml_fail(y, v, "max_delay: more than 0, e.g. 1s");
    }
    if (!(hn_shape_peak_rate(sh) > 0))
        return hn_yaml_fail(y, stages ? stages : rate,
                            "arrival: the rate is 0 in every stage, nothing would run");
    return !y->failed;
}

/* One threshold: "EXPR" or {expr, abort_on_fail, delay}. */
static bool load_threshold(struct hn_loader *L, yaml_node_t *n, struct hn_threshold *t)
{
    static const char *const keys[] = {"expr", "abort_on_fail", "delay", NULL};
    struct hn_yaml *y = &L->y;
    yaml_node_t *expr = n, *v;
    if (hn_yaml_is_map(n)) {
        if (!hn_yaml_check_keys(y, n, keys, "threshold"))
            return false;
        if (!(expr = hn_yaml_get(y, n, "expr")))
            return y->failed || hn_yaml_fail(y, n, "threshold: expr: is missing");
    }
    const char *s;
    size_t len, at = 0;
    char why[200];
    if (!hn_yaml_string(y, expr, HN_THRESHOLD_EXPR_MAX, &s, &len, "threshold"))
        return false;
    if (hn_threshold_parse(s, t, why, sizeof(why), &at))
        return hn_yaml_fail_in(y, expr, at, "threshold: %s", why);
    if (!hn_yaml_is_map(n))
        return true;
    if ((v = hn_yaml_get(y, n, "abort_on_fail")) &&
        !hn_yaml_bool(y, v, &t->abort_on_fail, "abort_on_fail"))
        return false;
    if ((v = hn_yaml_get(y, n, "delay"))) {
        if (!t->abort_on_fail)
            return hn_yaml_fail(y, v, "delay: postpones abort_on_fail, which is not set");
        if (!hn_yaml_duration_ms(y, v, &t->delay_ms, "delay"))
            return false;
    }
    return !y->failed;
}

static bool load_thresholds(struct hn_loader *L, yaml_node_t *n, struct hn_run_plan *plan)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_seq(n))
        return hn_yaml_fail(y, n, "thresholds: a list of expressions such as \"p(95) < 500ms\", "
                                  "got %s",
                            hn_yaml_kind(n));
    if (hn_yaml_items(n) > HN_THRESHOLDS_MAX)
        return hn_yaml_fail(y, n, "thresholds: at most %d", HN_THRESHOLDS_MAX);
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i);
        if (!it || !load_threshold(L, it, &plan->thresholds[plan->n_thresholds]))
            return false;
        L->threshold_nodes[plan->n_thresholds++] = it;
    }
    return true;
}

bool hn_load_plan(struct hn_loader *L, yaml_node_t *root, yaml_node_t *users)
{
    struct hn_yaml *y = &L->y;
    yaml_node_t *load = hn_yaml_get(y, root, "load"), *arrival = hn_yaml_get(y, root, "arrival"),
                *thresholds = hn_yaml_get(y, root, "thresholds");
    if (load && arrival)
        return hn_yaml_fail(y, arrival,
                            "arrival: the open model replaces load: (the closed model): give "
                            "one of them");
    return !y->failed && (!load || load_load(L, load, users, L->plan)) &&
           (!arrival || load_arrival(L, arrival, L->plan)) &&
           (!thresholds || load_thresholds(L, thresholds, L->plan));
}

void hn_load_plan_warn_scopes(struct hn_loader *L)
{
    for (uint32_t i = 0; i < L->plan->n_thresholds; i++) {
        char others[160];
        const struct hn_threshold *t = &L->plan->thresholds[i];
        if (!hn_threshold_scope_known(t, L->s, others, sizeof(others)))
            hn_yaml_warn(&L->y, L->threshold_nodes[i],
                         "threshold '%s': no request is named '%s %s' in this scenario%s: it "
                         "fails unless such requests are measured (a scope is METHOD NAME as in "
                         "the statistics)",
                         t->expr, t->method, t->name, others);
    }
}
