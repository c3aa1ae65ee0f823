/* Shared by the fuzz targets: the properties every scenario blob must have,
 * whatever its bytes. Aborts (a libFuzzer finding) when one fails. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scenario_codec.h"

/* What finalize promises of a scenario it accepts: every step named and
 * indexed into the entries, every class reading only feeders that exist,
 * every template naming only variables and columns that exist, and no
 * UNIQUE rows on a worker. Aborts otherwise. */
static inline void hn_fuzz_check_template(const struct hn_scenario *s, const struct hn_template *t)
{
    for (uint32_t i = 0; i < t->n_segs; i++) {
        const struct hn_seg *g = &t->segs[i];
        if (g->kind >= HN_SEG__COUNT || (g->kind == HN_SEG_LITERAL && !g->text) ||
            (g->kind == HN_SEG_VAR && g->a >= s->n_vars) ||
            (g->kind == HN_SEG_DATA &&
             (g->a >= s->n_feeders || g->b >= s->feeders[g->a].n_columns)) ||
            (g->kind == HN_SEG_RANDOM && g->lo > g->hi))
            abort();
    }
}

static inline int hn_fuzz_check_step(void *ctx, struct hn_user_class *c, struct hn_step *st)
{
    const struct hn_scenario *s = ctx;
    if (!st->name || st->entry >= s->n_entries || !s->entries[st->entry].name ||
        strcmp(s->entries[st->entry].name, st->name) ||
        strcmp(s->entries[st->entry].method, st->method) || st->body_kind >= HN_BODY__COUNT)
        abort();
    hn_fuzz_check_template(s, &st->url);
    hn_fuzz_check_template(s, &st->body);
    hn_fuzz_check_template(s, &st->body_contains);
    for (uint32_t i = 0; i < st->n_headers; i++)
        hn_fuzz_check_template(s, &st->headers[i].value);
    for (uint32_t i = 0; i < st->n_captures; i++)
        if (st->captures[i].var >= s->n_vars)
            abort();
    if (s->n_feeders < 32 && (c->feeders_used >> s->n_feeders))
        abort();
    return 0;
}

static inline void hn_fuzz_check_finalized(struct hn_scenario *s)
{
    uint32_t entries = s->n_entries;
    for (uint32_t f = 0; f < s->n_feeders; f++)
        if (s->feeders[f].order == HN_ORDER_UNIQUE && s->feeders[f].cells)
            abort();
    if (hn_scenario_each_step(s, hn_fuzz_check_step, s))
        abort();
    /* Finalizing again changes nothing. */
    if (hn_scenario_finalize(s, NULL, 0) || s->n_entries != entries)
        abort();
}

/* @data[0..size) decodes to an error with a reason, or to a scenario that
 * encodes to a blob which decodes again and encodes to the same bytes
 * (canonical form is a fixed point); finalizing it must not crash, and a
 * scenario it accepts keeps finalize's promises. */
static inline void hn_fuzz_check_scenario(const uint8_t *data, size_t size)
{
    struct hn_scenario *s = NULL, *s2 = NULL;
    char why[256] = "";
    int rc = hn_scenario_decode(data, size, &s, why, sizeof(why));
    if (rc < 0 && rc != -ENOMEM)
        abort(); /* only allocation may fail with a system error */
    if (rc) {
        if (s || (rc > 0 && !why[0]))
            abort(); /* nothing returned, and a reason given */
        return;
    }
    msgpack_sbuffer a, b;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    if (hn_scenario_encode(s, &a) || hn_scenario_decode(a.data, a.size, &s2, why, sizeof(why)) ||
        hn_scenario_encode(s2, &b) || a.size != b.size || memcmp(a.data, b.data, a.size))
        abort();
    rc = hn_scenario_finalize(s2, why, sizeof(why));
    if (rc != 0 && rc != HN_E_INVALID && rc != -ENOMEM)
        abort();
    if (rc == HN_E_INVALID && !why[0])
        abort(); /* refused with a reason */
    if (rc == 0)
        hn_fuzz_check_finalized(s2);
    hn_scenario_free(s2);
    hn_scenario_free(s);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}
