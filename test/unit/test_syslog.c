/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the syslog header parser: a table of real-world lines (RFC 5424
 * examples, Cisco IOS/IOS-XE/IOS-XR/NX-OS/ASA, Junos, Huawei, H3C, Linux daemons,
 * relays, broken headers) with the fields each must produce, then hostile input:
 * random and mutated bytes and every truncated prefix of the table's lines.
 */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "syslog.h"

#define RECV     "2024-10-12T12:00:00Z"
#define MAX_WANT 20
#define MAX_GONE 8

void suite_syslog(void);

/* One table row: a line, the receive time and zone, what must and must not be set. */
struct row {
    const char *line;           /* the input (a C string: no NULs) */
    const char *recv;           /* RFC 3339 receive time, NULL for RECV */
    int tz_min;                 /* opts.default_tz_min */
    const char *want[MAX_WANT]; /* "field=value" that must be set */
    const char *gone[MAX_GONE]; /* fields that must be absent */
};

/* clang-format off */
static const struct row rows[] = {
    /* ---- RFC 5424 section 6.5 examples ---- */
    {"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' "
     "failed for lonvick on /dev/pts/8", NULL, 0,
     {"@timestamp=2003-10-11T22:14:15.003Z", "log.syslog.priority=34",
      "log.syslog.facility.code=4", "log.syslog.facility.name=auth",
      "log.syslog.severity.code=2", "log.syslog.severity.name=crit", "log.syslog.version=1",
      "log.syslog.format=rfc5424", "host.name=mymachine.example.com",
      "log.syslog.hostname=mymachine.example.com", "log.syslog.appname=su",
      "process.name=su", "log.syslog.msgid=ID47",
      "message='su root' failed for lonvick on /dev/pts/8"},
     {"log.syslog.procid", "process.pid", "vigil.parse_warning"}},
    {"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
     "the do-nuts.", NULL, 0,
     {"@timestamp=2003-08-24T12:14:15.000Z", "log.syslog.facility.name=local4",
      "log.syslog.severity.name=notice", "host.name=192.0.2.1", "log.syslog.appname=myproc",
      "log.syslog.procid=8710", "process.pid=8710",
      "message=%% It's time to make the do-nuts."},
     {"log.syslog.msgid", "event.code", "vigil.parse_warning"}},
    {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
     "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF"
     "An application event log entry...", NULL, 0,
     {"log.syslog.structured_data.exampleSDID@32473.iut=3",
      "log.syslog.structured_data.exampleSDID@32473.eventSource=Application",
      "log.syslog.structured_data.exampleSDID@32473.eventID=1011",
      "log.syslog.appname=evntslog", "message=An application event log entry..."},
     {"vigil.parse_warning"}},
    {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
     "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
     "class=\"high\"]", NULL, 0,
     {"log.syslog.structured_data.exampleSDID@32473.eventID=1011",
      "log.syslog.structured_data.examplePriority@32473.class=high", "message="},
     {"vigil.parse_warning"}},
    /* ---- RFC 5424: NILVALUEs, escapes, vendors, broken headers ---- */
    {"<14>1 - - - - - -", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "log.syslog.priority=14", "message="},
     {"host.name", "log.syslog.appname", "log.syslog.msgid", "vigil.parse_warning"}},
    {"<14>1 - - - - - - hello world", NULL, 0,
     {"message=hello world", "log.syslog.format=rfc5424"}, {"vigil.parse_warning"}},
    {"<14>1 2024-01-02T03:04:05Z h a p m [x@1 a=\"q\\\"uote\" b=\"back\\\\slash\" "
     "c=\"br\\]acket\" d=\"keep\\n\" e=\"\"] msg", NULL, 0,
     {"log.syslog.structured_data.x@1.a=q\"uote", "log.syslog.structured_data.x@1.b=back\\slash",
      "log.syslog.structured_data.x@1.c=br]acket", "log.syslog.structured_data.x@1.d=keep\\n",
      "log.syslog.structured_data.x@1.e=", "message=msg", "log.syslog.procid=p"},
     {"vigil.parse_warning", "process.pid"}},
    {"<165>1 2007-09-20T14:32:38.101Z mx480 mgd 3442 UI_DBASE_LOGOUT_EVENT "
     "[junos@2636.1.1.1.2.39 username=\"regress\"] User 'regress' exiting configuration mode",
     NULL, 0,
     {"log.syslog.structured_data.junos@2636.1.1.1.2.39.username=regress", "host.name=mx480",
      "process.name=mgd", "process.pid=3442", "log.syslog.msgid=UI_DBASE_LOGOUT_EVENT",
      "message=User 'regress' exiting configuration mode"},
     {"vigil.parse_warning"}},
    {"<14>1 2024-05-09T12:49:27.098+02:00 srx1 RT_FLOW - RT_FLOW_SESSION_CREATE "
     "[junos@2636.1.1.1.2.129 source-address=\"10.0.0.1\" source-port=\"5353\" "
     "destination-address=\"224.0.0.251\"] session created", NULL, 0,
     {"@timestamp=2024-05-09T10:49:27.098Z",
      "log.syslog.structured_data.junos@2636.1.1.1.2.129.source-address=10.0.0.1",
      "log.syslog.structured_data.junos@2636.1.1.1.2.129.destination-address=224.0.0.251",
      "message=session created"},
     {"vigil.parse_warning", "log.syslog.procid"}},
    {"<30>1 2024-10-11T10:15:31.208123+02:00 web01 systemd 1 - - Started Session 5.", NULL, 0,
     {"@timestamp=2024-10-11T08:15:31.208Z", "process.pid=1", "message=Started Session 5."},
     {"vigil.parse_warning"}},
    {"<14>1 2024-01-02T03:04:05Z h a p m [x@1 a=\"1\"][bad a=1] rest", NULL, 0,
     {"log.syslog.structured_data.x@1.a=1", "message=[bad a=1] rest",
      "vigil.parse_warning=malformed structured data"},
     {"log.syslog.structured_data.bad.a"}},
    {"<14>1 2024-01-02T03:04:05Z h a p m text without sd", NULL, 0,
     {"host.name=h", "message=text without sd", "vigil.parse_warning=malformed structured data"},
     {NULL}},
    {"<14>1 2024-01-02T03:04:05Z h a p m [x@1 a=\"abc", NULL, 0,
     {"message=[x@1 a=\"abc", "vigil.parse_warning=malformed structured data"},
     {"log.syslog.structured_data.x@1.a"}},
    {"<14>1 2024-01-02T03:04:05Z h a p m [x@1 a=\"1\" b=2] m", NULL, 0,
     {"log.syslog.structured_data.x@1.a=1", "message=[x@1 a=\"1\" b=2] m",
      "vigil.parse_warning=malformed structured data"},
     {NULL}},
    {"<14>1 2024-01-02T03:04:05.1234567Z h a p m - x", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "host.name=h", "message=x",
      "vigil.parse_warning=invalid timestamp"},
     {NULL}},
    {"<14>1 2024-02-30T00:00:00Z h a p m - x", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "vigil.parse_warning=invalid timestamp",
      "message=x"},
     {NULL}},
    {"<14>1 2024-01-02T03:04:05Z host", NULL, 0,
     {"@timestamp=2024-01-02T03:04:05.000Z", "host.name=host", "message=",
      "vigil.parse_warning=truncated RFC 5424 header"},
     {"log.syslog.appname"}},
    {"<14>1 2024-01-02T03:04:05Z h \xC3\xA4pp p m - x", NULL, 0,
     {"host.name=h", "message=\xC3\xA4pp p m - x", "vigil.parse_warning=invalid RFC 5424 APP-NAME"},
     {"log.syslog.appname"}},
    {"<14>1 2024-01-02T03:04:05Z h a p m - \xEF\xBB\xBF", NULL, 0,
     {"message="}, {"vigil.parse_warning"}},
    /* ---- Cisco IOS / IOS-XE / IOS-XR / ASA ---- */
    {"<189>117: *Mar  1 00:00:46.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed "
     "state to down", NULL, 0,
     {"@timestamp=2024-03-01T00:00:46.123Z", "event.sequence=117", "cisco.clock_flag=*",
      "event.code=LINK-3-UPDOWN", "cisco.facility=LINK", "cisco.severity=3",
      "cisco.mnemonic=UPDOWN", "log.syslog.timezone=UTC", "log.syslog.format=cisco",
      "log.syslog.facility.name=local7", "log.syslog.severity.name=notice",
      "message=Interface GigabitEthernet0/1, changed state to down"},
     {"host.name", "vigil.parse_warning", "process.name"}},
    {"<189>118: r1: Oct 11 22:14:15.044 CEST: %SYS-5-CONFIG_I: Configured from console by admin "
     "on vty0 (10.0.0.1)", NULL, 0,
     {"@timestamp=2024-10-11T20:14:15.044Z", "host.name=r1", "event.sequence=118",
      "event.code=SYS-5-CONFIG_I", "log.syslog.timezone=CEST",
      "message=Configured from console by admin on vty0 (10.0.0.1)"},
     {"cisco.clock_flag", "vigil.parse_warning"}},
    {"<189>119: 00:00:46: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "event.sequence=119", "event.code=LINK-3-UPDOWN",
      "log.syslog.format=cisco", "message=Interface Gi0/1, changed state to up"},
     {"host.name", "vigil.parse_warning"}},
    {"<189>120: 1w2d: %LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/2, changed state to "
     "down", NULL, 0,
     {"event.sequence=120", "cisco.facility=LINEPROTO", "cisco.severity=5",
      "@timestamp=2024-10-12T12:00:00.000Z"},
     {"host.name", "vigil.parse_warning"}},
    {"<187>121: *2d03h: %SYS-3-CPUHOG: Task is running for (2000)msecs", NULL, 0,
     {"event.sequence=121", "cisco.clock_flag=*", "event.code=SYS-3-CPUHOG",
      "message=Task is running for (2000)msecs"},
     {"vigil.parse_warning"}},
    {"<191>: rt401: Aug 18 12:51:47: %SYS-7-DEBUG: debugging on", NULL, 0,
     {"host.name=rt401", "@timestamp=2024-08-18T12:51:47.000Z", "cisco.severity=7",
      "log.syslog.format=cisco", "message=debugging on"},
     {"event.sequence", "vigil.parse_warning"}},
    {"<187>45: .Oct 11 22:14:15.123 UTC: %SNMP-3-AUTHFAIL: Authentication failure for SNMP req "
     "from host 10.1.1.1", NULL, 0,
     {"cisco.clock_flag=.", "@timestamp=2024-10-11T22:14:15.123Z", "event.code=SNMP-3-AUTHFAIL"},
     {"vigil.parse_warning"}},
    {"<189>46: Jan  6 2022 20:52:12.861 UTC: %SYS-5-CONFIG_I: Configured from console by vty0",
     NULL, 0,
     {"@timestamp=2022-01-06T20:52:12.861Z", "event.sequence=46"}, {"vigil.parse_warning"}},
    {"<189>45: 000043: *Mar  1 00:03:03.071: %SYS-5-CONFIG_I: Configured from console by console",
     NULL, 0,
     {"event.sequence=43", "@timestamp=2024-03-01T00:03:03.071Z", "cisco.clock_flag=*"},
     {"vigil.parse_warning", "host.name"}},
    {"<190>77: core1: *Jan  6 2022 20:52:12.861 CET: %OSPF-5-ADJCHG: Process 1, Nbr 10.0.0.2 on "
     "Gi0/0 from FULL to DOWN, Neighbor Down: Dead timer expired", NULL, 0,
     {"@timestamp=2022-01-06T19:52:12.861Z", "host.name=core1", "cisco.clock_flag=*",
      "log.syslog.timezone=CET", "cisco.mnemonic=ADJCHG",
      /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
      "message=Process 1, Nbr 10.0.0.2 on Gi0/0 from FULL to DOWN, Neighbor Down: Dead timer "
      "expired"},
     {"vigil.parse_warning"}},
    {"<189>2381: Aug 18 12:51:47.384 UTC: %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] "
     "[Source: 10.0.0.1] [localport: 22] at 12:51:47 UTC Tue Aug 18 2024", NULL, 0,
     {"event.code=SEC_LOGIN-5-LOGIN_SUCCESS", "cisco.facility=SEC_LOGIN",
      "cisco.mnemonic=LOGIN_SUCCESS", "@timestamp=2024-08-18T12:51:47.384Z"},
     {"vigil.parse_warning"}},
    {"<189>2382: Aug 18 12:51:47.384 XYZ: %SYS-5-CONFIG_I: Configured", NULL, 0,
     {"@timestamp=2024-08-18T12:51:47.384Z", "log.syslog.timezone=XYZ",
      "vigil.parse_warning=unknown time zone, UTC assumed: XYZ"},
     {NULL}},
    {"<189>12: Aug 18 12:51:47 UTC+1: %SYS-5-RESTART: System restarted --", NULL, 0,
     {"@timestamp=2024-08-18T11:51:47.000Z", "log.syslog.timezone=UTC+1",
      "message=System restarted --"},
     {"vigil.parse_warning"}},
    {"<189>13: Aug 18 12:51:47 GMT-05:00: %SYS-5-RESTART: System restarted", NULL, 0,
     {"@timestamp=2024-08-18T17:51:47.000Z", "log.syslog.timezone=GMT-05:00"},
     {"vigil.parse_warning"}},
    {"<189>55: %SYS-5-CONFIG_I: Configured from console by vty0", NULL, 0,
     {"event.sequence=55", "@timestamp=2024-10-12T12:00:00.000Z", "log.syslog.format=cisco",
      "message=Configured from console by vty0"},
     {"vigil.parse_warning"}},
    {"<189>Oct 11 22:14:15 sw1 %SPANTREE-2-BLOCK_BPDUGUARD: Received BPDU on port Gi0/5 with BPDU "
     "Guard enabled. Disabling port.", NULL, 0,
     {"host.name=sw1", "@timestamp=2024-10-11T22:14:15.000Z", "cisco.severity=2",
      "log.syslog.format=cisco",
      "message=Received BPDU on port Gi0/5 with BPDU Guard enabled. Disabling port."},
     {"vigil.parse_warning", "process.name"}},
    {"<189>Oct 11 22:14:15 r1 117: *Oct 11 22:14:14.123: %LINK-3-UPDOWN: Interface Gi0/1, "
     "changed state to down", NULL, 0,
     {"host.name=r1", "event.sequence=117", "@timestamp=2024-10-11T22:14:14.123Z",
      "cisco.clock_flag=*", "event.code=LINK-3-UPDOWN"},
     {"log.syslog.relay", "vigil.parse_warning"}},
    {"<189>Oct 11 22:14:15 r2: %LINK-5-CHANGED: Interface Gi0/9, changed state to administratively "
     "down", NULL, 0,
     {"host.name=r2", "event.code=LINK-5-CHANGED"}, {"process.name", "vigil.parse_warning"}},
    {"<166>Oct 11 2024 22:14:15: %ASA-6-302013: Built outbound TCP connection 123 for "
     "outside:1.2.3.4/443 (1.2.3.4/443) to inside:10.0.0.5/51000 (5.6.7.8/51000)", NULL, 0,
     {"event.code=ASA-6-302013", "cisco.facility=ASA", "cisco.severity=6",
      "cisco.mnemonic=302013", "@timestamp=2024-10-11T22:14:15.000Z",
      /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
      "message=Built outbound TCP connection 123 for outside:1.2.3.4/443 (1.2.3.4/443) to "
      "inside:10.0.0.5/51000 (5.6.7.8/51000)"},
     {"host.name", "vigil.parse_warning"}},
    {"<164>Oct 11 2024 22:14:15 asa1 : %ASA-4-106023: Deny tcp src outside:1.1.1.1/1 dst "
     "inside:2.2.2.2/22 by access-group \"out\"", NULL, 0,
     {"host.name=asa1", "event.code=ASA-4-106023", "log.syslog.severity.name=warning"},
     {"vigil.parse_warning"}},
    {"<187>2047: RP/0/RSP0/CPU0:Jun 13 10:22:38.120 : ifmgr[163]: %PKT_INFRA-LINK-3-UPDOWN : "
     "Interface GigabitEthernet0/0/0/0, changed state to Down", NULL, 0,
     {"event.sequence=2047", "@timestamp=2024-06-13T10:22:38.120Z",
      "event.code=PKT_INFRA-LINK-3-UPDOWN", "cisco.facility=PKT_INFRA-LINK",
      "process.name=ifmgr", "process.pid=163",
      "message=Interface GigabitEthernet0/0/0/0, changed state to Down"},
     {"host.name", "vigil.parse_warning"}},
    /* ---- NX-OS ---- */
    {"<46>: 2024 Aug 27 21:40:50 PDT: %SNMPD-6-INFO: SNMP agent started", NULL, 0,
     {"@timestamp=2024-08-28T04:40:50.000Z", "log.syslog.format=nxos", "log.syslog.timezone=PDT",
      "event.code=SNMPD-6-INFO", "message=SNMP agent started", "log.syslog.priority=46"},
     {"host.name", "event.sequence", "vigil.parse_warning"}},
    {"<189>: 2018 Apr 20 13:15:07 UTC: %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface Ethernet1/1 is "
     "down (Link failure)", NULL, 0,
     {"@timestamp=2018-04-20T13:15:07.000Z", "log.syslog.format=nxos",
      "cisco.mnemonic=IF_DOWN_LINK_FAILURE", "message=Interface Ethernet1/1 is down (Link failure)"},
     {"vigil.parse_warning"}},
    {"<189>: 2018 Apr 20 13:15:07: %ETHPORT-5-IF_UP: Interface Ethernet1/1 is up", NULL, 60,
     {"@timestamp=2018-04-20T12:15:07.000Z", "log.syslog.format=nxos"},
     {"log.syslog.timezone", "vigil.parse_warning"}},
    {"<187>2018 Apr 20 13:15:07.512 CEST nexus7k %ETH_PORT_CHANNEL-5-PORT_DOWN: port-channel10: "
     "Ethernet1/2 is down", NULL, 0,
     {"@timestamp=2018-04-20T11:15:07.512Z", "host.name=nexus7k", "log.syslog.format=nxos",
      "cisco.facility=ETH_PORT_CHANNEL", "message=port-channel10: Ethernet1/2 is down"},
     {"vigil.parse_warning"}},
    /* ---- Junos BSD ---- */
    {"<28>Oct 11 22:14:15 mx960-1 mib2d[1234]: SNMP_TRAP_LINK_DOWN: ifIndex 526, ifAdminStatus "
     "up(1), ifOperStatus down(2), ifName ge-0/0/0", NULL, 0,
     {"host.name=mx960-1", "process.name=mib2d", "process.pid=1234", "log.syslog.appname=mib2d",
      "log.syslog.procid=1234", "log.syslog.format=rfc3164",
      /* NOLINTNEXTLINE(bugprone-suspicious-missing-comma) */
      "message=SNMP_TRAP_LINK_DOWN: ifIndex 526, ifAdminStatus up(1), ifOperStatus down(2), "
      "ifName ge-0/0/0"},
     {"vigil.parse_warning", "event.code"}},
    {"<30>Oct 11 22:14:15 ex4300 chassisd[1500]: CHASSISD_SNMP_TRAP7: SNMP trap generated: Power "
     "Supply failed (jnxContentsContainerIndex 2)", NULL, 0,
     {"host.name=ex4300", "process.name=chassisd", "process.pid=1500"}, {"vigil.parse_warning"}},
    {"<190>Oct  2 01:02:03 srx-fw1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.1.1.1/1->"
     "10.2.2.2/22", NULL, 0,
     {"@timestamp=2024-10-02T01:02:03.000Z", "host.name=srx-fw1", "process.name=RT_FLOW",
      "message=RT_FLOW_SESSION_DENY: session denied 10.1.1.1/1->10.2.2.2/22"},
     {"process.pid", "vigil.parse_warning"}},
    /* ---- Huawei VRP, H3C Comware ---- */
    {"<187>Oct 12 2020 10:11:12 HUAWEI %%01IFNET/4/IF_STATE(l)[0]:Interface GigabitEthernet0/0/1 "
     "has turned into DOWN state.", NULL, 0,
     {"@timestamp=2020-10-12T10:11:12.000Z", "host.name=HUAWEI", "event.code=IFNET/4/IF_STATE",
      "vrp.module=IFNET", "vrp.severity=4", "vrp.brief=IF_STATE",
      "message=Interface GigabitEthernet0/0/1 has turned into DOWN state."},
     {"vigil.parse_warning", "log.syslog.timezone"}},
    {"<189>Sep 20 2013 16:38:56+08:00 Quidway %%01SHELL/5/CMDRECORD(s)[9]:Recorded command "
     "information. (Task=VT0, Ip=10.1.1.1, User=admin, Command=\"display current\")", NULL, 0,
     {"@timestamp=2013-09-20T08:38:56.000Z", "host.name=Quidway", "event.code=SHELL/5/CMDRECORD",
      "message=Recorded command information. (Task=VT0, Ip=10.1.1.1, User=admin, "
      "Command=\"display current\")"},
     {"vigil.parse_warning"}},
    {"<188>Oct 12 2020 10:11:12.345 UTC+08:00 CE6850 %%01BGP/3/STATE_CHG_UPDOWN(l)[12]:The status "
     "of the peer 10.1.1.2 changed from ESTABLISHED to IDLE.", NULL, 0,
     {"@timestamp=2020-10-12T02:11:12.345Z", "log.syslog.timezone=UTC+08:00",
      "host.name=CE6850", "vrp.severity=3"},
     {"vigil.parse_warning"}},
    {"<188>Jun  6 21:10:21:451 2013 H3C %%10IFNET/3/PHY_UPDOWN: Physical state on the interface "
     "GigabitEthernet1/0/1 changed to down.", NULL, 0,
     {"@timestamp=2013-06-06T21:10:21.451Z", "host.name=H3C", "event.code=IFNET/3/PHY_UPDOWN",
      "message=Physical state on the interface GigabitEthernet1/0/1 changed to down."},
     {"vigil.parse_warning"}},
    {"<190>Sep 12 13:55:42 2019 sw-h3c-01 %%10SHELL/6/SHELL_LOGIN: admin logged in from "
     "192.168.1.10.", NULL, 0,
     {"@timestamp=2019-09-12T13:55:42.000Z", "host.name=sw-h3c-01", "vrp.module=SHELL",
      "message=admin logged in from 192.168.1.10."},
     {"vigil.parse_warning"}},
    /* ---- Linux daemons ---- */
    {"<86>Oct 11 22:14:15 bastion sshd[1234]: Failed password for invalid user admin from "
     "203.0.113.5 port 52211 ssh2", NULL, 0,
     {"@timestamp=2024-10-11T22:14:15.000Z", "log.syslog.facility.name=authpriv",
      "log.syslog.severity.name=info", "host.name=bastion", "process.name=sshd",
      "process.pid=1234",
      "message=Failed password for invalid user admin from 203.0.113.5 port 52211 ssh2"},
     {"vigil.parse_warning", "event.original"}},
    {"<85>Oct 11 22:14:15 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
     "COMMAND=/bin/ls", NULL, 0,
     {"process.name=sudo", "host.name=web01",
      "message=alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls"},
     {"process.pid", "vigil.parse_warning"}},
    {"<4>Oct 11 22:14:15 web01 kernel: [123456.789012] e1000e: eth0 NIC Link is Down", NULL, 0,
     {"log.syslog.facility.name=kern", "log.syslog.severity.name=warning", "process.name=kernel",
      "message=[123456.789012] e1000e: eth0 NIC Link is Down"},
     {"vigil.parse_warning"}},
    {"<11>Oct  1 03:04:05 av1 clamd[999]: /tmp/eicar.com: Eicar-Test-Signature FOUND", NULL, 0,
     {"@timestamp=2024-10-01T03:04:05.000Z", "host.name=av1", "process.name=clamd",
      "process.pid=999", "message=/tmp/eicar.com: Eicar-Test-Signature FOUND"},
     {"vigil.parse_warning"}},
    {"<78>Oct 11 22:14:01 cron1 CRON[5555]: (root) CMD (run-parts /etc/cron.hourly)", NULL, 0,
     {"log.syslog.facility.name=cron", "process.name=CRON", "process.pid=5555"},
     {"vigil.parse_warning"}},
    {"<22>Oct 11 22:14:15 mail1 postfix/smtpd[1234]: connect from unknown[203.0.113.9]", NULL, 0,
     {"process.name=postfix/smtpd", "process.pid=1234", "host.name=mail1",
      "message=connect from unknown[203.0.113.9]"},
     {"vigil.parse_warning"}},
    {"<30>Oct 11 22:14:15 web01 systemd[1]: Started Session 5 of user alice.", NULL, 0,
     {"process.name=systemd", "process.pid=1", "log.syslog.facility.name=daemon"},
     {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 host prog[abc]: msg", NULL, 0,
     {"process.name=prog", "log.syslog.procid=abc"}, {"process.pid", "vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 2001:db8::1 prog[1]: v6 host", NULL, 0,
     {"host.name=2001:db8::1", "process.pid=1", "message=v6 host"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15  host   prog:  spaced", NULL, 0,
     {"host.name=host", "process.name=prog", "message=spaced"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 host just text without tag", NULL, 0,
     {"host.name=host", "message=just text without tag"},
     {"process.name", "vigil.parse_warning"}},
    /* ---- rsyslog forwarding (RFC 3339 in BSD lines) ---- */
    {"<13>2024-10-11T10:15:31.208-05:00 host prog: msg", NULL, 0,
     {"@timestamp=2024-10-11T15:15:31.208Z", "host.name=host", "process.name=prog", "message=msg",
      "log.syslog.format=rfc3164"},
     {"vigil.parse_warning", "log.syslog.version"}},
    {"<30>2024-10-11T10:15:31.208123+02:00 web01 systemd[1]: Started Session 5.", NULL, 0,
     {"@timestamp=2024-10-11T08:15:31.208Z", "host.name=web01", "process.pid=1"},
     {"vigil.parse_warning"}},
    {"<13>2024-10-11 10:15:31 host prog: spaced iso", NULL, 120,
     {"@timestamp=2024-10-11T08:15:31.000Z", "host.name=host"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 host prog: default zone", NULL, 120,
     {"@timestamp=2024-10-11T20:14:15.000Z"}, {"vigil.parse_warning", "log.syslog.timezone"}},
    /* ---- zone abbreviations in BSD lines ---- */
    {"<13>Oct 11 22:14:15 EST host prog: eastern", NULL, 0,
     {"@timestamp=2024-10-12T03:14:15.000Z", "log.syslog.timezone=EST", "host.name=host"},
     {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15.044 GMT host prog: ms and gmt", NULL, 0,
     {"@timestamp=2024-10-11T22:14:15.044Z", "log.syslog.timezone=GMT"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 JST host prog: tokyo", NULL, 0,
     {"@timestamp=2024-10-11T13:14:15.000Z"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 MEST host prog: summer", NULL, 0,
     {"@timestamp=2024-10-11T20:14:15.000Z"}, {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 CORE: not a zone", NULL, 0,
     {"process.name=CORE", "message=not a zone"}, {"log.syslog.timezone", "host.name"}},
    /* ---- missing hostname, missing PRI ---- */
    {"<13>Oct 11 22:14:15 su: 'su root' failed for lonvick on /dev/pts/8", NULL, 0,
     {"process.name=su", "message='su root' failed for lonvick on /dev/pts/8"},
     {"host.name", "vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 sshd[77]: Connection closed", NULL, 0,
     {"process.name=sshd", "process.pid=77"}, {"host.name", "vigil.parse_warning"}},
    {"Oct 11 22:14:15 host prog: no pri", NULL, 0,
     {"log.syslog.priority=13", "log.syslog.facility.name=user", "host.name=host",
      "@timestamp=2024-10-11T22:14:15.000Z", "vigil.parse_warning=missing PRI",
      "message=no pri"},
     {NULL}},
    {"just some text", NULL, 0,
     {"log.syslog.priority=13", "message=just some text",
      "vigil.parse_warning=missing PRI; missing timestamp",
      "@timestamp=2024-10-12T12:00:00.000Z"},
     {"host.name", "process.name"}},
    {"<13>su: 'su root' failed", NULL, 0,
     {"process.name=su", "message='su root' failed", "vigil.parse_warning=missing timestamp"},
     {"host.name"}},
    /* ---- relays ---- */
    {"<13>Oct 11 22:14:15 relay1 <189>Oct 11 22:14:14 r1 %LINK-3-UPDOWN: Interface Gi0/3, changed "
     "state to down", NULL, 0,
     {"log.syslog.relay=relay1", "log.syslog.priority=189", "host.name=r1",
      "@timestamp=2024-10-11T22:14:14.000Z", "event.code=LINK-3-UPDOWN",
      "message=Interface Gi0/3, changed state to down"},
     {"vigil.parse_warning"}},
    {"Oct 11 22:14:15 relayhost <34>Oct 11 22:14:10 mymachine su: 'su root' failed", NULL, 0,
     {"log.syslog.relay=relayhost", "log.syslog.priority=34", "host.name=mymachine",
      "@timestamp=2024-10-11T22:14:10.000Z", "process.name=su"},
     {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 relay1 <165>1 2003-10-11T22:14:15.003Z host app - - - inner 5424", NULL,
     0,
     {"log.syslog.relay=relay1", "log.syslog.format=rfc5424", "host.name=host",
      "message=inner 5424", "@timestamp=2003-10-11T22:14:15.003Z"},
     {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 relay2 Oct 11 22:14:12 dev1 sshd[5]: inner without pri", NULL, 0,
     {"log.syslog.relay=relay2", "host.name=dev1", "@timestamp=2024-10-11T22:14:12.000Z",
      "process.name=sshd", "message=inner without pri"},
     {"vigil.parse_warning"}},
    {"<13>Oct 11 22:14:15 <14>Oct 11 22:14:13 dev2 app: no relay name", NULL, 0,
     {"log.syslog.priority=14", "host.name=dev2", "message=no relay name"},
     {"log.syslog.relay", "vigil.parse_warning"}},
    /* ---- bad PRI ---- */
    {"<999>Oct 11 22:14:15 host prog: msg", NULL, 0,
     {"log.syslog.priority=13", "vigil.parse_warning=invalid PRI", "host.name=host",
      "message=msg", "@timestamp=2024-10-11T22:14:15.000Z"},
     {NULL}},
    {"<abc>Oct 11 22:14:15 host prog: msg", NULL, 0,
     {"log.syslog.priority=13", "vigil.parse_warning=invalid PRI", "host.name=host"}, {NULL}},
    {"<>hello", NULL, 0,
     {"log.syslog.priority=13", "message=hello",
      "vigil.parse_warning=invalid PRI; missing timestamp"},
     {NULL}},
    {"<0012>Oct 11 22:14:15 host prog: msg", NULL, 0,
     {"log.syslog.priority=13", "vigil.parse_warning=invalid PRI", "message=msg"}, {NULL}},
    {"<012>Oct 11 22:14:15 host prog: msg", NULL, 0,
     {"log.syslog.priority=12", "log.syslog.severity.name=warning"}, {"vigil.parse_warning"}},
    {"<192>Oct 11 22:14:15 host prog: msg", NULL, 0,
     {"log.syslog.priority=13", "vigil.parse_warning=invalid PRI"}, {NULL}},
    {"<1234567 unterminated", NULL, 0,
     {"log.syslog.priority=13", "message=<1234567 unterminated",
      "vigil.parse_warning=invalid PRI; missing timestamp"},
     {NULL}},
    /* ---- bad timestamps ---- */
    {"<13>Feb 30 12:00:00 host prog: msg", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "vigil.parse_warning=invalid timestamp",
      "host.name=host", "message=msg"},
     {NULL}},
    {"<13>Oct 11 25:14:15 host prog: msg", NULL, 0,
     {"@timestamp=2024-10-12T12:00:00.000Z", "vigil.parse_warning=invalid timestamp",
      "host.name=host", "process.name=prog"},
     {NULL}},
    {"<13>Oct 11 22:61:15 host prog: msg", NULL, 0,
     {"vigil.parse_warning=invalid timestamp"}, {NULL}},
    /* ---- year guess ---- */
    {"<13>Dec 31 23:59:59 host prog: last year", "2025-01-01T00:30:00Z", 0,
     {"@timestamp=2024-12-31T23:59:59.000Z"}, {"vigil.parse_warning"}},
    {"<13>Jan  1 23:59:00 host prog: today", "2024-01-01T00:00:00Z", 0,
     {"@timestamp=2024-01-01T23:59:00.000Z"}, {"vigil.parse_warning"}},
    {"<13>Feb 29 10:00:00 host prog: leap day", "2025-01-10T00:00:00Z", 0,
     {"@timestamp=2024-02-29T10:00:00.000Z"}, {"vigil.parse_warning"}},
    {"<13>Feb 29 10:00:00 host prog: no leap day", "2026-06-10T00:00:00Z", 0,
     {"vigil.parse_warning=invalid timestamp", "@timestamp=2026-06-10T00:00:00.000Z"}, {NULL}},
};
/* clang-format on */

static int64_t ms_of(const char *rfc3339)
{
    int64_t ms = 0;

    CU_ASSERT_EQUAL_FATAL(time_parse_rfc3339(rfc3339, strlen(rfc3339), &ms), 0);
    return ms;
}

/* Parse a copy of exactly len bytes, so that ASan sees any read past the end. */
static struct vg_event *parse_exact(const char *line, size_t len, const struct syslog_opts *o)
{
    struct vg_event *ev = event_new();
    char *copy = xmalloc(len > 0 ? len : 1);

    memcpy(copy, line, len);
    syslog_parse(copy, len, o, ev);
    free(copy);
    return ev;
}

static void dump(const char *line, const struct vg_event *ev)
{
    struct sbuf b = {0};

    event_to_json(ev, &b);
    fprintf(stderr, "  line: %s\n  event: %s\n", line, b.buf);
    sbuf_free(&b);
}

/* Check one row; returns the number of mismatches, each reported on stderr. */
static int check_row(const struct row *r)
{
    struct syslog_opts o = {ms_of(r->recv ? r->recv : RECV), r->tz_min, 0};
    struct vg_event *ev = parse_exact(r->line, strlen(r->line), &o);
    int bad = 0;
    size_t k;

    for (k = 0; k < MAX_WANT && r->want[k] != NULL; k++) {
        const char *eq = strchr(r->want[k], '=');
        struct vg_str v;

        if (eq == NULL) {
            CU_FAIL("a want entry without '='");
            continue;
        }
        v = event_getn(ev, r->want[k], (size_t)(eq - r->want[k]));
        if (v.ptr == NULL || v.len != strlen(eq + 1) || memcmp(v.ptr, eq + 1, v.len) != 0) {
            fprintf(stderr, "\nwant %s, got %s\n", r->want[k], v.ptr ? v.ptr : "(absent)");
            bad++;
        }
    }
    for (k = 0; k < MAX_GONE && r->gone[k] != NULL; k++) {
        struct vg_str v = event_get(ev, r->gone[k]);

        if (v.ptr != NULL) {
            fprintf(stderr, "\nwant %s absent, got %s\n", r->gone[k], v.ptr);
            bad++;
        }
    }
    if (bad) {
        dump(r->line, ev);
    }
    event_unref(ev);
    return bad;
}

static void test_table(void)
{
    size_t i;

    CU_ASSERT(ARRAY_SIZE(rows) >= 70);
    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        CU_ASSERT_EQUAL(check_row(&rows[i]), 0);
    }
}

static void test_names(void)
{
    CU_ASSERT_STRING_EQUAL(syslog_facility_name(0), "kern");
    CU_ASSERT_STRING_EQUAL(syslog_facility_name(4), "auth");
    CU_ASSERT_STRING_EQUAL(syslog_facility_name(23), "local7");
    CU_ASSERT_STRING_EQUAL(syslog_facility_name(24), "unknown");
    CU_ASSERT_STRING_EQUAL(syslog_facility_name(-1), "unknown");
    CU_ASSERT_STRING_EQUAL(syslog_severity_name(0), "emerg");
    CU_ASSERT_STRING_EQUAL(syslog_severity_name(3), "err");
    CU_ASSERT_STRING_EQUAL(syslog_severity_name(7), "debug");
    CU_ASSERT_STRING_EQUAL(syslog_severity_name(8), "unknown");
}

/* Trailing CR/LF/NUL go, embedded NULs stay, event.original only when asked. */
static void test_bytes_and_original(void)
{
    static const char line[] = "<13>Oct 11 22:14:15 host prog: a\0b\r\n";
    struct syslog_opts o = {ms_of(RECV), 0, 1};
    struct vg_event *ev = parse_exact(line, sizeof(line), &o);
    struct vg_str v = event_get(ev, "message");

    CU_ASSERT_EQUAL(v.len, 3);
    CU_ASSERT(v.ptr != NULL && memcmp(v.ptr, "a\0b", 3) == 0);
    v = event_get(ev, "event.original");
    CU_ASSERT_EQUAL(v.len, sizeof(line) - 3);
    CU_ASSERT(v.ptr != NULL && memcmp(v.ptr, line, v.len) == 0);
    CU_ASSERT_EQUAL(ev->ts_ms, ms_of("2024-10-11T22:14:15Z"));
    event_unref(ev);

    o.keep_original = 0;
    ev = parse_exact(line, sizeof(line), &o);
    CU_ASSERT_PTR_NULL(event_get(ev, "event.original").ptr);
    event_unref(ev);

    ev = parse_exact("", 0, &o);
    CU_ASSERT_PTR_NOT_NULL(event_get(ev, "@timestamp").ptr);
    CU_ASSERT_EQUAL(event_get(ev, "message").len, 0);
    event_unref(ev);
}

/* An RFC 5424 line whose header field pos (0 HOSTNAME .. 3 MSGID) has len bytes. */
static void limit_line(struct sbuf *b, int pos, size_t len)
{
    int f;

    sbuf_adds(b, "<14>1 2024-01-02T03:04:05Z");
    for (f = 0; f < 4; f++) {
        size_t k;

        sbuf_addc(b, ' ');
        for (k = 0; k < (f == pos ? len : 1); k++) {
            sbuf_addc(b, 'x');
        }
    }
    sbuf_adds(b, " - msg");
}

/* RFC 5424 field length limits: at the limit accepted, one more rejected. */
static void test_5424_limits(void)
{
    static const struct {
        const char *field; /* warning text naming the field */
        size_t max;        /* its limit */
    } lim[] = {{"HOSTNAME", 255}, {"APP-NAME", 48}, {"PROCID", 128}, {"MSGID", 32}};
    struct syslog_opts o = {ms_of(RECV), 0, 0};
    size_t i;

    for (i = 0; i < ARRAY_SIZE(lim); i++) {
        struct sbuf b = {0};
        struct vg_event *ev;
        struct vg_str w;

        limit_line(&b, (int)i, lim[i].max);
        ev = parse_exact(b.buf, b.len, &o);
        CU_ASSERT_PTR_NULL(event_get(ev, "vigil.parse_warning").ptr);
        CU_ASSERT_STRING_EQUAL(event_get(ev, "message").ptr, "msg");
        event_unref(ev);

        sbuf_reset(&b);
        limit_line(&b, (int)i, lim[i].max + 1);
        ev = parse_exact(b.buf, b.len, &o);
        w = event_get(ev, "vigil.parse_warning");
        CU_ASSERT(w.ptr != NULL && strstr(w.ptr, lim[i].field) != NULL);
        CU_ASSERT_PTR_NOT_NULL(event_get(ev, "message").ptr);
        event_unref(ev);
        sbuf_free(&b);
    }
}

/* xorshift64*: deterministic across platforms. */
static uint64_t rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

/* Every parse of any bytes must give a time and a message or the original. */
static void check_sane(const char *buf, size_t len, int keep, int *fails)
{
    struct syslog_opts o = {ms_of(RECV), 60, keep};
    struct vg_event *ev = parse_exact(buf, len, &o);
    struct vg_str ts = event_get(ev, "@timestamp");

    if (ts.ptr == NULL || ts.len != 24 ||
        (event_get(ev, "message").ptr == NULL && event_get(ev, "event.original").ptr == NULL) ||
        event_get(ev, "log.syslog.priority").ptr == NULL) {
        (*fails)++;
        dump("(hostile input)", ev);
    }
    event_unref(ev);
}

static const char specials[] = "<>:[]\"\\ -*.%=@0123456789TZ+\r\n\xEF\xBB\xBF";

/* One random edit of buf (len bytes, room for cap): overwrite, insert, truncate, duplicate. */
static void mutate(char *buf, size_t *len, size_t cap, uint64_t *st)
{
    size_t at = rnd(st) % *len;
    size_t n = rnd(st) % 16;

    switch (rnd(st) % 5) {
    case 0:
        buf[at] = (char)rnd(st);
        break;
    case 1:
        buf[at] = specials[rnd(st) % (sizeof(specials) - 1)];
        break;
    case 2:
        *len = at;
        break;
    case 3:
        if (*len < cap) {
            memmove(buf + at + 1, buf + at, *len - at);
            buf[at] = specials[rnd(st) % (sizeof(specials) - 1)];
            (*len)++;
        }
        break;
    default:
        if (*len + n <= cap && at + n <= *len) {
            memmove(buf + at + n, buf + at, *len - at);
            *len += n;
        }
        break;
    }
}

/* 20,000 random lines and mutated table lines. */
static void test_hostile(void)
{
    char buf[1024];
    uint64_t st = 0x9E3779B97F4A7C15ULL;
    int fails = 0;
    int iter;

    for (iter = 0; iter < 20000; iter++) {
        uint64_t r = rnd(&st);
        size_t len;

        if (r % 4 == 0) {
            size_t k;

            len = rnd(&st) % 300;
            for (k = 0; k < len; k++) {
                buf[k] = (char)rnd(&st);
            }
        } else {
            const char *base = rows[rnd(&st) % ARRAY_SIZE(rows)].line;
            int muts = 1 + (int)(rnd(&st) % 6);

            len = strlen(base);
            CU_ASSERT_FATAL(len < sizeof(buf));
            memcpy(buf, base, len + 1);
            while (muts-- > 0 && len > 0) {
                mutate(buf, &len, sizeof(buf) - 1, &st);
            }
        }
        check_sane(buf, len, (int)(r >> 8) & 1, &fails);
    }
    CU_ASSERT_EQUAL(fails, 0);
}

/* Fill buf[from..len) with the pattern pat of plen bytes, repeated. */
static void fill(char *buf, size_t from, size_t len, const char *pat, size_t plen)
{
    size_t k;

    for (k = from; k < len; k++) {
        buf[k] = pat[(k - from) % plen];
    }
}

/* 64 KiB of garbage, of header-looking bytes and of structured data, in one line each. */
static void test_large(void)
{
    static const char head[] = "<14>1 - - - - - ";
    static const char elem[] = "[a b=\"\\]\\\"\"]";
    static const char junk[] = "<1>: *[a=\"\\\0";
    size_t len = (size_t)64 * 1024;
    char *buf = xmalloc(len);
    uint64_t st = 42;
    int fails = 0;
    size_t k;

    for (k = 0; k < len; k++) {
        buf[k] = (char)rnd(&st);
    }
    check_sane(buf, len, 1, &fails);
    fill(buf, 0, len, junk, sizeof(junk) - 1);
    check_sane(buf, len, 0, &fails);
    fill(buf, 0, sizeof(head) - 1, head, sizeof(head) - 1);
    fill(buf, sizeof(head) - 1, len, elem, sizeof(elem) - 1);
    check_sane(buf, len, 0, &fails);
    CU_ASSERT_EQUAL(fails, 0);
    free(buf);
}

/* Every prefix of every table line parses to a sane event. */
static void test_prefixes(void)
{
    int fails = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        size_t len = strlen(rows[i].line);
        size_t k;

        for (k = 0; k <= len; k++) {
            check_sane(rows[i].line, k, (int)(k & 1), &fails);
        }
    }
    CU_ASSERT_EQUAL(fails, 0);
}

void suite_syslog(void)
{
    CU_pSuite s = CU_add_suite("syslog", NULL, NULL);

    CU_add_test(s, "table", test_table);
    CU_add_test(s, "names", test_names);
    CU_add_test(s, "bytes_and_original", test_bytes_and_original);
    CU_add_test(s, "5424_limits", test_5424_limits);
    CU_add_test(s, "hostile", test_hostile);
    CU_add_test(s, "large", test_large);
    CU_add_test(s, "prefixes", test_prefixes);
}
