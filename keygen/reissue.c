#include "reissue.h"

#include <errno.h>
#include <mbedtls/asn1.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"

#define CRT_BEGIN "-----BEGIN CERTIFICATE-----"
#define CSR_BEGIN "CERTIFICATE REQUEST-----" /* also in "-----BEGIN NEW CERTIFICATE ..." */
#define NAME_RULES "expected 1 to 64 of [A-Za-z0-9._-], not '.' or '..'"

/* A NUL-terminated copy of buf for mbedtls's PEM reader (which wants the NUL counted), or
 * NULL (err set) unless it holds exactly one PEM block, which starts with marker. mbedtls
 * alone would take the first good block and skip what follows: a key after a certificate,
 * which renewing the file in place would then lose, or a second request. */
static unsigned char *pem_copy(const unsigned char *buf, size_t len, const char *marker,
                               const char *what, char *err, size_t errsz)
{
	unsigned char *c = malloc(len + 1);
	size_t blocks = 0;

	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (len)
		memcpy(c, buf, len);
	c[len] = '\0';
	for (const char *p = (char *)c; (p = strstr(p, "-----BEGIN ")) != NULL; p++)
		blocks++;
	if (blocks == 1 && strstr((char *)c, marker))
		return c;
	if (blocks > 1)
		snprintf(err, errsz, "more than one PEM block (expected one %s)", what);
	else
		snprintf(err, errsz, "not a PEM %s", what);
	free(c);
	return NULL;
}

static int crt_parse(void *crt, const unsigned char *buf, size_t len)
{
	return mbedtls_x509_crt_parse(crt, buf, len);
}

static int csr_parse(void *csr, const unsigned char *buf, size_t len)
{
	return mbedtls_x509_csr_parse(csr, buf, len);
}

/* parse (one of the two above) on a copy of buf that must hold a PEM block starting with
 * marker; what names the kind in err. */
static cw_status parse_pem(void *obj, int (*parse)(void *, const unsigned char *, size_t),
                           const char *marker, const char *what, const unsigned char *buf,
                           size_t len, char *err, size_t errsz)
{
	char label[64];
	unsigned char *c = pem_copy(buf, len, marker, what, err, errsz);
	int ret;

	if (!c)
		return CW_ERR_KEY;
	ret = parse(obj, c, len + 1);
	free(c);
	if (ret == 0)
		return CW_OK;
	snprintf(label, sizeof label, "bad %s", what);
	if (ret > 0) /* mbedtls_x509_crt_parse: the number of blocks that did not parse */
		snprintf(err, errsz, "%s: a PEM block does not parse", label);
	else
		kg_mberr(err, errsz, label, ret);
	return CW_ERR_KEY;
}

cw_status kg_crt_parse_pem(mbedtls_x509_crt *crt, const unsigned char *buf, size_t len, char *err,
                           size_t errsz)
{
	cw_status st;

	mbedtls_x509_crt_init(crt);
	st = parse_pem(crt, crt_parse, CRT_BEGIN, "certificate", buf, len, err, errsz);
	if (st == CW_OK && crt->next) {
		snprintf(err, errsz, "more than one certificate");
		st = CW_ERR_KEY;
	}
	return st;
}

cw_status kg_csr_parse_pem(mbedtls_x509_csr *csr, const unsigned char *buf, size_t len, char *err,
                           size_t errsz)
{
	mbedtls_x509_csr_init(csr);
	return parse_pem(csr, csr_parse, CSR_BEGIN, "certificate signing request", buf, len, err,
	                 errsz);
}

/* The bytes of a certificate or CSR file; what names it in messages. */
static cw_status read_input(const char *path, const char *what, unsigned char **buf, size_t *len,
                            char *err, size_t errsz)
{
	cw_status st;

	errno = 0;
	st = cw_read_file(path, KG_INPUT_MAX, buf, len);
	if (st != CW_OK)
		snprintf(err, errsz, "cannot read %s %.300s: %s", what, path,
		         st == CW_ERR_NOTFOUND ? "no such file"
		         : st == CW_ERR_TOOBIG ? "larger than 64 KiB"
		         : st != CW_ERR_IO     ? cw_strerror(st)
		         : errno == 0          ? "not a regular file"
		         : errno == ELOOP      ? "a symbolic link"
		                               : strerror(errno));
	return st;
}

/* Prefixes err with the file's name: "FILE: message". */
static void name_file(const char *path, char *err, size_t errsz)
{
	char tmp[512];

	snprintf(tmp, sizeof tmp, "%s", err);
	snprintf(err, errsz, "%.300s: %s", path, tmp);
}

/* Reads path and parses it with kg_crt_parse_pem (csr false) or kg_csr_parse_pem; a parse
 * error names the file. */
static cw_status load(void *obj, bool csr, const char *path, char *err, size_t errsz)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	cw_status st = read_input(path, csr ? "CSR" : "certificate", &buf, &len, err, errsz);

	if (st == CW_OK) {
		st = csr ? kg_csr_parse_pem(obj, buf, len, err, errsz)
		         : kg_crt_parse_pem(obj, buf, len, err, errsz);
		if (st != CW_OK)
			name_file(path, err, errsz);
	}
	free(buf);
	return st;
}

cw_status kg_crt_load(mbedtls_x509_crt *crt, const char *path, char *err, size_t errsz)
{
	mbedtls_x509_crt_init(crt);
	return load(crt, false, path, err, errsz);
}

cw_status kg_csr_load(mbedtls_x509_csr *csr, const char *path, char *err, size_t errsz)
{
	mbedtls_x509_csr_init(csr);
	return load(csr, true, path, err, errsz);
}

/* Whether sig over data, made with md and sig_pk (sig_opts for RSASSA-PSS), verifies with pk.
 * Hashes weaker than SHA-256 are refused. what names the signature in err, keyname the key. */
static cw_status verify_sig(const unsigned char *data, size_t len, mbedtls_md_type_t md,
                            mbedtls_pk_type_t sig_pk, const void *sig_opts,
                            const mbedtls_pk_context *pk, const mbedtls_x509_buf *sig,
                            const char *what, const char *keyname, char *err, size_t errsz)
{
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);

	if (md != MBEDTLS_MD_SHA256 && md != MBEDTLS_MD_SHA384 && md != MBEDTLS_MD_SHA512) {
		snprintf(err, errsz, "%s uses a hash weaker than SHA-256 (%s)", what,
		         mi ? mbedtls_md_get_name(mi) : "unknown");
		return CW_ERR_BADSIG;
	}
	if (!mi || mbedtls_md(mi, data, len, hash) != 0) {
		snprintf(err, errsz, "%s: cannot hash the signed part", what);
		return CW_ERR_CRYPTO;
	}
	/* mbedtls takes the key as non-const but does not change it */
	if (mbedtls_pk_verify_ext(sig_pk, sig_opts, (mbedtls_pk_context *)pk, md, hash,
	                          mbedtls_md_get_size(mi), sig->p, sig->len) != 0) {
		snprintf(err, errsz, "%s does not verify with %s", what, keyname);
		return CW_ERR_BADSIG;
	}
	return CW_OK;
}

static bool same_buf(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
	return a->len == b->len && a->len && memcmp(a->p, b->p, a->len) == 0;
}

cw_status kg_check_issued_by(const mbedtls_x509_crt *crt, const kg_ca *ca, char *err, size_t errsz)
{
	if (!same_buf(&crt->issuer_raw, &ca->crt.subject_raw)) {
		char want[256], got[256];
		if (mbedtls_x509_dn_gets(want, sizeof want, &ca->crt.subject) < 0)
			snprintf(want, sizeof want, "?");
		if (mbedtls_x509_dn_gets(got, sizeof got, &crt->issuer) < 0)
			snprintf(got, sizeof got, "?");
		snprintf(err, errsz,
		         "not issued by this CA: its issuer is '%.200s', the CA is '%.200s'", got,
		         want);
		return CW_ERR_BADSIG;
	}
	return verify_sig(crt->tbs.p, crt->tbs.len, crt->sig_md, crt->sig_pk, crt->sig_opts,
	                  &ca->crt.pk, &crt->sig, "not issued by this CA: its signature",
	                  "the CA's key", err, errsz);
}

static bool oid_is(const unsigned char *oid, size_t len, const char *want, size_t wantlen)
{
	return len == wantlen && memcmp(oid, want, len) == 0;
}

#define OID_IS(e, name) oid_is((e)->oid, (e)->oidlen, name, MBEDTLS_OID_SIZE(name))

static bool kept(const kg_ext *e)
{
	return OID_IS(e, MBEDTLS_OID_BASIC_CONSTRAINTS) || OID_IS(e, MBEDTLS_OID_KEY_USAGE) ||
	       OID_IS(e, MBEDTLS_OID_EXTENDED_KEY_USAGE) || OID_IS(e, MBEDTLS_OID_SUBJECT_ALT_NAME);
}

static bool made_anew(const kg_ext *e)
{
	return OID_IS(e, MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER) ||
	       OID_IS(e, MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER);
}

static void oid_text(const kg_ext *e, char *out, size_t outsz)
{
	mbedtls_asn1_buf b = {
	    .tag = MBEDTLS_ASN1_OID, .len = e->oidlen, .p = (unsigned char *)e->oid};

	if (mbedtls_oid_get_numeric_string(out, outsz, &b) < 0)
		snprintf(out, outsz, "?");
}

/* One Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET
 * STRING } at *p, which moves past it. */
static int get_extension(unsigned char **p, const unsigned char *end, kg_ext *e)
{
	const unsigned char *ext_end;
	size_t len;
	int crit = 0, ret;

	ret = mbedtls_asn1_get_tag(p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	if (ret != 0)
		return ret;
	ext_end = *p + len;
	if ((ret = mbedtls_asn1_get_tag(p, ext_end, &len, MBEDTLS_ASN1_OID)) != 0)
		return ret;
	e->oid = *p;
	e->oidlen = len;
	*p += len;
	ret = mbedtls_asn1_get_bool(p, ext_end, &crit);
	if (ret != 0 && ret != MBEDTLS_ERR_ASN1_UNEXPECTED_TAG)
		return ret;
	if ((ret = mbedtls_asn1_get_tag(p, ext_end, &len, MBEDTLS_ASN1_OCTET_STRING)) != 0)
		return ret;
	e->val = *p;
	e->vallen = len;
	e->critical = crit != 0;
	*p += len;
	return *p == ext_end && e->oidlen > 0 ? 0 : MBEDTLS_ERR_ASN1_LENGTH_MISMATCH;
}

cw_status kg_crt_kept_extensions(const mbedtls_x509_crt *crt, kg_ext ext[KG_EXT_MAX], size_t *n,
                                 char *err, size_t errsz)
{
	unsigned char *p = crt->v3_ext.p;
	const unsigned char *end;
	size_t len;
	char oid[64];

	*n = 0;
	if (!p || crt->v3_ext.len == 0)
		return CW_OK; /* no extensions */
	end = p + crt->v3_ext.len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) !=
	        0 ||
	    p + len != end)
		goto bad;
	while (p < end) {
		kg_ext e;
		if (get_extension(&p, end, &e) != 0)
			goto bad;
		if (kept(&e)) {
			for (size_t i = 0; i < *n; i++)
				if (oid_is(ext[i].oid, ext[i].oidlen, (const char *)e.oid,
				           e.oidlen))
					goto bad;
			if (*n == KG_EXT_MAX)
				goto bad;
			ext[(*n)++] = e;
		} else if (e.critical && !made_anew(&e)) {
			oid_text(&e, oid, sizeof oid);
			snprintf(err, errsz,
			         "has a critical extension %s that a renewal would not keep", oid);
			*n = 0;
			return CW_ERR_KEY;
		}
	}
	return CW_OK;
bad:
	snprintf(err, errsz, "malformed or repeated certificate extension");
	*n = 0;
	return CW_ERR_KEY;
}

static time_t x509_time(const mbedtls_x509_time *t)
{
	struct tm tm = {.tm_year = t->year - 1900,
	                .tm_mon = t->mon - 1,
	                .tm_mday = t->day,
	                .tm_hour = t->hour,
	                .tm_min = t->min,
	                .tm_sec = t->sec};

	return timegm(&tm);
}

unsigned kg_crt_days(const mbedtls_x509_crt *crt)
{
	time_t from = x509_time(&crt->valid_from), to = x509_time(&crt->valid_to);
	double days;

	if (from == (time_t)-1 || to == (time_t)-1 || to <= from)
		return 1;
	days = ((double)to - (double)from) / 86400.0 + 0.5;
	if (days < 1)
		return 1;
	return days > KG_DAYS_MAX ? KG_DAYS_MAX : (unsigned)days;
}

/* The renewed certificate has old's subject and key, and ca as its issuer. */
static cw_status check_renewed(const char *pem, size_t len, const mbedtls_x509_crt *old,
                               const kg_ca *ca, char *err, size_t errsz)
{
	mbedtls_x509_crt nc;
	cw_status st = kg_crt_parse_pem(&nc, (const unsigned char *)pem, len, err, errsz);

	if (st == CW_OK &&
	    (!same_buf(&nc.subject_raw, &old->subject_raw) || !same_buf(&nc.pk_raw, &old->pk_raw) ||
	     !same_buf(&nc.issuer_raw, &ca->crt.subject_raw))) {
		snprintf(err, errsz,
		         "internal error: the renewed certificate differs in subject, "
		         "key or issuer");
		st = CW_ERR_INTERNAL;
	}
	mbedtls_x509_crt_free(&nc);
	return st;
}

cw_status kg_renew(mbedtls_x509_crt *old, unsigned days, kg_ca *ca, kg_rng *rng, char **pem,
                   size_t *len, char *err, size_t errsz)
{
	kg_ext ext[KG_EXT_MAX];
	kg_cert_req req = {.kind = KG_CERT_CLIENT, .subject = &old->subject, .ext = ext};
	bool self;
	cw_status st;

	*pem = NULL;
	*len = 0;
	if ((st = kg_check_issued_by(old, ca, err, errsz)) != CW_OK ||
	    (st = kg_crt_kept_extensions(old, ext, &req.n_ext, err, errsz)) != CW_OK)
		return st;
	self = same_buf(&old->pk_raw, &ca->crt.pk_raw) &&
	       same_buf(&old->subject_raw, &ca->crt.subject_raw);
	if (old->ca_istrue && !self) {
		snprintf(err, errsz,
		         "a CA certificate other than the CA's own: wallet-keygen does "
		         "not renew intermediate CAs");
		return CW_ERR_KEY;
	}
	req.kind = old->ca_istrue ? KG_CERT_CA : KG_CERT_CLIENT;
	req.days = days ? days : kg_crt_days(old);
	/* The CA's own certificate is self-signed again: issuer NULL, signed by its own key. */
	st = old->ca_istrue ? kg_certify(&req, &ca->key, NULL, rng, pem, len, err, errsz)
	                    : kg_certify(&req, &old->pk, ca, rng, pem, len, err, errsz);
	if (st == CW_OK)
		st = check_renewed(*pem, *len, old, ca, err, errsz);
	if (st != CW_OK) {
		free(*pem);
		*pem = NULL;
		*len = 0;
	}
	return st;
}

/* The CN of a subject, which must be there once and be a valid client name. */
static cw_status client_name(const mbedtls_x509_name *subject, char name[CW_CLIENT_NAME_MAX + 1],
                             char *err, size_t errsz)
{
	const mbedtls_x509_buf *cn = NULL;
	char shown[CW_CLIENT_NAME_MAX + 4];
	size_t i;

	for (const mbedtls_x509_name *n = subject; n; n = n->next) {
		if (!n->oid.p || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0)
			continue;
		if (cn) {
			snprintf(err, errsz, "the CSR's subject has more than one CN");
			return CW_ERR_NAME;
		}
		cn = &n->val;
	}
	if (!cn) {
		snprintf(err, errsz, "the CSR's subject has no CN (the client name)");
		return CW_ERR_NAME;
	}
	if (cw_client_name_valid((const char *)cn->p, cn->len)) {
		memcpy(name, cn->p, cn->len);
		name[cn->len] = '\0';
		return CW_OK;
	}
	/* show the start of what was given, bytes outside printable ASCII as '?' */
	for (i = 0; i < cn->len && i < CW_CLIENT_NAME_MAX; i++)
		shown[i] = cn->p[i] >= 0x20 && cn->p[i] < 0x7f ? (char)cn->p[i] : '?';
	snprintf(shown + i, sizeof shown - i, "%s", cn->len > i ? "..." : "");
	snprintf(err, errsz, "the CSR's CN '%s' (%zu bytes) is not a valid client name: %s", shown,
	         cn->len, NAME_RULES);
	return CW_ERR_NAME;
}

cw_status kg_csr_check(mbedtls_x509_csr *csr, char name[CW_CLIENT_NAME_MAX + 1], char *err,
                       size_t errsz)
{
	kg_keytype type;
	cw_status st;

	name[0] = '\0';
	if ((st = client_name(&csr->subject, name, err, errsz)) != CW_OK ||
	    (st = kg_keytype_of(&csr->pk, &type, err, errsz)) != CW_OK ||
	    (st = verify_sig(csr->cri.p, csr->cri.len, csr->sig_md, csr->sig_pk, csr->sig_opts,
	                     &csr->pk, &csr->sig, "the CSR's signature", "the CSR's key", err,
	                     errsz)) != CW_OK)
		name[0] = '\0';
	return st;
}

cw_status kg_sign_csr(mbedtls_x509_csr *csr, unsigned days, kg_ca *ca, kg_rng *rng,
                      char name[CW_CLIENT_NAME_MAX + 1], char **pem, size_t *len, char *err,
                      size_t errsz)
{
	kg_cert_req req = {.kind = KG_CERT_CLIENT, .days = days};
	cw_status st;

	*pem = NULL;
	*len = 0;
	st = kg_csr_check(csr, name, err, errsz);
	if (st != CW_OK)
		return st;
	req.cn = name;
	return kg_certify(&req, &csr->pk, ca, rng, pem, len, err, errsz);
}
