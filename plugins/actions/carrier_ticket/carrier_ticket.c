/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "carrier_ticket": a WAN circuit is down and the fault is the carrier's. The
 * circuit is found in the inventory from the incident's device and interface (or a circuit
 * id); when the inventory says the responsibility is the carrier's, a trouble ticket
 * (circuit, carrier, severity, start, what was seen, what we checked) goes to the carrier's
 * HTTP API as JSON and/or by e-mail. The ticket id the API returns is recorded on the
 * incident; the resolve transition updates that ticket (vg_call_prior()) to resolved.
 */
#define _GNU_SOURCE /* strcasecmp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <vigil/plugin.h>

#include "curl_common.h"

const struct vg_host_api *vg_host;

struct carrier_config {
    const char *device_field;    /* record path of the router's name */
    const char *interface_field; /* record path of the interface name */
    const char *circuit_field;   /* record path of a circuit id, or NULL */
    struct vg_strlist via;       /* "api", "email": the channels to use when known */
    struct vg_strlist checked;   /* what we checked on our side */
    struct vg_strlist to;        /* our own addresses copied on the e-mails */
    const char *api;             /* carrier API URL instead of the inventory's, or NULL */
    const char *ticket_id_field; /* member of the API's answer holding the ticket id */
    const char *update_url;      /* template of the ticket's URL: ${api}, ${ticket_id} */
    const char *update_method;   /* HTTP method of the update */
    const char *account;         /* our customer account with the carrier, or NULL */
    struct cc_transport tx;      /* SMTP relay and HTTP token */
};

struct carrier_state {
    struct cc_memo memo;              /* deliveries done, for retried calls (first: cc_state_new) */
    const struct carrier_config *cfg; /* the core's config block */
    int use_api;                      /* 1: "api" is in via */
    int use_mail;                     /* 1: "email" is in via */
};

/* The circuit and the channels of one call; strings borrowed from the parsed JSON. */
struct circuit {
    struct fjson_object *obj; /* the inventory's circuit object */
    const char *id;           /* circuit id */
    const char *carrier;      /* carrier name */
    const char *api;          /* API URL to use, or NULL */
    const char *email;        /* carrier's e-mail address to use, or NULL */
    const char *device;       /* our router, or NULL */
    const char *ifname;       /* its interface, or NULL */
};

static const struct vg_option carrier_options[] = {
    {"device_field", VG_OPT_STR, "\"incident.key.host.name\"", 0,
     offsetof(struct carrier_config, device_field),
     "path in the incident record of the router whose circuit failed"},
    {"interface_field", VG_OPT_STR, "\"incident.key.interface.name\"", 0,
     offsetof(struct carrier_config, interface_field),
     "path in the incident record of the interface of the circuit"},
    {"circuit_field", VG_OPT_STR, NULL, 0, offsetof(struct carrier_config, circuit_field),
     "path in the incident record of a circuit id (instead of device and interface)"},
    {"via", VG_OPT_STRLIST, "[\"api\", \"email\"]", 0, offsetof(struct carrier_config, via),
     "channels used when the carrier's contact has them: api (JSON over HTTP), email"},
    {"checked", VG_OPT_STRLIST, "[]", 0, offsetof(struct carrier_config, checked),
     "what we checked on our side, one item each (goes into the ticket)"},
    {"to", VG_OPT_STRLIST, "[]", 0, offsetof(struct carrier_config, to),
     "our own addresses that also get the ticket e-mails"},
    {"api", VG_OPT_STR, NULL, 0, offsetof(struct carrier_config, api),
     "carrier ticket API URL; default the circuit's contact.api in the inventory"},
    {"ticket_id_field", VG_OPT_STR, "\"id\"", 0, offsetof(struct carrier_config, ticket_id_field),
     "member of the API's JSON answer that holds the new ticket's id"},
    {"update_url", VG_OPT_STR, "\"${api}/${ticket_id}\"", 0,
     offsetof(struct carrier_config, update_url),
     "URL template of an existing ticket: ${api}, ${ticket_id}, ${circuit}"},
    {"update_method", VG_OPT_STR, "\"PATCH\"", 0, offsetof(struct carrier_config, update_method),
     "HTTP method that updates a ticket: PATCH, POST or PUT"},
    {"account", VG_OPT_STR, NULL, 0, offsetof(struct carrier_config, account),
     "our customer account number with the carrier"},
    CC_TRANSPORT_OPTIONS(struct carrier_config, tx),
    {NULL, 0, NULL, 0, 0, NULL},
};

/* Percent-encode s for a URL path segment (unreserved characters stay). */
static void url_escape(struct cc_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            cc_buf_add(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};

            cc_buf_add(b, e, 3);
        }
    }
}

/*
 * Expand the update_url template into b: ${api} as it is (without a trailing slash),
 * ${ticket_id} and ${circuit} percent-encoded, $$ a dollar. @return 0, or -1 with the
 * offending name in bad
 */
static int expand_url(struct cc_buf *b, const char *tmpl, const char *api, const char *ticket,
                      const char *circuit, char *bad, size_t bad_len)
{
    const char *p = tmpl;

    while (*p != '\0') {
        const char *end;
        size_t n;

        if (p[0] == '$' && p[1] == '$') {
            cc_buf_add(b, "$", 1);
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            cc_buf_add(b, p, 1);
            p++;
            continue;
        }
        end = strchr(p, '}');
        if (end == NULL) {
            snprintf(bad, bad_len, "%s", p);
            return -1;
        }
        n = (size_t)(end - p - 2);
        if (n == 3 && strncmp(p + 2, "api", 3) == 0) {
            size_t len = strlen(api);

            while (len > 0 && api[len - 1] == '/') {
                len--;
            }
            cc_buf_add(b, api, len);
        } else if (n == 9 && strncmp(p + 2, "ticket_id", 9) == 0) {
            url_escape(b, ticket);
        } else if (n == 7 && strncmp(p + 2, "circuit", 7) == 0) {
            url_escape(b, circuit);
        } else {
            snprintf(bad, bad_len, "%.*s", (int)(end - p + 1), p);
            return -1;
        }
        p = end + 1;
    }
    return 0;
}

static int has(const struct vg_strlist *l, const char *s)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

static int carrier_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct carrier_config *cfg = config;
    struct carrier_state *st;
    struct cc_buf probe = {0};
    char bad[64];
    size_t i;
    int rc;

    for (i = 0; i < cfg->via.n; i++) {
        if (strcmp(cfg->via.items[i], "api") != 0 && strcmp(cfg->via.items[i], "email") != 0) {
            vg_set_error(ctx, "via item \"%s\" is not api or email", cfg->via.items[i]);
            return VG_EINVAL;
        }
    }
    if (cfg->via.n == 0) {
        vg_set_error(ctx, "via is empty: name api, email or both");
        return VG_EINVAL;
    }
    if (cfg->api != NULL && !cc_is_http(cfg->api)) {
        vg_set_error(ctx, "api is not an http:// or https:// URL");
        return VG_EINVAL;
    }
    if (strcmp(cfg->update_method, "PATCH") != 0 && strcmp(cfg->update_method, "POST") != 0 &&
        strcmp(cfg->update_method, "PUT") != 0) {
        vg_set_error(ctx, "update_method \"%s\" is not PATCH, POST or PUT", cfg->update_method);
        return VG_EINVAL;
    }
    if (cfg->ticket_id_field[0] == '\0') {
        vg_set_error(ctx, "ticket_id_field is empty");
        return VG_EINVAL;
    }
    if (expand_url(&probe, cfg->update_url, "http://x", "1", "c", bad, sizeof(bad)) != 0) {
        cc_buf_free(&probe);
        vg_set_error(ctx, "update_url: %s is not ${api}, ${ticket_id} or ${circuit}", bad);
        return VG_EINVAL;
    }
    cc_buf_free(&probe);
    for (i = 0; i < cfg->checked.n; i++) {
        rc = cc_header_check(ctx, "checked", cfg->checked.items[i]);
        if (rc != VG_OK) {
            return rc;
        }
    }
    rc = cc_state_new(ctx, &cfg->tx, NULL, cfg->to.n > 0, sizeof(*st), state);
    if (rc == VG_OK) {
        st = *state;
        st->cfg = cfg;
        st->use_api = has(&cfg->via, "api");
        st->use_mail = has(&cfg->via, "email");
    }
    return rc;
}

/* A record field checked as kind; NULL after the error is set (absent: a message too). */
static const char *field(struct vg_ctx *ctx, const struct vg_action_call *call, const char *path,
                         uint32_t kind, int *rc)
{
    struct vg_str v = vg_call_field(call, path);

    if (v.ptr == NULL || v.len == 0) {
        vg_set_error(ctx, "the incident has no %s: cannot tell the circuit", path);
        *rc = VG_ERR;
        return NULL;
    }
    *rc = vg_value_check(ctx, kind, path, v.ptr, v.len);
    return *rc == VG_OK ? v.ptr : NULL;
}

/* Find the circuit of the incident in the inventory; VG_OK or a failure with the error set. */
static int find_circuit(struct vg_ctx *ctx, const struct carrier_state *st,
                        const struct vg_action_call *call, struct circuit *c)
{
    const struct carrier_config *cfg = st->cfg;
    char key[400];
    int rc = VG_OK;

    if (cfg->circuit_field != NULL) {
        const char *id = field(ctx, call, cfg->circuit_field, VG_VAL_ID, &rc);

        if (id == NULL) {
            return rc;
        }
        snprintf(key, sizeof(key), "%s", id);
    } else {
        const char *dev = field(ctx, call, cfg->device_field, VG_VAL_NAME, &rc);
        const char *ifname =
            dev != NULL ? field(ctx, call, cfg->interface_field, VG_VAL_IFNAME, &rc) : NULL;

        if (ifname == NULL) {
            return rc;
        }
        snprintf(key, sizeof(key), "%s|%s", dev, ifname);
    }
    c->obj = cc_inventory(ctx, "circuits", key, &rc);
    if (c->obj == NULL && rc == VG_OK) {
        vg_set_error(ctx, "no circuit %s in the inventory", key);
        rc = VG_ERR;
    }
    return rc;
}

/* The ticket as the carrier's API gets it. */
static struct fjson_object *ticket_json(const struct carrier_state *st,
                                        const struct vg_action_call *call, struct fjson_object *rec,
                                        const struct circuit *c)
{
    const struct carrier_config *cfg = st->cfg;
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *seen = fjson_object_new_object();
    struct fjson_object *checked = fjson_object_new_array();
    struct vg_str id = vg_call_incident_id(call);
    struct fjson_object *count = cc_json_get(rec, "incident.count");
    char num[6][32];
    size_t i;

    cc_json_add_str(o, "circuit_id", c->id);
    cc_json_add_str(o, "carrier", c->carrier);
    cc_json_add_str(o, "account", cfg->account);
    cc_json_add_str(o, "severity", cc_json_str(rec, "incident.severity", num[0], 32));
    cc_json_add_str(o, "start_time", cc_json_str(rec, "incident.first_seen", num[1], 32));
    cc_json_add_str(o, "title", cc_json_str(rec, "incident.title", num[2], 32));
    cc_json_add_str(o, "reference", id.ptr);
    cc_json_add_str(o, "device", c->device);
    cc_json_add_str(o, "interface", c->ifname);
    cc_json_add_str(o, "bandwidth", cc_json_str(c->obj, "bandwidth", num[3], 32));
    cc_json_add_str(seen, "title", cc_json_str(rec, "incident.title", num[2], 32));
    if (count != NULL) {
        fjson_object_object_add(seen, "count", fjson_object_get(count));
    }
    cc_json_add_str(seen, "first_seen", cc_json_str(rec, "incident.first_seen", num[1], 32));
    cc_json_add_str(seen, "last_seen", cc_json_str(rec, "incident.last_seen", num[4], 32));
    cc_json_add_str(seen, "last_event", cc_json_str(rec, "event.action", num[5], 32));
    cc_json_add_str(seen, "note", cc_json_str(rec, "note", num[5], 32));
    fjson_object_object_add(o, "seen", seen);
    for (i = 0; i < cfg->checked.n; i++) {
        fjson_object_array_add(checked, fjson_object_new_string(cfg->checked.items[i]));
    }
    fjson_object_object_add(o, "checked", checked);
    cc_json_add_str(o, "reply_to", cfg->tx.smtp_url != NULL ? cfg->tx.smtp_from : NULL);
    return o;
}

/* The ticket as an e-mail: the same fields, one per line. */
static void ticket_text(struct cc_buf *b, const struct carrier_state *st,
                        const struct vg_action_call *call, struct fjson_object *rec,
                        const struct circuit *c, const char *ticket)
{
    const struct carrier_config *cfg = st->cfg;
    struct vg_str id = vg_call_incident_id(call);
    char num[6][32];
    const char *v[6];
    size_t i;

    v[0] = cc_json_str(rec, "incident.severity", num[0], 32);
    v[1] = cc_json_str(rec, "incident.first_seen", num[1], 32);
    v[2] = cc_json_str(rec, "incident.title", num[2], 32);
    v[3] = cc_json_str(rec, "incident.count", num[3], 32);
    v[4] = cc_json_str(rec, "incident.last_seen", num[4], 32);
    v[5] = cc_json_str(rec, "event.action", num[5], 32);
    for (i = 0; i < 6; i++) {
        v[i] = v[i] != NULL ? v[i] : "-";
    }
    cc_buf_printf(b, "Circuit:     %s\nCarrier:     %s\n", c->id, c->carrier);
    if (cfg->account != NULL) {
        cc_buf_printf(b, "Account:     %s\n", cfg->account);
    }
    if (ticket != NULL) {
        cc_buf_printf(b, "Ticket:      %s\n", ticket);
    }
    cc_buf_printf(b, "Severity:    %s\nStart time:  %s\nOur end:     %s %s\n", v[0], v[1],
                  c->device != NULL ? c->device : "-", c->ifname != NULL ? c->ifname : "");
    cc_buf_printf(b, "Reference:   %.*s\n\nWhat we saw: %s\n  %s event(s), last at %s (%s)\n",
                  (int)id.len, id.ptr != NULL ? id.ptr : "", v[2], v[3], v[4], v[5]);
    if (cfg->checked.n > 0) {
        cc_buf_puts(b, "\nWhat we checked on our side:\n");
        for (i = 0; i < cfg->checked.n; i++) {
            cc_buf_printf(b, "  - %s\n", cfg->checked.items[i]);
        }
    }
}

/* E-mail to the carrier (and our own addresses) about the ticket; what is "opened" etc. */
static void mail_ticket(struct vg_ctx *ctx, struct carrier_state *st,
                        const struct vg_action_call *call, struct fjson_object *rec,
                        const struct circuit *c, const char *ticket, const char *what,
                        struct cc_outcome *out)
{
    struct vg_strlist carrier = {1, &c->email};
    struct cc_letter l = {NULL, &carrier, &st->cfg->to, {0}, {0}};
    char num[32];
    const char *title = cc_json_str(rec, "incident.title", num, sizeof(num));

    cc_buf_printf(&l.subject, "[vigil] trouble ticket %s: circuit %s (%s)%s%s%s%s", what, c->id,
                  c->carrier, ticket != NULL ? " ticket " : "", ticket != NULL ? ticket : "",
                  title != NULL ? ": " : "", title != NULL ? title : "");
    cc_buf_printf(&l.body, "Trouble ticket %s for circuit %s.\n\n", what, c->id);
    ticket_text(&l.body, st, call, rec, c, ticket);
    cc_letter_send(ctx, call, &st->memo, &st->cfg->tx, &l, out);
}

/* POST the ticket to the API; the id of the new ticket to ticket (at least 129 bytes). */
static int open_api(struct vg_ctx *ctx, struct carrier_state *st, const struct vg_action_call *call,
                    struct fjson_object *rec, const struct circuit *c, char *ticket,
                    size_t ticket_len)
{
    struct fjson_object *o;
    struct fjson_object *ans;
    struct cc_reply *reply;
    char *json;
    char num[32];
    const char *id;
    int rc;

    if (cc_memo_get(&st->memo, call, "api", ticket, ticket_len)) {
        return VG_OK;
    }
    o = ticket_json(st, call, rec, c);
    json = cc_json_text(o);
    fjson_object_put(o);
    reply = vg_alloc(sizeof(*reply));
    if (json == NULL || reply == NULL) {
        vg_free(json);
        vg_free(reply);
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    rc = cc_http_send(ctx, call, &st->cfg->tx, "POST", c->api, json, reply);
    vg_free(json);
    if (reply->status > 0) {
        snprintf(num, sizeof(num), "%ld", reply->status);
        vg_action_result(ctx, "http_status", num);
    }
    if (rc != VG_OK) {
        vg_free(reply);
        return rc;
    }
    ans = cc_json_parse(reply->body, reply->body_len);
    id = cc_json_str(ans, st->cfg->ticket_id_field, num, sizeof(num));
    vg_free(reply);
    /* The ticket exists now: whatever goes wrong below must not make the core retry. */
    if (id == NULL) {
        vg_set_error(ctx, "the carrier API answered without \"%s\": ticket id unknown",
                     st->cfg->ticket_id_field);
        rc = VG_ERR;
    } else if (vg_value_check(ctx, VG_VAL_ID, "ticket id", id, strlen(id)) != VG_OK) {
        rc = VG_ERR;
    } else {
        snprintf(ticket, ticket_len, "%s", id);
        cc_memo_put(&st->memo, call, "api", ticket);
    }
    if (ans != NULL) {
        fjson_object_put(ans);
    }
    return rc;
}

/* PATCH (update_method) the ticket at update_url with status and the latest counts. */
static int update_api(struct vg_ctx *ctx, struct carrier_state *st,
                      const struct vg_action_call *call, struct fjson_object *rec,
                      const struct circuit *c, const char *ticket, const char *status)
{
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *count = cc_json_get(rec, "incident.count");
    struct cc_buf url = {0};
    struct cc_reply *reply;
    char done[160];
    char num[3][32];
    char *json;
    int rc;

    if (cc_memo_get(&st->memo, call, "api", done, sizeof(done))) {
        fjson_object_put(o);
        return VG_OK;
    }
    expand_url(&url, st->cfg->update_url, c->api, ticket, c->id, done, sizeof(done));
    cc_json_add_str(o, "status", status);
    cc_json_add_str(o, "circuit_id", c->id);
    cc_json_add_str(o, "severity", cc_json_str(rec, "incident.severity", num[0], 32));
    cc_json_add_str(o, "last_seen", cc_json_str(rec, "incident.last_seen", num[1], 32));
    if (count != NULL) {
        fjson_object_object_add(o, "count", fjson_object_get(count));
    }
    if (strcmp(status, "resolved") == 0) {
        cc_json_add_str(o, "resolved_at", cc_json_str(rec, "@timestamp", num[2], 32));
    }
    json = cc_json_text(o);
    fjson_object_put(o);
    reply = vg_alloc(sizeof(*reply));
    if (json == NULL || reply == NULL || url.oom) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
        goto out_free;
    }
    rc = cc_http_send(ctx, call, &st->cfg->tx, st->cfg->update_method, url.ptr, json, reply);
    if (reply->status > 0) {
        snprintf(num[0], sizeof(num[0]), "%ld", reply->status);
        vg_action_result(ctx, "http_status", num[0]);
    }
    if (rc == VG_OK) {
        cc_memo_put(&st->memo, call, "api", status);
    }
out_free:
    vg_free(json);
    vg_free(reply);
    cc_buf_free(&url);
    return rc;
}

/* The channels of this circuit: the API and the e-mail address, as via and config allow. */
static int channels(struct vg_ctx *ctx, const struct carrier_state *st, struct circuit *c)
{
    char num[2][32];
    const char *api =
        st->cfg->api != NULL ? st->cfg->api : cc_json_str(c->obj, "contact.api", num[0], 32);
    const char *email = cc_json_str(c->obj, "contact.email", num[1], 32);
    char line[300];

    c->api = st->use_api ? api : NULL;
    c->email = st->use_mail ? email : NULL;
    if (c->api != NULL && !cc_is_http(c->api)) {
        vg_set_error(ctx, "circuit %s: contact.api is not an http:// or https:// URL", c->id);
        return VG_ERR;
    }
    if (c->email != NULL && st->cfg->tx.smtp_url == NULL) {
        snprintf(line, sizeof(line), "circuit %s: no smtp_url, so no e-mail to %s\n", c->id,
                 c->email);
        vg_action_output(ctx, line, strlen(line));
        c->email = NULL;
    }
    if (c->api == NULL && c->email == NULL) {
        vg_set_error(ctx,
                     "circuit %s: no way to reach %s (no usable contact.api or "
                     "contact.email for via)",
                     c->id, c->carrier);
        return VG_ERR;
    }
    return VG_OK;
}

static int open_ticket(struct vg_ctx *ctx, struct carrier_state *st,
                       const struct vg_action_call *call, struct fjson_object *rec,
                       const struct circuit *c)
{
    struct cc_outcome out = {{0}, VG_OK};
    char ticket[160] = "";
    char line[400];
    int rc;

    if (c->api != NULL) {
        rc = open_api(ctx, st, call, rec, c, ticket, sizeof(ticket));
        if (rc != VG_OK) {
            return rc;
        }
        vg_action_result(ctx, "ticket_id", ticket);
        snprintf(line, sizeof(line), "ticket %s opened with %s for circuit %s\n", ticket,
                 c->carrier, c->id);
        vg_action_output(ctx, line, strlen(line));
    }
    if (c->email != NULL) {
        mail_ticket(ctx, st, call, rec, c, ticket[0] != '\0' ? ticket : NULL, "opened", &out);
    }
    vg_action_result(ctx, "status", "open");
    rc = cc_outcome_finish(ctx, &out);
    /* The API's ticket exists: a failed e-mail after it is retried, never a second ticket. */
    return rc;
}

static int update_ticket(struct vg_ctx *ctx, struct carrier_state *st,
                         const struct vg_action_call *call, struct fjson_object *rec,
                         const struct circuit *c, const char *status)
{
    struct vg_str prior = vg_call_prior(call, "carrier_ticket.ticket_id");
    struct vg_str prior_status = vg_call_prior(call, "carrier_ticket.status");
    struct cc_outcome out = {{0}, VG_OK};
    char line[400];
    int rc;

    if (prior_status.ptr != NULL && strcmp(prior_status.ptr, status) == 0 &&
        vg_call_transition(call) == VG_TR_CLOSE) {
        snprintf(line, sizeof(line), "ticket already %s\n", status);
        vg_action_output(ctx, line, strlen(line));
        return VG_OK;
    }
    if (prior.ptr != NULL &&
        vg_value_check(ctx, VG_VAL_ID, "carrier_ticket.ticket_id", prior.ptr, prior.len) != VG_OK) {
        return VG_ERR;
    }
    if (c->api != NULL && prior.ptr == NULL && c->email == NULL) {
        vg_set_error(ctx,
                     "no carrier ticket was recorded for this incident: tell %s about "
                     "circuit %s by hand",
                     c->carrier, c->id);
        return VG_ERR;
    }
    if (c->api != NULL && prior.ptr != NULL) {
        rc = update_api(ctx, st, call, rec, c, prior.ptr, status);
        if (rc != VG_OK) {
            return rc;
        }
        vg_action_result(ctx, "ticket_id", prior.ptr);
        snprintf(line, sizeof(line), "ticket %s of %s set to %s\n", prior.ptr, c->carrier, status);
        vg_action_output(ctx, line, strlen(line));
    }
    if (c->email != NULL) {
        mail_ticket(ctx, st, call, rec, c, prior.ptr, status, &out);
    }
    vg_action_result(ctx, "status", status);
    return cc_outcome_finish(ctx, &out);
}

static int carrier_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    struct carrier_state *st = state;
    struct circuit c;
    struct fjson_object *rec;
    char num[4][32];
    const char *resp;
    char line[300];
    enum vg_transition tr = vg_call_transition(call);
    int rc;

    memset(&c, 0, sizeof(c));
    rec = cc_record(ctx, call);
    if (rec == NULL) {
        return VG_ERR;
    }
    rc = cc_record_check(ctx, rec);
    if (rc == VG_OK) {
        rc = find_circuit(ctx, st, call, &c);
    }
    if (rc != VG_OK) {
        goto out_put;
    }
    c.id = cc_json_str(c.obj, "id", num[0], 32);
    c.carrier = cc_json_str(c.obj, "carrier", num[1], 32);
    c.device = cc_json_str(c.obj, "device", num[2], 32);
    c.ifname = cc_json_str(c.obj, "interface", num[3], 32);
    c.id = c.id != NULL ? c.id : "?";
    c.carrier = c.carrier != NULL ? c.carrier : "the carrier";
    resp = cc_json_str(c.obj, "responsibility", line, sizeof(line));
    vg_action_result(ctx, "circuit_id", c.id);
    if (resp == NULL || strcmp(resp, "carrier") != 0) {
        snprintf(line, sizeof(line), "fault is ours: no carrier ticket (circuit %s)\n", c.id);
        vg_action_output(ctx, line, strlen(line));
        vg_action_result(ctx, "skipped", "ours");
        rc = VG_OK;
        goto out_put;
    }
    rc = channels(ctx, st, &c);
    if (rc != VG_OK) {
        goto out_put;
    }
    if (tr == VG_TR_OPEN) {
        rc = open_ticket(ctx, st, call, rec, &c);
    } else if (tr == VG_TR_RESOLVE || tr == VG_TR_CLOSE) {
        rc = update_ticket(ctx, st, call, rec, &c, "resolved");
    } else if (vg_call_prior(call, "carrier_ticket.ticket_id").ptr != NULL) {
        rc = update_ticket(ctx, st, call, rec, &c, "open");
    } else {
        snprintf(line, sizeof(line), "no ticket for circuit %s yet: nothing to update\n", c.id);
        vg_action_output(ctx, line, strlen(line));
    }
out_put:
    if (c.obj != NULL) {
        fjson_object_put(c.obj);
    }
    fjson_object_put(rec);
    return rc;
}

static const struct vg_plugin carrier_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "carrier_ticket",
    .version = "1.0.0",
    .description = "open and resolve a carrier trouble ticket for a WAN circuit (API, e-mail)",
    .options = carrier_options,
    .config_size = sizeof(struct carrier_config),
    .create = carrier_create,
    .destroy = cc_state_free,
    .run = carrier_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &carrier_plugin);
}
