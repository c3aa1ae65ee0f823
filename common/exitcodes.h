/* Process exit codes of hornet-master and hornet-worker (DESIGN.md §6).
 * Documented in each program's --help and in README.md. */
#pragma once

enum hn_exit {
    HN_EXIT_OK = 0,     /* run passed (worker: clean shutdown on QUIT) */
    HN_EXIT_FAILED = 1, /* thresholds failed, or request failures with
                           --exit-code-on-error */
    HN_EXIT_USAGE = 2,  /* bad command line or invalid scenario */
    HN_EXIT_NO_RUN = 3, /* run could not complete: no workers, lost all
                           workers, cannot bind or connect, rejected */
};
