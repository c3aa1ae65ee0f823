/* The run's scenario from a file or quick mode, and --check's summary (see
 * scenario.h). */
#include "sanitize.h"
#include "scenario.h"
#include "error.h"
#include "exitcodes.h"
#include "fastpath.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef bool (*step_fn)(void *ctx, const struct hn_scenario *s, const struct hn_user_class *c,
                        const struct hn_step *st);

/* Call @fn for every step (on_start and tasks) until it returns false. */
static void visit_steps(const struct hn_scenario *s, step_fn fn, void *ctx)
{
    for (uint32_t i = 0; i < s->n_classes; i++) {
        const struct hn_user_class *c = &s->classes[i];
        for (uint32_t k = 0; k < c->n_on_start; k++)
            if (!fn(ctx, s, c, &c->on_start[k]))
                return;
        for (uint32_t t = 0; t < c->n_tasks; t++)
            for (uint32_t k = 0; k < c->tasks[t].n_steps; k++)
                if (!fn(ctx, s, c, &c->tasks[t].steps[k]))
                    return;
    }
}

/* Quick mode with --engine fast: every GET must be able to take it (a
 * file's steps are checked by the loader, with their positions). */
static bool fast_possible(void *failed, const struct hn_scenario *s, const struct hn_user_class *c,
                          const struct hn_step *st)
{
    char buf[160];
    const char *why = hn_fast_reason(s, c, st, s->host, buf, sizeof(buf));
    if (why)
        fprintf(stderr, "hornet-master: --engine fast: %s %s cannot use it: %s\n", st->method,
                st->url.source, why);
    *(bool *)failed = why != NULL;
    return !why;
}

/* The scenario of @cfg into *out (and what the file said of the run's plan
 * into info->plan). 0 or an exit code. */
static int scenario(const struct hn_master_config *cfg, struct hn_scenario **out,
                    struct hn_load_info *info)
{
    if (cfg->scenario_file) {
        struct hn_load_options opt = {
            .host = cfg->host,
            .n_tags = cfg->n_tags,
            .n_exclude_tags = cfg->n_exclude_tags,
            .request_timeout_ms = cfg->request_timeout_ms,
            .no_cookies = cfg->no_cookies,
            .engine = cfg->engine,
            .engine_given = cfg->engine_given,
            .local_workers = cfg->local_workers > 0,
        };
        memcpy(opt.tags, cfg->tags, cfg->n_tags * sizeof(*cfg->tags));
        memcpy(opt.exclude_tags, cfg->exclude_tags, cfg->n_exclude_tags * sizeof(*cfg->tags));
        char err[1024];
        int rc = hn_scenario_load(cfg->scenario_file, &opt, out, info, err, sizeof(err));
        if (rc == -ENOMEM) {
            hn_log_error("out of memory while reading the scenario");
            return HN_EXIT_NO_RUN;
        }
        if (rc) {
            /* The one format every editor jumps to: FILE:LINE:COL: message. */
            fprintf(stderr, "%s\n", err);
            return HN_EXIT_USAGE;
        }
        return 0;
    }
    struct hn_scenario *s = hn_scenario_quick(cfg->host, cfg->paths, cfg->n_paths);
    char why[256] = "";
    if (!s) {
        hn_log_error("out of memory");
        return HN_EXIT_NO_RUN;
    }
    if (cfg->request_timeout_ms)
        s->timeout_ms = cfg->request_timeout_ms;
    if (cfg->no_cookies)
        s->cookies = false;
    if (cfg->engine_given)
        s->engine = cfg->engine;
    bool refused = false;
    if (s->engine == HN_ENGINE_FAST)
        visit_steps(s, fast_possible, &refused);
    if (refused) {
        hn_scenario_free(s);
        return HN_EXIT_USAGE;
    }
    if (hn_scenario_finalize(s, why, sizeof(why))) {
        hn_log_error("invalid scenario: %s", why);
        hn_scenario_free(s);
        return HN_EXIT_USAGE;
    }
    *out = s;
    return 0;
}

int hn_master_scenario(const struct hn_master_config *cfg, struct hn_scenario **out,
                       struct hn_load_info *info, struct hn_run_plan *plan)
{
    struct hn_load_info own = {0};
    if (!info)
        info = &own;
    memset(info, 0, sizeof(*info));
    int code = scenario(cfg, out, info);
    if (code)
        return code;
    char why[300];
    int rc = hn_run_plan_resolve(cfg, *out, info->plan, plan, why, sizeof(why));
    hn_load_info_free(&own);
    if (rc == -ENOMEM) {
        hn_log_error("out of memory");
        code = HN_EXIT_NO_RUN;
    } else if (rc) {
        fprintf(stderr, "hornet-master: %s; see --help\n", why);
        code = HN_EXIT_USAGE;
    }
    if (code) {
        if (info != &own)
            hn_load_info_free(info);
        hn_scenario_free(*out);
        *out = NULL;
    }
    return code;
}

static const char *wait_text(const struct hn_wait *w, char *buf, size_t len)
{
    switch (w->kind) {
    case HN_WAIT_CONSTANT:
        snprintf(buf, len, "wait %llu ms", (unsigned long long)w->min_ms);
        break;
    case HN_WAIT_BETWEEN:
        snprintf(buf, len, "wait %llu-%llu ms", (unsigned long long)w->min_ms,
                 (unsigned long long)w->max_ms);
        break;
    case HN_WAIT_PACING:
        snprintf(buf, len, "an iteration every %llu ms", (unsigned long long)w->min_ms);
        break;
    default:
        snprintf(buf, len, "no wait");
        break;
    }
    return buf;
}

static const char *const orders[] = {"sequential", "random", "unique"};

/* Steps on each transport, for the summary's engine line. */
struct engine_count {
    uint32_t fast, curl;
};

static void print_step(FILE *out, const struct hn_scenario *s, const struct hn_user_class *c,
                       const struct hn_step *st, const char *prefix)
{
    char name[HN_SANITIZE_SIZE(HN_PROTO_NAME_MAX)];
    fprintf(out, "%s%s %s", prefix, st->method, hn_sanitize_str(name, sizeof(name), st->name));
    if (st->body_kind != HN_BODY_NONE)
        fprintf(out, " +%s body",
                st->body_kind == HN_BODY_JSON ? "json" : st->body_kind == HN_BODY_FORM ? "form"
                                                                                        : "raw");
    if (st->n_captures)
        fprintf(out, ", captures %u", st->n_captures);
    if (st->n_statuses || st->has_body_contains || st->n_json_checks)
        fprintf(out, ", checks %u", (st->n_statuses ? 1u : 0u) + st->has_body_contains +
                                                        st->n_json_checks);
    char buf[160];
    const char *why = hn_fast_reason(s, c, st, s->host, buf, sizeof(buf));
    if (s->engine == HN_ENGINE_CURL)
        fprintf(out, " [curl]");
    else if (why)
        fprintf(out, " [curl: %s]", why);
    else
        fprintf(out, " [fast]");
    fputc('\n', out);
}

static bool count_step(void *n, const struct hn_scenario *s, const struct hn_user_class *c,
                       const struct hn_step *st)
{
    struct engine_count *count = n;
    *(hn_fast_uses(s, c, st) ? &count->fast : &count->curl) += 1;
    return true;
}

void hn_scenario_summary(FILE *out, const char *path, const struct hn_scenario *s,
                         const struct hn_load_info *info, const struct hn_run_plan *plan)
{
    uint64_t wsum = hn_scenario_class_weight_sum(s);
    fprintf(out, "%s: valid\n", path);
    fprintf(out, "host: %s\n", s->host ? s->host : "(none: every URL is absolute)");
    struct engine_count all = {0, 0};
    visit_steps(s, count_step, &all);
    fprintf(out, "requests: timeout %llu ms, HTTP/%s, TLS %s%s, cookies %s\n",
            (unsigned long long)s->timeout_ms, s->http_version == HN_HTTP_2 ? "2" : "1.1",
            s->tls_verify ? "verified" : "NOT verified",
            s->ca_pem ? " (own CA bundle)" : "", s->cookies ? "on" : "off");
    fprintf(out, "engine %s: %u step%s on the fast path, %u on libcurl\n",
            hn_fast_engine_name(s->engine), all.fast, all.fast == 1 ? "" : "s", all.curl);
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        const struct hn_feeder *fd = &s->feeders[f];
        fprintf(out, "data %s: %s, %u rows, %s, columns:", fd->name,
                info && info->data_paths[f] ? info->data_paths[f] : "?", fd->n_rows,
                orders[fd->order < 3 ? fd->order : 0]);
        char column[HN_SANITIZE_SIZE(256)];
        for (uint32_t c = 0; c < fd->n_columns; c++)
            fprintf(out, " %s", hn_sanitize_str(column, sizeof(column), fd->columns[c]));
        fputc('\n', out);
    }
    fprintf(out, "user classes: %u\n", s->n_classes);
    for (uint32_t i = 0; i < s->n_classes; i++) {
        const struct hn_user_class *c = &s->classes[i];
        char wait[64];
        uint64_t tsum = 0;
        for (uint32_t t = 0; t < c->n_tasks; t++)
            tsum += c->tasks[t].weight;
        fprintf(out, "  %s: weight %u (%.1f %% of users), %s, %u task%s\n", c->name, c->weight,
                wsum ? 100.0 * c->weight / (double)wsum : 0, wait_text(&c->wait, wait, sizeof(wait)),
                c->n_tasks, c->n_tasks == 1 ? "" : "s");
        for (uint32_t k = 0; k < c->n_on_start; k++)
            print_step(out, s, c, &c->on_start[k], "    on_start: ");
        for (uint32_t t = 0; t < c->n_tasks && t < 12; t++) {
            const struct hn_task *task = &c->tasks[t];
            fprintf(out, "    task %u (weight %u, %.1f %%)%s", t + 1, task->weight,
                    tsum ? 100.0 * task->weight / (double)tsum : 0,
                    task->n_steps > 1 ? ": sequence\n" : ": ");
            for (uint32_t k = 0; k < task->n_steps && k < 8; k++)
                print_step(out, s, c, &task->steps[k], task->n_steps > 1 ? "      " : "");
            if (task->n_steps > 8)
                fprintf(out, "      ... %u more steps\n", task->n_steps - 8);
        }
        if (c->n_tasks > 12)
            fprintf(out, "    ... %u more tasks\n", c->n_tasks - 12);
    }
    if (info && (info->tasks_dropped || info->classes_dropped))
        fprintf(out, "--tags/--exclude-tags left out %u task%s and %u class%s\n",
                info->tasks_dropped, info->tasks_dropped == 1 ? "" : "s", info->classes_dropped,
                info->classes_dropped == 1 ? "" : "es");
    fprintf(out, "stats entries: %u\n", s->n_entries);
    char name[HN_SANITIZE_SIZE(HN_PROTO_NAME_MAX)];
    for (uint32_t e = 0; e < s->n_entries && e < 20; e++)
        fprintf(out, "  %-7s %s\n", s->entries[e].method,
                hn_sanitize_str(name, sizeof(name), s->entries[e].name));
    if (s->n_entries > 20)
        fprintf(out, "  ... %u more\n", s->n_entries - 20);
    if (plan)
        hn_run_plan_describe(out, plan, s, "");
}
