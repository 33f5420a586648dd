/* wallet-entry: the JSON reader (json.h). */
#include "json.h"

#include <string.h>

/* Where a read stands; bad is the first byte that did not fit (NULL: none yet). */
struct rd {
	const unsigned char *p, *end, *bad;
};

static bool fail(struct rd *r)
{
	if (r->bad == NULL)
		r->bad = r->p;
	return false;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && is_ws(*r->p))
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

/* The four hex digits at p (end bounds them). */
static bool hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return false;
	static const char digits[] = "0123456789abcdef0123456789ABCDEF";
	for (int i = 0; i < 4; i++) {
		const char *d = p[i] != '\0' ? strchr(digits, p[i]) : NULL;
		if (d == NULL)
			return false;
		v = v << 4 | ((unsigned)(d - digits) & 15);
	}
	*out = v;
	return true;
}

/* A \u escape at p ("\uXXXX", with its low half when XXXX is a high surrogate): its length
 * and code point, or 0 when it is not valid. */
static size_t u_escape(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
	unsigned hi, lo;
	if (!hex4(p + 2, end, &hi) || (hi >= 0xDC00 && hi <= 0xDFFF))
		return 0;
	if (hi < 0xD800 || hi > 0xDBFF) {
		*cp = hi;
		return 6;
	}
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, end, &lo) || lo < 0xDC00 ||
	    lo > 0xDFFF)
		return 0;
	*cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	return 12;
}

/* One UTF-8 sequence that starts with a byte >= 0x80: no overlong form, no surrogate,
 * nothing above U+10FFFF. */
static bool utf8_seq(struct rd *r)
{
	const unsigned char *s = r->p;
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
	unsigned cp;
	size_t n = 0;
	if (r->end - r->p < 2)
		return fail(r);
	if (r->p[1] == 'u')
		n = u_escape(r->p, r->end, &cp);
	else if (r->p[1] != '\0' && strchr("\"\\/bfnrt", r->p[1]) != NULL)
		n = 2;
	if (n == 0)
		return fail(r);
	r->p += n;
	return true;
}

/* A string at r->p (its opening quote). */
static bool string(struct rd *r)
{
	r->p++;
	while (r->p < r->end) {
		unsigned char c = *r->p;
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
	const unsigned char *start = r->p;
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
	unsigned char close = object ? '}' : ']';
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

static enum ent_json_type type_of(unsigned char c)
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

/* The value at r->p, after white space, as a span; depth: how many containers hold it. */
static bool span_at(struct rd *r, int depth, struct ent_json *out)
{
	skip_ws(r);
	const unsigned char *start = r->p;
	if (!value(r, depth))
		return false;
	out->type = type_of(*start);
	out->p = start;
	out->len = (size_t)(r->p - start);
	return true;
}

bool ent_json_parse(const unsigned char *data, size_t len, struct ent_json *out, size_t *errat)
{
	struct ent_json v;
	if (data == NULL) {
		if (errat != NULL)
			*errat = 0;
		return false;
	}
	struct rd r = {data, data + len, NULL};
	bool ok = span_at(&r, 0, &v);
	if (ok) {
		skip_ws(&r);
		ok = r.p == r.end || fail(&r);
	}
	if (!ok) {
		if (errat != NULL)
			*errat = (size_t)(r.bad - data);
		return false;
	}
	*out = v;
	return true;
}

bool ent_json_next(const struct ent_json *c, size_t *pos, struct ent_json *key,
                   struct ent_json *val)
{
	bool object = c->type == ENT_JSON_OBJECT;
	if ((!object && c->type != ENT_JSON_ARRAY) || *pos >= c->len)
		return false;
	/* up to the closing bracket; a value inside a parsed one: its depth was checked then */
	struct rd r = {c->p + (*pos == 0 ? 1 : *pos), c->p + c->len - 1, NULL};
	skip_ws(&r);
	if (r.p < r.end && *r.p == ',')
		r.p++;
	skip_ws(&r);
	if (r.p >= r.end)
		return false;
	if (object) {
		struct ent_json k;
		if (!span_at(&r, 0, &k) || k.type != ENT_JSON_STRING)
			return false;
		if (key != NULL)
			*key = k;
		skip_ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			return false;
	}
	if (!span_at(&r, 0, val))
		return false;
	*pos = (size_t)(r.p - c->p);
	return true;
}

/* The next character of a string's body at *pp (a valid string: see scan_string): its bytes,
 * decoded, into buf (at most 4). Advances *pp. */
static size_t str_char(const unsigned char **pp, const unsigned char *end, unsigned char buf[4])
{
	const unsigned char *p = *pp;
	unsigned cp;
	if (*p != '\\') {
		buf[0] = *p;
		*pp = p + 1;
		return 1;
	}
	if (p[1] != 'u') {
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		buf[0] = (unsigned char)to[strchr(from, p[1]) - from];
		*pp = p + 2;
		return 1;
	}
	*pp = p + u_escape(p, end, &cp);
	if (cp < 0x80) {
		buf[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (unsigned char)(0xC0 | cp >> 6);
		buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (unsigned char)(0xE0 | cp >> 12);
		buf[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	buf[0] = (unsigned char)(0xF0 | cp >> 18);
	buf[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	buf[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t ent_json_string(const struct ent_json *s, char *out)
{
	unsigned char buf[4];
	const unsigned char *p = s->p + 1, *end = s->p + s->len - 1; /* inside the quotes */
	size_t n = 0;
	while (p < end) {
		size_t k = str_char(&p, end, buf);
		memcpy(out + n, buf, k);
		n += k;
	}
	out[n] = '\0';
	cw_wipe(buf, sizeof buf);
	return n;
}

bool ent_json_string_equals(const struct ent_json *s, const char *b, size_t n)
{
	unsigned char buf[4];
	const unsigned char *p = s->p + 1, *end = s->p + s->len - 1;
	size_t i = 0;
	bool eq = s->type == ENT_JSON_STRING && s->len >= 2;
	while (eq && p < end) {
		size_t k = str_char(&p, end, buf);
		eq = k <= n - i && memcmp(buf, b + i, k) == 0;
		i += k;
	}
	cw_wipe(buf, sizeof buf);
	return eq && i == n;
}

cw_status ent_json_member(const struct ent_json *obj, const char *name, size_t n,
                          struct ent_json *out)
{
	struct ent_json o = *obj, k, v; /* out may be obj */
	size_t pos = 0;
	cw_status st = CW_ERR_NOTFOUND;
	if (o.type != ENT_JSON_OBJECT)
		return CW_ERR_NOTFOUND;
	while (ent_json_next(&o, &pos, &k, &v)) {
		if (!ent_json_string_equals(&k, name, n))
			continue;
		if (st == CW_OK)
			return CW_ERR_EXISTS;
		*out = v;
		st = CW_OK;
	}
	return st;
}

cw_status ent_json_element(const struct ent_json *arr, size_t i, struct ent_json *out)
{
	struct ent_json a = *arr, v; /* out may be arr */
	size_t pos = 0;
	if (a.type != ENT_JSON_ARRAY)
		return CW_ERR_NOTFOUND;
	for (size_t k = 0; ent_json_next(&a, &pos, NULL, &v); k++) {
		if (k == i) {
			*out = v;
			return CW_OK;
		}
	}
	return CW_ERR_NOTFOUND;
}

/* A string's body decoded: plain runs as they are, each escape decoded on its own. */
static cw_status append_string(const struct ent_json *v, cw_sbuf *out)
{
	unsigned char buf[4];
	const unsigned char *p = v->p + 1, *end = v->p + v->len - 1;
	cw_status st = CW_OK;
	while (st == CW_OK && p < end) {
		const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
		const unsigned char *run_end = bs != NULL ? bs : end;
		st = cw_sbuf_append(out, p, (size_t)(run_end - p));
		p = run_end;
		if (st == CW_OK && p < end) {
			size_t k = str_char(&p, end, buf);
			st = cw_sbuf_append(out, buf, k);
		}
	}
	cw_wipe(buf, sizeof buf);
	return st;
}

/* An object or array without the white space between its tokens. */
static cw_status append_compact(const struct ent_json *v, cw_sbuf *out)
{
	const unsigned char *p = v->p, *end = v->p + v->len, *run = p;
	cw_status st = CW_OK;
	while (st == CW_OK && p < end) {
		if (*p == '"') {
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (is_ws(*p)) {
			st = cw_sbuf_append(out, run, (size_t)(p - run));
			while (p < end && is_ws(*p))
				p++;
			run = p;
		} else {
			p++;
		}
	}
	return st == CW_OK ? cw_sbuf_append(out, run, (size_t)(end - run)) : st;
}

cw_status ent_json_append(const struct ent_json *v, cw_sbuf *out)
{
	switch (v->type) {
	case ENT_JSON_STRING:
		return append_string(v, out);
	case ENT_JSON_OBJECT:
	case ENT_JSON_ARRAY:
		return append_compact(v, out);
	case ENT_JSON_NUMBER:
	case ENT_JSON_TRUE:
	case ENT_JSON_FALSE:
	case ENT_JSON_NULL:
		return cw_sbuf_append(out, v->p, v->len);
	}
	return CW_ERR_INTERNAL;
}
