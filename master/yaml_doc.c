/* YAML documents under limits, and typed node access (see yaml_doc.h).
 * The file is parsed twice: once as events, cheaply, to refuse what is too
 * deep or too big before libyaml builds a tree of it; then as a tree. */
#include "yaml_doc.h"
#include "error.h"
#include "log.h"
#include "units.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ON_PATH UINT32_MAX /* check_expansion: a node whose children are being counted */

static void set_error(struct hn_yaml *y, unsigned line, unsigned col, const char *fmt, va_list ap)
{
    if (y->failed)
        return;
    y->failed = true;
    int n = snprintf(y->error, sizeof(y->error), "%s:%u:%u: ", y->path, line, col);
    if (n >= 0 && (size_t)n < sizeof(y->error))
        vsnprintf(y->error + n, sizeof(y->error) - (size_t)n, fmt, ap);
}

static bool fail_line(struct hn_yaml *y, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(y, line, col, fmt, ap);
    va_end(ap);
    return false;
}

void hn_yaml_warn(const struct hn_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
    unsigned line, col;
    hn_yaml_position(n, &line, &col);
    char msg[HN_YAML_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hn_log_warn("%s:%u:%u: %s", y->path, line, col, msg);
}

void hn_yaml_position(const yaml_node_t *n, unsigned *line, unsigned *col)
{
    *line = n ? (unsigned)n->start_mark.line + 1 : 1;
    *col = n ? (unsigned)n->start_mark.column + 1 : 1;
}

bool hn_yaml_fail(struct hn_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
    unsigned line, col;
    hn_yaml_position(n, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    set_error(y, line, col, fmt, ap);
    va_end(ap);
    return false;
}

/* Bytes of the line break at @s (@n bytes left), 0 if none: LF, CR LF,
 * CR, NEL (U+0085), U+2028, U+2029, as libyaml counts lines. */
static size_t line_break(const unsigned char *s, size_t n)
{
    if (s[0] == '\n')
        return 1;
    if (s[0] == '\r')
        return n >= 2 && s[1] == '\n' ? 2 : 1;
    if (s[0] == 0xc2 && n >= 2 && s[1] == 0x85)
        return 2;
    if (s[0] == 0xe2 && n >= 3 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
        return 3;
    return 0;
}

/* Characters (not bytes) between @from and @to, and the line count, as
 * libyaml counts its marks: columns in characters, lines by line_break. */
static void advance(const char *from, const char *to, unsigned *line, unsigned *col)
{
    const unsigned char *p = (const unsigned char *)from, *end = (const unsigned char *)to;
    while (p < end) {
        size_t brk = line_break(p, (size_t)(end - p));
        if (brk) {
            (*line)++;
            *col = 1;
            p += brk;
            continue;
        }
        if ((*p & 0xc0) != 0x80)
            (*col)++;
        p++;
    }
}

/* Bytes before the text libyaml's marks count: the UTF-8 byte order mark,
 * if any. False for a UTF-16 file (libyaml reads those too, as characters
 * that are not the file's bytes). */
static bool marks_start(const struct hn_yaml *y, size_t *skip)
{
    const unsigned char *s = (const unsigned char *)y->text;
    *skip = 0;
    if (y->len >= 2 && ((s[0] == 0xff && s[1] == 0xfe) || (s[0] == 0xfe && s[1] == 0xff)))
        return false;
    if (y->len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        *skip = 3;
    return true;
}

/* Where mark @m is in the file, or NULL. libyaml's index counts characters
 * (a CR LF as two) after the byte order mark: a byte offset only in an
 * ASCII file without one. */
static const char *mark_text(const struct hn_yaml *y, const yaml_mark_t *m)
{
    size_t at, chars = 0;
    if (!marks_start(y, &at))
        return NULL;
    for (; at < y->len; at++)
        if (((unsigned char)y->text[at] & 0xc0) != 0x80 && chars++ == m->index)
            return y->text + at;
    return NULL;
}

bool hn_yaml_fail_in(struct hn_yaml *y, const yaml_node_t *n, size_t offset, const char *fmt, ...)
{
    if (y->failed)
        return false; /* the first error is the one reported: spare the walk */
    unsigned line, col;
    hn_yaml_position(n, &line, &col);
    const char *raw = hn_yaml_is_scalar(n) ? mark_text(y, &n->start_mark) : NULL;
    if (raw && offset <= n->data.scalar.length) {
        size_t skip = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                              n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                          ? 1
                          : 0;
        bool verbatim = (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || skip) &&
                        (size_t)(raw - y->text) + skip + offset <= y->len &&
                        memcmp(raw + skip, n->data.scalar.value, offset) == 0;
        if (verbatim)
            advance(raw, raw + skip + offset, &line, &col);
    }
    va_list ap;
    va_start(ap, fmt);
    set_error(y, line, col, fmt, ap);
    va_end(ap);
    return false;
}

/* Where @p's error is: libyaml gives a reader error (bytes that are not
 * UTF-8, control characters) as a byte offset only, with no mark. Counted
 * as libyaml counts its marks: after a byte order mark, a line break being
 * LF, CR LF, CR, NEL, U+2028 or U+2029. A UTF-16 file (libyaml reads those
 * too) is left at 1:1. */
static void problem_position(const struct hn_yaml *y, const yaml_parser_t *p, unsigned *line,
                             unsigned *col)
{
    *line = *col = 1;
    if (p->error != YAML_READER_ERROR) {
        *line = (unsigned)p->problem_mark.line + 1;
        *col = (unsigned)p->problem_mark.column + 1;
        return;
    }
    size_t off = p->problem_offset < y->len ? p->problem_offset : y->len, i;
    if (!marks_start(y, &i))
        return;
    if (i < off)
        advance(y->text + i, y->text + off, line, col);
}

/* libyaml says "found character that cannot start any token" of a tab in
 * the indentation: say what it is. */
static const char *tab_hint(const struct hn_yaml *y, const yaml_parser_t *p)
{
    if (p->error == YAML_READER_ERROR)
        return "";
    size_t at = p->problem_mark.index < y->len ? p->problem_mark.index : y->len;
    size_t start = at;
    while (start > 0 && y->text[start - 1] != '\n')
        start--;
    for (size_t i = start; i < y->len && (y->text[i] == ' ' || y->text[i] == '\t'); i++)
        if (y->text[i] == '\t')
            return " (a tab: YAML indents with spaces)";
    return "";
}

/* Depth and size limits over the event stream; one document only. */
static int prescan(struct hn_yaml *y)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return -ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)y->text, y->len);
    unsigned depth = 0, docs = 0;
    uint64_t nodes = 0;
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            unsigned line, col;
            problem_position(y, &p, &line, &col);
            fail_line(y, line, col, "%s%s%s%s", p.problem ? p.problem : "YAML syntax error",
                      p.context ? " " : "", p.context ? p.context : "", tab_hint(y, &p));
            rc = HN_E_INVALID;
            break;
        }
        yaml_event_type_t t = ev.type;
        unsigned line = (unsigned)ev.start_mark.line + 1, col = (unsigned)ev.start_mark.column + 1;
        yaml_event_delete(&ev);
        if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            rc = HN_E_INVALID;
            fail_line(y, line, col, "a scenario file holds one YAML document (found a second)");
            break;
        }
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > HN_YAML_DEPTH_MAX) {
                rc = HN_E_INVALID;
                fail_line(y, line, col, "nested more than %d levels deep", HN_YAML_DEPTH_MAX);
                break;
            }
        }
        if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
            depth--;
        if ((t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
             t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) &&
            ++nodes > HN_YAML_NODES_MAX) {
            rc = HN_E_INVALID;
            fail_line(y, line, col, "more than %d YAML nodes", HN_YAML_NODES_MAX);
            break;
        }
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    return rc;
}

/* A node of the walk in check_expansion, its children being counted. */
struct expansion_frame {
    int id;
    size_t next;    /* the next child to count */
    uint32_t total; /* the node and the children counted so far, expanded */
};

/* Child @i of @n (a mapping's keys and values both count), 0 after the last. */
static int child_id(const yaml_node_t *n, size_t i)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return i < (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                   ? n->data.sequence.items.start[i]
                   : 0;
    if (n->type != YAML_MAPPING_NODE ||
        i / 2 >= (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start))
        return 0;
    const yaml_node_pair_t *p = &n->data.mapping.pairs.start[i / 2];
    return i % 2 ? p->value : p->key;
}

/* The document's size once aliases are expanded, counted once, right after
 * loading: a few lines of aliases of aliases ("billion laughs") expand to
 * billions of nodes, and every later walk of the tree would go through
 * them. In libyaml's tree an alias is its anchor's node reached again, so
 * each node's expanded size is computed once, from its children's (one pass
 * over the nodes and their links, never over the expansion), and the walk
 * stops at the first node past HN_YAML_EXPANDED_MAX. An anchor holding an
 * alias of itself (&a [*a]) expands without end: refused too. Iterative: a
 * chain of aliases can be as deep as the file has nodes. */
static int check_expansion(struct hn_yaml *y)
{
    size_t n_nodes = (size_t)(y->doc.nodes.top - y->doc.nodes.start);
    if (!n_nodes)
        return 0;
    uint32_t *size = calloc(n_nodes + 1, sizeof(*size)); /* by node id; 0: not reached */
    struct expansion_frame *stack = malloc(n_nodes * sizeof(*stack));
    int rc = 0;
    if (!size || !stack) {
        rc = -ENOMEM;
        goto out;
    }
    size_t top = 0;
    stack[top++] = (struct expansion_frame){1, 0, 1};
    size[1] = ON_PATH;
    while (top) {
        struct expansion_frame *f = &stack[top - 1];
        yaml_node_t *n = yaml_document_get_node(&y->doc, f->id);
        int c = child_id(n, f->next++);
        if (c && size[c] == ON_PATH) {
            hn_yaml_fail(y, yaml_document_get_node(&y->doc, c),
                         "an alias inside its own anchor: the document would never end");
            rc = HN_E_INVALID;
            break;
        }
        if (c && !size[c]) {
            size[c] = ON_PATH;
            stack[top++] = (struct expansion_frame){c, 0, 1};
            continue;
        }
        uint32_t add = c ? size[c] : f->total;
        if (!c) { /* all of @n counted */
            size[f->id] = f->total;
            if (!--top)
                break;
            f = &stack[top - 1];
            n = yaml_document_get_node(&y->doc, f->id);
        }
        f->total += add; /* at most twice the bound: no overflow */
        if (f->total > HN_YAML_EXPANDED_MAX) {
            hn_yaml_fail(y, n, "the document expands to more than %d nodes (aliases of aliases?)",
                         HN_YAML_EXPANDED_MAX);
            rc = HN_E_INVALID;
            break;
        }
    }
out:
    free(size);
    free(stack);
    return rc;
}

int hn_yaml_load_text(struct hn_yaml *y, const char *path, const char *text, size_t len)
{
    memset(y, 0, sizeof(*y));
    y->path = path;
    if (len > HN_YAML_FILE_MAX) {
        fail_line(y, 1, 1, "file of %zu bytes (at most %u)", len, HN_YAML_FILE_MAX);
        return HN_E_INVALID;
    }
    if (!(y->text = malloc(len + 1)))
        return -ENOMEM;
    memcpy(y->text, text, len);
    y->text[len] = '\0';
    y->len = len;
    HN_TRY(prescan(y));
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return -ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)y->text, y->len);
    int rc = 0;
    if (!yaml_parser_load(&p, &y->doc)) {
        rc = p.error == YAML_MEMORY_ERROR ? -ENOMEM : HN_E_INVALID;
        unsigned line, col;
        problem_position(y, &p, &line, &col);
        fail_line(y, line, col, "%s", p.problem ? p.problem : "YAML error");
    } else {
        y->loaded = true;
    }
    yaml_parser_delete(&p);
    return rc ? rc : check_expansion(y);
}

int hn_yaml_load(struct hn_yaml *y, const char *path)
{
    memset(y, 0, sizeof(*y));
    y->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_line(y, 1, 1, "cannot read: %s", strerror(errno));
        return HN_E_INVALID;
    }
    char *buf = malloc(HN_YAML_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n = fread(buf, 1, HN_YAML_FILE_MAX + 1, f);
    bool bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        fail_line(y, 1, 1, "cannot read: %s", strerror(errno));
        rc = HN_E_INVALID;
    } else if (n > HN_YAML_FILE_MAX) {
        fail_line(y, 1, 1, "file larger than %u bytes", HN_YAML_FILE_MAX);
        rc = HN_E_INVALID;
    } else {
        rc = hn_yaml_load_text(y, path, buf, n);
    }
    free(buf);
    return rc;
}

void hn_yaml_free(struct hn_yaml *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    y->loaded = false;
    free(y->text);
    y->text = NULL;
}

yaml_node_t *hn_yaml_root(struct hn_yaml *y)
{
    return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

bool hn_yaml_is_plain(const yaml_node_t *n)
{
    return hn_yaml_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!n->tag || strcmp((const char *)n->tag, YAML_DEFAULT_SCALAR_TAG) == 0);
}

bool hn_yaml_is_null(const yaml_node_t *n)
{
    if (!hn_yaml_is_plain(n))
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return !v[0] || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

const char *hn_yaml_kind(const yaml_node_t *n)
{
    if (!n)
        return "nothing";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (hn_yaml_is_null(n))
        return "null";
    return hn_yaml_is_plain(n) ? "a plain value" : "a string";
}

size_t hn_yaml_items(const yaml_node_t *n)
{
    return hn_yaml_is_seq(n) ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
                             : 0;
}

yaml_node_t *hn_yaml_item(struct hn_yaml *y, yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

bool hn_yaml_string(struct hn_yaml *y, yaml_node_t *n, size_t max, const char **s, size_t *len,
                    const char *what)
{
    if (!hn_yaml_is_scalar(n) || hn_yaml_is_null(n))
        return hn_yaml_fail(y, n, "%s: expected a string, got %s", what, hn_yaml_kind(n));
    if (n->data.scalar.length > max)
        return hn_yaml_fail(y, n, "%s: %zu bytes (at most %zu)", what, n->data.scalar.length, max);
    if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
        return hn_yaml_fail(y, n, "%s: contains a NUL character", what);
    *s = (const char *)n->data.scalar.value;
    if (len)
        *len = n->data.scalar.length;
    return true;
}

bool hn_yaml_uint(struct hn_yaml *y, yaml_node_t *n, uint64_t min, uint64_t max, uint64_t *out,
                  const char *what)
{
    uint64_t v;
    const char *text = hn_yaml_is_scalar(n) ? (const char *)n->data.scalar.value : "";
    if (hn_yaml_is_plain(n) && text[0] >= '0' && text[0] <= '9' &&
        strspn(text, "0123456789") == strlen(text) &&
        hn_units_parse_count(text, UINT64_MAX, &v)) /* digits only: too many of them */
        return hn_yaml_fail(y, n, "%s: %s is out of range (%llu..%llu)", what, text,
                            (unsigned long long)min, (unsigned long long)max);
    if (!hn_yaml_is_plain(n) || hn_yaml_is_null(n) ||
        hn_units_parse_count((const char *)n->data.scalar.value, UINT64_MAX, &v))
        return hn_yaml_fail(y, n, "%s: expected a whole number, got %s%s%s%s", what,
                            hn_yaml_kind(n), hn_yaml_is_scalar(n) ? " '" : "",
                            hn_yaml_is_scalar(n) ? (const char *)n->data.scalar.value : "",
                            hn_yaml_is_scalar(n) ? "'" : "");
    if (v < min || v > max)
        return hn_yaml_fail(y, n, "%s: %llu is out of range (%llu..%llu)", what,
                            (unsigned long long)v, (unsigned long long)min,
                            (unsigned long long)max);
    *out = v;
    return true;
}

bool hn_yaml_bool(struct hn_yaml *y, yaml_node_t *n, bool *out, const char *what)
{
    const char *v = hn_yaml_is_plain(n) ? (const char *)n->data.scalar.value : "";
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
        *out = false;
    else
        return hn_yaml_fail(y, n, "%s: expected true or false, got %s%s%s%s", what, hn_yaml_kind(n),
                            hn_yaml_is_scalar(n) ? " '" : "",
                            hn_yaml_is_scalar(n) ? (const char *)n->data.scalar.value : "",
                            hn_yaml_is_scalar(n) ? "'" : "");
    return true;
}

bool hn_yaml_duration_ms(struct hn_yaml *y, yaml_node_t *n, uint64_t *out, const char *what)
{
    if (!hn_yaml_is_scalar(n) || hn_yaml_is_null(n) ||
        hn_units_parse_duration_ms((const char *)n->data.scalar.value, out))
        return hn_yaml_fail(y, n,
                            "%s: expected a duration such as 500ms, 10s, 1m30s, got %s%s%s%s",
                            what, hn_yaml_kind(n), hn_yaml_is_scalar(n) ? " '" : "",
                            hn_yaml_is_scalar(n) ? (const char *)n->data.scalar.value : "",
                            hn_yaml_is_scalar(n) ? "'" : "");
    return true;
}
