/* Writes the seed corpus of fuzz-receive (master/fuzz/corpus-receive):
 * runs written in the harness's operations (see fuzz_receive.c): workers
 * joining, loading, reporting and stopping, and the ways they go wrong.
 * Run it again after a change to the harness's input:
 *   make-receive-seeds master/fuzz/corpus-receive */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t seed[4096];
static size_t len;
static bool curve;

static void put(uint8_t b)
{
    if (len == sizeof(seed))
        exit(1);
    seed[len++] = b;
}

/* One operation: @op's low 4 bits say which, @slot the route; with CURVE,
 * the key it comes with (a worker's own is its slot's). */
static void op(uint8_t code, unsigned slot)
{
    put((uint8_t)(slot << 4 | code));
    if (curve)
        put((uint8_t)(1 + slot % 5));
}

static void hello(unsigned slot, unsigned id, uint8_t run_id_choice)
{
    op(0, slot);
    put((uint8_t)id);          /* worker id, host 0, 1 CPU */
    put((uint8_t)(10 + slot)); /* pid */
    put(8);                    /* capacity */
    put(run_id_choice);        /* 0: its own, 6: none (a new process) */
}

static void heartbeat(unsigned slot, uint8_t state, uint8_t users)
{
    op(1, slot);
    put((uint8_t)(state | (users & 7) << 3));
    put(0), put(100); /* cpu */
    put(20);          /* rss MiB */
    put(0);           /* GRANTs received */
}

/* A SNAPSHOT (or FINAL) of one entry, numbered @seq_choice (0: the next),
 * of entry @name (0..2 the scenario's, 0x83 one it has not) with
 * histogram @hist, @failures, and an error row when @failures. */
static void report(unsigned slot, bool final, uint8_t seq_choice, uint8_t name, uint8_t hist,
                   uint8_t failures)
{
    op(final ? 4 : 2, slot);
    put((uint8_t)(1 | (failures ? 1 << 2 : 0))); /* 1 entry, maybe 1 error */
    put(0);                                      /* its own run id */
    put(seq_choice);
    if (seq_choice % 8 == 7) /* a number far ahead */
        put(0), put(0), put(0x10), put(0);
    put(0x80), put(0); /* its clock: the master's */
    put(4);            /* users */
    put(name);
    put(hist);
    put(failures);
    put(0), put(200); /* bytes */
    if (failures) {
        put(0); /* for that entry */
        put(1); /* twice */
    }
}

static void wait_ms(unsigned ms) /* in steps of up to 2.55 s */
{
    while (ms >= 10) {
        unsigned step = ms > 2550 ? 2550 : ms;
        op(9, 0);
        put((uint8_t)(step / 10));
        ms -= step;
    }
}

static void seconds(unsigned s) /* 1 + (b & 31) seconds */
{
    op(15, 0);
    put((uint8_t)(s - 1));
}

static void start(uint8_t opts, bool with_curve)
{
    len = 0;
    curve = with_curve;
    put(opts);
}

static void write_seed(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(seed, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "make-receive-seeds: cannot write %s\n", path);
        exit(1);
    }
}

/* Two workers join, load, report for a few seconds and stop at the end. */
static void two_workers(void)
{
    hello(0, 0, 6);
    hello(1, 1, 6);
    heartbeat(0, 4, 0);
    heartbeat(1, 4, 0);
    for (int i = 0; i < 4; i++) {
        wait_ms(1000);
        report(0, false, 0, 0, 1, 0);
        report(1, false, 0, (uint8_t)(i % 3), 2, i == 2 ? 3 : 0);
        heartbeat(0, 1, 4);
        heartbeat(1, 1, 4);
    }
}

/* @n seconds in which workers @a and @b report and say they are alive. */
static void reporting(unsigned n, unsigned a, unsigned b)
{
    for (unsigned i = 0; i < n; i++) {
        wait_ms(1000);
        report(a, false, 0, (uint8_t)(i % 3), 1, 0);
        report(b, false, 0, (uint8_t)((i + 1) % 3), 3, i % 4 == 1 ? 2 : 0);
        heartbeat(a, 1, 4);
        heartbeat(b, 1, 5);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-receive-seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];

    /* The whole run: to its end, both FINALs in. */
    start(0x02, false);
    two_workers();
    reporting(8, 0, 1);
    report(0, true, 0, 0, 1, 0);
    report(1, true, 0, 1, 3, 0);
    write_seed(dir, "run-to-the-end");

    /* The same with CurveZMQ keys, one of them shared. */
    start(0x03, true);
    two_workers();
    hello(3, 2, 6); /* the shared key */
    heartbeat(3, 4, 0);
    reporting(8, 0, 3);
    heartbeat(1, 1, 3);
    report(0, true, 0, 0, 1, 0);
    report(1, true, 0, 1, 3, 0);
    report(3, true, 0, 2, 0, 0);
    write_seed(dir, "curve");

    /* Reports resent, lost, out of order, numbered 0, FINAL twice. */
    start(0x02, false);
    two_workers();
    report(0, false, 5 | 1 << 3, 0, 1, 0); /* one seen already */
    report(0, false, 4 | 3 << 3, 1, 1, 0); /* three lost */
    report(1, false, 6, 2, 0, 0);          /* numbered 0: thrown out */
    report(0, true, 0, 0, 1, 0);
    report(0, true, 0, 0, 1, 0);
    report(0, false, 0, 0, 1, 0);
    write_seed(dir, "report-numbers");

    /* A report of a request the scenario has not, and a worker ahead of
     * the run's length. */
    start(0x02, false);
    two_workers();
    report(0, false, 0, 0x83, 1, 0);
    report(1, false, 7, 0, 1, 0);
    report(0, false, 0, 0, 1, 0);
    seconds(5);
    write_seed(dir, "bans");

    /* A worker killed and restarted (a new process on a new connection),
     * another missing and back, one declining. */
    start(0x04, false);
    two_workers();
    hello(2, 2, 6);
    heartbeat(2, 4, 0);
    reporting(4, 1, 2);
    report(1, false, 0, 0, 1, 0);
    hello(5, 0, 6);          /* worker 0's id, a new process */
    hello(4, 1, 4 | 1 << 3); /* worker 1's process, reconnected */
    op(5, 2);                /* DECLINE */
    put(0), put(7);
    heartbeat(5, 4, 0);
    report(5, false, 0, 0, 1, 0);
    report(4, false, 0, 0, 1, 0);
    write_seed(dir, "restart-decline");

    /* The connection of one worker claims another's id, saying HELLO every
     * second until that one is silent long enough to be replaced: it is
     * refused (one worker per connection), or two workers would share the
     * connection. */
    start(0x02, false);
    hello(0, 0, 6);
    hello(1, 1, 6);
    heartbeat(0, 4, 0);
    heartbeat(1, 4, 0);
    hello(1, 0, 6);
    for (int i = 0; i < 5; i++) {
        wait_ms(1000);
        heartbeat(1, 1, 1);
        hello(1, 0, 6);
    }
    wait_ms(1000);
    heartbeat(1, 1, 1);
    write_seed(dir, "takeover-on-another-connection");

    /* Frames that are not what they say: raw bytes, a master's message,
     * a HELLO with one byte changed (its version), a stall and a signal. */
    start(0x00, false);
    hello(0, 0, 6);
    op(8, 0);
    put(3), put(0x93), put(0x01), put(0x02);
    op(6, 0);
    put(4);
    op(7, 1);
    put(0); /* a HELLO */
    put(1), put(10), put(8), put(6);
    put(0), put(2), put(0x7f); /* byte 2 */
    heartbeat(0, 4, 0);
    op(11, 0);
    put(50); /* 5 s stall */
    op(12, 0);
    put(1), put(120); /* 12 s backlog */
    seconds(2);
    op(13, 0); /* Ctrl-C */
    report(0, true, 0, 0, 1, 0);
    write_seed(dir, "odd-frames");
    return 0;
}
