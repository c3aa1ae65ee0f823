/* Process-wide logging: one line per event on stderr, e.g.
 *   2026-11-21T18:30:01.123Z hornet-worker warn: lost master, stopping load
 * Timestamps are UTC with milliseconds. Not for a worker's hot path, which
 * neither allocates nor logs: failures there are counted, not printed. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum hn_log_level {
    HN_LOG_ERROR = 0, /* the operation or process failed */
    HN_LOG_WARN,      /* something unexpected; work goes on */
    HN_LOG_INFO,      /* normal milestones (default threshold) */
    HN_LOG_DEBUG,     /* detail for developers */
};

/* Longest line written, in bytes, newline included. Lines are written with
 * one write(2) each and this is below PIPE_BUF, so lines written by several
 * threads or processes to the same pipe or O_APPEND file never interleave.
 * Longer messages are cut and end with "...". */
#define HN_LOG_LINE_MAX 1024

/* Longest program name kept by hn_log_set_prefix (longer ones are cut). */
#define HN_LOG_PREFIX_MAX 48

/* Events less severe than @level are dropped (default HN_LOG_INFO). The
 * threshold is an atomic: it may be changed while other threads log. */
void hn_log_set_level(enum hn_log_level level);
enum hn_log_level hn_log_get_level(void);

/* True if an event at @level would be written (to skip costly arguments). */
bool hn_log_enabled(enum hn_log_level level);

/* Parse "error", "warn" or "warning", "info", "debug" (case-insensitive).
 * @return 0 with *out set, or HN_E_INVALID (*out untouched). */
int hn_log_level_parse(const char *s, enum hn_log_level *out);

/* Lower-case name of @level ("warn"); "?" for an unknown value. Static. */
const char *hn_log_level_name(enum hn_log_level level);

/* Program name written after the timestamp (default "hornet"; NULL or ""
 * writes none). The string is copied. Call before starting threads: the
 * prefix is a plain buffer, not synchronised. */
void hn_log_set_prefix(const char *program);

/* Write lines to @fd instead of stderr (fd 2), e.g. a pipe in tests. The
 * fd is not owned: the caller closes it, after pointing logging back to 2.
 * Atomic, like the level. */
void hn_log_set_fd(int fd);

/* Log one event. Control characters (newlines included) and other text
 * that could act on a terminal are written escaped (sanitize.h), so one
 * event is one line whatever its arguments hold. Thread-safe
 * and lock-free; never allocates; preserves errno; write errors are ignored. */
void hn_log(enum hn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hn_log_v(enum hn_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define hn_log_error(...) hn_log(HN_LOG_ERROR, __VA_ARGS__)
#define hn_log_warn(...) hn_log(HN_LOG_WARN, __VA_ARGS__)
#define hn_log_info(...) hn_log(HN_LOG_INFO, __VA_ARGS__)
#define hn_log_debug(...) hn_log(HN_LOG_DEBUG, __VA_ARGS__)
