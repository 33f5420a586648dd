#include "san.h"

#include <arpa/inet.h>
#include <mbedtls/asn1write.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool san_equal(const kg_san *a, const kg_san *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == KG_SAN_DNS)
		return strcasecmp(a->dns, b->dns) == 0;
	return a->iplen == b->iplen && memcmp(a->ip, b->ip, a->iplen) == 0;
}

static cw_status san_push(kg_san_list *l, const kg_san *s, char *err, size_t errsz)
{
	for (size_t i = 0; i < l->n; i++)
		if (san_equal(&l->e[i], s))
			return CW_OK;
	if (l->n == KG_SAN_MAX) {
		snprintf(err, errsz, "bad --san: more than %d entries", KG_SAN_MAX);
		return CW_ERR_USAGE;
	}
	l->e[l->n++] = *s;
	return CW_OK;
}

/* One entry "DNS:name" or "IP:addr" of length len (not NUL-terminated). */
static cw_status parse_entry(kg_san_list *l, const char *p, size_t len, char *err, size_t errsz)
{
	char val[KG_DNS_MAX + 2];
	kg_san s;
	size_t skip;

	memset(&s, 0, sizeof s);
	if (len >= 4 && strncasecmp(p, "DNS:", 4) == 0) {
		s.type = KG_SAN_DNS;
		skip = 4;
	} else if (len >= 3 && strncasecmp(p, "IP:", 3) == 0) {
		s.type = KG_SAN_IP;
		skip = 3;
	} else {
		snprintf(err, errsz, "bad --san entry '%.*s': expected DNS:name or IP:address",
		         (int)(len > 80 ? 80 : len), p);
		return CW_ERR_USAGE;
	}
	if (len - skip >= sizeof val) {
		snprintf(err, errsz, "bad --san entry '%.80s...': too long", p);
		return CW_ERR_USAGE;
	}
	memcpy(val, p + skip, len - skip);
	val[len - skip] = '\0';
	if (s.type == KG_SAN_DNS) {
		if (!kg_dns_name_valid(val)) {
			snprintf(err, errsz, "bad --san entry '%.*s': not a valid DNS name",
			         (int)len, p);
			return CW_ERR_USAGE;
		}
		memcpy(s.dns, val, strlen(val) + 1);
	} else if (!kg_ip_parse(val, s.ip, &s.iplen)) {
		snprintf(err, errsz, "bad --san entry '%.*s': not an IPv4 or IPv6 address",
		         (int)len, p);
		return CW_ERR_USAGE;
	}
	return san_push(l, &s, err, errsz);
}

cw_status kg_san_parse(kg_san_list *l, const char *spec, char *err, size_t errsz)
{
	const char *p = spec;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		cw_status st;

		if (len == 0) {
			snprintf(err, errsz, "bad --san '%.80s': empty entry", spec);
			return CW_ERR_USAGE;
		}
		st = parse_entry(l, p, len, err, errsz);
		if (st != CW_OK)
			return st;
		if (!comma)
			return CW_OK;
		p = comma + 1;
	}
}

cw_status kg_san_add_host(kg_san_list *l, const char *host, char *err, size_t errsz)
{
	kg_san s;

	memset(&s, 0, sizeof s);
	if (kg_ip_parse(host, s.ip, &s.iplen)) {
		s.type = KG_SAN_IP;
	} else if (kg_dns_name_valid(host)) {
		s.type = KG_SAN_DNS;
		memcpy(s.dns, host, strlen(host) + 1);
	} else {
		snprintf(err, errsz, "bad host name '%.80s'", host);
		return CW_ERR_USAGE;
	}
	return san_push(l, &s, err, errsz);
}

cw_status kg_san_add_defaults(kg_san_list *l, char *err, size_t errsz)
{
	cw_status st = kg_san_add_host(l, "localhost", err, errsz);
	if (st == CW_OK)
		st = kg_san_add_host(l, "127.0.0.1", err, errsz);
	return st;
}

/* GeneralNames ::= SEQUENCE OF GeneralName; dNSName [2] IA5String and iPAddress [7] OCTET
 * STRING, both IMPLICIT. The ASN.1 writer works backwards from the end of buf. */
cw_status kg_san_der(const kg_san_list *l, unsigned char *buf, size_t bufsz,
                     const unsigned char **der, size_t *derlen)
{
	unsigned char *p = buf + bufsz;
	size_t len = 0;
	int ret;

	if (l->n == 0)
		return CW_ERR_USAGE;
	for (size_t i = l->n; i-- > 0;) {
		const kg_san *s = &l->e[i];
		const unsigned char *v =
		    s->type == KG_SAN_DNS ? (const unsigned char *)s->dns : s->ip;
		size_t vlen = s->type == KG_SAN_DNS ? strlen(s->dns) : s->iplen;
		unsigned char tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | (s->type == KG_SAN_DNS ? 2 : 7);
		size_t start = len;

		if ((ret = mbedtls_asn1_write_raw_buffer(&p, buf, v, vlen)) < 0)
			return CW_ERR_TOOBIG;
		len += (size_t)ret;
		if ((ret = mbedtls_asn1_write_len(&p, buf, len - start)) < 0)
			return CW_ERR_TOOBIG;
		len += (size_t)ret;
		if ((ret = mbedtls_asn1_write_tag(&p, buf, tag)) < 0)
			return CW_ERR_TOOBIG;
		len += (size_t)ret;
	}
	if ((ret = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return CW_ERR_TOOBIG;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_tag(&p, buf,
	                                  MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return CW_ERR_TOOBIG;
	len += (size_t)ret;
	*der = p;
	*derlen = len;
	return CW_OK;
}

void kg_san_format(const kg_san_list *l, char *out, size_t outsz)
{
	size_t used = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && used < outsz; i++) {
		const kg_san *s = &l->e[i];
		char addr[INET6_ADDRSTRLEN];
		int n;

		if (s->type == KG_SAN_DNS) {
			n = snprintf(out + used, outsz - used, "%sDNS:%s", i ? ", " : "", s->dns);
		} else {
			inet_ntop(s->iplen == 4 ? AF_INET : AF_INET6, s->ip, addr, sizeof addr);
			n = snprintf(out + used, outsz - used, "%sIP Address:%s", i ? ", " : "",
			             addr);
		}
		if (n < 0)
			return;
		used += (size_t)n;
	}
}
