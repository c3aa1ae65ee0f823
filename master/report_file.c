/* Files of the report writers (see report_file.h). */
#include "report_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hn_report_make_parent_dirs(const char *path)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(dir, 0777) && errno != EEXIST)
        return -errno;
    return 0;
}

int hn_report_file_check(const char *path)
{
    if (!strcmp(path, "-"))
        return 0; /* standard output */
    int err = hn_report_make_parent_dirs(path);
    if (err)
        return err;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return -EISDIR;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return access(path, W_OK) ? -errno : 0; /* a device, a FIFO: opening may block */
    bool existed = access(path, F_OK) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return -errno;
    close(fd);
    if (!existed)
        unlink(path);
    return 0;
}

enum hn_report_target hn_report_file_target(const char *path, char *target, size_t len)
{
    struct stat st;
    snprintf(target, len, "%s", path);
    if (lstat(path, &st) != 0)
        return HN_REPORT_REPLACE; /* not there yet */
    if (S_ISLNK(st.st_mode)) {
        char real[PATH_MAX];
        if (!realpath(path, real) || stat(real, &st) != 0 ||
            snprintf(target, len, "%s", real) >= (int)len) {
            snprintf(target, len, "%s", path);
            return HN_REPORT_IN_PLACE; /* dangling: written through, which creates it */
        }
    }
    return S_ISREG(st.st_mode) ? HN_REPORT_REPLACE : HN_REPORT_IN_PLACE;
}

/* Run @body on @f and close it: 0 or the first -errno. */
static int write_close(FILE *f, int (*body)(FILE *f, void *ctx), void *ctx)
{
    int err = body(f, ctx);
    if ((fflush(f) != 0 || ferror(f)) && !err)
        err = errno ? -errno : -EIO;
    if (fclose(f) != 0 && !err)
        err = errno ? -errno : -EIO;
    return err;
}

int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx)
{
    if (!strcmp(path, "-")) {
        int err = body(stdout, ctx);
        if (fflush(stdout) != 0 && !err)
            err = errno ? -errno : -EIO;
        return err;
    }
    char target[PATH_MAX], tmp[PATH_MAX + 8];
    errno = 0;
    if (hn_report_file_target(path, target, sizeof(target)) == HN_REPORT_IN_PLACE) {
        FILE *f = fopen(target, "we"); /* "e": O_CLOEXEC, kept from local workers */
        return f ? write_close(f, body, ctx) : errno ? -errno : -EIO;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", target) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "we");
    if (!f)
        return errno ? -errno : -EIO;
    int err = write_close(f, body, ctx);
    if (!err && rename(tmp, target) != 0)
        err = -errno;
    if (err)
        unlink(tmp);
    return err;
}
