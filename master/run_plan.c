/* The run's plan: load shape and thresholds, file and command line merged
 * (see run_plan.h). */
#include "sanitize.h"
#include "run_plan.h"
#include "error.h"
#include "log.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t len, const char *fmt, const char *arg)
{
    snprintf(why, len, fmt, arg);
    return HN_E_INVALID;
}

int hn_run_plan_parse_stages(const char *arg, struct hn_load_shape *out, char *why,
                             size_t why_len)
{
    memset(out, 0, sizeof(*out));
    size_t n = strlen(arg);
    if (n == 0 || arg[0] == ',' || arg[n - 1] == ',' || strstr(arg, ",,"))
        return bad(why, why_len, "--stages: '%s' has an empty stage", arg);
    char *copy = strdup(arg), *save = NULL;
    if (!copy)
        return -ENOMEM;
    int rc = 0;
    for (char *st = strtok_r(copy, ",", &save); st && !rc; st = strtok_r(NULL, ",", &save)) {
        if (out->n_stages == HN_SHAPE_STAGES_MAX) {
            rc = bad(why, why_len, "--stages: at most 256 stages%s", "");
            break;
        }
        char *users = strchr(st, ':'), *rate = users ? strchr(users + 1, ':') : NULL;
        if (!users) {
            rc = bad(why, why_len, "--stages: '%s' is not DURATION:USERS[:SPAWN_RATE]", st);
            break;
        }
        *users++ = '\0';
        if (rate)
            *rate++ = '\0';
        struct hn_stage *s = &out->stages[out->n_stages++];
        uint64_t count = 0;
        if (hn_units_parse_duration_ms(st, &s->duration_ms) || !s->duration_ms)
            rc = bad(why, why_len, "--stages: '%s' is not a duration such as 30s or 2m", st);
        else if (hn_units_parse_count(users, 10000000, &count))
            rc = bad(why, why_len, "--stages: '%s' is not a number of users (0..10000000)", users);
        else if (rate && (hn_units_parse_rate(rate, &s->spawn_rate) || !(s->spawn_rate > 0)))
            rc = bad(why, why_len, "--stages: '%s' is not a spawn rate above 0 (users/s)", rate);
        s->total = (uint32_t)count;
    }
    if (!rc && out->n_stages == 0)
        rc = bad(why, why_len, "--stages: no stage given%s", "");
    free(copy);
    return rc;
}

/* The highest rate of an arrival shape. */
int hn_run_plan_resolve(const struct hn_master_config *cfg, const struct hn_scenario *s,
                        const struct hn_run_plan *file, struct hn_run_plan *out, char *why,
                        size_t why_len)
{
    memset(out, 0, sizeof(*out));
    if (file)
        *out = *file;
    int rc;
    if (cfg->stages) {
        if ((rc = hn_run_plan_parse_stages(cfg->stages, &out->shape, why, why_len)))
            return rc;
        out->has_shape = out->timed_by_shape = true;
        out->shape_name[0] = '\0';
    } else if (cfg->rate_given) {
        /* A constant rate: the file's arrival: keeps its bounds. */
        uint32_t max_users = out->shape.open ? out->shape.max_users : 0;
        uint64_t max_delay_ms = out->shape.open ? out->shape.max_delay_ms : 0;
        memset(&out->shape, 0, sizeof(out->shape));
        out->shape.open = true;
        out->shape.max_users = max_users;
        out->shape.max_delay_ms = max_delay_ms;
        out->shape.n_stages = 1;
        out->shape.arrivals[0].duration_ms = cfg->run_time_ms;
        out->shape.arrivals[0].rate_per_s = cfg->rate;
        out->has_shape = true;
        out->timed_by_shape = false;
        out->shape_name[0] = '\0';
    } else if (cfg->spawn_rate_given && !cfg->users_given && out->has_shape) {
        return bad(why, why_len,
                   "-r alone would replace the scenario's load: with 1 user: give -u too (or "
                   "--stages)%s",
                   "");
    } else if (cfg->users_given || cfg->spawn_rate_given || !out->has_shape) {
        /* -u/-r (or nothing at all): ramp to the users and hold. */
        memset(&out->shape, 0, sizeof(out->shape));
        out->shape.n_stages = 1;
        out->shape.stages[0].duration_ms = cfg->run_time_ms;
        out->shape.stages[0].total = cfg->users;
        out->shape.stages[0].spawn_rate = cfg->spawn_rate;
        out->has_shape = true;
        out->timed_by_shape = false;
        out->shape_name[0] = '\0';
    }
    if (out->shape.open) {
        if (cfg->max_users)
            out->shape.max_users = cfg->max_users;
        out->max_users_defaulted = !out->shape.max_users;
        if (!out->shape.max_users)
            out->shape.max_users = HN_PLAN_MAX_USERS_DEFAULT;
        if (cfg->max_delay_ms)
            out->shape.max_delay_ms = cfg->max_delay_ms;
        if (!out->shape.max_delay_ms)
            out->shape.max_delay_ms = s->timeout_ms ? s->timeout_ms : 10000;
        if (out->shape.max_users < s->n_classes) {
            snprintf(why, why_len,
                     "the open model needs at least one user per class: max_users %u is "
                     "below the %u classes",
                     out->shape.max_users, s->n_classes);
            return HN_E_INVALID;
        }
        if (!(hn_shape_peak_rate(&out->shape) > 0))
            return bad(why, why_len, "the arrival rate is 0 in every stage: nothing would run%s",
                       "");
    } else if (cfg->max_users || cfg->max_delay_ms) {
        return bad(why, why_len,
                   "--max-users and --max-delay belong to the open model (--rate or arrival: "
                   "in the file)%s",
                   "");
    }
    /* Per-class stages name classes of this scenario; a closed shape that
     * never starts a user tests nothing. */
    if (!out->shape.open) {
        uint64_t most = 0;
        for (uint32_t i = 0; i < out->shape.n_stages; i++) {
            const struct hn_stage *st = &out->shape.stages[i];
            uint64_t n = st->total;
            if (st->per_class) {
                n = 0;
                for (uint32_t c = 0; c < s->n_classes; c++)
                    n += st->users[c];
            }
            most = n > most ? n : most;
        }
        if (most == 0)
            return bad(why, why_len, "no stage of the load shape has a user: nothing would run%s",
                       "");
    }
    /* Sums of stage times must not wrap (a 2^64 ms sum ran 384 ms). */
    for (uint32_t i = 0; i < out->shape.n_stages; i++) {
        uint64_t d = out->shape.open ? out->shape.arrivals[i].duration_ms
                                     : out->shape.stages[i].duration_ms;
        if (d > HN_SHAPE_STAGE_MAX_MS)
            return bad(why, why_len, "a stage lasts at most 10 years%s", "");
    }
    out->run_time_ms = cfg->run_time_ms;
    if (!out->run_time_ms && out->timed_by_shape)
        out->run_time_ms = hn_shape_duration_ms(&out->shape);
    for (uint32_t i = 0; i < cfg->n_thresholds; i++) {
        if (out->n_thresholds == HN_THRESHOLDS_MAX)
            return bad(why, why_len, "more than 64 thresholds (file and --threshold)%s", "");
        size_t at;
        char reason[200];
        if (hn_threshold_parse(cfg->thresholds[i], &out->thresholds[out->n_thresholds], reason,
                               sizeof(reason), &at)) {
            snprintf(why, why_len, "--threshold '%s': %s", cfg->thresholds[i], reason);
            return HN_E_INVALID;
        }
        out->n_thresholds++;
    }
    /* The file's were looked at when it was loaded. */
    for (uint32_t i = file ? file->n_thresholds : 0; i < out->n_thresholds; i++) {
        char others[160];
        const struct hn_threshold *t = &out->thresholds[i];
        if (!hn_threshold_scope_known(t, s, others, sizeof(others)))
            hn_log_warn("--threshold '%s': no request is named '%s %s' in this scenario%s: it "
                        "fails unless such requests are measured",
                        t->expr, t->method, t->name, others);
    }
    return 0;
}

static const char *ms_text(uint64_t ms, char *buf, size_t len)
{
    if (hn_units_format_duration_ms(ms, buf, len) < 0)
        snprintf(buf, len, "%llu ms", (unsigned long long)ms);
    return buf;
}

static void describe_stage_users(FILE *out, const struct hn_stage *st, const struct hn_scenario *s)
{
    if (!st->per_class) {
        fprintf(out, "%u users", st->total);
        return;
    }
    for (uint32_t c = 0; c < s->n_classes; c++)
        fprintf(out, "%s%s %u", c ? ", " : "", s->classes[c].name, st->users[c]);
}

void hn_run_plan_describe(FILE *out, const struct hn_run_plan *p, const struct hn_scenario *s,
                          const char *indent)
{
    char a[HN_UNITS_FMT_MAX], b[HN_UNITS_FMT_MAX];
    const struct hn_load_shape *sh = &p->shape;
    if (sh->open) {
        fprintf(out, "%sload: open model, at most %u users, an iteration waiting more than %s "
                     "is dropped\n",
                indent, sh->max_users, ms_text(sh->max_delay_ms, a, sizeof(a)));
        for (uint32_t i = 0; i < sh->n_stages; i++) {
            const struct hn_arrival_stage *st = &sh->arrivals[i];
            if (hn_units_format_rate(st->rate_per_s, b, sizeof(b)) < 0)
                snprintf(b, sizeof(b), "%g/s", st->rate_per_s);
            if (!st->duration_ms)
                fprintf(out, "%s  %s iterations until stopped\n", indent, b);
            else if (i == 0 && sh->has_start_rate && sh->start_rate != st->rate_per_s) {
                char c[HN_UNITS_FMT_MAX];
                if (hn_units_format_rate(sh->start_rate, c, sizeof(c)) < 0)
                    snprintf(c, sizeof(c), "%g/s", sh->start_rate);
                fprintf(out, "%s  %s: ramp from %s to %s iterations\n", indent,
                        ms_text(st->duration_ms, a, sizeof(a)), c, b);
            } else if (i == 0 || sh->arrivals[i - 1].rate_per_s == st->rate_per_s)
                fprintf(out, "%s  %s: %s iterations\n", indent, ms_text(st->duration_ms, a, sizeof(a)), b);
            else
                fprintf(out, "%s  %s: ramp to %s iterations\n", indent,
                        ms_text(st->duration_ms, a, sizeof(a)), b);
        }
    } else {
        fprintf(out, "%sload: closed model%s%s%s\n", indent, p->shape_name[0] ? " (shape " : "",
                p->shape_name, p->shape_name[0] ? ")" : "");
        for (uint32_t i = 0; i < sh->n_stages; i++) {
            const struct hn_stage *st = &sh->stages[i];
            if (st->duration_ms)
                fprintf(out, "%s  %s: ", indent, ms_text(st->duration_ms, a, sizeof(a)));
            else
                fprintf(out, "%s  until stopped: ", indent);
            const struct hn_stage *prev = i ? &sh->stages[i - 1] : NULL;
            if (prev && prev->per_class == st->per_class && prev->total == st->total &&
                !memcmp(prev->users, st->users, sizeof(st->users))) {
                fprintf(out, "hold ");
                describe_stage_users(out, st, s);
                fputc('\n', out);
                continue;
            }
            describe_stage_users(out, st, s);
            if (st->spawn_rate > 0 && st->spawn_rate < 1e9)
                fprintf(out, " at %g users/s\n", st->spawn_rate);
            else if (st->spawn_rate > 0)
                fprintf(out, " at once\n");
            else
                fprintf(out, ", ramped evenly over the stage\n");
        }
    }
    if (p->run_time_ms)
        fprintf(out, "%srun time: %s%s\n", indent, ms_text(p->run_time_ms, a, sizeof(a)),
                p->timed_by_shape && p->run_time_ms == hn_shape_duration_ms(&p->shape)
                    ? " (the stages)"
                    : "");
    else
        fprintf(out, "%srun time: until stopped (Ctrl-C, or -t)\n", indent);
    for (uint32_t i = 0; i < p->n_thresholds; i++) {
        const struct hn_threshold *t = &p->thresholds[i];
        char expr[HN_SANITIZE_SIZE(HN_THRESHOLD_EXPR_MAX)];
        fprintf(out, "%sthreshold: %s", indent, hn_sanitize_str(expr, sizeof(expr), t->expr));
        if (t->abort_on_fail)
            fprintf(out, " (aborts the run when it fails%s%s)", t->delay_ms ? ", after " : "",
                    t->delay_ms ? ms_text(t->delay_ms, a, sizeof(a)) : "");
        fputc('\n', out);
    }
}

const char *hn_run_plan_brief(const struct hn_run_plan *p, char *buf, size_t len)
{
    const struct hn_load_shape *sh = &p->shape;
    char a[HN_UNITS_FMT_MAX], b[HN_UNITS_FMT_MAX];
    if (sh->open) {
        double peak = hn_shape_peak_rate(sh);
        if (hn_units_format_rate(peak, b, sizeof(b)) < 0)
            snprintf(b, sizeof(b), "%g/s", peak);
        if (sh->n_stages == 1 && sh->has_start_rate && sh->start_rate != peak) {
            /* One stage from a start rate: a ramp, not a constant rate. */
            char from[HN_UNITS_FMT_MAX];
            if (hn_units_format_rate(sh->start_rate, from, sizeof(from)) < 0)
                snprintf(from, sizeof(from), "%g/s", sh->start_rate);
            snprintf(buf, len, "open model, %s to %s iterations over %s, at most %u users", from,
                     b, ms_text(sh->arrivals[0].duration_ms, a, sizeof(a)), sh->max_users);
        } else if (sh->n_stages == 1)
            snprintf(buf, len, "open model, %s iterations, at most %u users", b, sh->max_users);
        else
            snprintf(buf, len, "open model, %u stages over %s, up to %s iterations, at most %u "
                               "users",
                     sh->n_stages, ms_text(hn_shape_duration_ms(sh), a, sizeof(a)), b,
                     sh->max_users);
        return buf;
    }
    uint64_t most = 0;
    for (uint32_t i = 0; i < sh->n_stages; i++) {
        uint64_t n = sh->stages[i].total;
        if (sh->stages[i].per_class) {
            n = 0;
            for (uint32_t c = 0; c < HN_MODEL_CLASSES_MAX; c++)
                n += sh->stages[i].users[c];
        }
        most = n > most ? n : most;
    }
    const struct hn_stage *one = &sh->stages[0];
    if (sh->n_stages == 1 && one->spawn_rate >= 1e9)
        snprintf(buf, len, "%llu users at once", (unsigned long long)most);
    else if (sh->n_stages == 1 && one->spawn_rate > 0)
        snprintf(buf, len, "ramping to %llu users at %g/s", (unsigned long long)most,
                 one->spawn_rate);
    else if (sh->n_stages == 1) /* 0: evenly over the stage */
        snprintf(buf, len, "ramping to %llu users over %s", (unsigned long long)most,
                 ms_text(one->duration_ms, a, sizeof(a)));
    else
        snprintf(buf, len, "%u stages over %s, at most %llu users", sh->n_stages,
                 ms_text(hn_shape_duration_ms(sh), a, sizeof(a)), (unsigned long long)most);
    return buf;
}

uint64_t hn_run_plan_stage_end_ms(const struct hn_run_plan *p, uint64_t t_ms)
{
    const struct hn_load_shape *sh = &p->shape;
    uint64_t end = 0;
    for (uint32_t i = 0; i + 1 < sh->n_stages; i++) {
        end += sh->open ? sh->arrivals[i].duration_ms : sh->stages[i].duration_ms;
        if (t_ms < end)
            return end;
    }
    return UINT64_MAX;
}

uint64_t hn_run_plan_next_target_ms(const struct hn_run_plan *p, uint64_t t_ms, uint64_t tick_in_ms)
{
    uint64_t next = t_ms + (tick_in_ms ? tick_in_ms : 1);
    uint64_t stage_end = hn_run_plan_stage_end_ms(p, t_ms), run_end = p->run_time_ms;
    if (stage_end > t_ms && stage_end < next)
        next = stage_end;
    if (run_end > t_ms && run_end < next)
        next = run_end;
    return next;
}

double hn_run_plan_rate(const struct hn_run_plan *p, uint64_t t_ms, uint64_t next_ms)
{
    if (next_ms <= t_ms)
        next_ms = t_ms + 1;
    return (hn_shape_iterations(&p->shape, next_ms) - hn_shape_iterations(&p->shape, t_ms)) *
           1000.0 / (double)(next_ms - t_ms);
}

void hn_run_plan_users(const struct hn_run_plan *p, const struct hn_scenario *s, uint64_t t_ms,
                       uint32_t *out)
{
    uint32_t weights[HN_MODEL_CLASSES_MAX];
    for (uint32_t c = 0; c < s->n_classes; c++)
        weights[c] = s->classes[c].weight;
    hn_shape_users(&p->shape, weights, s->n_classes, t_ms, out);
}
