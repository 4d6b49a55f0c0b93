#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTTP and e-mail actions (notify, spare_dispatch, carrier_ticket) against real peers on
# 127.0.0.1: test/tools/http_sink.py (records every request, answers from a script) and
# test/tools/smtp_sink.py (aiosmtpd). Logs are replayed with --actions and the inventory
# test/data/rules-http/inventory.json.
# Usage: http_actions.sh VIGILD VIGILCTL SRCDIR
#  A. Open: a carrier circuit's outage opens a ticket through an API answering 503 twice, then
#     201 (retried, created exactly once, id recorded) and by e-mail; a circuit whose fault is
#     ours opens none; notify in generic, Alertmanager v4 and PagerDuty v2 shapes and by
#     e-mail to inventory roles (RFC 2047 subject); a spare from the device's own site; no
#     spare of a model fails the step with the supplier-engineer message; a CR in an event
#     field (header injection) is refused; no secret in any log or history.
#  B. Resolve: the ticket id of the open reaches the update (PATCH .../TT-123, resolved);
#     Alertmanager resolved, PagerDuty resolve.
#  C. Retries: an e-mail refused with 451 after the ticket was created is retried without a
#     second ticket; a 400 is not retried; a closed port is retried, then fails.
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3
PY=/usr/bin/python3
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
  echo "SKIP: python3-aiosmtpd is not installed"
  exit 77
fi
TMP=$(mktemp -d /tmp/vg_http.XXXXXX)
. "$(dirname "$0")/lib.sh"
# Requests to 127.0.0.1 must reach the sinks, not a proxy of the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
DATA="$SRC/test/data/rules-http"
sock="$TMP/redis.sock"
export VG_SOCK="$sock" VG_VIGILCTL="$VIGILCTL" VG_TMP="$TMP"

start_http() { # start_http NAME SCRIPT: the sink's port in HTTP_PORT
  "$PY" "$SRC/test/tools/http_sink.py" --log "$TMP/$1.jsonl" --port-file "$TMP/$1.port" \
    --script "$2" 2>"$TMP/$1.err" &
  pids+=($!)
  wait_for 20 test -s "$TMP/$1.port" || fail "http_sink $1 did not start"
  HTTP_PORT=$(cat "$TMP/$1.port")
}
start_smtp() { # start_smtp NAME [--fail-first N]: the sink's port in SMTP_PORT, pid in SMTP_PID
  "$PY" "$SRC/test/tools/smtp_sink.py" --log "$TMP/$1.jsonl" --port-file "$TMP/$1.port" \
    "${@:2}" 2>"$TMP/$1.err" &
  pids+=($!)
  SMTP_PID=$!
  wait_for 20 test -s "$TMP/$1.port" || fail "smtp_sink $1 did not start"
  SMTP_PORT=$(cat "$TMP/$1.port")
}
render() { # render SRC DST: the sinks' URLs and the secrets' directory filled in
  sed -e "s#@HTTP@#http://127.0.0.1:$HTTP_PORT#g" -e "s#@SMTP@#smtp://127.0.0.1:$SMTP_PORT#g" \
    -e "s#@TMP@#$TMP#g" "$1" >"$2"
}
replay() { # replay NAME RULEFILE: $TMP/NAME.log through the rules, actions on
  mkdir -p "$TMP/rules-$1"
  render "$DATA/$2" "$TMP/rules-$1/$2"
  "$VIGILD" --replay "$TMP/$1.log" --year 2026 --rules "$TMP/rules-$1" --actions --keep-state \
    --redis "unix:$sock" --inventory "$TMP/inventory.json" >"$TMP/$1.out" 2>"$TMP/$1.err" ||
    fail "replay $1"
}
# check WHAT: run the Python assertions on stdin with the helpers below; fail with their message
check() {
  local msg
  msg=$(cat "$TMP/helpers.py" - | "$PY" - 2>&1) || fail "$1: $msg"
}
cat >"$TMP/helpers.py" <<'PY'
import email, email.header, email.policy, json, os, subprocess, sys
TMP = os.environ["VG_TMP"]
def jl(name):
    with open(os.path.join(TMP, name), encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]
def need(cond, msg):
    if not cond:
        print(msg)
        sys.exit(1)
def incident(out, rule, **key):
    """The id of the incident of rule with key (dotted names as host_name=...) in NAME.out."""
    want = {k.replace("_", "."): v for k, v in key.items()}
    for r in jl(out):
        if r.get("rule", {}).get("name") == rule and r["incident"]["key"] == want:
            return r["incident"]["id"]
    need(False, "no incident of %s %s in %s" % (rule, want, out))
def show(iid):
    out = subprocess.run([os.environ["VG_VIGILCTL"], "--redis", "unix:" + os.environ["VG_SOCK"],
                          "incidents", "show", iid], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)
def calls(iid, action, transition):
    return [h for h in show(iid)["history"] if h.get("type") == "action" and
            h["action"] == action and h["transition"] == transition]
def step(iid, sid):
    return [s for s in show(iid)["playbook"] if s["step"] == sid][0]
def reqs(log, method, path):
    return [r for r in jl(log) if r["method"] == method and r["path"] == path]
def mails(log):
    return [(m, email.message_from_string(m["data"].replace("\r\n", "\n"), policy=email.policy.default))
            for m in jl(log)]
PY

redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.err" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
start_http http '{
  "POST /tickets": [{"status": 503, "times": 2, "body": {"error": "busy"}},
                    {"status": 201, "body": {"id": "TT-123", "state": "new"}}],
  "PATCH /tickets/TT-123": [{"status": 200, "body": {"id": "TT-123", "state": "resolved"}}],
  "POST /pd": [{"status": 202, "body": {"status": "success", "message": "Event processed"},
                "echo": ["dedup_key"]}],
  "POST /t3": [{"status": 201, "body": {"ticket": {"no": 4711}}}],
  "POST /bad": [{"status": 400, "body": {"error": "bad payload"}}]}'
start_smtp smtp
render "$DATA/inventory.json" "$TMP/inventory.json"
printf 'tok-abc-secret\n' >"$TMP/carrier.token"
printf 'R0UTINGKEY0123456789abcdef0123ab\n' >"$TMP/pd.key"
chmod 600 "$TMP/carrier.token" "$TMP/pd.key"

# --- A. open ---------------------------------------------------------------------------------
link() { printf '<187>Mar  3 %s %s %%LINK-3-UPDOWN: Interface %s, changed state to %s\n' "$@"; }
fan() { printf '<185>Mar  3 %s %s %%PLATFORM_THERMAL-1-FRU_FAN_FAILURE: Switch 1: System fan 2 failed\n' "$@"; }
{
  link 10:20:00 wan-r1 Serial0/0/0 down
  link 10:20:01 wan-r2 Serial0/1/0 down
  link 10:20:02 sw-core-1 GigabitEthernet1/0/1 down
  fan 10:21:00 sw-core-1
  fan 10:21:05 sw-access-9
  link 10:22:00 sw-core-1 $'Gi1/0/9\rBcc: evil@attacker.example' down
} >"$TMP/open.log"
replay open http.json

check "carrier ticket: 503 twice, then created once" <<'PY'
wan = incident("open.out", "wan-down", host_name="wan-r1", interface_name="Serial0/0/0")
posts = reqs("http.jsonl", "POST", "/tickets")
need([r["status"] for r in posts] == [503, 503, 201], "POST /tickets answers: %s" % [r["status"] for r in posts])
need(all(r["body"] == posts[0]["body"] for r in posts), "the retries sent different tickets")
t = posts[-1]["json"]
need(t["circuit_id"] == "CT-1001" and t["carrier"] == "ChinaTel" and t["severity"] == "high"
     and t["start_time"] == "2026-03-03T10:20:00.000Z" and t["reference"] == wan
     and t["account"] == "ACC-77" and t["device"] == "wan-r1" and t["interface"] == "Serial0/0/0",
     "ticket fields: %s" % t)
need(t["checked"] == ["interface Serial0/0/0 reset: still down",
                      "CSU/DSU loopback towards the carrier: ok"], "checked: %s" % t["checked"])
need(t["seen"]["count"] == 1 and t["seen"]["last_event"] == "link.down"
     and t["seen"]["title"] == "WAN link Serial0/0/0 down on wan-r1", "seen: %s" % t["seen"])
h = posts[-1]["headers"]
need(h["authorization"] == "Bearer tok-abc-secret", "no bearer token: %s" % h)
need(h["content-type"].startswith("application/json"), "content type %s" % h["content-type"])
c = calls(wan, "carrier_ticket", "open")
need(len(c) == 1 and c[0]["status"] == "ok" and c[0]["attempts"] == 3, "history: %s" % c)
need(c[0]["result"]["ticket_id"] == "TT-123" and c[0]["result"]["circuit_id"] == "CT-1001",
     "results: %s" % c[0]["result"])
need(step(wan, "5.2.5.4")["status"] == "done", "step 5.2.5.4: %s" % step(wan, "5.2.5.4"))
need(all("CT-2002" not in r["body"] for r in jl("http.jsonl")), "a ticket for our own fault")
ours = incident("open.out", "wan-down", host_name="wan-r2", interface_name="Serial0/1/0")
c = calls(ours, "carrier_ticket", "open")
need(len(c) == 1 and c[0]["status"] == "ok" and c[0]["result"].get("skipped") == "ours"
     and "fault is ours: no carrier ticket" in c[0]["output"], "ours: %s" % c)
PY

check "notify payloads" <<'PY'
wan = incident("open.out", "wan-down", host_name="wan-r1", interface_name="Serial0/0/0")
lan = incident("open.out", "lan-down", host_name="sw-core-1", interface_name="GigabitEthernet1/0/1")
g = [r["json"] for r in reqs("http.jsonl", "POST", "/generic") if r["json"]["incident"]["id"] == wan]
need(len(g) == 1, "generic payloads of %s: %d" % (wan, len(g)))
g = g[0]
need(g["version"] == "1" and g["transition"] == "open" and g["rule"] == "wan-down"
     and g["incident"]["class"] == "wan_outage" and g["incident"]["severity"] == "high"
     and g["incident"]["key"] == {"host.name": "wan-r1", "interface.name": "Serial0/0/0"}
     and g["incident"]["count"] == 1 and g["incident"]["procedure"] == "5.2.5"
     and g["incident"]["first_seen"] == "2026-03-03T10:20:00.000Z"
     and g["link"] == "https://noc.example/incidents/" + wan, "generic: %s" % g)
need(g["playbook"]["summary"] == "5 steps: 5 pending" and len(g["playbook"]["steps"]) == 5,
     "playbook: %s" % g["playbook"])
am = reqs("http.jsonl", "POST", "/am")
need(len(am) == 1, "alertmanager payloads: %d" % len(am))
a = am[0]["json"]
al = a["alerts"][0]
need(a["version"] == "4" and a["status"] == "firing" and a["receiver"] == "noc-team"
     and a["groupLabels"] == {"alertname": "lan-down", "incident_id": lan}
     and a["groupKey"] == '{}:{alertname="lan-down", incident_id="%s"}' % lan
     and a["externalURL"] == "https://noc.example/i/" + lan and a["truncatedAlerts"] == 0,
     "alertmanager: %s" % a)
need(al["status"] == "firing" and al["labels"]["host_name"] == "sw-core-1"
     and al["labels"]["interface_name"] == "GigabitEthernet1/0/1"
     and al["labels"]["severity"] == "medium" and al["labels"]["alertname"] == "lan-down"
     and al["annotations"]["summary"] == "Interface GigabitEthernet1/0/1 down on sw-core-1"
     and al["startsAt"] == "2026-03-03T10:20:02.000Z" and al["endsAt"] == "0001-01-01T00:00:00Z"
     and al["fingerprint"] == lan[:16] and a["commonLabels"] == al["labels"],
     "alert: %s" % al)
pd = reqs("http.jsonl", "POST", "/pd")
need(len(pd) == 1, "pagerduty events: %d" % len(pd))
p = pd[0]["json"]
need(p["routing_key"] == "R0UTINGKEY0123456789abcdef0123ab" and p["event_action"] == "trigger"
     and p["dedup_key"] == lan and "authorization" not in pd[0]["headers"], "pagerduty: %s" % p)
pl = p["payload"]
need(pl["summary"] == "Interface GigabitEthernet1/0/1 down on sw-core-1"
     and pl["source"] == "sw-core-1" and pl["severity"] == "warning"
     and pl["timestamp"] == "2026-03-03T10:20:02.000Z" and pl["class"] == "lan_outage"
     and pl["component"] == "lan-down" and pl["group"] == "5.2.6"
     and pl["custom_details"]["incident_id"] == lan, "pagerduty payload: %s" % pl)
c = calls(lan, "notify", "open")
need(len(c) == 3 and all(x["status"] == "ok" for x in c), "notify calls: %s" % c)
need(any(x["result"].get("dedup_key") == lan for x in c), "dedup_key not recorded: %s" % c)
need(any(x["result"].get("http_status") == "202" for x in c), "status 202 not recorded")
PY

check "spares" <<'PY'
ok = incident("open.out", "device-failed", host_name="sw-core-1")
none = incident("open.out", "device-failed", host_name="sw-access-9")
sp = reqs("http.jsonl", "POST", "/spare")
need(len(sp) == 1, "spare requests: %d" % len(sp))
s = sp[0]["json"]
need(s["device"] == "sw-core-1" and s["model"] == "C9300-48P" and s["site"] == "HQ"
     and s["spare"]["location"] == "HQ store room B2" and s["spare"]["count"] == 2
     and s["contact"]["name"] == "Cisco TAC" and s["incident_id"] == ok
     and s["title"] == "Fan failure on sw-core-1" and s["note"] == "reported by device-failed",
     "spare request: %s" % s)
c = calls(ok, "spare_dispatch", "open")
need(len(c) == 1 and c[0]["status"] == "ok"
     and c[0]["result"]["spare_location"] == "HQ store room B2", "history: %s" % c)
need(step(ok, "5.2.7.3")["status"] == "done", "step 5.2.7.3 not done")
c = calls(none, "spare_dispatch", "open")
msg = "no spare of model C2960X-48: step 5.2.7.4 (supplier engineer) applies"
need(len(c) == 1 and c[0]["status"] == "failed" and msg in json.dumps(c[0]), "no spare: %s" % c)
st = step(none, "5.2.7.3")
need(st["status"] == "failed" and msg in json.dumps(st), "step of the missing spare: %s" % st)
PY

check "e-mails" <<'PY'
wan = incident("open.out", "wan-down", host_name="wan-r1", interface_name="Serial0/0/0")
ms = mails("smtp.jsonl")
need(len(ms) == 5 and all(m["answer"] == 250 for m, _ in ms), "messages: %d" % len(ms))
def one(pred, what):
    found = [(m, e) for m, e in ms if pred(m, e)]
    need(len(found) == 1, "%s: %d messages" % (what, len(found)))
    return found[0]
for m, e in ms:
    need(e["Date"] and e["Message-ID"] and e["MIME-Version"] == "1.0"
         and e.get_content_type() == "text/plain" and e.get_content_charset() == "utf-8"
         and e["From"] == "vigil@hospital.example", "headers: %s" % m["data"][:400])
    need(m["mail_from"] == "vigil@hospital.example", "envelope sender %s" % m["mail_from"])
m, e = one(lambda m, e: "CT-1001" in e["Subject"], "carrier ticket mail")
need(sorted(m["rcpt_tos"]) == ["noc@carrier.example", "noc@hospital.example"], "rcpt %s" % m["rcpt_tos"])
need("TT-123" in e["Subject"] and "trouble ticket opened" in e["Subject"], e["Subject"])
b = e.get_content()
need("What we checked on our side:\n  - interface Serial0/0/0 reset: still down" in b
     and "Start time:  2026-03-03T10:20:00.000Z" in b and "Ticket:      TT-123" in b, b)
c = calls(wan, "carrier_ticket", "open")[0]
need(c["result"]["message_id"] == e["Message-ID"], "message id %s / %s" % (c["result"], e["Message-ID"]))
m, e = one(lambda m, e: "Serial0/0/0" in e["Subject"] and "[vigil] high" in e["Subject"], "notify mail")
need(sorted(m["rcpt_tos"]) == ["li.wei@example.com", "zhao.lei@example.com"], "roles: %s" % m["rcpt_tos"])
b = e.get_content()
need("Playbook (5 steps: 5 pending):" in b and "https://noc.example/incidents/" + wan in b
     and "Title:      WAN link Serial0/0/0 down on wan-r1" in b, b)
c = calls(wan, "notify", "open")[0]
need("City IT office (role authority) has no e-mail address" in c["output"], c["output"])
m, e = one(lambda m, e: "告警" in e["Subject"], "RFC 2047 subject")
need(e["Subject"] == "[vigil] 告警 Interface GigabitEthernet1/0/1 down on sw-core-1 — medium",
     "decoded subject %r" % e["Subject"])
raw = [l for l in m["data"].split("\r\n") if l.startswith("Subject:")][0]
need(raw.startswith("Subject: =?UTF-8?B?"), "raw subject %r" % raw)
head = m["data"].split("\r\n\r\n")[0].split("\r\n")
subj = head[head.index(raw):]
subj = subj[:1 + len([l for l in subj[1:] if l.startswith(" ")])]
need(len(subj) > 1 and all(len(l) <= 78 for l in subj), "subject not folded: %s" % subj)
need(sorted(m["rcpt_tos"]) == ["li.wei@example.com", "noc@hospital.example"], "rcpt %s" % m["rcpt_tos"])
m, e = one(lambda m, e: "spare dispatch" in e["Subject"], "spare mail")
need(e["Subject"] == "[vigil] spare dispatch: C9300-48P for sw-core-1 at HQ", e["Subject"])
need(sorted(m["rcpt_tos"]) == ["on.duty@example.com", "zhao.lei@example.com"], "on_duty: %s" % m["rcpt_tos"])
b = e.get_content()
need("Spare location: HQ store room B2 (site HQ)" in b and "Cisco TAC, +1 800 553 2447" in b, b)
PY

check "header injection" <<'PY'
bad = incident("open.out", "lan-down", host_name="sw-core-1", interface_name="Gi1/0/9\rBcc: evil@attacker.example")
c = calls(bad, "notify", "open")
need(len(c) == 3 and all(x["status"] == "failed" and "refused" in json.dumps(x) for x in c),
     "injection calls: %s" % c)
for name in ("http.jsonl", "smtp.jsonl"):
    need("attacker" not in open(os.path.join(TMP, name)).read(), "%s carries the injected text" % name)
done = [l for l in open(os.path.join(TMP, "open.err")) if "replay done" in l][0]
need(json.loads(done[done.index("{"):])["action_values_rejected"] >= 1, done)
PY

# --- B. resolve ------------------------------------------------------------------------------
{
  link 10:30:00 wan-r1 Serial0/0/0 up
  link 10:30:02 sw-core-1 GigabitEthernet1/0/1 up
} >"$TMP/resolve.log"
replay resolve http.json
check "resolve" <<'PY'
wan = incident("open.out", "wan-down", host_name="wan-r1", interface_name="Serial0/0/0")
lan = incident("open.out", "lan-down", host_name="sw-core-1", interface_name="GigabitEthernet1/0/1")
need(len(reqs("http.jsonl", "POST", "/tickets")) == 3, "a second ticket was opened")
up = reqs("http.jsonl", "PATCH", "/tickets/TT-123")
need(len(up) == 1 and up[0]["json"]["status"] == "resolved" and up[0]["json"]["circuit_id"] == "CT-1001"
     and up[0]["json"]["resolved_at"] == "2026-03-03T10:30:00.000Z"
     and up[0]["headers"]["authorization"] == "Bearer tok-abc-secret", "update: %s" % up)
c = calls(wan, "carrier_ticket", "resolve")
need(len(c) == 1 and c[0]["status"] == "ok" and c[0]["result"]["ticket_id"] == "TT-123"
     and c[0]["result"]["status"] == "resolved", "resolve: %s" % c)
ms = [e for m, e in mails("smtp.jsonl") if "trouble ticket resolved" in e["Subject"]]
need(len(ms) == 1 and "TT-123" in ms[0]["Subject"], "resolved mails: %d" % len(ms))
am = reqs("http.jsonl", "POST", "/am")
need(len(am) == 2 and am[1]["json"]["status"] == "resolved"
     and am[1]["json"]["alerts"][0]["endsAt"] == "2026-03-03T10:30:02.000Z", "am resolved: %s" % am[-1])
pd = reqs("http.jsonl", "POST", "/pd")
need(len(pd) == 2 and pd[1]["json"] == {"routing_key": "R0UTINGKEY0123456789abcdef0123ab",
     "event_action": "resolve", "dedup_key": lan}, "pd resolve: %s" % pd[-1])
PY

# --- C. retries ------------------------------------------------------------------------------
kill "$SMTP_PID"
start_smtp smtp2 --fail-first 1
link 10:40:00 wan-r3 Serial0/2/0 down >"$TMP/retry.log"
replay retry retry.json
check "retries" <<'PY'
r3 = incident("retry.out", "wan-retry", host_name="wan-r3", interface_name="Serial0/2/0")
need(len(reqs("http.jsonl", "POST", "/t3")) == 1, "tickets for CU-3003: %d" % len(reqs("http.jsonl", "POST", "/t3")))
ms = jl("smtp2.jsonl")
need([m["answer"] for m in ms] == [451, 250], "smtp answers: %s" % [m["answer"] for m in ms])
need(all("CU-3003" in m["data"] for m in ms), "mails: %s" % ms)
c = calls(r3, "carrier_ticket", "open")
need(len(c) == 1 and c[0]["status"] == "ok" and c[0]["attempts"] == 2
     and c[0]["result"]["ticket_id"] == "4711", "carrier retry: %s" % c)
bad = [x for x in calls(r3, "notify", "open") if x.get("step") == "5.2.5.1"]
need(len(bad) == 1 and bad[0]["status"] == "failed" and bad[0]["attempts"] == 1
     and "HTTP 400" in json.dumps(bad[0]), "a 400: %s" % bad)
need(len(reqs("http.jsonl", "POST", "/bad")) == 1, "a 400 was retried")
down = [x for x in calls(r3, "notify", "open") if x.get("step") == "5.2.5.5"]
need(len(down) == 1 and down[0]["status"] == "failed" and down[0]["attempts"] == 2,
     "a closed port: %s" % down)
PY

check "no secret in logs or history" <<'PY'
texts = [open(os.path.join(TMP, n), errors="replace").read()
         for n in ("open.out", "open.err", "resolve.out", "resolve.err", "retry.out", "retry.err")]
for name in ("open.out", "retry.out"):
    for r in jl(name):
        texts.append(json.dumps(show(r["incident"]["id"])))
for t in texts:
    need("tok-abc-secret" not in t and "R0UTINGKEY0123456789abcdef0123ab" not in t, "a secret leaked")
PY
echo "http_actions: ok"
