/* hornet-target: the demo HTTP server that Hornet's demos, integration tests
 * and benchmarks load. This file only parses the command line, sizes the
 * process for many connections and waits for a signal to stop. */
#include "getopt_error.h"
#include "exitcodes.h"
#include "server.h"
#include "stop_signals.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_CONNECTIONS 20000
#define DEFAULT_IDLE_TIMEOUT_S 120
#define THREADS_MAX 1024
#define MAX_CONNECTIONS_MAX 1000000
/* File descriptors kept back from the connection budget: listening socket,
 * stdio, plus an epoll fd and a wake-up fd per pool thread. */
#define FD_RESERVE(threads) (64 + 4 * (threads))

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hornet-target [OPTIONS]\n"
            "Demo HTTP server for Hornet's demos, integration tests and benchmarks.\n"
            "\n"
            "Options:\n"
            "  --listen HOST:PORT      IPv4 address to listen on (default " DEFAULT_LISTEN ");\n"
            "                          port 0 picks a free port, shown on the ready line\n"
            "  --tls-cert FILE         serve HTTPS with this PEM certificate chain ...\n"
            "  --tls-key FILE          ... and this PEM private key\n"
            "  --threads N             server threads, 1..%d (default: number of CPUs)\n"
            "  --max-connections N     open connections allowed (default %d, lowered to\n"
            "                          fit the open-file limit, which is raised to its max)\n"
            "  --idle-timeout SECONDS  close a connection idle this long (default %d; 0: never)\n"
            "  --log-errors            print libmicrohttpd's error log on stderr\n"
            "  -h, --help              show this help and exit\n"
            "  -V, --version           show the version and exit\n"
            "\n"
            "Once ready it prints one line to stdout:\n"
            "  hornet-target listening on http://HOST:PORT   (https:// with --tls-cert)\n"
            "and it stops cleanly on SIGINT, SIGTERM or SIGHUP.\n"
            "\n"
            "Endpoints: GET / /json /health /delay?ms=N /status/N /bytes/N /echo/TEXT /close;\n"
            "shop API POST /api/auth/login, GET /api/products[/ID], POST /api/cart/items,\n"
            "POST /api/orders; counters GET /__stats, POST /__reset; POST /__stall?ms=N\n"
            "holds every response until N ms from now (a server freeze); both POSTs answer\n"
            "clients on this host (127.0.0.0/8) only, 403 for others.\n"
            "See tests/target/README.md.\n"
            "\n"
            "Exit codes: 0 stopped by a signal, 2 bad usage, 3 could not start\n"
            "(cannot bind the address, out of memory).\n",
            THREADS_MAX, DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT_S);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "hornet-target: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; see --help\n"); /* one line, as the other programs say it */
    return HN_EXIT_USAGE;
}

static int parse_count(const char *s, long min, long max, unsigned *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* HOST:PORT, HOST an IPv4 address or a name (empty: all interfaces). */
/* A whole (small) file as a string: PEM certificates and keys. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* The PEM texts read for --tls-cert and --tls-key (NULL ones are fine). */
static void free_tls(struct hn_server_config *cfg)
{
    free((char *)cfg->tls_cert_pem);
    free((char *)cfg->tls_key_pem);
    cfg->tls_cert_pem = cfg->tls_key_pem = NULL;
}

static int parse_listen(const char *s, struct sockaddr_in *out)
{
    const char *colon = strrchr(s, ':');
    unsigned port;
    if (colon == NULL || parse_count(colon + 1, 0, 65535, &port) != 0)
        return -1;
    char host[256];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof(host))
        return -1;
    memcpy(host, s, n);
    host[n] = '\0';

    *out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (n == 0) {
        out->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return -1;
    out->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 0;
}

/* Raise the open-file limit to its hard max; return the soft limit now. */
static rlim_t raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

int main(int argc, char **argv)
{
    enum {
        OPT_LISTEN = 256,
        OPT_THREADS,
        OPT_MAX_CONN,
        OPT_IDLE,
        OPT_LOG,
        OPT_VERSION,
        OPT_CERT,
        OPT_KEY
    };
    static const struct option options[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-connections", required_argument, NULL, OPT_MAX_CONN},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"log-errors", no_argument, NULL, OPT_LOG},
        {"tls-cert", required_argument, NULL, OPT_CERT},
        {"tls-key", required_argument, NULL, OPT_KEY},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    const char *listen_arg = DEFAULT_LISTEN;
    const char *cert_file = NULL, *key_file = NULL;
    bool max_connections_given = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct hn_server_config cfg = {
        .threads = cpus < 1             ? 1
                   : cpus > THREADS_MAX ? THREADS_MAX
                                        : (unsigned)cpus,
        .max_connections = DEFAULT_MAX_CONNECTIONS,
        .idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S,
    };

    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hV", options, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            listen_arg = optarg;
            break;
        case OPT_THREADS:
            if (parse_count(optarg, 1, THREADS_MAX, &cfg.threads) != 0)
                return bad_usage("bad --threads '%s' (want 1..1024)", optarg);
            break;
        case OPT_MAX_CONN:
            if (parse_count(optarg, 1, MAX_CONNECTIONS_MAX, &cfg.max_connections) != 0)
                return bad_usage("bad --max-connections '%s' (want 1..1000000)", optarg);
            max_connections_given = true;
            break;
        case OPT_IDLE:
            if (parse_count(optarg, 0, 86400, &cfg.idle_timeout_s) != 0)
                return bad_usage("bad --idle-timeout '%s' (want 0..86400 seconds)", optarg);
            break;
        case OPT_LOG:
            cfg.log_errors = true;
            break;
        case OPT_CERT:
            cert_file = optarg;
            break;
        case OPT_KEY:
            key_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return HN_EXIT_OK;
        case OPT_VERSION:
        case 'V':
            printf("hornet-target %s\n", HN_VERSION);
            return HN_EXIT_OK;
        case ':':
            fprintf(stderr, "hornet-target: %s needs a value; see --help\n", argv[optind - 1]);
            return HN_EXIT_USAGE;
        default:
            hn_getopt_complain(stderr, "hornet-target", argv, options);
            return HN_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return bad_usage("unexpected argument '%s'", argv[optind]);
    struct sockaddr_in addr;
    if (parse_listen(listen_arg, &addr) != 0)
        return bad_usage("bad --listen '%s' (want HOST:PORT, IPv4)", listen_arg);
    if (!cert_file != !key_file)
        return bad_usage("--tls-cert and --tls-key go together%s", "");
    if (cert_file && (!(cfg.tls_cert_pem = read_file(cert_file)) ||
                      !(cfg.tls_key_pem = read_file(key_file)))) {
        const char *unread = cfg.tls_cert_pem ? key_file : cert_file;
        free_tls(&cfg);
        return bad_usage("cannot read %s", unread);
    }

    rlim_t nofile = raise_nofile();
    rlim_t reserve = FD_RESERVE(cfg.threads);
    rlim_t budget = nofile > reserve + cfg.threads ? nofile - reserve : cfg.threads;
    if (cfg.max_connections > budget) {
        if (max_connections_given)
            fprintf(stderr, "hornet-target: open-file limit %llu allows %llu connections\n",
                    (unsigned long long)nofile, (unsigned long long)budget);
        cfg.max_connections = (unsigned)budget;
    }
    if (cfg.max_connections < cfg.threads)
        cfg.max_connections = cfg.threads;

    /* Threads started from here on inherit the mask: only sigwait sees these. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (hn_stop_signal_wanted(SIGHUP))
        sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    int fd;
    int rc = hn_server_listen(&addr, &fd);
    if (rc != 0) {
        fprintf(stderr, "hornet-target: cannot listen on %s: %s\n", listen_arg, strerror(-rc));
        free_tls(&cfg);
        return HN_EXIT_NO_RUN;
    }
    struct hn_server *server;
    rc = hn_server_start(&cfg, fd, &server);
    if (rc != 0) {
        fprintf(stderr, "hornet-target: cannot start: %s\n",
                rc < 0 ? strerror(-rc)
                       : cert_file ? "libmicrohttpd refused (is --tls-cert a PEM certificate and "
                                     "--tls-key its PEM key? --log-errors says more)"
                                   : "libmicrohttpd refused (try --log-errors)");
        free_tls(&cfg); /* the listening socket is closed already */
        return HN_EXIT_NO_RUN;
    }
    hn_server_address(server, &addr);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
    printf("hornet-target listening on %s://%s:%u\n", cert_file ? "https" : "http", ip,
           (unsigned)ntohs(addr.sin_port));
    fflush(stdout);

    int sig;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    hn_server_stop(server);
    free_tls(&cfg);
    return HN_EXIT_OK;
}
