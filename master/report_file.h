/* Files of the report writers: parent directories made as needed, a check
 * at start-up that the file can be written (so a typo fails the run before
 * any load is sent), and atomic rewrites (a reader sees the old file or the
 * new one, never half of one). */
#pragma once

#include <stdio.h>

/* mkdir -p of the directory part of @path ("out/run.json" → "out/").
 * 0 or -errno. */
int hn_report_make_parent_dirs(const char *path);

/* Make @path's directories and check that @path can be created, without
 * leaving it behind if it did not exist. 0 or -errno. "-" is standard
 * output, for this function and the next. */
int hn_report_file_check(const char *path);

/* Write @path atomically: @body writes into a temporary file next to it,
 * which then replaces @path. @body returns 0 or -errno. Returns 0, or the
 * first -errno (of @body, a write or the rename); then @path is unchanged.
 * What is not a regular file is written through instead (see
 * hn_report_file_target). */
int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx);

/* How to write @path: HN_REPORT_REPLACE (a regular file, or none yet: the
 * file at @target is replaced by a rename, which a reader never sees half
 * written) or HN_REPORT_IN_PLACE (a device such as /dev/null, a FIFO:
 * opened and written, never replaced, since a rename would replace the
 * node itself, and as root /dev/null with it). A symbolic link is written
 * through, as "> link" does: @target (room for @len bytes) is the file it
 * names. */
enum hn_report_target { HN_REPORT_REPLACE, HN_REPORT_IN_PLACE };
enum hn_report_target hn_report_file_target(const char *path, char *target, size_t len);
