#!/usr/bin/env bash
# TARGET changes are followed at the spawn rate: up to 20 users at 10/s,
# down to 4 at 4/s, then to 0 at once. Users are read from the snapshots.
# The checks are rate bounds (never faster than the spawn rate) plus
# "reached the target before the next change": a loaded machine can only
# delay snapshots, which never breaks a bound.
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --deadline 60 --timeline "$work/timeline" \
    --script "users=20@10,sleep=4,users=4@4,sleep=6,users=0@1000,sleep=2.5,stop=2000,quit" \
    "$target_url/delay?ms=5"
start_worker --threads 2
wait "$master_pid" || fail "scripted master did not get every FINAL"
tr '\n' ' ' <"$work/timeline"; echo
python3 - "$work/timeline" <<'PY' || fail "ramp does not follow the spawn rate"
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
def at(lo, hi):  # users reported by snapshots between lo and hi ms
    return [u for t, u in rows if lo <= t < hi]
errors = []
for t, u in rows:
    # Up at 10/s: never more than rate * t plus one started at once per thread.
    if t < 4000 and u > 10 * t / 1000 + 3:
        errors.append(f"{u} users at {t} ms: faster than 10/s")
    # Down at 4/s from 20: never fewer than that allows (before the 0 target).
    if 4000 <= t < 9800 and u < 20 - 4 * (t - 4000) / 1000 - 3:
        errors.append(f"{u} users at {t} ms: retired faster than 4/s")
if 20 not in at(1500, 4300):
    errors.append("never reached 20 users before the ramp down")
if not any(4 < u < 20 for u in at(4300, 10000)):
    errors.append("no gradual ramp down")
if 4 not in at(7000, 10300):
    errors.append("never came down to 4 users")
if 0 not in at(10300, 14000):
    errors.append("did not drop to 0 users")
print("\n".join(errors) or "ramp ok")
sys.exit(1 if errors else 0)
PY
check "snapshots kept coming (one a second)" [ "$(wc -l <"$work/timeline")" -ge 9 ]
finish
