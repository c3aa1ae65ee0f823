/* How many virtual users this worker process can hold, when --capacity is
 * not given: bounded by the open-file limit (each user holds a connection,
 * and a name resolution in flight holds two descriptors more for a moment)
 * and by the memory available (a user with a TLS connection and its
 * buffers costs tens of KiB). */
#pragma once

#include <stdint.h>

/* Descriptors kept for everything but users (ZeroMQ, libev, threads). */
#define HN_CAPACITY_FD_RESERVE 128
/* Memory budgeted per user. */
#define HN_CAPACITY_BYTES_PER_USER (64u * 1024u)

/* The default capacity: min((RLIMIT_NOFILE - reserve) / 2, available
 * memory / bytes per user), at least 1. Available memory is MemAvailable
 * of /proc/meminfo, or less when a cgroup (v2 memory.max) allows less. */
uint32_t hn_capacity_default(void);
