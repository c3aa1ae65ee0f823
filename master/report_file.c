/* Files of the report writers (see report_file.h). */
#include "report_file.h"
#include "error.h"
#include "report.h"

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

/* @st (stat of a report's path) is this process's standard output or
 * error: "--json /dev/stdout >> ci.log" appends there, as "-" would,
 * instead of replacing ci.log. 1 or 2, or 0. */
static int std_stream_of(const struct stat *st)
{
    struct stat fd_st;
    for (int fd = 1; fd <= 2; fd++)
        if (fstat(fd, &fd_st) == 0 && fd_st.st_dev == st->st_dev && fd_st.st_ino == st->st_ino &&
            !S_ISDIR(st->st_mode))
            return fd;
    return 0;
}

/* @target, read from the link @link, as a path from here: relative targets
 * are relative to the link's own directory. 0 or -ENAMETOOLONG. */
static int link_target_path(const char *link, const char *target, char *out, size_t len)
{
    const char *slash = strrchr(link, '/');
    int ldir = target[0] != '/' && slash ? (int)(slash - link) + 1 : 0;
    return snprintf(out, len, "%.*s%s", ldir, link, target) >= (int)len ? -ENAMETOOLONG : 0;
}

/* A dangling link (a chain of them, as the kernel follows at most 40): the
 * writer creates what the last one names at the end. Checked here without
 * creating anything (a file made and removed again would be removed by a
 * name someone may have pointed elsewhere meanwhile): the directory it is
 * to be made in must let this process create a file. */
static int dangling_link_check(const char *path)
{
    char cur[PATH_MAX], target[PATH_MAX];
    snprintf(cur, sizeof(cur), "%s", path);
    for (int hop = 0; hop < 40; hop++) {
        ssize_t n = readlink(cur, target, sizeof(target) - 1);
        if (n < 0)
            return -errno;
        target[n] = '\0';
        char next[PATH_MAX];
        HN_TRY(link_target_path(cur, target, next, sizeof(next)));
        struct stat lst;
        if (lstat(next, &lst) != 0) {
            if (errno != ENOENT)
                return -errno;
            char *slash = strrchr(next, '/');
            if (!slash)
                return access(".", W_OK | X_OK) ? -errno : 0;
            *slash = '\0';
            return access(slash == next ? "/" : next, W_OK | X_OK) ? -errno : 0;
        }
        if (!S_ISLNK(lst.st_mode))
            return 0; /* made meanwhile: the writer writes through */
        memcpy(cur, next, sizeof(cur));
    }
    return -ELOOP;
}

int hn_report_file_check(const char *path)
{
    if (!strcmp(path, "-"))
        return 0; /* standard output */
    int err = hn_report_make_parent_dirs(path);
    if (err)
        return err;
    struct stat st, lst;
    bool exists = stat(path, &st) == 0;
    int stat_err = exists ? 0 : errno;
    bool is_link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (exists && S_ISDIR(st.st_mode))
        return -EISDIR;
    if (exists && (std_stream_of(&st) || !S_ISREG(st.st_mode)))
        return access(path, W_OK) ? -errno : 0; /* a device, a FIFO: opening may block */
    if (is_link && !exists) /* a loop, a link the kernel refuses, ...: as the writer will */
        return stat_err == ENOENT ? dangling_link_check(path) : -stat_err;
    /* Not O_TRUNC: the last run's file stays until this one writes. A file
     * this check makes (O_EXCL: not one someone made meanwhile) is removed
     * again. */
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW * !is_link;
    int fd = exists ? -1 : open(path, flags | O_EXCL, 0666);
    bool made = fd >= 0;
    if (fd < 0 && (exists || errno == EEXIST))
        fd = open(path, flags, 0666);
    if (fd < 0)
        return -errno;
    close(fd);
    if (made)
        unlink(path);
    return 0;
}

int hn_report_out_open(struct hn_report_out *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    o->path = path;
    if (!strcmp(path, "-")) {
        o->f = stdout;
        o->shared = true;
        return 0;
    }
    struct stat st, lst;
    int fd;
    if (stat(path, &st) == 0 && (fd = std_stream_of(&st))) {
        o->f = fd == 1 ? stdout : stderr;
        o->shared = true;
        return 0;
    }
    errno = 0;
    bool exists = lstat(path, &lst) == 0;
    if (exists && !S_ISREG(lst.st_mode)) {
        /* A symbolic link is written through, as "> link" does, so that the
         * kernel's checks of links in shared directories apply (resolving
         * it here and renaming over what it names would not); a device or
         * a FIFO in place: a rename would replace the node itself. */
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    } else {
        /* A file of our own beside it, renamed over it when complete: a
         * reader sees the old file or the new one, never half of one. */
        if (snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", path) >= (int)sizeof(o->tmp))
            return -ENAMETOOLONG;
        unlink(o->tmp); /* a leftover, or something planted: never written through */
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && exists && (errno == EACCES || errno == EPERM || errno == EROFS)) {
            /* A file we may write in a directory we may not: in place. */
            o->tmp[0] = '\0';
            fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
        } else if (fd < 0) {
            o->tmp[0] = '\0';
        }
    }
    if (fd < 0)
        return errno ? -errno : -EIO;
    if (!(o->f = fdopen(fd, "w"))) {
        int err = -errno;
        close(fd);
        if (o->tmp[0])
            unlink(o->tmp);
        return err;
    }
    return 0;
}

FILE *hn_report_stream_open(const char *path, bool *shared)
{
    struct stat st;
    int fd;
    *shared = false;
    if (stat(path, &st) == 0 && (fd = std_stream_of(&st))) {
        *shared = true;
        return fd == 1 ? stdout : stderr;
    }
    return fopen(path, "we"); /* "e": O_CLOEXEC, kept from local workers */
}

int hn_report_out_close(struct hn_report_out *o, int err)
{
    if (!o->f)
        return err;
    if ((fflush(o->f) != 0 || ferror(o->f)) && !err)
        err = errno ? -errno : -EIO;
    if (!o->shared && fclose(o->f) != 0 && !err)
        err = errno ? -errno : -EIO;
    o->f = NULL;
    if (o->tmp[0] && !err && rename(o->tmp, o->path) != 0)
        err = -errno;
    if (o->tmp[0] && err)
        unlink(o->tmp);
    return err;
}

int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx)
{
    struct hn_report_out o;
    int err = hn_report_out_open(&o, path);
    if (err)
        return err;
    return hn_report_out_close(&o, body(o.f, ctx));
}

/* A writer of hn_report_file_writer_add. */
struct file_writer {
    char *path;
    struct hn_report_run run;
    int (*write)(const char *path, const struct hn_report_run *run, const struct hn_stats *st,
                 const struct hn_report_moment *m);
};

static int file_writer_final(void *ctx, const struct hn_stats *st, const struct hn_report_moment *m)
{
    struct file_writer *w = ctx;
    return w->write(w->path, &w->run, st, m);
}

static void file_writer_close(void *ctx)
{
    struct file_writer *w = ctx;
    free(w->path);
    free(w);
}

int hn_report_file_writer_add(struct hn_reports *rs, const char *name, const char *path,
                              const struct hn_report_run *run,
                              int (*write)(const char *path, const struct hn_report_run *run,
                                           const struct hn_stats *st,
                                           const struct hn_report_moment *m))
{
    HN_TRY(hn_report_file_check(path));
    struct file_writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return -ENOMEM;
    }
    w->run = *run;
    w->write = write;
    struct hn_report_writer rw = {name, w, NULL, file_writer_final, file_writer_close, w->path};
    int err = hn_reports_add(rs, &rw);
    if (err)
        file_writer_close(w);
    return err;
}
