#!/usr/bin/env bash
# Load shapes end to end: a scenario file's stages (a ramp at a spawn rate,
# per-class users, a step at once) with 2 workers. After each ramp settles
# the history's User Count is the plan's within one user, it never exceeds
# the plan's peak by more than one, the run lasts as long as its stages
# (no -t), and the CSV counts every request the target received. Then
# --stages on the command line replaces the file's stages.
. "$(dirname "$0")/master_lib.sh"

start_target
cat >"$work/shape.yaml" <<YAML
host: $target_url
users:
  - {name: a, weight: 2, wait: {constant: 50ms}, tasks: [{get: /}]}
  - {name: b, wait: {constant: 50ms}, tasks: [{get: /json}]}
load:
  stages:
    - {duration: 4s, users: 6, spawn_rate: 6}         # 0-1 s ramp, hold 6
    - {duration: 4s, users: {a: 1, b: 2}, spawn_rate: 100}   # 3 at once
    - {duration: 4s, users: 9, spawn_rate: 100}        # 9 at once
YAML

echo "== --check shows the stages"
"$HORNET_MASTER" -f "$work/shape.yaml" --check >"$work/check.out" 2>&1
check "--check exits 0" [ $? = 0 ]
check "--check lists the per-class stage" grep -q "4s: a 1, b 2 at 100 users/s" "$work/check.out"
check "--check gives the run time of the stages" grep -q "run time: 12s (the stages)" "$work/check.out"

echo "== the stages, 2 workers"
start_hmaster -f "$work/shape.yaml" --local-workers 2 --worker-threads 1 --csv "$work/s" --only-summary
wait_master 60
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the run stopped at the end of its stages" grep -q "run time reached" "$work/master.err"
target_stats >"$work/target.json"
check_csv "$work/s" "$work/target.json"
# The plan against the history: the start time is in the log line that
# began the ramp; a history row stamped T (whole seconds) was written in
# [T, T+1), so it is judged only when all of that second lies where the
# plan holds still (1.5 s after a stage began, to its end). The final row,
# written once the run has stopped, is left out.
out=$("$PY" - "$work/master.err" "$work/s_stats_history.csv" <<'PY'
import csv, datetime, re, sys
start = None
for line in open(sys.argv[1]):
    m = re.match(r"(\S+Z) hornet-master info: \d+ workers joined: 3 stages", line)
    if m:
        start = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
if start is None:
    print("FAIL: no start line in the master log"); sys.exit()
plan = [(0, 4, 6), (4, 8, 3), (8, 12, 9)]
rows = [r for r in csv.DictReader(open(sys.argv[2], newline="")) if r["Name"] == "Aggregated"]
rows = rows[:-1]  # the last row is written at the end, after the stop (0 users)
judged = {0: 0, 1: 0, 2: 0}
bad, peak = [], 0
for r in rows:
    t0 = int(r["Timestamp"]) - start
    users = int(r["User Count"])
    peak = max(peak, users)
    for i, (b, e, want) in enumerate(plan):
        if b + 1.5 <= t0 and t0 + 1 <= e:
            judged[i] += 1
            if abs(users - want) > 1:
                bad.append((round(t0, 1), users, want))
ok = all(judged.values())
print(("ok" if ok else "FAIL") + f": every stage has a settled second in the history {judged}")
print(("ok" if not bad else "FAIL") + f": User Count within one of the plan when settled {bad or ''}")
print(("ok" if peak <= 10 else "FAIL") + f": User Count never above the peak of 9 plus one ({peak})")
PY
)
echo "$out"
failures=$((failures + $(grep -c '^FAIL' <<<"$out" || true)))

echo "== --stages replaces the file's stages"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
start_hmaster -f "$work/shape.yaml" --stages 2s:4:100,2s:2:100 --local-workers 1 --csv "$work/c" --only-summary
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "the command line's 2 stages ran" grep -q "workers joined: 2 stages over 4s, at most 4 users" "$work/master.err"
target_stats >"$work/target2.json"
check_csv "$work/c" "$work/target2.json"

# A class whose users do not change keeps them where they run while another
# class's change: before, b's 3 users moved between the 2 workers each time
# a went 1 -> 2 -> 1 (stopped on one, started on the other), ran on_start
# again and took new unique rows until the 3 rows ran out (exit 1).
echo "== per-class stages, 2 workers: the unchanged class's users stay put"
curl -s --max-time 5 -X POST "$target_url/__reset" >/dev/null
printf 'email\nu1@x\nu2@x\nu3@x\n' >"$work/three.csv"
cat >"$work/churn.yaml" <<YAML
host: $target_url
data:
  acc: {csv: three.csv, order: unique}
users:
  - {name: a, wait: {constant: 100ms}, tasks: [{get: /}]}
  - name: b
    wait: {constant: 100ms}
    on_start: [{get: "/echo/start-{{acc.email}}", name: b-start}]
    tasks: [{get: /json}]
load:
  stages:
    - {duration: 1s, users: {a: 1, b: 3}, spawn_rate: 100}
    - {duration: 1s, users: {a: 2, b: 3}, spawn_rate: 100}
    - {duration: 1s, users: {a: 1, b: 3}, spawn_rate: 100}
    - {duration: 1s, users: {a: 2, b: 3}, spawn_rate: 100}
    - {duration: 1s, users: {a: 1, b: 3}, spawn_rate: 100}
YAML
start_hmaster -f "$work/churn.yaml" --local-workers 2 --worker-threads 1 --csv "$work/ch" --only-summary
wait_master 40
check "master exits 0 (got $master_rc)" [ "$master_rc" = 0 ]
check "no data row ran out" bash -c "! grep -q exhausted '$work/master.err'"
target_stats >"$work/target3.json"
check "b's on_start ran once per user: 3 times, one row each" "$PY" - "$work/target3.json" <<'PY'
import json, sys
paths = json.load(open(sys.argv[1]))["paths"]
starts = {p: n for p, n in paths.items() if p.startswith("/echo/start-")}
assert starts == {"/echo/start-u%d@x" % i: 1 for i in (1, 2, 3)}, starts
PY
check "the CSV counts them as b-start" \
    bash -c "grep -q '^GET,b-start,3,0,' '$work/ch_stats.csv'"
finish
