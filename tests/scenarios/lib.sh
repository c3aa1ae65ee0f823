# Shared start of the scenario check scripts (sourced): HORNET_MASTER, a
# work directory removed at exit, and the checks' tally.
#   check DESCRIPTION COMMAND...   ok/FAIL line, counted
#   finish NAME                    "NAME: P passed, F failed"; exit 1 on a failure
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../python.sh"
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {
    local what="$1"; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
}
