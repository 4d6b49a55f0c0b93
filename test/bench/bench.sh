#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): parse+normalize and replay throughput on a generated
# corpus. Usage: test/bench/bench.sh [LINES] [BUILD_DIR]   (defaults 1000000, build)
# Prints lines/s for `vigilctl parse` (one core: it is single-threaded) and for
# `vigild --replay` with its private embedded Redis, best of 3 runs each.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
build=${2:-build}
corpus=/tmp/vigil-bench-$n.log
[ -x "$build/core/vigild" ] || { echo "build first: cmake -S . -B $build && cmake --build $build" >&2; exit 1; }
[ -s "$corpus" ] || test/bench/gen_corpus.sh "$n" >"$corpus"
lines=$(wc -l <"$corpus")
best() { # best COMMAND...: fastest wall time of 3 runs, in seconds
  local b=999999 t
  for _ in 1 2 3; do
    local s=$(date +%s.%N)
    "$@" >/dev/null 2>/tmp/vigil-bench.err
    t=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    b=$(awk -v t="$t" -v b="$b" 'BEGIN { print (t < b ? t : b) }')
  done
  echo "$b"
}
tp=$(best taskset -c 0 "$build/core/vigilctl" parse "$corpus")
echo "vigilctl parse:  $lines lines in ${tp}s = $(awk -v n="$lines" -v t="$tp" 'BEGIN { printf "%d", n / t }') lines/s (one core)"
tr=$(best "$build/core/vigild" --replay "$corpus")
echo "vigild --replay: $lines lines in ${tr}s = $(awk -v n="$lines" -v t="$tr" 'BEGIN { printf "%d", n / t }') lines/s (embedded Redis)"
"$build/core/vigild" --replay "$corpus" 2>&1 >/dev/null | grep -o '{"raw_in.*' || true

# Live: vigild on UDP with its embedded Redis; vg_blast sends 200,000 datagrams from the
# corpus as fast as sendmmsg goes; report how long until every datagram is accounted for
# (taken in, or dropped and counted) and how many were dropped.
state=$(mktemp -d /tmp/vigil-bench-live.XXXXXX)
"$build/core/vigild" --state-dir "$state" --listen-udp 127.0.0.1:0 --listen-tcp 127.0.0.1:0 \
  >/dev/null 2>"$state/err" &
vpid=$!
trap 'kill $vpid 2>/dev/null; wait $vpid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do grep -q "listening for syslog on udp" "$state/err" && break; sleep 0.1; done
port=$(grep -o 'listening for syslog on udp 127.0.0.1:[0-9]*' "$state/err" | cut -d: -f2)
head -200000 "$corpus" >"$state/live.log"
start=$(date +%s.%N)
"$build/test/vg_blast" 127.0.0.1 "$port" 200000 "$state/live.log" 2>/dev/null
for _ in $(seq 600); do
  s=$("$build/core/vigilctl" --state-dir "$state" stats 2>/dev/null || true)
  raw=$(echo "$s" | grep -o '"raw_in":[0-9]*' | cut -d: -f2)
  kd=$(echo "$s" | grep -o '"kernel_dropped":[0-9]*' | cut -d: -f2 | awk '{ n += $1 } END { print n + 0 }')
  [ -n "$raw" ] && [ $((raw + kd)) -ge 200000 ] && break
  printf '<13>tick\n' >/dev/udp/127.0.0.1/"$port"
  sleep 0.2
done
t=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "vigild live UDP: 200000 datagrams accounted for within ${t}s (stats publish every 1 s):"
echo "  $(echo "$s" | grep -o '"raw_in":[0-9]*,"raw_dropped":[0-9]*'), kernel_dropped $kd, $(echo "$s" | grep -o '"opened":[0-9]*,"updated":[0-9]*')"
