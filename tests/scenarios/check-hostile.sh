#!/usr/bin/env bash
# Hostile scenario files, made here (too big to keep in the repository):
# each must be refused by a size limit with a clear FILE:LINE:COL message
# and exit 2, within a bounded time and memory, never a crash.
set -uo pipefail
. "$(dirname "$0")/../python.sh"
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0 passed=0

# 1 GiB of address space is far above what a refused file may cost; a
# sanitizer build reserves terabytes of shadow memory, so it runs unlimited.
vlimit=1048576
(ulimit -v "$vlimit"; "$HORNET_MASTER" --version) >/dev/null 2>&1 || vlimit=unlimited

expect() { # name, expected fragment; runs --check on $work/NAME.yaml
    local f="$work/$1.yaml" out rc
    out=$( (ulimit -v "$vlimit"; timeout 30 "$HORNET_MASTER" --check -f "$f") 2>&1 >/dev/null); rc=$?
    out=$(printf '%s\n' "$out" | head -n 1)
    if [ "$rc" = 2 ] && [[ "$out" == *"$2"* ]] && [[ "$out" =~ :[0-9]+:[0-9]+:\  ]]; then
        echo "ok: $1: ${out#"$work"/}"; passed=$((passed + 1))
    else
        echo "FAIL: $1: exit $rc, want 2 and '$2'; got: $out"; failed=$((failed + 1))
    fi
}

"$PY" - "$work" <<'PY'
import sys
w = sys.argv[1]
head = "host: http://127.0.0.1:1\nusers:\n  - tasks:\n"
# A 10 MB string: the file is over the size limit.
open(f"{w}/ten-mb-string.yaml", "w").write(head + "      - post: /x\n        body: \"" + "x" * 10_000_000 + "\"\n")
# A 2 MB body in a file under the limit: over the body limit.
open(f"{w}/two-mb-body.yaml", "w").write(head + "      - post: /x\n        body: " + "y" * 2_000_000 + "\n")
# 10^6 data rows.
with open(f"{w}/rows.csv", "w") as f:
    f.write("id\n")
    f.write("".join(f"{i}\n" for i in range(1_000_000)))
open(f"{w}/million-rows.yaml", "w").write(
    "host: http://127.0.0.1:1\ndata:\n  ids: {csv: rows.csv}\nusers:\n  - tasks: [{get: \"/{{ids.id}}\"}]\n")
# Nesting 10,000 deep.
open(f"{w}/deep.yaml", "w").write(head + "      - post: /x\n        json: " + "[" * 10000 + "]" * 10000 + "\n")
# Billion laughs: nine levels of ten aliases each.
lines = ["host: http://127.0.0.1:1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
for i in range(1, 10):
    lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
lines += ["users:", "  - tasks:", "      - post: /x", "        json: *a9"]
open(f"{w}/laughs.yaml", "w").write("\n".join(lines) + "\n")
# Anchors holding an alias of themselves: endless documents (the list one
# overflowed the master's stack while its body was made).
open(f"{w}/alias-cycle.yaml", "w").write(head + "      - post: /x\n        json: &a [*a]\n")
open(f"{w}/merge-cycle.yaml", "w").write(head + "      - post: /x\n        json: &m {a: 1, <<: *m}\n")
# 300,000 nodes.
open(f"{w}/nodes.yaml", "w").write(head + "      - post: /x\n        json: [" + ",".join(["1"] * 300000) + "]\n")
PY

expect ten-mb-string "larger than 4194304 bytes"
expect two-mb-body "body: 2000000 bytes (at most 1048576)"
expect million-rows "more than 200000 rows"
expect deep "nested more than 64 levels deep"
expect laughs "the document expands to more than 1000000 nodes"
# The same bomb where the format allows it, inside the body itself: refused
# when the file is loaded, before the body is made.
sed -i 's/^a\([0-9]\): /x-a\1: /' "$work/laughs.yaml"
"$PY" - "$work/laughs.yaml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
anchors = [l for l in lines if l.startswith("x-a")]
rest = [l for l in lines if not l.startswith("x-a")]
# Anchors defined inside the body itself, then the biggest one used.
body = "        json: {" + ", ".join(l.split(": ", 1)[0][2:] + ": " + l.split(": ", 1)[1] for l in anchors) + "}"
out = [l for l in rest if not l.startswith("        json:")] [:-1] + [body]
open(p, "w").write("\n".join(out) + "\n")
PY
expect laughs "the document expands to more than 1000000 nodes"
expect nodes "more than 200000 YAML nodes"
expect alias-cycle "an alias inside its own anchor"
expect merge-cycle "an alias inside its own anchor"
# Valid, but with terminal escapes in a name, a data column and a
# threshold: --check shows them escaped, never writes an ESC byte.
printf 'a\033[31m,b\n1,2\n' >"$work/esc.csv"
printf '%s\n' 'host: http://127.0.0.1:1' 'data: {d: {csv: esc.csv}}' 'users:' \
    '  - tasks: [{get: /x, name: "red\e[31mname\u2028"}]' \
    'thresholds: ["GET red\e[31mname\u2028: p(95) < 1s"]' >"$work/esc.yaml"
out=$(timeout 30 "$HORNET_MASTER" --check -f "$work/esc.yaml" 2>&1); rc=$?
if [ "$rc" = 0 ] && ! printf '%s' "$out" | grep -q $'\x1b' &&
    [ "$(printf '%s\n' "$out" | grep -c 'red\\x1b\[31mname\\u2028')" -ge 3 ] &&
    printf '%s' "$out" | grep -qF 'a\x1b[31m'; then
    echo "ok: escapes in names, columns and thresholds shown escaped"; passed=$((passed + 1))
else
    echo "FAIL: escapes in --check (exit $rc): $out"; failed=$((failed + 1))
fi
echo "hostile scenarios: $passed refused as expected, $failed not"
[ "$failed" = 0 ]
