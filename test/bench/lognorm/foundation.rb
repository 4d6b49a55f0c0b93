# liblognorm v2 rulebase: the five message kinds of the foundation's templates
# (sshd failed/accepted password, Cisco LINK-3-UPDOWN, clamd FOUND), whole syslog lines as
# gen_corpus.sh writes them, so lognormalizer parses header and message as vigil does.
# Used by test/bench/bench_normalize.sh as the peer; not shipped configuration.
version=2
rule=:<%pri:number%>%ts:date-rfc3164% %host:word% sshd[%pid:number%]: Failed password for invalid user %user:word% from %ip:ipv4% port %port:number% ssh2
rule=:<%pri:number%>%ts:date-rfc3164% %host:word% sshd[%pid:number%]: Failed password for %user:word% from %ip:ipv4% port %port:number% ssh2
rule=:<%pri:number%>%ts:date-rfc3164% %host:word% sshd[%pid:number%]: Accepted password for %user:word% from %ip:ipv4% port %port:number% ssh2
rule=:<%pri:number%>%seq:number%: %host:char-to::%: *%ts:char-to:\x25%\x25LINK-3-UPDOWN: Interface %ifname:char-to:,%, changed state to %state:word%
rule=:<%pri:number%>%ts:date-rfc3164% %host:word% clamd[%pid:number%]: %path:char-to:\x3a%: %sig:word% FOUND
