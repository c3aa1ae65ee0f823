/* Unit tests of proto/curve: key files, allow lists and fingerprints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "curve.h"
#include "error.h"

static char dir[64];

static const char *path_of(const char *name)
{
    static char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void write_text(const char *name, const char *text, mode_t mode)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path_of(name), mode);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hn-test-curve-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void test_secret_file(void **state)
{
    (void)state;
    struct hn_curve_keypair kp, loaded;
    char why[256], line[64];
    assert_int_equal(hn_curve_keypair_new(&kp), 0);
    snprintf(line, sizeof(line), "%s\n", kp.secret_z85);
    write_text("a.key", line, 0600);
    assert_int_equal(hn_curve_load_secret(path_of("a.key"), &loaded, why, sizeof(why)), 0);
    assert_string_equal(loaded.public_z85, kp.public_z85);
    write_text("bad.key", "not a key\n", 0600);
    assert_int_equal(hn_curve_load_secret(path_of("bad.key"), &loaded, why, sizeof(why)),
                     HN_E_INVALID);
    assert_non_null(strstr(why, "not a secret key"));
    assert_true(hn_curve_load_secret(path_of("none.key"), &loaded, why, sizeof(why)) < 0);
    /* Others may read it: refused, as ssh refuses its keys. */
    write_text("open.key", line, 0640);
    assert_int_equal(hn_curve_load_secret(path_of("open.key"), &loaded, why, sizeof(why)),
                     HN_E_INVALID);
    assert_non_null(strstr(why, "other users may read it (mode 640): chmod 600"));
    /* A .pub is a key everyone may hold: never a secret. */
    write_text("a.pub", line, 0600);
    assert_int_equal(hn_curve_load_secret(path_of("a.pub"), &loaded, why, sizeof(why)),
                     HN_E_INVALID);
    assert_non_null(strstr(why, "a public key file"));
    /* The key itself instead of its file's path: refused, not echoed. */
    assert_int_equal(hn_curve_load_secret(kp.secret_z85, &loaded, why, sizeof(why)), HN_E_INVALID);
    assert_null(strstr(why, kp.secret_z85));
    /* A descriptor this process holds (systemd's StandardInput=file:) is
     * read, not opened again, and can be read twice. */
    int fd = open(path_of("a.key"), O_RDONLY);
    assert_true(fd >= 0);
    char fd_path[32];
    snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fd);
    for (int round = 0; round < 2; round++) {
        memset(&loaded, 0, sizeof(loaded));
        assert_int_equal(hn_curve_load_secret(fd_path, &loaded, why, sizeof(why)), 0);
        assert_string_equal(loaded.public_z85, kp.public_z85);
    }
    close(fd);
    assert_true(hn_curve_load_secret("/dev/fd/999", &loaded, why, sizeof(why)) < 0);
}

static void test_public_key_or_file(void **state)
{
    (void)state;
    struct hn_curve_keypair kp;
    char out[HN_CURVE_KEY_Z85_LEN + 1], why[256], line[96];
    assert_int_equal(hn_curve_keypair_new(&kp), 0);
    assert_int_equal(hn_curve_load_public(kp.public_z85, out, why, sizeof(why)), 0);
    assert_string_equal(out, kp.public_z85);
    snprintf(line, sizeof(line), "%s\r\n", kp.public_z85);
    write_text("m.pub", line, 0644);
    assert_int_equal(hn_curve_load_public(path_of("m.pub"), out, why, sizeof(why)), 0);
    assert_string_equal(out, kp.public_z85);
    assert_int_equal(hn_curve_load_public("0123456789012345678901234567890123456789\x01", out, why,
                                          sizeof(why)) != 0,
                     1);
    /* One that other users may change: refused, as ssh refuses such an
     * authorized_keys (any of them could put their own key there). */
    write_text("w.pub", line, 0666);
    assert_int_equal(hn_curve_load_public(path_of("w.pub"), out, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "other users may change it (mode 666)"));
    write_text("w.pub", line, 0444); /* read-only for all, as a Kubernetes secret: fine */
    assert_int_equal(hn_curve_load_public(path_of("w.pub"), out, why, sizeof(why)), 0);
    /* A secret key file where a public key goes: refused by its name. */
    write_text("m.key", line, 0600);
    assert_int_equal(hn_curve_load_public(path_of("m.key"), out, why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "a secret key file"));
    struct hn_curve_allow al = {0};
    assert_int_equal(hn_curve_allow_read(&al, path_of("m.key"), why, sizeof(why)), HN_E_INVALID);
    hn_curve_allow_free(&al);
}

static void test_allow_list(void **state)
{
    (void)state;
    struct hn_curve_keypair a, b, c;
    assert_int_equal(hn_curve_keypair_new(&a), 0);
    assert_int_equal(hn_curve_keypair_new(&b), 0);
    assert_int_equal(hn_curve_keypair_new(&c), 0);
    char text[512], why[256];
    snprintf(text, sizeof(text), "# workers\n\n%s worker one\n   %s\n%s\n# %s\n", a.public_z85,
             b.public_z85, a.public_z85, c.public_z85);
    write_text("allow", text, 0644);
    struct hn_curve_allow al = {0};
    assert_int_equal(hn_curve_allow_read(&al, path_of("allow"), why, sizeof(why)), 0);
    assert_int_equal(al.n, 2); /* a once, b; c is commented out */
    assert_true(hn_curve_allow_has(&al, a.public_z85));
    assert_true(hn_curve_allow_has(&al, b.public_z85));
    assert_false(hn_curve_allow_has(&al, c.public_z85));
    hn_curve_allow_free(&al);
    write_text("allow", text, 0664);
    assert_int_equal(hn_curve_allow_read(&al, path_of("allow"), why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, "other users may change it (mode 664)"));
    hn_curve_allow_free(&al);
    write_text("bad", "# ok\nnot-a-key here\n", 0644);
    assert_int_equal(hn_curve_allow_read(&al, path_of("bad"), why, sizeof(why)), HN_E_INVALID);
    assert_non_null(strstr(why, ":2: not a public key"));
    hn_curve_allow_free(&al);
}

static void test_fingerprint(void **state)
{
    (void)state;
    struct hn_curve_keypair a, b;
    char fa[HN_CURVE_FINGERPRINT_LEN + 1], fb[HN_CURVE_FINGERPRINT_LEN + 1];
    assert_int_equal(hn_curve_keypair_new(&a), 0);
    assert_int_equal(hn_curve_keypair_new(&b), 0);
    hn_curve_fingerprint(a.public_z85, fa);
    hn_curve_fingerprint(b.public_z85, fb);
    assert_int_equal(strlen(fa), HN_CURVE_FINGERPRINT_LEN);
    assert_string_not_equal(fa, fb);
    hn_curve_fingerprint(a.public_z85, fb);
    assert_string_equal(fa, fb);
    hn_curve_fingerprint("short", fa);
    assert_string_equal(fa, "?");
}

int main(void)
{
    if (!hn_curve_available()) {
        printf("libzmq without CurveZMQ: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_public_key_or_file),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
