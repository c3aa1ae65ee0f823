/* CurveZMQ for a run: the master's key pair, the keys admitted (the allow
 * lists and local workers' throwaway keys) and the ZAP handler that checks
 * them, set up before the ROUTER socket binds. */
#include "endpoint.h"
#include "error.h"
#include "exitcodes.h"
#include "log.h"
#include "run_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int hn_run_curve_setup(struct hn_run *r)
{
    const struct hn_master_config *cfg = r->cfg;
    char why[256];
    struct hn_endpoint_info ep = {0};
    hn_endpoint_check(cfg->bind, HN_ENDPOINT_BIND, &ep, why, sizeof(why));
    /* Without keys (none given, and none for local workers when libzmq
     * has no CurveZMQ) anyone who reaches the port could join. */
    bool keyless = !cfg->curve_secret && (!cfg->local_workers || !hn_curve_available());
    if (keyless && !ep.loopback && !cfg->insecure) {
        hn_log_error("--bind %s reaches other hosts, and without CurveZMQ anyone who can reach "
                     "this port could join the run, read the scenario and write into the "
                     "results: give --curve-secret and --allow-workers (see README), or "
                     "--insecure on a network you trust",
                     cfg->bind);
        return HN_EXIT_USAGE;
    }
    /* Keys on loopback are what README advises on a shared host: said,
     * not warned, in case workers of other hosts were meant. */
    if (cfg->curve_secret && ep.loopback)
        hn_log_info("--bind %s with keys: workers of this host holding an allowed key can join; "
                    "for workers on other hosts, --bind 'tcp://*:5557'",
                    cfg->bind);
    if (!cfg->curve_secret && !cfg->local_workers)
        return 0;
    if (!hn_curve_available()) {
        if (cfg->curve_secret) {
            hn_log_error("this libzmq has no CurveZMQ support (built without libsodium)");
            return HN_EXIT_NO_RUN;
        }
        hn_log_warn("this libzmq has no CurveZMQ support: local workers connect unauthenticated");
        return 0;
    }
    r->curve = true;
    struct hn_curve_allow allow = {0};
    int err = cfg->curve_secret
                  ? hn_curve_load_secret(cfg->curve_secret, &r->keys, why, sizeof(why))
                  : hn_curve_keypair_new(&r->keys);
    if (!err && cfg->allow_workers)
        err = hn_curve_allow_read(&allow, cfg->allow_workers, why, sizeof(why));
    if (!err && cfg->allow_shared)
        err = hn_curve_allow_read(&r->shared, cfg->allow_shared, why, sizeof(why));
    for (uint32_t i = 0; !err && i < r->shared.n; i++) {
        /* A key in both lists would silently lose what a key of its own
         * gives (duplicates refused, the key refused after a ban). */
        if (hn_curve_allow_has(&allow, r->shared.keys[i])) {
            char fp[HN_CURVE_FINGERPRINT_LEN + 1];
            hn_curve_fingerprint(r->shared.keys[i], fp);
            snprintf(why, sizeof(why),
                     "key %s (fingerprint %s) is in both --allow-workers and --allow-shared-key: "
                     "a key is a worker's own or shared, not both",
                     r->shared.keys[i], fp);
            err = HN_E_INVALID;
        } else if ((err = hn_curve_allow_add(&allow, r->shared.keys[i]))) {
            if (err == HN_E_TOO_LARGE)
                snprintf(why, sizeof(why),
                         "--allow-workers and --allow-shared-key hold more than %u keys together",
                         (unsigned)HN_CURVE_ALLOW_MAX);
            else
                snprintf(why, sizeof(why), "--allow-shared-key: %s", hn_strerror(err));
        }
    }
    if (!err && cfg->curve_secret && !allow.n && cfg->expect_workers > cfg->local_workers) {
        snprintf(why, sizeof(why), "no public key in %s%s%s: no worker%s could join",
                 cfg->allow_workers ? cfg->allow_workers : "(no --allow-workers)",
                 cfg->allow_shared ? " or " : "", cfg->allow_shared ? cfg->allow_shared : "",
                 cfg->local_workers ? " but the local ones" : "");
        err = HN_E_INVALID;
    }
    if (!err && !cfg->curve_secret && cfg->expect_workers > cfg->local_workers) {
        snprintf(why, sizeof(why),
                 "--expect-workers %u with --local-workers %u: the local workers use throwaway "
                 "CurveZMQ keys no other worker has; for the others give --curve-secret and "
                 "--allow-workers (see README)",
                 cfg->expect_workers, cfg->local_workers);
        err = HN_E_INVALID;
    }
    if (err) {
        hn_log_error("%s", err == -ENOTSUP ? "cannot make a CurveZMQ key pair" : why);
        hn_curve_allow_free(&allow);
        return HN_EXIT_USAGE;
    }
    if (cfg->local_workers) {
        r->local_keys = calloc(cfg->local_workers, sizeof(*r->local_keys));
        for (uint32_t i = 0; r->local_keys && !err && i < cfg->local_workers; i++) {
            err = hn_curve_keypair_new(&r->local_keys[i]);
            if (!err)
                err = hn_curve_allow_add(&allow, r->local_keys[i].public_z85);
        }
        if (!r->local_keys || err) {
            hn_log_error("cannot make keys for the local workers: %s",
                         hn_strerror(r->local_keys ? err : -ENOMEM));
            hn_curve_allow_free(&allow);
            return HN_EXIT_NO_RUN;
        }
    }
    err = hn_zap_start(&r->zap, r->zctx, &allow);
    uint32_t n_keys = allow.n;
    hn_curve_allow_free(&allow);
    if (err) {
        hn_log_error("cannot start the ZAP handler: %s", hn_strerror(err));
        return HN_EXIT_NO_RUN;
    }
    char fp[HN_CURVE_FINGERPRINT_LEN + 1];
    hn_curve_fingerprint(r->keys.public_z85, fp);
    hn_log_info("CurveZMQ on: master key %s (fingerprint %s), %u worker keys admitted%s",
                r->keys.public_z85, fp, n_keys,
                r->shared.n ? " (some shared by many workers, told apart by their --id)" : "");
    return 0;
}
