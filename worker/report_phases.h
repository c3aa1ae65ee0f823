/* Which reports carry the phase histograms (DNS, CONNECT, TLS, time to
 * first byte): a worker holds them back and sends them rarely, because a
 * master reads them only at the end of a run and they were half of every
 * report's counters (PROTOCOL.md §5). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recorder.h"

/* Held phases go out once their counters take this many bytes, however far
 * the worker's turn is: a report holding them stays within a second's
 * report plus this (and the phases of that second), far below
 * HN_PROTO_SNAPSHOT_FRAME_MAX (a minute of a scenario with ~40 busy names
 * fits). */
#define HN_REPORT_PHASES_HOLD_BYTES ((size_t)256 << 10)

/* Before an end the master announced (TARGET's ends_in_ms), each worker
 * sends its phases in every report from a second drawn by its turn between
 * LEAD_MIN_S and LEAD_MIN_S + LEAD_SPREAD_S - 1 before the end on: the
 * first of them empties what it held, and the FINAL then holds about a
 * second's worth. So a fleet's held phases reach the master spread over the
 * run's last seconds, not all in the FINALs at the stop. */
#define HN_REPORT_PHASES_LEAD_MIN_S 3u
#define HN_REPORT_PHASES_LEAD_SPREAD_S 20u

/* What decides one report. */
struct hn_report_phases_when {
    bool final;        /* the FINAL: always carries them */
    uint64_t seq;      /* the report's sequence number */
    uint32_t turn;     /* the worker's turn, < HN_PROTO_PHASES_EVERY */
    double now_s;      /* the clock @end_at_s is on */
    double end_at_s;   /* the run's announced end; INFINITY: none announced */
    size_t held_bytes; /* hn_report_phases_bytes of what the report would carry */
};

/* The turn of the worker @worker_id, < HN_PROTO_PHASES_EVERY: random when
 * @seed is 0, else fixed by the seed and the id (tests choose when phases
 * go). A fleet started with one --seed and distinct ids still gets turns
 * spread as random ones: a fleet sending them in the same second is what
 * the turns are there to avoid. */
uint32_t hn_report_phases_turn(uint64_t seed, const char *worker_id);

/* The lead of a worker of turn @turn: seconds before the announced end
 * from which every report carries its phases. */
unsigned hn_report_phases_lead_s(uint32_t turn);

/* Whether this report carries the phases: the FINAL; the worker's turn
 * (seq modulo HN_PROTO_PHASES_EVERY); held phases of
 * HN_REPORT_PHASES_HOLD_BYTES or more; or the announced end within the
 * worker's lead. */
bool hn_report_phases_due(const struct hn_report_phases_when *w);

/* Whether a rule other than the held bytes makes the report due (the
 * FINAL, the turn, the lead; @w->held_bytes is not read): when it does, the
 * caller need not count them with hn_report_phases_bytes. */
bool hn_report_phases_due_by_time(const struct hn_report_phases_when *w);

/* Bytes the phase histograms of @r take on the wire (counters only: the
 * fixed fields of each are a few bytes). O(the counter range used). */
size_t hn_report_phases_bytes(const struct hn_recorder *r);
