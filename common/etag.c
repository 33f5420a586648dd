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

/* The length of the entity tag at p (W/ included), or 0 when none starts there. A tag ends
 * at its closing quote: a comma inside it is part of it. */
static size_t tag_len(const char *p)
{
	size_t i = p[0] == 'W' && p[1] == '/' ? 2 : 0;
	if (p[i] != '"')
		return 0;
	for (i++; p[i] != '"'; i++)
		if (!etagc((unsigned char)p[i]))
			return 0;
	return i + 1 <= CW_ETAG_MAX ? i + 1 : 0;
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
		size_t n = tag_len(p);
		if (n == 0)
			return false; /* not a list of tags: no match at all */
		size_t olen = n;
		const char *o = opaque(p, &olen);
		if (olen == elen && memcmp(o, want, olen) == 0)
			matched = true;
		for (p += n; ows(*p); p++)
			;
		if (*p == '\0')
			return matched;
		if (*p != ',')
			return false;
		for (p++; ows(*p); p++)
			;
	}
}
