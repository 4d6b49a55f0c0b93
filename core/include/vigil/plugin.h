/* SPDX-License-Identifier: MIT */
/*
 * The vigil plugin ABI, version 1: the only header a plugin includes. A plugin is
 * a shared object exporting one symbol, vg_plugin_entry(), which checks the host
 * table it is given and returns the plugin's descriptor. Everything a plugin may
 * touch is reached through the host table; events, incidents and call contexts are
 * opaque handles. Both tables start with their ABI version and their size and
 * only ever grow at the end. See docs/plugin-abi.md for the promise this makes.
 *
 * Ownership, one sentence per type:
 * - struct vg_event: owned by the core; borrowed for the duration of a callback.
 * - struct vg_str: borrowed from the object it was read from, NUL-terminated, may
 *   contain NULs; valid until the callback returns.
 * - struct vg_ctx: owned by the core; valid only during the callback it is given to.
 * - config block: allocated, filled and freed by the core; read-only to the plugin
 *   from create() until destroy() returns.
 * - plugin state (void *): the plugin's own, allocated in create(), freed in destroy().
 * - strings passed into host functions are copied by the core.
 * - memory from vg_alloc() is freed with vg_free(), nothing else.
 */
#ifndef VG_VIGIL_PLUGIN_H
#define VG_VIGIL_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major: a change here breaks plugins; the core refuses another major. @since 1.0 */
#define VG_PLUGIN_ABI_MAJOR 1
/** ABI minor: grows when members are appended to a table. @since 1.0 */
#define VG_PLUGIN_ABI_MINOR 3

#ifndef VG_PLUGIN_REQUIRES_MINOR
/** Lowest host minor this plugin needs; a plugin may lower it before the include. @since 1.0 */
#define VG_PLUGIN_REQUIRES_MINOR VG_PLUGIN_ABI_MINOR
#endif

#if defined(__GNUC__)
#define VG_EXPORT       __attribute__((visibility("default")))
#define VG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VG_EXPORT
#define VG_PRINTF(a, b)
#endif

/** Status codes: 0 is success, failures are negative. @since 1.0 */
enum vg_status {
    VG_OK = 0,         /* success */
    VG_ERR = -1,       /* generic failure; details through vg_set_error() */
    VG_EINVAL = -2,    /* invalid argument or configuration */
    VG_ENOMEM = -3,    /* out of memory */
    VG_EAGAIN = -4,    /* temporary failure: the core may retry */
    VG_ENOENT = -5,    /* no such field, incident or object */
    VG_ETIMEDOUT = -6, /* a deadline passed */
    VG_EIO = -7,       /* I/O or backend (Redis) failure */
};

/** Plugin kinds. @since 1.0 */
enum vg_plugin_kind {
    VG_PLUGIN_RULE = 1,   /* correlates events into incidents */
    VG_PLUGIN_ACTION = 2, /* carries out a step when an incident changes */
};

/** Log levels are syslog severities. @since 1.0 */
enum vg_log_level {
    VG_LOG_ERR = 3,     /* an operation failed */
    VG_LOG_WARNING = 4, /* something is wrong but work goes on */
    VG_LOG_INFO = 6,    /* normal but significant */
    VG_LOG_DEBUG = 7,   /* for developers */
};

/** Option value types understood by the core. @since 1.0 */
enum vg_opt_type {
    VG_OPT_STR = 1,      /* const char *, NUL-terminated; NULL when unset and no default */
    VG_OPT_INT = 2,      /* int64_t */
    VG_OPT_BOOL = 3,     /* int, 0 or 1; JSON true/false */
    VG_OPT_DURATION = 4, /* int64_t milliseconds; "250ms", "30s", "5m", "2h", "1d" or a number */
    VG_OPT_STRLIST = 5,  /* struct vg_strlist; JSON array of strings */
};

/** Option flags. @since 1.0 */
#define VG_OPT_REQUIRED 0x1u /* the key must be present */

/** A borrowed string: ptr is NUL-terminated but may contain NULs. @since 1.0 */
struct vg_str {
    const char *ptr; /* NULL when absent */
    size_t len;      /* bytes, without the terminating NUL */
};

/** A list of strings owned by the core's config block. @since 1.0 */
struct vg_strlist {
    size_t n;                 /* number of items */
    const char *const *items; /* n NUL-terminated strings */
};

/**
 * One declared option: the core parses the rule's or action's "params" object
 * against a table of these (terminated by a row with name NULL), rejects unknown
 * keys and wrong types with the key's name, applies defaults and writes each
 * value at config + offset. The core steps through the table by the descriptor's
 * option_size, so later minors may append members here too. @since 1.0
 */
struct vg_option {
    const char *name; /* JSON key */
    uint32_t type;    /* enum vg_opt_type (a fixed-size integer in the ABI) */
    const char *def;  /* default as JSON text ("30s", "5", "true", "[\"a\"]"), or NULL */
    unsigned flags;   /* VG_OPT_* flags */
    size_t offset;    /* offsetof() in the plugin's config struct */
    const char *help; /* one line for --describe-plugins */
};

struct vg_ctx;         /* opaque: the call context, valid during one callback */
struct vg_event;       /* opaque: one normalized event */
struct vg_action_call; /* opaque: one action invocation */

/** Incident lifecycle transitions. @since 1.0 */
enum vg_transition {
    VG_TR_OPEN = 0,     /* a new incident */
    VG_TR_UPDATE = 1,   /* another event for an open incident */
    VG_TR_ESCALATE = 2, /* severity raised */
    VG_TR_RESOLVE = 3,  /* the problem has ended */
    VG_TR_CLOSE = 4,    /* the incident is closed for good */
};

/** Plugin descriptor flags. @since 1.0 */
#define VG_PLUGIN_CONCURRENT \
    0x1u /* on_event may run on several threads at once (for different keys) */

/** Status a rule plugin gives a playbook step (ABI 1.3). @since 1.3 */
enum vg_step_status {
    VG_STEP_PENDING = 1,        /* the step applies: for its action or for a person */
    VG_STEP_NOT_APPLICABLE = 2, /* the findings rule it out (its action is not run) */
    VG_STEP_DONE = 3,           /* done (e.g. the device recovered by itself) */
};

/**
 * One playbook change: the step (a step of the procedure, "5.2.5.4", "5.3.1";
 * added to the playbook when the section lacks it), its status, who carries it
 * out ("person", "on_duty", "security_lead", "action:carrier_ticket"...), and
 * why (a finding, for the record). A step an action already marked done or
 * failed keeps that status. Strings are copied. who is a name of up to 64 bytes
 * of text (else the request is refused); the core cleans note (controls become
 * spaces, bytes that are not UTF-8 '?') and keeps its first 512 bytes, so a
 * note may quote event values. @since 1.3
 */
struct vg_step_req {
    uint32_t size;    /* sizeof(struct vg_step_req) as the plugin was built */
    uint32_t status;  /* enum vg_step_status */
    const char *step; /* step id */
    const char *who;  /* or NULL: unchanged */
    const char *note; /* or NULL: unchanged */
};

/**
 * What the core passes to a rule plugin that opens or updates an incident.
 * All members may be zero: the rule's incident template is used then. @since 1.0
 */
struct vg_incident_req {
    uint32_t size;    /* sizeof(struct vg_incident_req) as the plugin was built */
    int severity;     /* 0: the rule's; else 1 info .. 5 critical */
    const char *note; /* optional text for the lifecycle record, copied */
    /* ABI 1.3 */
    const char *findings;            /* JSON object merged into the incident's findings, or NULL */
    const struct vg_step_req *steps; /* playbook changes, or NULL */
    size_t n_steps;                  /* entries in steps */
};

/**
 * State operations (ABI 1.1). Each is one atomic Redis script on the keys of
 * (rule, key, name) (contexts: on one hash shared by all rules, so one rule may
 * test what another sets), run with the correlation clock passed in, never Redis's own
 * time, so live and replay share one code path. Operations are queued on the
 * worker's pipeline: vg_state_op() returns at once and the outcome reaches the
 * plugin's on_state() callback, in the order the operations were queued.
 * @since 1.1
 */
enum vg_state_op {
    VG_ST_COUNT = 1,     /* sliding window: fires at >= threshold events within window_ms */
    VG_ST_DISTINCT = 2,  /* fires at >= threshold distinct values within window_ms */
    VG_ST_ARM = 3,       /* pair/expect: arm a deadline window_ms ahead unless armed */
    VG_ST_DISARM = 4,    /* pair/expect: disarm; CLEARED when it was armed */
    VG_ST_SEQUENCE = 5,  /* step `step` of n_steps; fires when all came in order within window */
    VG_ST_HEARTBEAT = 6, /* absence: EXPIRED when no heartbeat for window_ms, CLEARED on return */
    VG_ST_RATE = 7,      /* FIRED at >= threshold in window_ms, CLEARED at <= threshold2 in */
                         /* window2_ms */
    VG_ST_SUPPRESS = 8,  /* SUPPRESSED inside the window, else starts one of window_ms */
    VG_ST_CTX_SET = 9,   /* set context `value` for window_ms (0: until deleted) */
    VG_ST_CTX_TEST = 10, /* TRUE when context `value` is set */
    VG_ST_CTX_DEL = 11,  /* delete context `value`; TRUE when it was set */
};

/** Outcomes of a state operation or a deadline. @since 1.1 */
enum vg_state_verdict {
    VG_SV_NONE = 0,       /* nothing to act on (counted, ignored, or not reached yet) */
    VG_SV_FIRED = 1,      /* the threshold, distinct count, sequence or rate was reached */
    VG_SV_SUPPRESSED = 2, /* the key is inside its suppression window: the event was ignored */
    VG_SV_EXPIRED = 3,    /* a deadline passed: expected event missing, or heartbeat absent */
    VG_SV_CLEARED = 4, /* disarmed in time, heartbeat back, or the rate fell to its clear level */
    VG_SV_ARMED = 5,   /* a pair window or heartbeat deadline was armed */
    VG_SV_TRUE = 6,    /* a context test or delete found the context set */
};

/**
 * Kinds of value an action checks before it uses text that came from an event
 * (vg_value_check()). @since 1.2
 */
enum vg_value_kind {
    VG_VAL_TEXT = 1,   /* UTF-8 without control characters, at most 4096 bytes */
    VG_VAL_NAME = 2,   /* host or device name: [A-Za-z0-9._-], 1..253 bytes */
    VG_VAL_IFNAME = 3, /* interface name: [A-Za-z0-9/._:-], 1..64 bytes */
    VG_VAL_IP = 4,     /* an IPv4 or IPv6 address */
    VG_VAL_ID = 5,     /* an identifier (ticket, circuit): [A-Za-z0-9._:/#-], 1..128 bytes */
    VG_VAL_EMAIL = 6,  /* local@domain, printable ASCII without spaces, <>, quotes or commas */
};

/** Flags of a state request. @since 1.1 */
#define VG_STF_KEEP_EVENT 0x1u /* ARM: keep the event so a deadline result carries it */

/**
 * One state operation. Zero members take defaults; `name` lets a rule keep
 * several states per key (NULL: ""). Strings are copied. @since 1.1
 */
struct vg_state_req {
    uint32_t size;       /* sizeof(struct vg_state_req) as the plugin was built */
    uint32_t op;         /* enum vg_state_op */
    const char *name;    /* state name within the rule's key, [A-Za-z0-9_.-]*, or NULL */
    const char *value;   /* DISTINCT: the value counted; CTX_*: the context name */
    int64_t window_ms;   /* window, deadline or lifetime */
    int64_t threshold;   /* COUNT, DISTINCT, RATE: events or values that fire */
    int64_t suppress_ms; /* COUNT, DISTINCT: suppression after firing (0: none) */
    int64_t window2_ms;  /* RATE: the clear window */
    int64_t threshold2;  /* RATE: cleared at or below this many events in window2_ms */
    uint32_t step;       /* SEQUENCE: 0-based index of this event's step */
    uint32_t n_steps;    /* SEQUENCE: steps in the sequence (2 or more) */
    uint32_t flags;      /* VG_STF_* */
    uint32_t cookie;     /* the plugin's own tag, returned in the result */
    size_t value_len;    /* bytes of value (it may hold NULs); 0: strlen(value) */
};

/** Largest threshold and longest window a state request may ask for. @since 1.1 */
#define VG_STATE_THRESHOLD_MAX 1000000
#define VG_STATE_WINDOW_MAX_MS (INT64_C(3660) * 86400 * 1000) /* ten years */

/** The outcome of one state operation or one deadline. @since 1.1 */
struct vg_state_result {
    uint32_t size;    /* sizeof(struct vg_state_result) in the core */
    uint32_t op;      /* enum vg_state_op of the request (the armed op for a deadline) */
    uint32_t cookie;  /* the request's cookie (0 for a deadline) */
    int verdict;      /* enum vg_state_verdict */
    int deadline;     /* 1: a deadline passed; the event is the one that armed it */
    int64_t count;    /* events or values in the window, or the step reached */
    int64_t since_ms; /* time of the window's first event, or of the arming event */
    const char *name; /* the state name */
};

/**
 * Options of an incident resolution (ABI 1.1). All members may be zero.
 * @since 1.1
 */
struct vg_resolve_req {
    uint32_t size;    /* sizeof(struct vg_resolve_req) as the plugin was built */
    const char *note; /* optional text for the record, copied */
};

/**
 * The plugin's descriptor, returned by vg_plugin_entry(). The core copies `size`
 * bytes of it, so members appended in later minors read as zero for older plugins.
 * @since 1.0
 */
struct vg_plugin {
    uint16_t abi_major;              /* VG_PLUGIN_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;              /* VG_PLUGIN_ABI_MINOR the plugin was built with */
    uint32_t size;                   /* sizeof(struct vg_plugin) as the plugin was built */
    uint32_t kind;                   /* enum vg_plugin_kind */
    uint32_t flags;                  /* VG_PLUGIN_* flags */
    const char *name;                /* short name, [a-z0-9_]+; rules refer to it */
    const char *version;             /* the plugin's own version string */
    const char *description;         /* one line */
    const struct vg_option *options; /* option table, ended by a row with name NULL */
    uint32_t option_size;            /* sizeof(struct vg_option) as the plugin was built */
    size_t config_size;              /* bytes of the config struct the table writes into */

    /**
     * Create one instance for one rule or action configuration. Called on the main
     * thread at start-up. Set *state and return VG_OK, or call vg_set_error() and
     * return a negative status.
     */
    int (*create)(struct vg_ctx *ctx, const void *config, void **state);
    /** Destroy an instance; no other callback of it runs during or after. May be NULL. */
    void (*destroy)(void *state);
    /**
     * Rule kind: one event the rule matched, with its correlation key already
     * computed (vg_event_key()). Called on a correlation worker thread; events of
     * one key arrive in order. Return VG_OK, or a negative status after vg_set_error().
     */
    int (*on_event)(struct vg_ctx *ctx, void *state, const struct vg_event *ev);
    /**
     * Action kind: carry out one step for one incident transition. Called on an
     * action worker thread, never on the ingest path. Report output with
     * vg_action_output(). Return VG_OK, VG_EAGAIN (retry), or another failure.
     */
    int (*run)(struct vg_ctx *ctx, void *state, const struct vg_action_call *call);
    /**
     * Rule kind, ABI 1.1: the outcome of a state operation the plugin queued, or a
     * deadline of one of its keys that passed. ev is the event of the call that
     * queued the operation, or for a deadline the event that armed it (ARM with
     * VG_STF_KEEP_EVENT, HEARTBEAT) or an event with only @timestamp. Runs on the
     * worker thread of the key, in order; may queue further operations and incident
     * calls. May be NULL for plugins that use no state.
     */
    int (*on_state)(struct vg_ctx *ctx, void *state, const struct vg_event *ev,
                    const struct vg_state_result *res);
    /**
     * Action kind, ABI 1.2: the name of the action plugin that undoes this one
     * (port_isolate: "port_restore"), or NULL. When a call of this action succeeded
     * and an operator closes the incident, the core runs the inverse once with the
     * same params for the close transition.
     */
    const char *inverse;
};

/**
 * The host's table of services. The plugin must check abi_major and that
 * abi_minor >= VG_PLUGIN_REQUIRES_MINOR before use; VG_HOST_HAS() tells whether a
 * member appended later is present. @since 1.0
 */
struct vg_host_api {
    uint16_t abi_major; /* VG_PLUGIN_ABI_MAJOR of the core */
    uint16_t abi_minor; /* VG_PLUGIN_ABI_MINOR of the core */
    uint32_t size;      /* sizeof(struct vg_host_api) in the core */

    void (*log)(struct vg_ctx *ctx, int level, const char *fmt, va_list ap);
    void (*set_error)(struct vg_ctx *ctx, const char *fmt, va_list ap);
    int64_t (*now_ms)(struct vg_ctx *ctx);
    void *(*alloc)(size_t size);
    void (*free)(void *ptr);

    struct vg_str (*event_field)(const struct vg_event *ev, const char *name);
    struct vg_str (*event_key)(struct vg_ctx *ctx, const struct vg_event *ev);
    int64_t (*event_time_ms)(const struct vg_event *ev);

    int (*incident_upsert)(struct vg_ctx *ctx, const struct vg_event *ev,
                           const struct vg_incident_req *req);

    int (*call_transition)(const struct vg_action_call *call); /* enum vg_transition */
    struct vg_str (*call_incident_json)(const struct vg_action_call *call);
    struct vg_str (*call_incident_id)(const struct vg_action_call *call);
    void (*action_output)(struct vg_ctx *ctx, const char *buf, size_t len);
    int64_t (*call_deadline_ms)(const struct vg_action_call *call);
    void (*action_result)(struct vg_ctx *ctx, const char *name, const char *value);

    /* ABI 1.1 */
    int (*state_op)(struct vg_ctx *ctx, const struct vg_event *ev, const struct vg_state_req *req);
    int (*incident_resolve)(struct vg_ctx *ctx, const struct vg_event *ev,
                            const struct vg_resolve_req *req);

    /* ABI 1.2 */
    char *(*inventory_get)(struct vg_ctx *ctx, const char *section, const char *key);
    char *(*secret_get)(struct vg_ctx *ctx, const char *ref);
    int (*value_check)(struct vg_ctx *ctx, uint32_t kind, const char *what, const char *value,
                       size_t len);
    struct vg_str (*call_field)(const struct vg_action_call *call, const char *path);
    char *(*call_format)(struct vg_ctx *ctx, const struct vg_action_call *call, const char *tmpl,
                         uint32_t kind);
    struct vg_str (*call_prior)(const struct vg_action_call *call, const char *name);
    int (*call_attempt)(const struct vg_action_call *call);

    /* ABI 1.3 */
    int (*lock)(struct vg_ctx *ctx, const char *name, int64_t deadline_ms);
    void (*unlock)(struct vg_ctx *ctx, const char *name);
};

/** True when the host table has member m (it was appended at or before the host's minor). */
#define VG_HOST_HAS(host, m) \
    ((host)->size >= offsetof(struct vg_host_api, m) + sizeof((host)->m) && (host)->m != NULL)

/** Signature of the one exported symbol. @since 1.0 */
typedef const struct vg_plugin *(*vg_plugin_entry_fn)(const struct vg_host_api *host);

#ifndef VG_CORE

/*
 * The host table, kept by vg_plugin_accept(). Each plugin defines it once:
 * `const struct vg_host_api *vg_host;` (hidden visibility keeps it private).
 */
extern const struct vg_host_api *vg_host;

/**
 * Log through the core, which prefixes the plugin and instance names.
 * @param ctx the callback's context @param level VG_LOG_* @since 1.0
 */
static inline VG_PRINTF(3, 4) void vg_log(struct vg_ctx *ctx, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vg_host->log(ctx, level, fmt, ap);
    va_end(ap);
}

/** Set the error text the core reports with a failing return. @since 1.0 */
static inline VG_PRINTF(2, 3) void vg_set_error(struct vg_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vg_host->set_error(ctx, fmt, ap);
    va_end(ap);
}

/** The correlation clock in ms since the epoch: event time in replay. @since 1.0 */
static inline int64_t vg_now_ms(struct vg_ctx *ctx)
{
    return vg_host->now_ms(ctx);
}

/** Allocate memory the plugin owns; NULL on failure. @since 1.0 */
static inline void *vg_alloc(size_t size)
{
    return vg_host->alloc(size);
}

/** Free memory from vg_alloc(). @since 1.0 */
static inline void vg_free(void *ptr)
{
    vg_host->free(ptr);
}

/**
 * A field of an event by its dotted ECS name ("source.ip"); integers come as text.
 * @return the value, or {NULL, 0} when absent @since 1.0
 */
static inline struct vg_str vg_event_field(const struct vg_event *ev, const char *name)
{
    return vg_host->event_field(ev, name);
}

/** The event's correlation key for the calling rule ("k=v|k=v"). @since 1.0 */
static inline struct vg_str vg_event_key(struct vg_ctx *ctx, const struct vg_event *ev)
{
    return vg_host->event_key(ctx, ev);
}

/** The event's @timestamp in ms since the epoch. @since 1.0 */
static inline int64_t vg_event_time_ms(const struct vg_event *ev)
{
    return vg_host->event_time_ms(ev);
}

/**
 * Open an incident for (this rule, the event's key), or update the open one:
 * count, last seen, the events kept. @return VG_OK or a negative status @since 1.0
 */
static inline int vg_incident_upsert(struct vg_ctx *ctx, const struct vg_event *ev,
                                     const struct vg_incident_req *req)
{
    return vg_host->incident_upsert(ctx, ev, req);
}

/** The transition an action was called for. @since 1.0 */
static inline enum vg_transition vg_call_transition(const struct vg_action_call *call)
{
    return (enum vg_transition)vg_host->call_transition(call);
}

/** The incident as a JSON object (schemas/incident.schema.json). @since 1.0 */
static inline struct vg_str vg_call_incident_json(const struct vg_action_call *call)
{
    return vg_host->call_incident_json(call);
}

/** The incident's id. @since 1.0 */
static inline struct vg_str vg_call_incident_id(const struct vg_action_call *call)
{
    return vg_host->call_incident_id(call);
}

/** The wall-clock deadline of this call in ms since the epoch. @since 1.0 */
static inline int64_t vg_call_deadline_ms(const struct vg_action_call *call)
{
    return vg_host->call_deadline_ms(call);
}

/** Record output of an action (an excerpt is kept in the incident history). @since 1.0 */
static inline void vg_action_output(struct vg_ctx *ctx, const char *buf, size_t len)
{
    vg_host->action_output(ctx, buf, len);
}

/**
 * Record a named result of an action ("exit_status", "ticket_id") in the
 * incident history; both strings are copied. @since 1.0
 */
static inline void vg_action_result(struct vg_ctx *ctx, const char *name, const char *value)
{
    vg_host->action_result(ctx, name, value);
}

/**
 * Queue a state operation for the calling rule and the event's key (on_event or
 * on_state only); its result comes to on_state(). @return VG_OK, VG_EINVAL for a
 * malformed request, or VG_EIO @since 1.1
 */
static inline int vg_state_op(struct vg_ctx *ctx, const struct vg_event *ev,
                              const struct vg_state_req *req)
{
    return vg_host->state_op(ctx, ev, req);
}

/**
 * Resolve the open incident of (this rule, the key): it closes after the rule's
 * hold-down unless the problem recurs (which re-opens it and counts a flap); no
 * open incident: nothing happens. @return VG_OK or a negative status @since 1.1
 */
static inline int vg_incident_resolve(struct vg_ctx *ctx, const struct vg_event *ev,
                                      const struct vg_resolve_req *req)
{
    return vg_host->incident_resolve(ctx, ev, req);
}

/**
 * The severity option of a plugin: NULL gives 0 (the rule's own); "info" ..
 * "critical" give 1 .. 5; anything else sets the error and returns VG_EINVAL.
 * @since 1.1
 */
static inline int vg_severity_option(struct vg_ctx *ctx, const char *name, int *out)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    int i;

    *out = 0;
    if (name == NULL) {
        return VG_OK;
    }
    for (i = 0; i < 5; i++) {
        const char *a = name;
        const char *b = names[i];

        while (*a != '\0' && *a == *b) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0') {
            *out = i + 1;
            return VG_OK;
        }
    }
    vg_set_error(ctx, "severity \"%s\" is not one of info, low, medium, high, critical", name);
    return VG_EINVAL;
}

/**
 * An inventory entry as JSON text (contrib/inventory.example.json,
 * schemas/inventory.schema.json). section is one of "devices", "hosts",
 * "circuits", "spares", "databases", "products", "people", "roles"; key selects
 * by name or address (devices, hosts), id or "DEVICE|INTERFACE" (circuits), model
 * (spares: an array), pair, primary or standby name (databases), name or host
 * (products: an array), name (people), role (roles: an array of people); NULL
 * key: the whole section. The inventory is reloaded on SIGHUP; the copy is the
 * caller's. @return text to vg_free(), or NULL (not found: no error set) @since 1.2
 */
static inline char *vg_inventory_get(struct vg_ctx *ctx, const char *section, const char *key)
{
    return vg_host->inventory_get(ctx, section, key);
}

/**
 * A secret named by reference: "file:/PATH" (the file must belong to vigil's
 * user and be readable by no one else; one trailing newline is dropped) or
 * "env:NAME". The value is never logged. @return text to vg_free() (zero it
 * first), or NULL after vg_set_error() naming the reference, not the value @since 1.2
 */
static inline char *vg_secret_get(struct vg_ctx *ctx, const char *ref)
{
    return vg_host->secret_get(ctx, ref);
}

/**
 * Check text that came from an event before using it (enum vg_value_kind). A
 * refused value is counted (vigilctl stats: action_values_rejected) and logged
 * with a rate limit, escaped and cut short; what names the field for the error.
 * @return VG_OK, or VG_EINVAL with the error set @since 1.2
 */
static inline int vg_value_check(struct vg_ctx *ctx, uint32_t kind, const char *what,
                                 const char *value, size_t len)
{
    return vg_host->value_check(ctx, kind, what, value, len);
}

/**
 * A member of the incident record by dotted path ("incident.id",
 * "incident.key.host.name", "event.severity", "incident.first_seen"): a string,
 * or a number or boolean as text; valid until run() returns. Member names that
 * contain dots (the key's field names) are found too. @return {NULL, 0} when
 * absent or not a scalar @since 1.2
 */
static inline struct vg_str vg_call_field(const struct vg_action_call *call, const char *path)
{
    return vg_host->call_field(call, path);
}

/**
 * Expand a template: each ${path} becomes vg_call_field(call, path) after a
 * vg_value_check() of kind (use VG_VAL_TEXT for free text); $$ is a dollar.
 * An absent field expands to "". @return text to vg_free(), or NULL after
 * vg_set_error() (a refused value or a malformed template) @since 1.2
 */
static inline char *vg_call_format(struct vg_ctx *ctx, const struct vg_action_call *call,
                                   const char *tmpl, uint32_t kind)
{
    return vg_host->call_format(ctx, call, tmpl, kind);
}

/**
 * A result an earlier successful call for the same incident recorded with
 * vg_action_result(), named "PLUGIN.NAME" (e.g. "carrier_ticket.ticket_id"), so
 * the resolve call updates the ticket the open call created. Valid until run()
 * returns. @return {NULL, 0} when there is none @since 1.2
 */
static inline struct vg_str vg_call_prior(const struct vg_action_call *call, const char *name)
{
    return vg_host->call_prior(call, name);
}

/** The attempt of this call, 1 for the first; retries come after VG_EAGAIN. @since 1.2 */
static inline int vg_call_attempt(const struct vg_action_call *call)
{
    return vg_host->call_attempt(call);
}

/**
 * Take the process-wide lock called name, shared with the core and every other
 * plugin: "net-snmp" serializes use of the net-snmp library (not thread-safe),
 * which vigild's trap receiver holds while it reads a trap. Waits until the
 * wall-clock deadline_ms at most. @return VG_OK, or VG_ETIMEDOUT (not taken)
 * @since 1.3
 */
static inline int vg_lock(struct vg_ctx *ctx, const char *name, int64_t deadline_ms)
{
    return vg_host->lock(ctx, name, deadline_ms);
}

/** Release a lock taken with vg_lock(). @since 1.3 */
static inline void vg_unlock(struct vg_ctx *ctx, const char *name)
{
    vg_host->unlock(ctx, name);
}

/** A duration as people write it ("90s", "5m", "2h"): the largest unit dividing ms. @since 1.1 */
static inline void vg_format_duration(int64_t ms, char *buf, size_t len)
{
    static const int64_t per[] = {86400000, 3600000, 60000, 1000, 1};
    static const char *const unit[] = {"d", "h", "m", "s", "ms"};
    int i;

    for (i = 0; i < 4 && ms % per[i] != 0; i++) {
    }
    snprintf(buf, len, "%lld%s", (long long)(ms / per[i]), unit[i]);
}

/**
 * The one exported symbol every plugin defines. Its body should be
 * `return vg_plugin_accept(host, &my_plugin);`. @since 1.0
 */
VG_EXPORT const struct vg_plugin *vg_plugin_entry(const struct vg_host_api *host);

/**
 * Check the host table (same major, minor at least VG_PLUGIN_REQUIRES_MINOR),
 * keep it in vg_host and return desc; NULL when the host cannot serve this plugin.
 * @since 1.0
 */
/** True when the host's minor is at least need (a function, so a constant 0 draws no warning). */
static inline int vg_host_minor_at_least(const struct vg_host_api *host, unsigned need)
{
    return host->abi_minor >= need;
}

static inline const struct vg_plugin *vg_plugin_accept(const struct vg_host_api *host,
                                                       const struct vg_plugin *desc)
{
    if (host == NULL || host->abi_major != VG_PLUGIN_ABI_MAJOR ||
        !vg_host_minor_at_least(host, VG_PLUGIN_REQUIRES_MINOR)) {
        return NULL;
    }
    vg_host = host;
    return desc;
}

/** Initializer for the header of struct vg_plugin. */
#define VG_PLUGIN_HEADER(kind_)                                         \
    .abi_major = VG_PLUGIN_ABI_MAJOR, .abi_minor = VG_PLUGIN_ABI_MINOR, \
    .size = sizeof(struct vg_plugin), .kind = (kind_), .option_size = sizeof(struct vg_option)

#endif /* VG_CORE */

#ifdef __cplusplus
}
#endif

#endif /* VG_VIGIL_PLUGIN_H */
