/* Text for Hornet's error codes (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const error_text[HN_E__COUNT] = {
    [HN_OK] = "success",
    [HN_E_INVALID] = "malformed input",
    [HN_E_TOO_LARGE] = "length exceeds limit",
    [HN_E_TRUNCATED] = "input truncated",
    [HN_E_TYPE] = "wrong value type",
    [HN_E_VERSION] = "protocol version mismatch",
    [HN_E_UNKNOWN_TYPE] = "unknown message type",
    [HN_E_RANGE] = "value out of range",
    [HN_E_STATE] = "invalid in current state",
};

const char *hn_strerror(int err)
{
    if (err < 0)
        return strerror(-err);
    if (err < HN_E__COUNT && error_text[err])
        return error_text[err];
    return "unknown error";
}

int hn_invalid(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && len)
        vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return HN_E_INVALID;
}
