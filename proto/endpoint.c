/* Endpoint syntax checks (see endpoint.h). */
#include "endpoint.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int invalid(char *why, size_t len, const char *reason)
{
    snprintf(why, len, "%s", reason);
    return HN_E_INVALID;
}

static bool is_loopback_host(const char *host, size_t n)
{
    static const char *const names[] = {"localhost", "[::1]", "::1", "lo"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == n && memcmp(host, names[i], n) == 0)
            return true;
    /* 127.0.0.0/8, written as a dotted quad: inet_pton, which refuses the
     * leading zeros libzmq would read as octal (0127.0.0.1 is 87.0.0.1). */
    char buf[64];
    struct in_addr a;
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, host, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* What libzmq can bind to: '*', an IP address (IPv4 in any form
 * inet_aton reads, as libzmq does), or the name of an interface of this
 * host. A host name or a mistyped address is none of them: said as such,
 * not as an address that reaches other hosts. */
static bool bindable_host(const char *host, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, host, n);
    buf[n] = '\0';
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(buf, "*") == 0 || strcmp(buf, "localhost") == 0 || inet_aton(buf, &a4))
        return true;
    if (buf[0] == '[' && n > 2) {
        buf[n - 1] = '\0';
        return inet_pton(AF_INET6, buf + 1, &a6) == 1;
    }
    return if_nametoindex(buf) != 0;
}

int hn_endpoint_check(const char *ep, enum hn_endpoint_use use, struct hn_endpoint_info *out,
                      char *why, size_t why_len)
{
    struct hn_endpoint_info info = {0};
    if (strncmp(ep, "ipc://", 6) == 0) {
        if (!ep[6])
            return invalid(why, why_len, "ipc:// needs a path");
        info.loopback = true;
    } else if (strncmp(ep, "tcp://", 6) == 0) {
        const char *host = ep + 6, *colon = strrchr(host, ':');
        if (!colon || colon == host)
            return invalid(why, why_len, "a tcp endpoint is tcp://HOST:PORT");
        size_t host_len = (size_t)(colon - host);
        if (memchr(host, ';', host_len) || memchr(host, ' ', host_len))
            return invalid(why, why_len, "a tcp endpoint is tcp://HOST:PORT");
        if (host[0] == '[' && host[host_len - 1] != ']')
            return invalid(why, why_len, "an IPv6 address is written in brackets: [::1]");
        if (host[0] != '[' && memchr(host, ':', host_len))
            return invalid(why, why_len, "an IPv6 address is written in brackets: [::1]");
        if (use == HN_ENDPOINT_CONNECT && host_len == 1 && host[0] == '*')
            return invalid(why, why_len, "'*' is for binding: connect to the master's address");
        const char *port = colon + 1;
        if (strcmp(port, "*") == 0) {
            if (use != HN_ENDPOINT_BIND)
                return invalid(why, why_len, "the port is a number 1..65535");
        } else {
            unsigned long v = 0;
            size_t digits = strspn(port, "0123456789");
            if (digits == 0 || digits > 5 || port[digits] != '\0')
                return invalid(why, why_len, "the port is a number 1..65535");
            for (size_t i = 0; i < digits; i++)
                v = v * 10 + (unsigned long)(port[i] - '0');
            if (v < 1 || v > 65535)
                return invalid(why, why_len, "the port is a number 1..65535");
        }
        if (use == HN_ENDPOINT_BIND && !bindable_host(host, host_len)) {
            snprintf(why, why_len,
                     "%.*s is neither an IP address nor a network interface of this host "
                     "(--bind takes '*', an address such as 127.0.0.1, or an interface name)",
                     (int)(host_len > 64 ? 64 : host_len), host);
            return HN_E_INVALID;
        }
        info.loopback = is_loopback_host(host, host_len);
    } else {
        return invalid(why, why_len, "the endpoint starts with tcp:// or ipc://");
    }
    if (out)
        *out = info;
    return 0;
}
