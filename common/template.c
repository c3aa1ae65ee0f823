/* Template compiler (see template.h): "{{...}}" parsing into segments, and
 * the escaping rules shared with the worker's renderer. Runs at load time
 * only. */
#include "template.h"
#include "array.h"
#include "error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hn_template_deinit(struct hn_template *t)
{
    for (uint32_t i = 0; i < t->n_segs; i++)
        free(t->segs[i].text);
    free(t->segs);
    free(t->source);
    memset(t, 0, sizeof(*t));
}

static int push(struct hn_template *t, const struct hn_seg *seg)
{
    if (t->n_segs >= HN_TEMPLATE_SEGS_MAX)
        return HN_E_TOO_LARGE;
    HN_TRY(hn_array_reserve(&t->segs, &t->cap, t->n_segs + 1, sizeof(*t->segs), 4));
    t->segs[t->n_segs++] = *seg;
    return 0;
}

int hn_template_add_literal(struct hn_template *t, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (len > UINT32_MAX / 2)
        return HN_E_TOO_LARGE;
    struct hn_seg *last = t->n_segs ? &t->segs[t->n_segs - 1] : NULL;
    if (last && last->kind == HN_SEG_LITERAL) {
        if ((size_t)last->len + len > UINT32_MAX / 2)
            return HN_E_TOO_LARGE;
        if ((size_t)last->len + len + 1 > last->cap) {
            /* Doubling: a JSON body built from many small pieces costs
             * linear time, not quadratic. */
            size_t cap = (size_t)last->cap * 2;
            if (cap < (size_t)last->len + len + 1)
                cap = (size_t)last->len + len + 1;
            char *grown = realloc(last->text, cap);
            if (!grown)
                return -ENOMEM;
            last->text = grown;
            last->cap = (uint32_t)cap;
        }
        memcpy(last->text + last->len, s, len);
        last->len += (uint32_t)len;
        last->text[last->len] = '\0';
        return 0;
    }
    struct hn_seg seg = {.kind = HN_SEG_LITERAL, .len = (uint32_t)len, .cap = (uint32_t)len + 1};
    if (!(seg.text = malloc(len + 1)))
        return -ENOMEM;
    memcpy(seg.text, s, len);
    seg.text[len] = '\0';
    int err = push(t, &seg);
    if (err)
        free(seg.text);
    return err;
}

int hn_template_add_seg(struct hn_template *t, const struct hn_seg *seg)
{
    if (seg->kind == HN_SEG_LITERAL)
        return hn_template_add_literal(t, seg->text, seg->len);
    struct hn_seg copy = *seg;
    copy.text = NULL;
    copy.len = 0;
    return push(t, &copy);
}

static int fail(struct hn_template_error *err, size_t offset, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->offset = offset;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return HN_E_INVALID;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Words of the inside of {{ }}, split on blanks. */
struct words {
    const char *w[4];
    size_t len[4];
    size_t off[4]; /* offsets in the whole source */
    int n;         /* 5 means "more than 4" */
};

static void split(const char *s, size_t len, size_t base, struct words *out)
{
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (out->n == 4) {
            out->n = 5;
            return;
        }
        out->w[out->n] = s + start;
        out->len[out->n] = i - start;
        out->off[out->n] = base + start;
        out->n++;
    }
}

static bool word_is(const struct words *w, int i, const char *lit)
{
    return w->len[i] == strlen(lit) && memcmp(w->w[i], lit, w->len[i]) == 0;
}

/* A decimal int64 with an optional '-'. */
static bool parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t i = buf[0] == '-' ? 1 : 0;
    if (!buf[i])
        return false;
    for (size_t k = i; buf[k]; k++)
        if (buf[k] < '0' || buf[k] > '9')
            return false;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int add_text(struct hn_template *t, const char *s, size_t len, hn_template_literal_fn literal)
{
    return literal ? literal(t, s, len) : hn_template_add_literal(t, s, len);
}

/* The inside of one {{ }} at @src[start..end) (offsets of the braces' inner
 * text), already known not to be a quoted literal. */
static int add_expression(struct hn_template *t, const char *src, size_t start, size_t end,
                          size_t open, enum hn_escape escape, hn_template_literal_fn literal,
                          const struct hn_template_names *names, struct hn_template_error *err)
{
    struct words w;
    split(src + start, end - start, start, &w);
    if (w.n == 0)
        return fail(err, open, "empty {{ }}");
    if (w.n == 5)
        return fail(err, w.off[3], "too many words in {{ }}");
    struct hn_seg seg = {.escape = (uint8_t)escape};
    if (word_is(&w, 0, "random")) {
        if (w.n != 3)
            return fail(err, w.off[0], "{{random A B}} takes two integers, e.g. {{random 1 100}}");
        if (!parse_i64(w.w[1], w.len[1], &seg.lo))
            return fail(err, w.off[1], "random: '%.*s' is not an integer", (int)w.len[1], w.w[1]);
        if (!parse_i64(w.w[2], w.len[2], &seg.hi))
            return fail(err, w.off[2], "random: '%.*s' is not an integer", (int)w.len[2], w.w[2]);
        if (seg.lo > seg.hi)
            return fail(err, w.off[1], "random: %" PRId64 " is greater than %" PRId64, seg.lo,
                        seg.hi);
        seg.kind = HN_SEG_RANDOM;
        return push(t, &seg);
    }
    if (word_is(&w, 0, "env")) {
        if (w.n != 2)
            return fail(err, w.off[0], "{{env NAME}} takes one name");
        char name[256];
        if (w.len[1] >= sizeof(name))
            return fail(err, w.off[1], "env: name too long");
        memcpy(name, w.w[1], w.len[1]);
        name[w.len[1]] = '\0';
        const char *value =
            names && names->getenv ? names->getenv(names->ctx, name) : getenv(name);
        if (!value)
            return fail(err, w.off[1], "environment variable %s is not set", name);
        return add_text(t, value, strlen(value), literal);
    }
    if (w.n != 1)
        return fail(err, w.off[1], "unexpected '%.*s' after '%.*s' in {{ }}", (int)w.len[1],
                    w.w[1], (int)w.len[0], w.w[0]);
    if (word_is(&w, 0, "uuid")) {
        seg.kind = HN_SEG_UUID;
        return push(t, &seg);
    }
    if (word_is(&w, 0, "user_id")) {
        seg.kind = HN_SEG_USER_ID;
        return push(t, &seg);
    }
    char why[200] = "";
    int rc = names && names->resolve
                 ? names->resolve(names->ctx, w.w[0], w.len[0], &seg, why, sizeof(why))
                 : HN_E_INVALID;
    if (rc == HN_E_INVALID)
        return fail(err, w.off[0], "%s",
                    why[0] ? why : "unknown variable (nothing is captured here)");
    if (rc)
        return rc;
    seg.escape = (uint8_t)escape;
    return push(t, &seg);
}

/* {{"text"}}: a quoted literal starting at @q (the opening quote). Sets
 * *close to the offset just after the closing "}}". */
static int add_quoted(struct hn_template *t, const char *src, size_t len, size_t q, size_t open,
                      hn_template_literal_fn literal, size_t *close,
                      struct hn_template_error *err)
{
    char buf[256];
    size_t n = 0, i = q + 1;
    for (;; i++) {
        if (i >= len)
            return fail(err, open, "unterminated {{ (a quoted text without its closing quote)");
        if (src[i] == '"')
            break;
        if (src[i] == '\\' && i + 1 < len && (src[i + 1] == '"' || src[i + 1] == '\\'))
            i++;
        if (n == sizeof(buf))
            return fail(err, q, "quoted text in {{ }} is longer than %zu bytes", sizeof(buf));
        buf[n++] = src[i];
    }
    i++;
    while (i < len && is_space(src[i]))
        i++;
    if (i + 1 >= len || src[i] != '}' || src[i + 1] != '}')
        return fail(err, i < len ? i : open, "expected }} after the quoted text");
    *close = i + 2;
    return add_text(t, buf, n, literal);
}

int hn_template_append(struct hn_template *t, const char *src, size_t len, enum hn_escape escape,
                       hn_template_literal_fn literal, const struct hn_template_names *names,
                       struct hn_template_error *err)
{
    size_t lit = 0, i = 0;
    while (i + 1 < len) {
        if (src[i] != '{' || src[i + 1] != '{') {
            i++;
            continue;
        }
        HN_TRY(add_text(t, src + lit, i - lit, literal));
        size_t open = i, start = i + 2, k = start;
        while (k < len && is_space(src[k]))
            k++;
        if (k < len && src[k] == '"') {
            HN_TRY(add_quoted(t, src, len, k, open, literal, &i, err));
        } else {
            const char *close = NULL;
            for (size_t j = start; j + 1 < len; j++) {
                if (src[j] == '}' && src[j + 1] == '}') {
                    close = src + j;
                    break;
                }
                if (src[j] == '{' && src[j + 1] == '{')
                    break; /* a second {{ before any }}: the first is open */
            }
            if (!close)
                return fail(err, open, "unterminated {{ (no }} after it)");
            size_t end = (size_t)(close - src);
            HN_TRY(add_expression(t, src, start, end, open, escape, literal, names, err));
            i = end + 2;
        }
        lit = i;
    }
    return add_text(t, src + lit, len - lit, literal);
}

int hn_template_compile(struct hn_template *t, const char *src, size_t len, enum hn_escape escape,
                        const struct hn_template_names *names, struct hn_template_error *err)
{
    memset(t, 0, sizeof(*t));
    int rc = hn_template_append(t, src, len, escape, NULL, names, err);
    if (!rc && !(t->source = strndup(src, len)))
        rc = -ENOMEM;
    if (rc)
        hn_template_deinit(t);
    return rc;
}

bool hn_template_is_literal(const struct hn_template *t)
{
    return t->n_segs == 0 || (t->n_segs == 1 && t->segs[0].kind == HN_SEG_LITERAL);
}

size_t hn_template_literal_len(const struct hn_template *t)
{
    return t->n_segs ? t->segs[0].len : 0;
}

const char *hn_template_literal_text(const struct hn_template *t)
{
    return t->n_segs ? t->segs[0].text : NULL;
}

/* --- escaping ------------------------------------------------------------ */

static const char hex[] = "0123456789ABCDEF";

static bool url_keeps(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"#<>\\^`{|}", c);
}

static bool form_keeps(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '*' || c == '-' || c == '.' || c == '_';
}

/* Appends @s[0..n) at out[*at] if it fits; *at grows by n regardless. */
static void put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (*at + n <= cap)
        memcpy(out + *at, s, n);
    *at += n;
}

size_t hn_escape_write(enum hn_escape esc, const char *s, size_t len, char *out, size_t cap)
{
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[6];
        size_t n = 1;
        e[0] = (char)c;
        switch (esc) {
        case HN_ESC_URL:
            if (!url_keeps(c))
                e[0] = '%', e[1] = hex[c >> 4], e[2] = hex[c & 15], n = 3;
            break;
        case HN_ESC_HEADER:
            if (c == '\r' || c == '\n' || c == '\0')
                e[0] = ' ';
            break;
        case HN_ESC_JSON:
            if (c == '"' || c == '\\') {
                e[0] = '\\', e[1] = (char)c, n = 2;
            } else if (c < 0x20) {
                const char *short_form = c == '\n'   ? "\\n"
                                         : c == '\r' ? "\\r"
                                         : c == '\t' ? "\\t"
                                         : c == '\b' ? "\\b"
                                         : c == '\f' ? "\\f"
                                                     : NULL;
                if (short_form) {
                    memcpy(e, short_form, 2);
                    n = 2;
                } else {
                    memcpy(e, "\\u00", 4);
                    e[4] = hex[c >> 4], e[5] = hex[c & 15], n = 6;
                }
            }
            break;
        case HN_ESC_FORM:
            if (c == ' ')
                e[0] = '+';
            else if (!form_keeps(c))
                e[0] = '%', e[1] = hex[c >> 4], e[2] = hex[c & 15], n = 3;
            break;
        default:
            break;
        }
        put(out, cap, &at, e, n);
    }
    return at;
}
