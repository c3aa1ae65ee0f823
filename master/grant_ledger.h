/* Which of the GRANTs dealt to a worker's process it got. A GRANT adds ids
 * and rows, and one sent on a connection that broke before it arrived is
 * lost (a TARGET, sent again every second, is not). The master counts the
 * GRANT messages it sends to a process from its SCENARIO on; the worker's
 * HEARTBEATs say how many it received. When the process comes back on a
 * new connection with GRANTs unacknowledged, it gets no TARGET or GRANT
 * until a HEARTBEAT there says how many arrived; if some did not, its
 * users are dealt again from the fewest it surely holds ids for. Pure
 * logic over the worker's counts (registry.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "proto_limits.h"

/* Zero-initialised storage is a fresh one. */
struct hn_grant_ledger {
    uint32_t sent;  /* GRANT messages sent to its process since its SCENARIO */
    uint32_t acked; /* ... of them its last HEARTBEAT said it received */
    /* Per class: the fewest users it was dealt since all its GRANTs were
     * acknowledged. Ids are spent as users start and not given back when
     * they stop, so this is what it surely holds ids for. */
    uint32_t sure[HN_PROTO_CLASSES_MAX];
    bool unsettled; /* back on a new connection with GRANTs unacknowledged */
};

/* The process got the SCENARIO: it holds nothing. Zeroes @granted too
 * (users per class the master counts as dealt, HN_PROTO_CLASSES_MAX). */
void hn_grant_ledger_reset(struct hn_grant_ledger *l, uint32_t *granted);

/* After a deal that set @granted (its first @n classes): @sent GRANT
 * messages went out, and @failed says whether one could not be sent (then
 * the deal counts as not made: the next one deals those users again). */
void hn_grant_ledger_dealt(struct hn_grant_ledger *l, uint32_t *granted, uint32_t n, uint32_t sent,
                           bool failed);

/* The same process is back on a new connection: GRANTs sent on the old one
 * and not yet acknowledged may be lost. */
void hn_grant_ledger_reconnected(struct hn_grant_ledger *l);

/* May it get TARGETs and GRANTs now? */
bool hn_grant_ledger_settled(const struct hn_grant_ledger *l);

/* A HEARTBEAT says it received @got GRANTs. Returns how many of those sent
 * were lost (0 when none, or when some are only still on their way); then
 * @granted (its first @n classes) is lowered so that the next deal gives
 * its users ids again. */
uint32_t hn_grant_ledger_heard(struct hn_grant_ledger *l, uint32_t *granted, uint32_t n,
                               uint32_t got);
