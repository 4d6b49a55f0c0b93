/* SPDX-License-Identifier: MIT */
/*
 * The state API's scripts. Every operation on (rule, key, name) runs as one Lua
 * script over two keys under the pair's hash tag: the hash "prefix{tag}:st"
 * (fields "<name>:<what>") and the sorted set "prefix{tag}:z:<name>" (window
 * members). Each script remembers its job id and answer under the same tag, so
 * a job retried after a lost reply gets the first answer and changes nothing;
 * then fires the name's deadline if it passed before now; then does its
 * operation. The reply is {outcomes, due}: outcomes as {source, verdict,
 * count, since, event JSON, due} (source "da", "db" or "dr" for an arm, heartbeat or rate deadline,
 * "o" for the operation), due > 0 when a deadline was set that the caller must index in a shard.
 */
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

#define STRINGIFY2(x)   #x
#define STRINGIFY(x)    STRINGIFY2(x)
#define STATE_ARGC      14       /* arguments of a state script, at most */
#define STATE_CTX_MAX_S "100000" /* STATE_CTX_MAX as text for the scripts */
/*
 * COUNT windows of a threshold up to this many events are one field of the state hash
 * ("<time>/<job>,..."): two commands per event instead of five; larger ones are sorted sets.
 */
#define STATE_SMALL_S     "256"
#define STATE_JOBS_KEPT_S "512" /* answers kept per generation, two generations per (rule, key) */

/*
 * Shared head of the key scripts. KEYS 1 hash, 2 window set, 3 and 4 the answers
 * given to recent jobs (two generations, so a retried batch finds every one of its
 * jobs' answers, not only the last; "g2" in the hash says the second exists).
 * ARGV 1 name, 2 now, 3 job, 4 ttl ms, 5 mode ("op" or "fire"), 6 "1" for a
 * retried job (only then are earlier answers looked up), 7 window, 8 threshold,
 * 9 suppress, 10 value or event JSON, 11 window2, 12 threshold2, 13 step, 14
 * steps; each operation is sent only the arguments up to the last it reads.
 * Answers are kept for every operation but COUNT and DISTINCT, whose NONE and
 * SUPPRESSED answers are not kept (unless they run without suppression): such a
 * NONE only added the job's own entry to a window, so running it again answers
 * NONE (or SUPPRESSED, after a later job of the batch fired) and changes nothing;
 * every other operation may find state that later jobs of a retried batch changed. Expiries are
 * renewed when a tenth of the lifetime has passed since the last renewal ("<name>:kept"). Deadline
 * kinds: "arm" (pair: EXPIRED with the kept event), "beat" (absence: EXPIRED, then CLEARED by the
 * next heartbeat), "rate" (CLEARED once the count of the clear window fell to its level).
 */
#define STATE_HEAD                                                                       \
    "local st, z = KEYS[1], KEYS[2]\n"                                                   \
    "local nm, now, job, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])\n" \
    "local function arg(i) return tonumber(ARGV[i] or '0') end\n"                        \
    "local W, N, S, W2, N2 = arg(7), arg(8), arg(9), arg(11), arg(12)\n"                 \
    "local function f(x) return nm .. ':' .. x end\n"                                    \
    "local function num(x) return tonumber(x or '0') or 0 end\n"                         \
    "local hd = redis.call('HMGET', st, f('due'), f('kept'), f('sup'), 'g2', f('w'))\n"  \
    "local due, kept, supv = num(hd[1]), num(hd[2]), num(hd[3])\n"                       \
    "if ARGV[6] == '1' then\n"                                                           \
    "  local prev = redis.call('HGET', KEYS[3], job)\n"                                  \
    "  if not prev and hd[4] then prev = redis.call('HGET', KEYS[4], job) end\n"         \
    "  if prev then return cjson.decode(prev) end\n"                                     \
    "end\n"                                                                              \
    "local out, setdue = {}, 0\n"                                                        \
    "local function res(src, v, n, since, ev, due)\n"                                    \
    "  out[#out + 1] = {src, v, n, since, ev or '', due or 0}\n"                         \
    "end\n"                                                                              \
    "local function first()\n"                                                           \
    "  local r = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')\n"                          \
    "  return num(r[2])\n"                                                               \
    "end\n"                                                                              \
    "local function arm_clear(w2, n2, at)\n"                                             \
    "  local idx = redis.call('ZCARD', z) - n2 - 1\n"                                    \
    "  if idx < 0 then return false end\n"                                               \
    "  local e = num(redis.call('ZRANGE', z, idx, idx, 'WITHSCORES')[2])\n"              \
    "  setdue = math.max(e + w2 + 1, now)\n"                                             \
    "  redis.call('HSET', st, f('due'), setdue, f('kind'), 'rate', f('at'), at,\n"       \
    "             f('p'), w2 .. '|' .. n2)\n"                                            \
    "  return true\n"                                                                    \
    "end\n"                                                                              \
    "local function fire(due)\n"                                                         \
    "  local d = redis.call('HMGET', st, f('kind'), f('at'), f('ev'), f('p'))\n"         \
    "  if d[1] == 'arm' then\n"                                                          \
    "    redis.call('HDEL', st, f('due'), f('kind'), f('ev'), f('at'))\n"                \
    "    res('da', 3, 0, num(d[2]), d[3], due)\n"                                        \
    "  elseif d[1] == 'beat' then\n"                                                     \
    "    redis.call('HDEL', st, f('due'), f('kind'))\n"                                  \
    "    redis.call('HSET', st, f('absent'), d[2])\n"                                    \
    "    res('db', 3, 0, num(d[2]), d[3], due)\n"                                        \
    "  elseif d[1] == 'rate' then\n"                                                     \
    "    local w2, n2 = string.match(d[4] or '0|0', '^(%d+)|(%d+)$')\n"                  \
    "    w2, n2 = num(w2), num(n2)\n"                                                    \
    "    local c = redis.call('ZCOUNT', z, due - w2, '+inf')\n"                          \
    "    if c <= n2 then\n"                                                              \
    "      redis.call('HDEL', st, f('due'), f('kind'), f('raised'), f('p'))\n"           \
    "      res('dr', 4, c, num(d[2]), '', due)\n"                                        \
    "    elseif not arm_clear(w2, n2, num(d[2])) then\n"                                 \
    "      redis.call('HDEL', st, f('due'), f('kind'))\n"                                \
    "    end\n"                                                                          \
    "  else\n"                                                                           \
    "    redis.call('HDEL', st, f('due'))\n"                                             \
    "  end\n"                                                                            \
    "end\n"                                                                              \
    "local function finish(always)\n"                                                    \
    "  local rep = {out, setdue}\n"                                                      \
    "  local keep = always or setdue > 0\n"                                              \
    "  for _, o in ipairs(out) do keep = keep or (o[2] ~= 0 and o[2] ~= 2) end\n"        \
    "  if keep then\n"                                                                   \
    "    if redis.call('HLEN', KEYS[3]) >= " STATE_JOBS_KEPT_S " then\n"                 \
    "      redis.call('RENAME', KEYS[3], KEYS[4])\n"                                     \
    "      redis.call('HSET', st, 'g2', 1)\n"                                            \
    "    end\n"                                                                          \
    "    redis.call('HSET', KEYS[3], job, cjson.encode(rep))\n"                          \
    "  end\n"                                                                            \
    "  if ARGV[5] ~= 'fire' and (now - kept > ttl / 10 or now < kept) then\n"            \
    "    redis.call('HSET', st, f('kept'), now)\n"                                       \
    "    for _, k in ipairs({st, z, KEYS[3]}) do redis.call('PEXPIRE', k, ttl) end\n"    \
    "  end\n"                                                                            \
    "  return rep\n"                                                                     \
    "end\n"                                                                              \
    "if ARGV[5] == 'fire' then\n"                                                        \
    "  if due > 0 and due <= now then fire(due) end\n"                                   \
    "  return finish()\n"                                                                \
    "end\n"                                                                              \
    "if due > 0 and due < now then fire(due) end\n"

/* The suppression test shared by COUNT and DISTINCT: true when the event is ignored. */
#define STATE_SUPPRESSED                                                        \
    "local function suppressed()\n"                                             \
    "  if supv > 0 and now <= supv then res('o', 2, 0, supv) return true end\n" \
    "  return false\n"                                                          \
    "end\n"

/* The end of a window that reached its threshold: emptied, suppressed for S. */
#define STATE_FIRED                                                   \
    "local function fired(n)\n"                                       \
    "  local since = first()\n"                                       \
    "  redis.call('DEL', z)\n"                                        \
    "  if S > 0 then redis.call('HSET', st, f('sup'), now + S) end\n" \
    "  res('o', 1, n, since)\n"                                       \
    "end\n"

static struct store_script scripts[] = {
    [VG_ST_COUNT] = {.name = "state_count",
                     .lua = STATE_HEAD STATE_SUPPRESSED STATE_FIRED
                     "if suppressed() then\n"
                     "elseif N > " STATE_SMALL_S " then\n"
                     "  redis.call('ZADD', z, now, job)\n"
                     "  redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. (now - W))\n"
                     "  local n = redis.call('ZCARD', z)\n"
                     "  if n >= N then fired(n) else res('o', 0, n, first()) end\n"
                     "else\n"
                     "  local keep, seen, lo, lo_t = {}, false, now - W, now\n"
                     "  for t, j in string.gmatch(hd[5] or '', '(%d+)/([^,]+)') do\n"
                     "    t = tonumber(t)\n"
                     "    if j == job then seen = true end\n"
                     "    if t >= lo then\n"
                     "      keep[#keep + 1] = t .. '/' .. j\n"
                     "      if t < lo_t then lo_t = t end\n"
                     "    end\n"
                     "  end\n"
                     "  if not seen then keep[#keep + 1] = ARGV[2] .. '/' .. job end\n"
                     "  if #keep >= N then\n"
                     "    redis.call('HDEL', st, f('w'))\n"
                     "    if S > 0 then redis.call('HSET', st, f('sup'), now + S) end\n"
                     "    res('o', 1, #keep, lo_t)\n"
                     "  else\n"
                     "    redis.call('HSET', st, f('w'), table.concat(keep, ','))\n"
                     "    res('o', 0, #keep, lo_t)\n"
                     "  end\n"
                     "end\n"
                     "return finish(S == 0)\n"},
    [VG_ST_DISTINCT] = {.name = "state_distinct",
                        .lua = STATE_HEAD STATE_SUPPRESSED STATE_FIRED
                        "if not suppressed() then\n"
                        "  redis.call('ZADD', z, 'GT', now, ARGV[10])\n"
                        "  redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. (now - W))\n"
                        "  local n = redis.call('ZCARD', z)\n"
                        "  if n >= N then fired(n) else res('o', 0, n, first()) end\n"
                        "end\n"
                        "return finish(S == 0)\n"},
    [VG_ST_ARM] = {.name = "state_arm",
                   .lua = STATE_HEAD
                   "if redis.call('HGET', st, f('kind')) == 'arm' then\n"
                   "  res('o', 0, 0, num(redis.call('HGET', st, f('at'))))\n"
                   "else\n"
                   "  setdue = now + W\n"
                   "  redis.call('HSET', st, f('due'), setdue, f('kind'), 'arm', f('at'), now,\n"
                   "             f('ev'), ARGV[10])\n"
                   "  res('o', 5, 0, now)\n"
                   "end\n"
                   "return finish(true)\n"},
    [VG_ST_DISARM] = {.name = "state_disarm",
                      .lua = STATE_HEAD
                      "local d = redis.call('HMGET', st, f('kind'), f('at'))\n"
                      "if d[1] == 'arm' then\n"
                      "  redis.call('HDEL', st, f('due'), f('kind'), f('ev'), f('at'))\n"
                      "  res('o', 4, 0, num(d[2]))\n"
                      "else\n"
                      "  res('o', 0, 0, 0)\n"
                      "end\n"
                      "return finish(true)\n"},
    [VG_ST_SEQUENCE] = {.name = "state_sequence",
                        .lua = STATE_HEAD
                        "local d = redis.call('HMGET', st, f('prog'), f('start'))\n"
                        "local prog, start = num(d[1]), num(d[2])\n"
                        "local step, n = arg(13), arg(14)\n"
                        "if prog > 0 and now - start > W then prog = 0 end\n"
                        "if step == 0 and prog <= 1 then\n"
                        "  prog, start = 1, now\n"
                        "elseif prog > 0 and step == prog then\n"
                        "  prog = prog + 1\n"
                        "end\n"
                        "if prog >= n then\n"
                        "  redis.call('HDEL', st, f('prog'), f('start'))\n"
                        "  res('o', 1, n, start)\n"
                        "else\n"
                        "  redis.call('HSET', st, f('prog'), prog, f('start'), start)\n"
                        "  res('o', 0, prog, start)\n"
                        "end\n"
                        "return finish(true)\n"},
    [VG_ST_HEARTBEAT] = {.name = "state_heartbeat",
                         .lua = STATE_HEAD
                         "local absent = redis.call('HGET', st, f('absent'))\n"
                         "setdue = now + W\n"
                         "redis.call('HSET', st, f('due'), setdue, f('kind'), 'beat', f('at'),\n"
                         "           now, f('ev'), ARGV[10])\n"
                         "if absent then\n"
                         "  redis.call('HDEL', st, f('absent'))\n"
                         "  res('o', 4, 0, num(absent))\n"
                         "else\n"
                         "  res('o', 5, 0, now)\n"
                         "end\n"
                         "return finish(true)\n"},
    [VG_ST_RATE] = {.name = "state_rate",
                    .lua = STATE_HEAD
                    "redis.call('ZADD', z, now, job)\n"
                    "redis.call('ZREMRANGEBYRANK', z, 0, -(math.max(N, N2 + 1) + 1))\n"
                    "redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. (now - math.max(W, W2)))\n"
                    "local raised = redis.call('HGET', st, f('raised'))\n"
                    "if not raised then\n"
                    "  local c = redis.call('ZCOUNT', z, now - W, '+inf')\n"
                    "  if c >= N then\n"
                    "    redis.call('HSET', st, f('raised'), now)\n"
                    "    arm_clear(W2, N2, now)\n"
                    "    res('o', 1, c, first())\n"
                    "  else\n"
                    "    res('o', 0, c, first())\n"
                    "  end\n"
                    "else\n"
                    "  local c = redis.call('ZCOUNT', z, now - W2, '+inf')\n"
                    "  if c <= N2 then\n"
                    "    redis.call('HDEL', st, f('raised'), f('due'), f('kind'), f('p'))\n"
                    "    res('o', 4, c, num(raised))\n"
                    "  else\n"
                    "    arm_clear(W2, N2, num(raised))\n"
                    "    res('o', 0, c, num(raised))\n"
                    "  end\n"
                    "end\n"
                    "return finish(true)\n"},
    [VG_ST_SUPPRESS] = {.name = "state_suppress",
                        .lua = STATE_HEAD "local sup = num(redis.call('HGET', st, f('sup')))\n"
                                          "if sup > 0 and now <= sup then\n"
                                          "  res('o', 2, 0, sup - W)\n"
                                          "else\n"
                                          "  redis.call('HSET', st, f('sup'), now + W)\n"
                                          "  res('o', 0, 0, now)\n"
                                          "end\n"
                                          "return finish(true)\n"},
    /*
     * Contexts live in one hash "prefix{ctx}:contexts", name -> expiry (-1: none);
     * KEYS 1 that hash, 2 unused; ARGV as above (1 is the context name). At
     * STATE_CTX_MAX entries the expired ones are dropped, then a new one is refused.
     */
    [VG_ST_CTX_SET] =
        {.name = "state_ctx_set",
         .lua = "local now, W = tonumber(ARGV[2]), tonumber(ARGV[7])\n"
                "local function full()\n"
                "  return redis.call('HLEN', KEYS[1]) >= " STATE_CTX_MAX_S "\n"
                "end\n"
                "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and full() then\n"
                "  local all = redis.call('HGETALL', KEYS[1])\n"
                "  for i = 1, #all, 2 do\n"
                "    local e = tonumber(all[i + 1])\n"
                "    if e >= 0 and e < now then\n"
                "      redis.call('HDEL', KEYS[1], all[i])\n"
                "    end\n"
                "  end\n"
                "  if full() then return redis.error_reply('ERR too many contexts') end\n"
                "end\n"
                "redis.call('HSET', KEYS[1], ARGV[1], W > 0 and now + W or -1)\n"
                "return {{{'o', 0, 0, now, '', 0}}, 0}\n"},
    [VG_ST_CTX_TEST] = {.name = "state_ctx_test",
                        .lua = "local now = tonumber(ARGV[2])\n"
                               "local e = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 'x')\n"
                               "if e and (e < 0 or now <= e) then\n"
                               "  return {{{'o', 6, 1, 0, '', 0}}, 0}\n"
                               "end\n"
                               "if e then redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
                               "return {{{'o', 0, 0, 0, '', 0}}, 0}\n"},
    [VG_ST_CTX_DEL] = {.name = "state_ctx_del",
                       .lua = "local now = tonumber(ARGV[2])\n"
                              "local e = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 'x')\n"
                              "redis.call('HDEL', KEYS[1], ARGV[1])\n"
                              "if e and (e < 0 or now <= e) then\n"
                              "  return {{{'o', 6, 1, 0, '', 0}}, 0}\n"
                              "end\n"
                              "return {{{'o', 0, 0, 0, '', 0}}, 0}\n"},
};

/*
 * Claim due deadlines of one shard: KEYS 1 shard; ARGV 1 now, 2 limit, 3 lease
 * score. Returns {member, due, ...}, each member re-scored to the lease.
 */
static struct store_script claim_script = {
    .name = "state_claim",
    .lua = "local r = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES',\n"
           "                     'LIMIT', 0, tonumber(ARGV[2]))\n"
           "for i = 1, #r, 2 do redis.call('ZADD', KEYS[1], ARGV[3], r[i]) end\n"
           "return r\n",
};

/*
 * Release a claimed deadline: KEYS 1 shard; ARGV 1 member, 2 lease score. The
 * entry goes only if it still holds the lease (a newer deadline re-scored it).
 */
static struct store_script unclaim_script = {
    .name = "state_unclaim",
    .lua = "if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then\n"
           "  return redis.call('ZREM', KEYS[1], ARGV[1])\n"
           "end\n"
           "return 0\n",
};

void state_init(void)
{
    size_t i;

    for (i = 1; i < ARRAY_SIZE(scripts); i++) {
        store_script_init(&scripts[i]);
    }
    store_script_init(&claim_script);
    store_script_init(&unclaim_script);
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n > STATE_NAME_MAX) {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.' || *s == '-')) {
            return 0;
        }
    }
    return 1;
}

int state_check(const struct vg_state_req *req, char *err, size_t err_len)
{
    const int64_t max_ms = VG_STATE_WINDOW_MAX_MS;

    if (req == NULL || req->size < offsetof(struct vg_state_req, cookie) + sizeof(req->cookie)) {
        snprintf(err, err_len, "state request missing or older than ABI 1.1");
        return VG_EINVAL;
    }
    if (req->op < VG_ST_COUNT || req->op > VG_ST_CTX_DEL) {
        snprintf(err, err_len, "state op %u is not one of 1..%d", req->op, VG_ST_CTX_DEL);
        return VG_EINVAL;
    }
    if (req->name != NULL && !valid_name(req->name)) {
        snprintf(err, err_len, "state name \"%.80s\" is not [A-Za-z0-9_.-]{0,%d}", req->name,
                 STATE_NAME_MAX);
        return VG_EINVAL;
    }
    if (req->window_ms < 0 || req->window_ms > max_ms || req->window2_ms < 0 ||
        req->window2_ms > max_ms || req->suppress_ms < 0 || req->suppress_ms > max_ms) {
        snprintf(err, err_len, "state windows must be 0 .. 10 years");
        return VG_EINVAL;
    }
    switch (req->op) {
    case VG_ST_COUNT:
    case VG_ST_DISTINCT:
    case VG_ST_RATE:
        if (req->threshold < 1 || req->threshold > VG_STATE_THRESHOLD_MAX || req->window_ms == 0) {
            snprintf(err, err_len, "state op %u needs threshold 1..1000000 and a window", req->op);
            return VG_EINVAL;
        }
        if (req->op == VG_ST_RATE &&
            (req->threshold2 < 0 || req->threshold2 >= req->threshold || req->window2_ms == 0)) {
            snprintf(err, err_len, "rate needs 0 <= threshold2 < threshold and a window2");
            return VG_EINVAL;
        }
        if (req->op == VG_ST_DISTINCT && req->value == NULL) {
            snprintf(err, err_len, "distinct needs a value");
            return VG_EINVAL;
        }
        break;
    case VG_ST_ARM:
    case VG_ST_HEARTBEAT:
    case VG_ST_SUPPRESS:
        if (req->window_ms == 0) {
            snprintf(err, err_len, "state op %u needs a window", req->op);
            return VG_EINVAL;
        }
        break;
    case VG_ST_SEQUENCE:
        if (req->n_steps < 2 || req->n_steps > 64 || req->step >= req->n_steps ||
            req->window_ms == 0) {
            snprintf(err, err_len, "sequence needs 2..64 steps, step < steps and a window");
            return VG_EINVAL;
        }
        break;
    case VG_ST_CTX_SET:
    case VG_ST_CTX_TEST:
    case VG_ST_CTX_DEL:
        if (req->value == NULL || req->value[0] == '\0' || strlen(req->value) > 512) {
            snprintf(err, err_len, "a context needs a name of 1..512 bytes in value");
            return VG_EINVAL;
        }
        break;
    default:
        break;
    }
    return VG_OK;
}

/* Decimal text of v into buf (at least 21 bytes): snprintf is a hot spot at this rate. */
static void put_i64(char *buf, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        *buf++ = '-';
    }
    while (n > 0) {
        *buf++ = tmp[--n];
    }
    *buf = '\0';
}

/* The hash tag of (rule, key): 16 hex digits of SHA-1, so crafted keys cannot collide. */
static void state_tag(const char *rule_name, const char *key, size_t key_len, char tag[17])
{
    struct sbuf b = {0};
    char hex[41];

    sbuf_adds(&b, rule_name);
    sbuf_addc(&b, '\0');
    sbuf_add(&b, key, key_len);
    sha1_hex(b.buf, b.len, hex);
    memcpy(tag, hex, 16);
    tag[16] = '\0';
    sbuf_free(&b);
}

void state_timer_member(const char *prefix, const char *rule_name, const char *name,
                        const char *key, size_t key_len, struct sbuf *member, struct sbuf *shard)
{
    size_t start = member->len;

    /* Unit separators cannot occur in rule or state names; the key comes last. */
    sbuf_adds(member, rule_name);
    sbuf_addc(member, '\x1f');
    sbuf_adds(member, name);
    sbuf_addc(member, '\x1f');
    sbuf_add(member, key, key_len);
    sbuf_printf(
        shard, "%s{tm%u}:due", prefix,
        (unsigned)(hash_fnv1a(member->buf + start, member->len - start) % STATE_TIMER_SHARDS));
}

size_t state_append_timer(struct store *st, const char *prefix, const char *rule_name,
                          const char *name, const char *key, size_t key_len, int64_t due)
{
    struct sbuf member = {0}, shard = {0};
    char due_s[24];

    state_timer_member(prefix, rule_name, name, key, key_len, &member, &shard);
    snprintf(due_s, sizeof(due_s), "%" PRId64, due);
    {
        const char *argv[] = {"ZADD", shard.buf, due_s, member.buf};
        size_t lens[] = {4, shard.len, strlen(due_s), member.len};

        store_append(st, 4, argv, lens);
    }
    sbuf_free(&member);
    sbuf_free(&shard);
    return 1;
}

/* Fill the common part of p and queue script s with its fifteen arguments. */
static int queue_script(struct store *st, const char *prefix, const char *rule_name,
                        const char *key, size_t key_len, struct store_script *s, const char **args,
                        const size_t *arg_lens, int argc, struct state_pending *p)
{
    static const char *const ctx_keys[4] = {"{ctx}:contexts", "{ctx}:none", "{ctx}:none",
                                            "{ctx}:none"};
    static const char *const key_suffix[4] = {":st", ":z:", ":sj", ":sj2"};
    struct sbuf kb = {0}, member = {0};
    const char *argv[4 + STATE_ARGC];
    size_t lens[4 + STATE_ARGC];
    size_t off[4];
    size_t plen = strlen(prefix);
    int rc;
    size_t i;

    state_tag(rule_name, key, key_len, p->tag);
    /* The four keys, NUL-separated in one buffer: "prefix{tag}:st", ":z:<name>", ... */
    sbuf_reserve(&kb, 4 * (plen + 40) + strlen(p->name));
    for (i = 0; i < 4; i++) {
        off[i] = kb.len;
        sbuf_add(&kb, prefix, plen);
        if (p->op >= VG_ST_CTX_SET) {
            sbuf_adds(&kb, ctx_keys[i]);
        } else {
            sbuf_addc(&kb, '{');
            sbuf_add(&kb, p->tag, 16);
            sbuf_addc(&kb, '}');
            sbuf_adds(&kb, key_suffix[i]);
            if (i == 1) {
                sbuf_adds(&kb, p->name);
            }
        }
        lens[i] = kb.len - off[i];
        sbuf_addc(&kb, '\0');
    }
    for (i = 0; i < 4; i++) {
        argv[i] = kb.buf + off[i];
    }
    /* The deadline member (rule, name, key); the buffer becomes p->member. */
    sbuf_reserve(&member, strlen(rule_name) + strlen(p->name) + key_len + 3);
    sbuf_adds(&member, rule_name);
    sbuf_addc(&member, '\x1f');
    sbuf_adds(&member, p->name);
    sbuf_addc(&member, '\x1f');
    sbuf_add(&member, key, key_len);
    p->member_len = member.len;
    p->member = member.buf;
    for (i = 0; i < (size_t)argc; i++) {
        argv[4 + i] = args[i];
        lens[4 + i] = arg_lens[i];
    }
    rc = store_append_eval(st, s, 4, 4 + argc, argv, lens);
    sbuf_free(&kb);
    p->rc = VG_EIO;
    return rc == 0 ? VG_OK : VG_EIO;
}

/* Arguments each operation reads (its last one): the rest are not sent. */
static const int op_argc[] = {
    [VG_ST_COUNT] = 9,     [VG_ST_DISTINCT] = 10,  [VG_ST_ARM] = 10,    [VG_ST_DISARM] = 6,
    [VG_ST_SEQUENCE] = 14, [VG_ST_HEARTBEAT] = 10, [VG_ST_RATE] = 12,   [VG_ST_SUPPRESS] = 7,
    [VG_ST_CTX_SET] = 7,   [VG_ST_CTX_TEST] = 6,   [VG_ST_CTX_DEL] = 6,
};

int state_begin(struct store *st, const char *prefix, const char *rule_name, const char *key,
                size_t key_len, const struct vg_state_req *req, int64_t now_ms, const char *job_id,
                const char *evjson, size_t evjson_len, int64_t ttl_ms, int retry,
                struct state_pending *p)
{
    char num[9][24];
    const char *args[STATE_ARGC];
    size_t lens[STATE_ARGC];
    int keep =
        req->op == VG_ST_HEARTBEAT || (req->op == VG_ST_ARM && (req->flags & VG_STF_KEEP_EVENT));
    size_t i;

    memset(p, 0, sizeof(*p));
    p->op = req->op;
    p->cookie = req->cookie;
    snprintf(p->name, sizeof(p->name), "%s", req->name != NULL ? req->name : "");
    put_i64(num[0], now_ms);
    put_i64(num[1], ttl_ms > 0 ? ttl_ms : INT64_C(3600000));
    put_i64(num[2], req->window_ms);
    put_i64(num[3], req->threshold);
    put_i64(num[4], req->suppress_ms);
    put_i64(num[5], req->window2_ms);
    put_i64(num[6], req->threshold2);
    put_i64(num[7], req->step);
    put_i64(num[8], req->n_steps);
    args[0] = req->op >= VG_ST_CTX_SET ? req->value : p->name;
    args[1] = num[0];
    args[2] = job_id;
    args[3] = num[1];
    args[4] = "op";
    args[5] = retry ? "1" : "0";
    args[6] = num[2];
    args[7] = num[3];
    args[8] = num[4];
    if (keep) {
        args[9] = evjson != NULL ? evjson : "";
    } else {
        args[9] = req->value != NULL ? req->value : "";
    }
    args[10] = num[5];
    args[11] = num[6];
    args[12] = num[7];
    args[13] = num[8];
    for (i = 0; i < STATE_ARGC; i++) {
        lens[i] = strlen(args[i]);
    }
    if (req->value != NULL &&
        req->size >= offsetof(struct vg_state_req, value_len) + sizeof(req->value_len) &&
        req->value_len > 0) {
        /* A value with NUL bytes (an SNMP octet string) counts whole. */
        if (req->op >= VG_ST_CTX_SET) {
            lens[0] = req->value_len;
        } else if (!keep) {
            lens[9] = req->value_len;
        }
    }
    if (keep) {
        lens[9] = evjson != NULL ? evjson_len : 0;
    }
    return queue_script(st, prefix, rule_name, key, key_len, &scripts[req->op], args, lens,
                        op_argc[req->op], p);
}

int state_fire_begin(struct store *st, const char *prefix, const char *rule_name, const char *key,
                     size_t key_len, const char *name, int64_t now_ms, int64_t lease,
                     const char *job_id, struct state_pending *p)
{
    char now_s[24];
    const char *args[STATE_ARGC];
    size_t lens[STATE_ARGC];
    size_t i;

    memset(p, 0, sizeof(*p));
    p->lease = lease;
    snprintf(p->name, sizeof(p->name), "%s", name);
    put_i64(now_s, now_ms);
    args[0] = p->name;
    args[1] = now_s;
    args[2] = job_id;
    args[3] = "3600000";
    args[4] = "fire";
    args[5] = "1"; /* a deadline fires rarely: always look for an earlier answer */
    for (i = 0; i < 6; i++) {
        lens[i] = strlen(args[i]);
    }
    /* Any key script carries the firing code; the count one is used. */
    return queue_script(st, prefix, rule_name, key, key_len, &scripts[VG_ST_COUNT], args, lens, 6,
                        p);
}

static int64_t elem_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER) {
        return r->integer;
    }
    if (r->type == REDIS_REPLY_STRING) {
        return strtoll(r->str, NULL, 10);
    }
    return 0;
}

void state_finish(struct state_pending *p, const redisReply *rep)
{
    const redisReply *outs;
    size_t i;

    p->rc = VG_ERR;
    if (rep == NULL) {
        p->rc = VG_EIO;
        return;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        static struct log_limit lim;
        int passing = store_reply_transient(rep);

        log_limited(&lim, passing ? VG_LOG_WARNING : VG_LOG_ERR, "state script %s failed: %s",
                    p->name, rep->str);
        p->rc = passing ? VG_EIO : VG_ERR;
        return;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
        rep->element[0]->type != REDIS_REPLY_ARRAY) {
        log_msg(VG_LOG_ERR, "state script %s gave an unexpected reply", p->name);
        return;
    }
    outs = rep->element[0];
    p->out = xcalloc(outs->elements + 1, sizeof(*p->out));
    for (i = 0; i < outs->elements; i++) {
        const redisReply *o = outs->element[i];
        struct state_out *so = &p->out[p->n_out];

        if (o->type != REDIS_REPLY_ARRAY || o->elements != 6 ||
            o->element[0]->type != REDIS_REPLY_STRING) {
            continue;
        }
        so->deadline = o->element[0]->str[0] == 'd';
        so->op = p->op;
        if (so->deadline) {
            /* "da", "db", "dr": the operation that armed the deadline. */
            char k = o->element[0]->len > 1 ? o->element[0]->str[1] : '\0';

            so->op = k == 'a' ? VG_ST_ARM : k == 'b' ? VG_ST_HEARTBEAT : VG_ST_RATE;
        }
        so->verdict = (int)elem_int(o->element[1]);
        so->count = elem_int(o->element[2]);
        so->since_ms = elem_int(o->element[3]);
        so->due_ms = elem_int(o->element[5]);
        if (o->element[4]->type == REDIS_REPLY_STRING) {
            sbuf_add(&so->evjson, o->element[4]->str, o->element[4]->len);
        }
        p->n_out++;
    }
    p->set_due = elem_int(rep->element[1]);
    p->rc = VG_OK;
}

size_t state_append_post(struct store *st, const char *prefix, struct state_pending *p)
{
    struct sbuf member = {0}, shard = {0};
    char num_s[24];
    size_t n = 0;
    const char *sep1;
    const char *sep2;

    p->n_post = 0;
    if (p->rc != VG_OK || p->member == NULL) {
        return 0;
    }
    sep1 = memchr(p->member, '\x1f', p->member_len);
    sep2 = sep1 != NULL ? memchr(sep1 + 1, '\x1f', p->member_len - (size_t)(sep1 + 1 - p->member))
                        : NULL;
    if (sep2 == NULL) {
        return 0;
    }
    sbuf_add(&member, p->member, p->member_len);
    {
        /* The shard of the member, as state_timer_member names it. */
        sbuf_printf(&shard, "%s{tm%u}:due", prefix,
                    (unsigned)(hash_fnv1a(member.buf, member.len) % STATE_TIMER_SHARDS));
    }
    if (p->set_due > 0) {
        snprintf(num_s, sizeof(num_s), "%" PRId64, p->set_due);
        {
            const char *argv[] = {"ZADD", shard.buf, num_s, member.buf};
            size_t lens[] = {4, shard.len, strlen(num_s), member.len};

            store_append(st, 4, argv, lens);
            n++;
        }
    }
    if (p->op == 0 && p->set_due == 0) {
        snprintf(num_s, sizeof(num_s), "%" PRId64, p->lease);
        {
            const char *argv[] = {shard.buf, member.buf, num_s};
            size_t lens[] = {shard.len, member.len, strlen(num_s)};

            store_append_eval(st, &unclaim_script, 1, 3, argv, lens);
            n++;
        }
    }
    sbuf_free(&member);
    sbuf_free(&shard);
    p->n_post = n;
    return n;
}

size_t state_append_unclaim(struct store *st, const char *prefix, const char *rule_name,
                            const char *name, const char *key, size_t key_len, int64_t lease)
{
    struct sbuf member = {0}, shard = {0};
    char lease_s[24];

    state_timer_member(prefix, rule_name, name, key, key_len, &member, &shard);
    put_i64(lease_s, lease);
    {
        const char *argv[] = {shard.buf, member.buf, lease_s};
        size_t lens[] = {shard.len, member.len, strlen(lease_s)};

        store_append_eval(st, &unclaim_script, 1, 3, argv, lens);
    }
    sbuf_free(&member);
    sbuf_free(&shard);
    return 1;
}

void state_pending_free(struct state_pending *p)
{
    size_t i;

    for (i = 0; i < p->n_out; i++) {
        sbuf_free(&p->out[i].evjson);
    }
    free(p->out);
    free(p->member);
    p->out = NULL;
    p->member = NULL;
    p->n_out = 0;
}

/* Append the deadlines of a claim reply to *out; returns how many. */
static int claim_parse(const redisReply *rep, int64_t now_ms, int64_t lease_ms,
                       struct state_claim **out, size_t *n_out)
{
    size_t i;
    int n = 0;

    for (i = 0; i + 1 < rep->elements; i += 2) {
        const redisReply *m = rep->element[i];
        const char *s1;
        const char *s2;
        struct state_claim *c;

        if (m->type != REDIS_REPLY_STRING) {
            continue;
        }
        s1 = memchr(m->str, '\x1f', m->len);
        s2 = s1 != NULL ? memchr(s1 + 1, '\x1f', m->len - (size_t)(s1 + 1 - m->str)) : NULL;
        if (s2 == NULL) {
            continue;
        }
        *out = xrealloc(*out, (*n_out + 1) * sizeof(**out));
        c = &(*out)[(*n_out)++];
        c->rule = xstrndup(m->str, (size_t)(s1 - m->str));
        c->name = xstrndup(s1 + 1, (size_t)(s2 - s1 - 1));
        c->key_len = m->len - (size_t)(s2 + 1 - m->str);
        c->key = xstrndup(s2 + 1, c->key_len);
        c->due = elem_int(rep->element[i + 1]);
        c->lease = now_ms + lease_ms;
        n++;
    }
    return n;
}

int state_claim(struct store *st, const char *prefix, int shard, int64_t now_ms, int64_t lease_ms,
                struct state_claim **out, size_t *n_out)
{
    struct sbuf k = {0};
    char now_s[24], lim_s[16], lease_s[24];
    redisReply *rep;
    int n;

    sbuf_printf(&k, "%s{tm%d}:due", prefix, shard);
    put_i64(now_s, now_ms);
    put_i64(lim_s, STATE_CLAIM_MAX);
    put_i64(lease_s, now_ms + lease_ms);
    {
        const char *argv[] = {k.buf, now_s, lim_s, lease_s};

        rep = store_eval(st, &claim_script, 1, 4, argv, NULL);
    }
    sbuf_free(&k);
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        if (rep != NULL) {
            log_msg(VG_LOG_WARNING, "cannot claim deadlines: %s",
                    rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
            freeReplyObject(rep);
        }
        return -1;
    }
    n = claim_parse(rep, now_ms, lease_ms, out, n_out);
    freeReplyObject(rep);
    return n;
}

int state_claim_all(struct store *st, const char *prefix, int64_t now_ms, int64_t lease_ms,
                    struct state_claim **out, size_t *n_out)
{
    redisReply *reps[STATE_TIMER_SHARDS] = {NULL};
    char now_s[24], lim_s[16], lease_s[24];
    int total = 0;
    int shard;

    put_i64(now_s, now_ms);
    put_i64(lim_s, STATE_CLAIM_MAX);
    put_i64(lease_s, now_ms + lease_ms);
    for (shard = 0; shard < STATE_TIMER_SHARDS; shard++) {
        char *k = xasprintf("%s{tm%d}:due", prefix, shard);
        const char *argv[] = {k, now_s, lim_s, lease_s};

        store_append_eval(st, &claim_script, 1, 4, argv, NULL);
        free(k);
    }
    if (store_flush(st, reps, STATE_TIMER_SHARDS) != 0) {
        return -1;
    }
    for (shard = 0; shard < STATE_TIMER_SHARDS; shard++) {
        redisReply *rep = reps[shard];
        int n;

        if (rep != NULL && rep->type == REDIS_REPLY_ARRAY) {
            n = claim_parse(rep, now_ms, lease_ms, out, n_out);
        } else {
            /* NOSCRIPT after a script flush, or a passing error: this shard alone, again. */
            n = state_claim(st, prefix, shard, now_ms, lease_ms, out, n_out);
        }
        if (rep != NULL) {
            freeReplyObject(rep);
        }
        if (n < 0) {
            for (shard++; shard < STATE_TIMER_SHARDS; shard++) {
                if (reps[shard] != NULL) {
                    freeReplyObject(reps[shard]);
                }
            }
            return -1;
        }
        total += n;
    }
    return total;
}

void state_claims_free(struct state_claim *c, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(c[i].rule);
        free(c[i].name);
        free(c[i].key);
    }
    free(c);
}
