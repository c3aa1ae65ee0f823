/* Worker registry (see registry.h). Workers are looked up by routing id
 * for every message and by identity for every HELLO: both through hash
 * tables, sized once for --max-workers. */
#include "registry.h"
#include "array.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hn_registry_init(struct hn_registry *r, uint32_t max)
{
    memset(r, 0, sizeof(*r));
    r->max = max && max <= HN_REGISTRY_MAX ? max : HN_REGISTRY_MAX;
}

void hn_registry_deinit(struct hn_registry *r)
{
    free(r->workers);
    free(r->hosts);
    free(r->by_route);
    free(r->by_identity);
    memset(r, 0, sizeof(*r));
}

/* FNV-1a. */
static uint32_t hash_bytes(const void *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
    return h;
}

static uint32_t route_slot(const struct hn_registry *r, const struct hn_worker *w)
{
    return hash_bytes(w->route, w->route_len) & r->mask;
}

static uint32_t identity_slot(const struct hn_registry *r, const char *identity)
{
    return hash_bytes(identity, strlen(identity)) & r->mask;
}

struct hn_worker *hn_registry_find_route(struct hn_registry *r, const void *route, size_t len)
{
    if (!r->by_route)
        return NULL;
    for (uint32_t i = hash_bytes(route, len) & r->mask; r->by_route[i]; i = (i + 1) & r->mask) {
        struct hn_worker *w = &r->workers[r->by_route[i] - 1];
        if (w->route_len == len && memcmp(w->route, route, len) == 0)
            return w;
    }
    return NULL;
}

struct hn_worker *hn_registry_find_identity(struct hn_registry *r, const char *identity)
{
    if (!r->by_identity)
        return NULL;
    for (uint32_t i = identity_slot(r, identity); r->by_identity[i]; i = (i + 1) & r->mask) {
        struct hn_worker *w = &r->workers[r->by_identity[i] - 1];
        if (strcmp(w->identity, identity) == 0)
            return w;
    }
    return NULL;
}

/* Take @w's cell out of the route table (it is under its current route),
 * shifting back the cells probed past it so that no lookup stops early. */
static void route_unindex(struct hn_registry *r, const struct hn_worker *w)
{
    uint32_t want = w->index + 1, i = route_slot(r, w);
    while (r->by_route[i] && r->by_route[i] != want)
        i = (i + 1) & r->mask;
    if (!r->by_route[i])
        return; /* not indexed: a new worker */
    for (uint32_t j = (i + 1) & r->mask; r->by_route[j]; j = (j + 1) & r->mask) {
        uint32_t home = route_slot(r, &r->workers[r->by_route[j] - 1]);
        /* the cell at j may move to i unless its home lies in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            r->by_route[i] = r->by_route[j];
            i = j;
        }
    }
    r->by_route[i] = 0;
}

static int host_number(struct hn_registry *r, const char *hostname, uint32_t *out)
{
    for (uint32_t i = 0; i < r->n_hosts; i++) {
        if (strcmp(r->hosts[i], hostname) == 0) {
            *out = i;
            return 0;
        }
    }
    if (r->n_hosts == HN_REGISTRY_HOSTS_MAX)
        return HN_E_TOO_LARGE;
    if (!r->hosts && !(r->hosts = calloc(HN_REGISTRY_HOSTS_MAX, sizeof(*r->hosts))))
        return -ENOMEM;
    strcpy(r->hosts[r->n_hosts], hostname); /* both bounded by the same limit */
    *out = r->n_hosts++;
    return 0;
}

static bool router_id(const uint8_t *id, size_t len, uint32_t *counter)
{
    if (len != 5 || id[0] != 0)
        return false;
    *counter = (uint32_t)id[1] << 24 | (uint32_t)id[2] << 16 | (uint32_t)id[3] << 8 | id[4];
    return true;
}

bool hn_route_older(const void *a, size_t alen, const void *b, size_t blen)
{
    uint32_t ca, cb;
    return router_id(a, alen, &ca) && router_id(b, blen, &cb) && (int32_t)(ca - cb) < 0;
}

void hn_registry_set_route(struct hn_registry *r, struct hn_worker *w, const void *route,
                           size_t len)
{
    route_unindex(r, w);
    if (len > sizeof(w->route))
        len = sizeof(w->route);
    memcpy(w->route, route, len);
    w->route_len = len;
    uint32_t i = route_slot(r, w);
    while (r->by_route[i])
        i = (i + 1) & r->mask;
    r->by_route[i] = w->index + 1;
}

/* The tables, at the first worker: at most half full with r->max workers. */
static int tables_alloc(struct hn_registry *r)
{
    if (r->by_route)
        return 0;
    uint32_t cells = 64;
    while (cells < 2 * r->max)
        cells *= 2;
    r->by_route = calloc(cells, sizeof(*r->by_route));
    r->by_identity = calloc(cells, sizeof(*r->by_identity));
    if (!r->by_route || !r->by_identity) {
        free(r->by_route);
        free(r->by_identity);
        r->by_route = r->by_identity = NULL;
        return -ENOMEM;
    }
    r->mask = cells - 1;
    return 0;
}

int hn_registry_add(struct hn_registry *r, const void *route, size_t len, const char *identity,
                    bool keyed, const struct hn_msg_hello *hello, double now,
                    struct hn_worker **out)
{
    if (r->n >= r->max || len > HN_REGISTRY_ROUTE_MAX)
        return HN_E_TOO_LARGE;
    int err = tables_alloc(r);
    if (!err)
        err = hn_array_reserve(&r->workers, &r->cap, r->n + 1, sizeof(*r->workers), 16);
    if (err)
        return err;
    uint32_t host;
    if ((err = host_number(r, hello->hostname, &host)))
        return err;
    struct hn_worker *w = &r->workers[r->n];
    memset(w, 0, sizeof(*w));
    snprintf(w->identity, sizeof(w->identity), "%s", identity);
    w->keyed = keyed;
    w->hello = *hello;
    w->index = r->n++;
    hn_registry_set_route(r, w, route, len);
    uint32_t i = identity_slot(r, w->identity);
    while (r->by_identity[i])
        i = (i + 1) & r->mask;
    r->by_identity[i] = w->index + 1;
    w->host = host;
    w->last_seen = w->alive_at = now;
    w->last_welcome = w->last_back_log = -1e9;
    w->stats_budget_at = -1; /* a full bucket at the first frame */
    *out = w;
    return 0;
}

uint32_t hn_registry_alive(const struct hn_registry *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n; i++)
        n += hn_worker_active(&r->workers[i]);
    return n;
}

uint32_t hn_registry_users(const struct hn_registry *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct hn_worker *w = &r->workers[i];
        n += w->missing || w->banned ? 0 : w->users; /* at most 16,384 x 2^32: no wrap */
    }
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t hn_registry_declined(const struct hn_registry *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n; i++)
        n += r->workers[i].declined;
    return n;
}
