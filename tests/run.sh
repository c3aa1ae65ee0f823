#!/usr/bin/env bash
# Hornet's one test command: installs missing Debian packages, builds twice
# (gcc with -Werror; clang with AddressSanitizer + UndefinedBehaviorSanitizer
# and the libFuzzer targets fuzz-decode, -scenario, -session, -outcome,
# -scenario-yaml and -receive), runs every test suite in both builds and prints
# a final line "tests: N passed, N failed". Exit status 0 only if all passed.
#
# Usage: tests/run.sh [--no-install] [--quick] [--suite NAME]
#   --no-install  do not apt-get anything (fail if something is missing)
#   --quick       only the gcc build (the sanitizer build is skipped)
#   --suite NAME  run only this meson test suite (unit, integration, ...)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

install=1 quick=0 suite_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --no-install) install=0 ;;
    --quick) quick=1 ;;
    --suite) [ $# -ge 2 ] || { echo "run.sh: --suite needs a NAME; see --help" >&2; exit 2; }
        suite_args=(--suite "$2"); shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1; see --help" >&2; exit 2 ;;
    esac
    shift
done

# Everything the build, the tests and the benchmarks need, by Debian name.
packages=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev
    libzmq3-dev libsodium-dev libmsgpack-dev libcurl4-openssl-dev libev-dev libmicrohttpd-dev
    libjansson-dev libcmocka-dev curl openssl python3 procps
    python3-zmq python3-msgpack python3-jsonschema python3-yaml
    libyaml-dev libyajl-dev libpcre2-dev libcsv-dev libhttp-parser-dev zlib1g-dev
    iproute2 iptables systemd git
    nodejs chromium prometheus libxml2-utils)
# The report tests also install npm packages themselves (tests/integration/
# npm_tools.sh): they need the npm command, which Debian ships apart from
# nodejs and other Node.js builds ship inside it.
# The docker suite (deploy/compose-test.sh, deploy/swarm-test.sh) installs
# docker.io, docker-compose and debootstrap itself when they are missing.

if [ "$install" = 1 ]; then
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v npm >/dev/null || missing+=(npm)
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        echo "run.sh: installing ${missing[*]}"
        $sudo apt-get update -q >/dev/null || { echo "run.sh: apt-get update failed" >&2; exit 1; }
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >/dev/null || { echo "run.sh: apt-get install failed" >&2; exit 1; }
    fi
fi

# Sanitizer findings must fail the test that triggered them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Load tests can open many sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

passed=0 failed=0
# Adds the counts from meson's testlog.json (one JSON object per line).
count_results() {
    local log="$1/meson-logs/testlog.json"
    [ -f "$log" ] || { failed=$((failed + 1)); return; }
    local p f
    read -r p f < <(python3 - "$log" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": pass
    else: f += 1
print(p, f)
PY
)
    passed=$((passed + p)) failed=$((failed + f))
}

run_build() { # name, meson setup args...
    local dir="$1"; shift
    echo "== build $dir: $*"
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
            { cat "$dir.setup.log"; echo "run.sh: meson setup $dir failed"; failed=$((failed + 1)); return; }
    fi
    if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
        tail -n 60 "$dir.build.log"; echo "run.sh: build $dir failed"; failed=$((failed + 1)); return
    fi
    echo "== test $dir"
    rm -f "$dir/meson-logs/testlog.json"
    meson test -C "$dir" --print-errorlogs --num-processes 2 "${suite_args[@]}" || true
    count_results "$dir"
}

run_build build-ci -Dwerror=true -Dbuildtype=debugoptimized
if [ "$quick" = 0 ]; then
    CC=clang run_build build-ci-asan -Dwerror=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dfuzz=enabled -Dbuildtype=debug
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
