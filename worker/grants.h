/* What the master dealt this worker for the users it will start (GRANT
 * messages): run-wide user ids and rows of data feeders. The session adds
 * grants on the main thread; engine threads take one user's share when
 * they start a user. Thread-safe (one mutex: taken once per user start,
 * never per request). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "msg.h"

struct hn_grants;

/* A user's share: its id and, per feeder its class reads, its row (the
 * feeder's n_columns cells); NULL for feeders the class does not read. */
struct hn_user_data {
    uint64_t user_id;
    char *const *rows[HN_MODEL_FEEDERS_MAX];
};

/* An empty store for @s (which must outlive it). @local: no master deals
 * anything (tests, benchmarks): ids count from 1 and rows are dealt from
 * the scenario's own cells, UNIQUE ones each at most once. 0 or -ENOMEM. */
int hn_grants_new(const struct hn_scenario *s, bool local, struct hn_grants **out);
void hn_grants_free(struct hn_grants *g);

/* Queue a GRANT. Its rows are checked against the scenario (feeder index,
 * order, cell count, UTF-8). 0; HN_E_INVALID with a reason in @why; -ENOMEM
 * (then nothing of it is queued). */
int hn_grants_add(struct hn_grants *g, const struct hn_msg_grant *m, char *why, size_t why_len);

/* Take the next user's share for class @c: its id and its rows of every
 * SEQUENTIAL and UNIQUE feeder the class reads (RANDOM ones are the
 * caller's to pick). 0; HN_E_STATE when no id has been granted yet (try
 * again later); HN_E_RANGE when a UNIQUE feeder has no row left for it
 * (*@feeder says which; the id is kept for another user). */
int hn_grants_take(struct hn_grants *g, const struct hn_user_class *c, struct hn_user_data *out,
                   uint32_t *feeder);
