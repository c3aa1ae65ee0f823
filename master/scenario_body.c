/* Request bodies of scenario steps (see scenario_load_internal.h): json is
 * serialised at load time into a template whose literal text is JSON
 * already and whose values are escaped for JSON strings when rendered;
 * form is url-encoded the same way; body is sent as written. */
#include "error.h"
#include "scenario_load_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Literal text inside a JSON string, escaped now. */
static int json_literal(struct hn_template *t, const char *s, size_t len)
{
    char buf[1024];
    while (len > 0) {
        size_t take = len < sizeof(buf) / HN_ESCAPE_GROWTH_MAX ? len
                                                              : sizeof(buf) / HN_ESCAPE_GROWTH_MAX;
        size_t n = hn_escape_write(HN_ESC_JSON, s, take, buf, sizeof(buf));
        HN_TRY(hn_template_add_literal(t, buf, n));
        s += take;
        len -= take;
    }
    return 0;
}

static int form_literal(struct hn_template *t, const char *s, size_t len)
{
    char buf[1024];
    while (len > 0) {
        size_t take = len < sizeof(buf) / 3 ? len : sizeof(buf) / 3;
        size_t n = hn_escape_write(HN_ESC_FORM, s, take, buf, sizeof(buf));
        HN_TRY(hn_template_add_literal(t, buf, n));
        s += take;
        len -= take;
    }
    return 0;
}

static bool lit(struct hn_loader *L, yaml_node_t *n, struct hn_template *t, const char *s)
{
    return hn_template_add_literal(t, s, strlen(s)) == 0 ||
           hn_yaml_fail(&L->y, n,
                        "out of memory, or more than %d parts (values and the text between "
                        "them)",
                        HN_TEMPLATE_SEGS_MAX);
}

/* Bytes of literal text so far: the body limit applies as it grows, so an
 * alias bomb stops early. */
static size_t literal_bytes(const struct hn_template *t)
{
    size_t n = 0;
    for (uint32_t i = 0; i < t->n_segs; i++)
        n += t->segs[i].len;
    return n;
}

bool hn_load_json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (isdigit((unsigned char)*p))
            p++;
    else
        return false;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

/* YAML numbers JSON has no way to write. */
static bool yaml_only_number(const char *s)
{
    if (*s == '+' || *s == '.')
        return true;
    if (!strncmp(s, "0x", 2) || !strncmp(s, "0o", 2) || !strncmp(s, "-.", 2))
        return true;
    return isdigit((unsigned char)s[0]) && strchr(s, '_') != NULL;
}

static bool json_string(struct hn_loader *L, yaml_node_t *n, const char *text, size_t len,
                        struct hn_template *t)
{
    return lit(L, n, t, "\"") &&
           hn_load_template(L, n, text, len, HN_ESC_JSON, json_literal, t, "json") &&
           lit(L, n, t, "\"");
}

static bool json_value(struct hn_loader *L, yaml_node_t *n, struct hn_template *t)
{
    struct hn_yaml *y = &L->y;
    if (literal_bytes(t) > HN_MODEL_BODY_MAX)
        return hn_yaml_fail(y, n, "json: body larger than %d bytes", HN_MODEL_BODY_MAX);
    if (hn_yaml_is_map(n)) {
        struct hn_yaml_pair *pairs;
        size_t np;
        if (!hn_yaml_pairs(y, n, &pairs, &np))
            return false;
        bool ok = lit(L, n, t, "{");
        for (size_t i = 0; i < np && ok; i++)
            ok = (i == 0 || lit(L, n, t, ",")) &&
                 json_string(L, pairs[i].key, pairs[i].name, strlen(pairs[i].name), t) &&
                 lit(L, n, t, ":") && json_value(L, pairs[i].value, t);
        free(pairs);
        return ok && lit(L, n, t, "}");
    }
    if (hn_yaml_is_seq(n)) {
        if (!lit(L, n, t, "["))
            return false;
        for (size_t i = 0; i < hn_yaml_items(n); i++) {
            yaml_node_t *it = hn_yaml_item(y, n, i);
            if (!it || (i && !lit(L, n, t, ",")) || !json_value(L, it, t))
                return false;
        }
        return lit(L, n, t, "]");
    }
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (hn_yaml_is_null(n))
        return lit(L, n, t, "null");
    if (hn_yaml_is_plain(n)) {
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
            return lit(L, n, t, "true");
        if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
            return lit(L, n, t, "false");
        if (hn_load_json_number(v))
            return lit(L, n, t, v); /* as written: 1.50 stays 1.50 */
        if (yaml_only_number(v))
            return hn_yaml_fail(y, n, "json: %s is not a JSON number (write it in decimal, or "
                                      "quote it for a string)",
                                v);
    }
    return json_string(L, n, v, len, t);
}

void hn_load_text_append(struct hn_load_text *x, const char *s, size_t len)
{
    if (len > sizeof(x->text) - 1 - x->len) {
        x->over = true;
        return;
    }
    memcpy(x->text + x->len, s, len);
    x->len += len;
    x->text[x->len] = '\0';
}

/* @s as a name shows it: text url-encoded as it is sent, each {{...}} as
 * written (its value is not known until sent). */
static void shown_append(struct hn_load_text *x, const char *s, size_t len)
{
    const char *end = s + len;
    while (s < end) {
        const char *open = memmem(s, (size_t)(end - s), "{{", 2);
        const char *close = open ? memmem(open + 2, (size_t)(end - open - 2), "}}", 2) : NULL;
        const char *plain_end = close ? open : end;
        char buf[512];
        while (s < plain_end) {
            size_t take = (size_t)(plain_end - s) < sizeof(buf) / 3 ? (size_t)(plain_end - s)
                                                                    : sizeof(buf) / 3;
            hn_load_text_append(x, buf, hn_escape_write(HN_ESC_FORM, s, take, buf, sizeof(buf)));
            s += take;
        }
        if (close) {
            hn_load_text_append(x, open, (size_t)(close + 2 - open));
            s = close + 2;
        }
    }
}

/* key=value of one pair (a list's item, or the value itself), url-encoded
 * into @t, and as written into @shown when given (a query's text for the
 * URL's name). */
static bool encoded_pair(struct hn_loader *L, struct hn_yaml_pair *p, yaml_node_t *v, bool first,
                         const char *what, struct hn_template *t, struct hn_load_text *shown)
{
    struct hn_yaml *y = &L->y;
    if (!hn_yaml_is_scalar(v))
        return hn_yaml_fail(y, v, "%s %s: expected a value or a list of values, got %s", what,
                            p->name, hn_yaml_kind(v));
    const char *text = hn_yaml_is_null(v) ? "" : (const char *)v->data.scalar.value;
    size_t len = hn_yaml_is_null(v) ? 0 : v->data.scalar.length;
    if (shown) {
        if (!first)
            hn_load_text_append(shown, "&", 1);
        shown_append(shown, p->name, strlen(p->name));
        hn_load_text_append(shown, "=", 1);
        shown_append(shown, text, len);
    }
    return (first || lit(L, v, t, "&")) &&
           hn_load_template(L, p->key, p->name, strlen(p->name), HN_ESC_FORM, form_literal, t,
                            what) &&
           lit(L, v, t, "=") &&
           hn_load_template(L, v, text, len, HN_ESC_FORM, form_literal, t, what);
}

bool hn_load_urlencoded(struct hn_loader *L, yaml_node_t *n, const char *what, size_t max,
                        struct hn_template *t, struct hn_load_text *shown)
{
    struct hn_yaml *y = &L->y;
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_map_pairs(y, n, what, "field: value", &pairs, &np))
        return false;
    bool ok = true, first = true;
    for (size_t i = 0; i < np && ok; i++) {
        yaml_node_t *v = pairs[i].value;
        if (hn_yaml_is_seq(v)) {
            for (size_t k = 0; k < hn_yaml_items(v) && ok; k++) {
                yaml_node_t *it = hn_yaml_item(y, v, k);
                ok = it && encoded_pair(L, &pairs[i], it, first, what, t, shown);
                first = false;
            }
        } else {
            ok = encoded_pair(L, &pairs[i], v, first, what, t, shown);
            first = false;
        }
        if (ok && (literal_bytes(t) > max || (shown && shown->over)))
            ok = hn_yaml_fail(y, n, "%s: longer than %zu bytes%s", what, max,
                              shown ? " with the URL" : "");
    }
    free(pairs);
    return ok;
}

/* The text the body was written as, for --check and logs. */
static bool keep_source(struct hn_loader *L, yaml_node_t *n, struct hn_template *t,
                        const char *kind)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "(%s body, line %u)", kind, (unsigned)n->start_mark.line + 1);
    return (t->source = strdup(buf)) != NULL || hn_yaml_fail(&L->y, n, "out of memory");
}

bool hn_load_body(struct hn_loader *L, yaml_node_t *json, yaml_node_t *form, yaml_node_t *raw,
                  struct hn_step *st)
{
    struct hn_yaml *y = &L->y;
    int given = !!json + !!form + !!raw;
    if (given > 1)
        return hn_yaml_fail(y, json && form ? form : raw,
                            "a step has one body: json, form or body, not several");
    if (json) {
        st->body_kind = HN_BODY_JSON;
        return json_value(L, json, &st->body) && keep_source(L, json, &st->body, "json");
    }
    if (form) {
        st->body_kind = HN_BODY_FORM;
        return hn_load_urlencoded(L, form, "form", HN_MODEL_BODY_MAX, &st->body, NULL) &&
               keep_source(L, form, &st->body, "form");
    }
    if (raw) {
        const char *text;
        size_t len;
        st->body_kind = HN_BODY_RAW;
        if (hn_yaml_is_null(raw)) {
            text = "";
            len = 0;
        } else if (!hn_yaml_string(y, raw, HN_MODEL_BODY_MAX, &text, &len, "body")) {
            return false;
        }
        return hn_load_template(L, raw, text, len, HN_ESC_NONE, NULL, &st->body, "body") &&
               keep_source(L, raw, &st->body, "raw");
    }
    return true;
}
