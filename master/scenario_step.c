/* Scenario steps (see scenario_load_internal.h): method and URL, headers,
 * templates with positions, captures and checks. */
#include "error.h"
#include "fastpath.h"
#include "jsonpath.h"
#include "msg.h"
#include "regex.h"
#include "scenario_load_internal.h"
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const methods[] = {"get", "post", "put", "patch", "delete", "head", "options"};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static const char *const step_keys[] = {
    "get",     "post", "put",  "patch", "delete",  "head",  "options",          "name",
    "headers", "json", "form", "body",  "capture", "check", "follow_redirects", "timeout",
    "query",
};
#define N_STEP_KEYS (sizeof(step_keys) / sizeof(step_keys[0]))

static const char *const reserved_names[] = {"random", "uuid", "user_id", "env"};

static bool is_identifier(const char *s, size_t n)
{
    if (n == 0 || n > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* --- templates ----------------------------------------------------------- */

/* {{data.COLUMN}} (the form README.md and the design write) when no feeder is
 * named "data": the column of the one feeder that has it. */
static int resolve_any_feeder(const struct hn_scenario *s, const char *col, size_t cl,
                              struct hn_seg *seg, char *why, size_t why_len)
{
    uint32_t found = 0, first = 0, second = 0, first_col = 0;
    for (uint32_t f = 0; f < s->n_feeders; f++) {
        const struct hn_feeder *fd = &s->feeders[f];
        for (uint32_t c = 0; c < fd->n_columns; c++) {
            if (strlen(fd->columns[c]) != cl || memcmp(fd->columns[c], col, cl))
                continue;
            if (found == 0) {
                first = f;
                first_col = c;
            } else if (found == 1) {
                second = f;
            }
            found++;
            break;
        }
    }
    if (found == 1) {
        seg->kind = HN_SEG_DATA;
        seg->a = first;
        seg->b = first_col;
        return 0;
    }
    if (found > 1)
        snprintf(why, why_len,
                 "data.%.*s: feeders %s and %s both have a column '%.*s': write %s.%.*s or "
                 "%s.%.*s",
                 (int)cl, col, s->feeders[first].name, s->feeders[second].name, (int)cl, col,
                 s->feeders[first].name, (int)cl, col, s->feeders[second].name, (int)cl, col);
    else if (s->n_feeders == 0)
        snprintf(why, why_len, "data.%.*s: no data feeder is declared (under data:)", (int)cl, col);
    else
        snprintf(why, why_len, "data.%.*s: no data feeder has a column '%.*s'", (int)cl, col,
                 (int)cl, col);
    return HN_E_INVALID;
}

/* Names in {{ }}: a variable the current class captures, feeder.column, or
 * data.column (see above). */
static int resolve(void *ctx, const char *name, size_t len, struct hn_seg *seg, char *why,
                   size_t why_len)
{
    struct hn_loader *L = ctx;
    struct hn_scenario *s = L->s;
    const char *dot = memchr(name, '.', len);
    if (dot) {
        size_t fl = (size_t)(dot - name), cl = len - fl - 1;
        const char *feeders[HN_MODEL_FEEDERS_MAX];
        for (uint32_t f = 0; f < s->n_feeders; f++) {
            feeders[f] = s->feeders[f].name;
            if (strlen(s->feeders[f].name) != fl || memcmp(s->feeders[f].name, name, fl))
                continue;
            const struct hn_feeder *fd = &s->feeders[f];
            for (uint32_t c = 0; c < fd->n_columns; c++) {
                if (strlen(fd->columns[c]) == cl && !memcmp(fd->columns[c], dot + 1, cl)) {
                    seg->kind = HN_SEG_DATA;
                    seg->a = f;
                    seg->b = c;
                    return 0;
                }
            }
            const char *near =
                hn_nearest(dot + 1, cl, (const char *const *)fd->columns, fd->n_columns);
            char cols[200] = "";
            size_t at = 0;
            for (uint32_t c = 0; c < fd->n_columns && at < sizeof(cols); c++)
                at += (size_t)snprintf(cols + at, sizeof(cols) - at, "%s%s", c ? ", " : "",
                                       fd->columns[c]);
            if (near)
                snprintf(why, why_len, "data feeder '%s' has no column '%.*s' (did you mean '%s'?)",
                         fd->name, (int)cl, dot + 1, near);
            else
                snprintf(why, why_len, "data feeder '%s' has no column '%.*s' (columns: %s)",
                         fd->name, (int)cl, dot + 1, cols);
            return HN_E_INVALID;
        }
        if (fl == 4 && !memcmp(name, "data", 4))
            return resolve_any_feeder(s, dot + 1, cl, seg, why, why_len);
        const char *near = hn_nearest(name, fl, feeders, s->n_feeders);
        snprintf(why, why_len, "no data feeder named '%.*s'%s%s%s", (int)fl, name,
                 near ? " (did you mean '" : " (feeders are declared under data:)",
                 near ? near : "", near ? "'?)" : "");
        return HN_E_INVALID;
    }
    for (uint32_t i = 0; i < L->n_captured; i++) {
        if (strlen(L->captured[i]) == len && !memcmp(L->captured[i], name, len)) {
            uint32_t slot;
            int err = hn_scenario_var(s, L->captured[i], &slot);
            if (err) {
                snprintf(why, why_len, "more than %d captured variables", HN_MODEL_VARS_MAX);
                return HN_E_INVALID;
            }
            seg->kind = HN_SEG_VAR;
            seg->a = slot;
            return 0;
        }
    }
    const char *near = hn_nearest(name, len, L->captured, L->n_captured);
    if (near)
        snprintf(why, why_len, "unknown variable '%.*s' (did you mean '%s'?)", (int)len, name,
                 near);
    else if (L->class_name)
        snprintf(why, why_len,
                 "unknown variable '%.*s': no step of class %s captures it (or write "
                 "feeder.column, random A B, uuid, user_id, env NAME)",
                 (int)len, name, L->class_name);
    else
        snprintf(why, why_len, "unknown variable '%.*s'", (int)len, name);
    return HN_E_INVALID;
}

static const char *loader_getenv(void *ctx, const char *name)
{
    struct hn_loader *L = ctx;
    return L->opt->getenv ? L->opt->getenv(L->opt->getenv_ctx, name) : getenv(name);
}

bool hn_load_template(struct hn_loader *L, yaml_node_t *n, const char *text, size_t len,
                      enum hn_escape escape, hn_template_literal_fn literal,
                      struct hn_template *t, const char *what)
{
    struct hn_template_names names = {resolve, loader_getenv, L};
    struct hn_template_error err = {0};
    int rc = hn_template_append(t, text, len, escape, literal, &names, &err);
    if (rc == HN_E_INVALID)
        return hn_yaml_fail_in(&L->y, n, err.offset, "%s: %s", what, err.message);
    if (rc)
        return hn_yaml_fail(&L->y, n, "%s: %s", what, hn_strerror(rc));
    return true;
}

/* A whole scalar as a template with its source kept. */
static bool scalar_template(struct hn_loader *L, yaml_node_t *n, size_t max, enum hn_escape escape,
                            struct hn_template *t, const char *what)
{
    const char *text;
    size_t len;
    if (!hn_yaml_string(&L->y, n, max, &text, &len, what) ||
        !hn_load_template(L, n, text, len, escape, NULL, t, what))
        return false;
    if (!(t->source = strndup(text, len)))
        return hn_yaml_fail(&L->y, n, "out of memory");
    return true;
}

/* --- headers ------------------------------------------------------------- */

static bool is_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
            return false;
    return n > 0;
}

bool hn_load_headers(struct hn_loader *L, yaml_node_t *n, struct hn_header **h, uint32_t *count)
{
    struct hn_yaml *y = &L->y;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_map_pairs(y, n, "headers", "name: value", &pairs, &np))
        return false;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++) {
        const char *name = pairs[i].name;
        if (!is_token(name, strlen(name)) || strlen(name) > 256) {
            ok = hn_yaml_fail(y, pairs[i].key, "header name '%s' is not an HTTP token", name);
            break;
        }
        for (size_t k = 0; k < i && ok; k++)
            if (!strcasecmp(pairs[k].name, name))
                ok = hn_yaml_fail(y, pairs[i].key, "header %s given twice (names ignore case)",
                                  name);
        struct hn_header *hd = ok ? hn_headers_add(h, count) : NULL;
        if (ok && !hd)
            ok = hn_yaml_fail(y, pairs[i].key, "more than %d headers", HN_MODEL_HEADERS_MAX);
        if (ok && !(hd->name = strdup(name)))
            ok = hn_yaml_fail(y, pairs[i].key, "out of memory");
        char what[300];
        snprintf(what, sizeof(what), "header %s", name);
        if (ok)
            ok = scalar_template(L, pairs[i].value, HN_MODEL_STR_MAX, HN_ESC_HEADER, &hd->value,
                                 what);
        if (ok) {
            const char *src = hd->value.source;
            const char *bad = strpbrk(src, "\r\n");
            if (bad)
                ok = hn_yaml_fail_in(y, pairs[i].value, (size_t)(bad - src),
                                     "%s: a header value holds no line break", what);
        }
    }
    free(pairs);
    return ok;
}

/* --- captures and checks ------------------------------------------------- */

static bool name_captured(struct hn_loader *L, yaml_node_t *key, const char *name)
{
    size_t n = strlen(name);
    if (!is_identifier(name, n))
        return hn_yaml_fail(&L->y, key,
                            "capture name '%s': letters, digits and _ only, not starting with a "
                            "digit",
                            name);
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(*reserved_names); i++)
        if (!strcmp(name, reserved_names[i]))
            return hn_yaml_fail(&L->y, key, "capture name '%s' is reserved for {{%s ...}}", name,
                                name);
    for (uint32_t i = 0; i < L->n_captured; i++)
        if (!strcmp(L->captured[i], name))
            return true;
    if (L->n_captured == HN_MODEL_VARS_MAX)
        return hn_yaml_fail(&L->y, key, "more than %d captured variables in a class",
                            HN_MODEL_VARS_MAX);
    L->captured[L->n_captured++] = name;
    return true;
}

/* The capture keys of one step mapping (no error when it has none). */
static bool collect_step(struct hn_loader *L, yaml_node_t *step)
{
    yaml_node_t *cap = hn_yaml_get(&L->y, step, "capture");
    if (!cap)
        return !L->y.failed;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_map_pairs(&L->y, cap, "capture", "name: {json|header|regex: ...}", &pairs, &np))
        return false;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++)
        ok = name_captured(L, pairs[i].key, pairs[i].name);
    free(pairs);
    return ok;
}

bool hn_load_collect_captures(struct hn_loader *L, yaml_node_t *n)
{
    if (!hn_yaml_is_seq(n))
        return true; /* the real reader reports the type */
    for (size_t i = 0; i < hn_yaml_items(n); i++) {
        yaml_node_t *it = hn_yaml_item(&L->y, n, i);
        if (!it)
            return false;
        if (!hn_yaml_is_map(it))
            continue;
        yaml_node_t *seq = hn_yaml_get(&L->y, it, "sequence");
        if (L->y.failed || !(seq ? hn_load_collect_captures(L, seq) : collect_step(L, it)))
            return false;
    }
    return true;
}

static bool one_capture(struct hn_loader *L, struct hn_step *st, struct hn_yaml_pair *p)
{
    struct hn_yaml *y = &L->y;
    static const char *const kinds[] = {"json", "header", "regex", NULL};
    if (!hn_yaml_is_map(p->value))
        return hn_yaml_fail(y, p->value,
                            "capture %s: expected {json: PATH}, {header: NAME} or {regex: RE}, "
                            "got %s",
                            p->name, hn_yaml_kind(p->value));
    char what[160];
    snprintf(what, sizeof(what), "capture %s", p->name);
    if (!hn_yaml_check_keys(y, p->value, kinds, what))
        return false;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_pairs(y, p->value, &pairs, &np))
        return false;
    bool ok = np == 1 || hn_yaml_fail(y, p->value, "%s: give exactly one of json, header, regex",
                                      what);
    const char *expr = NULL;
    size_t len = 0;
    if (ok)
        ok = hn_yaml_string(y, pairs[0].value, HN_MODEL_STR_MAX, &expr, &len, what);
    struct hn_capture *c = ok ? hn_step_add_capture(st) : NULL;
    if (ok && !c)
        ok = hn_yaml_fail(y, p->key, "more than %d captures in a step", HN_MODEL_CAPTURES_MAX);
    if (ok) {
        uint32_t slot;
        c->kind = !strcmp(pairs[0].name, "json")     ? HN_CAPTURE_JSON
                  : !strcmp(pairs[0].name, "header") ? HN_CAPTURE_HEADER
                                                     : HN_CAPTURE_REGEX;
        if (hn_scenario_var(L->s, p->name, &slot) || !(c->expr = strndup(expr, len)))
            ok = hn_yaml_fail(y, p->key, "out of memory");
        else
            c->var = slot;
    }
    char why[200];
    size_t off = 0;
    if (ok && c->kind == HN_CAPTURE_JSON) {
        struct hn_jsonpath jp;
        if (hn_jsonpath_compile(&jp, expr, len, why, sizeof(why), &off))
            ok = hn_yaml_fail_in(y, pairs[0].value, off, "%s: %s", what, why);
        else
            hn_jsonpath_deinit(&jp);
    } else if (ok && c->kind == HN_CAPTURE_HEADER && !is_token(expr, len)) {
        ok = hn_yaml_fail(y, pairs[0].value, "%s: '%s' is not a header name", what, expr);
    } else if (ok && c->kind == HN_CAPTURE_REGEX) {
        pcre2_code *re = hn_regex_compile(c->expr, why, sizeof(why), &off);
        if (!re)
            ok = hn_yaml_fail_in(y, pairs[0].value, off, "%s: regular expression: %s", what,
                                 why);
        else if (hn_regex_groups(re) > 1)
            ok = hn_yaml_fail(y, pairs[0].value,
                              "%s: the value is the first group; this pattern has %u (use (?:...) "
                              "for the others)",
                              what, hn_regex_groups(re));
        if (re)
            pcre2_code_free(re);
    }
    free(pairs);
    return ok;
}

static bool captures(struct hn_loader *L, yaml_node_t *n, struct hn_step *st)
{
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_pairs(&L->y, n, &pairs, &np))
        return false;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++)
        ok = one_capture(L, st, &pairs[i]);
    free(pairs);
    return ok;
}

static bool status_value(struct hn_loader *L, yaml_node_t *n, struct hn_step *st)
{
    uint64_t v;
    if (!hn_yaml_uint(&L->y, n, 100, 599, &v, "check status"))
        return false;
    if (hn_step_add_status(st, (uint16_t)v))
        return hn_yaml_fail(&L->y, n, "check status: more than %d statuses",
                            HN_MODEL_STATUSES_MAX);
    return true;
}

static bool json_checks(struct hn_loader *L, yaml_node_t *n, struct hn_step *st)
{
    struct hn_yaml *y = &L->y;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_map_pairs(y, n, "check json", "PATH: value", &pairs, &np))
        return false;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++) {
        char why[200];
        size_t off = 0;
        struct hn_jsonpath jp;
        if (hn_jsonpath_compile(&jp, pairs[i].name, strlen(pairs[i].name), why, sizeof(why),
                                &off)) {
            ok = hn_yaml_fail_in(y, pairs[i].key, off, "check json: %s", why);
            break;
        }
        hn_jsonpath_deinit(&jp);
        yaml_node_t *v = pairs[i].value;
        if (!hn_yaml_is_scalar(v)) {
            ok = hn_yaml_fail(y, v, "check json %s: expected a string, number, true, false or "
                                    "null, got %s",
                              pairs[i].name, hn_yaml_kind(v));
            break;
        }
        const char *text = (const char *)v->data.scalar.value;
        /* Compared as written: "{{token}}" would fail every request, so a
         * "{{" is refused, but for the templates' own literal {{"{{"}}. */
        static const char literal[] = "{{\"{{\"}}";
        char unescaped[HN_MODEL_STR_MAX + 1];
        size_t n = 0, at = 0, len = strlen(text);
        bool refused = false;
        while (at < len && n < sizeof(unescaped) - 1) {
            if (!strncmp(text + at, literal, sizeof(literal) - 1)) {
                unescaped[n++] = '{';
                if (n < sizeof(unescaped) - 1)
                    unescaped[n++] = '{';
                at += sizeof(literal) - 1;
            } else if (!strncmp(text + at, "{{", 2)) {
                refused = true;
                break;
            } else {
                unescaped[n++] = text[at++];
            }
        }
        if (refused) {
            ok = hn_yaml_fail_in(y, v, at,
                                 "check json %s: a value here is not a template (it is compared "
                                 "as written; a literal {{ is written {{\"{{\"}}); check a "
                                 "variable with body_contains",
                                 pairs[i].name);
            break;
        }
        if (at < len) {
            ok = hn_yaml_fail(y, v, "check json %s: value too long", pairs[i].name);
            break;
        }
        unescaped[n] = '\0';
        text = unescaped;
        struct hn_check_json *c = hn_step_add_json_check(st);
        if (!c) {
            ok = hn_yaml_fail(y, pairs[i].key, "more than %d json checks", HN_MODEL_CHECKS_MAX);
            break;
        }
        c->want_type = HN_JSON_STRING;
        if (hn_yaml_is_null(v)) {
            c->want_type = HN_JSON_NULL;
            text = "null";
        } else if (hn_yaml_is_plain(v) && (!strcmp(text, "true") || !strcmp(text, "false"))) {
            c->want_type = HN_JSON_BOOL;
        } else if (hn_yaml_is_plain(v) && hn_load_json_number(text)) {
            c->want_type = HN_JSON_NUMBER;
        }
        if (strlen(text) > HN_MODEL_STR_MAX || !(c->path = strdup(pairs[i].name)) ||
            !(c->want = strdup(text)))
            ok = hn_yaml_fail(y, v, "check json %s: value too long", pairs[i].name);
    }
    free(pairs);
    return ok;
}

static bool checks(struct hn_loader *L, yaml_node_t *n, struct hn_step *st)
{
    struct hn_yaml *y = &L->y;
    static const char *const keys[] = {"status", "body_contains", "json", NULL};
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "check: expected a mapping (status, body_contains, json), got %s",
                            hn_yaml_kind(n));
    if (!hn_yaml_check_keys(y, n, keys, "check"))
        return false;
    yaml_node_t *status = hn_yaml_get(y, n, "status");
    if (hn_yaml_is_seq(status)) {
        if (hn_yaml_items(status) == 0)
            return hn_yaml_fail(y, status, "check status: an empty list accepts nothing");
        for (size_t i = 0; i < hn_yaml_items(status); i++) {
            yaml_node_t *it = hn_yaml_item(y, status, i);
            if (!it || !status_value(L, it, st))
                return false;
        }
    } else if (status && !status_value(L, status, st)) {
        return false;
    }
    yaml_node_t *contains = hn_yaml_get(y, n, "body_contains");
    if (contains) {
        if (!scalar_template(L, contains, HN_MODEL_STR_MAX, HN_ESC_NONE, &st->body_contains,
                             "check body_contains"))
            return false;
        if (st->body_contains.source[0] == '\0')
            return hn_yaml_fail(y, contains, "check body_contains: empty text always matches");
        st->has_body_contains = true;
    }
    yaml_node_t *json = hn_yaml_get(y, n, "json");
    return !json || json_checks(L, json, st);
}

/* --- the step ------------------------------------------------------------ */

/* The URL: a template; fixed ones are checked as libcurl parses them. */
/* The URL a compiled template makes, known at load time but for its
 * values, each of which stands as "1" here (as "::1" for a whole IPv6
 * host between brackets): a value is percent-encoded where it lands in a URL
 * (HN_ESC_URL), so the text around it that makes no valid URL with these
 * makes none with any value either. Checked here so that a URL that cannot
 * work is refused with its position rather than failing every request
 * ({{env NAME}} is text by now, and the text around values is checked
 * too). A URL that starts with a value (a whole URL captured or read from
 * data) is the value's to make. */
static bool url_check(struct hn_loader *L, yaml_node_t *n, const struct hn_template *t,
                      const char *what)
{
    if (!t->n_segs || t->segs[0].kind != HN_SEG_LITERAL)
        return true;
    char probe[HN_MODEL_STR_MAX * 2 + 2];
    size_t used = 0;
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        /* A value that is a whole IPv6 host ("[{{ip}}]") stands as ::1; one
         * inside an address ("[fd00::{{n}}]") as 1, like any other. */
        const struct hn_seg *next = i + 1 < t->n_segs ? &t->segs[i + 1] : NULL;
        bool whole_ipv6 = used && probe[used - 1] == '[' && next &&
                          next->kind == HN_SEG_LITERAL && next->len && next->text[0] == ']';
        const char *text = g->kind == HN_SEG_LITERAL ? g->text : whole_ipv6 ? "::1" : "1";
        size_t len = g->kind == HN_SEG_LITERAL ? g->len : strlen(text);
        if (memchr(text, '\0', len))
            return hn_yaml_fail(&L->y, n, "%s: a URL holds no NUL byte", what);
        if (len >= sizeof(probe) - used)
            return hn_yaml_fail(&L->y, n, "%s: longer than %d bytes", what, HN_MODEL_STR_MAX);
        memcpy(probe + used, text, len);
        used += len;
    }
    probe[used] = '\0';
    bool absolute = !strncasecmp(probe, "http://", 7) || !strncasecmp(probe, "https://", 8);
    const char *host = L->opt->host ? L->opt->host : L->s->host;
    if (!absolute && probe[0] != '/')
        return hn_yaml_fail(&L->y, n,
                            "%s: '%s' is neither a path starting with '/' nor an "
                            "http:// or https:// URL",
                            what, probe);
    if (!absolute && (!host || !host[0]))
        return hn_yaml_fail(&L->y, n, "%s: a path needs a host (host: in the file, or -H)", what);
    char full[HN_MODEL_STR_MAX * 3 + 3];
    snprintf(full, sizeof(full), "%s%s", absolute ? "" : host, probe);
    if (hn_url_ok(full))
        return true;
    if (hn_template_is_literal(t))
        return hn_yaml_fail(&L->y, n, "%s: '%s' is not a valid URL", what, full);
    return hn_yaml_fail(&L->y, n,
                        "%s: '%s' is not a valid URL whatever its values (with each value written "
                        "1: '%s')",
                        what, t->source, full);
}

static bool url(struct hn_loader *L, yaml_node_t *n, struct hn_step *st, const char *method)
{
    struct hn_yaml *y = &L->y;
    char what[40];
    snprintf(what, sizeof(what), "%s url", method);
    if (!scalar_template(L, n, HN_MODEL_STR_MAX, HN_ESC_URL, &st->url, what))
        return false;
    const char *src = st->url.source;
    if (!src[0])
        return hn_yaml_fail(y, n, "%s: empty", what);
    /* A scheme is at the start or nowhere: "/login?next=http://a/b" is a
     * path (and "{{base}}/x" is judged by the worker once rendered). */
    if (hn_url_scheme_len(src) && strncasecmp(src, "http://", 7) && strncasecmp(src, "https://", 8))
        return hn_yaml_fail(y, n, "%s: only http:// and https:// URLs (workers speak nothing else)",
                            what);
    bool absolute = !strncasecmp(src, "http://", 7) || !strncasecmp(src, "https://", 8);
    const char *host = L->opt->host ? L->opt->host : L->s->host;
    if (!absolute && src[0] != '/' && src[0] != '{')
        return hn_yaml_fail(y, n, "%s: a path starts with '/' (or write an absolute URL)", what);
    if (!absolute && src[0] != '{' && (!host || !host[0]))
        return hn_yaml_fail(y, n, "%s: a path needs a host (host: in the file, or -H)", what);
    return url_check(L, n, &st->url, what);
}

/* query: {field: value, ...} appended to the URL url-encoded (values too,
 * when rendered: a captured "ham & eggs" is sent q=ham+%26+eggs, which a
 * value written in the URL itself is not), after '?', or after '&' when
 * the URL as written has a query already. The URL's source (its stats
 * name unless named) gains the query as written. */
static bool query(struct hn_loader *L, yaml_node_t *n, struct hn_step *st, const char *method)
{
    struct hn_yaml *y = &L->y;
    struct hn_template *t = &st->url;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "query: expected a mapping of field: value, got %s",
                            hn_yaml_kind(n));
    if (n->data.mapping.pairs.top == n->data.mapping.pairs.start)
        return true; /* query: {} */
    if (!t->n_segs)  /* {{env NAME}} that is empty */
        return hn_yaml_fail(y, n, "query: the URL is empty");
    if (t->segs[0].kind != HN_SEG_LITERAL)
        return hn_yaml_fail(y, n,
                            "query: the URL starts with a value (%s), so whether it has a query "
                            "is not known: write the query in it",
                            t->source);
    bool has_query = false;
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        if (g->kind != HN_SEG_LITERAL)
            continue;
        if (memchr(g->text, '#', g->len))
            return hn_yaml_fail(y, n, "query: the URL has a #fragment: write the query in it");
        has_query = has_query || memchr(g->text, '?', g->len) != NULL;
    }
    const struct hn_seg *last = &t->segs[t->n_segs - 1];
    char end = last->kind == HN_SEG_LITERAL && last->len ? last->text[last->len - 1] : 0;
    const char *sep = !has_query ? "?" : end == '?' || end == '&' ? "" : "&";
    struct hn_load_text *shown = calloc(1, sizeof(*shown)); /* the URL with its query */
    if (!shown)
        return hn_yaml_fail(y, n, "out of memory");
    hn_load_text_append(shown, t->source, strlen(t->source));
    hn_load_text_append(shown, sep, strlen(sep));
    bool ok = hn_template_add_literal(t, sep, strlen(sep)) == 0 ||
              hn_yaml_fail(y, n, "query: the URL has more than %d parts", HN_TEMPLATE_SEGS_MAX);
    ok = ok && hn_load_urlencoded(L, n, "query", HN_MODEL_STR_MAX, t, shown);
    char *source = ok ? strdup(shown->text) : NULL;
    free(shown);
    if (!ok)
        return false;
    if (!source)
        return hn_yaml_fail(y, n, "out of memory");
    free(t->source);
    t->source = source;
    char what[40];
    snprintf(what, sizeof(what), "%s url", method);
    return url_check(L, n, t, what);
}

bool hn_load_step(struct hn_loader *L, yaml_node_t *n, struct hn_step *st,
                  const char *const *extra)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "a step is a mapping such as {get: /path}, got %s",
                            hn_yaml_kind(n));
    const char *allowed[N_STEP_KEYS + 8];
    size_t na = 0;
    for (size_t i = 0; i < N_STEP_KEYS; i++)
        allowed[na++] = step_keys[i];
    for (size_t i = 0; extra && extra[i] && na < N_STEP_KEYS + 7; i++)
        allowed[na++] = extra[i];
    allowed[na] = NULL;
    if (!hn_yaml_check_keys(y, n, allowed, "step"))
        return false;
    yaml_node_t *url_node = NULL;
    const char *method = NULL;
    for (size_t i = 0; i < N_METHODS; i++) {
        yaml_node_t *v = hn_yaml_get(y, n, methods[i]);
        if (!v)
            continue;
        if (url_node)
            return hn_yaml_fail(y, v, "a step has one method (%s and %s given)", method,
                                methods[i]);
        url_node = v;
        method = methods[i];
    }
    if (!url_node)
        return hn_yaml_fail(y, n,
                            "step without a method: give one of get, post, put, patch, delete, "
                            "head or options with its URL");
    char upper[16];
    size_t ml = strlen(method);
    for (size_t i = 0; i <= ml; i++)
        upper[i] = (char)toupper((unsigned char)method[i]);
    if (!(st->method = strdup(upper)) || !url(L, url_node, st, upper))
        return y->failed || hn_yaml_fail(y, n, "out of memory");
    yaml_node_t *v, *query_node = hn_yaml_get(y, n, "query");
    if (query_node && !query(L, query_node, st, upper))
        return false;
    char shown[HN_PROTO_NAME_MAX + 8];
    if ((v = hn_yaml_get(y, n, "name"))) {
        const char *name;
        size_t len;
        if (!hn_yaml_string(y, v, HN_PROTO_NAME_MAX, &name, &len, "name"))
            return false;
        if (!hn_msg_str_valid(name, len) || !len)
            return hn_yaml_fail(y, v, "name: a non-empty UTF-8 text");
        if (!(st->name = strndup(name, len)))
            return hn_yaml_fail(y, v, "out of memory");
        if (!strcmp(st->name, "Aggregated"))
            hn_yaml_warn(y, v,
                         "name: Aggregated is also the name of the reports' total row: a script "
                         "that picks the total by its name (Name == \"Aggregated\" in the CSV) "
                         "finds this entry too");
    } else if (strlen(st->url.source) + 3 > HN_PROTO_NAME_MAX &&
               strlen(hn_url_redact(st->url.source, shown, sizeof(shown))) > HN_PROTO_NAME_MAX) {
        /* (named after its url as the reports show it: credentials as ***) */
        return hn_yaml_fail(y, query_node ? query_node : url_node,
                            "url%s longer than %d bytes: give the step a name (its stats entry "
                            "is named after the url otherwise)",
                            query_node ? " with its query" : "", HN_PROTO_NAME_MAX);
    }
    if ((v = hn_yaml_get(y, n, "headers")) && !hn_load_headers(L, v, &st->headers, &st->n_headers))
        return false;
    yaml_node_t *json = hn_yaml_get(y, n, "json"), *form = hn_yaml_get(y, n, "form"),
                *raw = hn_yaml_get(y, n, "body");
    if ((json || form || raw) && !strcmp(upper, "HEAD"))
        return hn_yaml_fail(y, json ? json : form ? form : raw, "a HEAD request has no body");
    if (!hn_load_body(L, json, form, raw, st))
        return false;
    if ((v = hn_yaml_get(y, n, "capture"))) {
        if (!hn_yaml_is_map(v))
            return hn_yaml_fail(y, v, "capture: expected a mapping, got %s", hn_yaml_kind(v));
        if (!captures(L, v, st))
            return false;
    }
    if ((v = hn_yaml_get(y, n, "check")) && !checks(L, v, st))
        return false;
    if ((v = hn_yaml_get(y, n, "timeout"))) {
        if (!hn_yaml_duration_ms(y, v, &st->timeout_ms, "timeout"))
            return false;
        if (st->timeout_ms == 0 || st->timeout_ms > 3600 * 1000)
            return hn_yaml_fail(y, v, "timeout: between 1ms and 1h");
    }
    if ((v = hn_yaml_get(y, n, "follow_redirects")) &&
        !hn_yaml_bool(y, v, &st->follow_redirects, "follow_redirects"))
        return false;
    if (!y->failed && L->s->engine == HN_ENGINE_FAST) {
        /* The defaults' headers are checked where they are read. */
        char buf[160];
        const char *host = L->opt->host ? L->opt->host : L->s->host;
        const char *why = hn_fast_reason(L->s, L->cls, st, host, buf, sizeof(buf));
        if (why)
            return hn_yaml_fail(y, n, "%s %s: not possible with %s: %s", upper, st->url.source,
                                L->opt->engine_given ? "--engine fast" : "http engine fast",
                                why);
    }
    return !y->failed;
}
