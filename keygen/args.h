/* Validation of wallet-keygen's command-line values. Pure functions, thread-safe, no output:
 * on failure they write one line of explanation (no trailing newline) into err. */
#ifndef KG_ARGS_H
#define KG_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "name.h"
#include "status.h"

/* Key types of the X.509 commands (--key). */
typedef enum kg_keytype {
	KG_KEY_EC256 = 0, /* NIST P-256, ECDSA with SHA-256: the default */
	KG_KEY_EC384,
	KG_KEY_RSA3072,
	KG_KEY_RSA4096
} kg_keytype;

/* OpenPGP algorithms of `gpg` (--algo). */
typedef enum kg_gpgalgo {
	KG_GPG_ED25519 = 0, /* ed25519 primary (sign, certify) + cv25519 subkey (encrypt) */
	KG_GPG_RSA4096      /* rsa4096 primary + rsa4096 encryption subkey */
} kg_gpgalgo;

#define KG_DAYS_LEAF 825
#define KG_DAYS_CA 3650
#define KG_DAYS_MAX 36500
#define KG_CN_MAX 64
#define KG_DNS_MAX 253
#define KG_CLIENTS_MAX 64

/* --days: a decimal number 1..KG_DAYS_MAX, nothing else (no sign, no blanks). */
cw_status kg_parse_days(const char *s, unsigned *out, char *err, size_t errsz);
cw_status kg_parse_keytype(const char *s, kg_keytype *out, char *err, size_t errsz);
const char *kg_keytype_name(kg_keytype t);
cw_status kg_parse_gpgalgo(const char *s, kg_gpgalgo *out, char *err, size_t errsz);

/* A host name usable as a dNSName: 1..253 bytes, labels of 1..63 [A-Za-z0-9-] not starting or
 * ending with '-', and a last label that is not all digits (that would be an IPv4 address). */
bool kg_dns_name_valid(const char *s);
/* A textual IPv4 or IPv6 address; out (16 bytes) gets the 4 or 16 address bytes. */
bool kg_ip_parse(const char *s, unsigned char out[16], size_t *outlen);
/* The CN of a CA: 1..64 bytes of [A-Za-z0-9 ._-], no leading or trailing blank. */
bool kg_ca_cn_valid(const char *s);
/* The CN of the server: a DNS name or an IP address (it also goes into the SANs). */
bool kg_server_cn_valid(const char *s);

/* --clients a,b,c: each a valid client name (cw_client_name_valid), no empty entry, no
 * duplicate, at most KG_CLIENTS_MAX. names receives pointers into buf (a copy of s, which must
 * hold strlen(s) + 1 bytes); *n their number. */
cw_status kg_parse_clients(const char *s, char *buf, size_t bufsz, const char **names, size_t *n,
                           char *err, size_t errsz);

#endif
