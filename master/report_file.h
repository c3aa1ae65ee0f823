/* Files of the report writers: parent directories made as needed, a check
 * at start-up that the file can be written (so a typo fails the run before
 * any load is sent), atomic rewrites (a reader sees the old file or the
 * new one, never half of one), and the writer of a report made once, at the
 * end, as one file. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct hn_reports;
struct hn_report_run;
struct hn_report_moment;
struct hn_stats;

/* mkdir -p of the directory part of @path ("out/run.json" → "out/").
 * 0 or -errno. */
int hn_report_make_parent_dirs(const char *path);

/* Make @path's directories and check that @path can be created, without
 * leaving it behind if it did not exist. 0 or -errno. "-" is standard
 * output, for this function and the next. */
int hn_report_file_check(const char *path);

/* Write @path: @body writes into a temporary file next to it, which then
 * replaces @path (a reader sees the old file or the new one). @body
 * returns 0 or -errno. Returns 0, or the first -errno (of @body, a write or
 * the rename); then @path is unchanged, unless it is written in place (see
 * hn_report_out_open: a link, a device, a file whose directory cannot take
 * a new one), when it may hold part of the report. */
int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx);

/* A report file being written (hn_report_file_write in two steps, for a
 * writer with its own loop). */
struct hn_report_out {
    FILE *f;
    const char *path;
    char tmp[PATH_MAX + 8]; /* the file renamed over @path at the end; "" when in place */
    bool shared;            /* standard output or error: flushed, never closed */
};

/* Open @path for a whole new version of it: "-" (and a path that is this
 * process's standard output or error, such as /dev/stdout, so that ">> log"
 * appends) is written to that stream; a symbolic link is written through,
 * as "> link" does (the kernel's checks of links in shared directories
 * apply); a device such as /dev/null or a FIFO in place, never replaced;
 * a regular file (or none yet) through "<path>.tmp", created anew
 * (O_EXCL, not following a link planted there), renamed over @path by
 * hn_report_out_close, or in place when its directory cannot take a new
 * file. 0 or -errno. */
int hn_report_out_open(struct hn_report_out *o, const char *path);

/* A file written as a stream from start to end (the HdrHistogram log):
 * @path opened anew ("> path"), or this process's standard output or
 * error when @path is that (so that ">> log" appends); *@shared says so
 * (then flush it, do not close it). NULL and errno on failure. */
FILE *hn_report_stream_open(const char *path, bool *shared);

/* Finish what hn_report_out_open began: flush, close, rename. @err: the
 * writer's own result; on any error a temporary file is removed and @path
 * left as it was. Returns the first -errno, or 0. */
int hn_report_out_close(struct hn_report_out *o, int err);

/* Append a writer of a report written once, at the end of the run, as the
 * one file @path (--json, --html, --junit, --summary-md): @write is called
 * with @path, a copy of @run and the final statistics and moment, and
 * returns 0 or -errno (it writes with hn_report_file_write). @name is for
 * messages ("JSON"). @path is checked first (hn_report_file_check). Returns
 * 0, or -errno or hn_reports_add's code with nothing appended. */
int hn_report_file_writer_add(struct hn_reports *rs, const char *name, const char *path,
                              const struct hn_report_run *run,
                              int (*write)(const char *path, const struct hn_report_run *run,
                                           const struct hn_stats *st,
                                           const struct hn_report_moment *m));
