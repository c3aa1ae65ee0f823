#!/usr/bin/env bash
# Capacity. A TARGET of a billion users makes a worker run its capacity and
# no more: --capacity when given, else what its open-file limit allows; it
# stays up and leaves on QUIT. The master splits users within the workers'
# capacities (HELLO carries them) and says plainly when they cannot hold the
# load.
. "$(dirname "$0")/master_lib.sh"

start_target
# Users reported by the worker's snapshots (the timeline), checked in $1.
users_seen() { awk '{print $2}' "$1" | sort -n | tail -1; }

echo "== --capacity 50, a billion users asked"
start_master --workers 1 --deadline 25 --timeline "$work/t1" \
    --script "users=1000000000@0,await=50,sleep=2,stop=2000,quit" "$target_url/delay?ms=20"
start_worker --threads 2 --capacity 50
wait "$master_pid" || fail "scripted master did not get every FINAL"
wait_pid "$worker_pid" 20
check "the worker leaves on QUIT, exit 0 (got $pid_rc)" [ "$pid_rc" = 0 ]
check "it ran its capacity and no more ($(users_seen "$work/t1") users at most)" \
    [ "$(users_seen "$work/t1")" = 50 ]
check "it says so" grep -q "the master asks for 1000000000 users, this worker's capacity is 50" \
    "$work/worker.err"

echo "== no --capacity: the open-file limit bounds it"
: >"$work/worker.err"
start_master --workers 1 --deadline 25 --timeline "$work/t2" \
    --script "users=1000000000@0,await=86,sleep=2,stop=2000,quit" "$target_url/delay?ms=20"
(ulimit -n 300 && exec "$HORNET_WORKER" --master "$master_ep" --threads 2 2>>"$work/worker.err") &
worker_pid=$!
pids+=("$worker_pid")
wait "$master_pid" || fail "scripted master did not get every FINAL"
wait_pid "$worker_pid" 20
check "the worker leaves on QUIT, exit 0 (got $pid_rc)" [ "$pid_rc" = 0 ]
check "capacity (300 - 128) / 2 = 86 from the open-file limit" \
    grep -q "capacity 86 users" "$work/worker.err"
check "it ran 86 users and no more ($(users_seen "$work/t2") at most)" \
    [ "$(users_seen "$work/t2")" = 86 ]

echo "== the master splits within the capacities"
: >"$work/worker.err"
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 40 -r 100 -t 5s --only-summary "/delay?ms=20"
start_worker --threads 1 --capacity 5
start_worker --threads 1 --capacity 100
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "all 40 users ran (history User Count)" "$PY" -c 'import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["Name"] == "Aggregated"]
sys.exit(40 not in [int(r["User Count"]) for r in rows])' "$work/r_stats_history.csv"
check "no capacity warning when they can hold it" \
    bash -c "! grep -q 'cannot hold' '$work/worker.err' '$work/master.err'"
check "no worker ran beyond its capacity" bash -c "! grep -q 'capacity is' '$work/worker.err'"

echo "== more users than the workers can hold"
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 20s -u 200 -r 200 \
    -t 4s --only-summary --json "$work/short.json" --summary-md "$work/short.md" \
    --junit "$work/short.xml" "/delay?ms=20"
start_worker --threads 1 --capacity 5
start_worker --threads 1 --capacity 20
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the master says the workers cannot hold the load" \
    grep -q "the workers cannot hold the requested load: 175 of the 200 users" "$work/master.err"
check "the JSON report says 175 users did not run" \
    "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["users_not_run"] != 175)' \
    "$work/short.json"
check "the Markdown summary says so" \
    grep -q "^\*\*Up to 175 of the 200 users asked for did not run\*\*" "$work/short.md"
check "the JUnit properties say so" \
    grep -q '<property name="users_not_run" value="175"/>' "$work/short.xml"
finish
