/* SPDX-License-Identifier: MIT */
/*
 * Rule files (JSON files under rules/, schemas/rule.schema.json): loading with errors that
 * name file, JSON path and reason; matching events against a rule's event.action
 * list and field conditions (equals, in, regex, cidr, exists); building a rule's
 * correlation key. Plugin parameters are checked later against the plugin's
 * option table by the loader.
 */
#ifndef VG_CORE_RULE_H
#define VG_CORE_RULE_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <libfastjson/json.h>
#include <pcre2.h>

#include "event.h"
#include "util.h"

enum cond_op {
    COND_EQUALS = 1, /* field == value */
    COND_IN = 2,     /* field is one of list */
    COND_REGEX = 3,  /* PCRE2 pattern matches the field */
    COND_CIDR = 4,   /* field is an IP address inside one of cidrs */
    COND_EXISTS = 5, /* field present (exists true) or absent (exists false) */
};

/* One condition of a rule's "where" list. */
struct rule_cond {
    char *field;        /* dotted field name */
    enum cond_op op;    /* which test */
    int negate;         /* 1: "not": true inverts the result */
    char *value;        /* COND_EQUALS */
    char **list;        /* COND_IN values */
    size_t n_list;      /* entries in list */
    pcre2_code *re;     /* COND_REGEX, JIT-compiled when possible */
    struct cidr *cidrs; /* COND_CIDR networks */
    size_t n_cidrs;     /* entries in cidrs */
    int exists;         /* COND_EXISTS: 1 must exist, 0 must be absent */
};

/* One action to call on a transition. */
struct rule_action {
    char *plugin;            /* action plugin name */
    fjson_object *params;    /* the action's "params" object (owned), or NULL */
    void *instance;          /* engine's action instance, set after loading */
    char *step;              /* playbook step it carries out ("5.2.1.1"), or NULL */
    int64_t timeout_ms;      /* deadline per attempt (0: the dispatcher's default) */
    int retries;             /* attempts after the first on VG_EAGAIN (-1: default 3) */
    int rate_count;          /* rate_limit.count: calls per rate_per_ms (0: no limit) */
    int64_t rate_per_ms;     /* rate_limit.per */
    int undo;                /* 0: never run the plugin's inverse; 1: run it (the default) */
    int min_severity;        /* run only for incidents this severe or more (0: any) */
    void *undo_instance;     /* the inverse plugin's instance (same params), or NULL */
    int transition;          /* enum vg_transition it is listed under */
    size_t index;            /* position in that transition's list */
    const struct rule *rule; /* the rule it belongs to (set by the engine at load) */
};

#define RULE_N_TRANSITIONS 5 /* open, update, escalate, resolve, close (enum vg_transition) */

struct rule {
    char *name;                /* unique across all files */
    char *file;                /* file it came from */
    int index;                 /* position in its file's "rules" array */
    char *plugin;              /* rule plugin name */
    char *description;         /* optional, may be NULL */
    char **actions;            /* match.event.action list (at least one) */
    size_t n_actions;          /* entries in actions */
    struct rule_cond *conds;   /* match.where */
    size_t n_conds;            /* entries in conds */
    char **key;                /* key field names; an event lacking one does not match */
    size_t n_key;              /* entries in key (0: one incident for the whole rule) */
    fjson_object *params;      /* plugin params object (owned), or NULL */
    char *title;               /* incident.title with ${field} references */
    int severity;              /* incident.severity: 1 info, 2 low, 3 medium, 4 high, 5 critical */
    char *incident_class;      /* incident.class, e.g. "hacker_attack" */
    char *procedure;           /* incident.procedure section, e.g. "5.2.1" */
    int64_t hold_down_ms;      /* incident.hold_down: resolved incidents close after it */
    int flap_count;            /* incident.flap.count: re-openings that make it flapping (0: off) */
    int64_t flap_window_ms;    /* incident.flap.window: within this long */
    int64_t escalate_after_ms; /* incident.escalate.after: open this long escalates (0: off) */
    int escalate_severity;     /* incident.escalate.severity: raised to this */
    int64_t escalate_count;    /* incident.escalate.count: this many events escalates (0: off) */
    struct rule_action *on[RULE_N_TRANSITIONS]; /* actions per transition */
    size_t n_on[RULE_N_TRANSITIONS];            /* entries per transition */
    void *instance;                             /* engine's rule instance, set after loading */
};

/* One test case of a rule file's "tests" section: input lines and the records they must give. */
struct rule_test {
    char *file;           /* the rule file it belongs to */
    int index;            /* position in the file's "tests" array */
    char *name;           /* what it checks */
    int year;             /* year of BSD timestamps in the input (0: the current one) */
    char **input;         /* syslog lines or JSON events */
    size_t n_input;       /* entries in input */
    fjson_object *expect; /* array of expected records (owned): field -> value */
};

struct ruleset {
    struct rule *rules;  /* all rules in file order (files sorted by name) */
    size_t n;            /* number of rules */
    char **files;        /* files read */
    size_t n_files;      /* number of files */
    struct rule *broken; /* rules with errors that still name a plugin: lint checks their params */
    struct rule_test *tests; /* the files' test cases */
    size_t n_tests;          /* entries in tests */
    size_t n_broken;         /* entries in broken */
};

/*
 * Load rules from each path: a .json file, or a directory whose .json files
 * (not its subdirectories) are read in name order. Every error is added to diag
 * as "FILE: $.json.path: reason" (parse errors with line and column), and loading
 * goes on to find the others. Returns 0 when no error was found, else -1; out
 * holds the rules that loaded either way and must be freed.
 */
int ruleset_load(const char *const *paths, size_t n_paths, struct ruleset *out, struct diag *diag);
void ruleset_free(struct ruleset *rs);

/* Severity name to number (info 1 .. critical 5), or 0 when unknown. */
int rule_severity_parse(const char *name);
const char *rule_severity_name(int sev);

/*
 * True when ev matches the rule's conditions and has every key field; the
 * event.action list is checked by the router, not here. Safe on any thread.
 */
int rule_match(const struct rule *r, const struct vg_event *ev);
/* Append the key "field=value|field=value" for ev to out. */
void rule_key(const struct rule *r, const struct vg_event *ev, struct sbuf *out);
/* Append the title with each ${field} replaced by the event's value (empty when absent). */
void rule_render_title(const struct rule *r, const struct vg_event *ev, struct sbuf *out);

#endif /* VG_CORE_RULE_H */
