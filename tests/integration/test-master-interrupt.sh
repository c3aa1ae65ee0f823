#!/usr/bin/env bash
# A run that a signal cuts short (Ctrl-C, a CI job's timeout, systemctl
# stop) did not run its plan: the master stops it gracefully and writes
# every report, which say so (JSON run.aborted, the JUnit run test, the
# Markdown verdict, the console), and exits 1, so that a CI gate does not
# take it for a complete run (it exited 0, "passed", before). A run without
# a length runs until Ctrl-C: then Ctrl-C is its end, exit 0.
. "$(dirname "$0")/master_lib.sh"

start_target
# $1 label, $2 signal, $3 expected exit, then the master's extra arguments
interrupted_run() {
    local label="$1" sig="$2" want="$3"; shift 3
    echo "== $label"
    start_hmaster -H "$target_url" --local-workers 1 --worker-threads 1 -u 4 -r 4 \
        --json "$work/$sig.json" --junit "$work/$sig.xml" --summary-md "$work/$sig.md" \
        --only-summary "$@" /
    wait_log "workers joined: ramping" 20 || fail "$label: the run did not start"
    sleep 2
    kill "-$sig" "$hmaster_pid"
    wait_master 40
    check "$label: exit $want (got $master_rc)" [ "$master_rc" = "$want" ]
}

interrupted_run "SIGINT 2 s into a 30 s run" INT 1 -t 30s
check "the console says the run was cut short" \
    grep -q "The run was ABORTED before its time: interrupted by SIGINT [0-9.]* s into a 30s run" \
    "$work/master.err"
check "the JSON report says so (run.aborted)" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["run"]["aborted"]
print("  aborted:", a)
sys.exit(not (a and a.startswith("interrupted by SIGINT")))' "$work/INT.json"
check "the JUnit run test fails with the reason" \
    grep -q '<failure type="run" message="aborted: interrupted by SIGINT' "$work/INT.xml"
check "the Markdown verdict is failed" grep -q "❌ failed" "$work/INT.md"

interrupted_run "SIGTERM 2 s into a 30 s run" TERM 1 -t 30s
check "the JSON report names SIGTERM" python3 -c '
import json, sys
sys.exit(not json.load(open(sys.argv[1]))["run"]["aborted"].startswith("interrupted by SIGTERM"))' \
    "$work/TERM.json"

interrupted_run "Ctrl-C ends a run without a length: its planned end" INT 0
check "nothing is said to be aborted" python3 -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["run"]["aborted"] is not None)' "$work/INT.json"
check "the Markdown verdict is passed" grep -q "✅ passed" "$work/INT.md"
finish
