#!/usr/bin/env bash
# README's one command, deploy/quickstart.sh, as a user runs it (with
# --no-install, on the build under test instead of a build of its own, a
# short run): it starts the demo target, runs the master with two local
# workers, lists the CSV reports, exits with the master's status and leaves
# nothing running; Ctrl-C lets the master write its reports and still stops
# the target; a taken PORT, an unknown option and --help say what they do.
set -euo pipefail
. "$(dirname "$0")/../python.sh"

: "${HORNET_BUILD_ROOT:?HORNET_BUILD_ROOT must point to the meson build directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
quickstart="$top/deploy/quickstart.sh"

work=$(mktemp -d)
holder=""
cleanup() {
    [ -z "$holder" ] || kill "$holder" 2>/dev/null || true
    # Whatever a failed check left running: the script's process group
    # (TERM first: the script then stops the target, in a session of its own).
    if [ -n "${qs_pid:-}" ] && kill -TERM -- "-$qs_pid" 2>/dev/null; then
        sleep 1
        kill -KILL -- "-$qs_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
failed_checks=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); failed_checks+=("$*"); }
pass() { echo "ok: $*"; }
check() {
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# The build under test, through a link: quickstart.sh writes its build log
# next to its build directory ("<dir>.build.log"), here in $work.
ln -s "$HORNET_BUILD_ROOT" "$work/build"

# Runs quickstart.sh in a session of its own (as a terminal would: Ctrl-C
# goes to its whole process group); sets qs_pid.
start_quickstart() { # output file, then the environment's overrides
    local out=$1; shift
    env BUILD_DIR="$work/build" LOCAL_WORKERS=2 USERS=10 SPAWN_RATE=10 PORT=0 "$@" \
        setsid "$quickstart" --no-install >"$out" 2>&1 </dev/null &
    qs_pid=$!
}
wait_quickstart() { # seconds; sets qs_rc
    local deadline=$((SECONDS + $1))
    while kill -0 "$qs_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$qs_pid" 2>/dev/null; then
        fail "quickstart.sh still runs after $1 s"
        kill -KILL -- "-$qs_pid" 2>/dev/null || true
    fi
    qs_rc=0
    wait "$qs_pid" || qs_rc=$?
}
target_port() { sed -n 's|.*hornet-target serves http://127.0.0.1:\([0-9]*\).*|\1|p' "$1" | head -n 1; }
nothing_listens_on() { ! ss -Htln "sport = :$1" | grep -q .; }
# Every name of the run in the stats CSV, with requests and no failure.
csv_ok() {
    "$PY" - "$1" <<'PY'
import csv, sys
rows = {r["Name"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
for name in ("/", "/json", "/api/products", "Aggregated"):
    r = rows[name]
    assert int(r["Request Count"]) > 0, r
    assert int(r["Failure Count"]) == 0, r
PY
}

echo "== a short run, as README says"
start_quickstart "$work/run.out" DURATION=3s REPORT="$work/report/run"
wait_quickstart 120
sed -n '/^quickstart:/p' "$work/run.out"
check "exit 0, the master's (got $qs_rc)" [ "$qs_rc" = 0 ]
check "it says so" grep -q "hornet-master exited with 0" "$work/run.out"
for kind in stats stats_history failures exceptions; do
    check "it lists the $kind report" grep -q "report: $work/report/run_$kind.csv" "$work/run.out"
done
check "the stats CSV counts every path, without failure" csv_ok "$work/report/run_stats.csv"
port=$(target_port "$work/run.out")
check "the target's port is printed" [ -n "$port" ]
check "the target is stopped (nothing listens on port ${port:-?})" nothing_listens_on "${port:-0}"
check "no process of the run is left" bash -c "! pgrep -s $qs_pid >/dev/null"

echo "== Ctrl-C during the run"
start_quickstart "$work/int.out" DURATION=60s REPORT="$work/int/run"
deadline=$((SECONDS + 60))
until grep -q "workers joined" "$work/int.out" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
check "the run started" grep -q "workers joined" "$work/int.out"
# Until the target has served each of the run's paths (the reports must
# name them all), however long the users take to start here.
port=$(target_port "$work/int.out")
served_all() {
    curl -s --max-time 5 "http://127.0.0.1:${port:-0}/__stats" | "$PY" -c \
        'import json, sys; p = json.load(sys.stdin)["paths"]; sys.exit(not all(p.get(x, 0) for x in ("/", "/json", "/api/products")))'
}
deadline=$((SECONDS + 30))
until served_all 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
kill -INT -- "-$qs_pid" 2>/dev/null || true
wait_quickstart 60
check "exit 1: Ctrl-C cut the run short (got $qs_rc)" [ "$qs_rc" = 1 ]
check "the master wrote its reports" csv_ok "$work/int/run_stats.csv"
check "and they are listed" grep -q "report: $work/int/run_stats.csv" "$work/int.out"
port=$(target_port "$work/int.out")
check "the target is stopped (port ${port:-?})" nothing_listens_on "${port:-0}"
check "no process of the run is left" bash -c "! pgrep -s $qs_pid >/dev/null"

echo "== a PORT that is taken"
"$PY" -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(120)' >"$work/holder.port" &
holder=$!
for _ in $(seq 50); do [ -s "$work/holder.port" ] && break; sleep 0.1; done
taken=$(cat "$work/holder.port")
qs_rc=0
BUILD_DIR="$work/build" PORT="$taken" timeout 60 "$quickstart" --no-install >"$work/taken.out" 2>&1 || qs_rc=$?
check "exit 1 (got $qs_rc)" [ "$qs_rc" = 1 ]
check "saying the port cannot be used" grep -q "cannot start hornet-target on port $taken" "$work/taken.out"
check "before any load test" bash -c "! grep -q 'running:' '$work/taken.out'"

echo "== options"
qs_rc=0
"$quickstart" --help >"$work/help.out" 2>&1 || qs_rc=$?
check "--help exits 0 (got $qs_rc)" [ "$qs_rc" = 0 ]
check "--help documents every override" bash -c "for v in USERS SPAWN_RATE DURATION LOCAL_WORKERS PORT BUILD_DIR REPORT --no-install; do grep -q -- \"\$v\" '$work/help.out' || exit 1; done"
qs_rc=0
"$quickstart" --bogus >"$work/bogus.out" 2>&1 || qs_rc=$?
check "an unknown option exits 2 (got $qs_rc)" [ "$qs_rc" = 2 ]
check "naming it" grep -q "unknown option --bogus" "$work/bogus.out"

if [ "$failures" -gt 0 ]; then
    for f in run int taken; do echo "--- $f"; tail -n 20 "$work/$f.out" 2>/dev/null || true; done
    printf 'FAIL: %s\n' "${failed_checks[@]}"
    exit 1
fi
