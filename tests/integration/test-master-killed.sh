#!/usr/bin/env bash
# The master killed (-9) mid-run: its 2 separately started workers stop all
# load by themselves after 10 s of silence and say so: the target's own
# counter stops growing, and the workers stay up, waiting for a master.
. "$(dirname "$0")/master_lib.sh"

start_target
start_hmaster -H "$target_url" --expect-workers 2 --expect-workers-max-wait 20s -u 20 -r 20 -t 60s \
    --only-summary "/delay?ms=10" /
start_worker --threads 1; w1=$worker_pid
start_worker --threads 1; w2=$worker_pid
wait_log "workers joined: ramping" 15 || fail "the run did not start"
sleep 3
kill -KILL "$hmaster_pid"
a=$(target_total); sleep 1; b=$(target_total)
check "load flows right after the master died ($a -> $b)" [ "$b" -gt "$a" ]
# Each worker stops all load after its silence timeout (10 s), and says so;
# then the target's counter stops growing and stays still.
for _ in $(seq 400); do
    [ "$(grep -c "no word from the master .* stopping all load" "$work/worker.err")" = 2 ] && break
    sleep 0.1
done
c=$(wait_target_quiet 30) || fail "workers kept loading the target"
sleep 2; d=$(target_total)
check "no request once the workers stopped ($c -> $d)" [ "$c" = "$d" ]
check "the workers say why they stopped" \
    [ "$(grep -c "no word from the master .* stopping all load" "$work/worker.err")" = 2 ]
check "worker 1 stays up, waiting for a master" kill -0 "$w1"
check "worker 2 stays up, waiting for a master" kill -0 "$w2"
finish
