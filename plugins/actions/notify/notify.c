/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "notify": tells people about an incident transition. E-mail goes to the
 * people of inventory roles and to explicit addresses (subject and body are templates of the
 * incident record); webhooks get the transition as our own JSON, as an Alertmanager webhook
 * (version 4) or as a PagerDuty Events API v2 event. HTTP status, Message-ID and the
 * PagerDuty dedup_key are recorded; a retried call skips the targets already reached.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vigil/plugin.h>

#include "curl_common.h"

const struct vg_host_api *vg_host;

#define PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"

/* Webhook payload shapes. */
enum notify_format {
    FMT_GENERIC = 0,      /* our own JSON */
    FMT_ALERTMANAGER = 1, /* Alertmanager webhook, version 4 */
    FMT_PAGERDUTY = 2,    /* PagerDuty Events API v2 */
};

struct notify_config {
    struct vg_strlist roles;   /* inventory roles whose people get the e-mail */
    struct vg_strlist to;      /* further e-mail addresses */
    struct vg_strlist webhook; /* URLs the payload is POSTed to */
    const char *format;        /* "generic", "alertmanager" or "pagerduty" */
    const char *subject;       /* e-mail subject template */
    const char *body;          /* e-mail body template */
    int details;               /* 1: append key, playbook and link to the e-mail body */
    const char *link;          /* template of a link to the incident, or NULL */
    const char *receiver;      /* Alertmanager receiver name */
    const char *routing_key;   /* PagerDuty: secret ref of the integration key */
    const char *source;        /* PagerDuty: template of the source, or NULL */
    struct cc_transport tx;    /* SMTP relay and HTTP token */
};

struct notify_state {
    struct cc_memo memo;             /* deliveries done, for retried calls (first: cc_state_new) */
    const struct notify_config *cfg; /* the core's config block */
    int format;                      /* enum notify_format */
};

/* What one run has gathered: the record, the texts made from templates, the results. */
struct notify_run {
    struct fjson_object *rec; /* the incident record */
    char *link;               /* expanded link, or NULL */
    struct cc_outcome out;    /* what the deliveries came to */
};

static const struct vg_option notify_options[] = {
    {"roles", VG_OPT_STRLIST, "[]", 0, offsetof(struct notify_config, roles),
     "inventory roles (people[].roles) whose people get the e-mail"},
    {"to", VG_OPT_STRLIST, "[]", 0, offsetof(struct notify_config, to), "further e-mail addresses"},
    {"webhook", VG_OPT_STRLIST, "[]", 0, offsetof(struct notify_config, webhook),
     "http(s) URLs the payload is POSTed to (pagerduty: default the Events API v2 URL)"},
    {"format", VG_OPT_STR, "\"generic\"", 0, offsetof(struct notify_config, format),
     "webhook payload: generic, alertmanager (webhook v4) or pagerduty (Events API v2)"},
    {"subject", VG_OPT_STR, "\"[vigil] ${incident.severity}: ${incident.title} (${transition})\"",
     0, offsetof(struct notify_config, subject), "e-mail subject template (${path} of the record)"},
    {"body", VG_OPT_STR,
     "\"Incident ${incident.id}: ${transition}\\n\\nTitle:      ${incident.title}\\n"
     "Class:      ${incident.class}\\nSeverity:   ${incident.severity}\\n"
     "Status:     ${incident.status}\\nFirst seen: ${incident.first_seen}\\n"
     "Last seen:  ${incident.last_seen}\\nEvents:     ${incident.count}\\n"
     "Procedure:  ${incident.procedure}\\nRule:       ${rule.name}\\n\"",
     0, offsetof(struct notify_config, body), "e-mail body template (${path} of the record)"},
    {"details", VG_OPT_BOOL, "true", 0, offsetof(struct notify_config, details),
     "append the key fields, the playbook steps and the link to the e-mail body"},
    {"link", VG_OPT_STR, NULL, 0, offsetof(struct notify_config, link),
     "template of a link to the incident, e.g. https://noc.example/incidents/${incident.id}"},
    {"receiver", VG_OPT_STR, "\"vigil\"", 0, offsetof(struct notify_config, receiver),
     "alertmanager: the receiver name in the payload"},
    {"routing_key", VG_OPT_STR, NULL, 0, offsetof(struct notify_config, routing_key),
     "pagerduty: secret ref (file:/path or env:NAME) of the integration key"},
    {"source", VG_OPT_STR, NULL, 0, offsetof(struct notify_config, source),
     "pagerduty: template of payload.source; default the first key value"},
    CC_TRANSPORT_OPTIONS(struct notify_config, tx),
    {NULL, 0, NULL, 0, 0, NULL},
};

static int notify_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct notify_config *cfg = config;
    struct notify_state *st;
    int format;
    int rc;

    if (strcmp(cfg->format, "generic") == 0) {
        format = FMT_GENERIC;
    } else if (strcmp(cfg->format, "alertmanager") == 0) {
        format = FMT_ALERTMANAGER;
    } else if (strcmp(cfg->format, "pagerduty") == 0) {
        format = FMT_PAGERDUTY;
    } else {
        vg_set_error(ctx, "format \"%s\" is not one of generic, alertmanager, pagerduty",
                     cfg->format);
        return VG_EINVAL;
    }
    if (format == FMT_PAGERDUTY && cfg->routing_key == NULL) {
        vg_set_error(ctx, "format pagerduty needs routing_key (a secret ref)");
        return VG_EINVAL;
    }
    if (cfg->roles.n == 0 && cfg->to.n == 0 && cfg->webhook.n == 0 && format != FMT_PAGERDUTY) {
        vg_set_error(ctx, "nothing to notify: set roles, to or webhook");
        return VG_EINVAL;
    }
    rc = cc_state_new(ctx, &cfg->tx, &cfg->webhook, cfg->roles.n > 0 || cfg->to.n > 0, sizeof(*st),
                      state);
    if (rc == VG_OK) {
        st = *state;
        st->cfg = cfg;
        st->format = format;
    }
    return rc;
}

static int resolved(const struct vg_action_call *call)
{
    enum vg_transition tr = vg_call_transition(call);

    return tr == VG_TR_RESOLVE || tr == VG_TR_CLOSE;
}

/* Add member `name` of the record's `path` to o (shared, not copied), when present. */
static void copy(struct fjson_object *o, const char *name, struct fjson_object *rec,
                 const char *path)
{
    struct fjson_object *v = cc_json_get(rec, path);

    if (v != NULL) {
        fjson_object_object_add(o, name, fjson_object_get(v));
    }
}

/* "5 steps: 1 done, 1 failed, 3 pending" of the record's playbook; "" without one. */
static void playbook_summary(struct fjson_object *rec, char *buf, size_t len)
{
    static const char *const states[] = {"done", "failed", "pending", "not_applicable"};
    struct fjson_object *pb = cc_json_get(rec, "incident.playbook");
    size_t counts[4] = {0, 0, 0, 0};
    const char *sep = ": ";
    size_t off;
    size_t n;
    size_t i;
    size_t k;

    buf[0] = '\0';
    if (pb == NULL || !fjson_object_is_type(pb, fjson_type_array)) {
        return;
    }
    n = fjson_object_array_length(pb);
    for (i = 0; i < n; i++) {
        char num[32];
        const char *s =
            cc_json_str(fjson_object_array_get_idx(pb, (int)i), "status", num, sizeof(num));

        for (k = 0; s != NULL && k < 4; k++) {
            counts[k] += strcmp(s, states[k]) == 0;
        }
    }
    snprintf(buf, len, "%zu step%s", n, n == 1 ? "" : "s");
    for (k = 0; k < 4; k++) {
        off = strlen(buf);
        if (counts[k] > 0 && off < len) {
            snprintf(buf + off, len - off, "%s%zu %s", sep, counts[k], states[k]);
            sep = ", ";
        }
    }
}

static struct fjson_object *generic_payload(const struct vg_action_call *call, struct notify_run *r)
{
    static const char *const members[] = {"id",        "class",     "title", "severity",
                                          "status",    "key",       "count", "first_seen",
                                          "last_seen", "procedure", "flaps"};
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *inc = fjson_object_new_object();
    struct fjson_object *pb = fjson_object_new_object();
    char summary[160];
    size_t i;

    fjson_object_object_add(o, "version", fjson_object_new_string("1"));
    fjson_object_object_add(o, "source", fjson_object_new_string("vigil"));
    fjson_object_object_add(o, "transition", fjson_object_new_string(cc_transition_name(call)));
    copy(o, "timestamp", r->rec, "@timestamp");
    copy(o, "rule", r->rec, "rule.name");
    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        char path[64];

        snprintf(path, sizeof(path), "incident.%s", members[i]);
        copy(inc, members[i], r->rec, path);
    }
    fjson_object_object_add(o, "incident", inc);
    copy(o, "event", r->rec, "event");
    copy(o, "note", r->rec, "note");
    playbook_summary(r->rec, summary, sizeof(summary));
    if (summary[0] != '\0') {
        fjson_object_object_add(pb, "summary", fjson_object_new_string(summary));
        copy(pb, "steps", r->rec, "incident.playbook");
        fjson_object_object_add(o, "playbook", pb);
    } else {
        fjson_object_put(pb);
    }
    cc_json_add_str(o, "link", r->link);
    return o;
}

/* A Prometheus label name from a field name: [A-Za-z0-9_], not starting with a digit. */
static void label_name(const char *in, char *out, size_t len)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i + 2 < len; i++) {
        char ch = in[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                 (i > 0 && ch >= '0' && ch <= '9');

        out[i] = ok ? ch : '_';
    }
    out[i] = '\0';
}

static struct fjson_object *alertmanager_payload(const struct notify_state *st,
                                                 const struct vg_action_call *call,
                                                 struct notify_run *r)
{
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *labels = fjson_object_new_object();
    struct fjson_object *ann = fjson_object_new_object();
    struct fjson_object *group = fjson_object_new_object();
    struct fjson_object *alert = fjson_object_new_object();
    struct fjson_object *alerts = fjson_object_new_array();
    struct fjson_object *key = cc_json_get(r->rec, "incident.key");
    const char *status = resolved(call) ? "resolved" : "firing";
    char n1[32];
    char n2[32];
    char n3[32];
    const char *rule = cc_json_str(r->rec, "rule.name", n1, sizeof(n1));
    const char *id = cc_json_str(r->rec, "incident.id", n2, sizeof(n2));
    const char *count = cc_json_str(r->rec, "incident.count", n3, sizeof(n3));
    const char *first = cc_json_str(r->rec, "incident.first_seen", NULL, 0);
    const char *last = cc_json_str(r->rec, "incident.last_seen", NULL, 0);
    char group_key[400];
    char fp[17];
    char text[300];

    rule = rule != NULL ? rule : "vigil";
    id = id != NULL ? id : "";
    cc_json_add_str(labels, "alertname", rule);
    copy(labels, "severity", r->rec, "incident.severity");
    copy(labels, "class", r->rec, "incident.class");
    copy(labels, "procedure", r->rec, "incident.procedure");
    cc_json_add_str(labels, "incident_id", id);
    if (key != NULL && fjson_object_is_type(key, fjson_type_object)) {
        struct fjson_object_iterator it = fjson_object_iter_begin(key);
        struct fjson_object_iterator end = fjson_object_iter_end(key);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            char name[128];

            label_name(fjson_object_iter_peek_name(&it), name, sizeof(name));
            fjson_object_object_add(labels, name,
                                    fjson_object_get(fjson_object_iter_peek_value(&it)));
        }
    }
    copy(ann, "summary", r->rec, "incident.title");
    snprintf(text, sizeof(text), "%s event(s) from %s to %s", count != NULL ? count : "?",
             first != NULL ? first : "?", last != NULL ? last : "?");
    cc_json_add_str(ann, "description", text);
    copy(ann, "procedure", r->rec, "incident.procedure");
    cc_json_add_str(ann, "runbook_url", r->link);
    cc_json_add_str(group, "alertname", rule);
    cc_json_add_str(group, "incident_id", id);
    snprintf(group_key, sizeof(group_key), "{}:{alertname=\"%s\", incident_id=\"%s\"}", rule, id);
    /* The id's 16 hex digits name (rule, key): Alertmanager's fingerprint of the labels. */
    snprintf(fp, sizeof(fp), "%.16s", id);

    cc_json_add_str(alert, "status", status);
    fjson_object_object_add(alert, "labels", fjson_object_get(labels));
    fjson_object_object_add(alert, "annotations", fjson_object_get(ann));
    copy(alert, "startsAt", r->rec, "incident.first_seen");
    if (resolved(call)) {
        copy(alert, "endsAt", r->rec, "@timestamp");
    } else {
        cc_json_add_str(alert, "endsAt", "0001-01-01T00:00:00Z");
    }
    cc_json_add_str(alert, "generatorURL", r->link != NULL ? r->link : "");
    cc_json_add_str(alert, "fingerprint", fp);
    fjson_object_array_add(alerts, alert);

    cc_json_add_str(o, "version", "4");
    cc_json_add_str(o, "groupKey", group_key);
    fjson_object_object_add(o, "truncatedAlerts", fjson_object_new_int(0));
    cc_json_add_str(o, "status", status);
    cc_json_add_str(o, "receiver", st->cfg->receiver);
    fjson_object_object_add(o, "groupLabels", group);
    fjson_object_object_add(o, "commonLabels", labels);
    fjson_object_object_add(o, "commonAnnotations", ann);
    cc_json_add_str(o, "externalURL", r->link != NULL ? r->link : "");
    fjson_object_object_add(o, "alerts", alerts);
    return o;
}

static const char *pd_severity(const char *sev)
{
    if (sev == NULL) {
        return "error";
    }
    if (strcmp(sev, "critical") == 0) {
        return "critical";
    }
    if (strcmp(sev, "high") == 0) {
        return "error";
    }
    if (strcmp(sev, "info") == 0) {
        return "info";
    }
    return "warning";
}

/* payload.source: the source template, else the first key value, else "vigil". */
static char *pd_source(struct vg_ctx *ctx, const struct notify_state *st,
                       const struct vg_action_call *call, struct notify_run *r)
{
    struct fjson_object *key = cc_json_get(r->rec, "incident.key");

    if (st->cfg->source != NULL) {
        return vg_call_format(ctx, call, st->cfg->source, VG_VAL_TEXT);
    }
    if (key != NULL && fjson_object_is_type(key, fjson_type_object)) {
        struct fjson_object_iterator it = fjson_object_iter_begin(key);
        struct fjson_object_iterator end = fjson_object_iter_end(key);

        if (!fjson_object_iter_equal(&it, &end)) {
            const char *v = fjson_object_get_string(fjson_object_iter_peek_value(&it));

            if (v != NULL && v[0] != '\0') {
                return cc_strdup(v);
            }
        }
    }
    return cc_strdup("vigil");
}

static struct fjson_object *pagerduty_payload(struct vg_ctx *ctx, const struct notify_state *st,
                                              const struct vg_action_call *call,
                                              struct notify_run *r)
{
    /* payload.custom_details: member and record path. */
    static const char *const detail_paths[][2] = {
        {"incident_id", "incident.id"},
        {"transition", "transition"},
        {"status", "incident.status"},
        {"key", "incident.key"},
        {"count", "incident.count"},
        {"first_seen", "incident.first_seen"},
        {"last_seen", "incident.last_seen"},
        {"procedure", "incident.procedure"},
        {"note", "note"},
    };
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *p;
    struct fjson_object *details;
    char num[32];
    char summary[1025];
    char steps[160];
    const char *title = cc_json_str(r->rec, "incident.title", num, sizeof(num));
    char *source;
    size_t n;
    size_t i;

    cc_json_add_str(o, "event_action", resolved(call) ? "resolve" : "trigger");
    copy(o, "dedup_key", r->rec, "incident.id");
    if (resolved(call)) {
        return o;
    }
    source = pd_source(ctx, st, call, r);
    if (source == NULL) {
        fjson_object_put(o);
        return NULL;
    }
    p = fjson_object_new_object();
    details = fjson_object_new_object();
    /* PagerDuty takes 1024 characters of summary: cut on a character boundary. */
    title = title != NULL ? title : "vigil incident";
    n = strlen(title);
    if (n > 1024) {
        n = 1024;
        while (n > 0 && ((unsigned char)title[n] & 0xc0) == 0x80) {
            n--;
        }
    }
    memcpy(summary, title, n);
    summary[n] = '\0';
    cc_json_add_str(p, "summary", summary);
    cc_json_add_str(p, "source", source[0] != '\0' ? source : "vigil");
    vg_free(source);
    cc_json_add_str(p, "severity",
                    pd_severity(cc_json_str(r->rec, "incident.severity", num, sizeof(num))));
    copy(p, "timestamp", r->rec, "@timestamp");
    copy(p, "component", r->rec, "rule.name");
    copy(p, "group", r->rec, "incident.procedure");
    copy(p, "class", r->rec, "incident.class");
    for (i = 0; i < sizeof(detail_paths) / sizeof(detail_paths[0]); i++) {
        copy(details, detail_paths[i][0], r->rec, detail_paths[i][1]);
    }
    playbook_summary(r->rec, steps, sizeof(steps));
    if (steps[0] != '\0') {
        cc_json_add_str(details, "playbook", steps);
    }
    fjson_object_object_add(p, "custom_details", details);
    fjson_object_object_add(o, "payload", p);
    cc_json_add_str(o, "client", "vigil");
    cc_json_add_str(o, "client_url", r->link);
    return o;
}

/*
 * The PagerDuty body with the routing key put in front: the key never enters a JSON object
 * (whose memory is not zeroed) and is checked to need no escaping. NULL after an error; the
 * caller zeroes and frees the text.
 */
static char *with_routing_key(struct vg_ctx *ctx, const struct notify_state *st, const char *json)
{
    char *key = vg_secret_get(ctx, st->cfg->routing_key);
    char *out = NULL;
    size_t klen;
    size_t i;
    size_t n;

    if (key == NULL) {
        return NULL;
    }
    klen = strlen(key);
    for (i = 0; i < klen; i++) {
        char ch = key[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-')) {
            break;
        }
    }
    if (klen == 0 || klen > 128 || i < klen || json[0] != '{') {
        vg_set_error(ctx, "the routing key of %s is not 1-128 letters, digits, _ or -",
                     st->cfg->routing_key);
        goto out_free;
    }
    n = strlen(json) + klen + 32;
    out = vg_alloc(n);
    if (out == NULL) {
        vg_set_error(ctx, "out of memory");
        goto out_free;
    }
    snprintf(out, n, "{\"routing_key\":\"%s\"%s%s", key, json[1] == '}' ? "" : ",", json + 1);
out_free:
    cc_secret_free(key);
    return out;
}

/* PagerDuty answers with the dedup_key it filed the event under: record it. */
static void pd_reply(struct vg_ctx *ctx, const struct vg_action_call *call,
                     const struct cc_reply *reply, void *arg)
{
    struct fjson_object *ans = reply != NULL ? cc_json_parse(reply->body, reply->body_len) : NULL;
    struct vg_str id = vg_call_incident_id(call);
    char num[32];
    const char *dk = cc_json_str(ans, "dedup_key", num, sizeof(num));

    (void)arg;
    if (dk != NULL && cc_text_check(ctx, "dedup_key", dk) == VG_OK) {
        vg_action_result(ctx, "dedup_key", dk);
    } else if (id.ptr != NULL) {
        vg_action_result(ctx, "dedup_key", id.ptr);
    }
    if (ans != NULL) {
        fjson_object_put(ans);
    }
}

static void send_webhooks(struct vg_ctx *ctx, struct notify_state *st,
                          const struct vg_action_call *call, struct notify_run *r)
{
    static const char *const pd_default[] = {PAGERDUTY_URL};
    const struct notify_config *cfg = st->cfg;
    const char *const *urls = cfg->webhook.items;
    size_t n = cfg->webhook.n;
    struct fjson_object *payload;
    char *json;

    if (n == 0 && st->format == FMT_PAGERDUTY) {
        urls = pd_default;
        n = 1;
    }
    if (n == 0) {
        return;
    }
    if (st->format == FMT_ALERTMANAGER) {
        payload = alertmanager_payload(st, call, r);
    } else if (st->format == FMT_PAGERDUTY) {
        payload = pagerduty_payload(ctx, st, call, r);
    } else {
        payload = generic_payload(call, r);
    }
    if (payload == NULL) {
        cc_outcome_note(&r->out, VG_EINVAL);
        return;
    }
    json = cc_json_text(payload);
    fjson_object_put(payload);
    if (json != NULL && st->format == FMT_PAGERDUTY) {
        char *keyed = with_routing_key(ctx, st, json);

        vg_free(json);
        if (keyed == NULL) {
            cc_outcome_note(&r->out, VG_ERR);
            return;
        }
        json = keyed;
    }
    if (json == NULL) {
        vg_set_error(ctx, "out of memory");
        cc_outcome_note(&r->out, VG_ENOMEM);
        return;
    }
    cc_post_all(ctx, call, &st->memo, &cfg->tx, urls, n, json,
                st->format == FMT_PAGERDUTY ? pd_reply : NULL, NULL, &r->out);
    explicit_bzero(json, strlen(json));
    vg_free(json);
}

/* The key fields, the playbook steps and the link after the body template's text. */
static void body_details(struct cc_buf *b, struct notify_run *r)
{
    struct fjson_object *key = cc_json_get(r->rec, "incident.key");
    struct fjson_object *pb = cc_json_get(r->rec, "incident.playbook");
    char num[32];
    size_t i;
    size_t n;

    if (key != NULL && fjson_object_is_type(key, fjson_type_object)) {
        struct fjson_object_iterator it = fjson_object_iter_begin(key);
        struct fjson_object_iterator end = fjson_object_iter_end(key);

        cc_buf_puts(b, "\nKey:\n");
        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            const char *v = fjson_object_get_string(fjson_object_iter_peek_value(&it));

            cc_buf_printf(b, "  %s = %s\n", fjson_object_iter_peek_name(&it), v ? v : "");
        }
    }
    if (pb != NULL && fjson_object_is_type(pb, fjson_type_array)) {
        char summary[160];

        playbook_summary(r->rec, summary, sizeof(summary));
        cc_buf_printf(b, "\nPlaybook (%s):\n", summary);
        n = fjson_object_array_length(pb);
        for (i = 0; i < n; i++) {
            struct fjson_object *s = fjson_object_array_get_idx(pb, (int)i);
            char n1[32];
            char n2[32];
            const char *step = cc_json_str(s, "step", num, sizeof(num));
            const char *status = cc_json_str(s, "status", n1, sizeof(n1));
            const char *text = cc_json_str(s, "text", n2, sizeof(n2));

            cc_buf_printf(b, "  [%s] %s %s\n", status ? status : "?", step ? step : "?",
                          text ? text : "");
        }
    }
    if (r->link != NULL) {
        cc_buf_printf(b, "\n%s\n", r->link);
    }
}

static void send_mail(struct vg_ctx *ctx, struct notify_state *st,
                      const struct vg_action_call *call, struct notify_run *r)
{
    const struct notify_config *cfg = st->cfg;
    struct cc_letter l = {&cfg->roles, &cfg->to, NULL, {0}, {0}};
    char *subject;
    char *text = NULL;

    if (cfg->roles.n == 0 && cfg->to.n == 0) {
        return;
    }
    subject = vg_call_format(ctx, call, cfg->subject, VG_VAL_TEXT);
    if (subject != NULL) {
        text = vg_call_format(ctx, call, cfg->body, VG_VAL_TEXT);
    }
    if (text == NULL) {
        vg_free(subject);
        cc_outcome_note(&r->out, VG_EINVAL);
        return;
    }
    cc_buf_puts(&l.subject, subject);
    cc_buf_puts(&l.body, text);
    if (cfg->details) {
        body_details(&l.body, r);
    }
    vg_free(subject);
    vg_free(text);
    cc_letter_send(ctx, call, &st->memo, &cfg->tx, &l, &r->out);
}

static int notify_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    struct notify_state *st = state;
    struct notify_run r = {0};

    r.rec = cc_record(ctx, call);
    if (r.rec == NULL) {
        return VG_ERR;
    }
    if (cc_record_check(ctx, r.rec) != VG_OK) {
        fjson_object_put(r.rec);
        return VG_EINVAL;
    }
    if (st->cfg->link != NULL) {
        r.link = vg_call_format(ctx, call, st->cfg->link, VG_VAL_TEXT);
        if (r.link == NULL) {
            fjson_object_put(r.rec);
            return VG_EINVAL;
        }
    }
    send_webhooks(ctx, st, call, &r);
    send_mail(ctx, st, call, &r);
    vg_free(r.link);
    fjson_object_put(r.rec);
    return cc_outcome_finish(ctx, &r.out);
}

static const struct vg_plugin notify_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "notify",
    .version = "1.0.0",
    .description = "e-mail to inventory roles and webhooks (generic, Alertmanager, PagerDuty)",
    .options = notify_options,
    .config_size = sizeof(struct notify_config),
    .create = notify_create,
    .destroy = cc_state_free,
    .run = notify_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &notify_plugin);
}
