/* The worker process's health for its HEARTBEATs (see health.h): CPU from
 * getrusage, memory from /proc/self/statm, loop lag with stalls repeated.
 * Once a second on the main thread: nothing per request. */
#include "health.h"
#include "clock.h"

#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

#define CPU_SPAN_MIN_US 500000u

static void update_cpu(struct hn_health *h)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                      (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    uint64_t now_us = hn_clock_mono_ns() / 1000u;
    /* Over half a second at least: heartbeats that come back to back (a
     * paused machine catching up) would divide a millisecond of work by a
     * millisecond and call an idle worker busy. */
    if (h->cpu_prev_mono_us && now_us < h->cpu_prev_mono_us + CPU_SPAN_MIN_US)
        return; /* the share stays the last one measured */
    if (h->cpu_prev_mono_us)
        h->cpu_permille =
            (uint32_t)((cpu_us - h->cpu_prev_us) * 1000u / (now_us - h->cpu_prev_mono_us));
    h->cpu_prev_us = cpu_us;
    h->cpu_prev_mono_us = now_us;
}

void hn_health_sample(struct hn_health *h, uint32_t main_lag_ms, uint32_t engines_lag_ms,
                      double now_s, struct hn_msg_heartbeat *hb)
{
    update_cpu(h);
    hb->cpu_permille = h->cpu_permille;
    hb->rss_bytes = rss_bytes();
    /* The worst of every loop: a frozen process shows the freeze in all.
     * A stall is repeated for a while: the HEARTBEAT right after a freeze
     * often goes down with a connection the freeze broke. */
    uint32_t lag = main_lag_ms > engines_lag_ms ? main_lag_ms : engines_lag_ms;
    if (lag >= HN_PROTO_STALL_MS) {
        h->stall_ms = lag;
        h->stall_until = now_s + HN_PROTO_STALL_REPEAT_MS / 1000.0;
    } else if (h->stall_ms && now_s < h->stall_until) {
        lag = h->stall_ms;
    }
    hb->loop_lag_ms = lag;
}
