#include "args.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const keytype_names[] = {
    [KG_KEY_EC256] = "ec256",
    [KG_KEY_EC384] = "ec384",
    [KG_KEY_RSA3072] = "rsa3072",
    [KG_KEY_RSA4096] = "rsa4096",
};

__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errsz, const char *fmt,
                                                         ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

cw_status kg_parse_days(const char *s, unsigned *out, char *err, size_t errsz)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	/* strtoul alone would accept blanks, a sign and "0x"; insist on plain digits. */
	if (n == 0 || n > 6 || strspn(s, "0123456789") != n) {
		seterr(err, errsz, "bad --days '%s': expected a number of days", s);
		return CW_ERR_USAGE;
	}
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > KG_DAYS_MAX) {
		seterr(err, errsz, "bad --days '%s': must be 1 to %d", s, KG_DAYS_MAX);
		return CW_ERR_USAGE;
	}
	*out = (unsigned)v;
	return CW_OK;
}

cw_status kg_parse_keytype(const char *s, kg_keytype *out, char *err, size_t errsz)
{
	for (size_t i = 0; i < sizeof keytype_names / sizeof keytype_names[0]; i++) {
		if (strcmp(s, keytype_names[i]) == 0) {
			*out = (kg_keytype)i;
			return CW_OK;
		}
	}
	seterr(err, errsz, "bad --key '%s': expected ec256, ec384, rsa3072 or rsa4096", s);
	return CW_ERR_USAGE;
}

const char *kg_keytype_name(kg_keytype t)
{
	if ((size_t)t < sizeof keytype_names / sizeof keytype_names[0])
		return keytype_names[t];
	return "?";
}

cw_status kg_parse_gpgalgo(const char *s, kg_gpgalgo *out, char *err, size_t errsz)
{
	if (strcmp(s, "ed25519") == 0) {
		*out = KG_GPG_ED25519;
		return CW_OK;
	}
	if (strcmp(s, "rsa4096") == 0) {
		*out = KG_GPG_RSA4096;
		return CW_OK;
	}
	seterr(err, errsz, "bad --algo '%s': expected ed25519 or rsa4096", s);
	return CW_ERR_USAGE;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool kg_dns_name_valid(const char *s)
{
	size_t n = strlen(s), label = 0;
	bool all_digits = true;

	if (n == 0 || n > KG_DNS_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			if (c == '\0')
				break;
			label = 0;
			all_digits = true;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (c < '0' || c > '9')
			all_digits = false;
		label++;
	}
	return !all_digits;
}

bool kg_ip_parse(const char *s, unsigned char out[16], size_t *outlen)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*outlen = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*outlen = 16;
		return true;
	}
	return false;
}

bool kg_ca_cn_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > KG_CN_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr(" ._-", s[i]))
			return false;
	return true;
}

bool kg_server_cn_valid(const char *s)
{
	unsigned char ip[16];
	size_t iplen;

	if (strlen(s) > KG_CN_MAX)
		return false;
	return kg_dns_name_valid(s) || kg_ip_parse(s, ip, &iplen);
}

cw_status kg_parse_clients(const char *s, char *buf, size_t bufsz, const char **names, size_t *n,
                           char *err, size_t errsz)
{
	size_t len = strlen(s), count = 0;
	char *p;

	if (len + 1 > bufsz) {
		seterr(err, errsz, "bad --clients: list too long");
		return CW_ERR_USAGE;
	}
	memcpy(buf, s, len + 1);
	p = buf;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!cw_client_name_valid(p, strlen(p))) {
			seterr(err, errsz,
			       "bad client name '%s': expected 1 to 64 of [A-Za-z0-9._-], "
			       "not '.' or '..'",
			       p);
			return CW_ERR_USAGE;
		}
		for (size_t i = 0; i < count; i++) {
			if (strcmp(names[i], p) == 0) {
				seterr(err, errsz, "bad --clients: '%s' given twice", p);
				return CW_ERR_USAGE;
			}
		}
		if (count == KG_CLIENTS_MAX) {
			seterr(err, errsz, "bad --clients: more than %d names", KG_CLIENTS_MAX);
			return CW_ERR_USAGE;
		}
		names[count++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	*n = count;
	return CW_OK;
}
