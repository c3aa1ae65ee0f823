/* Error codes shared by every Hornet module.
 * Convention: 0 is success, a negative value is -errno from a system call
 * (passed up unchanged), a positive value is one of enum hn_error below. */
#pragma once

#include <stddef.h>

enum hn_error {
    HN_OK = 0,
    HN_E_INVALID = 1,  /* malformed input (bad syntax, bad structure) */
    HN_E_TOO_LARGE,    /* a length or count exceeds its named limit */
    HN_E_TRUNCATED,    /* input ends before the structure does */
    HN_E_TYPE,         /* a value has the wrong type */
    HN_E_VERSION,      /* protocol version differs from ours */
    HN_E_UNKNOWN_TYPE, /* unknown message type */
    HN_E_RANGE,        /* a number is outside its allowed range */
    HN_E_STATE,        /* call not valid in the current state */
    HN_E__COUNT
};

/* Return from the calling function with the error of @call, if any. */
#define HN_TRY(call)                                                                               \
    do {                                                                                           \
        int hn_try_rc_ = (call);                                                                   \
        if (hn_try_rc_)                                                                            \
            return hn_try_rc_;                                                                     \
    } while (0)

/* Human-readable text for a Hornet error code (positive) or -errno
 * (negative). Never returns NULL; the string is static. */
const char *hn_strerror(int err);

/* Write a printf-style reason into @why (room for @len bytes; nothing if
 * @why is NULL or @len 0) and return HN_E_INVALID: how loaders and checks
 * that explain themselves fail. */
int hn_invalid(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
