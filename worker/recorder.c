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
    [HN_FAIL_TEXTS_FULL] = "other check or capture failures",
};

int hn_recorder_init(struct hn_recorder *r, uint32_t n_entries)
{
    r->n_entries = n_entries;
    /* calloc of a large block maps fresh zero pages: nothing is touched
     * until a value lands in it. hn_hist's "empty" has min = UINT64_MAX,
     * which is set per histogram below (one cache line each). */
    r->entries = calloc(n_entries ? n_entries : 1, sizeof(*r->entries));
    r->texts = calloc(HN_REC_TEXTS_MAX, sizeof(*r->texts));
    if (!r->entries || !r->texts) {
        hn_recorder_deinit(r);
        return -ENOMEM;
    }
    r->n_texts = 0;
    r->n_exceptions = 0;
    for (uint32_t i = 0; i < n_entries; i++)
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            r->entries[i].timing[t].min = UINT64_MAX;
    return 0;
}

void hn_recorder_deinit(struct hn_recorder *r)
{
    free(r->entries);
    free(r->texts);
    r->entries = NULL;
    r->texts = NULL;
    r->n_entries = 0;
}

static void reset(struct hn_recorder *r, bool keep_phases)
{
    for (uint32_t i = 0; i < r->n_entries; i++) {
        struct hn_rec_entry *e = &r->entries[i];
        if (e->requests == 0 && (keep_phases || !e->phases_held))
            continue;
        for (int t = 0; t < HN_TIMING__COUNT; t++)
            if (!keep_phases || !hn_timing_is_phase(t))
                hn_hist_reset(&e->timing[t]);
            else if (e->timing[t].total)
                e->phases_held = true;
        if (!keep_phases)
            e->phases_held = false;
        if (e->failures)
            memset(e->fail_counts, 0, sizeof(e->fail_counts));
        e->requests = e->failures = e->bytes = 0;
    }
    if (r->n_texts) {
        memset(r->texts, 0, HN_REC_TEXTS_MAX * sizeof(*r->texts));
        r->n_texts = 0;
    }
    r->n_exceptions = 0;
    r->dropped = 0;
}

void hn_recorder_reset(struct hn_recorder *r)
{
    reset(r, false);
}

void hn_recorder_reset_keep_phases(struct hn_recorder *r)
{
    reset(r, true);
}

/* FNV-1a over the entry and the text. */
static uint32_t text_hash(uint32_t entry, const char *s, size_t len)
{
    uint32_t h = 2166136261u ^ entry;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Add @count to (entry, text). False when the table is full. */
static bool text_add(struct hn_recorder *r, uint32_t entry, const char *s, size_t len,
                     uint64_t count)
{
    if (len > HN_PROTO_ERROR_MAX)
        len = HN_PROTO_ERROR_MAX;
    if (len == 0)
        s = "failed", len = 6;
    uint32_t i = text_hash(entry, s, len) % HN_REC_TEXTS_MAX;
    for (uint32_t probe = 0; probe < HN_REC_TEXTS_MAX; probe++, i = (i + 1) % HN_REC_TEXTS_MAX) {
        struct hn_rec_text *t = &r->texts[i];
        if (t->len == 0) {
            /* Keep a quarter free: probes stay short. */
            if (r->n_texts >= HN_REC_TEXTS_MAX * 3 / 4)
                return false;
            t->entry = entry;
            t->len = (uint32_t)len;
            memcpy(t->text, s, len);
            t->text[len] = '\0';
            t->count = count;
            r->n_texts++;
            return true;
        }
        if (t->entry == entry && t->len == len && memcmp(t->text, s, len) == 0) {
            t->count += count;
            return true;
        }
    }
    return false;
}

static void exception_add(struct hn_recorder *r, const char *message, uint64_t count)
{
    size_t len = strnlen(message, HN_PROTO_ERROR_MAX);
    for (uint32_t i = 0; i < r->n_exceptions; i++) {
        if (strncmp(r->exceptions[i].message, message, len) == 0 &&
            r->exceptions[i].message[len] == '\0') {
            r->exceptions[i].count += count;
            return;
        }
    }
    if (r->n_exceptions == HN_REC_EXCEPTIONS_MAX) {
        r->exceptions[HN_REC_EXCEPTIONS_MAX - 1].count += count;
        return;
    }
    struct hn_rec_exception *x = &r->exceptions[r->n_exceptions++];
    memcpy(x->message, message, len);
    x->message[len] = '\0';
    x->count = count;
}

void hn_recorder_exception(struct hn_recorder *r, const char *message)
{
    exception_add(r, message, 1);
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
    for (uint32_t i = 0; src->n_texts && i < HN_REC_TEXTS_MAX; i++) {
        const struct hn_rec_text *t = &src->texts[i];
        if (t->len && !text_add(dst, t->entry, t->text, t->len, t->count) &&
            t->entry < dst->n_entries)
            dst->entries[t->entry].fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)] += t->count;
    }
    for (uint32_t i = 0; i < src->n_exceptions; i++)
        exception_add(dst, src->exceptions[i].message, src->exceptions[i].count);
    dst->dropped += src->dropped;
}

void hn_recorder_add(struct hn_recorder *r, const struct hn_rec_sample *s)
{
    struct hn_rec_entry *e = &r->entries[s->entry];
    e->requests++;
    e->bytes += s->bytes;
    if (s->fail_text) {
        e->failures++;
        if (!text_add(r, s->entry, s->fail_text, s->fail_text_len, 1))
            e->fail_counts[hn_fail_slot(HN_FAIL_TEXTS_FULL)]++;
    } else if (s->fail_slot != HN_FAIL_NONE) {
        e->failures++;
        e->fail_counts[s->fail_slot]++;
    }
    hn_hist_record(&e->timing[HN_TIMING_TOTAL], s->total_us);
    hn_hist_record(&e->timing[HN_TIMING_TTFB], s->ttfb_us);
    if (s->scheduled)
        hn_hist_record(&e->timing[HN_TIMING_INTENDED], s->intended_us);
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
