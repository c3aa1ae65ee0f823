#!/usr/bin/env bash
# A worker whose master goes silent stops all load by itself within 10 s:
# the target's counter stops growing.
. "$(dirname "$0")/lib.sh"

start_target
start_master --workers 1 --deadline 40 --script "users=20@0,sleep=2,silence,sleep=20" \
    "$target_url/delay?ms=5"
start_worker --threads 1
sleep 2.5 # the master goes silent at ~2 s (after the worker joined)
a=$(target_total); sleep 1; b=$(target_total)
check "load flows before the silence ($a -> $b)" [ "$b" -gt "$a" ]
sleep 11 # silence + 10 s + margin
c=$(target_total); sleep 2; d=$(target_total)
check "no request 12-14 s after the master went silent ($c -> $d)" [ "$c" = "$d" ]
check "the worker says why it stopped" grep -q "stopping all load" "$work/worker.err"
check "the worker is still alive, waiting for a master" kill -0 "$worker_pid"
finish
