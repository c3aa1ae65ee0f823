/* The signals that stop a program gracefully: SIGINT (Ctrl-C), SIGTERM
 * (docker stop, systemctl stop, a CI job's timeout) and SIGHUP (the
 * terminal or SSH session went away: a run ends with its reports instead
 * of dying without them) — unless SIGHUP was ignored when the program
 * started, as nohup does: then it stays ignored. */
#pragma once

#include <stdbool.h>

/* Whether the program should watch @signum (SIGHUP only when it is not
 * ignored at start). */
bool hn_stop_signal_wanted(int signum);

/* "SIGINT", "SIGTERM", "SIGHUP", or "a signal". */
const char *hn_stop_signal_name(int signum);
