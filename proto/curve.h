/* CurveZMQ keys for the control channel (PROTOCOL.md §9): key pairs, key
 * files, allow lists and fingerprints, and the socket options of a CURVE
 * server (the master) and client (a worker). Keys are Z85 text, 40
 * characters, as zmq_curve_keypair() writes them.
 *
 * Files: NAME.key holds the secret key on one line (mode 0600), NAME.pub
 * the public key on one line. An allow list holds one public key per line;
 * text after the key (after a space) and lines starting with '#' are
 * comments, blank lines are skipped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HN_CURVE_KEY_Z85_LEN 40
/* Hex of the first 8 bytes of the SHA-256 of the 32-byte public key. */
#define HN_CURVE_FINGERPRINT_LEN 16
/* Most keys an allow list may hold. */
#define HN_CURVE_ALLOW_MAX 65536

struct hn_curve_keypair {
    char public_z85[HN_CURVE_KEY_Z85_LEN + 1];
    char secret_z85[HN_CURVE_KEY_Z85_LEN + 1];
};

/* A set of public keys (Z85). */
struct hn_curve_allow {
    char (*keys)[HN_CURVE_KEY_Z85_LEN + 1];
    uint32_t n, cap;
};

/* True if this libzmq can do CurveZMQ (built with libsodium). */
bool hn_curve_available(void);

/* A new random key pair. 0, or -ENOTSUP without CURVE support. */
int hn_curve_keypair_new(struct hn_curve_keypair *out);

/* True if @z85 is a well-formed Z85 key (40 characters that decode). */
bool hn_curve_key_valid(const char *z85);

/* Read a secret key file and derive its public key. Warns (once, on
 * stderr via the log) when a regular file is readable by group or others.
 * @return 0; HN_E_INVALID with a reason in @why; -errno (file). */
int hn_curve_load_secret(const char *path, struct hn_curve_keypair *out, char *why, size_t why_len);

/* A public key given as itself (40 Z85 characters) or as the path of a
 * file holding it (a NAME.pub). 0; HN_E_INVALID with @why; -errno. */
int hn_curve_load_public(const char *key_or_path, char out[HN_CURVE_KEY_Z85_LEN + 1], char *why,
                         size_t why_len);

/* Add the keys of the allow-list file @path to @a (duplicates are kept
 * once). 0; HN_E_INVALID with "PATH:LINE: reason" in @why; HN_E_TOO_LARGE;
 * -errno. */
int hn_curve_allow_read(struct hn_curve_allow *a, const char *path, char *why, size_t why_len);
/* Add one key. 0, HN_E_INVALID (not a key), HN_E_TOO_LARGE or -ENOMEM. */
int hn_curve_allow_add(struct hn_curve_allow *a, const char *z85);
bool hn_curve_allow_has(const struct hn_curve_allow *a, const char *z85);
void hn_curve_allow_free(struct hn_curve_allow *a);

/* Fingerprint of a Z85 public key, or of its 32 raw bytes, into @out
 * (HN_CURVE_FINGERPRINT_LEN + 1 bytes): "?" for a key that does not decode. */
void hn_curve_fingerprint(const char *z85, char *out);
void hn_curve_fingerprint_raw(const uint8_t key[32], char *out);

/* Socket options of a CURVE server with @kp and ZAP domain "hornet" (the
 * ZAP handler decides who gets in), for hn_chan_opts.setup. @arg: a
 * const struct hn_curve_keypair *. 0 or -errno. */
int hn_curve_setup_server(void *zsock, void *arg);

/* Options of a CURVE client: the worker's key pair and the master's
 * public key (a master with another key fails the handshake). */
struct hn_curve_client {
    struct hn_curve_keypair own;
    char server_z85[HN_CURVE_KEY_Z85_LEN + 1];
};
/* For hn_chan_opts.setup; @arg: a const struct hn_curve_client *. */
int hn_curve_setup_client(void *zsock, void *arg);
