/* Limits on everything that crosses the wire, checked before allocation.
 * A frame or field beyond these is rejected with HN_E_TOO_LARGE. */
#pragma once

#define HN_PROTO_VERSION 8

/* The phase histograms of a stats entry (DNS, CONNECT, TLS, TTFB: see
 * hn_timing_is_phase) travel in one report out of this many (each worker
 * its own turn), before the run's announced end and in every FINAL,
 * holding the requests since the last report that carried them. Read only
 * in the end-of-run reports, they were half of every snapshot's counters,
 * and a third of what a master spent at 1,000 workers (PROTOCOL.md §5,
 * tests/bench/README.md). */
#define HN_PROTO_PHASES_EVERY 60

/* Largest frame accepted at all (also set as ZMQ_MAXMSGSIZE: a peer sending
 * more is disconnected by libzmq before the bytes reach us). */
#define HN_PROTO_FRAME_MAX (64u << 20)
/* Per message type: everything but SCENARIO is small. */
#define HN_PROTO_SNAPSHOT_FRAME_MAX (8u << 20)
#define HN_PROTO_SMALL_FRAME_MAX (64u << 10)
#define HN_PROTO_SCENARIO_MAX HN_PROTO_FRAME_MAX

#define HN_PROTO_DEPTH_MAX 8 /* nesting of arrays/maps */
#define HN_PROTO_ID_MAX 128  /* worker id, run id */
#define HN_PROTO_HOSTNAME_MAX 255
#define HN_PROTO_VERSION_STR_MAX 32 /* software version string */
#define HN_PROTO_REASON_MAX 256     /* REJECT and DECLINE reason */
#define HN_PROTO_METHOD_MAX 16      /* HTTP method */
#define HN_PROTO_NAME_MAX 256       /* stats entry name */
#define HN_PROTO_ERROR_MAX 128      /* error name ("HTTP 500", "timeout") */
#define HN_PROTO_HASH_MAX 64        /* scenario content hash bytes */
#define HN_PROTO_CLASSES_MAX 64     /* user classes in a TARGET */
#define HN_PROTO_ENTRIES_MAX 4096   /* stats entries per SNAPSHOT */
#define HN_PROTO_ERRORS_MAX 4096    /* error rows per SNAPSHOT */
#define HN_PROTO_EXCEPTIONS_MAX 64  /* exception rows per SNAPSHOT */
#define HN_PROTO_FEEDERS_MAX 32     /* feeders in a GRANT */
#define HN_PROTO_ARRIVAL_RATE_MAX 1e7 /* open model: iterations/s in a TARGET */
#define HN_PROTO_GRANT_CELLS_MAX (4u << 20) /* bytes of cells in one GRANT */

/* Bounds used by the structural check (frame_check.h) before msgpack-c is
 * allowed to allocate anything. Each is the largest of the named limits it
 * covers (frame_check.c asserts that at compile time). */
#define HN_PROTO_ARRAY_MAX 4096 /* longest array anywhere: entries, errors */
#define HN_PROTO_STR_MAX 256    /* longest string anywhere: name, reason */
/* msgpack objects per frame. A full SNAPSHOT needs at most 4096 entries * 61
 * objects (6 timing histograms each) + 4096 error rows * 5 + 64 exception
 * rows * 3 + a few, so about 271 000; the budget caps what msgpack-c
 * allocates (24 bytes per object: 12 MiB). */
#define HN_PROTO_OBJECTS_MAX (1u << 19)
