/* The input files of wallet-keygen sign and renew (keygen/reissue.c): a CSR through
 * kg_csr_parse_pem and kg_csr_check; a certificate through kg_crt_parse_pem,
 * kg_crt_kept_extensions, kg_crt_days and kg_check_issued_by, and, when it is one renew would
 * copy, kg_certify of its subject and kept extensions for its key (what kg_renew signs once the
 * CA's signature is checked). Each input goes in as the file's bytes, and as the DER inside a
 * PEM block of each kind, so that the fuzzer works on the structure and not on base64. mbedtls
 * is not instrumented, so that its parser gives the fuzzer no guidance: the input also goes
 * straight to this project's own code, as a certificate's extension list (the walker of
 * kg_crt_kept_extensions) and as a distinguished name (the CN rules of kg_csr_check and the
 * copy of a subject into a new certificate). */
#include <mbedtls/pem.h>

#include "fuzz.h"
#include "reissue.h"

static kg_ca ca;
static kg_rng rng;

/* A CA to check signatures against and to sign with, made once per process. */
static void setup(void)
{
	static int ready;
	kg_cert_req req = {.kind = KG_CERT_CA, .cn = "fuzz CA", .days = 10, .key = KG_KEY_EC256};
	kg_issued is;
	char err[512];

	if (ready)
		return;
	FUZZ_CHECK(kg_rng_init(&rng, err, sizeof err) == CW_OK);
	FUZZ_CHECK(kg_issue(&req, NULL, &rng, &is, err, sizeof err) == CW_OK);
	FUZZ_CHECK(kg_ca_from_pem(&ca, is.crt_pem, is.crt_len, is.key_pem.data, is.key_pem.len, err,
	                          sizeof err) == CW_OK);
	kg_issued_free(&is);
	ready = 1;
}

static void one_line(const char *err)
{
	FUZZ_CHECK(strchr(err, '\n') == NULL);
}

static void csr(const uint8_t *data, size_t size)
{
	mbedtls_x509_csr c;
	char err[512] = "", name[CW_CLIENT_NAME_MAX + 1];

	if (kg_csr_parse_pem(&c, data, size, err, sizeof err) == CW_OK) {
		if (kg_csr_check(&c, name, err, sizeof err) == CW_OK)
			FUZZ_CHECK(cw_client_name_valid(name, strlen(name)));
		else
			FUZZ_CHECK(name[0] == '\0');
	}
	one_line(err);
	mbedtls_x509_csr_free(&c);
}

/* The extension points into the certificate's DER. */
static int inside(const mbedtls_x509_crt *crt, const unsigned char *p, size_t len)
{
	return p >= crt->raw.p && len <= crt->raw.len && p + len <= crt->raw.p + crt->raw.len;
}

static void certify(mbedtls_x509_crt *crt, const kg_ext *ext, size_t n)
{
	kg_cert_req req = {
	    .days = kg_crt_days(crt), .subject = &crt->subject, .ext = ext, .n_ext = n};
	mbedtls_x509_crt nc;
	char err[512] = "", *pem = NULL;
	size_t len = 0;
	kg_ext again[KG_EXT_MAX];
	size_t n2 = 0;

	if (kg_certify(&req, &crt->pk, &ca, &rng, &pem, &len, err, sizeof err) == CW_OK) {
		FUZZ_CHECK(pem != NULL && len == strlen(pem));
		FUZZ_CHECK(kg_crt_parse_pem(&nc, (unsigned char *)pem, len, err, sizeof err) ==
		           CW_OK);
		FUZZ_CHECK(kg_check_issued_by(&nc, &ca, err, sizeof err) == CW_OK);
		FUZZ_CHECK(kg_crt_kept_extensions(&nc, again, &n2, err, sizeof err) == CW_OK);
		FUZZ_CHECK(n2 == n);
		mbedtls_x509_crt_free(&nc);
	} else {
		FUZZ_CHECK(pem == NULL && len == 0);
	}
	one_line(err);
	free(pem);
}

static void crt(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt c;
	kg_ext ext[KG_EXT_MAX];
	size_t n = 99;
	char err[512] = "";
	unsigned days;

	if (kg_crt_parse_pem(&c, data, size, err, sizeof err) == CW_OK) {
		days = kg_crt_days(&c);
		FUZZ_CHECK(days >= 1 && days <= KG_DAYS_MAX);
		(void)kg_check_issued_by(&c, &ca, err, sizeof err);
		one_line(err);
		if (kg_crt_kept_extensions(&c, ext, &n, err, sizeof err) == CW_OK) {
			FUZZ_CHECK(n <= KG_EXT_MAX);
			for (size_t i = 0; i < n; i++)
				FUZZ_CHECK(inside(&c, ext[i].oid, ext[i].oidlen) &&
				           inside(&c, ext[i].val, ext[i].vallen));
			certify(&c, ext, n);
		} else {
			FUZZ_CHECK(n == 0);
		}
	}
	one_line(err);
	mbedtls_x509_crt_free(&c);
}

/* data as a certificate's Extensions (SEQUENCE OF Extension): the walker alone */
static void extensions(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt c;
	kg_ext ext[KG_EXT_MAX];
	size_t n = 99;
	unsigned char *copy = malloc(size ? size : 1);
	char err[512] = "";

	FUZZ_CHECK(copy != NULL);
	if (size)
		memcpy(copy, data, size);
	mbedtls_x509_crt_init(&c);
	c.raw.p = c.v3_ext.p = copy;
	c.raw.len = c.v3_ext.len = size;
	if (kg_crt_kept_extensions(&c, ext, &n, err, sizeof err) == CW_OK) {
		FUZZ_CHECK(n <= KG_EXT_MAX);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(inside(&c, ext[i].oid, ext[i].oidlen) &&
			           inside(&c, ext[i].val, ext[i].vallen));
	} else {
		FUZZ_CHECK(n == 0);
	}
	one_line(err);
	free(copy); /* c owns nothing */
}

/* data as the RDNs of a name: as a CSR's subject (kg_csr_check's CN rules, which come first),
 * and as the subject that kg_certify copies into a certificate for the CA's key */
static void name(const uint8_t *data, size_t size)
{
	mbedtls_x509_csr csr;
	kg_cert_req req = {.days = 1};
	unsigned char *copy = malloc(size ? size : 1), *p;
	char err[512] = "", cn[CW_CLIENT_NAME_MAX + 1], *pem = NULL;
	size_t len = 0;

	FUZZ_CHECK(copy != NULL);
	if (size)
		memcpy(copy, data, size);
	p = copy;
	mbedtls_x509_csr_init(&csr);
	if (size && mbedtls_x509_get_name(&p, copy + size, &csr.subject) == 0) {
		/* no key: a name that passes must then fail on the key */
		if (kg_csr_check(&csr, cn, err, sizeof err) != CW_ERR_NAME)
			FUZZ_CHECK(strstr(err, "unsupported key") != NULL);
		FUZZ_CHECK(cn[0] == '\0');
		one_line(err);
		req.subject = &csr.subject;
		if (kg_certify(&req, &ca.crt.pk, &ca, &rng, &pem, &len, err, sizeof err) == CW_OK)
			FUZZ_CHECK(pem != NULL && len == strlen(pem));
		one_line(err);
		free(pem);
	}
	mbedtls_x509_csr_free(&csr); /* the name's nodes; its values point into copy */
	free(copy);
}

/* data as the body of a PEM block with these lines; calls fn on it */
static void as_pem(const uint8_t *data, size_t size, const char *begin, const char *end,
                   void (*fn)(const uint8_t *, size_t))
{
	size_t cap = size * 2 + 256, olen = 0;
	unsigned char *buf = malloc(cap);

	FUZZ_CHECK(buf != NULL);
	if (size > 0 && mbedtls_pem_write_buffer(begin, end, data, size, buf, cap, &olen) == 0)
		fn(buf, olen - 1); /* olen counts the NUL */
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	csr(data, size);
	crt(data, size);
	as_pem(data, size, "-----BEGIN CERTIFICATE REQUEST-----\n",
	       "-----END CERTIFICATE REQUEST-----\n", csr);
	as_pem(data, size, "-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", crt);
	extensions(data, size);
	name(data, size);
	return 0;
}
