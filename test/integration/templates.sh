#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shipped template library's own rules (issue 5), beyond what `vigilctl rule lint`
# checks for any template (samples give their expected fields):
#  - every shipped template carries at least two sample lines, and every sample expects
#    the template's event.action (so a sample matched by a different template fails lint);
#  - no shipped template is tried on every line ("any": true is a linear scan);
#  - template names are unique across the shipped files (a duplicate would silently
#    override);
#  - every event.action a shipped template sets is listed in docs/events.md;
#  - with VIGILCTL: `vigilctl parse --unmatched` of every syslog sample line prints nothing
#    (each is matched by some template), and `vigilctl parse --summary` of
#    test/data/normalize/nearmiss.log (lines like the templates' but meaning something else)
#    counts no event.action.
# Usage: templates.sh SRCDIR [VIGILCTL]
set -euo pipefail
SRC=$1 VIGILCTL=${2:-}
perl -MJSON::PP -e '
  my ($src) = @ARGV;
  my (%seen, %actions, @bad);
  for my $f (sort glob("$src/rules/normalize/*.json")) {
    open(my $fh, "<", $f) or die "$f: $!";
    local $/;
    my $d = JSON::PP->new->decode(<$fh>);
    (my $short = $f) =~ s{.*/}{};
    for my $t (@{$d->{templates}}) {
      my $n = $t->{name};
      my $act = $t->{fields}{"event.action"};
      push @bad, "$short: $n: fewer than 2 samples" if @{$t->{samples} // []} < 2;
      push @bad, "$short: $n: \"any\": true (tried on every line)" if $t->{any};
      push @bad, "$short: $n: also defined in $seen{$n}" if $seen{$n};
      $seen{$n} = $short;
      if (defined $act) {
        $actions{$act} = 1;
        for my $s (@{$t->{samples} // []}) {
          my $e = $s->{expect}{"event.action"} // "";
          push @bad, "$short: $n: a sample does not expect event.action $act" if $e ne $act;
        }
      }
    }
  }
  open(my $doc, "<", "$src/docs/events.md") or die;
  my $text = do { local $/; <$doc> };
  for my $a (sort keys %actions) {
    push @bad, "docs/events.md: event.action $a is not documented" if index($text, "`$a`") < 0;
  }
  if (@bad) { print STDERR "FAIL: $_\n" for @bad; exit 1 }
  printf "templates: %d templates, %d event.action names, all checks passed\n",
    scalar(keys %seen), scalar(keys %actions);
' "$SRC"
[ -n "$VIGILCTL" ] || exit 0
TMP=$(mktemp -d /tmp/vg_templates.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
perl -MJSON::PP -e '
  for my $f (sort glob("$ARGV[0]/rules/normalize/*.json")) {
    open(my $fh, "<", $f) or die; local $/;
    for my $t (@{JSON::PP->new->decode(<$fh>)->{templates}}) {
      print "$_->{line}\n" for grep { $_->{line} !~ /^\{/ } @{$t->{samples}};
    }
  }' "$SRC" >"$TMP/samples.log"
"$VIGILCTL" parse --normalize "$SRC/rules/normalize" --unmatched "$TMP/samples.log" >"$TMP/unmatched.jsonl"
if [ -s "$TMP/unmatched.jsonl" ]; then
  echo "FAIL: sample lines no template matched:" >&2; cat "$TMP/unmatched.jsonl" >&2; exit 1
fi
"$VIGILCTL" parse --normalize "$SRC/rules/normalize" --summary "$SRC/test/data/normalize/nearmiss.log" >"$TMP/near.txt"
n=$(wc -l <"$SRC/test/data/normalize/nearmiss.log")
grep -q "^$n lines, 0 with an event.action" "$TMP/near.txt" ||
  { echo "FAIL: near-miss lines got an event.action:" >&2; cat "$TMP/near.txt" >&2; exit 1; }
s=$(wc -l <"$TMP/samples.log")
"$VIGILCTL" parse --normalize "$SRC/rules/normalize" --summary "$TMP/samples.log" | grep -q "^$s lines, $s with an event.action (100.0%), 0 unmatched" ||
  { echo "FAIL: parse --summary does not count every sample line as matched" >&2; exit 1; }
echo "templates: $s sample lines matched, $n near misses unmatched"
