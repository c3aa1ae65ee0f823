/* Default capacity of a worker (see capacity.h). */
#include "capacity.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* MemAvailable in bytes, or 0 if unknown. */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    char line[128];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (uint64_t)kib * 1024u;
}

/* What the cgroup still allows (memory.max - memory.current), or 0 if
 * there is no limit or it cannot be read. */
static uint64_t cgroup_room(void)
{
    unsigned long long max = 0, cur = 0;
    FILE *f = fopen("/sys/fs/cgroup/memory.max", "re");
    int ok = f && fscanf(f, "%llu", &max) == 1;
    if (f)
        fclose(f);
    if (!ok)
        return 0; /* "max", or cgroup v1 */
    f = fopen("/sys/fs/cgroup/memory.current", "re");
    if (!f || fscanf(f, "%llu", &cur) != 1)
        cur = 0;
    if (f)
        fclose(f);
    return max > cur ? max - cur : 1;
}

uint32_t hn_capacity_default(void)
{
    uint64_t cap = UINT32_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        uint64_t fds =
            rl.rlim_cur > HN_CAPACITY_FD_RESERVE ? rl.rlim_cur - HN_CAPACITY_FD_RESERVE : 2;
        if (fds / 2 < cap)
            cap = fds / 2;
    }
    uint64_t mem = mem_available(), room = cgroup_room();
    if (room && (!mem || room < mem))
        mem = room;
    if (mem && mem / HN_CAPACITY_BYTES_PER_USER < cap)
        cap = mem / HN_CAPACITY_BYTES_PER_USER;
    return cap ? (uint32_t)cap : 1;
}
