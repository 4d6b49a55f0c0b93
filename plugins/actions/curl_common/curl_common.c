/* SPDX-License-Identifier: MIT */
/*
 * HTTP and SMTP through libcurl for the notify, spare_dispatch and carrier_ticket actions
 * (see curl_common.h): deadlines from the call, only http(s) and smtp(s), bounded response
 * capture, failures sorted into "retry later" (VG_EAGAIN) and "a person must look"; e-mail
 * headers built here and checked for CR/LF so no event text can add a header; plus the small
 * helpers (buffer, JSON look-ups, inventory recipients, delivery memo) the three share.
 */
#define _GNU_SOURCE /* explicit_bzero, strcasecmp */
#include "curl_common.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* Bytes of a response body read before the transfer is given up. */
#define BODY_LIMIT (1024 * 1024)
/* Deadline used when the core gives none. */
#define DEFAULT_TIMEOUT_MS 30000
/* Longest line of a mail body before it is broken (RFC 5322 allows 998). */
#define MAIL_LINE_MAX 900

static const char *const tr_names[] = {"open", "update", "escalate", "resolve", "close"};

/* Initialise libcurl and check the transport options (see curl_common.h). */
int cc_transport_init(struct vg_ctx *ctx, const struct cc_transport *t, int need_mail)
{
    int tls;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        vg_set_error(ctx, "cannot initialise libcurl");
        return VG_ERR;
    }
    if (need_mail && t->smtp_url == NULL) {
        vg_set_error(ctx, "e-mail recipients are configured but smtp_url is not");
        goto out_fail;
    }
    if (t->smtp_url == NULL) {
        return VG_OK;
    }
    tls = strncasecmp(t->smtp_url, "smtps://", 8) == 0;
    if (!tls && strncasecmp(t->smtp_url, "smtp://", 7) != 0) {
        vg_set_error(ctx, "smtp_url must start with smtp:// or smtps://");
        goto out_fail;
    }
    if (t->smtp_from == NULL || vg_value_check(ctx, VG_VAL_EMAIL, "smtp_from", t->smtp_from,
                                               strlen(t->smtp_from)) != VG_OK) {
        vg_set_error(ctx, "smtp_from must be an e-mail address");
        goto out_fail;
    }
    if (t->smtp_password != NULL && !tls && !t->smtp_starttls) {
        vg_set_error(ctx, "refusing to send smtp_password in clear: use smtps:// or "
                          "smtp_starttls");
        goto out_fail;
    }
    if (t->smtp_password != NULL && t->smtp_username == NULL) {
        vg_set_error(ctx, "smtp_password needs smtp_username");
        goto out_fail;
    }
    return VG_OK;
out_fail:
    curl_global_cleanup();
    return VG_EINVAL;
}

/* Release libcurl (see curl_common.h). */
void cc_transport_fini(void)
{
    curl_global_cleanup();
}

/* A plugin instance's state (see curl_common.h). */
int cc_state_new(struct vg_ctx *ctx, const struct cc_transport *t,
                 const struct vg_strlist *webhooks, int need_mail, size_t size, void **state)
{
    size_t i;
    void *st;
    int rc;

    for (i = 0; webhooks != NULL && i < webhooks->n; i++) {
        if (!cc_is_http(webhooks->items[i])) {
            vg_set_error(ctx, "webhook %zu is not an http:// or https:// URL", i);
            return VG_EINVAL;
        }
    }
    rc = cc_transport_init(ctx, t, need_mail);
    if (rc != VG_OK) {
        return rc;
    }
    st = vg_alloc(size);
    if (st == NULL) {
        cc_transport_fini();
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    memset(st, 0, size);
    cc_memo_init(st); /* the state's first member */
    *state = st;
    return VG_OK;
}

/* Free a plugin instance's state (see curl_common.h). */
void cc_state_free(void *state)
{
    cc_memo_fini(state);
    vg_free(state);
    cc_transport_fini();
}

/* An http(s) URL (see curl_common.h). */
int cc_is_http(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* Zero and free a secret (see curl_common.h). */
void cc_secret_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        vg_free(s);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Buffers, strings, JSON                                                                     */
/* ------------------------------------------------------------------------------------------ */

static int buf_reserve(struct cc_buf *b, size_t more)
{
    size_t cap;
    char *p;

    if (b->oom) {
        return -1;
    }
    if (b->len + more + 1 <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) {
        cap *= 2;
    }
    p = vg_alloc(cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    if (b->len > 0) {
        memcpy(p, b->ptr, b->len);
    }
    vg_free(b->ptr);
    b->ptr = p;
    b->cap = cap;
    return 0;
}

/* Append len bytes (see curl_common.h). */
void cc_buf_add(struct cc_buf *b, const char *text, size_t len)
{
    if (buf_reserve(b, len) != 0) {
        return;
    }
    memcpy(b->ptr + b->len, text, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

/* Append a string (see curl_common.h). */
void cc_buf_puts(struct cc_buf *b, const char *text)
{
    cc_buf_add(b, text, strlen(text));
}

/* Append formatted text (see curl_common.h). */
void cc_buf_printf(struct cc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Free and empty a buffer (see curl_common.h). */
void cc_buf_free(struct cc_buf *b)
{
    vg_free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

/* A vg_alloc()ed copy (see curl_common.h). */
char *cc_strdup(const char *s)
{
    size_t n;
    char *p;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    p = vg_alloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n + 1);
    }
    return p;
}

/* Parse JSON text, trailing white space allowed (see curl_common.h). */
struct fjson_object *cc_json_parse(const char *text, size_t len)
{
    struct fjson_tokener *tok;
    struct fjson_object *o;

    if (text == NULL || len > INT32_MAX) {
        return NULL;
    }
    tok = fjson_tokener_new();
    if (tok == NULL) {
        return NULL;
    }
    o = fjson_tokener_parse_ex(tok, text, (int)len);
    if (o != NULL && fjson_tokener_get_error(tok) == fjson_tokener_success) {
        size_t end = (size_t)tok->char_offset;

        while (end < len &&
               (text[end] == ' ' || text[end] == '\t' || text[end] == '\r' || text[end] == '\n')) {
            end++;
        }
        if (end != len) {
            fjson_object_put(o);
            o = NULL;
        }
    } else if (o != NULL) {
        fjson_object_put(o);
        o = NULL;
    }
    fjson_tokener_free(tok);
    return o;
}

/* The call's record parsed (see curl_common.h). */
struct fjson_object *cc_record(struct vg_ctx *ctx, const struct vg_action_call *call)
{
    struct vg_str rec = vg_call_incident_json(call);
    struct fjson_object *o = cc_json_parse(rec.ptr, rec.len);

    if (o == NULL || !fjson_object_is_type(o, fjson_type_object)) {
        vg_set_error(ctx, "the incident record is not a JSON object");
        if (o != NULL) {
            fjson_object_put(o);
        }
        return NULL;
    }
    return o;
}

/* Check one text value (see curl_common.h). */
int cc_text_check(struct vg_ctx *ctx, const char *what, const char *value)
{
    if (value == NULL) {
        return VG_OK;
    }
    return vg_value_check(ctx, VG_VAL_TEXT, what, value, strlen(value));
}

/* Check the record's event texts (see curl_common.h). */
int cc_record_check(struct vg_ctx *ctx, struct fjson_object *rec)
{
    static const char *const paths[] = {"incident.title",      "incident.class",
                                        "incident.severity",   "incident.status",
                                        "incident.first_seen", "incident.last_seen",
                                        "incident.procedure",  "rule.name",
                                        "event.action",        "note"};
    struct fjson_object *key = cc_json_get(rec, "incident.key");
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct fjson_object *v = cc_json_get(rec, paths[i]);

        if (v != NULL && fjson_object_is_type(v, fjson_type_string) &&
            vg_value_check(ctx, VG_VAL_TEXT, paths[i], fjson_object_get_string(v),
                           (size_t)fjson_object_get_string_len(v)) != VG_OK) {
            return VG_EINVAL;
        }
    }
    if (key != NULL && fjson_object_is_type(key, fjson_type_object)) {
        struct fjson_object_iterator it = fjson_object_iter_begin(key);
        struct fjson_object_iterator end = fjson_object_iter_end(key);

        for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
            struct fjson_object *v = fjson_object_iter_peek_value(&it);
            const char *name = fjson_object_iter_peek_name(&it);

            /* The full length: a NUL inside a value must not hide what follows it. */
            if (cc_text_check(ctx, "incident key field", name) != VG_OK ||
                (fjson_object_is_type(v, fjson_type_string) &&
                 vg_value_check(ctx, VG_VAL_TEXT, name, fjson_object_get_string(v),
                                (size_t)fjson_object_get_string_len(v)) != VG_OK)) {
                return VG_EINVAL;
            }
        }
    }
    return VG_OK;
}

/* A member by dotted path (see curl_common.h). */
struct fjson_object *cc_json_get(struct fjson_object *o, const char *path)
{
    char name[128];

    while (o != NULL && *path != '\0') {
        const char *dot = strchr(path, '.');
        size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
        struct fjson_object *v = NULL;

        if (n >= sizeof(name) || !fjson_object_is_type(o, fjson_type_object)) {
            return NULL;
        }
        memcpy(name, path, n);
        name[n] = '\0';
        if (!fjson_object_object_get_ex(o, name, &v)) {
            return NULL;
        }
        o = v;
        path += n + (dot != NULL ? 1 : 0);
    }
    return o;
}

/* A scalar member by dotted path as text (see curl_common.h). */
const char *cc_json_str(struct fjson_object *o, const char *path, char *buf, size_t len)
{
    struct fjson_object *v = cc_json_get(o, path);

    if (v == NULL) {
        return NULL;
    }
    switch (fjson_object_get_type(v)) {
    case fjson_type_string:
        return fjson_object_get_string(v);
    case fjson_type_int:
        snprintf(buf, len, "%lld", (long long)fjson_object_get_int64(v));
        return buf;
    case fjson_type_boolean:
        snprintf(buf, len, "%s", fjson_object_get_boolean(v) ? "true" : "false");
        return buf;
    case fjson_type_double:
        snprintf(buf, len, "%g", fjson_object_get_double(v));
        return buf;
    default:
        return NULL;
    }
}

/* Add a string member (see curl_common.h). */
void cc_json_add_str(struct fjson_object *o, const char *name, const char *value)
{
    if (value != NULL) {
        fjson_object_object_add(o, name, fjson_object_new_string(value));
    }
}

/* JSON text of an object (see curl_common.h). */
char *cc_json_text(struct fjson_object *o)
{
    return cc_strdup(fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN));
}

/* The transition's name (see curl_common.h). */
const char *cc_transition_name(const struct vg_action_call *call)
{
    unsigned tr = (unsigned)vg_call_transition(call);

    return tr < 5 ? tr_names[tr] : "unknown";
}

/* scheme://host:port of a URL (see curl_common.h). */
void cc_url_origin(const char *url, char *buf, size_t len)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;

    snprintf(buf, len, "(invalid URL)");
    if (u == NULL) {
        return;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
            snprintf(buf, len, "%s://%s:%s", scheme, host, port);
        } else {
            snprintf(buf, len, "%s://%s", scheme, host);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* Refuse control characters in a header value (see curl_common.h). */
int cc_header_check(struct vg_ctx *ctx, const char *what, const char *value)
{
    const unsigned char *p;

    for (p = (const unsigned char *)value; *p != '\0'; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            vg_set_error(ctx, "%s holds a %s: refused (header injection)", what,
                         *p == '\r' || *p == '\n' ? "line break" : "control character");
            return VG_EINVAL;
        }
    }
    return VG_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Recipients                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static int rcpt_add(struct vg_ctx *ctx, struct cc_rcpts *r, const char *addr, const char *what)
{
    char **v;
    size_t i;

    if (vg_value_check(ctx, VG_VAL_EMAIL, what, addr, strlen(addr)) != VG_OK) {
        return VG_EINVAL;
    }
    for (i = 0; i < r->n; i++) {
        if (strcasecmp(r->v[i], addr) == 0) {
            return VG_OK;
        }
    }
    v = vg_alloc((r->n + 1) * sizeof(*v));
    if (v == NULL) {
        return VG_ENOMEM;
    }
    if (r->n > 0) {
        memcpy(v, r->v, r->n * sizeof(*v));
    }
    v[r->n] = cc_strdup(addr);
    if (v[r->n] == NULL) {
        vg_free(v);
        return VG_ENOMEM;
    }
    vg_free(r->v);
    r->v = v;
    r->n++;
    return VG_OK;
}

/* An inventory entry parsed (see curl_common.h). */
struct fjson_object *cc_inventory(struct vg_ctx *ctx, const char *section, const char *key, int *rc)
{
    char *text = vg_inventory_get(ctx, section, key);
    struct fjson_object *o;

    *rc = VG_OK;
    if (text == NULL) {
        return NULL;
    }
    o = cc_json_parse(text, strlen(text));
    vg_free(text);
    if (o == NULL) {
        vg_set_error(ctx, "the inventory's %s entry for %s is not JSON", section, key);
        *rc = VG_ERR;
    }
    return o;
}

static int role_add(struct vg_ctx *ctx, struct cc_rcpts *r, const char *role)
{
    struct fjson_object *people;
    char line[300];
    char num[32];
    size_t i;
    size_t n;
    int rc;

    people = cc_inventory(ctx, "roles", role, &rc);
    if (people == NULL) {
        if (rc == VG_OK) {
            snprintf(line, sizeof(line), "no one in the inventory has the role %s\n", role);
            vg_action_output(ctx, line, strlen(line));
        }
        return rc;
    }
    if (!fjson_object_is_type(people, fjson_type_array)) {
        vg_set_error(ctx, "the inventory's people of role %s are not a JSON array", role);
        rc = VG_ERR;
        goto out_put;
    }
    n = fjson_object_array_length(people);
    for (i = 0; i < n && rc == VG_OK; i++) {
        struct fjson_object *p = fjson_object_array_get_idx(people, (int)i);
        const char *email = cc_json_str(p, "email", num, sizeof(num));
        const char *name = cc_json_str(p, "name", num, sizeof(num));

        if (email == NULL) {
            snprintf(line, sizeof(line), "%s (role %s) has no e-mail address\n",
                     name != NULL ? name : "someone", role);
            vg_action_output(ctx, line, strlen(line));
            continue;
        }
        rc = rcpt_add(ctx, r, email, "inventory e-mail address");
    }
out_put:
    fjson_object_put(people);
    return rc;
}

/* Recipients from roles and addresses (see curl_common.h). */
int cc_rcpts_add(struct vg_ctx *ctx, struct cc_rcpts *r, const struct vg_strlist *roles,
                 const struct vg_strlist *to)
{
    size_t i;
    int rc;

    for (i = 0; roles != NULL && i < roles->n; i++) {
        rc = role_add(ctx, r, roles->items[i]);
        if (rc != VG_OK) {
            return rc;
        }
    }
    for (i = 0; to != NULL && i < to->n; i++) {
        rc = rcpt_add(ctx, r, to->items[i], "to");
        if (rc != VG_OK) {
            return rc;
        }
    }
    return VG_OK;
}

/* Free a recipient list (see curl_common.h). */
void cc_rcpts_free(struct cc_rcpts *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        vg_free(r->v[i]);
    }
    vg_free(r->v);
    r->v = NULL;
    r->n = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Delivery memo                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Prepare a memo (see curl_common.h). */
void cc_memo_init(struct cc_memo *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
}

/* Release a memo (see curl_common.h). */
void cc_memo_fini(struct cc_memo *m)
{
    pthread_mutex_destroy(&m->lock);
}

/* "id|transition|@timestamp|count|target": one delivery of one transition of one incident. */
static int memo_key(const struct vg_action_call *call, const char *target, char *key, size_t len)
{
    struct vg_str id = vg_call_incident_id(call);
    struct vg_str ts = vg_call_field(call, "@timestamp");
    struct vg_str count = vg_call_field(call, "incident.count");
    int n;

    n = snprintf(key, len, "%.*s|%s|%.*s|%.*s|%s", (int)id.len, id.ptr ? id.ptr : "",
                 cc_transition_name(call), (int)ts.len, ts.ptr ? ts.ptr : "", (int)count.len,
                 count.ptr ? count.ptr : "", target);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Look a delivery up (see curl_common.h). */
int cc_memo_get(struct cc_memo *m, const struct vg_action_call *call, const char *target, char *val,
                size_t len)
{
    char key[sizeof(m->keys[0])];
    unsigned i;
    int found = 0;

    if (vg_call_attempt(call) <= 1 || memo_key(call, target, key, sizeof(key)) != 0) {
        return 0;
    }
    pthread_mutex_lock(&m->lock);
    for (i = 0; i < CC_MEMO_N && !found; i++) {
        if (strcmp(m->keys[i], key) == 0) {
            snprintf(val, len, "%s", m->values[i]);
            found = 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

/* Remember a delivery (see curl_common.h). */
void cc_memo_put(struct cc_memo *m, const struct vg_action_call *call, const char *target,
                 const char *val)
{
    char key[sizeof(m->keys[0])];

    if (memo_key(call, target, key, sizeof(key)) != 0) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    snprintf(m->keys[m->next], sizeof(m->keys[0]), "%s", key);
    snprintf(m->values[m->next], sizeof(m->values[0]), "%s", val);
    m->next = (m->next + 1) % CC_MEMO_N;
    pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Deliveries                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Fold a status into an outcome (see curl_common.h). */
void cc_outcome_note(struct cc_outcome *o, int rc)
{
    if (rc != VG_OK && (o->rc == VG_OK || rc == VG_EAGAIN)) {
        o->rc = rc;
    }
}

/* Record and return an outcome (see curl_common.h). */
int cc_outcome_finish(struct vg_ctx *ctx, struct cc_outcome *o)
{
    if (o->status.len > 0) {
        vg_action_result(ctx, "http_status", o->status.ptr);
    }
    cc_buf_free(&o->status);
    return o->rc;
}

/* POST to each webhook once per call (see curl_common.h). */
void cc_post_all(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                 const struct cc_transport *t, const char *const *urls, size_t n, const char *json,
                 cc_reply_fn fn, void *arg, struct cc_outcome *o)
{
    struct cc_reply *reply;
    size_t i;

    if (n == 0) {
        return;
    }
    reply = vg_alloc(sizeof(*reply));
    if (reply == NULL) {
        vg_set_error(ctx, "out of memory");
        cc_outcome_note(o, VG_ENOMEM);
        return;
    }
    for (i = 0; i < n; i++) {
        char target[32];
        char done[160];
        int rc;

        snprintf(target, sizeof(target), "webhook%zu", i);
        if (cc_memo_get(memo, call, target, done, sizeof(done))) {
            cc_buf_printf(&o->status, "%s%s", o->status.len ? "," : "", done);
            if (fn != NULL) {
                fn(ctx, call, NULL, arg);
            }
            continue;
        }
        rc = cc_http_send(ctx, call, t, "POST", urls[i], json, reply);
        if (reply->status > 0) {
            cc_buf_printf(&o->status, "%s%ld", o->status.len ? "," : "", reply->status);
        }
        cc_outcome_note(o, rc);
        if (rc == VG_OK) {
            snprintf(done, sizeof(done), "%ld", reply->status);
            cc_memo_put(memo, call, target, done);
            if (fn != NULL) {
                fn(ctx, call, reply, arg);
            }
        }
    }
    vg_free(reply);
}

/* Send a mail once per call (see curl_common.h). */
void cc_mail_once(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                  const struct cc_transport *t, const struct cc_mail *m, struct cc_outcome *o)
{
    char msgid[300];
    int rc;

    if (cc_memo_get(memo, call, "mail", msgid, sizeof(msgid))) {
        vg_action_result(ctx, "message_id", msgid);
        return;
    }
    rc = cc_smtp_send(ctx, call, t, m, msgid, sizeof(msgid));
    cc_outcome_note(o, rc);
    if (rc == VG_OK) {
        cc_memo_put(memo, call, "mail", msgid);
        vg_action_result(ctx, "message_id", msgid);
    }
}

/* Send an e-mail to people (see curl_common.h). */
void cc_letter_send(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                    const struct cc_transport *t, struct cc_letter *l, struct cc_outcome *o)
{
    struct cc_rcpts r = {0};
    struct cc_mail m;
    int rc;

    rc = cc_rcpts_add(ctx, &r, l->roles, l->to);
    if (rc == VG_OK) {
        rc = cc_rcpts_add(ctx, &r, NULL, l->more);
    }
    if (rc == VG_OK && r.n == 0) {
        vg_set_error(ctx, "no e-mail recipient: no one of the roles has an e-mail address");
        rc = VG_ERR;
    }
    if (rc == VG_OK && (l->subject.oom || l->body.oom)) {
        vg_set_error(ctx, "out of memory");
        rc = VG_ENOMEM;
    }
    if (rc == VG_OK) {
        m.to = (const char *const *)r.v;
        m.n_to = r.n;
        m.subject = l->subject.ptr != NULL ? l->subject.ptr : "";
        m.body = l->body.ptr != NULL ? l->body.ptr : "";
        cc_mail_once(ctx, call, memo, t, &m, o);
    } else {
        cc_outcome_note(o, rc);
    }
    cc_buf_free(&l->subject);
    cc_buf_free(&l->body);
    cc_rcpts_free(&r);
}

/* ------------------------------------------------------------------------------------------ */
/* libcurl                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Milliseconds left before the call's deadline (<= 0: none left). */
static int64_t time_left(struct vg_ctx *ctx, const struct vg_action_call *call)
{
    int64_t deadline = vg_call_deadline_ms(call);

    if (deadline <= 0) {
        return DEFAULT_TIMEOUT_MS;
    }
    return deadline - vg_now_ms(ctx);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct cc_reply *r = arg;
    size_t n = size * nmemb;
    size_t keep = CC_BODY_MAX - r->body_len;

    if (keep > n) {
        keep = n;
    }
    memcpy(r->body + r->body_len, data, keep);
    r->body_len += keep;
    r->body[r->body_len] = '\0';
    r->total_len += n;
    return r->total_len > BODY_LIMIT ? 0 : n;
}

/*
 * A libcurl handle with the options every transfer gets: deadline, no signals, allowed
 * protocols, CA file, err as its error buffer. NULL with *rc and the error set; `what` names
 * the transfer in it, `when` what the deadline passed before.
 */
static CURL *easy_open(struct vg_ctx *ctx, const struct vg_action_call *call,
                       const struct cc_transport *t, const char *protocols, const char *what,
                       const char *when, char *err, int *rc)
{
    int64_t left = time_left(ctx, call);
    CURL *c = curl_easy_init();

    if (c == NULL) {
        vg_set_error(ctx, "%s: cannot create a libcurl handle", what);
        *rc = VG_EAGAIN;
        return NULL;
    }
    if (left <= 0) {
        vg_set_error(ctx, "%s: the deadline passed %s", what, when);
        *rc = VG_ETIMEDOUT;
        goto out_fail;
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-action/1.0");
    if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK) {
        vg_set_error(ctx, "libcurl does not support %s", protocols);
        *rc = VG_ERR;
        goto out_fail;
    }
    if (t->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
    }
    *rc = VG_OK;
    return c;
out_fail:
    curl_easy_cleanup(c);
    return NULL;
}

/* Failures worth another attempt: the peer was unreachable or the transfer broke. */
static int transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_WEIRD_SERVER_REPLY:
        return 1;
    default:
        return 0;
    }
}

/* What a failed transfer means: VG_ETIMEDOUT past the deadline, VG_EAGAIN, or VG_ERR. */
static int curl_failure(struct vg_ctx *ctx, const struct vg_action_call *call, CURLcode rc,
                        const char *what, const char *err)
{
    const char *why = err[0] != '\0' ? err : curl_easy_strerror(rc);

    if (rc == CURLE_OPERATION_TIMEDOUT && time_left(ctx, call) <= 0) {
        vg_set_error(ctx, "%s: no answer before the deadline (%s)", what, why);
        return VG_ETIMEDOUT;
    }
    vg_set_error(ctx, "%s: %s", what, why);
    return transient(rc) ? VG_EAGAIN : VG_ERR;
}

/* Text for the output and the error: control characters shown as '.', cut at max bytes. */
static void excerpt(const char *in, size_t len, size_t max, char *out, size_t out_len)
{
    size_t i;
    size_t n = len < max ? len : max;

    if (n >= out_len) {
        n = out_len - 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];

        out[i] = ch < 0x20 || ch == 0x7f ? '.' : (char)ch;
    }
    out[n] = '\0';
}

/* The Authorization header with the bearer token; NULL after an error. Zeroed by the caller. */
static char *auth_header(struct vg_ctx *ctx, const char *ref)
{
    char *token = vg_secret_get(ctx, ref);
    char *hdr = NULL;
    size_t n;

    if (token == NULL) {
        return NULL;
    }
    n = strlen(token);
    if (n == 0 || strpbrk(token, "\r\n") != NULL) {
        vg_set_error(ctx, "the bearer token of %s is empty or holds a line break", ref);
        goto out_free;
    }
    hdr = vg_alloc(n + 32);
    if (hdr == NULL) {
        vg_set_error(ctx, "out of memory");
        goto out_free;
    }
    snprintf(hdr, n + 32, "Authorization: Bearer %s", token);
out_free:
    cc_secret_free(token);
    return hdr;
}

/* Free a header list, zeroing its strings first (one of them may hold a token). */
static void free_headers(struct curl_slist *h)
{
    struct curl_slist *p;

    for (p = h; p != NULL; p = p->next) {
        explicit_bzero(p->data, strlen(p->data));
    }
    curl_slist_free_all(h);
}

/* Send JSON by HTTP (see curl_common.h). */
int cc_http_send(struct vg_ctx *ctx, const struct vg_action_call *call,
                 const struct cc_transport *t, const char *method, const char *url,
                 const char *json, struct cc_reply *reply)
{
    char err[CURL_ERROR_SIZE];
    char origin[256];
    char what[300];
    char body[512];
    char line[900];
    struct curl_slist *hdrs = NULL;
    struct curl_slist *h;
    char *auth = NULL;
    CURLcode crc;
    CURL *c;
    int rc;

    memset(reply, 0, sizeof(*reply));
    err[0] = '\0';
    cc_url_origin(url, origin, sizeof(origin));
    snprintf(what, sizeof(what), "%s %s", method, origin);
    c = easy_open(ctx, call, t, "http,https", what, "before the request", err, &rc);
    if (c == NULL) {
        return rc;
    }
    if (t->bearer_token != NULL) {
        auth = auth_header(ctx, t->bearer_token);
        if (auth == NULL) {
            rc = VG_ERR;
            goto out_cleanup;
        }
    }
    h = curl_slist_append(hdrs, "Content-Type: application/json; charset=utf-8");
    h = h != NULL ? curl_slist_append(h, "Accept: application/json") : NULL;
    h = h != NULL ? curl_slist_append(h, "Expect:") : NULL;
    if (h != NULL && auth != NULL) {
        h = curl_slist_append(h, auth);
    }
    if (auth != NULL) {
        explicit_bzero(auth, strlen(auth));
        vg_free(auth);
    }
    if (h == NULL) {
        vg_set_error(ctx, "%s: out of memory", what);
        rc = VG_ENOMEM;
        goto out_cleanup;
    }
    hdrs = h;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    if (strcmp(method, "POST") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
    crc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    if (crc != CURLE_OK) {
        rc = curl_failure(ctx, call, crc, what, err);
        snprintf(line, sizeof(line), "%s: %s\n", what, err[0] ? err : curl_easy_strerror(crc));
        vg_action_output(ctx, line, strlen(line));
        goto out_cleanup;
    }
    excerpt(reply->body, reply->body_len, 200, body, sizeof(body));
    snprintf(line, sizeof(line), "%s: HTTP %ld%s%s\n", what, reply->status, body[0] ? " " : "",
             body);
    vg_action_output(ctx, line, strlen(line));
    if (reply->status >= 200 && reply->status <= 299) {
        rc = VG_OK;
    } else {
        excerpt(reply->body, reply->body_len, 300, body, sizeof(body));
        vg_set_error(ctx, "%s answered HTTP %ld%s%s", what, reply->status, body[0] ? ": " : "",
                     body);
        rc = reply->status >= 500 || reply->status == 429 || reply->status == 408 ? VG_EAGAIN
                                                                                  : VG_ERR;
    }
out_cleanup:
    curl_easy_cleanup(c);
    free_headers(hdrs);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* SMTP                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* A message being uploaded. */
struct upload {
    const char *ptr; /* the message */
    size_t len;      /* its bytes */
    size_t off;      /* bytes sent */
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb;

    if (n > u->len - u->off) {
        n = u->len - u->off;
    }
    memcpy(dst, u->ptr + u->off, n);
    u->off += n;
    return n;
}

static void rfc5322_date(int64_t ms, char *buf, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t s = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&s, &tm);
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void base64(struct cc_buf *b, const unsigned char *in, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        q[0] = tab[in[i] >> 2];
        q[1] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        q[2] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        q[3] = tab[in[i + 2] & 63];
        cc_buf_add(b, q, 4);
    }
    if (len - i == 1) {
        q[0] = tab[in[i] >> 2];
        q[1] = tab[(in[i] & 3) << 4];
        q[2] = '=';
        q[3] = '=';
        cc_buf_add(b, q, 4);
    } else if (len - i == 2) {
        q[0] = tab[in[i] >> 2];
        q[1] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        q[2] = tab[(in[i + 1] & 15) << 2];
        q[3] = '=';
        cc_buf_add(b, q, 4);
    }
}

/* Bytes of s (at most max) that end on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;

    while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    return n > 0 ? n : (len < max ? len : max);
}

/* Subject: as it is when short ASCII, else RFC 2047 base64 encoded-words, folded. */
static void subject_header(struct cc_buf *b, const char *subject)
{
    size_t len = strlen(subject);
    int plain = len <= 900 && strstr(subject, "=?") == NULL;
    size_t i;

    for (i = 0; i < len && plain; i++) {
        plain = (unsigned char)subject[i] < 0x80;
    }
    cc_buf_puts(b, "Subject: ");
    if (plain) {
        cc_buf_add(b, subject, len);
        cc_buf_puts(b, "\r\n");
        return;
    }
    /* 39 bytes give 52 base64 characters: with "Subject: " a line stays within 76. */
    for (i = 0; i < len;) {
        size_t n = utf8_cut(subject + i, len - i, 39);

        cc_buf_puts(b, i == 0 ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
        base64(b, (const unsigned char *)subject + i, n);
        cc_buf_puts(b, "?=");
        i += n;
    }
    cc_buf_puts(b, "\r\n");
}

/* The body with CRLF line ends, CR dropped, lines broken before MAIL_LINE_MAX bytes. */
static void mail_body(struct cc_buf *b, const char *body)
{
    size_t col = 0;
    const char *p;

    for (p = body; *p != '\0'; p++) {
        if (*p == '\r') {
            continue;
        }
        if (*p == '\n') {
            cc_buf_puts(b, "\r\n");
            col = 0;
            continue;
        }
        if (col >= MAIL_LINE_MAX && ((unsigned char)*p & 0xc0) != 0x80) {
            cc_buf_puts(b, "\r\n");
            col = 0;
        }
        cc_buf_add(b, p, 1);
        col++;
    }
    if (col > 0) {
        cc_buf_puts(b, "\r\n");
    }
}

/* A Message-ID unique to this mail: incident, transition and 64 random bits. */
static void message_id(const struct vg_action_call *call, const char *from, char *buf, size_t len)
{
    struct vg_str id = vg_call_incident_id(call);
    const char *domain = strrchr(from, '@');
    unsigned char rnd[8] = {0};
    char hex[17];
    size_t i;

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        memset(rnd, 0, sizeof(rnd));
    }
    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }
    snprintf(buf, len, "<%.*s.%s.%s@%s>", (int)(id.len < 64 ? id.len : 64),
             id.ptr != NULL ? id.ptr : "vigil", cc_transition_name(call), hex,
             domain != NULL ? domain + 1 : "localhost");
}

/* The whole message: headers, blank line, body. */
static int build_message(struct vg_ctx *ctx, const struct vg_action_call *call,
                         const struct cc_transport *t, const struct cc_mail *m, struct cc_buf *b,
                         char *msgid, size_t msgid_len)
{
    char date[64];
    size_t i;
    int rc;

    rc = cc_header_check(ctx, "the e-mail subject", m->subject);
    for (i = 0; i < m->n_to && rc == VG_OK; i++) {
        rc = cc_header_check(ctx, "an e-mail recipient", m->to[i]);
    }
    if (rc == VG_OK) {
        rc = cc_header_check(ctx, "the e-mail sender", t->smtp_from);
    }
    if (rc != VG_OK) {
        return rc;
    }
    rfc5322_date(vg_now_ms(ctx), date, sizeof(date));
    message_id(call, t->smtp_from, msgid, msgid_len);
    cc_buf_printf(b, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, t->smtp_from);
    for (i = 0; i < m->n_to; i++) {
        cc_buf_printf(b, "%s<%s>", i > 0 ? ",\r\n " : "", m->to[i]);
    }
    cc_buf_puts(b, "\r\n");
    subject_header(b, m->subject);
    cc_buf_printf(b, "Message-ID: %s\r\n", msgid);
    cc_buf_puts(b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
    mail_body(b, m->body);
    if (b->oom) {
        vg_set_error(ctx, "out of memory");
        return VG_ENOMEM;
    }
    return VG_OK;
}

/* The SMTP reply code decides for a refused message: 4xx later, 5xx never. */
static int smtp_failure(struct vg_ctx *ctx, const struct vg_action_call *call, CURLcode crc,
                        long code, const char *what, const char *err)
{
    const char *why = err[0] != '\0' ? err : curl_easy_strerror(crc);

    if (code >= 400 && code <= 499) {
        vg_set_error(ctx, "%s: %s (reply %ld: try again later)", what, why, code);
        return VG_EAGAIN;
    }
    if (code >= 500 && code <= 599) {
        vg_set_error(ctx, "%s: %s (reply %ld)", what, why, code);
        return VG_ERR;
    }
    return curl_failure(ctx, call, crc, what, err);
}

/* Send one e-mail (see curl_common.h). */
int cc_smtp_send(struct vg_ctx *ctx, const struct vg_action_call *call,
                 const struct cc_transport *t, const struct cc_mail *m, char *msgid,
                 size_t msgid_len)
{
    char err[CURL_ERROR_SIZE];
    char origin[256];
    char what[300];
    char line[600];
    struct cc_buf msg = {0};
    struct curl_slist *rcpt = NULL;
    struct upload up;
    char *password = NULL;
    CURLcode crc;
    long code = 0;
    CURL *c = NULL;
    size_t i;
    int rc;

    err[0] = '\0';
    msgid[0] = '\0';
    cc_url_origin(t->smtp_url, origin, sizeof(origin));
    snprintf(what, sizeof(what), "mail through %s", origin);
    if (m->n_to == 0) {
        vg_set_error(ctx, "%s: no recipients", what);
        return VG_ERR;
    }
    rc = build_message(ctx, call, t, m, &msg, msgid, msgid_len);
    if (rc != VG_OK) {
        goto out_free;
    }
    for (i = 0; i < m->n_to; i++) {
        char addr[300];
        struct curl_slist *n;

        snprintf(addr, sizeof(addr), "<%s>", m->to[i]);
        n = curl_slist_append(rcpt, addr);
        if (n == NULL) {
            rc = VG_ENOMEM;
            vg_set_error(ctx, "out of memory");
            goto out_free;
        }
        rcpt = n;
    }
    c = easy_open(ctx, call, t, "smtp,smtps", what, "before sending", err, &rc);
    if (c == NULL) {
        goto out_free;
    }
    if (t->smtp_password != NULL) {
        password = vg_secret_get(ctx, t->smtp_password);
        if (password == NULL) {
            rc = VG_ERR;
            goto out_free;
        }
        curl_easy_setopt(c, CURLOPT_PASSWORD, password);
    }
    if (t->smtp_username != NULL) {
        curl_easy_setopt(c, CURLOPT_USERNAME, t->smtp_username);
    }
    snprintf(line, sizeof(line), "<%s>", t->smtp_from);
    curl_easy_setopt(c, CURLOPT_URL, t->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, line);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     (long)(t->smtp_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    up.ptr = msg.ptr;
    up.len = msg.len;
    up.off = 0;
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    crc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (crc != CURLE_OK) {
        rc = smtp_failure(ctx, call, crc, code, what, err);
        snprintf(line, sizeof(line), "%s: %s\n", what, err[0] ? err : curl_easy_strerror(crc));
        vg_action_output(ctx, line, strlen(line));
        goto out_free;
    }
    snprintf(line, sizeof(line), "%s: sent %s to %zu recipient(s)\n", what, msgid, m->n_to);
    vg_action_output(ctx, line, strlen(line));
    rc = VG_OK;
out_free:
    if (c != NULL) {
        curl_easy_cleanup(c);
    }
    cc_secret_free(password);
    curl_slist_free_all(rcpt);
    cc_buf_free(&msg);
    return rc;
}
