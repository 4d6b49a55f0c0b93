/* SPDX-License-Identifier: MIT */
/*
 * A test rule plugin for the ABI 1.3 incident request: it opens or updates the
 * incident of its key with findings (the event's x.resp) and playbook changes
 * chosen by them, as the class plugins do: x.resp "ours" makes 5.2.5.3 pending
 * for the on-duty staff and rules 5.2.5.4 (the carrier ticket) out, anything
 * else the reverse; x.registered "true" adds 5.3.1 for a person.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vigil/plugin.h>

const struct vg_host_api *vg_host;

static int ts_create(struct vg_ctx *ctx, const void *config, void **state)
{
    (void)ctx;
    (void)config;
    *state = NULL;
    return VG_OK;
}

static int ts_on_event(struct vg_ctx *ctx, void *state, const struct vg_event *ev)
{
    struct vg_str resp = vg_event_field(ev, "x.resp");
    struct vg_str reg = vg_event_field(ev, "x.registered");
    int ours = resp.ptr != NULL && strcmp(resp.ptr, "ours") == 0;
    struct vg_step_req steps[3] = {
        {sizeof(steps[0]), ours ? VG_STEP_PENDING : VG_STEP_NOT_APPLICABLE, "5.2.5.3",
         ours ? "on_duty" : NULL, ours ? "the fault is ours" : "the fault is the carrier's"},
        {sizeof(steps[0]), ours ? VG_STEP_NOT_APPLICABLE : VG_STEP_PENDING, "5.2.5.4",
         ours ? NULL : "action:test_on", ours ? "the fault is ours" : "the fault is the carrier's"},
        {sizeof(steps[0]), VG_STEP_PENDING, "5.3.1", "person", "a registered product's host"},
    };
    char findings[128];
    struct vg_incident_req req = {.size = sizeof(req), .findings = findings, .steps = steps};

    (void)state;
    snprintf(findings, sizeof(findings), "{\"responsibility\":\"%s\",\"checked\":[\"link\"]}",
             ours ? "ours" : "carrier");
    req.n_steps = reg.ptr != NULL && strcmp(reg.ptr, "true") == 0 ? 3 : 2;
    return vg_incident_upsert(ctx, ev, &req);
}

static const struct vg_plugin ts_plugin = {
    VG_PLUGIN_HEADER(VG_PLUGIN_RULE),
    .name = "test_steps",
    .version = "1.0",
    .description = "test rule: findings and playbook changes (ABI 1.3)",
    .config_size = 0,
    .create = ts_create,
    .on_event = ts_on_event,
};

VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host)
{
    return vg_plugin_accept(host, &ts_plugin);
}
