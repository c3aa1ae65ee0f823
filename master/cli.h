/* hornet-master's command line: options familiar to Locust users, parsed
 * into a config. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "stats.h"
#include "thresholds.h"

#define HN_CLI_TAGS_MAX 32

struct hn_master_config {
    const char *scenario_file;   /* -f: YAML scenario (NULL: quick mode) */
    bool check;                  /* --check: validate, print a summary, exit */
    const char *tags[HN_CLI_TAGS_MAX]; /* --tags: run only tasks with these */
    uint32_t n_tags;
    const char *exclude_tags[HN_CLI_TAGS_MAX]; /* --exclude-tags */
    uint32_t n_exclude_tags;
    const char *host;            /* -H: base URL of the system under test */
    uint32_t users;              /* -u: peak number of users */
    double spawn_rate;           /* -r: users started per second */
    bool users_given, spawn_rate_given; /* -u / -r: they replace the file's load: */
    const char *stages;          /* --stages: closed-model stages, replace load: */
    double rate;                 /* --rate: open model, iterations per second */
    bool rate_given;
    uint32_t max_users;          /* --max-users (0: the file's, or the default) */
    uint64_t max_delay_ms;       /* --max-delay (0: the file's, or the request timeout) */
    const char *thresholds[HN_THRESHOLDS_MAX]; /* --threshold, repeatable */
    uint32_t n_thresholds;
    enum hn_stats_latency latency; /* --latency */
    uint64_t run_time_ms;        /* -t: 0 = until interrupted (or the stages' end) */
    uint64_t stop_timeout_ms;    /* -s: graceful stop allowance */
    const char *bind;            /* --bind: ROUTER endpoint */
    uint32_t expect_workers;     /* start when this many workers joined */
    uint64_t expect_wait_ms;     /* ... or give up after this long (0: forever) */
    uint32_t local_workers;      /* fork this many hornet-worker processes */
    uint32_t worker_threads;     /* engine threads per local worker (0: auto) */
    const char *worker_bin;      /* hornet-worker to fork (NULL: search) */
    uint64_t request_timeout_ms; /* --request-timeout (0: the scenario's, or 10 s) */
    bool no_cookies;             /* --no-cookies: replaces http.cookies */
    uint8_t engine;              /* --engine (enum hn_engine), with engine_given */
    bool engine_given;
    const char *curve_secret;    /* --curve-secret: the master's secret key file */
    const char *allow_workers;   /* --allow-workers: public keys admitted */
    const char *allow_shared;    /* --allow-shared-key: keys many workers may hold */
    bool insecure;               /* --insecure: allow a non-loopback bind without keys */
    uint32_t max_workers;        /* --max-workers */
    uint64_t max_stats_memory;   /* --max-stats-memory, bytes (0 before defaults) */
    const char *csv_prefix;      /* --csv */
    bool csv_full_history;
    bool csv_exact;              /* --csv-exact: exact decimals, not whole ms */
    const char *json_path;       /* --json */
    const char *html_path;       /* --html */
    const char *hdr_log_path;    /* --hdr-log */
    const char *metrics_bind;    /* --metrics-bind HOST:PORT */
    const char *junit_path;      /* --junit */
    const char *summary_md_path; /* --summary-md */
    bool only_summary;
    int exit_code_on_error; /* exit code when any request failed */
    enum hn_log_level log_level;
    const char *const *paths; /* quick mode: GET tasks */
    uint32_t n_paths;
};

/* Parse argv into @cfg. Returns true to run (*@exit_code is HN_EXIT_OK),
 * false to exit at once with *@exit_code: HN_EXIT_OK after --help or
 * --version, HN_EXIT_USAGE after a one-line reason on stderr (HN_EXIT_NO_RUN
 * when out of memory). */
bool hn_cli_parse(int argc, char **argv, struct hn_master_config *cfg, int *exit_code);
void hn_cli_usage(FILE *out);
