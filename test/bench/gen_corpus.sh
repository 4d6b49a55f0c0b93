#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Write a deterministic mixed syslog corpus: gen_corpus.sh LINES > FILE.
# About 80% is noise no rule wants (systemd, cron, kernel, apps, RFC 5424 with
# structured data); the rest are sshd failures and logins, Cisco link flaps and
# ClamAV detections spread over many hosts, so incidents open and update.
set -euo pipefail
n=${1:-1000000}
awk -v n="$n" 'BEGIN {
  srand(42);
  split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ");
  for (i = 0; i < n; i++) {
    t = i * 3; s = t % 60; m = int(t / 60) % 60; h = int(t / 3600) % 24; d = 1 + int(t / 86400) % 28;
    ts = sprintf("%s %2d %02d:%02d:%02d", mon[3], d, h, m, s);
    r = rand(); host = sprintf("srv%03d", int(rand() * 200));
    if (r < 0.25) {
      printf "<30>%s %s systemd[1]: Started Session %d of user u%d.\n", ts, host, i, i % 50;
    } else if (r < 0.40) {
      printf "<78>%s %s CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", ts, host, 1000 + i % 30000;
    } else if (r < 0.52) {
      printf "<6>%s %s kernel: [%d.%06d] eth0: renamed from veth%x, link speed 1000Mbps\n", ts, host, i, i % 1000000, i;
    } else if (r < 0.64) {
      printf "<14>1 2026-03-%02dT%02d:%02d:%02d.%03dZ %s app %d ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"%d\"] request handled in %d ms\n", d, h, m, s, i % 1000, host, i % 9000, i % 2000, i % 700;
    } else if (r < 0.72) {
      printf "<134>%s %s nginx: 10.%d.%d.%d - - \"GET /api/v1/items/%d HTTP/1.1\" 200 %d\n", ts, host, i % 250, (i / 250) % 250, i % 7, i, i % 9000;
    } else if (r < 0.80) {
      printf "<189>%s %s %%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.%d)\n", ts, sprintf("sw%02d", i % 40), i % 250;
    } else if (r < 0.88) {
      printf "<38>%s %s sshd[%d]: Failed password for %s from 203.0.%d.%d port %d ssh2\n", ts, host, 2000 + i % 5000, (i % 3 ? "root" : "invalid user admin"), i % 20, i % 250, 1024 + i % 60000;
    } else if (r < 0.90) {
      printf "<38>%s %s sshd[%d]: Accepted password for deploy from 10.0.0.%d port %d ssh2\n", ts, host, 2000 + i % 5000, i % 250, 1024 + i % 60000;
    } else if (r < 0.97) {
      printf "<187>%d: sw%02d: *%s.%03d: %%LINK-3-UPDOWN: Interface GigabitEthernet1/0/%d, changed state to %s\n", i, i % 40, ts, i % 1000, i % 48, (i % 2 ? "down" : "up");
    } else {
      printf "<28>%s pc-%03d clamd[812]: /home/u%d/Downloads/file%d.exe: Win.Trojan.Agent-%d FOUND\n", ts, i % 300, i % 50, i, i % 17;
    }
  }
}'
