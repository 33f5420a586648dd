/* libwalletclient: the framing of an HTTP/1.1 answer (httpmsg.h). Strict where a lax reading
 * could make two parties disagree on where an answer ends (RFC 9112 section 6 and 11.2):
 * one Content-Length, no folded or nameless header lines, no transfer coding but chunked. */
#include "httpmsg.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t wc_http_head_end(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

/* RFC 9110 5.6.2: the characters of a token. */
static bool tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* A field value may hold visible characters, spaces, tabs and obs-text; no other control. */
static bool value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Whether the comma-separated list v[0..n) holds the token tok (any case). */
static bool list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0, tl = strlen(tok);
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return true;
	}
	return false;
}

/* Content-Length: one decimal number, at most 18 digits; a repeated field must agree. */
static bool take_length(const char *v, size_t n, struct wc_http_head *h)
{
	uint64_t x = 0;
	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (h->has_length && h->length != x)
		return false;
	h->has_length = true;
	h->length = x;
	return true;
}

/* "HTTP/1.x NNN[ reason]" */
static cw_status status_line(const char *l, size_t n, struct wc_http_head *h, const char **why)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (n > 12 && l[12] != ' ') || !value_ok(l, n)) {
		*why = "not an HTTP/1.x status line";
		return CW_ERR_PROTOCOL;
	}
	h->http11 = l[7] == '1';
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	return CW_OK;
}

static cw_status header_line(const char *l, size_t n, struct wc_http_head *h, bool *te,
                             const char **why)
{
	size_t k = 0;
	while (k < n && tchar((unsigned char)l[k]))
		k++;
	if (k == 0 || k == n || l[k] != ':') {
		*why = l[0] == ' ' || l[0] == '\t' ? "folded header line" : "malformed header line";
		return CW_ERR_PROTOCOL;
	}
	const char *v = l + k + 1;
	size_t vn = n - k - 1;
	while (vn > 0 && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (!value_ok(v, vn)) {
		*why = "control character in a header value";
		return CW_ERR_PROTOCOL;
	}
	if (name_is(l, k, "Content-Length") && !take_length(v, vn, h)) {
		*why = "invalid Content-Length";
		return CW_ERR_PROTOCOL;
	}
	if (name_is(l, k, "Transfer-Encoding")) {
		if (*te || vn != 7 || strncasecmp(v, "chunked", 7) != 0) {
			*why = "unsupported transfer coding";
			return CW_ERR_PROTOCOL;
		}
		*te = true;
	}
	if (name_is(l, k, "Connection") && list_has(v, vn, "close"))
		h->close = true;
	if (name_is(l, k, "ETag")) {
		/* kept only when valid: it goes back to the server in If-None-Match */
		h->etag[0] = '\0';
		if (cw_etag_valid(v, vn)) {
			memcpy(h->etag, v, vn);
			h->etag[vn] = '\0';
		}
	}
	if (name_is(l, k, "Date"))
		h->date = wc_http_date(v, vn);
	if (name_is(l, k, "Last-Modified")) {
		time_t t = wc_http_date(v, vn);
		h->last_modified = t != -1 ? t : (time_t)INT64_MAX;
	}
	return CW_OK;
}

/* n digits at v as a number, or -1. */
static int digits(const char *v, size_t n)
{
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* The index of the three letters at v in names (12 or 7 of them), or -1. */
static int name_index(const char *v, const char *names, int count)
{
	for (int i = 0; i < count; i++)
		if (memcmp(v, names + 3 * i, 3) == 0)
			return i;
	return -1;
}

time_t wc_http_date(const char *v, size_t n)
{
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (n != 29 || name_index(v, days, 7) < 0 || memcmp(v + 3, ", ", 2) != 0 || v[7] != ' ' ||
	    v[11] != ' ' || v[16] != ' ' || v[19] != ':' || v[22] != ':' ||
	    memcmp(v + 25, " GMT", 4) != 0)
		return -1;
	int day = digits(v + 5, 2), mon = name_index(v + 8, months, 12), year = digits(v + 12, 4),
	    hh = digits(v + 17, 2), mm = digits(v + 20, 2), ss = digits(v + 23, 2);
	if (day < 1 || day > 31 || mon < 0 || year < 1970 || hh > 23 || mm > 59 || ss > 60 ||
	    hh < 0 || mm < 0 || ss < 0)
		return -1;
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = mon,
	                .tm_mday = day,
	                .tm_hour = hh,
	                .tm_min = mm,
	                .tm_sec = ss};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != day) /* a day the month does not have */
		return -1;
	return t;
}

cw_status wc_http_parse_head(const char *buf, size_t len, struct wc_http_head *h, const char **why)
{
	bool te = false, first = true;
	memset(h, 0, sizeof *h);
	h->date = h->last_modified = -1;
	*why = "";
	if (len > WC_HTTP_MAX_HEAD) {
		*why = "header section too large";
		return CW_ERR_PROTOCOL;
	}
	size_t i = 0;
	for (;;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL) {
			*why = "incomplete header section";
			return CW_ERR_PROTOCOL;
		}
		size_t n = (size_t)(nl - (buf + i));
		const char *l = buf + i;
		i += n + 1;
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (memchr(l, '\r', n) != NULL) {
			*why = "bare CR in the header section";
			return CW_ERR_PROTOCOL;
		}
		cw_status st;
		if (first)
			st = status_line(l, n, h, why);
		else if (n == 0)
			break;
		else
			st = header_line(l, n, h, &te, why);
		if (st != CW_OK)
			return st;
		first = false;
	}
	if (i != len) {
		*why = "bytes after the header section";
		return CW_ERR_PROTOCOL;
	}
	h->body = h->status >= 200 && h->status != 204 && h->status != 304;
	if (te) {
		/* a length next to a transfer coding may have been meant for another party: the
		 * coding decides, and the connection is not used again (RFC 9112 6.3) */
		if (h->has_length)
			h->close = true;
		h->chunked = true;
		h->has_length = false;
	}
	if (!h->http11 || (h->body && !h->chunked && !h->has_length))
		h->close = true; /* HTTP/1.0, or a body that ends where the connection ends */
	return CW_OK;
}

enum { CH_SIZE, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

#define CH_MAX_LINE 4096
#define CH_MAX_DIGITS 15 /* below 2^60: no overflow */

/* One byte of a chunk-size line: hex digits, then an extension to the line end. */
static cw_status size_byte(struct wc_chunked *c, unsigned char ch, const char **why)
{
	if (++c->linelen > CH_MAX_LINE) {
		*why = "chunk size line too long";
		return CW_ERR_PROTOCOL;
	}
	if (ch == '\n') {
		if (c->ndigits == 0) {
			*why = "malformed chunk size";
			return CW_ERR_PROTOCOL;
		}
		c->digits[c->ndigits] = '\0';
		c->left = strtoull(c->digits, NULL, 16); /* at most 15 digits: no overflow */
		c->state = c->left == 0 ? CH_TRAILER : CH_DATA;
		c->linelen = 0;
		return CW_OK;
	}
	if (c->ext)
		return CW_OK;
	if (isxdigit(ch) && c->ndigits < CH_MAX_DIGITS) {
		c->digits[c->ndigits++] = (char)ch;
		return CW_OK;
	}
	if (c->ndigits > 0 && (ch == ';' || ch == ' ' || ch == '\t' || ch == '\r')) {
		c->ext = true; /* an extension (ignored), or the CR before LF */
		return CW_OK;
	}
	*why = "malformed chunk size";
	return CW_ERR_PROTOCOL;
}

/* One byte of the trailer section: lines up to an empty one. */
static cw_status trailer_byte(struct wc_chunked *c, unsigned char ch, const char **why)
{
	if (++c->trailers > WC_HTTP_MAX_HEAD) {
		*why = "trailer section too large";
		return CW_ERR_PROTOCOL;
	}
	if (ch == '\n') {
		if (c->linelen == 0)
			c->state = CH_DONE;
		c->linelen = 0;
	} else if (ch != '\r' || c->linelen > 0) {
		c->linelen++;
	}
	return CW_OK;
}

cw_status wc_chunked_feed(struct wc_chunked *c, const unsigned char *in, size_t n, size_t *used,
                          bool *done, wc_http_sink sink, void *arg, const char **why)
{
	size_t i = 0;
	cw_status st = CW_OK;
	*why = "";
	while (i < n && c->state != CH_DONE && st == CW_OK) {
		unsigned char ch = in[i];
		switch (c->state) {
		case CH_SIZE:
			st = size_byte(c, ch, why);
			i++;
			break;
		case CH_DATA: {
			size_t k = n - i;
			if ((uint64_t)k > c->left)
				k = (size_t)c->left;
			st = sink(arg, in + i, k);
			c->left -= k;
			i += k;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (ch == '\r' && c->state == CH_DATA_CR) {
				c->state = CH_DATA_LF;
			} else if (ch == '\n') {
				c->state = CH_SIZE;
				c->ndigits = 0;
				c->ext = false;
			} else {
				*why = "chunk not followed by a line end";
				st = CW_ERR_PROTOCOL;
			}
			i++;
			break;
		case CH_TRAILER:
			st = trailer_byte(c, ch, why);
			i++;
			break;
		default:
			break;
		}
	}
	*used = i;
	*done = c->state == CH_DONE;
	return st;
}
