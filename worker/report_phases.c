/* Which reports carry the phase histograms (see report_phases.h). */
#include "report_phases.h"

#include <math.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "hist_codec.h"
#include "msg.h"
#include "proto_limits.h"
#include "rng.h"

uint32_t hn_report_phases_turn(uint64_t seed, const char *worker_id)
{
    uint64_t mix = seed;
    if (!mix && getrandom(&mix, sizeof(mix), 0) != sizeof(mix))
        mix = hn_clock_mono_ns() ^ (uint64_t)getpid() << 32;
    for (const unsigned char *p = (const unsigned char *)worker_id; *p; p++)
        mix = (mix ^ *p) * UINT64_C(0x100000001b3); /* FNV-1a steps */
    uint64_t state = hn_rng_seed(mix);
    return (uint32_t)(hn_rng_next(&state) % HN_PROTO_PHASES_EVERY);
}

unsigned hn_report_phases_lead_s(uint32_t turn)
{
    return HN_REPORT_PHASES_LEAD_MIN_S + turn % HN_REPORT_PHASES_LEAD_SPREAD_S;
}

bool hn_report_phases_due_by_time(const struct hn_report_phases_when *w)
{
    if (w->final || w->seq % HN_PROTO_PHASES_EVERY == w->turn)
        return true;
    if (!isfinite(w->end_at_s))
        return false;
    return w->now_s >= w->end_at_s - hn_report_phases_lead_s(w->turn);
}

bool hn_report_phases_due(const struct hn_report_phases_when *w)
{
    return hn_report_phases_due_by_time(w) || w->held_bytes >= HN_REPORT_PHASES_HOLD_BYTES;
}

size_t hn_report_phases_bytes(const struct hn_recorder *r)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->n_entries; i++)
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            if (hn_timing_is_phase(t) && r->entries[i].timing[t].total)
                n += hn_hist_codec_buckets_size(&r->entries[i].timing[t]);
    return n;
}
