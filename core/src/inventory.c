/* SPDX-License-Identifier: MIT */
/*
 * The inventory loader (inventory.h). The file is read whole, checked to be
 * UTF-8 without NUL bytes and parsed strictly; every entry is checked against a
 * table of its members (types, enums, addresses, secret references, no unknown
 * keys) and against the others (unique names and addresses, hosts' switches and
 * circuits' devices that exist), all errors reported in one pass. A valid file's
 * entries are kept as compact JSON text, with hash indexes from folded names,
 * canonical addresses, models and roles to entry positions. The current
 * inventory is a reference-counted pointer swapped under a mutex.
 */
#include "inventory.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libfastjson/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_int.h"

#define NAME_MAX_BYTES  1024  /* names, ids, models, roles, interfaces */
#define STR_MAX_BYTES   4096  /* other strings */
#define NOTES_MAX_BYTES 65536 /* "notes" */
#define ARGV_MAX        64    /* elements of a command */
#define ERRORS_MAX      200   /* messages kept per load; the rest are counted */
#define ADDR_TEXT_BYTES 64    /* an address as inet_ntop writes it */
#define SNMP_PORT       161   /* default devices[].snmp.port */
#define NO_ID           SIZE_MAX

enum section_id {
    SEC_DEVICES,
    SEC_HOSTS,
    SEC_CIRCUITS,
    SEC_SPARES,
    SEC_DATABASES,
    SEC_PRODUCTS,
    SEC_PEOPLE,
    N_SECTIONS
};

/* Checked and indexed in this order: hosts and circuits refer to devices. */
static const char *const section_names[N_SECTIONS] = {
    "devices", "hosts", "circuits", "spares", "databases", "products", "people",
};

enum index_id {
    IX_DEVICE,          /* devices[].name */
    IX_DEVICE_ADDR,     /* devices[].addresses[] */
    IX_HOST,            /* hosts[].name */
    IX_HOST_ADDR,       /* hosts[].addresses[] */
    IX_CIRCUIT,         /* circuits[].id */
    IX_CIRCUIT_PORT,    /* circuits[].device "|" circuits[].interface */
    IX_SPARE,           /* spares[].model (several entries) */
    IX_DATABASE,        /* databases[].name */
    IX_DATABASE_MEMBER, /* databases[].primary and .standby (several entries) */
    IX_PRODUCT,         /* products[].name and products[].hosts[] (several entries) */
    IX_PERSON,          /* people[].name */
    IX_ROLE,            /* people[].roles[] -> people (several entries) */
    N_INDEXES
};

/* One key of an index and the entries it selects. */
struct slot {
    char *key;    /* owned key (names folded to lower case); NULL for an empty slot */
    size_t *ids;  /* entry positions, in file order, no repeats */
    size_t n_ids; /* used in ids (allocated: the next power of two) */
};

/* A hash table from keys to entry positions (open addressing, linear probing). */
struct index {
    struct slot *slots; /* cap slots */
    size_t cap;         /* a power of two, or 0 */
    size_t n;           /* used slots */
};

/* The entries of one section. */
struct section {
    char **json; /* each entry as compact JSON text */
    size_t n;    /* entries */
};

struct inventory {
    struct section sections[N_SECTIONS]; /* entries in file order (enum section_id) */
    struct index indexes[N_INDEXES];     /* lookups (enum index_id) */
    char **roles;                        /* distinct role names, as first spelled */
    size_t n_roles;                      /* entries in roles */
    atomic_int refs;                     /* the current pointer and lookups in flight */
};

/* ---------------------------------------------------------------------------------------
 * Keys and indexes
 */

static int section_of(const char *name)
{
    int s;

    for (s = 0; s < N_SECTIONS; s++) {
        if (strcmp(name, section_names[s]) == 0) {
            return s;
        }
    }
    return -1;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A copy of s with ASCII letters in lower case. */
static char *fold(const char *s)
{
    char *k = xstrdup(s);
    size_t i;

    for (i = 0; k[i] != '\0'; i++) {
        k[i] = lower(k[i]);
    }
    return k;
}

/*
 * The canonical text of the address s into out (inet_ntop of its bytes; an
 * IPv4-mapped IPv6 address as IPv4), so that every spelling finds the entry.
 * Returns 0, or -1 when s is not an IPv4 or IPv6 address.
 */
static int addr_key(const char *s, char *out, size_t size)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, s, a) == 1) {
        return inet_ntop(AF_INET, a, out, (socklen_t)size) != NULL ? 0 : -1;
    }
    if (inet_pton(AF_INET6, s, a) != 1) {
        return -1;
    }
    if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)a)) {
        return inet_ntop(AF_INET, a + 12, out, (socklen_t)size) != NULL ? 0 : -1;
    }
    return inet_ntop(AF_INET6, a, out, (socklen_t)size) != NULL ? 0 : -1;
}

static struct slot *index_find(const struct index *ix, const char *key)
{
    size_t i;

    if (ix->cap == 0) {
        return NULL;
    }
    i = hash_fnv1a(key, strlen(key)) & (ix->cap - 1);
    while (ix->slots[i].key != NULL) {
        if (strcmp(ix->slots[i].key, key) == 0) {
            return &ix->slots[i];
        }
        i = (i + 1) & (ix->cap - 1);
    }
    return NULL;
}

static struct slot *free_slot(struct index *ix, const char *key)
{
    size_t i = hash_fnv1a(key, strlen(key)) & (ix->cap - 1);

    while (ix->slots[i].key != NULL) {
        i = (i + 1) & (ix->cap - 1);
    }
    return &ix->slots[i];
}

static void index_grow(struct index *ix)
{
    struct slot *old = ix->slots;
    size_t old_cap = ix->cap;
    size_t i;

    ix->cap = old_cap != 0 ? old_cap * 2 : 16;
    ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
    for (i = 0; i < old_cap; i++) {
        if (old[i].key != NULL) {
            *free_slot(ix, old[i].key) = old[i];
        }
    }
    free(old);
}

/*
 * Add entry id under key (copied). Returns the first entry the key selected
 * before, or NO_ID when the key is new.
 */
static size_t index_add(struct index *ix, const char *key, size_t id)
{
    struct slot *s = index_find(ix, key);
    size_t first = NO_ID;

    if (s == NULL) {
        if ((ix->n + 1) * 2 > ix->cap) {
            index_grow(ix);
        }
        s = free_slot(ix, key);
        s->key = xstrdup(key);
        ix->n++;
    } else {
        first = s->ids[0];
        if (s->ids[s->n_ids - 1] == id) {
            return first;
        }
    }
    if ((s->n_ids & (s->n_ids - 1)) == 0) {
        s->ids = xrealloc(s->ids, (s->n_ids != 0 ? s->n_ids * 2 : 1) * sizeof(*s->ids));
    }
    s->ids[s->n_ids++] = id;
    return first;
}

static void index_free(struct index *ix)
{
    size_t i;

    for (i = 0; i < ix->cap; i++) {
        free(ix->slots[i].key);
        free(ix->slots[i].ids);
    }
    free(ix->slots);
}

/* ---------------------------------------------------------------------------------------
 * Messages and JSON paths
 */

/* State of one inventory_load call. */
struct loader {
    const char *file;      /* the path as given, for messages */
    struct diag *diag;     /* where errors go */
    size_t n_errors;       /* errors found (messages beyond ERRORS_MAX are only counted) */
    struct sbuf path;      /* JSON path of the value being checked */
    struct inventory *inv; /* the inventory being built */
};

static void vfail(struct loader *l, const char *fmt, va_list ap) UTIL_VPRINTF(2);
static void fail(struct loader *l, const char *fmt, ...) UTIL_PRINTF(2, 3);
static void fail_at(struct loader *l, const char *key, const char *fmt, ...) UTIL_PRINTF(3, 4);

static void vfail(struct loader *l, const char *fmt, va_list ap)
{
    char msg[768];

    if (l->n_errors++ >= ERRORS_MAX) {
        return;
    }
    vsnprintf(msg, sizeof(msg), fmt, ap);
    diag_add(l->diag, "%s: %s: %s", l->file, l->path.buf, msg);
}

/* Report "FILE: PATH: message" at the current path. */
static void fail(struct loader *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(l, fmt, ap);
    va_end(ap);
}

/* Report at member key of the current path. */
static void fail_at(struct loader *l, const char *key, const char *fmt, ...)
{
    size_t old = l->path.len;
    va_list ap;

    sbuf_addc(&l->path, '.');
    sbuf_adds(&l->path, key);
    va_start(ap, fmt);
    vfail(l, fmt, ap);
    va_end(ap);
    l->path.len = old;
    l->path.buf[old] = '\0';
}

/* Report "FILE:LINE:COL: what" for byte off of the text. */
static void fail_text(struct loader *l, const char *text, size_t off, const char *what)
{
    size_t line, col;

    text_line_col(text, off, &line, &col);
    diag_add(l->diag, "%s:%zu:%zu: %s", l->file, line, col, what);
    l->n_errors++;
}

static size_t push_key(struct loader *l, const char *key)
{
    size_t old = l->path.len;

    sbuf_addc(&l->path, '.');
    sbuf_adds(&l->path, key);
    return old;
}

static size_t push_idx(struct loader *l, size_t i)
{
    size_t old = l->path.len;

    sbuf_printf(&l->path, "[%zu]", i);
    return old;
}

static void pop(struct loader *l, size_t len)
{
    l->path.len = len;
    l->path.buf[len] = '\0';
}

static int is_type(fjson_object *v, enum fjson_type t)
{
    return v != NULL && fjson_object_get_type(v) == t;
}

/* Member key of o when it is a string (checked already, or reported), else NULL. */
static const char *str_of(fjson_object *o, const char *key)
{
    fjson_object *v;

    if (!fjson_object_object_get_ex(o, key, &v) || !is_type(v, fjson_type_string)) {
        return NULL;
    }
    return fjson_object_get_string(v);
}

static int has(fjson_object *o, const char *key)
{
    return fjson_object_object_get_ex(o, key, NULL) ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------
 * Member tables and value checks
 */

enum kind {
    K_STR,    /* a string of at most STR_MAX_BYTES */
    K_NOTES,  /* a string of at most NOTES_MAX_BYTES */
    K_NAME,   /* a non-empty string without control characters (NAME_MAX_BYTES) */
    K_ADDR,   /* an IPv4 or IPv6 address */
    K_ADDRS,  /* an array of addresses */
    K_SECRET, /* "file:/path" or "env:NAME" */
    K_ENUM,   /* one of choices */
    K_INT,    /* an integer in min..max */
    K_BOOL,   /* true or false */
    K_NAMES,  /* an array of K_NAME */
    K_ARGV,   /* a command: an absolute path and its arguments */
    K_OBJ     /* an object of members */
};

/* One member an object may have. */
struct member {
    const char *name;             /* member name; NULL ends a table */
    enum kind kind;               /* what its value must be */
    int required;                 /* 1: must be present */
    const char *const *choices;   /* K_ENUM: the values allowed, NULL-terminated */
    int64_t min;                  /* K_INT: smallest value */
    int64_t max;                  /* K_INT: largest value */
    const struct member *members; /* K_OBJ: the members of the object */
};

static const char *const criticalities[] = {"low", "medium", "high", "critical", NULL};
static const char *const snmp_versions[] = {"1", "2c", "3", NULL};
static const char *const snmp_levels[] = {"authNoPriv", "authPriv", NULL};
static const char *const auth_protocols[] = {"SHA", "SHA-256", "SHA-512", "MD5", NULL};
static const char *const priv_protocols[] = {"AES", "AES-256", "DES", NULL};
static const char *const responsibilities[] = {"ours", "carrier", NULL};

/* clang-format off */
static const struct member contact_members[] = {
    {.name = "name", .kind = K_STR},
    {.name = "phone", .kind = K_STR},
    {.name = "email", .kind = K_STR},
    {.name = "url", .kind = K_STR},
    {.name = "api", .kind = K_STR},
    {.name = "contract", .kind = K_STR},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member snmp_members[] = {
    {.name = "version", .kind = K_ENUM, .required = 1, .choices = snmp_versions},
    {.name = "community", .kind = K_SECRET},
    {.name = "port", .kind = K_INT, .min = 1, .max = 65535},
    {.name = "address", .kind = K_ADDR},
    {.name = "user", .kind = K_NAME},
    {.name = "level", .kind = K_ENUM, .choices = snmp_levels},
    {.name = "auth_protocol", .kind = K_ENUM, .choices = auth_protocols},
    {.name = "auth_key", .kind = K_SECRET},
    {.name = "priv_protocol", .kind = K_ENUM, .choices = priv_protocols},
    {.name = "priv_key", .kind = K_SECRET},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member config_members[] = {
    {.name = "tftp_server", .kind = K_ADDR},
    {.name = "last_good", .kind = K_NAME},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member backup_members[] = {
    {.name = "interval", .kind = K_STR, .required = 1},
    {.name = "event", .kind = K_STR},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member device_members[] = {
    {.name = "name", .kind = K_NAME, .required = 1},
    {.name = "addresses", .kind = K_ADDRS},
    {.name = "role", .kind = K_STR},
    {.name = "site", .kind = K_STR},
    {.name = "vendor", .kind = K_STR},
    {.name = "model", .kind = K_STR},
    {.name = "criticality", .kind = K_ENUM, .choices = criticalities},
    {.name = "support", .kind = K_OBJ, .members = contact_members},
    {.name = "snmp", .kind = K_OBJ, .members = snmp_members},
    {.name = "config", .kind = K_OBJ, .members = config_members},
    {.name = "uplinks", .kind = K_NAMES},
    {.name = "backup", .kind = K_OBJ, .members = backup_members},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member host_members[] = {
    {.name = "name", .kind = K_NAME, .required = 1},
    {.name = "addresses", .kind = K_ADDRS},
    {.name = "switch", .kind = K_NAME, .required = 1},
    {.name = "port", .kind = K_NAME},
    {.name = "if_index", .kind = K_INT, .min = 1, .max = INT32_MAX},
    {.name = "role", .kind = K_STR},
    {.name = "site", .kind = K_STR},
    {.name = "criticality", .kind = K_ENUM, .choices = criticalities},
    {.name = "backup", .kind = K_OBJ, .members = backup_members},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member circuit_members[] = {
    {.name = "id", .kind = K_NAME, .required = 1},
    {.name = "device", .kind = K_NAME, .required = 1},
    {.name = "interface", .kind = K_NAME, .required = 1},
    {.name = "carrier", .kind = K_NAME, .required = 1},
    {.name = "responsibility", .kind = K_ENUM, .required = 1, .choices = responsibilities},
    {.name = "bandwidth", .kind = K_STR},
    {.name = "site", .kind = K_STR},
    {.name = "contact", .kind = K_OBJ, .members = contact_members},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member spare_members[] = {
    {.name = "model", .kind = K_NAME, .required = 1},
    {.name = "kind", .kind = K_STR},
    {.name = "location", .kind = K_NAME, .required = 1},
    {.name = "site", .kind = K_STR},
    {.name = "count", .kind = K_INT, .required = 1, .min = 0, .max = 1000000},
    {.name = "contact", .kind = K_OBJ, .members = contact_members},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member database_members[] = {
    {.name = "name", .kind = K_NAME, .required = 1},
    {.name = "engine", .kind = K_STR},
    {.name = "primary", .kind = K_NAME, .required = 1},
    {.name = "standby", .kind = K_NAME, .required = 1},
    {.name = "method", .kind = K_STR},
    {.name = "promote", .kind = K_ARGV},
    {.name = "check", .kind = K_ARGV},
    {.name = "check_expect", .kind = K_STR},
    {.name = "backup", .kind = K_OBJ, .members = backup_members},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member product_members[] = {
    {.name = "name", .kind = K_NAME, .required = 1},
    {.name = "vendor", .kind = K_STR},
    {.name = "registered", .kind = K_BOOL, .required = 1},
    {.name = "registration", .kind = K_STR},
    {.name = "hosts", .kind = K_NAMES, .required = 1},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};

static const struct member person_members[] = {
    {.name = "name", .kind = K_NAME, .required = 1},
    {.name = "roles", .kind = K_NAMES, .required = 1},
    {.name = "email", .kind = K_STR},
    {.name = "phone", .kind = K_STR},
    {.name = "organization", .kind = K_STR},
    {.name = "notes", .kind = K_NOTES},
    {.name = NULL},
};
/* clang-format on */

/* The string of v, or NULL after an error: not a string, a NUL, or a length outside min..max. */
static const char *want_str(struct loader *l, fjson_object *v, size_t min, size_t max)
{
    const char *s;
    size_t len;

    if (!is_type(v, fjson_type_string)) {
        fail(l, "must be a string, not %s", rule_json_type_name(v));
        return NULL;
    }
    s = fjson_object_get_string(v);
    len = (size_t)fjson_object_get_string_len(v);
    if (len != strlen(s)) {
        fail(l, "must not contain a NUL character");
        return NULL;
    }
    if (len > max) {
        fail(l, "longer than %zu bytes", max);
        return NULL;
    }
    if (len < min) {
        fail(l, "must not be empty");
        return NULL;
    }
    return s;
}

static void want_name(struct loader *l, fjson_object *v)
{
    const char *s = want_str(l, v, 1, NAME_MAX_BYTES);
    size_t i;

    for (i = 0; s != NULL && s[i] != '\0'; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            fail(l, "must not contain control characters");
            return;
        }
    }
}

static void want_addr(struct loader *l, fjson_object *v)
{
    char qb[QUOTE_BUF_BYTES];
    char canon[ADDR_TEXT_BYTES];
    const char *s = want_str(l, v, 1, STR_MAX_BYTES);

    if (s != NULL && addr_key(s, canon, sizeof(canon)) != 0) {
        fail(l, "not an IPv4 or IPv6 address: %s", rule_json_quote(qb, sizeof(qb), s));
    }
}

/* True for an environment variable name: a letter or _, then letters, digits and _. */
static int is_env_name(const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return i > 0;
}

/* A secret reference; the value itself is never quoted in a message. */
static void want_secret(struct loader *l, fjson_object *v)
{
    const char *s = want_str(l, v, 1, STR_MAX_BYTES);

    if (s == NULL) {
        return;
    }
    if (strncmp(s, "file:", 5) == 0) {
        if (s[5] != '/' || s[6] == '\0') {
            fail(l, "a file: reference needs an absolute path, as in "
                    "\"file:/etc/vigil/secrets/NAME\"");
        }
        return;
    }
    if (strncmp(s, "env:", 4) == 0) {
        if (!is_env_name(s + 4)) {
            fail(l, "an env: reference needs a variable name of letters, digits and _, as in "
                    "\"env:VIGIL_SNMP_COMMUNITY\"");
        }
        return;
    }
    fail(l, "an inline secret is refused: use a reference, \"file:/path\" (a file only vigil's "
            "user can read) or \"env:NAME\"");
}

static void want_enum(struct loader *l, fjson_object *v, const char *const *choices)
{
    const char *s = is_type(v, fjson_type_string) ? fjson_object_get_string(v) : NULL;
    struct sbuf b = {0};
    size_t i;

    for (i = 0; s != NULL && choices[i] != NULL; i++) {
        if (strcmp(s, choices[i]) == 0) {
            return;
        }
    }
    for (i = 0; choices[i] != NULL; i++) {
        sbuf_printf(&b, "%s%s", i > 0 ? ", " : "", choices[i]);
    }
    fail(l, "must be one of %s", b.buf);
    sbuf_free(&b);
}

static void want_int(struct loader *l, fjson_object *v, int64_t min, int64_t max)
{
    int64_t x;

    if (!is_type(v, fjson_type_int)) {
        fail(l, "must be an integer from %" PRId64 " to %" PRId64 ", not %s", min, max,
             rule_json_type_name(v));
        return;
    }
    x = fjson_object_get_int64(v);
    if (x < min || x > max) {
        fail(l, "must be an integer from %" PRId64 " to %" PRId64 ", not %" PRId64, min, max, x);
    }
}

/* An array's length, or -1 after an error. */
static int want_array(struct loader *l, fjson_object *v, size_t min, size_t max)
{
    size_t n;

    if (!is_type(v, fjson_type_array)) {
        fail(l, "must be an array, not %s", rule_json_type_name(v));
        return -1;
    }
    n = (size_t)fjson_object_array_length(v);
    if (n < min || n > max) {
        fail(l, "must have %zu to %zu elements, not %zu", min, max, n);
        return -1;
    }
    return (int)n;
}

static void want_argv(struct loader *l, fjson_object *v)
{
    int n = want_array(l, v, 1, ARGV_MAX);
    int i;

    for (i = 0; i < n; i++) {
        size_t old = push_idx(l, (size_t)i);
        const char *s = want_str(l, fjson_object_array_get_idx(v, i), 1, STR_MAX_BYTES);

        if (i == 0 && s != NULL && s[0] != '/') {
            fail(l, "must be an absolute path (commands run without a shell or PATH search)");
        }
        pop(l, old);
    }
}

static int check_object(struct loader *l, fjson_object *o, const struct member *members);

static void check_value(struct loader *l, fjson_object *v, const struct member *m)
{
    int n;
    int i;

    switch (m->kind) {
    case K_STR:
        want_str(l, v, 0, STR_MAX_BYTES);
        break;
    case K_NOTES:
        want_str(l, v, 0, NOTES_MAX_BYTES);
        break;
    case K_NAME:
        want_name(l, v);
        break;
    case K_ADDR:
        want_addr(l, v);
        break;
    case K_SECRET:
        want_secret(l, v);
        break;
    case K_ENUM:
        want_enum(l, v, m->choices);
        break;
    case K_INT:
        want_int(l, v, m->min, m->max);
        break;
    case K_BOOL:
        if (!is_type(v, fjson_type_boolean)) {
            fail(l, "must be true or false, not %s", rule_json_type_name(v));
        }
        break;
    case K_ADDRS:
    case K_NAMES:
        n = want_array(l, v, 0, INT32_MAX);
        for (i = 0; i < n; i++) {
            size_t old = push_idx(l, (size_t)i);

            if (m->kind == K_ADDRS) {
                want_addr(l, fjson_object_array_get_idx(v, i));
            } else {
                want_name(l, fjson_object_array_get_idx(v, i));
            }
            pop(l, old);
        }
        break;
    case K_ARGV:
        want_argv(l, v);
        break;
    case K_OBJ:
        check_object(l, v, m->members);
        break;
    }
}

/*
 * Check o against members: each present member's value, unknown keys, missing
 * required members. Returns -1 when o is not an object, else 0 (errors reported).
 */
static int check_object(struct loader *l, fjson_object *o, const struct member *members)
{
    struct fjson_object_iterator it;
    struct fjson_object_iterator end;
    const struct member *m;
    char qb[QUOTE_BUF_BYTES];

    if (!is_type(o, fjson_type_object)) {
        fail(l, "must be an object, not %s", rule_json_type_name(o));
        return -1;
    }
    it = fjson_object_iter_begin(o);
    end = fjson_object_iter_end(o);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);

        m = members;
        while (m->name != NULL && strcmp(m->name, k) != 0) {
            m++;
        }
        if (m->name == NULL) {
            fail(l, "unknown key %s", rule_json_quote(qb, sizeof(qb), k));
        } else {
            size_t old = push_key(l, m->name);

            check_value(l, fjson_object_iter_peek_value(&it), m);
            pop(l, old);
        }
    }
    for (m = members; m->name != NULL; m++) {
        if (m->required && !has(o, m->name)) {
            fail(l, "missing required key \"%s\"", m->name);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Sections: checks across members and entries, and the indexes
 */

/* Index the name member of entry i under ix; a name already taken is reported with both places. */
static void claim(struct loader *l, fjson_object *e, const char *member, enum index_id ix,
                  enum section_id sec, size_t i)
{
    const char *name = str_of(e, member);
    char qb[QUOTE_BUF_BYTES];
    char *key;
    size_t first;

    if (name == NULL || name[0] == '\0') {
        return;
    }
    key = fold(name);
    first = index_add(&l->inv->indexes[ix], key, i);
    if (first != NO_ID && first != i) {
        fail_at(l, member, "duplicate %s %s (also at $.%s[%zu])", member,
                rule_json_quote(qb, sizeof(qb), name), section_names[sec], first);
    }
    free(key);
}

/* Index each of the names in array member of entry i under ix (several entries per key). */
static void add_names(struct loader *l, fjson_object *e, const char *member, enum index_id ix,
                      size_t i)
{
    fjson_object *a;
    int n;
    int j;

    if (!fjson_object_object_get_ex(e, member, &a) || !is_type(a, fjson_type_array)) {
        return;
    }
    n = fjson_object_array_length(a);
    for (j = 0; j < n; j++) {
        fjson_object *v = fjson_object_array_get_idx(a, j);
        char *key;

        if (!is_type(v, fjson_type_string) || fjson_object_get_string_len(v) == 0) {
            continue;
        }
        key = fold(fjson_object_get_string(v));
        if (index_add(&l->inv->indexes[ix], key, i) == NO_ID && ix == IX_ROLE) {
            l->inv->roles = xrealloc(l->inv->roles, (l->inv->n_roles + 1) * sizeof(char *));
            l->inv->roles[l->inv->n_roles++] = xstrdup(fjson_object_get_string(v));
        }
        free(key);
    }
}

/* Index the addresses of entry i; an address of two entries (or twice in one) is an error. */
static void claim_addrs(struct loader *l, fjson_object *e, enum index_id ix, enum section_id sec,
                        size_t i)
{
    char canon[ADDR_TEXT_BYTES];
    fjson_object *a;
    int n;
    int j;

    if (!fjson_object_object_get_ex(e, "addresses", &a) || !is_type(a, fjson_type_array)) {
        return;
    }
    n = fjson_object_array_length(a);
    for (j = 0; j < n; j++) {
        fjson_object *v = fjson_object_array_get_idx(a, j);
        size_t first;
        size_t old;

        if (!is_type(v, fjson_type_string) ||
            addr_key(fjson_object_get_string(v), canon, sizeof(canon)) != 0) {
            continue;
        }
        first = index_add(&l->inv->indexes[ix], canon, i);
        if (first == NO_ID) {
            continue;
        }
        old = push_key(l, "addresses");
        push_idx(l, (size_t)j);
        if (first == i) {
            fail(l, "address %s is listed twice", canon);
        } else {
            fail(l, "address %s is also an address of $.%s[%zu]", canon, section_names[sec], first);
        }
        pop(l, old);
    }
}

/* A member that must name a device of this file. */
static void want_device(struct loader *l, fjson_object *e, const char *member)
{
    const char *name = str_of(e, member);
    char qb[QUOTE_BUF_BYTES];
    char *key;

    if (name == NULL || name[0] == '\0') {
        return;
    }
    key = fold(name);
    if (index_find(&l->inv->indexes[IX_DEVICE], key) == NULL) {
        fail_at(l, member, "%s is not the name of a device in $.devices",
                rule_json_quote(qb, sizeof(qb), name));
    }
    free(key);
}

/* Members of snmp that belong to version 3 only, and to level authPriv only. */
static const char *const v3_members[] = {"user",     "level",         "auth_protocol",
                                         "auth_key", "priv_protocol", "priv_key"};
static const char *const priv_members[] = {"priv_protocol", "priv_key"};

static void need(struct loader *l, fjson_object *o, const char *key, const char *why)
{
    if (!has(o, key)) {
        fail(l, "missing required key \"%s\" (%s)", key, why);
    }
}

/* Version-dependent members of devices[].snmp, and its defaults port and address. */
static void check_snmp(struct loader *l, fjson_object *dev)
{
    fjson_object *snmp;
    fjson_object *addrs;
    const char *version;
    const char *level;
    size_t old;
    size_t k;

    if (!fjson_object_object_get_ex(dev, "snmp", &snmp) || !is_type(snmp, fjson_type_object)) {
        return;
    }
    old = push_key(l, "snmp");
    version = str_of(snmp, "version");
    level = str_of(snmp, "level");
    if (version != NULL && (strcmp(version, "1") == 0 || strcmp(version, "2c") == 0)) {
        need(l, snmp, "community", "SNMP versions 1 and 2c");
        for (k = 0; k < ARRAY_SIZE(v3_members); k++) {
            if (has(snmp, v3_members[k])) {
                fail_at(l, v3_members[k], "only for SNMP version 3");
            }
        }
    } else if (version != NULL && strcmp(version, "3") == 0) {
        need(l, snmp, "user", "SNMP version 3");
        need(l, snmp, "level", "SNMP version 3");
        if (has(snmp, "community")) {
            fail_at(l, "community", "only for SNMP versions 1 and 2c");
        }
        if (level != NULL && strcmp(level, "authNoPriv") == 0) {
            need(l, snmp, "auth_protocol", "level authNoPriv");
            need(l, snmp, "auth_key", "level authNoPriv");
            for (k = 0; k < ARRAY_SIZE(priv_members); k++) {
                if (has(snmp, priv_members[k])) {
                    fail_at(l, priv_members[k], "only with level authPriv");
                }
            }
        } else if (level != NULL && strcmp(level, "authPriv") == 0) {
            need(l, snmp, "auth_protocol", "level authPriv");
            need(l, snmp, "auth_key", "level authPriv");
            need(l, snmp, "priv_protocol", "level authPriv");
            need(l, snmp, "priv_key", "level authPriv");
        }
    }
    if (!has(snmp, "port")) {
        fjson_object_object_add(snmp, "port", fjson_object_new_int(SNMP_PORT));
    }
    if (!has(snmp, "address")) {
        fjson_object *a0 = NULL;

        if (fjson_object_object_get_ex(dev, "addresses", &addrs) &&
            is_type(addrs, fjson_type_array) && fjson_object_array_length(addrs) > 0) {
            a0 = fjson_object_array_get_idx(addrs, 0);
        }
        if (is_type(a0, fjson_type_string)) {
            fjson_object_object_add(snmp, "address",
                                    fjson_object_new_string(fjson_object_get_string(a0)));
        } else if (a0 == NULL) {
            fail(l, "missing required key \"address\" (the device has no addresses)");
        }
    }
    pop(l, old);
}

static void check_device(struct loader *l, fjson_object *e, size_t i)
{
    claim(l, e, "name", IX_DEVICE, SEC_DEVICES, i);
    claim_addrs(l, e, IX_DEVICE_ADDR, SEC_DEVICES, i);
    check_snmp(l, e);
}

static void check_host(struct loader *l, fjson_object *e, size_t i)
{
    claim(l, e, "name", IX_HOST, SEC_HOSTS, i);
    claim_addrs(l, e, IX_HOST_ADDR, SEC_HOSTS, i);
    want_device(l, e, "switch");
    if (!has(e, "port") && !has(e, "if_index")) {
        fail(l, "missing required key \"port\" or \"if_index\" (the switch port it sits on)");
    }
}

static void check_circuit(struct loader *l, fjson_object *e, size_t i)
{
    const char *dev = str_of(e, "device");
    const char *ifname = str_of(e, "interface");
    char qb[QUOTE_BUF_BYTES];

    claim(l, e, "id", IX_CIRCUIT, SEC_CIRCUITS, i);
    want_device(l, e, "device");
    if (dev != NULL && ifname != NULL && dev[0] != '\0' && ifname[0] != '\0') {
        char *d = fold(dev);
        char *key = xasprintf("%s|%s", d, ifname);
        size_t first = index_add(&l->inv->indexes[IX_CIRCUIT_PORT], key, i);

        if (first != NO_ID && first != i) {
            fail_at(l, "interface", "interface %s of %s already has a circuit: $.circuits[%zu]",
                    rule_json_quote(qb, sizeof(qb), ifname), dev, first);
        }
        free(key);
        free(d);
    }
}

static void check_spare(struct loader *l, fjson_object *e, size_t i)
{
    const char *model = str_of(e, "model");
    char *key;

    if (model != NULL && model[0] != '\0') {
        key = fold(model);
        index_add(&l->inv->indexes[IX_SPARE], key, i);
        free(key);
    }
}

static void check_database(struct loader *l, fjson_object *e, size_t i)
{
    const char *primary = str_of(e, "primary");
    const char *standby = str_of(e, "standby");
    const char *method = str_of(e, "method");
    char *p;
    char *s;

    claim(l, e, "name", IX_DATABASE, SEC_DATABASES, i);
    if (primary == NULL || standby == NULL || primary[0] == '\0' || standby[0] == '\0') {
        return;
    }
    p = fold(primary);
    s = fold(standby);
    index_add(&l->inv->indexes[IX_DATABASE_MEMBER], p, i);
    index_add(&l->inv->indexes[IX_DATABASE_MEMBER], s, i);
    if (strcmp(p, s) == 0) {
        fail_at(l, "standby", "must not be the primary");
    }
    if (method != NULL && strcmp(method, "promote") == 0) {
        need(l, e, "promote", "method \"promote\"");
    }
    free(p);
    free(s);
}

static void check_product(struct loader *l, fjson_object *e, size_t i)
{
    const char *name = str_of(e, "name");
    char *key;

    if (name != NULL && name[0] != '\0') {
        key = fold(name);
        index_add(&l->inv->indexes[IX_PRODUCT], key, i);
        free(key);
    }
    add_names(l, e, "hosts", IX_PRODUCT, i);
}

static void check_person(struct loader *l, fjson_object *e, size_t i)
{
    claim(l, e, "name", IX_PERSON, SEC_PEOPLE, i);
    add_names(l, e, "roles", IX_ROLE, i);
}

/* How each section's entries are checked (enum section_id order). */
static const struct {
    const struct member *members;                               /* the entry's members */
    void (*check)(struct loader *l, fjson_object *e, size_t i); /* checks across members */
} section_checks[N_SECTIONS] = {
    {device_members, check_device},     {host_members, check_host},
    {circuit_members, check_circuit},   {spare_members, check_spare},
    {database_members, check_database}, {product_members, check_product},
    {person_members, check_person},
};

static void check_section(struct loader *l, enum section_id sec, fjson_object *a)
{
    size_t old = push_key(l, section_names[sec]);
    int n = want_array(l, a, 0, INT32_MAX);
    int i;

    for (i = 0; i < n; i++) {
        fjson_object *e = fjson_object_array_get_idx(a, i);
        size_t old2 = push_idx(l, (size_t)i);

        if (check_object(l, e, section_checks[sec].members) == 0) {
            section_checks[sec].check(l, e, (size_t)i);
        }
        pop(l, old2);
    }
    pop(l, old);
}

/* The top-level object: "$schema", "notes" and the sections, each checked in section order. */
static void check_root(struct loader *l, fjson_object *root)
{
    fjson_object *sections[N_SECTIONS] = {NULL};
    struct fjson_object_iterator it;
    struct fjson_object_iterator end;
    char qb[QUOTE_BUF_BYTES];
    int s;

    if (!is_type(root, fjson_type_object)) {
        fail(l, "must be an object, not %s", rule_json_type_name(root));
        return;
    }
    it = fjson_object_iter_begin(root);
    end = fjson_object_iter_end(root);
    for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
        const char *k = fjson_object_iter_peek_name(&it);
        fjson_object *v = fjson_object_iter_peek_value(&it);

        s = section_of(k);
        if (s >= 0) {
            sections[s] = v;
            /* A JSON null section is reported as not an array. */
            if (v == NULL) {
                fail_at(l, k, "must be an array, not null");
            }
        } else if (strcmp(k, "$schema") == 0 || strcmp(k, "notes") == 0) {
            size_t old = push_key(l, k);

            want_str(l, v, 0, k[0] == '$' ? STR_MAX_BYTES : NOTES_MAX_BYTES);
            pop(l, old);
        } else {
            fail(l,
                 "unknown key %s (sections: devices, hosts, circuits, spares, databases, "
                 "products, people)",
                 rule_json_quote(qb, sizeof(qb), k));
        }
    }
    for (s = 0; s < N_SECTIONS; s++) {
        if (sections[s] != NULL) {
            check_section(l, (enum section_id)s, sections[s]);
        }
    }
}

/* ---------------------------------------------------------------------------------------
 * Loading
 */

/* Offset of the first NUL byte or byte that is not well-formed UTF-8 (RFC 3629), or len. */
static size_t first_bad_byte(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (i < len) {
        size_t n = s[i] != 0 ? utf8_seq_len(s + i, len - i) : 0;

        if (n == 0) {
            return i;
        }
        i += n;
    }
    return len;
}

/*
 * Parse the text of the file into *out (NULL for a JSON null). Returns 0, or -1
 * after an error at its line and column.
 */
static int parse_text(struct loader *l, const char *text, size_t len, fjson_object **out)
{
    const char *desc = NULL;
    size_t off = 0;
    fjson_object *root;
    size_t bad = first_bad_byte(text, len);
    char what[64];

    if (bad < len) {
        if (text[bad] == '\0') {
            snprintf(what, sizeof(what), "NUL byte in the text");
        } else {
            snprintf(what, sizeof(what), "not UTF-8 (byte 0x%02x)", (unsigned char)text[bad]);
        }
        fail_text(l, text, bad, what);
        return -1;
    }
    if (rule_json_parse_strict(text, len, &root, &off, &desc) != 0) {
        char msg[128];

        snprintf(msg, sizeof(msg), "JSON syntax error: %s", desc);
        fail_text(l, text, off, msg);
        return -1;
    }
    *out = root;
    return 0;
}

/* Compact JSON of a checked value (strings through sbuf_add_json_str: no "\/"). */
static void write_json(struct sbuf *b, fjson_object *v)
{
    struct fjson_object_iterator it;
    struct fjson_object_iterator end;
    int n;
    int i;

    switch (v == NULL ? fjson_type_null : fjson_object_get_type(v)) {
    case fjson_type_null:
        sbuf_adds(b, "null");
        break;
    case fjson_type_boolean:
        sbuf_adds(b, fjson_object_get_boolean(v) ? "true" : "false");
        break;
    case fjson_type_int:
        sbuf_printf(b, "%" PRId64, fjson_object_get_int64(v));
        break;
    case fjson_type_double:
        sbuf_adds(b, fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN));
        break;
    case fjson_type_string:
        sbuf_addc(b, '"');
        sbuf_add_json_str(b, fjson_object_get_string(v), (size_t)fjson_object_get_string_len(v));
        sbuf_addc(b, '"');
        break;
    case fjson_type_array:
        sbuf_addc(b, '[');
        n = fjson_object_array_length(v);
        for (i = 0; i < n; i++) {
            if (i > 0) {
                sbuf_addc(b, ',');
            }
            write_json(b, fjson_object_array_get_idx(v, i));
        }
        sbuf_addc(b, ']');
        break;
    case fjson_type_object:
        sbuf_addc(b, '{');
        it = fjson_object_iter_begin(v);
        end = fjson_object_iter_end(v);
        for (i = 0; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it), i++) {
            const char *k = fjson_object_iter_peek_name(&it);

            sbuf_adds(b, i > 0 ? ",\"" : "\"");
            sbuf_add_json_str(b, k, strlen(k));
            sbuf_adds(b, "\":");
            write_json(b, fjson_object_iter_peek_value(&it));
        }
        sbuf_addc(b, '}');
        break;
    }
}

/* Keep each entry of every section as JSON text. */
static void keep_entries(struct inventory *inv, fjson_object *root)
{
    int s;

    for (s = 0; s < N_SECTIONS; s++) {
        struct section *sec = &inv->sections[s];
        fjson_object *a;
        int i;

        if (!fjson_object_object_get_ex(root, section_names[s], &a)) {
            continue;
        }
        sec->n = (size_t)fjson_object_array_length(a);
        sec->json = xcalloc(sec->n != 0 ? sec->n : 1, sizeof(*sec->json));
        for (i = 0; i < (int)sec->n; i++) {
            struct sbuf b = {0};

            write_json(&b, fjson_object_array_get_idx(a, i));
            sec->json[i] = b.buf;
        }
    }
}

/* Load and check an inventory file (see inventory.h). */
struct inventory *inventory_load(const char *path, struct diag *diag)
{
    struct loader l = {.file = path, .diag = diag};
    fjson_object *root;
    size_t len;
    char *text;
    int rc;

    errno = 0;
    text = file_read_all(path, INVENTORY_MAX_BYTES, &len);
    if (text == NULL) {
        diag_add(diag, "%s: cannot read: %s", path,
                 errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
        return NULL;
    }
    rc = parse_text(&l, text, len, &root);
    free(text);
    if (rc != 0) {
        return NULL;
    }
    l.inv = xcalloc(1, sizeof(*l.inv));
    atomic_init(&l.inv->refs, 1);
    sbuf_addc(&l.path, '$');
    check_root(&l, root);
    if (l.n_errors > ERRORS_MAX) {
        diag_add(diag, "%s: %zu more errors not shown", path, l.n_errors - ERRORS_MAX);
    }
    if (l.n_errors == 0) {
        keep_entries(l.inv, root);
    } else {
        inventory_free(l.inv);
        l.inv = NULL;
    }
    sbuf_free(&l.path);
    if (root != NULL) {
        fjson_object_put(root);
    }
    return l.inv;
}

/* Free an inventory (see inventory.h). */
void inventory_free(struct inventory *inv)
{
    size_t i;
    int s;

    if (inv == NULL) {
        return;
    }
    for (s = 0; s < N_SECTIONS; s++) {
        for (i = 0; i < inv->sections[s].n; i++) {
            free(inv->sections[s].json[i]);
        }
        free(inv->sections[s].json);
    }
    for (s = 0; s < N_INDEXES; s++) {
        index_free(&inv->indexes[s]);
    }
    for (i = 0; i < inv->n_roles; i++) {
        free(inv->roles[i]);
    }
    free(inv->roles);
    free(inv);
}

/* ---------------------------------------------------------------------------------------
 * Lookups
 */

/* The slot of key in ix, its first fold_len bytes folded to lower case; NULL when absent. */
static const struct slot *find(const struct index *ix, const char *key, size_t fold_len)
{
    char k[2 * NAME_MAX_BYTES + 2];
    size_t len = strlen(key);
    size_t i;

    /* Longer than any key stored: a name, or a device name, '|' and an interface. */
    if (len >= sizeof(k)) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        k[i] = i < fold_len ? lower(key[i]) : key[i];
    }
    k[len] = '\0';
    return index_find(ix, k);
}

static const struct slot *find_addr(const struct index *ix, const char *key)
{
    char canon[ADDR_TEXT_BYTES];

    if (strlen(key) >= ADDR_TEXT_BYTES || addr_key(key, canon, sizeof(canon)) != 0) {
        return NULL;
    }
    return index_find(ix, canon);
}

/* A JSON array of entries ids[0..n) of sec (all of them when ids is NULL); NULL when n is 0. */
static char *entries_array(const struct inventory *inv, enum section_id sec, const size_t *ids,
                           size_t n)
{
    struct sbuf b = {0};
    size_t i;

    if (n == 0) {
        return NULL;
    }
    sbuf_addc(&b, '[');
    for (i = 0; i < n; i++) {
        if (i > 0) {
            sbuf_addc(&b, ',');
        }
        sbuf_adds(&b, inv->sections[sec].json[ids != NULL ? ids[i] : i]);
    }
    sbuf_addc(&b, ']');
    return b.buf;
}

static char *role_names(const struct inventory *inv)
{
    struct sbuf b = {0};
    size_t i;

    if (inv->n_roles == 0) {
        return NULL;
    }
    sbuf_addc(&b, '[');
    for (i = 0; i < inv->n_roles; i++) {
        sbuf_adds(&b, i > 0 ? ",\"" : "\"");
        sbuf_add_json_str(&b, inv->roles[i], strlen(inv->roles[i]));
        sbuf_addc(&b, '"');
    }
    sbuf_addc(&b, ']');
    return b.buf;
}

/* Look an entry up (see inventory.h). */
char *inventory_get(const struct inventory *inv, const char *section, const char *key)
{
    const struct index *ix;
    const struct slot *s = NULL;
    const char *bar;
    int sec;

    if (inv == NULL || section == NULL) {
        return NULL;
    }
    ix = inv->indexes;
    if (strcmp(section, "roles") == 0) {
        if (key == NULL) {
            return role_names(inv);
        }
        s = find(&ix[IX_ROLE], key, SIZE_MAX);
        return s != NULL ? entries_array(inv, SEC_PEOPLE, s->ids, s->n_ids) : NULL;
    }
    sec = section_of(section);
    if (sec < 0) {
        return NULL;
    }
    if (key == NULL) {
        return entries_array(inv, (enum section_id)sec, NULL, inv->sections[sec].n);
    }
    switch ((enum section_id)sec) {
    case SEC_DEVICES:
        s = find(&ix[IX_DEVICE], key, SIZE_MAX);
        s = s != NULL ? s : find_addr(&ix[IX_DEVICE_ADDR], key);
        break;
    case SEC_HOSTS:
        s = find(&ix[IX_HOST], key, SIZE_MAX);
        s = s != NULL ? s : find_addr(&ix[IX_HOST_ADDR], key);
        break;
    case SEC_CIRCUITS:
        s = find(&ix[IX_CIRCUIT], key, SIZE_MAX);
        bar = strchr(key, '|');
        if (s == NULL && bar != NULL) {
            s = find(&ix[IX_CIRCUIT_PORT], key, (size_t)(bar - key));
        }
        break;
    case SEC_DATABASES:
        s = find(&ix[IX_DATABASE], key, SIZE_MAX);
        s = s != NULL ? s : find(&ix[IX_DATABASE_MEMBER], key, SIZE_MAX);
        break;
    case SEC_PEOPLE:
        s = find(&ix[IX_PERSON], key, SIZE_MAX);
        break;
    case SEC_SPARES:
        s = find(&ix[IX_SPARE], key, SIZE_MAX);
        return s != NULL ? entries_array(inv, SEC_SPARES, s->ids, s->n_ids) : NULL;
    case SEC_PRODUCTS:
        s = find(&ix[IX_PRODUCT], key, SIZE_MAX);
        return s != NULL ? entries_array(inv, SEC_PRODUCTS, s->ids, s->n_ids) : NULL;
    case N_SECTIONS:
        break;
    }
    return s != NULL ? xstrdup(inv->sections[sec].json[s->ids[0]]) : NULL;
}

/* Entries in a section (see inventory.h). */
size_t inventory_count(const struct inventory *inv, const char *section)
{
    int sec;

    if (inv == NULL || section == NULL) {
        return 0;
    }
    if (strcmp(section, "roles") == 0) {
        return inv->n_roles;
    }
    sec = section_of(section);
    return sec >= 0 ? inv->sections[sec].n : 0;
}

/* ---------------------------------------------------------------------------------------
 * The current inventory
 */

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inventory *current; /* guarded by current_lock; holds one reference */

static struct inventory *current_acquire(void)
{
    struct inventory *inv;

    pthread_mutex_lock(&current_lock);
    inv = current;
    if (inv != NULL) {
        atomic_fetch_add(&inv->refs, 1);
    }
    pthread_mutex_unlock(&current_lock);
    return inv;
}

static void release(struct inventory *inv)
{
    if (inv != NULL && atomic_fetch_sub(&inv->refs, 1) == 1) {
        inventory_free(inv);
    }
}

static void current_set(struct inventory *inv)
{
    struct inventory *old;

    pthread_mutex_lock(&current_lock);
    old = current;
    current = inv;
    pthread_mutex_unlock(&current_lock);
    release(old);
}

/* Load and install a new current inventory (see inventory.h). */
int inventory_reload(const char *path, struct diag *diag)
{
    struct inventory *inv = inventory_load(path, diag);

    if (inv == NULL) {
        return -1;
    }
    current_set(inv);
    return 0;
}

/* Look up in the current inventory (see inventory.h). */
char *inventory_current_get(const char *section, const char *key)
{
    struct inventory *inv = current_acquire();
    char *out = inventory_get(inv, section, key);

    release(inv);
    return out;
}

/* Drop the current inventory (see inventory.h). */
void inventory_current_free(void)
{
    current_set(NULL);
}
