/* X.509 key material with mbedtls 2.28: key pairs, a self-signed CA, server and client
 * certificates signed by that CA. PEM output of private keys lives in secure memory.
 * Not thread-safe per object (each kg_rng / kg_ca belongs to one thread). Functions report
 * failure as a cw_status plus one line of explanation in err. */
#ifndef KG_X509_H
#define KG_X509_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "san.h"
#include "secmem.h"
#include "status.h"

/* A CTR_DRBG seeded from the system entropy source. */
typedef struct kg_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
} kg_rng;

cw_status kg_rng_init(kg_rng *r, char *err, size_t errsz);
void kg_rng_free(kg_rng *r);

/* An issuer: its certificate (parsed and as PEM) and its private key. */
typedef struct kg_ca {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	char *crt_pem; /* malloc'd, NUL-terminated */
	size_t crt_pem_len;
} kg_ca;

/* Parses a CA from PEM; checks that the certificate is a CA and that the key is its key. */
cw_status kg_ca_from_pem(kg_ca *ca, const char *crt_pem, size_t crt_len,
                         const unsigned char *key_pem, size_t key_len, char *err, size_t errsz);
/* Reads dir/ca.crt and dir/ca.key (CW_ERR_NOTFOUND when one is missing). */
cw_status kg_ca_load(kg_ca *ca, const char *dir, char *err, size_t errsz);
/* Wipes the key (mbedtls_pk_free zeroizes) and frees; a zeroed kg_ca is accepted. */
void kg_ca_free(kg_ca *ca);
/* kg_ca_load of dir and kg_rng_init: what a command that signs with an existing CA needs. On
 * success the caller ends with kg_ca_close; on failure nothing is left to free. */
cw_status kg_ca_open(kg_ca *ca, kg_rng *rng, const char *dir, char *err, size_t errsz);
void kg_ca_close(kg_ca *ca, kg_rng *rng);

/* "WHAT: mbedtls's message (mbedtls -0xNNNN)" into err, for mbedtls error code ret. */
void kg_mberr(char *err, size_t errsz, const char *what, int ret);

typedef enum kg_cert_kind { KG_CERT_CA, KG_CERT_SERVER, KG_CERT_CLIENT } kg_cert_kind;

/* One extension of a parsed certificate, to be copied into a new one as it is: its OID and
 * extnValue (the DER inside the OCTET STRING), both pointing into the parsed certificate. */
typedef struct kg_ext {
	const unsigned char *oid;
	size_t oidlen;
	const unsigned char *val;
	size_t vallen;
	bool critical;
} kg_ext;

/* What one certificate should say. */
typedef struct kg_cert_req {
	kg_cert_kind kind;
	const char *cn;
	unsigned days;
	kg_keytype key;
	const kg_san_list *sans; /* KG_CERT_SERVER only; must not be empty */
	/* Re-issuing (renew): when subject is set, the certificate gets this subject (a parsed
	 * name, kept in its order and string types) instead of CN=cn, and the n_ext extensions
	 * of ext instead of the profile of kind; cn and sans are unused then. Key identifiers are
	 * always made anew. */
	const mbedtls_x509_name *subject;
	const kg_ext *ext;
	size_t n_ext;
} kg_cert_req;

/* One issued certificate: PEM of the certificate (malloc) and of its new private key (secure
 * memory, wiped when freed). */
typedef struct kg_issued {
	char *crt_pem;
	size_t crt_len;
	cw_sbuf key_pem;
} kg_issued;

/* Generates a key pair of req->key and a certificate for it, signed by issuer (NULL: the new
 * key signs itself; only for KG_CERT_CA). A leaf is verified against issuer before it is
 * returned. Output in out, which the caller frees with kg_issued_free. */
cw_status kg_issue(const kg_cert_req *req, kg_ca *issuer, kg_rng *rng, kg_issued *out, char *err,
                   size_t errsz);
void kg_issued_free(kg_issued *is);

/* Signs a certificate of req for the public key of subject_key (its private part is not
 * needed) with issuer's key, or, when issuer is NULL, with subject_key itself (a self-signed
 * CA: subject_key then holds the private key). req->key is unused. The certificate is
 * verified against its issuer before it is returned in *pem (malloc'd, NUL-terminated,
 * *pem_len bytes without the NUL), which the caller frees. */
cw_status kg_certify(const kg_cert_req *req, mbedtls_pk_context *subject_key, kg_ca *issuer,
                     kg_rng *rng, char **pem, size_t *pem_len, char *err, size_t errsz);

/* Which of the key types wallet-keygen makes (--key) a public key is: NIST P-256 or P-384,
 * RSA of 3072 or 4096 bits. CW_ERR_KEY, with one line naming the key in err, for any other. */
cw_status kg_keytype_of(const mbedtls_pk_context *pk, kg_keytype *out, char *err, size_t errsz);

#endif
