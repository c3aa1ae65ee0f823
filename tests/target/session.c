/* Shop sessions: a ring of HN_SESSION_SLOTS slots guarded by striped
 * mutexes. A token names its slot and the slot's random key; reusing a slot
 * draws a new key, so tokens of the previous owner stop working. */
#include "session.h"

#include "error.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

/* Slots are spread over this many mutexes so logins from many threads
 * rarely contend; slot i is guarded by locks[i % SESSION_LOCKS]. */
#define SESSION_LOCKS 256
#define SLOT_HEX 8
#define KEY_HEX 32

struct slot {
    uint64_t key[2]; /* all zero: never used */
    struct hn_cart cart;
};

struct hn_sessions {
    atomic_uint_fast64_t next; /* logins so far; next slot is next % SLOTS */
    pthread_mutex_t locks[SESSION_LOCKS];
    struct slot *slots; /* HN_SESSION_SLOTS entries */
};

int hn_sessions_new(struct hn_sessions **out)
{
    struct hn_sessions *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->slots = calloc(HN_SESSION_SLOTS, sizeof(*s->slots));
    if (s->slots == NULL) {
        free(s);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < SESSION_LOCKS; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    *out = s;
    return 0;
}

void hn_sessions_free(struct hn_sessions *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < SESSION_LOCKS; i++)
        pthread_mutex_destroy(&s->locks[i]);
    free(s->slots);
    free(s);
}

/* Per-thread splitmix64, seeded once from the kernel: keys need to be
 * unguessable for a test, not cryptographically strong. */
static uint64_t random_u64(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local bool seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof(state), 0) != sizeof(state)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uintptr_t)&state;
        }
        seeded = true;
    }
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int hn_sessions_login(struct hn_sessions *s, char token[HN_SESSION_TOKEN_LEN + 1])
{
    uint64_t key[2];
    do {
        key[0] = random_u64();
        key[1] = random_u64();
    } while (key[0] == 0 && key[1] == 0);

    uint32_t i = (uint32_t)(atomic_fetch_add(&s->next, 1) % HN_SESSION_SLOTS);
    pthread_mutex_t *lock = &s->locks[i % SESSION_LOCKS];
    pthread_mutex_lock(lock);
    s->slots[i].key[0] = key[0];
    s->slots[i].key[1] = key[1];
    s->slots[i].cart = (struct hn_cart){0, 0};
    pthread_mutex_unlock(lock);

    snprintf(token, HN_SESSION_TOKEN_LEN + 1, "%08x%016llx%016llx", (unsigned)i,
             (unsigned long long)key[0], (unsigned long long)key[1]);
    return 0;
}

static bool parse_hex(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

/* Decode a token into its slot index and key; false if malformed. */
static bool parse_token(const char *token, size_t len, uint32_t *out_slot, uint64_t key[2])
{
    uint64_t slot;
    if (len != HN_SESSION_TOKEN_LEN || !parse_hex(token, SLOT_HEX, &slot) ||
        !parse_hex(token + SLOT_HEX, KEY_HEX / 2, &key[0]) ||
        !parse_hex(token + SLOT_HEX + KEY_HEX / 2, KEY_HEX / 2, &key[1]))
        return false;
    if (slot >= HN_SESSION_SLOTS || (key[0] == 0 && key[1] == 0))
        return false;
    *out_slot = (uint32_t)slot;
    return true;
}

/* Lock the token's slot and return it, or NULL (nothing locked) if the
 * token is not a live session. Unlock with unlock_slot. */
static struct slot *lock_slot(struct hn_sessions *s, const char *token, size_t len)
{
    uint32_t i;
    uint64_t key[2];
    if (!parse_token(token, len, &i, key))
        return NULL;
    pthread_mutex_lock(&s->locks[i % SESSION_LOCKS]);
    struct slot *slot = &s->slots[i];
    if (slot->key[0] != key[0] || slot->key[1] != key[1]) {
        pthread_mutex_unlock(&s->locks[i % SESSION_LOCKS]);
        return NULL;
    }
    return slot;
}

static void unlock_slot(struct hn_sessions *s, struct slot *slot)
{
    size_t i = (size_t)(slot - s->slots);
    pthread_mutex_unlock(&s->locks[i % SESSION_LOCKS]);
}

int hn_sessions_check(struct hn_sessions *s, const char *token, size_t len)
{
    struct slot *slot = lock_slot(s, token, len);
    if (slot == NULL)
        return HN_E_INVALID;
    unlock_slot(s, slot);
    return 0;
}

int hn_sessions_cart_add(struct hn_sessions *s, const char *token, size_t len, uint32_t quantity,
                         struct hn_cart *out)
{
    struct slot *slot = lock_slot(s, token, len);
    if (slot == NULL)
        return HN_E_INVALID;
    slot->cart.items++;
    slot->cart.quantity += quantity;
    *out = slot->cart;
    unlock_slot(s, slot);
    return 0;
}

int hn_sessions_checkout(struct hn_sessions *s, const char *token, size_t len, struct hn_cart *out)
{
    struct slot *slot = lock_slot(s, token, len);
    if (slot == NULL)
        return HN_E_INVALID;
    int rc = HN_E_STATE;
    if (slot->cart.items > 0) {
        *out = slot->cart;
        slot->cart = (struct hn_cart){0, 0};
        rc = 0;
    }
    unlock_slot(s, slot);
    return rc;
}
