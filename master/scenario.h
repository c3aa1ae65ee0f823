/* The scenario a run uses: read from the file given with -f, or built from
 * the command line's PATHs (quick mode); and --check's one-screen summary. */
#pragma once

#include <stdio.h>

#include "cli.h"
#include "model.h"
#include "run_plan.h"
#include "scenario_load.h"

/* The finalized scenario for @cfg and the run's @plan (the file's load:,
 * arrival: and thresholds: under the command line's), errors printed on
 * stderr. 0, or the exit code to leave with (HN_EXIT_USAGE for a bad
 * scenario or plan). @info may be NULL (else free it with
 * hn_load_info_free). */
int hn_master_scenario(const struct hn_master_config *cfg, struct hn_scenario **out,
                       struct hn_load_info *info, struct hn_run_plan *plan);

/* --check: what will run, on one screen (@plan may be NULL). */
void hn_scenario_summary(FILE *out, const char *path, const struct hn_scenario *s,
                         const struct hn_load_info *info, const struct hn_run_plan *plan);
