/* SPDX-License-Identifier: MIT */
/*
 * The plugin loader: opens vg_*.so files with dlopen (RTLD_NOW), checks file
 * permissions, the entry symbol and the ABI version of the descriptor, and makes
 * plugin instances whose "params" are parsed against the plugin's option table.
 * In-tree and third-party plugins go through exactly this path.
 */
#ifndef VG_CORE_LOADER_H
#define VG_CORE_LOADER_H

#include <libfastjson/json.h>
#include <pthread.h>
#include <stddef.h>

#include "event.h"
#include "util.h"

/* One loaded shared object. */
struct plugin_mod {
    char *path;             /* file it was loaded from */
    void *dl;               /* dlopen handle */
    struct vg_plugin desc;  /* the descriptor, copied (only `size` bytes; the rest zero) */
    struct vg_option *opts; /* the option table, copied row by row at option_size; NULL-ended */
};

/* One configured instance of a plugin (per rule, or per action use). */
struct plugin_inst {
    const struct plugin_mod *mod; /* its plugin */
    char *label;                  /* "rule:single/ssh-auth" for log prefixes */
    void *config;                 /* the config block the option table was written into */
    void *state;                  /* what create() returned */
    pthread_mutex_t lock;         /* serializes callbacks unless VG_PLUGIN_CONCURRENT */
};

struct loader {
    struct plugin_mod **mods; /* loaded plugins */
    size_t n;                 /* number loaded */
};

/* The host function table handed to every plugin (host_api.c). */
extern const struct vg_host_api host_api;

/*
 * Load one plugin file. Refuses, with one sentence naming the file in err: a
 * file or directory writable by others, a file dlopen cannot load, a missing
 * vg_plugin_entry, an entry that returns NULL (it refused this host's ABI), a
 * descriptor of another ABI major, a truncated descriptor, an unknown kind, a bad
 * name, missing callbacks, or a name already loaded. Returns 0 or -1.
 */
int loader_load_file(struct loader *ld, const char *path, char *err, size_t err_len);
/*
 * Load every vg_*.so in dir (sorted). Each refusal is added to diag; the others
 * still load. Returns the number of refusals (0: all loaded).
 */
int loader_load_dir(struct loader *ld, const char *dir, struct diag *diag);
/* The plugin of that kind and name, or NULL. */
const struct plugin_mod *loader_find(const struct loader *ld, int kind, const char *name);
/* dlclose every plugin (skipped when $VG_NO_DLCLOSE is set) and free the loader. */
void loader_free(struct loader *ld);

/*
 * Parse params (may be NULL) against table into a new config block of
 * config_size bytes. Unknown keys, wrong types, missing required keys and bad
 * durations are added to diag as "WHERE.KEY: reason". Returns the block (always,
 * to be freed with options_free) and sets *n_errors.
 */
void *options_parse(const struct vg_option *table, size_t config_size, fjson_object *params,
                    const char *where, struct diag *diag, int *n_errors);
void options_free(const struct vg_option *table, void *config);

/*
 * Make an instance: parse params, call create() with a context labelled label.
 * Errors go to diag prefixed with where. Returns NULL on failure.
 */
struct plugin_inst *plugin_inst_new(const struct plugin_mod *mod, fjson_object *params,
                                    const char *label, const char *where, struct diag *diag);
void plugin_inst_free(struct plugin_inst *inst);

#endif /* VG_CORE_LOADER_H */
