/* wallet-entry: JSON inside a secret, scanned in place (jsonsecret.h). */
#include "jsonsecret.h"

#include <string.h>

struct scan {
	const unsigned char *p, *end;
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
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

/* The length of the valid UTF-8 sequence at p (*p >= 0x80), or 0: no overlong form, no
 * surrogate, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], cp, min;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, cp = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, cp = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
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

/* A string at s->p (on its '"'). */
static bool scan_string(struct scan *s)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	while (p < end) {
		unsigned char c = *p;
		size_t n = 1;
		unsigned cp;
		if (c == '"') {
			s->p = p + 1;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (end - p < 2)
				return false;
			if (p[1] == 'u')
				n = u_escape(p, end, &cp);
			else
				n = p[1] != '\0' && strchr("\"\\/bfnrt", p[1]) != NULL ? 2 : 0;
		} else if (c >= 0x80) {
			n = utf8_len(p, end);
		}
		if (n == 0)
			return false;
		p += n;
	}
	return false;
}

static void skip_digits(struct scan *s)
{
	while (s->p < s->end && is_digit(*s->p))
		s->p++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p == s->end || !is_digit(*s->p))
		return false;
	if (*s->p++ != '0')
		skip_digits(s);
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return false;
		skip_digits(s);
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p == s->end || !is_digit(*s->p))
			return false;
		skip_digits(s);
	}
	return true;
}

static bool scan_word(struct scan *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, unsigned depth, struct ent_json *v);

/* The members or elements of a container, after its opening bracket. */
static bool scan_items(struct scan *s, unsigned depth, bool object)
{
	struct ent_json item;
	unsigned char close = object ? '}' : ']';
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (object) {
			if (s->p == s->end || *s->p != '"' || !scan_string(s))
				return false;
			skip_ws(s);
			if (s->p == s->end || *s->p++ != ':')
				return false;
			skip_ws(s);
		}
		if (!scan_value(s, depth + 1, &item))
			return false;
		skip_ws(s);
		if (s->p == s->end)
			return false;
		unsigned char c = *s->p++;
		if (c == close)
			return true;
		if (c != ',')
			return false;
	}
}

/* One value at s->p (no white space before it); depth: how many containers hold it. */
static bool scan_value(struct scan *s, unsigned depth, struct ent_json *v)
{
	const unsigned char *start = s->p;
	bool ok;
	if (s->p == s->end)
		return false;
	switch (*s->p) {
	case '{':
	case '[':
		v->type = *s->p == '{' ? ENT_JSON_OBJECT : ENT_JSON_ARRAY;
		if (depth >= ENT_JSON_MAX_DEPTH)
			return false;
		s->p++;
		ok = scan_items(s, depth, v->type == ENT_JSON_OBJECT);
		break;
	case '"':
		v->type = ENT_JSON_STRING;
		ok = scan_string(s);
		break;
	case 't':
		v->type = ENT_JSON_TRUE;
		ok = scan_word(s, "true");
		break;
	case 'f':
		v->type = ENT_JSON_FALSE;
		ok = scan_word(s, "false");
		break;
	case 'n':
		v->type = ENT_JSON_NULL;
		ok = scan_word(s, "null");
		break;
	default:
		v->type = ENT_JSON_NUMBER;
		ok = scan_number(s);
		break;
	}
	v->p = start;
	v->len = (size_t)(s->p - start);
	return ok;
}

bool ent_json_parse(const unsigned char *data, size_t len, struct ent_json *out)
{
	struct ent_json v;
	if (data == NULL)
		return false;
	struct scan s = {data, data + len};
	skip_ws(&s);
	if (!scan_value(&s, 0, &v))
		return false;
	skip_ws(&s);
	if (s.p != s.end)
		return false;
	*out = v;
	return true;
}

bool ent_json_next(const struct ent_json *c, size_t *pos, struct ent_json *key,
                   struct ent_json *val)
{
	bool object = c->type == ENT_JSON_OBJECT;
	if ((!object && c->type != ENT_JSON_ARRAY) || *pos >= c->len)
		return false;
	struct scan s = {c->p + (*pos == 0 ? 1 : *pos), c->p + c->len};
	skip_ws(&s);
	if (s.p < s.end && *s.p == ',') {
		s.p++;
		skip_ws(&s);
	}
	if (s.p == s.end || *s.p == (object ? '}' : ']'))
		return false;
	if (object) {
		struct ent_json k = {ENT_JSON_STRING, s.p, 0};
		if (!scan_string(&s))
			return false;
		k.len = (size_t)(s.p - k.p);
		if (key != NULL)
			*key = k;
		skip_ws(&s);
		if (s.p == s.end || *s.p++ != ':')
			return false;
		skip_ws(&s);
	}
	/* a value inside a parsed one: its depth was checked then */
	if (!scan_value(&s, 0, val))
		return false;
	*pos = (size_t)(s.p - c->p);
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
