# SPDX-License-Identifier: MIT
# Helpers shared by the integration scripts (sourced, not run). The caller sets TMP to a
# new temporary directory first; processes appended to pids are stopped at exit.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
# fail MESSAGE: report, show the tail of every log of the test, exit 1
fail() {
  echo "FAIL: $*" >&2
  for f in "$TMP"/*.err "$TMP"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done >&2
  exit 1
}
# wait_for SECONDS COMMAND...: poll until the command succeeds or the deadline passes
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.1
  done
}
count_lines() { grep -c -- "$2" "$1" 2>/dev/null || true; }
has_at_least() { [ "$(count_lines "$1" "$2")" -ge "$3" ]; }
