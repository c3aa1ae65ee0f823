/* hornet-master's command line (see cli.h). */
#include "getopt_error.h"
#include "cli.h"
#include "error.h"
#include <errno.h>
#include "exitcodes.h"
#include "proto_limits.h"
#include "registry.h"
#include "report_paths.h"
#include "run_plan.h"
#include "sanitize.h"
#include "thresholds.h"
#include "units.h"
#include "url.h"
#include "url_check.h"
#include "curve.h"
#include "endpoint.h"
#include "fastpath.h"
#include "loadshape.h"
#include "metrics_addr.h"
#include "model.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The bad-command-line helpers print the reason and return false: the
 * parse ends there with the exit code hn_cli_parse preset, HN_EXIT_USAGE. */
static bool bad(const char *what, const char *got)
{
    char safe[HN_SANITIZE_SIZE(256)];
    if (!got[0])
        fprintf(stderr, "hornet-master: %s; see --help\n", what);
    else
        fprintf(stderr, "hornet-master: %s (got '%s'); see --help\n", what,
                hn_sanitize_str(safe, sizeof(safe), got));
    return false;
}

static bool bad_url(const char *what, const char *why)
{
    fprintf(stderr, "hornet-master: %s gives an invalid URL: %s; see --help\n", what, why);
    return false;
}

static bool bad_endpoint(const char *got, const char *why)
{
    char safe[HN_SANITIZE_SIZE(256)];
    fprintf(stderr,
            "hornet-master: --bind wants tcp://HOST:PORT or ipc://PATH: %s (got '%s'); "
            "see --help\n",
            why, hn_sanitize_str(safe, sizeof(safe), got));
    return false;
}

static bool bad_metrics_addr(const char *got, const char *why)
{
    char safe[HN_SANITIZE_SIZE(256)];
    fprintf(stderr,
            "hornet-master: --metrics-bind wants HOST:PORT, [IPv6]:PORT or :PORT: %s (got '%s'); "
            "see --help\n",
            why, hn_sanitize_str(safe, sizeof(safe), got));
    return false;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    if (hn_units_parse_count(s, max, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "a,b,c" into @out (pointers into @arg, which is cut at the commas).
 * 0, or HN_E_INVALID (no name, or more than HN_CLI_TAGS_MAX) with @arg
 * left as it was, for the error message to quote whole. */
static int split_tags(char *arg, const char **out, uint32_t *n)
{
    size_t len = strlen(arg);
    for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == HN_CLI_TAGS_MAX || !tok[0])
            goto fail;
        out[(*n)++] = tok;
    }
    if (*n)
        return 0;
fail:
    for (size_t i = 0; i < len; i++)
        if (!arg[i])
            arg[i] = ',';
    return HN_E_INVALID;
}

bool hn_cli_parse(int argc, char **argv, struct hn_master_config *cfg, int *exit_code)
{
    enum {
        O_BIND = 256,
        O_CHECK,
        O_TAGS,
        O_EXCLUDE_TAGS,
        O_EXPECT,
        O_EXPECT_WAIT,
        O_LOCAL,
        O_WTHREADS,
        O_WBIN,
        O_REQ_TIMEOUT,
        O_CSV,
        O_FULL_HISTORY,
        O_CSV_EXACT,
        O_JSON,
        O_HTML,
        O_HDR_LOG,
        O_METRICS_BIND,
        O_JUNIT,
        O_SUMMARY_MD,
        O_ONLY_SUMMARY,
        O_EXIT_ON_ERROR,
        O_LOG_LEVEL,
        O_CURVE_SECRET,
        O_ALLOW,
        O_ALLOW_SHARED,
        O_INSECURE,
        O_MAX_WORKERS,
        O_MAX_STATS_MEM,
        O_STAGES,
        O_RATE,
        O_MAX_USERS,
        O_MAX_DELAY,
        O_THRESHOLD,
        O_LATENCY,
        O_NO_COOKIES,
        O_ENGINE,
    };
    static const struct option options[] = {
        {"scenario", required_argument, NULL, 'f'},
        {"check", no_argument, NULL, O_CHECK},
        {"tags", required_argument, NULL, O_TAGS},
        {"exclude-tags", required_argument, NULL, O_EXCLUDE_TAGS},
        {"host", required_argument, NULL, 'H'},
        {"users", required_argument, NULL, 'u'},
        {"spawn-rate", required_argument, NULL, 'r'},
        {"run-time", required_argument, NULL, 't'},
        {"stop-timeout", required_argument, NULL, 's'},
        {"request-timeout", required_argument, NULL, O_REQ_TIMEOUT},
        {"bind", required_argument, NULL, O_BIND},
        {"local-workers", required_argument, NULL, O_LOCAL},
        {"worker-threads", required_argument, NULL, O_WTHREADS},
        {"worker-bin", required_argument, NULL, O_WBIN},
        {"expect-workers", required_argument, NULL, O_EXPECT},
        {"expect-workers-max-wait", required_argument, NULL, O_EXPECT_WAIT},
        {"csv", required_argument, NULL, O_CSV},
        {"csv-full-history", no_argument, NULL, O_FULL_HISTORY},
        {"csv-exact", no_argument, NULL, O_CSV_EXACT},
        {"json", required_argument, NULL, O_JSON},
        {"html", required_argument, NULL, O_HTML},
        {"hdr-log", required_argument, NULL, O_HDR_LOG},
        {"metrics-bind", required_argument, NULL, O_METRICS_BIND},
        {"junit", required_argument, NULL, O_JUNIT},
        {"summary-md", required_argument, NULL, O_SUMMARY_MD},
        {"only-summary", no_argument, NULL, O_ONLY_SUMMARY},
        {"exit-code-on-error", required_argument, NULL, O_EXIT_ON_ERROR},
        {"log-level", required_argument, NULL, O_LOG_LEVEL},
        {"curve-secret", required_argument, NULL, O_CURVE_SECRET},
        {"allow-workers", required_argument, NULL, O_ALLOW},
        {"allow-shared-key", required_argument, NULL, O_ALLOW_SHARED},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"max-workers", required_argument, NULL, O_MAX_WORKERS},
        {"max-stats-memory", required_argument, NULL, O_MAX_STATS_MEM},
        {"stages", required_argument, NULL, O_STAGES},
        {"rate", required_argument, NULL, O_RATE},
        {"max-users", required_argument, NULL, O_MAX_USERS},
        {"max-delay", required_argument, NULL, O_MAX_DELAY},
        {"threshold", required_argument, NULL, O_THRESHOLD},
        {"latency", required_argument, NULL, O_LATENCY},
        {"no-cookies", no_argument, NULL, O_NO_COOKIES},
        {"engine", required_argument, NULL, O_ENGINE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0, 0, 0, 0},
    };
    *cfg = (struct hn_master_config){
        .users = 1,
        .spawn_rate = 1,
        .stop_timeout_ms = 10000,
        .bind = "tcp://127.0.0.1:5557",
        .expect_wait_ms = 60000,
        .exit_code_on_error = 1,
        .log_level = HN_LOG_INFO,
        .max_workers = 1024,
    };
    /* Every "return false" below is a bad command line (its reason on
     * stderr) unless it sets another code first. */
    *exit_code = HN_EXIT_USAGE;
    bool expect_given = false;
    const char *local_only = NULL; /* a flag of --local-workers' */
    char why[256];
    struct stat st;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:H:u:r:t:s:hV", options, NULL)) != -1) {
        uint32_t n;
        switch (c) {
        case 'f':
            if (!optarg[0])
                return bad("--scenario wants a file", optarg);
            cfg->scenario_file = optarg;
            break;
        case O_CHECK:
            cfg->check = true;
            break;
        case O_TAGS:
            if (split_tags(optarg, cfg->tags, &cfg->n_tags)) {
                snprintf(why, sizeof(why), "--tags wants names separated by commas (at most %d)",
                         HN_CLI_TAGS_MAX);
                return bad(why, optarg);
            }
            break;
        case O_EXCLUDE_TAGS:
            if (split_tags(optarg, cfg->exclude_tags, &cfg->n_exclude_tags)) {
                snprintf(why, sizeof(why),
                         "--exclude-tags wants names separated by commas (at most %d)",
                         HN_CLI_TAGS_MAX);
                return bad(why, optarg);
            }
            break;
        case 'H':
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8))
                return bad("--host wants an http:// or https:// URL", optarg);
            if (hn_url_check(NULL, optarg, why, sizeof(why)))
                return bad_url("--host", why);
            if (!hn_url_is_base(optarg))
                return bad("--host is the base PATHs are appended to: no query or fragment (? "
                           "or #)",
                           optarg);
            cfg->host = optarg;
            break;
        case 'u':
            if (!parse_u32(optarg, 10000000, &cfg->users) || !cfg->users)
                return bad("--users wants a number of users (1..10000000)", optarg);
            cfg->users_given = true;
            break;
        case 'r':
            /* Strict decimal, as -u: no sign, exponent or hex ("0x10", "1e-300"). */
            if (hn_units_parse_rate(optarg, &cfg->spawn_rate) || cfg->spawn_rate <= 0 ||
                cfg->spawn_rate > 10000000)
                return bad("--spawn-rate wants a decimal number of users per second, more than 0 "
                           "and at most 10000000 (e.g. 10 or 0.5)",
                           optarg);
            cfg->spawn_rate_given = true;
            break;
        case O_STAGES: {
            struct hn_load_shape *sh = malloc(sizeof(*sh));
            if (!sh)
                return bad("out of memory", "");
            int rc = hn_run_plan_parse_stages(optarg, sh, why, sizeof(why));
            free(sh);
            if (rc)
                return bad(why, "");
            cfg->stages = optarg;
            break;
        }
        case O_RATE:
            if (hn_units_parse_rate(optarg, &cfg->rate) || !(cfg->rate > 0) ||
                cfg->rate > 10000000)
                return bad("--rate wants iterations per unit of time above 0, e.g. 500/s or "
                           "30000/m (at most 10000000/s)",
                           optarg);
            cfg->rate_given = true;
            break;
        case O_MAX_USERS:
            if (!parse_u32(optarg, 10000000, &cfg->max_users) || !cfg->max_users)
                return bad("--max-users wants a number of users (1..10000000)", optarg);
            break;
        case O_MAX_DELAY:
            if (hn_units_parse_duration_ms(optarg, &cfg->max_delay_ms) || !cfg->max_delay_ms ||
                cfg->max_delay_ms > UINT32_MAX)
                return bad("--max-delay wants a duration such as 1s or 500ms", optarg);
            break;
        case O_THRESHOLD: {
            struct hn_threshold t;
            size_t at;
            if (cfg->n_thresholds == HN_THRESHOLDS_MAX) {
                snprintf(why, sizeof(why), "--threshold: at most %d", HN_THRESHOLDS_MAX);
                return bad(why, "");
            }
            if (hn_threshold_parse(optarg, &t, why, sizeof(why), &at)) {
                char safe[HN_SANITIZE_SIZE(256)];
                fprintf(stderr, "hornet-master: --threshold '%s': %s (at character %zu); see "
                                "--help\n",
                        hn_sanitize_str(safe, sizeof(safe), optarg), why, at + 1);
                return false;
            }
            cfg->thresholds[cfg->n_thresholds++] = optarg;
            break;
        }
        case O_LATENCY:
            if (!strcmp(optarg, "auto"))
                cfg->latency = HN_STATS_LATENCY_AUTO;
            else if (!strcmp(optarg, "service"))
                cfg->latency = HN_STATS_LATENCY_SERVICE;
            else if (!strcmp(optarg, "intended"))
                cfg->latency = HN_STATS_LATENCY_INTENDED;
            else
                return bad("--latency wants auto, service or intended", optarg);
            break;
        case O_NO_COOKIES:
            cfg->no_cookies = true;
            break;
        case O_ENGINE:
            cfg->engine = HN_ENGINE__COUNT;
            for (uint8_t e = 0; e < HN_ENGINE__COUNT; e++)
                if (!strcmp(optarg, hn_fast_engine_name(e)))
                    cfg->engine = e;
            if (cfg->engine == HN_ENGINE__COUNT)
                return bad("--engine wants auto, curl or fast", optarg);
            cfg->engine_given = true;
            break;
        case 't':
            if (hn_units_parse_duration_ms(optarg, &cfg->run_time_ms) || !cfg->run_time_ms)
                return bad("--run-time wants a duration such as 90s, 5m or 1h20m", optarg);
            if (cfg->run_time_ms > HN_SHAPE_STAGE_MAX_MS) /* whatever the load's shape */
                return bad("--run-time: at most 10 years", optarg);
            break;
        case 's':
            if (hn_units_parse_duration_ms(optarg, &cfg->stop_timeout_ms) ||
                cfg->stop_timeout_ms > UINT32_MAX)
                return bad("--stop-timeout wants a duration such as 10s", optarg);
            break;
        case O_REQ_TIMEOUT:
            if (hn_units_parse_duration_ms(optarg, &cfg->request_timeout_ms) ||
                !cfg->request_timeout_ms || cfg->request_timeout_ms > UINT32_MAX)
                return bad("--request-timeout wants a duration such as 5s", optarg);
            break;
        case O_BIND:
            if (hn_endpoint_check(optarg, HN_ENDPOINT_BIND, NULL, why, sizeof(why)))
                return bad_endpoint(optarg, why);
            cfg->bind = optarg;
            break;
        case O_LOCAL:
            if (!parse_u32(optarg, 256, &cfg->local_workers))
                return bad("--local-workers wants 0..256", optarg);
            break;
        case O_WTHREADS:
            if (!parse_u32(optarg, 1024, &cfg->worker_threads) || !cfg->worker_threads)
                return bad("--worker-threads wants 1..1024", optarg);
            local_only = "--worker-threads";
            break;
        case O_WBIN:
            if (stat(optarg, &st) != 0 || !S_ISREG(st.st_mode) || access(optarg, X_OK) != 0)
                return bad("--worker-bin wants an executable hornet-worker program", optarg);
            cfg->worker_bin = optarg;
            local_only = "--worker-bin";
            break;
        case O_EXPECT:
            if (!parse_u32(optarg, HN_REGISTRY_MAX, &cfg->expect_workers) || !cfg->expect_workers)
                return bad("--expect-workers wants 1..16384", optarg);
            expect_given = true;
            break;
        case O_EXPECT_WAIT:
            if (hn_units_parse_duration_ms(optarg, &cfg->expect_wait_ms))
                return bad("--expect-workers-max-wait wants a duration such as 60s", optarg);
            break;
        case O_CSV:
            /* "reports/" would make the hidden reports/_stats.csv ... */
            if (!optarg[0] || optarg[strlen(optarg) - 1] == '/')
                return bad("--csv wants a file name prefix such as reports/run, not a directory",
                           optarg);
            cfg->csv_prefix = optarg;
            break;
        case O_FULL_HISTORY:
            cfg->csv_full_history = true;
            break;
        case O_CSV_EXACT:
            cfg->csv_exact = true;
            break;
        case O_JSON:
            cfg->json_path = optarg;
            break;
        case O_HTML:
            cfg->html_path = optarg;
            break;
        case O_HDR_LOG:
            cfg->hdr_log_path = optarg;
            break;
        case O_JUNIT:
            cfg->junit_path = optarg;
            break;
        case O_SUMMARY_MD:
            cfg->summary_md_path = optarg;
            break;
        case O_METRICS_BIND:
            if (hn_metrics_addr_parse(optarg, NULL, why, sizeof(why)))
                return bad_metrics_addr(optarg, why);
            cfg->metrics_bind = optarg;
            break;
        case O_ONLY_SUMMARY:
            cfg->only_summary = true;
            break;
        case O_EXIT_ON_ERROR:
            if (!parse_u32(optarg, 255, &n))
                return bad("--exit-code-on-error wants 0..255", optarg);
            if (n == HN_EXIT_USAGE || n == HN_EXIT_NO_RUN) /* failures must not read as those */
                return bad("--exit-code-on-error: 2 and 3 mean a bad command line and a run that "
                           "could not complete; give 0, 1 or 4..255",
                           optarg);
            cfg->exit_code_on_error = (int)n;
            break;
        case O_LOG_LEVEL:
            if (hn_log_level_parse(optarg, &cfg->log_level))
                return bad("--log-level wants error, warn, info or debug", optarg);
            break;
        case O_CURVE_SECRET:
            if (!strcmp(optarg, "/dev/stdin") || !strncmp(optarg, "/dev/fd/", 8)) {
                cfg->curve_secret = optarg; /* a descriptor it holds: read, not opened */
                break;
            }
            if (access(optarg, R_OK) != 0 && hn_curve_key_valid(optarg))
                return bad("--curve-secret wants the path of a secret key file, not the key itself "
                           "(a key on a command line is in every user's ps; not echoed here)",
                           "");
            if (access(optarg, R_OK) != 0) {
                /* Why matters: "Permission denied" is a service user that
                 * cannot read its key (README, Security). */
                snprintf(why, sizeof(why),
                         "--curve-secret wants a readable secret key file (hornet-keygen): %s",
                         strerror(errno));
                return bad(why, optarg);
            }
            cfg->curve_secret = optarg;
            break;
        case O_ALLOW:
            if (access(optarg, R_OK) != 0)
                return bad("--allow-workers wants a readable file of public keys", optarg);
            cfg->allow_workers = optarg;
            break;
        case O_ALLOW_SHARED:
            if (access(optarg, R_OK) != 0)
                return bad("--allow-shared-key wants a readable file of public keys", optarg);
            cfg->allow_shared = optarg;
            break;
        case O_INSECURE:
            cfg->insecure = true;
            break;
        case O_MAX_WORKERS:
            if (!parse_u32(optarg, HN_REGISTRY_MAX, &cfg->max_workers) || !cfg->max_workers)
                return bad("--max-workers wants 1..16384", optarg);
            break;
        case O_MAX_STATS_MEM:
            if (hn_units_parse_bytes(optarg, &cfg->max_stats_memory) ||
                cfg->max_stats_memory < (1u << 20))
                return bad("--max-stats-memory wants a size from 1MiB up (at most 2^64 bytes), "
                           "e.g. 512MiB",
                           optarg);
            break;
        case 'h':
            hn_cli_usage(stdout);
            *exit_code = HN_EXIT_OK;
            return false;
        case 'V':
            printf("hornet-master %s (protocol %d)\n", HN_VERSION, HN_PROTO_VERSION);
            *exit_code = HN_EXIT_OK;
            return false;
        case ':':
            fprintf(stderr, "hornet-master: %s needs a value; see --help\n", argv[optind - 1]);
            return false;
        default:
            hn_getopt_complain(stderr, "hornet-master", argv, options);
            return false;
        }
    }
    cfg->paths = (const char *const *)&argv[optind];
    cfg->n_paths = (uint32_t)(argc - optind);
    if (cfg->scenario_file && cfg->n_paths) {
        fprintf(stderr, "hornet-master: give a scenario file (-f) or PATHs, not both (see "
                        "--help)\n");
        return false;
    }
    if (!cfg->scenario_file && (cfg->check || cfg->n_tags || cfg->n_exclude_tags)) {
        fprintf(stderr, "hornet-master: --check, --tags and --exclude-tags need a scenario file "
                        "(-f)\n");
        return false;
    }
    if (!cfg->scenario_file && cfg->n_paths == 0) {
        fprintf(stderr, "hornet-master: no scenario: give a scenario file (-f FILE) or one or "
                        "more URL paths to GET, e.g. '/ /json'; see --help\n");
        return false;
    }
    if (cfg->n_paths > HN_MODEL_TASKS_MAX) {
        fprintf(stderr,
                "hornet-master: %u PATHs: at most %d (each is a task of the one user class; "
                "a scenario file can spread more over several classes)\n",
                cfg->n_paths, HN_MODEL_TASKS_MAX);
        return false;
    }
    for (uint32_t i = 0; i < cfg->n_paths; i++) {
        const char *p = cfg->paths[i];
        bool absolute = !strncmp(p, "http://", 7) || !strncmp(p, "https://", 8);
        if (!absolute && p[0] != '/')
            return bad("a PATH starts with '/' or is an absolute http(s) URL", p);
        if (!absolute && !cfg->host)
            return bad("relative PATHs need --host", p);
        if (strlen(p) > 256)
            return bad("a PATH is at most 256 characters (it names the stats entry)", p);
        int err = hn_url_check(absolute ? NULL : cfg->host, p, why, sizeof(why));
        if (err == -ENOMEM) {
            fprintf(stderr, "hornet-master: out of memory\n");
            *exit_code = HN_EXIT_NO_RUN;
            return false;
        }
        if (err)
            return bad_url("a PATH", why);
    }
    const char *const paths[] = {cfg->json_path, cfg->html_path, cfg->hdr_log_path, cfg->junit_path,
                                 cfg->summary_md_path};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (paths[i] && !paths[i][0])
            return bad("--json, --html, --hdr-log, --junit and --summary-md want a file name", "");
    /* Two reports on one file: the last one written would replace the
     * other without a word (and two on standard output mix). */
    char conflict[HN_REPORT_PATHS_MSG_SIZE];
    if (hn_report_paths_conflict(cfg, conflict, sizeof(conflict))) {
        fprintf(stderr, "hornet-master: %s\n", conflict);
        return false;
    }
    if ((cfg->csv_exact || cfg->csv_full_history) && !cfg->csv_prefix)
        return bad(cfg->csv_exact ? "--csv-exact needs --csv" : "--csv-full-history needs --csv",
                   "");
    if (cfg->stages && (cfg->users_given || cfg->spawn_rate_given || cfg->rate_given))
        return bad("--stages replaces -u and -r, and is the closed model (not --rate): give one "
                   "of them",
                   "");
    if (cfg->rate_given && (cfg->users_given || cfg->spawn_rate_given))
        return bad("--rate is the open model: -u and -r do not apply (--max-users bounds the "
                   "users)",
                   "");
    if (local_only && !cfg->local_workers) {
        char what[128];
        snprintf(what, sizeof(what), "%s is for the workers --local-workers N starts", local_only);
        return bad(what, "");
    }
    if (!expect_given)
        cfg->expect_workers = cfg->local_workers ? cfg->local_workers : 1;
    if (cfg->expect_workers > cfg->max_workers)
        return bad(expect_given ? "--expect-workers is more than --max-workers"
                                : "--local-workers is more than --max-workers",
                   "");
    bool allow_given = cfg->allow_workers || cfg->allow_shared;
    if (allow_given != !!cfg->curve_secret && !(cfg->curve_secret && cfg->local_workers))
        return bad(cfg->curve_secret ? "--curve-secret needs --allow-workers or --allow-shared-key "
                                       "(the workers' public keys)"
                   : cfg->allow_workers ? "--allow-workers needs --curve-secret (the master's key)"
                                        : "--allow-shared-key needs --curve-secret (the master's "
                                          "key)",
                   "");
    if (!cfg->max_stats_memory) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
        cfg->max_stats_memory = ram / 4 > (256u << 20) ? ram / 4 : (256u << 20);
    }
    *exit_code = HN_EXIT_OK;
    return true;
}
