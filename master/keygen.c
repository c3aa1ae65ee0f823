/* hornet-keygen: make a CurveZMQ key pair for a master or a worker:
 * NAME.key (the secret key, mode 0600) and NAME.pub (the public key). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "getopt_error.h"
#include "curve.h"
#include "exitcodes.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: hornet-keygen [--force] NAME\n"
                 "Make a CurveZMQ key pair for hornet-master or hornet-worker:\n"
                 "  NAME.key  the secret key, one line of 40 Z85 characters, mode 0600: give it\n"
                 "            to the program it belongs to (--curve-secret NAME.key), nobody else\n"
                 "  NAME.pub  the public key, one line: a worker's goes into the master's\n"
                 "            --allow-workers file, the master's is every worker's --master-key\n"
                 "Prints the public key's fingerprint, as the master logs it.\n"
                 "\n"
                 "Options:\n"
                 "  -f, --force    replace existing NAME.key and NAME.pub\n"
                 "  -h, --help     show this help and exit\n"
                 "  -V, --version  show the version and exit\n"
                 "\n"
                 "Exit codes:\n"
                 "  0  both files written\n"
                 "  2  bad command line, or a file exists (without --force) or is no file\n"
                 "  3  cannot write a file, or no CurveZMQ support in libzmq\n");
}

/* Write @line and a line end to @path, a new file created with @mode. */
static int write_file(const char *path, const char *line, mode_t mode)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_EXCL;
    int fd = open(path, flags, mode);
    if (fd < 0)
        return -errno;
    int err = 0;
    if (fchmod(fd, mode) != 0) /* an existing file keeps its mode otherwise */
        err = -errno;
    size_t len = strlen(line);
    errno = 0;
    if (!err && (write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1))
        err = errno ? -errno : -EIO;
    if (close(fd) != 0 && !err)
        err = -errno;
    return err;
}

/* Rename the new pair over the old one; when the second rename fails, the
 * old secret key comes back from a hard link made first (under a name of
 * its own), so that the files on disk stay one pair. Where hard links are
 * not supported, plain renames. 0, or -1 (said on stderr). */
static int replace_pair(const char *key_path, const char *pub_path, const char *key_tmp,
                        const char *pub_tmp)
{
    char key_old[PATH_MAX + 32];
    snprintf(key_old, sizeof(key_old), "%s.keygen-%ld-old", key_path, (long)getpid());
    bool had_key = link(key_path, key_old) == 0;
    const char *failed = NULL;
    int err = 0;
    if (!had_key && errno != ENOENT && errno != EPERM && errno != EOPNOTSUPP && errno != EXDEV) {
        err = errno;
        failed = "keep a copy of";
    } else if (rename(key_tmp, key_path) != 0) {
        err = errno;
        failed = "replace";
    } else if (rename(pub_tmp, pub_path) != 0) {
        err = errno;
        if (!had_key || rename(key_old, key_path) != 0) {
            fprintf(stderr,
                    "hornet-keygen: cannot replace %s: %s; %s is the new key (the old one %s%s): "
                    "run again\n",
                    pub_path, strerror(err), key_path, had_key ? "is in " : "is gone",
                    had_key ? key_old : "");
            unlink(pub_tmp);
            return -1;
        }
        failed = "replace";
        had_key = false; /* renamed back */
    }
    if (had_key)
        unlink(key_old);
    if (!failed)
        return 0;
    fprintf(stderr, "hornet-keygen: cannot %s %s and %s: %s (the old keys are kept)\n", failed,
            key_path, pub_path, strerror(err));
    unlink(key_tmp);
    unlink(pub_tmp);
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0, 0, 0, 0},
    };
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, ":fhV", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            force = true;
            break;
        case 'h':
            usage(stdout);
            return HN_EXIT_OK;
        case 'V':
            printf("hornet-keygen %s\n", HN_VERSION);
            return HN_EXIT_OK;
        default:
            hn_getopt_complain(stderr, "hornet-keygen", argv, options);
            return HN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !argv[optind][0]) {
        fprintf(stderr, "hornet-keygen: give one NAME; see --help\n");
        return HN_EXIT_USAGE;
    }
    const char *name = argv[optind];
    const char *last = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    if (!*last || !strcmp(last, ".") || !strcmp(last, "..")) {
        /* "keys/" would make the hidden keys/.key and keys/.pub */
        fprintf(stderr,
                "hornet-keygen: %s: NAME names the files, not a directory (e.g. %s%smaster)\n",
                name, name, *last ? "/" : "");
        return HN_EXIT_USAGE;
    }
    char key_path[4096], pub_path[4096];
    if (snprintf(key_path, sizeof(key_path), "%s.key", name) >= (int)sizeof(key_path) ||
        snprintf(pub_path, sizeof(pub_path), "%s.pub", name) >= (int)sizeof(pub_path)) {
        fprintf(stderr, "hornet-keygen: NAME is too long\n");
        return HN_EXIT_USAGE;
    }
    struct stat st;
    const char *const paths[] = {key_path, pub_path};
    for (int i = 0; i < 2; i++)
        if (lstat(paths[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            fprintf(stderr, "hornet-keygen: %s exists and is not a file: not replaced\n",
                    paths[i]);
            return HN_EXIT_USAGE;
        }
    if (!force && (access(key_path, F_OK) == 0 || access(pub_path, F_OK) == 0)) {
        fprintf(stderr, "hornet-keygen: %s or %s exists: not replaced (--force replaces)\n",
                key_path, pub_path);
        return HN_EXIT_USAGE;
    }
    /* --force writes both next to them first: the old pair stays whole
     * until the new one is complete (a failure lost the old key before). */
    char key_tmp[PATH_MAX + 8], pub_tmp[PATH_MAX + 8];
    snprintf(key_tmp, sizeof(key_tmp), "%s%s", key_path, force ? ".tmp" : "");
    snprintf(pub_tmp, sizeof(pub_tmp), "%s%s", pub_path, force ? ".tmp" : "");
    if (force) {
        unlink(key_tmp);
        unlink(pub_tmp);
    }
    struct hn_curve_keypair kp;
    if (sodium_init() < 0 || hn_curve_keypair_new(&kp) != 0) {
        fprintf(stderr, "hornet-keygen: this libzmq has no CurveZMQ support\n");
        return HN_EXIT_NO_RUN;
    }
    int err = write_file(key_tmp, kp.secret_z85, 0600);
    sodium_memzero(&kp.secret_z85, sizeof(kp.secret_z85));
    if (err) {
        fprintf(stderr, "hornet-keygen: cannot write %s: %s\n", key_tmp, strerror(-err));
        return HN_EXIT_NO_RUN;
    }
    if ((err = write_file(pub_tmp, kp.public_z85, 0644))) {
        fprintf(stderr, "hornet-keygen: cannot write %s: %s%s\n", pub_tmp, strerror(-err),
                force ? " (the old keys are kept)" : "");
        unlink(key_tmp);
        return HN_EXIT_NO_RUN;
    }
    if (force && replace_pair(key_path, pub_path, key_tmp, pub_tmp) != 0)
        return HN_EXIT_NO_RUN;
    char fp[HN_CURVE_FINGERPRINT_LEN + 1];
    hn_curve_fingerprint(kp.public_z85, fp);
    printf("%s: secret key (keep it private)\n%s: public key %s, fingerprint %s\n", key_path,
           pub_path, kp.public_z85, fp);
    return HN_EXIT_OK;
}
