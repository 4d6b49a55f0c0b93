#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): action calls per second through the dispatcher.
# Usage: test/bench/bench_actions.sh [INCIDENTS] [BUILD_DIR]   (defaults 20000, build)
# A JSON replay opens INCIDENTS incidents (one per host) with the `single` rule; each open
# calls one action. Measured, each on a fresh private Redis:
#   base      the replay without --actions (correlation and records only)
#   test_on   the in-process test action (test/plugins/test_action.c, appends a line): the
#             dispatcher's own cost per call (idempotency claim, earlier results, the finish
#             script with history, step and results), 2 action threads
#   exec      the exec plugin running /bin/true: a program per call, as SEC's shellcmd does
# Prints seconds and calls/s (calls / (run - base)) for each.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20000}
build=${2:-build}
vigild=$build/core/vigild
[ -x "$vigild" ] && [ -e "$build/test-action-plugins/vg_action_test_on.so" ] ||
  { echo "build first: cmake -S . -B $build && cmake --build $build" >&2; exit 1; }
tmp=$(mktemp -d /tmp/vigil-bench-actions.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
perl -e 'for my $i (1 .. $ARGV[0]) {
  printf "{\"\@timestamp\":\"2026-11-26T10:%02d:%02d.%03dZ\",\"event.action\":\"malware.detected\",\"host.name\":\"pc-%d\"}\n",
    int($i / 60000) % 60, int($i / 1000) % 60, $i % 1000, $i }' "$n" >"$tmp/events.jsonl"
rules() { # rules NAME PLUGIN PARAMS
  mkdir -p "$tmp/$1"
  cat >"$tmp/$1/r.json" <<JSON
{"rules": [{"name": "bench", "plugin": "single", "match": {"event.action": ["malware.detected"]},
  "key": ["host.name"],
  "incident": {"title": "x", "severity": "high", "class": "virus", "procedure": "5.2.2"},
  "actions": {"open": [{"plugin": "$2", "step": "5.2.2.1", "params": $3}]}}]}
JSON
}
rules test_on test_on "{\"file\": \"$tmp/on.log\"}"
rules exec exec '{"argv": ["/bin/true"]}'
run() { # run NAME [--actions]: seconds of one replay
  local t0 t1
  t0=$(date +%s.%N)
  "$vigild" --replay "$tmp/events.jsonl" --rules "$tmp/$1" --plugins "$build/plugins" \
    --plugins "$build/test-action-plugins" "${@:2}" >/dev/null 2>"$tmp/$1.err"
  t1=$(date +%s.%N)
  perl -e 'printf "%.3f", $ARGV[1] - $ARGV[0]' "$t0" "$t1"
}
base=$(run test_on)
printf '%-8s %8.2f s\n' base "$base"
for a in test_on exec; do
  t=$(run "$a" --actions)
  done_n=$(grep -o '"actions_done":[0-9]*' "$tmp/$a.err" | tail -1 | cut -d: -f2)
  printf '%-8s %8.2f s  %6d calls ok  %8.0f calls/s\n' "$a" "$t" "$done_n" \
    "$(perl -e 'printf "%.0f", $ARGV[0] / ($ARGV[1] - $ARGV[2])' "$done_n" "$t" "$base")"
done
