/* Rendering compiled templates for one request of one user: literals are
 * copied, values (captured variables, data cells, random numbers, UUIDs,
 * the user id) substituted with their escaping. Into the user's own buffer,
 * which grows to its steady size in the first requests and is then reused:
 * no allocation per request. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "grants.h"
#include "model.h"
#include "template.h"

/* A captured variable of a user. */
struct hn_var {
    char *val; /* owned; capacity cap */
    uint32_t len, cap;
    bool set;
};

struct hn_render_ctx {
    const struct hn_scenario *s;
    const struct hn_var *vars;        /* s->n_vars of them */
    const struct hn_user_data *data;  /* the user's id and rows */
    uint64_t *rng;                    /* the engine thread's generator */
};

/* Rendered bytes are capped: a URL, header or body past this fails the
 * request ("rendered ... too large") instead of growing memory. */
#define HN_RENDER_MAX (8u << 20)

/* Append @t rendered to @b. 0; HN_E_STATE when @t names a variable not set
 * yet (*@unset = its slot); HN_E_TOO_LARGE; -ENOMEM. */
int hn_render_append(struct hn_buf *b, const struct hn_template *t, const struct hn_render_ctx *ctx,
                     uint32_t *unset);

/* Store a captured value (truncated to HN_MODEL_VALUE_MAX bytes: the
 * caller checks the length first). 0 or -ENOMEM. */
int hn_var_set(struct hn_var *v, const char *s, size_t n);
