/* merge-cost: what the master's main thread spends on each SNAPSHOT once
 * it has arrived (decode and check, the limits, the merge into the
 * statistics store, the tick once a second), measured in one thread
 * without sockets, so that two versions of that code can be compared with
 * far less noise than a whole master-scale run gives. The snapshots are
 * master-scale's (scale_sim.c); each simulated worker's frame lives in
 * its own buffer, so the frames come from memory as they would from
 * ZeroMQ, not from a warm cache. See README.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "limits_check.h"
#include "model.h"
#include "msg.h"
#include "scale_sim.h"
#include "stats.h"

#define RUN_ID "merge-cost"

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: merge-cost [options]\n"
               "  -n, --workers N     simulated workers, one snapshot each per second (default "
               "1000)\n"
               "  -s, --seconds N     seconds of snapshots per round (default 10)\n"
               "  -r, --rounds N      rounds; the median is printed (default 5)\n"
               "  -e, --entries N     stats entries per snapshot, 1..64 (default 20)\n"
               "      --total-only    only the TOTAL histogram in each entry\n");
}

struct opts {
    uint32_t workers, seconds, rounds, entries;
    bool total_only;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {{"workers", required_argument, NULL, 'n'},
                                          {"seconds", required_argument, NULL, 's'},
                                          {"rounds", required_argument, NULL, 'r'},
                                          {"entries", required_argument, NULL, 'e'},
                                          {"total-only", no_argument, NULL, 'T'},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
    *o = (struct opts){.workers = 1000, .seconds = 10, .rounds = 5, .entries = 20};
    int c;
    while ((c = getopt_long(argc, argv, "n:s:r:e:h", longs, NULL)) != -1) {
        char *end;
        unsigned long v = 0;
        if (optarg) {
            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (errno || *end || v == 0 || v > 1000000) {
                fprintf(stderr, "merge-cost: -%c wants a number from 1 to 1000000\n", c);
                return 2;
            }
        }
        switch (c) {
        case 'n': o->workers = (uint32_t)v; break;
        case 's': o->seconds = (uint32_t)v; break;
        case 'r': o->rounds = (uint32_t)v; break;
        case 'e': o->entries = (uint32_t)v; break;
        case 'T': o->total_only = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || o->entries > SCALE_ENTRIES_MAX) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* The limits of a quick-mode run over the simulator's names (/e00 ..). */
static int make_limits(uint32_t entries, struct hn_limits *l)
{
    char names[SCALE_ENTRIES_MAX][8];
    const char *paths[SCALE_ENTRIES_MAX];
    for (uint32_t e = 0; e < entries; e++) {
        snprintf(names[e], sizeof(names[e]), "/e%02u", e);
        paths[e] = names[e];
    }
    struct hn_scenario *s = hn_scenario_quick("http://127.0.0.1:1", paths, entries);
    char why[200];
    if (!s)
        return -ENOMEM;
    int err = hn_scenario_finalize(s, why, sizeof(why));
    if (!err)
        err = hn_limits_init(l, s);
    hn_scenario_free(s);
    return err;
}

/* One round: seconds x workers snapshots into a fresh store. Returns the
 * main-thread CPU seconds, or a negative value on error. */
static double round_once(const struct opts *o, struct scale_fleet *f, msgpack_sbuffer *frames,
                         const struct hn_limits *limits, struct hn_hist_pairs *counters,
                         uint64_t *requests)
{
    struct hn_stats *st;
    if (hn_stats_new(1000, &st))
        return -1;
    double cpu = 0;
    int err = 0;
    for (uint32_t sec = 1; sec <= o->seconds && !err; sec++) {
        /* Frames of this second, built outside the measured part. */
        for (uint32_t w = 0; w < o->workers && !err; w++)
            err = scale_fleet_frame(f, w, sec, RUN_ID, &frames[w]);
        double t0 = thread_cpu_s();
        for (uint32_t w = 0; w < o->workers && !err; w++) {
            struct hn_msg m;
            char why[200];
            counters->used = 0; /* as the master does: one room, reused */
            if ((err = hn_msg_decode_into(frames[w].data, frames[w].size, counters, &m)))
                break;
            if (hn_limits_check_snapshot(limits, &m.snapshot, why, sizeof(why))) {
                fprintf(stderr, "merge-cost: limits: %s\n", why);
                err = HN_E_INVALID;
            } else {
                err = hn_stats_add(st, &m.snapshot, 1000 * sec + 500);
            }
            hn_msg_deinit(&m);
        }
        hn_stats_tick(st, 1000 * sec + 1000);
        cpu += thread_cpu_s() - t0;
    }
    *requests = hn_stats_total_requests(st);
    hn_stats_free(st);
    if (err) {
        fprintf(stderr, "merge-cost: %s\n", hn_strerror(err));
        return -1;
    }
    return cpu;
}

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    struct scale_opts so = {.workers = o.workers,
                            .entries = o.entries,
                            .threads = 1,
                            .io_threads = 1,
                            .variants = 32,
                            .total_only = o.total_only};
    struct scale_fleet *f;
    struct hn_limits limits = {0};
    if (scale_fleet_new(&so, &f) || make_limits(o.entries, &limits)) {
        fprintf(stderr, "merge-cost: cannot set up\n");
        return 1;
    }
    struct scale_shape shape;
    scale_fleet_shape(f, &shape);
    msgpack_sbuffer *frames = calloc(o.workers, sizeof(*frames));
    double *cpu = calloc(o.rounds, sizeof(*cpu));
    if (!frames || !cpu)
        return 1;
    for (uint32_t w = 0; w < o.workers; w++)
        msgpack_sbuffer_init(&frames[w]);
    uint64_t snapshots = (uint64_t)o.workers * o.seconds, requests = 0;
    struct hn_hist_pairs counters;
    if (hn_hist_pairs_init(&counters, HN_MSG_COUNTERS_MAX))
        return 1;
    for (uint32_t i = 0; i < o.rounds; i++) {
        cpu[i] = round_once(&o, f, frames, &limits, &counters, &requests);
        if (cpu[i] < 0)
            return 1;
        if (requests != snapshots * shape.requests_per_snapshot) {
            fprintf(stderr, "merge-cost: merged %llu requests, sent %llu\n",
                    (unsigned long long)requests,
                    (unsigned long long)(snapshots * shape.requests_per_snapshot));
            return 1;
        }
    }
    qsort(cpu, o.rounds, sizeof(*cpu), cmp_double);
    double med = cpu[o.rounds / 2];
    printf("merge-cost: %u workers x %u s, %u entries%s: %.1f us per snapshot (median of %u "
           "rounds, %.1f..%.1f), %.1f %% of a core at one snapshot per worker-second\n",
           o.workers, o.seconds, o.entries, o.total_only ? " (TOTAL only)" : "",
           med / (double)snapshots * 1e6, o.rounds, cpu[0] / (double)snapshots * 1e6,
           cpu[o.rounds - 1] / (double)snapshots * 1e6, med / o.seconds * 100.0);
    for (uint32_t w = 0; w < o.workers; w++)
        msgpack_sbuffer_destroy(&frames[w]);
    free(frames);
    free(cpu);
    hn_hist_pairs_deinit(&counters);
    hn_limits_deinit(&limits);
    scale_fleet_free(f);
    return 0;
}
