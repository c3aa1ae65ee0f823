#!/usr/bin/env bash
# Every file in tests/scenarios/invalid/ is a scenario hornet-master must
# refuse: `--check` exits 2 and its first line of stderr is
# "FILE:LINE:COL: message", with the position and a fragment of the message
# that the file's first line announces:
#   # expect: [OTHER_FILE] LINE:COL fragment
# (OTHER_FILE: the error is in a data file, named relative to this folder.)
# One python process runs them all (a process per file made this test the
# suites' longest).
set -uo pipefail
. "$(dirname "$0")/../python.sh"
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
here=$(cd "$(dirname "$0")" && pwd)
exec "$PY" - "$HORNET_MASTER" "$here" <<'PY'
import glob, re, subprocess, sys
master, here = sys.argv[1:]
passed = failed = 0
for path in sorted(glob.glob(f"{here}/invalid/*.yaml")):
    name = path.rsplit("/", 1)[-1]
    with open(path, encoding="utf-8", errors="replace") as f:
        m = re.match(r"# expect: (?:(\S+\.csv) )?(\d+):(\d+) (.*)", f.readline())
    if not m:
        print(f"FAIL: {name} has no '# expect: [FILE] LINE:COL fragment' line")
        failed += 1
        continue
    other, line, col, frag = m.groups()
    try:
        p = subprocess.run([master, "--check", "-f", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=20)
        rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, err = "timeout (20 s)", ""
    first = err.split("\n", 1)[0]
    problems = []
    if rc != 2:
        problems.append(f"exit {rc}, want 2")
    if not other and not first.startswith(f"{path}:{line}:{col}: "):
        problems.append(f"position: want '{path}:{line}:{col}: ...'")
    if other and not re.search(re.escape(other) + f":{line}:{col}: ", first):
        problems.append(f"position: want '...{other}:{line}:{col}: ...'")
    if frag not in first:
        problems.append(f"message: want '{frag}'")
    if problems:
        print(f"FAIL: {name}: {'; '.join(problems)}\n      got: {first}")
        failed += 1
    else:
        print(f"ok: {name}: {first[len(path) + 1:] if first.startswith(path) else first}")
        passed += 1
print(f"invalid scenarios: {passed} refused as expected, {failed} not")
sys.exit(0 if failed == 0 and passed >= 50 else 1)
PY
