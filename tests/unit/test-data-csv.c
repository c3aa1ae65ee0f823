/* Unit tests of master/data_csv: data files are read as RFC 4180 says
 * (spaces belong to their field), and an error names the line its row
 * starts on, even after a quoted field that holds line breaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data_csv.h"
#include "error.h"
#include "model.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hn-data-csv-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/d.csv", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write @text as the data file and load it into a new scenario's feeder. */
static int load(const char *text, struct hn_scenario **s, struct hn_feeder **f, char *err,
                size_t err_len)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, strlen(text), out), strlen(text));
    assert_int_equal(fclose(out), 0);
    assert_non_null(*s = hn_scenario_new());
    assert_non_null(*f = hn_scenario_add_feeder(*s));
    uint64_t bytes_left = HN_MODEL_DATA_BYTES_MAX;
    err[0] = '\0';
    return hn_data_csv_load(path, *f, &bytes_left, err, err_len);
}

/* The file @text loads into the cells @want (header first), in order. */
static void expect_cells(const char *text, uint32_t n_columns, const char *const *want,
                         uint32_t n_want)
{
    struct hn_scenario *s;
    struct hn_feeder *f;
    char err[256];
    if (load(text, &s, &f, err, sizeof(err)) != 0)
        fail_msg("load failed: %s", err);
    assert_int_equal(f->n_columns, n_columns);
    assert_int_equal(n_columns + (uint64_t)f->n_rows * n_columns, n_want);
    for (uint32_t i = 0; i < n_want; i++) {
        const char *got = i < n_columns ? f->columns[i] : f->cells[i - n_columns];
        if (strcmp(got, want[i]) != 0)
            fail_msg("cell %u: want '%s', got '%s'", i, want[i], got);
    }
    hn_scenario_free(s);
}

/* The file @text is refused with "PATH:@where message". */
static void expect_error(const char *text, const char *where)
{
    struct hn_scenario *s;
    struct hn_feeder *f;
    char err[256], want[256];
    assert_int_equal(load(text, &s, &f, err, sizeof(err)), HN_E_INVALID);
    snprintf(want, sizeof(want), "%s:%s", path, where);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("want '%s...', got '%s'", want, err);
    hn_scenario_free(s);
}

/* Spaces and tabs are part of an unquoted field as of a quoted one: a
 * password that starts or ends with a space reaches the request as written. */
static void test_spaces_kept(void **state)
{
    (void)state;
    static const char *const want[] = {"name", " pass ", "  alice  ", "\t tab\t", "  bob  ", " x"};
    expect_cells("name, pass \n  alice  ,\t tab\t\n\"  bob  \", x\n", 2, want, 6);
    static const char *const crlf[] = {"a", "b", " 1 ", "2 "};
    expect_cells("a,b\r\n 1 ,2 \r\n", 2, crlf, 4);
}

/* A line of spaces is a row of one field, not an empty line: with one
 * column it is a value, with more it is a short row as any other. */
static void test_line_of_spaces(void **state)
{
    (void)state;
    static const char *const want[] = {"pass", "   ", "x"};
    expect_cells("pass\n   \n\nx\n", 1, want, 3);
    expect_error("email,password\na@x,1\n   \nb@x,2\n", "3:1: row has 1 field, the header has 2");
}

/* RFC 4180 has nothing between a closing quote and the comma: a space there
 * is refused as any other text, never dropped. */
static void test_space_after_quote(void **state)
{
    (void)state;
    expect_error("a,b\n\"1\" ,2\n", "2:1: error parsing data");
    expect_error("a,b\n1, \"2\"\n", "2:1: error parsing data");
}

/* An error in a row names the line the row starts on, however many lines
 * its quoted fields span, and blank lines before it are not its start. */
static void test_error_line_is_row_start(void **state)
{
    (void)state;
    expect_error("a,b\n1,2\n\"3\n\n\",4,5", "3:1: row has 3 fields, the header has 2");
    expect_error("a,b\n1,\"2\nx\",3\n", "2:1: row has 3 fields");
    expect_error("a,b\n\n\n1,2,3\n", "4:1: row has 3 fields");
    expect_error("a,b\n\"x\n\xff\",y\n", "2:1: field 1 is not UTF-8");
    expect_error("a,b\n1,2\n\"3\n\n", "3:1: unterminated quoted field");
    expect_error("a,b\n1,2\n3,\"4\n\n", "3:1: unterminated quoted field");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spaces_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_of_spaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_space_after_quote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_line_is_row_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
