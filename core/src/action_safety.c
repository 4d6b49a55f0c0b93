/* SPDX-License-Identifier: MIT */
/*
 * Value checks for text that came from events, and secrets by reference. An
 * action plugin calls these (through the host table) before a value reaches a
 * command line, an SNMP PDU, a mail header or a ticket.
 */
#include "action_safety.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VG_CORE
#include <vigil/plugin.h>

#include "util.h"

#define SECRET_MAX (64 * 1024)

/*
 * Bytes of the UTF-8 sequence at s (at most n) when it is text, or 0: not
 * well-formed, a C1 control (U+0080..U+009F), or the line and paragraph
 * separators (U+2028, U+2029), which end lines as a newline does.
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = utf8_seq_len(s, n);

    if ((len == 2 && s[0] == 0xc2 && s[1] <= 0x9f) ||
        (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))) {
        return 0;
    }
    return len;
}

static int fail(char *why, size_t why_len, const char *reason)
{
    snprintf(why, why_len, "%s", reason);
    return -1;
}

/* Every byte of value is ASCII and in the set: letters, digits and extra. */
static int ascii_in(const char *value, size_t len, const char *extra)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr(extra, c) != NULL))) {
            return 0;
        }
    }
    return 1;
}

static int check_text(const char *value, size_t len, char *why, size_t why_len)
{
    size_t i = 0;

    if (len > 4096) {
        return fail(why, why_len, "longer than 4096 bytes");
    }
    while (i < len) {
        size_t n = utf8_seq((const unsigned char *)value + i, len - i);

        if (n == 0) {
            return fail(why, why_len, "is not valid UTF-8 text");
        }
        if (n == 1 && ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)) {
            return fail(why, why_len, "contains a control character (newline, tab, NUL, ESC...)");
        }
        i += n;
    }
    return 0;
}

static int check_ip(const char *value, size_t len, char *why, size_t why_len)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];

    if (len == 0 || len >= sizeof(buf) || memchr(value, '\0', len) != NULL) {
        return fail(why, why_len, "is not an IP address");
    }
    memcpy(buf, value, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1) {
        return fail(why, why_len, "is not an IP address");
    }
    return 0;
}

static int check_email(const char *value, size_t len, char *why, size_t why_len)
{
    const char *at = memchr(value, '@', len);
    size_t i;

    if (len == 0 || len > 254 || at == NULL || at == value || at == value + len - 1 ||
        memchr(at + 1, '@', (size_t)(value + len - at - 1)) != NULL) {
        return fail(why, why_len, "is not an e-mail address (local@domain)");
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c <= 0x20 || c >= 0x7f || strchr("<>\"',;:()[]\\", c) != NULL) {
            return fail(why, why_len, "is not an e-mail address (local@domain)");
        }
    }
    return 0;
}

int value_check(uint32_t kind, const char *value, size_t len, char *why, size_t why_len)
{
    if (value == NULL) {
        return fail(why, why_len, "is missing");
    }
    switch (kind) {
    case VG_VAL_TEXT:
        return check_text(value, len, why, why_len);
    case VG_VAL_NAME:
        if (len == 0 || len > 253) {
            return fail(why, why_len, "must be 1 to 253 bytes");
        }
        /* A leading '-' would read as an option to any program it reaches. */
        if (value[0] == '-' || value[0] == '.' || !ascii_in(value, len, "._-")) {
            return fail(why, why_len,
                        "may hold only letters, digits, '.', '_' and '-' and "
                        "must not start with '-' or '.'");
        }
        return 0;
    case VG_VAL_IFNAME:
        if (len == 0 || len > 64) {
            return fail(why, why_len, "must be 1 to 64 bytes");
        }
        if (value[0] == '-' || !ascii_in(value, len, "/._:-")) {
            return fail(why, why_len, "may hold only letters, digits, '/', '.', '_', ':' and '-'");
        }
        return 0;
    case VG_VAL_IP:
        return check_ip(value, len, why, why_len);
    case VG_VAL_ID:
        if (len == 0 || len > 128) {
            return fail(why, why_len, "must be 1 to 128 bytes");
        }
        if (value[0] == '-' || !ascii_in(value, len, "._:/#-")) {
            return fail(why, why_len,
                        "may hold only letters, digits, '.', '_', ':', '/', '#' and "
                        "'-'");
        }
        return 0;
    case VG_VAL_EMAIL:
        return check_email(value, len, why, why_len);
    default:
        return fail(why, why_len, "has an unknown value kind");
    }
}

const char *value_kind_name(uint32_t kind)
{
    static const char *const names[] = {
        "?", "text", "host name", "interface name", "IP address", "identifier", "e-mail address"};

    return kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

void value_excerpt(const char *value, size_t len, size_t max, char *out, size_t out_len)
{
    struct sbuf b = {0};
    size_t i;
    size_t n = len < max ? len : max;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];

        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '"') {
            sbuf_printf(&b, "\\x%02x", c);
        } else {
            sbuf_addc(&b, (char)c);
        }
    }
    if (n < len) {
        sbuf_adds(&b, "...");
    }
    snprintf(out, out_len, "%s", b.buf != NULL ? b.buf : "");
    sbuf_free(&b);
}

static char *secret_file(const char *path, char *err, size_t err_len)
{
    struct stat st;
    char *buf;
    ssize_t n;
    size_t len = 0;
    int fd;

    if (path[0] != '/') {
        snprintf(err, err_len, "secret file:%s: the path must be absolute", path);
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, err_len, "secret file:%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "secret file:%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        snprintf(err, err_len,
                 "secret file:%s: must belong to vigil's user (uid %u) and be readable by no one "
                 "else (chmod 600); it is uid %u mode %03o",
                 path, (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
        close(fd);
        return NULL;
    }
    if (st.st_size > SECRET_MAX) {
        snprintf(err, err_len, "secret file:%s: larger than %d bytes", path, SECRET_MAX);
        close(fd);
        return NULL;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0) {
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len > 0 && buf[len - 1] == '\n') {
        buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
    }
    if (len == 0 || strlen(buf) != len) {
        snprintf(err, err_len, "secret file:%s: empty or holds a NUL byte", path);
        explicit_bzero(buf, len);
        free(buf);
        return NULL;
    }
    return buf;
}

char *secret_read(const char *ref, char *err, size_t err_len)
{
    if (ref == NULL) {
        snprintf(err, err_len, "no secret reference given");
        return NULL;
    }
    if (strncmp(ref, "file:", 5) == 0) {
        return secret_file(ref + 5, err, err_len);
    }
    if (strncmp(ref, "env:", 4) == 0) {
        const char *v = ref[4] != '\0' ? getenv(ref + 4) : NULL;

        if (v == NULL || v[0] == '\0') {
            snprintf(err, err_len, "secret %s: the environment variable is not set", ref);
            return NULL;
        }
        return xstrdup(v);
    }
    /* Never echo the text: it may be a secret written inline by mistake. */
    snprintf(err, err_len,
             "a secret must be a reference, \"file:/path\" or \"env:NAME\" (the value given is "
             "neither and is not shown)");
    return NULL;
}
