/* Checks and captures of a finished request (see outcome.h). */
#include "outcome.h"
#include "error.h"
#include "recorder.h"
#include "units.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quoted values in failure texts are cut here: the whole text must fit
 * the wire's 128 bytes. */
#define SHOWN_MAX 40

void hn_outcome_fail(struct hn_outcome *out, const char *fmt, ...)
{
    if (out->fail_slot != HN_FAIL_NONE || out->text)
        return; /* the first failure names the request's */
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof(tmp) ? sizeof(tmp) - 1 : (size_t)n;
    out->text_len = hn_utf8_copy(out->buf, sizeof(out->buf), tmp, len);
    out->text = out->buf;
}

static bool failed(const struct hn_outcome *out)
{
    return out->fail_slot != HN_FAIL_NONE || out->text;
}

/* @s shown in a failure text: quoted for strings, cut at SHOWN_MAX bytes. */
static const char *shown(char *buf, size_t cap, const char *s, size_t len, bool quote)
{
    char cut[SHOWN_MAX + 1];
    size_t n = hn_utf8_copy(cut, sizeof(cut), s, len);
    snprintf(buf, cap, "%s%s%s%s", quote ? "\"" : "", cut, n < len ? "..." : "",
             quote ? "\"" : "");
    return buf;
}

static void check_status(const struct hn_step *st, long status, struct hn_outcome *out)
{
    if (st->n_statuses == 0) {
        if (status >= 400 || status < 100)
            out->fail_slot = hn_fail_slot_status(status);
        return;
    }
    for (uint32_t i = 0; i < st->n_statuses; i++)
        if (status == st->statuses[i])
            return;
    char want[96] = "";
    size_t at = 0;
    for (uint32_t i = 0; i < st->n_statuses && at < sizeof(want); i++)
        at += (size_t)snprintf(want + at, sizeof(want) - at, "%s%u", i ? " or " : "",
                               st->statuses[i]);
    hn_outcome_fail(out, "check status: got %ld, want %s", status, want);
}

static bool json_equal(const struct hn_check_json *c, double want_number,
                       const struct hn_extract *x)
{
    if (x->len >= x->cap)
        return false; /* not kept (16 KiB and more): no value a check names */
    switch (c->want_type) {
    case HN_JSON_STRING:
        return x->type == HN_JSON_STRING && x->len == strlen(c->want) &&
               memcmp(x->out, c->want, x->len) == 0;
    case HN_JSON_NUMBER:
        return x->type == HN_JSON_NUMBER && strtod(x->out, NULL) == want_number;
    case HN_JSON_BOOL:
        return x->type == HN_JSON_BOOL && strcmp(x->out, c->want) == 0;
    default:
        return x->type == HN_JSON_NULL;
    }
}

static void check_json(const struct hn_plan_step *ps, const struct hn_http_result *r,
                       struct hn_outcome *out)
{
    const struct hn_step *st = ps->step;
    for (uint32_t k = 0; k < st->n_json_checks && !failed(out); k++) {
        const struct hn_check_json *c = &st->json_checks[k];
        char value[HN_MODEL_VALUE_MAX + 1], got[SHOWN_MAX + 8], want[SHOWN_MAX + 8];
        struct hn_extract x = {.out = value, .cap = sizeof(value)};
        int found = hn_extract_json(&ps->check_paths[k], r->body, r->body_len, &x);
        if (found == -ENOMEM)
            hn_outcome_fail(out, "check json %s: out of memory", c->path);
        else if (found < 0)
            hn_outcome_fail(out, "check json %s: response is not JSON", c->path);
        else if (found == 0)
            hn_outcome_fail(out, "check json %s: not found", c->path);
        else if (!json_equal(c, ps->check_numbers[k], &x))
            hn_outcome_fail(out, "check json %s: got %s, want %s", c->path,
                            x.len < x.cap ? shown(got, sizeof(got), value, x.len,
                                                  x.type == HN_JSON_STRING)
                                          : "a long value",
                            shown(want, sizeof(want), c->want, strlen(c->want),
                                  c->want_type == HN_JSON_STRING));
    }
}

static void check_body(const struct hn_plan_step *ps, const struct hn_http_result *r,
                       const struct hn_render_ctx *ctx, struct hn_buf *scratch,
                       struct hn_outcome *out)
{
    const struct hn_step *st = ps->step;
    if (!st->has_body_contains || failed(out))
        return;
    uint32_t unset = 0;
    scratch->len = 0;
    int err = hn_render_append(scratch, &st->body_contains, ctx, &unset);
    if (err == HN_E_STATE) {
        hn_outcome_fail(out, "check body_contains: variable %s not set",
                        unset < ctx->s->n_vars ? ctx->s->vars[unset] : "?");
        return;
    }
    if (err) {
        hn_outcome_fail(out, "check body_contains: %s", hn_strerror(err));
        return;
    }
    char shown_buf[SHOWN_MAX + 8];
    if (!memmem(r->body ? r->body : "", r->body_len, scratch->p ? scratch->p : "", scratch->len))
        hn_outcome_fail(out, "check body_contains: %s not found",
                        shown(shown_buf, sizeof(shown_buf), scratch->p ? scratch->p : "",
                              scratch->len, true));
}

static void capture(const struct hn_plan_step *ps, const struct hn_http_result *r,
                    struct hn_http_conn *conn, const struct hn_render_ctx *ctx,
                    struct hn_var *vars, pcre2_match_data *md, struct hn_outcome *out)
{
    const struct hn_step *st = ps->step;
    for (uint32_t k = 0; k < st->n_captures; k++) {
        const struct hn_capture *c = &st->captures[k];
        const char *name = ctx->s->vars[c->var];
        struct hn_var *v = &vars[c->var];
        char value[HN_MODEL_VALUE_MAX + 1];
        const char *val = NULL;
        size_t len = 0;
        int found = 0;
        if (c->kind == HN_CAPTURE_JSON) {
            struct hn_extract x = {.out = value, .cap = sizeof(value)};
            found = hn_extract_json(&ps->capture_paths[k], r->body, r->body_len, &x);
            if (found > 0 && x.type == HN_JSON_NULL)
                found = 0; /* a null token is no token */
            val = value;
            len = x.len;
        } else if (c->kind == HN_CAPTURE_HEADER) {
            val = hn_http_header(conn, c->expr, &len);
            found = val != NULL;
        } else {
            size_t off = 0;
            found = hn_extract_regex(ps->capture_res[k], md, r->body, r->body_len, &off, &len);
            val = r->body ? r->body + off : "";
        }
        if (found > 0 && len > HN_MODEL_VALUE_MAX) {
            v->set = false;
            hn_outcome_fail(out, "capture %s: value longer than %u bytes", name,
                            HN_MODEL_VALUE_MAX);
        } else if (found > 0) {
            if (hn_var_set(v, val, len))
                hn_outcome_fail(out, "capture %s: out of memory", name);
        } else {
            v->set = false;
            hn_outcome_fail(out, "capture %s: %s", name,
                            found == -ENOMEM                          ? "out of memory"
                            : found < 0 && c->kind == HN_CAPTURE_JSON ? "response is not JSON"
                            : found < 0                               ? "regex error"
                                                                      : "not found");
        }
    }
}

void hn_outcome_judge(const struct hn_plan_step *ps, const struct hn_http_result *r,
                      struct hn_http_conn *conn, const struct hn_render_ctx *ctx,
                      struct hn_var *vars, struct hn_buf *scratch, pcre2_match_data *md,
                      struct hn_outcome *out)
{
    out->fail_slot = HN_FAIL_NONE;
    out->text = NULL;
    out->text_len = 0;
    if (r->fail_slot != HN_FAIL_NONE) {
        if (r->detail)
            hn_outcome_fail(out, "TLS error: %s", r->detail);
        else
            out->fail_slot = r->fail_slot;
        /* No response: every variable this step captures is now unset. */
        for (uint32_t k = 0; k < ps->step->n_captures; k++)
            vars[ps->step->captures[k].var].set = false;
        return;
    }
    check_status(ps->step, r->status, out);
    if (ps->keep_body && r->body_truncated) {
        char size[HN_UNITS_FMT_MAX];
        hn_units_format_bytes(ctx->s->max_body, size, sizeof(size));
        hn_outcome_fail(out, "response body over max_body (%s): not checked", size);
        for (uint32_t k = 0; k < ps->step->n_captures; k++)
            vars[ps->step->captures[k].var].set = false;
        return;
    }
    check_body(ps, r, ctx, scratch, out);
    check_json(ps, r, out);
    capture(ps, r, conn, ctx, vars, md, out);
}
