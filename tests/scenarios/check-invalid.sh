#!/usr/bin/env bash
# Every file in tests/scenarios/invalid/ is a scenario hornet-master must
# refuse: `--check` exits 2 and its first line of stderr is
# "FILE:LINE:COL: message", with the position and a fragment of the message
# that the file's first line announces:
#   # expect: [OTHER_FILE] LINE:COL fragment
# (OTHER_FILE: the error is in a data file, named relative to this folder.)
set -uo pipefail
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
for f in "$here"/invalid/*.yaml; do
    expect=$(sed -n '1s/^# expect: //p' "$f")
    if [ -z "$expect" ]; then
        echo "FAIL: $f has no '# expect:' line"; failed=$((failed + 1)); continue
    fi
    out=$(timeout 20 "$HORNET_MASTER" --check -f "$f" 2>&1 >/dev/null); rc=$?
    first=$(printf '%s\n' "$out" | head -n 1)
    if python3 - "$f" "$here" "$expect" "$first" "$rc" <<'PY'; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
import re, sys
path, here, expect, first, rc = sys.argv[1:]
m = re.match(r"(?:(\S+\.csv) )?(\d+):(\d+) (.*)", expect)
other, line, col, frag = m.groups()
file = path if not other else None
problems = []
if rc != "2":
    problems.append(f"exit {rc}, want 2")
want_prefix = f"{file}:{line}:{col}: " if file else None
if file and not first.startswith(want_prefix):
    problems.append(f"position: want '{want_prefix}...'")
if other and not re.search(re.escape(other) + f":{line}:{col}: ", first):
    problems.append(f"position: want '...{other}:{line}:{col}: ...'")
if frag not in first:
    problems.append(f"message: want '{frag}'")
name = path.rsplit("/", 1)[-1]
if problems:
    print(f"FAIL: {name}: {'; '.join(problems)}\n      got: {first}")
    sys.exit(1)
print(f"ok: {name}: {first[len(path) + 1:] if first.startswith(path) else first}")
PY
done
echo "invalid scenarios: $passed refused as expected, $failed not"
[ "$failed" = 0 ] && [ "$passed" -ge 50 ]
