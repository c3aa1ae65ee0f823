/* PCRE2 compilation (see regex.h). */
#include "regex.h"

#include <stdio.h>

pcre2_code *hn_regex_compile(const char *pattern, char *why, size_t why_len, size_t *err_offset)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(why, why_len, "%s", (const char *)msg);
        if (err_offset)
            *err_offset = (size_t)at;
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

unsigned hn_regex_groups(const pcre2_code *re)
{
    uint32_t n = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n);
    return n;
}
