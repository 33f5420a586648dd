/* wallet-entry: the strict JSON reader (json.h). */
#include "json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Where a read stands; bad is the first byte that did not fit (NULL: none yet). */
struct rd {
	const char *p, *end, *bad;
};

static bool fail(struct rd *r)
{
	if (r->bad == NULL)
		r->bad = r->p;
	return false;
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool literal(struct rd *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return fail(r);
	r->p += n;
	return true;
}

/* The four hex digits after "\u" at p, when they are there. */
static bool hex4(const char *p, const char *end, unsigned *out)
{
	char digits[5];
	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return false;
	for (int i = 2; i < 6; i++)
		if (!isxdigit((unsigned char)p[i]))
			return false;
	memcpy(digits, p + 2, 4);
	digits[4] = '\0';
	*out = (unsigned)strtoul(digits, NULL, 16);
	return true;
}

/* One UTF-8 sequence that starts with a byte >= 0x80: no overlong form, no surrogate,
 * nothing above U+10FFFF. */
static bool utf8_seq(struct rd *r)
{
	const unsigned char *s = (const unsigned char *)r->p;
	size_t left = (size_t)(r->end - r->p), n;
	unsigned cp, min;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2, min = 0x80, cp = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3, min = 0x800, cp = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4, min = 0x10000, cp = s[0] & 0x07u;
	} else {
		return fail(r);
	}
	if (left < n)
		return fail(r);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return fail(r);
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return fail(r);
	r->p += n;
	return true;
}

/* A backslash escape at r->p; a high surrogate must be followed by a low one. */
static bool escape(struct rd *r)
{
	unsigned u, lo;
	if (r->end - r->p < 2)
		return fail(r);
	char e = r->p[1];
	if (e != '\0' && strchr("\"\\/bfnrt", e) != NULL) {
		r->p += 2;
		return true;
	}
	if (!hex4(r->p, r->end, &u))
		return fail(r);
	if (u >= 0xDC00 && u <= 0xDFFF)
		return fail(r);
	if (u >= 0xD800 && u <= 0xDBFF) {
		if (!hex4(r->p + 6, r->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return fail(r);
		r->p += 6;
	}
	r->p += 6;
	return true;
}

/* A string at r->p (its opening quote). */
static bool string(struct rd *r)
{
	r->p++;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p;
		if (c == '"') {
			r->p++;
			return true;
		}
		if (c < 0x20) /* control characters, NUL included, must be escaped */
			return fail(r);
		if (c == '\\') {
			if (!escape(r))
				return false;
		} else if (c >= 0x80) {
			if (!utf8_seq(r))
				return false;
		} else {
			r->p++;
		}
	}
	return fail(r);
}

static bool digits(struct rd *r)
{
	const char *start = r->p;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start ? true : fail(r);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct rd *r)
{
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (!digits(r))
		return false;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!digits(r))
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!digits(r))
			return false;
	}
	return true;
}

static bool value(struct rd *r, int depth);

/* An object or an array at r->p (its opening bracket). */
static bool container(struct rd *r, int depth)
{
	bool object = *r->p == '{';
	char close = object ? '}' : ']';
	if (depth >= ENT_JSON_MAX_DEPTH)
		return fail(r);
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return true;
	}
	for (;;) {
		skip_ws(r);
		if (object) {
			if (r->p >= r->end || *r->p != '"' || !string(r))
				return fail(r);
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return fail(r);
			r->p++;
		}
		if (!value(r, depth + 1))
			return false;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return true;
		}
		return fail(r);
	}
}

static bool value(struct rd *r, int depth)
{
	skip_ws(r);
	if (r->p >= r->end)
		return fail(r);
	switch (*r->p) {
	case '{':
	case '[':
		return container(r, depth);
	case '"':
		return string(r);
	case 't':
		return literal(r, "true");
	case 'f':
		return literal(r, "false");
	case 'n':
		return literal(r, "null");
	default:
		if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
			return number(r);
		return fail(r);
	}
}

static enum ent_json_type type_of(char c)
{
	switch (c) {
	case '{':
		return ENT_JSON_OBJECT;
	case '[':
		return ENT_JSON_ARRAY;
	case '"':
		return ENT_JSON_STRING;
	case 't':
		return ENT_JSON_TRUE;
	case 'f':
		return ENT_JSON_FALSE;
	case 'n':
		return ENT_JSON_NULL;
	default:
		return ENT_JSON_NUMBER;
	}
}

/* The value at r->p as a span (of a checked document: it fits). */
static bool span_at(struct rd *r, struct ent_json_span *out)
{
	skip_ws(r);
	const char *start = r->p;
	if (!value(r, 0))
		return false;
	out->type = type_of(*start);
	out->p = start;
	out->len = (size_t)(r->p - start);
	return true;
}

bool ent_json_check(const char *text, size_t len, struct ent_json_span *root, size_t *errat)
{
	struct rd r = {text, text + len, NULL};
	struct ent_json_span s;
	bool ok = span_at(&r, &s);
	if (ok) {
		skip_ws(&r);
		ok = r.p == r.end || fail(&r);
	}
	if (!ok) {
		*errat = (size_t)(r.bad - text);
		return false;
	}
	*root = s;
	return true;
}

void ent_json_iter_init(struct ent_json_iter *it, const struct ent_json_span *c)
{
	it->object = c->type == ENT_JSON_OBJECT;
	it->p = c->p + 1;
	it->end = c->p + c->len - 1; /* the closing bracket */
}

bool ent_json_next(struct ent_json_iter *it, struct ent_json_span *key, struct ent_json_span *val)
{
	struct rd r = {it->p, it->end, NULL};
	skip_ws(&r);
	if (r.p < r.end && *r.p == ',')
		r.p++;
	skip_ws(&r);
	if (r.p >= r.end)
		return false;
	if (it->object) {
		if (!span_at(&r, key))
			return false;
		skip_ws(&r);
		r.p++; /* ':' */
	}
	if (!span_at(&r, val))
		return false;
	it->p = r.p;
	return true;
}

/* Writes code point cp as UTF-8; returns the number of bytes. */
static size_t put_utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t ent_json_string(const struct ent_json_span *s, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = s->p + 1, *end = s->p + s->len - 1; /* inside the quotes */
	size_t n = 0;
	while (p < end) {
		if (*p != '\\') {
			out[n++] = *p++;
			continue;
		}
		const char *e = strchr(from, p[1]);
		if (e != NULL && p[1] != '\0') {
			out[n++] = to[e - from];
			p += 2;
			continue;
		}
		unsigned u = 0, lo = 0;
		(void)hex4(p, end, &u);
		p += 6;
		if (u >= 0xD800 && u <= 0xDBFF && hex4(p, end, &lo)) {
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			p += 6;
		}
		n += put_utf8(u, out + n);
	}
	out[n] = '\0';
	return n;
}
