/* Exact request counters: a bounded open-addressing table of paths.
 * Counting takes a read lock and bumps atomics, so threads counting known
 * paths never wait on each other; only a new path or a reset writes. */
#include "stats.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Twice the path limit keeps the table at most half full, so probes stay short. */
#define TABLE_SLOTS (2 * HN_STATS_MAX_PATHS)

struct slot {
    char *path;             /* NULL: empty; written only under the write lock */
    atomic_uint_fast64_t n; /* requests to this path */
};

struct hn_stats {
    pthread_rwlock_t lock;      /* read: counting; write: insert, reset, snapshot */
    atomic_uint_fast64_t total; /* every counted request */
    atomic_uint_fast64_t other; /* requests counted under HN_STATS_OTHER */
    unsigned npaths;            /* occupied slots (write lock) */
    struct slot slots[TABLE_SLOTS];
};

int hn_stats_new(struct hn_stats **out)
{
    struct hn_stats *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    int rc = pthread_rwlock_init(&s->lock, NULL);
    if (rc != 0) {
        free(s);
        return -rc;
    }
    *out = s;
    return 0;
}

static void forget_paths(struct hn_stats *s)
{
    for (unsigned i = 0; i < TABLE_SLOTS; i++) {
        free(s->slots[i].path);
        s->slots[i].path = NULL;
        atomic_store_explicit(&s->slots[i].n, 0, memory_order_relaxed);
    }
    s->npaths = 0;
}

void hn_stats_free(struct hn_stats *s)
{
    if (s == NULL)
        return;
    forget_paths(s);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

/* A path gets its own key only if it is short printable ASCII. */
static bool path_is_key(const char *path, size_t *out_len)
{
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++, len++) {
        if (len >= HN_STATS_PATH_MAX || *p < 0x20 || *p > 0x7e)
            return false;
    }
    *out_len = len;
    return true;
}

static uint64_t hash_path(const char *path, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)path[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot holding `path`, or the empty slot where it would go. The table is
 * never full (at most half), so the probe always ends. Caller holds a lock. */
static struct slot *find_slot(struct hn_stats *s, const char *path, size_t len)
{
    unsigned i = (unsigned)(hash_path(path, len) % TABLE_SLOTS);
    for (;;) {
        struct slot *slot = &s->slots[i];
        if (slot->path == NULL || strcmp(slot->path, path) == 0)
            return slot;
        i = (i + 1) % TABLE_SLOTS;
    }
}

static void bump(atomic_uint_fast64_t *n)
{
    atomic_fetch_add_explicit(n, 1, memory_order_relaxed);
}

void hn_stats_count(struct hn_stats *s, const char *path)
{
    size_t len;
    bool is_key = path_is_key(path, &len);
    pthread_rwlock_rdlock(&s->lock);
    struct slot *slot = is_key ? find_slot(s, path, len) : NULL;
    if (!is_key || slot->path != NULL) {
        bump(&s->total);
        bump(is_key ? &slot->n : &s->other);
        pthread_rwlock_unlock(&s->lock);
        return;
    }
    pthread_rwlock_unlock(&s->lock);

    /* New path: insert under the write lock. Total and path are always
     * bumped under one lock hold, so a snapshot sees total == sum(paths). */
    pthread_rwlock_wrlock(&s->lock);
    slot = find_slot(s, path, len); /* another thread may have added it */
    if (slot->path == NULL && s->npaths < HN_STATS_MAX_PATHS) {
        slot->path = strdup(path);
        if (slot->path != NULL)
            s->npaths++;
    }
    bump(&s->total);
    bump(slot->path != NULL ? &slot->n : &s->other);
    pthread_rwlock_unlock(&s->lock);
}

void hn_stats_reset(struct hn_stats *s)
{
    pthread_rwlock_wrlock(&s->lock);
    forget_paths(s);
    atomic_store(&s->total, 0);
    atomic_store(&s->other, 0);
    pthread_rwlock_unlock(&s->lock);
}

uint64_t hn_stats_total(struct hn_stats *s)
{
    return atomic_load(&s->total);
}

uint64_t hn_stats_path(struct hn_stats *s, const char *path)
{
    uint64_t n = 0;
    size_t len;
    pthread_rwlock_rdlock(&s->lock);
    if (strcmp(path, HN_STATS_OTHER) == 0) {
        n = atomic_load(&s->other);
    } else if (path_is_key(path, &len)) {
        struct slot *slot = find_slot(s, path, len);
        if (slot->path != NULL)
            n = atomic_load(&slot->n);
    }
    pthread_rwlock_unlock(&s->lock);
    return n;
}

static int add_count(json_t *obj, const char *key, uint64_t n)
{
    if (n == 0)
        return 0;
    return json_object_set_new(obj, key, json_integer((json_int_t)n));
}

int hn_stats_to_json(struct hn_stats *s, char **out_json, size_t *out_len)
{
    json_t *root = json_object();
    json_t *paths = json_object();
    int rc = (root == NULL || paths == NULL) ? -1 : 0;

    /* The write lock stops counting for the snapshot, so total == sum(paths). */
    pthread_rwlock_wrlock(&s->lock);
    uint64_t total = atomic_load(&s->total);
    for (unsigned i = 0; i < TABLE_SLOTS && rc == 0; i++) {
        if (s->slots[i].path != NULL)
            rc = add_count(paths, s->slots[i].path, atomic_load(&s->slots[i].n));
    }
    if (rc == 0)
        rc = add_count(paths, HN_STATS_OTHER, atomic_load(&s->other));
    pthread_rwlock_unlock(&s->lock);

    if (rc == 0)
        rc = json_object_set_new(root, "total", json_integer((json_int_t)total));
    if (rc == 0) {
        rc = json_object_set(root, "paths", paths);
    }
    char *text = rc == 0 ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(paths);
    json_decref(root);
    if (text == NULL)
        return -ENOMEM;
    *out_json = text;
    *out_len = strlen(text);
    return 0;
}
