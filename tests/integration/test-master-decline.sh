#!/usr/bin/env bash
# Workers that cannot run the scenario (protocol 6, DECLINE). Before, such a
# worker only logged it and stayed idle while the master gave it users: a
# mixed fleet ran less load than asked, silently, and a fleet of such
# workers waited out the whole run to end with "nothing was sent".
# - beside a worker that can, a declining worker gets no users (its share
#   goes to the other: the counts stay exact) and no STOP; the log, the
#   console summary, the JSON and Markdown reports name it with its reason;
# - when as many workers as the run expects decline, the master gives up at
#   once (exit 3) instead of waiting for the run's workers;
# - a real worker whose libcurl cannot run h2c (7.88.x, Debian 12's) declines
#   an h2c scenario with that reason (skipped with another libcurl).
. "$(dirname "$0")/master_lib.sh"

start_target
echo "== a declining worker beside one that runs the scenario"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s --csv "$work/r" \
    --json "$work/r.json" --summary-md "$work/r.md" -u 4 -r 4 -t 6s /
start_worker --threads 1
wait_log "workers joined: ramping" 15 || fail "the run did not start"
fake_worker peer --master "$master_ep" --mode decline --seconds 20 >"$work/decline.json" &
fake=$!
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
wait_pid "$fake" 25
check "the decline is logged with its reason" \
    grep -q "worker 1 (.*) cannot run the scenario: fake: this worker cannot run it" "$work/master.err"
check "the console summary names it" \
    bash -c "sed -n '/^Workers that could not run the scenario/,/^\$/p' '$work/master.err' | grep -q '^  worker 1 .*fake: this worker cannot run it'"
check "the declining worker got no STOP ($(cat "$work/decline.json"))" \
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d['got'].get('8', 0) != 0 or d['got'].get('4', 0) != 1)" "$work/decline.json"
check "the JSON report's worker 1 is declined, with the reason" python3 - "$work/r.json" <<'PY'
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

echo "== as many workers as expected decline: the master gives up at once"
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 120s -u 2 -t 5s /
for i in 1 2; do
    fake_worker peer --master "$master_ep" --mode decline --seconds 30 >/dev/null &
done
wait_master 60
check "master exits 3 (got $master_rc; 124: it waited on)" [ "$master_rc" = 3 ]
# (Both HELLOs may come before either DECLINE: the run then starts, and
# fails as the second one declines.)
check "saying why" grep -Eq "the run did not start: 2 workers cannot run the scenario, as many as the run expects|no worker left that can run the scenario" \
    "$work/master.err"

vernum=$(curl-config --vernum 2>/dev/null || echo 0)
if [ $((16#$vernum)) -ge $((16#075800)) ] && [ $((16#$vernum)) -lt $((16#080000)) ]; then
    echo "== a real worker declines h2c ($(curl-config --version))"
    printf 'host: %s\nhttp: {version: "2"}\nusers:\n  - tasks:\n      - get: /\n' "$target_url" \
        >"$work/h2c.yaml"
    start_hmaster -f "$work/h2c.yaml" --expect-workers 1 --expect-workers-max-wait 120s -u 1 -t 5s
    start_worker --threads 1
    wait_master 60
    check "master exits 3 (got $master_rc)" [ "$master_rc" = 3 ]
    check "not lost: it ran nothing" bash -c "! grep -Eq 'sent no final report|  lost ' '$work/master.err'"
    check "naming the worker's reason" \
        grep -q "worker 0 (.*) cannot run the scenario: HTTP/2 over http:// (h2c): libcurl .* on this worker cannot reuse" \
        "$work/master.err"
    check "the worker says it too" grep -q "cannot run the master's scenario: HTTP/2 over http://" \
        "$work/worker.err"
else
    echo "skip: libcurl $(curl-config --version 2>/dev/null) reuses h2c connections (no worker declines h2c)"
fi
finish
