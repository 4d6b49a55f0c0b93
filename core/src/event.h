/* SPDX-License-Identifier: MIT */
/*
 * The normalized event: a flat list of dotted ECS field names and values in one
 * arena, reference counted, immutable once it enters the correlation stage.
 * Serialized as nested JSON (schemas/event.schema.json) without building a tree.
 */
#ifndef VG_CORE_EVENT_H
#define VG_CORE_EVENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "util.h"

enum event_ftype {
    EVF_STR = 0, /* a JSON string */
    EVF_INT = 1, /* a JSON integer; the text form is kept too */
    EVF_RAW = 2, /* JSON text emitted verbatim (arrays, nested values from replayed JSON) */
};

/* One field; every offset is into the event's arena. */
struct event_field {
    uint32_t name_off; /* offset of the dotted name */
    uint16_t name_len; /* bytes of the name */
    uint16_t atom_off; /* start of a segment that keeps its dots (an SD-ID), from name start */
    uint16_t atom_len; /* 0 when the name has no such segment */
    uint8_t type;      /* enum event_ftype */
    uint32_t val_off;  /* offset of the value's text, NUL-terminated */
    uint32_t val_len;  /* bytes of the value's text */
    int64_t ival;      /* the value when type is EVF_INT */
};

struct vg_event {
    atomic_int refs;            /* references; the event is freed when it drops to 0 */
    int64_t ts_ms;              /* @timestamp, ms since the epoch */
    int64_t ingested_ms;        /* event.ingested, ms since the epoch */
    size_t n_fields;            /* fields in use */
    size_t cap_fields;          /* fields allocated */
    struct event_field *fields; /* the fields, in insertion order */
    char *arena;                /* names and values */
    size_t arena_len;           /* bytes used in arena */
    size_t arena_cap;           /* bytes allocated for arena */
};

/* A new empty event with one reference; never NULL. */
struct vg_event *event_new(void);
void event_ref(struct vg_event *ev);
/* Drop a reference; frees the event at zero. NULL is ignored. */
void event_unref(struct vg_event *ev);
/* Clear all fields so the event can be reused by its only owner. */
void event_clear(struct vg_event *ev);

/*
 * Set a string field, replacing one of the same name. The name and value are
 * copied. Returns 0, or -1 when the name is empty or longer than 1024 bytes.
 */
int event_set_str(struct vg_event *ev, const char *name, const char *val, size_t len);
int event_set_strz(struct vg_event *ev, const char *name, const char *val);
int event_set_int(struct vg_event *ev, const char *name, int64_t val);
int event_set_raw(struct vg_event *ev, const char *name, const char *json, size_t len);
/*
 * Set a field named prefix + "." + atom + "." + leaf where atom keeps its dots
 * when serialized (RFC 5424 SD-IDs such as "junos@2636.1.1.1.2.39"); leaf may be NULL.
 */
int event_set_atom(struct vg_event *ev, const char *prefix, const char *atom, size_t atom_len,
                   const char *leaf, size_t leaf_len, const char *val, size_t len);
/* Set @timestamp and event.ingested (ms since the epoch). */
void event_set_time(struct vg_event *ev, int64_t ts_ms);
void event_set_ingested(struct vg_event *ev, int64_t ms);
/* Remove a field; no-op when absent. */
void event_del(struct vg_event *ev, const char *name);

/* A field's text by name; {NULL, 0} when absent. The pointer is valid while ev lives. */
struct vg_str event_get(const struct vg_event *ev, const char *name);
struct vg_str event_getn(const struct vg_event *ev, const char *name, size_t name_len);
/* A field as an integer; 0 on success, -1 when absent or not a number. */
int event_get_int(const struct vg_event *ev, const char *name, int64_t *out);

/* Append the event as one compact JSON object (no newline) to out. */
void event_to_json(const struct vg_event *ev, struct sbuf *out);
/*
 * Build an event from one JSON object (a line of --events-out or of a replay
 * file). Returns NULL and a reason in err when the text is not a JSON object.
 */
struct vg_event *event_from_json(const char *text, size_t len, char *err, size_t err_len);

#endif /* VG_CORE_EVENT_H */
