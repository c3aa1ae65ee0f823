#!/usr/bin/env bash
# Hornet quickstart: one command from a fresh Debian 12 machine to a first
# load test. It installs the packages that are missing (apt-get; through
# sudo when not root), builds a release build in build-quickstart/, starts
# the demo server hornet-target on 127.0.0.1 (port 8080 if free, else any
# free port), runs
#   hornet-master -H http://127.0.0.1:PORT -u 50 -r 25 -t 20s --local-workers 2 \
#       --csv hornet-report/run / /json /api/products
# with its live table, prints where the CSV reports are, and stops
# everything it started, also on Ctrl-C (the first Ctrl-C lets the master
# finish its report) or on error.
#
# Usage: deploy/quickstart.sh [--no-install] [-h|--help]
#   --no-install   install nothing (the build fails if something is missing)
# Environment overrides [default]:
#   USERS [50]           peak concurrent users
#   SPAWN_RATE [25]      users started per second
#   DURATION [20s]       run time: 90s, 5m, 1h20m
#   LOCAL_WORKERS [2]    hornet-worker processes the master starts
#   PORT [8080]          hornet-target's port; when unset and 8080 is taken,
#                        any free port
#   BUILD_DIR [build-quickstart]   meson build directory, in the repository
#   REPORT [hornet-report/run]     CSV prefix, relative to the repository
#                                  (or absolute)
# The workers reach the master on a loopback port chosen by the system, so
# nothing listens beyond this machine.
# Exit status: hornet-master's (0 passed, 1 some request failed, 3 the run
# could not complete), or 1 when installing, building or starting failed,
# 2 for an unknown option, 130 when interrupted (Ctrl-C) before the run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
self="$top/deploy/$(basename "$0")"
cd "$top"

install=1
while [ $# -gt 0 ]; do
    case "$1" in
    --no-install) install=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$self"; exit 0 ;;
    *) echo "quickstart: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

users=${USERS:-50}
spawn_rate=${SPAWN_RATE:-25}
duration=${DURATION:-20s}
local_workers=${LOCAL_WORKERS:-2}
[[ $local_workers =~ ^[1-9][0-9]*$ ]] ||
    { echo "quickstart: LOCAL_WORKERS wants a number of workers, 1 or more" >&2; exit 2; }
build=${BUILD_DIR:-build-quickstart}
report=${REPORT:-hornet-report/run}

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%squickstart:%s %s\n' "$bold" "$plain" "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }

# --- 1. packages ------------------------------------------------------------
# What building and running needs, by Debian 12 name (as in tests/run.sh,
# less cmocka: the build below leaves the tests out).
packages=(meson ninja-build pkg-config gcc libzmq3-dev libsodium-dev libmsgpack-dev
    libcurl4-openssl-dev libev-dev libmicrohttpd-dev libjansson-dev libyaml-dev
    libyajl-dev libpcre2-dev libcsv-dev libhttp-parser-dev zlib1g-dev)
if [ "$install" = 1 ]; then
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        command -v apt-get >/dev/null ||
            die "not a Debian system: install ${missing[*]} (or their equivalents) yourself, then run with --no-install"
        sudo=""
        if [ "$(id -u)" != 0 ]; then
            command -v sudo >/dev/null || die "run as root or install sudo: need to install ${missing[*]}"
            sudo="sudo"
        fi
        say "installing ${missing[*]}"
        $sudo apt-get update -q >/dev/null || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >/dev/null || die "apt-get install failed"
    fi
fi

# --- 2. build ---------------------------------------------------------------
if [ ! -f "$build/build.ninja" ]; then
    say "configuring $build (release)"
    meson setup "$build" -Dbuildtype=release -Dtests=disabled >"$build.setup.log" 2>&1 ||
        { tail -n 30 "$build.setup.log"; die "meson setup failed (log: $top/$build.setup.log)"; }
fi
say "building hornet-master, hornet-worker and hornet-target"
ninja -C "$build" master/hornet-master worker/hornet-worker tests/target/hornet-target \
    >"$build.build.log" 2>&1 ||
    { tail -n 40 "$build.build.log"; die "build failed (log: $top/$build.build.log)"; }

# --- 3. the demo target -------------------------------------------------------
run_dir=$(mktemp -d)
target_pid=""
stop_all() {
    if [ -n "$target_pid" ] && kill -0 "$target_pid" 2>/dev/null; then
        kill "$target_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$target_pid" 2>/dev/null || true
        wait "$target_pid" 2>/dev/null || true
    fi
    rm -rf "$run_dir"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Starts hornet-target on 127.0.0.1:$1; sets target_url, or returns 1 if it
# exited (e.g. the port is taken). It runs in a session of its own, so that
# Ctrl-C stops the master (which then drains and reports) but not the target
# under load; stop_all stops it at the end.
start_target() {
    setsid "$build/tests/target/hornet-target" --listen "127.0.0.1:$1" \
        >"$run_dir/target.out" 2>"$run_dir/target.err" &
    target_pid=$!
    for _ in $(seq 100); do
        target_url=$(sed -n 's/^hornet-target listening on //p' "$run_dir/target.out")
        [ -n "$target_url" ] && return 0
        kill -0 "$target_pid" 2>/dev/null || { wait "$target_pid" 2>/dev/null || true; target_pid=""; return 1; }
        sleep 0.05
    done
    die "hornet-target did not start: $(cat "$run_dir/target.err")"
}
if ! start_target "${PORT:-8080}"; then
    [ -z "${PORT:-}" ] || die "cannot start hornet-target on port $PORT: $(cat "$run_dir/target.err")"
    say "port 8080 is taken: using a free port"
    start_target 0 || die "cannot start hornet-target: $(cat "$run_dir/target.err")"
fi
say "hornet-target serves $target_url"

# --- 4. the load test ---------------------------------------------------------
mkdir -p "$(dirname "$report")"
cmd=("$build/master/hornet-master" -H "$target_url" -u "$users" -r "$spawn_rate" -t "$duration"
    --local-workers "$local_workers" --worker-bin "$build/worker/hornet-worker"
    --bind 'tcp://127.0.0.1:*' --csv "$report" / /json /api/products)
say "running: ${cmd[*]}"
# Ctrl-C reaches the master too: it stops the workers and writes its report
# (a second Ctrl-C makes it report at once); this script waits for it.
trap ':' INT
# Reports older than this run (a previous one's) are not this run's: a
# master that refused to start must not seem to have written them.
started="$run_dir/started"
: >"$started"
code=0
"${cmd[@]}" || code=$?
trap 'exit 130' INT

echo
for kind in stats stats_history failures exceptions; do
    case "$report" in /*) f="${report}_$kind.csv" ;; *) f="$top/${report}_$kind.csv" ;; esac
    [ "$f" -nt "$started" ] && say "report: $f"
done
say "hornet-master exited with $code (0: passed; 1: some requests failed, or Ctrl-C cut the" \
    "run short; 2: bad settings; 3: could not run)"
exit "$code"
