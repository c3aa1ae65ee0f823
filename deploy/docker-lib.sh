# Shared by deploy/compose-test.sh, swarm-test.sh and systemd-test.sh (sourced, not
# run): Docker installed and running (dockerd started here when none runs,
# and then stopped at exit), the image built from this checkout on a base
# made without any registry, cleanups run at exit in reverse order.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/tests/python.sh"
compose_file="$top/deploy/docker-compose.yml"
image=${HORNET_IMAGE:-hornet:test}
base=${HORNET_BASE:-hornet-base:bookworm}
work=$(mktemp -d)
chmod 755 "$work"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
check() { # description, then a command that must succeed
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
say() { echo "== $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

# Cleanups run at exit (also on failure or Ctrl-C), last registered first.
cleanups=()
at_exit() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
        eval "${cleanups[i]}" || true
    done
    rm -rf "$work"
    exit "$rc"
}
trap at_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One container test at a time: each starts (and stops) its own dockerd and
# builds the image, while the other tests of the suite may run beside it.
# The wait stays well under meson's timeout of a test (1,200 s); dockerd is
# started without the lock's descriptor, so that nothing it leaves behind
# holds the lock after this test.
exec {docker_lock_fd}>"${TMPDIR:-/tmp}/hornet-docker-tests.lock"
flock -w 600 "$docker_lock_fd" || die "another container test held the lock for 10 minutes"

# Runs "$@" with a time bound (seconds in $1), printing its output on failure.
bounded() {
    local secs="$1"; shift
    timeout --kill-after=10 "$secs" "$@" >"$work/bounded.log" 2>&1 ||
        { local rc=$?; tail -n 30 "$work/bounded.log"; return "$rc"; }
}

# Docker and (with $1 = compose) docker-compose, installed when missing;
# dockerd started in the background when none answers (log: $dockerd_log).
dockerd_log=${HORNET_DOCKERD_LOG:-${TMPDIR:-/tmp}/hornet-test-dockerd.log}
ensure_docker() {
    [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (installs and starts Docker)"; exit 77; }
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker >/dev/null || missing+=(docker.io)
    if [ "${1:-}" = compose ]; then
        command -v docker-compose >/dev/null || missing+=(docker-compose)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        bounded 300 apt-get update -q || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive bounded 600 apt-get install -y -q --no-install-recommends \
            "${missing[@]}" || die "cannot install ${missing[*]}"
    fi
    if docker info >/dev/null 2>&1; then
        return 0
    fi
    say "starting dockerd (log: $dockerd_log)"
    # What dockerd changes on the host and leaves after it stops: put back.
    had_docker0=0
    ip link show docker0 >/dev/null 2>&1 && had_docker0=1
    forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1 == "-P" {print $3}')
    setsid dockerd >"$dockerd_log" 2>&1 {docker_lock_fd}>&- &
    dockerd_pid=$!
    cleanups+=("stop_dockerd")
    local deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
        kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$dockerd_log"; die "dockerd exited"; }
        [ $SECONDS -lt $deadline ] || { tail -n 20 "$dockerd_log"; die "dockerd did not answer within 60 s"; }
        sleep 0.5
    done
}
# Stops the dockerd this script started (and the containerd it started).
stop_dockerd() {
    kill -TERM "$dockerd_pid" 2>/dev/null || return 0
    local deadline=$((SECONDS + 30))
    while kill -0 "$dockerd_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    [ "$had_docker0" = 1 ] || ip link del docker0 2>/dev/null || true
    [ -z "$forward_policy" ] || iptables -P FORWARD "$forward_policy" 2>/dev/null || true
    echo "== stopped the dockerd this test started"
}

# The image $image from this checkout, on the base $base (debootstrap +
# docker import, cached in HORNET_CACHE_DIR; see deploy/make-base-image.sh).
build_image() {
    local t0=$SECONDS
    "$top/deploy/make-base-image.sh" "$base"
    say "building $image from $top (FROM $base; log: $work/build.log)"
    # The context: the checkout's files (tracked or not, minus what git
    # ignores, so no build directories), else the source directories.
    local ctx=(tar -C "$top" -cf - meson.build meson_options.txt common proto worker master tests deploy)
    if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        ctx=(sh -c 'git -C "$0" ls-files -z -co --exclude-standard | tar -C "$0" --null -T - -cf -' "$top")
    fi
    "${ctx[@]}" | timeout 900 docker build --force-rm -f deploy/Dockerfile --build-arg "BASE=$base" -t "$image" - \
        >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; die "docker build failed"; }
    say "image $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1 / 1e6}'), base and build took $((SECONDS - t0)) s"
}

# The /__stats JSON of the hornet-target in container $1, read inside the
# container's network namespace (no port needs publishing).
target_stats() {
    local pid
    pid=$(docker inspect -f '{{.State.Pid}}' "$1")
    nsenter --net="/proc/$pid/ns/net" curl -s --max-time 5 http://127.0.0.1:8080/__stats
}

# Wait up to $2 seconds for the hornet-target in container $1 to answer.
wait_target() {
    local deadline=$((SECONDS + $2))
    until target_stats "$1" 2>/dev/null | grep -q '"total"'; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}

# Checks a finished run: master log $1, report prefix $2, target stats JSON
# $3, workers expected $4.
check_run() {
    local log="$1" prefix="$2" stats="$3" n="$4"
    check "the master started with all $n workers" grep -q "hornet-master info: $n workers joined: ramping" "$log"
    local joined
    joined=$(grep -c "hornet-master info: worker [0-9]* joined:" "$log" || true)
    check "$n distinct workers joined ($joined)" [ "$joined" = "$n" ]
    local out
    out=$("$PY" - "${prefix}_stats.csv" "$stats" <<'PY' || true
import csv, json, sys
try:
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
    total = json.load(open(sys.argv[2]))["total"]
except Exception as e:
    print(f"FAIL: cannot read the report or the target's count: {e}")
    sys.exit(0)
agg = [r for r in rows if r["Name"] == "Aggregated"]
n = int(agg[0]["Request Count"]) if agg else -1
print(("ok" if agg and n == total else "FAIL")
      + f": CSV Aggregated Request Count {n} == the target's /__stats total {total}")
print(("ok" if n > 100 else "FAIL") + f": some load was generated ({n} requests)")
fails = int(agg[0]["Failure Count"]) if agg else -1
print(("ok" if fails == 0 else "FAIL") + f": no failed requests ({fails})")
PY
)
    echo "$out"
    failures=$((failures + $(grep -c '^FAIL' <<<"$out" || true)))
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
