/* Scenario model: construction, validation, stats-entry indexing, freeing.
 * Built once before a run; nothing here is on a hot path. */
#include "model.h"
#include "error.h"
#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hn_model_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Grow *items by one zeroed element of @size bytes (limit @max). */
static void *grow(void **items, uint32_t *n, size_t size, uint32_t max)
{
    if (*n >= max)
        return NULL;
    char *p = realloc(*items, (*n + 1) * size);
    if (!p)
        return NULL;
    *items = p;
    memset(p + *n * size, 0, size);
    return p + (*n)++ * size;
}

struct hn_scenario *hn_scenario_new(void)
{
    struct hn_scenario *s = calloc(1, sizeof(*s));
    if (s) {
        s->timeout_ms = 10000;
        s->tls_verify = true;
        s->http_version = HN_HTTP_1_1;
        s->cookies = true;
        s->max_body = HN_MODEL_MAX_BODY_DEFAULT;
    }
    return s;
}

struct hn_user_class *hn_scenario_add_class(struct hn_scenario *s)
{
    struct hn_user_class *c =
        grow((void **)&s->classes, &s->n_classes, sizeof(*c), HN_MODEL_CLASSES_MAX);
    if (c)
        c->weight = 1;
    return c;
}

struct hn_feeder *hn_scenario_add_feeder(struct hn_scenario *s)
{
    return grow((void **)&s->feeders, &s->n_feeders, sizeof(struct hn_feeder),
                HN_MODEL_FEEDERS_MAX);
}

struct hn_task *hn_class_add_task(struct hn_user_class *c)
{
    struct hn_task *t = grow((void **)&c->tasks, &c->n_tasks, sizeof(*t), HN_MODEL_TASKS_MAX);
    if (t)
        t->weight = 1;
    return t;
}

struct hn_step *hn_task_add_step(struct hn_task *t)
{
    return grow((void **)&t->steps, &t->n_steps, sizeof(struct hn_step), HN_MODEL_STEPS_MAX);
}

struct hn_step *hn_class_add_on_start(struct hn_user_class *c)
{
    return grow((void **)&c->on_start, &c->n_on_start, sizeof(struct hn_step), HN_MODEL_STEPS_MAX);
}

struct hn_header *hn_headers_add(struct hn_header **headers, uint32_t *n)
{
    return grow((void **)headers, n, sizeof(struct hn_header), HN_MODEL_HEADERS_MAX);
}

struct hn_capture *hn_step_add_capture(struct hn_step *st)
{
    return grow((void **)&st->captures, &st->n_captures, sizeof(struct hn_capture),
                HN_MODEL_CAPTURES_MAX);
}

struct hn_check_json *hn_step_add_json_check(struct hn_step *st)
{
    return grow((void **)&st->json_checks, &st->n_json_checks, sizeof(struct hn_check_json),
                HN_MODEL_CHECKS_MAX);
}

int hn_step_add_status(struct hn_step *st, uint16_t status)
{
    if (st->n_statuses >= HN_MODEL_STATUSES_MAX)
        return HN_E_TOO_LARGE;
    uint16_t *p = grow((void **)&st->statuses, &st->n_statuses, sizeof(*p), HN_MODEL_STATUSES_MAX);
    if (!p)
        return -ENOMEM;
    *p = status;
    return 0;
}

int hn_scenario_var(struct hn_scenario *s, const char *name, uint32_t *slot)
{
    for (uint32_t i = 0; i < s->n_vars; i++) {
        if (strcmp(s->vars[i], name) == 0) {
            *slot = i;
            return 0;
        }
    }
    if (s->n_vars >= HN_MODEL_VARS_MAX)
        return HN_E_TOO_LARGE;
    char *copy = strdup(name);
    char **p = copy ? grow((void **)&s->vars, &s->n_vars, sizeof(*p), HN_MODEL_VARS_MAX) : NULL;
    if (!p) {
        free(copy);
        return -ENOMEM;
    }
    *p = copy;
    *slot = s->n_vars - 1;
    return 0;
}

int hn_template_set_literal(struct hn_template *t, const char *text)
{
    hn_template_deinit(t);
    if (!(t->source = strdup(text)))
        return -ENOMEM;
    int err = hn_template_add_literal(t, text, strlen(text));
    if (err)
        hn_template_deinit(t);
    return err;
}

static void free_headers(struct hn_header *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(h[i].name);
        hn_template_deinit(&h[i].value);
    }
    free(h);
}

static void free_steps(struct hn_step *steps, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct hn_step *st = &steps[i];
        free(st->method);
        hn_template_deinit(&st->url);
        free(st->name);
        free_headers(st->headers, st->n_headers);
        hn_template_deinit(&st->body);
        for (uint32_t k = 0; k < st->n_captures; k++)
            free(st->captures[k].expr);
        free(st->captures);
        free(st->statuses);
        hn_template_deinit(&st->body_contains);
        for (uint32_t k = 0; k < st->n_json_checks; k++) {
            free(st->json_checks[k].path);
            free(st->json_checks[k].want);
        }
        free(st->json_checks);
    }
    free(steps);
}

void hn_task_clear(struct hn_task *t)
{
    free(t->name);
    free_steps(t->steps, t->n_steps);
    memset(t, 0, sizeof(*t));
}

static void free_feeder(struct hn_feeder *f)
{
    free(f->name);
    for (uint32_t i = 0; i < f->n_columns; i++)
        free(f->columns[i]);
    free(f->columns);
    if (f->cells)
        for (uint64_t i = 0; i < (uint64_t)f->n_rows * f->n_columns; i++)
            free(f->cells[i]);
    free(f->cells);
}

static void free_class(struct hn_user_class *c)
{
    free(c->name);
    free_headers(c->headers, c->n_headers);
    free_steps(c->on_start, c->n_on_start);
    for (uint32_t t = 0; t < c->n_tasks; t++) {
        free(c->tasks[t].name);
        free_steps(c->tasks[t].steps, c->tasks[t].n_steps);
    }
    free(c->tasks);
}

void hn_scenario_remove_class(struct hn_scenario *s, uint32_t i)
{
    if (i >= s->n_classes)
        return;
    free_class(&s->classes[i]);
    memmove(&s->classes[i], &s->classes[i + 1], (s->n_classes - i - 1) * sizeof(*s->classes));
    s->n_classes--;
}

void hn_scenario_free(struct hn_scenario *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_classes; i++)
        free_class(&s->classes[i]);
    free(s->classes);
    for (uint32_t i = 0; i < s->n_feeders; i++)
        free_feeder(&s->feeders[i]);
    free(s->feeders);
    for (uint32_t i = 0; i < s->n_vars; i++)
        free(s->vars[i]);
    free(s->vars);
    free_headers(s->headers, s->n_headers);
    free(s->host);
    free(s->ca_pem);
    free(s->entries);
    free(s);
}

/* Entry index of (method, name), adding it when new. Linear search: done
 * once per step at load time, and scenarios have few distinct entries. */
static int entry_index(struct hn_scenario *s, const char *method, const char *name, uint32_t *out)
{
    for (uint32_t i = 0; i < s->n_entries; i++) {
        if (strcmp(s->entries[i].method, method) == 0 && strcmp(s->entries[i].name, name) == 0) {
            *out = i;
            return 0;
        }
    }
    struct hn_stat_key *k =
        grow((void **)&s->entries, &s->n_entries, sizeof(*k), HN_MODEL_ENTRIES_MAX);
    if (!k)
        return HN_E_TOO_LARGE;
    k->method = method;
    k->name = name;
    *out = s->n_entries - 1;
    return 0;
}

/* Every variable and data column a template names must exist; records the
 * feeders a class reads. */
static int check_template(const struct hn_scenario *s, struct hn_user_class *c,
                          const struct hn_template *t, const char *where, char *why, size_t len)
{
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        if (g->kind >= HN_SEG__COUNT || (g->kind != HN_SEG_LITERAL && g->escape >= HN_ESC__COUNT))
            return hn_invalid(why, len, "%s: bad template segment", where);
        if (g->kind == HN_SEG_VAR && g->a >= s->n_vars)
            return hn_invalid(why, len, "%s: template names variable %u of %u", where, g->a,
                              s->n_vars);
        if (g->kind == HN_SEG_DATA) {
            if (g->a >= s->n_feeders || g->b >= s->feeders[g->a].n_columns)
                return hn_invalid(why, len, "%s: template names a data column that does not exist",
                                  where);
            if (c)
                c->feeders_used |= 1u << g->a;
        }
        if (g->kind == HN_SEG_RANDOM && g->lo > g->hi)
            return hn_invalid(why, len, "%s: random bounds out of order", where);
    }
    return 0;
}

static int check_headers(const struct hn_scenario *s, struct hn_user_class *c,
                         const struct hn_header *h, uint32_t n, const char *where, char *why,
                         size_t len)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!h[i].name || !h[i].name[0])
            return hn_invalid(why, len, "%s: header without a name", where);
        HN_TRY(check_template(s, c, &h[i].value, where, why, len));
    }
    return 0;
}

static int finalize_steps(struct hn_scenario *s, struct hn_user_class *c, struct hn_step *steps,
                          uint32_t n, const char *where, char *why, size_t len)
{
    for (uint32_t i = 0; i < n; i++) {
        struct hn_step *st = &steps[i];
        char at[160];
        snprintf(at, sizeof(at), "%s step %u", where, i + 1);
        if (!st->method || !st->method[0])
            return hn_invalid(why, len, "%s: no method", at);
        if (st->url.n_segs == 0 || !st->url.source || !st->url.source[0])
            return hn_invalid(why, len, "%s: no url", at);
        if (st->body_kind >= HN_BODY__COUNT)
            return hn_invalid(why, len, "%s: bad body kind", at);
        HN_TRY(check_template(s, c, &st->url, at, why, len));
        HN_TRY(check_template(s, c, &st->body, at, why, len));
        HN_TRY(check_template(s, c, &st->body_contains, at, why, len));
        HN_TRY(check_headers(s, c, st->headers, st->n_headers, at, why, len));
        for (uint32_t k = 0; k < st->n_captures; k++)
            if (st->captures[k].var >= s->n_vars || st->captures[k].kind >= HN_CAPTURE__COUNT ||
                !st->captures[k].expr)
                return hn_invalid(why, len, "%s: bad capture %u", at, k + 1);
        for (uint32_t k = 0; k < st->n_statuses; k++)
            if (st->statuses[k] < 100 || st->statuses[k] > 599)
                return hn_invalid(why, len, "%s: status %u is not 100..599", at, st->statuses[k]);
        for (uint32_t k = 0; k < st->n_json_checks; k++)
            if (!st->json_checks[k].path || !st->json_checks[k].want ||
                st->json_checks[k].want_type >= HN_JSON__COUNT)
                return hn_invalid(why, len, "%s: bad json check %u", at, k + 1);
        /* Named after its url, without credentials: the name is in
         * every report and the metrics. */
        size_t shown = strlen(st->url.source) + 4;
        if (!st->name && (st->name = malloc(shown)))
            hn_url_redact(st->url.source, st->name, shown);
        if (!st->name)
            return -ENOMEM;
        if (entry_index(s, st->method, st->name, &st->entry))
            return hn_invalid(why, len, "more than %u distinct (method, name) entries",
                              HN_MODEL_ENTRIES_MAX);
    }
    return 0;
}

static int check_feeders(const struct hn_scenario *s, char *why, size_t len)
{
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        const struct hn_feeder *fd = &s->feeders[f];
        if (!fd->name || fd->order >= HN_ORDER__COUNT || fd->n_columns == 0 ||
            fd->n_columns > HN_MODEL_COLUMNS_MAX || fd->n_rows > HN_MODEL_ROWS_MAX)
            return hn_invalid(why, len, "data feeder %u is malformed", f + 1);
        if (fd->rows_shipped != (fd->cells != NULL))
            return hn_invalid(why, len, "data feeder %s: rows missing", fd->name);
    }
    return 0;
}

int hn_scenario_finalize(struct hn_scenario *s, char *why, size_t why_len)
{
    if (s->n_classes == 0)
        return hn_invalid(why, why_len, "scenario has no user class");
    uint64_t steps = 0;
    for (uint32_t i = 0; i < s->n_classes; i++) {
        steps += s->classes[i].n_on_start;
        for (uint32_t t = 0; t < s->classes[i].n_tasks; t++)
            steps += s->classes[i].tasks[t].n_steps;
    }
    if (steps > HN_MODEL_STEPS_TOTAL_MAX)
        return hn_invalid(why, why_len, "%llu steps in all (at most %u)", (unsigned long long)steps,
                          HN_MODEL_STEPS_TOTAL_MAX);
    if (s->http_version >= HN_HTTP__COUNT)
        return hn_invalid(why, why_len, "bad HTTP version");
    HN_TRY(check_feeders(s, why, why_len));
    HN_TRY(check_headers(s, NULL, s->headers, s->n_headers, "defaults", why, why_len));
    free(s->entries);
    s->entries = NULL;
    s->n_entries = 0;
    for (uint32_t i = 0; i < s->n_classes; i++) {
        struct hn_user_class *c = &s->classes[i];
        const char *cname = c->name ? c->name : "(unnamed)";
        char where[96];
        c->feeders_used = 0;
        if (c->weight == 0 || c->weight > HN_MODEL_WEIGHT_MAX)
            return hn_invalid(why, why_len, "class %s: weight must be 1..%u", cname,
                              HN_MODEL_WEIGHT_MAX);
        if (c->n_tasks == 0)
            return hn_invalid(why, why_len, "class %s has no task", cname);
        if (c->wait.kind >= HN_WAIT__COUNT ||
            (c->wait.kind == HN_WAIT_BETWEEN && c->wait.min_ms > c->wait.max_ms) ||
            (c->wait.kind == HN_WAIT_PACING && c->wait.min_ms == 0)) /* no schedule */
            return hn_invalid(why, why_len, "class %s: bad wait time", cname);
        /* Defaults apply to every class: the feeders they read are this
         * class's too. */
        HN_TRY(check_headers(s, c, s->headers, s->n_headers, "defaults", why, why_len));
        snprintf(where, sizeof(where), "class %s", cname);
        HN_TRY(check_headers(s, c, c->headers, c->n_headers, where, why, why_len));
        snprintf(where, sizeof(where), "class %s on_start", cname);
        HN_TRY(finalize_steps(s, c, c->on_start, c->n_on_start, where, why, why_len));
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            struct hn_task *task = &c->tasks[t];
            snprintf(where, sizeof(where), "class %s task %u", cname, t + 1);
            if (task->weight == 0 || task->weight > HN_MODEL_WEIGHT_MAX)
                return hn_invalid(why, why_len, "%s: weight must be 1..%u", where,
                                  HN_MODEL_WEIGHT_MAX);
            if (task->n_steps == 0)
                return hn_invalid(why, why_len, "%s has no step", where);
            HN_TRY(finalize_steps(s, c, task->steps, task->n_steps, where, why, why_len));
        }
    }
    return 0;
}

uint64_t hn_scenario_class_weight_sum(const struct hn_scenario *s)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < s->n_classes; i++)
        sum += s->classes[i].weight;
    return sum;
}

int hn_scenario_each_step(struct hn_scenario *s,
                          int (*fn)(void *ctx, struct hn_user_class *c, struct hn_step *st),
                          void *ctx)
{
    for (uint32_t i = 0; i < s->n_classes; i++) {
        struct hn_user_class *c = &s->classes[i];
        for (uint32_t k = 0; k < c->n_on_start; k++)
            HN_TRY(fn(ctx, c, &c->on_start[k]));
        for (uint32_t t = 0; t < c->n_tasks; t++)
            for (uint32_t k = 0; k < c->tasks[t].n_steps; k++)
                HN_TRY(fn(ctx, c, &c->tasks[t].steps[k]));
    }
    return 0;
}

struct hn_scenario *hn_scenario_quick(const char *host, const char *const *paths, size_t n_paths)
{
    struct hn_scenario *s = hn_scenario_new();
    if (!s || (host && !(s->host = strdup(host))))
        goto fail;
    struct hn_user_class *c = hn_scenario_add_class(s);
    if (!c || !(c->name = strdup("quick")))
        goto fail;
    for (size_t i = 0; i < n_paths; i++) {
        struct hn_task *t = hn_class_add_task(c);
        struct hn_step *st = t ? hn_task_add_step(t) : NULL;
        if (!st || !(st->method = strdup("GET")) || hn_template_set_literal(&st->url, paths[i]))
            goto fail;
    }
    return s;
fail:
    hn_scenario_free(s);
    return NULL;
}
