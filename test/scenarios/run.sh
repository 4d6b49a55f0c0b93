#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One incident-class scenario: SCENARIO/events.log (syslog lines or JSON events) replayed
# through the shipped rules (rules/ and rules/normalize/) with SCENARIO/inventory.json, in
# event time, into a private redis-server; then each incident of SCENARIO/expected.json is
# found by class and key and checked: the exact sequence of its lifecycle records, its final
# severity and status, a subset of its playbook steps and findings (from vigilctl incidents
# show), and the actions the dispatcher recorded for it. With "exact": true no other
# incident may exist. Actions run (vigild --actions) only when the scenario expects some;
# the rules' action targets are then whatever the scenario's inventory names.
# Usage: run.sh VIGILD VIGILCTL SRCDIR BUILDDIR SCENARIO_DIR
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3 BUILD=$4 SCEN=$5
TMP=$(mktemp -d /tmp/vg_scenario.XXXXXX)
. "$SRC/test/integration/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "python3 is needed"; exit 77; }
name=$(basename "$SCEN")

sock="$TMP/redis.sock"
redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.err" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "$name: redis-server did not start"

actions=()
if grep -q '"actions"' "$SCEN/expected.json"; then
  actions=(--actions)
fi
"$VIGILD" --replay "$SCEN/events.log" --rules "$SRC/rules" --plugins "$BUILD/plugins" \
  --inventory "$SCEN/inventory.json" --redis "unix:$sock" --keep-state --year 2026 \
  "${actions[@]}" >"$TMP/records.jsonl" 2>"$TMP/replay.err" ||
  fail "$name: the replay failed: $(tail -5 "$TMP/replay.err")"

"$PY" - "$SCEN/expected.json" "$TMP/records.jsonl" "$VIGILCTL" "unix:$sock" "$name" <<'PY' ||
import json, subprocess, sys

expected_path, records_path, vigilctl, redis, name = sys.argv[1:6]
expected = json.load(open(expected_path))
records = [json.loads(l) for l in open(records_path) if l.strip()]
problems = []

def incident_of(rec):
    return rec["incident"]["class"], json.dumps(rec["incident"]["key"], sort_keys=True)

by_incident = {}
for r in records:
    by_incident.setdefault(r["incident"]["id"], []).append(r)

def subset(want, got, where):
    for k, v in want.items():
        if isinstance(v, dict):
            g = got.get(k) if isinstance(got, dict) else None
            if not isinstance(g, dict):
                problems.append(f"{where}.{k}: missing (have {got!r:.200})")
            else:
                subset(v, g, f"{where}.{k}")
        elif not isinstance(got, dict) or got.get(k) != v:
            problems.append(f"{where}.{k}: expected {v!r}, got "
                            f"{(got.get(k) if isinstance(got, dict) else got)!r:.200}")

matched = set()
for n, want in enumerate(expected["incidents"]):
    key = json.dumps(want["key"], sort_keys=True)
    ids = [i for i, rs in by_incident.items() if incident_of(rs[0]) == (want["class"], key)]
    label = f"incident {n} ({want['class']} {key})"
    if len(ids) != 1:
        problems.append(f"{label}: {len(ids)} incidents with this class and key, expected 1")
        continue
    iid = ids[0]
    matched.add(iid)
    trs = [r["transition"] for r in by_incident[iid]]
    if "transitions" in want and trs != want["transitions"]:
        problems.append(f"{label}: transitions {trs}, expected {want['transitions']}")
    shown = json.loads(subprocess.run([vigilctl, "--redis", redis, "incidents", "show", iid],
                                      check=True, capture_output=True, text=True).stdout)
    for field in ("severity", "status"):
        if field in want and shown.get(field) != want[field]:
            problems.append(f"{label}: {field} {shown.get(field)!r}, expected {want[field]!r}")
    steps = {s["step"]: s for s in shown.get("playbook", [])}
    for step, fields in want.get("playbook", {}).items():
        if step not in steps:
            problems.append(f"{label}: playbook has no step {step}")
        else:
            subset(fields, steps[step], f"{label}: step {step}")
    if "findings" in want:
        subset(want["findings"], shown.get("findings", {}), f"{label}: findings")
    acts = [h for h in shown.get("history", []) if h.get("type") == "action"]
    for a in want.get("actions", []):
        if not any(h.get("action") == a["plugin"] and h.get("step") == a.get("step", h.get("step"))
                   and h.get("status") == a.get("status", "ok") for h in acts):
            problems.append(f"{label}: no {a} in the action history {acts!r:.300}")
if expected.get("exact"):
    extra = [rs[0]["incident"]["class"] + " " + json.dumps(rs[0]["incident"]["key"])
             for i, rs in by_incident.items() if i not in matched]
    if extra:
        problems.append(f"unexpected incidents: {extra}")
if problems:
    print(f"scenario {name}:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"scenario {name}: {len(expected['incidents'])} incidents as expected "
      f"({len(records)} records)")
PY
  fail "$name: see above"
