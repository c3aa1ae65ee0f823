/* The master's own lag (see lag.h). */
#include "lag.h"

#include <string.h>

void hn_lag_init(struct hn_lag *l)
{
    memset(l, 0, sizeof(*l));
}

double hn_lag_tick(struct hn_lag *l, double now_s, double interval_s, double backlog_s)
{
    double stall = 0;
    if (l->last_tick_s > 0) {
        double late = now_s - l->last_tick_s - interval_s;
        if (late > HN_LAG_STALL_S) {
            /* Messages that arrived meanwhile waited as long, and no
             * worker could be heard: the liveness clock skips it. */
            stall = late;
            l->stalled_s += late;
        }
    }
    l->last_tick_s = now_s;
    double lag = l->second_max_s;
    if (stall > lag)
        lag = stall;
    if (backlog_s > lag)
        lag = backlog_s;
    if (backlog_s > l->backlog_max_s)
        l->backlog_max_s = backlog_s;
    l->last_s = lag;
    if (lag > l->max_s)
        l->max_s = lag;
    l->second_max_s = 0;
    return stall;
}
