/* hornet-target's HTTP server: libmicrohttpd with an internal epoll thread
 * pool, the routing table and the endpoints (README.md lists them). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>

struct hn_server_config {
    unsigned threads;         /* pool threads, >= 1 */
    unsigned max_connections; /* open connections across the pool, >= threads */
    unsigned idle_timeout_s;  /* close a connection idle this long; 0: never */
    bool log_errors;          /* libmicrohttpd's error log on stderr */
    const char *tls_cert_pem; /* HTTPS: certificate chain (PEM text), or NULL */
    const char *tls_key_pem;  /* its private key (PEM text) */
};

struct hn_server;

/* Open a TCP listening socket on `addr` (SO_REUSEADDR, non-blocking,
 * close-on-exec, a backlog large enough for bursts of connects).
 * Returns 0 and sets *out_fd, or -errno (e.g. -EADDRINUSE). */
int hn_server_listen(const struct sockaddr_in *addr, int *out_fd);

/* Serve on `listen_fd`, which the server owns from now on (closed on
 * failure too). Returns 0 and sets *out, -ENOMEM, or HN_E_INVALID when
 * libmicrohttpd refuses to start (it gives no reason; see log_errors). */
int hn_server_start(const struct hn_server_config *cfg, int listen_fd, struct hn_server **out);

/* The address the server listens on (the real port when bound to port 0). */
int hn_server_address(const struct hn_server *s, struct sockaddr_in *out);

/* Answer delayed requests now, stop all threads, close every connection and
 * free the server. NULL-safe. */
void hn_server_stop(struct hn_server *s);
