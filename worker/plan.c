/* Compiles the scenario model into what the engine runs (see plan.h). */
#include "plan.h"
#include "error.h"
#include "fastpath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Headers Hornet adds unless the scenario sets them. */
#define USER_AGENT "hornet/" HN_VERSION

static bool is_absolute(const char *url, size_t len)
{
    return (len >= 7 && strncasecmp(url, "http://", 7) == 0) ||
           (len >= 8 && strncasecmp(url, "https://", 8) == 0);
}

void hn_plan_url_base(const struct hn_scenario *s, const char *url, size_t url_len,
                      const char **base, size_t *base_len, bool *slash)
{
    *base = "";
    *base_len = 0;
    *slash = false;
    if (is_absolute(url, url_len))
        return;
    const char *host = s->host ? s->host : "";
    size_t hl = strlen(host);
    while (hl > 0 && host[hl - 1] == '/')
        hl--;
    *base = host;
    *base_len = hl;
    *slash = url_len == 0 || url[0] != '/';
}

static bool has_header(const struct hn_plan_step *ps, const char *name)
{
    size_t nl = strlen(name);
    for (uint32_t i = 0; i < ps->n_headers; i++) {
        const struct hn_plan_header *h = &ps->headers[i];
        const char *n = h->line ? h->line : h->name;
        if (strncasecmp(n, name, nl) == 0 &&
            (h->line ? n[nl] == ':' || n[nl] == ';' : n[nl] == '\0'))
            return true;
    }
    return false;
}

static int add_line(struct hn_plan_step *ps, const char *name, const char *value)
{
    char *line = NULL;
    if (asprintf(&line, "%s:%s%s", name, value[0] ? " " : "", value) < 0)
        return -ENOMEM;
    ps->headers[ps->n_headers++].line = line;
    return 0;
}

/* A scenario's header with an empty value is sent empty, as Locust's
 * (requests') are: "Name;" is libcurl's way to say so ("Name:" removes the
 * header), and the fast path writes it as libcurl does. */
static int add_empty_line(struct hn_plan_step *ps, const char *name)
{
    char *line = NULL;
    if (asprintf(&line, "%s;", name) < 0)
        return -ENOMEM;
    ps->headers[ps->n_headers++].line = line;
    return 0;
}

/* Append @h, unless a header of that name is there already: lists are
 * merged from the most specific level down. */
static int add_headers(struct hn_plan_step *ps, const struct hn_header *h, uint32_t n,
                       bool until_set)
{
    for (uint32_t i = 0; i < n; i++) {
        if (has_header(ps, h[i].name))
            continue;
        if (hn_template_is_literal(&h[i].value)) {
            const char *v = hn_template_literal_text(&h[i].value);
            if (v && v[0])
                HN_TRY(add_line(ps, h[i].name, v));
            else
                HN_TRY(add_empty_line(ps, h[i].name));
        } else {
            struct hn_plan_header *ph = &ps->headers[ps->n_headers++];
            ph->name = h[i].name;
            ph->value = &h[i].value;
            ph->until_set = until_set;
            ps->render_headers = true;
        }
    }
    return 0;
}

static int merge_headers(const struct hn_scenario *s, const struct hn_user_class *c,
                         const struct hn_step *st, struct hn_plan_step *ps)
{
    uint32_t most = st->n_headers + c->n_headers + s->n_headers + 4;
    if (!(ps->headers = calloc(most, sizeof(*ps->headers))))
        return -ENOMEM;
    HN_TRY(add_headers(ps, st->headers, st->n_headers, false));
    HN_TRY(add_headers(ps, c->headers, c->n_headers, true));
    HN_TRY(add_headers(ps, s->headers, s->n_headers, true));
    if (!has_header(ps, "Content-Type")) {
        if (st->body_kind == HN_BODY_JSON)
            HN_TRY(add_line(ps, "Content-Type", "application/json"));
        else if (st->body_kind == HN_BODY_FORM)
            HN_TRY(add_line(ps, "Content-Type", "application/x-www-form-urlencoded"));
        else if (st->body_kind == HN_BODY_RAW)
            HN_TRY(add_line(ps, "Content-Type", "")); /* none: a raw body is sent as is */
    }
    /* Identify the load generator unless the scenario says otherwise. A
     * header line costs libcurl less than CURLOPT_USERAGENT, which it
     * formats anew for every request. */
    if (!has_header(ps, "User-Agent"))
        HN_TRY(add_line(ps, "User-Agent", USER_AGENT));
    /* A POST without a body is sent with an empty one (Content-Length: 0),
     * and without libcurl's default form Content-Type. */
    if (st->body_kind == HN_BODY_NONE && strcmp(st->method, "POST") == 0 &&
        !has_header(ps, "Content-Type"))
        HN_TRY(add_line(ps, "Content-Type", ""));
    /* Without this, libcurl waits for "100 Continue" on large bodies. */
    if (st->body_kind != HN_BODY_NONE && !has_header(ps, "Expect"))
        HN_TRY(add_line(ps, "Expect", ""));
    return 0;
}

static int compile_extractors(const struct hn_step *st, struct hn_plan_step *ps, char *why,
                              size_t len)
{
    if (st->n_captures) {
        ps->capture_paths = calloc(st->n_captures, sizeof(*ps->capture_paths));
        ps->capture_res = calloc(st->n_captures, sizeof(*ps->capture_res));
        if (!ps->capture_paths || !ps->capture_res)
            return -ENOMEM;
    }
    for (uint32_t k = 0; k < st->n_captures; k++) {
        const struct hn_capture *c = &st->captures[k];
        char msg[200];
        size_t off;
        if (c->kind == HN_CAPTURE_JSON) {
            int err = hn_jsonpath_compile(&ps->capture_paths[k], c->expr, strlen(c->expr), msg,
                                          sizeof(msg), &off);
            if (err)
                return err == HN_E_INVALID ? hn_invalid(why, len, "capture %s: %s", c->expr, msg)
                                           : err;
            ps->keep_body = true;
        } else if (c->kind == HN_CAPTURE_REGEX) {
            if (!(ps->capture_res[k] = hn_regex_compile(c->expr, msg, sizeof(msg), &off)))
                return hn_invalid(why, len, "capture regex %s: %s", c->expr, msg);
            if (hn_regex_groups(ps->capture_res[k]) > 1)
                return hn_invalid(why, len, "capture regex %s: more than one group", c->expr);
            ps->keep_body = true;
        }
    }
    if (st->n_json_checks &&
        (!(ps->check_paths = calloc(st->n_json_checks, sizeof(*ps->check_paths))) ||
         !(ps->check_numbers = calloc(st->n_json_checks, sizeof(*ps->check_numbers)))))
        return -ENOMEM;
    for (uint32_t k = 0; k < st->n_json_checks; k++) {
        char msg[200];
        size_t off;
        const char *path = st->json_checks[k].path;
        int err =
            hn_jsonpath_compile(&ps->check_paths[k], path, strlen(path), msg, sizeof(msg), &off);
        if (err)
            return err == HN_E_INVALID ? hn_invalid(why, len, "check json %s: %s", path, msg) : err;
        if (st->json_checks[k].want_type == HN_JSON_NUMBER)
            ps->check_numbers[k] = strtod(st->json_checks[k].want, NULL);
        ps->keep_body = true;
    }
    if (st->has_body_contains)
        ps->keep_body = true;
    return 0;
}

/* The transport of @st: the fast path where it is eligible, unless the
 * scenario says curl; engine fast with an ineligible step is refused (the
 * master refuses it first, with the file's position). @origin: where fast
 * requests go ("scheme://authority", not NUL-terminated). */
static int choose_engine(const struct hn_scenario *s, const struct hn_user_class *c,
                         const struct hn_step *st, bool *fast, const char **origin,
                         size_t *origin_len, char *why, size_t len)
{
    char buf[160];
    const char *reason = hn_fast_reason(s, c, st, s->host, buf, sizeof(buf));
    *fast = false;
    if (s->engine == HN_ENGINE_FAST && reason)
        return hn_invalid(why, len, "%s %s: not possible with http engine fast: %s", st->method,
                          st->url.source ? st->url.source : "", reason);
    if (s->engine == HN_ENGINE_CURL || reason)
        return 0;
    /* Eligible: the URL starts with literal text, an absolute URL's
     * authority included, or a path joined to the host. */
    const struct hn_seg *first = &st->url.segs[0];
    const char *u = first->text;
    size_t ol = hn_fast_origin_len(u, first->len);
    if (!ol) {
        u = s->host;
        ol = hn_fast_origin_len(u, strlen(u));
    }
    *fast = true;
    *origin = u;
    *origin_len = ol;
    return 0;
}

static int build_step(const struct hn_plan *p, const struct hn_user_class *c,
                      const struct hn_step *st, struct hn_plan_step *ps, char *why, size_t len)
{
    const struct hn_scenario *s = p->scenario;
    bool fast;
    const char *origin = NULL;
    size_t origin_len = 0;
    HN_TRY(choose_engine(s, c, st, &fast, &origin, &origin_len, why, len));
    ps->fast = fast;
    ps->step = st;
    ps->render_url = !hn_template_is_literal(&st->url);
    ps->render_body = st->body_kind != HN_BODY_NONE && !hn_template_is_literal(&st->body);
    HN_TRY(merge_headers(s, c, st, ps));
    HN_TRY(compile_extractors(st, ps, why, len));
    if (!ps->render_url) {
        const char *u = hn_template_literal_text(&st->url);
        size_t ul = hn_template_literal_len(&st->url);
        const char *base;
        size_t bl;
        bool slash;
        hn_plan_url_base(s, u ? u : "", ul, &base, &bl, &slash);
        if (!is_absolute(u ? u : "", ul) && bl == 0)
            return hn_invalid(why, len, "%s %s: relative url and no host", st->method,
                              st->url.source);
        if (asprintf(&ps->url, "%.*s%s%.*s", (int)bl, base, slash ? "/" : "", (int)ul, u ? u : "") <
            0)
            return -ENOMEM;
    }
    const char **lines = NULL;
    if (!ps->render_headers) {
        if (!(lines = calloc(ps->n_headers ? ps->n_headers : 1, sizeof(*lines))))
            return -ENOMEM;
        for (uint32_t i = 0; i < ps->n_headers; i++)
            lines[i] = ps->headers[i].line;
    }
    uint64_t timeout = st->timeout_ms ? st->timeout_ms : s->timeout_ms;
    struct hn_http_step_desc d = {
        .method = st->method,
        .url = ps->url,
        .header_lines = lines,
        .n_header_lines = ps->n_headers,
        .has_body = st->body_kind != HN_BODY_NONE || strcmp(st->method, "POST") == 0,
        .body = ps->render_body ? NULL : hn_template_literal_text(&st->body),
        .body_len = ps->render_body ? 0 : hn_template_literal_len(&st->body),
        .timeout_ms = timeout ? timeout : 1,
        .follow_redirects = st->follow_redirects,
        .fast = fast,
        .origin = origin,
        .origin_len = origin_len,
    };
    for (uint32_t k = 0; k < st->n_captures; k++)
        d.keep_headers |= st->captures[k].kind == HN_CAPTURE_HEADER;
    if (d.has_body && !ps->render_body && !d.body)
        d.body = "";
    int err = hn_http_prep_new(s, &d, &ps->prep, why, len);
    free(lines);
    return err;
}

static int build_task(struct hn_plan *p, const struct hn_user_class *c, const struct hn_step *steps,
                      uint32_t n, struct hn_plan_task *out, char *why, size_t len)
{
    out->n_steps = n;
    if (n == 0)
        return 0;
    if (!(out->steps = calloc(n, sizeof(*out->steps))))
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        HN_TRY(build_step(p, c, &steps[i], &out->steps[i], why, len));
        if (out->steps[i].n_headers > p->max_headers)
            p->max_headers = out->steps[i].n_headers;
        p->n_fast_steps += out->steps[i].fast;
    }
    p->n_steps += n;
    return 0;
}

/* Set entry_unpaced on the steps whose entry a class without pacing also
 * requests (two classes naming steps alike): per second, whether all of
 * an entry's requests had an intended start would decide which kind of
 * time it showed, and its histogram would mix both. */
static int mark_unpaced_entries(struct hn_plan *p)
{
    const struct hn_scenario *s = p->scenario;
    bool *unpaced = calloc(s->n_entries ? s->n_entries : 1, sizeof(*unpaced));
    if (!unpaced)
        return -ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < p->n_classes; i++) {
            const struct hn_plan_class *pc = &p->classes[i];
            bool paced = pc->cls->wait.kind == HN_WAIT_PACING;
            for (uint32_t t = 0; t <= pc->n_tasks; t++) {
                const struct hn_plan_task *task = t < pc->n_tasks ? &pc->tasks[t] : &pc->on_start;
                for (uint32_t k = 0; k < task->n_steps; k++) {
                    struct hn_plan_step *ps = &task->steps[k];
                    uint32_t entry = ps->step->entry;
                    if (entry >= s->n_entries)
                        continue;
                    if (pass == 0 && !paced)
                        unpaced[entry] = true;
                    if (pass == 1)
                        ps->entry_unpaced = unpaced[entry];
                }
            }
        }
    }
    free(unpaced);
    return 0;
}

int hn_plan_build(const struct hn_scenario *s, struct hn_plan **out, char *why, size_t why_len)
{
    int err = -ENOMEM;
    struct hn_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->scenario = s;
    if (!(p->classes = calloc(s->n_classes ? s->n_classes : 1, sizeof(*p->classes))))
        goto fail;
    p->n_classes = s->n_classes;
    for (uint32_t i = 0; i < s->n_classes; i++) {
        const struct hn_user_class *c = &s->classes[i];
        struct hn_plan_class *pc = &p->classes[i];
        pc->cls = c;
        err = build_task(p, c, c->on_start, c->n_on_start, &pc->on_start, why, why_len);
        if (err)
            goto fail;
        err = -ENOMEM;
        pc->tasks = calloc(c->n_tasks ? c->n_tasks : 1, sizeof(*pc->tasks));
        pc->cum_weight = calloc(c->n_tasks ? c->n_tasks : 1, sizeof(*pc->cum_weight));
        if (!pc->tasks || !pc->cum_weight)
            goto fail;
        pc->n_tasks = c->n_tasks;
        uint64_t cum = 0;
        for (uint32_t t = 0; t < c->n_tasks; t++) {
            err = build_task(p, c, c->tasks[t].steps, c->tasks[t].n_steps, &pc->tasks[t], why,
                             why_len);
            if (err)
                goto fail;
            cum += c->tasks[t].weight;
            pc->cum_weight[t] = cum;
        }
    }
    if ((err = mark_unpaced_entries(p)))
        goto fail;
    *out = p;
    return 0;
fail:
    hn_plan_free(p);
    return err;
}

static void free_task(struct hn_plan_task *t)
{
    for (uint32_t i = 0; i < t->n_steps; i++) {
        struct hn_plan_step *ps = &t->steps[i];
        const struct hn_step *st = ps->step;
        free(ps->url);
        hn_http_prep_free(ps->prep);
        for (uint32_t k = 0; k < ps->n_headers; k++)
            free(ps->headers[k].line);
        free(ps->headers);
        for (uint32_t k = 0; st && k < st->n_captures; k++) {
            if (ps->capture_paths)
                hn_jsonpath_deinit(&ps->capture_paths[k]);
            if (ps->capture_res && ps->capture_res[k])
                pcre2_code_free(ps->capture_res[k]);
        }
        free(ps->capture_paths);
        free(ps->capture_res);
        for (uint32_t k = 0; st && ps->check_paths && k < st->n_json_checks; k++)
            hn_jsonpath_deinit(&ps->check_paths[k]);
        free(ps->check_paths);
        free(ps->check_numbers);
    }
    free(t->steps);
}

void hn_plan_free(struct hn_plan *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; p->classes && i < p->n_classes; i++) {
        struct hn_plan_class *pc = &p->classes[i];
        free_task(&pc->on_start);
        for (uint32_t t = 0; pc->tasks && t < pc->n_tasks; t++)
            free_task(&pc->tasks[t]);
        free(pc->tasks);
        free(pc->cum_weight);
    }
    free(p->classes);
    free(p);
}

uint32_t hn_plan_pick_task(const struct hn_plan_class *c, uint64_t rnd)
{
    if (c->n_tasks <= 1)
        return 0;
    uint64_t x = rnd % c->cum_weight[c->n_tasks - 1];
    uint32_t lo = 0, hi = c->n_tasks - 1; /* first index with cum > x */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->cum_weight[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
