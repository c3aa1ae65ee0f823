#!/usr/bin/env bash
# Thresholds end to end, judged on the statistics merged from 2 workers:
# a run whose thresholds hold exits 0, one whose threshold fails exits 1
# (and says which, with what it observed), and one whose abort_on_fail
# threshold fails stops long before its run time, exits 1, says why, and
# still writes reports that count every request the target received.
. "$(dirname "$0")/master_lib.sh"

start_target

# The CSV's Aggregated Request Count equals the target's count.
counts_exact() {
    target_stats >"$work/t.json"
    "$PY" - "$1_stats.csv" "$work/t.json" <<'PY'
import csv, json, sys
agg = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["Name"] == "Aggregated"][0]
n, want = int(agg["Request Count"]), json.load(open(sys.argv[2]))["total"]
print(f"CSV {n}, target {want}")
sys.exit(not (n == want and n > 0))
PY
}

echo "== thresholds that hold: exit 0"
start_hmaster -H "$target_url" -u 4 -r 4 -t 3s --local-workers 2 --worker-threads 1 \
    --threshold "error_rate < 1%" --threshold "p(99) < 10s" --threshold "rps > 1" \
    --threshold "GET /json: max < 10s" --csv "$work/p" --only-summary / /json
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "every threshold is shown passed" [ "$(grep -c '^  ✓ ' "$work/master.err")" = 4 ]
check "4 of 4 thresholds passed" grep -q "4 of 4 thresholds passed" "$work/master.err"
check "reports count every request" counts_exact "$work/p"

echo "== a threshold that fails: exit 1, named with what it saw"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" -u 4 -r 4 -t 3s --local-workers 2 --worker-threads 1 \
    --threshold "error_rate < 1%" --threshold "p(50) < 1us" --csv "$work/f" --only-summary /
wait_master 40
check "master exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
check "the failed threshold is named with its observed value" \
    grep -q "^  ✗ p(50) < 1us .*observed [0-9.]* ms" "$work/master.err"
check "the run is said to fail" grep -q "1 of 2 thresholds passed: the run FAILS" "$work/master.err"
check "reports count every request" counts_exact "$work/f"

echo "== a threshold on a request the scenario does not make: a warning, then it fails"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" -u 2 -r 2 -t 2s --local-workers 1 --worker-threads 1 \
    --threshold "POST /: p(95) < 10s" --only-summary /
wait_master 40
check "master exits 1 (got $master_rc)" [ "$master_rc" = 1 ]
check "it was said before the run, with the request there is" \
    grep -q "threshold 'POST /: p(95) < 10s': no request is named 'POST /' in this scenario (there is GET /)" "$work/master.err"
check "the threshold fails with no data" grep -q "^  ✗ POST /: p(95) < 10s .*no data" "$work/master.err"

echo "== abort_on_fail: the run stops early, exit 1, reports complete"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
cat >"$work/abort.yaml" <<YAML
host: $target_url
users:
  - wait: {constant: 20ms}
    tasks:
      - get: /
      - get: /status/500
thresholds:
  - "p(99) < 10s"
  - {expr: "rps > 1", abort_on_fail: true}   # nothing measured in the first second is no data
  - "GET /status/500: error_rate < 1%"
  - {expr: "error_rate < 10%", abort_on_fail: true, delay: 1s}   # about half fail
YAML
started=$SECONDS
start_hmaster -f "$work/abort.yaml" -u 4 -r 4 -t 60s --local-workers 2 --worker-threads 1 \
    --exit-code-on-error 0 --csv "$work/a" --json "$work/a.json" --junit "$work/a.xml" \
    --only-summary
wait_master 50
check "master exits 1 (got $master_rc): the threshold, not the request failures" [ "$master_rc" = 1 ]
check "it stopped long before its 60 s ($((SECONDS - started)) s)" [ "$master_rc" != 124 ]
check "the log says which threshold aborted the run" \
    grep -Eq "threshold 'error_rate < 10%' failed \(observed [0-9.]+ %\), and it aborts the run" \
    "$work/master.err"
check "the summary says the run was aborted" grep -q "The run did not complete: threshold" "$work/master.err"
check "... and shows the threshold that did it failed" \
    grep -Eq "^  ✗ error_rate < 10% .*observed [0-9.]+ %" "$work/master.err"
check "... and the entry-scoped one failed, with its entry's error rate" \
    grep -q "^  ✗ GET /status/500: error_rate < 1% .*observed 100.000 %" "$work/master.err"
check "reports count every request" counts_exact "$work/a"
# The aborting threshold shows its value over the whole run (the totals'),
# not the one it had when it fired a few seconds earlier, and stays failed.
check "the JSON report shows the aborting threshold failed, with the run's error rate" \
    "$PY" - "$work/a.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
th = {t["expression"]: t for t in doc["thresholds"]}["error_rate < 10%"]
ratio = doc["totals"]["failure_ratio"]
print(f"observed {th['observed']}, pass {th['pass']}, totals.failure_ratio {ratio}")
sys.exit(not (th["pass"] is False and th["observed"] == ratio and 0 < ratio < 1))
PY
check "the failures report has the 500s" grep -q "HTTP 500" "$work/a_failures.csv"
# Failed requests pass with --exit-code-on-error 0: the JUnit fails the
# run and the thresholds, not the entry (a CI server would fail the build
# for them).
check "JUnit: /status/500's case passes, saying its failures were allowed" \
    "$PY" - "$work/a.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).iter("testcase")}
c = cases["GET /status/500"]
out = c.findtext("system-out") or ""
print(f"failure: {c.find('failure') is not None}, system-out: {out.splitlines()[0] if out else ''}")
sys.exit(c.find("failure") is not None or "allowed by --exit-code-on-error 0" not in out
         or cases["run"].find("failure") is None)
PY
finish
