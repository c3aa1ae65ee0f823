#!/usr/bin/env bash
# TARGET changes are followed at the spawn rate: up to 20 users at 10/s,
# down to 4 at 8/s, then to 0 at once. Users are read from the snapshots.
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --deadline 60 --timeline "$work/timeline" \
    --script "users=20@10,sleep=4.2,users=4@8,sleep=3.2,users=0@1000,sleep=2.2,stop=2000,quit" \
    "$target_url/delay?ms=5"
start_worker --threads 2
wait "$master_pid" || fail "scripted master did not get every FINAL"
cat "$work/timeline"
python3 - "$work/timeline" <<'PY' || fail "ramp does not follow the spawn rate"
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
def at(lo, hi):  # users reported by snapshots between lo and hi ms
    return [u for t, u in rows if lo <= t < hi]
errors = []
# Ramp up at 10/s: about 10 after 1 s, never above rate*t + 2 (one at once per thread).
for t, u in rows:
    if t < 2000 and u > 10 * t / 1000 + 2 + 1:
        errors.append(f"{u} users at {t} ms: faster than 10/s")
first = at(0, 1600)
if not first or not (4 <= first[0] <= 14):
    errors.append(f"first snapshot users {first[:1]}, expected about 10")
if 20 not in at(2500, 4300):
    errors.append("never reached 20 users")
# Down at 8/s from 20 to 4: an intermediate value, then 4.
mid = at(4400, 6300)
if not any(4 < u < 20 for u in mid):
    errors.append(f"no gradual ramp down: {mid}")
if 4 not in at(6300, 7500):
    errors.append("never came down to 4 users")
if at(8300, 9400)[-1:] != [0]:
    errors.append("did not drop to 0 users")
print("\n".join(errors) or "ramp ok")
sys.exit(1 if errors else 0)
PY
check "the timeline has a snapshot every second" [ "$(wc -l <"$work/timeline")" -ge 8 ]
finish
