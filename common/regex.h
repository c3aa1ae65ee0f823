/* Regular expressions of captures (PCRE2, the syntax Python and
 * JavaScript users know): compiled on the master to report errors with
 * their position, and on each worker to run. */
#pragma once

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

/* Compile @pattern (UTF-8; subjects that are not UTF-8 still match
 * byte-wise), with JIT where the platform has it. NULL on error, with a
 * message in @why and the byte offset of the problem in *@err_offset. */
pcre2_code *hn_regex_compile(const char *pattern, char *why, size_t why_len, size_t *err_offset);

/* Number of capturing groups of @re. */
unsigned hn_regex_groups(const pcre2_code *re);
