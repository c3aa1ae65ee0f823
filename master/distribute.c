/* Largest-remainder splits of users (see distribute.h). */
#include "distribute.h"

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

void hn_distribute_workers(const uint32_t *class_users, uint32_t n_classes, const uint32_t *host,
                           uint32_t n_workers, struct hn_share *out)
{
    if (n_workers == 0)
        return;
    memset(out, 0, n_workers * sizeof(*out));
    uint32_t *order = malloc(n_workers * sizeof(*order));
    if (!order)
        return;
    interleave_hosts(host, n_workers, order);
    uint32_t next = 0; /* rotates across classes so remainders spread out */
    for (uint32_t c = 0; c < n_classes; c++) {
        uint32_t base = class_users[c] / n_workers, rem = class_users[c] % n_workers;
        for (uint32_t i = 0; i < n_workers; i++)
            out[i].users[c] = base;
        for (uint32_t k = 0; k < rem; k++)
            out[order[(next + k) % n_workers]].users[c]++;
        next = (next + rem) % n_workers;
    }
    for (uint32_t i = 0; i < n_workers; i++)
        for (uint32_t c = 0; c < n_classes; c++)
            out[i].total += out[i].users[c];
    free(order);
}
