/* Values out of a response body for captures and checks: a JSON path
 * (yajl's streaming parser, stopped as soon as the value is found) or the
 * first group of a regular expression (PCRE2). Run on the engine threads;
 * nothing is kept between calls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "jsonpath.h"
#include "model.h"
#include "regex.h"

/* Kind of a JSON value found: enum hn_json_type, or one of these. */
#define HN_JSON_OBJECT HN_JSON__COUNT
#define HN_JSON_ARRAY (HN_JSON__COUNT + 1)

struct hn_extract {
    int type;      /* enum hn_json_type, HN_JSON_OBJECT or HN_JSON_ARRAY */
    char *out;     /* caller's buffer */
    size_t cap;    /* its size */
    size_t len;    /* bytes of the value (may exceed cap: then too long) */
};

/* Find @path in the JSON text @body[0..len). The value goes to x->out as
 * text: a string decoded, a number as written, true/false/null, an object
 * or array as its JSON text. Returns 1 found, 0 not found, -1 the body is
 * not JSON (up to the value, or at all when not found), -ENOMEM. No
 * allocation unless the parser needs more than a per-thread arena. */
int hn_extract_json(const struct hn_jsonpath *path, const char *body, size_t len,
                    struct hn_extract *x);

/* First match of @re in @body: the first group when the pattern has one,
 * else the whole match, as (offset, length) into @body. @re: from
 * hn_regex_compile; @md: match data of the calling thread
 * (pcre2_match_data_create(2, NULL)). Returns 1 found,
 * 0 not found, -1 error (e.g. the match limit). */
int hn_extract_regex(const pcre2_code *re, pcre2_match_data *md, const char *body, size_t len,
                     size_t *off, size_t *vlen);
