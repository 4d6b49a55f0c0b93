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

#include "state.h"

#define VG_CORE
#include <vigil/plugin.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x)  STRINGIFY2(x)
#define JOBS_KEPT_S   "256"  /* answers kept per generation */
#define JOBS_TTL_S    "3600" /* answers kept about this long (s), renewed every 64 jobs */

/*
 * KEYS: 1 cur (n of the open incident), 2 seq, 3 jobs, 4 jobs2 (the answers given
 * to recent jobs, two generations of at most JOBS_KEPT). ARGV: 1 base key
 * "prefix{tag}", 2 now, 3 rule, 4 class, 5 title, 6 severity, 7 procedure, 8 key
 * JSON, 9 event JSON, 10 events kept, 11 tag, 12 playbook JSON, 13 job id, 14
 * retention in seconds (0: keep forever), 15 mode (upsert, resolve, close,
 * escalate), 16 hold-down ms, 17 flap count (0: off), 18 flap window ms, 19
 * escalate after ms (0: off), 20 escalation severity, 21 escalate at this count (0: off),
 * 22 the key as the core writes it (k=v|k=v; kept for deadlines set by operators),
 * 23 playbook changes (a JSON array of {step, text, status, who, note}; "" none),
 * 24 findings to merge (a JSON object; "" none), 25 now as RFC 3339 text.
 * Returns {transition, n, count, first_seen, severity, title, status, due,
 * due name, previous n, flaps, previous count, previous first_seen, previous
 * closed_at (its resolution plus the hold-down), the playbook after the changes
 * ("" when there were none), the findings after them ("" likewise)}, transition
 * "none" when nothing happened, or {"collision"} when the tag belongs to another
 * (rule, key). due > 0 asks the caller to index a deadline (the hold-down's close,
 * the escalation by time); a previous n names an incident this call closed
 * because its hold-down had passed. A job seen before (its reply was lost and
 * the core retried it) gets the answer it got the first time, and nothing is
 * applied twice. Expiries are renewed when a tenth of the retention has passed
 * since the last renewal (kept_at); the sequence outlives the incidents ten
 * times over, so ids are not reused.
 */
static const char *const upsert_lua[] = {
    "local base, job, ttl = ARGV[1], ARGV[13], tonumber(ARGV[14])\n"
    "local now, mode = tonumber(ARGV[2]), ARGV[15]\n"
    "local hold, flapn, flapw = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])\n"
    "local escafter, escsev = tonumber(ARGV[19]), tonumber(ARGV[20])\n"
    "local esccount = tonumber(ARGV[21])\n"
    "local prev = redis.call('HGET', KEYS[3], job) or redis.call('HGET', KEYS[4], job)\n"
    "local function d(x) if x == '-' then return '' end return x end\n"
    "if prev then\n"
    "  local f = {}\n"
    "  for x in string.gmatch(prev, '[^|]+') do f[#f + 1] = x end\n"
    "  local cur = redis.call('HMGET', base .. ':inc:' .. f[2], 'title', 'status')\n"
    "  return {f[1], f[2], tonumber(f[3]), f[4], f[5], cur[1] or ARGV[5], cur[2] or 'open',\n"
    "          tonumber(f[6]), d(f[7]), d(f[8]), tonumber(f[9]), tonumber(f[10]), f[11],\n"
    "          tonumber(f[12])}\n"
    "end\n"
    "local function keep(h)\n"
    "  if ttl > 0 then\n"
    "    for _, k in ipairs({h, h .. ':events', h .. ':history', h .. ':flaps', KEYS[1]}) do\n"
    "      redis.call('EXPIRE', k, ttl)\n"
    "    end\n"
    "    redis.call('EXPIRE', KEYS[2], ttl * 10)\n"
    "    redis.call('HSET', h, 'kept_at', ARGV[2])\n"
    "  end\n"
    "end\n"
    "local pn, pcount, pfirst, pclosed = '', 0, '0', 0\n"
    "local outpb, outfd = '', ''\n",
    "local function stepkey(id)\n"
    "  local k = ''\n"
    "  for x in string.gmatch(id, '[0-9]+') do k = k .. string.format('%06d', tonumber(x)) end\n"
    "  return k\n"
    "end\n"
    "local function apply(h)\n"
    "  if ARGV[23] ~= '' then\n"
    "    local ok, pb = pcall(cjson.decode, redis.call('HGET', h, 'playbook') or '[]')\n"
    "    if not ok or type(pb) ~= 'table' then pb = {} end\n"
    "    for _, c in ipairs(cjson.decode(ARGV[23])) do\n"
    "      local f = nil\n"
    "      for _, x in ipairs(pb) do if x.step == c.step then f = x end end\n"
    "      if not f then\n"
    "        f = {step = c.step, text = c.text, status = 'pending'}\n"
    "        pb[#pb + 1] = f\n"
    "      end\n"
    "      if f.status ~= 'done' and f.status ~= 'failed' and f.status ~= c.status then\n"
    "        f.status = c.status\n"
    "        f.since = ARGV[25]\n"
    "      end\n"
    "      if c.who then f.who = c.who end\n"
    "      if c.note then f.note = c.note end\n"
    "    end\n"
    "    table.sort(pb, function(a, b) return stepkey(a.step) < stepkey(b.step) end)\n"
    "    outpb = cjson.encode(pb)\n"
    "    redis.call('HSET', h, 'playbook', outpb)\n"
    "  end\n"
    "  if ARGV[24] ~= '' then\n"
    "    local ok, fd = pcall(cjson.decode, redis.call('HGET', h, 'findings') or '{}')\n"
    "    if not ok or type(fd) ~= 'table' then fd = {} end\n"
    "    for k, v in pairs(cjson.decode(ARGV[24])) do fd[k] = v end\n"
    "    outfd = cjson.encode(fd)\n"
    "    redis.call('HSET', h, 'findings', outfd)\n"
    "  end\n"
    "end\n"
    "local function answer(tr, n, count, first, sev, title, status, due, dname, flaps)\n"
    "  if tr ~= 'none' or due > 0 then\n"
    "    local kept = redis.call('HLEN', KEYS[3])\n"
    "    if kept >= " JOBS_KEPT_S " then\n"
    "      redis.call('RENAME', KEYS[3], KEYS[4])\n"
    "      kept = 0\n"
    "    end\n"
    "    local function e(x) if x == '' then return '-' end return x end\n"
    "    redis.call('HSET', KEYS[3], job, table.concat({tr, n, count, first, sev, due,\n"
    "               e(dname), e(pn), flaps, pcount, pfirst, pclosed}, '|'))\n"
    "    if kept % 64 == 0 then\n"
    "      redis.call('EXPIRE', KEYS[3], " JOBS_TTL_S ")\n"
    "    end\n"
    "  end\n"
    "  return {tr, n, count, first, sev, title, status, due, dname, pn, flaps, pcount, pfirst,\n"
    "          pclosed, outpb, outfd}\n"
    "end\n"
    "local function close(h, n, at)\n"
    "  redis.call('HSET', h, 'status', 'closed', 'closed_at', at)\n"
    "  if redis.call('GET', KEYS[1]) == n then redis.call('DEL', KEYS[1]) end\n"
    "end\n"
    "local cur = redis.call('GET', KEYS[1])\n"
    "local h, own\n"
    "if cur then\n"
    "  h = base .. ':inc:' .. cur\n"
    "  own = redis.call('HMGET', h, 'rule', 'key', 'severity', 'kept_at', 'first_seen',\n"
    "                   'title', 'status', 'resolved_at', 'count', 'flaps')\n"
    "  if own[1] and (own[1] ~= ARGV[3] or own[2] ~= ARGV[8]) then\n"
    "    return {'collision'}\n"
    "  end\n"
    "  if not own[1] then cur = nil end\n"
    "end\n"
    "local status = cur and (own[7] or 'open') or 'none'\n"
    "local sev = cur and tonumber(own[3] or '0') or 0\n"
    "local flaps = cur and tonumber(own[10] or '0') or 0\n"
    "local count = cur and tonumber(own[9] or '0') or 0\n"
    "local resolved = cur and tonumber(own[8] or '') or nil\n"
    "local function none(due, dname)\n"
    "  return answer('none', cur or '0', count, cur and own[5] or ARGV[2], sev,\n"
    "                cur and own[6] or ARGV[5], status, due or 0, dname or '', flaps)\n"
    "end\n",
    "if mode == 'resolve' then\n"
    "  if not cur or resolved or status == 'closed' then return none() end\n"
    "  redis.call('HSET', h, 'resolved_at', ARGV[2], 'last_seen', ARGV[2])\n"
    "  if status == 'flapping' then return none(now + hold, '@close') end\n"
    "  redis.call('HSET', h, 'status', 'resolved')\n"
    "  return answer('resolve', cur, count, own[5], sev, own[6], 'resolved', now + hold,\n"
    "                '@close', flaps)\n"
    "elseif mode == 'close' then\n"
    "  if cur and resolved and now >= resolved + hold then\n"
    "    close(h, cur, now)\n"
    "    return answer('close', cur, count, own[5], sev, own[6], 'closed', 0, '', flaps)\n"
    "  end\n"
    "  return none()\n"
    "elseif mode == 'escalate' then\n"
    "  if cur and not resolved and escsev > sev and now >= tonumber(own[5]) + escafter then\n"
    "    redis.call('HSET', h, 'severity', escsev)\n"
    "    return answer('escalate', cur, count, own[5], escsev, own[6], status, 0, '', flaps)\n"
    "  end\n"
    "  return none()\n"
    "end\n",
    "local tr = 'update'\n"
    "if cur and resolved then\n"
    "  if now - resolved <= hold then\n"
    "    flaps = flaps + 1\n"
    "    redis.call('LPUSH', h .. ':flaps', ARGV[2])\n"
    "    redis.call('LTRIM', h .. ':flaps', 0, 99)\n"
    "    local recent = 0\n"
    "    if flapn > 0 then\n"
    "      for _, t in ipairs(redis.call('LRANGE', h .. ':flaps', 0, flapn - 1)) do\n"
    "        if now - tonumber(t) <= flapw then recent = recent + 1 end\n"
    "      end\n"
    "    end\n"
    "    if status == 'flapping' or (flapn > 0 and recent >= flapn) then\n"
    "      if status ~= 'flapping' then tr = 'escalate' end\n"
    "      status = 'flapping'\n"
    "    else\n"
    "      status = 'open'\n"
    "    end\n"
    "    redis.call('HDEL', h, 'resolved_at')\n"
    "    redis.call('HSET', h, 'status', status, 'flaps', flaps)\n"
    "  else\n"
    "    pclosed = resolved + hold\n"
    "    close(h, cur, pclosed)\n"
    "    pn, pcount, pfirst = cur, count, own[5]\n"
    "    cur = nil\n"
    "  end\n"
    "end\n"
    "if cur then\n"
    "  count = redis.call('HINCRBY', h, 'count', 1)\n"
    "  local want = tonumber(ARGV[6])\n"
    "  if esccount > 0 and count >= esccount and escsev > want then want = escsev end\n"
    "  if escafter > 0 and now >= tonumber(own[5]) + escafter and escsev > want then\n"
    "    want = escsev\n"
    "  end\n"
    "  if want > sev then\n"
    "    sev = want\n"
    "    tr = 'escalate'\n"
    "    redis.call('HSET', h, 'severity', sev, 'last_seen', ARGV[2])\n"
    "  else\n"
    "    redis.call('HSET', h, 'last_seen', ARGV[2])\n"
    "  end\n"
    "  if redis.call('LPUSH', h .. ':events', ARGV[9]) > tonumber(ARGV[10]) then\n"
    "    redis.call('LTRIM', h .. ':events', 0, tonumber(ARGV[10]) - 1)\n"
    "  end\n"
    "  if now - tonumber(own[4] or '0') > ttl * 100 then\n"
    "    keep(h)\n"
    "  end\n"
    "  apply(h)\n"
    "  return answer(tr, cur, count, own[5], sev, own[6], status, 0, '', flaps)\n"
    "end\n"
    "local n = tostring(redis.call('INCR', KEYS[2]))\n"
    "h = base .. ':inc:' .. n\n"
    "redis.call('HSET', h, 'id', ARGV[11] .. '-' .. n, 'rule', ARGV[3], 'class', ARGV[4],\n"
    "  'title', ARGV[5], 'severity', ARGV[6], 'procedure', ARGV[7], 'key', ARGV[8],\n"
    "  'status', 'open', 'first_seen', ARGV[2], 'last_seen', ARGV[2], 'count', 1,\n"
    "  'playbook', ARGV[12], 'kstr', ARGV[22], 'hold', ARGV[16])\n"
    "redis.call('SET', KEYS[1], n)\n"
    "redis.call('LPUSH', h .. ':events', ARGV[9])\n"
    "keep(h)\n"
    "apply(h)\n"
    "local due = escafter > 0 and now + escafter or 0\n"
    "return answer('open', n, 1, ARGV[2], ARGV[6], ARGV[5], 'open', due,\n"
    "              due > 0 and '@escalate' or '', 0)\n",
    NULL,
};

static struct store_script upsert_script = {.name = "incident_upsert"};

/*
 * The history append of one job, done once: KEYS 1 history, 2 jobs, 3 jobs2;
 * ARGV 1 job id, 2 record, 3 entries kept, 4 retention in seconds (0: none), set when
 * the list is created (the upsert script renews it with the incident's).
 * The job's remembered answer gets a "|p" mark once its record is in the history.
 */
static struct store_script history_script = {
    .name = "incident_history",
    .lua = "local k = KEYS[2]\n"
           "local v = redis.call('HGET', k, ARGV[1])\n"
           "if not v then\n"
           "  k = KEYS[3]\n"
           "  v = redis.call('HGET', k, ARGV[1])\n"
           "end\n"
           "if v and string.sub(v, -2) == '|p' then\n"
           "  return 0\n"
           "end\n"
           "local len = redis.call('RPUSH', KEYS[1], ARGV[2])\n"
           "if len > tonumber(ARGV[3]) then\n"
           "  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)\n"
           "end\n"
           "if len == 1 and ARGV[4] ~= '0' then\n"
           "  redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
           "end\n"
           "if v then\n"
           "  redis.call('HSET', k, ARGV[1], v .. '|p')\n"
           "end\n"
           "return 1\n",
};

void incident_init(void)
{
    static char *lua;

    if (lua == NULL) {
        lua = store_script_join(upsert_lua);
        upsert_script.lua = lua;
    }
    store_script_init(&upsert_script);
    store_script_init(&history_script);
    incident_admin_init();
}

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

/* Append ms as a quoted RFC 3339 time. */
void incident_json_time(struct sbuf *b, int64_t ms)
{
    char ts[40];

    time_format_ms(ms, ts, sizeof(ts));
    sbuf_addc(b, '"');
    sbuf_adds(b, ts);
    sbuf_addc(b, '"');
}

/* Append s as a quoted JSON string. */
void incident_json_str(struct sbuf *b, const char *s, size_t len)
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
        incident_json_str(out, r->key[i], strlen(r->key[i]));
        sbuf_addc(out, ':');
        incident_json_str(out, v.ptr ? v.ptr : "", v.len);
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

/*
 * The tag of (rule, key): 16 hex digits of a hash of both. salt > 0 gives the
 * next candidate when a crafted key collides with another pair's tag.
 */
static void make_tag(const char *rule, const char *key, size_t key_len, int salt, char tag[17])
{
    struct sbuf b = {0};

    sbuf_adds(&b, rule);
    sbuf_addc(&b, '\0');
    sbuf_add(&b, key, key_len);
    if (salt > 0) {
        sbuf_printf(&b, "%c%d", '\0', salt);
    }
    snprintf(tag, 17, "%016" PRIx64, hash_fnv1a(b.buf, b.len));
    sbuf_free(&b);
}


/* The argv of the upsert script for tag, appended to the pipeline (or run at once). */
static int upsert_argv(const struct incident_pending *p, const char *tag, struct sbuf *keys,
                       const char **argv, size_t *lens)
{
    static const char *const suffix[] = {"", ":cur", ":seq", ":jobs", ":jobs2"};
    const struct incident_args *a = &p->a;
    static const char kept_s[] = STRINGIFY(INCIDENT_EVENTS_KEPT);
    const char *k[5];
    size_t i;

    /* keys holds "prefix{tag}" and its :cur, :seq, :jobs and :jobs2 keys, NUL-separated. */
    sbuf_reset(keys);
    for (i = 0; i < ARRAY_SIZE(suffix); i++) {
        sbuf_printf(keys, "%s{%s}%s", a->prefix, tag, suffix[i]);
        sbuf_addc(keys, '\0');
    }
    k[0] = keys->buf;
    for (i = 1; i < ARRAY_SIZE(k); i++) {
        k[i] = k[i - 1] + strlen(k[i - 1]) + 1;
    }
    argv[0] = k[1];
    argv[1] = k[2];
    argv[2] = k[3];
    argv[3] = k[4];
    argv[4] = k[0];
    argv[5] = p->now_s;
    argv[6] = a->r->name;
    argv[7] = a->r->incident_class;
    argv[8] = p->title.buf ? p->title.buf : "";
    argv[9] = p->sev_s;
    argv[10] = a->r->procedure;
    argv[11] = p->kjson.buf;
    argv[12] = p->evjson.buf;
    argv[13] = kept_s;
    argv[14] = tag;
    argv[15] = p->pb.buf;
    argv[16] = p->job_id;
    argv[17] = p->ttl_s;
    for (i = 0; i < ARRAY_SIZE(p->extra); i++) {
        argv[18 + i] = p->extra[i];
    }
    argv[25] = p->kstr;
    argv[26] = p->steps != NULL ? p->steps : "";
    argv[27] = p->findings != NULL ? p->findings : "";
    argv[28] = p->now_iso;
    for (i = 0; i < UPSERT_ARGC; i++) {
        lens[i] = strlen(argv[i]);
    }
    lens[12] = p->evjson.len;
    return 0;
}

static redisReply *run_upsert(struct store *st, const struct incident_pending *p, const char *tag)
{
    struct sbuf keys = {0};
    const char *argv[UPSERT_ARGC];
    size_t lens[UPSERT_ARGC];
    redisReply *rep;

    upsert_argv(p, tag, &keys, argv, lens);
    rep = store_eval(st, &upsert_script, UPSERT_NKEYS, UPSERT_ARGC, argv, lens);
    sbuf_free(&keys);
    return rep;
}

/*
 * A lifecycle record, as schemas/incident.schema.json describes it, into rec:
 * transition tr of incident n with count, first seen, severity, title and status.
 */
static void build_record(struct incident_pending *p, struct incident_rec *rec, int tr,
                         const char *n, size_t n_len, int64_t count, int64_t first, int sev,
                         const char *title, size_t tlen, const char *status, size_t slen,
                         int64_t flaps, int64_t at_ms)
{
    const struct incident_args *a = &p->a;
    struct sbuf *j = &rec->json;
    struct vg_str act = event_get(a->ev, "event.action");

    rec->transition = tr;
    snprintf(rec->id, sizeof(rec->id), "%s-%.*s", p->tag, (int)(n_len < 20 ? n_len : 20), n);
    sbuf_reset(j);
    sbuf_adds(j, "{\"@timestamp\":");
    incident_json_time(j, at_ms);
    sbuf_printf(j, ",\"transition\":\"%s\",\"incident\":{\"id\":\"%s\",\"class\":", tr_names[tr],
                rec->id);
    incident_json_str(j, a->r->incident_class, strlen(a->r->incident_class));
    sbuf_adds(j, ",\"title\":");
    incident_json_str(j, title, tlen);
    sbuf_printf(j, ",\"severity\":\"%s\",\"status\":", rule_severity_name(sev));
    incident_json_str(j, slen > 0 ? status : "open", slen > 0 ? slen : 4);
    sbuf_adds(j, ",\"key\":");
    sbuf_add(j, p->kjson.buf, p->kjson.len);
    sbuf_adds(j, ",\"first_seen\":");
    incident_json_time(j, first);
    sbuf_adds(j, ",\"last_seen\":");
    incident_json_time(j, at_ms);
    sbuf_printf(j, ",\"count\":%" PRId64, count);
    if (flaps > 0) {
        sbuf_printf(j, ",\"flaps\":%" PRId64, flaps);
    }
    sbuf_adds(j, ",\"procedure\":");
    incident_json_str(j, a->r->procedure, strlen(a->r->procedure));
    if (rec == &p->rec && p->pb_now.len > 0) {
        /* This call changed the playbook: the record carries it as it is now. */
        sbuf_adds(j, ",\"playbook\":");
        sbuf_add(j, p->pb_now.buf, p->pb_now.len);
    } else if (tr == VG_TR_OPEN) {
        sbuf_adds(j, ",\"playbook\":");
        sbuf_add(j, p->pb.buf, p->pb.len);
    }
    if (rec == &p->rec && p->fd_now.len > 0) {
        sbuf_adds(j, ",\"findings\":");
        sbuf_add(j, p->fd_now.buf, p->fd_now.len);
    }
    sbuf_adds(j, "},\"rule\":{\"name\":");
    incident_json_str(j, a->r->name, strlen(a->r->name));
    sbuf_adds(j, ",\"plugin\":");
    incident_json_str(j, a->r->plugin, strlen(a->r->plugin));
    sbuf_printf(j, "},\"event\":{\"kind\":\"alert\",\"severity\":%d", sev);
    if (act.ptr != NULL) {
        sbuf_adds(j, ",\"action\":");
        incident_json_str(j, act.ptr, act.len);
    }
    sbuf_addc(j, '}');
    if (p->note != NULL && rec == &p->rec) {
        sbuf_adds(j, ",\"note\":");
        incident_json_str(j, p->note, strlen(p->note));
    } else if (rec == &p->rec2) {
        sbuf_adds(j, ",\"note\":\"closed: the problem recurred after the hold-down\"");
    }
    sbuf_addc(j, '}');
}

/* Append the open-index, stream and history writes of one record; returns how many. */
static size_t append_rec_post(struct store *st, struct incident_pending *p,
                              const struct incident_rec *rec, const char *kopen,
                              const char *kstream, const char *last_s)
{
    const struct incident_args *a = &p->a;
    struct sbuf khist = {0}, kjobs = {0}, kjobs2 = {0};
    char maxlen_s[16];
    char histmax_s[16];
    size_t n = 0;

    incident_hash_key(a->prefix, rec->id, &khist);
    sbuf_adds(&khist, ":history");
    sbuf_printf(&kjobs, "%s{%s}:jobs", a->prefix, p->tag);
    sbuf_printf(&kjobs2, "%s{%s}:jobs2", a->prefix, p->tag);
    snprintf(maxlen_s, sizeof(maxlen_s), "%d", STREAM_MAXLEN);
    snprintf(histmax_s, sizeof(histmax_s), "%d", INCIDENT_HISTORY_MAX);
    {
        const char *z[] = {rec->transition == VG_TR_CLOSE ? "ZREM" : "ZADD", kopen, last_s,
                           rec->id};
        const char *zr[] = {"ZREM", kopen, rec->id};
        /* The stream is at least once: a retried job may add its record again, with its id. */
        const char *x[] = {"XADD", kstream,  "MAXLEN",      "~",   maxlen_s,
                           "*",    "record", rec->json.buf, "job", p->job_id};
        size_t xl[] = {4, strlen(kstream),  6, 1, strlen(maxlen_s), 1, 6, rec->json.len,
                       3, strlen(p->job_id)};
        const char *h[] = {khist.buf,     kjobs.buf, kjobs2.buf, p->job_id,
                           rec->json.buf, histmax_s, p->ttl_s};
        size_t hl[] = {khist.len,     kjobs.len,         kjobs2.len,      strlen(p->job_id),
                       rec->json.len, strlen(histmax_s), strlen(p->ttl_s)};

        if (rec->transition == VG_TR_CLOSE) {
            store_append(st, 3, zr, NULL);
        } else {
            store_append(st, 4, z, NULL);
        }
        store_append(st, 10, x, xl);
        n = 2;
        /* The history keeps transitions, not every update: the events list has those. */
        if (rec->transition != VG_TR_UPDATE) {
            store_append_eval(st, &history_script, 3, 7, h, hl);
            n++;
        }
    }
    sbuf_free(&khist);
    sbuf_free(&kjobs);
    sbuf_free(&kjobs2);
    return n;
}

/*
 * Queue the writes under other hash tags: the open index (scored by last
 * activity), the stream and, for transitions other than update, the history; on open also the
 * history's expiry and the removal of index entries past the retention. Returns the commands
 * queued. Nothing is queued for an upsert that failed.
 */
size_t incident_append_post(struct store *st, struct incident_pending *p)
{
    const struct incident_args *a = &p->a;
    struct sbuf kopen = {0}, kstream = {0};
    char last_s[24];
    char old_s[24];
    size_t n = 0;

    p->n_post = 0;
    if (p->rc != VG_OK) {
        return 0;
    }
    sbuf_printf(&kopen, "%sopen", a->prefix);
    sbuf_printf(&kstream, "%sstream", a->prefix);
    snprintf(last_s, sizeof(last_s), "%" PRId64, a->now_ms);
    snprintf(old_s, sizeof(old_s), "(%" PRId64, a->now_ms - a->retention_ms);
    if (p->n_recs == 2) {
        n += append_rec_post(st, p, &p->rec2, kopen.buf, kstream.buf, last_s);
    }
    if (p->n_recs > 0) {
        n += append_rec_post(st, p, &p->rec, kopen.buf, kstream.buf, last_s);
    }
    if (p->set_due > 0) {
        n += state_append_timer(st, a->prefix, a->r->name, p->due_name, a->key, a->key_len,
                                p->set_due);
    }
    if (a->retention_ms > 0 && p->n_recs > 0 && p->rec.transition == VG_TR_OPEN) {
        const char *d[] = {"ZREMRANGEBYSCORE", kopen.buf, "-inf", old_s};

        store_append(st, 4, d, NULL);
        n++;
    }
    sbuf_free(&kopen);
    sbuf_free(&kstream);
    p->n_post = n;
    return n;
}

void incident_pending_init(struct incident_pending *p, const struct incident_args *a)
{
    memset(p, 0, sizeof(*p));
    p->a = *a;
    p->job_id = xstrdup(a->job_id);
    p->note = a->note != NULL ? xstrdup(a->note) : NULL;
    p->steps = a->steps_json != NULL ? xstrdup(a->steps_json) : NULL;
    p->findings = a->findings_json != NULL ? xstrdup(a->findings_json) : NULL;
    p->a.job_id = p->job_id;
    p->a.note = p->note;
    p->a.steps_json = p->steps;
    p->a.findings_json = p->findings;
    key_json(a->r, a->ev, &p->kjson);
    event_to_json(a->ev, &p->evjson);
    procedure_playbook_json(a->r->procedure, &p->pb);
    rule_render_title(a->r, a->ev, &p->title);
    snprintf(p->now_s, sizeof(p->now_s), "%" PRId64, a->now_ms);
    time_format_ms(a->now_ms, p->now_iso, sizeof(p->now_iso));
    snprintf(p->sev_s, sizeof(p->sev_s), "%d", a->severity > 0 ? a->severity : a->r->severity);
    snprintf(p->ttl_s, sizeof(p->ttl_s), "%" PRId64,
             a->retention_ms > 0 ? a->retention_ms / 1000 : 0);
    {
        static const char *const modes[] = {"upsert", "resolve", "close", "escalate"};
        const struct rule *r = a->r;

        snprintf(p->extra[0], sizeof(p->extra[0]), "%s", modes[a->mode & 3]);
        snprintf(p->extra[1], sizeof(p->extra[1]), "%" PRId64, r->hold_down_ms);
        snprintf(p->extra[2], sizeof(p->extra[2]), "%d", r->flap_count);
        snprintf(p->extra[3], sizeof(p->extra[3]), "%" PRId64, r->flap_window_ms);
        snprintf(p->extra[4], sizeof(p->extra[4]), "%" PRId64, r->escalate_after_ms);
        snprintf(p->extra[5], sizeof(p->extra[5]), "%d", r->escalate_severity);
        snprintf(p->extra[6], sizeof(p->extra[6]), "%" PRId64, r->escalate_count);
        p->kstr = xstrndup(a->key, a->key_len);
    }
    make_tag(a->r->name, a->key, a->key_len, 0, p->tag);
    p->rc = VG_EIO;
}

void incident_pending_free(struct incident_pending *p)
{
    sbuf_free(&p->kjson);
    sbuf_free(&p->evjson);
    sbuf_free(&p->pb);
    sbuf_free(&p->title);
    sbuf_free(&p->rec.json);
    sbuf_free(&p->rec2.json);
    free(p->kstr);
    free(p->job_id);
    free(p->note);
    free(p->steps);
    free(p->findings);
    sbuf_free(&p->pb_now);
    sbuf_free(&p->fd_now);
}

int incident_begin(struct store *st, struct incident_pending *p)
{
    struct sbuf keys = {0};
    const char *argv[UPSERT_ARGC];
    size_t lens[UPSERT_ARGC];
    int rc;

    upsert_argv(p, p->tag, &keys, argv, lens);
    rc = store_append_eval(st, &upsert_script, UPSERT_NKEYS, UPSERT_ARGC, argv, lens);
    sbuf_free(&keys);
    return rc == 0 ? VG_OK : VG_EIO;
}

void incident_finish(struct store *st, struct incident_pending *p, const redisReply *first)
{
    redisReply *own = NULL;
    const redisReply *rep = first;
    const char *s;
    size_t len;
    size_t i;
    int salt = 0;
    int tr;

    p->n_post = 0;
    sbuf_reset(&p->rec.json);
    /* {"collision"}: the tag belongs to another (rule, key); probe the next ones. */
    while (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1) {
        log_msg(VG_LOG_WARNING, "incident tag %s of rule %s is taken by another key; probing",
                p->tag, p->a.r->name);
        if (own != NULL) {
            freeReplyObject(own);
        }
        own = NULL;
        rep = NULL;
        if (++salt == INCIDENT_TAG_PROBES) {
            p->rc = VG_ERR;
            return;
        }
        make_tag(p->a.r->name, p->a.key, p->a.key_len, salt, p->tag);
        own = run_upsert(st, p, p->tag);
        rep = own;
    }
    if (rep == NULL) {
        p->rc = VG_EIO;
        goto out;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        static struct log_limit lim;

        log_limited(&lim, store_reply_transient(rep) ? VG_LOG_WARNING : VG_LOG_ERR,
                    "incident script failed for rule %s: %s", p->a.r->name, rep->str);
        p->rc = store_reply_transient(rep) ? VG_EIO : VG_ERR;
        goto out;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 14) {
        log_msg(VG_LOG_ERR, "incident script of rule %s gave an unexpected reply", p->a.r->name);
        p->rc = VG_ERR;
        goto out;
    }
    s = reply_str(rep, 0, &len);
    tr = -1;
    for (i = 0; i < ARRAY_SIZE(tr_names); i++) {
        if (strlen(tr_names[i]) == len && memcmp(tr_names[i], s, len) == 0) {
            tr = (int)i;
        }
    }
    p->set_due = reply_int(rep, 7);
    s = reply_str(rep, 8, &len);
    snprintf(p->due_name, sizeof(p->due_name), "%.*s", (int)len, s);
    p->rec.transition = -1;
    p->n_recs = 0;
    if (p->set_due > 0 && strcmp(p->due_name, "@close") != 0 &&
        strcmp(p->due_name, "@escalate") != 0) {
        p->set_due = 0;
    }
    sbuf_reset(&p->pb_now);
    sbuf_reset(&p->fd_now);
    if (rep->elements >= 16) {
        s = reply_str(rep, 14, &len);
        sbuf_add(&p->pb_now, s, len);
        s = reply_str(rep, 15, &len);
        sbuf_add(&p->fd_now, s, len);
    }
    if (tr >= 0) {
        size_t nlen, tlen, slen;
        const char *n = reply_str(rep, 1, &nlen);
        const char *title = reply_str(rep, 5, &tlen);
        const char *status = reply_str(rep, 6, &slen);
        int64_t flaps = reply_int(rep, 10);

        s = reply_str(rep, 9, &len);
        if (len > 0) {
            /* Closed when its hold-down ended, before this call's event. */
            build_record(p, &p->rec2, VG_TR_CLOSE, s, len, reply_int(rep, 11), reply_int(rep, 12),
                         (int)reply_int(rep, 4), title, tlen, "closed", 6, 0, reply_int(rep, 13));
            p->n_recs++;
        }
        build_record(p, &p->rec, tr, n, nlen, reply_int(rep, 2), reply_int(rep, 3),
                     (int)reply_int(rep, 4), title, tlen, status, slen, flaps, p->a.now_ms);
        p->n_recs++;
    }
    p->rc = VG_OK;
out:
    if (own != NULL) {
        freeReplyObject(own);
    }
}

int incident_check_post(redisReply **reps, size_t n, const char *id)
{
    size_t i;
    int rc = VG_OK;

    for (i = 0; i < n; i++) {
        if (reps[i] == NULL) {
            return VG_EIO;
        }
        if (reps[i]->type == REDIS_REPLY_ERROR) {
            static struct log_limit lim;

            log_limited(&lim, VG_LOG_ERR, "cannot index incident %s: %s", id, reps[i]->str);
            if (store_reply_transient(reps[i])) {
                rc = VG_EIO;
            }
        }
    }
    return rc;
}

/* One synchronous attempt of incident_upsert: the script, then its follow-up writes. */
static int upsert_once(struct store *st, struct incident_pending *p)
{
    redisReply *reps[1 + INCIDENT_POST_MAX] = {NULL};
    size_t i;
    int rc;

    if (incident_begin(st, p) != VG_OK || store_flush(st, reps, 1) != 0) {
        return VG_EIO;
    }
    incident_finish(st, p, reps[0]);
    rc = p->rc;
    if (rc == VG_OK) {
        incident_append_post(st, p);
        rc = store_flush(st, reps + 1, p->n_post) != 0
                 ? VG_EIO
                 : incident_check_post(reps + 1, p->n_post, p->rec.id);
    }
    for (i = 0; i < ARRAY_SIZE(reps); i++) {
        if (reps[i] != NULL) {
            freeReplyObject(reps[i]);
        }
    }
    return rc;
}

int incident_upsert(struct store *st, const struct incident_args *a, struct incident_rec *rec)
{
    struct incident_pending p;
    int attempt;
    int rc = VG_EIO;

    incident_pending_init(&p, a);
    /* A second try when a passing error (NOSCRIPT after a script flush) left Redis up. */
    for (attempt = 0; attempt < 2; attempt++) {
        sbuf_reset(&p.rec.json);
        rc = upsert_once(st, &p);
        if (rc != VG_EIO || !store_ok(st)) {
            break;
        }
    }
    rec->transition = p.rec.transition;
    memcpy(rec->id, p.rec.id, sizeof(rec->id));
    sbuf_reset(&rec->json);
    sbuf_add(&rec->json, p.rec.json.buf ? p.rec.json.buf : "", p.rec.json.len);
    incident_pending_free(&p);
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
