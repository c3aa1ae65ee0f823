#!/usr/bin/env bash
# The open model end to end. A constant rate for a fixed time: each worker
# paces its share from when it gets its TARGET to the run's end, and says
# so at the end (its log: "open model: paced ..."); what it scheduled in
# that window is the rate times it within one iteration, it started or
# dropped every one, the request count is what the workers started (so a
# worker that starts late on a busy machine runs fewer, and says why, and
# no wall-clock bound on the count is needed), and never more than the
# run's time holds; with 1 worker and with 3, every request counted
# exactly, and the dropped ones as the workers dropped them (how many a
# machine drops at 1,000/s is its capacity, not a behaviour: none on an
# idle one, half under ASan at a load average of 15); iterations still
# waiting for a user at the end are dropped, and counted; an entry that
# paced and unpaced users share shows service times only. Then the
# coordinated omission demonstration: the server freezes for 1 s in the
# middle of a paced run with few users; the latency from the intended start
# shows the freeze (hundreds of ms at p99) where the service time does
# not, and that is what the reports show unless --latency service asks
# otherwise.
. "$(dirname "$0")/master_lib.sh"

# Two targets: runs that do not disturb each other go side by side, each on
# its own target where a check compares counts with the target's.
start_target
target2_url=$target_url
start_target

# side_master NAME ARGS...: a hornet-master beside the one start_hmaster
# started, its log in $work/NAME.err; sets side_pid.
side_master() {
    local name=$1
    shift
    "$HORNET_MASTER" --bind 'tcp://127.0.0.1:*' "$@" >"$work/$name.out" 2>"$work/$name.err" &
    side_pid=$!
    pids+=("$side_pid")
}

# side_worker NAME: a hornet-worker (one engine thread) for side master
# NAME (started with --expect-workers), its log in $work/NAME_worker.err.
side_worker() {
    local ep
    wait_grep "$work/$1.err" "waiting for 1 worker on tcp:" 20 || fail "master $1 did not start"
    ep=$(sed -n 's/.* waiting for 1 worker on \(tcp:[^ ]*\).*/\1/p' "$work/$1.err")
    "$HORNET_WORKER" --master "$ep" --threads 1 2>"$work/$1_worker.err" &
    pids+=($!)
}

# Aggregated column $2 of PREFIX_stats.csv $1.
agg() {
    "$PY" -c "import csv,sys; r=[r for r in csv.DictReader(open(sys.argv[1], newline='')) if r['Name']=='Aggregated'][0]; print(r[sys.argv[2]])" \
        "$1_stats.csv" "$2"
}

# Iterations: never more than the schedule allows ($2, within 5 % and 10:
# the stop reaches a worker a little after the master's clock says). How
# many fewer is the workers' to say (paced below): a worker paces from when
# it gets its TARGET, so one that starts late runs fewer (2,018 of 5,000 at
# a load average of 15, none dropped); tests/bench/rate.sh measures the
# accuracy itself (120,000 of 120,000 at 2,000/s for 60 s).
at_most() {
    "$PY" -c "import sys; n, want = int(sys.argv[1]), float(sys.argv[2]); sys.exit(not n <= 1.05 * want + 10)" "$1" "$2"
}

# The workers' end-of-run line, its groups: window, rate, due, asked,
# started, dropped.
export PACED_LINE='open model: paced ([0-9.]+) s from the first TARGET at ([0-9.e+]+)/s on average: ([0-9]+) iterations due \(([0-9.]+) asked\), ([0-9]+) started, ([0-9]+) dropped'

# paced LOG WORKERS RATE REQUESTS DROPPED: the end-of-run lines of WORKERS
# workers of one engine thread each in LOG ("open model: paced W s from
# the first TARGET at R/s on average: D iterations due (A asked), S
# started, X dropped") say that the rates they paced add up to RATE, that
# each scheduled the rate times its own window within one iteration (its
# phase), and started or dropped every one; and the master counted
# REQUESTS requests (one per iteration) and DROPPED dropped, as they did.
# No bound here depends on how fast the machine is.
paced() {
    "$PY" - "$@" <<'PY'
import os, re, sys
log, workers, rate, requests, dropped = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
line = re.compile(os.environ["PACED_LINE"])
text = open(log, errors="replace").read().splitlines()
rows = [m.groups() for m in map(line.search, text) if m]
print("workers' lines (window s, rate/s, due, asked, started, dropped):", rows)
for l in text:
    if " warn: " in l or " error: " in l:
        print("worker:", l)
ok = len(rows) == workers
rows = [(float(w), float(r), int(d), float(a), int(s), int(x)) for w, r, d, a, s, x in rows]
ok = ok and abs(sum(r for _, r, *_ in rows) - rate) <= 1e-3 * rate
for w, r, d, a, s, x in rows:
    ok = ok and w > 0 and abs(d - a) <= 1.05 and s + x == d  # 0.05: "asked" is rounded
ok = ok and sum(s for *_, s, _ in rows) == requests and sum(x for *_, x in rows) == dropped
sys.exit(not ok)
PY
}
for workers in 1 3; do
    echo "== 1,000 iterations/s for 5 s over $workers worker(s)"
    curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
    # Workers of their own, not --local-workers: their log (at info) is
    # where they say what they paced.
    start_hmaster -H "$target_url" --rate 1000/s -t 5s --expect-workers "$workers" \
        --csv "$work/r$workers" --only-summary /
    : >"$work/worker.err"
    for _ in $(seq "$workers"); do start_worker --threads 1; done
    wait_master 60
    check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
    check "the open model ran" grep -q "workers joined: open model, 1000/s iterations" "$work/master.err"
    target_stats >"$work/target$workers.json"
    check_csv "$work/r$workers" "$work/target$workers.json"
    n=$(agg "$work/r$workers" "Request Count")
    check "5,000 iterations: at most 5 % more (got $n)" at_most "$n" 5000
    check "iterations ran (got $n)" [ "${n:-0}" -gt 0 ]
    dropped=$(sed -n 's/^Dropped iterations: \([0-9]*\).*/\1/p' "$work/master.out" "$work/master.err")
    echo "dropped: ${dropped:-none}"
    check "each worker ran what it scheduled in its own window: the rate times it" \
        paced "$work/worker.err" "$workers" 1000 "$n" "${dropped:-0}"
    check "the default max users is headroom, not a shortfall" \
        bash -c "! grep -q 'cannot hold the requested load' '$work/master.err'"
    check "the summary says the latency is from the intended start" \
        grep -q "latencies from the intended start" "$work/master.err"
done

# A STOP that comes late must not lengthen the schedule: the TARGET tells
# the worker when the run ends (ends_in_ms). The master is frozen from ~1 s
# into a 3 s run until 4 s, so its STOP comes ~1 s late; without that, the
# worker went on to ~800-1,000 iterations.
echo "== the master freezes over the run's end: no more iterations than its time holds"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -H "$target_url" --rate 200/s -t 3s --expect-workers 1 \
    --csv "$work/frozen" --only-summary /
: >"$work/worker.err"
start_worker --threads 1
wait_log "workers joined: open model" 30 || fail "the run did not start"
sleep 1
kill -STOP "$hmaster_pid"
sleep 3
kill -CONT "$hmaster_pid"
wait_master 60
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the freeze came before the run's end (the master says it stalled)" \
    grep -q "the master itself stalled" "$work/master.err"
n=$(agg "$work/frozen" "Request Count")
check "600 iterations though the STOP came late: at most 5 % more (got $n)" at_most "$n" 600
dropped=$(sed -n 's/^Dropped iterations: \([0-9]*\).*/\1/p' "$work/master.out" "$work/master.err")
check "the worker ran what it scheduled in its own window (to the end the TARGET set)" \
    paced "$work/worker.err" 1 200 "$n" "${dropped:-0}"

# Three runs side by side: the classes' on the first target (its counts are
# checked against the target's), the dropped iterations' and the mixed
# entry's on the second (they check only the master's own numbers).
echo "== classes share iterations by weight, even with fewer users than weight"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
cat >"$work/classes.yaml" <<YAML
host: $target_url
users:
  - {name: a, weight: 3, tasks: [{get: /}]}
  - {name: b, weight: 1, tasks: [{get: /json}]}
arrival: {rate: 200/s, max_users: 2}
YAML
# Workers of their own, as above: their log says what each paced.
start_hmaster -f "$work/classes.yaml" -t 4s --expect-workers 2 --csv "$work/c" --only-summary
: >"$work/worker.err"
start_worker --threads 1
start_worker --threads 1

# 2 users of 100 ms requests run 20 iterations a second of the 50 asked
# for; max_delay is longer than the run, so only the end drops them.
side_master q -H "$target2_url" --rate 50/s --max-users 2 --max-delay 60s -t 4s \
    --expect-workers 1 --threshold "dropped < 1" --csv "$work/q" --only-summary "/delay?ms=100"
q_pid=$side_pid
side_worker q

# Per second, whether all of x's requests had an intended start decided
# which kind x showed: its histogram mixed both (20 of 23 in an audit).
cat >"$work/mixed.yaml" <<YAML
host: $target2_url
users:
  - name: paced
    wait: {pacing: 200ms}
    on_start: [{get: /, name: y}]
    tasks: [{get: /, name: x}]
  - name: casual
    wait: {constant: 300ms}
    tasks: [{get: /, name: x}]
YAML
side_master mixed -f "$work/mixed.yaml" --local-workers 1 --worker-threads 1 -u 2 -r 2 -t 3s \
    --json "$work/mixed.json" --only-summary
mixed_pid=$side_pid

wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
target_stats >"$work/target_c.json"
check_csv "$work/c" "$work/target_c.json"
# The master splits the rate by weight (150/s for a, 50/s for b) and each
# class's to the workers holding its users: here one user each, so one
# worker paces a's 150/s and the other b's 50/s. However late a worker
# starts pacing (a shorter window) and however many it drops (too slow),
# it says what it paced, and the master's count of a class is what that
# class's worker started.
dropped=$(sed -n 's/^Dropped iterations: \([0-9]*\).*/\1/p' "$work/master.out" "$work/master.err")
check "3:1 by weight with 2 users over 2 workers: 150/s and 50/s, each class's requests its worker's" \
    "$PY" - "$work/worker.err" "$work/c_stats.csv" "${dropped:-0}" <<'PY'
import csv, os, re, sys
line = re.compile(os.environ["PACED_LINE"])
rows = sorted((float(m[2]), int(m[3]), int(m[5]), int(m[6]))
              for m in map(line.search, open(sys.argv[1], errors="replace")) if m)
counts = {r["Name"]: int(r["Request Count"]) for r in csv.DictReader(open(sys.argv[2], newline=""))}
print("workers (rate/s, due, started, dropped):", rows, "master:", counts, "dropped:", sys.argv[3])
ok = len(rows) == 2 and all(abs(r - want) <= 1e-3 * want for (r, *_), want in zip(rows, (50, 150)))
ok = ok and all(s + x == d for _, d, s, x in rows) and sum(x for *_, x in rows) == int(sys.argv[3])
ok = ok and [s for _, _, s, _ in rows] == [counts.get("/json", 0), counts.get("/", 0)]
sys.exit(not (ok and counts.get("/json", 0) > 0))
PY

echo "== iterations still waiting for a user when the run ends are dropped, not lost"
wait_pid "$q_pid" 60
check "a run that dropped iterations fails its 'dropped < 1' (exit $pid_rc)" [ "$pid_rc" = 1 ]
dropped=$(sed -n 's/.*✗ dropped < 1 .*observed \([0-9]*\).*/\1/p' "$work/q.err")
n=$(agg "$work/q" "Request Count")
check "iterations run ($n) and dropped (${dropped:-none}): at most the 200 asked for" \
    at_most "$((n + ${dropped:-0}))" 200
check "the worker ran or dropped what it scheduled in its own window" \
    paced "$work/q_worker.err" 1 50 "$n" "${dropped:-0}"
# Its users start what waits until the STOP comes, which on a busy machine
# is after the paced window: the time from joining to stopping bounds it.
check "... and dropped what its 2 users could not start (one each per 100 ms at most)" \
    "$PY" - "$work/q_worker.err" <<'PY'
import os, re, sys
from datetime import datetime
log = open(sys.argv[1]).read()
m = re.search(os.environ["PACED_LINE"], log)
due, started = int(m[3]), int(m[5])
at = lambda what: datetime.fromisoformat(re.search(r"^(\S+)Z .*" + what, log, re.M)[1])
t = (at("stopped: final snapshot sent") - at("joined master")).total_seconds()
print(f"due {due}, started {started}, {t:.3f} s from joining to stopping")
sys.exit(not (due - started > 0 and started <= 2 * (t / 0.1 + 1)))
PY

echo "== an entry that paced and unpaced users share shows one kind of time"
wait_pid "$mixed_pid" 60
check "master exits 0 (got $pid_rc)" [ "$pid_rc" = 0 ]
check "x (both classes) has service times only, y (paced only) its intended start" \
    "$PY" - "$work/mixed.json" <<'PY'
import json, sys
e = {x["name"]: x for x in json.load(open(sys.argv[1]))["entries"]}
print({n: (e[n]["requests"], (e[n]["intended_latency_us"] or {}).get("count")) for n in e})
sys.exit(not (e["x"]["requests"] > 2 and e["x"]["intended_latency_us"] is None
              and e["y"]["intended_latency_us"]["count"] == 1))
PY
check "the JSON says only some entries show the intended start (run.latency mixed)" \
    "$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["run"]["latency"] != "mixed")' \
    "$work/mixed.json"
check "and so does the console" grep -q "from the intended start for 1 of 2 entries" "$work/mixed.err"
check "the JSON's config names the scenario's host" \
    "$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["run"]["config"]["host"] != sys.argv[2])' \
    "$work/mixed.json" "$target2_url"

# The two runs side by side, each on its own target; both targets freeze
# at once, 2 s after both runs started.
echo "== a 1 s server freeze at 100 iterations/s with at most 2 users"
declare -A f_url=([auto]=$target_url [service]=$target2_url) f_pid
for latency in auto service; do
    curl -s --max-time 5 -X POST "${f_url[$latency]}/__reset" >/dev/null
    side_master "f_$latency" -H "${f_url[$latency]}" --rate 100/s --max-users 2 --max-delay 5s -t 6s \
        --latency "$latency" --local-workers 1 --worker-threads 1 --csv "$work/f_$latency" \
        --only-summary /
    f_pid[$latency]=$side_pid
done
for latency in auto service; do
    wait_grep "$work/f_$latency.err" "workers joined" 20 || fail "the $latency run did not start"
done
sleep 2
for latency in auto service; do
    curl -s --max-time 5 -X POST "${f_url[$latency]}/__stall?ms=1000" >/dev/null
done
for latency in auto service; do
    wait_pid "${f_pid[$latency]}" 40
    check "$latency: master exits 0 (got $pid_rc)" [ "$pid_rc" = 0 ]
    target_url=${f_url[$latency]} target_stats >"$work/target_f_$latency.json"
    check_csv "$work/f_$latency" "$work/target_f_$latency.json"
done
intended=$(agg "$work/f_auto" "99%")
service=$(agg "$work/f_service" "99%")
echo "p99 from the intended start: $intended ms; service time: $service ms"
check "the latency from the intended start shows the freeze (p99 $intended ms >= 500 ms)" \
    "$PY" -c "import sys; sys.exit(not float(sys.argv[1]) >= 500)" "$intended"
check "the service time hides it (p99 $service ms, under a quarter of $intended ms)" \
    "$PY" -c "import sys; sys.exit(not float(sys.argv[1]) * 4 < float(sys.argv[2]))" "$service" "$intended"
check "the service-time run says what it shows" grep -q "Response times are service times" "$work/f_service.err"
finish
