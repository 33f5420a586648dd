/* HTTP entity tags: see etag.h. */
#include "etag.h"

#include <string.h>

static bool etagc(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x7e);
}

/* The opaque part (quotes included) of a valid tag: the tag without its W/ prefix. */
static const char *opaque(const char *s, size_t *len)
{
	if (*len >= 2 && s[0] == 'W' && s[1] == '/') {
		*len -= 2;
		return s + 2;
	}
	return s;
}

bool cw_etag_valid(const char *s, size_t len)
{
	if (s == NULL || len > CW_ETAG_MAX)
		return false;
	s = opaque(s, &len);
	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!etagc((unsigned char)s[i]))
			return false;
	return true;
}

static bool ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

bool cw_etag_match(const char *if_none_match, const char *etag)
{
	size_t elen = strlen(etag);
	const char *want = opaque(etag, &elen);
	const char *p = if_none_match;
	bool matched = false;
	if (p == NULL)
		return false;
	while (ows(*p))
		p++;
	if (*p == '*') {
		for (p++; ows(*p); p++)
			;
		return *p == '\0';
	}
	for (;;) {
		/* one element: up to the next comma (a comma cannot occur inside a tag) */
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && ows(p[n - 1]))
			n--;
		if (!cw_etag_valid(p, n))
			return false;
		const char *o = opaque(p, &n);
		if (n == elen && memcmp(o, want, n) == 0)
			matched = true;
		if (end == NULL)
			return matched;
		for (p = end + 1; ows(*p); p++)
			;
	}
}
