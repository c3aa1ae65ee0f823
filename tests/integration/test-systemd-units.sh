#!/usr/bin/env bash
# meson install puts hornet-master, hornet-worker, hornet-target and their
# systemd units where they belong; `systemd-analyze verify` accepts every
# unit (ExecStart= paths resolved inside the installed tree), each unit is
# hardened and reads /etc/hornet/*.env, and a unit with a wrong path fails
# the same check (so the check can fail).
set -euo pipefail
. "$(dirname "$0")/../python.sh"

: "${HORNET_BUILD_ROOT:?HORNET_BUILD_ROOT must point to the meson build directory}"
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze is missing (Debian package systemd)"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
check() {
    local what="$1"; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

meson install -C "$HORNET_BUILD_ROOT" --no-rebuild --quiet --destdir "$root" >"$root.install.log" 2>&1 ||
    { cat "$root.install.log"; rm -f "$root.install.log"; echo "FAIL: meson install"; exit 1; }
rm -f "$root.install.log"
read -r prefix bindir unitdir < <(meson introspect --buildoptions "$HORNET_BUILD_ROOT" | "$PY" -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
unitdir = o["systemdunitdir"] or os.path.join(o["prefix"], "lib/systemd/system")
print(o["prefix"], os.path.join(o["prefix"], o["bindir"]), unitdir)')
echo "prefix $prefix, programs in $bindir, units in $unitdir"

for p in hornet-master hornet-worker hornet-target; do
    check "meson install installs $bindir/$p" [ -x "$root$bindir/$p" ]
done
units=(hornet-master.service hornet-worker@.service hornet-target.service)
for u in "${units[@]}"; do
    f="$root$unitdir/$u"
    if [ ! -f "$f" ]; then
        fail "meson install installs $unitdir/$u"
        continue
    fi
    pass "meson install installs $unitdir/$u"
    missing=""
    for d in DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
        RestrictAddressFamilies= LimitNOFILE= "EnvironmentFile=-\{0,1\}/etc/hornet/.*\.env"; do
        grep -q "^$d" "$f" || missing+=" $d"
    done
    check "$u is hardened and configured from /etc/hornet/*.env${missing:+ (missing:$missing)}" [ -z "$missing" ]
    check "$u runs $bindir/hornet-*" grep -q "^ExecStart=$bindir/hornet-" "$f"
done

# verify resolves units and ExecStart= paths inside --root: give it the
# system's own units (targets the ours refer to).
mkdir -p "$root/usr/lib/systemd/system"
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
names=(hornet-master.service hornet-worker@1.service hornet-target.service)
out=$(systemd-analyze verify --root="$root" "${names[@]}" 2>&1) && rc=0 || rc=$?
echo "$out"
check "systemd-analyze verify accepts every unit, silently (exit $rc)" test "$rc" = 0 -a -z "$out"
out=$(systemd-analyze security --offline=true --root="$root" --threshold=30 "${names[@]}" 2>&1) && rc=0 || rc=$?
grep "Overall exposure" <<<"$out" || echo "$out" | tail -n 5
check "systemd-analyze security rates every unit's exposure at most 3.0 of 10" [ "$rc" = 0 ]

# The check can fail: the same verify on a unit whose program is missing.
sed -i "s|^ExecStart=$bindir/hornet-master|ExecStart=$bindir/hornet-missing|" "$root$unitdir/hornet-master.service"
out=$(systemd-analyze verify --root="$root" hornet-master.service 2>&1) && rc=0 || rc=$?
check "verify rejects a unit whose program is missing ($(head -n 1 <<<"$out"))" [ "$rc" != 0 ]

[ "$failures" = 0 ]
