#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SNMP action plugins against a real snmpd (Debian package snmpd) that plays a switch
# through pass_persist (test/tools/fake_switch: IF-MIB ports, CISCO-CONFIG-COPY-MIB
# ccCopyTable, every GET and SET logged). A log is replayed with the rules and inventory of
# test/data/rules-snmp, actions on, into a Redis kept for vigilctl.
# Usage: snmp_actions.sh VIGILD VIGILCTL SRCDIR
#  1. port_isolate (v2c): the port found by its ifDescr, ifAdminStatus.10112 SET to 2 once,
#     read back; the history entry ok with device, ifIndex, port, statuses; the step done.
#  2. Failures recorded, nothing else SET: a wrong community (no answer, retried), a wrong
#     SNMPv3 key for the device and user of test 3 (net-snmp caches one user per engine and
#     name: the plugin replaces a stale one before each session), an ifIndex
#     the switch lacks (noSuchInstance), a port that refuses the write (notWritable), a host
#     that is a core switch (protected role), host names with ';', '$(...)' and backticks
#     (refused by the value check before any lookup).
#  3. port_restore over SNMPv3 authPriv (SHA-256, AES): ifAdminStatus.10113 SET to 1.
#  4. switch_config_restore: a ccCopyTable row created in one SET from the inventory's
#     config (tftp, IpAddress server) and from params (scp, IPv6 server through .15/.16, a
#     file name template, user and secret password), polled to successful, destroyed; a
#     missing file fails with badFileName; the exec backend runs its argv without a shell and
#     kills a program still running at the deadline.
#  5. No secret (community, v3 keys, scp password) in vigild's output or the history.
#  6. An operator's close of the isolated host's incident runs port_restore (the inverse)
#     on a live vigild, on the port port_isolate recorded.
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3
SNMPD=/usr/sbin/snmpd
if [ ! -x "$SNMPD" ] || [ ! -x /usr/bin/python3 ]; then
  echo "SKIP: snmpd or python3 not installed (apt-get install snmpd python3)"
  exit 77
fi
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 77; }
TMP=$(mktemp -d /tmp/vg_snmp_actions.XXXXXX)
. "$(dirname "$0")/lib.sh"
DATA="$SRC/test/data/rules-snmp"
# snmpd reads no configuration but ours and keeps its state (v3 users, engine boots) in TMP.
export SNMPCONFPATH="$TMP/no-snmp-conf" SNMP_PERSISTENT_DIR="$TMP/persist" MIBS=""
export FAKE_SWITCH_LOG="$TMP/switch.log"
COMMUNITY=c0mmunity-Sw3-x9 AUTH_KEY=auth-Key-7731 PRIV_KEY=priv-Key-5529
export VG_TEST_SW4_AUTH=$AUTH_KEY VG_TEST_SW6_AUTH=not-the-auth-key VG_TEST_SCP_PASSWORD=scp-Pass-4417

free_udp_port() {
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0) or die;
    print $s->sockport;'
}
# incident HOST: the id of the incident opened for host.name HOST by the replay
incident() {
  perl -MJSON::PP -e '
    my ($file, $host) = @ARGV;
    open(my $f, "<", $file) or die "$file: $!";
    while (my $line = <$f>) {
      my $r = eval { JSON::PP->new->decode($line) } or next;
      next unless ($r->{transition} // "") eq "open";
      if (($r->{incident}{key}{"host.name"} // "") eq $host) { print $r->{incident}{id}; exit 0; }
    }
    exit 1;' "$TMP/replay.out" "$1"
}
# actions ID PLUGIN [TRANSITION]: the history entries of PLUGIN, one compact JSON a line
actions() {
  "$VIGILCTL" --redis "unix:$sock" incidents show "$1" >"$TMP/show.json" || return 1
  perl -MJSON::PP -e '
    my ($file, $plugin, $tr) = @ARGV;
    local $/;
    open(my $f, "<", $file) or die;
    my $j = JSON::PP->new->canonical;
    my $doc = $j->decode(<$f>);
    for my $h (@{$doc->{history} // []}) {
      next unless ($h->{type} // "") eq "action" && ($h->{action} // "") eq $plugin;
      next if $tr ne "" && ($h->{transition} // "") ne $tr;
      print $j->encode($h), "\n";
    }' "$TMP/show.json" "$2" "${3:-}"
}
# field JSON PATH: a member of one history entry (a.b), "absent" when missing
field() {
  perl -MJSON::PP -e '
    my $v = JSON::PP->new->decode($ARGV[0]);
    for my $k (split /\./, $ARGV[1]) { $v = ref($v) eq "HASH" ? $v->{$k} : undef; }
    print defined($v) ? $v : "absent";' "$1" "$2"
}
# check ID PLUGIN PATH VALUE: the (first) entry of PLUGIN has VALUE at PATH
check() {
  local e got
  e=$(actions "$1" "$2" | head -1)
  [ -n "$e" ] || fail "incident $1 has no $2 entry: $(cat "$TMP/show.json")"
  got=$(field "$e" "$3")
  [ "$got" = "$4" ] || fail "incident $1, $2: $3 is '$got', expected '$4' in $e"
}
check_has() { # check_has ID PLUGIN PATH TEXT: the value at PATH contains TEXT
  local e got
  e=$(actions "$1" "$2" | head -1)
  got=$(field "$e" "$3")
  case "$got" in *"$4"*) ;; *) fail "incident $1, $2: $3 '$got' lacks '$4'" ;; esac
}
sets() { grep -c "^SET $1" "$TMP/switch.log" || true; }

# ---- the switch: snmpd with the fake switch behind pass_persist ----
mkdir -p "$TMP/persist" "$TMP/secrets" "$TMP/rules"
chmod 700 "$TMP/secrets"
printf '%s\n' "$COMMUNITY" >"$TMP/secrets/access-sw3.community"
printf 'not-the-community\n' >"$TMP/secrets/access-sw5.community"
printf '%s\n' "$PRIV_KEY" >"$TMP/secrets/access-sw4.priv"
chmod 600 "$TMP/secrets"/*
port=$(free_udp_port)
FAKE=$SRC/test/tools/fake_switch
cat >"$TMP/snmpd.conf" <<EOF
rwcommunity $COMMUNITY 127.0.0.1
createUser vigiladmin SHA-256 "$AUTH_KEY" AES "$PRIV_KEY"
rwuser vigiladmin priv
pass_persist -p 10 .1.3.6.1.2.1.2.2.1 $FAKE
pass_persist -p 10 .1.3.6.1.2.1.31.1.1.1 $FAKE
pass_persist -p 10 .1.3.6.1.4.1.9.9.96 $FAKE
EOF
"$SNMPD" -f -Lo -C -c "$TMP/snmpd.conf" -p "$TMP/snmpd.pid" "udp:127.0.0.1:$port" \
  >"$TMP/snmpd.out" 2>"$TMP/snmpd.err" &
pids+=($!)
wait_for 30 grep -q "NET-SNMP version" "$TMP/snmpd.out" || fail "snmpd did not start"

sed -e "s#@PORT@#$port#g" -e "s#@DIR@#$TMP/secrets#g" "$DATA/inventory.json.in" >"$TMP/inventory.json"
cp "$DATA/snmp-actions.json" "$TMP/rules/"
sock="$TMP/redis.sock"
redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.out" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"

# ---- the replay ----
"$VIGILD" --replay "$DATA/snmp-actions.log" --year 2026 --rules "$TMP/rules" \
  --inventory "$TMP/inventory.json" --redis "unix:$sock" --keep-state --actions \
  >"$TMP/replay.out" 2>"$TMP/replay.err" || fail "replay with actions"

# ---- 1. isolation over v2c ----
id1=$(incident pacs-01) || fail "no incident for pacs-01"
[ "$(sets '.1.3.6.1.2.1.2.2.1.7.10112 integer 2 -> DONE')" -eq 1 ] ||
  fail "ifAdminStatus.10112 not SET to down exactly once: $(cat "$TMP/switch.log")"
# The check: a GET of the port's status after its SET.
awk '/^SET .1.3.6.1.2.1.2.2.1.7.10112 integer 2/ { s = 1 } s && /^GET .1.3.6.1.2.1.2.2.1.7.10112$/ { ok = 1 }
     END { exit !ok }' "$TMP/switch.log" || fail "no GET of ifAdminStatus.10112 after the SET"
check "$id1" port_isolate status ok
check "$id1" port_isolate result.device access-sw3
check "$id1" port_isolate result.if_index 10112
check "$id1" port_isolate result.port GigabitEthernet1/0/12
check "$id1" port_isolate result.admin_status_before up
check "$id1" port_isolate result.admin_status_after down
check "$id1" port_isolate result.oper_status down
check_has "$id1" port_isolate output "ifAdminStatus up -> down"
grep -q '"step":"5.2.2.1"' "$TMP/show.json" || fail "the playbook step is not in the incident"

# ---- 2. failures recorded, nothing else SET ----
id3=$(incident pacs-03) || fail "no incident for pacs-03"
check "$id3" port_isolate status failed
check_has "$id3" port_isolate error "no answer from device access-sw5"
id4=$(incident pacs-04) || fail "no incident for pacs-04"
check "$id4" port_isolate status failed
check_has "$id4" port_isolate error "noSuchInstance"
id5=$(incident pacs-05) || fail "no incident for pacs-05"
check "$id5" port_isolate status failed
check_has "$id5" port_isolate error "notWritable"
check "$id5" port_isolate result.if_index 10148
# Another entry for the same device and v3 user with a wrong key: refused, and (whatever the
# order of the two calls) no harm to pacs-02's restore through the right keys below.
id6=$(incident pacs-06) || fail "no incident for pacs-06"
check "$id6" port_isolate status failed
check_has "$id6" port_isolate error "Authentication failure"
idc=$(incident core-sw1) || fail "no incident for core-sw1"
check "$idc" port_isolate status failed
check_has "$idc" port_isolate error "protected role core-switch"
for h in 'pacs-01;reboot' '$(id)' '`reboot`'; do
  idx=$(incident "$h") || fail "no incident for $h"
  check "$idx" port_isolate status failed
  check_has "$idx" port_isolate error "refused"
  check "$idx" port_isolate result.device absent
done
[ "$(sets '.1.3.6.1.2.1.2.2.1.7.10148 integer 2 -> not-writable')" -eq 1 ] || fail "no refused SET on 10148"
[ "$(sets '.1.3.6.1.2.1.2.2.1.7.')" -eq 3 ] ||
  fail "other ifAdminStatus SETs than 10112, 10148 and 10113: $(grep '^SET' "$TMP/switch.log")"

# ---- 3. restore over SNMPv3 authPriv ----
id2=$(incident pacs-02) || fail "no incident for pacs-02"
[ "$(sets '.1.3.6.1.2.1.2.2.1.7.10113 integer 1 -> DONE')" -eq 1 ] || fail "ifAdminStatus.10113 not SET to up"
check "$id2" port_restore status ok
check "$id2" port_restore result.device access-sw4
check "$id2" port_restore result.located_by inventory
check "$id2" port_restore result.admin_status_before down
check "$id2" port_restore result.admin_status_after up

# ---- 4. configuration restore ----
ids=$(incident access-sw3) || fail "no incident for access-sw3"
actions "$ids" switch_config_restore >"$TMP/restore.jsonl"
[ "$(wc -l <"$TMP/restore.jsonl")" -eq 5 ] ||
  fail "not 5 switch_config_restore entries: $(cat "$TMP/restore.jsonl")"
# Entries are canonical JSON (sorted keys): the file comes before the protocol.
tftp=$(grep '"file":"access-sw3-good.cfg".*"protocol":"tftp"' "$TMP/restore.jsonl" | head -1)
[ -n "$tftp" ] || fail "no tftp restore: $(cat "$TMP/restore.jsonl")"
[ "$(field "$tftp" status)" = ok ] || fail "tftp restore: $tftp"
[ "$(field "$tftp" result.server)" = 192.0.2.10 ] || fail "tftp server: $tftp"
[ "$(field "$tftp" result.state)" = successful ] || fail "tftp state: $tftp"
[ "$(field "$tftp" result.row_destroyed)" = yes ] || fail "tftp row: $tftp"
row=$(field "$tftp" result.row)
C=.1.3.6.1.4.1.9.9.96.1.1.1.1
for want in "$C.2.$row integer 1 " "$C.3.$row integer 1 " "$C.4.$row integer 4 " \
    "$C.5.$row ipaddress 192.0.2.10 " "$C.6.$row string access-sw3-good.cfg " \
    "$C.14.$row integer 4 -> DONE" "$C.14.$row integer 6 -> DONE"; do
  [ "$(sets "$want")" -eq 1 ] || fail "no 'SET $want' for the tftp row: $(grep "\.$row " "$TMP/switch.log")"
done
[ "$(grep -c "^GET $C.10.$row\$" "$TMP/switch.log")" -ge 3 ] || fail "ccCopyState not polled to the end"
scp=$(grep '"protocol":"scp"' "$TMP/restore.jsonl" | head -1)
[ "$(field "$scp" status)" = ok ] || fail "scp restore: $scp"
[ "$(field "$scp" result.file)" = access-sw3-good.cfg ] || fail "file template: $scp"
row=$(field "$scp" result.row)
for want in "$C.2.$row integer 4 " "$C.15.$row integer 2 " \
    "$C.16.$row octet \"20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10\"" \
    "$C.7.$row string backup " "$C.8.$row string $VG_TEST_SCP_PASSWORD " "$C.14.$row integer 6 -> DONE"; do
  [ "$(sets "$want")" -eq 1 ] || fail "no 'SET $want' for the scp row: $(grep "\.$row " "$TMP/switch.log")"
done
miss=$(grep '"file":"missing.cfg"' "$TMP/restore.jsonl" | head -1)
[ "$(field "$miss" status)" = failed ] || fail "missing file: $miss"
[ "$(field "$miss" result.fail_cause)" = badFileName ] || fail "fail cause: $miss"
[ "$(field "$miss" result.row_destroyed)" = yes ] || fail "failed row left: $miss"
ex=$(grep '"backend":"exec"' "$TMP/restore.jsonl" | head -1)
[ "$(field "$ex" status)" = ok ] || fail "exec backend: $ex"
[ "$(field "$ex" output)" = "oxidized restore access-sw3" ] || fail "exec output: $ex"
[ "$(field "$ex" result.command)" = 'printf oxidized restore %s\n access-sw3' ] || fail "exec command: $ex"
hung=$(grep '"command":"sleep 30"' "$TMP/restore.jsonl" | head -1)
[ "$(field "$hung" status)" = timeout ] || fail "a hung restore program: $hung"
[ "$(field "$hung" result.exit_status)" = killed ] || fail "the hung program not killed: $hung"

# ---- 5. no secret anywhere ----
for s in "$COMMUNITY" "$AUTH_KEY" "$PRIV_KEY" "$VG_TEST_SCP_PASSWORD"; do
  for id in "$id1" "$id2" "$id3" "$ids"; do
    "$VIGILCTL" --redis "unix:$sock" incidents show "$id" | grep -qF -- "$s" &&
      fail "a secret in the history of $id"
  done
  grep -qF -- "$s" "$TMP/replay.out" "$TMP/replay.err" && fail "a secret in vigild's output"
done

# ---- 6. the inverse at an operator's close ----
"$VIGILCTL" --redis "unix:$sock" incidents close "$id1" --by test "host cleaned" >/dev/null ||
  fail "incidents close"
"$VIGILD" --redis "unix:$sock" --rules "$TMP/rules" --inventory "$TMP/inventory.json" \
  --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --listen-snmp none \
  >"$TMP/live.out" 2>"$TMP/live.err" &
VPID=$!
pids+=($VPID)
wait_for 60 grep -q "^SET .1.3.6.1.2.1.2.2.1.7.10112 integer 1 -> DONE" "$TMP/switch.log" ||
  fail "closing the incident did not restore ifAdminStatus.10112"
restored() { [ -n "$(actions "$id1" port_restore close)" ]; }
wait_for 30 restored || fail "no port_restore entry for the close of $id1"
check "$id1" port_restore status ok
check "$id1" port_restore result.if_index 10112
check "$id1" port_restore result.located_by port_isolate
check "$id1" port_restore result.admin_status_after up
kill -TERM "$VPID"
wait "$VPID" || fail "vigild exit status"
echo "snmp_actions: ok"
