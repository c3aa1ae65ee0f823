/* The compiled scenario as it travels in a SCENARIO message: msgpack bytes
 * of the model (common/model.h). Format in PROTOCOL.md, "Scenario blob". */
#pragma once

#include <msgpack.h>
#include <stddef.h>

#include "model.h"

/* Append the scenario's msgpack encoding to @out (the rows of UNIQUE
 * feeders are left out: they travel in GRANT messages). 0 or -ENOMEM; on
 * error @out is left as it was. */
int hn_scenario_encode(const struct hn_scenario *s, msgpack_sbuffer *out);

/* Decode a scenario blob. Every byte is untrusted: structure, types and
 * the model's limits are checked before anything is allocated. On success
 * *out is a new scenario (not yet finalized) owned by the caller; on
 * failure a positive hn_error with a one-line reason in @why. */
int hn_scenario_decode(const void *buf, size_t len, struct hn_scenario **out, char *why,
                       size_t why_len);

/* Data cells travel as one bin of @n NUL-terminated UTF-8 strings (used by
 * the scenario blob and by GRANT). Pack: 0 or -ENOMEM. Unpack @buf[0..len): a
 * new array of @n new strings in *out (caller frees each and the array);
 * HN_E_INVALID (wrong count, not UTF-8) with a reason in @why, or -ENOMEM. */
int hn_cells_pack(msgpack_packer *pk, char *const *cells, uint64_t n);
int hn_cells_unpack(const void *buf, size_t len, uint64_t n, char ***out, char *why,
                    size_t why_len);
