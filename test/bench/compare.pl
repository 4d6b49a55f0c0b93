#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Compare a tool's incidents with the correlation benchmark's truth (gen_correlate.pl).
#   compare.pl [--label NAME] [--year YYYY] TRUTH FOUND
# TRUTH: {"rule":R,"key":K,"time":"2026-03-01T10:00:04.123Z"} lines.
# FOUND: any mix of
#   - vigild --replay records (JSON lines): each "open" record is an incident, and so is
#     each "update" record (a rule that fires again while its incident for that key is
#     still open updates it); rule = rule.name, key = the values of incident.key joined
#     by "|" in the rule's key order (bruteforce: source.ip; linkdown:
#     host.name|interface.name; outbreak: threat.software.name), time =
#     incident.first_seen of an open, incident.last_seen of an update (the time of the
#     event that fired; for linkdown the down's);
#   - "RULE KEY TIME" lines (SEC, syslog-ng), TIME an RFC 3339 time or a BSD stamp
#     ("Mar  1 10:00:04.123"); the year is replaced by --year (default 2026), since the
#     log's stamps carry none and peers guess it.
# Prints, per rule and in total: truth, found, exact (same rule, key and time to the
# millisecond), by key (same rule and key, whatever the time: each truth incident
# matched at most once), missed and extra (against exact matches), and one
# "SUMMARY LABEL RULE truth found exact bykey missed extra" line each for scripts.
use strict;
use warnings;
use JSON::PP ();

my ($label, $year) = ('tool', 2026);
while (@ARGV && $ARGV[0] =~ /^--/) {
    my $o = shift @ARGV;
    if ($o eq '--label') { $label = shift @ARGV }
    elsif ($o eq '--year') { $year = shift @ARGV }
    else { die "compare.pl: unknown option $o\n" }
}
die "usage: compare.pl [--label NAME] [--year YYYY] TRUTH FOUND\n" unless @ARGV == 2;
my ($truthf, $foundf) = @ARGV;

my %KEYS = (bruteforce => ['source.ip'], linkdown => ['host.name', 'interface.name'], outbreak => ['threat.software.name']);
my %MON = (Jan => 1, Feb => 2, Mar => 3, Apr => 4, May => 5, Jun => 6, Jul => 7, Aug => 8, Sep => 9, Oct => 10, Nov => 11, Dec => 12);
my $json = JSON::PP->new;

sub normtime {    # any of the accepted forms -> YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, year forced)
    my ($t) = @_;
    return '' unless defined $t;
    if ($t =~ /^\d{4}-(\d\d)-(\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]00:?00)?$/) {
        return sprintf('%04d-%s-%sT%s.%sZ', $year, $1, $2, $3, substr(($4 // '') . '000', 0, 3));
    }
    if ($t =~ /^(\w\w\w) +(\d+) (\d\d:\d\d:\d\d)(?:\.(\d+))?$/ && $MON{$1}) {
        return sprintf('%04d-%02d-%02dT%s.%sZ', $year, $MON{$1}, $2, $3, substr(($4 // '') . '000', 0, 3));
    }
    return "?$t";
}

my (@truth, @found);
open(my $tf, '<', $truthf) or die "$truthf: $!\n";
while (<$tf>) {
    next unless /\S/;
    my $o = $json->decode($_);
    push @truth, [$o->{rule}, $o->{key}, normtime($o->{time})];
}
close($tf);

open(my $ff, '<', $foundf) or die "$foundf: $!\n";
while (my $l = <$ff>) {
    chomp $l;
    if ($l =~ /^\s*\{/) {
        next unless index($l, '"transition":"open"') >= 0 || index($l, '"transition":"update"') >= 0;
        my $o = eval { $json->decode($l) } or next;
        my $tr = $o->{transition} // '';
        next unless $tr eq 'open' || $tr eq 'update';
        my $rule = $o->{rule}{name} // '?';
        my $k = $o->{incident}{key} // {};
        my @f = $KEYS{$rule} ? @{$KEYS{$rule}} : sort keys %$k;
        push @found, [$rule, join('|', map { $k->{$_} // '' } @f), normtime($o->{incident}{$tr eq 'open' ? 'first_seen' : 'last_seen'})];
    } elsif ($l =~ /^(\S+) (\S+) (.+)$/) {
        push @found, [$1, $2, normtime($3)];
    }
}
close($ff);

my %rules = map { $_->[0] => 1 } @truth, @found;
my @rows;
my %tot = map { $_ => 0 } qw(truth found exact bykey missed extra);
for my $r (sort keys %rules) {
    my (%te, %tk);
    my ($nt, $nf, $exact, $bykey) = (0, 0, 0, 0);
    for (grep { $_->[0] eq $r } @truth) { $nt++; $te{"$_->[1] $_->[2]"}++; $tk{$_->[1]}++ }
    for (grep { $_->[0] eq $r } @found) {
        $nf++;
        my $e = "$_->[1] $_->[2]";
        if ($te{$e}) { $te{$e}--; $exact++ }
        if ($tk{$_->[1]}) { $tk{$_->[1]}--; $bykey++ }
    }
    my %row = (rule => $r, truth => $nt, found => $nf, exact => $exact, bykey => $bykey, missed => $nt - $exact, extra => $nf - $exact);
    $tot{$_} += $row{$_} for keys %tot;
    push @rows, \%row;
}
push @rows, {rule => 'all', %tot};
printf "%-12s %-10s %7s %7s %7s %7s %7s %7s\n", 'tool', 'rule', 'truth', 'found', 'exact', 'by key', 'missed', 'extra';
for my $row (@rows) {
    printf "%-12s %-10s %7d %7d %7d %7d %7d %7d\n", $label, @$row{qw(rule truth found exact bykey missed extra)};
}
print "SUMMARY $label @$_{qw(rule truth found exact bykey missed extra)}\n" for @rows;
