/* Largest-remainder splits of users (see distribute.h). */
#include "distribute.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void hn_distribute_classes(uint32_t total, const uint32_t *weights, uint32_t n_classes,
                           uint32_t *out)
{
    uint64_t sum = 0;
    for (uint32_t c = 0; c < n_classes; c++)
        sum += weights[c];
    if (n_classes == 0)
        return;
    if (sum == 0) {
        memset(out, 0, n_classes * sizeof(*out));
        out[0] = total;
        return;
    }
    uint32_t given = 0;
    uint64_t rem[HN_PROTO_CLASSES_MAX];
    for (uint32_t c = 0; c < n_classes; c++) {
        uint64_t exact = (uint64_t)total * weights[c];
        out[c] = (uint32_t)(exact / sum);
        rem[c] = exact % sum;
        given += out[c];
    }
    /* Hand out what is left to the largest remainders (ties: first class). */
    while (given < total) {
        uint32_t best = 0;
        for (uint32_t c = 1; c < n_classes; c++)
            if (rem[c] > rem[best])
                best = c;
        out[best]++;
        rem[best] = 0;
        given++;
    }
}

/* Order of workers for the remainders: the first worker of every host, then
 * the second of every host, ... */
static void interleave_hosts(const uint32_t *host, uint32_t n, uint32_t *order)
{
    uint32_t *rank = calloc(n ? n : 1, sizeof(*rank)); /* position within its host */
    uint32_t max_rank = 0, k = 0;
    for (uint32_t i = 0; rank && i < n; i++) {
        for (uint32_t j = 0; j < i; j++)
            rank[i] += host[j] == host[i];
        if (rank[i] > max_rank)
            max_rank = rank[i];
    }
    for (uint32_t r = 0; rank && r <= max_rank; r++)
        for (uint32_t i = 0; i < n; i++)
            if (rank[i] == r)
                order[k++] = i;
    for (uint32_t i = 0; !rank && i < n; i++)
        order[i] = i; /* out of memory: plain order is still a valid split */
    free(rank);
}

static int by_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void hn_distribute_workers(const uint32_t *class_users, uint32_t n_classes, const uint32_t *host,
                           uint32_t n_workers, const struct hn_share *prev, struct hn_share *out)
{
    if (n_workers == 0)
        return;
    memset(out, 0, n_workers * sizeof(*out));
    uint32_t *order = malloc(n_workers * sizeof(*order));
    uint64_t *key = malloc(n_workers * sizeof(*key));
    if (!order || !key) {
        free(order);
        free(key);
        return;
    }
    interleave_hosts(host, n_workers, order);
    for (uint32_t c = 0; c < n_classes; c++) {
        uint32_t base = class_users[c] / n_workers, rem = class_users[c] % n_workers;
        for (uint32_t i = 0; i < n_workers; i++)
            out[i].users[c] = base;
        if (rem == 0)
            continue;
        /* Who gets one more: first the workers that had more than @base
         * of this class (so that a class whose count did not change keeps
         * its split: moving users stops and starts them, which reruns
         * on_start and takes new data rows), then the fewest users so far
         * (the totals stay within one of each other), then hosts first. */
        for (uint32_t r = 0; r < n_workers; r++) {
            uint32_t i = order[r];
            uint64_t so_far = out[i].total < INT32_MAX ? out[i].total : INT32_MAX;
            bool had_more = prev && prev[i].users[c] > base;
            key[r] = (uint64_t)!had_more << 63 | so_far << 32 | r;
        }
        qsort(key, n_workers, sizeof(*key), by_key);
        for (uint32_t k = 0; k < rem; k++)
            out[order[(uint32_t)key[k]]].users[c]++;
        for (uint32_t i = 0; i < n_workers; i++)
            out[i].total += out[i].users[c] - base;
    }
    for (uint32_t i = 0; i < n_workers; i++) {
        out[i].total = 0;
        for (uint32_t c = 0; c < n_classes; c++)
            out[i].total += out[i].users[c];
    }
    free(order);
    free(key);
}

void hn_distribute_spawn_rates(const struct hn_share *before, const struct hn_share *after,
                               uint32_t n_workers, double rate, double *out)
{
    uint64_t up = 0, down = 0;
    for (uint32_t i = 0; i < n_workers; i++) {
        up += after[i].total > before[i].total ? after[i].total - before[i].total : 0;
        down += after[i].total < before[i].total ? before[i].total - after[i].total : 0;
    }
    uint64_t most = up > down ? up : down;
    double floor = n_workers ? rate / n_workers : rate;
    for (uint32_t i = 0; i < n_workers; i++) {
        uint32_t change = after[i].total > before[i].total ? after[i].total - before[i].total
                                                           : before[i].total - after[i].total;
        /* A worker with a change ends it with the others at its share; one
         * without keeps a share of the rate (it may still be converging). */
        out[i] = change && most ? rate * (double)change / (double)most : floor;
    }
}

/* Users worker @i can hold: its capacity, or @all without one. */
static uint64_t cap_of(const uint32_t *capacity, uint32_t i, uint64_t all)
{
    return capacity[i] ? capacity[i] : all;
}

uint32_t hn_distribute_cap(struct hn_share *shares, uint32_t n_workers, const uint32_t *capacity,
                           uint32_t n_classes)
{
    uint64_t total = 0, can = 0;
    bool over = false;
    for (uint32_t i = 0; i < n_workers; i++) {
        total += shares[i].total;
        over |= capacity[i] && shares[i].total > capacity[i];
    }
    if (!over)
        return 0; /* the even split fits: keep it as it is */
    for (uint32_t i = 0; i < n_workers; i++)
        can += cap_of(capacity, i, total);
    uint64_t target = total < can ? total : can;
    /* Water-filling: the lowest level L with sum(min(cap_i, L)) >= target;
     * every worker gets min(cap_i, L - 1), and those with room one more
     * until the target is met. */
    uint64_t lo = 0, hi = total;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, sum = 0;
        for (uint32_t i = 0; i < n_workers; i++) {
            uint64_t c = cap_of(capacity, i, total);
            sum += c < mid ? c : mid;
        }
        if (sum >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    uint64_t *want = calloc(n_workers, sizeof(*want));
    uint32_t pool[HN_PROTO_CLASSES_MAX] = {0};
    if (!want)
        return 0;
    uint64_t given = 0;
    for (uint32_t i = 0; i < n_workers; i++) {
        uint64_t c = cap_of(capacity, i, total), l = lo ? lo - 1 : 0;
        want[i] = c < l ? c : l;
        given += want[i];
    }
    for (uint32_t i = 0; i < n_workers && given < target; i++) {
        if (cap_of(capacity, i, total) > want[i]) {
            want[i]++;
            given++;
        }
    }
    /* Take the excess off, last classes first, into one pool per class. */
    for (uint32_t i = 0; i < n_workers; i++) {
        for (uint32_t c = n_classes; c-- > 0 && shares[i].total > want[i];) {
            uint64_t excess = shares[i].total - want[i];
            uint32_t take = shares[i].users[c] < excess ? shares[i].users[c] : (uint32_t)excess;
            shares[i].users[c] -= take;
            shares[i].total -= take;
            pool[c] += take;
        }
    }
    /* And give it to the workers with room, first classes first. */
    for (uint32_t i = 0; i < n_workers; i++) {
        for (uint32_t c = 0; c < n_classes && shares[i].total < want[i]; c++) {
            uint64_t room = want[i] - shares[i].total;
            uint32_t give = pool[c] < room ? pool[c] : (uint32_t)room;
            shares[i].users[c] += give;
            shares[i].total += give;
            pool[c] -= give;
        }
    }
    free(want);
    uint32_t lost = 0;
    for (uint32_t c = 0; c < n_classes; c++)
        lost += pool[c];
    return lost;
}
