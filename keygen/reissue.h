/* Certificates for keys wallet-keygen did not just make: renewing a certificate on its own key
 * (`renew`) and issuing a client certificate for a certificate signing request (`sign`). The
 * input files are parsed and checked here (spec/fuzz/fuzz_keygen_csr.c fuzzes that path); the
 * signing is kg_certify's. Not thread-safe per object. Functions report failure as a cw_status
 * plus one line of explanation in err. */
#ifndef KG_REISSUE_H
#define KG_REISSUE_H

#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <stddef.h>

#include "name.h"
#include "status.h"
#include "x509.h"

/* The largest certificate or CSR file read. */
#define KG_INPUT_MAX (64 * 1024)
/* The extensions a renewal copies: basicConstraints, keyUsage, extendedKeyUsage and
 * subjectAltName. */
#define KG_EXT_MAX 4

/* Exactly one PEM certificate from buf (len bytes, need not be NUL-terminated), and no other
 * PEM block (a key after it would be lost when the file is renewed in place).
 * mbedtls_x509_crt_init is done here; the caller frees crt with mbedtls_x509_crt_free in every
 * case. CW_ERR_KEY when it is not one well-formed PEM certificate. */
cw_status kg_crt_parse_pem(mbedtls_x509_crt *crt, const unsigned char *buf, size_t len, char *err,
                           size_t errsz);
/* The same from a file (not followed when it is a symlink); CW_ERR_NOTFOUND when missing. */
cw_status kg_crt_load(mbedtls_x509_crt *crt, const char *path, char *err, size_t errsz);

/* Whether ca issued crt: crt's issuer is the CA's subject, byte for byte, and its signature
 * (SHA-256 or stronger) verifies with the CA's public key. The dates are not looked at, so that
 * an expired certificate can be renewed. CW_ERR_BADSIG when not. */
cw_status kg_check_issued_by(const mbedtls_x509_crt *crt, const kg_ca *ca, char *err, size_t errsz);

/* The extensions of crt that a renewal copies (KG_EXT_MAX kinds, in crt's order), pointing
 * into crt. The key identifiers are made anew and any other non-critical extension is dropped;
 * another critical one is refused (CW_ERR_KEY), as is a malformed or repeated extension. */
cw_status kg_crt_kept_extensions(const mbedtls_x509_crt *crt, kg_ext ext[KG_EXT_MAX], size_t *n,
                                 char *err, size_t errsz);

/* crt's validity length, notBefore to notAfter, in days (rounded), within 1..KG_DAYS_MAX. */
unsigned kg_crt_days(const mbedtls_x509_crt *crt);

/* A new certificate for old's key, subject and kept extensions, signed by ca, valid days days
 * from now (0: kg_crt_days(old)) with a new serial. old must pass kg_check_issued_by. When old
 * is the CA's own certificate (CA:TRUE, the CA's subject and key), the result is self-signed
 * again; another CA certificate is refused (wallet-keygen makes no intermediate CAs). The new
 * certificate is checked to carry old's subject and public key, byte for byte.
 * *pem: malloc'd, NUL-terminated, *len bytes; the caller frees it. */
cw_status kg_renew(mbedtls_x509_crt *old, unsigned days, kg_ca *ca, kg_rng *rng, char **pem,
                   size_t *len, char *err, size_t errsz);

/* Exactly one PEM certificate signing request (PKCS#10) from buf, as kg_crt_parse_pem. */
cw_status kg_csr_parse_pem(mbedtls_x509_csr *csr, const unsigned char *buf, size_t len, char *err,
                           size_t errsz);
cw_status kg_csr_load(mbedtls_x509_csr *csr, const char *path, char *err, size_t errsz);

/* What sign demands of a CSR, in this order: exactly one CN, a valid client name (copied into
 * name); a key of a type wallet-keygen makes (kg_keytype_of); a self-signature with SHA-256 or
 * stronger that verifies with the CSR's key. CW_ERR_NAME, CW_ERR_KEY or CW_ERR_BADSIG. */
cw_status kg_csr_check(mbedtls_x509_csr *csr, char name[CW_CLIENT_NAME_MAX + 1], char *err,
                       size_t errsz);

/* kg_csr_check, then a client certificate with the profile of `wallet-keygen client` (CN=name,
 * clientAuth) for the CSR's key, signed by ca, valid days days. Nothing else of the CSR is
 * used. *pem as for kg_renew. */
cw_status kg_sign_csr(mbedtls_x509_csr *csr, unsigned days, kg_ca *ca, kg_rng *rng,
                      char name[CW_CLIENT_NAME_MAX + 1], char **pem, size_t *len, char *err,
                      size_t errsz);

#endif
