/* Feeding the master's stats store in tests: snapshots go through the real
 * wire codec (encode, decode) before hn_stats_add, as they do in a run.
 * Shared by test-stats, test-csv and test-console. */
#pragma once

#include <stdint.h>

#include "msg.h"
#include "stats.h"

/* One SNAPSHOT of @entries (encoder side: hist[] set) and @errors, arriving
 * at master time @now_ms. Fails the test if any step fails. */
void feed_snapshot(struct hn_stats *st, uint64_t now_ms, struct hn_msg_entry *entries,
                   uint32_t n_entries, const struct hn_msg_error *errors, uint32_t n_errors);
/* The same with @dropped iterations (open model) in the snapshot. */
void feed_snapshot_dropped(struct hn_stats *st, uint64_t now_ms, struct hn_msg_entry *entries,
                           uint32_t n_entries, const struct hn_msg_error *errors,
                           uint32_t n_errors, uint64_t dropped);
