#!/usr/bin/env bash
# A master killed and restarted on the same port. Its worker stops all load
# after its silence timeout and queues nothing for the dead master; the new
# master's run counts only its own run: no worker "stopped on its own", no
# statistics of the old run, no "aborted at stop" failures, and its CSV
# equals what the target served during it. Then the worker is killed (-9)
# and restarted with the same --id: the master takes it back as a new
# process and sends it the scenario again, and it generates load, even when
# the new process says HELLO before the master has seen the old connection
# close. And a worker that hangs with its connection up (SIGSTOP) is
# replaced by a new process with its id once it is declared missing (another
# worker keeps the run going) and runs to the end, and the hung one,
# resumed, is told it was replaced and stops; the new process is not refused
# as a duplicate, which is what a second process claiming a live worker's id
# gets (test-master-impostor.sh).
. "$(dirname "$0")/master_lib.sh"

# Whether the target has served more than $1 requests (the worker runs load).
target_above() { [ "$(target_total)" -gt "$1" ]; }

start_target
port=$(free_port)
MASTER_BIND="tcp://127.0.0.1:$port"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 20 -r 20 \
    -t 60s --only-summary "/delay?ms=20"
start_worker --threads 1 --id w1 --silence-timeout 2s
wait_log "workers joined: ramping" 15 || fail "the first run did not start"
wait_for 15 target_above 0 || fail "the first run sent no request"
kill -KILL "$hmaster_pid"
wait_grep "$work/worker.err" "no word from the master .* stopping all load" 30 ||
    fail "the worker did not stop its load"
wait_grep "$work/worker.err" "stopped: final snapshot" 30 || fail "the worker did not stop"
a=$(target_total); sleep 1.5; b=$(target_total)
check "no load while no master runs ($a -> $b)" [ "$a" = "$b" ]
curl -s -X POST "$target_url/__reset" >/dev/null
: >"$work/worker.err" # from here on: the second run

echo "== a new master on the same port"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 30s --csv "$work/r" \
    -u 10 -r 10 -t 5s --only-summary / /json
wait_log "workers joined: ramping" 30 || fail "the second run did not start"
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
# w1 stops its load after 2 s without a word (--silence-timeout): a
# machine that stalls the master that long makes it do so rightly.
if grep -q "no word from the master" "$work/worker.err"; then
    echo "note: the master was silent for w1's 2 s (a stalled machine): its stop is not judged"
else
    check "no worker stopped on its own" bash -c "! grep -q 'stopped on its own' '$work/master.err'"
fi
check "nothing of the old run was counted" bash -c "! grep -q 'ignored .* of run' '$work/master.err'"
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== the worker killed and restarted with the same --id"
# This run and the next have no length: each ends on SIGTERM once its
# mid-run checks are done (a 12 or 14 s run could end before them on a busy
# machine).
served=$(target_total)
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 30s -u 10 -r 10 \
    --only-summary /
start_worker --threads 1 --id w1 # the previous one left after the QUIT
wait_log "workers joined: ramping" 30 || fail "the third run did not start"
wait_for 15 target_above "$served" || fail "the third run sent no request"
kill -KILL "$worker_pid"
: >"$work/worker.err"
start_worker --threads 1 --id w1
wait_log "worker 0 is back: w1 (a new process: sending the scenario again)" 20 ||
    fail "the master did not take the restarted worker back"
wait_grep "$work/worker.err" "scenario loaded" 20 || fail "the restarted worker got no scenario"
a=$(target_total)
wait_for 20 target_above "$a" || true # judged below (the old process is dead: load is the new one's)
b=$(target_total)
check "the restarted worker generates load ($a -> $b)" [ "$b" -gt "$a" ]
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
# The killed process's last, unreported requests are missing: the reports
# said nothing of it (the worker finished the run under its identity).
check "the master says the killed process's last requests are missing" \
    grep -q "worker 0 (w1): its process ended without a final report and a new one took its place" \
    "$work/master.err"
check "the worker events say it" \
    bash -c "grep -q 'worker 0 *lost *its process ended without a final report' '$work/master.err'"

echo "== a hung worker replaced by a new process with its --id"
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 30s -u 10 -r 10 \
    --only-summary --json "$work/hung.json" /
start_worker --threads 1 --id w3 # keeps the run going while w2 is missing
wait_log "worker 0 joined: w3" 20 || fail "w3 did not join"
start_worker --threads 1 --id w2
wait_log "workers joined: ramping" 30 || fail "the fourth run did not start"
hung=$worker_pid
kill -STOP "$hung"
: >"$work/worker.err"
start_worker --threads 1 --id w2
wait_log "worker 1 (w2): a new process (pid $worker_pid on .*) says HELLO with its id" 20 ||
    fail "the master did not say a new process claims worker 1's id"
wait_log "worker 1 (w2) silent for .*: marked missing" 20 || fail "the hung worker was not missed"
wait_log "worker 1 is back: w2 (a new process: sending the scenario again)" 20 ||
    fail "the new process did not take the hung worker's place"
wait_grep "$work/worker.err" "scenario loaded" 20 || fail "the new process got no scenario"
check "the new process was not refused" bash -c "! grep -q 'rejected by the master' '$work/worker.err'"
newcomer=$worker_pid
# Resumed, the replaced process must stop: else it runs load nobody counts.
kill -CONT "$hung"
wait_pid "$hung" 20
check "the replaced process, resumed, exits 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "... told it was replaced" grep -q "rejected by the master: replaced: another process" \
    "$work/worker.err"
check "the master says what that leaves uncounted" \
    grep -q "took the place of one still connected, which is told to stop" "$work/master.err"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
w1=$("$PY" -c "import json; w=json.load(open('$work/hung.json'))['workers'][1]; \
print(w['id'], w['pid'], w['state'], w['final_report'])")
check "worker 1 ended as the new process, with its final report ($w1)" \
    [ "$w1" = "w2 $newcomer finished True" ]
check "... and its events say the old process was still connected" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(e["worker"] == 1 and "still connected" in e["detail"] for e in d["events"]))' \
    "$work/hung.json"
finish
