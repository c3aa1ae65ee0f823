/* Files of the report writers (see report_file.h). */
#include "report_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
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
    bool existed = access(path, F_OK) == 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return -errno;
    close(fd);
    if (!existed)
        unlink(path);
    return 0;
}

int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx)
{
    if (!strcmp(path, "-")) {
        int err = body(stdout, ctx);
        if (fflush(stdout) != 0 && !err)
            err = errno ? -errno : -EIO;
        return err;
    }
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    errno = 0;
    FILE *f = fopen(tmp, "we"); /* "e": O_CLOEXEC, kept from local workers */
    if (!f)
        return errno ? -errno : -EIO;
    int err = body(f, ctx);
    if ((fflush(f) != 0 || ferror(f)) && !err)
        err = errno ? -errno : -EIO;
    if (fclose(f) != 0 && !err)
        err = errno ? -errno : -EIO;
    if (!err && rename(tmp, path) != 0)
        err = -errno;
    if (err)
        unlink(tmp);
    return err;
}
