/* A YAML file as a tree of nodes with positions (libyaml's document API),
 * loaded under limits that hostile files cannot get past (size, nesting,
 * node count, alias expansion), and the typed accessors the scenario loader
 * uses. The first error is kept as "FILE:LINE:COL: message". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#define HN_YAML_FILE_MAX (4u << 20)   /* bytes of a scenario file */
#define HN_YAML_DEPTH_MAX 64          /* nesting of sequences and mappings */
#define HN_YAML_NODES_MAX 200000      /* nodes in the file */
#define HN_YAML_EXPANDED_MAX 1000000  /* nodes once aliases are expanded */
#define HN_YAML_ERROR_MAX 600

struct hn_yaml {
    const char *path; /* as given, for messages */
    char *text;       /* the file, NUL-terminated */
    size_t len;
    yaml_document_t doc;
    bool loaded;
    bool failed;
    char error[HN_YAML_ERROR_MAX]; /* "FILE:LINE:COL: message" */
};

/* One key: value of a mapping, merge keys ("<<: *base") resolved. */
struct hn_yaml_pair {
    yaml_node_t *key, *value;
    const char *name; /* the key's text */
};

/* Read and parse @path. 0; HN_E_INVALID with y->error set (unreadable,
 * too large, YAML syntax, limits); -ENOMEM. hn_yaml_free in every case. */
int hn_yaml_load(struct hn_yaml *y, const char *path);
/* Parse @text[0..len) (a copy is kept), reported as @path. */
int hn_yaml_load_text(struct hn_yaml *y, const char *path, const char *text, size_t len);
void hn_yaml_free(struct hn_yaml *y);

/* The root node; NULL for an empty file. */
yaml_node_t *hn_yaml_root(struct hn_yaml *y);

/* Record the first error, at @n's start (or 0:0 for NULL), and return
 * false. Later calls are ignored: the first error is the one reported. */
bool hn_yaml_fail(struct hn_yaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log a warning "FILE:LINE:COL: message" at @n: something the file may
 * mean, whose consequence the user should know before the run. */
void hn_yaml_warn(const struct hn_yaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, at byte @offset of scalar @n's value when the file holds that
 * value verbatim (plain and simple quoted scalars), else at its start. */
bool hn_yaml_fail_in(struct hn_yaml *y, const yaml_node_t *n, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Line and column (1-based; the column in characters, as libyaml counts)
 * of @n's start. */
void hn_yaml_position(const yaml_node_t *n, unsigned *line, unsigned *col);

static inline bool hn_yaml_is_map(const yaml_node_t *n)
{
    return n && n->type == YAML_MAPPING_NODE;
}
static inline bool hn_yaml_is_seq(const yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE;
}
static inline bool hn_yaml_is_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE;
}
/* A scalar written without quotes or tag (so "1", true, ~ are typed). */
bool hn_yaml_is_plain(const yaml_node_t *n);
/* A plain null: ~, null, Null, NULL or nothing. */
bool hn_yaml_is_null(const yaml_node_t *n);
/* What @n is, for messages: "a mapping", "a list", "a string", ... */
const char *hn_yaml_kind(const yaml_node_t *n);

/* The pairs of mapping @n (merge keys resolved, explicit keys winning),
 * into a new array *out of *n_out pairs (free it). Keys must be strings
 * and appear once. False (error recorded) otherwise. */
bool hn_yaml_pairs(struct hn_yaml *y, yaml_node_t *n, struct hn_yaml_pair **out, size_t *n_out);
/* The same for a node that must be a mapping: otherwise fails with
 * "@what: expected a mapping of @shape, got <kind>" at @n. */
bool hn_yaml_map_pairs(struct hn_yaml *y, yaml_node_t *n, const char *what, const char *shape,
                       struct hn_yaml_pair **out, size_t *n_out);
/* Item @i of sequence @n. */
yaml_node_t *hn_yaml_item(struct hn_yaml *y, yaml_node_t *n, size_t i);
size_t hn_yaml_items(const yaml_node_t *n);

/* Every key of mapping @n must be one of @allowed (NULL-terminated; an
 * entry ending in '*' admits any key with that prefix); the error names the
 * nearest one ("did you mean 'weight'?"). @what names the mapping ("user
 * class"). */
bool hn_yaml_check_keys(struct hn_yaml *y, yaml_node_t *n, const char *const *allowed,
                        const char *what);
/* Value of key @key of mapping @n, or NULL. */
yaml_node_t *hn_yaml_get(struct hn_yaml *y, yaml_node_t *n, const char *key);

/* Typed values; on a wrong type or value the error names @what. */
bool hn_yaml_string(struct hn_yaml *y, yaml_node_t *n, size_t max, const char **s, size_t *len,
                    const char *what);
bool hn_yaml_uint(struct hn_yaml *y, yaml_node_t *n, uint64_t min, uint64_t max, uint64_t *out,
                  const char *what);
bool hn_yaml_bool(struct hn_yaml *y, yaml_node_t *n, bool *out, const char *what);
bool hn_yaml_duration_ms(struct hn_yaml *y, yaml_node_t *n, uint64_t *out, const char *what);

/* The candidate closest to @word (edit distance at most 2, or a third of
 * its length), or NULL: for "did you mean" hints. */
const char *hn_nearest(const char *word, size_t len, const char *const *candidates, size_t n);
