/* The address of --metrics-bind: "HOST:PORT", "[IPv6]:PORT" or ":PORT"
 * (every IPv4 interface). HOST may be a name (its first address is used);
 * PORT 0 takes any free port. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct hn_metrics_addr {
    struct sockaddr_storage sa;
    socklen_t len;
};

/* Parse and resolve @s into @out (NULL: only check). 0, or HN_E_INVALID
 * with a reason in @why. */
int hn_metrics_addr_parse(const char *s, struct hn_metrics_addr *out, char *why, size_t why_len);

/* Whether @s (as above) listens on loopback only (127.0.0.0/8, ::1); an
 * address that does not parse counts as loopback (binding it fails with
 * its reason). */
bool hn_metrics_addr_loopback(const char *s);

/* Whether a request's Host header may reach a server bound to loopback: an
 * IP address, "localhost" (or a name under .localhost) or the host of
 * @bind (the --metrics-bind the user wrote, e.g. a name /etc/hosts maps to
 * 127.0.1.1), with or without a port; no header (HTTP/1.0) too. Any other
 * name is a page of another site whose name was rebound to 127.0.0.1 (DNS
 * rebinding): it must not read what the metrics show (request names,
 * workers' hosts). */
bool hn_metrics_host_ok(const char *host, const char *bind);
