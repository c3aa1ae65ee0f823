#!/usr/bin/env bash
# A master that cannot keep up says so and fails the run (exit 3) instead of
# exiting 0 with data missing. master-scale (tests/bench) connects 600
# simulated workers and, once the run began, lets the master run only 2 %
# of each half second (SIGSTOP/SIGCONT): a quarter of what reading 600
# snapshots and heartbeats a second takes on a 2-core VM. The receive
# backlog grows past 10 s; the master names it, stops the run and exits 3.
# Its stalls are its own: no worker is marked missing for them.
. "$(dirname "$0")/master_lib.sh"
: "${MASTER_SCALE:?MASTER_SCALE must point to master-scale}"

if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 2048 ]; then
    echo "SKIP: open-file hard limit $(ulimit -Hn) is too low for 600 simulated workers"
    exit 77
fi
echo "== 600 simulated workers, the master throttled to 2 % of the time"
"$MASTER_SCALE" --master "$HORNET_MASTER" -n 600 -t 60 -w 1 --throttle 0.02 --keep "$work/s" \
    >"$work/scale.out" 2>&1 || true
cat "$work/scale.out"
code=$(sed -n 's/^  master: exit \([0-9]*\),.*/\1/p' "$work/scale.out")
check "the master exits 3 (got ${code:-none})" [ "${code:-}" = 3 ]
check "it says it cannot keep up" grep -q "the master cannot keep up with its 600 workers" \
    "$work/s/master.log"
check "and that the run fails because it fell behind" \
    grep -q "the master fell behind its workers: results may be incomplete, the run fails" \
    "$work/s/master.log"
check "no worker marked missing for the master's own stalls" \
    bash -c "! grep -q 'marked missing' '$work/s/master.log'"
check "the run stopped well before its 60 s (at the backlog limit)" \
    bash -c "! grep -q 'run time reached' '$work/s/master.log'"
finish
