/* libcurl multi-socket API on a libev loop: CURLMOPT_SOCKETFUNCTION maps
 * sockets to ev_io watchers, CURLMOPT_TIMERFUNCTION drives one ev_timer per
 * multi, and finished transfers are harvested with curl_multi_info_read.
 * Pattern of curl's evhiperfifo.c, without its shortcuts (integer timeouts,
 * exit on error, a new easy handle per request). */
#include "array.h"
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>

/* Hand every finished transfer of @m to its user. */
static void harvest(struct hn_multi *m)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct hn_vuser *vu = NULL;
        CURLcode result = msg->data.result; /* msg is invalid after remove */
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&vu);
        hn_vuser_done(vu, result, false);
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
    ev_timer_stop(m->eng->loop, &m->timer);
    if (timeout_ms >= 0) {
        ev_timer_set(&m->timer, (double)timeout_ms / 1000.0, 0.0);
        ev_timer_start(m->eng->loop, &m->timer);
    }
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching a socket. Socket
 * records come from a per-engine free list, so steady load never mallocs. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    struct hn_multi *m = userp;
    struct hn_engine *e = m->eng;
    struct hn_sock *sk = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (sk) {
            ev_io_stop(e->loop, &sk->io);
            curl_multi_assign(m->multi, fd, NULL);
            sk->next_free = e->free_socks;
            e->free_socks = sk;
        }
        return 0;
    }
    if (!sk) {
        if (e->free_socks) {
            sk = e->free_socks;
            e->free_socks = sk->next_free;
        } else if (!(sk = malloc(sizeof(*sk)))) {
            return -1; /* libcurl fails the transfer: counted, not lost */
        }
        sk->fd = fd;
        sk->m = m;
        ev_init(&sk->io, on_socket_ready);
        sk->io.data = sk;
        curl_multi_assign(m->multi, fd, sk);
    } else {
        ev_io_stop(e->loop, &sk->io);
    }
    int events = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    ev_io_set(&sk->io, fd, events);
    ev_io_start(e->loop, &sk->io);
    return 0;
}

static int multi_init(struct hn_engine *e, struct hn_multi *m)
{
    m->eng = e;
    m->n_users = 0;
    if (!(m->multi = curl_multi_init()))
        return -ENOMEM;
    ev_init(&m->timer, on_multi_timer);
    m->timer.data = m;
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
    /* Keep one idle connection per user so keep-alive survives think time. */
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)HN_ENGINE_USERS_PER_MULTI);
    return 0;
}

int hn_engine_multi_for_new_user(struct hn_engine *e, struct hn_multi **out)
{
    /* Fill multis in order; users stay on their multi for life. */
    if (e->n_multis && e->multis[e->n_multis - 1]->n_users < HN_ENGINE_USERS_PER_MULTI) {
        struct hn_multi *m = e->multis[e->n_multis - 1];
        m->n_users++;
        *out = m;
        return 0;
    }
    int err = hn_array_reserve(&e->multis, &e->cap_multis, e->n_multis + 1, sizeof(*e->multis), 8);
    if (err)
        return err;
    struct hn_multi *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    err = multi_init(e, m);
    if (err) {
        free(m);
        return err;
    }
    e->multis[e->n_multis++] = m;
    m->n_users = 1;
    *out = m;
    return 0;
}

void hn_engine_multis_free(struct hn_engine *e)
{
    for (uint32_t i = 0; i < e->n_multis; i++) {
        struct hn_multi *m = e->multis[i];
        curl_multi_cleanup(m->multi); /* may still call on_curl_socket */
        ev_timer_stop(e->loop, &m->timer);
        free(m);
    }
    free(e->multis);
    e->multis = NULL;
    e->n_multis = e->cap_multis = 0;
    while (e->free_socks) {
        struct hn_sock *next = e->free_socks->next_free;
        free(e->free_socks);
        e->free_socks = next;
    }
}

int hn_engine_add_request(struct hn_vuser *vu)
{
    vu->issued_at = ev_now(vu->eng->loop);
    vu->bytes = 0;
    CURLMcode rc = curl_multi_add_handle(vu->m->multi, vu->easy);
    return rc == CURLM_OK ? 0 : -EINVAL;
}
