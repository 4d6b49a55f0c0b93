/* SPDX-License-Identifier: MIT */
/*
 * What the HTTP and e-mail actions (notify, spare_dispatch, carrier_ticket) share, compiled
 * into each of them: JSON sent by HTTP POST/PATCH through libcurl with the call's deadline,
 * plain-text mail through libcurl's SMTP client, the transport options they all declare,
 * recipients from the inventory's roles, a small growing buffer, JSON look-ups, and a memo of
 * deliveries that lets a retried call skip the targets an earlier attempt already reached.
 * Everything is allocated with vg_alloc(); nothing here keeps mutable global state.
 */
#ifndef VG_PLUGINS_CURL_COMMON_H
#define VG_PLUGINS_CURL_COMMON_H

#include <libfastjson/json.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <vigil/plugin.h>

/* Bytes of a response body kept for the result and the error text. */
#define CC_BODY_MAX 4096
/* Deliveries the memo remembers per plugin instance. */
#define CC_MEMO_N 128

/* Transport options every HTTP/e-mail action declares (embedded in its config struct). */
struct cc_transport {
    const char *smtp_url;      /* smtp://host[:port] or smtps://, or NULL: no e-mail */
    const char *smtp_from;     /* envelope sender and From: address */
    const char *smtp_username; /* SMTP AUTH user name, or NULL */
    const char *smtp_password; /* secret ref ("file:..."/"env:...") of the SMTP password */
    int smtp_starttls;         /* 1: require STARTTLS on smtp:// */
    const char *bearer_token;  /* secret ref of the HTTP bearer token, or NULL */
    const char *ca_file;       /* CA bundle for https:// and smtps://, or NULL: the system's */
};

/* The option rows of struct cc_transport, for a plugin whose config has it as `member`. */
#define CC_TRANSPORT_OPTIONS(type, member)                                                \
    {"smtp_url",                                                                          \
     VG_OPT_STR,                                                                          \
     NULL,                                                                                \
     0,                                                                                   \
     offsetof(type, member.smtp_url),                                                     \
     "SMTP relay for e-mail: smtp://host:port or smtps://host:port"},                     \
        {"smtp_from",                                                                     \
         VG_OPT_STR,                                                                      \
         "\"vigil@localhost\"",                                                           \
         0,                                                                               \
         offsetof(type, member.smtp_from),                                                \
         "sender address of the e-mails (envelope and From:)"},                           \
        {"smtp_username",      VG_OPT_STR, NULL, 0, offsetof(type, member.smtp_username), \
         "SMTP AUTH user name"},                                                          \
        {"smtp_password",                                                                 \
         VG_OPT_STR,                                                                      \
         NULL,                                                                            \
         0,                                                                               \
         offsetof(type, member.smtp_password),                                            \
         "SMTP AUTH password as a secret ref (file:/path or env:NAME); needs TLS"},       \
        {"smtp_starttls",                                                                 \
         VG_OPT_BOOL,                                                                     \
         "false",                                                                         \
         0,                                                                               \
         offsetof(type, member.smtp_starttls),                                            \
         "require STARTTLS on an smtp:// relay"},                                         \
        {"bearer_token",                                                                  \
         VG_OPT_STR,                                                                      \
         NULL,                                                                            \
         0,                                                                               \
         offsetof(type, member.bearer_token),                                             \
         "secret ref of a token sent as Authorization: Bearer to the HTTP endpoints"},    \
    {                                                                                     \
        "ca_file", VG_OPT_STR, NULL, 0, offsetof(type, member.ca_file),                   \
            "CA certificates (PEM) for https:// and smtps://; default: the system's"      \
    }

/* The start of an HTTP response. */
struct cc_reply {
    long status;                /* HTTP status; 0 when none came */
    char body[CC_BODY_MAX + 1]; /* the first CC_BODY_MAX bytes of the body, NUL-terminated */
    size_t body_len;            /* bytes kept in body */
    size_t total_len;           /* bytes of the whole body */
};

/* One plain-text e-mail. */
struct cc_mail {
    const char *const *to; /* recipient addresses (checked with VG_VAL_EMAIL) */
    size_t n_to;           /* number of recipients */
    const char *subject;   /* UTF-8, no control characters; RFC 2047 encoded when not ASCII */
    const char *body;      /* UTF-8 text; LF line ends are sent as CRLF */
};

/* A text buffer that grows; oom is set (and appends ignored) once vg_alloc() fails. */
struct cc_buf {
    char *ptr;  /* NUL-terminated text, or NULL while empty */
    size_t len; /* bytes of text */
    size_t cap; /* bytes allocated */
    int oom;    /* 1: an allocation failed */
};

/* A list of distinct e-mail addresses. */
struct cc_rcpts {
    char **v; /* n addresses, each vg_alloc()ed */
    size_t n; /* number of addresses */
};

/*
 * An e-mail to people: recipients from roles and address lists, in that order and without
 * duplicates; subject and body built by the caller (an allocation that failed in either
 * fails the e-mail).
 */
struct cc_letter {
    const struct vg_strlist *roles; /* inventory roles whose people get it, or NULL */
    const struct vg_strlist *to;    /* addresses after the roles' people, or NULL */
    const struct vg_strlist *more;  /* addresses after those, or NULL */
    struct cc_buf subject;          /* UTF-8 subject text */
    struct cc_buf body;             /* UTF-8 body text */
};

/* What the deliveries of one call came to. */
struct cc_outcome {
    struct cc_buf status; /* HTTP statuses of the webhooks, comma separated */
    int rc;               /* VG_OK, or the failure that decides the call (VG_EAGAIN wins) */
};

/* Deliveries done by this instance: "incident|transition|target" -> a short result. */
struct cc_memo {
    pthread_mutex_t lock;        /* guards the entries: calls of one instance may run at once */
    char keys[CC_MEMO_N][192];   /* entry keys; "" for a free entry */
    char values[CC_MEMO_N][160]; /* what the delivery returned (status, message id, ticket) */
    unsigned next;               /* the entry the next put overwrites */
};

/*
 * Initialise libcurl for one plugin instance (libcurl counts these) and check the transport
 * options; need_mail says that this configuration sends e-mail, so smtp_url must be set.
 * Called from create() on the main thread. @return VG_OK, or VG_EINVAL with the error set
 */
int cc_transport_init(struct vg_ctx *ctx, const struct cc_transport *t, int need_mail);

/* Undo cc_transport_init(); called from destroy(). */
void cc_transport_fini(void);

/*
 * Make a plugin instance's state: check that each of webhooks (may be NULL) is an http:// or
 * https:// URL, cc_transport_init(), then `size` zeroed bytes of vg_alloc() whose first member
 * is a struct cc_memo, initialised. Called from create().
 * @return VG_OK with *state set; VG_EINVAL, a failure of cc_transport_init() or VG_ENOMEM
 * (error set)
 */
int cc_state_new(struct vg_ctx *ctx, const struct cc_transport *t,
                 const struct vg_strlist *webhooks, int need_mail, size_t size, void **state);

/* Free a state from cc_state_new() and undo its cc_transport_init(); a plugin's destroy(). */
void cc_state_free(void *state);

/* Whether url starts with http:// or https://. */
int cc_is_http(const char *url);

/*
 * Send json (UTF-8 text) by HTTP `method` ("POST", "PATCH", "PUT") to url, with
 * Content-Type application/json and, when the transport has one, the bearer token. The
 * timeout comes from vg_call_deadline_ms(call); redirects are followed to http(s) only.
 * reply gets the status and the start of the body; a line about it goes to the action output.
 * @return VG_OK on 2xx; VG_EAGAIN on 5xx, 429, connection or transfer failures; VG_ETIMEDOUT
 * when the deadline passed; VG_ERR on any other status (error set, with a body excerpt)
 */
int cc_http_send(struct vg_ctx *ctx, const struct vg_action_call *call,
                 const struct cc_transport *t, const char *method, const char *url,
                 const char *json, struct cc_reply *reply);

/*
 * Send one e-mail through the transport's SMTP relay, with Date, From, To, Subject,
 * Message-ID, MIME-Version and a text/plain; charset=utf-8 body; every header value is
 * checked for CR/LF first. The Message-ID (with its angle brackets) is written to msgid.
 * @return VG_OK; VG_EAGAIN on connection failures and 4xx replies; VG_ETIMEDOUT; VG_EINVAL
 * for a header that would inject lines; VG_ERR on 5xx replies (error set)
 */
int cc_smtp_send(struct vg_ctx *ctx, const struct vg_action_call *call,
                 const struct cc_transport *t, const struct cc_mail *m, char *msgid,
                 size_t msgid_len);

/*
 * Check that value has no CR, LF or other control character (TAB allowed) before it goes
 * into a mail or HTTP header; what names it in the error. @return VG_OK or VG_EINVAL
 */
int cc_header_check(struct vg_ctx *ctx, const char *what, const char *value);

/* Append text to b (len bytes; see cc_buf_puts and cc_buf_printf). */
void cc_buf_add(struct cc_buf *b, const char *text, size_t len);

/* Append a NUL-terminated string to b. */
void cc_buf_puts(struct cc_buf *b, const char *text);

/* Append formatted text to b. */
VG_PRINTF(2, 3) void cc_buf_printf(struct cc_buf *b, const char *fmt, ...);

/* Free b's text and empty it. */
void cc_buf_free(struct cc_buf *b);

/*
 * Add the e-mail addresses of the people having each role (vg_inventory_get "roles") and the
 * explicit addresses in `to` to r, without duplicates (case-insensitive). People without an
 * e-mail address are named in the action output. @return VG_OK, VG_EINVAL for a malformed
 * address (error set), VG_ENOMEM
 */
int cc_rcpts_add(struct vg_ctx *ctx, struct cc_rcpts *r, const struct vg_strlist *roles,
                 const struct vg_strlist *to);

/* Free the addresses of r. */
void cc_rcpts_free(struct cc_rcpts *r);

/*
 * The inventory's entry for key in section (vg_inventory_get()) parsed. @return the JSON
 * (release with fjson_object_put()), or NULL: *rc VG_OK when there is no such entry (no error
 * set), VG_ERR when it is not JSON (error set)
 */
struct fjson_object *cc_inventory(struct vg_ctx *ctx, const char *section, const char *key,
                                  int *rc);

/* A vg_alloc()ed copy of s (NULL stays NULL, and on failure). */
char *cc_strdup(const char *s);

/* Parse JSON text (len bytes); NULL when it is not JSON. Release with fjson_object_put(). */
struct fjson_object *cc_json_parse(const char *text, size_t len);

/*
 * The call's incident record (schemas/incident.schema.json) parsed; NULL after
 * vg_set_error(). Release with fjson_object_put().
 */
struct fjson_object *cc_record(struct vg_ctx *ctx, const struct vg_action_call *call);

/* vg_value_check(VG_VAL_TEXT) of a NUL-terminated value from the incident; NULL passes. */
int cc_text_check(struct vg_ctx *ctx, const char *what, const char *value);

/*
 * Check the texts of the record that came from events (title, key values, note, ...) with
 * vg_value_check(VG_VAL_TEXT) before they go into any payload. @return VG_OK or VG_EINVAL
 */
int cc_record_check(struct vg_ctx *ctx, struct fjson_object *rec);

/*
 * The member at a dotted path ("contact.email") of o; a number or boolean as text in buf
 * (at least 32 bytes). @return a string valid while o lives, or NULL when absent
 */
const char *cc_json_str(struct fjson_object *o, const char *path, char *buf, size_t len);

/* The member at a dotted path of o, any type, or NULL. */
struct fjson_object *cc_json_get(struct fjson_object *o, const char *path);

/* Add a string member (copied) to o when value is not NULL. */
void cc_json_add_str(struct fjson_object *o, const char *name, const char *value);

/* The JSON text of o as a vg_alloc()ed string; NULL on failure. */
char *cc_json_text(struct fjson_object *o);

/* The name of the call's transition ("open" .. "close"). */
const char *cc_transition_name(const struct vg_action_call *call);

/* The host part of a URL (scheme://host:port), for messages that must not show its path. */
void cc_url_origin(const char *url, char *buf, size_t len);

/* Prepare a memo in create(); cc_memo_fini() in destroy(). */
void cc_memo_init(struct cc_memo *m);

/* Release the memo's lock. */
void cc_memo_fini(struct cc_memo *m);

/*
 * Whether this incident transition already reached `target` in an earlier attempt of the
 * call; its value is copied to val. @return 1 when it did, 0 when not
 */
int cc_memo_get(struct cc_memo *m, const struct vg_action_call *call, const char *target, char *val,
                size_t len);

/* Remember that this incident transition reached target with result val. */
void cc_memo_put(struct cc_memo *m, const struct vg_action_call *call, const char *target,
                 const char *val);

/*
 * Called for each webhook that accepted the payload: reply is its answer, or NULL when an
 * earlier attempt of the call delivered it (the memo).
 */
typedef void (*cc_reply_fn)(struct vg_ctx *ctx, const struct vg_action_call *call,
                            const struct cc_reply *reply, void *arg);

/*
 * Fold one delivery's status into o: the first failure is kept, except that a transient one
 * (VG_EAGAIN) replaces it so that the core retries and the retry reaches that target.
 */
void cc_outcome_note(struct cc_outcome *o, int rc);

/* Record o's HTTP statuses as the result "http_status", free them, and return o->rc. */
int cc_outcome_finish(struct vg_ctx *ctx, struct cc_outcome *o);

/*
 * POST json to each of the n urls in turn, skipping those an earlier attempt of this call
 * reached (memo); fn (may be NULL) sees each success. Failures go into o, with the error set.
 */
void cc_post_all(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                 const struct cc_transport *t, const char *const *urls, size_t n, const char *json,
                 cc_reply_fn fn, void *arg, struct cc_outcome *o);

/*
 * Send m once per call (skipped when an earlier attempt sent it) and record its Message-ID
 * as the result "message_id"; a failure goes into o.
 */
void cc_mail_once(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                  const struct cc_transport *t, const struct cc_mail *m, struct cc_outcome *o);

/*
 * Send l once per call (cc_mail_once()) to its recipients, and free its subject and body. No
 * recipient at all, a malformed address or a failed allocation goes into o, with the error set.
 */
void cc_letter_send(struct vg_ctx *ctx, const struct vg_action_call *call, struct cc_memo *memo,
                    const struct cc_transport *t, struct cc_letter *l, struct cc_outcome *o);

/* Zero and free a secret from vg_secret_get(). */
void cc_secret_free(char *s);

#endif /* VG_PLUGINS_CURL_COMMON_H */
