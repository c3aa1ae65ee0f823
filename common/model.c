/* Scenario model: construction, validation, stats-entry indexing, freeing.
 * Built once before a run; nothing here is on a hot path. */
#include "model.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
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
    if (s)
        s->timeout_ms = 10000;
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

static void free_headers(struct hn_header *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void free_steps(struct hn_step *steps, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(steps[i].method);
        free(steps[i].url);
        free(steps[i].name);
        free(steps[i].body);
        free_headers(steps[i].headers, steps[i].n_headers);
    }
    free(steps);
}

void hn_scenario_free(struct hn_scenario *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n_classes; i++) {
        struct hn_user_class *c = &s->classes[i];
        free(c->name);
        free_headers(c->headers, c->n_headers);
        free_steps(c->on_start, c->n_on_start);
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            free(c->tasks[t].name);
            free_steps(c->tasks[t].steps, c->tasks[t].n_steps);
        }
        free(c->tasks);
    }
    free(s->classes);
    free_headers(s->headers, s->n_headers);
    free(s->host);
    free(s->entries);
    free(s);
}

static int invalid(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && len)
        vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return HN_E_INVALID;
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

static int finalize_steps(struct hn_scenario *s, struct hn_step *steps, uint32_t n,
                          const char *where, char *why, size_t len)
{
    for (uint32_t i = 0; i < n; i++) {
        struct hn_step *st = &steps[i];
        if (!st->method || !st->method[0])
            return invalid(why, len, "%s step %u: no method", where, i + 1);
        if (!st->url || !st->url[0])
            return invalid(why, len, "%s step %u: no url", where, i + 1);
        if (!st->name && !(st->name = strdup(st->url)))
            return -ENOMEM;
        if (entry_index(s, st->method, st->name, &st->entry))
            return invalid(why, len, "more than %u distinct (method, name) entries",
                           HN_MODEL_ENTRIES_MAX);
    }
    return 0;
}

int hn_scenario_finalize(struct hn_scenario *s, char *why, size_t why_len)
{
    if (s->n_classes == 0)
        return invalid(why, why_len, "scenario has no user class");
    free(s->entries);
    s->entries = NULL;
    s->n_entries = 0;
    for (uint32_t i = 0; i < s->n_classes; i++) {
        struct hn_user_class *c = &s->classes[i];
        const char *cname = c->name ? c->name : "(unnamed)";
        char where[96];
        if (c->weight == 0 || c->weight > HN_MODEL_WEIGHT_MAX)
            return invalid(why, why_len, "class %s: weight must be 1..%u", cname,
                           HN_MODEL_WEIGHT_MAX);
        if (c->n_tasks == 0)
            return invalid(why, why_len, "class %s has no task", cname);
        if (c->wait.kind >= HN_WAIT__COUNT ||
            (c->wait.kind == HN_WAIT_BETWEEN && c->wait.min_ms > c->wait.max_ms))
            return invalid(why, why_len, "class %s: bad wait time", cname);
        snprintf(where, sizeof(where), "class %s on_start", cname);
        int err = finalize_steps(s, c->on_start, c->n_on_start, where, why, why_len);
        if (err)
            return err;
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            struct hn_task *task = &c->tasks[t];
            snprintf(where, sizeof(where), "class %s task %u", cname, t + 1);
            if (task->weight == 0 || task->weight > HN_MODEL_WEIGHT_MAX)
                return invalid(why, why_len, "%s: weight must be 1..%u", where,
                               HN_MODEL_WEIGHT_MAX);
            if (task->n_steps == 0)
                return invalid(why, why_len, "%s has no step", where);
            err = finalize_steps(s, task->steps, task->n_steps, where, why, why_len);
            if (err)
                return err;
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
        if (!st || !(st->method = strdup("GET")) || !(st->url = strdup(paths[i])))
            goto fail;
    }
    return s;
fail:
    hn_scenario_free(s);
    return NULL;
}
