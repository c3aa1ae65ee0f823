/* The end of the console summary: worker events with their times and the
 * generator self-check (see journal.h). A reader learns which worker was
 * lost and when, so what the totals exclude, and whether some latencies
 * are the load generator's own. */
#include "console.h"
#include "journal.h"
#include "registry.h"
#include "report_fmt.h"
#include "sanitize.h"

#include <stdio.h>
#include <string.h>

/* "22:13:20" of @ms (UTC). */
static const char *hms(char *buf, size_t len, uint64_t ms)
{
    char full[32];
    hn_report_fmt_utc(full, sizeof(full), ms);
    snprintf(buf, len, "%.8s", strlen(full) >= 19 ? full + 11 : full);
    return buf;
}

static void print_events(FILE *out, const struct hn_journal *j)
{
    /* Joins alone say nothing surprising: the list is printed when
     * something else happened. */
    bool notable = false;
    for (uint32_t i = 0; i < j->n_events && !notable; i++)
        notable = j->events[i].kind != HN_JEV_JOINED;
    if (!notable)
        return;
    fprintf(out, "Worker events (UTC)\n");
    for (uint32_t i = 0; i < j->n_events; i++) {
        const struct hn_journal_event *e = &j->events[i];
        char t[16];
        fprintf(out, "  %s  worker %-4u %-9s %s\n", hms(t, sizeof(t), e->at_ms), e->worker,
                hn_journal_event_name(e->kind), e->detail);
    }
    if (j->events_dropped)
        fprintf(out, "  (%llu more events not kept)\n", (unsigned long long)j->events_dropped);
    fputc('\n', out);
}

static void print_warnings(FILE *out, const struct hn_journal *j, const struct hn_registry *reg)
{
    if (!hn_journal_warnings(j))
        return;
    fprintf(out, "Generator self-check: latencies measured by these workers may include the "
                 "load generator's own delay\n");
    for (uint32_t i = 0; i < j->n_workers; i++) {
        const struct hn_journal_worker *w = hn_journal_worker(j, i);
        if (!w || !w->warnings)
            continue;
        char id[HN_SANITIZE_SIZE(HN_PROTO_ID_MAX)] = "";
        if (reg && i < reg->n)
            hn_sanitize_str(id, sizeof(id), reg->workers[i].hello.worker_id);
        fprintf(out, "  worker %u (%s):", i, id);
        const char *sep = " ";
        if (w->warnings & HN_JOURNAL_WARN_CPU) {
            fprintf(out, "%sCPU up to %.0f %% of its %u CPUs", sep,
                    w->cpu_permille_max / 10.0 / (w->cpus ? w->cpus : 1), w->cpus);
            sep = "; ";
        }
        if (w->warnings & HN_JOURNAL_WARN_LAG) {
            fprintf(out, "%sevent loops late by up to %u ms", sep, w->lag_ms_max);
            sep = "; ";
        }
        if (w->warnings & HN_JOURNAL_WARN_STALL) {
            char d[32];
            hn_report_fmt_duration(d, sizeof(d), w->stalled_ms);
            fprintf(out, "%sstalled %u time%s, %s in all", sep, w->stalls,
                    w->stalls == 1 ? "" : "s", d);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

void hn_console_journal(FILE *out, const struct hn_journal *j, const struct hn_registry *reg)
{
    print_events(out, j);
    print_warnings(out, j, reg);
    fflush(out);
}
