/* SPDX-License-Identifier: MIT */
/*
 * Action plugin "spare_dispatch": a failed device needs its spare. The device named by the
 * incident is looked up in the inventory (model, site, vendor support), a spare of that
 * model with stock is chosen (the device's own site first), and a dispatch request goes by
 * e-mail to a role (on_duty by default) and/or as JSON to webhooks. No spare in stock is a
 * failure for a person: the step of calling the supplier's engineer applies then.
 */
#define _GNU_SOURCE /* strcasecmp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <vigil/plugin.h>

#include "curl_common.h"

const struct vg_host_api *vg_host;

struct spare_config {
    const char *device_field;  /* record path of the device name */
    struct vg_strlist roles;   /* inventory roles that get the e-mail */
    struct vg_strlist to;      /* further e-mail addresses */
    struct vg_strlist webhook; /* URLs the JSON request is POSTed to */
    const char *fallback;      /* what applies when no spare is in stock */
    const char *note;          /* template added to the request, or NULL */
    struct cc_transport tx;    /* SMTP relay and HTTP token */
};

struct spare_state {
    struct cc_memo memo;            /* deliveries done, for retried calls (first: cc_state_new) */
    const struct spare_config *cfg; /* the core's config block */
};

/* The device, its spare and the people to call: strings borrowed from the parsed JSON. */
struct dispatch {
    const char *device;           /* the device's inventory name */
    const char *model;            /* its model */
    const char *site;             /* its site, or NULL */
    const char *location;         /* where the chosen spare is */
    const char *sp_site;          /* the spare's site, or NULL */
    const char *kind;             /* the spare's kind ("device", "part"), or NULL */
    int64_t count;                /* spares of the model in stock there */
    struct fjson_object *support; /* the device's vendor support contact, or NULL */
    char *note;                   /* the expanded note, or NULL */
};

static const struct vg_option spare_options[] = {
    {"device_field", VG_OPT_STR, "\"incident.key.host.name\"", 0,
     offsetof(struct spare_config, device_field),
     "path in the incident record of the failed device's name or address"},
    {"roles", VG_OPT_STRLIST, "[\"on_duty\"]", 0, offsetof(struct spare_config, roles),
     "inventory roles whose people get the dispatch request by e-mail"},
    {"to", VG_OPT_STRLIST, "[]", 0, offsetof(struct spare_config, to),
     "further e-mail addresses for the request"},
    {"webhook", VG_OPT_STRLIST, "[]", 0, offsetof(struct spare_config, webhook),
     "http(s) URLs the request is POSTed to as JSON"},
    {"fallback", VG_OPT_STR, "\"step 5.2.7.4 (supplier engineer) applies\"", 0,
     offsetof(struct spare_config, fallback), "what the failure says when no spare is in stock"},
    {"note", VG_OPT_STR, NULL, 0, offsetof(struct spare_config, note),
     "template of a note added to the request (${path} of the incident record)"},
    CC_TRANSPORT_OPTIONS(struct spare_config, tx),
    {NULL, 0, NULL, 0, 0, NULL},
};

static int spare_create(struct vg_ctx *ctx, const void *config, void **state)
{
    const struct spare_config *cfg = config;
    int rc;

    if (cfg->roles.n == 0 && cfg->to.n == 0 && cfg->webhook.n == 0) {
        vg_set_error(ctx, "nowhere to send the request: set roles, to or webhook");
        return VG_EINVAL;
    }
    rc = cc_state_new(ctx, &cfg->tx, &cfg->webhook, cfg->roles.n > 0 || cfg->to.n > 0,
                      sizeof(struct spare_state), state);
    if (rc == VG_OK) {
        struct spare_state *st = *state;

        st->cfg = cfg;
    }
    return rc;
}

/*
 * The spare to send: in stock, at the device's site when there is one, else the one with
 * the most in stock. NULL when none is in stock.
 */
static struct fjson_object *choose(struct fjson_object *spares, const char *site)
{
    struct fjson_object *best = NULL;
    int best_local = 0;
    int64_t best_count = 0;
    size_t n;
    size_t i;

    if (spares == NULL || !fjson_object_is_type(spares, fjson_type_array)) {
        return NULL;
    }
    n = fjson_object_array_length(spares);
    for (i = 0; i < n; i++) {
        struct fjson_object *s = fjson_object_array_get_idx(spares, (int)i);
        struct fjson_object *c = cc_json_get(s, "count");
        char num[32];
        const char *ssite = cc_json_str(s, "site", num, sizeof(num));
        int local = site != NULL && ssite != NULL && strcasecmp(site, ssite) == 0;
        int64_t count = c != NULL ? fjson_object_get_int64(c) : 0;

        if (count <= 0 || cc_json_str(s, "location", num, sizeof(num)) == NULL) {
            continue;
        }
        if (best == NULL || local > best_local || (local == best_local && count > best_count)) {
            best = s;
            best_local = local;
            best_count = count;
        }
    }
    return best;
}

static struct fjson_object *request_json(const struct vg_action_call *call,
                                         struct fjson_object *rec, const struct dispatch *d)
{
    struct fjson_object *o = fjson_object_new_object();
    struct fjson_object *spare = fjson_object_new_object();
    struct vg_str id = vg_call_incident_id(call);
    char n1[32];
    char n2[32];
    char n3[32];

    cc_json_add_str(o, "request", "spare_dispatch");
    cc_json_add_str(o, "incident_id", id.ptr);
    cc_json_add_str(o, "title", cc_json_str(rec, "incident.title", n1, sizeof(n1)));
    cc_json_add_str(o, "severity", cc_json_str(rec, "incident.severity", n2, sizeof(n2)));
    cc_json_add_str(o, "first_seen", cc_json_str(rec, "incident.first_seen", n3, sizeof(n3)));
    cc_json_add_str(o, "device", d->device);
    cc_json_add_str(o, "model", d->model);
    cc_json_add_str(o, "site", d->site);
    cc_json_add_str(spare, "location", d->location);
    cc_json_add_str(spare, "site", d->sp_site);
    cc_json_add_str(spare, "kind", d->kind);
    fjson_object_object_add(spare, "count", fjson_object_new_int64(d->count));
    fjson_object_object_add(o, "spare", spare);
    cc_json_add_str(o, "spare_location", d->location);
    fjson_object_object_add(o, "count", fjson_object_new_int64(d->count));
    if (d->support != NULL) {
        fjson_object_object_add(o, "contact", fjson_object_get(d->support));
    }
    cc_json_add_str(o, "note", d->note);
    return o;
}

static void contact_line(struct cc_buf *b, struct fjson_object *support)
{
    static const char *const parts[] = {"name", "phone", "email", "contract"};
    const char *sep = "";
    size_t i;

    cc_buf_puts(b, "Vendor support: ");
    for (i = 0; i < 4; i++) {
        char num[32];
        const char *v = cc_json_str(support, parts[i], num, sizeof(num));

        if (v != NULL) {
            cc_buf_printf(b, "%s%s%s", sep, i == 3 ? "contract " : "", v);
            sep = ", ";
        }
    }
    cc_buf_puts(b, sep[0] != '\0' ? "\n" : "(none in the inventory)\n");
}

static void send_mail(struct vg_ctx *ctx, struct spare_state *st, const struct vg_action_call *call,
                      struct fjson_object *rec, const struct dispatch *d, struct cc_outcome *out)
{
    const struct spare_config *cfg = st->cfg;
    struct vg_str id = vg_call_incident_id(call);
    struct cc_letter l = {&cfg->roles, &cfg->to, NULL, {0}, {0}};
    char n1[32];
    const char *title = cc_json_str(rec, "incident.title", n1, sizeof(n1));

    if (cfg->roles.n == 0 && cfg->to.n == 0) {
        return;
    }
    cc_buf_printf(&l.subject, "[vigil] spare dispatch: %s for %s%s%s", d->model, d->device,
                  d->site != NULL ? " at " : "", d->site != NULL ? d->site : "");
    cc_buf_printf(&l.body,
                  "Please send a spare for a failed device.\n\n"
                  "Device:         %s\nModel:          %s\nSite:           %s\n"
                  "Spare location: %s%s%s%s\nIn stock there: %lld\n",
                  d->device, d->model, d->site != NULL ? d->site : "-", d->location,
                  d->sp_site != NULL ? " (site " : "", d->sp_site != NULL ? d->sp_site : "",
                  d->sp_site != NULL ? ")" : "", (long long)d->count);
    contact_line(&l.body, d->support);
    cc_buf_printf(&l.body, "\nIncident:       %.*s\nTitle:          %s\n", (int)id.len,
                  id.ptr != NULL ? id.ptr : "", title != NULL ? title : "");
    if (d->note != NULL) {
        cc_buf_printf(&l.body, "\n%s\n", d->note);
    }
    cc_letter_send(ctx, call, &st->memo, &cfg->tx, &l, out);
}

/* The device named by the incident, checked, looked up; NULL after vg_set_error(). */
static struct fjson_object *find_device(struct vg_ctx *ctx, const struct spare_config *cfg,
                                        const struct vg_action_call *call, int *rc)
{
    struct vg_str name = vg_call_field(call, cfg->device_field);
    struct fjson_object *dev;

    if (name.ptr == NULL || name.len == 0) {
        vg_set_error(ctx, "the incident has no %s: no device to replace", cfg->device_field);
        *rc = VG_ERR;
        return NULL;
    }
    *rc = vg_value_check(ctx, VG_VAL_NAME, cfg->device_field, name.ptr, name.len);
    if (*rc != VG_OK) {
        return NULL;
    }
    dev = cc_inventory(ctx, "devices", name.ptr, rc);
    if (dev == NULL && *rc == VG_OK) {
        vg_set_error(ctx, "device %s is not in the inventory", name.ptr);
        *rc = VG_ERR;
    }
    return dev;
}

static int spare_run(struct vg_ctx *ctx, void *state, const struct vg_action_call *call)
{
    struct spare_state *st = state;
    const struct spare_config *cfg = st->cfg;
    struct fjson_object *rec;
    struct fjson_object *dev = NULL;
    struct fjson_object *spares = NULL;
    struct fjson_object *pick;
    struct fjson_object *json = NULL;
    struct cc_outcome out = {{0}, VG_OK};
    struct dispatch d;
    char *text = NULL;
    char line[600];
    char n1[32];
    char n2[32];
    char n3[32];
    char n4[32];
    char n5[32];
    char n6[32];
    int rc;

    memset(&d, 0, sizeof(d));
    rec = cc_record(ctx, call);
    if (rec == NULL) {
        return VG_ERR;
    }
    rc = cc_record_check(ctx, rec);
    if (rc == VG_OK) {
        dev = find_device(ctx, cfg, call, &rc);
    }
    if (rc != VG_OK) {
        goto out_put;
    }
    d.device = cc_json_str(dev, "name", n1, sizeof(n1));
    if (d.device == NULL) {
        d.device = vg_call_field(call, cfg->device_field).ptr;
    }
    d.model = cc_json_str(dev, "model", n2, sizeof(n2));
    d.site = cc_json_str(dev, "site", n3, sizeof(n3));
    d.support = cc_json_get(dev, "support");
    if (d.model == NULL || d.model[0] == '\0') {
        vg_set_error(ctx, "device %s has no model in the inventory: %s", d.device, cfg->fallback);
        rc = VG_ERR;
        goto out_put;
    }
    spares = cc_inventory(ctx, "spares", d.model, &rc);
    if (rc != VG_OK) {
        goto out_put;
    }
    pick = choose(spares, d.site);
    if (pick == NULL) {
        snprintf(line, sizeof(line), "no spare of model %s: %s\n", d.model, cfg->fallback);
        vg_action_output(ctx, line, strlen(line));
        vg_action_result(ctx, "spare_location", "none");
        vg_set_error(ctx, "no spare of model %s: %s", d.model, cfg->fallback);
        rc = VG_ERR;
        goto out_put;
    }
    d.location = cc_json_str(pick, "location", n4, sizeof(n4));
    d.sp_site = cc_json_str(pick, "site", n5, sizeof(n5));
    d.kind = cc_json_str(pick, "kind", n6, sizeof(n6));
    d.count = fjson_object_get_int64(cc_json_get(pick, "count"));
    if (cfg->note != NULL) {
        d.note = vg_call_format(ctx, call, cfg->note, VG_VAL_TEXT);
        if (d.note == NULL) {
            rc = VG_EINVAL;
            goto out_put;
        }
    }
    vg_action_result(ctx, "spare_location", d.location);
    vg_action_result(ctx, "model", d.model);
    if (cfg->webhook.n > 0) {
        json = request_json(call, rec, &d);
        text = cc_json_text(json);
        if (text == NULL) {
            vg_set_error(ctx, "out of memory");
            rc = VG_ENOMEM;
            goto out_put;
        }
        cc_post_all(ctx, call, &st->memo, &cfg->tx, cfg->webhook.items, cfg->webhook.n, text, NULL,
                    NULL, &out);
    }
    send_mail(ctx, st, call, rec, &d, &out);
    rc = cc_outcome_finish(ctx, &out);
    if (rc == VG_OK) {
        char msg[700];

        snprintf(msg, sizeof(msg), "spare %s for %s requested from %s\n", d.model, d.device,
                 d.location);
        vg_action_output(ctx, msg, strlen(msg));
    }
out_put:
    vg_free(text);
    vg_free(d.note);
    if (json != NULL) {
        fjson_object_put(json);
    }
    if (spares != NULL) {
        fjson_object_put(spares);
    }
    if (dev != NULL) {
        fjson_object_put(dev);
    }
    fjson_object_put(rec);
    return rc;
}

static const struct vg_plugin spare_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_ACTION),
    .flags = VG_PLUGIN_CONCURRENT,
    .name = "spare_dispatch",
    .version = "1.0.0",
    .description = "request a spare of a failed device's model from the inventory's stock",
    .options = spare_options,
    .config_size = sizeof(struct spare_config),
    .create = spare_create,
    .destroy = cc_state_free,
    .run = spare_run,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &spare_plugin);
}
