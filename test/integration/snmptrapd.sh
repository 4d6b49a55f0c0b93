#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vigild beside a real snmptrapd (Debian package snmptrapd), in the two modes of
# contrib/snmptrapd/, with the shipped trap templates and a rule, so the whole path from
# snmptrap to an incident is checked.
# Usage: snmptrapd.sh VIGILD VIGILCTL SRCDIR
#  1. Direct: snmptrap -v 2c linkDown to vigild: event.action link.down with interface.index
#     and interface.name from the varbinds, host.name the agent; the rule opens an incident.
#  2. forward: snmptrapd (config from contrib/snmptrapd/vigil-forward.conf) forwards a v2c
#     linkDown and a v1 coldStart to vigild; both normalized, the v1 agent address kept.
#  3. traphandle: snmptrapd (config from contrib/snmptrapd/vigil-traphandle.conf) runs
#     vigilctl trap-handle, which re-sends each trap to vigild with snmpTrapAddress.0: traps
#     sent from 127.0.0.5 and 127.0.0.6 give events whose observer.ip and host.name are
#     those agents (not snmptrapd), with MIB names, enum labels and octet strings intact, no
#     community anywhere, and one incident per device.
#  4. trap-handle refuses handler input without a trap OID, naming the reason (exit 1).
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3
SNMPTRAPD=$(command -v snmptrapd || echo /usr/sbin/snmptrapd)
if ! command -v snmptrap >/dev/null || [ ! -x "$SNMPTRAPD" ]; then
  echo "SKIP: snmptrap or snmptrapd not installed (apt-get install snmp snmptrapd)"
  exit 77
fi
TMP=$(mktemp -d /tmp/vg_snmptrapd.XXXXXX)
. "$(dirname "$0")/lib.sh"
# The tools read no snmp.conf of the user and keep no state outside TMP.
export SNMPCONFPATH="$TMP/no-snmp-conf" SNMP_PERSISTENT_DIR="$TMP/persist"
MIBDIR="$SRC/contrib/mibs"
export MIBS=ALL MIBDIRS="$MIBDIR"

free_udp_port() {
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0) or die;
    print $s->sockport;'
}
# start_trapd NAME CONF: snmptrapd in the foreground on a free loopback port (sets TRAPD)
start_trapd() {
  local port
  port=$(free_udp_port)
  "$SNMPTRAPD" -f -C -c "$2" -Lf "$TMP/$1.log" -M "$MIBDIR" -m ALL \
    -p "$TMP/$1.pid" "udp:127.0.0.1:$port" >"$TMP/$1.out" 2>"$TMP/$1.err" &
  pids+=($!)
  TRAPD="127.0.0.1:$port"
  wait_for 30 grep -q "NET-SNMP version" "$TMP/$1.log" || fail "snmptrapd $1 did not start"
}
incidents_for() { # incidents_for HOST: open incidents whose key has host.name HOST
  "$VIGILCTL" --state-dir "$TMP/state" incidents list 2>/dev/null |
    grep -c "\"host.name\":\"$1\"" || true
}

mkdir -p "$TMP/rules" "$TMP/persist"
cat >"$TMP/rules/link.json" <<'JSON'
{"rules": [{"name": "trap-link-down", "plugin": "single",
  "match": {"event.action": ["link.down"]},
  "key": ["host.name", "interface.name"],
  "incident": {"title": "Interface ${interface.name} down on ${host.name}",
               "severity": "medium", "class": "lan_outage", "procedure": "5.2.6"}}]}
JSON
cat >"$TMP/vigild.json" <<'JSON'
{"snmp": {"communities": [{"community": "n0c-traps", "networks": ["127.0.0.0/8"]}]}}
JSON
"$VIGILD" -c "$TMP/vigild.json" --state-dir "$TMP/state" --rules "$TMP/rules" \
  --normalize "$SRC/rules/normalize" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 \
  --listen-snmp udp:127.0.0.1:0 --events-out "$TMP/events.jsonl" >"$TMP/vigild.out" 2>"$TMP/vigild.err" &
pids+=($!)
wait_for 30 grep -q "listening for SNMP traps on udp 127.0.0.1:" "$TMP/vigild.err" || fail "vigild did not start"
vport=$(grep -o "listening for SNMP traps on udp 127.0.0.1:[0-9]*" "$TMP/vigild.err" | head -1 | cut -d: -f2)
VIGIL="udp:127.0.0.1:$vport"

# ---- 1. direct ----
snmptrap -v 2c -c n0c-traps "127.0.0.1:$vport" 100 IF-MIB::linkDown IF-MIB::ifIndex.3 i 3 \
  IF-MIB::ifAdminStatus.3 i 1 IF-MIB::ifOperStatus.3 i 2 IF-MIB::ifDescr.3 s "direct-Gi0/3" ||
  fail "snmptrap -v 2c"
wait_for 30 grep -q "direct-Gi0/3" "$TMP/events.jsonl" || fail "no event for the direct trap"
expect direct-Gi0/3 event.action link.down
expect direct-Gi0/3 interface.index 3
expect direct-Gi0/3 interface.name direct-Gi0/3
expect direct-Gi0/3 host.name 127.0.0.1
expect direct-Gi0/3 snmp.trap_name IF-MIB::linkDown
wait_for 30 grep -q '"title":"Interface direct-Gi0/3 down on 127.0.0.1"' "$TMP/vigild.out" ||
  fail "no incident for the direct linkDown: $(cat "$TMP/vigild.out")"

# ---- 2. snmptrapd forward ----
sed -e "s|udp:127.0.0.1:1162|$VIGIL|" -e "s|authCommunity log,execute,net public|authCommunity log,execute,net n0c-traps|" \
  "$SRC/contrib/snmptrapd/vigil-forward.conf" >"$TMP/forward.conf"
grep -q "^forward default $VIGIL" "$TMP/forward.conf" || fail "the forward snippet has no forward line"
start_trapd fwd "$TMP/forward.conf"
snmptrap -v 2c -c n0c-traps "$TRAPD" 200 IF-MIB::linkDown IF-MIB::ifIndex.4 i 4 \
  IF-MIB::ifDescr.4 s "fwd-Gi0/4" || fail "snmptrap to snmptrapd (forward)"
snmptrap -v 1 -c n0c-traps "$TRAPD" 1.3.6.1.4.1.9.1.1 192.0.2.44 0 0 300 \
  SNMPv2-MIB::sysDescr.0 s "fwd-coldstart" || fail "snmptrap -v 1 to snmptrapd (forward)"
wait_for 30 grep -q "fwd-Gi0/4" "$TMP/events.jsonl" || fail "snmptrapd did not forward the v2c trap: $(cat "$TMP/fwd.log")"
wait_for 30 grep -q "fwd-coldstart" "$TMP/events.jsonl" || fail "snmptrapd did not forward the v1 trap"
expect fwd-Gi0/4 event.action link.down
expect fwd-Gi0/4 interface.index 4
expect fwd-Gi0/4 interface.name fwd-Gi0/4
expect fwd-coldstart event.action device.restart
expect fwd-coldstart snmp.version 1
expect fwd-coldstart observer.ip 192.0.2.44
expect fwd-coldstart host.name 192.0.2.44
wait_for 30 grep -q '"title":"Interface fwd-Gi0/4 down on 127.0.0.1"' "$TMP/vigild.out" ||
  fail "no incident for the forwarded linkDown"

# ---- 3. snmptrapd traphandle -> vigilctl trap-handle ----
sed -e "s|/usr/local/bin/vigilctl|$VIGILCTL|" -e "s|udp:127.0.0.1:1162|$VIGIL --community n0c-traps|" \
  -e "s|authCommunity log,execute,net public|authCommunity log,execute,net n0c-traps|" \
  "$SRC/contrib/snmptrapd/vigil-traphandle.conf" >"$TMP/traphandle.conf"
grep -q "^traphandle default $VIGILCTL trap-handle" "$TMP/traphandle.conf" ||
  fail "the traphandle snippet has no traphandle line"
start_trapd th "$TMP/traphandle.conf"
for agent in 127.0.0.5 127.0.0.6; do
  snmptrap --clientaddr="$agent" -v 2c -c n0c-traps "$TRAPD" 400 IF-MIB::linkDown \
    IF-MIB::ifIndex.9 i 9 IF-MIB::ifAdminStatus.9 i 1 IF-MIB::ifOperStatus.9 i 2 \
    IF-MIB::ifDescr.9 s "th-Gi0/9 $agent" IF-MIB::ifPhysAddress.9 x 0011223344ff ||
    fail "snmptrap from $agent to snmptrapd (traphandle)"
done
snmptrap --clientaddr=127.0.0.5 -v 1 -c n0c-traps "$TRAPD" 1.3.6.1.4.1.9.1.1 192.0.2.55 3 0 500 \
  SNMPv2-MIB::sysDescr.0 s "th-v1-linkup" || fail "snmptrap -v 1 to snmptrapd (traphandle)"
for m in "th-Gi0/9 127.0.0.5" "th-Gi0/9 127.0.0.6" th-v1-linkup; do
  wait_for 30 grep -q "$m" "$TMP/events.jsonl" || fail "trap-handle did not deliver '$m': $(cat "$TMP/th.log")"
done
for agent in 127.0.0.5 127.0.0.6; do
  m="th-Gi0/9 $agent"
  expect "$m" observer.ip "$agent"
  expect "$m" host.name "$agent"
  expect "$m" source.ip 127.0.0.1
  expect "$m" snmp.version 2c
  expect "$m" snmp.trap_name IF-MIB::linkDown
  expect "$m" event.action link.down
  expect "$m" interface.index 9
  expect "$m" interface.name "$m"
  expect "$m" snmp.varbinds.2.name IF-MIB::ifOperStatus.9
  expect "$m" snmp.varbinds.2.label down
  expect "$m" snmp.varbinds.4.value 00:11:22:33:44:ff
  wait_for 30 grep -q "\"title\":\"Interface th-Gi0/9 $agent down on $agent\"" "$TMP/vigild.out" ||
    fail "no incident for $agent's linkDown through trap-handle"
done
[ "$(incidents_for 127.0.0.5)" -eq 1 ] && [ "$(incidents_for 127.0.0.6)" -eq 1 ] ||
  fail "one incident per device expected: $("$VIGILCTL" --state-dir "$TMP/state" incidents list)"
# A v1 trap snmptrapd converted: its agent address and enterprise are kept, its community not.
expect th-v1-linkup event.action link.up
expect th-v1-linkup observer.ip 192.0.2.55
expect th-v1-linkup snmp.varbinds.1.oid 1.3.6.1.6.3.18.1.3.0
expect th-v1-linkup snmp.varbinds.2.name SNMPv2-MIB::snmpTrapEnterprise.0
expect th-v1-linkup snmp.varbinds.2.value 1.3.6.1.4.1.9.1.1
expect th-v1-linkup snmp.varbinds.3 absent
grep -q n0c-traps "$TMP/events.jsonl" && fail "a community string reached an event"
grep -q n0c-traps "$TMP/vigild.err" && fail "a community string reached vigild's log"

# ---- 4. bad handler input ----
if printf 'host\nUDP: [127.0.0.1]:1->[127.0.0.1]:162\nIF-MIB::ifIndex.1 1\n' |
   "$VIGILCTL" trap-handle --target "$VIGIL" 2>"$TMP/th-bad.err"; then
  fail "trap-handle accepted input without snmpTrapOID.0"
fi
grep -q "no snmpTrapOID.0 among the varbinds; trap dropped" "$TMP/th-bad.err" ||
  fail "trap-handle error not clear: $(cat "$TMP/th-bad.err")"
"$VIGILCTL" --help | grep -q "trap-handle \[--target ADDR\] \[--community C\]" ||
  fail "vigilctl --help does not document trap-handle"
echo "snmptrapd: all checks passed"
