/* Building scenarios in tests: the loader's way of resolving {{ }} names,
 * compiling a template into a scenario, adding a step to a task. Shared by
 * test-engine, test-plan, test-scenario-codec and test-model. */
#pragma once

#include <stddef.h>

#include "model.h"
#include "template.h"

/* A hn_template_names resolver with the scenario (struct hn_scenario *) as
 * @ctx, as the scenario loader resolves names: "feeder.column" names a data
 * column of the scenario (an unknown one is HN_E_INVALID with "no column
 * 'NAME'" in @why), anything else a captured variable (added when new). */
int scenario_resolve(void *ctx, const char *name, size_t len, struct hn_seg *seg, char *why,
                     size_t why_len);

/* @t (its previous content freed) compiled from @src with @esc, names
 * resolved by scenario_resolve() in @s. Fails the test if it does not
 * compile. */
void scenario_compile(struct hn_scenario *s, struct hn_template *t, const char *src,
                      enum hn_escape esc);

/* A new step of @t: @method to the literal @url. Fails the test when out
 * of memory. */
struct hn_step *scenario_add_step(struct hn_task *t, const char *method, const char *url);
