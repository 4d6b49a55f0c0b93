/* SPDX-License-Identifier: MIT */
/*
 * Incident storage and lifecycle records. The open-or-update decision is one
 * Lua script on the keys of one hash tag, so it is atomic even when several
 * vigild instances share a Redis; the index and the stream, which live under
 * other slots, are written right after in one pipelined batch.
 */
#include "incident.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VG_CORE
#include <vigil/plugin.h>

/*
 * KEYS[1] cur (n of the open incident), KEYS[2] seq. ARGV: 1 base key
 * "prefix{tag}", 2 now, 3 rule, 4 class, 5 title, 6 severity, 7 procedure,
 * 8 key JSON, 9 event JSON, 10 events kept, 11 tag, 12 playbook JSON.
 * Returns {transition, n, count, first_seen, severity, title}.
 */
static struct store_script upsert_script = {
    .name = "incident_upsert",
    .lua = "local cur = redis.call('GET', KEYS[1])\n"
           "if cur then\n"
           "  local h = ARGV[1] .. ':inc:' .. cur\n"
           "  local count = redis.call('HINCRBY', h, 'count', 1)\n"
           "  redis.call('HSET', h, 'last_seen', ARGV[2])\n"
           "  local sev = tonumber(redis.call('HGET', h, 'severity') or '0')\n"
           "  local tr = 'update'\n"
           "  if tonumber(ARGV[6]) > sev then\n"
           "    redis.call('HSET', h, 'severity', ARGV[6])\n"
           "    tr = 'escalate'\n"
           "  end\n"
           "  redis.call('LPUSH', h .. ':events', ARGV[9])\n"
           "  redis.call('LTRIM', h .. ':events', 0, tonumber(ARGV[10]) - 1)\n"
           "  return {tr, cur, count, redis.call('HGET', h, 'first_seen'),\n"
           "          redis.call('HGET', h, 'severity'), redis.call('HGET', h, 'title')}\n"
           "end\n"
           "local n = tostring(redis.call('INCR', KEYS[2]))\n"
           "local h = ARGV[1] .. ':inc:' .. n\n"
           "redis.call('HSET', h, 'id', ARGV[11] .. '-' .. n, 'rule', ARGV[3], 'class', ARGV[4],\n"
           "  'title', ARGV[5], 'severity', ARGV[6], 'procedure', ARGV[7], 'key', ARGV[8],\n"
           "  'status', 'open', 'first_seen', ARGV[2], 'last_seen', ARGV[2], 'count', 1,\n"
           "  'playbook', ARGV[12])\n"
           "redis.call('SET', KEYS[1], n)\n"
           "redis.call('LPUSH', h .. ':events', ARGV[9])\n"
           "return {'open', n, 1, ARGV[2], ARGV[6], ARGV[5]}\n",
};

void incident_init(void)
{
    store_script_init(&upsert_script);
}

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

static void add_time(struct sbuf *b, int64_t ms)
{
    char ts[40];

    time_format_ms(ms, ts, sizeof(ts));
    sbuf_addc(b, '"');
    sbuf_adds(b, ts);
    sbuf_addc(b, '"');
}

static void add_jstr(struct sbuf *b, const char *s, size_t len)
{
    sbuf_addc(b, '"');
    sbuf_add_json_str(b, s, len);
    sbuf_addc(b, '"');
}

static void key_json(const struct rule *r, const struct vg_event *ev, struct sbuf *out)
{
    size_t i;

    sbuf_addc(out, '{');
    for (i = 0; i < r->n_key; i++) {
        struct vg_str v = event_get(ev, r->key[i]);

        if (i > 0) {
            sbuf_addc(out, ',');
        }
        add_jstr(out, r->key[i], strlen(r->key[i]));
        sbuf_addc(out, ':');
        add_jstr(out, v.ptr ? v.ptr : "", v.len);
    }
    sbuf_addc(out, '}');
}

static const char *reply_str(const redisReply *r, size_t i, size_t *len)
{
    const redisReply *e;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements) {
        *len = 0;
        return "";
    }
    e = r->element[i];
    if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
        *len = e->len;
        return e->str;
    }
    *len = 0;
    return "";
}

static int64_t reply_int(const redisReply *r, size_t i)
{
    const redisReply *e;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements) {
        return 0;
    }
    e = r->element[i];
    if (e->type == REDIS_REPLY_INTEGER) {
        return e->integer;
    }
    if (e->type == REDIS_REPLY_STRING) {
        return strtoll(e->str, NULL, 10);
    }
    return 0;
}

/* The tag of (rule, key): 16 hex digits of a hash of both. */
static void make_tag(const char *rule, const char *key, size_t key_len, char tag[17])
{
    struct sbuf b = {0};

    sbuf_adds(&b, rule);
    sbuf_addc(&b, '\0');
    sbuf_add(&b, key, key_len);
    snprintf(tag, 17, "%016" PRIx64, hash_fnv1a(b.buf, b.len));
    sbuf_free(&b);
}

int incident_upsert(struct store *st, const char *prefix, const struct rule *r,
                    const struct vg_event *ev, const char *key, size_t key_len, int64_t now_ms,
                    int severity, const char *note, struct incident_rec *rec)
{
    struct sbuf kcur = {0}, kseq = {0}, base = {0}, kjson = {0}, evjson = {0}, pb = {0};
    char tag[17];
    char now_s[24];
    char sev_s[8];
    char kept_s[8];
    const char *argv[14];
    size_t lens[14];
    redisReply *rep;
    const char *s;
    size_t len;
    size_t i;
    int rc = VG_EIO;
    int tr;

    sbuf_reset(&rec->json);
    make_tag(r->name, key, key_len, tag);
    sbuf_printf(&base, "%s{%s}", prefix, tag);
    sbuf_printf(&kcur, "%s:cur", base.buf);
    sbuf_printf(&kseq, "%s:seq", base.buf);
    key_json(r, ev, &kjson);
    event_to_json(ev, &evjson);
    procedure_playbook_json(r->procedure, &pb);
    snprintf(now_s, sizeof(now_s), "%" PRId64, now_ms);
    snprintf(sev_s, sizeof(sev_s), "%d", severity > 0 ? severity : r->severity);
    snprintf(kept_s, sizeof(kept_s), "%d", INCIDENT_EVENTS_KEPT);
    {
        struct sbuf title = {0};

        rule_render_title(r, ev, &title);
        argv[0] = kcur.buf;
        argv[1] = kseq.buf;
        argv[2] = base.buf;
        argv[3] = now_s;
        argv[4] = r->name;
        argv[5] = r->incident_class;
        argv[6] = title.buf ? title.buf : "";
        argv[7] = sev_s;
        argv[8] = r->procedure;
        argv[9] = kjson.buf;
        argv[10] = evjson.buf;
        argv[11] = kept_s;
        argv[12] = tag;
        argv[13] = pb.buf;
        for (i = 0; i < 14; i++) {
            lens[i] = strlen(argv[i]);
        }
        lens[10] = evjson.len;
        rep = store_eval(st, &upsert_script, 2, 14, argv, lens);
        sbuf_free(&title);
    }
    if (rep == NULL) {
        goto out;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 6) {
        log_msg(VG_LOG_ERR, "incident script failed for rule %s: %s", r->name,
                rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        freeReplyObject(rep);
        rc = VG_ERR;
        goto out;
    }
    s = reply_str(rep, 0, &len);
    tr = VG_TR_UPDATE;
    for (i = 0; i < ARRAY_SIZE(tr_names); i++) {
        if (strlen(tr_names[i]) == len && memcmp(tr_names[i], s, len) == 0) {
            tr = (int)i;
        }
    }
    rec->transition = tr;
    s = reply_str(rep, 1, &len);
    snprintf(rec->id, sizeof(rec->id), "%s-%.*s", tag, (int)(len < 20 ? len : 20), s);

    /* The lifecycle record, as schemas/incident.schema.json describes it. */
    {
        struct sbuf *j = &rec->json;
        int sev = (int)reply_int(rep, 4);
        size_t tlen;
        const char *title = reply_str(rep, 5, &tlen);

        sbuf_adds(j, "{\"@timestamp\":");
        add_time(j, now_ms);
        sbuf_printf(j,
                    ",\"transition\":\"%s\",\"incident\":{\"id\":\"%s\",\"class\":", tr_names[tr],
                    rec->id);
        add_jstr(j, r->incident_class, strlen(r->incident_class));
        sbuf_adds(j, ",\"title\":");
        add_jstr(j, title, tlen);
        sbuf_printf(j,
                    ",\"severity\":\"%s\",\"status\":\"open\",\"key\":", rule_severity_name(sev));
        sbuf_add(j, kjson.buf, kjson.len);
        sbuf_adds(j, ",\"first_seen\":");
        add_time(j, reply_int(rep, 3));
        sbuf_adds(j, ",\"last_seen\":");
        add_time(j, now_ms);
        sbuf_printf(j, ",\"count\":%" PRId64 ",\"procedure\":", reply_int(rep, 2));
        add_jstr(j, r->procedure, strlen(r->procedure));
        if (tr == VG_TR_OPEN) {
            sbuf_adds(j, ",\"playbook\":");
            sbuf_add(j, pb.buf, pb.len);
        }
        sbuf_adds(j, "},\"rule\":{\"name\":");
        add_jstr(j, r->name, strlen(r->name));
        sbuf_adds(j, ",\"plugin\":");
        add_jstr(j, r->plugin, strlen(r->plugin));
        sbuf_printf(j, "},\"event\":{\"kind\":\"alert\",\"severity\":%d", sev);
        {
            struct vg_str act = event_get(ev, "event.action");

            if (act.ptr != NULL) {
                sbuf_adds(j, ",\"action\":");
                add_jstr(j, act.ptr, act.len);
            }
        }
        sbuf_addc(j, '}');
        if (note != NULL) {
            sbuf_adds(j, ",\"note\":");
            add_jstr(j, note, strlen(note));
        }
        sbuf_addc(j, '}');
    }
    freeReplyObject(rep);

    /* Index, stream and history in one round trip. */
    {
        struct sbuf kopen = {0}, kstream = {0}, khist = {0};
        char first_s[24];
        char maxlen_s[16];
        char histmax_s[16];
        size_t n = 0;

        sbuf_printf(&kopen, "%sopen", prefix);
        sbuf_printf(&kstream, "%sstream", prefix);
        incident_hash_key(prefix, rec->id, &khist);
        sbuf_adds(&khist, ":history");
        snprintf(first_s, sizeof(first_s), "%" PRId64, now_ms);
        snprintf(maxlen_s, sizeof(maxlen_s), "%d", STREAM_MAXLEN);
        snprintf(histmax_s, sizeof(histmax_s), "-%d", INCIDENT_HISTORY_MAX);
        if (tr == VG_TR_OPEN) {
            const char *a[] = {"ZADD", kopen.buf, first_s, rec->id};

            store_append(st, 4, a, NULL);
            n++;
        }
        {
            const char *a[] = {"XADD",   kstream.buf, "MAXLEN", "~",
                               maxlen_s, "*",         "record", rec->json.buf};
            size_t l[] = {4, kstream.len, 6, 1, strlen(maxlen_s), 1, 6, rec->json.len};

            store_append(st, 8, a, l);
            n++;
        }
        {
            const char *a[] = {"RPUSH", khist.buf, rec->json.buf};
            size_t l[] = {5, khist.len, rec->json.len};

            store_append(st, 3, a, l);
            n++;
        }
        {
            const char *a[] = {"LTRIM", khist.buf, histmax_s, "-1"};

            store_append(st, 4, a, NULL);
            n++;
        }
        {
            redisReply *reps[4] = {NULL, NULL, NULL, NULL};

            rc = store_flush(st, reps, n) == 0 ? VG_OK : VG_EIO;
            for (i = 0; i < n; i++) {
                if (reps[i] != NULL) {
                    freeReplyObject(reps[i]);
                }
            }
        }
        sbuf_free(&kopen);
        sbuf_free(&kstream);
        sbuf_free(&khist);
    }
    /* The incident itself was written: report success even if the index write was lost. */
    rc = VG_OK;
out:
    sbuf_free(&kcur);
    sbuf_free(&kseq);
    sbuf_free(&base);
    sbuf_free(&kjson);
    sbuf_free(&evjson);
    sbuf_free(&pb);
    return rc;
}

int incident_hash_key(const char *prefix, const char *id, struct sbuf *out)
{
    const char *dash = strchr(id, '-');
    size_t i;

    if (dash == NULL || dash - id != 16 || dash[1] == '\0') {
        return -1;
    }
    for (i = 0; i < 16; i++) {
        if (strchr("0123456789abcdef", id[i]) == NULL) {
            return -1;
        }
    }
    for (i = 1; dash[i] != '\0'; i++) {
        if (dash[i] < '0' || dash[i] > '9') {
            return -1;
        }
    }
    sbuf_printf(out, "%s{%.16s}:inc:%s", prefix, id, dash + 1);
    return 0;
}

int incident_add_history(struct store *st, const char *prefix, const char *id, const char *json,
                         size_t len)
{
    struct sbuf k = {0};
    redisReply *reps[2] = {NULL, NULL};
    char histmax_s[16];
    int rc;

    if (incident_hash_key(prefix, id, &k) != 0) {
        return VG_EINVAL;
    }
    sbuf_adds(&k, ":history");
    snprintf(histmax_s, sizeof(histmax_s), "-%d", INCIDENT_HISTORY_MAX);
    {
        const char *a[] = {"RPUSH", k.buf, json};
        size_t l[] = {5, k.len, len};
        const char *t[] = {"LTRIM", k.buf, histmax_s, "-1"};

        store_append(st, 3, a, l);
        store_append(st, 4, t, NULL);
    }
    rc = store_flush(st, reps, 2) == 0 ? VG_OK : VG_EIO;
    if (reps[0] != NULL) {
        freeReplyObject(reps[0]);
    }
    if (reps[1] != NULL) {
        freeReplyObject(reps[1]);
    }
    sbuf_free(&k);
    return rc;
}

static const redisReply *hash_get(const redisReply *h, const char *name)
{
    size_t i;

    for (i = 0; i + 1 < h->elements; i += 2) {
        if (strcmp(h->element[i]->str, name) == 0) {
            return h->element[i + 1];
        }
    }
    return NULL;
}

/* Append the incident of an HGETALL reply as JSON members, in a fixed order. */
static void hash_json(const redisReply *h, struct sbuf *out)
{
    static const char *const order[] = {"id",        "rule",   "class",     "title",
                                        "severity",  "status", "key",       "first_seen",
                                        "last_seen", "count",  "procedure", "playbook"};
    size_t i;
    int first = 1;

    for (i = 0; i < ARRAY_SIZE(order); i++) {
        const redisReply *v = hash_get(h, order[i]);
        const char *k = order[i];

        if (v == NULL || v->type != REDIS_REPLY_STRING) {
            continue;
        }
        if (!first) {
            sbuf_addc(out, ',');
        }
        first = 0;
        add_jstr(out, k, strlen(k));
        sbuf_addc(out, ':');
        if (strcmp(k, "first_seen") == 0 || strcmp(k, "last_seen") == 0) {
            add_time(out, strtoll(v->str, NULL, 10));
        } else if (strcmp(k, "severity") == 0) {
            const char *name = rule_severity_name(atoi(v->str));

            add_jstr(out, name, strlen(name));
        } else if (strcmp(k, "count") == 0) {
            sbuf_printf(out, "%lld", strtoll(v->str, NULL, 10));
        } else if (strcmp(k, "key") == 0 || strcmp(k, "playbook") == 0) {
            sbuf_add(out, v->str, v->len);
        } else {
            add_jstr(out, v->str, v->len);
        }
    }
}

static void list_json(const redisReply *l, struct sbuf *out)
{
    size_t i;

    sbuf_addc(out, '[');
    for (i = 0; l != NULL && l->type == REDIS_REPLY_ARRAY && i < l->elements; i++) {
        if (i > 0) {
            sbuf_addc(out, ',');
        }
        sbuf_add(out, l->element[i]->str, l->element[i]->len);
    }
    sbuf_addc(out, ']');
}

int incident_show(struct store *st, const char *prefix, const char *id, struct sbuf *out)
{
    struct sbuf k = {0}, ke = {0}, kh = {0};
    redisReply *reps[3] = {NULL, NULL, NULL};
    int rc = VG_EIO;
    size_t i;

    if (incident_hash_key(prefix, id, &k) != 0) {
        return VG_ENOENT;
    }
    sbuf_printf(&ke, "%s:events", k.buf);
    sbuf_printf(&kh, "%s:history", k.buf);
    {
        const char *a[] = {"HGETALL", k.buf};
        const char *b[] = {"LRANGE", ke.buf, "0", "-1"};
        const char *c[] = {"LRANGE", kh.buf, "0", "-1"};

        store_append(st, 2, a, NULL);
        store_append(st, 4, b, NULL);
        store_append(st, 4, c, NULL);
    }
    if (store_flush(st, reps, 3) != 0) {
        goto out;
    }
    if (reps[0]->type != REDIS_REPLY_ARRAY || reps[0]->elements == 0) {
        rc = VG_ENOENT;
        goto out;
    }
    sbuf_addc(out, '{');
    hash_json(reps[0], out);
    sbuf_adds(out, ",\"events\":");
    list_json(reps[1], out);
    sbuf_adds(out, ",\"history\":");
    list_json(reps[2], out);
    sbuf_addc(out, '}');
    rc = VG_OK;
out:
    for (i = 0; i < 3; i++) {
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    sbuf_free(&k);
    sbuf_free(&ke);
    sbuf_free(&kh);
    return rc;
}

int incident_list(struct store *st, const char *prefix, size_t limit, struct sbuf *out)
{
    struct sbuf kopen = {0};
    char stop[24];
    redisReply *ids;
    redisReply **reps;
    size_t i;
    int rc = VG_OK;

    sbuf_printf(&kopen, "%sopen", prefix);
    snprintf(stop, sizeof(stop), "%zu", limit > 0 ? limit - 1 : 0);
    {
        const char *a[] = {"ZREVRANGE", kopen.buf, "0", stop};

        ids = store_cmd(st, 4, a, NULL);
    }
    sbuf_free(&kopen);
    if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
        if (ids != NULL) {
            freeReplyObject(ids);
        }
        return VG_EIO;
    }
    reps = xcalloc(ids->elements + 1, sizeof(*reps));
    for (i = 0; i < ids->elements; i++) {
        struct sbuf k = {0};

        if (incident_hash_key(prefix, ids->element[i]->str, &k) != 0) {
            sbuf_adds(&k, "-");
        }
        {
            const char *a[] = {"HGETALL", k.buf};

            store_append(st, 2, a, NULL);
        }
        sbuf_free(&k);
    }
    if (store_flush(st, reps, ids->elements) != 0) {
        rc = VG_EIO;
    }
    for (i = 0; rc == VG_OK && i < ids->elements; i++) {
        if (reps[i]->type == REDIS_REPLY_ARRAY && reps[i]->elements > 0) {
            sbuf_addc(out, '{');
            hash_json(reps[i], out);
            sbuf_adds(out, "}\n");
        }
    }
    for (i = 0; i < ids->elements; i++) {
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    free(reps);
    freeReplyObject(ids);
    return rc;
}
