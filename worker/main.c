/* hornet-worker: command line, process setup (signals, limits, libcurl),
 * then the session with the master. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "getopt_error.h"
#include "capacity.h"
#include "cpus.h"
#include "curve.h"
#include "endpoint.h"
#include "error.h"
#include "exitcodes.h"
#include "http.h"
#include "log.h"
#include "sanitize.h"
#include "session.h"
#include "units.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hornet-worker [OPTIONS]\n"
            "Generate HTTP load for a hornet-master: connect to it, receive the scenario\n"
            "and the load target, report statistics every second.\n"
            "\n"
            "Options:\n"
            "  -m, --master ENDPOINT     master's ZeroMQ endpoint (default tcp://127.0.0.1:5557)\n"
            "      --threads N           engine threads (default: one per CPU it may run on)\n"
            "      --id ID               worker id (default: host-pid-random)\n"
            "      --capacity N          most users this worker runs, whatever the master asks\n"
            "                            (default: from the open-file limit and free memory)\n"
            "      --curve-secret FILE   this worker's secret key (hornet-keygen): authenticate\n"
            "                            to the master and encrypt the channel\n"
            "      --master-key KEY|FILE the master's public key (40 Z85 characters, or its .pub\n"
            "                            file); a master with another key is refused\n"
            "      --silence-timeout D   stop all load when the master is silent this long\n"
            "                            (default 10s, at least 1s; durations like 5s, 1m);\n"
            "                            requests in flight then get up to 10 s to finish\n"
            "      --seed N              random seed for task choice and waits, and (with\n"
            "                            the worker id) this worker's turn to send its\n"
            "                            phase timings (default: random)\n"
            "      --log-level LEVEL     error, warn, info or debug (default info)\n"
            "  -h, --help                show this help and exit\n"
            "  -V, --version             show the version and exit\n"
            "\n"
            "Exit codes:\n"
            "  0  the master said QUIT, or stopped by SIGINT/SIGTERM/SIGHUP\n"
            "  2  bad command line, or a key file others may read or of the wrong kind\n"
            "  3  rejected by the master (protocol version, worker id or key in use, a\n"
            "     limit broken, full), or an endpoint it cannot use; a master that is not\n"
            "     there yet is waited for (with a hint after 10 s)\n");
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    int err = hn_units_parse_count(s, max, &v);
    if (!err)
        *out = (uint32_t)v;
    return err;
}

int main(int argc, char **argv)
{
    enum {
        OPT_THREADS = 256,
        OPT_ID,
        OPT_CAPACITY,
        OPT_SILENCE,
        OPT_SEED,
        OPT_LOG_LEVEL,
        OPT_CURVE_SECRET,
        OPT_MASTER_KEY,
    };
    static const struct option options[] = {
        {"master", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"id", required_argument, NULL, OPT_ID},
        {"capacity", required_argument, NULL, OPT_CAPACITY},
        {"silence-timeout", required_argument, NULL, OPT_SILENCE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"curve-secret", required_argument, NULL, OPT_CURVE_SECRET},
        {"master-key", required_argument, NULL, OPT_MASTER_KEY},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0, 0, 0, 0},
    };
    struct hn_session_config cfg = {
        .master = "tcp://127.0.0.1:5557",
        .threads = hn_cpus_usable(),
        .silence_stop_ms = 10000,
    };
    hn_log_set_prefix("hornet-worker");
    char why[256], reason[128];
    const char *secret_path = NULL, *master_key = NULL;
    static struct hn_curve_client curve;
    int c;
    while ((c = getopt_long(argc, argv, ":m:hV", options, NULL)) != -1) {
        int err = 0;
        const char *what = NULL;
        enum hn_log_level level;
        switch (c) {
        case 'm':
            cfg.master = optarg;
            err = hn_endpoint_check(optarg, HN_ENDPOINT_CONNECT, NULL, reason, sizeof(reason));
            snprintf(why, sizeof(why), "--master wants tcp://HOST:PORT or ipc://PATH: %s", reason);
            what = why;
            break;
        case OPT_THREADS:
            err = parse_u32(optarg, 1024, &cfg.threads);
            if (!err && cfg.threads == 0)
                err = HN_E_RANGE;
            what = "--threads wants 1..1024";
            break;
        case OPT_ID:
            cfg.worker_id = optarg;
            /* It reaches the master's log and console: printable text only. */
            if (!optarg[0] || strlen(optarg) > 128 || !hn_sanitize_is_clean(optarg, strlen(optarg)))
                err = HN_E_INVALID;
            what = "--id wants 1..128 bytes of printable UTF-8";
            break;
        case OPT_CAPACITY:
            err = parse_u32(optarg, UINT32_MAX, &cfg.capacity);
            if (!err && !cfg.capacity)
                err = HN_E_RANGE;
            what = "--capacity wants a number of users, at least 1";
            break;
        case OPT_CURVE_SECRET:
            secret_path = optarg;
            break;
        case OPT_MASTER_KEY:
            master_key = optarg;
            break;
        case OPT_SILENCE:
            err = hn_units_parse_duration_ms(optarg, &cfg.silence_stop_ms);
            if (!err && cfg.silence_stop_ms < 1000)
                err = HN_E_RANGE;
            what = "--silence-timeout wants a duration of at least 1s";
            break;
        case OPT_SEED:
            err = hn_units_parse_count(optarg, UINT64_MAX, &cfg.seed);
            what = "--seed wants a number";
            break;
        case OPT_LOG_LEVEL:
            err = hn_log_level_parse(optarg, &level);
            if (!err)
                hn_log_set_level(level);
            what = "--log-level wants error, warn, info or debug";
            break;
        case 'h':
            usage(stdout);
            return HN_EXIT_OK;
        case 'V':
            printf("hornet-worker %s\n", HN_VERSION);
            return HN_EXIT_OK;
        case ':':
            fprintf(stderr, "hornet-worker: %s needs a value; see --help\n", argv[optind - 1]);
            return HN_EXIT_USAGE;
        default:
            hn_getopt_complain(stderr, "hornet-worker", argv, options);
            return HN_EXIT_USAGE;
        }
        if (err) {
            char got[HN_SANITIZE_SIZE(64)];
            fprintf(stderr, "hornet-worker: %s (got '%s'); see --help\n", what,
                    hn_sanitize_str(got, sizeof(got), optarg));
            return HN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hornet-worker: unexpected argument '%s'; see --help\n", argv[optind]);
        return HN_EXIT_USAGE;
    }
    if (!secret_path != !master_key) {
        fprintf(stderr, "hornet-worker: --curve-secret and --master-key go together; see --help\n");
        return HN_EXIT_USAGE;
    }
    if (secret_path) {
        const char *flag = "--curve-secret";
        int err = hn_curve_load_secret(secret_path, &curve.own, why, sizeof(why));
        if (!err) {
            flag = "--master-key";
            err = hn_curve_load_public(master_key, curve.server_z85, why, sizeof(why));
        }
        if (err) {
            fprintf(stderr, "hornet-worker: %s: %s\n", flag, why);
            return HN_EXIT_USAGE;
        }
        if (!hn_curve_available()) {
            fprintf(stderr, "hornet-worker: this libzmq has no CurveZMQ support\n");
            return HN_EXIT_NO_RUN;
        }
        cfg.curve = &curve;
    }

    /* A peer closing a connection must be an error code, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    /* Every user holds a socket: allow as many as the system lets us. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!cfg.capacity)
        cfg.capacity = hn_capacity_default();
    if (hn_http_global_init()) {
        hn_log_error("cannot initialise libcurl");
        return HN_EXIT_NO_RUN;
    }
    int code = hn_session_run(&cfg);
    hn_http_global_cleanup();
    return code;
}
