/* libcurl multi-socket API on a libev loop: CURLMOPT_SOCKETFUNCTION maps
 * sockets to ev_io watchers, CURLMOPT_TIMERFUNCTION drives one ev_timer per
 * multi, and finished transfers are harvested with curl_multi_info_read.
 * Pattern of curl's evhiperfifo.c, without its shortcuts (integer timeouts,
 * exit on error, a new easy handle per request). Also the per-thread
 * transport's life: share handle, CA bundle, receive buffer sizing. */
#include "array.h"
#include "error.h"
#include "http_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Memory budget for libcurl receive buffers of one thread: 16 KiB each up
 * to 1,000 users, then shrinking to 1 KiB (each buffer costs at most the
 * pages a response touches, but large responses touch them all). */
#define RECV_BUFFER_BUDGET (16L << 20)
#define RECV_BUFFER_MAX (16L << 10)
#define RECV_BUFFER_MIN (1L << 10)

/* Hand every finished transfer of @m to its conn. */
static void harvest(struct hn_multi *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct hn_http_conn *c = NULL;
        CURLcode result = msg->data.result; /* msg is invalid after remove */
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        if (msg->easy_handle == c->fast.easy)
            hn_fast_connected(c, result); /* a fast-path connection is open, or failed */
        else
            hn_http_conn_finished(c, result);
    }
}

/* ev_io fired: tell libcurl which way the socket is ready. */
static void on_socket_ready(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct hn_sock *sk = w->data;
    struct hn_multi *m = sk->m; /* sk may be recycled inside socket_action */
    int action =
        ((revents & EV_READ) ? CURL_CSELECT_IN : 0) | ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(m->multi, sk->fd, action, &running);
    harvest(m);
}

/* The multi's single timeout expired. */
static void on_multi_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    struct hn_multi *m = w->data;
    int running;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    harvest(m);
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer, otherwise (re)arm it.
 * Milliseconds become seconds as a double: integer division would turn a
 * 999 ms timeout into 0 and spin the loop. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct hn_multi *m = userp;
    ev_timer_stop(m->h->loop, &m->timer);
    if (timeout_ms >= 0) {
        ev_timer_set(&m->timer, (double)timeout_ms / 1000.0, 0.0);
        ev_timer_start(m->h->loop, &m->timer);
    }
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket. Socket
 * records come from a per-thread free list, so steady load never mallocs. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct hn_multi *m = userp;
    struct hn_http *h = m->h;
    struct hn_sock *sk = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (sk) {
            ev_io_stop(h->loop, &sk->io);
            curl_multi_assign(m->multi, fd, NULL);
            sk->next_free = h->free_socks;
            h->free_socks = sk;
        }
        return 0;
    }
    if (!sk) {
        if (h->free_socks) {
            sk = h->free_socks;
            h->free_socks = sk->next_free;
        } else if (!(sk = malloc(sizeof(*sk)))) {
            return -1; /* libcurl fails the transfer: counted, not lost */
        }
        sk->fd = fd;
        sk->m = m;
        ev_init(&sk->io, on_socket_ready);
        sk->io.data = sk;
        curl_multi_assign(m->multi, fd, sk);
    } else {
        ev_io_stop(h->loop, &sk->io);
    }
    int events = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    ev_io_set(&sk->io, fd, events);
    ev_io_start(h->loop, &sk->io);
    return 0;
}

static int multi_init(struct hn_http *h, struct hn_multi *m)
{
    m->h = h;
    m->n_conns = 0;
    if (!(m->multi = curl_multi_init()))
        return -ENOMEM;
    ev_init(&m->timer, on_multi_timer);
    m->timer.data = m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    /* The fast path's connections live in this cache (the full
     * transfers' in each user's own, hn_http_conn_easy): one per user, so
     * keep-alive survives think time (libcurl never closes them to make
     * room). */
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, 2L * HN_HTTP_USERS_PER_MULTI);
    return 0;
}

int hn_http_multi_for_new_conn(struct hn_http *h, struct hn_multi **out)
{
    /* Fill multis in order; conns stay on their multi for life. */
    if (h->n_multis && h->multis[h->n_multis - 1]->n_conns < HN_HTTP_USERS_PER_MULTI) {
        struct hn_multi *m = h->multis[h->n_multis - 1];
        m->n_conns++;
        *out = m;
        return 0;
    }
    int err = hn_array_reserve(&h->multis, &h->cap_multis, h->n_multis + 1, sizeof(*h->multis), 8);
    if (err)
        return err;
    struct hn_multi *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    err = multi_init(h, m);
    if (err) {
        free(m);
        return err;
    }
    h->multis[h->n_multis++] = m;
    m->n_conns = 1;
    *out = m;
    return 0;
}

int hn_http_multi_add(struct hn_http_conn *c)
{
    CURLMcode rc = curl_multi_add_handle(c->m->multi, c->easy);
    return rc == CURLM_OK ? 0 : rc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

int hn_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void hn_http_global_cleanup(void)
{
    curl_global_cleanup();
}

/* The scenario's CA bundle as a file libcurl can name (CURLOPT_CAINFO):
 * libcurl caches a CA store per multi handle only when it comes from a
 * file, never from a blob, and workers keep no files, so the bundle lives
 * in memory behind a memfd. */
static int ca_file(struct hn_http *h)
{
    h->ca_fd = -1;
    h->ca_path[0] = '\0';
    if (!h->s->ca_pem)
        return 0;
    int fd = memfd_create("hornet-ca", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t at = 0;
    while (at < h->s->ca_len) {
        ssize_t n = write(fd, h->s->ca_pem + at, h->s->ca_len - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? -errno : -EIO;
            close(fd);
            return err;
        }
        at += (size_t)n;
    }
    h->ca_fd = fd;
    snprintf(h->ca_path, sizeof(h->ca_path), "/proc/self/fd/%d", fd);
    return 0;
}

int hn_http_new(struct ev_loop *loop, const struct hn_scenario *s, struct hn_http **out)
{
    struct hn_http *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->loop = loop;
    h->s = s;
    h->buffer_size = RECV_BUFFER_MAX;
    hn_fast_parse_setup();
    int err = ca_file(h);
    if (err) {
        free(h);
        return err;
    }
    /* One thread uses the share handle: no lock callbacks are needed. */
    if (!(h->share = curl_share_init())) {
        hn_http_free(h);
        return -ENOMEM;
    }
    /* DNS answers only: TLS sessions stay each handle's own, so that one
     * user's connections do not resume another user's sessions. */
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    *out = h;
    return 0;
}

void hn_http_free(struct hn_http *h)
{
    if (!h)
        return;
    for (uint32_t i = 0; i < h->n_multis; i++) {
        struct hn_multi *m = h->multis[i];
        curl_multi_cleanup(m->multi); /* may still call on_curl_socket */
        ev_timer_stop(h->loop, &m->timer);
        free(m);
    }
    free(h->multis);
    while (h->free_socks) {
        struct hn_sock *next = h->free_socks->next_free;
        free(h->free_socks);
        h->free_socks = next;
    }
    if (h->share)
        curl_share_cleanup(h->share);
    if (h->ca_fd >= 0)
        close(h->ca_fd);
    free(h->fast_in);
    free(h);
}

void hn_http_set_users_hint(struct hn_http *h, uint32_t users)
{
    long buf = users ? RECV_BUFFER_BUDGET / (long)users : RECV_BUFFER_MAX;
    h->buffer_size = buf > RECV_BUFFER_MAX   ? RECV_BUFFER_MAX
                     : buf < RECV_BUFFER_MIN ? RECV_BUFFER_MIN
                                             : buf;
}
