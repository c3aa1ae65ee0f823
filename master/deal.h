/* Dealing users to workers: before a worker's users of a class rise, the
 * master grants it a run-wide id for each user it may start and, for every
 * data feeder those users read, their rows (SEQUENTIAL: the next ones,
 * wrapping; UNIQUE: rows no other user of the run ever gets). Pure logic:
 * the caller sends the GRANT messages it builds. */
#pragma once

#include <stdint.h>

#include "model.h"
#include "msg.h"

struct hn_dealer {
    uint64_t next_user_id;                     /* starts at 1 */
    uint64_t next_row[HN_MODEL_FEEDERS_MAX];   /* rows dealt so far, per feeder */
    uint64_t short_rows[HN_MODEL_FEEDERS_MAX]; /* UNIQUE rows wanted but gone */
};

void hn_dealer_init(struct hn_dealer *d);

/* A worker's users per class go from @before to @after (@n classes).
 * Calls @send once per GRANT message (none when no class rises; several
 * when the rows exceed one message). @before is updated to @after.
 * Returns 0, or -ENOMEM (nothing dealt then). */
int hn_deal(struct hn_dealer *d, const struct hn_scenario *s, uint32_t *before,
            const uint32_t *after, uint32_t n,
            void (*send)(void *ctx, const struct hn_msg *m), void *ctx);
