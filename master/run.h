/* One load test run, from waiting for workers to the final report:
 *   WAITING --enough workers--> RUNNING --run time / Ctrl-C--> STOPPING
 *   --every FINAL or stop deadline--> DONE
 * Every second the master sends each live worker its absolute TARGET
 * (ramped at the spawn rate), heartbeats, checks liveness (3 s silence =
 * missing, its users move to the others at once) and closes one stats
 * interval. */
#pragma once

#include "cli.h"

/* Run the test described by @cfg. Returns the process exit code
 * (common/exitcodes.h and --exit-code-on-error). */
int hn_run(const struct hn_master_config *cfg);
