/* subjectAltName lists for server certificates: parsing of --san "DNS:name,IP:addr,..." and
 * the DER encoding of the extension value (mbedtls 2.28 has no helper for it).
 * Pure functions, thread-safe; on failure one line of explanation goes into err. */
#ifndef KG_SAN_H
#define KG_SAN_H

#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "status.h"

#define KG_SAN_MAX 32

typedef enum kg_san_type { KG_SAN_DNS, KG_SAN_IP } kg_san_type;

typedef struct kg_san {
	kg_san_type type;
	char dns[KG_DNS_MAX + 1]; /* KG_SAN_DNS: the name as given */
	unsigned char ip[16];     /* KG_SAN_IP: 4 or 16 bytes in network order */
	size_t iplen;
} kg_san;

typedef struct kg_san_list {
	kg_san e[KG_SAN_MAX];
	size_t n;
} kg_san_list;

/* Appends the entries of spec ("DNS:a.example,IP:127.0.0.1,IP:::1"; the type prefix is
 * case-insensitive). Duplicates are dropped (DNS names compare case-insensitively).
 * CW_ERR_USAGE on an empty entry, an unknown type, a bad name or address, or too many. */
cw_status kg_san_parse(kg_san_list *l, const char *spec, char *err, size_t errsz);
/* Appends one host: an IP address when host parses as one, else a DNS name. */
cw_status kg_san_add_host(kg_san_list *l, const char *host, char *err, size_t errsz);
/* The defaults of a server certificate: DNS:localhost, IP:127.0.0.1. */
cw_status kg_san_add_defaults(kg_san_list *l, char *err, size_t errsz);

/* DER of the extension value (GeneralNames) at the end of buf; *der points into buf.
 * CW_ERR_TOOBIG when buf is too small, CW_ERR_USAGE for an empty list. */
cw_status kg_san_der(const kg_san_list *l, unsigned char *buf, size_t bufsz,
                     const unsigned char **der, size_t *derlen);

/* "DNS:localhost, IP:127.0.0.1" (openssl's notation) for messages and tests. */
void kg_san_format(const kg_san_list *l, char *out, size_t outsz);

#endif
