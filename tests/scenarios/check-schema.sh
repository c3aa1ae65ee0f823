#!/usr/bin/env bash
# The JSON Schema of the scenario format (deploy/examples/scenario.schema.json)
# is itself valid (Draft 7), accepts every example, and refuses a few
# mistakes editors should flag; and every example passes hornet-master
# --check (exit 0). Uses Debian's python3-jsonschema and python3-yaml.
set -uo pipefail
: "${HORNET_MASTER:?HORNET_MASTER must point to hornet-master}"
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/python.sh"
PY=$(py_with 'jsonschema, yaml')
failed=0
"$PY" - "$top" <<'PY' || failed=1
import glob, json, sys, yaml, jsonschema
top = sys.argv[1]
schema = json.load(open(f"{top}/deploy/examples/scenario.schema.json"))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
bad = 0
examples = sorted(glob.glob(f"{top}/deploy/examples/*.yaml"))
for f in examples:
    errs = list(v.iter_errors(yaml.safe_load(open(f))))
    print(("ok: " if not errs else "FAIL: ") + f"{f.rsplit('/', 1)[1]} against the schema"
          + "".join(f"\n    {e.json_path}: {e.message[:160]}" for e in errs[:3]))
    bad += bool(errs)
mistakes = {
    "unknown top-level key": {"user": [], "users": [{"tasks": [{"get": "/"}]}]},
    "unknown step key": {"users": [{"tasks": [{"get": "/", "chek": {}}]}]},
    "step without a method": {"users": [{"tasks": [{"name": "x"}]}]},
    "two methods": {"users": [{"tasks": [{"get": "/", "post": "/"}]}]},
    "two bodies": {"users": [{"tasks": [{"post": "/", "json": {}, "body": ""}]}]},
    "weight 0": {"users": [{"weight": 0, "tasks": [{"get": "/"}]}]},
    "bad order": {"data": {"a": {"csv": "x.csv", "order": "shuffled"}}, "users": [{"tasks": [{"get": "/"}]}]},
    "capture with two kinds": {"users": [{"tasks": [{"get": "/", "capture": {"t": {"json": "$.a", "regex": "x"}}}]}]},
    "status out of range": {"users": [{"tasks": [{"get": "/", "check": {"status": 700}}]}]},
    "load with stages and a shape": {"users": [{"tasks": [{"get": "/"}]}], "load": {"shape": "soak", "users": 5, "duration": "1m", "stages": []}},
    "a stage without users": {"users": [{"tasks": [{"get": "/"}]}], "load": {"stages": [{"duration": "1m"}]}},
    "an unknown shape": {"users": [{"tasks": [{"get": "/"}]}], "load": {"shape": "ramp", "users": 5}},
    "arrival with stages and a rate": {"users": [{"tasks": [{"get": "/"}]}], "arrival": {"rate": 5, "stages": [{"duration": "1m", "rate": 5}]}},
    "a rate in words": {"users": [{"tasks": [{"get": "/"}]}], "arrival": {"rate": "fast"}},
    "a threshold object without expr": {"users": [{"tasks": [{"get": "/"}]}], "thresholds": [{"abort_on_fail": True}]},
}
for what, doc in mistakes.items():
    ok = not v.is_valid(doc)
    print(("ok: " if ok else "FAIL: ") + f"the schema refuses: {what}")
    bad += not ok
print(f"{len(examples)} examples")
sys.exit(1 if bad or not examples else 0)
PY
for f in "$top"/deploy/examples/*.yaml; do
    if out=$("$HORNET_MASTER" --check -f "$f" 2>&1 >/dev/null); then
        echo "ok: hornet-master --check $(basename "$f")"
    else
        echo "FAIL: hornet-master --check $(basename "$f"): $out"; failed=1
    fi
done
exit $failed
