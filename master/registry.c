/* Worker registry (see registry.h). Linear scans: a run has at most a few
 * thousand workers and each is looked up once per message. */
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
    memset(r, 0, sizeof(*r));
}

struct hn_worker *hn_registry_find_route(struct hn_registry *r, const void *route, size_t len)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (r->workers[i].route_len == len && memcmp(r->workers[i].route, route, len) == 0)
            return &r->workers[i];
    return NULL;
}

struct hn_worker *hn_registry_find_identity(struct hn_registry *r, const char *identity)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (strcmp(r->workers[i].identity, identity) == 0)
            return &r->workers[i];
    return NULL;
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

void hn_registry_set_route(struct hn_worker *w, const void *route, size_t len)
{
    if (len > sizeof(w->route))
        len = sizeof(w->route);
    memcpy(w->route, route, len);
    w->route_len = len;
}

int hn_registry_add(struct hn_registry *r, const void *route, size_t len, const char *identity,
                    bool keyed, const struct hn_msg_hello *hello, double now,
                    struct hn_worker **out)
{
    if (r->n >= r->max || len > HN_REGISTRY_ROUTE_MAX)
        return HN_E_TOO_LARGE;
    int err = hn_array_reserve(&r->workers, &r->cap, r->n + 1, sizeof(*r->workers), 16);
    if (err)
        return err;
    uint32_t host;
    if ((err = host_number(r, hello->hostname, &host)))
        return err;
    struct hn_worker *w = &r->workers[r->n];
    memset(w, 0, sizeof(*w));
    hn_registry_set_route(w, route, len);
    snprintf(w->identity, sizeof(w->identity), "%s", identity);
    w->keyed = keyed;
    w->hello = *hello;
    w->index = r->n++;
    w->host = host;
    w->last_seen = now;
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
