#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""integration.hacker_hostile: replay checks of the hacker_attack class that need two
correlation batches (a batch holds at most 512 jobs) or bytes a rule file's tests cannot
hold: a serious key stays serious across batches, a key with a NUL byte keeps contexts of its
own, values that are not UTF-8 or carry C1 controls still open their incident, and long
values leave the findings' target host and the step notes whole.
Usage: hacker_hostile.py VIGILD RULES_DIR NORMALIZE_DIR [PLUGIN_DIR]"""
import atexit, json, os, shutil, subprocess, sys, tempfile
vigild, rules, norm = sys.argv[1:4]
plugdir = sys.argv[4] if len(sys.argv) > 4 else None
tmp = tempfile.mkdtemp(prefix="vg_ha.")
atexit.register(shutil.rmtree, tmp, True)
# Only the hacker rules (the shipped file without its tests).
os.makedirs(tmp + "/rules")
d = json.load(open(os.path.join(rules, "hacker_attack.json")))
d["tests"] = []
json.dump(d, open(tmp + "/rules/hacker_attack.json", "w"))
inv = {"devices": [{"name": "sw-" + "b/" * 200, "addresses": ["10.0.1.99"], "role": "access-switch",
                    "site": "HQ", "criticality": "medium"}],
       "hosts": [{"name": "h" * 300, "addresses": ["10.1.2.99"], "switch": "sw-" + "b/" * 200,
                  "port": "Gi1/0/" + "9" * 200, "role": "app", "criticality": "medium"}]}
json.dump(inv, open(tmp + "/inv.json", "w"))

def replay(lines, inventory=False):
    path = tmp + "/in.log"
    with open(path, "wb") as f:
        for l in lines:
            f.write((l if isinstance(l, bytes) else l.encode()) + b"\n")
    cmd = [vigild, "--replay", path, "--rules", tmp + "/rules", "--normalize", norm, "--year", "2026"]
    if inventory:
        cmd += ["--inventory", tmp + "/inv.json"]
    if plugdir:
        cmd += ["--plugins", plugdir]
    p = subprocess.run(cmd, capture_output=True)
    recs = [json.loads(l) for l in p.stdout.decode().split("\n") if l.startswith("{")]
    stats = json.loads(p.stderr.decode().split("replay done: ")[1].splitlines()[0])
    return recs, stats

def pad(n):  # logins of sources without failures: one job each, no incident
    return ["<38>Mar  3 10:20:%02d web01 sshd[9]: Accepted publickey for b from 10.30.%d.%d port 1 ssh2"
            % (i % 60, i // 250, i % 250) for i in range(n)]

def ev(ts, action, **kw):
    e = {"@timestamp": ts, "event": {"kind": "event", "action": action}}
    for k, v in kw.items():
        parts = k.split("__"); x = e
        for p in parts[:-1]:
            x = x.setdefault(p, {})
        x[parts[-1]] = v
    return json.dumps(e)

fails = 0
def check(name, ok, detail):
    global fails
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    fails += 0 if ok else 1

# 2: serious key, a later failure in the next batch must not bring back the hour of quiet.
recs, st = replay(["<38>Mar  3 10:12:0%d web01 sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2" % i
                   for i in range(1, 6)]
                  + ["<38>Mar  3 10:14:44 web01 sshd[2]: Accepted password for root from 203.0.113.7 port 2 ssh2"]
                  + pad(520)
                  + ["<38>Mar  3 10:34:00 web01 sshd[3]: Failed password for root from 203.0.113.7 port 3 ssh2",
                     "<38>Mar  3 13:40:00 web01 sshd[4]: Accepted publickey for b from 10.20.0.4 port 4 ssh2"])
tr = [r["transition"] for r in recs if r["incident"]["key"].get("source.ip") == "203.0.113.7"]
check("serious key stays open across batches", tr == ["open", "escalate"], str(tr))

# 4: NUL in the key, the real key in the next batch.
recs, st = replay([ev("2026-03-03T12:30:00.000Z", "ids.alert", source__ip="203.0.113.99",
                      destination__ip="192.0.2.80\u0000x", rule__name="A", event__severity=8)]
                  + pad(520)
                  + [ev("2026-03-03T12:31:00.000Z", "ids.alert", source__ip="203.0.113.99",
                        destination__ip="192.0.2.80", rule__name="B", event__severity=5)])
sev = [(r["incident"]["key"]["destination.ip"], r["incident"]["severity"]) for r in recs]
check("a NUL key does not make the real key serious",
      sev == [("192.0.2.80\u0000x", "critical"), ("192.0.2.80", "high")], str(sev))

# 1: invalid UTF-8 in a Cisco config user; control characters in an IDS signature.
recs, st = replay([b"<189>2232: r1-core: Mar  3 10:25:00.123 UTC: %SYS-5-CONFIG_I: Configured from console by adm\xffin on vty1 (198.51.100.40)"])
check("a user that is not UTF-8 opens its incident", st["rule_errors"] == 0 and st["opened"] == 1,
      "rule_errors %d opened %d" % (st["rule_errors"], st["opened"]))
recs, st = replay([ev("2026-03-03T12:31:00.000Z", "ids.alert", source__ip="203.0.113.98",
                      destination__ip="192.0.2.81", rule__name="x\u0085\u2028\ty" * 30, user__name="\u00e9" * 200,
                      event__severity=5)])
check("C1 controls and separators in a signature open its incident", st["rule_errors"] == 0 and st["opened"] == 1,
      "rule_errors %d opened %d" % (st["rule_errors"], st["opened"]))

# 6: long values against an inventory host with a switch port: findings keep target_host.
recs, st = replay([ev("2026-03-03T12:31:00.000Z", "ids.alert", source__ip="/" * 255,
                      destination__ip="10.1.2.99", destination__port="/" * 255, rule__name="/" * 255,
                      rule__id="/" * 255, user__name="/" * 255, event__severity=5)], inventory=True)
f = recs[0]["incident"].get("findings", {}) if recs else {}
notes = [s.get("note", "") for s in recs[0]["incident"].get("playbook", [])] if recs else []
check("findings keep target_host, switch and port; notes <= 512",
      st["rule_errors"] == 0 and f.get("target_host") == "h" * 300 and f.get("switch") == "sw-" + "b/" * 200
      and f.get("port") == "Gi1/0/" + "9" * 200 and all(len(n.encode()) <= 512 for n in notes),
      "rule_errors %d findings %s" % (st["rule_errors"], json.dumps(f)[:200]))
sys.exit(1 if fails else 0)
