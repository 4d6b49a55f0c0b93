#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration tests of vigild as a whole. Usage: integration.sh TEST VIGILD VIGILCTL SRCDIR
#   replay      --replay of the bundled sample equals the golden file, twice
#   live        embedded Redis; logger sends RFC 3164 over UDP and RFC 5424 over TCP
#               (octet counting); incidents asserted on stdout and in Redis
#   hostile     random and truncated bytes on the UDP and TCP listeners; vigild survives
#               and still correlates
#   actions     exec actions run off the ingest path; status, exit code, output excerpt
#               and timeouts land in the incident history
#   oot_plugin  contrib/plugin-skeleton built out of tree with pkg-config, loaded, run
#   overflow    a 16-slot input queue under a 50,000-datagram burst: every datagram is
#               an event or a counted drop
#   schemas     schemas/plugins/ equals what the plugins' option tables generate
#   workers     replay with 1, 2 and 4 correlation threads: the same records, each
#               incident's in order
#   restart     vigild killed with SIGKILL and restarted continues its incidents, its open
#               windows and its pending deadlines
#   correlate   the benchmark's generated log replayed with 1, 2 and 4 threads gives exactly
#               its ground truth (threshold, pair-with-window and distinct rules)
#   timers      live deadlines: two vigild instances share one Redis; a pair window that
#               expires fires once, in one of them; a recovered one fires nothing
#   redis_down  an external redis-server stops while events arrive; they are held and
#               correlated once it is back
# Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.
set -euo pipefail
test_name=$1 VIGILD=$2 VIGILCTL=$3 SRC=$4
TMP=$(mktemp -d /tmp/vg_it.XXXXXX)
. "$(dirname "$0")/lib.sh"
# listen_port NAME PROTO: the port vigild reports it bound for PROTO (udp or tcp); vigild is
# started on port 0 so the kernel picks free ports and tests never collide.
listen_port() {
  grep -o "listening for syslog on $2 127.0.0.1:[0-9]*" "$TMP/$1.err" | head -1 | cut -d: -f2
}

start_vigild() { # start_vigild NAME ARGS...: stdout to $TMP/NAME.out, stderr to $TMP/NAME.err
  local name=$1; shift
  "$VIGILD" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pids+=($!)
  VPID=$!
}

# A rule file for the live state tests: a threshold (5 in 60 s) and a 2-second pair window.
state_rules() {
  cat >"$TMP/state-rules.json" <<'JSON'
{"rules": [
 {"name": "brute", "plugin": "threshold", "match": {"event.action": ["ssh.auth_failed"]},
  "key": ["source.ip"], "params": {"count": 5, "window": "60s", "suppress": "60s"},
  "incident": {"title": "brute force from ${source.ip}", "severity": "high",
               "class": "hacker_attack", "procedure": "5.2.1"}},
 {"name": "port", "plugin": "pair", "match": {"event.action": ["link.down", "link.up"]},
  "key": ["host.name", "interface.name"],
  "params": {"mode": "expect", "problem": ["link.down"], "resolution": ["link.up"], "window": "2s"},
  "incident": {"title": "${interface.name} down on ${host.name}", "severity": "medium",
               "class": "lan_outage", "procedure": "5.2.6"}}
]}
JSON
}
link_line() { printf '<187>Mar  3 10:20:00 %s %%LINK-3-UPDOWN: Interface %s, changed state to %s\n' "$1" "$2" "$3"; }
fail_line() { printf '<38>Mar  3 10:12:00 web1 sshd[1]: Failed password for root from %s port 1 ssh2\n' "$1"; }
# "rule key @timestamp" of each open or update record of a replay (its incidents), sorted.
incidents_of() {
  grep -E '"transition":"(open|update)"' "$1" |
    sed -E 's/^\{"@timestamp":"([^"]*)".*"key":\{([^}]*)\}.*"rule":\{"name":"([^"]*)".*$/\3 \2 \1/' |
    sed -E 's/"[^"]*":"([^"]*)"/\1/g; s/,/|/g' | sort
}

case "$test_name" in
replay)
  golden="$SRC/test/data/golden/demo.records.jsonl"
  # --year pins the year of the sample's BSD timestamps, so the golden file holds in any year.
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --year 2026 >"$TMP/r1.out" 2>"$TMP/r1.err" || fail "replay 1 exited non-zero"
  "$VIGILD" --replay - --year 2026 <"$SRC/contrib/samples/demo.log" >"$TMP/r2.out" 2>"$TMP/r2.err" || fail "replay 2 exited non-zero"
  diff -u "$golden" "$TMP/r1.out" || fail "replay output differs from $golden"
  diff -u "$TMP/r1.out" "$TMP/r2.out" || fail "two replays of one file differ"
  # A replay whose Redis is gone fails at once, with one message, and exits non-zero.
  if "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --redis "unix:$TMP/none.sock" \
     >/dev/null 2>"$TMP/nored.err"; then fail "replay without Redis exited 0"; fi
  [ "$(grep -c 'redis failed during replay' "$TMP/nored.err")" -eq 1 ] || fail "replay failure messages: $(cat "$TMP/nored.err")"
  grep -q 'replay of .* failed: Redis failed, 21 event(s) not correlated' "$TMP/nored.err" || fail "no failure summary"
  # vigilctl rule test: one rule file alone, same records as the full replay's for that rule.
  "$VIGILCTL" rule test --year 2026 "$SRC/rules/virus.json" "$SRC/contrib/samples/demo.log" \
    >"$TMP/rt.out" 2>"$TMP/rt.err" || fail "vigilctl rule test"
  grep '"rule":{"name":"virus-' "$golden" | diff -u - "$TMP/rt.out" || fail "rule test output"
  # A rule file's tests run with lint --test; a wrong expectation is reported with its place.
  mkdir "$TMP/tested"
  sed -e '0,/"count": 2,/s//"count": 3,/' "$SRC/rules/virus.json" >"$TMP/tested/virus.json"
  if "$VIGILCTL" rule lint --test "$TMP/tested" >"$TMP/lt.out" 2>"$TMP/lt.err"; then fail "a failing rule test passed"; fi
  grep -qF 'virus.json: $.tests[0] (one incident per infected host): record 2: incident.count is "2", expected "3"' "$TMP/lt.err" ||
    fail "rule test failure not reported: $(cat "$TMP/lt.out" "$TMP/lt.err")"
  "$VIGILCTL" rule lint --test "$SRC/rules" >"$TMP/lt2.out" 2>&1 || fail "shipped rule tests: $(cat "$TMP/lt2.out")"
  grep -q "rule test(s) run, 0 failed" "$TMP/lt2.out" || fail "no rule tests ran"
  # --events-out gives one normalized event per input line.
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --events-out "$TMP/ev.jsonl" >/dev/null 2>&1
  [ "$(wc -l <"$TMP/ev.jsonl")" -eq "$(grep -c . "$SRC/contrib/samples/demo.log")" ] || fail "--events-out line count"
  grep -q '"action":"malware.detected"' "$TMP/ev.jsonl" || fail "events-out lacks malware.detected"
  # A broken rule stops start-up with file, JSON path and reason.
  mkdir "$TMP/badrules"
  printf '{"rules":[{"name":"x","plugin":"nope","match":{"event.action":["a"]},"incident":{"title":"t","severity":"loud","class":"virus","procedure":"5.2.2"}}]}\n' >"$TMP/badrules/bad.json"
  if "$VIGILD" --replay /dev/null --rules "$TMP/badrules" >/dev/null 2>"$TMP/bad.err"; then fail "broken rule accepted"; fi
  grep -q "bad.json: \$.rules\[0\].incident.severity" "$TMP/bad.err" || fail "no path in rule error: $(cat "$TMP/bad.err")"
  # rule lint reports every error of every file, the plugin's too, even in a rule with others.
  printf '{"rules":[{"name":"y","plugin":"single","match":{"event.action":["a"]},"params":{"bogus":1},"incident":{"title":"t","severity":"high","class":"virus","procedure":"9"},"actions":{"open":[{"plugin":"nosuch"}]}}]}\n' >"$TMP/badrules/worse.json"
  if "$VIGILCTL" rule lint "$TMP/badrules" >/dev/null 2>"$TMP/lint.err"; then fail "lint passed broken rules"; fi
  for want in 'bad.json: $.rules[0].plugin: no rule plugin named "nope"' \
              'bad.json: $.rules[0].incident.severity' 'worse.json: $.rules[0].incident.procedure' \
              'worse.json: $.rules[0].params.bogus: unknown option' \
              'worse.json: $.rules[0].actions.open[0].plugin: no action plugin named "nosuch"'; do
    grep -qF "$want" "$TMP/lint.err" || fail "lint did not report: $want; got: $(cat "$TMP/lint.err")"
  done
  # The example config is valid (paths swapped for the tree's), and config errors name file and key.
  build=$(cd "$(dirname "$VIGILD")/.." && pwd)
  sed -e "s#/etc/vigil/rules/normalize#$SRC/rules/normalize#" -e "s#/etc/vigil/rules#$SRC/rules#" \
      -e "s#/usr/local/lib/vigil/plugins#$build/plugins#" "$SRC/contrib/vigild.example.json" >"$TMP/ok.json"
  "$VIGILD" -c "$TMP/ok.json" --check >"$TMP/check.out" 2>&1 || fail "example config: $(cat "$TMP/check.out")"
  printf '{"workers": "two", "colour": 1}\n' >"$TMP/bad.json"
  if "$VIGILD" -c "$TMP/bad.json" --check >/dev/null 2>"$TMP/badcfg.err"; then fail "bad config accepted"; fi
  grep -q "bad.json: \$.workers: must be an integer" "$TMP/badcfg.err" || fail "config error text: $(cat "$TMP/badcfg.err")"
  grep -q "bad.json: \$.colour: unknown key" "$TMP/badcfg.err" || fail "unknown config key not named"
  "$VIGILD" --help | grep -q -- "--replay" || fail "vigild --help"
  "$VIGILD" --version | grep -q "vigild" || fail "vigild --version"
  "$VIGILCTL" --help | grep -q "rule lint" || fail "vigilctl --help"
  ;;
live)
  start_vigild live --state-dir "$TMP/state" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 \
    --rules "$SRC/rules" --rules "$SRC/test/data/rules-ssh"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/live.err" || fail "vigild did not start"
  uport=$(listen_port live udp) tport=$(listen_port live tcp)
  for i in 1 2 3; do
    logger --udp --server 127.0.0.1 --port "$uport" --rfc3164 -t sshd -p auth.info \
      "Failed password for root from 192.0.2.77 port 4000$i ssh2"
  done
  logger --tcp --octet-count --server 127.0.0.1 --port "$tport" --rfc5424 -t clamd -p daemon.err \
    "/srv/share/report.xls.exe: Win.Worm.Test-42 FOUND"
  wait_for 20 has_at_least "$TMP/live.out" '"transition":"update"' 2 || fail "no ssh updates on stdout"
  wait_for 20 grep -q '"class":"virus"' "$TMP/live.out" || fail "no virus incident over TCP"
  [ "$(count_lines "$TMP/live.out" '"transition":"open","incident":{"id":"[0-9a-f]*-1","class":"hacker_attack"')" -eq 1 ] || fail "ssh incident opened more than once"
  grep -q '"count":3' "$TMP/live.out" || fail "count did not reach 3"
  "$VIGILCTL" --state-dir "$TMP/state" incidents list >"$TMP/list.out" || fail "incidents list"
  [ "$(wc -l <"$TMP/list.out")" -eq 2 ] || fail "expected 2 open incidents in Redis: $(cat "$TMP/list.out")"
  grep -q '"count":3' "$TMP/list.out" || fail "Redis incident count"
  id=$(grep -o '"id":"[0-9a-f]*-1","class":"virus"' "$TMP/live.out" | head -1 | cut -d'"' -f4)
  "$VIGILCTL" --state-dir "$TMP/state" incidents show "$id" >"$TMP/show.out" || fail "incidents show"
  grep -q 'Win.Worm.Test-42' "$TMP/show.out" || fail "incident events not kept"
  grep -q '"playbook":\[{' "$TMP/show.out" && grep -q '"step":"5.2.2.1"' "$TMP/show.out" || fail "no playbook"
  if "$VIGILCTL" --state-dir "$TMP/state" incidents show 0000000000000000-9 2>/dev/null; then fail "unknown id shown"; fi
  # Operator actions: ack keeps the incident (later records say acknowledged), note adds to
  # the history, close ends it (the next event of its key opens a new incident).
  ssh_id=$(grep -o '"id":"[0-9a-f]*-1","class":"hacker_attack"' "$TMP/live.out" | head -1 | cut -d'"' -f4)
  "$VIGILCTL" --state-dir "$TMP/state" incidents ack "$ssh_id" --by alice looking into it >/dev/null || fail "ack"
  logger --udp --server 127.0.0.1 --port "$uport" --rfc3164 -t sshd -p auth.info \
    "Failed password for root from 192.0.2.77 port 40009 ssh2"
  wait_for 20 grep -q '"status":"acknowledged","key":{"host.name":"[^"]*","source.ip":"192.0.2.77"}' "$TMP/live.out" ||
    fail "update after ack does not say acknowledged"
  "$VIGILCTL" --state-dir "$TMP/state" incidents note "$ssh_id" --by bob called the owner >/dev/null || fail "note"
  "$VIGILCTL" --state-dir "$TMP/state" incidents close "$ssh_id" --by alice blocked at the firewall >/dev/null || fail "close"
  if "$VIGILCTL" --state-dir "$TMP/state" incidents ack "$ssh_id" 2>/dev/null; then fail "ack of a closed incident"; fi
  "$VIGILCTL" --state-dir "$TMP/state" incidents show "$ssh_id" >"$TMP/closed.out"
  grep -q '"status":"closed"' "$TMP/closed.out" || fail "closed status"
  grep -q '"op":"ack","by":"alice","note":"looking into it"' "$TMP/closed.out" || fail "ack not in history"
  grep -q '"op":"note","by":"bob","note":"called the owner"' "$TMP/closed.out" || fail "note not in history"
  "$VIGILCTL" --state-dir "$TMP/state" incidents list | grep -q "$ssh_id" && fail "closed incident still listed as open"
  logger --udp --server 127.0.0.1 --port "$uport" --rfc3164 -t sshd -p auth.info \
    "Failed password for root from 192.0.2.77 port 40010 ssh2"
  wait_for 20 grep -q "\"transition\":\"open\",\"incident\":{\"id\":\"${ssh_id%-1}-2\"" "$TMP/live.out" ||
    fail "the next event after close did not open a new incident"
  # An operator's resolve: the hold-down (0s in test/data/rules-ssh) passes and the timer
  # loop closes it.
  id=${ssh_id%-1}-2
  "$VIGILCTL" --state-dir "$TMP/state" incidents resolve "$id" --by carol cleaned >/dev/null || fail "resolve"
  wait_for 20 grep -q "\"transition\":\"close\",\"incident\":{\"id\":\"$id\"" "$TMP/live.out" ||
    fail "a resolved incident was not closed after its hold-down"
  "$VIGILCTL" --state-dir "$TMP/state" incidents show "$id" | grep -q '"op":"resolve","by":"carol"' ||
    fail "resolve not in history"
  # The close deadline, fired, leaves the timer index (it is not claimed again every lease).
  rsock="$TMP/state/redis/redis.sock"
  wait_for 20 bash -c "! redis-cli -s '$rsock' --scan --pattern 'vigil:{tm*}:due' |
    xargs -r -I% redis-cli -s '$rsock' zrange % 0 -1 | grep -q '@close'" ||
    fail "a fired close deadline stayed in the timer index"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status after SIGTERM"
  [ ! -S "$TMP/state/redis/redis.sock" ] || fail "embedded redis-server left running"
  ;;
hostile)
  start_vigild hostile --state-dir "$TMP/state" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --max-message 2048 \
    --rules "$SRC/rules" --rules "$SRC/test/data/rules-ssh"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/hostile.err" || fail "vigild did not start"
  uport=$(listen_port hostile udp) port=$(listen_port hostile tcp)
  for i in $(seq 1 300); do
    head -c $((RANDOM % 9000 + 1)) /dev/urandom >/dev/udp/127.0.0.1/"$uport" 2>/dev/null || true
  done
  for i in $(seq 1 20); do
    head -c $((RANDOM % 200000 + 1)) /dev/urandom >/dev/tcp/127.0.0.1/"$port" 2>/dev/null || true
    printf '%s' "$((RANDOM))9999999999 <13>" >/dev/tcp/127.0.0.1/"$port" 2>/dev/null || true
  done
  printf '<38>Mar  3 10:12:01 web9 sshd[1]: Failed password for root from 192.0.2.99 port 1 ssh2\n' \
    >/dev/tcp/127.0.0.1/"$port"
  wait_for 30 grep -q '192.0.2.99' "$TMP/hostile.out" || fail "valid message after garbage not correlated"
  kill -0 "$VPID" || fail "vigild died"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status after hostile input"
  # Hostile values in correlation keys: separators, escapes, unit separators and random
  # bytes in an interface name reach the state scripts and the deadline index; each
  # expired window still fires once, for its own key.
  state_rules
  start_vigild hkeys --state-dir "$TMP/state2" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 \
    --rules "$TMP/state-rules.json"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/hkeys.err" || fail "vigild did not start"
  port=$(listen_port hkeys tcp)
  odd=$(head -c 300 /dev/urandom | tr -d ',\n\r\000' | head -c 120)
  { link_line sw1 'Gi0/1|x=y\z' down; link_line sw1 "$(printf 'Gi\0370/2')" down
    link_line sw1 "Gi$odd" down; } >/dev/tcp/127.0.0.1/"$port"
  wait_for 20 has_at_least "$TMP/hkeys.out" '"rule":{"name":"port"' 3 ||
    fail "windows with hostile keys did not fire: $(cat "$TMP/hkeys.out")"
  grep -q '"interface.name":"Gi0/1|x=y\\\\z"' "$TMP/hkeys.out" || fail "a key with | = \\ was altered"
  grep -q '"interface.name":"Gi\\u001f0/2"' "$TMP/hkeys.out" || fail "a key with a unit separator was altered"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status after hostile keys"
  [ "$(grep -c '"transition":"open"' "$TMP/hkeys.out")" -eq 3 ] || fail "a hostile key fired twice"
  ;;
redis_down)
  sock="$TMP/ext.sock"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no --daemonize no >"$TMP/redis.err" 2>&1 &
  rpid=$!; pids+=($rpid)
  wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
  start_vigild rd --redis "unix:$sock" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 \
    --rules "$SRC/rules" --rules "$SRC/test/data/rules-ssh"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/rd.err" || fail "vigild did not start"
  port=$(listen_port rd tcp)
  send() { printf '<38>Mar  3 10:12:0%s web1 sshd[1]: Failed password for root from 192.0.2.%s port 1 ssh2\n' "$1" "$2" >/dev/tcp/127.0.0.1/"$port"; }
  send 1 10
  wait_for 20 grep -q '192.0.2.10' "$TMP/rd.out" || fail "first event not correlated"
  redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true
  wait "$rpid" 2>/dev/null || true
  for i in 1 2 3 4 5; do send "$i" 2$i; done
  kill -0 "$VPID" || fail "vigild died without Redis"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no --daemonize no >"$TMP/redis2.err" 2>&1 &
  pids+=($!)
  wait_for 30 has_at_least "$TMP/rd.out" '"transition":"open"' 6 || fail "held events not correlated after Redis came back"
  grep -q 'redis' "$TMP/rd.err" || fail "no log line about the Redis outage"
  # A server that answers but refuses writes (a replica during fail-over): events are held,
  # retried with back-off, and each counted exactly once when writes come back.
  sock2="$sock"
  wait_for 10 redis-cli -s "$sock2" ping || fail "redis-server did not restart"
  redis-cli -s "$sock2" replicaof 127.0.0.1 1 >/dev/null
  for i in 1 2 3 4 5; do send "$i" 200; done
  wait_for 20 grep -q 'READONLY' "$TMP/rd.err" || fail "no log line about the read-only server"
  redis-cli -s "$sock2" replicaof no one >/dev/null
  wait_for 30 grep -q '"key":{"host.name":"web1","source.ip":"192.0.2.200"},[^}]*"count":5,' "$TMP/rd.out" ||
    fail "events held during READONLY not correlated"
  [ "$(grep '"source.ip":"192.0.2.200"' "$TMP/rd.out" | grep -c '"name":"ssh-password-failures"')" -eq 5 ] ||
    fail "a held event was counted twice or lost"
  [ "$(grep '"transition":"open".*"source.ip":"192.0.2.200"' "$TMP/rd.out" |
    grep -c '"name":"ssh-password-failures"')" -eq 1 ] || fail "the incident opened twice"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status"
  ;;
actions)
  sock="$TMP/ext.sock"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no --daemonize no >"$TMP/redis.err" 2>&1 &
  pids+=($!)
  wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
  export VG_TEST_OUT="$TMP/action-stdin.json"
  # Without --actions a replay runs none: trying rules on old logs pages nobody.
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --rules "$SRC/test/data/rules-exec" \
    --redis "unix:$sock" >/dev/null 2>&1 || fail "replay without actions"
  [ ! -e "$VG_TEST_OUT" ] || fail "a replay without --actions ran an action"
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --rules "$SRC/test/data/rules-exec" \
    --redis "unix:$sock" --keep-state --actions >"$TMP/act.out" 2>"$TMP/act.err" || fail "replay with actions"
  id=$(grep -o '"id":"[0-9a-f]*-1"' "$TMP/act.out" | head -1 | cut -d'"' -f4)
  [ -n "$id" ] || fail "no incident"
  grep -q '"transition":"open"' "$VG_TEST_OUT" || fail "exec did not get the incident JSON on stdin"
  "$VIGILCTL" --redis "unix:$sock" incidents show "$id" >"$TMP/show.out" || fail "incidents show"
  grep -q '"status":"ok","code":0' "$TMP/show.out" || fail "no ok action in history: $(cat "$TMP/show.out")"
  grep -q "\"result\":{\"exit_status\":\"0\"},\"output\":\"handled $id open" "$TMP/show.out" || fail "exit status / output excerpt missing"
  grep -q '"status":"timeout".*"exit_status":"killed"' "$TMP/show.out" || fail "timeout not recorded"
  grep -q 'did not exit within 300 ms: killed' "$TMP/show.out" || fail "a program that closed its output ran past its deadline"
  # The program inherits no descriptor of vigild's, no blocked signal and no ignored standard
  # signal (signals 32 and up are glibc's own real-time signals).
  grep -Eq '"output":"fds 0 1 2 3\\nSigBlk: 0000000000000000 SigIgn: [0-9a-f]{8}[08]0000000 ' "$TMP/show.out" || fail "exec leaks descriptors or signal state: $(grep -o '"output":"fds[^"]*' "$TMP/show.out")"
  grep -q '"transition":"update","rule":"exec-demo","status":"failed".*"exit_status":"3"},"output":"cannot isolate' "$TMP/show.out" || fail "failure not recorded"
  ;;
oot_plugin)
  # Build contrib/plugin-skeleton out of tree against the build tree's pkg-config file.
  build=$(cd "$(dirname "$VIGILD")/.." && pwd)
  mkdir "$TMP/plugins" "$TMP/rules"
  chmod 755 "$TMP/plugins"
  mkdir "$TMP/src"; cp "$SRC"/contrib/plugin-skeleton/* "$TMP/src/"
  PKG_CONFIG_PATH="$build/pkgconfig-uninstalled" make -s -C "$TMP/src" >"$TMP/make.err" 2>&1 || fail "plugin skeleton does not build: $(cat "$TMP/make.err")"
  nm -D --defined-only "$TMP/src/vg_action_file_log.so" | awk '{print $3}' | grep -v '^_' >"$TMP/syms"
  [ "$(cat "$TMP/syms")" = "vg_plugin_entry" ] || fail "plugin exports more than vg_plugin_entry: $(cat "$TMP/syms")"
  cp "$TMP/src/vg_action_file_log.so" "$build/plugins/"*.so "$TMP/plugins/"
  sed "s#/tmp/REPLACED#$TMP/incidents.jsonl#" "$SRC/test/data/rules-oot/oot.json" >"$TMP/rules/oot.json"
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --plugins "$TMP/plugins" --rules "$TMP/rules" --actions \
    >"$TMP/oot.out" 2>"$TMP/oot.err" || fail "replay with the out-of-tree plugin"
  grep -q '^id: [0-9a-f]*-1$' "$TMP/incidents.jsonl" || fail "file_log did not write the id"
  grep -q '"transition":"open".*"class":"lan_outage"' "$TMP/incidents.jsonl" || fail "file_log did not write the record"
  # A plugin file writable by others is refused, naming the file.
  chmod o+w "$TMP/plugins/vg_action_file_log.so"
  if "$VIGILD" --check --plugins "$TMP/plugins" --rules "$TMP/rules" >/dev/null 2>"$TMP/perm.err"; then fail "writable plugin accepted"; fi
  grep -q "vg_action_file_log.so: the file is writable by others" "$TMP/perm.err" || fail "no permission error: $(cat "$TMP/perm.err")"
  ;;
overflow)
  # A tiny queue and a burst: every datagram is either correlated-into-an-event or counted
  # as dropped (by vigil's queue or by the kernel); nothing disappears silently.
  build=$(cd "$(dirname "$VIGILD")/.." && pwd)
  printf '{"queue_size": 16, "syslog_udp": "127.0.0.1:0", "syslog_tcp": []}\n' >"$TMP/small.json"
  start_vigild of -c "$TMP/small.json" --state-dir "$TMP/state" --events-out "$TMP/events.jsonl"
  wait_for 20 grep -q "listening for syslog on udp" "$TMP/of.err" || fail "vigild did not start"
  port=$(listen_port of udp)
  "$build/test/vg_blast" 127.0.0.1 "$port" 50000 "$SRC/contrib/samples/demo.log" 2>"$TMP/blast.err" || fail "vg_blast"
  stats() { "$VIGILCTL" --state-dir "$TMP/state" stats; }
  # The kernel reports its drop count with the next datagram it delivers, so each check
  # sends one more (a sentinel) and counts it.
  sent=50000
  settled() { # raw_in plus kernel drops accounts for every datagram sent
    printf '<13>sentinel\n' >/dev/udp/127.0.0.1/"$port"
    sent=$((sent + 1))
    local s raw kd
    s=$(stats) || return 1
    raw=$(echo "$s" | grep -o '"raw_in":[0-9]*' | cut -d: -f2)
    kd=$(echo "$s" | grep -o '"kernel_dropped":[0-9]*' | cut -d: -f2)
    [ $((raw + kd)) -ge $((sent - 1)) ]
  }
  wait_for 60 settled || fail "counters do not account for $sent datagrams: $(stats)"
  consistent() { # every message vigild took in is an event written or a counted drop
    s=$(stats) || return 1
    raw=$(echo "$s" | grep -o '"raw_in":[0-9]*' | cut -d: -f2)
    dropped=$(echo "$s" | grep -o '"raw_dropped":[0-9]*' | cut -d: -f2)
    [ "$(wc -l <"$TMP/events.jsonl")" -eq $((raw - dropped)) ]
  }
  wait_for 30 consistent ||
    fail "events written $(wc -l <"$TMP/events.jsonl") != raw_in $raw - raw_dropped $dropped"
  echo "overflow: raw_in=$raw raw_dropped=$dropped kernel_dropped=$(echo "$s" | grep -o '"kernel_dropped":[0-9]*' | cut -d: -f2)"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status"
  ;;
schemas)
  # schemas/plugins/ is generated from the plugins' option tables: it must match the code.
  build=$(cd "$(dirname "$VIGILD")/.." && pwd)
  mkdir "$TMP/gen"
  "$VIGILD" --plugins "$build/plugins" --describe-plugins --schema-dir "$TMP/gen" || fail "--describe-plugins"
  diff -ru "$SRC/schemas/plugins" "$TMP/gen" ||
    fail "schemas/plugins is stale: vigild --describe-plugins --schema-dir schemas/plugins"
  "$VIGILD" --plugins "$build/plugins" --describe-plugins | grep -q "^rule plugin single" || fail "describe text"
  ;;
workers)
  # Replay with 1, 2 and 4 correlation threads gives the same records; with several threads
  # keys interleave, but each incident's records keep their order (counts 1, 2, 3, ... on
  # open, update and escalate; a resolve or close record repeats the last count).
  bash "$SRC/test/bench/gen_corpus.sh" 30000 >"$TMP/corpus.log"
  for n in 1 2 4; do
    "$VIGILD" --replay "$TMP/corpus.log" --year 2026 --workers "$n" >"$TMP/w$n.out" 2>"$TMP/w$n.err" ||
      fail "replay with $n workers"
    sort "$TMP/w$n.out" >"$TMP/w$n.sorted"
  done
  [ "$(wc -l <"$TMP/w1.out")" -gt 1000 ] || fail "too few records to compare"
  cmp -s "$TMP/w1.sorted" "$TMP/w2.sorted" || fail "2 workers give other records than 1"
  cmp -s "$TMP/w1.sorted" "$TMP/w4.sorted" || fail "4 workers give other records than 1"
  for n in 2 4; do
    bad=$(awk -F'"id":"' '{ split($2, a, "\""); match($0, /"count":[0-9]+/);
                            c = substr($0, RSTART + 8, RLENGTH - 8) + 0;
                            step = ($0 ~ /"transition":"(resolve|close)"/) ? 0 : 1;
                            if (c != last[a[1]] + step) bad++; last[a[1]] = c }
                          END { print bad + 0 }' "$TMP/w$n.out")
    [ "$bad" -eq 0 ] || fail "$n workers: $bad records out of their incident's order"
  done
  ;;
reports)
  # vigilctl report (procedure 5.1) and check (preparedness) from the command line: the demo
  # sample replayed into a Redis kept for them; errors name what is wrong; exit statuses.
  sock="$TMP/ext.sock"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no --daemonize no >"$TMP/redis.err" 2>&1 &
  pids+=($!)
  wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
  "$VIGILD" --replay "$SRC/contrib/samples/demo.log" --year 2026 --redis "unix:$sock" --keep-state \
    >/dev/null 2>&1 || fail "replay"
  "$VIGILCTL" --redis "unix:$sock" report --from 2026-03-01 --to 2026-04-01 --format json \
    >"$TMP/r.json" || fail "report json"
  perl -MJSON::PP -e '
    my $j = JSON::PP->new->decode(do { local $/; <STDIN> });
    my $c = $j->{incidents}{by_class};
    die "total $j->{incidents}{total}\n" unless $j->{incidents}{total} == 3;
    die "hacker_attack critical\n" unless $c->{hacker_attack}{by_severity}{critical} == 1;
    die "virus\n" unless $c->{virus}{total} == 1;' <"$TMP/r.json" 2>"$TMP/r.why" ||
    fail "report json content: $(cat "$TMP/r.why"): $(head -c 600 "$TMP/r.json")"
  "$VIGILCTL" --redis "unix:$sock" report --from 2026-03-01 --to 2026-04-01 >"$TMP/r.md" || fail "report md"
  grep -q '^# Incident review 2026-03-01T00:00:00.000Z to 2026-04-01T00:00:00.000Z' "$TMP/r.md" ||
    fail "report md title: $(head -3 "$TMP/r.md")"
  grep -q '| 203.0.113.7 | 1 | critical |' "$TMP/r.md" || fail "report md top sources"
  # A period without incidents; a bad time; an empty period.
  "$VIGILCTL" --redis "unix:$sock" report --from 2025-01-01 --to 2025-02-01 --format json |
    grep -q '"total":0' || fail "empty period"
  set +e
  "$VIGILCTL" --redis "unix:$sock" report --from yesterdayish 2>"$TMP/bad.err"; rc=$?
  set -e
  [ "$rc" -eq 2 ] && grep -q 'yesterdayish' "$TMP/bad.err" || fail "bad --from: rc $rc $(cat "$TMP/bad.err")"
  "$VIGILCTL" report --help | grep -q 'procedure 5.1' || fail "report --help"
  # check: the example inventory misses spares and backup schedules (exit 1), a complete one
  # passes (exit 0), a missing file is named (exit 2).
  set +e
  "$VIGILCTL" check --inventory "$SRC/contrib/inventory.example.json" --format json >"$TMP/c.json"; rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "check of the example inventory exited $rc"
  grep -q '"problem":"no spare of its model (5.2.6.1)"' "$TMP/c.json" || fail "check json: $(head -c 400 "$TMP/c.json")"
  printf '{"devices": [{"name": "sw1", "model": "M1"}], "spares": [{"model": "M1", "location": "store", "count": 1}],\n "hosts": [{"name": "h1", "switch": "sw1", "port": "p1", "backup": {"interval": "1d"}}]}\n' >"$TMP/inv.json"
  "$VIGILCTL" check --inventory "$TMP/inv.json" >"$TMP/c.md" || fail "check of a complete inventory"
  set +e
  "$VIGILCTL" check --inventory "$TMP/none.json" 2>"$TMP/c.err"; rc=$?
  set -e
  [ "$rc" -eq 2 ] && grep -q 'none.json' "$TMP/c.err" || fail "missing inventory: rc $rc $(cat "$TMP/c.err")"
  ;;
correlate)
  # The benchmark's generator writes a log and its exact ground truth (test/bench/README.md).
  perl "$SRC/test/bench/gen_correlate.pl" 60000 7 "$TMP/corr.log" "$TMP/corr.truth" ||
    fail "generator"
  sed -E 's/^\{"rule":"([^"]*)","key":"([^"]*)","time":"([^"]*)"\}$/\1 \2 \3/' "$TMP/corr.truth" |
    sort >"$TMP/truth.sorted"
  [ "$(wc -l <"$TMP/truth.sorted")" -gt 200 ] || fail "too little ground truth to compare"
  for r in bruteforce linkdown outbreak; do
    grep -q "^$r " "$TMP/truth.sorted" || fail "no $r incident in the truth"
  done
  for n in 1 2 4; do
    "$VIGILD" --replay "$TMP/corr.log" --year 2026 --workers "$n" --rules "$SRC/test/bench/rules" \
      >"$TMP/c$n.out" 2>"$TMP/c$n.err" || fail "replay with $n workers: $(tail -3 "$TMP/c$n.err")"
    incidents_of "$TMP/c$n.out" >"$TMP/c$n.sorted"
    diff "$TMP/truth.sorted" "$TMP/c$n.sorted" >"$TMP/c$n.diff" ||
      fail "$n workers differ from the ground truth: $(head -20 "$TMP/c$n.diff")"
  done
  ;;
timers)
  # Two instances on one Redis, both with the rules; events reach only the first. A link down
  # whose up never comes fires its 2 s deadline exactly once (either instance may claim it);
  # a down followed by an up in time fires nothing.
  state_rules
  sock="$TMP/ext.sock"
  redis-server --port 0 --unixsocket "$sock" --dir "$TMP" --save "" --appendonly no --daemonize no >"$TMP/redis.err" 2>&1 &
  pids+=($!)
  wait_for 10 redis-cli -s "$sock" ping || fail "redis-server did not start"
  start_vigild ta --redis "unix:$sock" --rules "$TMP/state-rules.json" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0
  start_vigild tb --redis "unix:$sock" --rules "$TMP/state-rules.json" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/ta.err" || fail "vigild a did not start"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/tb.err" || fail "vigild b did not start"
  port=$(listen_port ta tcp)
  { link_line sw1 Gi0/1 down; link_line sw1 Gi0/2 down; link_line sw1 Gi0/2 up; } >/dev/tcp/127.0.0.1/"$port"
  wait_for 20 bash -c "cat '$TMP/ta.out' '$TMP/tb.out' | grep -q 'Gi0/1 down on sw1'" ||
    fail "the expired pair window fired in neither instance"
  # Past the second window too, with room for both timer loops to have looked (4 x 250 ms).
  wait_for 20 bash -c "redis-cli -s '$sock' --scan --pattern 'vigil:{tm*}:due' | xargs -r -n1 redis-cli -s '$sock' zcard | awk '{ n += \$1 } END { exit n != 0 }'" ||
    fail "deadlines left in the shards"
  n=$(cat "$TMP/ta.out" "$TMP/tb.out" | grep -c '"transition":"open"' || true)
  [ "$n" -eq 1 ] || fail "expected one incident across both instances, got $n"
  grep -q 'Gi0/2' "$TMP/ta.out" "$TMP/tb.out" && fail "a link back up in time fired"
  ;;
restart)
  # vigild killed with SIGKILL and started again on its state directory continues from the
  # embedded Redis (AOF): the same incident goes on counting; none is lost or opened twice;
  # a threshold window and a pair deadline open at the kill go on after the restart.
  state_rules
  start_vigild k1 --state-dir "$TMP/state" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --rules "$SRC/test/data/rules-ssh" \
    --rules "$SRC/rules" --rules "$TMP/state-rules.json"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/k1.err" || fail "vigild did not start"
  port=$(listen_port k1 tcp)
  send() { printf '<38>Mar  3 10:12:0%s web1 sshd[1]: Failed password for root from 192.0.2.66 port 1 ssh2\n' "$1" >/dev/tcp/127.0.0.1/"$port"; }
  for i in 1 2 3; do send "$i"; done
  { for i in 1 2 3; do fail_line 198.51.100.9; done; link_line sw9 Gi0/9 down; } >/dev/tcp/127.0.0.1/"$port"
  wait_for 20 grep -q '"count":3' "$TMP/k1.out" || fail "first three events not correlated"
  wait_for 20 bash -c "'$VIGILCTL' --state-dir '$TMP/state' stats | grep -q '\"routed\":[1-9][0-9]*'" ||
    fail "stats not published"
  wait_for 20 bash -c "'$VIGILCTL' --state-dir '$TMP/state' stats | grep -q '\"routed\":\(7\|[89]\|[1-9][0-9]\)[,}]'" ||
    fail "the window events were not routed: $("$VIGILCTL" --state-dir "$TMP/state" stats)"
  id=$(grep '"transition":"open".*"source.ip":"192.0.2.66".*"name":"ssh-password-failures"' \
    "$TMP/k1.out" | grep -o '"id":"[0-9a-f]*-1"' | head -1 | cut -d'"' -f4)
  [ -n "$id" ] || fail "no ssh incident of 192.0.2.66 before the kill: $(cat "$TMP/k1.out")"
  rpid=$(pgrep -f "redis-server.*$TMP/state/redis" | head -1)
  kill -KILL "$VPID"; wait "$VPID" 2>/dev/null || true
  # Its redis-server follows it (parent-death signal) and writes its AOF on the way out.
  wait_for 20 bash -c "! kill -0 $rpid 2>/dev/null" || fail "the embedded redis-server outlived vigild"
  start_vigild k2 --state-dir "$TMP/state" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 --rules "$SRC/test/data/rules-ssh" \
    --rules "$SRC/rules" --rules "$TMP/state-rules.json"
  wait_for 20 grep -q "listening for syslog on tcp" "$TMP/k2.err" || fail "vigild did not restart: $(cat "$TMP/k2.err")"
  port=$(listen_port k2 tcp)
  for i in 4 5; do send "$i"; done
  { fail_line 198.51.100.9; fail_line 198.51.100.9; } >/dev/tcp/127.0.0.1/"$port"
  wait_for 20 grep -q '"brute force from 198.51.100.9"' "$TMP/k2.out" ||
    fail "the threshold window open at the kill did not go on: $(cat "$TMP/k2.out")"
  wait_for 20 grep -q 'Gi0/9 down on sw9' "$TMP/k2.out" ||
    fail "the pair deadline pending at the kill did not fire after the restart"
  # 192.0.2.66's three failures before the kill and two after fill the threshold too.
  wait_for 20 grep -q '"brute force from 192.0.2.66"' "$TMP/k2.out" ||
    fail "the threshold window of 192.0.2.66 did not span the restart"
  # The shipped hacker_attack brute-force window (5 failures) spans the restart as well.
  wait_for 20 grep -q '"transition":"open".*"source.ip":"192.0.2.66".*"name":"hacker-ssh-brute-force"' \
    "$TMP/k2.out" || fail "the brute-force window of 192.0.2.66 did not span the restart"
  [ "$(grep '"transition":"open"' "$TMP/k2.out" | grep -vc '"name":"hacker-')" -eq 3 ] ||
    fail "expected exactly the three state incidents opened after the restart: $(cat "$TMP/k2.out")"
  wait_for 20 grep -q "\"transition\":\"update\",\"incident\":{\"id\":\"$id\".*\"count\":5," "$TMP/k2.out" ||
    fail "after the restart the incident did not go on counting: $(cat "$TMP/k2.out")"
  grep -q '"transition":"open".*"ssh-password-failures"' "$TMP/k2.out" && fail "an incident was opened twice"
  "$VIGILCTL" --state-dir "$TMP/state" incidents list >"$TMP/list.out"
  [ "$(grep -c '"rule":"ssh-password-failures".*192.0.2.66' "$TMP/list.out")" -eq 1 ] ||
    fail "expected one incident: $(cat "$TMP/list.out")"
  kill -TERM "$VPID"; wait "$VPID" || fail "vigild exit status"
  ;;
*)
  echo "unknown test $test_name" >&2; exit 2 ;;
esac
echo "PASS: integration.$test_name"
