#!/usr/bin/env bash
# The generator self-check, worker events and the HTML report, on one run
# of three workers against hornet-target:
#   - worker-2 is frozen for 5 s (SIGSTOP, then SIGCONT: a paused VM). It
#     must notice its own stall (its event loops did not run) and the master
#     must flag it: a "stall" generator warning in the JSON report and the
#     console, and the events missing → back with their times;
#   - worker-3 is killed (-9): "missing", then "lost" (no final report), in
#     the JSON report and the console summary;
#   - the HTML report opens in headless chromium without a console error or
#     a network request, every chart draws, the warnings box names both
#     workers, and a screenshot is kept in $HN_ARTIFACTS for CI.
# The assertions are on behaviour (what is flagged and named), not timing.
. "$(dirname "$0")/master_lib.sh"
. "$here/npm_tools.sh"
top=$(cd "$here/../.." && pwd)
npm_tools || { fail "test tools from npm"; finish; }
artifacts=${HN_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"

start_target
r="$work/run"
# A run without a length, ended on SIGTERM once worker-2's stall is logged
# (a 14 s run could end before worker-2 came back on a busy machine).
selfcheck_run() {
    start_hmaster -H "$target_url" --expect-workers 3 --expect-workers-max-wait 20s -u 9 -r 9 \
        --json "$r.json" --html "$r.html" --only-summary / '/delay?ms=20'
    for i in 1 2 3; do start_worker --threads 1 --id "worker-$i"; wpid[$i]=$worker_pid; done
    wait_log "workers joined: ramping" 20 || fail "the run did not start"
    sleep 2
    kill -STOP "${wpid[2]}"
    kill -KILL "${wpid[3]}"
    # The master notices worker-2's silence (3 s), then it thaws.
    wait_log "worker-2) silent .* marked missing" 20 || fail "worker-2 was not marked missing"
    sleep 2
    kill -CONT "${wpid[2]}"
    wait_log "worker-2) stalled: its event loop did not run" 30 || fail "worker-2's stall was not logged"
    kill -TERM "$hmaster_pid" # a run without a length: SIGTERM is its end
    wait_master 60
    kill -KILL "${wpid[1]}" "${wpid[2]}" 2>/dev/null || true
}
# Again (at most twice more) when the master says it stalled itself: then
# the whole machine stopped (a shared VM's hiccup; seen in CI: the master
# and worker-1 both lost 5.5 s), which puts a stall on worker-1 and
# stretches worker-2's freeze past its 10 s silence timeout. The checks are
# about attribution, on a run where only worker-2 was frozen.
for attempt in 1 2 3; do
    selfcheck_run
    grep -q "the master itself stalled" "$work/master.err" || break
    [ "$attempt" = 3 ] || echo "note: the master itself stalled (the machine stopped): running again"
done
check "the run completes (exit $master_rc)" [ "$master_rc" = 0 ]

echo "== the JSON report names the stall and the lost worker"
"$PY" - "$r.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
w = {x["id"]: x for x in d["workers"]}
ok = True
def report(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok &= bool(cond)
w2, w3 = w.get("worker-2"), w.get("worker-3")
report(w2 and w3, "workers 2 and 3 are listed")
if not (w2 and w3):
    sys.exit(1)
report("stall" in w2["warnings"] and w2["stalls"] >= 1 and w2["loop_lag_ms_max"] >= 1000,
       f"worker-2 noticed its own stall: warnings {w2['warnings']}, {w2['stalls']} stall(s), "
       f"loop lag up to {w2['loop_lag_ms_max']} ms (frozen 5 s)")
g = [x for x in d["generator_warnings"] if x["id"] == "worker-2" and x["kind"] == "stall"]
report(g and "own delay" in g[0]["message"], f"a generator warning says so: {g[0]['message'] if g else None}")
report(w2["state"] == "finished" and w2["final_report"], f"worker-2 came back and finished ({w2['state']})")
ev = lambda idx: [e["kind"] for e in d["events"] if e["worker"] == idx]
e2, e3 = ev(w2["index"]), ev(w3["index"])
report(e2[:1] == ["joined"] and "missing" in e2 and "back" in e2 and "stall" in e2
       and e2.index("missing") < e2.index("back"), f"worker-2's events: {e2}")
report(e3[:1] == ["joined"] and "missing" in e3 and e3[-1] == "lost", f"worker-3's events: {e3}")
report(w3["state"] == "lost" and not w3["final_report"], f"worker-3 is lost ({w3['state']})")
w1 = w.get("worker-1")
# Attribution, not timing: worker-2's 5 s freeze is not put on worker-1. A
# stall of worker-1's own (a busy machine can stop it for a second or two:
# CI saw 1.7 s) is flagged, rightly, but is shorter than that freeze.
report(w1 and ("stall" not in w1["warnings"] or w1["loop_lag_ms_max"] < 4000),
       f"worker-1 is not flagged with worker-2's freeze: warnings {w1 and w1['warnings']}, "
       f"loop lag up to {w1 and w1['loop_lag_ms_max']} ms")
sys.exit(0 if ok else 1)
PY
echo "== the console summary"
check "worker events in the summary" grep -q "^Worker events (UTC)" "$work/master.err"
check "worker-3 lost, with its time" grep -Eq "^  [0-9]{2}:[0-9]{2}:[0-9]{2}  worker [0-9]+ +lost " "$work/master.err"
check "generator self-check names worker-2's stall" \
    grep -Eq "^  worker [0-9]+ \(worker-2\):.* stalled [0-9]+ times?" "$work/master.err"
check "the stall was logged when it was noticed" grep -q "worker-2) stalled: its event loop did not run" "$work/master.err"

echo "== the HTML report in headless chromium"
if node "$here/html_check.js" "$npm_tools_dir/node_modules" "$r.html" "$artifacts/report-selfcheck.png" \
    >"$work/html.json" 2>"$work/html.err"; then
    cp "$r.html" "$artifacts/report-selfcheck.html"
    "$PY" - "$work/html.json" <<'PY' || fail "HTML report in the browser"
import json, sys
h = json.load(open(sys.argv[1]))
ok = True
def report(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok &= bool(cond)
report(not h["problems"], f"no console error, page error or network request: {h['problems'][:5]}")
report(h["declared"] == len(h["charts"]) >= 6, f"{len(h['charts'])} charts on the page")
blank = [c["title"] for c in h["charts"] if not (c["drawn"] and c["canvas"] and c["inked"] > 1000)]
report(not blank, f"every chart drew (canvas pixels inked); blank: {blank}")
report(h["verdict"] == "passed", f"verdict {h['verdict']!r}")
c = h["caveats"] or ""
report("(worker-3) was lost" in c and "(worker-2)" in c and "own delay" in c,
       f"the warnings box names the lost worker and the stall: {c[:300]!r}")
report("lost" in (h["workers"] or "") and "stall" in (h["workers"] or ""), "the workers table shows lost and stall")
report("missing" in (h["events"] or "") and "back" in (h["events"] or ""), "the events table shows missing and back")
sys.exit(0 if ok else 1)
PY
    echo "screenshot: $artifacts/report-selfcheck.png"
else
    fail "the HTML report could not be checked: $(tail -n 5 "$work/html.err")"
fi
finish
