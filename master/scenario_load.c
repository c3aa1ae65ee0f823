/* The scenario file's top level (see scenario_load.h): host, defaults,
 * tls, http, user classes and their tasks. Data feeders are read in
 * scenario_data.c, steps in scenario_step.c, bodies in scenario_body.c. */
#include "curl_quirks.h"
#include "error.h"
#include "fastpath.h"
#include "msg.h"
#include "scenario_load_internal.h"
#include "units.h"
#include "url.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "x-..." keys are the user's own: a place to define YAML anchors. */
static const char *const top_keys[] = {"host", "defaults", "tls",    "http",       "data",
                                       "users", "load",    "arrival", "thresholds", "x-*",
                                       NULL};

/* Variables each class captures, kept for the check of the defaults'
 * headers, which every class sends. */
struct class_vars {
    const char *names[HN_MODEL_VARS_MAX];
    uint32_t n;
};

void hn_load_resolve_path(const struct hn_loader *L, const char *path, char *out, size_t len)
{
    if (path[0] == '/' || !L->dir[0])
        snprintf(out, len, "%s", path);
    else
        snprintf(out, len, "%s/%s", L->dir, path);
}

/* --- host, defaults, tls, http ------------------------------------------- */

static bool load_host(struct hn_loader *L, yaml_node_t *n)
{
    const char *host;
    size_t len;
    if (!hn_yaml_string(&L->y, n, HN_MODEL_STR_MAX, &host, &len, "host"))
        return false;
    if (!hn_url_ok(host))
        return hn_yaml_fail(&L->y, n, "host: '%s' is not an http:// or https:// URL", host);
    if (!L->opt->host && !hn_url_is_base(host)) /* -H replaces it: unused */
        return hn_yaml_fail(&L->y, n,
                            "host: '%s' has a query or fragment (? or #): step paths are "
                            "appended to it, so put those in the steps",
                            host);
    if (!(L->s->host = strndup(host, len)))
        return hn_yaml_fail(&L->y, n, "out of memory");
    return true;
}

static bool load_defaults(struct hn_loader *L, yaml_node_t *n, yaml_node_t **headers,
                          bool *follow)
{
    static const char *const keys[] = {"headers", "timeout", "follow_redirects", NULL};
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "defaults: expected a mapping, got %s", hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "defaults"))
        return false;
    yaml_node_t *v;
    if ((v = hn_yaml_get(y, n, "timeout"))) {
        if (!hn_yaml_duration_ms(y, v, &L->s->timeout_ms, "timeout"))
            return false;
        if (L->s->timeout_ms == 0 || L->s->timeout_ms > 3600 * 1000)
            return hn_yaml_fail(y, v, "timeout: between 1ms and 1h");
    }
    if ((v = hn_yaml_get(y, n, "follow_redirects")) &&
        !hn_yaml_bool(y, v, follow, "follow_redirects"))
        return false;
    *headers = hn_yaml_get(y, n, "headers");
    return !y->failed;
}

static bool load_tls(struct hn_loader *L, yaml_node_t *n)
{
    static const char *const keys[] = {"verify", "ca_file", NULL};
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "tls: expected a mapping, got %s", hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "tls"))
        return false;
    yaml_node_t *v;
    if ((v = hn_yaml_get(y, n, "verify")) && !hn_yaml_bool(y, v, &L->s->tls_verify, "tls verify"))
        return false;
    if (!(v = hn_yaml_get(y, n, "ca_file")))
        return !y->failed;
    const char *rel;
    if (!hn_yaml_string(y, v, PATH_MAX - 1, &rel, NULL, "tls ca_file"))
        return false;
    if (L->opt->no_files)
        return hn_yaml_fail(y, v, "tls ca_file: files cannot be read here");
    char path[PATH_MAX * 2];
    hn_load_resolve_path(L, rel, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (!f)
        return hn_yaml_fail(y, v, "tls ca_file: cannot read %s: %s", path, strerror(errno));
    char *pem = malloc(HN_MODEL_CA_MAX + 1);
    size_t len = pem ? fread(pem, 1, HN_MODEL_CA_MAX + 1, f) : 0;
    fclose(f);
    if (!pem)
        return hn_yaml_fail(y, v, "out of memory");
    bool ok = true;
    if (len > HN_MODEL_CA_MAX)
        ok = hn_yaml_fail(y, v, "tls ca_file: %s is larger than %u bytes", path, HN_MODEL_CA_MAX);
    else if (memchr(pem, '\0', len) || !memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27))
        ok = hn_yaml_fail(y, v, "tls ca_file: %s holds no PEM certificate", path);
    if (!ok) {
        free(pem);
        return false;
    }
    L->s->ca_pem = pem;
    L->s->ca_len = (uint32_t)len;
    return true;
}

static bool load_http(struct hn_loader *L, yaml_node_t *n)
{
    static const char *const keys[] = {"version", "cookies", "max_body", "engine", NULL};
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "http: expected a mapping, got %s", hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "http"))
        return false;
    yaml_node_t *v;
    if ((v = hn_yaml_get(y, n, "version"))) {
        L->http_version_node = v;
        const char *t = hn_yaml_is_scalar(v) ? (const char *)v->data.scalar.value : "";
        if (!strcmp(t, "1.1"))
            L->s->http_version = HN_HTTP_1_1;
        else if (!strcmp(t, "2") || !strcmp(t, "2.0"))
            L->s->http_version = HN_HTTP_2;
        else
            return hn_yaml_fail(y, v, "http version: \"1.1\" or \"2\", got %s", hn_yaml_kind(v));
    }
    if ((v = hn_yaml_get(y, n, "cookies")) && !hn_yaml_bool(y, v, &L->s->cookies, "http cookies"))
        return false;
    if ((v = hn_yaml_get(y, n, "max_body"))) {
        uint64_t bytes;
        if (!hn_yaml_is_scalar(v) ||
            hn_units_parse_bytes((const char *)v->data.scalar.value, &bytes))
            return hn_yaml_fail(y, v, "http max_body: a size such as 1MiB or 64KB, got %s",
                                hn_yaml_kind(v));
        if (bytes == 0 || bytes > HN_MODEL_MAX_BODY_MAX)
            return hn_yaml_fail(y, v, "http max_body: between 1 byte and %u bytes",
                                HN_MODEL_MAX_BODY_MAX);
        L->s->max_body = bytes;
    }
    if ((v = hn_yaml_get(y, n, "engine"))) {
        const char *t = hn_yaml_is_scalar(v) ? (const char *)v->data.scalar.value : "";
        uint8_t e = HN_ENGINE__COUNT;
        for (uint8_t i = 0; i < HN_ENGINE__COUNT; i++)
            if (!strcmp(t, hn_fast_engine_name(i)))
                e = i;
        if (e == HN_ENGINE__COUNT)
            return hn_yaml_fail(y, v, "http engine: auto, curl or fast, got %s%s%s",
                                hn_yaml_is_scalar(v) ? "'" : "",
                                hn_yaml_is_scalar(v) ? t : hn_yaml_kind(v),
                                hn_yaml_is_scalar(v) ? "'" : "");
        L->s->engine = e;
        L->engine_node = v;
    }
    return !y->failed;
}

/* --no-cookies and --engine replace the file's http: before any step is
 * read (a step's engine errors depend on them). */
static bool http_overrides(struct hn_loader *L, yaml_node_t *root)
{
    if (L->opt->no_cookies)
        L->s->cookies = false;
    if (L->opt->engine_given)
        L->s->engine = L->opt->engine;
    const char *why =
        L->s->engine == HN_ENGINE_FAST ? hn_fast_scenario_reason(L->s) : NULL;
    if (!why)
        return true;
    if (L->opt->engine_given)
        return hn_yaml_fail(&L->y, root, "--engine fast: no step can use it: %s", why);
    return hn_yaml_fail(&L->y, L->engine_node, "http engine fast: no step can use it: %s", why);
}

/* --- classes and tasks --------------------------------------------------- */

static bool load_wait(struct hn_loader *L, yaml_node_t *n, struct hn_wait *w)
{
    static const char *const keys[] = {"between", "constant", "pacing", NULL};
    struct hn_yaml *y = &L->y;
    if (hn_yaml_is_null(n) ||
        (hn_yaml_is_scalar(n) && !strcmp((const char *)n->data.scalar.value, "none"))) {
        w->kind = HN_WAIT_NONE;
        return true;
    }
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n,
                            "wait: {between: [MIN, MAX]}, {constant: TIME}, {pacing: TIME} or "
                            "none, got %s",
                            hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "wait"))
        return false;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_pairs(y, n, &pairs, &np))
        return false;
    bool ok = np == 1 || hn_yaml_fail(y, n, "wait: give one of between, constant, pacing");
    if (ok && !strcmp(pairs[0].name, "between")) {
        yaml_node_t *v = pairs[0].value;
        w->kind = HN_WAIT_BETWEEN;
        if (hn_yaml_items(v) != 2)
            ok = hn_yaml_fail(y, v, "wait between: a list of two durations, e.g. [1s, 3s]");
        yaml_node_t *lo = ok ? hn_yaml_item(y, v, 0) : NULL, *hi = ok ? hn_yaml_item(y, v, 1)
                                                                      : NULL;
        ok = ok && lo && hi && hn_yaml_duration_ms(y, lo, &w->min_ms, "wait between") &&
             hn_yaml_duration_ms(y, hi, &w->max_ms, "wait between");
        if (ok && w->min_ms > w->max_ms)
            ok = hn_yaml_fail(y, lo, "wait between: %llu ms is more than %llu ms",
                              (unsigned long long)w->min_ms, (unsigned long long)w->max_ms);
    } else if (ok) {
        w->kind = !strcmp(pairs[0].name, "constant") ? HN_WAIT_CONSTANT : HN_WAIT_PACING;
        ok = hn_yaml_duration_ms(y, pairs[0].value, &w->min_ms, "wait");
        if (ok && w->kind == HN_WAIT_PACING && w->min_ms == 0)
            ok = hn_yaml_fail(y, pairs[0].value, "wait pacing: a period above 0");
    }
    if (ok && w->max_ms > UINT32_MAX)
        ok = hn_yaml_fail(y, n, "wait: too long");
    free(pairs);
    return ok;
}

/* True if a task with @tags is kept by --tags / --exclude-tags (Locust's
 * rules: with --tags, only tagged tasks that match; --exclude-tags drops
 * any task with an excluded tag). */
static bool tags_keep(const struct hn_load_options *o, const char *const *tags, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < o->n_exclude_tags; k++)
            if (!strcmp(tags[i], o->exclude_tags[k]))
                return false;
    if (o->n_tags == 0)
        return true;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < o->n_tags; k++)
            if (!strcmp(tags[i], o->tags[k]))
                return true;
    return false;
}

static bool load_tags(struct hn_loader *L, yaml_node_t *n, const char **tags, uint32_t *count)
{
    struct hn_yaml *y = &L->y;
    *count = 0;
    if (hn_yaml_is_scalar(n)) {
        size_t len;
        return hn_yaml_string(y, n, 64, &tags[(*count)++], &len, "tags");
    }
    if (!hn_yaml_is_seq(n))
        return hn_yaml_fail(y, n, "tags: a list of names, got %s", hn_yaml_kind(n));
    if (hn_yaml_items(n) > HN_LOAD_TAGS_MAX)
        return hn_yaml_fail(y, n, "tags: at most %d", HN_LOAD_TAGS_MAX);
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i);
        size_t len;
        if (!it || !hn_yaml_string(y, it, 64, &tags[(*count)++], &len, "tag"))
            return false;
    }
    return true;
}

struct class_ctx {
    bool follow_default;
};

static bool load_steps(struct hn_loader *L, yaml_node_t *n, void *owner, bool on_start,
                       const struct class_ctx *cc, const char *what)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_seq(n))
        return hn_yaml_fail(y, n, "%s: a list of steps, got %s", what, hn_yaml_kind(n));
    if (hn_yaml_items(n) > HN_MODEL_STEPS_MAX)
        return hn_yaml_fail(y, n, "%s: more than %d steps", what, HN_MODEL_STEPS_MAX);
    if (!on_start && hn_yaml_items(n) == 0)
        return hn_yaml_fail(y, n, "%s: no step", what);
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i);
        struct hn_step *st = on_start ? hn_class_add_on_start(owner) : hn_task_add_step(owner);
        if (!it || !st)
            return y->failed || hn_yaml_fail(y, n, "out of memory");
        st->follow_redirects = cc->follow_default;
        if (++L->steps_total > HN_MODEL_STEPS_TOTAL_MAX)
            return hn_yaml_fail(y, it, "more than %d steps in the scenario",
                                HN_MODEL_STEPS_TOTAL_MAX);
        if (!hn_load_step(L, it, st, NULL))
            return false;
    }
    return true;
}

static bool load_task(struct hn_loader *L, yaml_node_t *n, struct hn_user_class *c,
                      const struct class_ctx *cc, bool *dropped)
{
    static const char *const seq_keys[] = {"weight", "tags", "name", "sequence", NULL};
    static const char *const extra[] = {"weight", "tags", NULL};
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "a task is a step with a weight, or {weight, sequence: [...]}, "
                                  "got %s",
                            hn_yaml_kind(n));
    struct hn_task *t = hn_class_add_task(c);
    if (!t)
        return hn_yaml_fail(y, n, "more than %d tasks in a class", HN_MODEL_TASKS_MAX);
    yaml_node_t *seq = hn_yaml_get(y, n, "sequence");
    if (seq) {
        if (!hn_yaml_check_keys(y, n, seq_keys, "sequence task"))
            return false;
        yaml_node_t *name = hn_yaml_get(y, n, "name");
        const char *nm;
        size_t len;
        if (name && (!hn_yaml_string(y, name, HN_PROTO_NAME_MAX, &nm, &len, "task name") ||
                     !(t->name = strndup(nm, len))))
            return y->failed || hn_yaml_fail(y, name, "out of memory");
        if (!load_steps(L, seq, t, false, cc, "sequence"))
            return false;
    } else {
        struct hn_step *st = hn_task_add_step(t);
        if (!st)
            return hn_yaml_fail(y, n, "out of memory");
        st->follow_redirects = cc->follow_default;
        if (++L->steps_total > HN_MODEL_STEPS_TOTAL_MAX)
            return hn_yaml_fail(y, n, "more than %d steps in the scenario",
                                HN_MODEL_STEPS_TOTAL_MAX);
        if (!hn_load_step(L, n, st, extra))
            return false;
    }
    yaml_node_t *v;
    uint64_t weight = 1;
    if ((v = hn_yaml_get(y, n, "weight")) &&
        !hn_yaml_uint(y, v, 1, HN_MODEL_WEIGHT_MAX, &weight, "task weight"))
        return false;
    t->weight = (uint32_t)weight;
    const char *tags[HN_LOAD_TAGS_MAX];
    uint32_t n_tags = 0;
    if ((v = hn_yaml_get(y, n, "tags")) && !load_tags(L, v, tags, &n_tags))
        return false;
    *dropped = !tags_keep(L->opt, tags, n_tags);
    if (*dropped) {
        hn_task_clear(t);
        c->n_tasks--;
    }
    return !y->failed;
}

/* The place (from 1) of an earlier class named @name, or 0 (the last class
 * is the one being named). */
static uint32_t class_named(const struct hn_scenario *s, const char *name)
{
    for (uint32_t i = 0; i + 1 < s->n_classes; i++)
        if (!strcmp(s->classes[i].name, name))
            return i + 1;
    return 0;
}

/* Class @c's name: its own, or class<N> by its place in the file. Either
 * must differ from every earlier class's: stats, stages and reports know a
 * class by name, so a second class2 would be run and shown as the first. */
static bool load_class_name(struct hn_loader *L, yaml_node_t *n, uint32_t index,
                            struct hn_user_class *c)
{
    struct hn_yaml *y = &L->y;
    yaml_node_t *v = hn_yaml_get(y, n, "name");
    if (v) {
        const char *nm;
        size_t len;
        if (!hn_yaml_string(y, v, HN_PROTO_NAME_MAX, &nm, &len, "class name"))
            return false;
        if (!len || !hn_msg_str_valid(nm, len))
            return hn_yaml_fail(y, v, "class name: a non-empty UTF-8 text");
        if (class_named(L->s, nm))
            return hn_yaml_fail(y, v, "class name '%s' given twice", nm);
        c->name = strndup(nm, len);
    } else if (asprintf(&c->name, "class%u", index + 1) < 0) {
        c->name = NULL;
    }
    if (!c->name)
        return hn_yaml_fail(y, n, "out of memory");
    uint32_t other = v ? 0 : class_named(L->s, c->name);
    if (other)
        return hn_yaml_fail(y, n,
                            "default class name '%s' is taken by class %u: give this class a "
                            "name: of its own",
                            c->name, other);
    return true;
}

static bool load_class(struct hn_loader *L, yaml_node_t *n, uint32_t index,
                       const struct class_ctx *cc, struct class_vars *vars)
{
    static const char *const keys[] = {"name",     "weight", "wait", "headers",
                                       "on_start", "tasks",  NULL};
    struct hn_yaml *y = &L->y;
    struct hn_scenario *s = L->s;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "a user class is a mapping (name, weight, tasks, ...), got %s",
                            hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "user class"))
        return false;
    struct hn_user_class *c = hn_scenario_add_class(s);
    if (!c)
        return hn_yaml_fail(y, n, "more than %d user classes", HN_MODEL_CLASSES_MAX);
    if (!load_class_name(L, n, index, c))
        return false;
    L->class_name = c->name;
    L->cls = c;
    L->n_captured = 0;
    yaml_node_t *v, *on_start = hn_yaml_get(y, n, "on_start"), *tasks = hn_yaml_get(y, n, "tasks");
    /* Every variable the class captures, wherever: a template may use one
     * captured by a step that runs before it in time, not in the file. */
    if (y->failed || (on_start && !hn_load_collect_captures(L, on_start)) ||
        (tasks && !hn_load_collect_captures(L, tasks)))
        return false;
    memcpy(vars->names, L->captured, L->n_captured * sizeof(*L->captured));
    vars->n = L->n_captured;
    uint64_t weight = 1;
    if ((v = hn_yaml_get(y, n, "weight")) &&
        !hn_yaml_uint(y, v, 1, HN_MODEL_WEIGHT_MAX, &weight, "class weight"))
        return false;
    c->weight = (uint32_t)weight;
    if ((v = hn_yaml_get(y, n, "wait")) && !load_wait(L, v, &c->wait))
        return false;
    if ((v = hn_yaml_get(y, n, "headers")) && !hn_load_headers(L, v, &c->headers, &c->n_headers))
        return false;
    if (on_start && !load_steps(L, on_start, c, true, cc, "on_start"))
        return false;
    if (!tasks)
        return y->failed || hn_yaml_fail(y, n, "class %s: tasks: is missing", c->name);
    if (!hn_yaml_is_seq(tasks) || hn_yaml_items(tasks) == 0)
        return hn_yaml_fail(y, tasks, "class %s: tasks: a list of one or more tasks", c->name);
    for (size_t i = 0; i < hn_yaml_items(tasks); i++) {
        yaml_node_t *it = hn_yaml_item(y, tasks, i);
        bool dropped = false;
        if (!it || !load_task(L, it, c, cc, &dropped))
            return false;
        if (dropped && L->info)
            L->info->tasks_dropped++;
    }
    return true;
}

/* Drop classes that --tags left without a task. */
static bool prune_classes(struct hn_loader *L, yaml_node_t *users)
{
    struct hn_scenario *s = L->s;
    for (uint32_t i = s->n_classes; i-- > 0;) {
        if (s->classes[i].n_tasks > 0)
            continue;
        hn_scenario_remove_class(s, i);
        if (L->info)
            L->info->classes_dropped++;
    }
    if (s->n_classes == 0)
        return hn_yaml_fail(&L->y, users, "no task is left after --tags / --exclude-tags");
    return true;
}

static bool load_users(struct hn_loader *L, yaml_node_t *n, const struct class_ctx *cc,
                       struct class_vars *vars)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_seq(n) || hn_yaml_items(n) == 0)
        return hn_yaml_fail(y, n, "users: a list of one or more user classes, got %s",
                            hn_yaml_is_seq(n) ? "an empty list" : hn_yaml_kind(n));
    if (hn_yaml_items(n) > HN_MODEL_CLASSES_MAX)
        return hn_yaml_fail(y, n, "users: more than %d classes", HN_MODEL_CLASSES_MAX);
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(y, n, i);
        if (!it || !load_class(L, it, (uint32_t)i, cc, &vars[i]))
            return false;
    }
    return prune_classes(L, n);
}

/* The defaults' headers go with every class's requests: each variable they
 * name must be captured by every class. */
static bool load_default_headers(struct hn_loader *L, yaml_node_t *n,
                                 const struct class_vars *vars, uint32_t n_classes)
{
    L->class_name = NULL;
    L->cls = NULL;
    L->n_captured = 0;
    for (uint32_t c = 0; c < n_classes; c++)
        for (uint32_t i = 0; i < vars[c].n; i++) {
            bool have = false;
            for (uint32_t k = 0; k < L->n_captured && !have; k++)
                have = !strcmp(L->captured[k], vars[c].names[i]);
            if (!have && L->n_captured < HN_MODEL_VARS_MAX)
                L->captured[L->n_captured++] = vars[c].names[i];
        }
    if (!hn_load_headers(L, n, &L->s->headers, &L->s->n_headers))
        return false;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_pairs(&L->y, n, &pairs, &np))
        return false;
    bool ok = true;
    for (uint32_t h = 0; h < L->s->n_headers && ok && L->s->engine == HN_ENGINE_FAST; h++) {
        const char *why = hn_fast_header_reason(L->s->headers[h].name);
        if (why)
            ok = hn_yaml_fail(&L->y, h < np ? pairs[h].key : n,
                              "defaults header %s: not possible with %s (it changes how the "
                              "message is framed; use engine auto or curl)",
                              why, L->opt->engine_given ? "--engine fast" : "http engine fast");
    }
    for (uint32_t h = 0; h < L->s->n_headers && ok; h++) {
        const struct hn_template *t = &L->s->headers[h].value;
        for (uint32_t g = 0; g < t->n_segs && ok; g++) {
            if (t->segs[g].kind != HN_SEG_VAR)
                continue;
            const char *var = L->s->vars[t->segs[g].a];
            for (uint32_t c = 0; c < n_classes && ok; c++) {
                bool have = false;
                for (uint32_t i = 0; i < vars[c].n && !have; i++)
                    have = !strcmp(vars[c].names[i], var);
                if (!have)
                    ok = hn_yaml_fail(&L->y, h < np ? pairs[h].value : n,
                                      "defaults header %s uses {{%s}}, which class %s never "
                                      "captures (move the header into the classes that do)",
                                      L->s->headers[h].name, var, L->s->classes[c].name);
            }
        }
    }
    free(pairs);
    return ok;
}

static bool load_root(struct hn_loader *L, char *err, size_t err_len)
{
    struct hn_yaml *y = &L->y;
    yaml_node_t *root = hn_yaml_root(y);
    if (!root || hn_yaml_is_null(root))
        return hn_yaml_fail(y, root, "empty scenario: it needs at least users: with tasks");
    if (!hn_yaml_is_map(root))
        return hn_yaml_fail(y, root, "a scenario is a mapping (host, users, ...), got %s",
                            hn_yaml_kind(root));
    if (!hn_yaml_check_keys(y, root, top_keys, "the scenario"))
        return false;
    yaml_node_t *v, *default_headers = NULL;
    struct class_ctx cc = {false};
    if ((v = hn_yaml_get(y, root, "host")) && !load_host(L, v))
        return false;
    if ((v = hn_yaml_get(y, root, "defaults")) &&
        !load_defaults(L, v, &default_headers, &cc.follow_default))
        return false;
    if ((v = hn_yaml_get(y, root, "tls")) && !load_tls(L, v))
        return false;
    if ((v = hn_yaml_get(y, root, "http")) && !load_http(L, v))
        return false;
    if (!http_overrides(L, root))
        return false;
    if ((v = hn_yaml_get(y, root, "data")) && !hn_load_data(L, v, err, err_len))
        return false;
    yaml_node_t *users = hn_yaml_get(y, root, "users");
    if (!users)
        return y->failed || hn_yaml_fail(y, root, "users: is missing (the user classes to run)");
    struct class_vars *vars = calloc(HN_MODEL_CLASSES_MAX, sizeof(*vars));
    if (!vars)
        return hn_yaml_fail(y, root, "out of memory");
    bool ok = load_users(L, users, &cc, vars) &&
              (!default_headers ||
               load_default_headers(L, default_headers, vars, L->s->n_classes)) &&
              hn_load_plan(L, root, users);
    free(vars);
    return ok;
}

/* @text NULL: read @path. */
static int load(const char *path, const char *text, size_t len, const struct hn_load_options *opt,
                struct hn_scenario **out, struct hn_load_info *info, char *err, size_t err_len)
{
    struct hn_loader L = {.opt = opt, .info = info, .data_left = HN_MODEL_DATA_BYTES_MAX};
    if (info)
        memset(info, 0, sizeof(*info));
    err[0] = '\0';
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    snprintf(L.dir, sizeof(L.dir), "%s", dirname(dir));
    int rc = text ? hn_yaml_load_text(&L.y, path, text, len) : hn_yaml_load(&L.y, path);
    if (!rc && (!(L.s = hn_scenario_new()) || !(L.plan = calloc(1, sizeof(*L.plan)))))
        rc = -ENOMEM;
    if (!rc && !load_root(&L, err, err_len))
        rc = HN_E_INVALID;
    if (!rc && opt->host) {
        free(L.s->host);
        if (!(L.s->host = strdup(opt->host)))
            rc = -ENOMEM;
    }
    if (!rc && opt->request_timeout_ms)
        L.s->timeout_ms = opt->request_timeout_ms;
    char why[256] = "";
    if (!rc && (rc = hn_scenario_finalize(L.s, why, sizeof(why))))
        snprintf(err, err_len, "%s: %s", path, why[0] ? why : hn_strerror(rc));
    if (!rc && hn_scenario_uses_h2c(L.s) && hn_curl_h2c_broken()) {
        /* Local workers use this libcurl; workers elsewhere may have
         * another (each refuses the scenario if its own has the bug). */
        if (opt->local_workers) {
            hn_yaml_fail(&L.y, L.http_version_node,
                         "http version \"2\" over http:// (h2c): libcurl %s here cannot reuse "
                         "an h2c connection, so every request after a connection's first would "
                         "fail (a libcurl bug, fixed in libcurl 8.0.0): use https:// (HTTP/2 "
                         "by ALPN) or \"1.1\"",
                         hn_curl_version());
            rc = HN_E_INVALID;
        } else {
            hn_yaml_warn(&L.y, L.http_version_node,
                         "http version \"2\" over http:// (h2c): libcurl %s here cannot reuse "
                         "an h2c connection (a libcurl bug, fixed in libcurl 8.0.0): workers "
                         "with such a libcurl refuse this scenario",
                         hn_curl_version());
        }
    }
    if (!rc)
        hn_load_plan_warn_scopes(&L);
    if (rc && !err[0])
        snprintf(err, err_len, "%s", L.y.failed ? L.y.error : hn_strerror(rc));
    hn_yaml_free(&L.y);
    if (rc) {
        hn_scenario_free(L.s);
        free(L.plan);
        if (info)
            hn_load_info_free(info);
        return rc;
    }
    *out = L.s;
    if (info)
        info->plan = L.plan;
    else
        free(L.plan);
    return 0;
}

int hn_scenario_load(const char *path, const struct hn_load_options *opt,
                     struct hn_scenario **out, struct hn_load_info *info, char *err,
                     size_t err_len)
{
    return load(path, NULL, 0, opt, out, info, err, err_len);
}

int hn_scenario_load_text(const char *path, const char *text, size_t len,
                          const struct hn_load_options *opt, struct hn_scenario **out,
                          struct hn_load_info *info, char *err, size_t err_len)
{
    return load(path, text, len, opt, out, info, err, err_len);
}

void hn_load_info_free(struct hn_load_info *info)
{
    for (uint32_t i = 0; i < HN_MODEL_FEEDERS_MAX; i++) {
        free(info->data_paths[i]);
        info->data_paths[i] = NULL;
    }
    free(info->plan);
    info->plan = NULL;
}
