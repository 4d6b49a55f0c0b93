#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vigild fed by a real syslog forwarder using the snippet shipped in contrib/.
# Usage: forwarders.sh TEST VIGILD VIGILCTL SRCDIR
#   rsyslog  a private rsyslogd (own config, work directory and pid file in a temp dir;
#            no imuxsock/imklog, so /dev/log and system files are left alone) receives
#            logger lines on a loopback UDP port and forwards them with
#            contrib/rsyslog/60-vigil.conf (only the target port replaced) to vigild:
#            - three sshd failures open one incident that reaches count 3, a clamd
#              FOUND line opens a virus incident, both arrived as RFC 5424;
#            - vigild stops, two more failures are sent, vigild starts again on the
#              same state dir: rsyslog's action queue delivers them, count 5, same id;
#            - vigild stops, three more failures are sent, rsyslogd stops too and spools
#              its queue to disk; both start again and the spooled lines arrive (count 7:
#              rsyslog 8.2302 loses the one it was retrying when it stopped, issue 2710).
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
test_name=$1 VIGILD=$2 VIGILCTL=$3 SRC=$4
TMP=$(mktemp -d /tmp/vg_fw.XXXXXX)
. "$(dirname "$0")/lib.sh"
# port_used PORT: something has PORT bound on TCP or UDP (IPv4 or IPv6)
port_used() {
  local hex
  hex=$(printf ':%04X' "$1")
  cat /proc/net/tcp /proc/net/udp /proc/net/tcp6 /proc/net/udp6 2>/dev/null |
    awk '{print $2}' | grep -qi -- "$hex\$"
}
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! port_used "$p"; then echo "$p"; return; fi
  done
  echo 0
}
udp_bound() { grep -qi "^ *[0-9]*: 0100007F:$(printf '%04X' "$1") " /proc/net/udp; }

start_vigild() { # start_vigild NAME: stdout to $TMP/NAME.out, stderr to $TMP/NAME.err
  local name=$1
  "$VIGILD" --state-dir "$TMP/state" --listen-udp "127.0.0.1:$vport" \
    --listen-tcp "127.0.0.1:$vport" --rules "$SRC/rules" --rules "$SRC/test/data/rules-ssh" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  VPID=$!
  pids+=("$VPID")
  wait_for 30 grep -q "running with" "$TMP/$name.err" || fail "vigild ($name) did not start"
}
stop_vigild() {
  kill -TERM "$VPID"
  wait "$VPID" || fail "vigild exit status after SIGTERM"
  [ ! -S "$TMP/state/redis/redis.sock" ] || fail "embedded redis-server left running"
}
start_rsyslogd() { # start_rsyslogd NAME
  rsyslogd -n -i "$TMP/rsyslogd.pid" -f "$TMP/rsyslog.conf" >"$TMP/$1.out" 2>"$TMP/$1.err" &
  RPID=$!
  pids+=("$RPID")
  wait_for 20 udp_bound "$rport" || fail "rsyslogd did not bind 127.0.0.1:$rport/udp"
  wait_for 20 test -s "$TMP/rsyslogd.pid" || fail "rsyslogd wrote no pid file"
}
# sshd_fail N: one RFC 3164 sshd line into rsyslog's UDP input
sshd_fail() {
  logger --udp --server 127.0.0.1 --port "$rport" --rfc3164 -t sshd -p auth.info \
    "Failed password for root from 192.0.2.5 port $1 ssh2"
}
# ssh_count FILE N: FILE has the ssh incident $ssh_id at count N
ssh_count() {
  grep -q "\"transition\":\"update\",\"incident\":{\"id\":\"$ssh_id\".*\"count\":$2," "$1"
}

case "$test_name" in
rsyslog)
  if ! command -v rsyslogd >/dev/null 2>&1; then
    echo "SKIP: rsyslogd is not installed (contrib/install-deps.sh --test installs it)"; exit 77
  fi
  vport=$(free_port)
  rport=$(free_port)
  if [ "$vport" = 0 ] || [ "$rport" = 0 ] || [ "$vport" = "$rport" ]; then fail "no free ports"; fi
  mkdir "$TMP/work"
  # The shipped snippet with only its target port changed.
  snippet="$SRC/contrib/rsyslog/60-vigil.conf"
  sed "s/^\( *port=\"\)5514\"/\1$vport\"/" "$snippet" >"$TMP/60-vigil.conf"
  [ "$(diff "$snippet" "$TMP/60-vigil.conf" | grep -c '^>')" -eq 1 ] ||
    fail "the port substitution did not change exactly one line"
  cat >"$TMP/rsyslog.conf" <<EOF
global(workDirectory="$TMP/work")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$rport")
include(file="$TMP/60-vigil.conf")
# A local copy of every message: once a line is here, it is in the vigil action's queue.
action(type="omfile" file="$TMP/all.log")
EOF
  rsyslogd -N1 -f "$TMP/rsyslog.conf" -i "$TMP/rsyslogd.pid" >"$TMP/check.err" 2>&1 ||
    fail "rsyslogd -N1 rejects the config: $(cat "$TMP/check.err")"
  if grep -qiE 'imuxsock|imklog|/dev/log' "$TMP/rsyslog.conf" "$TMP/60-vigil.conf"; then
    fail "test config would touch system log sockets"
  fi

  start_vigild v1
  start_rsyslogd rs1
  # rsyslogd holds no named Unix socket (no /dev/log) and no file under /etc, /var, /run.
  for fd in /proc/"$RPID"/fd/*; do
    target=$(readlink "$fd" 2>/dev/null || true)
    case "$target" in
    /etc/* | /var/* | /run/* | /dev/log) fail "rsyslogd opened $target" ;;
    socket:\[*)
      inode=${target#socket:[}; inode=${inode%]}
      if awk -v i="$inode" '$7 == i && $8 != "" {found=1} END {exit !found}' /proc/net/unix; then
        fail "rsyslogd bound a named Unix socket (inode $inode)"
      fi
      ;;
    esac
  done

  for i in 1 2 3; do sshd_fail "$i"; done
  logger --udp --server 127.0.0.1 --port "$rport" --rfc5424 -t clamd -p daemon.err \
    "/srv/share/invoice.pdf.exe: Win.Test.EICAR_HDB-1 FOUND"
  wait_for 30 grep -q '"class":"virus"' "$TMP/v1.out" || fail "no virus incident via rsyslog"
  wait_for 30 grep -q '"count":3,' "$TMP/v1.out" || fail "ssh incident did not reach count 3"
  opened='"transition":"open","incident":{"id":"[0-9a-f]*-1","class":"hacker_attack"'
  [ "$(count_lines "$TMP/v1.out" "$opened")" -eq 1 ] || fail "ssh incident not opened exactly once"
  ssh_id=$(grep -o "$opened" "$TMP/v1.out" | grep -o '[0-9a-f]*-1')
  updated="\"transition\":\"update\",\"incident\":{\"id\":\"$ssh_id\""
  [ "$(count_lines "$TMP/v1.out" "$updated")" -eq 2 ] || fail "expected 2 updates of $ssh_id"
  ssh_count "$TMP/v1.out" 3 || fail "update with count 3 not for $ssh_id"
  grep -q '192.0.2.5' "$TMP/v1.out" || fail "source address lost"
  # The events arrived in the snippet's RFC 5424 template.
  "$VIGILCTL" --state-dir "$TMP/state" incidents show "$ssh_id" >"$TMP/show.out" ||
    fail "incidents show"
  grep -q '"format":"rfc5424"' "$TMP/show.out" || fail "events did not arrive as RFC 5424"
  grep -q '"appname":"sshd"' "$TMP/show.out" || fail "app-name sshd lost on the way"

  # vigild restarts; rsyslog holds what arrives meanwhile and delivers it afterwards.
  stop_vigild
  for i in 4 5; do sshd_fail "$i"; done
  wait_for 30 has_at_least "$TMP/all.log" 'port 5 ssh2' 1 || fail "rsyslog did not take the lines"
  start_vigild v2
  wait_for 60 ssh_count "$TMP/v2.out" 5 || fail "queued lines not delivered after vigild restart"
  ssh_count "$TMP/v2.out" 4 || fail "no count 4 after restart"
  if grep -q '"transition":"open".*"name":"ssh-password-failures"' "$TMP/v2.out"; then
    fail "a new ssh incident was opened instead of continuing $ssh_id"
  fi

  # rsyslogd stops while vigild is down: its queue goes to disk and is sent after both start.
  # rsyslog 8.2302 drops the batch its action is retrying at that moment (rsyslog issue
  # 2710), so line 6 is sent first and seen being retried; lines 7 and 8 queue behind it.
  stop_vigild
  refused=$(count_lines "$TMP/rs1.err" 'cannot connect')
  sshd_fail 6
  wait_for 30 has_at_least "$TMP/rs1.err" 'cannot connect' $((refused + 1)) ||
    fail "rsyslog did not retry after vigild stopped"
  sshd_fail 7
  sshd_fail 8
  wait_for 30 has_at_least "$TMP/all.log" 'port 8 ssh2' 1 ||
    fail "rsyslog did not take lines 7 and 8"
  kill -TERM "$RPID"
  wait "$RPID" || fail "rsyslogd exit status after SIGTERM"
  ls "$TMP/work"/vigil_fwd.* >/dev/null 2>&1 || fail "no disk spool in the work directory"
  start_vigild v3
  start_rsyslogd rs2
  wait_for 60 ssh_count "$TMP/v3.out" 7 || fail "spooled lines not delivered after rsyslogd restart"
  stop_vigild
  kill -TERM "$RPID"
  wait "$RPID" || fail "rsyslogd exit status after SIGTERM"
  ;;
*)
  echo "unknown test $test_name" >&2
  exit 2
  ;;
esac
echo "PASS: forwarders.$test_name"
