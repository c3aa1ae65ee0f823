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

#include <string.h>

/* Print "PROG: <why> '<option>'; see --help" for the option getopt_long
 * refused (call right after it returned '?'): a flag given a value it does
 * not take ("--only-summary=yes") and an abbreviation that fits several
 * flags ("--max") are said as such, not as unknown options. */
static inline void hn_getopt_complain(FILE *out, const char *prog, char *const *argv,
                                      const struct option *longopts)
{
    char buf[3];
    const char *word = hn_getopt_bad_option(argv, buf, sizeof(buf));
    /* A long option refused for its value has moved optind past itself,
     * and glibc puts its short letter (its val) in optopt: name it as
     * written. */
    const char *last = optind > 0 ? argv[optind - 1] : NULL;
    if (last && strncmp(last, "--", 2) == 0 && last[2] && word != last) {
        size_t len = strcspn(last + 2, "=");
        for (const struct option *o = longopts; o->name; o++)
            if (o->val == optopt && strncmp(o->name, last + 2, len) == 0)
                word = last;
    }
    if (strncmp(word, "--", 2) == 0 && word[2]) {
        const char *name = word + 2;
        size_t len = strcspn(name, "=");
        char fits[160] = "";
        unsigned n_fits = 0;
        const struct option *fit = NULL;
        for (const struct option *o = longopts; o->name; o++) {
            if (strncmp(o->name, name, len) != 0)
                continue;
            if (strlen(o->name) == len) { /* exact: the one meant */
                fit = o;
                n_fits = 1;
                break;
            }
            size_t used = strlen(fits);
            snprintf(fits + used, sizeof(fits) - used, "%s--%s", n_fits ? ", " : "", o->name);
            fit = o;
            n_fits++;
        }
        if (n_fits == 1 && name[len] == '=' && fit->has_arg == no_argument) {
            fprintf(out, "%s: --%s takes no value (got '%s'); see --help\n", prog, fit->name,
                    word);
            return;
        }
        if (n_fits > 1) {
            fprintf(out, "%s: '%.*s' is short for several options (%s); see --help\n", prog,
                    (int)(len + 2), word, fits);
            return;
        }
    }
    fprintf(out, "%s: unknown option '%s'; see --help\n", prog, word);
}
