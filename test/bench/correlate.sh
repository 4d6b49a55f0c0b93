#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Correlation benchmark (issue 3; a benchmark, not a test):
#   test/bench/correlate.sh [LINES] [BUILD_DIR]        (defaults 1000000, build)
# Generates (or reuses, cached in $BENCH_CACHE, default /tmp/vigil-correlate) the seeded
# corpus of gen_correlate.pl and its exact truth, then runs on the same file, one after
# the other in this run:
#   vigild --replay LOG --year 2026 --rules test/bench/rules   (its private redis-server)
#   SEC 2.9 (Debian sec) with test/bench/sec/correlate.sec, in event time (evtime.pl)
#   syslog-ng 3.38 (Debian syslog-ng-core) with test/bench/syslog-ng/correlate.conf
# and prints for each: wall time and events/s (= lines / wall seconds, start-up
# included), peak memory, and its incidents against the truth (compare.pl), then a
# final table. Each tool's output and comparison are kept in $BENCH_CACHE/last-run.
# Memory: "tree RSS" is the largest sum of VmRSS over the tool's processes (vigild +
# redis-server; sec; syslog-ng), sampled every 50 ms from /proc; "1-proc RSS" is GNU
# time's %M, the largest single process's peak.
# Environment: SEED (default 1), TOOLS (default "vigild sec syslog-ng"), SEC_CLOCK=wall
# (run SEC on the wall clock, as it runs natively), VIGILD_ARGS (extra vigild options),
# BENCH_CACHE, TOOL_TIMEOUT (seconds a tool may run, default 1800).
# Installs what is missing: GNU time, sec (apt-get install); syslog-ng-core would
# replace rsyslog, so when no syslog-ng is installed its packages are fetched with
# apt-get download and unpacked under $BENCH_CACHE/syslog-ng.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
n=${1:-1000000}
build=${2:-build}
seed=${SEED:-1}
tools=${TOOLS:-vigild sec syslog-ng}
cache=${BENCH_CACHE:-/tmp/vigil-correlate}
tmax=${TOOL_TIMEOUT:-1800}
bench=$root/test/bench
case "$build" in /*) ;; *) build=$root/$build ;; esac
mkdir -p "$cache"
work=$(mktemp -d /tmp/vigil-correlate-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

log=$cache/corpus-$n-$seed.log
truth=$cache/corpus-$n-$seed.truth
if [ ! -s "$log" ] || [ ! -f "$truth" ] || [ "$bench/gen_correlate.pl" -nt "$truth" ]; then
  echo "generating $n lines (seed $seed) into $log ..."
  "$bench/gen_correlate.pl" "$n" "$seed" "$log.tmp" "$truth.tmp"
  mv "$log.tmp" "$log"
  mv "$truth.tmp" "$truth"
fi
lines=$(wc -l <"$log")
echo "corpus: $log ($lines lines), truth: $truth ($(wc -l <"$truth") incidents:" \
  "$(grep -c '"bruteforce"' "$truth") bruteforce, $(grep -c '"linkdown"' "$truth") linkdown," \
  "$(grep -c '"outbreak"' "$truth") outbreak)"

apt_ready=0
apt_install() { # apt_install PACKAGE...: install from Debian's registry (root only)
  [ "$(id -u)" = 0 ] || { echo "need root to install $*" >&2; return 1; }
  if [ $apt_ready = 0 ]; then apt-get update -qq >/dev/null || true; apt_ready=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
[ -x /usr/bin/time ] || apt_install time

# ---------------------------------------------------------------- measuring
# run_tool NAME PROC_REGEX OUT CMD...: run CMD (stdout to OUT, stderr to $work/NAME.err)
# under GNU time and timeout; the process-tree sampler sums the RSS of the processes
# below it whose name matches PROC_REGEX. Sets $work/NAME.{wall,rc,maxrss,treerss}.
# shellcheck disable=SC2016
sampler='
  my ($root, $re, $limit, $pagekb) = @ARGV;
  my $max = 0;
  for (my $i = 0; $i < $limit && kill(0, $root); $i++) {
    my ($sum, @q) = (0, $root);
    while (@q) {
      my $p = shift @q;
      for my $c (glob("/proc/$p/task/*/children")) {
        open(my $f, "<", $c) or next;
        push @q, split(" ", scalar(<$f>) // ""); close $f;
      }
      next if $p == $root;
      open(my $f, "<", "/proc/$p/comm") or next;
      my $comm = <$f> // ""; close $f; chomp $comm;
      next unless $comm =~ /$re/;
      open(my $m, "<", "/proc/$p/statm") or next;
      my @x = split(" ", scalar(<$m>) // ""); close $m;
      $sum += ($x[1] // 0) * $pagekb;
    }
    $max = $sum if $sum > $max;
    select(undef, undef, undef, 0.05);
  }
  print "$max\n";'

run_tool() {
  local name=$1 re=$2 out=$3
  shift 3
  local start end rc=0
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/$name.maxrss" timeout "$tmax" "$@" >"$out" 2>"$work/$name.err" &
  local pid=$!
  perl -e "$sampler" "$pid" "$re" $((tmax * 20 + 200)) $(($(getconf PAGESIZE) / 1024)) >"$work/$name.treerss" &
  local spid=$!
  wait "$pid" || rc=$?
  end=$(date +%s.%N)
  wait "$spid" || true
  echo "$rc" >"$work/$name.rc"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >"$work/$name.wall"
  tail -1 "$work/$name.maxrss" | grep -E '^[0-9]+$' >"$work/$name.maxrss.kb" || echo 0 >"$work/$name.maxrss.kb"
  if [ "$rc" != 0 ]; then
    echo "$name: exit status $rc; last lines of its stderr:" >&2
    tail -5 "$work/$name.err" >&2
  fi
}

declare -A clock
ran=()

# ---------------------------------------------------------------- vigild
if [[ " $tools " == *" vigild "* ]]; then
  if [ ! -x "$build/core/vigild" ]; then
    echo "vigild: not built ($build/core/vigild); build first: cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build -j2" >&2
  else
    echo "running vigild --replay ..."
    # shellcheck disable=SC2086
    run_tool vigild '^(vigild|redis-server)$' "$work/vigild.out" \
      "$build/core/vigild" --replay "$log" --year 2026 --rules "$bench/rules" ${VIGILD_ARGS:-}
    grep -o 'replay done: .*' "$work/vigild.err" | sed 's/^/  vigild: /' || true
    clock[vigild]="event, ms"
    ran+=(vigild)
  fi
fi

# ---------------------------------------------------------------- SEC
if [[ " $tools " == *" sec "* ]]; then
  command -v sec >/dev/null || apt_install sec || true
  if ! command -v sec >/dev/null; then
    echo "sec: not installed and could not be installed; skipped" >&2
  else
    echo "running SEC $(sec --version 2>/dev/null | head -1 | awk '{ print $NF }') ..."
    secargs=(--conf="$bench/sec/correlate.sec" --input="$log" --notail --log=/dev/null --bufsize=1)
    if [ "${SEC_CLOCK:-event}" = wall ]; then
      run_tool sec '^sec$' "$work/sec.out" sec "${secargs[@]}"
      clock[sec]="wall clock"
    else
      SEC_BIN=$(command -v sec) run_tool sec '(^|/)(perl|sec)$' "$work/sec.out" perl "$bench/sec/evtime.pl" "${secargs[@]}"
      clock[sec]="event, s"
    fi
    ran+=(sec)
  fi
fi

# ---------------------------------------------------------------- syslog-ng
if [[ " $tools " == *" syslog-ng "* ]]; then
  sng=$(command -v syslog-ng || true)
  sngmod=""
  if [ -z "$sng" ]; then
    sroot=$cache/syslog-ng/root
    if [ ! -x "$sroot/usr/sbin/syslog-ng" ]; then
      # syslog-ng-core conflicts with rsyslog (which the tests need): unpack, don't install
      echo "fetching syslog-ng-core into $cache/syslog-ng ..."
      mkdir -p "$cache/syslog-ng/debs"
      if [ $apt_ready = 0 ] && [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null || true; apt_ready=1; fi
      (cd "$cache/syslog-ng/debs" && apt-get download -qq syslog-ng-core libivykis0 libnet1 2>/dev/null) || true
      for deb in "$cache"/syslog-ng/debs/*.deb; do [ -f "$deb" ] && dpkg -x "$deb" "$sroot"; done
    fi
    if [ -x "$sroot/usr/sbin/syslog-ng" ]; then
      sng=$sroot/usr/sbin/syslog-ng
      sngmod=$sroot/usr/lib/syslog-ng/3.38
      export LD_LIBRARY_PATH=$sroot/usr/lib/syslog-ng:$sroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
      if ldd "$sng" | grep -q 'not found'; then
        echo "syslog-ng: libraries missing: $(ldd "$sng" | grep 'not found' | awk '{ print $1 }' | tr '\n' ' ')" >&2
        sng=""
      fi
    fi
  fi
  if [ -z "$sng" ]; then
    echo "syslog-ng: not available; skipped" >&2
  else
    echo "running syslog-ng $("$sng" --version 2>/dev/null | head -1 | grep -o '([0-9.]*)' | tr -d '()') ..."
    mkdir -p "$work/sng"
    sngargs=(-F --no-caps -f "$bench/syslog-ng/correlate.conf" -R "$work/sng/persist" -p "$work/sng/pid" -c "$work/sng/ctl")
    [ -n "$sngmod" ] && sngargs+=(--module-path="$sngmod")
    # stdin() ends syslog-ng at end of input; it needs a pipe, not a file
    # shellcheck disable=SC2016
    BENCH_SNG_OUT=$work/syslog-ng.out run_tool syslog-ng '^syslog-ng$' "$work/syslog-ng.stdout" \
      bash -c 'cat "$0" | exec "$@"' "$log" "$sng" "${sngargs[@]}"
    [ -f "$work/syslog-ng.out" ] || : >"$work/syslog-ng.out"
    clock[syslog-ng]="event, s"
    ran+=(syslog-ng)
  fi
fi

# ---------------------------------------------------------------- results
echo
for t in "${ran[@]}"; do
  out=$work/$t.out
  [ "$t" = syslog-ng ] && out=$work/syslog-ng.out
  "$bench/compare.pl" --label "$t" "$truth" "$out" >"$work/$t.cmp"
  if [ "$t" = "${ran[0]}" ]; then grep -v '^SUMMARY' "$work/$t.cmp"; else grep -v '^SUMMARY' "$work/$t.cmp" | tail -n +2; fi
done
echo
echo "$lines lines; incidents: exact = same rule, key and time to the ms; by key = same rule and key"
printf '%-10s %10s %9s %12s %12s %-11s %7s %7s %7s %7s %7s %s\n' tool events/s 'wall s' 'tree RSS MB' '1-proc MB' clock truth found exact 'by key' extra status
declare -A rate
for t in "${ran[@]}"; do
  wall=$(cat "$work/$t.wall")
  rate[$t]=$(awk -v n="$lines" -v w="$wall" 'BEGIN { printf "%d", n / w }')
  read -r _ _ _ tr fo ex bk _ xt < <(grep "^SUMMARY $t all " "$work/$t.cmp")
  st=ok
  [ "$(cat "$work/$t.rc")" = 0 ] || st="exit $(cat "$work/$t.rc")"
  [ "$t" = vigild ] && [ "$ex" = "$tr" ] && [ "$fo" = "$tr" ] && st="$st, exact"
  printf '%-10s %10s %9s %12s %12s %-11s %7s %7s %7s %7s %7s %s\n' "$t" "${rate[$t]}" "$wall" \
    "$(awk -v k="$(cat "$work/$t.treerss")" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(awk -v k="$(cat "$work/$t.maxrss.kb")" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "${clock[$t]}" "$tr" "$fo" "$ex" "$bk" "$xt" "$st"
done
if [ -n "${rate[vigild]:-}" ]; then
  for t in sec syslog-ng; do
    [ -n "${rate[$t]:-}" ] && [ "${rate[$t]}" -gt 0 ] &&
      awk -v a="${rate[vigild]}" -v b="${rate[$t]}" -v t="$t" 'BEGIN { printf "vigild / %s: %.1fx\n", t, a / b }'
  done
fi
echo "command: test/bench/correlate.sh $n $build (SEED=$seed TOOLS=\"$tools\"${SEC_CLOCK:+ SEC_CLOCK=$SEC_CLOCK})"
rm -rf "$cache/last-run"
cp -r "$work" "$cache/last-run"
echo "outputs of this run: $cache/last-run"
