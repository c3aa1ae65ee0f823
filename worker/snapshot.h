/* Builds the SNAPSHOT / FINAL message from a merged recorder. */
#pragma once

#include <msgpack.h>
#include <stdint.h>

#include "model.h"
#include "msg.h"
#include "recorder.h"

struct hn_snapshot_info {
    enum hn_msg_type type; /* HN_MSG_SNAPSHOT or HN_MSG_FINAL */
    uint64_t seq;
    uint64_t interval_start_ms, interval_end_ms;
    uint32_t users;
    const char *run_id; /* the run of the WELCOME these figures belong to */
    /* Carry the phase histograms (hn_timing_is_phase): when
     * hn_report_phases_due says (PROTOCOL.md §5). */
    bool phases;
};

/* Encode one frame for @r (entries named after @s->entries) into @out.
 * Entries without requests are left out, unless @info->phases and they hold
 * phases of earlier intervals. 0, -ENOMEM or a proto error. */
int hn_snapshot_encode(const struct hn_scenario *s, const struct hn_recorder *r,
                       const struct hn_snapshot_info *info, msgpack_sbuffer *out);

/* hn_snapshot_encode, but when the phases @info asks for make the frame too
 * large (HN_E_TOO_LARGE: a second's worth of a scenario with thousands of
 * busy names nearly fills one), it is encoded without them and
 * *@phases_dropped says so: the requests and response times must get
 * through. 0, -ENOMEM or a proto error (then nothing went in @out). */
int hn_snapshot_encode_fit(const struct hn_scenario *s, const struct hn_recorder *r,
                           const struct hn_snapshot_info *info, msgpack_sbuffer *out,
                           bool *phases_dropped);
