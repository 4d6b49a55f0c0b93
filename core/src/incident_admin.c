/* SPDX-License-Identifier: MIT */
/*
 * Incidents as operators see them: show one (hash, events, history), list the
 * open ones, and the operator's acknowledgement, note and closing (one script on
 * the incident's keys, then the open index).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "incident.h"
#include "state.h"

/*
 * An operator's action on one incident: KEYS 1 the incident's hash, 2 its (rule,
 * key)'s cur, 3 its history, 4 its undo hash (actions whose inverse a close runs);
 * ARGV 1 op (ack, note, resolve, close), 2 n, 3 history entry, 4 entries kept, 5
 * now. Returns "ok", "nosuch" or "closed" (nothing but a note is taken by a
 * closed incident), for resolve {"resolved", rule, key text, hold-down ms} so
 * the caller indexes the hold-down's close deadline (or "ok" when it was
 * resolved already), and for close {"closed", rule, key text, inverses to run}.
 * Closing ends the (rule, key)'s current incident: its next event opens a new one.
 */
static struct store_script operator_script = {
    .name = "incident_operator",
    .lua = "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
           "  return 'nosuch'\n"
           "end\n"
           "local st = redis.call('HGET', KEYS[1], 'status')\n"
           "if st == 'closed' and ARGV[1] ~= 'note' then\n"
           "  return 'closed'\n"
           "end\n"
           "if ARGV[1] == 'ack' then\n"
           "  redis.call('HSET', KEYS[1], 'status', 'acknowledged')\n"
           "elseif ARGV[1] == 'resolve' then\n"
           "  if not redis.call('HGET', KEYS[1], 'resolved_at') then\n"
           "    redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolved_at', ARGV[5])\n"
           "    redis.call('RPUSH', KEYS[3], ARGV[3])\n"
           "    redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)\n"
           "    local f = redis.call('HMGET', KEYS[1], 'rule', 'kstr', 'hold')\n"
           "    return {'resolved', f[1] or '', f[2] or '', f[3] or '0'}\n"
           "  end\n"
           "elseif ARGV[1] == 'close' then\n"
           "  redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', ARGV[5])\n"
           "  if redis.call('GET', KEYS[2]) == ARGV[2] then\n"
           "    redis.call('DEL', KEYS[2])\n"
           "  end\n"
           "  redis.call('RPUSH', KEYS[3], ARGV[3])\n"
           "  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)\n"
           "  local f = redis.call('HMGET', KEYS[1], 'rule', 'kstr')\n"
           "  return {'closed', f[1] or '', f[2] or '', tostring(redis.call('HLEN', KEYS[4]))}\n"
           "end\n"
           "redis.call('RPUSH', KEYS[3], ARGV[3])\n"
           "redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)\n"
           "return 'ok'\n",
};

/* Scripts are registered (loaded on every connection) before the first use. */
void incident_admin_init(void)
{
    store_script_init(&operator_script);
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
    static const char *const order[] = {"id",        "rule",        "class",     "title",
                                        "severity",  "status",      "key",       "first_seen",
                                        "last_seen", "count",       "procedure", "playbook",
                                        "findings",  "resolved_at", "closed_at", "flaps"};
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
        incident_json_str(out, k, strlen(k));
        sbuf_addc(out, ':');
        if (strcmp(k, "severity") == 0) {
            const char *name = rule_severity_name(atoi(v->str));

            incident_json_str(out, name, strlen(name));
        } else if (strcmp(k, "first_seen") == 0 || strcmp(k, "last_seen") == 0 ||
                   strcmp(k, "resolved_at") == 0 || strcmp(k, "closed_at") == 0) {
            incident_json_time(out, strtoll(v->str, NULL, 10));
        } else if (strcmp(k, "count") == 0 || strcmp(k, "flaps") == 0) {
            sbuf_printf(out, "%lld", strtoll(v->str, NULL, 10));
        } else if (strcmp(k, "key") == 0 || strcmp(k, "playbook") == 0 ||
                   strcmp(k, "findings") == 0) {
            sbuf_add(out, v->str, v->len);
        } else {
            incident_json_str(out, v->str, v->len);
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

int incident_operate(struct store *st, const char *prefix, const char *id, const char *op,
                     const char *by, const char *text, int64_t now_ms)
{
    struct sbuf h = {0}, cur = {0}, hist = {0}, entry = {0}, undo = {0};
    const char *dash = strchr(id, '-');
    char histmax_s[16];
    char now_s[24];
    redisReply *rep;
    int rc = VG_EIO;

    if (incident_hash_key(prefix, id, &h) != 0 || dash == NULL) {
        return VG_ENOENT;
    }
    sbuf_printf(&cur, "%s{%.16s}:cur", prefix, id);
    sbuf_printf(&hist, "%s:history", h.buf);
    sbuf_adds(&entry, "{\"@timestamp\":");
    incident_json_time(&entry, now_ms);
    sbuf_printf(&entry, ",\"type\":\"operator\",\"op\":\"%s\",\"by\":", op);
    incident_json_str(&entry, by, strlen(by));
    if (text != NULL) {
        sbuf_adds(&entry, ",\"note\":");
        incident_json_str(&entry, text, strlen(text));
    }
    sbuf_addc(&entry, '}');
    snprintf(histmax_s, sizeof(histmax_s), "%d", INCIDENT_HISTORY_MAX);
    snprintf(now_s, sizeof(now_s), "%" PRId64, now_ms);
    sbuf_printf(&undo, "%s:undo", h.buf);
    {
        const char *argv[] = {h.buf,    cur.buf,   hist.buf,  undo.buf, op,
                              dash + 1, entry.buf, histmax_s, now_s};

        rep = store_eval(st, &operator_script, 4, 9, argv, NULL);
    }
    if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
        rep->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(rep->element[0]->str, "closed") == 0) {
        /* Closed by an operator: the inverses of its actions (a port restored) run once. */
        rc = VG_OK;
        if (strtol(rep->element[3]->str, NULL, 10) > 0 && rep->element[1]->len > 0) {
            char name[64];
            redisReply *r = NULL;

            snprintf(name, sizeof(name), "@undo.%s", id);
            state_append_timer(st, prefix, rep->element[1]->str, name, rep->element[2]->str,
                               rep->element[2]->len, now_ms);
            if (store_flush(st, &r, 1) != 0) {
                rc = VG_EIO;
            }
            if (r != NULL) {
                freeReplyObject(r);
            }
        }
    } else if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
               rep->element[1]->type == REDIS_REPLY_STRING &&
               rep->element[2]->type == REDIS_REPLY_STRING &&
               rep->element[3]->type == REDIS_REPLY_STRING) {
        /* Resolved now: the hold-down's deadline closes it unless the problem recurs. */
        int64_t hold = strtoll(rep->element[3]->str, NULL, 10);
        redisReply *r = NULL;

        rc = VG_OK;
        if (rep->element[1]->len > 0) {
            state_append_timer(st, prefix, rep->element[1]->str, "@close", rep->element[2]->str,
                               rep->element[2]->len, now_ms + hold);
            if (store_flush(st, &r, 1) != 0) {
                rc = VG_EIO;
            }
            if (r != NULL) {
                freeReplyObject(r);
            }
        }
    } else if (rep != NULL &&
               (rep->type == REDIS_REPLY_STATUS || rep->type == REDIS_REPLY_STRING)) {
        rc = strcmp(rep->str, "ok") == 0       ? VG_OK
             : strcmp(rep->str, "nosuch") == 0 ? VG_ENOENT
                                               : VG_EINVAL;
    } else if (rep != NULL) {
        rc = VG_ERR;
    }
    if (rep != NULL) {
        freeReplyObject(rep);
    }
    if (rc == VG_OK && strcmp(op, "close") == 0) {
        char *kopen = xasprintf("%sopen", prefix);
        const char *z[] = {"ZREM", kopen, id};
        redisReply *r = store_cmd(st, 3, z, NULL);

        if (r != NULL) {
            freeReplyObject(r);
        }
        free(kopen);
    }
    sbuf_free(&h);
    sbuf_free(&cur);
    sbuf_free(&hist);
    sbuf_free(&entry);
    sbuf_free(&undo);
    return rc;
}
