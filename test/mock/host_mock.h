/* SPDX-License-Identifier: MIT */
/*
 * A fake host for testing plugins without the daemon (collectd's plugin_mock
 * idea): a vg_host_api whose clock is set by the test, whose log and errors are
 * captured, whose events are built from field lists, and whose incident, state
 * and action services record what the plugin asked for (a test hands state
 * outcomes back by calling the plugin's on_state itself).
 */
#ifndef VG_TEST_HOST_MOCK_H
#define VG_TEST_HOST_MOCK_H

#include <stddef.h>
#include <stdint.h>

#define VG_CORE
#include <vigil/plugin.h>

#define MOCK_MAX_FIELDS 32

/* An event: up to MOCK_MAX_FIELDS name/value pairs. */
struct vg_event {
    const char *names[MOCK_MAX_FIELDS];  /* field names */
    const char *values[MOCK_MAX_FIELDS]; /* their values */
    size_t n;                            /* fields */
    int64_t ts_ms;                       /* @timestamp */
};

/* The context of one callback, and what the plugin did during it. */
struct vg_ctx {
    int64_t now_ms;               /* what vg_now_ms returns */
    const char *key;              /* what vg_event_key returns */
    char err[512];                /* vg_set_error text */
    char log[4096];               /* everything logged, one line per message */
    int n_upserts;                /* vg_incident_upsert calls */
    int last_severity;            /* the severity of the last upsert request */
    char output[4096];            /* vg_action_output bytes */
    size_t output_len;            /* bytes in output */
    char results[1024];           /* vg_action_result pairs as "name=value;" */
    int n_resolves;               /* vg_incident_resolve calls */
    int n_state_ops;              /* vg_state_op calls */
    struct vg_state_req last_req; /* the last state request (strings not kept) */
};

/* One action call. */
struct vg_action_call {
    int transition;      /* enum vg_transition */
    const char *json;    /* the incident record */
    const char *id;      /* the incident id */
    int64_t deadline_ms; /* wall-clock deadline */
};

/* The fake host table. */
extern const struct vg_host_api mock_host;

/* Load a plugin file with dlopen and return its descriptor through the mock host, or NULL. */
const struct vg_plugin *mock_load(const char *path, void **dl);

#endif /* VG_TEST_HOST_MOCK_H */
