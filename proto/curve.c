/* CurveZMQ keys, files and socket options (see curve.h). */
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "array.h"
#include "error.h"
#include "log.h"

#define ZAP_DOMAIN "hornet"

bool hn_curve_available(void)
{
    return zmq_has("curve");
}

int hn_curve_keypair_new(struct hn_curve_keypair *out)
{
    if (!hn_curve_available() || zmq_curve_keypair(out->public_z85, out->secret_z85) != 0)
        return -ENOTSUP;
    return 0;
}

bool hn_curve_key_valid(const char *z85)
{
    uint8_t raw[32];
    return z85 && strlen(z85) == HN_CURVE_KEY_Z85_LEN && zmq_z85_decode(raw, z85) != NULL;
}

static int invalid(char *why, size_t len, const char *fmt, const char *a)
{
    snprintf(why, len, fmt, a);
    return HN_E_INVALID;
}

/* @path opened for reading. "/dev/stdin" and "/dev/fd/N" are read from the
 * descriptor this process holds, not opened again: a service manager may
 * hand it a key file its user could not open (systemd's
 * StandardInput=file:, local workers' pipe). */
static FILE *open_key_file(const char *path)
{
    int fd = -1;
    if (strcmp(path, "/dev/stdin") == 0) {
        fd = 0;
    } else if (strncmp(path, "/dev/fd/", 8) == 0 && path[8] >= '0' && path[8] <= '9') {
        char *end;
        long n = strtol(path + 8, &end, 10);
        if (*end == '\0' && n >= 0 && n < INT_MAX)
            fd = (int)n;
    }
    if (fd < 0)
        return fopen(path, "re");
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return NULL;
    (void)lseek(copy, 0, SEEK_SET); /* a file read before; a pipe cannot */
    FILE *f = fdopen(copy, "r");
    if (!f)
        close(copy);
    return f;
}

/* The first line of @path, without its line end, into @out (@cap bytes).
 * 0, HN_E_INVALID (longer than @cap - 1) or -errno. */
static int read_line(const char *path, char *out, size_t cap, struct stat *st)
{
    FILE *f = open_key_file(path);
    if (!f)
        return -errno;
    /* Unbuffered: no copy of a secret left in a freed stdio buffer, and
     * nothing read past the first line of a pipe. */
    setvbuf(f, NULL, _IONBF, 0);
    int err = 0;
    if (fstat(fileno(f), st) != 0)
        err = -errno;
    else if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    fclose(f);
    if (err)
        return err;
    size_t n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n == cap - 1)
        return HN_E_INVALID;
    out[n] = '\0';
    /* trailing blanks */
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    return 0;
}

/* hornet-keygen's names: NAME.key is the secret, NAME.pub the public
 * key. Their texts look alike (40 Z85 characters): a file given for the
 * other kind is refused by its name, or a .pub would serve as a secret
 * anyone holding it knows, and a .key would be copied where public keys
 * go. */
static bool named(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && strcmp(path + n - k, suffix) == 0;
}

/* A file that says whom to trust (a master's public key, an allow list)
 * that other users may change would let any of them add a key of their
 * own: refused, as ssh's StrictModes refuses such an authorized_keys. */
static int trust_writable(const struct stat *st, const char *path, char *why, size_t why_len)
{
    if (!S_ISREG(st->st_mode) || !(st->st_mode & 022))
        return 0;
    snprintf(why, why_len,
             "%s: other users may change it (mode %03o), and with it whom this process "
             "trusts: chmod go-w it, as ssh asks of authorized_keys",
             path, (unsigned)(st->st_mode & 0777));
    return HN_E_INVALID;
}

/* The secret of @path into @out, or a reason; @line holds what was read
 * (the caller wipes it). */
static int load_secret(const char *path, char *line, size_t cap, struct hn_curve_keypair *out,
                       char *why, size_t why_len)
{
    struct stat st;
    if (named(path, ".pub"))
        return invalid(why, why_len, "%s: a public key file: give the secret .key of the pair",
                       path);
    int err = read_line(path, line, cap, &st);
    if (err < 0 && hn_curve_key_valid(path)) {
        /* Not echoed: a key on a command line is in every user's ps. */
        snprintf(why, why_len,
                 "the secret key itself was given where its file's path goes "
                 "(hornet-keygen writes NAME.key)");
        return HN_E_INVALID;
    }
    if (err < 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(-err));
        return err;
    }
    if (err || !hn_curve_key_valid(line))
        return invalid(why, why_len,
                       "%s: not a secret key (one line of 40 Z85 characters, as "
                       "hornet-keygen writes it)",
                       path);
    if (S_ISREG(st.st_mode) && (st.st_mode & 077)) {
        snprintf(why, why_len,
                 "%s: other users may read it (mode %03o): chmod 600 it (or 400), as ssh "
                 "asks of its keys",
                 path, (unsigned)(st.st_mode & 0777));
        return HN_E_INVALID;
    }
    memcpy(out->secret_z85, line, HN_CURVE_KEY_Z85_LEN + 1); /* valid: 40 chars + NUL */
    if (zmq_curve_public(out->public_z85, out->secret_z85) != 0) {
        sodium_memzero(out->secret_z85, sizeof(out->secret_z85));
        return invalid(why, why_len, "%s: cannot derive the public key", path);
    }
    return 0;
}

int hn_curve_load_secret(const char *path, struct hn_curve_keypair *out, char *why, size_t why_len)
{
    char line[128];
    int err = load_secret(path, line, sizeof(line), out, why, why_len);
    sodium_memzero(line, sizeof(line)); /* on every path: it may hold a key */
    return err;
}

int hn_curve_load_public(const char *key_or_path, char out[HN_CURVE_KEY_Z85_LEN + 1], char *why,
                         size_t why_len)
{
    if (hn_curve_key_valid(key_or_path)) {
        memcpy(out, key_or_path, HN_CURVE_KEY_Z85_LEN + 1);
        return 0;
    }
    char line[128];
    struct stat st;
    if (named(key_or_path, ".key"))
        return invalid(why, why_len, "%s: a secret key file: give the public .pub of the pair",
                       key_or_path);
    int err = read_line(key_or_path, line, sizeof(line), &st);
    if (err == -ENOENT && strlen(key_or_path) == HN_CURVE_KEY_Z85_LEN)
        return invalid(why, why_len, "%s: not a Z85 public key", key_or_path);
    if (err == -ENOENT)
        return invalid(why, why_len,
                       "%s: neither a public key (40 Z85 characters) nor an existing file",
                       key_or_path);
    if (err < 0) {
        snprintf(why, why_len, "%s: %s", key_or_path, strerror(-err));
        return err;
    }
    line[strcspn(line, " \t")] = '\0'; /* a comment may follow */
    if (err || !hn_curve_key_valid(line))
        return invalid(why, why_len, "%s: not a public key (one line of 40 Z85 characters)",
                       key_or_path);
    HN_TRY(trust_writable(&st, key_or_path, why, why_len));
    memcpy(out, line, HN_CURVE_KEY_Z85_LEN + 1);
    return 0;
}

bool hn_curve_allow_has(const struct hn_curve_allow *a, const char *z85)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (strcmp(a->keys[i], z85) == 0)
            return true;
    return false;
}

int hn_curve_allow_add(struct hn_curve_allow *a, const char *z85)
{
    if (!hn_curve_key_valid(z85))
        return HN_E_INVALID;
    if (hn_curve_allow_has(a, z85))
        return 0;
    if (a->n >= HN_CURVE_ALLOW_MAX)
        return HN_E_TOO_LARGE;
    HN_TRY(hn_array_reserve(&a->keys, &a->cap, a->n + 1, sizeof(*a->keys), 16));
    memcpy(a->keys[a->n++], z85, HN_CURVE_KEY_Z85_LEN + 1);
    return 0;
}

int hn_curve_allow_read(struct hn_curve_allow *a, const char *path, char *why, size_t why_len)
{
    if (named(path, ".key"))
        return invalid(why, why_len,
                       "%s: a secret key file: the list takes public keys (.pub files)", path);
    FILE *f = fopen(path, "re");
    if (!f) {
        int err = -errno;
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return err;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        int err = trust_writable(&st, path, why, why_len);
        if (err) {
            fclose(f);
            return err;
        }
    }
    char line[512];
    unsigned lineno = 0;
    int err = 0;
    while (!err && fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, why_len, "%s:%u: line too long", path, lineno);
            err = HN_E_INVALID;
            break;
        }
        char *p = line + strspn(line, " \t");
        size_t n = strcspn(p, " \t\r\n");
        char token[HN_CURVE_KEY_Z85_LEN + 1];
        if (n == HN_CURVE_KEY_Z85_LEN) {
            memcpy(token, p, n);
            token[n] = '\0';
            if (hn_curve_key_valid(token)) {
                err = hn_curve_allow_add(a, token);
                if (err)
                    snprintf(why, why_len, "%s:%u: %s", path, lineno, hn_strerror(err));
                continue;
            }
        }
        if (n == 0 || p[0] == '#')
            continue; /* blank, or a comment */
        snprintf(why, why_len,
                 "%s:%u: not a public key (one 40-character Z85 key per line, # for comments)",
                 path, lineno);
        err = HN_E_INVALID;
    }
    if (!err && ferror(f)) { /* a directory reads as an error, not as an empty file */
        err = -errno;
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
    }
    fclose(f);
    return err;
}

void hn_curve_allow_free(struct hn_curve_allow *a)
{
    free(a->keys);
    memset(a, 0, sizeof(*a));
}

void hn_curve_fingerprint_raw(const uint8_t key[32], char *out)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, key, 32);
    sodium_bin2hex(out, HN_CURVE_FINGERPRINT_LEN + 1, digest, HN_CURVE_FINGERPRINT_LEN / 2);
}

void hn_curve_fingerprint(const char *z85, char *out)
{
    uint8_t raw[32];
    if (!hn_curve_key_valid(z85) || !zmq_z85_decode(raw, z85)) {
        strcpy(out, "?");
        return;
    }
    hn_curve_fingerprint_raw(raw, out);
}

int hn_curve_setup_server(void *zsock, void *arg)
{
    const struct hn_curve_keypair *kp = arg;
    int one = 1;
    if (zmq_setsockopt(zsock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(zsock, ZMQ_CURVE_SECRETKEY, kp->secret_z85, HN_CURVE_KEY_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(zsock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0)
        return -errno;
    return 0;
}

int hn_curve_setup_client(void *zsock, void *arg)
{
    const struct hn_curve_client *c = arg;
    if (zmq_setsockopt(zsock, ZMQ_CURVE_SERVERKEY, c->server_z85, HN_CURVE_KEY_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(zsock, ZMQ_CURVE_PUBLICKEY, c->own.public_z85, HN_CURVE_KEY_Z85_LEN + 1) !=
            0 ||
        zmq_setsockopt(zsock, ZMQ_CURVE_SECRETKEY, c->own.secret_z85, HN_CURVE_KEY_Z85_LEN + 1) !=
            0)
        return -errno;
    return 0;
}
