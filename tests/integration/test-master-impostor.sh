#!/usr/bin/env bash
# Who a worker is, without CurveZMQ: a peer claiming a connected worker's
# id, in its HELLO and as its ZeroMQ routing id, is refused and cannot take
# over that worker's route: the real worker's statistics all arrive (the CSV
# equals the target's count). A second worker started with an id in use is
# refused with the reason (once the worker holding the id has reported after
# the claim: a restart of a dead one is not refused, see
# test-master-restart.sh) and exits 3, instead of waiting forever; when the
# run needs both, the master says why it does not start.
. "$(dirname "$0")/master_lib.sh"

start_target
echo "== three workers with the same --id when the run needs two"
# First, beside the two runs below: once the twins are answered (checked
# after the next part is set up), its master waits out
# --expect-workers-max-wait (the run never starts; were it to start, its
# load would go to a closed port, not to the target the next part counts).
HMASTER_LOG=twins start_hmaster -H http://127.0.0.1:1 --expect-workers 2 --expect-workers-max-wait 20s \
    -u 2 -r 2 -t 5s --only-summary /
twins_master=$hmaster_pid
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id twin 2>"$work/twin1.err" &
twin1=$!
pids+=("$twin1")
wait_grep "$work/twins.err" "worker 0 joined" 15 || fail "the first twin did not join"
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id twin 2>"$work/twin2.err" &
twin2=$!
pids+=("$twin2")
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id twin 2>"$work/twin3.err" &
twin3=$!
pids+=("$twin3")

echo "== the connection of one worker saying HELLO with another's id"
# Worker "gone" was killed; a peer that joined as "taker" says HELLO with
# "gone" on its own connection. It is refused: one worker per connection
# (two workers on one route: gone's messages would all go to taker's
# process, taker's reports could be counted as another's). Beside the
# parts below, with a target of its own (the impostor part checks its
# target's counts), and a run without a length, ended on SIGTERM once
# taker is done.
: >"$work/target2.out"
"$HORNET_TARGET" --listen 127.0.0.1:0 --threads 1 >"$work/target2.out" 2>"$work/target2.err" &
pids+=($!)
wait_grep "$work/target2.out" "^hornet-target listening on " 20 || fail "the second target did not start"
HMASTER_LOG=taker start_hmaster -H "$(sed -n 's/^hornet-target listening on //p' "$work/target2.out")" \
    --expect-workers 1 --expect-workers-max-wait 20s -u 2 -r 2 --only-summary /
taker_master=$hmaster_pid
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id gone 2>"$work/gone.err" &
gone=$!
pids+=("$gone")
# The taker starts now, and connects once gone is dead (gone is killed once
# the taker is ready): its master ends the run once it has had no worker
# for 3 s, which Python's start-up beside a loaded run could take.
fake_worker peer --master "$master_ep" --mode second-id --id taker --second-id gone --seconds 3 \
    --go-file "$work/gone.dead" >"$work/taker.json" &
taker=$!
pids+=("$taker")
wait_grep "$work/taker.err" "workers joined: ramping" 15 || fail "the run did not start"
wait_for 30 test -e "$work/gone.dead.ready" || fail "the taker did not start"
kill -9 "$gone"
wait_pid "$gone" 5
: >"$work/gone.dead"

echo "== the second and third twins' answers"
wait_pid "$twin2" 20
check "the second twin exits 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "the second twin says why" grep -q "already used by a connected worker" "$work/twin2.err"
wait_pid "$twin3" 20
check "so does a third one, claiming at the same time (exit $pid_rc)" \
    bash -c "[ $pid_rc = 3 ] && grep -q 'already used by a connected worker' '$work/twin3.err'"

echo "== an impostor, and a second worker with the same --id"
# A run without a length, ended on SIGTERM once both claims are answered (a
# 10 s run could end before the second worker was, after the impostor's
# 4 s, on a busy machine).
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 10 -r 10 --only-summary / /json
start_worker --threads 1 --id w1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
fake_worker peer --master "$master_ep" --mode impostor --id w1 --routing-id w1 --seconds 4 \
    >"$work/impostor.json"
check "the impostor is refused: the id is in use ($(cat "$work/impostor.json"))" \
    grep -q "worker id w1 is already used by a connected worker" "$work/impostor.json"
check "the impostor got no WELCOME" bash -c "! grep -q '\"2\":' '$work/impostor.json'"
"$HORNET_WORKER" --master "$master_ep" --threads 1 --id w1 2>"$work/second.err" &
second=$!
pids+=("$second")
wait_pid "$second" 20
check "a second worker with the id in use exits 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "it says why" grep -q "rejected by the master: worker id w1 is already used" "$work/second.err"
wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 30
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the real worker was never replaced" \
    bash -c "! grep -qE 'is back|marked missing|worker 1 joined' '$work/master.err'"
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== the end of the taker's claim, and of its run"
wait_pid "$taker" 30
[ "$pid_rc" = 0 ] || fail "the taker exited $pid_rc"
check "a connection carrying a worker cannot take another's id ($(cat "$work/taker.json"))" \
    grep -q "one worker per connection: this one is worker 1's" "$work/taker.json"
check "... nor is it welcomed as that worker" grep -q '"2": 1,' "$work/taker.json"
kill -TERM "$taker_master" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_pid "$taker_master" 30

echo "== the end of the master of the twins"
wait_pid "$twins_master" 30
check "the run does not start: exit 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "the master says why" grep -q "refused a second worker as worker 0 (pid [0-9]* on .*): worker id twin" \
    "$work/twins.err"
finish
