/* SPDX-License-Identifier: MIT */
/*
 * The preparedness check (vigilctl check, report_check() in report.h): walks the
 * inventory's databases, devices, hosts and circuits for what procedure 5.2
 * needs ready beforehand (5.2.3.1 backups, 5.2.4.1 database pairs, 5.2.6.1
 * spares, 5.2.5.4 carrier contacts) and writes the gaps as Markdown or JSON.
 */
#include <libfastjson/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "report_int.h"

enum { AREA_DB, AREA_SPARE, AREA_BACKUP, AREA_CIRCUIT, N_AREA };

struct gap {
    int area;      /* enum AREA_* */
    char *kind;    /* what: "database", "device", "host", "circuit" */
    char *name;    /* its name or id */
    char *detail;  /* model, carrier or pair members, or NULL */
    char *problem; /* what is missing, a sentence */
};

struct gaps {
    struct gap *v;          /* in the order found */
    size_t n;               /* used */
    size_t cap;             /* allocated */
    size_t checked[N_AREA]; /* entries looked at per area */
};

static void gap_add(struct gaps *g, int area, const char *kind, const char *name,
                    const char *detail, const char *problem)
{
    g->v = report_grow(g->v, g->n, &g->cap, sizeof(*g->v));
    g->v[g->n].area = area;
    g->v[g->n].kind = xstrdup(kind);
    g->v[g->n].name = xstrdup(name != NULL ? name : "?");
    g->v[g->n].detail = detail != NULL ? xstrdup(detail) : NULL;
    g->v[g->n].problem = xstrdup(problem);
    g->n++;
}

static fjson_object *section(const struct inventory *inv, const char *name)
{
    char *text = inventory_get(inv, name, NULL);
    fjson_object *o = text != NULL ? report_parse_json(text, strlen(text)) : NULL;

    free(text);
    if (o != NULL && !fjson_object_is_type(o, fjson_type_array)) {
        fjson_object_put(o);
        o = NULL;
    }
    return o;
}

static size_t len_of(fjson_object *a)
{
    return a != NULL && fjson_object_is_type(a, fjson_type_array)
               ? (size_t)fjson_object_array_length(a)
               : 0;
}

static int has_text(fjson_object *o, const char *k)
{
    const char *s = report_jstr(o, k);

    return s != NULL && s[0] != '\0';
}

static int has_backup(fjson_object *o)
{
    return has_text(report_jget(o, "backup"), "interval");
}

static void check_databases(const struct inventory *inv, struct gaps *g)
{
    fjson_object *dbs = section(inv, "databases");
    size_t i;

    for (i = 0; i < len_of(dbs); i++) {
        fjson_object *d = fjson_object_array_get_idx(dbs, (int)i);
        const char *name = report_jstr(d, "name");
        char *pair =
            xasprintf("%s / %s", report_jstr(d, "primary") ? report_jstr(d, "primary") : "-",
                      report_jstr(d, "standby") ? report_jstr(d, "standby") : "-");

        g->checked[AREA_DB]++;
        g->checked[AREA_BACKUP]++;
        if (!has_text(d, "standby")) {
            gap_add(g, AREA_DB, "database", name, pair, "no standby server (5.2.4.1)");
        }
        if (len_of(report_jget(d, "promote")) == 0) {
            gap_add(g, AREA_DB, "database", name, pair,
                    "no promote command: the standby is started by hand (5.2.4.2)");
        }
        if (len_of(report_jget(d, "check")) == 0) {
            gap_add(g, AREA_DB, "database", name, pair,
                    "no check command: a promotion is not verified (5.2.4.2)");
        }
        if (!has_backup(d)) {
            gap_add(g, AREA_BACKUP, "database", name, pair,
                    "no backup schedule (backup.interval) (5.2.4.1)");
        }
        free(pair);
    }
    if (dbs != NULL) {
        fjson_object_put(dbs);
    }
}

/* Spares of model in stock (count > 0 summed over locations); *recorded: any entry at all. */
static int64_t spares_of(const struct inventory *inv, const char *model, int *recorded)
{
    char *text = inventory_get(inv, "spares", model);
    fjson_object *a = text != NULL ? report_parse_json(text, strlen(text)) : NULL;
    int64_t n = 0;
    size_t i;

    *recorded = len_of(a) > 0;
    for (i = 0; i < len_of(a); i++) {
        fjson_object *c = report_jget(fjson_object_array_get_idx(a, (int)i), "count");

        if (c != NULL && fjson_object_is_type(c, fjson_type_int) && fjson_object_get_int64(c) > 0) {
            n += fjson_object_get_int64(c);
        }
    }
    if (a != NULL) {
        fjson_object_put(a);
    }
    free(text);
    return n;
}

/* A role that names a server ("server", "db-server", "Server-Farm"). */
static int names_server(const char *role)
{
    size_t i;

    for (i = 0; role[i] != '\0'; i++) {
        if (strncasecmp(role + i, "server", 6) == 0) {
            return 1;
        }
    }
    return 0;
}

static void check_devices(const struct inventory *inv, struct gaps *g)
{
    fjson_object *devs = section(inv, "devices");
    size_t i;

    for (i = 0; i < len_of(devs); i++) {
        fjson_object *d = fjson_object_array_get_idx(devs, (int)i);
        const char *name = report_jstr(d, "name");
        const char *model = report_jstr(d, "model");
        const char *role = report_jstr(d, "role");
        int recorded;

        g->checked[AREA_SPARE]++;
        if (model == NULL || model[0] == '\0') {
            gap_add(g, AREA_SPARE, "device", name, NULL,
                    "no model in the inventory: no spare can be matched (5.2.6.1)");
        } else if (spares_of(inv, model, &recorded) == 0) {
            gap_add(g, AREA_SPARE, "device", name, model,
                    recorded ? "every spare of its model is used up (count 0) (5.2.6.1)"
                             : "no spare of its model (5.2.6.1)");
        }
        if (role != NULL && names_server(role)) {
            g->checked[AREA_BACKUP]++;
            if (!has_backup(d)) {
                gap_add(g, AREA_BACKUP, "device", name, role,
                        "no backup schedule (backup.interval) (5.2.3.1)");
            }
        }
    }
    if (devs != NULL) {
        fjson_object_put(devs);
    }
}

static void check_hosts(const struct inventory *inv, struct gaps *g)
{
    fjson_object *hosts = section(inv, "hosts");
    size_t i;

    for (i = 0; i < len_of(hosts); i++) {
        fjson_object *h = fjson_object_array_get_idx(hosts, (int)i);

        g->checked[AREA_BACKUP]++;
        if (!has_backup(h)) {
            gap_add(g, AREA_BACKUP, "host", report_jstr(h, "name"), report_jstr(h, "role"),
                    "no backup schedule (backup.interval) (5.2.3.1)");
        }
    }
    if (hosts != NULL) {
        fjson_object_put(hosts);
    }
}

static void check_circuits(const struct inventory *inv, struct gaps *g)
{
    fjson_object *cs = section(inv, "circuits");
    size_t i;

    for (i = 0; i < len_of(cs); i++) {
        fjson_object *c = fjson_object_array_get_idx(cs, (int)i);
        fjson_object *ct = report_jget(c, "contact");

        g->checked[AREA_CIRCUIT]++;
        if (!has_text(ct, "phone") && !has_text(ct, "email") && !has_text(ct, "url") &&
            !has_text(ct, "api")) {
            gap_add(g, AREA_CIRCUIT, "circuit", report_jstr(c, "id"), report_jstr(c, "carrier"),
                    "no carrier contact (phone, e-mail, URL or API) (5.2.5.4)");
        }
    }
    if (cs != NULL) {
        fjson_object_put(cs);
    }
}

static const char *const area_keys[N_AREA] = {"databases", "spares", "backups", "circuits"};
static const char *const area_titles[N_AREA] = {
    "Database pairs (5.2.4.1)", "Spares (5.2.6.1, 5.2.7.3)", "Backups (5.2.3.1, 5.2.4.1)",
    "Carrier contacts (5.2.5.4)"};
static const char *const area_ok[N_AREA] = {
    "database pair(s) checked: each has a standby, a promote and a check command.",
    "device(s) checked: each has a spare of its model in stock.",
    "system(s) checked (hosts, server devices, database pairs): each has a backup schedule.",
    "circuit(s) checked: each has a carrier contact."};

static void check_json(const struct gaps *g, const char *name, struct sbuf *b)
{
    size_t a;
    size_t i;

    sbuf_adds(b, "{\"inventory\":");
    report_json_s(b, name);
    sbuf_printf(b, ",\"missing\":%zu,\"checked\":{", g->n);
    for (a = 0; a < N_AREA; a++) {
        sbuf_printf(b, "%s\"%s\":%zu", a > 0 ? "," : "", area_keys[a], g->checked[a]);
    }
    sbuf_addc(b, '}');
    for (a = 0; a < N_AREA; a++) {
        int first = 1;

        sbuf_printf(b, ",\"%s\":[", area_keys[a]);
        for (i = 0; i < g->n; i++) {
            if (g->v[i].area != (int)a) {
                continue;
            }
            sbuf_adds(b, first ? "{\"kind\":" : ",{\"kind\":");
            first = 0;
            report_json_s(b, g->v[i].kind);
            sbuf_adds(b, ",\"name\":");
            report_json_s(b, g->v[i].name);
            sbuf_adds(b, ",\"detail\":");
            report_json_s(b, g->v[i].detail);
            sbuf_adds(b, ",\"problem\":");
            report_json_s(b, g->v[i].problem);
            sbuf_addc(b, '}');
        }
        sbuf_addc(b, ']');
    }
    sbuf_adds(b, "}\n");
}

static void check_md(const struct gaps *g, const char *name, struct sbuf *b)
{
    size_t a;
    size_t i;

    sbuf_adds(b, "# Preparedness check of ");
    report_md_cell(b, name);
    sbuf_printf(b, "\n\n%zu thing(s) missing.\n", g->n);
    for (a = 0; a < N_AREA; a++) {
        size_t n = 0;

        sbuf_printf(b, "\n## %s\n\n", area_titles[a]);
        for (i = 0; i < g->n; i++) {
            if (g->v[i].area != (int)a) {
                continue;
            }
            if (n++ == 0) {
                sbuf_adds(b, "| what | name | detail | missing |\n| --- | --- | --- | --- |\n");
            }
            sbuf_adds(b, "| ");
            report_md_cell(b, g->v[i].kind);
            sbuf_adds(b, " | ");
            report_md_cell(b, g->v[i].name);
            sbuf_adds(b, " | ");
            report_md_cell(b, g->v[i].detail != NULL ? g->v[i].detail : "-");
            sbuf_adds(b, " | ");
            report_md_cell(b, g->v[i].problem);
            sbuf_adds(b, " |\n");
        }
        if (n == 0) {
            sbuf_printf(b, "%zu %s\n", g->checked[a], area_ok[a]);
        }
    }
}

size_t report_check(const struct inventory *inv, const char *name, int format, struct sbuf *out)
{
    struct gaps g = {0};
    size_t n;
    size_t i;

    check_databases(inv, &g);
    check_devices(inv, &g);
    check_hosts(inv, &g);
    check_circuits(inv, &g);
    if (format == REPORT_JSON) {
        check_json(&g, name, out);
    } else {
        check_md(&g, name, out);
    }
    n = g.n;
    for (i = 0; i < g.n; i++) {
        free(g.v[i].kind);
        free(g.v[i].name);
        free(g.v[i].detail);
        free(g.v[i].problem);
    }
    free(g.v);
    return n;
}
