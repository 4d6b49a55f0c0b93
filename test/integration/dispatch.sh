#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The action dispatcher inside a live vigild, with the test_on/test_off plugins of
# test/plugins/test_action.c (each call appends a line to a file):
#   - an incident's open runs test_on, which marks playbook step 5.2.2.1 done;
#   - a second action hangs past its deadline: while it hangs, 20,000 datagrams are taken
#     in and processed (ingestion does not wait), then it is abandoned and counted;
#   - a step whose action fails is handed to a person;
#   - vigilctl incidents close runs test_on's inverse (test_off) once, with test_on's result;
#   - a rule naming an unknown step or a bad rate_limit is refused with its JSON path.
# Usage: dispatch.sh VIGILD VIGILCTL SRCDIR BUILDDIR
set -euo pipefail
VIGILD=$1 VIGILCTL=$2 SRC=$3 BUILD=$4
TMP=$(mktemp -d /tmp/vg_dispatch.XXXXXX)
. "$(dirname "$0")/lib.sh"

sock="$TMP/redis.sock"
redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no \
  --daemonize no >"$TMP/redis.err" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
ctl() { "$VIGILCTL" --redis "unix:$sock" "$@"; }

mkdir "$TMP/rules"
# inventory HOST...: an inventory with one switch and these hosts on its ports
inventory() {
  local i=0 h sep=""
  printf '{"devices": [{"name": "access-sw3", "addresses": ["192.0.2.3"]}], "hosts": ['
  for h in "$@"; do
    i=$((i + 1))
    printf '%s{"name": "%s", "switch": "access-sw3", "if_index": %d}' "$sep" "$h" "$i"
    sep=","
  done
  printf ']}\n'
}
inventory pc-b >"$TMP/inv.json"
cat >"$TMP/rules/dispatch.json" <<JSON
{"rules": [
 {"name": "malware", "plugin": "single", "match": {"event.action": ["malware.detected"]},
  "key": ["host.name"],
  "incident": {"title": "malware on \${host.name}", "severity": "high", "class": "virus",
               "procedure": "5.2.2"},
  "actions": {"open": [
    {"plugin": "test_on", "step": "5.2.2.1", "params": {"file": "$TMP/on.log"}},
    {"plugin": "test_on", "step": "5.2.2.3", "timeout": "8s", "undo": false,
     "params": {"file": "$TMP/hang.log", "mode": "hang"}},
    {"plugin": "test_on", "step": "5.2.2.4", "retries": 1, "undo": false,
     "params": {"file": "$TMP/fail.log", "mode": "fail"}},
    {"plugin": "test_on", "undo": false, "params": {"file": "$TMP/inv.log", "inventory": true}}
  ]}},
 {"name": "auth", "plugin": "threshold", "match": {"event.action": ["ssh.auth_failed"]},
  "key": ["source.ip"], "params": {"count": 1000000, "window": "1h"},
  "incident": {"title": "x", "severity": "low", "class": "hacker_attack", "procedure": "5.2.1"}}
]}
JSON
"$VIGILD" --redis "unix:$sock" --rules "$TMP/rules" --plugins "$BUILD/plugins" \
  --plugins "$BUILD/test-action-plugins" --inventory "$TMP/inv.json" --listen-udp 127.0.0.1:0 \
  --listen-tcp 127.0.0.1:0 --listen-snmp none >"$TMP/vigild.out" 2>"$TMP/vigild.err" &
VPID=$!
pids+=($VPID)
wait_for 20 grep -q "listening for syslog on udp" "$TMP/vigild.err" || fail "vigild did not start"
port=$(grep -o "listening for syslog on udp 127.0.0.1:[0-9]*" "$TMP/vigild.err" | head -1 | cut -d: -f2)

logger --udp --server 127.0.0.1 --port "$port" --rfc3164 -t clamd -p daemon.err \
  "/srv/share/invoice.pdf.exe: Win.Trojan.Agent-1 FOUND"
wait_for 20 grep -q '"transition":"open"' "$TMP/vigild.out" || fail "no incident opened"
id=$(grep -o '"transition":"open","incident":{"id":"[0-9a-f]*-[0-9]*"' "$TMP/vigild.out" | head -1 | cut -d'"' -f10)
[ -n "$id" ] || fail "no incident id"
wait_for 20 grep -q "^test_on open $id " "$TMP/on.log" || fail "test_on did not run"
wait_for 20 grep -q "^test_on open $id " "$TMP/hang.log" || fail "the hanging action did not start"

# While the second action hangs, ingestion goes on: 20,000 datagrams are all accounted for
# (taken in, or dropped by the kernel and counted) and processed before it is abandoned.
sent=20000
for i in $(seq 1 50); do
  printf '<38>Nov 26 10:00:%02d web1 sshd[1]: Failed password for root from 198.51.100.%d port 22 ssh2\n' \
    $((i % 60)) "$i"
done >"$TMP/ssh.log"
"$BUILD/test/vg_blast" 127.0.0.1 "$port" "$sent" "$TMP/ssh.log" 2>"$TMP/blast.err" || fail "vg_blast"
stats() { ctl stats; }
num() { echo "$1" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2; }
settled() {
  printf '<13>sentinel\n' >/dev/udp/127.0.0.1/"$port"
  sent=$((sent + 1))
  local s
  s=$(stats) || return 1
  [ $(($(num "$s" raw_in) + $(num "$s" kernel_dropped))) -ge $((sent - 1)) ] &&
    [ $(($(num "$s" normalized) + $(num "$s" unmatched) + $(num "$s" raw_dropped))) -ge \
      $(($(num "$s" raw_in) - 1)) ]
}
wait_for 30 settled || fail "datagrams not processed while an action hangs: $(stats)"
ctl incidents show "$id" >"$TMP/show1.out"
if grep -q 'abandoned' "$TMP/show1.out"; then
  fail "ingestion waited for the hung action (it was abandoned before the datagrams were processed)"
fi
echo "all $sent datagrams accounted for and processed while the action hung: $(stats | grep -o "\"raw_in\":[0-9]*\|\"kernel_dropped\":[0-9]*" | tr "\n" " ")"
wait_for 20 grep -q "hangs past its deadline: abandoned" "$TMP/vigild.err" || fail "the hung call was not abandoned"
wait_for 10 sh -c "\"$VIGILCTL\" --redis unix:$sock stats | grep -q '\"actions_abandoned\":1'" ||
  fail "actions_abandoned not counted: $(stats)"

ctl incidents show "$id" >"$TMP/show.out"
grep -q '"action":"test_on","transition":"open","rule":"malware","step":"5.2.2.1","status":"ok"' "$TMP/show.out" ||
  fail "no ok history entry for step 5.2.2.1: $(cat "$TMP/show.out")"
grep -q '"step":"5.2.2.3","status":"timeout".*did not return within its deadline of 8000 ms: abandoned' "$TMP/show.out" ||
  fail "the abandoned call is not in the history"
grep -q '"step":"5.2.2.4","status":"failed","code":-1,"attempts":1.*"error":"the switch refused the change"' "$TMP/show.out" ||
  fail "the failed call is not in the history"
perl -MJSON::PP -e '
  my $h = JSON::PP->new->decode(do { local $/; <STDIN> });
  my $pb = ref $h->{playbook} ? $h->{playbook} : JSON::PP->new->decode($h->{playbook});
  my %s = map { $_->{step} => $_ } @$pb;
  $s{"5.2.2.1"}{status} eq "done" && $s{"5.2.2.1"}{who} eq "action:test_on" or die "5.2.2.1 not done\n";
  $s{"5.2.2.1"}{result}{ticket_id} =~ /^T-/ or die "5.2.2.1 has no result\n";
  $s{"5.2.2.3"}{status} eq "failed" && $s{"5.2.2.3"}{who} eq "person" or die "5.2.2.3 not handed over\n";
  $s{"5.2.2.4"}{status} eq "failed" && $s{"5.2.2.4"}{error} =~ /refused/ or die "5.2.2.4 not failed\n";
  $s{"5.2.2.2"}{status} eq "pending" or die "5.2.2.2 touched\n";
' <"$TMP/show.out" 2>"$TMP/playbook.err" || fail "playbook: $(cat "$TMP/playbook.err") $(cat "$TMP/show.out")"

# The operator closes it: the inverse of test_on runs once, on the timer loop, and gets the
# ticket test_on recorded. A second close is refused and runs nothing.
ctl incidents close "$id" --by alice cleaned and restored >/dev/null || fail "close"
wait_for 20 grep -q "^test_off close $id [^ ]* attempt=1 prior=T-$id " "$TMP/on.log" ||
  fail "the inverse did not run: $(cat "$TMP/on.log")"
if ctl incidents close "$id" 2>/dev/null; then fail "a closed incident closed again"; fi
ctl incidents show "$id" >"$TMP/show2.out"
grep -q '"action":"test_off","transition":"close","rule":"malware","step":"5.2.2.1","undo_of":"test_on","status":"ok"' "$TMP/show2.out" ||
  fail "the undo is not in the history"
[ "$(grep -c '^test_off' "$TMP/on.log")" -eq 1 ] || fail "the inverse ran more than once"

# SIGHUP reloads the inventory; a bad file keeps the one in use.
malware() { printf '<27>Nov 27 00:16:07 %s clamd: /tmp/x.exe: Win.Test-1 FOUND' "$1" >/dev/udp/127.0.0.1/"$port"; }
malware pc-a
wait_for 20 grep -q " pc-a attempt=1 .* inv=no$" "$TMP/inv.log" || fail "inventory lookup (absent host): $(cat "$TMP/inv.log")"
inventory pc-b pc-c pc-e >"$TMP/inv.json"
kill -HUP "$VPID"
wait_for 20 grep -q "SIGHUP: inventory $TMP/inv.json reloaded" "$TMP/vigild.err" || fail "no reload on SIGHUP"
malware pc-c
wait_for 20 grep -q " pc-c attempt=1 .* inv=yes$" "$TMP/inv.log" || fail "the reloaded inventory is not used: $(cat "$TMP/inv.log")"
printf '{"hosts": [{"name": "pc-x"}]}\n' >"$TMP/inv.json"
kill -HUP "$VPID"
wait_for 20 grep -q "SIGHUP: inventory $TMP/inv.json not reloaded" "$TMP/vigild.err" || fail "a bad inventory was not refused"
grep -q 'inv.json: \$.hosts\[0\]' "$TMP/vigild.err" || fail "the refusal does not name the entry: $(grep SIGHUP "$TMP/vigild.err")"
malware pc-e
wait_for 20 grep -q " pc-e attempt=1 .* inv=yes$" "$TMP/inv.log" || fail "the previous inventory was not kept: $(cat "$TMP/inv.log")"
kill -TERM "$VPID"
wait "$VPID" || fail "vigild exit status"

# ABI 1.3: a rule plugin's findings and playbook changes. The carrier-ticket step's action runs
# only where the findings leave the step applicable; 5.3.1 is added for a registered product.
mkdir "$TMP/rules13"
cat >"$TMP/rules13/steps.json" <<JSON
{"rules": [{"name": "wan", "plugin": "test_steps", "match": {"event.action": ["link.down"]},
  "key": ["host.name"],
  "incident": {"title": "WAN down at \${host.name}", "severity": "high", "class": "wan_outage",
               "procedure": "5.2.5"},
  "actions": {"open": [{"plugin": "test_on", "step": "5.2.5.4", "undo": false,
                        "params": {"file": "$TMP/ticket.log"}}]}}]}
JSON
cat >"$TMP/wan.jsonl" <<'JSON'
{"@timestamp": "2026-11-26T10:00:00Z", "event.action": "link.down", "host.name": "wan-r1", "x.resp": "ours"}
{"@timestamp": "2026-11-26T10:00:01Z", "event.action": "link.down", "host.name": "wan-r2", "x.resp": "carrier", "x.registered": "true"}
{"@timestamp": "2026-11-26T10:00:02Z", "event.action": "link.down", "host.name": "pacs-gw", "host.ip": "10.1.2.3", "x.resp": "ours"}
JSON
# 5.3 from the inventory: 10.1.2.3 is pacs-01, which runs a registered product; wan-r1 runs one
# that is not registered.
cat >"$TMP/inv53.json" <<'JSON'
{"devices": [{"name": "sw1", "addresses": ["10.1.0.1"]}],
 "hosts": [{"name": "pacs-01", "addresses": ["10.1.2.3"], "switch": "sw1", "port": "Gi1/0/1"}],
 "products": [{"name": "PACS viewer", "registered": true, "registration": "NMPA 2021-1", "hosts": ["pacs-01"]},
              {"name": "Intranet", "registered": false, "hosts": ["wan-r1"]}]}
JSON
"$VIGILD" --replay "$TMP/wan.jsonl" --rules "$TMP/rules13" --plugins "$BUILD/plugins" \
  --plugins "$BUILD/test-action-plugins" --redis "unix:$sock" --keep-state --actions \
  --inventory "$TMP/inv53.json" >"$TMP/wan.out" 2>"$TMP/wan.err" || fail "replay with test_steps"
grep -q '"key":{"host.name":"wan-r1"}.*"findings":{"responsibility":"ours","checked":\["link"\]}' "$TMP/wan.out" ||
  fail "no findings in the open record: $(cat "$TMP/wan.out")"
[ "$(grep -c ' wan-r2 ' "$TMP/ticket.log")" -eq 1 ] || fail "the carrier's incident did not run its ticket step"
if grep -q ' wan-r1 ' "$TMP/ticket.log"; then fail "a not-applicable step ran its action"; fi
id1=$(grep -o '"id":"[0-9a-f]*-[0-9]*","class":"wan_outage","title":"WAN down at wan-r1"' "$TMP/wan.out" | cut -d'"' -f4)
id2=$(grep -o '"id":"[0-9a-f]*-[0-9]*","class":"wan_outage","title":"WAN down at wan-r2"' "$TMP/wan.out" | cut -d'"' -f4)
ctl incidents show "$id1" >"$TMP/wan1.out"
ctl incidents show "$id2" >"$TMP/wan2.out"
grep -q '"step":"5.2.5.4","status":"skipped"' "$TMP/wan1.out" || fail "the skipped step is not in the history"
grep -q '"findings":{"responsibility":"ours","checked":\["link"\]}' "$TMP/wan1.out" || fail "findings not kept on the incident"
perl -MJSON::PP -e '
  my ($f1, $f2) = @ARGV;
  for my $case ([$f1, "ours"], [$f2, "carrier"]) {
    open(my $f, "<", $case->[0]) or die;
    my $h = JSON::PP->new->decode(do { local $/; <$f> });
    my %s = map { $_->{step} => $_ } @{ $h->{playbook} };
    if ($case->[1] eq "ours") {
      $s{"5.2.5.3"}{status} eq "pending" && $s{"5.2.5.3"}{who} eq "on_duty" or die "ours: 5.2.5.3\n";
      $s{"5.2.5.4"}{status} eq "not_applicable" && $s{"5.2.5.4"}{note} =~ /ours/ or die "ours: 5.2.5.4\n";
      exists $s{"5.3.1"} and die "ours: 5.3.1 added\n";
    } else {
      $s{"5.2.5.3"}{status} eq "not_applicable" or die "carrier: 5.2.5.3\n";
      $s{"5.2.5.4"}{status} eq "done" && $s{"5.2.5.4"}{who} eq "action:test_on" or die "carrier: 5.2.5.4\n";
      $s{"5.3.1"}{status} eq "pending" && $s{"5.3.1"}{text} =~ /registered software product/ or die "carrier: 5.3.1\n";
      $h->{playbook}[-1]{step} eq "5.3.1" or die "carrier: steps not in order\n";
    }
  }' "$TMP/wan1.out" "$TMP/wan2.out" 2>"$TMP/wanpb.err" || fail "playbook changes: $(cat "$TMP/wanpb.err")"

perl -MJSON::PP -ne '
  my $r = JSON::PP->new->decode($_);
  next unless $r->{incident}{title} eq "WAN down at pacs-gw";
  my %s = map { $_->{step} => $_ } @{ $r->{incident}{playbook} };
  $s{"5.3.1"}{status} eq "pending" && $s{"5.3.1"}{who} eq "person" && $s{"5.3.1"}{text} =~ m{^R&D/production assess} or die "5.3.1\n";
  $s{"5.3.2"}{text} =~ /notify customers or recall/ or die "5.3.2\n";
  $s{"5.2.5.4"}{since} =~ /^2026-11-26T10:00:02\.000Z$/ or die "since\n";
  join(",", @{ $r->{incident}{findings}{registered_products} }) eq "PACS viewer" or die "findings\n";
  $r->{incident}{findings}{responsibility} eq "ours" or die "findings merged\n";
  print "ok\n";' "$TMP/wan.out" >"$TMP/p53.out" 2>&1 && grep -q ok "$TMP/p53.out" ||
  fail "no 5.3 steps for a registered product's host: $(cat "$TMP/p53.out")"
if grep '"title":"WAN down at wan-r1"' "$TMP/wan.out" | grep -q '5.3.1'; then
  fail "5.3 added for a product that is not registered"
fi

# Bad action entries are refused at load with their JSON path.
cat >"$TMP/bad.json" <<'JSON'
{"rules": [{"name": "b", "plugin": "single", "match": {"event.action": ["x"]},
  "incident": {"title": "x", "severity": "low", "class": "generic", "procedure": "-"},
  "actions": {"open": [{"plugin": "exec", "step": "5.2", "rate_limit": {"count": 0},
                        "retries": 99, "min_severity": "severe", "params": {"argv": ["true"]}}]}}]}
JSON
if "$VIGILD" --check --rules "$TMP/bad.json" --plugins "$BUILD/plugins" 2>"$TMP/bad.err"; then
  fail "bad action entry accepted"
fi
grep -q 'actions.open\[0\].step: "5.2" is not a playbook step' "$TMP/bad.err" || fail "step error: $(cat "$TMP/bad.err")"
grep -q 'actions.open\[0\].rate_limit.count: must be an integer from 1 to 1000000' "$TMP/bad.err" || fail "rate_limit error: $(cat "$TMP/bad.err")"
grep -q 'actions.open\[0\].retries: must be an integer from 0 to 20' "$TMP/bad.err" || fail "retries error: $(cat "$TMP/bad.err")"
grep -q 'actions.open\[0\].min_severity: unknown severity "severe"' "$TMP/bad.err" ||
  fail "min_severity error: $(cat "$TMP/bad.err")"
echo "dispatch: ok"
