#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what vigil needs to build (and, with --test, to test) on Debian 12 (run as root;
# uses sudo otherwise). Installs only what is missing, so it is quick on a prepared machine.
#   --test   also clang and clang-format (CI builds with both compilers and checks the
#            format) and rsyslog, for the forwarding test; rsyslog is skipped when
#            syslog-ng is installed, because the two conflict and apt would remove syslog-ng
set -euo pipefail
pkgs=(build-essential cmake pkg-config libfastjson-dev libpcre2-dev libhiredis-dev
      libcunit1-dev libsnmp-dev libcurl4-openssl-dev snmp snmptrapd redis-server redis-tools
      bsdutils util-linux)
if [ "${1:-}" = "--test" ]; then
  # snmpd plays a switch for the SNMP actions; python3 runs the HTTP and SMTP receivers.
  pkgs+=(clang clang-format snmpd python3 python3-aiosmtpd)
  if dpkg-query -W -f='${Status}' syslog-ng-core 2>/dev/null | grep -q "install ok installed"; then
    echo "syslog-ng is installed: not installing rsyslog; integration.rsyslog will be skipped"
  else
    pkgs+=(rsyslog)
  fi
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts its own redis-server on 6379; vigil never uses it (it starts private ones).
fi
