/* How many users of each class each worker runs: largest remainder, spread
 * across hosts first. Pure functions, no I/O. */
#pragma once

#include <stdint.h>

#include "proto_limits.h"

struct hn_share {
    uint32_t users[HN_PROTO_CLASSES_MAX];
    uint32_t total;
};

/* Split @total users over @n_classes classes in proportion to @weights
 * (largest remainder: shares differ from the exact proportion by < 1 and
 * always sum to @total). */
void hn_distribute_classes(uint32_t total, const uint32_t *weights, uint32_t n_classes,
                           uint32_t *out);

/* Split @class_users (per class) over @n_workers workers: each worker
 * gets the class's users / n_workers, some one more. Those go first to the
 * workers that had more than that in @prev (their previous split, aligned
 * with the workers; NULL: none), so that a class whose count did not change
 * keeps its split whatever the other classes do; then to the workers with
 * the fewest users so far (without @prev, totals differ by at most one);
 * then across hosts: @host[i] is the host number of worker i, and two hosts
 * with one worker each share load before a second worker of the same host
 * gets any. Every class's users sum exactly. */
void hn_distribute_workers(const uint32_t *class_users, uint32_t n_classes, const uint32_t *host,
                           uint32_t n_workers, const struct hn_share *prev, struct hn_share *out);

/* Spawn rate of each worker (users started or stopped per second) when
 * their users go from @before (what they run) to @after: in proportion to each worker's
 * change, so that the fleet starts (and stops) @rate users a second in
 * all, and when users move between workers (one joined or left: the total
 * does not change) the ones that start them keep pace with the ones that
 * stop them: the total stays the plan's. A worker with no change gets @rate /
 * @n_workers (it may still be converging towards an earlier target). */
void hn_distribute_spawn_rates(const struct hn_share *before, const struct hn_share *after,
                               uint32_t n_workers, double rate, double *out);

/* Make @shares (of @n_workers workers) fit their capacities (@capacity[i];
 * 0 = no limit): users of a worker above its capacity move, class by class,
 * to the workers with the most room left. Class totals are kept as far as
 * the capacities allow. @return the users no worker could take. */
uint32_t hn_distribute_cap(struct hn_share *shares, uint32_t n_workers, const uint32_t *capacity,
                           uint32_t n_classes);
