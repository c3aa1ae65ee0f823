/* The address of --metrics-bind (see metrics_addr.h). */
#include "metrics_addr.h"
#include "error.h"
#include "units.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int hn_metrics_addr_parse(const char *s, struct hn_metrics_addr *out, char *why, size_t why_len)
{
    char host[256];
    const char *colon = strrchr(s, ':');
    if (!colon) {
        snprintf(why, why_len, "no port");
        return HN_E_INVALID;
    }
    size_t host_len = (size_t)(colon - s);
    if (s[0] == '[' && (host_len < 2 || s[host_len - 1] != ']')) {
        snprintf(why, why_len, "an IPv6 address is written [ADDR]:PORT");
        return HN_E_INVALID;
    }
    const char *h = s;
    if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
        h = s + 1;
        host_len -= 2;
    }
    if (host_len >= sizeof(host)) {
        snprintf(why, why_len, "host name too long");
        return HN_E_INVALID;
    }
    memcpy(host, h, host_len);
    host[host_len] = '\0';
    uint64_t port;
    if (hn_units_parse_count(colon + 1, 65535, &port)) {
        snprintf(why, why_len, "the port is a number 0..65535");
        return HN_E_INVALID;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    if (!host_len)
        hints.ai_family = AF_INET; /* ":PORT": every IPv4 interface */
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host_len ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(why, why_len, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return HN_E_INVALID;
    }
    if (out) {
        memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
        out->len = res->ai_addrlen;
    }
    freeaddrinfo(res);
    return 0;
}

bool hn_metrics_addr_loopback(const char *s)
{
    struct hn_metrics_addr a;
    char why[160];
    if (hn_metrics_addr_parse(s, &a, why, sizeof(why)) != 0)
        return true;
    if (a.sa.ss_family == AF_INET)
        return ntohl(((const struct sockaddr_in *)&a.sa)->sin_addr.s_addr) >> 24 == 127;
    const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&a.sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(in6) || (IN6_IS_ADDR_V4MAPPED(in6) && in6->s6_addr[12] == 127);
}

/* The host part of "HOST:PORT" into @out (empty for ":PORT"). */
static void host_part(const char *s, char *out, size_t len)
{
    const char *colon = strrchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    snprintf(out, len, "%.*s", (int)n, s);
}

bool hn_metrics_host_ok(const char *host, const char *bind)
{
    if (!host)
        return true;
    char name[256];
    size_t n = strlen(host);
    if (n >= sizeof(name))
        return false;
    if (host[0] == '[') { /* [IPv6] or [IPv6]:port */
        const char *end = strchr(host, ']');
        if (!end || (end[1] && end[1] != ':'))
            return false;
        snprintf(name, sizeof(name), "%.*s", (int)(end - host - 1), host + 1);
        struct in6_addr a6;
        return inet_pton(AF_INET6, name, &a6) == 1;
    }
    snprintf(name, sizeof(name), "%s", host);
    char *colon = strchr(name, ':');
    if (colon)
        *colon = '\0';
    if (name[0] && name[strlen(name) - 1] == '.')
        name[strlen(name) - 1] = '\0'; /* "localhost." */
    struct in_addr a4;
    if (inet_pton(AF_INET, name, &a4) == 1 || strcasecmp(name, "localhost") == 0)
        return true;
    char bound[256];
    host_part(bind ? bind : "", bound, sizeof(bound));
    if (bound[0] && strcasecmp(name, bound) == 0)
        return true;
    size_t len = strlen(name), suffix = strlen(".localhost");
    return len > suffix && strcasecmp(name + len - suffix, ".localhost") == 0;
}
