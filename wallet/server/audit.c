#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "objstore.h"

#define LINE_MAX_BYTES 4096 /* the longest line is ~2.5 KiB: see the field bounds below */
#define METHOD_MAX 32

struct audit_log {
	int fd;
	bool owned;
};

cw_status audit_open(const char *path, audit_log **out)
{
	*out = NULL;
	audit_log *a = calloc(1, sizeof *a);
	if (a == NULL)
		return CW_ERR_NOMEM;
	a->fd = STDERR_FILENO;
	if (path != NULL && strcmp(path, "-") != 0) {
		a->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (a->fd < 0) {
			int saved = errno;
			free(a);
			errno = saved;
			return CW_ERR_IO;
		}
		a->owned = true;
	}
	*out = a;
	return CW_OK;
}

void audit_close(audit_log *a)
{
	if (a == NULL)
		return;
	if (a->owned)
		close(a->fd);
	free(a);
}

/* A line being built; once full it stays full (the line is then dropped, never cut). */
struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
	bool full;
};

static void put_raw(struct line *l, const char *s, size_t n)
{
	if (l->full || n > sizeof l->buf - l->len) {
		l->full = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

__attribute__((format(printf, 2, 3))) static void put_fmt(struct line *l, const char *fmt, ...)
{
	va_list ap;
	if (l->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof l->buf - l->len)
		l->full = true;
	else
		l->len += (size_t)n;
}

/* ,"key": then a JSON string of at most max bytes of s (escaped as cJSON does: quote,
 * backslash and control characters; other bytes as they are), or null for NULL. */
static void put_str(struct line *l, const char *key, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	put_fmt(l, ",\"%s\":", key);
	if (s == NULL) {
		put_raw(l, "null", 4);
		return;
	}
	put_raw(l, "\"", 1);
	for (size_t i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put_raw(l, esc, 2);
		} else if (c < 0x20) {
			put_raw(l, esc, 6);
		} else {
			put_raw(l, (const char *)&c, 1);
		}
	}
	put_raw(l, "\"", 1);
}

/* The raw path or method as sent may hold any byte: keep the log valid UTF-8 and one line
 * (escapes the client sent stay as they were). NULL (a request refused before it was parsed
 * that far) stays NULL, written as null. */
static const char *safe_path(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (in == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 < outsz; p++) {
		if (*p > 0x20 && *p < 0x7f) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* RFC 3339 UTC with milliseconds; the date and time part is formatted once a second per
 * thread. */
static void put_time(struct line *l)
{
	static _Thread_local time_t last = -1;
	static _Thread_local char base[WS_TIME_UTC_LEN];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		ws_time_utc(ts.tv_sec, base);
		last = ts.tv_sec;
	}
	put_fmt(l, "{\"time\":\"%s.%03ldZ\"", base, ts.tv_nsec / 1000000);
}

void audit_request(audit_log *a, const cw_https_req *req, const char *reason, uint64_t duration_us)
{
	char pathbuf[520], methodbuf[METHOD_MAX + 4];
	struct line l;
	if (a == NULL)
		return;
	l.len = 0;
	l.full = false;
	const char *path = safe_path(req->path, pathbuf, sizeof pathbuf);
	const char *method = safe_path(req->method, methodbuf, sizeof methodbuf);
	put_time(&l);
	bool v = req->peer->verified;
	put_str(&l, "client", v && req->peer->cn[0] != '\0' ? req->peer->cn : NULL,
	        CW_CLIENT_NAME_MAX);
	put_str(&l, "cert_sha256", v ? req->peer->sha256 : NULL, 64);
	put_str(&l, "method", method, METHOD_MAX);
	put_str(&l, "path", path, sizeof pathbuf);
	put_str(&l, "object", req->object[0] != '\0' ? req->object : NULL, CW_NAME_MAX);
	if (req->version != 0)
		put_fmt(&l, ",\"version\":%llu", (unsigned long long)req->version);
	else
		put_raw(&l, ",\"version\":null", 15);
	put_fmt(&l, ",\"status\":%d,\"bytes\":%llu,\"duration_ms\":%llu.%03llu", req->status,
	        (unsigned long long)req->bytes, (unsigned long long)(duration_us / 1000),
	        (unsigned long long)(duration_us % 1000));
	if (reason != NULL)
		put_str(&l, "reason", reason, 128);
	put_raw(&l, "}\n", 2);
	if (l.full)
		return;                          /* cannot happen with the bounds above */
	(void)cw_write_all(a->fd, l.buf, l.len); /* an audit line that cannot be written is lost */
}
