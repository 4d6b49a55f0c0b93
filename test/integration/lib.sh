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
# jget FILE MARKER PATH: the value at PATH (a.b.c, arrays by index) of the event whose message
# contains MARKER; JSON for objects and arrays, "absent" when missing.
jget() {
  perl -MJSON::PP -e '
    my ($file, $marker, $path) = @ARGV;
    open(my $f, "<", $file) or die "$file: $!";
    while (my $line = <$f>) {
      my $ev = JSON::PP->new->decode($line);
      next unless index($ev->{message} // "", $marker) >= 0;
      my $v = $ev;
      for my $k (split /\./, $path) {
        $v = ref($v) eq "ARRAY" ? $v->[$k] : ref($v) eq "HASH" ? $v->{$k} : undef;
      }
      print !defined($v) ? "absent" : ref($v) ? JSON::PP->new->canonical->encode($v) : $v;
      exit 0;
    }
    print "no event";' "$@"
}
expect() { # expect MARKER PATH VALUE: the event in $TMP/events.jsonl
  local got
  got=$(jget "$TMP/events.jsonl" "$1" "$2")
  [ "$got" = "$3" ] || fail "event $1: $2 is '$got', expected '$3'"
}
