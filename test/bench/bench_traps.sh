#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): SNMP v2c traps per second through vigild on one core.
# Usage: test/bench/bench_traps.sh [SECONDS] [BUILD_DIR]   (defaults 5, build)
# vigild (default config: community public from loopback, no rules, its embedded Redis) runs
# pinned to CPU 0 (taskset), so the trap thread, the parse and normalize thread and the rest
# share that one core; vg_trap_blast runs on CPU 1 and sends a real linkDown trap (captured
# once from net-snmp's snmptrap, 4 varbinds) at rising rates for SECONDS each. A rate is
# sustained when every trap sent is received and accepted, none dropped by the kernel or the
# input queue. Prints each step, the highest sustained rate, and the trap thread's CPU time
# per trap. RATES="20000 40000" overrides the ladder. Then, in the same run and the same way,
# the peer: Debian's snmptrapd (community public, logging every trap to a file with its
# default format, no handler), also pinned to CPU 0; a trap counts once its line is in the
# log. PEER=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
build=${2:-build}
vigild=$build/core/vigild vigilctl=$build/core/vigilctl blast=$build/test/integration/vg_trap_blast
for b in "$vigild" "$vigilctl" "$blast"; do
  [ -x "$b" ] || { echo "build first: cmake -S . -B $build && cmake --build $build ($b)" >&2; exit 1; }
done
command -v snmptrap >/dev/null || { echo "snmptrap is needed (apt-get install snmp)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: vigild on one, the sender on the other" >&2; exit 1; }
tmp=$(mktemp -d /tmp/vigil-bench-traps.XXXXXX)
vpid=
cleanup() { [ -n "$vpid" ] && kill "$vpid" 2>/dev/null && wait "$vpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
export MIBS="" SNMPCONFPATH="$tmp/none"

# One real v2c linkDown trap, as net-snmp encodes it.
"$blast" capture "$tmp/trap.bin" >"$tmp/cport" &
cpid=$!
for _ in $(seq 100); do [ -s "$tmp/cport" ] && break; sleep 0.05; done
snmptrap -v 2c -c public "127.0.0.1:$(cat "$tmp/cport")" 123456 1.3.6.1.6.3.1.1.5.3 \
  1.3.6.1.2.1.2.2.1.1.3 i 3 1.3.6.1.2.1.2.2.1.7.3 i 1 1.3.6.1.2.1.2.2.1.8.3 i 2 \
  1.3.6.1.2.1.2.2.1.2.3 s GigabitEthernet0/3
wait "$cpid"

mkdir "$tmp/rules"
taskset -c 0 "$vigild" --state-dir "$tmp/state" --rules "$tmp/rules" --listen-udp 127.0.0.1:0 \
  --listen-tcp 127.0.0.1:0 --listen-snmp udp:127.0.0.1:0 >/dev/null 2>"$tmp/err" &
vpid=$!
for _ in $(seq 300); do grep -q "listening for SNMP traps" "$tmp/err" && break; sleep 0.1; done
port=$(grep -o 'listening for SNMP traps on udp 127.0.0.1:[0-9]*' "$tmp/err" | cut -d: -f2)
[ -n "$port" ] || { cat "$tmp/err" >&2; exit 1; }
hexport=$(printf '%04X' "$port")

counter() { # counter NAME: from the SNMP listener's stats, or the engine's
  "$vigilctl" --state-dir "$tmp/state" stats 2>/dev/null | grep -o "\"$1\":[0-9]*" | tail -1 | cut -d: -f2
}
kdrops() { awk -v p=":$hexport" '$2 == "0100007F" p { print $NF }' /proc/net/udp; }
thread_ticks() { # CPU ticks (user + system) of the trap thread
  for t in /proc/"$vpid"/task/*; do
    [ "$(cat "$t/comm")" = vigil-snmp ] && awk '{ print $14 + $15 }' "$t/stat"
  done
}
settle() { # wait until stats account for $1 datagrams (received + kernel drops)
  local want=$1 r
  for _ in $(seq 600); do
    r=$(counter received)
    [ -n "$r" ] && [ $((r + $(kdrops))) -ge "$want" ] && return 0
    sleep 0.1
  done
  return 1
}
settle 0
sent=0 best=0
tick0=$(thread_ticks) acc0=0
hz=$(getconf CLK_TCK)
echo "trap: $(stat -c %s "$tmp/trap.bin") bytes (v2c linkDown, 4 varbinds); vigild on CPU 0, sender on CPU 1"
for rate in ${RATES:-20000 30000 40000 50000 60000 80000 100000}; do
  n=$((rate * secs))
  d0=$(kdrops) q0=$(counter dropped) a0=$(counter accepted)
  taskset -c 1 "$blast" send 127.0.0.1 "$port" "$n" "$tmp/trap.bin" "$rate" 2>"$tmp/blast.err"
  sent=$((sent + n))
  settle "$sent" || { echo "stats did not settle" >&2; exit 1; }
  lost=$(( $(kdrops) - d0 + $(counter dropped) - q0 ))
  acc=$(( $(counter accepted) - a0 ))
  printf '%7d traps/s for %ss: %s, accepted %d, lost %d\n' "$rate" "$secs" \
    "$(grep -o 'in [0-9.]* s ([0-9]*/s)' "$tmp/blast.err")" "$acc" "$lost"
  if [ "$lost" -eq 0 ] && [ "$acc" -eq "$n" ]; then best=$rate; else break; fi
done
ticks=$(( $(thread_ticks) - tick0 ))
accepted=$(counter accepted)
echo "sustained on one core: $best v2c traps/s (no loss)"
awk -v t="$ticks" -v hz="$hz" -v n="$accepted" 'BEGIN {
  if (t > 0) printf "trap thread: %.1f us CPU per trap (%d traps/s per core for the receiver alone)\n",
    t / hz / n * 1e6, n / (t / hz) }'
echo "engine: $("$vigilctl" --state-dir "$tmp/state" stats | grep -o '"raw_in":[0-9]*,"raw_dropped":[0-9]*')"

[ "${PEER:-1}" = 1 ] || exit 0
snmptrapd=$(command -v snmptrapd || echo /usr/sbin/snmptrapd)
[ -x "$snmptrapd" ] || { echo "snmptrapd not installed (apt-get install snmptrapd): no peer figure"; exit 0; }
kill "$vpid"; wait "$vpid" 2>/dev/null || true; vpid=
printf 'authCommunity log public\ndoNotRetainNotificationLogs yes\n' >"$tmp/snmptrapd.conf"
tport=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0)->sockport')
SNMP_PERSISTENT_DIR="$tmp/persist" taskset -c 0 "$snmptrapd" -f -C -c "$tmp/snmptrapd.conf" \
  -Lf "$tmp/snmptrapd.log" "udp:127.0.0.1:$tport" >/dev/null 2>&1 &
vpid=$!
for _ in $(seq 100); do grep -q "NET-SNMP version" "$tmp/snmptrapd.log" 2>/dev/null && break; sleep 0.1; done
hexport=$(printf '%04X' "$tport")
logged() { grep -c GigabitEthernet0/3 "$tmp/snmptrapd.log" || true; }
sent=0 pbest=0
for rate in ${RATES:-20000 30000 40000 50000 60000 80000 100000}; do
  n=$((rate * secs))
  d0=$(kdrops) l0=$(logged)
  taskset -c 1 "$blast" send 127.0.0.1 "$tport" "$n" "$tmp/trap.bin" "$rate" 2>"$tmp/blast.err"
  sent=$((sent + n))
  prev=-1 # settled: the log stopped growing, or every trap is logged or dropped
  for _ in $(seq 600); do
    cur=$(logged)
    [ $((cur + $(kdrops))) -ge "$sent" ] && break
    [ "$cur" -eq "$prev" ] && break
    prev=$cur
    sleep 0.5
  done
  got=$(( $(logged) - l0 ))
  printf 'snmptrapd %7d traps/s for %ss: %s, logged %d, lost %d (kernel drops %d)\n' "$rate" "$secs" \
    "$(grep -o 'in [0-9.]* s ([0-9]*/s)' "$tmp/blast.err")" "$got" $((n - got)) $(( $(kdrops) - d0 ))
  if [ "$got" -eq "$n" ]; then pbest=$rate; else break; fi
done
echo "snmptrapd sustained on one core: $pbest v2c traps/s (no loss); vigild: $best"
