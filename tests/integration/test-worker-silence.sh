#!/usr/bin/env bash
# A worker whose master goes silent stops all load by itself (after its
# silence timeout, 10 s by default): it says so, the target's counter stops
# growing and stays still, and the worker stays up, waiting for a master.
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --deadline 40 --script "users=20@0,sleep=2,silence,sleep=20" \
    "$target_url/delay?ms=5"
start_worker --threads 1
wait_grep "$work/worker.err" "joined master" 20 || fail "the worker did not join"
a=$(target_total) deadline=$((SECONDS + 20)) # users start a moment after joining
until b=$(target_total) && [ "$b" -gt "$a" ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
check "load flows before the silence ($a -> $b)" [ "$b" -gt "$a" ]
check "the worker says why it stops" wait_grep "$work/worker.err" "stopping all load" 40
c=$(wait_target_quiet 30) || fail "the target's counter kept growing after the worker stopped"
sleep 2; d=$(target_total)
check "no request once stopped ($c -> $d)" [ "$c" = "$d" ]
check "the worker is still alive, waiting for a master" kill -0 "$worker_pid"

# SIGTERM while draining: the worker leaves once its FINAL is out. If a new
# master (another run) welcomes it meanwhile, it must leave, not join.
port=$(free_port)
start_master --bind "tcp://127.0.0.1:$port" --workers 1 --deadline 30 --run-id first \
    --script "users=4@0,sleep=1,stop=60000,sleep=30" "$target_url/delay?ms=20000"
start_worker --threads 1
leaving=$worker_pid
wait_grep "$work/worker.err" "joined master .* (run first)" 20 || fail "the worker did not join"
sleep 2.5 # stopping: its requests take 20 s
kill -TERM "$leaving"
kill -KILL "$master_pid"
# Its port is free once it is gone (an ASan process takes a moment to end:
# the new one found the port taken).
wait "$master_pid" 2>/dev/null || true
start_master --bind "tcp://127.0.0.1:$port" --workers 1 --deadline 30 --run-id second \
    --script "sleep=30" "$target_url/"
wait_grep "$work/worker.err" "master started run second while leaving" 30 ||
    fail "the new master's WELCOME did not reach the leaving worker"
for _ in $(seq 200); do kill -0 "$leaving" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$leaving" 2>/dev/null; then
    fail "a worker told to leave joined the new run instead (alive 20 s after it)"
else
    rc=0; wait "$leaving" || rc=$?
    check "a worker told to leave exits 0 when a new run welcomes it (got $rc)" [ "$rc" = 0 ]
fi
check "it says why" grep -q "master started run second while leaving" "$work/worker.err"
finish
