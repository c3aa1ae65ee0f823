/* netdelay: test helper that holds every packet an iptables NFQUEUE rule
 * hands it for a fixed time, then lets it go: link latency for the netns
 * test on kernels without the netem qdisc. Raw nfnetlink, no library. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Packets held at once, in the kernel's queue and in our ring (a power of
 * two); the kernel drops what exceeds it, as a full router queue would. */
#define HELD_MAX 65536u
#define RCVBUF_BYTES (16 * 1024 * 1024)

struct held {
    uint32_t id;     /* the kernel's packet id, increasing */
    uint64_t due_ns; /* CLOCK_MONOTONIC time to let it go */
};

static struct held ring[HELD_MAX];
static uint32_t ring_head, ring_tail; /* push at head, release from tail */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Starts an nfnetlink message for queue @queue in @buf (zeroed, large enough). */
static struct nlmsghdr *msg_start(void *buf, uint16_t type, uint16_t queue, uint16_t flags)
{
    struct nlmsghdr *nlh = buf;
    nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    struct nfgenmsg *g = NLMSG_DATA(nlh);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(queue);
    return nlh;
}

static void msg_put(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len)
{
    struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
    a->nla_type = type;
    a->nla_len = NLA_HDRLEN + len;
    memcpy((char *)a + NLA_HDRLEN, data, len);
    nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends a configuration message and waits for the kernel's acknowledgement. */
static int config(int fd, uint16_t queue, uint16_t attr, const void *data, uint16_t len)
{
    static uint32_t seq;
    char buf[256] = {0};
    struct nlmsghdr *nlh = msg_start(buf, NFQNL_MSG_CONFIG, queue, NLM_F_ACK);
    nlh->nlmsg_seq = ++seq;
    msg_put(nlh, attr, data, len);
    if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
        return -errno;
    char reply[4096];
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0)
        return -errno;
    for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, (size_t)n);
         r = NLMSG_NEXT(r, n)) {
        if (r->nlmsg_type == NLMSG_ERROR && r->nlmsg_seq == seq)
            return ((struct nlmsgerr *)NLMSG_DATA(r))->error;
    }
    return -EPROTO;
}

/* Lets every held packet with an id up to @id go (one batch verdict). */
static void release_up_to(int fd, uint16_t queue, uint32_t id)
{
    char buf[128] = {0};
    struct nlmsghdr *nlh = msg_start(buf, NFQNL_MSG_VERDICT_BATCH, queue, 0);
    struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(NF_ACCEPT), .id = htonl(id)};
    msg_put(nlh, NFQA_VERDICT_HDR, &v, sizeof v);
    if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
        fprintf(stderr, "netdelay: verdict: %s\n", strerror(errno));
}

/* Records the packets announced in @n bytes of @buf, due @delay_ns from now. */
static void take_packets(char *buf, ssize_t n, uint64_t delay_ns)
{
    uint64_t due = now_ns() + delay_ns;
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n);
         m = NLMSG_NEXT(m, n)) {
        if (m->nlmsg_type == NLMSG_ERROR) {
            int err = ((struct nlmsgerr *)NLMSG_DATA(m))->error;
            if (err)
                fprintf(stderr, "netdelay: kernel error: %s\n", strerror(-err));
            continue;
        }
        if (m->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
            continue;
        size_t off = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct nfgenmsg)));
        while (off + NLA_HDRLEN <= m->nlmsg_len) {
            struct nlattr *a = (struct nlattr *)((char *)m + off);
            if (a->nla_len < NLA_HDRLEN || off + a->nla_len > m->nlmsg_len)
                break;
            if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR &&
                a->nla_len >= NLA_HDRLEN + sizeof(struct nfqnl_msg_packet_hdr)) {
                const struct nfqnl_msg_packet_hdr *h = (const void *)((char *)a + NLA_HDRLEN);
                if (ring_head - ring_tail < HELD_MAX) { /* else the kernel's queue is full too */
                    ring[ring_head % HELD_MAX] = (struct held){ntohl(h->packet_id), due};
                    ring_head++;
                }
                break;
            }
            off += NLA_ALIGN(a->nla_len);
        }
    }
}

static int usage(FILE *f, int code)
{
    fprintf(f, "Usage: netdelay --queue N --delay-ms MS\n"
               "Delays every packet of NFQUEUE queue N by MS milliseconds, then accepts it.\n"
               "Prints 'netdelay: ready' once bound; SIGTERM or SIGINT lets held packets go\n"
               "and exits 0.\n");
    return code;
}

int main(int argc, char **argv)
{
    long queue = -1, delay_ms = -1;
    static const struct option opts[] = {{"queue", required_argument, NULL, 'q'},
                                         {"delay-ms", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "q:d:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'q':
            queue = strtol(optarg, &end, 10);
            if (*end || queue < 0 || queue > 65535)
                return usage(stderr, 2);
            break;
        case 'd':
            delay_ms = strtol(optarg, &end, 10);
            if (*end || delay_ms < 0 || delay_ms > 10000)
                return usage(stderr, 2);
            break;
        case 'h':
            return usage(stdout, 0);
        default:
            return usage(stderr, 2);
        }
    }
    if (queue < 0 || delay_ms < 0 || optind != argc)
        return usage(stderr, 2);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
        fprintf(stderr, "netdelay: netlink socket: %s\n", strerror(errno));
        return 3;
    }
    int rcvbuf = RCVBUF_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

    uint16_t q = (uint16_t)queue;
    struct nfqnl_msg_config_cmd bind_cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
    /* Only the metadata (the packet id): the payload stays in the kernel. */
    struct nfqnl_msg_config_params params = {.copy_range = htonl(0), .copy_mode = NFQNL_COPY_META};
    uint32_t maxlen = htonl(HELD_MAX);
    uint32_t gso = htonl(NFQA_CFG_F_GSO); /* take GSO packets whole: no segmenting */
    int err;
    if ((err = config(fd, q, NFQA_CFG_CMD, &bind_cmd, sizeof bind_cmd)) ||
        (err = config(fd, q, NFQA_CFG_PARAMS, &params, sizeof params)) ||
        (err = config(fd, q, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen))) {
        fprintf(stderr, "netdelay: cannot bind queue %u: %s\n", q, strerror(-err));
        return 3;
    }
    /* Two attributes in one message: the mask says which flags to set. */
    {
        static char buf[256];
        struct nlmsghdr *nlh = msg_start(buf, NFQNL_MSG_CONFIG, q, 0);
        msg_put(nlh, NFQA_CFG_MASK, &gso, sizeof gso);
        msg_put(nlh, NFQA_CFG_FLAGS, &gso, sizeof gso);
        send(fd, nlh, nlh->nlmsg_len, 0); /* optional: older kernels lack it */
    }
    printf("netdelay: ready: queue %u, delay %ld ms\n", q, delay_ms);
    fflush(stdout);

    uint64_t delay_ns = (uint64_t)delay_ms * 1000000u;
    static char buf[256 * 1024];
    bool overrun_said = false;
    while (!stop) {
        struct timespec ts, *tmo = NULL;
        if (ring_head != ring_tail) {
            uint64_t due = ring[ring_tail % HELD_MAX].due_ns, now = now_ns();
            uint64_t wait_ns = due > now ? due - now : 0;
            ts.tv_sec = (time_t)(wait_ns / 1000000000u);
            ts.tv_nsec = (long)(wait_ns % 1000000000u);
            tmo = &ts;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = ppoll(&p, 1, tmo, NULL);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "netdelay: poll: %s\n", strerror(errno));
            break;
        }
        if (r > 0) {
            for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                    /* ENOBUFS: announcements were lost; their packets go
                     * with the next batch verdict (ids only grow). */
                    if (errno == ENOBUFS && !overrun_said) {
                        fprintf(stderr, "netdelay: receive buffer overrun\n");
                        overrun_said = true;
                    }
                    if (errno == ENOBUFS || errno == EINTR)
                        continue;
                    break; /* EAGAIN: all read */
                }
                take_packets(buf, n, delay_ns);
            }
        }
        uint64_t now = now_ns();
        bool any = false;
        uint32_t last = 0;
        while (ring_head != ring_tail && ring[ring_tail % HELD_MAX].due_ns <= now) {
            last = ring[ring_tail % HELD_MAX].id;
            ring_tail++;
            any = true;
        }
        if (any)
            release_up_to(fd, q, last);
    }
    if (ring_head != ring_tail)
        release_up_to(fd, q, ring[(ring_head - 1) % HELD_MAX].id);
    close(fd);
    return 0;
}
