/* SPDX-License-Identifier: MIT */
/*
 * The inventory (contrib/inventory.example.json, schemas/inventory.schema.json):
 * devices, the switch ports hosts sit on, WAN circuits, spares, database pairs,
 * software products and people with their roles, read from one JSON file,
 * validated, and indexed at load for the lookups behind vg_inventory_get(). A
 * process-wide current inventory is replaced atomically on reload (SIGHUP).
 */
#ifndef VG_CORE_INVENTORY_H
#define VG_CORE_INVENTORY_H

#include <stddef.h>

#include "util.h"

#define INVENTORY_MAX_BYTES (16u << 20) /* largest inventory file read */

/* A loaded inventory: immutable after inventory_load, so any thread may read it. */
struct inventory;

/*
 * Read, parse and validate the inventory file at path. Every error goes to diag
 * ("FILE:LINE:COL: JSON syntax error: ..." for the text, "FILE: $.devices[2].snmp.version:
 * must be one of 1, 2c, 3" for the content) and loading goes on to find the others.
 * Returns the inventory (free with inventory_free), or NULL when there was any error.
 * Defaults are filled in: devices[].snmp.port (161) and snmp.address (the device's
 * first address). Any thread; it touches no shared state.
 */
struct inventory *inventory_load(const char *path, struct diag *diag);

/* Free an inventory from inventory_load (NULL is fine). */
void inventory_free(struct inventory *inv);

/*
 * Look key up in section (see the ABI's vg_inventory_get): "devices" and "hosts"
 * by name or address (IPv4 or IPv6, any spelling of it), "circuits" by id or
 * "DEVICE|INTERFACE", "databases" by pair, primary or standby name, "people" by
 * name: the object; "spares" by model, "products" by product or host name,
 * "roles" by role: an array. Names, ids, models and roles compare ASCII
 * case-insensitively; a circuit's interface exactly. A NULL key gives the whole
 * section as an array ("roles": the array of role names). Returns compact JSON
 * text the caller frees with free(), or NULL when nothing matches (never an
 * empty array) or the section is unknown. Several threads may look up at once.
 */
char *inventory_get(const struct inventory *inv, const char *section, const char *key);

/* Entries in section ("roles": distinct roles); 0 for an unknown section. */
size_t inventory_count(const struct inventory *inv, const char *section);

/*
 * Load path (inventory_load) and, when it is valid, make it the current
 * inventory; the one it replaces is freed once no lookup uses it any more.
 * Returns 0, or -1 with the errors in diag and the current inventory kept.
 * Any thread, concurrently with inventory_current_get.
 */
int inventory_reload(const char *path, struct diag *diag);

/*
 * inventory_get on the current inventory; NULL when none is loaded. Thread-safe:
 * a concurrent reload never frees the inventory under a lookup.
 */
char *inventory_current_get(const char *section, const char *key);

/* Drop the current inventory (at exit); lookups then give NULL. */
void inventory_current_free(void);

#endif /* VG_CORE_INVENTORY_H */
