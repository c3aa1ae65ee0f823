/* The worker's link to the master: every message goes out through here,
 * and only while a master is connected (a message queued for a master that
 * is gone would reach whoever listens there next). A new connection gets a
 * HELLO first, then, once the master answers on it, the reports kept from
 * before (report_ring.h), oldest first, ahead of anything newer. */
#include "session_internal.h"
#include "clock.h"
#include "cpus.h"
#include "error.h"
#include "log.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A send failed for want of a master (send_frame queues nothing while the
 * socket's monitor says the connection is down): said once until the
 * master answers. A message written just before a break the monitor has
 * not reported yet stays in libzmq's queue and goes out first on the next
 * connection, ahead of the HELLO that says whose it is: the master drops
 * it (a stranger's). Reports are kept (report_ring.h) and sent again after
 * the HELLO. */
static void master_unreachable(struct hn_session *s, const char *what)
{
    if (!s->unreachable && s->state != SS_HELLO) /* saying HELLO: see the hint in on_tick */
        hn_log_warn("master %s unreachable: %s not sent (the last %u reports are kept for it, "
                    "nothing else)",
                    s->cfg->master, what, HN_REPORT_RING_MAX);
    s->unreachable = true;
}

static int connected(struct hn_session *s);

/* On a new connection, once the master answered the HELLO on it: the
 * reports kept, oldest first, before anything newer. The master counts
 * those it has not seen and ignores the others (PROTOCOL.md §4). Not
 * before its answer: a master restarted meanwhile (a WELCOME to another
 * run) gets none of the old run's. */
void hn_link_resend_reports(struct hn_session *s)
{
    uint64_t asked_on = s->connection;
    s->resend_pending = false;
    if (connected(s) != 0)
        return; /* gone again: the next connection's HELLO arms them anew */
    /* Yet another connection (its HELLO just went): wait for its answer,
     * unless leaving, when there is no waiting. */
    if (s->connection != asked_on && !s->exit_after_final)
        return;
    unsigned n = hn_report_ring_count(&s->reports), sent = 0;
    for (; sent < n; sent++) {
        size_t len;
        const void *frame = hn_report_ring_at(&s->reports, sent, &len);
        if (hn_chan_send(&s->chan, frame, len) != 0)
            break;
    }
    if (sent < n)
        hn_log_warn("new connection to the master: sent %u of the last %u reports again, the "
                    "rest could not be sent",
                    sent, n);
    else if (n)
        hn_log_info("new connection to the master: sent the last %u reports again", n);
}

int hn_link_send_hello(struct hn_session *s);

/* 0 when a master is connected, after saying HELLO if the connection is
 * new (then the kept reports wait for its answer: resend_pending), or
 * -EAGAIN. Reconnected: the master tells workers apart by their connection
 * (or by a key several may share), so this worker's first message on a
 * new one is a HELLO; else what follows would be a stranger's and dropped
 * until the master's silence made it say HELLO anyway. */
static int connected(struct hn_session *s)
{
    if (!hn_chan_peer_up(&s->chan))
        return -EAGAIN;
    uint64_t connection = hn_chan_peer_connections(&s->chan), before = s->connection;
    if (connection != before) {
        s->connection = connection; /* first: hn_link_send_hello comes back here */
        if (s->state != SS_HELLO && connection > 1) {
            if (hn_link_send_hello(s) != 0) {
                s->connection = before; /* not said: the next message tries again */
                return -EAGAIN;
            }
            s->resend_pending = hn_report_ring_count(&s->reports) > 0;
        }
    }
    return 0;
}

/* Send @buf unless the master is unreachable now: a message queued for a
 * master that is gone would reach whoever listens there next (a restarted
 * master, another run). -EAGAIN then. */
static int send_frame(struct hn_session *s, const void *buf, size_t len)
{
    int err = connected(s);
    return err ? err : hn_chan_send(&s->chan, buf, len);
}

int hn_link_send_msg(struct hn_session *s, const struct hn_msg *m)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    int err = hn_msg_encode(m, &buf);
    if (!err)
        err = send_frame(s, buf.data, buf.size);
    if (err == -EAGAIN)
        master_unreachable(s, hn_msg_type_name(m->type));
    else if (err)
        hn_log_warn("cannot send %s: %s", hn_msg_type_name(m->type), hn_strerror(err));
    msgpack_sbuffer_destroy(&buf);
    return err;
}

/* CPUs this worker can keep busy: its engine threads, at most the CPUs it
 * may run on (taskset, cgroup cpusets; all online ones when the affinity
 * cannot be read). The master's self-check measures CPU use against it, as
 * Locust against its one core. */
static uint32_t usable_cpus(const struct hn_session *s)
{
    uint32_t cpus = hn_cpus_usable();
    return s->cfg->threads && s->cfg->threads < cpus ? s->cfg->threads : cpus;
}

int hn_link_send_hello(struct hn_session *s)
{
    struct hn_msg m = {.type = HN_MSG_HELLO};
    snprintf(m.hello.worker_id, sizeof(m.hello.worker_id), "%s", s->worker_id);
    if (gethostname(m.hello.hostname, sizeof(m.hello.hostname) - 1) != 0)
        snprintf(m.hello.hostname, sizeof(m.hello.hostname), "unknown");
    m.hello.pid = (uint32_t)getpid();
    snprintf(m.hello.version, sizeof(m.hello.version), "%s", HN_VERSION);
    m.hello.cpus = usable_cpus(s);
    m.hello.capacity = s->cfg->capacity;
    /* Empty until a master welcomed us: a restarted worker gets the
     * scenario again even if its id (or key) is known. */
    snprintf(m.hello.run_id, sizeof(m.hello.run_id), "%s", s->run_id);
    return hn_link_send_msg(s, &m);
}

/* A new run: its reports are numbered from 1, none of the old one's is
 * kept. */
void hn_link_forget_reports(struct hn_session *s)
{
    s->snap_seq = 0;
    hn_report_ring_clear(&s->reports);
    s->resend_pending = false;
}

/* Send the encoded report in @buf (SNAPSHOT or FINAL number @seq) and
 * keep it for a new connection; @buf is emptied. */
void hn_link_send_report(struct hn_session *s, msgpack_sbuffer *buf, uint32_t type, uint64_t seq,
                         uint64_t requests)
{
    /* One look at the connection: a report may be the first message on a
     * new one (HELLO first), and it then waits behind the kept ones. */
    int err = connected(s);
    if (!err && s->resend_pending) {
        /* After the older ones, once the master answers (leaving, the
         * FINAL cannot wait). */
        size_t len = buf->size;
        hn_report_ring_push(&s->reports, msgpack_sbuffer_release(buf), len);
        if (type == HN_MSG_FINAL && s->exit_after_final)
            hn_link_resend_reports(s);
        return;
    }
    if (!err)
        err = hn_chan_send(&s->chan, buf->data, buf->size);
    if (err == -EAGAIN)
        master_unreachable(s, type == HN_MSG_FINAL ? "the final snapshot" : "snapshots");
    else if (err)
        hn_log_error("snapshot %llu of %llu requests lost: %s", (unsigned long long)seq,
                     (unsigned long long)requests, hn_strerror(err));
    size_t len = buf->size;
    if (!err || err == -EAGAIN)
        hn_report_ring_push(&s->reports, msgpack_sbuffer_release(buf), len);
}

void hn_link_send_empty_final(struct hn_session *s)
{
    struct hn_msg m = {.type = HN_MSG_FINAL};
    m.snapshot.seq = ++s->snap_seq;
    snprintf(m.snapshot.run_id, sizeof(m.snapshot.run_id), "%s", s->run_id);
    m.snapshot.interval_start_ms = m.snapshot.interval_end_ms = hn_clock_wall_ms();
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    if (hn_msg_encode(&m, &buf) == 0)
        hn_link_send_report(s, &buf, HN_MSG_FINAL, m.snapshot.seq, 0);
    else
        hn_log_error("cannot encode the final snapshot");
    msgpack_sbuffer_destroy(&buf);
}

/* Tell the master this worker cannot run the run's scenario: it runs no
 * users of this run, and the master gives its share to the others. */
void hn_link_send_decline(struct hn_session *s)
{
    struct hn_msg m = {.type = HN_MSG_DECLINE};
    snprintf(m.decline.run_id, sizeof(m.decline.run_id), "%s", s->run_id);
    snprintf(m.decline.reason, sizeof(m.decline.reason), "%s", s->declined);
    if (hn_link_send_msg(s, &m) == 0)
        s->declined_on = s->connection;
}
