/* --metrics-bind: Prometheus metrics on http://ADDR/metrics while the run
 * lasts. libmicrohttpd serves from its own thread; the text is rendered on
 * the master's loop thread, where the statistics live, when a scrape asks
 * (an ev_async wakes the loop, the scrape waits for the text): no lock
 * around the stats store, and no work while nobody scrapes. */
#include "report_metrics.h"
#include "clock.h"
#include "error.h"
#include "log.h"
#include "metrics_addr.h"
#include "metrics_text.h"

#include <errno.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A scrape waits this long for the loop, then gets the last text. */
#define RENDER_WAIT_MS 2000
/* A text this recent is served as it is: the figures change once a second,
 * and scrapers in a loop must not take the master's loop for renders (a
 * 1,000-entry text takes a few hundred ms). */
#define RENDER_REUSE_MS 250
/* Scrapers at once (a few slow clients must not keep the others out);
 * one idle this long is closed. */
#define CONNECTIONS_MAX 128
#define CONNECTION_TIMEOUT_S 10

struct metrics {
    struct MHD_Daemon *daemon;
    struct ev_loop *loop;
    ev_async render;
    char *run_id;
    bool loopback; /* bound to loopback: requests must name it (Host) */
    char *bind;    /* --metrics-bind as written (its host is a name they may use) */
    const struct hn_journal *journal;
    /* Loop thread only: the store (from the first second on), the run's
     * workers, and the thresholds as the last second evaluated them. */
    const struct hn_stats *st;
    const struct hn_registry *reg;
    struct hn_threshold thresholds[HN_THRESHOLDS_MAX];
    struct hn_threshold_result results[HN_THRESHOLDS_MAX];
    uint32_t n_thresholds;
    /* Shared with the server thread, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t rendered;
    char *text;
    size_t len;
    uint64_t text_us;     /* hn_clock_mono_us() of the text's render */
    uint64_t asked, done; /* render requests and the last one served */
    bool closing;
};

/* Loop thread: render the text now and hand it to waiting scrapes. */
static void on_render(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    struct metrics *m = w->data;
    struct hn_metrics_state s = {
        .run_id = m->run_id,
        .st = m->st,
        .reg = m->reg,
        .journal = m->journal,
        .thresholds = m->thresholds,
        .threshold_results = m->results,
        .n_thresholds = m->n_thresholds,
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        int err = hn_metrics_render(f, &s);
        if (fclose(f) != 0 || err) {
            free(text);
            text = NULL;
        }
    }
    pthread_mutex_lock(&m->lock);
    if (text) {
        free(m->text);
        m->text = text;
        m->len = len;
        m->text_us = hn_clock_mono_us();
    }
    m->done = m->asked;
    pthread_cond_broadcast(&m->rendered);
    pthread_mutex_unlock(&m->lock);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* A 405 says which methods are allowed (RFC 9110: it must). */
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Server thread: ask the loop for fresh text, wait a little, serve a copy. */
static char *fresh_text(struct metrics *m, size_t *len)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += RENDER_WAIT_MS / 1000;
    pthread_mutex_lock(&m->lock);
    if (!m->text || hn_clock_mono_us() - m->text_us >= RENDER_REUSE_MS * 1000) {
        uint64_t ticket = ++m->asked;
        ev_async_send(m->loop, &m->render);
        while (m->done < ticket && !m->closing)
            if (pthread_cond_timedwait(&m->rendered, &m->lock, &until) == ETIMEDOUT)
                break;
    }
    char *copy = m->text ? malloc(m->len ? m->len : 1) : NULL;
    if (copy)
        memcpy(copy, m->text, m->len);
    *len = copy ? m->len : 0;
    pthread_mutex_unlock(&m->lock);
    return copy;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    struct metrics *m = cls;
    static char not_found[] = "Not found: Hornet serves /metrics\n";
    static char bad_method[] = "Only GET and HEAD\n";
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method, strlen(bad_method),
                     MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics"))
        return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
                     MHD_RESPMEM_PERSISTENT);
    static char bad_host[] = "Host must be an IP address or localhost\n";
    if (m->loopback &&
        !hn_metrics_host_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
                            m->bind))
        return reply(c, MHD_HTTP_FORBIDDEN, "text/plain", bad_host, strlen(bad_host),
                     MHD_RESPMEM_PERSISTENT);
    size_t len;
    char *text = fresh_text(m, &len);
    if (!text) {
        static char busy[] = "No metrics yet\n";
        return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", busy, strlen(busy),
                     MHD_RESPMEM_PERSISTENT);
    }
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
                 MHD_RESPMEM_MUST_FREE);
}

/* Loop thread, every second: remember what the next render shows. */
static int metrics_second(void *ctx, const struct hn_stats *st, const struct hn_report_moment *mo)
{
    struct metrics *m = ctx;
    m->st = st;
    m->n_thresholds = mo->n_thresholds < HN_THRESHOLDS_MAX ? mo->n_thresholds : HN_THRESHOLDS_MAX;
    if (m->n_thresholds && mo->thresholds)
        memcpy(m->thresholds, mo->thresholds, m->n_thresholds * sizeof(*m->thresholds));
    if (m->n_thresholds && mo->threshold_results)
        memcpy(m->results, mo->threshold_results, m->n_thresholds * sizeof(*m->results));
    else
        memset(m->results, 0, sizeof(m->results));
    return 0;
}

static void metrics_close(void *ctx)
{
    struct metrics *m = ctx;
    if (m->daemon) {
        pthread_mutex_lock(&m->lock);
        m->closing = true; /* scrapes waiting for the loop return at once */
        pthread_cond_broadcast(&m->rendered);
        pthread_mutex_unlock(&m->lock);
        MHD_stop_daemon(m->daemon);
    }
    if (m->loop)
        ev_async_stop(m->loop, &m->render);
    pthread_cond_destroy(&m->rendered);
    pthread_mutex_destroy(&m->lock);
    free(m->text);
    free(m->run_id);
    free(m->bind);
    free(m);
}

int hn_report_metrics_add(struct hn_reports *rs, struct ev_loop *loop, const char *addr,
                          const char *run_id, const struct hn_registry *reg,
                          const struct hn_journal *journal, char *bound, size_t bound_len)
{
    struct hn_metrics_addr a;
    char why[160];
    if (hn_metrics_addr_parse(addr, &a, why, sizeof(why)))
        return -EINVAL;
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->rendered, NULL);
    m->loop = loop;
    m->journal = journal;
    m->reg = reg;
    m->run_id = strdup(run_id ? run_id : "");
    m->loopback = hn_metrics_addr_loopback(addr);
    m->bind = strdup(addr);
    ev_async_init(&m->render, on_render);
    m->render.data = m;
    ev_async_start(loop, &m->render);
    /* No MHD_USE_ERROR_LOG: a port in use is said by our caller, in one line
     * (libmicrohttpd's own said "Failed to bind to port 0", the port of
     * its unused argument), and a scraper's broken connection is not worth
     * a line on the console. */
    /* epoll (MHD_USE_AUTO): select() serves no descriptor above 1,023, and
     * a master with a thousand workers holds more than that. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (a.sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&a.sa, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!m->daemon || !m->run_id || !m->bind) {
        int err = m->run_id && m->bind ? (errno ? -errno : -EADDRINUSE) : -ENOMEM;
        metrics_close(m);
        return err;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[64] = "";
    if (a.sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&a.sa)->sin_addr, host, sizeof(host));
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a.sa)->sin6_addr, host, sizeof(host));
    snprintf(bound, bound_len, a.sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
    struct hn_report_writer w = {"metrics", m, metrics_second, metrics_second, metrics_close,
                                 NULL};
    int err = hn_reports_add(rs, &w);
    if (err)
        metrics_close(m);
    return err;
}
