/* Unit tests for which GRANTs a worker got (master/grant_ledger.c): what a
 * broken connection lost is dealt again, never what is only on its way,
 * and never fewer ids than the worker lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "grant_ledger.h"

/* The worker's users of class 0 go to @users: the master's deal (deal.c
 * sets granted to the new count, and sends a GRANT only when it rises). */
static void deal(struct hn_grant_ledger *l, uint32_t *granted, uint32_t users)
{
    bool rises = users > granted[0];
    granted[0] = users;
    hn_grant_ledger_dealt(l, granted, 1, rises ? 1 : 0, false);
}

static void test_acknowledged(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    deal(&l, granted, 10);
    deal(&l, granted, 20);
    /* on their way: nothing is lost, and the connection that carries them
     * keeps them in order */
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0);
    assert_int_equal(granted[0], 20);
    assert_true(hn_grant_ledger_settled(&l));
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 2), 0);
    assert_int_equal(l.sure[0], 20);
    /* all acknowledged: a reconnect holds nothing back */
    hn_grant_ledger_reconnected(&l);
    assert_true(hn_grant_ledger_settled(&l));
}

static void test_lost_with_connection(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    deal(&l, granted, 4);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0);
    deal(&l, granted, 8); /* these two go down with the connection */
    deal(&l, granted, 12);
    hn_grant_ledger_reconnected(&l);
    assert_false(hn_grant_ledger_settled(&l));
    /* its HEARTBEAT on the new connection: 1 of 3 arrived */
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 2);
    assert_true(hn_grant_ledger_settled(&l));
    assert_int_equal(granted[0], 4); /* the next deal gives 8 users ids */
    deal(&l, granted, 12);
    assert_int_equal(l.sent, 2);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 2), 0);
    assert_int_equal(l.sure[0], 12);
}

/* Fewer users, then more, all unacknowledged: the ids of the users that
 * stopped are spent, so the fewest counts, not the last acknowledged. */
static void test_fall_then_rise(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    deal(&l, granted, 10);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0);
    deal(&l, granted, 5); /* no GRANT: users stop */
    deal(&l, granted, 8); /* lost */
    hn_grant_ledger_reconnected(&l);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 1);
    assert_int_equal(granted[0], 5);
}

/* A count above what was sent (GRANTs of the old connection read after the
 * HEARTBEAT that settled, or a worker that lies) holds what was dealt. */
static void test_count_above_sent(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    deal(&l, granted, 6);
    hn_grant_ledger_reconnected(&l);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 7), 0);
    assert_true(hn_grant_ledger_settled(&l));
    assert_int_equal(granted[0], 6);
    assert_int_equal(l.sure[0], 6);
}

/* A HEARTBEAT the process sent before it read its SCENARIO (one of another
 * run, still running there when this master welcomed it, or one that
 * crossed its WELCOME) counts the GRANTs of its previous run: it says
 * nothing of this run's. Taken as this run's count it set the ledger ahead
 * of the worker for good: its later counts all looked short, it never
 * counted as holding any ids, and at its next reconnect all its users were
 * dealt again (and "5 GRANT messages went down" though none was lost). */
static void test_count_of_previous_run(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 5), 0); /* sent before the SCENARIO */
    deal(&l, granted, 10);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0); /* this run's: all arrived */
    assert_int_equal(l.sure[0], 10);
    hn_grant_ledger_reconnected(&l);
    assert_true(hn_grant_ledger_settled(&l));
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0);
    assert_int_equal(granted[0], 10);
}

/* A GRANT that could not be sent (a full queue) is dealt again next time. */
static void test_send_failed(void **state)
{
    (void)state;
    struct hn_grant_ledger l;
    uint32_t granted[HN_PROTO_CLASSES_MAX];
    hn_grant_ledger_reset(&l, granted);
    deal(&l, granted, 3);
    assert_int_equal(hn_grant_ledger_heard(&l, granted, 1, 1), 0);
    granted[0] = 9;
    hn_grant_ledger_dealt(&l, granted, 1, 0, true);
    assert_int_equal(granted[0], 3);
    assert_int_equal(l.sent, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acknowledged),   cmocka_unit_test(test_lost_with_connection),
        cmocka_unit_test(test_fall_then_rise), cmocka_unit_test(test_count_above_sent),
        cmocka_unit_test(test_send_failed),    cmocka_unit_test(test_count_of_previous_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
