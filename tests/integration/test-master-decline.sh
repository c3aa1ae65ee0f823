#!/usr/bin/env bash
# Workers that cannot run the scenario (protocol 6, DECLINE). Before, such a
# worker only logged it and stayed idle while the master gave it users: a
# mixed fleet ran less load than asked, silently, and a fleet of such
# workers waited out the whole run to end with "nothing was sent".
# - beside a worker that can, a declining worker gets no users (its share
#   goes to the other: the counts stay exact) and no STOP; the log, the
#   console summary, the JSON and Markdown reports name it with its reason;
# - a worker counts towards --expect-workers only once it says it loaded
#   the scenario: decliners never do (the wait says so when it gives up), and
#   a decliner joining first no longer starts (then fails) the run;
# - a real worker whose libcurl cannot run h2c (7.88.x, Debian 12's) declines
#   an h2c scenario with that reason (skipped with another libcurl).
. "$(dirname "$0")/master_lib.sh"

start_target
# The target has served a request since its counters were reset.
served() { [ "$(target_total)" -gt 0 ]; }

echo "== a declining worker beside one that runs the scenario"
# A run without a length, ended on SIGTERM once the decline is heard (a 6 s
# run could end before the fake, started mid-run, said it on a busy machine).
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    --json "$work/r.json" --summary-md "$work/r.md" -u 4 -r 4 /
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
fake_worker peer --master "$master_ep" --mode decline --seconds 20 >"$work/decline.json" &
fake=$!
wait_log "worker 1 (.*) cannot run the scenario" 30 || fail "the decline was not heard"
wait_history "$work/r" 2 30 || fail "no history rows for 2 s of the run"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
wait_pid "$fake" 25
check "the decline is logged with its reason" \
    grep -q "worker 1 (.*) cannot run the scenario: fake: this worker cannot run it" "$work/master.err"
check "the console summary names it" \
    bash -c "sed -n '/^Workers that could not run the scenario/,/^\$/p' '$work/master.err' | grep -q '^  worker 1 .*fake: this worker cannot run it'"
check "the declining worker got its SCENARIO, then no TARGET, GRANT or STOP ($(cat "$work/decline.json"))" \
    "$PY" -c "import json,sys; g=json.load(open(sys.argv[1]))['got']; sys.exit(g.get('4', 0) != 1 or any(k in g for k in ('5', '8', '11')))" "$work/decline.json"
check "the JSON report's worker 1 is declined, with the reason" "$PY" - "$work/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = {x["index"]: x for x in d["workers"]}
assert w[1]["state"] == "declined", w[1]
assert w[1]["decline_reason"] == "fake: this worker cannot run it", w[1]
assert w[0]["state"] == "finished" and w[0]["decline_reason"] is None, w[0]
assert any(e["kind"] == "declined" and e["worker"] == 1 for e in d["events"]), d["events"]
assert d["run"]["aborted"] is None, d["run"]
PY
check "the Markdown report names it" grep -q "could not run the scenario, ran no users" "$work/r.md"
target_stats >"$work/target.json"
check_csv "$work/r" "$work/target.json"

echo "== a decliner first, then a worker that can: the run starts on the second"
# (Counted at its HELLO, the decliner started the run and then failed it.)
# A run without a length, ended on SIGTERM once the target served a request.
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 30s -u 2 \
    --json "$work/order.json" /
fake_worker peer --master "$master_ep" --mode decline --seconds 30 >"$work/first.json" &
first=$!
wait_log "cannot run the scenario" 15 || fail "the decliner was not heard"
check "the decline does not start the run" bash -c "! grep -q 'workers joined: ' '$work/master.err'"
start_worker --threads 1
wait_for 30 served || fail "the run served no request"
kill -TERM "$hmaster_pid" 2>/dev/null || true # a run without a length: SIGTERM is its end
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
wait_pid "$first" 35
check "the decliner got no TARGET nor GRANT ($(cat "$work/first.json"))" \
    "$PY" -c "import json,sys; g=json.load(open(sys.argv[1]))['got']; sys.exit('5' in g or '11' in g)" "$work/first.json"
check "its requests were all made by the other" \
    "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not d['totals']['requests'])" "$work/order.json"

vernum=$(curl-config --vernum 2>/dev/null || echo 0)
if [ $((16#$vernum)) -ge $((16#075800)) ] && [ $((16#$vernum)) -lt $((16#080000)) ]; then
    printf 'host: %s\nhttp: {version: "2"}\nusers:\n  - tasks:\n      - get: /\n' "$target_url" \
        >"$work/h2c.yaml"
    # The second case's run first, in the background (its own master and
    # worker logs), so that it goes on beside the first case's.
    # (report_drop_proxy.py swallows the first DECLINE and resets the
    # connection. Before, the worker said it once: the master gave it users
    # it never ran, and the run ended with "nothing was sent".)
    port=$(free_port)
    pport=$(free_port)
    : >"$work/drop-master.err"
    "$HORNET_MASTER" --bind "tcp://127.0.0.1:$port" -f "$work/h2c.yaml" --expect-workers 1 \
        --expect-workers-max-wait 30s -u 1 -t 5s >"$work/drop-master.out" 2>"$work/drop-master.err" &
    pids+=($!)
    wait_grep "$work/drop-master.err" "waiting for 1 worker" 10 || fail "the second master did not start"
    "$PY" "$here/report_drop_proxy.py" --listen "$pport" --master-port "$port" --swallow DECLINE \
        --after 0 >"$work/drop.out" 2>&1 &
    pids+=($!)
    sleep 0.3
    "$HORNET_WORKER" --master "tcp://127.0.0.1:$pport" --threads 1 2>"$work/drop-worker.err" &
    pids+=($!)

    echo "== a real worker declines h2c ($(curl-config --version))"
    # Ended on SIGTERM once the decline is heard: the wait given up on the
    # clock (3 s before) could come before the worker's DECLINE was read on
    # a busy machine. 60 s is never reached when the test passes.
    start_hmaster -f "$work/h2c.yaml" --expect-workers 1 --expect-workers-max-wait 60s -u 1 -t 5s \
        --json "$work/h2c.json"
    start_worker --threads 1
    wait_log "worker 0 (.*) cannot run the scenario" 60 || fail "the decline was not heard"
    kill -TERM "$hmaster_pid" 2>/dev/null || true
    wait_master 60
    check "master exits 3, the run not started (got $master_rc)" [ "$master_rc" = 3 ]
    check "the decline does not start the run" bash -c "! grep -q 'workers joined: ' '$work/master.err'"
    check "not lost: it ran nothing" bash -c "! grep -Eq 'sent no final report|  lost ' '$work/master.err'"
    check "naming the worker's reason" \
        grep -q "worker 0 (.*) cannot run the scenario: HTTP/2 over http:// (h2c): libcurl .* on this worker cannot reuse" \
        "$work/master.err"
    check "the console summary names it" \
        bash -c "sed -n '/^Workers that could not run the scenario/,/^\$/p' '$work/master.err' | grep -q '^  worker 0 .*HTTP/2 over http://'"
    check "the JSON report's worker 0 is declined, with the reason, and the run did not start" \
        "$PY" - "$work/h2c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = {x["index"]: x for x in d["workers"]}
assert w[0]["state"] == "declined", w[0]
assert w[0]["decline_reason"].startswith("HTTP/2 over http:// (h2c): libcurl "), w[0]
assert d["run"]["aborted"].startswith("the run did not start: "), d["run"]
assert d["totals"]["requests"] == 0, d["totals"]
PY
    check "the worker says it too" grep -q "cannot run the master's scenario: HTTP/2 over http://" \
        "$work/worker.err"

    echo "== its DECLINE lost with its connection: said again on the next one"
    wait_grep "$work/drop-master.err" "cannot run the scenario" 20 ||
        fail "the master never heard the DECLINE"
    check "the first DECLINE was swallowed and the connection cut" \
        bash -c "grep -q 'SWALLOWED DECLINE' '$work/drop.out' && grep -q 'cutting both sides' '$work/drop.out'"
    check "the master got it on the next connection" grep -q "conn 1: DECLINE" "$work/drop.out"
else
    echo "skip: libcurl $(curl-config --version 2>/dev/null) reuses h2c connections (no worker declines h2c)"
fi

echo "== a worker that leaves before the run starts no longer counts, nor do decliners"
# Ctrl-C on a worker holding the scenario: it said nothing, so it still
# counted towards --expect-workers and the run started short, dealing it
# users until it was marked missing (an audit reproduced it). Two
# decliners join once it has the scenario: counted, they would start the
# run too. The master waits as long as the events take (a busy machine's
# seconds), then a SIGTERM ends the wait, and its message counts who
# joined and who declined.
: >"$work/worker.err"
metrics_port=$(free_port)
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 10m -u 2 -t 3s \
    --metrics-bind "127.0.0.1:$metrics_port" /
start_worker --threads 1 --id leaves
leaver=$worker_pid
wait_grep "$work/worker.err" "scenario loaded" 60 || fail "the first worker got no scenario"
for i in 1 2; do
    fake_worker peer --master "$master_ep" --mode decline --seconds 120 >/dev/null &
    pids+=($!)
done
kill -INT "$leaver"
wait_pid "$leaver" 30
check "it exits 0 (got $pid_rc)" [ "$pid_rc" = 0 ]
wait_log "worker 0 (leaves) left before the run started" 60 || fail "the master did not see it leave"
: >"$work/worker.err"
start_worker --threads 1 --id stays
wait_grep "$work/worker.err" "scenario loaded" 60 || fail "the second worker got no scenario"
declined() { [ "$(grep -c "cannot run the scenario: " "$work/master.err")" -ge 2 ]; }
wait_for 60 declined || fail "the decliners did not decline"
# Its HEARTBEAT saying LOADED follows the log line: wait until the master
# counts it (hornet_worker_up is 1 for a worker of the run). Without that
# wait, a master that counted the leaver would pass, not fail; with it,
# such a master has started the run instead.
stays_up() {
    curl -sf --max-time 5 "http://127.0.0.1:$metrics_port/metrics" |
        grep -q '^hornet_worker_up{[^}]*id="stays"[^}]*} 1$'
}
wait_for 60 stays_up || fail "the master never counted the second worker"
kill -TERM "$hmaster_pid" 2>/dev/null || true
wait_master 30
check "the run did not start with one worker: exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
check "saying 1 of 2 joined, and that the 2 others declined the scenario" \
    grep -q "interrupted by SIGTERM while waiting for workers: 1 of 2 expected joined (2 more declined the scenario)" \
    "$work/master.err"
finish
