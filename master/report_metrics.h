/* --metrics-bind: Prometheus metrics served while the run lasts (see
 * metrics_text.h for what is exposed). */
#pragma once

#include <ev.h>
#include <stddef.h>

#include "report.h"

/* Serve http://@addr/metrics from now on, rendering on @loop's thread when
 * scraped, from the statistics, the run's workers (@reg) and @journal (both
 * must outlive the writer). @bound receives "HOST:PORT" as bound (the port
 * chosen for port 0). 0, -EINVAL for a bad address (metrics_addr.h), or
 * -errno when the server cannot start (e.g. -EADDRINUSE). */
int hn_report_metrics_add(struct hn_reports *rs, struct ev_loop *loop, const char *addr,
                          const char *run_id, const struct hn_registry *reg,
                          const struct hn_journal *journal, char *bound, size_t bound_len);
