/* Benchmark driver: runs the worker's engine pool without a master against
 * one URL for a fixed time and prints what it did as one line of
 * key=value pairs (requests, failures, wall and CPU seconds, peak RSS).
 * Usage: engine-run URL USERS SECONDS [THREADS] */
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "model.h"
#include "plan.h"
#include "pool.h"

struct run {
    struct ev_loop *loop;
    struct hn_pool *pool;
    uint64_t requests, failures, bytes;
    double sum_us;
    uint64_t max_us;
    bool stopping;
};

static void on_snapshot(void *ctx, const struct hn_recorder *r)
{
    struct run *run = ctx;
    for (uint32_t i = 0; i < r->n_entries; i++) {
        run->requests += r->entries[i].requests;
        run->failures += r->entries[i].failures;
        run->bytes += r->entries[i].bytes;
        run->sum_us += (double)r->entries[i].timing[HN_TIMING_TOTAL].sum;
    }
    if (run->stopping)
        ev_break(run->loop, EVBREAK_ALL);
}

static void on_drained(void *ctx)
{
    struct run *run = ctx;
    run->stopping = true;
    hn_pool_snapshot(run->pool);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hn_pool_snapshot(((struct run *)w->data)->pool);
}

static void on_end(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    hn_pool_stop(((struct run *)w->data)->pool, 5000);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: engine-run URL USERS SECONDS [THREADS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    uint32_t users = (uint32_t)strtoul(argv[2], NULL, 10);
    double seconds = strtod(argv[3], NULL);
    uint32_t threads = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 1;
    hn_http_global_init();

    const char *path = argv[1];
    struct hn_scenario *s = hn_scenario_quick(NULL, &path, 1);
    char why[256];
    struct hn_plan *plan;
    if (!s || hn_scenario_finalize(s, why, sizeof(why)) ||
        hn_plan_build(s, &plan, why, sizeof(why))) {
        fprintf(stderr, "engine-run: bad scenario: %s\n", why);
        return 2;
    }
    struct run run = {.loop = ev_default_loop(0)};
    struct hn_pool_callbacks cb = {on_snapshot, on_drained, &run};
    struct hn_grants *grants = NULL;
    if (hn_grants_new(s, true, &grants) ||
        hn_pool_new(run.loop, plan, threads, 42, grants, &cb, &run.pool)) {
        fprintf(stderr, "engine-run: cannot start engines\n");
        return 3;
    }
    uint64_t t0 = hn_clock_mono_ns();
    hn_pool_set_target(run.pool, &users, 1, 0);
    ev_timer tick, end;
    ev_timer_init(&tick, on_tick, 1.0, 1.0);
    tick.data = &run;
    ev_timer_start(run.loop, &tick);
    ev_timer_init(&end, on_end, seconds, 0);
    end.data = &run;
    ev_timer_start(run.loop, &end);
    ev_run(run.loop, 0);
    double wall = (double)(hn_clock_mono_ns() - t0) / 1e9;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("requests=%llu failures=%llu wall_s=%.3f cpu_s=%.3f user_s=%.3f sys_s=%.3f "
           "req_per_s=%.0f req_per_cpu_s=%.0f mean_us=%.0f max_rss_kb=%ld users=%u\n",
           (unsigned long long)run.requests, (unsigned long long)run.failures, wall, cpu,
           (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, run.requests / wall,
           cpu > 0 ? run.requests / cpu : 0, run.requests ? run.sum_us / run.requests : 0,
           ru.ru_maxrss, users);
    hn_pool_free(run.pool);
    hn_grants_free(grants);
    hn_plan_free(plan);
    hn_scenario_free(s);
    hn_http_global_cleanup();
    return run.requests > 0 ? 0 : 1;
}
