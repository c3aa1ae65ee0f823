/* ZAP handler thread (see zap.h). A request is [version, request id,
 * domain, address, identity, mechanism, credentials...]; the reply is
 * [version, request id, status code, status text, user id, metadata]. */
#include "zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES_MAX 8

struct frame {
    char data[256];
    size_t len; /* may exceed sizeof(data): then data holds the start */
};

/* Receive one multipart request into @f; returns the frame count, or -1
 * (context terminated, or any other error: the thread ends). */
static int recv_request(void *sock, struct frame *f)
{
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n < ZAP_FRAMES_MAX) {
            size_t len = zmq_msg_size(&m);
            memcpy(f[n].data, zmq_msg_data(&m), len < sizeof(f[n].data) ? len : sizeof(f[n].data));
            f[n].len = len;
        }
        n++;
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
    }
    return n;
}

static void send_reply(void *sock, const struct frame *request_id, const char *code,
                       const char *text, const char *user)
{
    size_t id_len = request_id->len < sizeof(request_id->data) ? request_id->len : 0;
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, request_id->data, id_len, ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* Remember @address among those refused keys came from; true if it is
 * new (and there was room). Under z->lock. */
static bool new_address(struct hn_zap *z, const char *address)
{
    for (uint32_t i = 0; i < z->n_addresses; i++)
        if (strcmp(z->addresses[i], address) == 0)
            return false;
    if (z->n_addresses == HN_ZAP_ADDRESSES)
        return false;
    snprintf(z->addresses[z->n_addresses++], HN_ZAP_ADDRESS_LEN, "%s", address);
    return true;
}

/* Past HN_ZAP_LOGGED_MAX, why refused key @z85 is to be named now, or NULL
 * (zap.h). Under z->lock. */
static const char *name_past_flood(struct hn_zap *z, const char *z85, bool fresh_address)
{
    if (fresh_address)
        return "the first refused key from its address";
    for (uint32_t i = 0; i < HN_ZAP_RECENT; i++) {
        struct hn_zap_recent *r = &z->recent[i];
        if (strcmp(r->key, z85) != 0)
            continue;
        double now = hn_clock_mono_s();
        if (r->named || now < z->again_at)
            return NULL;
        r->named = true;
        z->again_at = now + HN_ZAP_AGAIN_S;
        return "it tried again";
    }
    struct hn_zap_recent *r = &z->recent[z->recent_next++ % HN_ZAP_RECENT];
    memcpy(r->key, z85, HN_CURVE_KEY_Z85_LEN + 1);
    r->named = false;
    return NULL;
}

/* Decide on one CURVE client key; names a refused one (zap.h says when). */
static bool admit(struct hn_zap *z, const uint8_t key[32], const char *z85, const char *address)
{
    pthread_mutex_lock(&z->lock);
    bool ok = hn_curve_allow_has(&z->allow, z85) && !hn_curve_allow_has(&z->banned, z85);
    bool log_it = false, say_flood = false;
    const char *why_named = "logged once per key";
    if (ok) {
        z->admitted++;
    } else {
        z->refused++;
        bool fresh = new_address(z, address);
        if (hn_curve_allow_has(&z->logged, z85)) {
            log_it = false;
        } else if (z->logged.n < HN_ZAP_LOGGED_MAX) {
            log_it = hn_curve_allow_add(&z->logged, z85) == 0;
        } else {
            say_flood = !z->flood_said;
            z->flood_said = true;
            why_named = name_past_flood(z, z85, fresh);
            log_it = why_named != NULL;
        }
    }
    bool banned = !ok && hn_curve_allow_has(&z->banned, z85);
    pthread_mutex_unlock(&z->lock);
    if (say_flood)
        hn_log_warn("%u different worker keys were refused (a flood of handshakes?): from now on a "
                    "refused key is named when it is the first from its address, or when it tries "
                    "again (one such line per %.0f s at most)",
                    HN_ZAP_LOGGED_MAX, HN_ZAP_AGAIN_S);
    if (log_it) {
        char fp[HN_CURVE_FINGERPRINT_LEN + 1];
        hn_curve_fingerprint_raw(key, fp);
        hn_log_warn("refused a worker key %s (fingerprint %s) from %s: %s (%s)", z85, fp, address,
                    banned ? "thrown out of the run" : "not an admitted key", why_named);
    }
    return ok;
}

static void *zap_main(void *arg)
{
    struct hn_zap *z = arg;
    struct frame f[ZAP_FRAMES_MAX];
    for (;;) {
        int n = recv_request(z->sock, f);
        if (n < 0)
            break;
        if (n < 6) { /* not a ZAP request: answer so the REP socket goes on */
            struct frame none = {.len = 0};
            send_reply(z->sock, n > 1 ? &f[1] : &none, "500", "malformed request", "");
            continue;
        }
        char address[64];
        size_t alen = f[3].len < sizeof(address) - 1 ? f[3].len : sizeof(address) - 1;
        memcpy(address, f[3].data, alen);
        address[alen] = '\0';
        bool curve = f[5].len == 5 && memcmp(f[5].data, "CURVE", 5) == 0;
        char z85[HN_CURVE_KEY_Z85_LEN + 1] = "";
        if (!curve || n < 7 || f[6].len != 32 || !zmq_z85_encode(z85, (uint8_t *)f[6].data, 32)) {
            send_reply(z->sock, &f[1], "400", "CURVE required", "");
            continue;
        }
        if (admit(z, (const uint8_t *)f[6].data, z85, address))
            send_reply(z->sock, &f[1], "200", "OK", z85);
        else
            send_reply(z->sock, &f[1], "400", "key not allowed", "");
    }
    int linger = 0;
    zmq_setsockopt(z->sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(z->sock);
    return NULL;
}

static void free_flood_tables(struct hn_zap *z)
{
    free(z->recent);
    free(z->addresses);
    z->recent = NULL;
    z->addresses = NULL;
}

int hn_zap_start(struct hn_zap *z, void *zctx, const struct hn_curve_allow *allow)
{
    memset(z, 0, sizeof(*z));
    pthread_mutex_init(&z->lock, NULL);
    int err = 0;
    z->recent = calloc(HN_ZAP_RECENT, sizeof(*z->recent));
    z->addresses = calloc(HN_ZAP_ADDRESSES, sizeof(*z->addresses));
    if (!z->recent || !z->addresses)
        goto fail;
    for (uint32_t i = 0; i < allow->n && !err; i++)
        err = hn_curve_allow_add(&z->allow, allow->keys[i]);
    if (err)
        goto fail;
    if (!(z->sock = zmq_socket(zctx, ZMQ_REP))) {
        err = -errno;
        goto fail;
    }
    if (zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
        err = -errno;
        zmq_close(z->sock);
        goto fail;
    }
    if ((err = -pthread_create(&z->thread, NULL, zap_main, z))) {
        zmq_close(z->sock);
        goto fail;
    }
    z->running = true;
    return 0;
fail:
    z->sock = NULL;
    free_flood_tables(z);
    hn_curve_allow_free(&z->allow);
    pthread_mutex_destroy(&z->lock);
    return err < 0 ? err : -ENOMEM;
}

void hn_zap_refuse(struct hn_zap *z, const char *z85)
{
    if (!z->running)
        return;
    pthread_mutex_lock(&z->lock);
    hn_curve_allow_add(&z->banned, z85);
    pthread_mutex_unlock(&z->lock);
}

void hn_zap_stop(struct hn_zap *z)
{
    if (!z->running)
        return;
    pthread_join(z->thread, NULL);
    z->running = false;
    hn_log_debug("ZAP: %llu connections admitted, %llu refused", (unsigned long long)z->admitted,
                 (unsigned long long)z->refused);
    hn_curve_allow_free(&z->allow);
    hn_curve_allow_free(&z->banned);
    hn_curve_allow_free(&z->logged);
    free_flood_tables(z);
    pthread_mutex_destroy(&z->lock);
}
