#include "x509.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/platform.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define PEM_MAX 16384
#define FILE_MAX (64 * 1024)
/* Certificates start a little in the past so that a peer whose clock lags still accepts them. */
#define BACKDATE_S 300

void kg_mberr(char *err, size_t errsz, const char *what, int ret)
{
	char buf[160];

	mbedtls_strerror(ret, buf, sizeof buf);
	snprintf(err, errsz, "%s: %s (mbedtls -0x%04x)", what, buf, (unsigned)-ret);
}

cw_status kg_rng_init(kg_rng *r, char *err, size_t errsz)
{
	static const char pers[] = "containerwallet wallet-keygen";
	int ret;

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	ret = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
	                            (const unsigned char *)pers, sizeof pers - 1);
	if (ret != 0) {
		kg_mberr(err, errsz, "cannot seed the random generator", ret);
		return CW_ERR_CRYPTO;
	}
	return CW_OK;
}

void kg_rng_free(kg_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

static cw_status gen_key(kg_keytype t, kg_rng *rng, mbedtls_pk_context *pk, char *err, size_t errsz)
{
	mbedtls_pk_type_t type =
	    (t == KG_KEY_EC256 || t == KG_KEY_EC384) ? MBEDTLS_PK_ECKEY : MBEDTLS_PK_RSA;
	int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(type));

	if (ret == 0) {
		switch (t) {
		case KG_KEY_EC256:
		case KG_KEY_EC384:
			ret = mbedtls_ecp_gen_key(
			    t == KG_KEY_EC256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1,
			    mbedtls_pk_ec(*pk), mbedtls_ctr_drbg_random, &rng->drbg);
			break;
		case KG_KEY_RSA3072:
		case KG_KEY_RSA4096:
			ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_ctr_drbg_random,
			                          &rng->drbg, t == KG_KEY_RSA3072 ? 3072 : 4096,
			                          65537);
			break;
		}
	}
	if (ret != 0) {
		kg_mberr(err, errsz, "key generation failed", ret);
		return CW_ERR_CRYPTO;
	}
	return CW_OK;
}

/* A positive serial of 127 random bits: the top bit is cleared (a DER INTEGER is signed) and
 * the next one set, so the number never shrinks below 64 bits. */
static cw_status make_serial(kg_rng *rng, mbedtls_mpi *serial, char *err, size_t errsz)
{
	unsigned char b[16];
	int ret = mbedtls_ctr_drbg_random(&rng->drbg, b, sizeof b);

	if (ret == 0) {
		b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
		ret = mbedtls_mpi_read_binary(serial, b, sizeof b);
	}
	if (ret != 0) {
		kg_mberr(err, errsz, "cannot make a serial number", ret);
		return CW_ERR_CRYPTO;
	}
	return CW_OK;
}

static cw_status validity(unsigned days, char nb[16], char na[16], char *err, size_t errsz)
{
	time_t now = time(NULL), from = now - BACKDATE_S, to = from + (time_t)days * 86400;
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&from, &tm) ||
	    strftime(nb, 16, "%Y%m%d%H%M%S", &tm) != 14 || !gmtime_r(&to, &tm) ||
	    strftime(na, 16, "%Y%m%d%H%M%S", &tm) != 14) {
		snprintf(err, errsz, "cannot compute the validity period");
		return CW_ERR_INTERNAL;
	}
	return CW_OK;
}

/* ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
static int set_eku(mbedtls_x509write_cert *crt, const char *oid, size_t oidlen)
{
	unsigned char buf[32];
	unsigned char *p = buf + sizeof buf;
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(&p, buf, oid, oidlen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
	MBEDTLS_ASN1_CHK_ADD(
	    len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
	                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
	                                           0, p, len);
}

static int set_san(mbedtls_x509write_cert *crt, const kg_san_list *sans)
{
	unsigned char buf[KG_SAN_MAX * (KG_DNS_MAX + 8) + 16];
	const unsigned char *der;
	size_t len;

	if (kg_san_der(sans, buf, sizeof buf, &der, &len) != CW_OK)
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	return mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
	                                           0, der, len);
}

static int set_extensions(mbedtls_x509write_cert *crt, const kg_cert_req *req,
                          const mbedtls_pk_context *key)
{
	unsigned int ku;
	int ret;

	/* basicConstraints: mbedtls marks it critical exactly when is_ca is set. */
	ret = mbedtls_x509write_crt_set_basic_constraints(crt, req->kind == KG_CERT_CA, -1);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(crt);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(crt);
	if (ret != 0)
		return ret;
	if (req->kind == KG_CERT_CA) {
		ku = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
	} else {
		ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
		if (mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA)
			ku |= MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	}
	ret = mbedtls_x509write_crt_set_key_usage(crt, ku);
	if (ret != 0 || req->kind == KG_CERT_CA)
		return ret;
	if (req->kind == KG_CERT_SERVER) {
		ret = set_eku(crt, MBEDTLS_OID_SERVER_AUTH,
		              MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
		if (ret == 0)
			ret = set_san(crt, req->sans);
		return ret;
	}
	return set_eku(crt, MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
}

/* PEM of the private key (SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", as
 * mbedtls_pk_write_key_pem makes it), with the DER and base64 stages in secure memory:
 * mbedtls_pk_write_key_pem would leave them in its own stack and heap buffers. */
static cw_status key_pem(mbedtls_pk_context *key, cw_sbuf *out, char *err, size_t errsz)
{
	const char *label = mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA ? "RSA" : "EC";
	unsigned char *der = cw_secure_alloc(PEM_MAX), *b64 = cw_secure_alloc(PEM_MAX);
	char line[80];
	size_t b64len = 0;
	cw_status st = CW_OK;
	int n;

	if (!der || !b64) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	/* the DER is written at the end of the buffer */
	n = mbedtls_pk_write_key_der(key, der, PEM_MAX);
	if (n <= 0 ||
	    mbedtls_base64_encode(b64, PEM_MAX, &b64len, der + PEM_MAX - n, (size_t)n) != 0) {
		kg_mberr(err, errsz, "cannot encode the private key", n < 0 ? n : -1);
		st = CW_ERR_CRYPTO;
		goto out;
	}
	snprintf(line, sizeof line, "-----BEGIN %s PRIVATE KEY-----\n", label);
	st = cw_sbuf_append(out, line, strlen(line));
	for (size_t i = 0; st == CW_OK && i < b64len; i += 64) {
		size_t chunk = b64len - i < 64 ? b64len - i : 64;
		st = cw_sbuf_append(out, b64 + i, chunk);
		if (st == CW_OK)
			st = cw_sbuf_append(out, "\n", 1);
	}
	snprintf(line, sizeof line, "-----END %s PRIVATE KEY-----\n", label);
	if (st == CW_OK)
		st = cw_sbuf_append(out, line, strlen(line));
	if (st != CW_OK)
		snprintf(err, errsz, "out of memory");
out:
	cw_secure_free(der);
	cw_secure_free(b64);
	if (st != CW_OK)
		cw_sbuf_free(out);
	return st;
}

/* The newly made certificate must chain to its issuer (to itself for a CA): this catches an
 * issuer name or a signing key that does not match the issuer's certificate. */
static cw_status self_check(const char *pem, size_t len, mbedtls_x509_crt *issuer, char *err,
                            size_t errsz)
{
	mbedtls_x509_crt leaf;
	uint32_t flags = 0;
	cw_status st = CW_OK;
	int ret;

	mbedtls_x509_crt_init(&leaf);
	ret = mbedtls_x509_crt_parse(&leaf, (const unsigned char *)pem, len + 1);
	if (ret != 0) {
		kg_mberr(err, errsz, "the new certificate does not parse", ret);
		st = CW_ERR_INTERNAL;
		goto out;
	}
	ret =
	    mbedtls_x509_crt_verify(&leaf, issuer ? issuer : &leaf, NULL, NULL, &flags, NULL, NULL);
	if (ret != 0) {
		char info[200];
		mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
		info[strcspn(info, "\n")] = '\0';
		snprintf(err, errsz, "the new certificate does not verify against its issuer: %s",
		         info);
		st = CW_ERR_CRYPTO;
	}
out:
	mbedtls_x509_crt_free(&leaf);
	return st;
}

/* The writer's copy of a parsed name. mbedtls writes its list last entry first, so the copy
 * is built in reverse; each attribute keeps its string type. A multi-valued RDN is refused:
 * mbedtls 2.28 cannot write one. */
static int copy_name(const mbedtls_x509_name *src, mbedtls_asn1_named_data **dst)
{
	mbedtls_asn1_free_named_data_list(dst);
	for (const mbedtls_x509_name *n = src; n; n = n->next) {
		mbedtls_asn1_named_data *d;
		if (n->next_merged)
			return MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE;
		if (!n->oid.p || !n->oid.len || !n->val.p)
			return MBEDTLS_ERR_X509_INVALID_NAME;
		d = mbedtls_calloc(1, sizeof *d);
		if (!d)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		d->next = *dst;
		*dst = d;
		d->oid.p = mbedtls_calloc(1, n->oid.len);
		d->val.p = mbedtls_calloc(1, n->val.len ? n->val.len : 1);
		if (!d->oid.p || !d->val.p)
			return MBEDTLS_ERR_X509_ALLOC_FAILED;
		memcpy(d->oid.p, n->oid.p, n->oid.len);
		d->oid.len = n->oid.len;
		d->oid.tag = n->oid.tag;
		if (n->val.len)
			memcpy(d->val.p, n->val.p, n->val.len);
		d->val.len = n->val.len;
		d->val.tag = n->val.tag;
	}
	return *dst ? 0 : MBEDTLS_ERR_X509_INVALID_NAME;
}

/* The extensions of a re-issued certificate: new key identifiers, then the copied ones. */
static int set_copied_extensions(mbedtls_x509write_cert *crt, const kg_cert_req *req)
{
	int ret = mbedtls_x509write_crt_set_subject_key_identifier(crt);

	if (ret == 0)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(crt);
	for (size_t i = 0; ret == 0 && i < req->n_ext; i++)
		ret = mbedtls_x509write_crt_set_extension(crt, (const char *)req->ext[i].oid,
		                                          req->ext[i].oidlen, req->ext[i].critical,
		                                          req->ext[i].val, req->ext[i].vallen);
	return ret;
}

/* Subject, issuer and extensions of req into crt. */
static int set_names(mbedtls_x509write_cert *crt, const kg_cert_req *req,
                     const mbedtls_pk_context *subject_key, const kg_ca *issuer)
{
	char subject[KG_CN_MAX + 8];
	int ret;

	if (req->subject) {
		ret = copy_name(req->subject, &crt->subject);
		if (ret == 0)
			ret = copy_name(issuer ? &issuer->crt.subject : req->subject, &crt->issuer);
		return ret != 0 ? ret : set_copied_extensions(crt, req);
	}
	if (cw_path(subject, sizeof subject, "CN=%s", req->cn) != CW_OK)
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
	ret = mbedtls_x509write_crt_set_subject_name(crt, subject);
	if (ret == 0)
		ret = issuer ? copy_name(&issuer->crt.subject, &crt->issuer)
		             : mbedtls_x509write_crt_set_issuer_name(crt, subject);
	return ret != 0 ? ret : set_extensions(crt, req, subject_key);
}

cw_status kg_certify(const kg_cert_req *req, mbedtls_pk_context *subject_key, kg_ca *issuer,
                     kg_rng *rng, char **pem_out, size_t *pem_len, char *err, size_t errsz)
{
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	char nb[16], na[16];
	unsigned char *pem = NULL;
	cw_status st;
	int ret;

	*pem_out = NULL;
	*pem_len = 0;
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	if (!req->subject && ((req->kind == KG_CERT_CA) != (issuer == NULL) ||
	                      (req->kind == KG_CERT_SERVER && (!req->sans || req->sans->n == 0)))) {
		snprintf(err, errsz, "internal error: inconsistent certificate request");
		st = CW_ERR_INTERNAL;
		goto out;
	}
	if ((st = make_serial(rng, &serial, err, errsz)) != CW_OK ||
	    (st = validity(req->days, nb, na, err, errsz)) != CW_OK)
		goto out;

	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&crt, issuer ? &issuer->key : subject_key);
	ret = mbedtls_x509write_crt_set_serial(&crt, &serial);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_validity(&crt, nb, na);
	if (ret == 0)
		ret = set_names(&crt, req, subject_key, issuer);
	if (ret != 0) {
		kg_mberr(err, errsz, "cannot build the certificate", ret);
		st = CW_ERR_CRYPTO;
		goto out;
	}

	pem = calloc(1, PEM_MAX);
	if (!pem) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	ret = mbedtls_x509write_crt_pem(&crt, pem, PEM_MAX, mbedtls_ctr_drbg_random, &rng->drbg);
	if (ret != 0) {
		kg_mberr(err, errsz, "cannot sign the certificate", ret);
		st = CW_ERR_CRYPTO;
		goto out;
	}
	*pem_len = strlen((char *)pem);
	st = self_check((char *)pem, *pem_len, issuer ? &issuer->crt : NULL, err, errsz);
	if (st != CW_OK)
		goto out;
	*pem_out = (char *)pem;
	pem = NULL;
out:
	free(pem);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	if (st != CW_OK)
		*pem_len = 0;
	return st;
}

cw_status kg_issue(const kg_cert_req *req, kg_ca *issuer, kg_rng *rng, kg_issued *out, char *err,
                   size_t errsz)
{
	mbedtls_pk_context key;
	cw_status st;

	memset(out, 0, sizeof *out);
	mbedtls_pk_init(&key);
	if ((st = gen_key(req->key, rng, &key, err, errsz)) != CW_OK ||
	    (st = kg_certify(req, &key, issuer, rng, &out->crt_pem, &out->crt_len, err, errsz)) !=
	        CW_OK ||
	    (st = key_pem(&key, &out->key_pem, err, errsz)) != CW_OK)
		kg_issued_free(out);
	mbedtls_pk_free(&key);
	return st;
}

cw_status kg_keytype_of(const mbedtls_pk_context *pk, kg_keytype *out, char *err, size_t errsz)
{
	static const char accepted[] = "(accepted: P-256, P-384, RSA of 3072 or 4096 bits)";
	size_t bits = mbedtls_pk_get_bitlen(pk);

	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_ECKEY: {
		const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
		mbedtls_ecp_group_id id = ec ? ec->grp.id : MBEDTLS_ECP_DP_NONE;
		const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_grp_id(id);
		if (id == MBEDTLS_ECP_DP_SECP256R1 || id == MBEDTLS_ECP_DP_SECP384R1) {
			*out = id == MBEDTLS_ECP_DP_SECP256R1 ? KG_KEY_EC256 : KG_KEY_EC384;
			return CW_OK;
		}
		snprintf(err, errsz, "unsupported key: EC on curve %s %s", ci ? ci->name : "?",
		         accepted);
		return CW_ERR_KEY;
	}
	case MBEDTLS_PK_RSA:
		if (bits == 3072 || bits == 4096) {
			*out = bits == 3072 ? KG_KEY_RSA3072 : KG_KEY_RSA4096;
			return CW_OK;
		}
		snprintf(err, errsz, "unsupported key: RSA of %zu bits %s", bits, accepted);
		return CW_ERR_KEY;
	default:
		snprintf(err, errsz, "unsupported key: %s %s", mbedtls_pk_get_name(pk), accepted);
		return CW_ERR_KEY;
	}
}

void kg_issued_free(kg_issued *is)
{
	free(is->crt_pem);
	is->crt_pem = NULL;
	is->crt_len = 0;
	cw_sbuf_free(&is->key_pem);
}

cw_status kg_ca_from_pem(kg_ca *ca, const char *crt_pem, size_t crt_len,
                         const unsigned char *key_pem, size_t key_len, char *err, size_t errsz)
{
	unsigned char *keybuf = NULL;
	cw_status st = CW_OK;
	int ret;

	memset(ca, 0, sizeof *ca);
	mbedtls_x509_crt_init(&ca->crt);
	mbedtls_pk_init(&ca->key);
	ca->crt_pem = malloc(crt_len + 1);
	keybuf = cw_secure_alloc(key_len + 1); /* mbedtls wants PEM with its NUL counted */
	if (!ca->crt_pem || !keybuf) {
		snprintf(err, errsz, "out of memory");
		st = CW_ERR_NOMEM;
		goto out;
	}
	memcpy(ca->crt_pem, crt_pem, crt_len);
	ca->crt_pem[crt_len] = '\0';
	ca->crt_pem_len = crt_len;
	memcpy(keybuf, key_pem, key_len);
	ret = mbedtls_x509_crt_parse(&ca->crt, (unsigned char *)ca->crt_pem, crt_len + 1);
	if (ret != 0) {
		kg_mberr(err, errsz, "bad CA certificate", ret);
		st = CW_ERR_KEY;
		goto out;
	}
	if (ca->crt.next || !ca->crt.ca_istrue) {
		snprintf(err, errsz, "bad CA certificate: %s",
		         ca->crt.next ? "more than one certificate"
		                      : "not a CA (basicConstraints)");
		st = CW_ERR_KEY;
		goto out;
	}
	ret = mbedtls_pk_parse_key(&ca->key, keybuf, key_len + 1, NULL, 0);
	if (ret != 0) {
		kg_mberr(err, errsz, "bad CA private key", ret);
		st = CW_ERR_KEY;
		goto out;
	}
	if (mbedtls_pk_check_pair(&ca->crt.pk, &ca->key) != 0) {
		snprintf(err, errsz, "the CA private key does not belong to the CA certificate");
		st = CW_ERR_KEY;
	}
out:
	cw_secure_free(keybuf);
	if (st != CW_OK)
		kg_ca_free(ca);
	return st;
}

/* Reads a whole file into secure memory (key files) without following a final symlink. */
static cw_status read_secret(const char *path, cw_sbuf *b)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cw_status st;

	if (fd < 0)
		return errno == ENOENT ? CW_ERR_NOTFOUND : CW_ERR_IO;
	st = cw_sbuf_read_fd(b, fd, FILE_MAX);
	close(fd);
	return st;
}

cw_status kg_ca_load(kg_ca *ca, const char *dir, char *err, size_t errsz)
{
	char crt_path[4096], key_path[4096];
	unsigned char *crt = NULL;
	size_t crt_len = 0;
	cw_sbuf key = {0};
	cw_status st;

	memset(ca, 0, sizeof *ca);
	mbedtls_x509_crt_init(&ca->crt);
	mbedtls_pk_init(&ca->key);
	if (cw_path(crt_path, sizeof crt_path, "%s/ca.crt", dir) != CW_OK ||
	    cw_path(key_path, sizeof key_path, "%s/ca.key", dir) != CW_OK) {
		snprintf(err, errsz, "CA directory name too long");
		return CW_ERR_USAGE;
	}
	st = cw_read_file(crt_path, FILE_MAX, &crt, &crt_len);
	if (st != CW_OK) {
		snprintf(err, errsz, "cannot read CA certificate %.200s: %s", crt_path,
		         st == CW_ERR_IO ? strerror(errno) : cw_strerror(st));
		goto out;
	}
	st = read_secret(key_path, &key);
	if (st != CW_OK) {
		snprintf(err, errsz, "cannot read CA key %.200s: %s", key_path,
		         st == CW_ERR_IO ? strerror(errno) : cw_strerror(st));
		goto out;
	}
	st = kg_ca_from_pem(ca, (char *)crt, crt_len, key.data, key.len, err, errsz);
out:
	free(crt);
	cw_sbuf_free(&key);
	return st;
}

void kg_ca_free(kg_ca *ca)
{
	mbedtls_x509_crt_free(&ca->crt);
	mbedtls_pk_free(&ca->key);
	free(ca->crt_pem);
	ca->crt_pem = NULL;
	ca->crt_pem_len = 0;
}

cw_status kg_ca_open(kg_ca *ca, kg_rng *rng, const char *dir, char *err, size_t errsz)
{
	cw_status st = kg_ca_load(ca, dir, err, errsz);

	if (st != CW_OK)
		return st;
	st = kg_rng_init(rng, err, errsz);
	if (st != CW_OK) {
		kg_rng_free(rng);
		kg_ca_free(ca);
	}
	return st;
}

void kg_ca_close(kg_ca *ca, kg_rng *rng)
{
	kg_rng_free(rng);
	kg_ca_free(ca);
}
