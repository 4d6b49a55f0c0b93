/* SPDX-License-Identifier: MIT */
/*
 * Plugin loading and instances. The loader trusts nothing a plugin file says:
 * permissions are checked before dlopen, the descriptor is copied by the size it
 * declares (never more than the core knows), and every refusal is one sentence
 * naming the file. Option tables are interpreted here so every plugin gets the
 * same validation, defaults and error texts.
 */
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

/* The size of struct vg_option in ABI 1.0: the least a plugin's option rows may be. */
#define PLUGIN_OPTION_V1_0_SIZE (offsetof(struct vg_option, help) + sizeof(const char *))
/* The size of struct vg_plugin in ABI 1.0: the least a descriptor may declare. */
#define PLUGIN_DESC_V1_0_SIZE (offsetof(struct vg_plugin, run) + sizeof(void (*)(void)))

static int check_perms(const char *path, char *err, size_t err_len)
{
    struct stat st;
    char *copy;
    char *dir;
    int rc = 0;

    if (stat(path, &st) != 0) {
        snprintf(err, err_len, "cannot load plugin %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "cannot load plugin %s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(err, err_len, "refusing plugin %s: the file is writable by others (chmod o-w it)",
                 path);
        return -1;
    }
    copy = xstrdup(path);
    dir = dirname(copy);
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        snprintf(err, err_len,
                 "refusing plugin %s: its directory %s is writable by others (chmod o-w it)", path,
                 dir);
        rc = -1;
    }
    free(copy);
    return rc;
}

static int valid_name(const char *s)
{
    size_t n = 0;

    if (s == NULL) {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return n > 0 && n <= 32;
}

static int check_desc(const char *path, const struct vg_plugin *d, char *err, size_t err_len)
{
    if (d->abi_major != VG_PLUGIN_ABI_MAJOR) {
        snprintf(err, err_len,
                 "refusing plugin %s: it was built for plugin ABI %u.%u, this vigild "
                 "supports %d.x",
                 path, d->abi_major, d->abi_minor, VG_PLUGIN_ABI_MAJOR);
        return -1;
    }
    if (d->size < PLUGIN_DESC_V1_0_SIZE) {
        snprintf(err, err_len,
                 "refusing plugin %s: its descriptor is %u bytes, shorter than ABI 1.0's %zu", path,
                 d->size, (size_t)PLUGIN_DESC_V1_0_SIZE);
        return -1;
    }
    if (d->kind != VG_PLUGIN_RULE && d->kind != VG_PLUGIN_ACTION) {
        snprintf(err, err_len, "refusing plugin %s: unknown plugin kind %u", path, d->kind);
        return -1;
    }
    if (!valid_name(d->name)) {
        snprintf(err, err_len, "refusing plugin %s: its name is not 1-32 of [a-z0-9_]", path);
        return -1;
    }
    if (d->kind == VG_PLUGIN_RULE && d->on_event == NULL) {
        snprintf(err, err_len, "refusing plugin %s: a rule plugin without on_event", path);
        return -1;
    }
    if (d->kind == VG_PLUGIN_ACTION && d->run == NULL) {
        snprintf(err, err_len, "refusing plugin %s: an action plugin without run", path);
        return -1;
    }
    if (d->options != NULL && d->option_size < PLUGIN_OPTION_V1_0_SIZE) {
        snprintf(err, err_len,
                 "refusing plugin %s: its option rows are %u bytes, shorter than ABI 1.0's %zu "
                 "(set .option_size = sizeof(struct vg_option))",
                 path, d->option_size, (size_t)PLUGIN_OPTION_V1_0_SIZE);
        return -1;
    }
    return 0;
}

static size_t type_size(uint32_t type)
{
    switch (type) {
    case VG_OPT_STR:
        return sizeof(char *);
    case VG_OPT_INT:
    case VG_OPT_DURATION:
        return sizeof(int64_t);
    case VG_OPT_BOOL:
        return sizeof(int);
    case VG_OPT_STRLIST:
        return sizeof(struct vg_strlist);
    }
    return 0;
}

/*
 * Copy the plugin's option table into m->opts, stepping by its option_size and
 * checking each row: a name, a known type, and a field that fits in config_size
 * (so a buggy table can never make the core write outside the config block).
 */
static int copy_options(const char *path, struct plugin_mod *m, char *err, size_t err_len)
{
    const char *p = (const char *)m->desc.options;
    size_t stride = m->desc.option_size;
    size_t n = 0;
    size_t i;

    if (p == NULL) {
        m->opts = xcalloc(1, sizeof(*m->opts));
        return 0;
    }
    for (;;) {
        const char *name;

        memcpy(&name, p + n * stride, sizeof(name));
        if (name == NULL) {
            break;
        }
        if (++n > 256) {
            snprintf(err, err_len, "refusing plugin %s: its option table has no end row", path);
            return -1;
        }
    }
    m->opts = xcalloc(n + 1, sizeof(*m->opts));
    for (i = 0; i < n; i++) {
        struct vg_option *o = &m->opts[i];
        size_t tsize;

        memcpy(o, p + i * stride, stride < sizeof(*o) ? stride : sizeof(*o));
        tsize = type_size(o->type);
        if (tsize == 0) {
            snprintf(err, err_len, "refusing plugin %s: option %s has unknown type %u", path,
                     o->name, o->type);
            return -1;
        }
        if (o->offset > m->desc.config_size || m->desc.config_size - o->offset < tsize) {
            snprintf(err, err_len,
                     "refusing plugin %s: option %s lies outside its config block (offset %zu, "
                     "config_size %zu)",
                     path, o->name, o->offset, m->desc.config_size);
            return -1;
        }
    }
    return 0;
}

int loader_load_file(struct loader *ld, const char *path, char *err, size_t err_len)
{
    const struct vg_plugin *given;
    struct plugin_mod *m;
    vg_plugin_entry_fn entry;
    void *dl;
    void *sym;
    size_t i;

    if (check_perms(path, err, err_len) != 0) {
        return -1;
    }
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        snprintf(err, err_len, "cannot load plugin %s: %s", path, dlerror());
        return -1;
    }
    sym = dlsym(dl, "vg_plugin_entry");
    if (sym == NULL) {
        snprintf(err, err_len,
                 "refusing plugin %s: it has no vg_plugin_entry symbol (not a vigil plugin?)",
                 path);
        goto out_close;
    }
    /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
    memcpy(&entry, &sym, sizeof(entry));
    given = entry(&host_api);
    if (given == NULL) {
        snprintf(err, err_len,
                 "refusing plugin %s: it refused this vigild's plugin ABI %d.%d (built for "
                 "another major or a newer minor)",
                 path, VG_PLUGIN_ABI_MAJOR, VG_PLUGIN_ABI_MINOR);
        goto out_close;
    }
    m = xcalloc(1, sizeof(*m));
    /*
     * Read the header first to learn the declared size; then copy no more than
     * the plugin declared and no more than this core knows.
     */
    memcpy(&m->desc, given, offsetof(struct vg_plugin, kind));
    if (m->desc.abi_major == VG_PLUGIN_ABI_MAJOR && m->desc.size >= PLUGIN_DESC_V1_0_SIZE) {
        memcpy(&m->desc, given,
               m->desc.size < sizeof(struct vg_plugin) ? m->desc.size : sizeof(struct vg_plugin));
    }
    if (check_desc(path, &m->desc, err, err_len) != 0 || copy_options(path, m, err, err_len) != 0) {
        free(m->opts);
        free(m);
        goto out_close;
    }
    for (i = 0; i < ld->n; i++) {
        if (ld->mods[i]->desc.kind == m->desc.kind &&
            strcmp(ld->mods[i]->desc.name, m->desc.name) == 0) {
            snprintf(err, err_len,
                     "refusing plugin %s: a plugin named %s was already loaded from %s", path,
                     m->desc.name, ld->mods[i]->path);
            free(m->opts);
            free(m);
            goto out_close;
        }
    }
    m->path = xstrdup(path);
    m->dl = dl;
    ld->mods = xrealloc(ld->mods, (ld->n + 1) * sizeof(*ld->mods));
    ld->mods[ld->n++] = m;
    return 0;

out_close:
    if (getenv("VG_NO_DLCLOSE") == NULL) {
        dlclose(dl);
    }
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int loader_load_dir(struct loader *ld, const char *dir, struct diag *diag)
{
    char err[1024];
    char **names = NULL;
    size_t n = 0;
    size_t i;
    int refused = 0;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL) {
        diag_add(diag, "cannot open plugin directory %s: %s", dir, strerror(errno));
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (len > 6 && strncmp(de->d_name, "vg_", 3) == 0 &&
            strcmp(de->d_name + len - 3, ".so") == 0) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xasprintf("%s/%s", dir, de->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (i = 0; i < n; i++) {
        if (loader_load_file(ld, names[i], err, sizeof(err)) != 0) {
            diag_add(diag, "%s", err);
            refused++;
        }
        free(names[i]);
    }
    free(names);
    return refused;
}

const struct plugin_mod *loader_find(const struct loader *ld, int kind, const char *name)
{
    size_t i;

    for (i = 0; i < ld->n; i++) {
        if ((int)ld->mods[i]->desc.kind == kind && strcmp(ld->mods[i]->desc.name, name) == 0) {
            return ld->mods[i];
        }
    }
    return NULL;
}

void loader_free(struct loader *ld)
{
    size_t i;

    for (i = 0; i < ld->n; i++) {
        if (getenv("VG_NO_DLCLOSE") == NULL) {
            dlclose(ld->mods[i]->dl);
        }
        free(ld->mods[i]->path);
        free(ld->mods[i]->opts);
        free(ld->mods[i]);
    }
    free(ld->mods);
    ld->mods = NULL;
    ld->n = 0;
}

/* ---- option tables ---- */

static const char *type_name(uint32_t t)
{
    switch (t) {
    case VG_OPT_STR:
        return "a string";
    case VG_OPT_INT:
        return "an integer";
    case VG_OPT_BOOL:
        return "true or false";
    case VG_OPT_DURATION:
        return "a duration such as \"30s\"";
    case VG_OPT_STRLIST:
        return "an array of strings";
    }
    return "?";
}

/* Write one value; returns 0 or -1 when v has the wrong type. */
static int set_option(const struct vg_option *o, char *cfg, fjson_object *v)
{
    enum fjson_type t = fjson_object_get_type(v);

    switch (o->type) {
    case VG_OPT_STR: {
        char **dst = (char **)(void *)(cfg + o->offset);

        if (t != fjson_type_string) {
            return -1;
        }
        free(*dst);
        *dst = xstrdup(fjson_object_get_string(v));
        return 0;
    }
    case VG_OPT_INT:
        if (t != fjson_type_int) {
            return -1;
        }
        *(int64_t *)(void *)(cfg + o->offset) = fjson_object_get_int64(v);
        return 0;
    case VG_OPT_BOOL:
        if (t != fjson_type_boolean) {
            return -1;
        }
        *(int *)(void *)(cfg + o->offset) = fjson_object_get_boolean(v) ? 1 : 0;
        return 0;
    case VG_OPT_DURATION: {
        int64_t ms;

        if (t == fjson_type_int) {
            ms = fjson_object_get_int64(v);
        } else if (t == fjson_type_string) {
            ms = time_parse_duration(fjson_object_get_string(v));
        } else {
            return -1;
        }
        if (ms < 0) {
            return -1;
        }
        *(int64_t *)(void *)(cfg + o->offset) = ms;
        return 0;
    }
    case VG_OPT_STRLIST: {
        struct vg_strlist *dst = (struct vg_strlist *)(void *)(cfg + o->offset);
        size_t n;
        size_t i;
        char **items;

        if (t != fjson_type_array) {
            return -1;
        }
        n = fjson_object_array_length(v);
        for (i = 0; i < n; i++) {
            if (fjson_object_get_type(fjson_object_array_get_idx(v, i)) != fjson_type_string) {
                return -1;
            }
        }
        items = xcalloc(n + 1, sizeof(*items));
        for (i = 0; i < n; i++) {
            items[i] = xstrdup(fjson_object_get_string(fjson_object_array_get_idx(v, i)));
        }
        if (dst->items != NULL) {
            for (i = 0; i < dst->n; i++) {
                free((void *)(uintptr_t)dst->items[i]);
            }
            free((void *)(uintptr_t)dst->items);
        }
        dst->n = n;
        dst->items = (const char *const *)items;
        return 0;
    }
    }
    return -1;
}

void *options_parse(const struct vg_option *table, size_t config_size, fjson_object *params,
                    const char *where, struct diag *diag, int *n_errors)
{
    char *cfg = xcalloc(1, config_size ? config_size : 1);
    const struct vg_option *o;

    *n_errors = 0;
    for (o = table; o != NULL && o->name != NULL; o++) {
        fjson_object *v = NULL;

        if (o->def != NULL) {
            /*
             * A bare word is the text itself for strings and durations ("10s", not the
             * JSON number 10 that a lenient parse of it would give).
             */
            int bare = (o->type == VG_OPT_STR || o->type == VG_OPT_DURATION) && o->def[0] != '"' &&
                       strspn(o->def, "0123456789") != strlen(o->def);
            fjson_object *dv = bare ? fjson_object_new_string(o->def) : fjson_tokener_parse(o->def);

            if (dv == NULL && (o->type == VG_OPT_STR || o->type == VG_OPT_DURATION)) {
                dv = fjson_object_new_string(o->def);
            }
            if (dv == NULL || set_option(o, cfg, dv) != 0) {
                diag_add(diag, "%s: plugin bug: default of option %s is not %s", where, o->name,
                         type_name(o->type));
                (*n_errors)++;
            }
            fjson_object_put(dv);
        }
        if (params != NULL && fjson_object_object_get_ex(params, o->name, &v)) {
            if (set_option(o, cfg, v) != 0) {
                diag_add(diag, "%s.%s: must be %s", where, o->name, type_name(o->type));
                (*n_errors)++;
            }
        } else if (o->flags & VG_OPT_REQUIRED) {
            diag_add(diag, "%s.%s: required option is missing", where, o->name);
            (*n_errors)++;
        }
    }
    if (params != NULL && fjson_object_get_type(params) == fjson_type_object) {
        struct fjson_object_iterator it = fjson_object_iter_begin(params);
        struct fjson_object_iterator end = fjson_object_iter_end(params);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            const char *k = fjson_object_iter_peek_name(&it);

            for (o = table; o != NULL && o->name != NULL; o++) {
                if (strcmp(o->name, k) == 0) {
                    break;
                }
            }
            if (o == NULL || o->name == NULL) {
                diag_add(diag, "%s.%s: unknown option", where, k);
                (*n_errors)++;
            }
        }
    } else if (params != NULL) {
        diag_add(diag, "%s: must be an object", where);
        (*n_errors)++;
    }
    return cfg;
}

void options_free(const struct vg_option *table, void *config)
{
    const struct vg_option *o;
    char *cfg = config;

    if (cfg == NULL) {
        return;
    }
    for (o = table; o != NULL && o->name != NULL; o++) {
        if (o->type == VG_OPT_STR) {
            free(*(char **)(void *)(cfg + o->offset));
        } else if (o->type == VG_OPT_STRLIST) {
            struct vg_strlist *l = (struct vg_strlist *)(void *)(cfg + o->offset);
            size_t i;

            for (i = 0; i < l->n; i++) {
                free((void *)(uintptr_t)l->items[i]);
            }
            free((void *)(uintptr_t)l->items);
        }
    }
    free(cfg);
}

struct plugin_inst *plugin_inst_new(const struct plugin_mod *mod, fjson_object *params,
                                    const char *label, const char *where, struct diag *diag)
{
    struct plugin_inst *inst = xcalloc(1, sizeof(*inst));
    struct vg_ctx ctx;
    int n_err = 0;

    inst->mod = mod;
    inst->label = xstrdup(label);
    pthread_mutex_init(&inst->lock, NULL);
    inst->config = options_parse(mod->opts, mod->desc.config_size, params, where, diag, &n_err);
    if (n_err > 0) {
        goto out_free;
    }
    if (mod->desc.create != NULL) {
        host_ctx_init(&ctx, inst, inst->label);
        if (mod->desc.create(&ctx, inst->config, &inst->state) != VG_OK) {
            diag_add(diag, "%s: plugin %s cannot start: %s", where, mod->desc.name,
                     ctx.err[0] ? ctx.err : "create() failed without a reason");
            goto out_free;
        }
    }
    return inst;

out_free:
    options_free(mod->opts, inst->config);
    pthread_mutex_destroy(&inst->lock);
    free(inst->label);
    free(inst);
    return NULL;
}

void plugin_inst_free(struct plugin_inst *inst)
{
    if (inst == NULL) {
        return;
    }
    if (inst->mod->desc.destroy != NULL) {
        inst->mod->desc.destroy(inst->state);
    }
    options_free(inst->mod->opts, inst->config);
    pthread_mutex_destroy(&inst->lock);
    free(inst->label);
    free(inst);
}
