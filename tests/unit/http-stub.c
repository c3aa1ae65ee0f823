/* A tiny keep-alive HTTP/1.1 server for engine unit tests: counts every
 * request by "METHOD path"; "/fail" answers 500, "/hang" never answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "http-stub.h"

static void srv_count_add(struct srv *s, const char *method, const char *path)
{
    char key[96];
    snprintf(key, sizeof(key), "%s %s", method, path);
    pthread_mutex_lock(&s->lock);
    uint32_t i = 0;
    while (i < s->n_keys && strcmp(s->counts[i].key, key) != 0)
        i++;
    if (i == s->n_keys && i < SRV_KEYS)
        snprintf(s->counts[s->n_keys++].key, sizeof(s->counts[i].key), "%s", key);
    if (i < SRV_KEYS)
        s->counts[i].n++;
    s->total++;
    pthread_mutex_unlock(&s->lock);
}

/* Requests "METHOD path" the server has read. */
uint64_t srv_count(struct srv *s, const char *key)
{
    uint64_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->n_keys; i++)
        if (strcmp(s->counts[i].key, key) == 0)
            n = s->counts[i].n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

uint64_t srv_total(struct srv *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->total;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void srv_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 100);
            continue;
        }
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Answer every complete request in the buffer: "/fail" with 500, "/hang"
 * never, anything else with 200 "hello" (HEAD: headers only). */
static void srv_serve(struct srv *s, struct srv_conn *c)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    static const char fail[] =
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail";
    for (;;) {
        c->buf[c->len] = '\0';
        char *end = strstr(c->buf, "\r\n\r\n");
        if (!end)
            return;
        size_t head = (size_t)(end - c->buf) + 4, body = 0;
        char *cl = strcasestr(c->buf, "\r\nContent-Length:");
        if (cl && cl < end)
            body = strtoul(cl + 17, NULL, 10);
        if (c->len < head + body)
            return;
        char method[16] = "", path[64] = "";
        if (sscanf(c->buf, "%15s %63s", method, path) != 2)
            return;
        srv_count_add(s, method, path);
        bool is_head = strcmp(method, "HEAD") == 0;
        if (strcmp(path, "/fail") == 0)
            srv_send(c->fd, fail, is_head ? strlen(fail) - 4 : strlen(fail));
        else if (strcmp(path, "/hang") != 0)
            srv_send(c->fd, ok, is_head ? strlen(ok) - 5 : strlen(ok));
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
    }
}

static void srv_close(struct srv_conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    struct pollfd pfd[2 + SRV_CONNS];
    struct srv_conn *owner[2 + SRV_CONNS];
    for (;;) {
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (int i = 0; i < SRV_CONNS; i++) {
            if (s->conns[i].fd >= 0) {
                owner[n] = &s->conns[i];
                pfd[n++] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
            }
        }
        if (poll(pfd, n, 1000) < 0 && errno != EINTR)
            break;
        if (pfd[0].revents)
            break;
        if (pfd[1].revents & POLLIN) {
            int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            int i = 0;
            while (fd >= 0 && i < SRV_CONNS && s->conns[i].fd >= 0)
                i++;
            if (fd >= 0 && i < SRV_CONNS)
                s->conns[i].fd = fd;
            else if (fd >= 0)
                close(fd);
        }
        for (nfds_t k = 2; k < n; k++) {
            struct srv_conn *c = owner[k];
            if (!pfd[k].revents)
                continue;
            ssize_t got = recv(c->fd, c->buf + c->len, SRV_BUF - c->len, 0);
            if (got < 0 && errno == EAGAIN)
                continue;
            if (got <= 0) {
                srv_close(c);
                continue;
            }
            c->len += (size_t)got;
            srv_serve(s, c);
            if (c->len == SRV_BUF) /* a request larger than we take */
                srv_close(c);
        }
    }
    for (int i = 0; i < SRV_CONNS; i++)
        if (s->conns[i].fd >= 0)
            srv_close(&s->conns[i]);
    return NULL;
}

/* A listening socket on 127.0.0.1 and a free port. */
int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 128), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

struct srv *srv_start(void)
{
    struct srv *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    for (int i = 0; i < SRV_CONNS; i++)
        s->conns[i].fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    assert_int_equal(pipe2(s->wake, O_CLOEXEC), 0);
    s->listen_fd = listen_any(&s->port);
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

void srv_stop(struct srv *s)
{
    if (!s)
        return;
    assert_int_equal(write(s->wake[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
