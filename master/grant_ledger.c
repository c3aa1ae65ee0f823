/* Which of the GRANTs dealt to a worker's process it got (grant_ledger.h). */
#include "grant_ledger.h"

#include <string.h>

void hn_grant_ledger_reset(struct hn_grant_ledger *l, uint32_t *granted)
{
    memset(l, 0, sizeof(*l));
    memset(granted, 0, HN_PROTO_CLASSES_MAX * sizeof(*granted));
}

void hn_grant_ledger_dealt(struct hn_grant_ledger *l, uint32_t *granted, uint32_t n, uint32_t sent,
                           bool failed)
{
    l->sent += sent;
    for (uint32_t c = 0; c < n && c < HN_PROTO_CLASSES_MAX; c++) {
        if (failed)
            granted[c] = l->sure[c] < granted[c] ? l->sure[c] : granted[c];
        if (granted[c] < l->sure[c])
            l->sure[c] = granted[c]; /* fewer users: their ids are spent */
    }
}

void hn_grant_ledger_reconnected(struct hn_grant_ledger *l)
{
    if (l->acked < l->sent)
        l->unsettled = true;
}

bool hn_grant_ledger_settled(const struct hn_grant_ledger *l)
{
    return !l->unsettled;
}

uint32_t hn_grant_ledger_heard(struct hn_grant_ledger *l, uint32_t *granted, uint32_t n,
                               uint32_t got)
{
    if (n > HN_PROTO_CLASSES_MAX)
        n = HN_PROTO_CLASSES_MAX;
    if (got == l->sent && got == l->acked && !l->unsettled)
        return 0; /* nothing new (sure equals granted: see dealt) */
    if (got > l->sent && !l->unsettled)
        return 0; /* not a count of the GRANTs sent since its SCENARIO: a
                   * HEARTBEAT it sent before it read that (counting its
                   * previous run's), or a count we cannot check. Taken as
                   * ours it would set the ledger ahead of the worker for
                   * good (its later counts all short: never settled, all
                   * its users dealt again at its next reconnect). */
    if (got >= l->sent) {
        /* All arrived (more, back on a new connection: GRANTs of the old
         * one it read late, or a count we cannot check; either way it
         * holds what was dealt). */
        l->sent = l->acked = got;
        memcpy(l->sure, granted, n * sizeof(*granted));
        l->unsettled = false;
        return 0;
    }
    l->acked = got;
    if (!l->unsettled)
        return 0; /* on their way on this connection, which loses nothing */
    /* Back on a new connection, its count taken after the old one ended:
     * what it did not get went down with it. */
    uint32_t lost = l->sent - got;
    for (uint32_t c = 0; c < n; c++)
        if (l->sure[c] < granted[c])
            granted[c] = l->sure[c];
    l->sent = l->acked = got;
    l->unsettled = false;
    return lost;
}
