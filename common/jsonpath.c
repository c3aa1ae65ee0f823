/* JSONPath subset compiler (see jsonpath.h). Load time only. */
#include "jsonpath.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hn_jsonpath_deinit(struct hn_jsonpath *p)
{
    for (uint32_t i = 0; i < p->n_steps; i++)
        free(p->steps[i].key);
    memset(p, 0, sizeof(*p));
}

static int bad(char *why, size_t why_len, size_t *off_out, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && why_len)
        vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    if (off_out)
        *off_out = off;
    return HN_E_INVALID;
}

static int add_key(struct hn_jsonpath *p, const char *k, size_t n)
{
    struct hn_jsonpath_step *st = &p->steps[p->n_steps];
    if (!(st->key = malloc(n + 1)))
        return -ENOMEM;
    memcpy(st->key, k, n);
    st->key[n] = '\0';
    st->key_len = (uint32_t)n;
    st->is_index = false;
    p->n_steps++;
    return 0;
}

int hn_jsonpath_compile(struct hn_jsonpath *p, const char *src, size_t len, char *why,
                        size_t why_len, size_t *err_offset)
{
    memset(p, 0, sizeof(*p));
    if (len == 0 || src[0] != '$') {
        return bad(why, why_len, err_offset, 0,
                   "a JSON path starts with '$', e.g. $.data[0].id");
    }
    size_t i = 1;
    int err = 0;
    while (i < len && !err) {
        if (p->n_steps == HN_JSONPATH_STEPS_MAX) {
            err = bad(why, why_len, err_offset, i, "JSON path has more than %d steps",
                      HN_JSONPATH_STEPS_MAX);
            break;
        }
        size_t at = i;
        if (src[i] == '.') {
            size_t s = ++i;
            while (i < len && src[i] != '.' && src[i] != '[')
                i++;
            if (i == s)
                err = bad(why, why_len, err_offset, at, "empty key after '.' in JSON path");
            else if (i - s > HN_JSONPATH_KEY_MAX)
                err = bad(why, why_len, err_offset, s, "JSON path key longer than %d bytes",
                          HN_JSONPATH_KEY_MAX);
            else if (memchr(src + s, ']', i - s) || memchr(src + s, '\'', i - s) ||
                     memchr(src + s, '"', i - s) || memchr(src + s, ' ', i - s))
                err = bad(why, why_len, err_offset, s,
                          "unexpected character in key '%.*s': write ['key'] for such keys",
                          (int)(i - s), src + s);
            else
                err = add_key(p, src + s, i - s);
        } else if (src[i] == '[' && i + 1 < len && (src[i + 1] == '\'' || src[i + 1] == '"')) {
            char q = src[i + 1];
            size_t s = i + 2;
            const char *e = s <= len ? memchr(src + s, q, len - s) : NULL;
            if (!e || (size_t)(e - src) + 1 >= len || e[1] != ']')
                err = bad(why, why_len, err_offset, at, "unterminated [%c...%c] in JSON path", q,
                          q);
            else if ((size_t)(e - src) - s > HN_JSONPATH_KEY_MAX)
                err = bad(why, why_len, err_offset, s, "JSON path key longer than %d bytes",
                          HN_JSONPATH_KEY_MAX);
            else {
                err = add_key(p, src + s, (size_t)(e - src) - s);
                i = (size_t)(e - src) + 2;
            }
        } else if (src[i] == '[') {
            size_t s = ++i;
            unsigned long long v = 0;
            while (i < len && src[i] >= '0' && src[i] <= '9' && v <= UINT32_MAX)
                v = v * 10 + (unsigned)(src[i++] - '0');
            if (i == s || i >= len || src[i] != ']')
                err = bad(why, why_len, err_offset, at,
                          "expected [N] (an index from 0), ['key'] or [\"key\"] in JSON path");
            else if (v > UINT32_MAX)
                err = bad(why, why_len, err_offset, s, "array index too large");
            else {
                p->steps[p->n_steps].is_index = true;
                p->steps[p->n_steps].index = (uint32_t)v;
                p->n_steps++;
                i++;
            }
        } else {
            err = bad(why, why_len, err_offset, at,
                      "unexpected '%c' in JSON path (expected '.', '[' or the end)", src[i]);
        }
    }
    if (err)
        hn_jsonpath_deinit(p);
    return err;
}
