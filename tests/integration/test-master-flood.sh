#!/usr/bin/env bash
# Floods, without CurveZMQ. A registered peer answering every message with
# another HELLO, in a tight loop, costs the master little: at most one
# WELCOME a second, a few log lines, and the run completes with exact
# counts. Three of them at once do not make the master send the other
# workers a TARGET each time they are welcomed again: a bystander gets one a
# second. HELLOs from hundreds of identities register at most --max-workers;
# the rest, and a real worker that comes later, are answered with the
# reason; a run whose workers sent nothing exits 3.
. "$(dirname "$0")/master_lib.sh"

start_target
echo "== 300 identities say HELLO; at most --max-workers join"
# First, beside the storm below: its run never starts (the fake workers
# never load), and its master waits out --expect-workers-max-wait. The
# flood's replies (it listens until they stop coming) are read at the end.
HMASTER_LOG=master300 start_hmaster -H "$target_url" --expect-workers 5 \
    --expect-workers-max-wait 20s --max-workers 30 -u 10 -r 10 -t 6s --only-summary /
master300_pid=$hmaster_pid
fake_worker flood --master "$master_ep" --hellos 300 >"$work/flood.json" &
flood=$!
pids+=("$flood")
# The late worker comes once the master has refused someone, while the
# master is still on (not after the flood's answers: on a loaded machine
# that raced the master's end, and a master that has exited answers nobody).
wait_grep "$work/master300.err" "refused a worker" 20 || fail "the master refused nobody"
"$HORNET_WORKER" --master "$master_ep" --threads 1 2>"$work/late.err" &
late=$!
pids+=("$late")
wait_pid "$late" 20
check "a real worker coming later is answered: exit 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "it says why" grep -q "rejected by the master: the master takes at most 30 workers" \
    "$work/late.err"

echo "== a HELLO storm from a registered peer"
# A run without a length, ended on SIGTERM once the storm is over (a 10 s
# run could end during the bystander's 6 s on a busy machine, Python's
# start-up included: then it got fewer TARGETs, and the master was gone).
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    -u 10 -r 10 --only-summary / /json
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
for i in 2 3 4; do
    fake_worker peer --master "$master_ep" --mode storm --id "stormy$i" --seconds 5 \
        >"$work/storm$i.json" &
    pids+=("$!")
done
fake_worker peer --master "$master_ep" --mode idle --id bystander --seconds 6 >"$work/calm.json" &
calm=$!
pids+=("$calm")
fake_worker peer --master "$master_ep" --mode storm --id stormy --seconds 5 >"$work/storm.json"
wait_pid "$calm" 20
echo "storm: $(cat "$work/storm.json")"
echo "bystander: $(cat "$work/calm.json")"
# At most one a second in its 6 s (and a few at its joining); at least
# one: how many more depends on how soon a loaded machine lets it join.
check "a bystander gets a TARGET a second, not one more per storm's WELCOME" "$PY" -c 'import json, sys
got = json.load(open(sys.argv[1]))["got"]
sys.exit(not 1 <= got.get("5", 0) <= 9)' "$work/calm.json"
check "the storm got at most one WELCOME a second" "$PY" -c 'import json, sys
got = json.load(open(sys.argv[1]))["got"]
sys.exit(not 1 <= got.get("2", 0) <= 8)' "$work/storm.json"
check "the master is still running" kill -0 "$hmaster_pid"
wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
n=$(grep -c "Z hornet-master .*\(stormy\|is back\)" "$work/master.err" || true) # log lines, not the summary
check "a few log lines about the storms, not thousands ($n)" [ "$n" -le 20 ] # 4 for each
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== the end of the 300 identities, and of their master"
wait_pid "$flood" 45
echo "flood: $(cat "$work/flood.json")"
check "30 joined, the rest were told why" "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = d["got"].get("2") == 30 and any("at most 30 workers" in r for r in d["rejects"])
sys.exit(not ok)' "$work/flood.json"
wait_pid "$master300_pid" 40
check "a run in which nothing was sent fails: exit 3 (got $pid_rc)" [ "$pid_rc" = 3 ]
check "refusals are logged once" [ "$(grep -c "refused a worker" "$work/master300.err")" = 1 ]
check "no 31st worker joined" bash -c "! grep -q 'worker 30 joined' '$work/master300.err'"
finish
