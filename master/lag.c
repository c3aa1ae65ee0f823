/* The master's own lag (see lag.h). */
#include "lag.h"

double hn_lag_watch(struct hn_lag *l, double now_s)
{
    if (l->last_watch_s > 0) {
        double period = l->period_s > 0 ? l->period_s : HN_LAG_WATCH_S;
        double late = now_s - l->last_watch_s - period;
        if (late > HN_LAG_STALL_S) {
            l->stalled_s += late;
            l->second_stall_s += late;
            /* what arrived as it began has waited that long */
            if (late > l->second_max_s)
                l->second_max_s = late;
            l->close_until_s = now_s + HN_LAG_CLOSE_FOR_S;
        }
    }
    l->last_watch_s = now_s;
    l->period_s = now_s < l->close_until_s ? HN_LAG_WATCH_CLOSE_S : HN_LAG_WATCH_S;
    return l->period_s;
}

double hn_lag_tick(struct hn_lag *l, double backlog_s)
{
    double lag = l->second_max_s, stall = l->second_stall_s;
    if (backlog_s > lag)
        lag = backlog_s;
    if (backlog_s > l->backlog_max_s)
        l->backlog_max_s = backlog_s;
    l->last_s = lag;
    if (lag > l->max_s)
        l->max_s = lag;
    l->second_max_s = 0;
    l->second_stall_s = 0;
    return stall;
}
