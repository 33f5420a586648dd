/* Who a client certificate names: its subject CN, under the rules the server authorizes by,
 * and its fingerprint (the lowercase hex SHA-256 of its DER encoding). One home for both: the
 * server reads its peer here (https.c) and the admin commands that name a certificate
 * (revoke --cert, unrevoke --cert) read the certificate file here. Thread-safe. */
#ifndef WALLET_CERTID_H
#define WALLET_CERTID_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "name.h"
#include "status.h"

/* sha256 receives cert's fingerprint and cn its subject CN: "" when it has none or several,
 * or when the CN is not UTF-8, holds a NUL or is longer than CW_CLIENT_NAME_MAX bytes. False
 * (both "") when the digest cannot be computed. */
bool cw_cert_id(const X509 *cert, char cn[CW_CLIENT_NAME_MAX + 1], char sha256[65]);

/* The same for the first certificate of a PEM text of len bytes (what a TLS client presents
 * first). CW_ERR_USAGE with one line in err when it holds no PEM certificate. */
cw_status cw_cert_id_pem(const void *pem, size_t len, char cn[CW_CLIENT_NAME_MAX + 1],
                         char sha256[65], char *err, size_t errsz);

#endif
