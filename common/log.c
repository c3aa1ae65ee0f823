/* One-line, one-write(2) logging to stderr (see log.h). */
#include "log.h"

#include "clock.h"
#include "error.h"
#include "sanitize.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The threshold and fd are atomics (relaxed: no ordering with other data is
 * needed); the prefix is set once before threads start. */
static atomic_int log_threshold = HN_LOG_INFO;
static atomic_int log_fd = STDERR_FILENO;
static char log_prefix[HN_LOG_PREFIX_MAX + 1] = "hornet";

static const char *const level_names[] = {
    [HN_LOG_ERROR] = "error",
    [HN_LOG_WARN] = "warn",
    [HN_LOG_INFO] = "info",
    [HN_LOG_DEBUG] = "debug",
};

void hn_log_set_level(enum hn_log_level level)
{
    if (level > HN_LOG_DEBUG)
        level = HN_LOG_DEBUG;
    atomic_store_explicit(&log_threshold, (int)level, memory_order_relaxed);
}

enum hn_log_level hn_log_get_level(void)
{
    return (enum hn_log_level)atomic_load_explicit(&log_threshold, memory_order_relaxed);
}

bool hn_log_enabled(enum hn_log_level level)
{
    return (int)level <= atomic_load_explicit(&log_threshold, memory_order_relaxed);
}

int hn_log_level_parse(const char *s, enum hn_log_level *out)
{
    if (!s)
        return HN_E_INVALID;
    for (int i = HN_LOG_ERROR; i <= HN_LOG_DEBUG; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum hn_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = HN_LOG_WARN;
        return 0;
    }
    return HN_E_INVALID;
}

const char *hn_log_level_name(enum hn_log_level level)
{
    return level <= HN_LOG_DEBUG ? level_names[level] : "?";
}

void hn_log_set_prefix(const char *program)
{
    snprintf(log_prefix, sizeof log_prefix, "%s", program ? program : "");
}

void hn_log_set_fd(int fd)
{
    atomic_store_explicit(&log_fd, fd, memory_order_relaxed);
}

/* Write "2026-11-21T18:30:01.123Z prefix level: " into @buf; returns its
 * length (always < @len: the header is far shorter than a line). */
static size_t format_header(char *buf, size_t len, enum hn_log_level level)
{
    uint64_t now_ms = hn_clock_wall_ms();
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    char stamp[32];

    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = snprintf(buf, len, "%s.%03uZ %s%s%s: ", stamp, (unsigned)(now_ms % 1000), log_prefix,
                     log_prefix[0] ? " " : "", hn_log_level_name(level));
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

void hn_log_v(enum hn_log_level level, const char *fmt, va_list ap)
{
    if (!hn_log_enabled(level))
        return;

    int saved_errno = errno;
    char line[HN_LOG_LINE_MAX];
    size_t head = format_header(line, sizeof line, level);
    /* The message may use everything but the header and the final '\n'. It
     * is formatted first, then copied escaped (sanitize.h): text from the
     * network never reaches the terminal raw, and a line stays one line. */
    size_t room = sizeof line - head - 1;
    char raw[HN_LOG_LINE_MAX];
    int n = vsnprintf(raw, sizeof raw, fmt, ap);
    if (n < 0)
        n = snprintf(raw, sizeof raw, "(bad log format: %s)", fmt);
    size_t raw_len = n < 0 ? 0 : (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1;
    size_t msg_len;
    size_t used = hn_sanitize(line + head, room + 1, raw, raw_len, &msg_len);
    if (used < raw_len || (size_t)n > raw_len) {
        /* Cut at a character (or escape) boundary, and mark it. */
        hn_sanitize(line + head, room - 2, raw, raw_len, &msg_len);
        memcpy(line + head + msg_len, "...", 3);
        msg_len += 3;
    }
    line[head + msg_len] = '\n';

    int fd = atomic_load_explicit(&log_fd, memory_order_relaxed);
    while (write(fd, line, head + msg_len + 1) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}

void hn_log(enum hn_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    hn_log_v(level, fmt, ap);
    va_end(ap);
}
