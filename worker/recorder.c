/* Per-thread request statistics (see recorder.h). */
#include "recorder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fail_names[HN_FAIL__COUNT] = {
    [HN_FAIL_CONN_REFUSED] = "connection refused",
    [HN_FAIL_TIMEOUT] = "timeout",
    [HN_FAIL_CONN_RESET] = "connection reset",
    [HN_FAIL_CONNECT] = "connect failed",
    [HN_FAIL_UNREACHABLE] = "host unreachable",
    [HN_FAIL_DNS] = "DNS failure",
    [HN_FAIL_TLS] = "TLS error",
    [HN_FAIL_EMPTY_REPLY] = "empty reply",
    [HN_FAIL_SEND] = "send error",
    [HN_FAIL_RECV] = "receive error",
    [HN_FAIL_BAD_RESPONSE] = "bad response",
    [HN_FAIL_REDIRECTS] = "too many redirects",
    [HN_FAIL_ABORTED] = "aborted at stop",
    [HN_FAIL_CLIENT] = "client error",
};

int hn_recorder_init(struct hn_recorder *r, uint32_t n_entries)
{
    r->n_entries = n_entries;
    /* calloc of a large block maps fresh zero pages: nothing is touched
     * until a value lands in it. hn_hist's "empty" has min = UINT64_MAX,
     * which is set per histogram below (one cache line each). */
    r->entries = calloc(n_entries ? n_entries : 1, sizeof(*r->entries));
    if (!r->entries)
        return -ENOMEM;
    for (uint32_t i = 0; i < n_entries; i++)
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            r->entries[i].timing[t].min = UINT64_MAX;
    return 0;
}

void hn_recorder_deinit(struct hn_recorder *r)
{
    free(r->entries);
    r->entries = NULL;
    r->n_entries = 0;
}

void hn_recorder_reset(struct hn_recorder *r)
{
    for (uint32_t i = 0; i < r->n_entries; i++) {
        struct hn_rec_entry *e = &r->entries[i];
        if (e->requests == 0)
            continue;
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            hn_hist_reset(&e->timing[t]);
        if (e->failures)
            memset(e->fail_counts, 0, sizeof(e->fail_counts));
        e->requests = e->failures = e->bytes = 0;
    }
}

void hn_recorder_merge(struct hn_recorder *dst, const struct hn_recorder *src)
{
    for (uint32_t i = 0; i < src->n_entries && i < dst->n_entries; i++) {
        const struct hn_rec_entry *s = &src->entries[i];
        struct hn_rec_entry *d = &dst->entries[i];
        if (s->requests == 0)
            continue;
        d->requests += s->requests;
        d->failures += s->failures;
        d->bytes += s->bytes;
        if (s->failures)
            for (uint32_t k = 0; k < HN_FAIL_SLOTS; k++)
                d->fail_counts[k] += s->fail_counts[k];
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            hn_hist_merge(&d->timing[t], &s->timing[t]);
    }
}

void hn_recorder_add(struct hn_recorder *r, const struct hn_rec_sample *s)
{
    struct hn_rec_entry *e = &r->entries[s->entry];
    e->requests++;
    e->bytes += s->bytes;
    if (s->fail_slot != HN_FAIL_NONE) {
        e->failures++;
        e->fail_counts[s->fail_slot]++;
    }
    hn_hist_record(&e->timing[HN_TIMING_TOTAL], s->total_us);
    hn_hist_record(&e->timing[HN_TIMING_TTFB], s->ttfb_us);
    if (s->new_connection) {
        hn_hist_record(&e->timing[HN_TIMING_DNS], s->dns_us);
        hn_hist_record(&e->timing[HN_TIMING_CONNECT], s->connect_us);
        if (s->tls_us)
            hn_hist_record(&e->timing[HN_TIMING_TLS], s->tls_us);
    }
}

uint64_t hn_recorder_requests(const struct hn_recorder *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->n_entries; i++)
        n += r->entries[i].requests;
    return n;
}

uint32_t hn_fail_slot_status(long status)
{
    if (status >= 100 && status < HN_FAIL_STATUS_SLOTS)
        return (uint32_t)status;
    return hn_fail_slot(HN_FAIL_BAD_RESPONSE);
}

const char *hn_fail_name(uint32_t slot, char *buf, size_t len)
{
    if (slot < HN_FAIL_STATUS_SLOTS)
        snprintf(buf, len, "HTTP %u", slot);
    else if (slot < HN_FAIL_SLOTS)
        snprintf(buf, len, "%s", fail_names[slot - HN_FAIL_STATUS_SLOTS]);
    else
        snprintf(buf, len, "unknown");
    return buf;
}
