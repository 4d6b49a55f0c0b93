/* SPDX-License-Identifier: MIT */
/*
 * vigild: the daemon (listeners, correlation, actions until SIGTERM) and its
 * replay mode (a file or stdin correlated in event time, records on stdout,
 * from empty state). Options follow DESIGN.md's command-line contract.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vigil/version.h>

#include "config.h"
#include "describe.h"
#include "engine.h"
#include "input.h"
#include "inventory.h"
#include "session.h"
#include "store.h"

struct opts {
    const char *config_file; /* -c */
    const char *replay;      /* --replay FILE|- */
    int keep_state;          /* --keep-state */
    int check;               /* --check: load everything and exit */
    int year;                /* --year: year of stamps without one (0: from the clock) */
    int describe;            /* --describe-plugins */
    int actions;             /* --actions: replay runs action plugins */
    int workers;             /* --workers given: replay uses that many */
    const char *schema_dir;  /* --schema-dir: write each plugin's params schema there */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vigild [-c FILE] [options]          run the daemon\n"
               "       vigild --replay FILE|- [options]    correlate a log in event time and exit\n"
               "\n"
               "  -c, --config FILE      JSON config (schemas/vigild.schema.json)\n"
               "      --replay FILE|-    read syslog lines or JSON events, print incident records\n"
               "                         on stdout, exit; starts from empty state; runs no\n"
               "                         actions unless --actions is given\n"
               "      --actions          replay: run the rules' action plugins too\n"
               "      --inventory FILE   devices, circuits, host ports, spares, people (actions);\n"
               "                         reloaded on SIGHUP\n"
               "      --keep-state       replay into the configured Redis prefix and keep it\n"
               "      --year YYYY        replay: year of timestamps that carry none (default: the\n"
               "                         current year, rolled back for dates in the future)\n"
               "      --rules PATH       rule file or directory (repeatable; replaces configured)\n"
               "      --normalize PATH   template file or directory (repeatable; replaces)\n"
               "      --plugins DIR      plugin directory (repeatable; replaces)\n"
               "      --redis URL        host:port, redis://host:port/db or unix:/path (replaces;\n"
               "                         without one vigild starts a private redis-server)\n"
               "      --prefix P         Redis key prefix (default vigil:)\n"
               "      --state-dir DIR    where the embedded Redis lives\n"
               "      --events-out FILE  every normalized event as a JSON line ('-': stdout)\n"
               "      --listen-udp A:P   syslog over UDP (repeatable; default 127.0.0.1:5514)\n"
               "      --listen-tcp A:P   syslog over TCP (repeatable; default 127.0.0.1:5514)\n"
               "      --listen-snmp ADDR SNMP traps and informs, udp:ADDRESS:PORT or\n"
               "                         udp6:[ADDRESS]:PORT (repeatable; replaces snmp.listen;\n"
               "                         default udp:127.0.0.1:1162; 'none': no trap receiver)\n"
               "      --workers N        correlation threads (default 2); in replay, default 1,\n"
               "                         which prints records in input order (more: each key's\n"
               "                         records in order, keys interleaved)\n"
               "      --max-message N    longest syslog message kept, bytes (default 8192)\n"
               "      --check            load config, plugins, rules and templates, then exit\n"
               "      --describe-plugins print every loaded plugin and its options, then exit;\n"
               "                         with --schema-dir DIR write DIR/KIND_NAME.schema.json\n"
               "  -v, --verbose          log debug messages\n"
               "  -h, --help             this text\n"
               "  -V, --version          print the version\n");
}

enum {
    OPT_REPLAY = 256,
    OPT_KEEP,
    OPT_RULES,
    OPT_NORMALIZE,
    OPT_PLUGINS,
    OPT_REDIS,
    OPT_PREFIX,
    OPT_STATE,
    OPT_EVENTS,
    OPT_UDP,
    OPT_TCP,
    OPT_SNMP,
    OPT_WORKERS,
    OPT_MAXMSG,
    OPT_CHECK,
    OPT_YEAR,
    OPT_DESCRIBE,
    OPT_ACTIONS,
    OPT_SCHEMA_DIR,
    OPT_INVENTORY,
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"keep-state", no_argument, NULL, OPT_KEEP},
    {"rules", required_argument, NULL, OPT_RULES},
    {"normalize", required_argument, NULL, OPT_NORMALIZE},
    {"plugins", required_argument, NULL, OPT_PLUGINS},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"state-dir", required_argument, NULL, OPT_STATE},
    {"events-out", required_argument, NULL, OPT_EVENTS},
    {"listen-udp", required_argument, NULL, OPT_UDP},
    {"listen-tcp", required_argument, NULL, OPT_TCP},
    {"listen-snmp", required_argument, NULL, OPT_SNMP},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"max-message", required_argument, NULL, OPT_MAXMSG},
    {"check", no_argument, NULL, OPT_CHECK},
    {"year", required_argument, NULL, OPT_YEAR},
    {"describe-plugins", no_argument, NULL, OPT_DESCRIBE},
    {"actions", no_argument, NULL, OPT_ACTIONS},
    {"schema-dir", required_argument, NULL, OPT_SCHEMA_DIR},
    {"inventory", required_argument, NULL, OPT_INVENTORY},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static long parse_num(const char *s, const char *what, long min, long max)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*end != '\0' || end == s || v < min || v > max) {
        fprintf(stderr, "vigild: %s must be a number in %ld..%ld, not \"%s\"\n", what, min, max, s);
        exit(2);
    }
    return v;
}

/*
 * SIGHUP: reload the inventory (a bad file keeps the one in use). Rules,
 * templates and listeners need a restart.
 */
static void reload(const struct vg_config *c)
{
    struct diag diag = {0};
    size_t i;

    if (c->inventory == NULL) {
        log_msg(6, "SIGHUP: no inventory configured; rules and listeners need a restart");
        return;
    }
    if (inventory_reload(c->inventory, &diag) != 0) {
        for (i = 0; i < diag.n; i++) {
            log_msg(3, "SIGHUP: %s", diag.msgs[i]);
        }
        log_msg(3, "SIGHUP: inventory %s not reloaded (%zu errors); the previous one stays",
                c->inventory, diag.n);
    } else {
        log_msg(6, "SIGHUP: inventory %s reloaded; rules and listeners need a restart",
                c->inventory);
    }
    diag_free(&diag);
}

/* Parse the command line in two passes: -c first, then the rest over the file's values. */
static void parse_args(int argc, char **argv, struct vg_config *c, struct opts *o)
{
    int replaced_rules = 0, replaced_norm = 0, replaced_plug = 0, replaced_udp = 0,
        replaced_tcp = 0, replaced_snmp = 0;
    struct diag diag = {0};
    int ch;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "c:vhV", long_opts, NULL)) != -1) {
        if (ch == 'c') {
            o->config_file = optarg;
        } else if (ch == 'h') {
            usage(stdout);
            exit(0);
        } else if (ch == 'V') {
            printf("vigild %s (plugin ABI %d.%d)\n", VG_VERSION_STRING, VG_PLUGIN_ABI_MAJOR,
                   VG_PLUGIN_ABI_MINOR);
            exit(0);
        }
    }
    if (o->config_file != NULL && config_load(c, o->config_file, &diag) != 0) {
        size_t i;

        for (i = 0; i < diag.n; i++) {
            fprintf(stderr, "vigild: %s\n", diag.msgs[i]);
        }
        diag_free(&diag);
        exit(2);
    }
    opterr = 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:vhV", long_opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
        case 'h':
        case 'V':
            break;
        case 'v':
            c->log_level = 7;
            break;
        case OPT_REPLAY:
            o->replay = optarg;
            break;
        case OPT_KEEP:
            o->keep_state = 1;
            break;
        case OPT_RULES:
            strvec_set(&c->rules, optarg, &replaced_rules);
            break;
        case OPT_NORMALIZE:
            strvec_set(&c->normalize, optarg, &replaced_norm);
            break;
        case OPT_PLUGINS:
            strvec_set(&c->plugin_dirs, optarg, &replaced_plug);
            break;
        case OPT_REDIS:
            free(c->redis_url);
            c->redis_url = xstrdup(optarg);
            break;
        case OPT_PREFIX:
            free(c->prefix);
            c->prefix = xstrdup(optarg);
            break;
        case OPT_STATE:
            free(c->state_dir);
            c->state_dir = xstrdup(optarg);
            break;
        case OPT_EVENTS:
            free(c->events_out);
            c->events_out = xstrdup(optarg);
            break;
        case OPT_UDP:
            strvec_set(&c->udp, optarg, &replaced_udp);
            break;
        case OPT_TCP:
            strvec_set(&c->tcp, optarg, &replaced_tcp);
            break;
        case OPT_SNMP:
            c->snmp.configured = 1;
            if (strcmp(optarg, "none") == 0) {
                strvec_clear(&c->snmp.listen);
                replaced_snmp = 1;
            } else {
                char err[256];

                if (snmp_trap_check_listen(optarg, err, sizeof(err)) != 0) {
                    fprintf(stderr, "vigild: --listen-snmp: %s\n", err);
                    exit(2);
                }
                strvec_set(&c->snmp.listen, optarg, &replaced_snmp);
            }
            break;
        case OPT_WORKERS:
            c->workers = (int)parse_num(optarg, "--workers", 1, 64);
            o->workers = c->workers;
            break;
        case OPT_MAXMSG:
            c->max_msg = (size_t)parse_num(optarg, "--max-message", 480, 65535);
            break;
        case OPT_CHECK:
            o->check = 1;
            break;
        case OPT_DESCRIBE:
            o->describe = 1;
            break;
        case OPT_ACTIONS:
            o->actions = 1;
            break;
        case OPT_SCHEMA_DIR:
            o->schema_dir = optarg;
            break;
        case OPT_INVENTORY:
            free(c->inventory);
            c->inventory = xstrdup(optarg);
            break;
        case OPT_YEAR:
            o->year = (int)parse_num(optarg, "--year", 1970, 9999);
            break;
        default:
            fprintf(stderr, "vigild: unknown option; see vigild --help\n");
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigild: unexpected argument \"%s\"; see vigild --help\n", argv[optind]);
        exit(2);
    }
}

/* --describe-plugins: text on stdout, or one schema file per plugin in dir. */
static int describe_plugins(const struct vg_config *c, const char *dir)
{
    struct loader ld = {0};
    struct diag diag = {0};
    size_t i;
    int rc = 0;

    for (i = 0; i < c->plugin_dirs.n; i++) {
        loader_load_dir(&ld, c->plugin_dirs.v[i], &diag);
    }
    for (i = 0; i < diag.n; i++) {
        fprintf(stderr, "vigild: %s\n", diag.msgs[i]);
    }
    for (i = 0; i < ld.n; i++) {
        struct sbuf b = {0};

        if (dir == NULL) {
            describe_text(ld.mods[i], &b);
            fputs(b.buf, stdout);
        } else {
            char *path = xasprintf("%s/%s_%s.schema.json", dir, describe_kind(ld.mods[i]),
                                   ld.mods[i]->desc.name);
            FILE *f = fopen(path, "w");

            describe_schema(ld.mods[i], &b);
            if (f == NULL || fputs(b.buf, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "vigild: cannot write %s: %s\n", path, strerror(errno));
                rc = -1;
            }
            free(path);
        }
        sbuf_free(&b);
    }
    rc = diag.n > 0 ? -1 : rc;
    diag_free(&diag);
    loader_free(&ld);
    return rc;
}

static int start_listeners(struct vg_config *c, struct engine *eng, struct listener **ls,
                           size_t *n_ls)
{
    size_t i;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        struct strvec *v = pass == 0 ? &c->udp : &c->tcp;

        for (i = 0; i < v->n; i++) {
            struct listener_cfg lc = {.max_msg = c->max_msg, .max_clients = c->max_clients};
            char host[128];
            char err[512];
            struct listener *l;

            if (config_split_hostport(v->v[i], host, sizeof(host), &lc.port) != 0) {
                log_msg(3, "listen address \"%s\" is not host:port", v->v[i]);
                return -1;
            }
            lc.addr = host;
            l = pass == 0 ? listener_start_udp(&lc, engine_sink(eng), err, sizeof(err))
                          : listener_start_tcp(&lc, engine_sink(eng), err, sizeof(err));
            if (l == NULL) {
                log_msg(3, "%s", err);
                return -1;
            }
            log_msg(6, "listening for syslog on %s %s:%d", pass == 0 ? "udp" : "tcp", host,
                    listener_port(l));
            ls[(*n_ls)++] = l;
        }
    }
    return 0;
}

/* Start the SNMP trap receiver when addresses are configured; 0 or -1. */
static int start_traps(const struct vg_config *c, struct engine *eng, struct snmp_trap **out)
{
    const char *listen[CONFIG_MAX_PATHS];
    struct snmp_trap_cfg tc;
    char err[512];
    size_t i;

    *out = NULL;
    if (c->snmp.listen.n == 0) {
        return 0;
    }
    config_snmp_trap_cfg(c, &tc, listen);
    *out = snmp_trap_start(&tc, engine_sink(eng), err, sizeof(err));
    if (*out == NULL && !c->snmp.configured) {
        /* Nobody asked for traps: the default port taken (another vigild) is no reason to stop. */
        log_msg(4,
                "%s; running without the SNMP trap receiver (configure snmp.listen, or "
                "--listen-snmp none to silence this)",
                err);
        return 0;
    }
    if (*out == NULL) {
        log_msg(3, "%s", err);
        return -1;
    }
    for (i = 0; i < snmp_trap_count(*out); i++) {
        log_msg(6, "listening for SNMP traps on %s", snmp_trap_name(*out, i));
    }
    return 0;
}

/* Append the counters of each listener (the trap receiver's addresses last) as a JSON array. */
static void listeners_json(struct listener **ls, size_t n, struct snmp_trap *traps, struct sbuf *b)
{
    size_t i;

    sbuf_addc(b, '[');
    for (i = 0; i < n; i++) {
        struct input_stats *s = listener_stats(ls[i]);

        sbuf_printf(b,
                    "%s{\"listener\":\"%s\",\"received\":%llu,\"bytes\":%llu,\"truncated\":%llu,"
                    "\"dropped\":%llu,\"kernel_dropped\":%llu,\"conns\":%llu,"
                    "\"conns_refused\":%llu,\"bad_frames\":%llu,\"errors\":%llu}",
                    i > 0 ? "," : "", listener_name(ls[i]),
                    (unsigned long long)atomic_load(&s->received),
                    (unsigned long long)atomic_load(&s->bytes),
                    (unsigned long long)atomic_load(&s->truncated),
                    (unsigned long long)atomic_load(&s->dropped),
                    (unsigned long long)atomic_load(&s->kernel_dropped),
                    (unsigned long long)atomic_load(&s->conns),
                    (unsigned long long)atomic_load(&s->conns_refused),
                    (unsigned long long)atomic_load(&s->bad_frames),
                    (unsigned long long)atomic_load(&s->errors));
    }
    if (traps != NULL) {
        snmp_trap_stats_json(traps, b, n == 0);
    }
    sbuf_addc(b, ']');
}

static void publish_stats(struct engine *eng, struct store *st, const char *prefix,
                          struct listener **ls, size_t n_ls, struct snmp_trap *traps)
{
    struct sbuf b = {0};
    char host[64] = "localhost";
    char *key;

    gethostname(host, sizeof(host) - 1);
    key = xasprintf("%sstats:%s:%d", prefix, host, (int)getpid());
    engine_stats_json(eng, &b);
    /* The engine's object gets one more member: the listeners. */
    b.len--;
    sbuf_adds(&b, ",\"listeners\":");
    listeners_json(ls, n_ls, traps, &b);
    sbuf_addc(&b, '}');
    {
        const char *a[] = {"SET", key, b.buf, "EX", "60"};
        redisReply *r = store_cmd(st, 5, a, NULL);

        if (r != NULL) {
            freeReplyObject(r);
        }
    }
    free(key);
    sbuf_free(&b);
}

static int run_daemon(struct vg_config *c, struct engine *eng, const char *url)
{
    struct listener *ls[2 * CONFIG_MAX_PATHS];
    struct snmp_trap *traps = NULL;
    size_t n_ls = 0;
    size_t i;
    sigset_t set;
    char err[256];
    struct store *st = store_open(url, 2000, err, sizeof(err));
    int64_t last = 0;
    int rc = 0;

    if (engine_start(eng) != 0 || start_listeners(c, eng, ls, &n_ls) != 0 ||
        start_traps(c, eng, &traps) != 0) {
        rc = -1;
        goto out;
    }
    log_msg(6, "vigild %s running with %zu rules (redis %s)", VG_VERSION_STRING,
            engine_n_rules(eng), url);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    for (;;) {
        struct timespec ts = {1, 0};
        int sig;

        if (time_mono_ms() - last >= 1000) {
            publish_stats(eng, st, c->prefix, ls, n_ls, traps);
            last = time_mono_ms();
        }
        sig = sigtimedwait(&set, NULL, &ts);

        if (sig == SIGINT || sig == SIGTERM) {
            log_msg(6, "vigild stopping on signal %d", sig);
            break;
        }
        if (sig == SIGHUP) {
            reload(c);
        }
    }
    publish_stats(eng, st, c->prefix, ls, n_ls, traps);
out:
    snmp_trap_stop(traps);
    for (i = 0; i < n_ls; i++) {
        listener_stop(ls[i]);
    }
    store_close(st);
    return rc;
}

int main(int argc, char **argv)
{
    struct vg_config c;
    struct opts o = {0};
    struct session ses;
    struct session_opts so = {0};
    sigset_t set;
    int rc = 1;

    signal(SIGPIPE, SIG_IGN);
    config_defaults(&c);
    parse_args(argc, argv, &c, &o);
    log_set_level(c.log_level);
    /* Signals go to the main thread's sigtimedwait, never to worker threads. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (o.replay == NULL) {
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    if (o.describe) {
        rc = describe_plugins(&c, o.schema_dir) == 0 ? 0 : 1;
        config_free(&c);
        return rc;
    }
    so.prog = "vigild";
    so.replay = o.replay != NULL;
    so.keep_state = o.keep_state;
    so.check = o.check;
    so.actions = o.actions;
    so.year = o.year;
    so.workers = o.workers;
    if (session_open(&ses, &c, &so) == 0) {
        if (o.check) {
            printf("vigild: configuration OK (%zu rules)\n", engine_n_rules(ses.eng));
            rc = 0;
        } else if (o.replay != NULL) {
            rc = session_replay(&ses, o.replay) == 0 ? 0 : 1;
        } else {
            rc = run_daemon(&c, ses.eng, ses.url) == 0 ? 0 : 1;
        }
    }
    session_close(&ses);
    config_free(&c);
    return rc;
}
