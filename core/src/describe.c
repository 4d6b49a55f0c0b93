/* SPDX-License-Identifier: MIT */
/*
 * Plugin self-description: each loaded plugin's option table as a JSON Schema
 * (2020-12) for the "params" object of a rule or action, so the schemas in
 * schemas/plugins/ are generated from the code and can never drift from it.
 */
#include "describe.h"

#include <string.h>

static const char *const kind_names[] = {"", "rule", "action"};

static void add_str(struct sbuf *b, const char *s)
{
    sbuf_addc(b, '"');
    sbuf_add_json_str(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
    sbuf_addc(b, '"');
}

/* The JSON Schema of one option value. */
static void option_schema(const struct vg_option *o, struct sbuf *b)
{
    switch (o->type) {
    case VG_OPT_STR:
        sbuf_adds(b, "{\"type\":\"string\"");
        break;
    case VG_OPT_INT:
        sbuf_adds(b, "{\"type\":\"integer\"");
        break;
    case VG_OPT_BOOL:
        sbuf_adds(b, "{\"type\":\"boolean\"");
        break;
    case VG_OPT_DURATION:
        sbuf_adds(b, "{\"oneOf\":[{\"type\":\"string\",\"pattern\":\"^[0-9]+(\\\\.[0-9]+)?"
                     "(ms|s|m|h|d)?$\"},{\"type\":\"integer\",\"minimum\":0}]");
        break;
    case VG_OPT_STRLIST:
        sbuf_adds(b, "{\"type\":\"array\",\"items\":{\"type\":\"string\"}");
        break;
    default:
        sbuf_adds(b, "{");
        break;
    }
    sbuf_adds(b, ",\"description\":");
    add_str(b, o->help);
    if (o->def != NULL) {
        /* Defaults are JSON text; durations and strings may be given bare. */
        sbuf_adds(b, ",\"default\":");
        if (o->def[0] == '"' || o->def[0] == '[' || o->type == VG_OPT_INT ||
            o->type == VG_OPT_BOOL) {
            sbuf_adds(b, o->def);
        } else {
            add_str(b, o->def);
        }
    }
    sbuf_addc(b, '}');
}

const char *describe_kind(const struct plugin_mod *m)
{
    return m->desc.kind < 3 ? kind_names[m->desc.kind] : "";
}

void describe_schema(const struct plugin_mod *m, struct sbuf *b)
{
    const struct vg_option *o;
    int first = 1;

    sbuf_printf(b,
                "{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
                "  \"$id\": \"https://vigil.example/schemas/plugins/%s_%s.schema.json\",\n"
                "  \"title\": \"params of the %s plugin %s\",\n  \"description\": ",
                describe_kind(m), m->desc.name, describe_kind(m), m->desc.name);
    add_str(b, m->desc.description);
    sbuf_adds(b, ",\n  \"type\": \"object\",\n  \"additionalProperties\": false,\n"
                 "  \"properties\": {");
    for (o = m->opts; o->name != NULL; o++) {
        sbuf_adds(b, first ? "\n    " : ",\n    ");
        first = 0;
        add_str(b, o->name);
        sbuf_adds(b, ": ");
        option_schema(o, b);
    }
    sbuf_adds(b, first ? "},\n  \"required\": [" : "\n  },\n  \"required\": [");
    first = 1;
    for (o = m->opts; o->name != NULL; o++) {
        if (o->flags & VG_OPT_REQUIRED) {
            sbuf_adds(b, first ? "" : ", ");
            first = 0;
            add_str(b, o->name);
        }
    }
    sbuf_adds(b, "]\n}\n");
}

void describe_text(const struct plugin_mod *m, struct sbuf *b)
{
    const struct vg_option *o;

    sbuf_printf(b, "%s plugin %s %s (%s)\n  %s\n", describe_kind(m), m->desc.name,
                m->desc.version ? m->desc.version : "", m->path,
                m->desc.description ? m->desc.description : "");
    for (o = m->opts; o->name != NULL; o++) {
        static const char *const types[] = {"",        "string",   "integer",
                                            "boolean", "duration", "string list"};

        sbuf_printf(b, "    %-16s %-11s %s%s%s%s\n", o->name, o->type < 6 ? types[o->type] : "?",
                    o->help ? o->help : "", o->flags & VG_OPT_REQUIRED ? " (required)" : "",
                    o->def ? "; default " : "", o->def ? o->def : "");
    }
}
