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
