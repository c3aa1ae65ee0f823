# Shared helpers of the integration tests (sourced, not run). Each test
# starts real processes on 127.0.0.1, bounded in time, and stops them all.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../python.sh"

: "${HORNET_TARGET:?HORNET_TARGET must point to hornet-target}"
: "${HORNET_WORKER:?HORNET_WORKER must point to hornet-worker}"
: "${SCRIPTED_MASTER:?SCRIPTED_MASTER must point to scripted-master}"

work=$(mktemp -d)
pids=()
failures=0
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

failed_checks=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); failed_checks+=("$*"); }
pass() { echo "ok: $*"; }
check() { # description, then a command that must succeed
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# A TCP port on 127.0.0.1 that is free now (the caller binds it right away).
# Taken below the kernel's ephemeral range (ip_local_port_range starts at
# 32768): a port the kernel handed out for bind(0) can be handed out again at
# once as the source port of an outgoing connection, and load tests make many.
free_port() {
    "$PY" - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
}

# Start hornet-target on a free port; sets target_url.
start_target() {
    # Create the files first: the loop below may read before the background
    # process has opened its redirections.
    : >"$work/target.out"
    : >"$work/target.err"
    "$HORNET_TARGET" --listen 127.0.0.1:0 --threads 2 >"$work/target.out" 2>"$work/target.err" &
    pids+=($!)
    for _ in $(seq 100); do
        target_url=$(sed -n 's/^hornet-target listening on //p' "$work/target.out")
        [ -n "$target_url" ] && return 0
        sleep 0.05
    done
    echo "hornet-target did not start"; cat "$work/target.err"; exit 1
}

# Start the scripted master (args passed through); sets master_ep, master_pid.
start_master() {
    : >"$work/master.json"
    : >"$work/master.err"
    "$SCRIPTED_MASTER" --bind 'tcp://127.0.0.1:*' "$@" >"$work/master.json" 2>"$work/master.err" &
    master_pid=$!
    pids+=($master_pid)
    for _ in $(seq 100); do
        master_ep=$(sed -n 's/^scripted-master: listening on //p' "$work/master.err")
        [ -n "$master_ep" ] && return 0
        sleep 0.05
    done
    echo "scripted-master did not start"; cat "$work/master.err"; exit 1
}

start_worker() { # extra worker flags
    "$HORNET_WORKER" --master "$master_ep" "$@" 2>>"$work/worker.err" &
    worker_pid=$!
    pids+=($worker_pid)
}

target_total() {
    curl -s --max-time 5 "$target_url/__stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}

# Value of a JSON path expression on the master's summary, e.g. '["requests"]'.
summary() {
    "$PY" -c "import json,sys; d=json.load(open('$work/master.json')); print(d$1)"
}

# Wait up to $3 seconds for a line matching the regex $2 in file $1.
wait_grep() {
    local deadline=$((SECONDS + $3))
    until grep -q -- "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Wait up to $1 seconds for the target's counter to stop growing: the same
# count over 2 s. Prints the count; fails if it keeps growing.
wait_target_quiet() {
    local deadline=$((SECONDS + $1)) a b
    a=$(target_total)
    while [ $SECONDS -lt $deadline ]; do
        sleep 2
        b=$(target_total)
        if [ "$a" = "$b" ]; then echo "$b"; return 0; fi
        a=$b
    done
    echo "$a"
    return 1
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "--- worker log"; tail -n 30 "$work/worker.err" 2>/dev/null || true
        echo "--- master log"; tail -n 10 "$work/master.err" 2>/dev/null || true
        # Last, so that a log cut to its tail still says what failed.
        echo "--- $failures check(s) failed:"
        printf 'FAIL: %s\n' "${failed_checks[@]}"
        exit 1
    fi
    exit 0
}
