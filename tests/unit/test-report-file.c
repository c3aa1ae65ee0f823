/* Unit tests of master/report_file: a report replaces a regular file
 * atomically (no temporary left), is written through a symbolic link (the
 * link stays, the file it names gets the report, as "> link" does), and
 * into what is not a regular file in place: a FIFO (standing in for a
 * device such as /dev/null) stays a FIFO. A rename over it replaced the
 * node itself, and as root --json /dev/full replaced /dev/full. A link
 * planted where the temporary file goes is not followed, and a path that
 * is our standard output is appended to, not replaced. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "report_file.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hn-report-file-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int body(FILE *f, void *ctx)
{
    return fputs((const char *)ctx, f) < 0 ? -EIO : 0;
}

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void slurp(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_regular(void **state)
{
    (void)state;
    char p[128], tmp[136], got[64];
    path_of(p, sizeof(p), "r.json");
    assert_int_equal(hn_report_file_write(p, body, "one"), 0);
    assert_int_equal(hn_report_file_write(p, body, "two"), 0);
    slurp(p, got, sizeof(got));
    assert_string_equal(got, "two");
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    assert_int_equal(access(tmp, F_OK), -1);
}

static void test_symlink(void **state)
{
    (void)state;
    char real[128], link[128], got[64];
    struct stat st;
    path_of(real, sizeof(real), "real.json");
    path_of(link, sizeof(link), "link.json");
    FILE *f = fopen(real, "w");
    fputs("original", f);
    fclose(f);
    assert_int_equal(symlink("real.json", link), 0);
    assert_int_equal(hn_report_file_write(link, body, "report"), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    slurp(real, got, sizeof(got));
    assert_string_equal(got, "report");
    /* A dangling link: written through, which creates what it names. */
    char dangling[128], named[128];
    path_of(dangling, sizeof(dangling), "dangling.json");
    path_of(named, sizeof(named), "named.json");
    assert_int_equal(symlink("named.json", dangling), 0);
    assert_int_equal(hn_report_file_write(dangling, body, "new"), 0);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    slurp(named, got, sizeof(got));
    assert_string_equal(got, "new");
}

/* The start-up check of a dangling link keeps the link (it removed the
 * link and left an empty file where it pointed), and creates nothing (it
 * created what the link named, then removed it by a name someone could
 * have pointed elsewhere meanwhile): only the named directory is checked. */
static void test_check_dangling(void **state)
{
    (void)state;
    char link[128], named[128];
    struct stat st;
    path_of(link, sizeof(link), "d.json");
    path_of(named, sizeof(named), "d-named.json");
    assert_int_equal(symlink("d-named.json", link), 0);
    assert_int_equal(hn_report_file_check(link), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(access(named, F_OK), -1);
    char nowhere[128];
    path_of(nowhere, sizeof(nowhere), "nowhere.json");
    assert_int_equal(symlink("no-such-dir/r.json", nowhere), 0);
    assert_int_equal(hn_report_file_check(nowhere), -ENOENT);
    /* Chains are followed as the writer's open will: to a missing
     * directory, around a loop, and to where the file can be made. */
    char chain[128], chain2[128], loop[128];
    path_of(chain, sizeof(chain), "chain.json");
    path_of(chain2, sizeof(chain2), "chain2.json");
    path_of(loop, sizeof(loop), "loop.json");
    assert_int_equal(symlink("chain2.json", chain), 0);
    assert_int_equal(symlink("no-such-dir/r.json", chain2), 0);
    assert_int_equal(hn_report_file_check(chain), -ENOENT);
    assert_int_equal(unlink(chain2), 0);
    assert_int_equal(symlink("chain-end.json", chain2), 0);
    assert_int_equal(hn_report_file_check(chain), 0);
    assert_int_equal(lstat(chain2, &st), 0); /* nothing made, nothing removed */
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(symlink("loop.json", loop), 0);
    assert_int_equal(hn_report_file_check(loop), -ELOOP);
}

/* Something planted at "<path>.tmp" (a link to a file of someone else's)
 * is not written through: it is removed and a file of our own made. */
static void test_planted_tmp(void **state)
{
    (void)state;
    char victim[128], p[128], tmp[136], got[64];
    path_of(victim, sizeof(victim), "victim");
    path_of(p, sizeof(p), "r.json");
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    FILE *f = fopen(victim, "w");
    fputs("precious", f);
    fclose(f);
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(hn_report_file_write(p, body, "report"), 0);
    slurp(victim, got, sizeof(got));
    assert_string_equal(got, "precious");
    slurp(p, got, sizeof(got));
    assert_string_equal(got, "report");
    assert_int_equal(access(tmp, F_OK), -1);
}

/* A path that is this process's standard output (/dev/stdout, or the file
 * "> log" opened) is written there, appending as ">> log" asks, instead of
 * being replaced. */
static void test_stdout_path(void **state)
{
    (void)state;
    char log[128], got[64];
    path_of(log, sizeof(log), "ci.log");
    FILE *f = fopen(log, "w");
    fputs("earlier\n", f);
    fclose(f);
    fflush(stdout);
    int saved = dup(1), fd = open(log, O_WRONLY | O_APPEND);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    int err = hn_report_file_write(log, body, "report");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(err, 0);
    slurp(log, got, sizeof(got));
    assert_string_equal(got, "earlier\nreport");
}

static void test_fifo(void **state)
{
    (void)state;
    char p[128], got[64] = "";
    struct stat st;
    path_of(p, sizeof(p), "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(hn_report_file_check(p), 0); /* without blocking */
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(hn_report_file_write(p, body, "through"), 0);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    ssize_t n = read(rd, got, sizeof(got) - 1);
    assert_int_equal(n, 7);
    got[n] = '\0';
    assert_string_equal(got, "through");
    close(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_dangling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
