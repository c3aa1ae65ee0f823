#!/usr/bin/env bash
# TARGET changes are followed at the spawn rate: up to 20 users at 10/s,
# down to 4 at 4/s, then to 0 at once. Users are read from the snapshots.
# The checks are rate bounds measured from when each TARGET was sent (never
# faster than the spawn rate), and the scripted master waits until each
# target is reached before it sends the next: a loaded machine can only
# make the test slower, never fail it.
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --deadline 90 --timeline "$work/timeline" \
    --script "users=20@10,await=20,users=4@4,await=4,users=0@1000,await=0,stop=2000,quit" \
    "$target_url/delay?ms=5"
start_worker --threads 2
wait "$master_pid" || fail "scripted master did not reach every target and get every FINAL"
tr '\n' ' ' <"$work/timeline"; echo
"$PY" - "$work/timeline" <<'PY' || fail "ramp does not follow the spawn rate"
import sys
targets, rows = [], []
for line in open(sys.argv[1]):
    f = line.split()
    if f[:2] == ["#", "target"]:
        targets.append(int(f[2]))
    elif f:
        rows.append((int(f[0]), int(f[1])))
t_up, t_down, t_zero = targets
errors = []
for t, u in rows:
    # Up at 10/s: never more than the rate allows since the TARGET was sent,
    # plus one started at once per thread and rounding.
    if t_up <= t < t_down and u > 10 * (t - t_up) / 1000 + 3:
        errors.append(f"{u} users {t - t_up} ms after 20@10/s: faster than 10/s")
    # Down at 4/s from 20: never fewer than that allows.
    if t_down <= t < t_zero and u < 20 - 4 * (t - t_down) / 1000 - 3:
        errors.append(f"{u} users {t - t_down} ms after 4@4/s: retired faster than 4/s")
if not any(u == 20 for t, u in rows if t_up <= t <= t_down):
    errors.append("never reached 20 users")
if not any(u == 4 for t, u in rows if t_down <= t <= t_zero):
    errors.append("never came down to 4 users")
if not any(u == 0 for t, u in rows if t >= t_zero):
    errors.append("did not drop to 0 users")
print("\n".join(errors) or "ramp ok")
sys.exit(1 if errors else 0)
PY
finish
