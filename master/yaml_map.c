/* YAML mappings (see yaml_doc.h): their pairs with merge keys ("<<")
 * resolved and duplicates refused, lookups by key, and checks of the keys
 * a mapping may have, with the nearest known one suggested for a typo. */
#include "yaml_doc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_DEPTH_MAX 8 /* "<<" inside merged mappings */

static const char *key_text(const yaml_node_t *k)
{
    return hn_yaml_is_scalar(k) ? (const char *)k->data.scalar.value : NULL;
}

/* The pairs hn_yaml_pairs collects, and an index of their names (open
 * addressing; a slot holds a pair's index + 1, 0 when free): each key is
 * checked against those before it in one probe, so that a mapping of
 * thousands of keys costs its size, not its size squared, per lookup. */
struct collection {
    struct hn_yaml_pair *pairs;
    size_t len, cap;
    uint32_t *slots;
    size_t n_slots; /* a power of two, four times cap */
};

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot of @name: the one that holds it, or the free one to put it in. */
static size_t find_slot(const struct collection *c, const char *name)
{
    size_t i = name_hash(name) & (c->n_slots - 1);
    while (c->slots[i] && strcmp(c->pairs[c->slots[i] - 1].name, name) != 0)
        i = (i + 1) & (c->n_slots - 1);
    return i;
}

static bool grow(struct collection *c)
{
    size_t cap = c->cap ? c->cap * 2 : 8;
    struct hn_yaml_pair *p = realloc(c->pairs, cap * sizeof(*p));
    if (!p)
        return false;
    c->pairs = p;
    c->cap = cap;
    uint32_t *slots = calloc(cap * 4, sizeof(*slots));
    if (!slots)
        return false;
    free(c->slots);
    c->slots = slots;
    c->n_slots = cap * 4;
    for (size_t i = 0; i < c->len; i++)
        c->slots[find_slot(c, c->pairs[i].name)] = (uint32_t)i + 1;
    return true;
}

static bool add_pair(struct collection *c, yaml_node_t *k, yaml_node_t *v)
{
    if (c->len == c->cap && !grow(c))
        return false;
    c->pairs[c->len] = (struct hn_yaml_pair){k, v, key_text(k)};
    c->slots[find_slot(c, key_text(k))] = (uint32_t)++c->len;
    return true;
}

/* Explicit pairs of @n first, then those merged in ("<<") that no pair
 * before them named. */
static bool collect(struct hn_yaml *y, yaml_node_t *n, struct collection *c, int depth)
{
    yaml_node_t *merge = NULL;
    size_t explicit_start = c->len;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&y->doc, p->value);
        if (!hn_yaml_is_scalar(k))
            return hn_yaml_fail(y, k, "a key must be a string, not %s", hn_yaml_kind(k));
        if (hn_yaml_is_plain(k) && strcmp(key_text(k), "<<") == 0) {
            if (merge)
                return hn_yaml_fail(y, k, "'<<' given twice");
            merge = v;
            continue;
        }
        uint32_t seen = c->len ? c->slots[find_slot(c, key_text(k))] : 0;
        if (seen && seen - 1 >= explicit_start)
            return hn_yaml_fail(y, k, "key '%s' given twice", key_text(k));
        if (seen)
            continue; /* overridden by the mapping that merges this one */
        if (!add_pair(c, k, v))
            return hn_yaml_fail(y, k, "out of memory");
    }
    if (!merge)
        return true;
    if (depth >= MERGE_DEPTH_MAX)
        return hn_yaml_fail(y, merge, "merges ('<<') nested more than %d deep", MERGE_DEPTH_MAX);
    if (hn_yaml_is_map(merge))
        return collect(y, merge, c, depth + 1);
    if (!hn_yaml_is_seq(merge))
        return hn_yaml_fail(y, merge, "'<<' takes a mapping or a list of mappings");
    for (size_t i = 0; i < hn_yaml_items(merge); i++) {
        yaml_node_t *m = hn_yaml_item(y, merge, i);
        if (!hn_yaml_is_map(m))
            return hn_yaml_fail(y, m, "'<<' takes a mapping or a list of mappings");
        if (!collect(y, m, c, depth + 1))
            return false;
    }
    return true;
}

bool hn_yaml_pairs(struct hn_yaml *y, yaml_node_t *n, struct hn_yaml_pair **out, size_t *n_out)
{
    struct collection c = {0};
    bool ok = collect(y, n, &c, 0);
    free(c.slots);
    if (!ok) {
        free(c.pairs);
        return false;
    }
    *out = c.pairs;
    *n_out = c.len;
    return true;
}

bool hn_yaml_map_pairs(struct hn_yaml *y, yaml_node_t *n, const char *what, const char *shape,
                       struct hn_yaml_pair **out, size_t *n_out)
{
    if (!hn_yaml_is_map(n))
        return hn_yaml_fail(y, n, "%s: expected a mapping of %s, got %s", what, shape,
                            hn_yaml_kind(n));
    return hn_yaml_pairs(y, n, out, n_out);
}

/* Levenshtein distance, capped: enough for "did you mean". */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost =
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *hn_nearest(const char *word, size_t len, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(word, len, candidates[i], strlen(candidates[i]));
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

bool hn_yaml_check_keys(struct hn_yaml *y, yaml_node_t *n, const char *const *allowed,
                        const char *what)
{
    struct hn_yaml_pair *pairs;
    size_t np, na = 0;
    if (!hn_yaml_pairs(y, n, &pairs, &np))
        return false;
    while (allowed[na])
        na++;
    bool ok = true;
    for (size_t i = 0; i < np && ok; i++) {
        bool known = false;
        for (size_t k = 0; k < na && !known; k++) {
            size_t al = strlen(allowed[k]);
            /* "x-*" admits any key with that prefix (a place for anchors) */
            known = al > 0 && allowed[k][al - 1] == '*'
                        ? strncmp(pairs[i].name, allowed[k], al - 1) == 0
                        : strcmp(pairs[i].name, allowed[k]) == 0;
        }
        if (known)
            continue;
        const char *plain[64]; /* candidates for the hint: no wildcards */
        size_t np_ = 0;
        for (size_t k = 0; k < na && np_ < 64; k++)
            if (allowed[k][0] && allowed[k][strlen(allowed[k]) - 1] != '*')
                plain[np_++] = allowed[k];
        const char *near = hn_nearest(pairs[i].name, strlen(pairs[i].name), plain, np_);
        char list[400] = "";
        size_t at = 0;
        for (size_t k = 0; k < na && at < sizeof(list); k++)
            at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", k ? ", " : "", allowed[k]);
        if (near)
            ok = hn_yaml_fail(y, pairs[i].key, "unknown key '%s' in %s (did you mean '%s'?)",
                              pairs[i].name, what, near);
        else
            ok = hn_yaml_fail(y, pairs[i].key, "unknown key '%s' in %s (known keys: %s)",
                              pairs[i].name, what, list);
    }
    free(pairs);
    return ok;
}

yaml_node_t *hn_yaml_get(struct hn_yaml *y, yaml_node_t *n, const char *key)
{
    struct hn_yaml_pair *pairs;
    size_t np;
    if (!hn_yaml_is_map(n) || !hn_yaml_pairs(y, n, &pairs, &np))
        return NULL;
    yaml_node_t *v = NULL;
    for (size_t i = 0; i < np && !v; i++)
        if (strcmp(pairs[i].name, key) == 0)
            v = pairs[i].value;
    free(pairs);
    return v;
}
