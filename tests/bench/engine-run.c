/* Benchmark driver: runs the worker's engine pool without a master against
 * one URL (quick mode) or a scenario file for a fixed time and prints what
 * it did as one line of key=value pairs (requests, failures, wall and CPU
 * seconds, peak RSS).
 * Usage: engine-run [--entries] [--engine auto|curl|fast] [--scenario FILE] URL USERS
 *                   SECONDS [THREADS]
 *   --engine sets http.engine (quick mode with auto or fast has no cookie
 *   jar, which the fast path needs); with --scenario, URL is the host the
 *   scenario's paths are joined to;
 *   data rows are dealt locally (no master). --entries adds a line per
 *   stats entry: entry=NAME count= fails= p50_us= p99_us= max_us=. */
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "fastpath.h"
#include "http.h"
#include "model.h"
#include "plan.h"
#include "pool.h"
#include "scenario_load.h"

struct run {
    struct ev_loop *loop;
    struct hn_pool *pool;
    struct hn_recorder total; /* every request, per entry (--entries) */
    uint64_t requests, failures, bytes;
    double sum_us;
    uint64_t max_us;
    bool stopping;
};

static bool on_snapshot(void *ctx, const struct hn_recorder *r)
{
    struct run *run = ctx;
    hn_recorder_merge(&run->total, r);
    for (uint32_t i = 0; i < r->n_entries; i++) {
        run->requests += r->entries[i].requests;
        run->failures += r->entries[i].failures;
        run->bytes += r->entries[i].bytes;
        run->sum_us += (double)r->entries[i].timing[HN_TIMING_TOTAL].sum;
    }
    if (run->stopping)
        ev_break(run->loop, EVBREAK_ALL);
    return true; /* every phase taken each time */
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
    const char *scenario_file = NULL;
    bool entries = false;
    if (argc > 1 && strcmp(argv[1], "--entries") == 0) {
        entries = true;
        argc--;
        argv++;
    }
    int engine = -1;
    if (argc > 2 && strcmp(argv[1], "--engine") == 0) {
        for (int e = 0; e < HN_ENGINE__COUNT; e++)
            if (strcmp(argv[2], hn_fast_engine_name((unsigned)e)) == 0)
                engine = e;
        if (engine < 0) {
            fprintf(stderr, "engine-run: --engine auto, curl or fast\n");
            return 2;
        }
        argc -= 2;
        argv += 2;
    }
    if (argc > 2 && strcmp(argv[1], "--scenario") == 0) {
        scenario_file = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: engine-run [--entries] [--engine auto|curl|fast] [--scenario FILE] "
                        "URL USERS SECONDS [THREADS]\n");
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
    struct hn_scenario *s = NULL;
    char why[1024] = "";
    if (scenario_file) {
        struct hn_load_options opt = {.host = path};
        if (hn_scenario_load(scenario_file, &opt, &s, NULL, why, sizeof(why))) {
            fprintf(stderr, "engine-run: %s\n", why);
            return 2;
        }
    } else if (!(s = hn_scenario_quick(NULL, &path, 1)) ||
               hn_scenario_finalize(s, why, sizeof(why))) {
        fprintf(stderr, "engine-run: bad scenario: %s\n", why);
        return 2;
    } else if (engine >= 0 && engine != HN_ENGINE_CURL) {
        s->cookies = false;
    }
    if (engine >= 0)
        s->engine = (uint8_t)engine;
    struct hn_plan *plan;
    if (hn_plan_build(s, &plan, why, sizeof(why))) {
        fprintf(stderr, "engine-run: bad scenario: %s\n", why);
        return 2;
    }
    struct run run = {.loop = ev_default_loop(0)};
    if (hn_recorder_init(&run.total, s->n_entries)) {
        fprintf(stderr, "engine-run: out of memory\n");
        return 3;
    }
    struct hn_pool_callbacks cb = {on_snapshot, on_drained, &run};
    struct hn_grants *grants = NULL;
    if (hn_grants_new(s, true, &grants) ||
        hn_pool_new(run.loop, plan, threads, 42, grants, &cb, &run.pool)) {
        fprintf(stderr, "engine-run: cannot start engines\n");
        return 3;
    }
    uint64_t t0 = hn_clock_mono_ns();
    /* Users split over the classes by weight, as the master would. */
    uint32_t per_class[HN_MODEL_CLASSES_MAX] = {0};
    uint64_t wsum = hn_scenario_class_weight_sum(s), given = 0;
    for (uint32_t c = 0; c < s->n_classes; c++) {
        per_class[c] = (uint32_t)((uint64_t)users * s->classes[c].weight / wsum);
        given += per_class[c];
    }
    per_class[0] += users - (uint32_t)given;
    hn_pool_set_target(run.pool, per_class, s->n_classes, 0);
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
    for (uint32_t i = 0; entries && i < s->n_entries; i++) {
        const struct hn_rec_entry *e = &run.total.entries[i];
        const struct hn_hist *h = &e->timing[HN_TIMING_TOTAL];
        printf("entry=%s count=%llu fails=%llu p50_us=%llu p99_us=%llu max_us=%llu\n",
               s->entries[i].name, (unsigned long long)e->requests,
               (unsigned long long)e->failures,
               (unsigned long long)(e->requests ? hn_hist_percentile(h, 50) : 0),
               (unsigned long long)(e->requests ? hn_hist_percentile(h, 99) : 0),
               (unsigned long long)(e->requests ? hn_hist_max(h) : 0));
    }
    hn_recorder_deinit(&run.total);
    hn_pool_free(run.pool);
    hn_grants_free(grants);
    hn_plan_free(plan);
    hn_scenario_free(s);
    hn_http_global_cleanup();
    return run.requests > 0 ? 0 : 1;
}
