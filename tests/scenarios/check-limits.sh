#!/usr/bin/env bash
# Valid scenario files at the documented limits, made here (too big to keep
# in the repository): each must pass --check (exit 0) within 20 s of CPU
# (not of wall-clock time: a loaded machine gives a process a fraction of a
# core; 60 s of wall-clock time catch a hang). 8 classes of 1,000 tasks were refused as "expands to more than
# 1000000 nodes" when every lookup counted toward that limit, and a mapping
# of 60,000 keys took a minute when each lookup compared every key with
# every other.
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
"$PY" - "$work" <<'PY'
import sys
w = sys.argv[1]
host = "host: http://127.0.0.1:1"
def classes(name, n_classes, n_tasks):
    lines = [host, "users:"]
    for c in range(n_classes):
        lines += [f"  - name: c{c}", "    tasks:"]
        lines += [f"      - {{weight: 1, get: /echo/{c}-{t}, name: e{c}, tags: [a], timeout: 5s}}"
                  for t in range(n_tasks)]
    open(f"{w}/{name}.yaml", "w").write("\n".join(lines) + "\n")
classes("8x1000", 8, 1000)
classes("64x256", 64, 256)  # 16,384 steps, 196,933 nodes
open(f"{w}/x-keys.yaml", "w").write(
    "\n".join([host] + [f"x-k{i}: {i}" for i in range(60000)] + ["users:", "  - tasks: [{get: /}]"])
    + "\n")
# A body of 30,000 keys merged into another that overrides one.
big = ", ".join(f"k{i}: {i}" for i in range(30000))
open(f"{w}/merged-body.yaml", "w").write(
    f"{host}\nx-big: &big {{{big}}}\nusers:\n  - tasks:\n      - post: /x\n"
    "        json: {<<: *big, k0: zero}\n")
PY
for f in 8x1000 64x256 x-keys merged-body; do
    start=$(date +%s%N)
    out=$(ulimit -t 20 && exec timeout 60 "$HORNET_MASTER" --check -f "$work/$f.yaml" 2>&1 >/dev/null); rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    out=$(printf '%s\n' "$out" | head -n 1)
    if [ "$rc" = 0 ]; then ok "$f: valid in ${ms} ms"; else bad "$f: exit $rc, want 0; got: ${out#"$work"/}"; fi
done
finish limits
