#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Correlation benchmark corpus (issue 3): a deterministic, seeded RFC 3164 log and the
# exact ground truth of the three benchmark rules (test/bench/rules/*.json).
#
#   gen_correlate.pl LINES SEED OUTLOG OUTTRUTH    write LINES lines and their truth
#   gen_correlate.pl --truth LOG OUTTRUTH          recompute the truth of any such log
#
# The log: lines in time order from 2026-03-01 10:00:00.000 (BSD stamps with .mmm, no
# year: give vigild --year 2026), 0-6 ms apart (3 ms on average), about 87% noise
# (systemd, CRON, kernel, nginx, postfix, sudo, Cisco chatter...) with near misses
# (sshd "Accepted password", "Failed publickey", pam_unix, "message repeated";
# %LINEPROTO-5-UPDOWN; clamd "OK"/"ERROR"/SelfCheck), and the signal:
#   - sshd "Failed password" from a heavy Zipf pool of sources (fire, then are
#     suppressed, again and again), a medium pool (sometimes reach 5 in 60 s) and a
#     light tail (never);
#   - Cisco %LINK-3-UPDOWN down/up episodes (up within 30 s, up late, never up, flaps);
#   - clamd "FOUND" of epidemic signatures (many hosts), sporadic ones and single-host
#     repeats;
#   - scripted corner cases on fresh keys: a failure exactly 60 s old still counts,
#     60.001 s does not, a failure exactly 60 s after an incident is still suppressed;
#     an up exactly 30 s after the down is silent, 30.001 s is not, a second down while
#     the window is open (also exactly at +30 s) is ignored; a host exactly 600 s old
#     still counts, a repeated host counts once, a refreshed host stays, a detection
#     exactly 600 s after an incident is still suppressed.
# No link episode starts in the last ~400 s of event time, so no pair window is still
# open at the end of the log (the truth would otherwise depend on end-of-input rules).
#
# The truth: a second pass reads the written log back, recognizes lines as vigil's
# templates do (rules/normalize/*.json) and runs a straightforward implementation of
# the semantics below; one JSON object per incident, sorted by time, rule, key:
#   {"rule":"bruteforce","key":"203.0.113.7","time":"2026-03-01T10:00:04.123Z"}
# Semantics (event time, ms; "within W" inclusive):
#   bruteforce (key source.ip): a failure at e while e <= suppressed-until is ignored;
#     else it joins the window, failures with e - f > 60000 leave it, and at 5 an
#     incident fires at e; suppressed-until = e + 60000, window emptied.
#   linkdown (key host|interface): a down opens a window if none is open (one is open
#     while now <= down + 30000); an up while it is open closes it silently; a window
#     that passes down + 30000 unclosed fires an incident at the down's time.
#   outbreak (key signature): a detection at e while e <= suppressed-until is ignored;
#     else host's latest = e, hosts with e - latest > 600000 are dropped, and at 3
#     hosts an incident fires at e; suppressed-until = e + 600000, hosts emptied.
use strict;
use warnings;
use Time::Local qw(timegm);

my @MON = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
my %MON;
@MON{@MON} = (0 .. 11);
my $YEAR = 2026;

sub usage { die "usage: $0 LINES SEED OUTLOG OUTTRUTH | $0 --truth LOG OUTTRUTH\n" }

if (@ARGV == 3 && $ARGV[0] eq '--truth') {
    truth($ARGV[1], $ARGV[2]);
    exit 0;
}
usage() unless @ARGV == 4 && $ARGV[0] =~ /^\d+$/ && $ARGV[1] =~ /^\d+$/;
my ($LINES, $SEED, $OUTLOG, $OUTTRUTH) = @ARGV;
generate($LINES, $SEED, $OUTLOG);
truth($OUTLOG, $OUTTRUTH);
exit 0;

# ---------------------------------------------------------------- generation

my (%stampcache, @pending, $pseq);

sub stamp {    # BSD timestamp with milliseconds of epoch ms
    my ($ms) = @_;
    my $s = int($ms / 1000);
    my $p = $stampcache{$s};
    unless (defined $p) {
        %stampcache = () if keys %stampcache > 4;
        my @g = gmtime($s);
        $p = $stampcache{$s} = sprintf('%s %2d %02d:%02d:%02d', $MON[$g[4]], $g[3], $g[2], $g[1], $g[0]);
    }
    return sprintf('%s.%03d', $p, $ms % 1000);
}

sub schedule {    # schedule(TIME_MS, LINE_WITHOUT_STAMP_SUB): keep @pending sorted by time, then order
    my ($t, $fn) = @_;
    my ($lo, $hi) = (0, scalar @pending);
    while ($lo < $hi) {
        my $mid = ($lo + $hi) >> 1;
        if ($pending[$mid][0] <= $t) { $lo = $mid + 1 } else { $hi = $mid }
    }
    splice @pending, $lo, 0, [$t, $fn];
}

sub pick { $_[int(rand(@_))] }

sub zipf_table {    # cumulative weights i^-s, for index picks by one rand()
    my ($n, $s) = @_;
    my (@c, $sum);
    for my $i (1 .. $n) { $sum += $i**-$s; push @c, $sum }
    $_ /= $sum for @c;
    return \@c;
}

sub zipf_pick {
    my ($c) = @_;
    my $r = rand();
    my ($lo, $hi) = (0, $#$c);
    while ($lo < $hi) {
        my $mid = ($lo + $hi) >> 1;
        if ($c->[$mid] < $r) { $lo = $mid + 1 } else { $hi = $mid }
    }
    return $lo;
}

sub generate {
    my ($n, $seed, $out) = @_;
    srand($seed);
    open(my $fh, '>', $out) or die "$out: $!\n";
    my $t0 = timegm(0, 0, 10, 1, 2, $YEAR) * 1000;
    my $yend = timegm(0, 0, 0, 1, 0, $YEAR + 1) * 1000;
    my $tend = $t0 + 3 * $n;    # expected end of event time (3 ms a line)
    my $margin = 3 * $n / 5 < 400_000 ? int(3 * $n / 5) : 400_000;
    my $quiet = $tend - $margin;    # no link episode or corner case starts after this
    my $late = $margin - 100_000 > 0 ? $margin - 100_000 : 1;    # span of late ups after +30.002 s

    my @users = qw(root admin oracle test ubuntu postgres git user guest ftp deploy pi mysql www);
    my @srv = map { sprintf('srv%03d', $_) } 0 .. 199;
    my @pc = map { sprintf('pc-%03d', $_) } 0 .. 299;
    my @sw = map { sprintf('sw%02d', $_) } 0 .. 39;
    my @ifkind = ('GigabitEthernet1/0/', 'GigabitEthernet2/0/', 'TenGigabitEthernet1/1/');
    my @heavy = ((map {"203.0.113.$_"} 10 .. 44), (map {"2001:db8:bad::$_"} 1 .. 5));
    my @medium = ((map {"198.51.100.$_"} 0 .. 255), (map {"192.0.2.$_"} 0 .. 255), (map {"203.0.113.$_"} 100 .. 187));
    my $heavyz = zipf_table(scalar @heavy, 1.0);
    my @families = qw(Win.Trojan.Agent Win.Malware.Emotet Doc.Downloader.Valyria Win.Ransomware.Locky
      Xls.Dropper.Agent Js.Trojan.Nemucod Win.Worm.Conficker Unix.Trojan.Mirai Html.Phishing.Bank Win.Exploit.CVE_2017_11882);
    my @epi = map { sprintf('%s-%d', $families[$_ % @families], 9000000 + $_ * 7) } 0 .. 59;
    my @spor = map { sprintf('%s-%d', $families[$_ % @families], 6000000 + $_ * 13) } 0 .. 1499;
    my @pua = map { sprintf('PUA.Win.Tool.%s-%d', (qw(Mimikatz NetPass Keygen Crack))[$_ % 4], 700000 + $_) } 0 .. 99;
    my $epiz = zipf_table(scalar @epi, 0.7);
    my @paths = ('/home/u%d/Downloads/invoice_%d.pdf.exe', '/home/u%d/.cache/tmp%d.js', '/tmp/update_%d_%d.bin',
        '/home/u%d/Mail/attach%d.doc', '/srv/share/u%d/report%d.xls');
    my $cornerseq = 0;
    my @near = (@heavy, @medium);
    my %P = (srv => \@srv, pc => \@pc, sw => \@sw, users => \@users, ifkind => \@ifkind, near => \@near);

    # line makers: each returns the text after the stamp
    my $port = sub { 1024 + int(rand(64000)) };
    my $spid = sub { 1000 + int(rand(60000)) };
    my $failed = sub {
        my ($host, $ip) = @_;
        my $who = rand() < 0.3 ? 'invalid user ' . pick(@users) . int(rand(100)) : pick(@users);
        return sprintf('<38>%%s %s sshd[%d]: Failed password for %s from %s port %d ssh2', $host, $spid->(), $who, $ip, $port->());
    };
    my $link = sub {
        my ($sw, $if, $state) = @_;
        return sprintf('<187>%%s %s %%LINK-3-UPDOWN: Interface %s, changed state to %s', $sw, $if, $state);
    };
    my $found = sub {
        my ($host, $sig) = @_;
        my $path = sprintf(pick(@paths), int(rand(80)), int(rand(100000)));
        return sprintf('<28>%%s %s clamd[%d]: %s: %s FOUND', $host, 700 + int(rand(300)), $path, $sig);
    };
    my $at = sub { my ($t, $text) = @_; schedule($t, $text) };
    @P{qw(spid port)} = ($spid, $port);
    my @cornerdur = (60000, 61000, 64005, 30000, 30001, 35000, 200000, 60001, 600000, 600500, 4000, 602003, 1050000);

    my @corners = (
        sub {    # bruteforce: the first failure is exactly 60 s old at the 5th: fires
            my ($t, $ip, $h) = @_;
            $at->($t + $_, $failed->($h, $ip)) for 0, 15000, 30000, 45000, 60000;
            return 60000;
        },
        sub {    # bruteforce: 60.001 s old has left: no incident at +60001, one at +61000
            my ($t, $ip, $h) = @_;
            $at->($t + $_, $failed->($h, $ip)) for 0, 15000, 30000, 45000, 60001, 61000;
            return 61000;
        },
        sub {    # bruteforce: fires at +4 s; +64 s still suppressed; fires again at +64.005 s
            my ($t, $ip, $h) = @_;
            $at->($t + $_, $failed->($h, $ip)) for 0, 1000, 2000, 3000, 4000, 10000, 30000, 64000, 64001, 64002, 64003, 64004, 64005;
            return 64005;
        },
        sub {    # linkdown: up exactly 30 s after the down: silent
            my ($t, $sw, $if) = @_;
            $at->($t, $link->($sw, $if, 'down'));
            $at->($t + 30000, $link->($sw, $if, 'up'));
            return 30000;
        },
        sub {    # linkdown: up 30.001 s after the down: an incident
            my ($t, $sw, $if) = @_;
            $at->($t, $link->($sw, $if, 'down'));
            $at->($t + 30001, $link->($sw, $if, 'up'));
            return 30001;
        },
        sub {    # linkdown: a second down 10 s later is ignored; the up at +35 s is late: incident
            my ($t, $sw, $if) = @_;
            $at->($t, $link->($sw, $if, 'down'));
            $at->($t + 10000, $link->($sw, $if, 'down'));
            $at->($t + 35000, $link->($sw, $if, 'up'));
            return 35000;
        },
        sub {    # linkdown: a second down exactly at +30 s is ignored (window still open): one incident
            my ($t, $sw, $if) = @_;
            $at->($t, $link->($sw, $if, 'down'));
            $at->($t + 30000, $link->($sw, $if, 'down'));
            $at->($t + 200000, $link->($sw, $if, 'up'));
            return 200000;
        },
        sub {    # linkdown: a second down at +30.001 s opens a new window, closed by an up: one incident
            my ($t, $sw, $if) = @_;
            $at->($t, $link->($sw, $if, 'down'));
            $at->($t + 30001, $link->($sw, $if, 'down'));
            $at->($t + 60001, $link->($sw, $if, 'up'));
            return 60001;
        },
        sub {    # outbreak: the first host is exactly 600 s old at the 3rd: fires
            my ($t, $sig, @h) = @_;
            $at->($t, $found->($h[0], $sig));
            $at->($t + 300000, $found->($h[1], $sig));
            $at->($t + 600000, $found->($h[2], $sig));
            return 600000;
        },
        sub {    # outbreak: 600.001 s old has left; that host again at +600.5 s makes 3
            my ($t, $sig, @h) = @_;
            $at->($t, $found->($h[0], $sig));
            $at->($t + 300000, $found->($h[1], $sig));
            $at->($t + 600001, $found->($h[2], $sig));
            $at->($t + 600500, $found->($h[0], $sig));
            return 600500;
        },
        sub {    # outbreak: repeated hosts count once
            my ($t, $sig, @h) = @_;
            $at->($t + $_->[0], $found->($h[$_->[1]], $sig)) for [0, 0], [1000, 0], [2000, 1], [3000, 1], [3500, 0], [4000, 2];
            return 4000;
        },
        sub {    # outbreak: fires at +2 s; +602 s still suppressed; fires again at +602.003 s
            my ($t, $sig, @h) = @_;
            $at->($t + $_->[0], $found->($h[$_->[1]], $sig))
              for [0, 0], [1000, 1], [2000, 2], [300000, 3], [602000, 3], [602001, 4], [602002, 5], [602003, 0];
            return 602003;
        },
        sub {    # outbreak: a refreshed host stays, an unrefreshed one leaves
            my ($t, $sig, @h) = @_;
            $at->($t + $_->[0], $found->($h[$_->[1]], $sig)) for [0, 0], [100000, 1], [500000, 0], [1000000, 2], [1050000, 3];
            return 1050000;
        },
    );

    my ($t, $next) = ($t0, $t0 + int(rand(7)));
    my $written = 0;
    while ($written < $n) {
        my $text;
        if (@pending && $pending[0][0] <= $next) {
            my $p = shift @pending;
            ($t, $text) = @$p;
        } else {
            $t = $next;
            $next = $t + int(rand(7));
            my $r = rand();
            if ($r < 0.072) {    # sshd password failures
                my $q = rand();
                my $ip = $q < 0.35 ? $heavy[zipf_pick($heavyz)]
                  : $q < 0.80 ? pick(@medium)
                  : sprintf('100.%d.%d.%d', 64 + int(rand(64)), int(rand(256)), 1 + int(rand(254)));
                $text = $failed->(pick(@srv), $ip);
            } elsif ($r < 0.080) {    # a link episode
                if ($t < $quiet) {
                    my ($s, $if) = (pick(@sw), pick(@ifkind) . (1 + int(rand(48))));
                    $text = $link->($s, $if, 'down');
                    my $q = rand();
                    if ($q < 0.55) {       # back up within 30 s
                        $at->($t + 200 + int(rand(29800)), $link->($s, $if, 'up'));
                    } elsif ($q < 0.62) {  # up exactly at +30 s
                        $at->($t + 30000, $link->($s, $if, 'up'));
                    } elsif ($q < 0.66) {  # up at +30.001 s
                        $at->($t + 30001, $link->($s, $if, 'up'));
                    } elsif ($q < 0.84) {  # up late
                        $at->($t + 30002 + int(rand($late)), $link->($s, $if, 'up'));
                    } elsif ($q < 0.94) {  # flap: downs while the window is open, then up
                        my $d = 500 + int(rand(20000));
                        $at->($t + $d, $link->($s, $if, 'down'));
                        $at->($t + $d + 100 + int(rand(15000)), $link->($s, $if, 'up'));
                    }                      # else: stays down (no up)
                } else {
                    $text = sprintf('<189>%%s %s %%LINEPROTO-5-UPDOWN: Line protocol on Interface %s%d, changed state to %s',
                        pick(@sw), pick(@ifkind), 1 + int(rand(48)), rand() < 0.5 ? 'down' : 'up');
                }
            } elsif ($r < 0.081) {    # an up for whatever port (usually no window open)
                $text = $link->(pick(@sw), pick(@ifkind) . (1 + int(rand(48))), 'up');
            } elsif ($r < 0.116) {    # ClamAV detections
                my $q = rand();
                if ($q < 0.40) {
                    $text = $found->(rand() < 0.9 ? pick(@pc) : pick(@srv), $epi[zipf_pick($epiz)]);
                } elsif ($q < 0.85) {
                    $text = $found->(pick(@pc), pick(@spor));
                } else {
                    my $i = int(rand(@pua));
                    $text = $found->(rand() < 0.97 ? $pc[($i * 7) % @pc] : pick(@pc), $pua[$i]);
                }
            } elsif ($r < 0.11625) {    # a corner case on fresh keys
                my $c = int(rand(@corners));
                if ($t + $cornerdur[$c] < $quiet) {
                    $cornerseq++;
                    if ($c < 3) {
                        $corners[$c]->($t, sprintf('198.18.%d.%d', $cornerseq >> 8, $cornerseq & 255), pick(@srv));
                    } elsif ($c < 8) {
                        $corners[$c]->($t, sprintf('sw%02d', 90 + $cornerseq % 10), "GigabitEthernet9/0/$cornerseq");
                    } else {
                        my @h = map { pick(@pc) } 0 .. 9;
                        my %seen;
                        @h = grep { !$seen{$_}++ } @h;
                        @h = map { sprintf('pc-9%02d', $_) } 0 .. 5 if @h < 6;
                        $corners[$c]->($t, "Bench.Corner.Case-$cornerseq", @h);
                    }
                }
                $text = sprintf('<30>%%s %s systemd[1]: Starting Cleanup of Temporary Directories...', pick(@srv));
            } else {
                $text = noise(\%P, $written);
            }
        }
        die "event time crosses the end of $YEAR: use fewer lines\n" if $t >= $yend;
        substr($text, index($text, ">") + 1, 2, stamp($t));    # the "%s" after <PRI>
        print $fh $text, "\n";
        $written++;
    }
    close($fh) or die "$out: $!\n";
}

sub noise {    # one line of noise (about 87% of the log), near misses included
    my ($P, $i) = @_;
    my ($srv, $pc, $sw, $users, $ifkind, $spid, $port, $near) = @$P{qw(srv pc sw users ifkind spid port near)};
    my $r = rand();
    my $h = pick(@$srv);
    my $ip = rand() < 0.5 ? $near->[int(rand(@$near))] : sprintf('10.%d.%d.%d', int(rand(256)), int(rand(256)), 1 + int(rand(254)));
    if ($r < 0.17) {
        return sprintf('<30>%%s %s systemd[1]: Started Session %d of user %s.', $h, $i, pick(@$users));
    } elsif ($r < 0.22) {
        return sprintf('<30>%%s %s systemd[1]: %s.service: Succeeded.', $h, pick(qw(logrotate apt-daily man-db fstrim phpsessionclean)));
    } elsif ($r < 0.33) {
        return sprintf('<78>%%s %s CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)', $h, $spid->());
    } elsif ($r < 0.37) {
        return sprintf('<78>%%s %s CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)', $h, $spid->());
    } elsif ($r < 0.46) {
        return sprintf('<4>%%s %s kernel: [%d.%06d] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=%s DST=10.0.0.%d LEN=60 PROTO=TCP SPT=%d DPT=22 WINDOW=64240 SYN',
            $h, 1000 + int(rand(900000)), int(rand(1000000)), $ip, 1 + int(rand(254)), $port->());
    } elsif ($r < 0.56) {
        return sprintf('<134>%%s %s nginx: %s - - "%s /%s HTTP/1.1" %d %d', $h, $ip,
            pick('GET', 'GET', 'POST'), pick('api/v1/items/' . int(rand(9999)), 'wp-login.php', 'index.html', 'login?failed=1'),
            pick(200, 200, 200, 301, 401, 403, 404), int(rand(90000)));
    } elsif ($r < 0.60) {
        return sprintf('<20>%%s %s postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure', $h, $spid->(), $ip);
    } elsif ($r < 0.62) {
        return sprintf('<85>%%s %s sudo: pam_unix(sudo:auth): authentication failure; logname=%s uid=1000 euid=0 tty=/dev/pts/0 ruser=%s rhost=  user=%s',
            $h, pick(@$users), pick(@$users), pick(@$users));
    } elsif ($r < 0.65) {    # sshd near misses
        return sprintf('<38>%%s %s sshd[%d]: Accepted password for %s from %s port %d ssh2', $h, $spid->(), pick(@$users), $ip, $port->());
    } elsif ($r < 0.68) {
        return sprintf('<38>%%s %s sshd[%d]: Failed publickey for %s from %s port %d ssh2: RSA SHA256:%s', $h, $spid->(), pick(@$users), $ip, $port->(),
            substr(sprintf('%08x%08x%08x', int(rand(2**32)), int(rand(2**32)), int(rand(2**32))), 0, 22));
    } elsif ($r < 0.70) {
        return sprintf('<37>%%s %s sshd[%d]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s',
            $h, $spid->(), $ip, pick(@$users));
    } elsif ($r < 0.71) {
        return sprintf('<38>%%s %s sshd[%d]: message repeated 2 times: [ Failed password for %s from %s port %d ssh2]', $h, $spid->(), pick(@$users), $ip, $port->());
    } elsif ($r < 0.73) {
        return sprintf('<38>%%s %s sshd[%d]: Connection closed by authenticating user %s %s port %d [preauth]', $h, $spid->(), pick(@$users), $ip, $port->());
    } elsif ($r < 0.75) {
        return sprintf('<38>%%s %s sshd[%d]: Invalid user %s from %s port %d', $h, $spid->(), pick(@$users) . int(rand(100)), $ip, $port->());
    } elsif ($r < 0.78) {    # Cisco near misses and chatter
        return sprintf('<189>%%s %s %%LINEPROTO-5-UPDOWN: Line protocol on Interface %s%d, changed state to %s',
            pick(@$sw), pick(@$ifkind), 1 + int(rand(48)), rand() < 0.5 ? 'down' : 'up');
    } elsif ($r < 0.80) {
        return sprintf('<189>%%s %s %%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.%d)', pick(@$sw), int(rand(250)));
    } elsif ($r < 0.81) {
        return sprintf('<189>%%s %s %%DUAL-5-NBRCHANGE: EIGRP-IPv4 100: Neighbor 10.255.%d.%d (Vlan%d) is up: new adjacency',
            pick(@$sw), int(rand(256)), 1 + int(rand(254)), 1 + int(rand(400)));
    } elsif ($r < 0.82) {
        return sprintf('<190>%%s %s %%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.1.1.%d] [localport: 22]', pick(@$sw), int(rand(250)));
    } elsif ($r < 0.85) {    # clamd near misses
        return sprintf('<30>%%s %s clamd[%d]: /home/u%d/Downloads/file%d.pdf: OK', pick(@$pc), 700 + int(rand(300)), int(rand(80)), int(rand(100000)));
    } elsif ($r < 0.86) {
        return sprintf('<27>%%s %s clamd[%d]: /home/u%d/.local/share/lock%d: Access denied. ERROR', pick(@$pc), 700 + int(rand(300)), int(rand(80)), int(rand(1000)));
    } elsif ($r < 0.87) {
        return sprintf('<30>%%s %s clamd[%d]: SelfCheck: Database status OK.', pick(@$pc), 700 + int(rand(300)));
    } elsif ($r < 0.88) {
        return sprintf('<30>%%s %s freshclam[%d]: daily.cld updated (version: %d, sigs: %d, f-level: 90, builder: raynman)',
            pick(@$pc), $spid->(), 27000 + int(rand(100)), 2000000 + int(rand(10000)));
    } elsif ($r < 0.94) {
        return sprintf('<14>%%s %s app[%d]: request id=%08x handled in %d ms', $h, $spid->(), int(rand(2**32)), int(rand(700)));
    } elsif ($r < 0.97) {
        return sprintf('<30>%%s %s dhcpd[%d]: DHCPACK on 10.20.%d.%d to 52:54:00:%02x:%02x:%02x via eth1',
            $h, $spid->(), int(rand(256)), 1 + int(rand(254)), int(rand(256)), int(rand(256)), int(rand(256)));
    } else {
        return sprintf('<29>%%s %s ntpd[%d]: adjusting local clock by %.6fs', $h, $spid->(), rand(0.2) - 0.1);
    }
}

# ---------------------------------------------------------------- truth

sub iso {
    my ($ms) = @_;
    my @g = gmtime(int($ms / 1000));
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1], $g[0], $ms % 1000);
}

sub truth {
    my ($log, $out) = @_;
    open(my $in, '<', $log) or die "$log: $!\n";
    my (%daycache, @inc);
    my (%bf_sup, %bf_win, %ld_open, %ob_sup, %ob_hosts);
    my $now = 0;
    while (my $line = <$in>) {
        chomp $line;
        $line =~ /^<\d+>(\w\w\w) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{3}))? (\S+) (.*)$/ or next;
        my $day = "$1$2";
        my $d0 = $daycache{$day} //= timegm(0, 0, 0, $2, $MON{$1}, $YEAR) * 1000;
        my $e = $d0 + (($3 * 60 + $4) * 60 + $5) * 1000 + ($6 // 0);
        my ($host, $rest) = ($7, $8);
        $now = $e;
        if ($rest =~ /^(sshd|sshd-session)(?:\[\d+\])?: Failed password for (?:invalid user )?\S* from ([0-9A-Fa-f.:]+) port \d+/) {
            my $k = $2;
            next if defined $bf_sup{$k} && $e <= $bf_sup{$k};
            my $w = $bf_win{$k} //= [];
            push @$w, $e;
            shift @$w while $e - $w->[0] > 60000;
            if (@$w >= 5) {
                push @inc, [iso($e), 'bruteforce', $k];
                $bf_sup{$k} = $e + 60000;
                delete $bf_win{$k};
            }
        } elsif ($rest =~ /^%LINK-(?:3-UPDOWN|5-CHANGED): Interface ([^,]+), changed state to (?:administratively )?(down|up)/) {
            my ($k, $st) = ("$host|$1", $2);
            if (defined $ld_open{$k} && $e > $ld_open{$k} + 30000) {
                push @inc, [iso($ld_open{$k}), 'linkdown', $k];
                delete $ld_open{$k};
            }
            if ($st eq 'down') {
                $ld_open{$k} = $e unless defined $ld_open{$k};
            } else {
                delete $ld_open{$k};
            }
        } elsif ($rest =~ /^(?:clamd|clamdscan|clamonacc|clamscan)(?:\[\d+\])?: (.+?): (\S+) FOUND$/) {
            my $k = $2;
            next if defined $ob_sup{$k} && $e <= $ob_sup{$k};
            my $hs = $ob_hosts{$k} //= {};
            $hs->{$host} = $e;
            for my $h (keys %$hs) { delete $hs->{$h} if $e - $hs->{$h} > 600000 }
            if (keys %$hs >= 3) {
                push @inc, [iso($e), 'outbreak', $k];
                $ob_sup{$k} = $e + 600000;
                delete $ob_hosts{$k};
            }
        }
    }
    close($in);
    # windows that passed their end before the log ended fire; one still open at the end
    # has no defined outcome (the generator leaves none)
    for my $k (sort keys %ld_open) {
        if ($now > $ld_open{$k} + 30000) {
            push @inc, [iso($ld_open{$k}), 'linkdown', $k];
        } else {
            warn "truth: linkdown window of $k still open at the end of $log: not counted\n";
        }
    }
    open(my $fh, '>', $out) or die "$out: $!\n";
    for my $i (sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] || $a->[2] cmp $b->[2] } @inc) {
        my ($time, $rule, $key) = @$i;
        $key =~ s/(["\\])/\\$1/g;
        print $fh qq({"rule":"$rule","key":"$key","time":"$time"}\n);
    }
    close($fh) or die "$out: $!\n";
}
