/* Request templates ("Bearer {{token}}", "/api/products/{{random 1 1000}}"):
 * compiled once at load time into segments, so that a virtual user renders
 * a request by copying literals and substituting values, with no parsing.
 *
 * Syntax inside {{ }} (whitespace around words is ignored):
 *   name            a variable the user captured
 *   feeder.column   a column of the user's row of a data feeder
 *   random A B      a uniform integer in [A, B] (decimal, may be negative)
 *   uuid            a random UUID (version 4)
 *   user_id         the user's id, unique across the whole run (1, 2, ...)
 *   env NAME        an environment variable of the master, read at load time
 *   "text"          the text itself, e.g. {{"{{"}} for a literal "{{"
 * A "{{" without its "}}" is an error; a lone "}}" is literal text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_TEMPLATE_SEGS_MAX 1024 /* segments per template */

enum hn_seg_kind {
    HN_SEG_LITERAL, /* text[0..len) */
    HN_SEG_VAR,     /* the user's captured variable number a */
    HN_SEG_DATA,    /* column b of the user's row of feeder a */
    HN_SEG_RANDOM,  /* uniform integer in [lo, hi] */
    HN_SEG_UUID,    /* random UUID v4 */
    HN_SEG_USER_ID, /* the user's run-wide id */
    HN_SEG__COUNT
};

/* How a substituted value is written where it lands. Literal text is
 * escaped by the compiler already; only values are escaped when rendered. */
enum hn_escape {
    HN_ESC_NONE,   /* as is (raw bodies, check texts) */
    HN_ESC_URL,    /* bytes that cannot appear in a URL are percent-encoded:
                      controls, space, non-ASCII, "#<>\^`{|}; '%' is kept,
                      so a value that is percent-encoded already passes
                      unchanged */
    HN_ESC_HEADER, /* CR, LF and NUL become spaces (no header injection) */
    HN_ESC_JSON,   /* inside a JSON string: RFC 8259 escapes */
    HN_ESC_FORM,   /* application/x-www-form-urlencoded component */
    HN_ESC__COUNT
};

struct hn_seg {
    uint8_t kind;   /* enum hn_seg_kind */
    uint8_t escape; /* enum hn_escape, for every kind but LITERAL */
    uint32_t a, b;  /* VAR: slot; DATA: feeder, column */
    int64_t lo, hi; /* RANDOM bounds, lo <= hi */
    char *text;     /* LITERAL bytes (owned); may hold NUL bytes */
    uint32_t len;
    uint32_t cap; /* bytes text has room for (appends double it) */
};

struct hn_template {
    struct hn_seg *segs;
    uint32_t n_segs, cap;
    char *source; /* the text as written (for names and --check), owned */
};

/* What a name inside {{ }} means, asked of the caller (the scenario
 * compiler knows the class's variables and the data feeders). Fill @seg's
 * kind and a/b and return 0, or return HN_E_INVALID with a message in @why
 * ("unknown variable tokn (did you mean token?)"). @name is not
 * NUL-terminated. */
struct hn_template_names {
    int (*resolve)(void *ctx, const char *name, size_t len, struct hn_seg *seg, char *why,
                   size_t why_len);
    /* getenv for {{env NAME}}; NULL means getenv(3). */
    const char *(*getenv)(void *ctx, const char *name);
    void *ctx;
};

/* Where compiling failed: a byte offset into the source and a message. */
struct hn_template_error {
    size_t offset;
    char message[256];
};

/* Escapes literal text for its destination (JSON strings, form fields).
 * Appends the escaped form of @s[0..len) to @t. 0 or -ENOMEM. */
typedef int (*hn_template_literal_fn)(struct hn_template *t, const char *s, size_t len);

/* Parse @src[0..len) and append its segments to @t: literal text through
 * @literal (NULL: as is), values with @escape. Does not set t->source.
 * @return 0; HN_E_INVALID with @err filled (syntax, unknown name, unset
 *         environment variable); HN_E_TOO_LARGE (too many segments); -ENOMEM. */
int hn_template_append(struct hn_template *t, const char *src, size_t len, enum hn_escape escape,
                       hn_template_literal_fn literal, const struct hn_template_names *names,
                       struct hn_template_error *err);

/* hn_template_append into an empty @t, and t->source = a copy of @src; on
 * an error @t is left empty. Used by tests only: the scenario loader calls
 * hn_template_append with its own literal escaper and error messages, and
 * keeps the source itself (master/scenario_step.c). */
int hn_template_compile(struct hn_template *t, const char *src, size_t len, enum hn_escape escape,
                        const struct hn_template_names *names, struct hn_template_error *err);

/* Append a literal segment (merged with a literal before it). 0 or -ENOMEM
 * or HN_E_TOO_LARGE. */
int hn_template_add_literal(struct hn_template *t, const char *s, size_t len);
/* Append any segment (copied; a LITERAL's text is copied too). */
int hn_template_add_seg(struct hn_template *t, const struct hn_seg *seg);

/* Free the segments and the source; @t becomes empty. */
void hn_template_deinit(struct hn_template *t);

/* True if @t renders to fixed text (no segment but literals). */
bool hn_template_is_literal(const struct hn_template *t);
/* Length of the fixed text of a literal template (0 when empty). */
size_t hn_template_literal_len(const struct hn_template *t);
/* Its text (NULL when empty); valid while @t lives. */
const char *hn_template_literal_text(const struct hn_template *t);

/* Escaping helpers, shared by the compiler (literal text of JSON and form
 * bodies) and the worker's renderer (values). Each writes the escaped form
 * of @s[0..len) into @out (room for @cap bytes) and returns the length the
 * escaped form has, which may exceed @cap (then @out holds a prefix).
 * HN_ESC_JSON expands a byte to at most 6, the others to at most 3. */
size_t hn_escape_write(enum hn_escape esc, const char *s, size_t len, char *out, size_t cap);
#define HN_ESCAPE_GROWTH_MAX 6
