/* CSV data feeders (see data_csv.h). The file is fed to libcsv one line at
 * a time, so a field or row error can name the line it is on. */
#include "data_csv.h"
#include "error.h"
#include "utf8.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const char *path;
    struct hn_feeder *f;
    uint64_t *bytes_left;
    char *err;
    size_t err_len;
    int rc;
    unsigned line;     /* line being fed (1-based) */
    unsigned row_line; /* line the current record started on; 0 between records */
    char **fields;     /* fields of the current record */
    uint32_t n_fields;
    bool header_done;
    uint32_t cap_rows; /* rows the cells array has room for */
};

static void fail(struct reader *r, unsigned line, const char *fmt, ...)
{
    if (r->rc)
        return;
    r->rc = HN_E_INVALID;
    int n = snprintf(r->err, r->err_len, "%s:%u:1: ", r->path, line);
    if (n >= 0 && (size_t)n < r->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

static void on_field(void *s, size_t len, void *data)
{
    struct reader *r = data;
    if (r->rc)
        return;
    if (!r->row_line)
        r->row_line = r->line; /* a record after a bare CR ends one mid-line */
    if (r->n_fields == HN_MODEL_COLUMNS_MAX) {
        fail(r, r->row_line, "more than %d fields in a row", HN_MODEL_COLUMNS_MAX);
        return;
    }
    const char *text = s ? s : "";
    if (len > HN_MODEL_STR_MAX) {
        fail(r, r->row_line, "field %u is %zu bytes (at most %d)", r->n_fields + 1, len,
             HN_MODEL_STR_MAX);
        return;
    }
    for (size_t i = 0; i < len;) {
        size_t n = hn_utf8_char_len(text + i, len - i);
        if (n == 0) {
            fail(r, r->row_line, "field %u is not UTF-8 text (or holds a NUL byte)",
                 r->n_fields + 1);
            return;
        }
        i += n;
    }
    if (len + 1 > *r->bytes_left) {
        fail(r, r->row_line, "data files hold more than %u bytes in all", HN_MODEL_DATA_BYTES_MAX);
        return;
    }
    *r->bytes_left -= len + 1;
    char *copy = strndup(text, len);
    if (!copy) {
        r->rc = -ENOMEM;
        return;
    }
    r->fields[r->n_fields++] = copy;
}

static void free_fields(struct reader *r)
{
    for (uint32_t i = 0; i < r->n_fields; i++)
        free(r->fields[i]);
    r->n_fields = 0;
}

static void take_row(struct reader *r)
{
    struct hn_feeder *f = r->f;
    if (r->rc) {
        free_fields(r);
        return;
    }
    if (!r->header_done) {
        for (uint32_t i = 0; i < r->n_fields; i++) {
            if (!r->fields[i][0]) {
                fail(r, r->row_line, "header: column %u has no name", i + 1);
                break;
            }
            for (uint32_t k = 0; k < i; k++)
                if (!strcmp(r->fields[k], r->fields[i]))
                    fail(r, r->row_line, "header: column '%s' named twice", r->fields[i]);
        }
        if (r->rc) {
            free_fields(r);
            return;
        }
        f->columns = malloc(r->n_fields * sizeof(*f->columns));
        if (!f->columns) {
            r->rc = -ENOMEM;
            free_fields(r);
            return;
        }
        memcpy(f->columns, r->fields, r->n_fields * sizeof(*f->columns));
        f->n_columns = r->n_fields;
        r->n_fields = 0;
        r->header_done = true;
        return;
    }
    if (r->n_fields != f->n_columns) {
        fail(r, r->row_line, "row has %u field%s, the header has %u", r->n_fields,
             r->n_fields == 1 ? "" : "s", f->n_columns);
        free_fields(r);
        return;
    }
    if (f->n_rows == HN_MODEL_ROWS_MAX) {
        fail(r, r->row_line, "more than %d rows", HN_MODEL_ROWS_MAX);
        free_fields(r);
        return;
    }
    if (f->n_rows == r->cap_rows) {
        uint32_t cap = r->cap_rows ? r->cap_rows * 2 : 64;
        char **cells = realloc(f->cells, (size_t)cap * f->n_columns * sizeof(*cells));
        if (!cells) {
            r->rc = -ENOMEM;
            free_fields(r);
            return;
        }
        f->cells = cells;
        r->cap_rows = cap;
    }
    memcpy(&f->cells[(size_t)f->n_rows * f->n_columns], r->fields,
           f->n_columns * sizeof(*r->fields));
    f->n_rows++;
    r->n_fields = 0;
}

static void on_row(int c, void *data)
{
    (void)c;
    struct reader *r = data;
    take_row(r);
    r->row_line = 0;
}

/* A record starts on the first line that is not blank (libcsv skips blank
 * lines between records) once the last one has ended: its first field may
 * end lines later, in quotes, so on_field is too late to tell. */
static void note_row_start(struct reader *r, const char *text, size_t len)
{
    if (!r->row_line && strspn(text, "\r\n") < len)
        r->row_line = r->line;
}

/* libcsv's default trims spaces and tabs around unquoted fields and after a
 * closing quote, and skips a line of them; RFC 4180 keeps them in the field
 * (a password may start with a space), so nothing is a space to libcsv. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

int hn_data_csv_load(const char *path, struct hn_feeder *f, uint64_t *bytes_left, char *err,
                     size_t err_len)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        return HN_E_INVALID;
    }
    char *fields[HN_MODEL_COLUMNS_MAX];
    struct reader r = {.path = path, .f = f, .bytes_left = bytes_left, .err = err,
                       .err_len = err_len, .fields = fields};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        fclose(in);
        return -ENOMEM;
    }
    csv_set_space_func(&p, no_space);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t read_bytes = 0;
    while (!r.rc && (n = getline(&line, &cap, in)) > 0) {
        r.line++;
        if ((read_bytes += (uint64_t)n) > HN_DATA_CSV_FILE_MAX) {
            fail(&r, r.line, "the file is larger than %u MiB", HN_DATA_CSV_FILE_MAX >> 20);
            break;
        }
        const char *text = line;
        if (r.line == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
            text += 3; /* a UTF-8 byte order mark, as spreadsheets write */
            n -= 3;
        }
        note_row_start(&r, text, (size_t)n);
        if (csv_parse(&p, text, (size_t)n, on_field, on_row, &r) != (size_t)n && !r.rc)
            fail(&r, r.line, "%s (a quote in an unquoted field, or text after a closing quote?)",
                 csv_strerror(csv_error(&p)));
    }
    if (!r.rc && ferror(in))
        fail(&r, r.line, "cannot read: %s", strerror(errno));
    if (!r.rc && csv_fini(&p, on_field, on_row, &r) != 0)
        fail(&r, r.row_line ? r.row_line : r.line, "unterminated quoted field");
    if (!r.rc && !r.header_done)
        fail(&r, 1, "empty file: a header row naming the columns comes first");
    free_fields(&r);
    free(line);
    csv_free(&p);
    fclose(in);
    if (!r.rc && f->cells == NULL && (f->cells = calloc(1, sizeof(*f->cells))) == NULL)
        return -ENOMEM;
    if (r.rc < 0)
        snprintf(err, err_len, "%s: out of memory", path);
    return r.rc;
}
