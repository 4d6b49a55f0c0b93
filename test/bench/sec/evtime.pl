#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Run SEC in event time: evtime.pl SEC-OPTIONS... runs /usr/bin/sec (or $SEC_BIN)
# unchanged, with Perl's time() overridden to return $main::bench_evtime, the syslog
# timestamp (whole seconds) of the line SEC is processing, which the first rule of
# correlate.sec sets. SEC's windows, context lifetimes and its once-a-second list
# processing then follow the log's clock, as vigild --replay does; before the first
# line time() is 0.
use strict;
use warnings;
no warnings "once";
BEGIN { *CORE::GLOBAL::time = sub () { $main::bench_evtime || 0 }; }
my $sec = $ENV{SEC_BIN} || '/usr/bin/sec';
$0 = $sec;
do $sec;
die "$sec: $@" if $@;
die "$sec: $!\n" if $!;
exit 0;
