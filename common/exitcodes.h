/* Process exit codes of hornet-master and hornet-worker: README.md's
 * "Exit codes" table says when each is returned; each program's --help
 * lists them too. */
#pragma once

enum hn_exit {
    HN_EXIT_OK = 0,     /* run passed (worker: clean shutdown on QUIT) */
    HN_EXIT_FAILED = 1, /* master: a threshold failed or aborted the run,
                           or a signal cut a run with a length short; also,
                           by default, a request or check failed or a user
                           could not start (--exit-code-on-error sets the
                           code for those) */
    HN_EXIT_USAGE = 2,  /* bad command line or invalid scenario */
    HN_EXIT_NO_RUN = 3, /* run could not complete: no workers, lost all
                           workers, cannot bind or connect, rejected */
};
