/* Template rendering (see render.h). */
#include "render.h"
#include "error.h"
#include "rng.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for @more bytes, within HN_RENDER_MAX for the whole buffer. */
static int room(struct hn_buf *b, size_t more)
{
    if (more > HN_RENDER_MAX || b->len + more > HN_RENDER_MAX)
        return HN_E_TOO_LARGE;
    return hn_buf_reserve(b, more);
}

/* Append rendered bytes (capped, as room says). */
static int put(struct hn_buf *b, const void *s, size_t n)
{
    HN_TRY(room(b, n));
    return hn_buf_append(b, s, n);
}

static int append_escaped(struct hn_buf *b, enum hn_escape esc, const char *s, size_t n)
{
    if (esc == HN_ESC_NONE)
        return put(b, s, n);
    HN_TRY(room(b, n * HN_ESCAPE_GROWTH_MAX));
    b->len += hn_escape_write(esc, s, n, b->p + b->len, b->cap - b->len);
    return 0;
}

/* A version 4 UUID from two random words (RFC 9562 §5.4). */
static size_t format_uuid(char *out, uint64_t hi, uint64_t lo)
{
    hi = (hi & ~UINT64_C(0xF000)) | UINT64_C(0x4000);
    lo = (lo & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);
    return (size_t)snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64
                                     "-%012" PRIx64,
                            hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                            lo & UINT64_C(0xffffffffffff));
}

int hn_render_append(struct hn_buf *b, const struct hn_template *t, const struct hn_render_ctx *ctx,
                     uint32_t *unset)
{
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        char num[40];
        size_t n;
        switch (g->kind) {
        case HN_SEG_LITERAL:
            HN_TRY(put(b, g->text, g->len));
            break;
        case HN_SEG_VAR: {
            const struct hn_var *v = &ctx->vars[g->a];
            if (!v->set) {
                *unset = g->a;
                return HN_E_STATE;
            }
            HN_TRY(append_escaped(b, g->escape, v->val, v->len));
            break;
        }
        case HN_SEG_DATA: {
            char *const *row = ctx->data->rows[g->a];
            if (!row) { /* cannot happen: every feeder a class reads is dealt */
                *unset = UINT32_MAX;
                return HN_E_STATE;
            }
            HN_TRY(append_escaped(b, g->escape, row[g->b], strlen(row[g->b])));
            break;
        }
        case HN_SEG_RANDOM: {
            uint64_t span = (uint64_t)g->hi - (uint64_t)g->lo + 1; /* 0: the whole range */
            uint64_t r = hn_rng_next(ctx->rng);
            int64_t v = (int64_t)((uint64_t)g->lo + (span ? r % span : r));
            n = (size_t)snprintf(num, sizeof(num), "%" PRId64, v);
            HN_TRY(put(b, num, n));
            break;
        }
        case HN_SEG_UUID: {
            uint64_t hi = hn_rng_next(ctx->rng), lo = hn_rng_next(ctx->rng);
            n = format_uuid(num, hi, lo);
            HN_TRY(put(b, num, n));
            break;
        }
        case HN_SEG_USER_ID:
            n = (size_t)snprintf(num, sizeof(num), "%" PRIu64, ctx->data->user_id);
            HN_TRY(put(b, num, n));
            break;
        default:
            return HN_E_INVALID;
        }
    }
    return 0;
}

int hn_var_set(struct hn_var *v, const char *s, size_t n)
{
    if (n > HN_MODEL_VALUE_MAX)
        n = HN_MODEL_VALUE_MAX;
    if (n + 1 > v->cap) {
        uint32_t cap = v->cap ? v->cap : 64;
        while (cap < n + 1)
            cap *= 2;
        char *p = realloc(v->val, cap);
        if (!p)
            return -ENOMEM;
        v->val = p;
        v->cap = cap;
    }
    if (n)
        memcpy(v->val, s, n);
    v->val[n] = '\0';
    v->len = (uint32_t)n;
    v->set = true;
    return 0;
}
