#!/usr/bin/env bash
# The master killed (-9) mid-run: its 2 separately started workers stop all
# load by themselves within 10 s of silence (checked on their 1 s tick):
# the target's own counter stops growing, and the workers stay up, waiting
# for a master.
. "$(dirname "$0")/master_lib.sh"

start_target
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 20s -u 20 -r 20 -t 60s \
    --only-summary "/delay?ms=10" /
start_worker --threads 1; w1=$worker_pid
start_worker --threads 1; w2=$worker_pid
wait_log "workers joined: ramping" 15 || fail "the run did not start"
sleep 3
kill_at=$(date +%s.%N)
kill -KILL "$hmaster_pid"
a=$(target_total); sleep 1; b=$(target_total)
check "load flows right after the master died ($a -> $b)" [ "$b" -gt "$a" ]
# Sample the target's counter every 0.5 s until 14 s after the kill; the
# last growth must come within 10 s + 1 s tick (+1 s for sampling on a busy
# machine).
python3 - "$target_url/__stats" "$kill_at" <<'PY' || fail "workers kept loading the target"
import json, sys, time, urllib.request
def total():
    return json.load(urllib.request.urlopen(sys.argv[1], timeout=5))["total"]
kill_at = float(sys.argv[2])
last_growth, prev = 0.0, total()
while time.time() - kill_at < 14.0:
    time.sleep(0.5)
    now = total()
    if now != prev:
        last_growth = time.time() - kill_at
    prev = now
print(f"the target's counter last grew {last_growth:.1f} s after the master was killed")
sys.exit(0 if last_growth <= 12.0 else 1)
PY
c=$(target_total); sleep 1; d=$(target_total)
check "no request 15-16 s after the master died ($c -> $d)" [ "$c" = "$d" ]
check "the workers say why they stopped" \
    [ "$(grep -c "no word from the master .* stopping all load" "$work/worker.err")" = 2 ]
check "worker 1 stays up, waiting for a master" kill -0 "$w1"
check "worker 2 stays up, waiting for a master" kill -0 "$w2"
finish
