/* Private state of the scenario loader, shared by scenario_load.c (file,
 * top-level sections, classes, tasks), scenario_data.c (data files),
 * scenario_step.c (steps, templates,
 * captures, checks) and scenario_body.c (json and form bodies). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "run_plan.h"
#include "scenario_load.h"
#include "template.h"
#include "yaml_doc.h"

struct hn_loader {
    struct hn_yaml y;
    struct hn_scenario *s;
    const struct hn_load_options *opt;
    struct hn_load_info *info;
    char dir[PATH_MAX]; /* directory of the scenario file: data paths are relative to it */
    uint64_t data_left; /* bytes of data cells still allowed */
    /* The class being read (NULL: scenario defaults): the variables its
     * steps capture, so a template naming another is refused with its
     * position. */
    const char *class_name;
    const struct hn_user_class *cls; /* the class being read (its headers), or NULL */
    const char *captured[HN_MODEL_VARS_MAX];
    uint32_t n_captured;
    yaml_node_t *tpl_node; /* scalar whose template is being compiled */
    yaml_node_t *engine_node; /* http.engine, for its errors (NULL: not in the file) */
    yaml_node_t *http_version_node; /* http.version, for its errors (NULL: not given) */
    uint32_t steps_total;  /* steps read so far, against HN_MODEL_STEPS_TOTAL_MAX */
    struct hn_run_plan *plan; /* load:, arrival:, thresholds: */
    yaml_node_t *threshold_nodes[HN_THRESHOLDS_MAX]; /* for errors found later */
};

/* scenario_load.c */
/* @path relative to the scenario file's directory (absolute ones as is). */
void hn_load_resolve_path(const struct hn_loader *L, const char *path, char *out, size_t len);

/* scenario_data.c */
/* The data: section (name: {csv: FILE, order: ...}); errors in @err as
 * FILE:LINE:COL (a CSV file's own, or the scenario's). */
bool hn_load_data(struct hn_loader *L, yaml_node_t *n, char *err, size_t err_len);

/* scenario_step.c */
/* Compile the text of scalar @n as a template with @escape; literal text
 * goes through @literal (NULL: as is). Errors point into the scalar. */
bool hn_load_template(struct hn_loader *L, yaml_node_t *n, const char *text, size_t len,
                      enum hn_escape escape, hn_template_literal_fn literal,
                      struct hn_template *t, const char *what);
/* A step: a mapping with one method key. @extra: keys the caller reads
 * (weight, tags), NULL-terminated, or NULL. */
bool hn_load_step(struct hn_loader *L, yaml_node_t *n, struct hn_step *st,
                  const char *const *extra);
/* Collect the variable names the steps under @n capture (a list of steps
 * or tasks, sequences included) into L->captured. */
bool hn_load_collect_captures(struct hn_loader *L, yaml_node_t *n);
/* Headers: a mapping of name to value into @h / @n. */
bool hn_load_headers(struct hn_loader *L, yaml_node_t *n, struct hn_header **h, uint32_t *count);

/* scenario_plan.c: load:, arrival: and thresholds: of @root into L->plan
 * (@users: the users: node, for class names --tags dropped). */
bool hn_load_plan(struct hn_loader *L, yaml_node_t *root, yaml_node_t *users);
/* After hn_scenario_finalize: warn (FILE:LINE:COL) of each scoped
 * threshold whose entry the scenario does not have; it fails at the end. */
void hn_load_plan_warn_scopes(struct hn_loader *L);

/* scenario_body.c: the body of a step from its json, form or body key. */
/* JSON's number grammar (RFC 8259 §6): plain YAML numbers written so are
 * JSON numbers (kept as written), others are strings. */
bool hn_load_json_number(const char *s);
/* Text as written, bounded (a query's, for its URL's name). */
struct hn_load_text {
    char text[HN_MODEL_STR_MAX + 1];
    size_t len;
    bool over; /* something did not fit */
};
/* Append @s[0..len) if it fits, else set over. */
void hn_load_text_append(struct hn_load_text *x, const char *s, size_t len);
/* Mapping @n of {field: value, field: [v1, v2]} url-encoded into @t as
 * field=value&field=v1&field=v2 (form bodies, queries); at most @max bytes
 * of literal text; as written into @shown when not NULL. Errors name @what. */
bool hn_load_urlencoded(struct hn_loader *L, yaml_node_t *n, const char *what, size_t max,
                        struct hn_template *t, struct hn_load_text *shown);
bool hn_load_body(struct hn_loader *L, yaml_node_t *json, yaml_node_t *form, yaml_node_t *raw,
                  struct hn_step *st);
