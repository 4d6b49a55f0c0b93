#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): normalization throughput with every shipped template loaded.
# Usage: test/bench/bench_normalize.sh [LINES] [BUILD_DIR]   (defaults 1000000, build)
# The corpus mixes, in a fixed seeded order: every syslog sample line of every template in
# rules/normalize/ (so each template is hit), with its numbers and addresses varied per copy,
# and the noise of gen_corpus.sh (systemd, cron, kernel, RFC 5424, nginx, ...), half and half.
# `vigilctl parse --summary` (one thread: syslog parse, CEF/LEEF parse, select, prefilter,
# PCRE2, fields; no output but the count per event.action) runs pinned to one core on it,
# best of 3: that is the normalization figure. `vigilctl parse` (the same plus every event
# as JSON) is printed beside it. The count of lines with an event.action is printed, so a
# change that stops templates matching shows. Selection is by hash (program, event.code, product):
# a line meets only the templates of its own program, code or product. The last step runs
# the same corpus with only the foundation's 5 templates, for scale: fewer lines match there,
# so less capture work is done.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
build=${2:-build}
ctl=$build/core/vigilctl
[ -x "$ctl" ] || { echo "build first: cmake -S . -B $build && cmake --build $build" >&2; exit 1; }
tmp=$(mktemp -d /tmp/vigil-bench-norm.XXXXXX)
trap '[ -n "${KEEP:-}" ] && cp "$tmp/corpus.log" "$KEEP"; rm -rf "$tmp"' EXIT

# The sample lines (JSON trap samples left out: traps do not come through the parser).
perl -MJSON::PP -e '
  for my $f (sort glob("rules/normalize/*.json")) {
    open(my $fh, "<", $f) or die "$f: $!";
    local $/; my $d = JSON::PP->new->decode(<$fh>);
    for my $t (@{$d->{templates}}) {
      for my $s (@{$t->{samples} // []}) {
        print "$s->{line}\n" unless $s->{line} =~ /^\{/;
      }
    }
  }' >"$tmp/samples.log"
test/bench/gen_corpus.sh $((n / 2)) >"$tmp/noise.log"
# Interleave: sample lines round-robin, a digit of each copy changed so no two lines are equal.
perl -e '
  my ($n, $sfile, $nfile) = @ARGV;
  open(my $sf, "<", $sfile) or die; my @s = <$sf>; chomp @s;
  open(my $nf, "<", $nfile) or die;
  srand(7);
  for my $i (0 .. $n - 1) {
    if ($i % 2) {
      my $l = <$nf>; last unless defined $l; print $l;
    } else {
      my $l = $s[($i / 2) % @s];
      my $k = $i;
      $l =~ s/(?<=[ .:=\[])(\d)(?=\d*[ .,:\]])/($1 + $k++) % 10/e if $i >= 2 * @s;
      print "$l\n";
    }
  }' "$n" "$tmp/samples.log" "$tmp/noise.log" >"$tmp/corpus.log"
lines=$(wc -l <"$tmp/corpus.log")
templates=$(perl -MJSON::PP -e 'my $c = 0; for my $f (glob("rules/normalize/*.json")) {
  open(my $fh, "<", $f) or die; local $/; $c += @{JSON::PP->new->decode(<$fh>)->{templates}} }
  print $c')
echo "corpus: $lines lines ($(wc -l <"$tmp/samples.log") distinct sample lines of $templates templates, half noise)"

best() { # best COMMAND...: fastest wall time of 3 runs, in seconds; output kept of the last
  local b=999999 t s
  for _ in 1 2 3; do
    s=$(date +%s.%N)
    "$@" >"$tmp/out.jsonl" 2>"$tmp/err"
    t=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
    b=$(awk -v t="$t" -v b="$b" 'BEGIN { print (t < b ? t : b) }')
  done
  echo "$b"
}
rate() { awk -v n="$lines" -v t="$1" 'BEGIN { printf "%d", n / t }'; }
t=$(best taskset -c 0 "$ctl" parse --summary "$tmp/corpus.log")
echo "normalize, all templates:      $lines lines in ${t}s = $(rate "$t") lines/s on one core; $(head -1 "$tmp/out.jsonl")"
t=$(best taskset -c 0 "$ctl" parse "$tmp/corpus.log")
echo "normalize + JSON out:          $lines lines in ${t}s = $(rate "$t") lines/s on one core"
mkdir "$tmp/few"
for f in cisco-ios.json linux-sshd.json clamav.json; do
  perl -MJSON::PP -e '
    open(my $fh, "<", $ARGV[0]) or die; local $/; my $d = JSON::PP->new->decode(<$fh>);
    my %keep = map { $_ => 1 } qw(cisco.link_updown.down cisco.link_updown.up sshd.failed_password sshd.accepted clamav.found);
    $d->{templates} = [grep { $keep{$_->{name}} } @{$d->{templates}}];
    print JSON::PP->new->encode($d);' "rules/normalize/$f" >"$tmp/few/$f"
done
t2=$(best taskset -c 0 "$ctl" parse --summary --normalize "$tmp/few" "$tmp/corpus.log")
echo "normalize, 5 templates only:   $lines lines in ${t2}s = $(rate "$t2") lines/s on one core; $(head -1 "$tmp/out.jsonl")"

# The peer, on the foundation's message kinds only: liblognorm's lognormalizer (Debian
# liblognorm-utils) with test/bench/lognorm/foundation.rb (the five kinds of the 5 templates
# above, as whole lines) against vigilctl with those 5 templates, both on gen_corpus.sh's
# log and both writing every line as JSON, one core, best of 3.
if ! command -v lognormalizer >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq liblognorm-utils >/dev/null 2>&1 || true; fi
fi
if command -v lognormalizer >/dev/null; then
  nl=$(wc -l <"$tmp/noise.log")
  # (lognormalizer reads stdin only: each run opens the file again)
  tl=$(best taskset -c 0 sh -c 'exec lognormalizer -r "$0" -e json <"$1"' \
    test/bench/lognorm/foundation.rb "$tmp/noise.log")
  lm=$(grep -vc '"unparsed-data"' "$tmp/out.jsonl" || true)
  tv=$(best taskset -c 0 "$ctl" parse --normalize "$tmp/few" "$tmp/noise.log")
  vm=$(grep -c '"action":' "$tmp/out.jsonl" || true)
  echo "peer, gen_corpus.sh log ($nl lines), 5 message kinds, JSON out:"
  echo "  lognormalizer (liblognorm): $(awk -v n="$nl" -v t="$tl" 'BEGIN { printf "%d", n / t }') lines/s, $lm lines parsed"
  echo "  vigilctl parse:             $(awk -v n="$nl" -v t="$tv" 'BEGIN { printf "%d", n / t }') lines/s, $vm with an event.action"
else
  echo "lognormalizer not installed (apt-get install liblognorm-utils): no peer figure"
fi
