#!/usr/bin/env bash
# Load shapes end to end: a scenario file's stages (a ramp at a spawn rate,
# per-class users, a step at once) with 2 workers. The history's User Count
# reaches each stage's users in turn (6, then 3, then 9), never exceeds the
# plan's peak by more than one, the run lasts as long as its stages
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
check "... and not before their 12 s, by the master's log" "$PY" - "$work/master.err" <<'PY'
import datetime, re, sys
at = {}
for line in open(sys.argv[1]):
    for what in ("workers joined: 3 stages", "run time reached"):
        m = re.match(r"(\S+)Z hornet-master info: .*" + what, line)
        if m and what not in at:
            at[what] = datetime.datetime.fromisoformat(m[1])
took = (at["run time reached"] - at["workers joined: 3 stages"]).total_seconds()
print(f"from the start to the stop: {took:.3f} s")
sys.exit(not took >= 11.9)
PY
target_stats >"$work/target.json"
check_csv "$work/s" "$work/target.json"
# The plan against the history: each stage's users, in turn, as the
# workers reported them. Not which second: a User Count is what the
# workers' last snapshots said, and on a loaded machine (a TARGET late,
# snapshots a second apart) a row can still show the ramp a second or two
# after the plan settled. The final row, written once the run has stopped
# (0 users), is left out.
out=$("$PY" - "$work/s_stats_history.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["Name"] == "Aggregated"]
users = [int(r["User Count"]) for r in rows[:-1]]
seen = [u for k, u in enumerate(users) if k == 0 or u != users[k - 1]]
left = iter(seen)
reached = all(any(u == want for u in left) for want in (6, 3, 9))  # in this order
print(("ok" if reached else "FAIL") + f": User Count reaches 6, then 3, then 9 ({seen})")
print(("ok" if max(users, default=0) <= 10 else "FAIL") +
      f": User Count never above the peak of 9 plus one ({max(users, default=0)})")
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
