/* How many CPUs this process may run on. */
#pragma once

#include <stdint.h>

/* The CPUs of this process's affinity (taskset, a container's or a
 * cgroup's cpuset), or every online CPU when it cannot be read; at least
 * 1. What engine threads default to: threads beyond it only take turns. */
uint32_t hn_cpus_usable(void);
