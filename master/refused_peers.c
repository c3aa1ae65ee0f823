/* The master's messages about peers refused at the handshake for their
 * security mechanism (see refused_peers.h): at once, then at most once
 * per HN_REFUSED_PEERS_AGAIN_S, and what is left at exit. */
#include "refused_peers.h"

#include "log.h"

/* @end: the last message, as the master exits. */
static void say(struct hn_refused_peers *p, uint64_t refused, bool curve, double now_s, bool end)
{
    unsigned long long n = (unsigned long long)(refused - p->said);
    const char *since = p->said_at > 0 ? (end ? " since the last such message, to the end"
                                              : " since the last such message")
                                       : "";
    if (curve)
        hn_log_warn("refused %llu connection%s without CurveZMQ keys%s: a worker of this master "
                    "needs --master-key (this master's public key) and --curve-secret (a key "
                    "that --allow-workers admits)",
                    n, n == 1 ? "" : "s", since);
    else
        hn_log_warn("refused %llu connection%s with CurveZMQ keys%s: this master has none (give "
                    "it --curve-secret and --allow-workers, or start the worker without "
                    "--master-key and --curve-secret)",
                    n, n == 1 ? "" : "s", since);
    p->said = refused;
    p->said_at = now_s;
}

void hn_refused_peers_check(struct hn_refused_peers *p, uint64_t refused, bool curve, double now_s)
{
    if (refused > p->said && (p->said_at == 0 || now_s - p->said_at >= HN_REFUSED_PEERS_AGAIN_S))
        say(p, refused, curve, now_s, false);
}

void hn_refused_peers_flush(struct hn_refused_peers *p, uint64_t refused, bool curve)
{
    if (refused > p->said)
        say(p, refused, curve, p->said_at, true);
}
