#include "certid.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

bool cw_cert_id(const X509 *cert, char cn[CW_CLIENT_NAME_MAX + 1], char sha256[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	cn[0] = sha256[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return false;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(sha256 + 2 * i, 3, "%02x", md[i]);

	const X509_NAME *subj = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx < 0 || X509_NAME_get_index_by_NID(subj, NID_commonName, idx) >= 0)
		return true; /* none, or ambiguous */
	unsigned char *utf8 = NULL;
	int n =
	    ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
	if (n > 0 && (size_t)n <= CW_CLIENT_NAME_MAX && memchr(utf8, '\0', (size_t)n) == NULL) {
		memcpy(cn, utf8, (size_t)n);
		cn[n] = '\0';
	}
	OPENSSL_free(utf8);
	return true;
}

cw_status cw_cert_id_pem(const void *pem, size_t len, char cn[CW_CLIENT_NAME_MAX + 1],
                         char sha256[65], char *err, size_t errsz)
{
	cw_status st = CW_ERR_USAGE;
	X509 *cert = NULL;
	cn[0] = sha256[0] = '\0';
	BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	if (bio == NULL) {
		snprintf(err, errsz, "%s", len > INT_MAX ? "too large" : "out of memory");
		return len > INT_MAX ? CW_ERR_TOOBIG : CW_ERR_NOMEM;
	}
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (cert == NULL)
		snprintf(err, errsz, "not a PEM certificate");
	else if (!cw_cert_id(cert, cn, sha256))
		snprintf(err, errsz, "cannot compute its fingerprint");
	else
		st = CW_OK;
	ERR_clear_error(); /* what OpenSSL queued on this thread is told in err */
	X509_free(cert);
	BIO_free(bio);
	return st;
}
