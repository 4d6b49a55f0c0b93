#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests of the db_failover and syslog_forward action plugins and of the
# out-of-tree example plugin. Usage: misc_actions.sh CASE VIGILD VIGILCTL SRCDIR
#   dbfail     db_failover through vigild --replay --actions with an inventory: promote and
#              check scripts written here record their argv and runs; a check that says "f"
#              twice then "t"; a failing promote, a hung one killed with its process group, a
#              check that never confirms, the standby named, an unknown host, a second
#              transition (nothing run twice); host names carrying injections refused with
#              nothing run
#   syslogfwd  syslog_forward to a Python receiver on 127.0.0.1 (UDP, TCP octet counting that
#              drops each connection after two frames, TCP with LF framing): RFC 5424 PRI,
#              version, header, structured data, MSG, size cap; the connection reused and
#              re-dialled (live vigild); a refused connection retried then failed; a newline
#              in an event field splits no frame
#   example    the build tree installed with DESTDIR; contrib/plugin-example built with its
#              Makefile and with CMake against the staged SDK (pkg-config), installed, loaded
#              by the staged vigild, its ticket lines checked
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
test_name=$1 VIGILD=$2 VIGILCTL=$3 SRC=$4
TMP=$(mktemp -d /tmp/vg_misc.XXXXXX)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
DATA="$SRC/test/data/rules-misc"

start_redis() {
  sock="$TMP/redis.sock"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
    --daemonize no >"$TMP/redis.err" 2>&1 &
  pids+=($!)
  wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
}

# idof RECORDS KEYFIELD VALUE: the id of the incident whose key has KEYFIELD = VALUE.
idof() {
  "$PY" - "$@" <<'PY'
import json, sys
path, field, value = sys.argv[1:4]
for line in open(path, encoding="utf-8", errors="surrogateescape"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("incident", {}).get("key", {}).get(field) == value:
        print(r["incident"]["id"])
        break
PY
}

# show ID: vigilctl incidents show into $TMP/show-ID.json (Redis prefix $prefix, if set)
prefix=
show() {
  "$VIGILCTL" --redis "unix:$sock" ${prefix:+--prefix "$prefix"} incidents show "$1" \
    >"$TMP/show-$1.json" || fail "incidents show $1"
}

# check_py FILE WHAT CODE: run CODE with inc (the JSON of FILE) and acts (its action history
# entries); an AssertionError fails the test with WHAT and the assertion's text.
check_py() {
  local out
  out=$("$PY" - "$1" "$3" <<'PY' 2>&1
import json, sys
inc = json.load(open(sys.argv[1]))
acts = [h for h in inc.get("history", []) if h.get("type") == "action"]
try:
    exec(sys.argv[2])
except AssertionError as e:
    print(e)
    sys.exit(1)
PY
  ) || fail "$2: $out"
}

case "$test_name" in
dbfail)
  start_redis
  cd "$TMP"
  # Programs that stand in for pg_ctlcluster and psql: they log each run with its argv.
  cat >"$TMP/promote.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$VG_DIR/promote.log"
echo "server promoting $VIGIL_DB_STANDBY of $VIGIL_DB_PAIR"
SH
  cat >"$TMP/check.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$VG_DIR/check.log"
n=$(grep -c . "$VG_DIR/check.log")
if [ "$n" -ge 3 ]; then echo " t "; else echo f; fi
SH
  cat >"$TMP/promote-fail.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$VG_DIR/promote-fail.log"
echo "pg_ctl: cannot promote server: server is not in standby mode" >&2
exit 4
SH
  cat >"$TMP/promote-hang.sh" <<'SH'
#!/bin/sh
sleep 300 &
echo $! >"$VG_DIR/hang-child.pid"
wait
SH
  cat >"$TMP/check-never.sh" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"$VG_DIR/check-never.log"
echo f
SH
  chmod 755 "$TMP"/*.sh
  export VG_DIR="$TMP"
  sed "s#@DIR@#$TMP#g" "$DATA/inventory.json" >"$TMP/inventory.json"
  mkdir "$TMP/rules"
  cp "$DATA/dbfail.json" "$TMP/rules/"
  "$VIGILD" --replay "$DATA/dbfail.log" --rules "$TMP/rules" --actions --keep-state \
    --redis "unix:$sock" --inventory "$TMP/inventory.json" --year 2026 >"$TMP/db.out" 2>"$TMP/db.err" ||
    fail "replay with db_failover"
  # The pair of db1: promoted once, with the incident's host expanded into its argv; the check
  # ran three times with its own argv and confirmed on the third.
  [ "$(sort "$TMP/promote.log")" = $'--standby db2 --failed db1\n--standby db8' ] || fail "promote runs: $(cat "$TMP/promote.log")"
  [ "$(grep -c . "$TMP/check.log")" -eq 3 ] || fail "check runs: $(cat "$TMP/check.log")"
  [ "$(sort -u "$TMP/check.log")" = "-h db2 -tAc select not pg_is_in_recovery()" ] || fail "check argv: $(cat "$TMP/check.log")"
  id=$(idof "$TMP/db.out" host.name db1); [ -n "$id" ] || fail "no incident for db1"
  show "$id"
  # The open and the update call may run at once (they are different action entries): one of
  # them promotes, the other finds the promotion and runs nothing.
  check_py "$TMP/show-$id.json" "db1 failover" '
assert sorted(h["transition"] for h in acts) == ["open", "update"], acts
assert all(a["action"] == "db_failover" and a["status"] == "ok" for a in acts), acts
ran = [a for a in acts if "promote_exit" in a["result"]]
assert len(ran) == 1, acts
a = ran[0]
assert a["result"] == {"pair": "his-db", "promote_exit": "0", "promoted": "db2", "check": "ok",
                       "check_tries": "3", "check_output": "t"}, a
assert "promote " in a["output"] and "server promoting db2 of his-db" in a["output"], a["output"]
assert "check 3: " in a["output"] and "exit 0: t" in a["output"], a["output"]
other = [h for h in acts if h is not a][0]
assert "already promoted" in other["output"] and other["result"]["promoted"] == "db2", other
step = [s for s in inc["playbook"] if s["step"] == "5.2.4.2"][0]
assert step["status"] == "done" and step["result"]["promoted"] == "db2", step
'
  # A promote that fails: the step fails with its exit status and output; no check runs.
  [ "$(cat "$TMP/promote-fail.log")" = "db4" ] || fail "failing promote runs"
  id=$(idof "$TMP/db.out" host.name db3); show "$id"
  check_py "$TMP/show-$id.json" "failing promote" '
a = acts[0]
assert len(acts) == 1 and a["status"] == "failed" and a["result"]["promote_exit"] == "4", a
assert "promoted" not in a["result"] and "check" not in a["result"], a
assert "exit status 4" in a["error"] and "standby db4 not promoted" in a["error"], a
assert "cannot promote server" in a["output"], a
step = [s for s in inc["playbook"] if s["step"] == "5.2.4.2"][0]
assert step["status"] == "failed", step
'
  # A promote that hangs is killed at the action's deadline together with its children.
  id=$(idof "$TMP/db.out" host.name db5); show "$id"
  check_py "$TMP/show-$id.json" "hung promote" '
a = acts[0]
assert a["status"] in ("timeout", "failed") and a["result"]["promote_exit"] == "killed", a
assert "did not finish by the deadline" in a["error"], a
'
  [ -s "$TMP/hang-child.pid" ] || fail "the hanging promote did not start"
  wait_for 5 sh -c "! kill -0 $(cat "$TMP/hang-child.pid")" || fail "the hung promote's child survived"
  # A check that never confirms: the step fails after verify_within (1 s at 100 ms).
  id=$(idof "$TMP/db.out" host.name db7); show "$id"
  n=$(grep -c . "$TMP/check-never.log")
  [ "$n" -ge 5 ] && [ "$n" -le 11 ] || fail "unconfirmed check ran $n times"
  check_py "$TMP/show-$id.json" "unconfirmed check" '
a = acts[0]
assert a["status"] == "failed" and a["result"]["check"] == "failed", a
assert a["result"]["promoted"] == "db8" and a["result"]["check_output"] == "f", a
assert "not confirmed as primary within 1s" in a["error"], a
'
  # The standby named by the incident, and a host of no pair: refused, nothing run.
  id=$(idof "$TMP/db.out" host.name db2); show "$id"
  check_py "$TMP/show-$id.json" "standby refused" '
assert acts[0]["status"] == "failed" and "is the standby of database pair his-db" in acts[0]["error"], acts
'
  id=$(idof "$TMP/db.out" host.name db9); show "$id"
  check_py "$TMP/show-$id.json" "unknown pair" '
assert acts[0]["status"] == "failed" and "no database pair for \"db9\"" in acts[0]["error"], acts
'
  # Injections in the host name: refused before any lookup, nothing run, counted.
  for bad in 'db1;rm -rf /' '$(touch pwned)' 'db1`id`' '-oProxyCommand=x'; do
    id=$(idof "$TMP/db.out" host.name "$bad"); [ -n "$id" ] || fail "no incident for $bad"
    show "$id"
    check_py "$TMP/show-$id.json" "injection $bad" '
a = acts[0]
assert len(acts) == 1 and a["status"] == "failed" and "refused" in a["error"], acts
assert "promote_exit" not in a.get("result", {}), a
'
  done
  [ ! -e "$TMP/pwned" ] && [ ! -e pwned ] || fail "an injection ran"
  [ "$(grep -c -- '--standby db2' "$TMP/promote.log")" -eq 1 ] || fail "promote ran again: $(cat "$TMP/promote.log")"
  grep -q '"action_values_rejected":[4-9]' "$TMP/db.err" || fail "rejected values not counted: $(tail -1 "$TMP/db.err")"
  ;;
syslogfwd)
  start_redis
  # The receiver: UDP, TCP with octet counting, TCP with LF framing, and TCP with octet
  # counting that drops each connection after two frames; every frame parsed as RFC 5424 into
  # frames.jsonl.
  cat >"$TMP/recv.py" <<'PY'
import json, os, re, selectors, socket, sys
out = sys.argv[1]
frames = open(os.path.join(out, "frames.jsonl"), "a", buffering=1)
HDR = re.compile(rb"<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) ")

def parse_sd(b):
    """SD-ELEMENTs with their params; returns (dict, rest) or raises ValueError."""
    if b.startswith(b"- ") or b == b"-":
        return {}, b[2:]
    sd, i = {}, 0
    while i < len(b) and b[i:i+1] == b"[":
        j = i + 1
        while b[j:j+1] not in (b" ", b"]"):
            j += 1
        sid, params, i = b[i+1:j].decode(), {}, j
        while b[i:i+1] == b" ":
            m = re.compile(rb' ([^= \]"]+)="').match(b, i)
            if not m:
                raise ValueError("bad SD-PARAM at %d" % i)
            i, val = m.end(), bytearray()
            while b[i:i+1] != b'"':
                if b[i:i+1] == b"\\" and b[i+1:i+2] in (b'"', b"\\", b"]"):
                    i += 1
                elif b[i:i+1] in (b'"', b"]", b""):
                    raise ValueError("unescaped character in SD-PARAM")
                val += b[i:i+1]
                i += 1
            params[m.group(1).decode()] = bytes(val).decode()
            i += 1
        if b[i:i+1] != b"]":
            raise ValueError("SD-ELEMENT not closed")
        sd[sid] = params
        i += 1
    if b[i:i+1] != b" ":
        raise ValueError("no space after SD")
    return sd, b[i+1:]

def emit(transport, conn, msg, framed_len=None):
    rec = {"transport": transport, "conn": conn, "size": len(msg), "framed_len": framed_len}
    m = HDR.match(msg)
    if not m:
        rec["error"] = "bad header: %r" % msg[:80]
    else:
        rec.update(pri=int(m.group(1)), version=int(m.group(2)),
                   ts=m.group(3).decode(), host=m.group(4).decode(), app=m.group(5).decode(),
                   procid=m.group(6).decode(), msgid=m.group(7).decode())
        try:
            rec["sd"], rest = parse_sd(msg[m.end():])
            rec["msg"] = rest.decode("utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            rec["error"] = str(e)
    frames.write(json.dumps(rec) + "\n")

sel = selectors.DefaultSelector()
def listen(kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    if kind != "udp":
        s.listen(8)
    sel.register(s, selectors.EVENT_READ, (kind, None))
    return s.getsockname()[1]

ports = {k: listen(k) for k in ("udp", "octet", "lf", "drop")}
with open(os.path.join(out, "ports.tmp"), "w") as f:
    f.write("".join("%s %d\n" % kv for kv in ports.items()))
os.rename(os.path.join(out, "ports.tmp"), os.path.join(out, "ports"))
nconn = {"octet": 0, "lf": 0, "drop": 0}
while True:
    for key, _ in sel.select():
        kind, st = key.data
        s = key.fileobj
        if kind == "udp":
            emit("udp", 0, s.recv(70000))
        elif st is None:
            c, _ = s.accept()
            nconn[kind] += 1
            sel.register(c, selectors.EVENT_READ, (kind, {"buf": b"", "n": 0, "conn": nconn[kind]}))
        else:
            data = s.recv(65536)
            st["buf"] += data
            while True:
                if kind == "lf":
                    if b"\n" not in st["buf"]:
                        break
                    msg, st["buf"] = st["buf"].split(b"\n", 1)
                    emit("lf", st["conn"], msg)
                else:
                    m = re.match(rb"([1-9][0-9]*) ", st["buf"])
                    if not m:
                        if st["buf"] and not re.match(rb"[0-9]*$", st["buf"]):
                            frames.write(json.dumps({"transport": kind, "error": "bad octet count: %r" % st["buf"][:40]}) + "\n")
                            st["buf"] = b""
                        break
                    n = int(m.group(1))
                    if len(st["buf"]) < m.end() + n:
                        break
                    emit(kind, st["conn"], st["buf"][m.end():m.end() + n], n)
                    st["buf"] = st["buf"][m.end() + n:]
                    st["n"] += 1
                    if kind == "drop" and st["n"] == 2:
                        data = b""
                        frames.write(json.dumps({"transport": kind, "closed": st["conn"]}) + "\n")
                        break
            if not data:
                sel.unregister(s)
                s.close()
PY
  "$PY" "$TMP/recv.py" "$TMP" >"$TMP/recv.err" 2>&1 &
  pids+=($!)
  wait_for 10 test -s "$TMP/ports" || fail "receiver did not start"
  udp=$(awk '$1 == "udp" {print $2}' "$TMP/ports")
  octet=$(awk '$1 == "octet" {print $2}' "$TMP/ports")
  lf=$(awk '$1 == "lf" {print $2}' "$TMP/ports")
  drop=$(awk '$1 == "drop" {print $2}' "$TMP/ports")
  # A port nobody listens on: the kernel gave it to a socket that is gone again.
  dead=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir "$TMP/rules" "$TMP/rules-live"
  subst() { sed -e "s/@UDP@/$udp/g; s/@OCTET@/$octet/g; s/@LF@/$lf/g; s/@DROP@/$drop/g; s/@DEAD@/$dead/g" "$1"; }
  subst "$DATA/syslogfwd.json" >"$TMP/rules/syslogfwd.json"
  subst "$DATA/syslogfwd-live.json" >"$TMP/rules-live/syslogfwd-live.json"
  frames() { "$PY" -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('transport') == sys.argv[2] and 'closed' not in json.loads(l)))" "$TMP/frames.jsonl" "$1"; }
  at_least() { [ "$(frames "$1")" -ge "$2" ]; }
  "$VIGILD" --replay "$DATA/syslogfwd.log" --rules "$TMP/rules" --actions --keep-state \
    --redis "unix:$sock" >"$TMP/fwd.out" 2>"$TMP/fwd.err" || fail "replay with syslog_forward"
  wait_for 20 at_least udp 5 && wait_for 20 at_least octet 5 && wait_for 20 at_least lf 5 ||
    fail "frames missing: $(cat "$TMP/frames.jsonl")"
  "$PY" - "$TMP/frames.jsonl" "$TMP/fwd.out" <<'PY' >"$TMP/check.out" 2>&1 || fail "frames: $(cat "$TMP/check.out")"
import json, re, sys
fr = [json.loads(l) for l in open(sys.argv[1])]
recs = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    recs.setdefault(r["incident"]["key"].get("interface.name", r["incident"]["key"].get("host.name")), r)
errs = [f for f in fr if "error" in f]
assert not errs, errs
def by(t):
    return [f for f in fr if f.get("transport") == t and "closed" not in f]
ts_re = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Every frame: RFC 5424 version 1, local5, the record's time with ms, hostname and app-name.
for f in fr:
    if "closed" in f:
        continue
    assert f["version"] == 1 and ts_re.match(f["ts"]), f
    assert f["app"] == "vigil" and re.match(r"\d+$", f["procid"]) and f["msgid"] == "open", f
    sd = f["sd"]["vigil@32473"]
    assert set(sd) <= {"id", "class", "transition", "rule", "host", "truncated"}, sd
    assert sd["transition"] == "open" and sd["id"].endswith("-1"), sd
# TCP octet counting: every open, JSON MSG equal to the record, count = bytes; one connection
# per action instance, kept between its calls.
oc = by("octet")
assert len(oc) == 5, oc
conns = {}
for f in oc:
    conns.setdefault(f["sd"]["vigil@32473"]["rule"], set()).add(f["conn"])
assert sorted(conns) == ["db-fwd", "link-fwd"] and all(len(c) == 1 for c in conns.values()), conns
for f in oc:
    rec = json.loads(f["msg"])
    assert f["framed_len"] == f["size"], f
    # The action's record is the printed one plus the event that caused the transition.
    assert rec.pop("trigger")["event"]["action"] in ("link.down", "db.crash"), rec
    key = rec["incident"]["key"].get("interface.name", rec["incident"]["key"].get("host.name"))
    assert rec == recs[key], (rec, recs[key])
    sd = f["sd"]["vigil@32473"]
    assert sd["id"] == rec["incident"]["id"] and sd["class"] == rec["incident"]["class"], sd
    assert sd["rule"] == rec["rule"]["name"], sd
    sev = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}[rec["incident"]["severity"]]
    assert f["pri"] == 21 * 8 + sev, f
    assert f["host"] == "noc-test", f
    assert f["ts"] == rec["@timestamp"], f
assert {f["pri"] for f in oc} == {172, 170}, oc
nl = [f for f in oc if "evil" in f["msg"]]
assert len(nl) == 1 and "Gi1/0/4\\nevil" in nl[0]["msg"], nl
# UDP: JSON MSG within max_size 480, cut and noted, never cut inside the header.
ud = by("udp")
assert len(ud) == 5, ud
for f in ud:
    assert f["size"] <= 480, f
    sd = f["sd"]["vigil@32473"]
    assert int(sd["truncated"]) > len(f["msg"].encode()), f
    assert f["msg"].startswith('{"@timestamp":'), f
# TCP with LF: the text format, one line each; the newline from the event split no line.
lfs = by("lf")
assert len(lfs) == 5, lfs
for f in lfs:
    m = re.match(r"open incident (\S+-1) (lan_outage|database) (medium|critical) (.*)$", f["msg"])
    assert m, f
    assert m.group(1) == f["sd"]["vigil@32473"]["id"], f
assert [f["msg"] for f in lfs if "evil" in f["msg"]][0].endswith(' Gi1/0/4 evil down on sw"3]\\'), lfs
# SD-PARAM values escape " \ and ]: the receiver reads the host name back unchanged.
hosts = sorted({f["sd"]["vigil@32473"].get("host") for f in fr if "sd" in f})
assert hosts == sorted(["db1", "sw1", "sw2", 'sw"3]\\']), hosts
assert any(f["msg"].endswith("Gi1/0/2 down on sw1") for f in lfs), lfs
PY
  # The history: results of a sent message, the UDP cut and the connection that was refused,
  # retried once.
  id=$(idof "$TMP/fwd.out" interface.name Gi1/0/1); show "$id"
  check_py "$TMP/show-$id.json" "sent" '
ok = [a for a in acts if a["action"] == "syslog_forward" and a["status"] == "ok"]
assert len(ok) == 3, acts
tcp = [a for a in ok if a["result"]["target"].startswith("tcp://127.0.0.1:")]
assert sorted(int(a["result"]["bytes"]) > 1000 for a in tcp) == [False, True], tcp
udp = [a for a in ok if a["result"]["target"].startswith("udp://")][0]
assert int(udp["result"]["truncated_bytes"]) > 0 and int(udp["result"]["truncated_messages"]) >= 1, udp
assert "cut to keep within max_size 480" in udp["output"], udp
dead = [a for a in acts if a["status"] != "ok"]
assert len(dead) == 1 and dead[0]["attempts"] == 2, dead
assert "cannot connect to tcp://127.0.0.1:" in dead[0]["error"] and "refused" in dead[0]["error"], dead
'
  # The kept connection, live: the receiver drops it after two frames, and the third message
  # goes out on a new one. Events arrive one at a time, each after the last frame came in.
  "$VIGILD" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --listen-snmp none \
    --redis "unix:$sock" --prefix live: --rules "$TMP/rules-live" >"$TMP/live.out" 2>"$TMP/live.err" &
  pids+=($!)
  wait_for 20 grep -q "listening for syslog on udp" "$TMP/live.err" || fail "vigild did not start"
  uport=$(grep -o "listening for syslog on udp 127.0.0.1:[0-9]*" "$TMP/live.err" | head -1 | cut -d: -f2)
  link() {
    printf '<187>Mar  3 10:20:00 sw7 %%LINK-3-UPDOWN: Interface %s, changed state to down' "$1" \
      >"/dev/udp/127.0.0.1/$uport"
  }
  link Gi1/0/1
  wait_for 20 at_least drop 1 || fail "no first frame from the live vigild"
  link Gi1/0/2
  wait_for 20 grep -q '"closed": 1' "$TMP/frames.jsonl" || fail "no second frame on the kept connection"
  link Gi1/0/3
  wait_for 20 at_least drop 3 || fail "no frame after the receiver dropped the connection"
  "$PY" - "$TMP/frames.jsonl" <<'PY' >"$TMP/check.out" 2>&1 || fail "live frames: $(cat "$TMP/check.out")"
import json, sys
fr = [json.loads(l) for l in open(sys.argv[1])]
d = [f for f in fr if f.get("transport") == "drop" and "closed" not in f]
assert [f["conn"] for f in d] == [1, 1, 2], d
assert [json.loads(f["msg"])["incident"]["key"]["interface.name"] for f in d] == \
    ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"], d
assert all(f["framed_len"] == f["size"] and f["pri"] == 172 for f in d), d
PY
  ;;
example)
  command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
  build=$(cd "$(dirname "$VIGILD")/.." && pwd)
  stage="$TMP/stage"
  # The SDK as a package installs it: every installed file under a staging root.
  DESTDIR="$stage" cmake --install "$build" >"$TMP/install.out" 2>&1 || fail "cmake --install: $(cat "$TMP/install.out")"
  pc=$(find "$stage" -name vigil-plugin.pc | head -1)
  [ -n "$pc" ] || fail "no vigil-plugin.pc installed"
  # Only the staged SDK is seen; its absolute paths are read below the staging root.
  export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH=
  PKG_CONFIG_LIBDIR=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage
  cflags=$(pkg-config --cflags --libs vigil-plugin) || fail "pkg-config finds no vigil-plugin"
  case "$cflags" in *"-I$stage/"*) ;; *) fail "pkg-config cflags do not point into the staged SDK: $cflags" ;; esac
  [ -f "$stage$(pkg-config --variable=includedir vigil-plugin | sed "s#^$stage##")/vigil/plugin.h" ] || fail "plugin.h not installed"
  vigild_st=$(find "$stage" -path '*/bin/vigild' | head -1)
  plugdir=$(dirname "$(find "$stage" -name vg_action_exec.so | head -1)")
  [ -x "$vigild_st" ] && [ -f "$plugdir/vg_action_exec.so" ] || fail "vigild or the plugins not installed"
  # The Makefile: built, installed by `make install` into a plugin directory of its own.
  cp -r "$SRC/contrib/plugin-example" "$TMP/ex-make"
  mkdir -m 755 "$TMP/plugins-make"
  make -s -C "$TMP/ex-make" CFLAGS="-O2 -Wall -Wextra -Werror" >"$TMP/make.out" 2>&1 || fail "make: $(cat "$TMP/make.out")"
  make -s -C "$TMP/ex-make" install PLUGINDIR="$TMP/plugins-make" >>"$TMP/make.out" 2>&1 || fail "make install: $(cat "$TMP/make.out")"
  # CMake: configured through pkg-config, installed with cmake --install.
  cp -r "$SRC/contrib/plugin-example" "$TMP/ex-cmake"
  mkdir -m 755 "$TMP/plugins-cmake"
  cmake -S "$TMP/ex-cmake" -B "$TMP/ex-cmake/build" -DVIGIL_PLUGIN_DIR="$TMP/plugins-cmake" \
    -DCMAKE_C_FLAGS=-Werror >"$TMP/cmake.out" 2>&1 || fail "cmake configure: $(cat "$TMP/cmake.out")"
  cmake --build "$TMP/ex-cmake/build" >>"$TMP/cmake.out" 2>&1 || fail "cmake build: $(cat "$TMP/cmake.out")"
  cmake --install "$TMP/ex-cmake/build" >>"$TMP/cmake.out" 2>&1 || fail "cmake install: $(cat "$TMP/cmake.out")"
  for d in plugins-make plugins-cmake; do
    so="$TMP/$d/vg_action_ticket_file.so"
    [ -f "$so" ] || fail "$d: not installed"
    [ "$(stat -c %a "$so")" = 644 ] || fail "$d: mode $(stat -c %a "$so")"
    syms=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_')
    [ "$syms" = "vg_plugin_entry" ] || fail "$d: exports more than vg_plugin_entry: $syms"
    cp "$plugdir"/*.so "$TMP/$d/"
  done
  # The installed vigild lists the plugin with its options.
  "$vigild_st" --describe-plugins --plugins "$TMP/plugins-cmake" >"$TMP/describe.out" 2>&1 || fail "describe-plugins: $(cat "$TMP/describe.out")"
  grep -q "ticket_file" "$TMP/describe.out" && grep -q "summary template" "$TMP/describe.out" || fail "ticket_file not described: $(cat "$TMP/describe.out")"
  mkdir "$TMP/rules"
  start_redis
  for d in plugins-make plugins-cmake; do
    prefix="$d:"
    rm -f "$TMP/tickets.tsv"
    sed "s#@FILE@#$TMP/tickets.tsv#g" "$DATA/example.json" >"$TMP/rules/example.json"
    # Two replays into one Redis: the second one's update finds the ticket of the first one's
    # open call (vg_call_prior), although its own prefix differs.
    for part in 1 2; do
      "$vigild_st" --replay "$DATA/example-$part.log" --plugins "$TMP/$d" --rules "$TMP/rules" \
        --actions --keep-state --redis "unix:$sock" --prefix "$prefix" \
        >"$TMP/ex$part.out" 2>"$TMP/ex$part.err" || fail "$d: replay $part with ticket_file"
    done
    id1=$(idof "$TMP/ex1.out" interface.name Gi1/0/1)
    id2=$(idof "$TMP/ex1.out" interface.name Gi1/0/2)
    [ -n "$id1" ] && [ -n "$id2" ] || fail "$d: incidents missing"
    grep -q "\"transition\":\"update\",\"incident\":{\"id\":\"$id1\"" "$TMP/ex2.out" || fail "$d: no update in replay 2"
    printf '%s\n' \
      "2026-03-03T10:20:00.000Z	NOC-$id1	open	network	medium	lan_outage	Gi1/0/1 down on sw1 [sw1]" \
      "2026-03-03T10:21:00.000Z	NOC-$id2	open	network	medium	lan_outage	Gi1/0/2 down on sw1 [sw1]" \
      "2026-03-03T10:30:00.000Z	NOC-$id1	update	network	medium	lan_outage	Gi1/0/1 down on sw1 [sw1]" \
      >"$TMP/expected.tsv"
    # Calls of one replay may finish in any order: the lines are compared sorted.
    sort "$TMP/tickets.tsv" | diff -u "$TMP/expected.tsv" - || fail "$d: ticket lines differ"
    show "$id1"
    check_py "$TMP/show-$id1.json" "$d: ticket results" '
assert [(a["transition"], a["status"], a["result"]["ticket_id"]) for a in acts] == \
    [("open", "ok", "NOC-" + inc["id"]), ("update", "ok", "NOC-" + inc["id"])], acts
assert acts[0]["output"].startswith("2026-03-03T10:20:00.000Z\tNOC-"), acts
'
    # A tab smuggled into a field reaches no line: the summary's value check refuses it.
    grep -q 'ticket_file.*refused' "$TMP/ex1.err" || fail "$d: the tab was not refused: $(cat "$TMP/ex1.err")"
    grep -q '"actions_done":2,"actions_failed":1' "$TMP/ex1.err" || fail "$d: action counts: $(tail -1 "$TMP/ex1.err")"
  done
  ;;
*)
  echo "unknown test $test_name" >&2
  exit 2
  ;;
esac
echo "PASS: misc_actions $test_name"
