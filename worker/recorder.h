/* Per-thread request statistics: one entry per (method, name) with counts,
 * bytes, failures by kind and latency histograms (total time and libcurl
 * phases), failures with their own text ("check status: got 409, want
 * 201") and exceptions outside requests ("data accounts exhausted"). Engine
 * threads record into their own recorder without locks and swap it for an
 * empty one once a second (see pool.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"
#include "msg.h" /* enum hn_timing */

/* Failure slots: HTTP statuses use their own number (100..599); transport
 * failures use HN_FAIL_STATUS_SLOTS + enum hn_fail. */
#define HN_FAIL_STATUS_SLOTS 600

enum hn_fail {
    HN_FAIL_CONN_REFUSED, /* "connection refused" */
    HN_FAIL_TIMEOUT,      /* "timeout": the per-request timeout expired */
    HN_FAIL_CONN_RESET,   /* "connection reset" */
    HN_FAIL_CONNECT,      /* "connect failed" (other connect errors) */
    HN_FAIL_UNREACHABLE,  /* "host unreachable" / network unreachable */
    HN_FAIL_DNS,          /* "DNS failure" */
    HN_FAIL_TLS,          /* "TLS error" (handshake, certificate) */
    HN_FAIL_EMPTY_REPLY,  /* "empty reply": server closed without answer */
    HN_FAIL_SEND,         /* "send error" */
    HN_FAIL_RECV,         /* "receive error" */
    HN_FAIL_BAD_RESPONSE, /* "bad response": not parseable as HTTP */
    HN_FAIL_REDIRECTS,    /* "too many redirects" */
    HN_FAIL_ABORTED,      /* "aborted at stop": still running at stop timeout */
    HN_FAIL_CLIENT,       /* "client error": any other libcurl error */
    HN_FAIL_TEXTS_FULL,   /* "other check or capture failures": a failure with
                             its own text when the text table is full */
    HN_FAIL__COUNT
};

#define HN_FAIL_SLOTS (HN_FAIL_STATUS_SLOTS + HN_FAIL__COUNT)
#define HN_FAIL_NONE UINT32_MAX

struct hn_rec_entry {
    uint64_t requests; /* completed requests, failures included */
    uint64_t failures;
    uint64_t bytes; /* response body bytes received */
    uint64_t fail_counts[HN_FAIL_SLOTS];
    struct hn_hist timing[HN_TIMING__COUNT];
    /* Phase histograms kept by hn_recorder_reset_keep_phases: they hold
     * requests of earlier intervals (requests may be 0 now). */
    bool phases_held;
};

/* Distinct failure texts kept per recorder (three quarters of the slots,
 * 3,072 a second), and exception messages. A check that fails with a new
 * text each time cannot grow memory: beyond the table its failures count
 * as HN_FAIL_TEXTS_FULL. 256 slots folded a third of an audit's failures
 * of 300 endpoints, each with its own text, into that row; a snapshot
 * carries at most HN_PROTO_ERRORS_MAX (4,096) rows anyway. */
#define HN_REC_TEXTS_MAX 4096
#define HN_REC_EXCEPTIONS_MAX 16

struct hn_rec_text {
    uint32_t entry;
    uint32_t len;    /* 0: free slot */
    uint64_t count;
    char text[HN_PROTO_ERROR_MAX + 1];
};

struct hn_rec_exception {
    uint64_t count;
    char message[HN_PROTO_ERROR_MAX + 1];
};

struct hn_recorder {
    uint32_t n_entries;
    struct hn_rec_entry *entries; /* one per scenario stats entry */
    struct hn_rec_text *texts;    /* open addressing, HN_REC_TEXTS_MAX slots */
    uint32_t n_texts;
    struct hn_rec_exception exceptions[HN_REC_EXCEPTIONS_MAX];
    uint32_t n_exceptions;
    uint64_t dropped; /* open model: iterations dropped (waited past max_delay) */
};

/* One finished request, all times in microseconds. */
struct hn_rec_sample {
    uint32_t entry;
    uint32_t fail_slot;    /* HN_FAIL_NONE when the request succeeded */
    const char *fail_text; /* instead of fail_slot: a failure described by text
                              (truncated to HN_PROTO_ERROR_MAX bytes) */
    size_t fail_text_len;
    bool new_connection; /* DNS/connect/TLS are recorded only then */
    bool scheduled;      /* part of a scheduled iteration: intended_us applies */
    uint64_t total_us, dns_us, connect_us, tls_us, ttfb_us;
    uint64_t intended_us; /* latency from the iteration's intended start */
    uint64_t bytes;
};

/* Allocate @n_entries empty entries. 0 or -ENOMEM. Histogram pages are
 * zero-filled lazily by the kernel, so untouched value ranges cost no RSS. */
int hn_recorder_init(struct hn_recorder *r, uint32_t n_entries);
void hn_recorder_deinit(struct hn_recorder *r);
/* Empty every entry (cost proportional to the ranges actually used). */
void hn_recorder_reset(struct hn_recorder *r);
/* The same, but the phase histograms (hn_timing_is_phase) stay and go on
 * adding up: the report just made of @r did not carry them (they travel
 * only in some reports: report_phases.h). */
void hn_recorder_reset_keep_phases(struct hn_recorder *r);
/* Add @src into @dst exactly; both must have the same number of entries. */
void hn_recorder_merge(struct hn_recorder *dst, const struct hn_recorder *src);
/* Record one finished request. O(1), no allocation. */
void hn_recorder_add(struct hn_recorder *r, const struct hn_rec_sample *s);
/* Count one exception (@message is truncated to HN_PROTO_ERROR_MAX bytes);
 * beyond HN_REC_EXCEPTIONS_MAX distinct messages, the last slot takes the
 * count. No allocation. */
void hn_recorder_exception(struct hn_recorder *r, const char *message);
/* Total requests over all entries. */
uint64_t hn_recorder_requests(const struct hn_recorder *r);

/* Slot of an HTTP status counted as a failure (100..599), else of
 * HN_FAIL_BAD_RESPONSE. */
uint32_t hn_fail_slot_status(long status);
static inline uint32_t hn_fail_slot(enum hn_fail f)
{
    return HN_FAIL_STATUS_SLOTS + (uint32_t)f;
}
/* Readable name of a failure slot ("HTTP 500", "timeout") into @buf. */
const char *hn_fail_name(uint32_t slot, char *buf, size_t len);
