#include "httpreq.h"

#include <string.h>

#include "name.h"
#include "sealfmt.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool http_pct_decode(const char *in, size_t inlen, char *out, size_t outsz, size_t *outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < inlen; i++) {
		int c = (unsigned char)in[i];
		if (c == '\0')
			return false;
		if (c == '%') {
			if (inlen - i < 3)
				return false;
			int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = h * 16 + l;
			if (c == 0)
				return false;
			i += 2;
		}
		if (o + 1 >= outsz)
			return false;
		out[o++] = (char)c;
	}
	if (o >= outsz)
		return false;
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return true;
}

/* Splits a query of exactly one "key=value" whose key is want; the raw value is returned.
 * An absent query (NULL or "") gives *val = NULL and true. */
static bool single_param(const char *query, const char *want, const char **val, size_t *vlen)
{
	*val = NULL;
	*vlen = 0;
	if (query == NULL || query[0] == '\0')
		return true;
	if (strchr(query, '&') != NULL || strchr(query, ';') != NULL)
		return false;
	const char *eq = strchr(query, '=');
	if (eq == NULL || (size_t)(eq - query) != strlen(want) ||
	    strncmp(query, want, (size_t)(eq - query)) != 0)
		return false;
	*val = eq + 1;
	*vlen = strlen(eq + 1);
	return true;
}

bool http_query_version(const char *query, uint64_t *version)
{
	const char *raw;
	size_t rawlen, n;
	char dec[32];
	*version = 0;
	if (!single_param(query, "version", &raw, &rawlen))
		return false;
	if (raw == NULL)
		return true;
	return http_pct_decode(raw, rawlen, dec, sizeof dec, &n) &&
	       cw_version_parse(dec, n, version);
}

bool http_query_prefix(const char *query, char *prefix, size_t prefixsz)
{
	const char *raw;
	size_t rawlen, n;
	prefix[0] = '\0';
	if (!single_param(query, "prefix", &raw, &rawlen))
		return false;
	if (raw == NULL)
		return true;
	if (!http_pct_decode(raw, rawlen, prefix, prefixsz, &n))
		return false;
	if (n > 0 && !cw_group_valid(prefix, n) && !cw_name_valid(prefix, n)) {
		prefix[0] = '\0';
		return false;
	}
	return true;
}
