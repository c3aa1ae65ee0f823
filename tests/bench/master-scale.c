/* Benchmark driver: the real hornet-master against N simulated workers
 * (scale_sim.h). It runs one whole run (WELCOME, SCENARIO, TARGET, STOP,
 * FINAL, QUIT), measures the master's CPU from /proc over the steady state
 * and its memory, checks that every request the fleet reported is in the
 * master's CSV, and prints one line:
 *   master-scale: N workers, master CPU X % of one core, RSS Y MB,
 *   snapshots sent S counted S, requests exact: yes|no, lag max Z ms
 * followed by details. A figure is void when the simulator itself fell
 * behind its schedule (it says so). Not a test: see tests/bench/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "proto_limits.h"
#include "report_phases.h"
#include "scale_sim.h"

#ifndef HORNET_MASTER_PATH
#define HORNET_MASTER_PATH "hornet-master"
#endif

struct args {
    struct scale_opts sim;
    uint32_t seconds, warmup_s;
    const char *master, *keep, *perf;
    double throttle; /* 0, or the share of each half second the master may run */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: master-scale [options]\n"
            "  -n, --workers N        simulated workers (default 100)\n"
            "  -e, --entries N        stats entries per snapshot, 1..%u (default 20)\n"
            "  -t, --seconds N        run time of the master, at least -w + 5 (default 30)\n"
            "  -w, --warmup N         seconds after the start before CPU is measured "
            "(default 5)\n"
            "  -T, --threads N        simulator threads (default 2)\n"
            "      --io-threads N     ZeroMQ I/O threads of the simulator (default 1)\n"
            "      --variants N       distinct snapshots (default 32)\n"
            "      --total-only       send only the TOTAL histogram (a real worker also\n"
            "                         sends TTFB, and DNS and CONNECT for new connections)\n"
            "      --phases-always    TTFB, DNS and CONNECT in every report, as workers\n"
            "                         before protocol 8 (now: at each worker's turn every\n"
            "                         %uth, in each report of its last 3..22 s before the\n"
            "                         announced end, and in the FINAL, holding the\n"
            "                         requests since the last)\n"
            "      --connect-rate N   new connections per second at the start (default 1000)\n"
            "      --zmtp-ping MS     ZMTP heartbeat (PING) interval of each simulated worker,\n"
            "                         as a real worker's (default 3000; 0: none)\n"
            "      --heartbeats-apart each HEARTBEAT on its own timer, as workers before\n"
            "                         2026-12-02 (now one goes right after each SNAPSHOT)\n"
            "      --master PATH      hornet-master to run (default: the one built with this)\n"
            "      --keep DIR         keep the master's log and CSV files in DIR\n"
            "      --perf FILE        perf record -g the master over the steady state\n"
            "      --throttle F       once the run began, let the master run only this share\n"
            "                         (0..1) of each half second (SIGSTOP/SIGCONT), until it\n"
            "                         stops the run: a master that cannot keep up, on purpose\n",
            SCALE_ENTRIES_MAX, HN_PROTO_PHASES_EVERY);
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"workers", required_argument, NULL, 'n'},
        {"entries", required_argument, NULL, 'e'},
        {"seconds", required_argument, NULL, 't'},
        {"warmup", required_argument, NULL, 'w'},
        {"threads", required_argument, NULL, 'T'},
        {"io-threads", required_argument, NULL, 'I'},
        {"variants", required_argument, NULL, 'V'},
        {"total-only", no_argument, NULL, 'O'},
        {"phases-always", no_argument, NULL, 'F'},
        {"connect-rate", required_argument, NULL, 'C'},
        {"zmtp-ping", required_argument, NULL, 'Z'},
        {"heartbeats-apart", no_argument, NULL, 'A'},
        {"master", required_argument, NULL, 'M'},
        {"keep", required_argument, NULL, 'K'},
        {"perf", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {"throttle", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct args){
        .sim = {.workers = 100,
                .entries = 20,
                .threads = 2,
                .io_threads = 1,
                .variants = 32,
                .connect_rate = 1000,
                .zmtp_ping_ms = 3000},
        .seconds = 30,
        .warmup_s = 5,
        .master = getenv("HORNET_MASTER") ? getenv("HORNET_MASTER") : HORNET_MASTER_PATH,
    };
    int c;
    while ((c = getopt_long(argc, argv, "n:e:t:w:T:h", opts, NULL)) != -1) {
        unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
        switch (c) {
        case 'n':
            a->sim.workers = (uint32_t)v;
            break;
        case 'e':
            a->sim.entries = (uint32_t)v;
            break;
        case 't':
            a->seconds = (uint32_t)v;
            break;
        case 'w':
            a->warmup_s = (uint32_t)v;
            break;
        case 'T':
            a->sim.threads = (uint32_t)v;
            break;
        case 'I':
            a->sim.io_threads = (uint32_t)v;
            break;
        case 'V':
            a->sim.variants = (uint32_t)v;
            break;
        case 'O':
            a->sim.total_only = true;
            break;
        case 'F':
            a->sim.phases_always = true;
            break;
        case 'C':
            a->sim.connect_rate = (uint32_t)v;
            break;
        case 'A':
            a->sim.heartbeats_apart = true;
            break;
        case 'Z':
            a->sim.zmtp_ping_ms = (uint32_t)v;
            break;
        case 'M':
            a->master = optarg;
            break;
        case 'K':
            a->keep = optarg;
            break;
        case 'P':
            a->perf = optarg;
            break;
        case 'R':
            a->throttle = strtod(optarg, NULL);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !a->sim.workers || !a->sim.entries ||
        a->sim.entries > SCALE_ENTRIES_MAX || !a->sim.threads || !a->sim.io_threads ||
        !a->sim.variants || a->seconds < a->warmup_s + 5 || a->throttle < 0 || a->throttle >= 1 ||
        a->sim.zmtp_ping_ms > 60000) {
        if (a->seconds < a->warmup_s + 5)
            fprintf(stderr, "master-scale: -t must be at least -w + 5 (the CPU is measured "
                            "from -w to 2 s before the end)\n");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* --- the master process ------------------------------------------------- */

static pid_t start_master(const struct args *a, const char *dir)
{
    char users[16], run_time[16], log_path[512], csv[512];
    snprintf(users, sizeof(users), "%u", a->sim.workers);
    snprintf(run_time, sizeof(run_time), "%us", a->seconds);
    snprintf(log_path, sizeof(log_path), "%s/master.log", dir);
    snprintf(csv, sizeof(csv), "%s/run", dir);
    const char *argv[32 + SCALE_ENTRIES_MAX] = {
        a->master,
        "--bind",
        "tcp://127.0.0.1:*",
        "-H",
        "http://127.0.0.1:1",
        "-u",
        users,
        "-r",
        users,
        "-t",
        run_time,
        "-s",
        "2s",
        "--expect-workers",
        users,
        "--max-workers",
        users,
        "--expect-workers-max-wait",
        "300s",
        "--csv",
        csv,
    };
    size_t n = 21;
    static char names[SCALE_ENTRIES_MAX][8];
    for (uint32_t e = 0; e < a->sim.entries; e++) {
        snprintf(names[e], sizeof(names[e]), "/e%02u", e);
        argv[n++] = names[e];
    }
    argv[n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Dies with the simulator: one killed (a test's timeout) would leave
     * a master it had stopped (--throttle) stopped for good, holding its
     * memory and ports. If the simulator died before prctl(), the child
     * was reparented: to init, or to a subreaper (systemd --user, a
     * container's init), so compare with the simulator's pid, not 1. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execv(a->master, (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", a->master, strerror(errno));
    _exit(127);
}

/* The endpoint from the master's "waiting for N workers on EP" line. */
static int master_endpoint(const char *dir, pid_t pid, char *ep, size_t len)
{
    char path[512], line[1024];
    snprintf(path, sizeof(path), "%s/master.log", dir);
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f)) {
            const char *p = strstr(line, " on tcp://");
            if (p && strstr(line, "waiting for")) {
                snprintf(ep, len, "%s", p + 4);
                ep[strcspn(ep, " \n")] = '\0';
                fclose(f);
                return 0;
            }
        }
        if (f)
            fclose(f);
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -ECHILD;
        usleep(50000);
    }
    return -ETIMEDOUT;
}

/* utime + stime of /proc/@pid[/task/@tid]/stat, in clock ticks. */
static long long cpu_ticks(pid_t pid, pid_t tid)
{
    char path[128], buf[1024];
    if (tid)
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
    else
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    long long utime, stime;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

/* A "Vm...:" field of /proc/@pid/status, in KiB (-1 if unreadable). */
static long status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, len) == 0)
            kib = strtol(line + len, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static double now_s(void)
{
    return hn_clock_mono_s();
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* --- results ------------------------------------------------------------- */

/* Request counts of the master's stats CSV: per entry (GET /eNN) and the
 * Aggregated row. False if the file is missing or unreadable. */
static bool read_csv(const char *dir, uint32_t entries, uint64_t *per, uint64_t *agg)
{
    char path[512], line[2048];
    snprintf(path, sizeof(path), "%s/run_stats.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool got_agg = false;
    while (fgets(line, sizeof(line), f)) {
        char type[16], name[64];
        unsigned long long count;
        if (sscanf(line, "%15[^,],%63[^,],%llu", type, name, &count) == 3) {
            unsigned e;
            if (strcmp(type, "GET") == 0 && sscanf(name, "/e%u", &e) == 1 && e < entries)
                per[e] = count;
        } else if (sscanf(line, ",Aggregated,%llu", &count) == 1) {
            *agg = count;
            got_agg = true;
        }
    }
    fclose(f);
    return got_agg;
}

/* Lines of the master's log holding @what. */
static unsigned count_log(const char *dir, const char *what)
{
    char path[512], line[4096];
    snprintf(path, sizeof(path), "%s/master.log", dir);
    FILE *f = fopen(path, "r");
    unsigned n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, what) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* "lag max N ms" from the master's last statistics line; -1 if none (a
 * master that does not measure its lag). */
static long log_lag_max(const char *dir)
{
    char path[512], line[4096];
    snprintf(path, sizeof(path), "%s/master.log", dir);
    FILE *f = fopen(path, "r");
    long lag = -1;
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "lag max ");
        if (p)
            lag = strtol(p + 8, NULL, 10);
    }
    if (f)
        fclose(f);
    return lag;
}

/* --throttle: the master runs a share of each half second, until it
 * stops the run (then it may finish at full speed: its verdict is made). */
struct throttle {
    pid_t pid;
    double share;
    atomic_bool stop;
    pthread_t thread;
    const struct scale_fleet *fleet;
};

static void *throttle_main(void *arg)
{
    struct throttle *t = arg;
    while (!atomic_load(&t->stop) && scale_fleet_stopped(t->fleet) == 0) {
        kill(t->pid, SIGCONT);
        sleep_s(0.5 * t->share);
        if (atomic_load(&t->stop))
            break;
        kill(t->pid, SIGSTOP);
        sleep_s(0.5 * (1 - t->share));
    }
    kill(t->pid, SIGCONT);
    return NULL;
}

/* "statistics: N snapshots merged, B bytes each" from the master's log;
 * false if absent (a master that does not say it). */
static bool log_merged(const char *dir, unsigned long long *n, double *bytes)
{
    char path[512], line[4096];
    snprintf(path, sizeof(path), "%s/master.log", dir);
    FILE *f = fopen(path, "r");
    bool got = false;
    while (f && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "statistics: ");
        got |= p && sscanf(p, "statistics: %llu snapshots merged, %lf bytes", n, bytes) == 2;
    }
    if (f)
        fclose(f);
    return got;
}

static pid_t start_perf(const char *out, pid_t pid, double seconds)
{
    char p[16], s[32];
    snprintf(p, sizeof(p), "%d", pid);
    snprintf(s, sizeof(s), "%.0f", seconds);
    pid_t child = fork();
    if (child == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("perf", "perf", "record", "-F", "4999", "-g", "-p", p, "-o", out, "--", "sleep", s,
               (char *)NULL);
        _exit(127);
    }
    return child;
}

int main(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    /* Two descriptors per DEALER here (socket, mailbox), one per
     * connection in the master, which inherits the limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < 2 * (rlim_t)a.sim.workers + 256)
            fprintf(stderr, "master-scale: open-file limit %llu is too low for %u workers\n",
                    (unsigned long long)rl.rlim_cur, a.sim.workers);
    }
    char tmp[] = "/tmp/master-scale.XXXXXX";
    const char *dir = a.keep;
    if (dir)
        mkdir(dir, 0755);
    else if (!(dir = mkdtemp(tmp))) {
        perror("mkdtemp");
        return 1;
    }

    pid_t master = start_master(&a, dir);
    char ep[256];
    if (master < 0 || master_endpoint(dir, master, ep, sizeof(ep))) {
        fprintf(stderr, "master-scale: hornet-master did not start (log in %s/master.log)\n", dir);
        return 1;
    }
    a.sim.endpoint = ep;
    struct scale_fleet *fleet = NULL;
    struct scale_shape shape;
    if (scale_fleet_new(&a.sim, &fleet) || (scale_fleet_shape(fleet, &shape), 0) ||
        scale_fleet_start(fleet)) {
        fprintf(stderr, "master-scale: cannot start the simulated workers\n");
        kill(master, SIGKILL);
        return 1;
    }

    /* The run starts when every worker has joined: wait for all TARGETs. */
    double join_deadline = now_s() + 60.0 + a.sim.workers / (double)a.sim.connect_rate;
    while (scale_fleet_running(fleet) < a.sim.workers && now_s() < join_deadline &&
           waitpid(master, NULL, WNOHANG) == 0)
        sleep_s(0.05);
    double t_run = now_s();
    uint32_t running = scale_fleet_running(fleet);

    struct throttle throttle = {.pid = master, .share = a.throttle, .fleet = fleet};
    bool throttled =
        a.throttle > 0 && pthread_create(&throttle.thread, NULL, throttle_main, &throttle) == 0;
    /* Steady state: from the warm-up to 2 s before the stop. */
    double win_start = t_run + a.warmup_s, win_end = t_run + a.seconds - 2.0;
    /* And apart, the part before the run's last seconds, in which workers
     * send the phases they held in every report (report_phases.h): what a
     * long run costs, second after second. */
    double win_mid = t_run + a.seconds - (HN_REPORT_PHASES_LEAD_MIN_S +
                                          HN_REPORT_PHASES_LEAD_SPREAD_S + 1.0);
    if (win_mid < win_start + 5.0)
        win_mid = -1;
    long long cpu0 = -1, cpu1 = -1, main0 = -1, main1 = -1, cpu_mid = -1;
    long rss_max_kib = 0, hwm_kib = 0;
    pid_t perf = 0;
    int status = 0;
    bool exited = false;
    double exit_deadline = t_run + a.seconds + 60.0;
    while (!exited && now_s() < exit_deadline) {
        double t = now_s();
        if (cpu0 < 0 && t >= win_start) {
            cpu0 = cpu_ticks(master, 0);
            main0 = cpu_ticks(master, master);
            win_start = t;
            if (a.perf)
                perf = start_perf(a.perf, master, win_end - win_start);
        }
        if (cpu0 >= 0 && cpu_mid < 0 && win_mid > 0 && t >= win_mid) {
            cpu_mid = cpu_ticks(master, 0);
            win_mid = t;
        }
        if (cpu0 >= 0 && cpu1 < 0 && t >= win_end) {
            cpu1 = cpu_ticks(master, 0);
            main1 = cpu_ticks(master, master);
            win_end = t;
        }
        long rss = status_kib(master, "VmRSS:"), hwm = status_kib(master, "VmHWM:");
        rss_max_kib = rss > rss_max_kib ? rss : rss_max_kib;
        hwm_kib = hwm > hwm_kib ? hwm : hwm_kib;
        if (waitpid(master, &status, WNOHANG) == master)
            exited = true;
        else
            sleep_s(0.2);
    }
    if (throttled) {
        atomic_store(&throttle.stop, true);
        pthread_join(throttle.thread, NULL);
    }
    if (!exited) {
        fprintf(stderr, "master-scale: the master did not exit in time: killed\n");
        kill(master, SIGKILL);
        waitpid(master, &status, 0);
    }
    if (perf > 0)
        waitpid(perf, NULL, 0);
    /* Workers that got QUIT are done; give the rest a moment, then stop. */
    for (int i = 0; i < 20 && scale_fleet_quit(fleet) < a.sim.workers; i++)
        sleep_s(0.1);
    struct scale_result res;
    scale_fleet_join(fleet, &res);

    uint64_t per[SCALE_ENTRIES_MAX] = {0}, agg = 0;
    bool csv = read_csv(dir, a.sim.entries, per, &agg);
    bool exact = csv && agg == res.requests_total;
    for (uint32_t e = 0; e < a.sim.entries; e++)
        exact &= per[e] == res.requests[e];
    long tck = sysconf(_SC_CLK_TCK);
    double win = win_end - win_start;
    double cpu_pct = cpu1 >= 0 && win > 0 ? 100.0 * (double)(cpu1 - cpu0) / (double)tck / win : -1;
    double main_pct =
        main1 >= 0 && win > 0 ? 100.0 * (double)(main1 - main0) / (double)tck / win : -1;
    double before_s = cpu_mid >= 0 ? win_mid - win_start : 0, last_s = win_end - win_mid;
    double before_pct =
        cpu_mid >= 0 && before_s > 0 ? 100.0 * (double)(cpu_mid - cpu0) / (double)tck / before_s : -1;
    double last_pct = cpu_mid >= 0 && cpu1 >= 0 && last_s > 0
                          ? 100.0 * (double)(cpu1 - cpu_mid) / (double)tck / last_s
                          : -1;
    long lag = log_lag_max(dir);
    char lag_s[32];
    if (lag >= 0)
        snprintf(lag_s, sizeof(lag_s), "%ld ms", lag);
    else
        snprintf(lag_s, sizeof(lag_s), "n/a");
    uint64_t counted = agg / shape.requests_per_snapshot;
    bool void_fig = res.late_max_us > 500000 || res.late_100ms * 100 > res.sends_on_schedule ||
                    running < a.sim.workers || res.send_failures > 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    printf("master-scale: %u workers, master CPU %.1f %% of one core, RSS %.0f MB, snapshots "
           "sent %llu counted %llu%s, requests exact: %s, lag max %s%s\n",
           a.sim.workers, cpu_pct, (double)hwm_kib / 1024.0, (unsigned long long)res.snapshots_sent,
           (unsigned long long)counted, agg % shape.requests_per_snapshot ? " (and a part)" : "",
           exact ? "yes" : "no", lag_s, void_fig ? " [VOID: see below]" : "");
    printf("  master: exit %d, main thread %.1f %% over %.1f s of steady state, peak RSS %.1f "
           "MB (%.1f KiB per worker), RSS sampled max %.1f MB\n",
           code, main_pct, win, (double)hwm_kib / 1024.0, (double)hwm_kib / a.sim.workers,
           (double)rss_max_kib / 1024.0);
    if (before_pct >= 0)
        printf("  master CPU before the run's last %.0f s: %.1f %% over %.1f s; in them: %.1f %%\n",
               a.seconds - (win_mid - t_run), before_pct, before_s, last_pct);
    printf("  master log: %u marked missing, %u responding again, %u back, %u without final "
           "report, %u cannot keep up%s\n",
           count_log(dir, "marked missing"), count_log(dir, "responding again"),
           count_log(dir, " is back"), count_log(dir, "sent no final report"),
           count_log(dir, "cannot keep up"), throttled ? " (throttled on purpose)" : "");
    unsigned long long merged = 0;
    double merged_bytes = 0;
    char merged_s[96] = "";
    if (log_merged(dir, &merged, &merged_bytes))
        snprintf(merged_s, sizeof(merged_s), "; the master says it merged %llu (%.0f bytes each)",
                 merged, merged_bytes);
    printf("  requests: fleet sent %llu, master CSV %llu%s%s\n",
           (unsigned long long)res.requests_total, (unsigned long long)agg, csv ? "" : " (no CSV)",
           merged_s);
    char kinds_s[120] = "";
    if (a.sim.phases_always)
        snprintf(kinds_s, sizeof(kinds_s), " + TTFB (+DNS, CONNECT) in every report");
    else if (!a.sim.total_only)
        snprintf(kinds_s, sizeof(kinds_s),
                 " + TTFB (+DNS, CONNECT) at each worker's turn (every %uth), in the last "
                 "3..22 s and the FINAL",
                 HN_PROTO_PHASES_EVERY);
    printf("  snapshots: %u entries x TOTAL histograms of %u..%u buckets (median %u)%s, %llu "
           "requests each; %.0f bytes per snapshot on average (%u..%u), %.0f bytes per "
           "worker-second with the heartbeat\n",
           a.sim.entries, shape.buckets_min, shape.buckets_max, shape.buckets_median,
           kinds_s,
           (unsigned long long)shape.requests_per_snapshot,
           res.snapshots_sent ? (double)res.snapshot_bytes / (double)res.snapshots_sent : 0.0,
           shape.frame_bytes_min, shape.frame_bytes_max,
           res.snapshots_sent ? (double)res.snapshot_bytes / (double)res.snapshots_sent + 20 : 0.0);
    printf("  fleet: %u/%u running, %llu welcomes, %llu targets (most to one worker %u), %llu "
           "stops, %u finals, %u quit, %llu rejects%s%s\n",
           running, a.sim.workers, (unsigned long long)res.welcomes,
           (unsigned long long)res.targets, res.targets_max, (unsigned long long)res.stops,
           res.workers_final, res.workers_quit, (unsigned long long)res.rejects,
           res.reject_reason[0] ? ": " : "", res.reject_reason);
    printf("  simulator: cadence %llu periodic sends, %llu more than 100 ms late, latest %.1f "
           "ms, %llu send failures; CPU %.1f s (%s)\n",
           (unsigned long long)res.sends_on_schedule, (unsigned long long)res.late_100ms,
           (double)res.late_max_us / 1000.0, (unsigned long long)res.send_failures, res.cpu_s,
           void_fig ? "VOID: the simulator did not keep its cadence or not every worker ran"
                    : "kept its cadence");
    if (a.keep)
        printf("  files: %s\n", dir);
    scale_fleet_free(fleet);
    if (!a.keep) {
        char path[600];
        const char *files[] = {"master.log", "run_stats.csv", "run_failures.csv",
                               "run_exceptions.csv", "run_stats_history.csv"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    return exact && !void_fig && code == 0 ? 0 : 1;
}
