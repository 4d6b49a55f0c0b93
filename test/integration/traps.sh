#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SNMP trap receiver against the real net-snmp tools (Debian package snmp).
# Usage: traps.sh VIGILD VIGILCTL SRCDIR VG_TRAP_BLAST
#  1. vigild with its own state directory, embedded Redis, the shipped trap templates, one
#     rule (an incident per agent, action and version) and a config with a community per
#     network and v3 users (authPriv, SHA/AES and SHA-256/AES-256, fixed engine ids):
#     snmptrap -v 1, snmptrap -v 2c (forwarded: snmpTrapAddress.0), snmpinform -v 2c (must be
#     acknowledged), snmptrap -v 3 -l authPriv and snmpinform -v 3 each give one event with
#     the contract's fields, normalized (link.down, link.up, device.restart with interface
#     fields), and the incidents they open; no community or key anywhere in events or logs.
#  2. Wrong community, community from the wrong network, wrong v3 auth key, wrong v3 privacy
#     key, unknown user, noAuthNoPriv and authNoPriv where authPriv is required, a GET:
#     no event, each counted under its reason in vigilctl stats.
#  3. 10,000 random and mutated datagrams (seeded by captured real traps): vigild lives, every
#     datagram is counted (received = accepted + discovery + rejected, and received plus the
#     kernel's drops = sent), a valid trap still gives its event.
#  4. No config: community public from loopback only (DESIGN.md); --listen-snmp none.
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3 BLAST=$4
if ! command -v snmptrap >/dev/null || ! command -v snmpinform >/dev/null; then
  echo "SKIP: snmptrap/snmpinform not installed (apt-get install snmp)"
  exit 77
fi
TMP=$(mktemp -d /tmp/vg_traps.XXXXXX)
. "$(dirname "$0")/lib.sh"
# The tools must not load MIBs or read the user's snmp.conf: numeric OIDs, no surprises.
export MIBS="" SNMPCONFPATH="$TMP/no-snmp-conf"

start_vigild() { # start_vigild NAME ARGS...: stdout to $TMP/NAME.out, stderr to $TMP/NAME.err
  local name=$1; shift
  "$VIGILD" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pids+=($!)
  VPID=$!
}
trap_port() { grep -o "listening for SNMP traps on udp 127.0.0.1:[0-9]*" "$TMP/$1.err" | head -1 | cut -d: -f2; }
# stat NAME FIELD: a counter of the SNMP listener in vigilctl stats (empty when not published)
stat() {
  "$VIGILCTL" --state-dir "$TMP/$1" stats 2>/dev/null |
    grep -o '{"listener":"snmp udp[^}]*}' | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2
}
stat_is() { [ "$(stat "$1" "$2")" = "$3" ]; }
events_with() { grep -c -- "$1" "$TMP/events.jsonl" 2>/dev/null || true; }

"$VIGILD" --help | grep -q -- "--listen-snmp" || fail "vigild --help does not document --listen-snmp"
# Configuration mistakes stop start-up with file, path and reason; keys are not repeated.
printf '{"snmp": {"listen": "tcp:127.0.0.1:162", "communities": [{"community": "x"}],\n
  "users": [{"name": "u", "auth": "SHA", "auth_key": "short-k", "priv": "AES"}]}}\n' >"$TMP/bad.json"
if "$VIGILD" -c "$TMP/bad.json" --check >/dev/null 2>"$TMP/bad.err"; then fail "a bad snmp config was accepted"; fi
for want in 'bad.json: $.snmp.listen[0]: SNMP listen address "tcp:127.0.0.1:162": only UDP is supported' \
            'bad.json: $.snmp.communities[0]: "networks" is required' \
            'bad.json: $.snmp.users[0].auth_key: required, at least 8 characters' \
            'bad.json: $.snmp.users[0].priv_key: required with priv'; do
  grep -qF "$want" "$TMP/bad.err" || fail "config error not reported: $want; got: $(cat "$TMP/bad.err")"
done
grep -q short-k "$TMP/bad.err" && fail "a key appears in a config error"
if "$VIGILD" --listen-snmp 'udp:localhost:162' --check >/dev/null 2>&1; then fail "a host name was accepted"; fi

# ---- 1. accepted notifications ----
mkdir "$TMP/rules"
# One incident per (agent, what happened, SNMP version): each kind of notification must get
# through the shipped trap templates to a rule.
cat >"$TMP/rules/traps.json" <<'JSON'
{"rules": [{"name": "trap-seen", "plugin": "single",
  "match": {"event.action": ["link.down", "link.up", "device.restart"]},
  "key": ["host.name", "event.action", "snmp.version"],
  "incident": {"title": "${event.action} from ${host.name} (${snmp.version})",
               "severity": "medium", "class": "lan_outage", "procedure": "5.2.6"}}]}
JSON
ENGINE=0x80001f8803aabbccddeeff
cat >"$TMP/vigild.json" <<JSON
{"snmp": {
  "communities": [{"community": "n0c-traps", "networks": ["127.0.0.0/8", "::1"]},
                  {"community": "remote-only", "networks": ["192.0.2.0/24"]}],
  "users": [{"name": "nocv3", "auth": "SHA", "auth_key": "v3-auth-key-1", "priv": "AES",
             "priv_key": "v3-priv-key-1", "engine_id": "$ENGINE", "min_level": "authPriv"},
            {"name": "noc256", "auth": "SHA-256", "auth_key": "v3-auth-key-2", "priv": "AES-256",
             "priv_key": "v3-priv-key-2", "engine_id": ["0x8000000001020304", "$ENGINE"]}],
  "engine_id": "0x80001f88047669676c2d74657374"}}
JSON
# A small ASan quarantine (no effect without ASan), so freed datagram buffers are reused and
# the memory check of 3b measures what is kept, not what waits in quarantine.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1" start_vigild main -c "$TMP/vigild.json" --state-dir "$TMP/state" --rules "$TMP/rules" \
  --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --listen-snmp udp:127.0.0.1:0 \
  --events-out "$TMP/events.jsonl"
wait_for 30 grep -q "listening for SNMP traps on udp 127.0.0.1:" "$TMP/main.err" || fail "vigild did not start"
port=$(trap_port main)
to="127.0.0.1:$port"
IFX=1.3.6.1.2.1.2.2.1
# A configured trap address that cannot be bound stops start-up, naming it.
if "$VIGILD" --state-dir "$TMP/state-busy" --rules "$TMP/rules" --listen-udp 127.0.0.1:0 \
   --listen-tcp 127.0.0.1:0 --listen-snmp "udp:127.0.0.1:$port" >/dev/null 2>"$TMP/busy.err"; then
  fail "vigild started on a trap port in use"
fi
grep -q "cannot listen for SNMP traps on udp 127.0.0.1:$port: Address already in use" "$TMP/busy.err" ||
  fail "no error for the busy trap port: $(cat "$TMP/busy.err")"
V3=(-v 3 -u nocv3 -a SHA -A v3-auth-key-1 -x AES -X v3-priv-key-1)

snmptrap -v 1 -c n0c-traps "$to" 1.3.6.1.4.1.9.1.1 192.0.2.10 2 0 777 \
  $IFX.1.3 i 3 $IFX.7.3 i 1 $IFX.8.3 i 2 $IFX.2.3 s "v1-port" || fail "snmptrap -v 1"
snmptrap -v 2c -c n0c-traps "$to" 888 1.3.6.1.6.3.1.1.5.3 \
  $IFX.1.4 i 4 $IFX.2.4 s 'v2c-port "quoted"' 1.3.6.1.6.3.18.1.3.0 a 198.51.100.7 ||
  fail "snmptrap -v 2c"
snmpinform -v 2c -c n0c-traps -t 3 -r 2 "$to" 999 1.3.6.1.6.3.1.1.5.4 $IFX.1.5 i 5 \
  $IFX.2.5 s "inform-port" >"$TMP/inform.out" 2>&1 || fail "snmpinform -v 2c not acknowledged: $(cat "$TMP/inform.out")"
snmptrap "${V3[@]}" -l authPriv -e "$ENGINE" "$to" 111 1.3.6.1.6.3.1.1.5.1 \
  $IFX.2.6 s "v3-port" || fail "snmptrap -v 3"
# An inform is sent to vigild's own engine (found by discovery), with the same user.
snmpinform "${V3[@]}" -l authPriv -t 3 -r 2 "$to" 222 1.3.6.1.6.3.1.1.5.2 \
  $IFX.2.7 s "v3-inform-port" >"$TMP/inform3.out" 2>&1 || fail "snmpinform -v 3 not acknowledged: $(cat "$TMP/inform3.out")"
snmptrap -v 3 -u noc256 -a SHA-256 -A v3-auth-key-2 -x AES-256 -X v3-priv-key-2 -l authPriv \
  -e "$ENGINE" "$to" 333 1.3.6.1.6.3.1.1.5.1 $IFX.2.8 s "v3-sha256-port" || fail "snmptrap -v 3 SHA-256/AES-256"
wait_for 30 has_at_least "$TMP/events.jsonl" '"protocol":"snmp"' 6 || fail "6 trap events expected: $(cat "$TMP/events.jsonl" 2>/dev/null)"

expect v1-port snmp.version 1
expect v1-port snmp.trap_oid 1.3.6.1.6.3.1.1.5.3
expect v1-port snmp.v1.enterprise 1.3.6.1.4.1.9.1.1
expect v1-port snmp.v1.generic 2
expect v1-port snmp.v1.agent_addr 192.0.2.10
expect v1-port observer.ip 192.0.2.10
expect v1-port source.ip 127.0.0.1
expect v1-port snmp.uptime 777
expect v1-port snmp.varbinds.0.oid $IFX.1.3
expect v1-port snmp.varbinds.0.type integer
expect v1-port snmp.varbinds.0.value 3
expect v1-port snmp.varbinds.3.type octet_string
expect v1-port snmp.varbinds.3.value v1-port
expect v1-port network.protocol snmp
expect v1-port process.name snmptrap
expect v2c-port snmp.version 2c
expect v2c-port snmp.trap_oid 1.3.6.1.6.3.1.1.5.3
expect v2c-port snmp.uptime 888
expect v2c-port observer.ip 198.51.100.7
expect v2c-port source.ip 127.0.0.1
expect v2c-port snmp.varbinds.1.value 'v2c-port "quoted"'
expect v2c-port snmp.varbinds.2.type ip_address
expect v2c-port snmp.v1 absent
expect inform-port snmp.version 2c
expect inform-port snmp.trap_oid 1.3.6.1.6.3.1.1.5.4
expect inform-port observer.ip 127.0.0.1
expect v3-port snmp.version 3
expect v3-port snmp.security_name nocv3
expect v3-port snmp.trap_oid 1.3.6.1.6.3.1.1.5.1
expect v3-inform-port snmp.security_name nocv3
expect v3-inform-port snmp.trap_oid 1.3.6.1.6.3.1.1.5.2
expect v3-sha256-port snmp.security_name noc256
# Normalized by the shipped templates (rules/normalize/snmp-traps.json) ...
expect v1-port event.action link.down
expect v1-port interface.index 3
expect v1-port interface.name v1-port
expect v1-port host.name 192.0.2.10
expect v2c-port event.action link.down
expect v2c-port interface.index 4
expect v2c-port host.name 198.51.100.7
expect inform-port event.action link.up
expect inform-port interface.name inform-port
expect v3-port event.action device.restart
expect v3-inform-port event.action device.restart
# ... and correlated: one incident per agent, action and version (3 v3 restarts: one, count 3).
for t in "link.down from 192.0.2.10 (1)" "link.down from 198.51.100.7 (2c)" \
         "link.up from 127.0.0.1 (2c)" "device.restart from 127.0.0.1 (3)"; do
  wait_for 30 grep -qF "\"title\":\"$t\"" "$TMP/main.out" || fail "no incident '$t': $(cat "$TMP/main.out")"
  [ "$(grep -F "\"title\":\"$t\"" "$TMP/main.out" | grep -c '"transition":"open"')" -eq 1 ] ||
    fail "incident '$t' opened more than once"
done
wait_for 30 grep -q '"title":"device.restart from 127.0.0.1 (3)".*"count":3' "$TMP/main.out" ||
  fail "the three v3 restarts are not one incident of count 3: $(cat "$TMP/main.out")"
# With vigil's MIB modules the trap and the objects have names, enum values their labels.
if [ -f "$SRC/contrib/mibs/IF-MIB.txt" ]; then
  expect v1-port snmp.trap_name IF-MIB::linkDown
  expect v1-port event.code IF-MIB::linkDown
  expect v1-port snmp.varbinds.0.name IF-MIB::ifIndex.3
  expect v1-port snmp.varbinds.2.label down
  grep -q '"message":"IF-MIB::linkDown ifIndex.3=3 ifAdminStatus.3=up ifOperStatus.3=down ifDescr.3=\\"v1-port\\""' \
    "$TMP/events.jsonl" || fail "v1 linkDown message: $(jget "$TMP/events.jsonl" v1-port message)"
fi

# ---- 2. rejections, each under its reason ----
snmptrap -v 2c -c wrong-comm "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "bad-comm-port"
snmptrap -v 2c -c remote-only "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "bad-net-port"
snmptrap -v 1 -c wrong-comm "$to" 1.3.6.1.4.1.9 192.0.2.10 2 0 1 $IFX.2.8 s "bad-comm-port"
snmptrap -v 3 -u nocv3 -a SHA -A wrong-auth-key -x AES -X v3-priv-key-1 -l authPriv -e "$ENGINE" \
  "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "bad-auth-port"
snmptrap -v 3 -u nocv3 -a SHA -A v3-auth-key-1 -x AES -X wrong-priv-key -l authPriv -e "$ENGINE" \
  "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "bad-priv-port"
snmptrap -v 3 -u nocv3 -l noAuthNoPriv -e "$ENGINE" "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "noauth-port"
snmptrap -v 3 -u nocv3 -a SHA -A v3-auth-key-1 -l authNoPriv -e "$ENGINE" \
  "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "authnopriv-port"
snmptrap -v 3 -u intruder -a SHA -A v3-auth-key-1 -x AES -X v3-priv-key-1 -l authPriv -e "$ENGINE" \
  "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.8 s "intruder-port"
if snmpinform -v 2c -c wrong-comm -t 1 -r 0 "$to" 1 1.3.6.1.6.3.1.1.5.3 >/dev/null 2>&1; then
  fail "an inform with a wrong community was acknowledged"
fi
snmpget -v 2c -c n0c-traps -t 1 -r 0 "$to" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && fail "a GET was answered"
want_rejections() {
  stat_is state bad_community 3 && stat_is state source_denied 1 && stat_is state wrong_digest 1 &&
    stat_is state decryption_error 1 && stat_is state below_min_level 2 &&
    stat_is state unknown_user 1 && stat_is state unsupported_pdu 1 && stat_is state rejected 10
}
wait_for 30 want_rejections ||
  fail "rejections not counted by reason: $("$VIGILCTL" --state-dir "$TMP/state" stats)"
for m in bad-comm-port bad-net-port bad-auth-port bad-priv-port noauth-port authnopriv-port intruder-port; do
  [ "$(events_with "$m")" -eq 0 ] || fail "a rejected notification ($m) became an event"
done
stat_is state accepted 6 || fail "accepted: $(stat state accepted), expected 6"
stat_is state informs 2 || fail "informs: $(stat state informs), expected 2"
grep -q 'SNMP: rejected a notification from 127.0.0.1 on udp 127.0.0.1:[0-9]*: unknown community' "$TMP/main.err" ||
  fail "no log line for the unknown community"
grep -q 'wrong authentication digest for user "nocv3"' "$TMP/main.err" || fail "no log line for the wrong digest"
grep -q 'security level below the minimum of user "nocv3"' "$TMP/main.err" || fail "no log line for the low level"
# Secrets stay secret: no community, no key in the events or the log.
for secret in n0c-traps remote-only wrong-comm v3-auth-key v3-priv-key wrong-auth-key wrong-priv-key; do
  if grep -q -- "$secret" "$TMP/events.jsonl" "$TMP/main.err" "$TMP/main.out"; then
    fail "\"$secret\" appears in the output"
  fi
done

# ---- 3. 10,000 hostile datagrams ----
capture() { # capture NAME 'COMMAND "$0" ...': the datagram COMMAND sends to "$0"
  "$BLAST" capture "$TMP/$1.bin" >"$TMP/$1.port" &
  local cpid=$!
  wait_for 10 test -s "$TMP/$1.port" || fail "capture did not start"
  bash -c "$2" "127.0.0.1:$(cat "$TMP/$1.port")" >/dev/null 2>&1 || true
  wait "$cpid" || fail "nothing captured for $1"
}
capture v1 "snmptrap -v 1 -c n0c-traps \"\$0\" 1.3.6.1.4.1.9 192.0.2.10 2 0 1 $IFX.1.3 i 3"
capture v2c "snmptrap -v 2c -c n0c-traps \"\$0\" 5 1.3.6.1.6.3.1.1.5.3 $IFX.1.3 i 3 $IFX.2.3 s fuzz-seed"
capture v3 "snmptrap ${V3[*]} -l authPriv -e $ENGINE \"\$0\" 5 1.3.6.1.6.3.1.1.5.3 $IFX.1.3 i 3"
capture inform "snmpinform -v 2c -c n0c-traps -t 1 -r 0 \"\$0\" 5 1.3.6.1.6.3.1.1.5.4 $IFX.1.3 i 3"
r0=$(stat state received)
hexport=$(printf '%04X' "$port")
kernel_drops() { awk -v p=":$hexport" '$2 == "0100007F" p { print $NF; found = 1 } END { if (!found) print 0 }' /proc/net/udp; }
d0=$(kernel_drops)
sent=$("$BLAST" fuzz 127.0.0.1 "$port" 10000 "${VG_FUZZ_SEED:-4242}" "$TMP/v1.bin" "$TMP/v2c.bin" "$TMP/v3.bin" "$TMP/inform.bin")
[ "$sent" -eq 10000 ] || fail "the fuzzer sent $sent datagrams"
all_counted() {
  local r d
  r=$(stat state received) d=$(kernel_drops)
  [ -n "$r" ] && [ $((r - r0 + d - d0)) -eq 10000 ]
}
wait_for 120 all_counted || fail "received $(( $(stat state received) - r0 )) + kernel drops $(( $(kernel_drops) - d0 )) != 10000 sent"
kill -0 "$VPID" || fail "vigild died under hostile datagrams"
s=$("$VIGILCTL" --state-dir "$TMP/state" stats | grep -o '{"listener":"snmp udp[^}]*}')
received=$(stat state received) accepted=$(stat state accepted) discovery=$(stat state discovery) rejected=$(stat state rejected)
[ "$received" -eq $((accepted + discovery + rejected)) ] ||
  fail "received $received != accepted $accepted + discovery $discovery + rejected $rejected: $s"
sum=0
for r in bad_community source_denied unknown_user unknown_engine_id wrong_digest decryption_error \
         not_in_time_window unsupported_sec_level below_min_level unsupported_pdu malformed too_large; do
  sum=$((sum + $(stat state "$r")))
done
[ "$sum" -eq "$rejected" ] || fail "the reasons add up to $sum, not rejected $rejected: $s"
[ "$(stat state malformed)" -gt 1000 ] || fail "too few malformed datagrams counted: $s"
echo "fuzz: $s; kernel drops $(( $(kernel_drops) - d0 ))"
snmptrap -v 2c -c n0c-traps "$to" 1 1.3.6.1.6.3.1.1.5.4 $IFX.2.9 s "after-fuzz-port"
wait_for 30 grep -q after-fuzz-port "$TMP/events.jsonl" || fail "a valid trap after the hostile datagrams gave no event"

# ---- 3b. forged v3 traps (a new engine id each) and an oversize trap ----
# net-snmp would keep a record per engine id that sent a trap, for ever: vigild refuses
# (engine id, user) pairs it has no user for before net-snmp parses them, so memory stays flat.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$VPID/status"; }
u0=$(stat state unknown_user) e0=$(stat state unknown_engine_id) r0=$(stat state received) d0=$(kernel_drops)
rss0=$(rss)
perl -MIO::Socket::INET -e '
  my ($port, $n) = @ARGV;
  sub tlv { my ($t, $v) = @_; my $l = length $v;
            chr($t) . ($l < 128 ? chr($l) : chr(0x82) . pack("n", $l)) . $v }
  sub int1 { tlv(0x02, chr($_[0])) }
  my $s = IO::Socket::INET->new(Proto => "udp", PeerAddr => "127.0.0.1", PeerPort => $port) or die;
  srand(99);
  for my $i (1 .. $n) {
    my $eng = join("", map { chr(int(rand(256))) } 1 .. 12);
    my $usm = tlv(0x30, tlv(0x04, $eng) . int1(1) . int1(1) . tlv(0x04, $i % 2 ? "forged" : "nocv3")
                        . tlv(0x04, "") . tlv(0x04, ""));
    my $pdu = tlv(0xA7, int1(1) . int1(0) . int1(0) . tlv(0x30, ""));
    my $msg = tlv(0x30, tlv(0x02, "\0\0\0\3") . tlv(0x30, int1(7) . tlv(0x02, "\x7f\xff")
                        . tlv(0x04, "\0") . int1(3))
                        . tlv(0x04, $usm) . tlv(0x30, tlv(0x04, $eng) . tlv(0x04, "") . $pdu));
    $s->send($msg);
    select(undef, undef, undef, 0.001) if $i % 200 == 0;
  }' "$port" 60000
forged_counted() {
  [ $(( $(stat state received) - r0 + $(kernel_drops) - d0 )) -ge 60000 ]
}
wait_for 120 forged_counted || fail "the forged v3 traps were not all counted"
fu=$(( $(stat state unknown_user) - u0 ))
grow=$(( $(rss) - rss0 ))
echo "forged v3: $fu refused as unknown_user; RSS grew ${grow} KiB"
[ "$grow" -lt 3072 ] || fail "vigild grew by $grow KiB under 60,000 forged v3 traps"
[ "$fu" -ge 50000 ] || fail "forged v3 traps: only $fu counted as unknown_user (a 4-byte msgVersion must be read as v3)"
# A trap whose event would pass 32 KiB (12,000 binary octets: hex in varbinds and message).
big=$(perl -e 'print "ff00" x 6000')
snmptrap -v 2c -c n0c-traps "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.9 s "too-large-port" $IFX.6.9 x "$big"
wait_for 30 stat_is state too_large 1 || fail "an oversize trap was not counted as too_large"
grep -q too-large-port "$TMP/events.jsonl" && fail "an oversize trap became an event"
grep -q 'its event would exceed 32768 bytes' "$TMP/main.err" || fail "no log line for the oversize trap"
kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status after SIGTERM"

# ---- 4. defaults: community public from loopback only; none ----
start_vigild dflt --state-dir "$TMP/state2" --rules "$TMP/rules" --listen-udp 127.0.0.1:0 \
  --listen-tcp 127.0.0.1:0 --listen-snmp udp:127.0.0.1:0 --events-out "$TMP/events2.jsonl"
wait_for 30 grep -q "listening for SNMP traps on udp 127.0.0.1:" "$TMP/dflt.err" || fail "vigild (defaults) did not start"
to="127.0.0.1:$(trap_port dflt)"
snmptrap -v 2c -c public "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.1 s "public-port"
snmptrap -v 2c -c private "$to" 1 1.3.6.1.6.3.1.1.5.3 $IFX.2.1 s "private-port"
wait_for 30 grep -q public-port "$TMP/events2.jsonl" || fail "community public from loopback not accepted by default"
wait_for 30 stat_is state2 bad_community 1 || fail "another community was not rejected by default"
grep -q private-port "$TMP/events2.jsonl" && fail "community private accepted by default"
kill -TERM "$VPID"; wait "$VPID" || fail "vigild (defaults) exit status"
start_vigild none --state-dir "$TMP/state3" --rules "$TMP/rules" --listen-udp 127.0.0.1:0 \
  --listen-tcp 127.0.0.1:0 --listen-snmp none
wait_for 30 grep -q "listening for syslog on tcp" "$TMP/none.err" || fail "vigild (no traps) did not start"
wait_for 30 grep -q "running with" "$TMP/none.err" || fail "vigild (no traps) did not run"
grep -q "SNMP" "$TMP/none.err" && fail "--listen-snmp none still started the trap receiver"
kill -TERM "$VPID"; wait "$VPID" || fail "vigild (no traps) exit status"
echo "traps: all checks passed"
