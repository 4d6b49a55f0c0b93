/* SPDX-License-Identifier: MIT */
/*
 * vigilctl: the operator's and rule author's tool. parse prints the
 * normalized event of each line; rule lint loads rules, plugins and templates
 * exactly as vigild does and reports every error; incidents and stats read
 * what a running vigild keeps in Redis; report writes the risk review of a
 * period from it and check the preparedness of an inventory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syslog.h> /* not <syslog.h>: core/src/syslog.h shadows it */

#include <vigil/version.h>

#include "build.h"
#include "config.h"
#include "engine.h"
#include "event.h"
#include "incident.h"
#include "input.h"
#include "inventory.h"
#include "normalize.h"
#include "report.h"
#include "ruletest.h"
#include "session.h"
#include "store.h"
#include "trap.h"
#include "traphandle.h"

/* Longest input line kept by parse (the rest is cut and vigil.truncated set). */
#define PARSE_LINE_MAX (256 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigilctl [-c FILE] [--redis URL] COMMAND ...\n"
            "\n"
            "  parse [--unmatched|--summary] [--normalize PATH]... FILE|-\n"
            "        print the normalized JSON event of each line (--unmatched: only lines no\n"
            "        template matched; --summary: no events, the count of lines per\n"
            "        event.action and of unmatched lines)\n"
            "  rule lint [--rules PATH]... [--plugins DIR]... [--normalize PATH]... [PATH...]\n"
            "        load rules, plugins and templates as vigild does, report every error and\n"
            "        check every template's samples\n"
            "  rule test [--year YYYY] RULEFILE LOGFILE|-\n"
            "        replay a log through the rules of RULEFILE alone, in event time, on a\n"
            "        throw-away private Redis, without actions; print the incident records\n"
            "  incidents list [--limit N] [--brief]\n"
            "                                 open incidents, newest first, one JSON per line\n"
            "                                 (--brief: a table)\n"
            "  incidents show ID              one incident with its events and history\n"
            "  incidents ack|resolve|close ID [--by NAME] [TEXT...]\n"
            "                                 acknowledge / resolve (it closes after the rule's\n"
            "                                 hold-down) / close (the next event of its key\n"
            "                                 opens a new incident); recorded in the history\n"
            "  incidents note ID [--by NAME] TEXT...   add a note to the history\n"
            "  stats                          counters of the running vigild instances\n"
            "  report [--from TIME] [--to TIME] [--format md|json] [--top N]\n"
            "        the risk review (procedure 5.1) of the incidents first seen in\n"
            "        [--from, --to): by class and severity, times to acknowledge and resolve,\n"
            "        top devices and sources, action success rates, steps still open,\n"
            "        incidents under 5.3 (see vigilctl report --help)\n"
            "  check [--inventory FILE] [--format md|json]\n"
            "        preparedness (5.2.3.1, 5.2.4.1, 5.2.6.1): database pairs without a standby\n"
            "        or promote/check commands, devices without a spare of their model,\n"
            "        systems without a backup schedule, circuits without a carrier contact;\n"
            "        exit status 0 when nothing is missing, 1 otherwise\n"
            "  trap-handle [--target ADDR] [--community C]\n"
            "        an snmptrapd traphandle: read one trap from stdin (snmptrapd's handler\n"
            "        input) and send it to vigild's trap port as SNMPv2c with\n"
            "        snmpTrapAddress.0 set to the original agent (default target\n"
            "        udp:127.0.0.1:1162, community public); MIBs from the config's snmp\n"
            "        section; failures go to stderr and syslog\n"
            "\n"
            "  -c, --config FILE   vigild's config (for Redis, rules and templates)\n"
            "      --redis URL     Redis of the vigild to ask (default: the embedded one)\n"
            "      --prefix P      Redis key prefix (default vigil:)\n"
            "      --state-dir D   state directory of the embedded Redis\n"
            "  -h, --help          this text\n"
            "  -V, --version       print the version\n");
}

struct ctl {
    struct vg_config c;    /* configuration */
    int replaced_rules;    /* --rules given */
    int replaced_norm;     /* --normalize given */
    int replaced_plug;     /* --plugins given */
    int unmatched;         /* parse --unmatched */
    int summary;           /* parse --summary */
    int brief;             /* incidents list --brief */
    int year;              /* rule test --year */
    int run_tests;         /* rule lint --test */
    const char *by;        /* incidents ack/note/close --by */
    const char *target;    /* trap-handle --target */
    const char *community; /* trap-handle --community */
    long limit;            /* incidents list --limit */
    const char *from;      /* report --from */
    const char *to;        /* report --to */
    const char *format;    /* report and check --format */
    const char *inventory; /* check --inventory */
    long top;              /* report --top */
};

enum {
    OPT_REDIS = 256,
    OPT_PREFIX,
    OPT_STATE,
    OPT_RULES,
    OPT_NORM,
    OPT_PLUG,
    OPT_UNM,
    OPT_LIMIT,
    OPT_BRIEF,
    OPT_YEAR,
    OPT_TEST,
    OPT_BY,
    OPT_TARGET,
    OPT_SUMMARY,
    OPT_COMMUNITY,
    OPT_FROM,
    OPT_TO,
    OPT_FORMAT,
    OPT_TOP,
    OPT_INVENTORY,
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"state-dir", required_argument, NULL, OPT_STATE},
    {"rules", required_argument, NULL, OPT_RULES},
    {"normalize", required_argument, NULL, OPT_NORM},
    {"plugins", required_argument, NULL, OPT_PLUG},
    {"unmatched", no_argument, NULL, OPT_UNM},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"brief", no_argument, NULL, OPT_BRIEF},
    {"year", required_argument, NULL, OPT_YEAR},
    {"test", no_argument, NULL, OPT_TEST},
    {"by", required_argument, NULL, OPT_BY},
    {"target", required_argument, NULL, OPT_TARGET},
    {"community", required_argument, NULL, OPT_COMMUNITY},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"top", required_argument, NULL, OPT_TOP},
    {"inventory", required_argument, NULL, OPT_INVENTORY},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void print_diag(const struct diag *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        fprintf(stderr, "%s\n", d->msgs[i]);
    }
}

/* parse --summary: lines per event.action, in an open-addressed table. */
#define SUMMARY_SLOTS 1024

struct action_count {
    char *action; /* event.action, or NULL for a free slot */
    size_t count; /* lines that got it */
};

static void summary_add(struct action_count *tab, size_t *n_used, struct vg_str a)
{
    size_t i = hash_fnv1a(a.ptr, a.len) & (SUMMARY_SLOTS - 1);

    while (tab[i].action != NULL) {
        if (strlen(tab[i].action) == a.len && memcmp(tab[i].action, a.ptr, a.len) == 0) {
            tab[i].count++;
            return;
        }
        i = (i + 1) & (SUMMARY_SLOTS - 1);
    }
    if (*n_used + 1 >= SUMMARY_SLOTS) {
        return; /* more distinct actions than slots: counted in the total only */
    }
    tab[i].action = xstrndup(a.ptr, a.len);
    tab[i].count = 1;
    (*n_used)++;
}

static int by_count(const void *a, const void *b)
{
    const struct action_count *x = a;
    const struct action_count *y = b;

    if (x->count != y->count) {
        return x->count < y->count ? 1 : -1;
    }
    return strcmp(x->action, y->action);
}

/* Print the summary table and free its names. */
static void summary_print(struct action_count *tab, size_t lines, size_t matched)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < SUMMARY_SLOTS; i++) {
        if (tab[i].action != NULL) {
            tab[n++] = tab[i];
        }
    }
    qsort(tab, n, sizeof(*tab), by_count);
    printf("%zu lines, %zu with an event.action (%.1f%%), %zu unmatched\n", lines, matched,
           lines > 0 ? 100.0 * (double)matched / (double)lines : 0.0, lines - matched);
    for (i = 0; i < n; i++) {
        printf("%10zu  %s\n", tab[i].count, tab[i].action);
        free(tab[i].action);
    }
}

static int cmd_parse(struct ctl *x, const char *path)
{
    struct action_count *tab = x->summary ? xcalloc(SUMMARY_SLOTS, sizeof(*tab)) : NULL;
    size_t n_used = 0;
    size_t lines = 0;
    size_t matched = 0;
    struct build_opts bo = {.default_tz_min = x->c.default_tz_min};
    struct diag diag = {0};
    struct normalizer *nz;
    struct sbuf out = {0};
    struct line_reader lr;
    FILE *f;
    const char *line;
    size_t n;
    int truncated;
    int r;
    int n_err;

    nz = normalize_load((const char *const *)x->c.normalize.v, x->c.normalize.n, &diag, &n_err);
    if (n_err > 0) {
        print_diag(&diag);
        fprintf(stderr, "vigilctl: %d error(s) in the templates\n", n_err);
        normalize_free(nz);
        diag_free(&diag);
        return 2;
    }
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "vigilctl: cannot open %s: %s\n", path, strerror(errno));
        normalize_free(nz);
        return 2;
    }
    line_reader_init(&lr, f, PARSE_LINE_MAX);
    while ((r = line_reader_next(&lr, &line, &n, &truncated)) == 1) {
        unsigned flags;
        struct vg_event *ev;

        if (n == 0) {
            continue;
        }
        ev = build_event(nz, &bo, line, n, time_now_ms(), NULL, RAW_FILE, truncated, &flags);
        lines++;
        if (tab != NULL) {
            struct vg_str a = event_get(ev, "event.action");

            if (a.ptr != NULL) {
                matched++;
                summary_add(tab, &n_used, a);
            }
        } else if (!x->unmatched || !(flags & BUILD_NORMALIZED)) {
            event_to_json(ev, &out);
            sbuf_addc(&out, '\n');
        }
        event_unref(ev);
        if (out.len > 65536) {
            fwrite(out.buf, 1, out.len, stdout);
            sbuf_reset(&out);
        }
    }
    if (out.len > 0) {
        fwrite(out.buf, 1, out.len, stdout);
    }
    sbuf_free(&out);
    if (tab != NULL) {
        summary_print(tab, lines, matched);
        free(tab);
    }
    if (r < 0) {
        fprintf(stderr, "vigilctl: error reading %s: %s\n", path, strerror(errno));
    }
    line_reader_free(&lr);
    if (f != stdin) {
        fclose(f);
    }
    normalize_free(nz);
    diag_free(&diag);
    return r < 0 ? 1 : 0;
}

/* lint --test: run every test case of the rule files; returns the number that failed. */
static int run_rule_tests(struct ctl *x)
{
    struct ruleset rs = {0};
    struct diag diag = {0};
    size_t i;
    int failed = 0;

    ruleset_load((const char *const *)x->c.rules.v, x->c.rules.n, &rs, &diag);
    diag_free(&diag);
    for (i = 0; i < rs.n_tests; i++) {
        const struct rule_test *t = &rs.tests[i];

        if (ruletest_run(&x->c, t, &diag) == 0) {
            printf("test %s: %s: ok\n", t->file, t->name);
        } else {
            printf("test %s: %s: FAILED\n", t->file, t->name);
            failed++;
        }
        print_diag(&diag);
        diag_free(&diag);
    }
    printf("%zu rule test(s) run, %d failed\n", rs.n_tests, failed);
    ruleset_free(&rs);
    return failed;
}

static int cmd_lint(struct ctl *x, int argc, char **argv)
{
    struct engine_cfg ec = {0};
    struct diag diag = {0};
    struct engine *eng;
    size_t n_samples = 0;
    int failed;
    int i;

    for (i = 0; i < argc; i++) {
        strvec_set(&x->c.rules, argv[i], &x->replaced_rules);
    }
    ec.rule_paths = (const char *const *)x->c.rules.v;
    ec.n_rule_paths = x->c.rules.n;
    ec.normalize_paths = (const char *const *)x->c.normalize.v;
    ec.n_normalize_paths = x->c.normalize.n;
    ec.plugin_dirs = (const char *const *)x->c.plugin_dirs.v;
    ec.n_plugin_dirs = x->c.plugin_dirs.n;
    ec.offline = 1; /* linting never talks to Redis */
    eng = engine_new(&ec, &diag);
    if (eng == NULL) {
        print_diag(&diag);
        fprintf(stderr, "vigilctl: %zu error(s)\n", diag.n);
        diag_free(&diag);
        return 1;
    }
    failed = engine_check_samples(eng, &diag, &n_samples);
    print_diag(&diag);
    printf("%zu rule(s) OK; %zu template sample(s) checked, %d failed\n", engine_n_rules(eng),
           n_samples, failed);
    engine_free(eng);
    diag_free(&diag);
    if (x->run_tests) {
        failed += run_rule_tests(x);
    }
    return failed > 0 ? 1 : 0;
}

/*
 * rule test RULEFILE LOGFILE: replay LOGFILE in event time through the rules of
 * RULEFILE alone (with the normalize templates), on a throw-away private Redis,
 * without actions, and print the lifecycle records.
 */
static int cmd_rule_test(struct ctl *x, int argc, char **argv)
{
    struct session_opts so = {.prog = "vigilctl", .replay = 1, .year = x->year};
    struct session ses;
    int replaced = 0;
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: vigilctl rule test [--year YYYY] RULEFILE LOGFILE|-\n");
        return 2;
    }
    strvec_set(&x->c.rules, argv[0], &replaced);
    free(x->c.redis_url);
    x->c.redis_url = NULL; /* always a private, throw-away Redis */
    if (session_open(&ses, &x->c, &so) == 0) {
        rc = session_replay(&ses, argv[1]) == 0 ? 0 : 1;
    }
    session_close(&ses);
    return rc;
}

static struct store *connect_redis(struct ctl *x)
{
    char err[512];
    char *url = x->c.redis_url ? xstrdup(x->c.redis_url) : config_embedded_url(x->c.state_dir);
    struct store *st = store_open(url, 2000, err, sizeof(err));

    if (st == NULL) {
        fprintf(stderr, "vigilctl: %s\n", err);
    } else if (!store_ok(st)) {
        fprintf(stderr, "vigilctl: cannot reach Redis at %s: %s\n", url, store_error(st));
        store_close(st);
        st = NULL;
    }
    free(url);
    return st;
}

/* Turn JSON lines of incidents into a table a person reads at a glance. */
static void brief(struct sbuf *out)
{
    struct sbuf t = {0};
    char *line = out->buf;

    sbuf_printf(&t, "%-20s %-8s %6s  %-24s %s\n", "ID", "SEVERITY", "COUNT", "LAST SEEN", "TITLE");
    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        char err[128];
        struct vg_event *ev;

        if (nl != NULL) {
            *nl = '\0';
        }
        ev = event_from_json(line, strlen(line), err, sizeof(err));
        if (ev != NULL) {
            struct vg_str id = event_get(ev, "id");
            struct vg_str sev = event_get(ev, "severity");
            struct vg_str cnt = event_get(ev, "count");
            struct vg_str last = event_get(ev, "last_seen");
            struct vg_str title = event_get(ev, "title");

            sbuf_printf(&t, "%-20s %-8s %6s  %-24s %s\n", id.ptr ? id.ptr : "-",
                        sev.ptr ? sev.ptr : "-", cnt.ptr ? cnt.ptr : "-", last.ptr ? last.ptr : "-",
                        title.ptr ? title.ptr : "");
            event_unref(ev);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    sbuf_free(out);
    *out = t;
}

/* incidents ack|note|resolve|close ID [TEXT...]: an operator's action, recorded with --by. */
static int cmd_operate(struct ctl *x, struct store *st, int argc, char **argv)
{
    const char *by = x->by;
    struct sbuf text = {0};
    int i;
    int rc;

    if (by == NULL) {
        by = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");
    }
    for (i = 2; i < argc; i++) {
        if (i > 2) {
            sbuf_addc(&text, ' ');
        }
        sbuf_adds(&text, argv[i]);
    }
    if (strcmp(argv[0], "note") == 0 && text.len == 0) {
        fprintf(stderr, "usage: vigilctl incidents note ID TEXT...\n");
        return 2;
    }
    rc = incident_operate(st, x->c.prefix, argv[1], argv[0], by ? by : "operator",
                          text.len > 0 ? text.buf : NULL, time_now_ms());
    sbuf_free(&text);
    if (rc == VG_ENOENT) {
        fprintf(stderr, "vigilctl: no incident %s\n", argv[1]);
    } else if (rc == VG_EINVAL) {
        fprintf(stderr, "vigilctl: incident %s is closed; only a note can be added\n", argv[1]);
    } else if (rc != VG_OK) {
        fprintf(stderr, "vigilctl: Redis failed: %s\n", store_error(st));
    } else {
        printf("incident %s: %s recorded\n", argv[1], argv[0]);
    }
    return rc == VG_OK ? 0 : 1;
}

static int cmd_incidents(struct ctl *x, int argc, char **argv)
{
    static const char *const ops[] = {"ack", "note", "resolve", "close"};
    struct sbuf out = {0};
    struct store *st;
    size_t i;
    int is_op = 0;
    int rc;

    for (i = 0; argc >= 2 && i < ARRAY_SIZE(ops); i++) {
        is_op |= strcmp(argv[0], ops[i]) == 0;
    }
    if (!is_op && (argc < 1 || (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "show") != 0) ||
                   (strcmp(argv[0], "show") == 0 && argc != 2))) {
        fprintf(stderr, "usage: vigilctl incidents list [--limit N] [--brief] | show ID |\n"
                        "       ack ID [TEXT...] | note ID TEXT... | resolve ID [TEXT...] |\n"
                        "       close ID [TEXT...]\n");
        return 2;
    }
    st = connect_redis(x);
    if (st == NULL) {
        return 1;
    }
    if (is_op) {
        rc = cmd_operate(x, st, argc, argv);
        store_close(st);
        return rc;
    }
    if (strcmp(argv[0], "list") == 0) {
        rc = incident_list(st, x->c.prefix, (size_t)x->limit, &out);
        if (rc == VG_OK && x->brief) {
            brief(&out);
        }
    } else {
        rc = incident_show(st, x->c.prefix, argv[1], &out);
        sbuf_addc(&out, '\n');
    }
    if (rc == VG_ENOENT) {
        fprintf(stderr, "vigilctl: no incident %s\n", argv[1]);
    } else if (rc != VG_OK) {
        fprintf(stderr, "vigilctl: Redis failed: %s\n", store_error(st));
    } else {
        fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
    }
    sbuf_free(&out);
    store_close(st);
    return rc == VG_OK ? 0 : 1;
}

/* A trap-handle failure: stderr, and syslog, since snmptrapd drops a handler's output. */
static int trap_handle_fail(const char *why)
{
    fprintf(stderr, "vigilctl trap-handle: %s; trap dropped\n", why);
    openlog("vigilctl-trap-handle", LOG_PID, LOG_DAEMON);
    syslog(LOG_ERR, "%s; trap dropped", why);
    closelog();
    return 1;
}

/*
 * trap-handle: snmptrapd's handler input on stdin back into a trap for
 * vigild's receiver (see traphandle.h), so policy, MIBs and templates are the
 * receiver's.
 */
static int cmd_trap_handle(struct ctl *x, int argc)
{
    struct snmp_trap_cfg sc;
    const char *listen[CONFIG_MAX_PATHS];
    struct trap_mib_cfg mc;
    struct th_trap t;
    char *buf = xmalloc(TH_INPUT_MAX + 1);
    size_t len = 0;
    size_t got;
    char err[512];
    int rc = 1;

    if (argc != 0) {
        free(buf);
        fprintf(stderr, "usage: vigilctl trap-handle [--target ADDR] [--community C]\n");
        return 1;
    }
    while (len < TH_INPUT_MAX && (got = fread(buf + len, 1, TH_INPUT_MAX - len, stdin)) > 0) {
        len += got;
    }
    if (len == TH_INPUT_MAX && fgetc(stdin) != EOF) {
        free(buf);
        return trap_handle_fail("handler input over 65536 bytes (TH_INPUT_MAX)");
    }
    buf[len] = '\0';
    if (traphandle_parse(buf, len, &t, err, sizeof(err)) != 0) {
        free(buf);
        return trap_handle_fail(err);
    }
    free(buf);
    config_snmp_trap_cfg(&x->c, &sc, listen);
    memset(&mc, 0, sizeof(mc));
    mc.vigil_dir = sc.vigil_mib_dir;
    mc.dirs = sc.mib_dirs;
    mc.n_dirs = sc.n_mib_dirs;
    trap_library_init(&mc);
    if (traphandle_send(&t, x->target != NULL ? x->target : "udp:127.0.0.1:1162",
                        x->community != NULL ? x->community : "public", err, sizeof(err)) != 0) {
        trap_handle_fail(err);
    } else {
        rc = 0;
        if (t.agent_ip != NULL && strchr(t.agent_ip, ':') != NULL) {
            /* snmpTrapAddress.0 holds IPv4 only: said, so merged devices are explained. */
            fprintf(stderr,
                    "vigilctl trap-handle: agent %s is IPv6; snmpTrapAddress.0 cannot carry it, "
                    "so vigild names this host as the agent (use forward mode for IPv6 agents)\n",
                    t.agent_ip);
            openlog("vigilctl-trap-handle", LOG_PID, LOG_DAEMON);
            syslog(LOG_WARNING, "agent %s is IPv6: sent without its address", t.agent_ip);
            closelog();
        }
    }
    trap_library_shutdown();
    traphandle_free(&t);
    return rc;
}

static int cmd_stats(struct ctl *x)
{
    struct store *st = connect_redis(x);
    char *match;
    redisReply *keys;
    size_t i;

    if (st == NULL) {
        return 1;
    }
    match = xasprintf("%sstats:*", x->c.prefix);
    {
        const char *a[] = {"KEYS", match};

        keys = store_cmd(st, 2, a, NULL);
    }
    for (i = 0; keys != NULL && keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++) {
        const char *a[] = {"GET", keys->element[i]->str};
        redisReply *v = store_cmd(st, 2, a, NULL);

        if (v != NULL && v->type == REDIS_REPLY_STRING) {
            printf("{\"instance\":\"%s\",\"stats\":%s}\n",
                   keys->element[i]->str + strlen(x->c.prefix) + 6, v->str);
        }
        if (v != NULL) {
            freeReplyObject(v);
        }
    }
    if (keys == NULL || keys->elements == 0) {
        fprintf(stderr, "vigilctl: no running vigild has published stats under %s\n", x->c.prefix);
    }
    if (keys != NULL) {
        freeReplyObject(keys);
    }
    free(match);
    store_close(st);
    return 0;
}

static const char report_help[] =
    "usage: vigilctl [--redis URL] [--prefix P] report [--from TIME] [--to TIME]\n"
    "                [--format md|json] [--top N]\n"
    "\n"
    "The input of the periodic risk review (procedure 5.1): every incident first seen in\n"
    "[--from, --to), found through the record stream and the open index of the Redis vigild\n"
    "uses, with\n"
    "  - the incidents by class and severity (and by status),\n"
    "  - time to acknowledge (the first 'vigilctl incidents ack') and to resolve (its\n"
    "    recovery, or an operator's resolve or close), from the first event,\n"
    "  - the top devices (host.name) and sources (source.ip, and the sources a class plugin\n"
    "    recorded in the findings),\n"
    "  - action success rates per action plugin (ok, failed, timeout, skipped),\n"
    "  - the playbook steps still open (pending, or failed and handed to a person),\n"
    "  - the incidents under 5.3 (a registered product's host).\n"
    "\n"
    "  --from TIME      start of the period (default: 30 days before --to)\n"
    "  --to TIME       end of the period, not included (default: now)\n"
    "                  TIME: RFC 3339 (2026-03-01T08:00:00Z), a date (2026-03-01, midnight\n"
    "                  UTC), now, or a duration before now (30d, 12h)\n"
    "  --format F      md (Markdown, default) or json (docs/operations.md has its shape)\n"
    "  --top N         devices and sources listed (default 10)\n"
    "Exit status 0, 1 when Redis cannot be read, 2 on a usage error.\n";

static const char check_help[] =
    "usage: vigilctl check [--inventory FILE] [--format md|json]\n"
    "\n"
    "The preparedness check of an inventory (schemas/inventory.schema.json):\n"
    "  - database pairs without a standby, a promote or a check command (5.2.4.1, 5.2.4.2),\n"
    "  - devices with no spare of their model in stock (spares with count > 0; 5.2.6.1),\n"
    "  - systems without a backup schedule (backup.interval): hosts, devices whose role names\n"
    "    a server, database pairs (5.2.3.1, 5.2.4.1),\n"
    "  - circuits without a carrier contact (phone, e-mail, URL or API; 5.2.5.4).\n"
    "\n"
    "  --inventory FILE the inventory (default: the one of the config given with -c)\n"
    "  --format F       md (Markdown, default) or json (docs/operations.md has its shape)\n"
    "Exit status 0 when nothing is missing, 1 when something is, 2 when the inventory\n"
    "cannot be loaded or on a usage error.\n";

/* --format md|json: REPORT_MD or REPORT_JSON, or -1 with a message. */
static int report_format(const struct ctl *x)
{
    if (x->format == NULL || strcmp(x->format, "md") == 0) {
        return REPORT_MD;
    }
    if (strcmp(x->format, "json") == 0) {
        return REPORT_JSON;
    }
    fprintf(stderr, "vigilctl: --format must be md or json, not \"%s\"\n", x->format);
    return -1;
}

/* report: the risk review of the incidents first seen in [--from, --to). */
static int cmd_report(struct ctl *x, int argc)
{
    struct report_opts o = {.now_ms = time_now_ms(), .top = (size_t)x->top};
    struct report *r = NULL;
    struct sbuf out = {0};
    struct store *st;
    int format = report_format(x);
    int rc;

    if (format < 0) {
        return 2;
    }
    if (argc != 0) {
        fputs(report_help, stderr);
        return 2;
    }
    o.to_ms = o.now_ms;
    if (x->to != NULL && report_parse_time(x->to, o.now_ms, &o.to_ms) != 0) {
        fprintf(stderr, "vigilctl: --to \"%s\" is not a time (see vigilctl report --help)\n",
                x->to);
        return 2;
    }
    o.from_ms = o.to_ms - 30LL * 86400000;
    if (x->from != NULL && report_parse_time(x->from, o.now_ms, &o.from_ms) != 0) {
        fprintf(stderr, "vigilctl: --from \"%s\" is not a time (see vigilctl report --help)\n",
                x->from);
        return 2;
    }
    if (o.from_ms >= o.to_ms) {
        fprintf(stderr, "vigilctl: --from must be before --to\n");
        return 2;
    }
    st = connect_redis(x);
    if (st == NULL) {
        return 1;
    }
    rc = report_collect(st, x->c.prefix, &o, &r);
    if (rc != VG_OK) {
        fprintf(stderr, "vigilctl: Redis failed: %s\n", store_error(st));
    } else {
        report_write(r, format, &out);
        fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
    }
    sbuf_free(&out);
    report_free(r);
    store_close(st);
    return rc == VG_OK ? 0 : 1;
}

/* check: what the inventory lacks for the procedure's preparedness steps. */
static int cmd_check(struct ctl *x, int argc)
{
    const char *path = x->inventory != NULL ? x->inventory : x->c.inventory;
    struct diag diag = {0};
    struct sbuf out = {0};
    struct inventory *inv;
    int format = report_format(x);
    size_t missing;

    if (format < 0) {
        return 2;
    }
    if (argc != 0) {
        fputs(check_help, stderr);
        return 2;
    }
    if (path == NULL) {
        fprintf(stderr, "vigilctl: check needs --inventory FILE (or a config naming one)\n");
        return 2;
    }
    inv = inventory_load(path, &diag);
    if (inv == NULL) {
        print_diag(&diag);
        fprintf(stderr, "vigilctl: cannot load the inventory %s\n", path);
        diag_free(&diag);
        return 2;
    }
    missing = report_check(inv, path, format, &out);
    fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
    sbuf_free(&out);
    inventory_free(inv);
    diag_free(&diag);
    return missing > 0 ? 1 : 0;
}

/* --redis, --prefix and --state-dir, taken before or after the command. */
static void redis_opt(struct ctl *x, int ch, const char *arg)
{
    char **dst = ch == OPT_REDIS    ? &x->c.redis_url
                 : ch == OPT_PREFIX ? &x->c.prefix
                                    : &x->c.state_dir;

    free(*dst);
    *dst = xstrdup(arg);
}

int main(int argc, char **argv)
{
    struct ctl x = {.limit = 100};
    struct diag diag = {0};
    const char *cfg_file = NULL;
    int ch;
    int rc = 2;

    config_defaults(&x.c);
    log_set_level(4);
    /* "+" stops at the first non-option, so sub-command options are parsed per command. */
    while ((ch = getopt_long(argc, argv, "+c:hV", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            cfg_file = optarg;
            if (config_load(&x.c, cfg_file, &diag) != 0) {
                print_diag(&diag);
                goto out;
            }
            break;
        case OPT_REDIS:
        case OPT_PREFIX:
        case OPT_STATE:
            redis_opt(&x, ch, optarg);
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        case 'V':
            printf("vigilctl %s (plugin ABI %d.%d)\n", VG_VERSION_STRING, VG_PLUGIN_ABI_MAJOR,
                   VG_PLUGIN_ABI_MINOR);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        goto out;
    }
    {
        const char *cmd = argv[optind];
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;

        if (strcmp(cmd, "rule") == 0 && sub_argc >= 2 &&
            (strcmp(sub_argv[1], "lint") == 0 || strcmp(sub_argv[1], "test") == 0)) {
            cmd = strcmp(sub_argv[1], "lint") == 0 ? "rule lint" : "rule test";
            sub_argc--;
            sub_argv++;
        }
        optind = 0; /* 0, not 1: glibc's getopt re-initializes for the new argv */
        while ((ch = getopt_long(sub_argc, sub_argv, "h", long_opts, NULL)) != -1) {
            switch (ch) {
            case OPT_RULES:
                strvec_set(&x.c.rules, optarg, &x.replaced_rules);
                break;
            case OPT_NORM:
                strvec_set(&x.c.normalize, optarg, &x.replaced_norm);
                break;
            case OPT_PLUG:
                strvec_set(&x.c.plugin_dirs, optarg, &x.replaced_plug);
                break;
            case OPT_UNM:
                x.unmatched = 1;
                break;
            case OPT_SUMMARY:
                x.summary = 1;
                break;
            case OPT_BRIEF:
                x.brief = 1;
                break;
            case OPT_TEST:
                x.run_tests = 1;
                break;
            case OPT_BY:
                x.by = optarg;
                break;
            case OPT_TARGET:
                x.target = optarg;
                break;
            case OPT_COMMUNITY:
                x.community = optarg;
                break;
            case OPT_FROM:
                x.from = optarg;
                break;
            case OPT_TO:
                x.to = optarg;
                break;
            case OPT_FORMAT:
                x.format = optarg;
                break;
            case OPT_INVENTORY:
                x.inventory = optarg;
                break;
            case OPT_TOP:
                x.top = strtol(optarg, NULL, 10);
                if (x.top <= 0) {
                    fprintf(stderr, "vigilctl: --top must be a positive number\n");
                    goto out;
                }
                break;
            case OPT_YEAR:
                x.year = (int)strtol(optarg, NULL, 10);
                if (x.year < 1970 || x.year > 9999) {
                    fprintf(stderr, "vigilctl: --year must be 1970..9999\n");
                    goto out;
                }
                break;
            case OPT_LIMIT:
                x.limit = strtol(optarg, NULL, 10);
                if (x.limit <= 0) {
                    fprintf(stderr, "vigilctl: --limit must be a positive number\n");
                    goto out;
                }
                break;
            case OPT_REDIS:
            case OPT_PREFIX:
            case OPT_STATE:
                redis_opt(&x, ch, optarg);
                break;
            case 'h':
                if (strcmp(cmd, "report") == 0) {
                    fputs(report_help, stdout);
                } else if (strcmp(cmd, "check") == 0) {
                    fputs(check_help, stdout);
                } else {
                    usage(stdout);
                }
                rc = 0;
                goto out;
            default:
                usage(stderr);
                goto out;
            }
        }
        sub_argc -= optind;
        sub_argv += optind;
        if (strcmp(cmd, "parse") == 0) {
            if (sub_argc != 1) {
                fprintf(stderr, "usage: vigilctl parse [--unmatched|--summary] FILE|-\n");
                goto out;
            }
            rc = cmd_parse(&x, sub_argv[0]);
        } else if (strcmp(cmd, "rule lint") == 0) {
            rc = cmd_lint(&x, sub_argc, sub_argv);
        } else if (strcmp(cmd, "rule test") == 0) {
            rc = cmd_rule_test(&x, sub_argc, sub_argv);
        } else if (strcmp(cmd, "incidents") == 0) {
            rc = cmd_incidents(&x, sub_argc, sub_argv);
        } else if (strcmp(cmd, "stats") == 0) {
            rc = cmd_stats(&x);
        } else if (strcmp(cmd, "trap-handle") == 0) {
            rc = cmd_trap_handle(&x, sub_argc);
        } else if (strcmp(cmd, "report") == 0) {
            rc = cmd_report(&x, sub_argc);
        } else if (strcmp(cmd, "check") == 0) {
            rc = cmd_check(&x, sub_argc);
        } else {
            fprintf(stderr, "vigilctl: unknown command \"%s\"; see vigilctl --help\n", cmd);
        }
    }
out:
    diag_free(&diag);
    config_free(&x.c);
    return rc;
}
