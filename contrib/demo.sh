#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The quick-start demo: install what is missing, build, start vigild on its
# embedded default (a private redis-server, syslog on 127.0.0.1:5514), send it
# the bundled sample contrib/samples/demo.log over UDP and show the incidents
# that appear, then the open incidents as `vigilctl incidents list` sees them.
set -euo pipefail
cd "$(dirname "$0")/.."
./contrib/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
state=$(mktemp -d /tmp/vigil-demo.XXXXXX)
out="$state/incidents.jsonl"
./build/core/vigild --state-dir "$state" >"$out" 2>"$state/vigild.log" &
vpid=$!
trap 'kill $vpid 2>/dev/null; wait $vpid 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do
  grep -q "listening for syslog on udp" "$state/vigild.log" 2>/dev/null && break
  kill -0 $vpid 2>/dev/null || { cat "$state/vigild.log"; exit 1; }
  sleep 0.1
done
echo "== vigild is running (pid $vpid); sending $(grep -c . contrib/samples/demo.log) sample lines over UDP"
while IFS= read -r line; do
  printf '%s' "$line" >/dev/udp/127.0.0.1/5514
done <contrib/samples/demo.log
for _ in $(seq 50); do
  [ "$(grep -c . "$out")" -ge 7 ] && break
  sleep 0.1
done
echo "== incident lifecycle records printed by vigild:"
cut -c1-150 "$out" | sed 's/$/ .../'
echo "== open incidents in Redis (vigilctl incidents list --brief):"
./build/core/vigilctl --state-dir "$state" incidents list --brief
echo "== the risk review of procedure 5.1 (vigilctl report; its first tables):"
./build/core/vigilctl --state-dir "$state" report | sed -n '/^## Incidents by class/,/^## Top devices/p' |
  sed '$d'
echo "== counters (vigilctl stats; vigild publishes them every second):"
for _ in $(seq 30); do
  ./build/core/vigilctl --state-dir "$state" stats 2>/dev/null | grep -q '"raw_in":0,' || break
  sleep 0.1
done
./build/core/vigilctl --state-dir "$state" stats
