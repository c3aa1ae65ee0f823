/* The option getopt_long refused, named as the user wrote it, for the
 * programs' one-line "unknown option" errors. */
#pragma once

#include <getopt.h>
#include <stdio.h>

/* Call right after getopt_long returned '?' (or ':'). An unknown short
 * option inside a cluster ("-xV") has not moved optind yet, so
 * argv[optind - 1] would be the word before it: getopt names it in optopt
 * instead. A long option (optopt 0, or one of our values from 256 up) has
 * moved optind past itself. @buf: at least 3 bytes. */
static inline const char *hn_getopt_bad_option(char *const *argv, char *buf, size_t len)
{
    if (optopt > 0 && optopt < 128) {
        snprintf(buf, len, "-%c", optopt);
        return buf;
    }
    return argv[optind - 1];
}
