/* Compiles the scenario model into per-step libcurl material (see plan.h). */
#include "plan.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int invalid(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return HN_E_INVALID;
}

static bool is_absolute(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static char *join_url(const char *host, const char *url)
{
    if (is_absolute(url))
        return strdup(url);
    size_t hl = strlen(host);
    while (hl > 0 && host[hl - 1] == '/')
        hl--;
    char *out = NULL;
    if (asprintf(&out, "%.*s%s%s", (int)hl, host, url[0] == '/' ? "" : "/", url) < 0)
        return NULL;
    return out;
}

/* Append headers, letting a later list override an earlier one by name:
 * the merged list is built from the most specific level down and a name
 * already present is skipped. */
static int add_headers(struct curl_slist **list, const struct hn_header *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t nl = strlen(h[i].name);
        bool seen = false;
        for (struct curl_slist *it = *list; it && !seen; it = it->next)
            seen = strncasecmp(it->data, h[i].name, nl) == 0 && it->data[nl] == ':';
        if (seen)
            continue;
        char *line = NULL;
        if (asprintf(&line, "%s: %s", h[i].name, h[i].value ? h[i].value : "") < 0)
            return -ENOMEM;
        struct curl_slist *next = curl_slist_append(*list, line);
        free(line);
        if (!next)
            return -ENOMEM;
        *list = next;
    }
    return 0;
}

static bool has_template(const char *s)
{
    return s && strstr(s, "{{");
}

static bool headers_have_template(const struct hn_header *h, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (has_template(h[i].value))
            return true;
    return false;
}

static int build_step(const struct hn_scenario *s, const struct hn_user_class *c,
                      const struct hn_step *st, struct hn_plan_step *out, char *why, size_t len)
{
    out->step = st;
    if (has_template(st->url) || has_template(st->body) ||
        headers_have_template(st->headers, st->n_headers) ||
        headers_have_template(c->headers, c->n_headers) ||
        headers_have_template(s->headers, s->n_headers))
        return invalid(why, len, "%s %s: templates ({{...}}) are not supported yet", st->method,
                       st->url);
    if (!is_absolute(st->url) && (!s->host || !s->host[0]))
        return invalid(why, len, "%s %s: relative url and no host", st->method, st->url);
    if (!(out->url = join_url(s->host ? s->host : "", st->url)) || !(out->curlu = curl_url()))
        return -ENOMEM;
    if (curl_url_set(out->curlu, CURLUPART_URL, out->url, 0) != CURLUE_OK)
        return invalid(why, len, "%s %s: invalid url", st->method, out->url);
    int err = add_headers(&out->headers, st->headers, st->n_headers);
    if (!err)
        err = add_headers(&out->headers, c->headers, c->n_headers);
    if (!err)
        err = add_headers(&out->headers, s->headers, s->n_headers);
    /* Identify the load generator unless the scenario says otherwise. A
     * header line costs libcurl less than CURLOPT_USERAGENT, which it
     * formats anew for every request. */
    static const struct hn_header user_agent = {"User-Agent", "hornet/" HN_VERSION};
    if (!err)
        err = add_headers(&out->headers, &user_agent, 1);
    if (!err && st->body) {
        /* Without this, libcurl waits for "100 Continue" on large bodies. */
        struct curl_slist *next = curl_slist_append(out->headers, "Expect:");
        err = next ? 0 : -ENOMEM;
        if (next)
            out->headers = next;
    }
    if (err)
        return err;
    if (strcmp(st->method, "GET") == 0)
        out->method = HN_PLAN_GET;
    else if (strcmp(st->method, "HEAD") == 0)
        out->method = HN_PLAN_HEAD;
    else if (strcmp(st->method, "POST") == 0)
        out->method = HN_PLAN_POST;
    else
        out->method = HN_PLAN_OTHER;
    uint64_t t = st->timeout_ms ? st->timeout_ms : s->timeout_ms;
    out->timeout_ms = t > 0x7fffffff ? 0x7fffffff : (long)t;
    return 0;
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
        int err = build_step(p->scenario, c, &steps[i], &out->steps[i], why, len);
        if (err)
            return err;
    }
    p->n_steps += n;
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
    *out = p;
    return 0;
fail:
    hn_plan_free(p);
    return err;
}

static void free_task(struct hn_plan_task *t)
{
    for (uint32_t i = 0; i < t->n_steps; i++) {
        free(t->steps[i].url);
        curl_url_cleanup(t->steps[i].curlu);
        curl_slist_free_all(t->steps[i].headers);
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
