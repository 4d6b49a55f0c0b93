#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One incident-class scenario (test/scenarios/README.md): SCENARIO/events.log (syslog lines
# and JSON events) replayed in event time through the shipped rules with SCENARIO's
# inventory into a private redis-server; then each incident of SCENARIO/expected.json is
# found by class and exact key and checked: the exact sequence of its lifecycle records,
# its final severity and status, a subset of its playbook steps and findings (vigilctl
# incidents show) and the action calls in its history. With "exact": true no other
# incident may exist. When the scenario expects actions, the replay runs them (--actions)
# against loopback peers started here: test/tools/http_sink.py and smtp_sink.py, and
# snmpd playing a switch through test/tools/fake_switch when the inventory names
# @SNMP_PORT@. The inventory's placeholders and the loopback server URLs of the rules'
# action params are pointed at those peers in temporary copies.
# Usage: run.sh VIGILD VIGILCTL SRCDIR BUILDDIR SCENARIO_DIR
#        run.sh VIGILD VIGILCTL SRCDIR BUILDDIR --selftest SCENARIO_DIR
#   --selftest: the scenario must pass as it is, and fail, naming the incident and the
#   field, with each of a set of wrong expectations derived from its expected.json.
# Exit status 0 ok, 1 a difference (each one on stdout), 77 a tool is missing (skipped).
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
if [ $# -lt 5 ]; then
  echo "usage: run.sh VIGILD VIGILCTL SRCDIR BUILDDIR [--selftest] SCENARIO_DIR" >&2
  exit 2
fi
VIGILD=$1 VIGILCTL=$2 SRC=$3 BUILD=$4
SELFTEST=0
if [ "$5" = --selftest ]; then
  SELFTEST=1
  SCEN=${6:?run.sh: --selftest needs a scenario directory}
else
  SCEN=$5
fi
SCEN=${SCEN%/}
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 is needed"; exit 77; }
command -v redis-server >/dev/null || { echo "SKIP: redis-server is not installed"; exit 77; }
name=$(basename "$SCEN")
TMP=$(mktemp -d /tmp/vg_scenario.XXXXXX)
. "$SRC/test/integration/lib.sh"
# Requests to 127.0.0.1 must reach the sinks, not a proxy of the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

for f in events.log inventory.json expected.json; do
  [ -f "$SCEN/$f" ] || fail "scenario $name: no $f in $SCEN"
done

# ---- self-test: wrong expectations must fail, each with its message -------------------------
if [ "$SELFTEST" = 1 ]; then
  out=$(bash "$0" "$VIGILD" "$VIGILCTL" "$SRC" "$BUILD" "$SCEN" 2>&1) && rc=0 || rc=$?
  [ "$rc" = 77 ] && { echo "$out"; exit 77; }
  [ "$rc" = 0 ] || fail "self-test: scenario $name fails as it is: $out"
  # One mutated copy per line: NAME<TAB>the text its failure must contain.
  "$PY" - "$SCEN" "$TMP" >"$TMP/mutants.tsv" <<'PY'
import copy, json, os, shutil, sys
scen, tmp = sys.argv[1:3]
base = json.load(open(os.path.join(scen, "expected.json")))
first = base["incidents"][0]
label = "incident 0 (%s %s)" % (first["class"], json.dumps(first["key"], sort_keys=True))
def mutant(name, change, want):
    e = copy.deepcopy(base)
    change(e, e["incidents"][0])
    d = os.path.join(tmp, "mutants", name)
    os.makedirs(d)
    for f in ("events.log", "inventory.json"):
        shutil.copy(os.path.join(scen, f), d)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(e, f)
    print("%s\t%s" % (name, want))
def sev(e, i):
    i["severity"] = "info" if i.get("severity") != "info" else "low"
mutant("severity", sev, label + ": severity ")
mutant("status", lambda e, i: i.update(status="no-such-status"), label + ": status ")
mutant("transitions", lambda e, i: i.update(transitions=i.get("transitions", []) + ["close", "open"]),
       label + ": transitions ")
mutant("step", lambda e, i: i.setdefault("playbook", {}).update({"9.9.9": {"status": "done"}}),
       label + ": playbook has no step 9.9.9")
mutant("findings", lambda e, i: i.setdefault("findings", {}).update({"no_such_finding": 1}),
       label + ": findings.no_such_finding: expected 1, got null")
mutant("missing", lambda e, i: e["incidents"].append({"class": "no_such_class",
                                                      "key": {"host.name": "nowhere"}}),
       'incident %d (no_such_class {"host.name": "nowhere"}): 0 incidents with this class and key'
       % len(base["incidents"]))
def extra(e, i):
    e["exact"] = True
    del e["incidents"][0]
mutant("exact", extra, "unexpected incident: %s %s" % (first["class"],
                                                       json.dumps(first["key"], sort_keys=True)))
mutant("action", lambda e, i: i.update(actions=i.get("actions", []) +
                                        [{"plugin": "no_such_plugin", "step": "5.9.9"}]),
       label + ": no action no_such_plugin")
mutant("member", lambda e, i: i.update(severty="high"), label + ": unknown member severty")
PY
  n=0
  while IFS=$'\t' read -r mut want; do
    out=$(bash "$0" "$VIGILD" "$VIGILCTL" "$SRC" "$BUILD" "$TMP/mutants/$mut" 2>&1) && rc=0 || rc=$?
    [ "$rc" = 77 ] && { echo "self-test: mutant $mut skipped: $out"; continue; }
    [ "$rc" = 1 ] || fail "self-test: mutant $mut of $name exited $rc, expected 1: $out"
    case "$out" in
      *"$want"*) ;;
      *) fail "self-test: mutant $mut of $name: no '$want' in: $out" ;;
    esac
    n=$((n + 1))
  done <"$TMP/mutants.tsv"
  [ "$n" -ge 8 ] || fail "self-test: only $n mutants of $name ran"
  echo "self-test: scenario $name passes; $n wrong expectations caught"
  exit 0
fi

# ---- what the scenario needs (expected.json is checked for unknown members first) -----------
needs=$("$PY" - "$SCEN" <<'PY'
import json, os, sys
scen = sys.argv[1]
try:
    e = json.load(open(os.path.join(scen, "expected.json")))
except ValueError as err:
    print("bad expected.json: %s" % err)
    sys.exit(1)
problems = []
if not isinstance(e, dict) or not isinstance(e.get("incidents"), list):
    problems.append('expected.json: needs {"incidents": [...]}')
    e = {"incidents": []}
for k in e:
    if k not in ("incidents", "exact", "comment"):
        problems.append("expected.json: unknown member %s" % k)
allowed = {"class", "key", "transitions", "severity", "status", "playbook", "findings",
           "actions", "comment"}
for n, i in enumerate(e["incidents"]):
    if not isinstance(i, dict) or "class" not in i or not isinstance(i.get("key"), dict):
        problems.append("incident %d: needs class and key (an object)" % n)
        continue
    label = "incident %d (%s %s)" % (n, i["class"], json.dumps(i["key"], sort_keys=True))
    for k in sorted(set(i) - allowed):
        problems.append("%s: unknown member %s" % (label, k))
    for a in i.get("actions", []):
        if not isinstance(a, dict) or "plugin" not in a:
            problems.append("%s: an action needs a plugin: %r" % (label, a))
if problems:
    print("; ".join(problems))
    sys.exit(1)
inv = open(os.path.join(scen, "inventory.json")).read()
actions = any("actions" in i for i in e["incidents"])
sinks = actions or "@HTTP@" in inv or "@SMTP@" in inv
print(int(actions), int(sinks), int("@SNMP_PORT@" in inv))
PY
) || fail "scenario $name: $needs"
read -r want_actions want_sinks want_snmp <<<"$needs"

# ---- peers ----------------------------------------------------------------------------------
sock="$TMP/redis.sock"
redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.out" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "scenario $name: redis-server did not start"

HTTP_URL=http://127.0.0.1:9 SMTP_URL=smtp://127.0.0.1:9 SNMP_PORT=9
if [ "$want_sinks" = 1 ]; then
  if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
    echo "SKIP: scenario $name runs actions: python3-aiosmtpd is not installed"
    exit 77
  fi
  # Every HTTP request answers 201 with a ticket id; the sinks log what they got.
  "$PY" "$SRC/test/tools/http_sink.py" --log "$TMP/http.jsonl" --port-file "$TMP/http.port" \
    --script '{"*": [{"status": 201, "body": {"id": "TT-1", "status": "ok"}}]}' \
    2>"$TMP/http.err" &
  pids+=($!)
  "$PY" "$SRC/test/tools/smtp_sink.py" --log "$TMP/smtp.jsonl" --port-file "$TMP/smtp.port" \
    2>"$TMP/smtp.err" &
  pids+=($!)
  wait_for 20 test -s "$TMP/http.port" || fail "scenario $name: http_sink did not start"
  wait_for 20 test -s "$TMP/smtp.port" || fail "scenario $name: smtp_sink did not start"
  HTTP_URL=http://127.0.0.1:$(cat "$TMP/http.port")
  SMTP_URL=smtp://127.0.0.1:$(cat "$TMP/smtp.port")
fi
# The community of the fake switch: inventories name it "env:VG_SCENARIO_SNMP_COMMUNITY".
export VG_SCENARIO_SNMP_COMMUNITY=scenario-c0mmunity
if [ "$want_snmp" = 1 ]; then
  SNMPD=/usr/sbin/snmpd
  [ -x "$SNMPD" ] || { echo "SKIP: scenario $name needs snmpd (apt-get install snmpd)"; exit 77; }
  export SNMPCONFPATH="$TMP/no-snmp-conf" SNMP_PERSISTENT_DIR="$TMP/persist" MIBS=""
  export FAKE_SWITCH_LOG="$TMP/switch.log"
  mkdir -p "$TMP/persist"
  SNMP_PORT=$(perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0) or die;
    print $s->sockport;')
  FAKE=$SRC/test/tools/fake_switch
  cat >"$TMP/snmpd.conf" <<EOF
rwcommunity $VG_SCENARIO_SNMP_COMMUNITY 127.0.0.1
pass_persist -p 10 .1.3.6.1.2.1.2.2.1 $FAKE
pass_persist -p 10 .1.3.6.1.2.1.31.1.1.1 $FAKE
pass_persist -p 10 .1.3.6.1.4.1.9.9.96 $FAKE
EOF
  "$SNMPD" -f -Lo -C -c "$TMP/snmpd.conf" -p "$TMP/snmpd.pid" "udp:127.0.0.1:$SNMP_PORT" \
    >"$TMP/snmpd.out" 2>"$TMP/snmpd.err" &
  pids+=($!)
  wait_for 30 grep -q "NET-SNMP version" "$TMP/snmpd.out" ||
    fail "scenario $name: snmpd did not start"
fi

# ---- the scenario's inventory and the shipped rules, pointed at the peers --------------------
"$PY" - "$SRC/rules" "$SCEN/inventory.json" "$TMP" "$HTTP_URL" "$SMTP_URL" "$SNMP_PORT" <<'PY' ||
import glob, json, os, re, sys
rules, inv, tmp, http, smtp, snmp_port = sys.argv[1:7]
subst = {"@HTTP@": http, "@SMTP@": smtp, "@SNMP_PORT@": snmp_port, "@TMP@": tmp}
def fill(s):
    for k, v in subst.items():
        s = s.replace(k, v)
    return s
with open(os.path.join(tmp, "inventory.json"), "w") as f:
    f.write(fill(open(inv).read()))
# A server on this host named by an action param (the shipped rules' smtp://127.0.0.1:25)
# is the sink of its scheme; the path is kept.
local = re.compile(r"^(smtps?|https?)://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(?=/|$)")
def local_url(s):
    m = local.match(s)
    if not m:
        return s
    return (smtp if m.group(1).startswith("smtp") else http) + s[m.end():]
def walk(v):
    if isinstance(v, dict):
        return {k: walk(x) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x) for x in v]
    if isinstance(v, str):
        return local_url(fill(v))
    return v
os.makedirs(os.path.join(tmp, "rules"))
for path in sorted(glob.glob(os.path.join(rules, "*.json"))):
    try:
        doc = json.load(open(path))
    except ValueError as err:
        sys.exit("%s: not JSON: %s" % (path, err))
    for r in doc.get("rules", []):
        for tr, entries in r.get("actions", {}).items():
            for a in entries:
                if "params" in a:
                    a["params"] = walk(a["params"])
    with open(os.path.join(tmp, "rules", os.path.basename(path)), "w") as f:
        json.dump(doc, f, indent=1)
PY
  fail "scenario $name: cannot prepare the inventory and rules (above)"

# ---- the replay -----------------------------------------------------------------------------
actions=()
[ "$want_actions" = 1 ] && actions=(--actions)
"$VIGILD" --replay "$SCEN/events.log" --year 2026 --rules "$TMP/rules" \
  --normalize "$SRC/rules/normalize" --plugins "$BUILD/plugins" \
  --inventory "$TMP/inventory.json" --redis "unix:$sock" --keep-state "${actions[@]}" \
  >"$TMP/records.jsonl" 2>"$TMP/replay.err" ||
  fail "scenario $name: the replay failed: $(tail -5 "$TMP/replay.err")"

# ---- the checks -----------------------------------------------------------------------------
"$PY" - "$SCEN/expected.json" "$TMP/records.jsonl" "$VIGILCTL" "unix:$sock" "$name" <<'PY' ||
import json, os, subprocess, sys

expected_path, records_path, vigilctl, redis, name = sys.argv[1:6]
expected = json.load(open(expected_path))
records = [json.loads(l) for l in open(records_path) if l.strip()]
problems = []

def ident(cls, key):
    return "%s %s" % (cls, json.dumps(key, sort_keys=True))

by_incident = {}
for r in records:
    by_incident.setdefault(r["incident"]["id"], []).append(r)

def show(iid):
    out = subprocess.run([vigilctl, "--redis", redis, "incidents", "show", iid],
                         capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else out.stderr.strip()

dump = os.environ.get("VG_SCENARIO_DUMP")
if dump:
    # For writing expected.json: the records and every incident as vigilctl shows it.
    os.makedirs(dump, exist_ok=True)
    with open(os.path.join(dump, "records.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    with open(os.path.join(dump, "incidents.json"), "w") as f:
        json.dump([dict(show(i), transitions=[r["transition"] for r in rs])
                   for i, rs in by_incident.items()], f, indent=1)

def subset(want, got, where):
    for k, v in want.items():
        g = got.get(k) if isinstance(got, dict) else None
        if isinstance(v, dict) and isinstance(g, dict):
            subset(v, g, "%s.%s" % (where, k))
        elif g != v:
            problems.append("%s.%s: expected %s, got %.300s" % (where, k, json.dumps(v), json.dumps(g)))

matched = set()
for n, want in enumerate(expected["incidents"]):
    label = "incident %d (%s)" % (n, ident(want["class"], want["key"]))
    ids = [i for i, rs in by_incident.items()
           if rs[0]["incident"]["class"] == want["class"] and rs[0]["incident"]["key"] == want["key"]]
    if len(ids) > 1:
        problems.append("%s: %d incidents with this class and key, expected 1 (%s)" % (
            label, len(ids), "; ".join("%s: %s" % (i, " ".join(r["transition"] for r in by_incident[i]))
                                       for i in ids)))
        continue
    if not ids:
        same = sorted({ident(rs[0]["incident"]["class"], rs[0]["incident"]["key"])
                       for rs in by_incident.values() if rs[0]["incident"]["class"] == want["class"]})
        problems.append("%s: 0 incidents with this class and key, expected 1 (incidents of class %s: %s)"
                        % (label, want["class"], "; ".join(same) or "none"))
        continue
    iid = ids[0]
    matched.add(iid)
    trs = [r["transition"] for r in by_incident[iid]]
    if "transitions" in want and trs != want["transitions"]:
        problems.append("%s: transitions %s, expected %s (id %s)" % (label, trs, want["transitions"], iid))
    shown = show(iid)
    if not isinstance(shown, dict):
        problems.append("%s: vigilctl incidents show failed: %s" % (label, shown))
        continue
    for field in ("severity", "status"):
        if field in want and shown.get(field) != want[field]:
            problems.append("%s: %s %s, expected %s" % (label, field, json.dumps(shown.get(field)),
                                                        json.dumps(want[field])))
    steps = {s["step"]: s for s in shown.get("playbook", [])}
    for step, fields in want.get("playbook", {}).items():
        if step not in steps:
            problems.append("%s: playbook has no step %s (steps: %s)" % (label, step, " ".join(steps)))
        else:
            subset(fields, steps[step], "%s: step %s" % (label, step))
    if "findings" in want:
        subset(want["findings"], shown.get("findings", {}), label + ": findings")
    acts = [h for h in shown.get("history", []) if h.get("type") == "action"]
    def fits(h, a):
        return (h.get("action") == a["plugin"] and h.get("status") == a.get("status", "ok")
                and all(h.get(k) == a[k] for k in ("step", "transition") if k in a))
    # An action that failed is a difference unless the scenario says it fails.
    for h in acts:
        if "actions" in want and h.get("status") in ("failed", "timeout") and \
                not any(fits(h, a) for a in want["actions"]):
            problems.append("%s: action %s %s %s %s: %.200s" % (
                label, h.get("action"), h.get("transition"), h.get("step"), h.get("status"),
                h.get("error", "")))
    for a in want.get("actions", []):
        if not any(fits(h, a) for h in acts):
            have = ["%s %s %s %s" % (h.get("action"), h.get("transition"), h.get("step"), h.get("status"))
                    for h in acts]
            problems.append("%s: no action %s (status %s) in the history; actions: %s" % (
                label, " ".join(str(a[k]) for k in ("plugin", "transition", "step") if k in a),
                a.get("status", "ok"), "; ".join(have) or "none"))
if expected.get("exact"):
    for i, rs in sorted(by_incident.items()):
        if i not in matched:
            problems.append("unexpected incident: %s %s (%s)"
                            % (ident(rs[0]["incident"]["class"], rs[0]["incident"]["key"]), i,
                               " ".join(r["transition"] for r in rs)))
if problems:
    print("scenario %s:\n  %s" % (name, "\n  ".join(problems)))
    sys.exit(1)
print("scenario %s: %d incidents as expected (%d records, %d incidents)"
      % (name, len(expected["incidents"]), len(records), len(by_incident)))
PY
  {
    echo "FAIL: scenario $name: the differences are listed above; the replay's log ends:" >&2
    tail -20 "$TMP/replay.err" >&2
    exit 1
  }
