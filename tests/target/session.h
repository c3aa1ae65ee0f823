/* Shop sessions of hornet-target: a fixed ring of slots, each holding a
 * random key and a cart. Memory is bounded and every operation is O(1);
 * a new login overwrites the oldest slot, which invalidates its token. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Number of session slots; the 262145th login reuses the first slot. */
#define HN_SESSION_SLOTS 262144
/* A token is 40 lowercase hex digits: 8 for the slot, 32 for its key. */
#define HN_SESSION_TOKEN_LEN 40

/* What a cart holds: add-to-cart calls accepted and the sum of quantities. */
struct hn_cart {
    uint64_t items;
    uint64_t quantity;
};

struct hn_sessions;

/* Allocate HN_SESSION_SLOTS empty slots (~8 MiB, zero pages until used).
 * Returns 0 and sets *out, or -ENOMEM / -errno. */
int hn_sessions_new(struct hn_sessions **out);
/* Free all sessions; NULL-safe. */
void hn_sessions_free(struct hn_sessions *s);

/* Open a session with an empty cart and write its token plus a NUL into
 * `token`. Thread-safe. Returns 0. */
int hn_sessions_login(struct hn_sessions *s, char token[HN_SESSION_TOKEN_LEN + 1]);

/* Is `token` (len bytes, need not be NUL-terminated) a live session?
 * Returns 0 if so, HN_E_INVALID if malformed, unknown or overwritten. */
int hn_sessions_check(struct hn_sessions *s, const char *token, size_t len);

/* Add `quantity` of a product to the token's cart; *out gets the cart after
 * the add. Returns 0, or HN_E_INVALID for a bad token. */
int hn_sessions_cart_add(struct hn_sessions *s, const char *token, size_t len, uint32_t quantity,
                         struct hn_cart *out);

/* Empty the token's cart; *out gets what it held. Returns 0, HN_E_INVALID
 * for a bad token, or HN_E_STATE if the cart is empty. */
int hn_sessions_checkout(struct hn_sessions *s, const char *token, size_t len, struct hn_cart *out);
