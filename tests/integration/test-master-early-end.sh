#!/usr/bin/env bash
# Runs that end before their plan say so in every report (JSON run.aborted,
# the JUnit run test, the Markdown verdict, the console) and exit with the
# code the README gives, so that a CI gate never takes them for complete:
#   - a signal (Ctrl-C, a CI job's timeout, systemctl stop) cuts a run with
#     a length short: exit 1 (it exited 0, "passed", before); a run without
#     a length runs until Ctrl-C: then Ctrl-C is its end, exit 0;
#   - every worker is lost mid-run: exit 3, and the reports said "passed";
#   - the only worker is lost while the run stops (no final report at all),
#     and a SIGTERM comes meanwhile: exit 3 (0 before, with its last
#     requests missing);
#   - a report cannot be written at the end: exit 2, naming the file (0
#     before, with no report); that run is under nohup, and the SIGHUP it
#     gets stays ignored.
. "$(dirname "$0")/master_lib.sh"

start_target
# The target has served a request since its counters were reset: the run
# is under way (what the signals below interrupt, not its start).
served() { [ "$(target_total)" -gt 0 ]; }

# $1 label, $2 signal, $3 expected exit, then the master's extra arguments
interrupted_run() {
    local label="$1" sig="$2" want="$3"; shift 3
    echo "== $label"
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    start_hmaster -H "$target_url" --local-workers 1 --worker-threads 1 -u 4 -r 4 \
        --json "$work/$sig.json" --junit "$work/$sig.xml" --summary-md "$work/$sig.md" \
        --only-summary "$@" /
    wait_log "workers joined: ramping" 20 || fail "$label: the run did not start"
    wait_for 20 served || fail "$label: no request was served"
    kill "-$sig" "$hmaster_pid"
    wait_master 40
    check "$label: exit $want (got $master_rc)" [ "$master_rc" = "$want" ]
}

interrupted_run "SIGINT into a 30 s run" INT 1 -t 30s
check "the console says the run was cut short" \
    grep -q "The run did not complete: interrupted by SIGINT [0-9.]* s into a 30s run" \
    "$work/master.err"
check "the JSON report says so (run.aborted)" "$PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))["run"]["aborted"]
print("  aborted:", a)
sys.exit(not (a and a.startswith("interrupted by SIGINT")))' "$work/INT.json"
check "the JUnit run test fails with the reason" \
    grep -q '<failure type="run" message="aborted: interrupted by SIGINT' "$work/INT.xml"
check "the Markdown verdict is failed" grep -q "❌ failed" "$work/INT.md"

interrupted_run "SIGTERM into a 30 s run" TERM 1 -t 30s
check "the JSON report names SIGTERM" "$PY" -c '
import json, sys
sys.exit(not json.load(open(sys.argv[1]))["run"]["aborted"].startswith("interrupted by SIGTERM"))' \
    "$work/TERM.json"

# A closed terminal or SSH session: the master died (exit 129) without a
# report, its workers loading the target until their silence timeout.
interrupted_run "SIGHUP into a 30 s run" HUP 1 -t 30s
check "the JSON report names SIGHUP" "$PY" -c '
import json, sys
sys.exit(not json.load(open(sys.argv[1]))["run"]["aborted"].startswith("interrupted by SIGHUP"))' \
    "$work/HUP.json"

interrupted_run "Ctrl-C ends a run without a length: its planned end" INT 0
check "nothing is said to be aborted" "$PY" -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["run"]["aborted"] is not None)' "$work/INT.json"
check "the Markdown verdict is passed" grep -q "✅ passed" "$work/INT.md"

# $1 label, $2 exit wanted, $3 fragment of run.aborted; the JSON, JUnit and
# Markdown reports of the last run (prefix $work/lost).
says_failed() {
    check "$1: exit $2 (got $master_rc)" [ "$master_rc" = "$2" ]
    check "$1: the JSON report says why (run.aborted)" "$PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))["run"]["aborted"]
print("  aborted:", a)
sys.exit(not (a and sys.argv[2] in a))' "$work/lost.json" "$3"
    check "$1: the JUnit run test fails" grep -q "<failure type=\"run\" message=\"aborted: $3" "$work/lost.xml"
    check "$1: the Markdown verdict is failed" grep -q "❌ failed" "$work/lost.md"
}

echo "== every worker lost mid-run"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 2 -r 2 -t 30s \
    --json "$work/lost.json" --junit "$work/lost.xml" --summary-md "$work/lost.md" --only-summary /
start_worker --threads 1
wait_log "workers joined: ramping" 20 || fail "the run did not start"
wait_for 20 served || fail "lost mid-run: no request was served"
kill -KILL "$worker_pid"
wait_master 40
says_failed "lost mid-run" 3 "lost all workers"

echo "== the only worker lost while the run stops"
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 2 -r 2 -t 1s -s 5s \
    --json "$work/lost.json" --junit "$work/lost.xml" --summary-md "$work/lost.md" --only-summary \
    "/delay?ms=20000"
start_worker --threads 1
wait_log "workers joined: ramping" 20 || fail "the run did not start"
# Its requests take 20 s: it drains them up to the 5 s stop timeout, and is
# frozen long before that, so its FINAL never goes.
wait_log "run time reached: stopping" 20 || fail "the run did not stop"
kill -STOP "$worker_pid"
sleep 0.5
kill -TERM "$hmaster_pid" # a CI job's timeout during the stop: the FINAL is still missing
wait_master 60
kill -KILL "$worker_pid"
says_failed "lost while stopping" 3 "no worker sent its final report"

echo "== a first SIGINT while the run stops: the FINAL is awaited, nothing is lost"
# The run did its time; the signal cuts the stop timeout short (requests in
# flight aborted, counted) but not the FINALs. Before, it reported at once
# like a second Ctrl-C: the worker was "lost", its last requests missing,
# exit 3 blaming it, and no word of the signal.
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" --expect-workers 1 --expect-workers-max-wait 20s -u 2 -r 2 -t 2s -s 30s \
    --json "$work/sw.json" --only-summary "/delay?ms=20000"
start_worker --threads 1
wait_log "workers joined: ramping" 20 || fail "the run did not start"
wait_log "run time reached: stopping" 20 || fail "the run did not stop"
sleep 0.5
kill -INT "$hmaster_pid"
wait_master 20 # well before the 30 s stop timeout
check "exit 1: requests aborted at stop are failures (got $master_rc)" [ "$master_rc" = 1 ]
check "the signal is logged" grep -q "SIGINT while stopping: requests in flight are aborted now" \
    "$work/master.err"
check "the worker finished, its FINAL in, every request counted" "$PY" - "$work/sw.json" "$(target_total)" <<'PY'
import json, sys
d, served = json.load(open(sys.argv[1])), int(sys.argv[2])
w = d["workers"][0]
assert w["state"] == "finished" and w["final_report"], w
assert d["run"]["aborted"] is None, d["run"]
print("  counted", d["totals"]["requests"], "served", served)
# Both users have started on an idle machine; a late one may not have by the stop.
assert d["totals"]["requests"] == served >= 1, (d["totals"]["requests"], served)
PY
wait_pid "$worker_pid" 20

# Under nohup (SIGHUP ignored, and so it must stay) too: a SIGHUP comes
# when the run starts, and the run goes on to its end.
echo "== a report that cannot be written at the end; under nohup, SIGHUP stays ignored"
mkdir -p "$work/gone"
HMASTER_WRAP=nohup start_hmaster -H "$target_url" --local-workers 1 --worker-threads 1 -u 2 -r 2 -t 3s \
    --json "$work/gone/r.json" --junit "$work/kept.xml" --summary-md "$work/kept.md" --only-summary /
wait_log "workers joined: ramping" 20 || fail "the run did not start"
kill -HUP "$hmaster_pid"
rm -rf "$work/gone"
wait_master 40
check "exit 2 (got $master_rc)" [ "$master_rc" = 2 ]
check "nohup: the run ran its time" grep -q "run time reached: stopping" "$work/master.err"
check "nohup: nothing says SIGHUP" \
    bash -c "! grep -q SIGHUP '$work/master.err' '$work/kept.xml' '$work/kept.md'"
check "the master names the file" grep -q "cannot write the JSON report ($work/gone/r.json)" "$work/master.err"
check "the JUnit run test, written after it, fails saying so" \
    grep -q 'failure type="run" message=".*the JSON report could not be written' "$work/kept.xml"
check "so does the Markdown verdict" grep -q "the JSON report could not be written" "$work/kept.md"
check "and the console" grep -q "The JSON report could not be written: the run fails" "$work/master.err"
finish
