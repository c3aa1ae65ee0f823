/* Graceful-stop signals (see stop_signals.h). */
#include "stop_signals.h"

#include <signal.h>
#include <stddef.h>

bool hn_stop_signal_wanted(int signum)
{
    if (signum != SIGHUP)
        return true;
    struct sigaction old;
    return sigaction(SIGHUP, NULL, &old) != 0 || old.sa_handler != SIG_IGN;
}

const char *hn_stop_signal_name(int signum)
{
    switch (signum) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}
