#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile event fields through every shipped action plugin at once. One rule calls, on each
# incident's open: exec (a fixed argv; the record arrives on stdin), port_isolate,
# switch_config_restore, spare_dispatch, carrier_ticket, db_failover, notify (webhook to a
# real HTTP receiver) and syslog_forward (to a real UDP receiver). The incidents are keyed
# by host names that carry `;`, `$(...)`, backticks, a newline with a mail header, quotes,
# 64 KiB and bytes that are not UTF-8. Asserted: nothing was executed (no file the payloads
# would create exists), every plugin that needs a name refused each of them before acting
# (history says "refused"; action_values_rejected counts them), and what did go out (exec's
# stdin, the webhook bodies, the syslog frames) carries the payloads only escaped.
# Usage: injection_all.sh VIGILD VIGILCTL SRCDIR BUILDDIR
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3 BUILD=$4
TMP=$(mktemp -d /tmp/vg_inject.XXXXXX)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "python3 is needed"; exit 77; }

sock="$TMP/redis.sock"
redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.err" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"

"$PY" "$SRC/test/tools/http_sink.py" --log "$TMP/http.jsonl" --port-file "$TMP/http.port" \
  --script '{"*": [{"status": 202, "body": {"id": "T-1"}}]}' >"$TMP/http.err" 2>&1 &
pids+=($!)
wait_for 20 test -s "$TMP/http.port" || fail "http_sink did not start"
hport=$(cat "$TMP/http.port")
# A UDP syslog receiver: each datagram as one JSON string per line (so raw bytes stay visible).
"$PY" - "$TMP/udp.port" "$TMP/udp.jsonl" >"$TMP/udp.err" 2>&1 <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        data, _ = s.recvfrom(65535)
        out.write(json.dumps(data.decode("latin-1")) + "\n")
        out.flush()
PY
pids+=($!)
wait_for 20 test -s "$TMP/udp.port" || fail "udp receiver did not start"
uport=$(cat "$TMP/udp.port")

cat >"$TMP/inv.json" <<'JSON'
{"devices": [{"name": "sw1", "addresses": ["10.9.0.1"], "model": "C9300-48P",
              "snmp": {"version": "2c", "community": "env:VG_INJ_COMMUNITY"}}],
 "hosts": [{"name": "pacs-01", "addresses": ["10.9.1.1"], "switch": "sw1", "port": "Gi1/0/1"}],
 "spares": [{"model": "C9300-48P", "location": "store", "count": 1}],
 "databases": [{"name": "his-db", "primary": "db1", "standby": "db2",
                "promote": ["/bin/true"], "check": ["/bin/true"]}]}
JSON
export VG_INJ_COMMUNITY=private
mkdir "$TMP/rules"
cat >"$TMP/rules/inj.json" <<JSON
{"rules": [{"name": "inj", "plugin": "single", "match": {"event.action": ["malware.detected"]},
  "key": ["host.name"],
  "incident": {"title": "malware on \${host.name}", "severity": "high", "class": "virus",
               "procedure": "5.2.2"},
  "actions": {"open": [
    {"plugin": "exec", "retries": 0, "params": {"argv": ["/bin/sh", "-c", "cat >\\"\$1/exec.\$VIGIL_INCIDENT_ID.json\\"", "sh", "$TMP"]}},
    {"plugin": "port_isolate", "retries": 0, "undo": false, "params": {"timeout": "200ms", "retries": 0}},
    {"plugin": "switch_config_restore", "retries": 0, "params": {"timeout": "200ms", "retries": 0}},
    {"plugin": "spare_dispatch", "retries": 0, "params": {"roles": [], "webhook": ["http://127.0.0.1:$hport/spare"]}},
    {"plugin": "carrier_ticket", "retries": 0, "params": {"api": "http://127.0.0.1:$hport/ticket", "via": ["api"]}},
    {"plugin": "db_failover", "retries": 0, "params": {"verify_within": "1s"}},
    {"plugin": "notify", "retries": 0, "params": {"webhook": ["http://127.0.0.1:$hport/notify"]}},
    {"plugin": "syslog_forward", "retries": 0, "params": {"target": "udp://127.0.0.1:$uport", "format": "json"}}
  ]}}]}
JSON

# The hostile names, as JSON events (escapes spell them; the last carries raw bytes that are
# not UTF-8).
big=$(head -c 65536 /dev/zero | tr '\0' 'A')
{
  printf '{"@timestamp":"2026-11-26T10:00:01Z","event.action":"malware.detected","host.name":"pacs-01;touch %s/pwned1"}\n' "$TMP"
  printf '{"@timestamp":"2026-11-26T10:00:02Z","event.action":"malware.detected","host.name":"$(touch %s/pwned2)"}\n' "$TMP"
  printf '{"@timestamp":"2026-11-26T10:00:03Z","event.action":"malware.detected","host.name":"`touch %s/pwned3`"}\n' "$TMP"
  printf '{"@timestamp":"2026-11-26T10:00:04Z","event.action":"malware.detected","host.name":"x\\nBcc: evil@example.com"}\n'
  printf '{"@timestamp":"2026-11-26T10:00:05Z","event.action":"malware.detected","host.name":"a\\"b'"'"'c"}\n'
  printf '{"@timestamp":"2026-11-26T10:00:06Z","event.action":"malware.detected","host.name":"%s"}\n' "$big"
  printf '{"@timestamp":"2026-11-26T10:00:07Z","event.action":"malware.detected","host.name":"\xff\xfehost"}\n'
} >"$TMP/events.log"
n_events=7

"$VIGILD" --replay "$TMP/events.log" --rules "$TMP/rules" --plugins "$BUILD/plugins" \
  --inventory "$TMP/inv.json" --redis "unix:$sock" --keep-state --actions --year 2026 \
  >"$TMP/replay.records" 2>"$TMP/replay.err" || fail "replay exited with an error"
[ "$(grep -c '"transition":"open"' "$TMP/replay.records")" -eq "$n_events" ] ||
  fail "expected $n_events incidents: $(grep -c '"transition":"open"' "$TMP/replay.records")"

# 1. Nothing executed.
for f in pwned1 pwned2 pwned3; do
  [ ! -e "$TMP/$f" ] || fail "a payload was executed: $TMP/$f exists"
done
# 2. exec got each record on stdin as JSON: each parses, the names are intact values.
"$PY" - "$TMP" "$n_events" <<'PY' || fail "exec's stdin: $(ls "$TMP")"
import glob, json, sys
# One file per call (the calls of different incidents run at once on two workers).
recs = [json.load(open(f, encoding="utf-8", errors="surrogateescape"))
        for f in glob.glob(sys.argv[1] + "/exec.*.json")]
assert len(recs) == int(sys.argv[2]), len(recs)
names = {r["incident"]["key"]["host.name"] for r in recs}
assert any(n.startswith("x\nBcc:") for n in names), names
PY
# 3. Every plugin that uses the name refused every hostile one, before acting.
ids=$(grep -o '"transition":"open","incident":{"id":"[0-9a-f]*-[0-9]*"' "$TMP/replay.records" | cut -d'"' -f10)
for id in $ids; do
  "$VIGILCTL" --redis "unix:$sock" incidents show "$id" >"$TMP/show-$id.json" || fail "show $id"
done
"$PY" - "$TMP" $ids <<'PY' 2>"$TMP/check.err" || fail "refusals: $(cat "$TMP/check.err")"
import json, sys
tmp, ids = sys.argv[1], sys.argv[2:]
must_refuse = ["port_isolate", "switch_config_restore", "spare_dispatch", "carrier_ticket",
               "db_failover"]
for i in ids:
    inc = json.load(open(f"{tmp}/show-{i}.json", encoding="utf-8", errors="surrogateescape"))
    acts = {h["action"]: h for h in inc["history"] if h.get("type") == "action"}
    name = inc["key"]["host.name"]
    for p in must_refuse:
        h = acts.get(p)
        assert h is not None, f"{i}: no {p} call"
        assert h["status"] == "failed", f"{i} ({name[:30]!r}): {p} status {h['status']}"
        assert "refused" in h.get("error", ""), f"{i}: {p}: {h.get('error')}"
    assert acts["exec"]["status"] == "ok", f"{i}: exec {acts['exec']}"
PY
# 4. The webhook bodies and syslog frames carry the names escaped: each body is JSON whose
#    values hold the name exactly; no frame has a raw newline or a raw quote in its SD.
"$PY" - "$TMP/http.jsonl" "$TMP/udp.jsonl" <<'PY' 2>"$TMP/out.err" || fail "what went out: $(cat "$TMP/out.err")"
import json, sys
sent = {}
for line in open(sys.argv[1]):
    req = json.loads(line)
    body = json.loads(req["body"])  # every body is well-formed JSON
    if req["path"] == "/notify":
        sent[body["timestamp"][17:19]] = body
# notify sends free text escaped, and refuses the newline (04) and the 64 KiB name (06).
assert sorted(sent) == ["01", "02", "03", "05", "07"], sorted(sent)
assert sent["05"]["incident"]["title"] == "malware on a\"b'c", sent["05"]["incident"]["title"]
assert sent["02"]["incident"]["title"].startswith("malware on $(touch "), sent["02"]
assert not any(k == "/spare" or k == "/ticket" for k in (json.loads(l)["path"] for l in open(sys.argv[1])))
for line in open(sys.argv[2]):
    frame = json.loads(line)
    assert "\n" not in frame.rstrip("\n"), f"raw newline in a syslog frame: {frame[:120]!r}"
PY
stats=$(grep -o 'replay done: {.*}' "$TMP/replay.err" | tail -1)
rej=$(echo "$stats" | grep -o '"action_values_rejected":[0-9]*' | cut -d: -f2)
# Five plugins refuse each of the seven names.
[ "${rej:-0}" -ge $((5 * n_events)) ] || fail "action_values_rejected is ${rej:-0}, expected >= $((5 * n_events)): $stats"
echo "injection_all: $n_events hostile names through 8 plugins, $rej values refused, nothing executed"
