#!/usr/bin/env bash
# Floods (issue 10, findings 8 and 9), without CurveZMQ. A registered peer
# answering every message with another HELLO, in a tight loop, costs the
# master little: at most one WELCOME a second, a few log lines, and the run
# completes with exact counts. HELLOs from hundreds of identities register
# at most --max-workers; the rest, and a real worker that comes later, are
# answered with the reason; a run whose workers sent nothing exits 3.
. "$(dirname "$0")/master_lib.sh"

start_target
echo "== a HELLO storm from a registered peer"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 10 -r 10 -t 10s --only-summary / /json
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
fake_worker peer --master "$master_ep" --mode storm --id stormy --seconds 5 >"$work/storm.json"
echo "storm: $(cat "$work/storm.json")"
check "the storm got at most one WELCOME a second" "$PY" -c 'import json, sys
got = json.load(open(sys.argv[1]))["got"]
sys.exit(not 1 <= got.get("2", 0) <= 8)' "$work/storm.json"
check "the master is still running" kill -0 "$hmaster_pid"
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
n=$(grep -c "Z hornet-master .*\(stormy\|is back\)" "$work/master.err" || true) # log lines, not the summary
check "a few log lines about the storm, not thousands ($n)" [ "$n" -le 5 ]
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== 300 identities say HELLO; at most --max-workers join"
start_hmaster -H "$target_url" --expect-workers 5 --expect-workers-max-wait 20s --max-workers 30 \
    -u 10 -r 10 -t 4s --only-summary /
fake_worker flood --master "$master_ep" --hellos 300 >"$work/flood.json"
echo "flood: $(cat "$work/flood.json")"
check "30 joined, the rest were told why" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = d["got"].get("2") == 30 and any("at most 30 workers" in r for r in d["rejects"])
sys.exit(not ok)' "$work/flood.json"
"$HORNET_WORKER" --master "$master_ep" --threads 1 2>"$work/late.err" &
late=$!
pids+=("$late")
wait_pid "$late" 20
check "a real worker coming later is answered: exit 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "it says why" grep -q "rejected by the master: the master takes at most 30 workers" \
    "$work/late.err"
wait_master 40
check "a run in which nothing was sent fails: exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "refusals are logged once" [ "$(grep -c "refused a worker" "$work/master.err")" = 1 ]
check "no 31st worker joined" bash -c "! grep -q 'worker 30 joined' '$work/master.err'"
finish
