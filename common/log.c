/* One-line, one-write(2) logging to stderr (see log.h). */
#include "log.h"

#include "clock.h"
#include "error.h"

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
    /* The message may use everything but the header and the final '\n'. */
    size_t room = sizeof line - head - 1;
    int n = vsnprintf(line + head, room + 1, fmt, ap);
    size_t msg_len;

    if (n < 0) {
        msg_len = (size_t)snprintf(line + head, room + 1, "(bad log format: %s)", fmt);
        if (msg_len > room)
            msg_len = room;
    } else if ((size_t)n > room) {
        /* Cut, backing off to a UTF-8 character boundary, and mark it. */
        msg_len = room - 3;
        while (msg_len > 0 && ((unsigned char)line[head + msg_len] & 0xC0) == 0x80)
            msg_len--;
        memcpy(line + head + msg_len, "...", 3);
        msg_len += 3;
    } else {
        msg_len = (size_t)n;
    }
    for (char *p = line + head; p < line + head + msg_len; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
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
