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
 * first -errno (of @body, a write or the rename); then @path is unchanged. */
int hn_report_file_write(const char *path, int (*body)(FILE *f, void *ctx), void *ctx);
