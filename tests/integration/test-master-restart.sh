#!/usr/bin/env bash
# A master killed and restarted on the same port (issue 10, finding 15).
# Its worker stops all load after its silence timeout and queues nothing
# for the dead master; the new master's run counts only its own run: no
# worker "stopped on its own", no statistics of the old run, no "aborted at
# stop" failures, and its CSV equals what the target served during it.
# Then the worker is killed (-9) and restarted with the same --id: the
# master takes it back as a new process and sends it the scenario again,
# and it generates load.
. "$(dirname "$0")/master_lib.sh"

start_target
port=$(free_port)
MASTER_BIND="tcp://127.0.0.1:$port"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 20 -r 20 \
    -t 60s --only-summary "/delay?ms=20"
start_worker --threads 1 --id w1 --silence-timeout 2s
wait_log "workers joined: ramping" 15 || fail "the first run did not start"
sleep 2
kill -KILL "$hmaster_pid"
wait_grep "$work/worker.err" "no word from the master .* stopping all load" 30 ||
    fail "the worker did not stop its load"
wait_grep "$work/worker.err" "stopped: final snapshot" 30 || fail "the worker did not stop"
a=$(target_total); sleep 1.5; b=$(target_total)
check "no load while no master runs ($a -> $b)" [ "$a" = "$b" ]
curl -s -X POST "$target_url/__reset" >/dev/null

echo "== a new master on the same port"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 30s --csv "$work/r" \
    -u 10 -r 10 -t 8s --only-summary / /json
wait_log "workers joined: ramping" 30 || fail "the second run did not start"
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "no worker stopped on its own" bash -c "! grep -q 'stopped on its own' '$work/master.err'"
check "nothing of the old run was counted" bash -c "! grep -q 'ignored .* of run' '$work/master.err'"
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== the worker killed and restarted with the same --id"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 30s -u 10 -r 10 \
    -t 12s --only-summary /
start_worker --threads 1 --id w1 # the previous one left after the QUIT
wait_log "workers joined: ramping" 30 || fail "the third run did not start"
sleep 2
kill -KILL "$worker_pid"
: >"$work/worker.err"
start_worker --threads 1 --id w1
wait_log "worker 0 is back: w1 (a new process: sending the scenario again)" 20 ||
    fail "the master did not take the restarted worker back"
wait_grep "$work/worker.err" "scenario loaded" 20 || fail "the restarted worker got no scenario"
a=$(target_total); sleep 2; b=$(target_total)
check "the restarted worker generates load ($a -> $b)" [ "$b" -gt "$a" ]
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
finish
