/* wallet-keygen renew and sign: the checks of keygen/reissue.c on certificates and CSRs made in
 * the test with mbedtls (kg_issue, kg_certify, mbedtls_x509write_csr). */
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509_csr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_common.h"
#include "../../keygen/reissue.h"
#include "../../keygen/x509.h"

static char err[512];
static kg_rng rng;
static kg_ca ca, ca2; /* ca2: another CA of the same name */

static void make_ca(kg_ca *out)
{
	kg_cert_req req = {.kind = KG_CERT_CA, .cn = "test CA", .days = 3650, .key = KG_KEY_EC256};
	kg_issued is;
	assert_int_equal(kg_issue(&req, NULL, &rng, &is, err, sizeof err), CW_OK);
	assert_int_equal(kg_ca_from_pem(out, is.crt_pem, is.crt_len, is.key_pem.data,
	                                is.key_pem.len, err, sizeof err),
	                 CW_OK);
	kg_issued_free(&is);
}

static int setup(void **state)
{
	(void)state;
	if (kg_rng_init(&rng, err, sizeof err) != CW_OK)
		return -1;
	make_ca(&ca);
	make_ca(&ca2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kg_ca_free(&ca);
	kg_ca_free(&ca2);
	kg_rng_free(&rng);
	return 0;
}

/* A leaf of kind (server: SANs DNS:localhost, IP:127.0.0.1) issued by ca, parsed into crt. */
static void make_leaf(kg_cert_kind kind, unsigned days, mbedtls_x509_crt *crt,
                      mbedtls_pk_context *key)
{
	kg_san_list sans = {0};
	kg_cert_req req = {.kind = kind, .cn = "app1", .days = days, .key = KG_KEY_EC256};
	kg_issued is;
	assert_int_equal(kg_san_add_defaults(&sans, err, sizeof err), CW_OK);
	req.sans = &sans;
	assert_int_equal(kg_issue(&req, &ca, &rng, &is, err, sizeof err), CW_OK);
	assert_int_equal(
	    kg_crt_parse_pem(crt, (unsigned char *)is.crt_pem, is.crt_len, err, sizeof err), CW_OK);
	if (key) {
		mbedtls_pk_init(key);
		assert_int_equal(
		    mbedtls_pk_parse_key(key, is.key_pem.data, is.key_pem.len + 1, NULL, 0), 0);
	}
	kg_issued_free(&is);
}

static bool same(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void test_parse(void **state)
{
	mbedtls_x509_crt crt;
	char *two;
	(void)state;
	assert_int_equal(kg_crt_parse_pem(&crt, (const unsigned char *)"", 0, err, sizeof err),
	                 CW_ERR_KEY);
	mbedtls_x509_crt_free(&crt);
	assert_int_equal(kg_crt_parse_pem(&crt, (const unsigned char *)"hello", 5, err, sizeof err),
	                 CW_ERR_KEY);
	assert_string_equal(err, "not a PEM certificate");
	mbedtls_x509_crt_free(&crt);
	/* the DER alone is refused: PEM only */
	assert_int_equal(kg_crt_parse_pem(&crt, ca.crt.raw.p, ca.crt.raw.len, err, sizeof err),
	                 CW_ERR_KEY);
	mbedtls_x509_crt_free(&crt);
	/* not NUL-terminated: the parser copies */
	assert_int_equal(
	    kg_crt_parse_pem(&crt, (unsigned char *)ca.crt_pem, ca.crt_pem_len, err, sizeof err),
	    CW_OK);
	mbedtls_x509_crt_free(&crt);
	two = malloc(ca.crt_pem_len + ca2.crt_pem_len + 64);
	assert_non_null(two);
	/* two certificates; a certificate and a key (renewing in place would drop the key); a
	 * certificate and a cut-off second one (mbedtls alone would take the first) */
	const char *second[] = {ca2.crt_pem, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n",
	                        "-----BEGIN CERTIFICATE-----\nMIIB"};
	for (size_t i = 0; i < sizeof second / sizeof second[0]; i++) {
		snprintf(two, ca.crt_pem_len + ca2.crt_pem_len + 64, "%s%s", ca.crt_pem, second[i]);
		assert_int_equal(
		    kg_crt_parse_pem(&crt, (unsigned char *)two, strlen(two), err, sizeof err),
		    CW_ERR_KEY);
		assert_string_equal(err, "more than one PEM block (expected one certificate)");
		mbedtls_x509_crt_free(&crt);
	}
	free(two);
}

static void test_kept_extensions(void **state)
{
	mbedtls_x509_crt crt;
	kg_ext ext[KG_EXT_MAX];
	size_t n = 9;
	bool ku = false, san = false;
	(void)state;
	make_leaf(KG_CERT_SERVER, 825, &crt, NULL);
	assert_int_equal(kg_crt_kept_extensions(&crt, ext, &n, err, sizeof err), CW_OK);
	assert_int_equal(n, 4); /* basicConstraints, keyUsage, extendedKeyUsage, subjectAltName */
	for (size_t i = 0; i < n; i++) {
		mbedtls_x509_buf oid = {.len = ext[i].oidlen, .p = (unsigned char *)ext[i].oid};
		assert_int_not_equal(MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_KEY_IDENTIFIER, &oid), 0);
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_KEY_USAGE, &oid) == 0) {
			ku = true;
			assert_true(ext[i].critical); /* kept as it was */
		}
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_SUBJECT_ALT_NAME, &oid) == 0)
			san = true;
	}
	assert_true(ku && san);
	assert_int_equal(kg_crt_days(&crt), 825);
	assert_int_equal(kg_crt_days(&ca.crt), 3650);
	mbedtls_x509_crt_free(&crt);
}

/* A certificate with a critical extension renew does not keep (netscape-cert-type, which
 * mbedtls parses) is refused, a non-critical one is dropped. */
static void test_critical_extension(void **state)
{
	static const unsigned char nsct[] = {0x03, 0x02, 0x07, 0x80}; /* BIT STRING: SSL client */
	kg_ext in[2] = {{.oid = (const unsigned char *)MBEDTLS_OID_NS_CERT_TYPE,
	                 .oidlen = MBEDTLS_OID_SIZE(MBEDTLS_OID_NS_CERT_TYPE),
	                 .val = nsct,
	                 .vallen = sizeof nsct,
	                 .critical = true}};
	kg_ext out[KG_EXT_MAX];
	kg_cert_req req = {.days = 10, .subject = &ca.crt.subject, .ext = in, .n_ext = 1};
	mbedtls_x509_crt leaf, crt;
	char *pem;
	size_t len, n;
	(void)state;
	make_leaf(KG_CERT_CLIENT, 10, &leaf, NULL);
	for (int crit = 1; crit >= 0; crit--) {
		in[0].critical = crit;
		assert_int_equal(kg_certify(&req, &leaf.pk, &ca, &rng, &pem, &len, err, sizeof err),
		                 CW_OK);
		assert_int_equal(kg_crt_parse_pem(&crt, (unsigned char *)pem, len, err, sizeof err),
		                 CW_OK);
		assert_int_equal(kg_crt_kept_extensions(&crt, out, &n, err, sizeof err),
		                 crit ? CW_ERR_KEY : CW_OK);
		assert_int_equal(n, 0);
		if (crit)
			assert_non_null(strstr(err, "2.16.840.1.113730.1.1"));
		mbedtls_x509_crt_free(&crt);
		free(pem);
	}
	mbedtls_x509_crt_free(&leaf);
}

static void test_renew(void **state)
{
	mbedtls_x509_crt old, nc;
	char *pem;
	size_t len;
	(void)state;
	make_leaf(KG_CERT_SERVER, 30, &old, NULL);
	assert_int_equal(kg_check_issued_by(&old, &ca, err, sizeof err), CW_OK);
	assert_int_equal(kg_renew(&old, 0, &ca, &rng, &pem, &len, err, sizeof err), CW_OK);
	assert_int_equal(kg_crt_parse_pem(&nc, (unsigned char *)pem, len, err, sizeof err), CW_OK);
	assert_true(same(&nc.subject_raw, &old.subject_raw));
	assert_true(same(&nc.pk_raw, &old.pk_raw));
	assert_true(same(&nc.issuer_raw, &ca.crt.subject_raw));
	assert_false(same(&nc.serial, &old.serial));
	assert_int_equal(kg_crt_days(&nc), 30);
	assert_int_equal(nc.key_usage, old.key_usage);
	assert_int_equal(nc.ext_types, old.ext_types);
	assert_false(nc.ca_istrue);
	assert_int_equal(kg_check_issued_by(&nc, &ca, err, sizeof err), CW_OK);
	mbedtls_x509_crt_free(&nc);
	free(pem);
	/* --days */
	assert_int_equal(kg_renew(&old, 400, &ca, &rng, &pem, &len, err, sizeof err), CW_OK);
	assert_int_equal(kg_crt_parse_pem(&nc, (unsigned char *)pem, len, err, sizeof err), CW_OK);
	assert_int_equal(kg_crt_days(&nc), 400);
	mbedtls_x509_crt_free(&nc);
	free(pem);
	/* the wrong CA, of the same name: the signature does not verify */
	assert_int_equal(kg_check_issued_by(&old, &ca2, err, sizeof err), CW_ERR_BADSIG);
	assert_int_equal(kg_renew(&old, 0, &ca2, &rng, &pem, &len, err, sizeof err), CW_ERR_BADSIG);
	assert_null(pem);
	assert_non_null(strstr(err, "not issued by this CA"));
	mbedtls_x509_crt_free(&old);
}

static void test_renew_ca(void **state)
{
	mbedtls_x509_crt nc, sub;
	kg_ext ext[KG_EXT_MAX];
	kg_cert_req req = {.days = 10, .subject = &ca.crt.subject, .ext = ext};
	mbedtls_pk_context key;
	char *pem;
	size_t len;
	(void)state;
	assert_int_equal(kg_renew(&ca.crt, 20, &ca, &rng, &pem, &len, err, sizeof err), CW_OK);
	assert_int_equal(kg_crt_parse_pem(&nc, (unsigned char *)pem, len, err, sizeof err), CW_OK);
	assert_true(nc.ca_istrue);
	assert_true(same(&nc.subject_raw, &ca.crt.subject_raw));
	assert_true(same(&nc.issuer_raw, &ca.crt.subject_raw));
	assert_true(same(&nc.pk_raw, &ca.crt.pk_raw));
	assert_int_equal(kg_crt_days(&nc), 20);
	mbedtls_x509_crt_free(&nc);
	free(pem);
	/* an intermediate CA: the CA's subject and extensions on another key */
	make_leaf(KG_CERT_CLIENT, 10, &sub, &key);
	mbedtls_x509_crt_free(&sub);
	assert_int_equal(kg_crt_kept_extensions(&ca.crt, ext, &req.n_ext, err, sizeof err), CW_OK);
	assert_int_equal(kg_certify(&req, &key, &ca, &rng, &pem, &len, err, sizeof err), CW_OK);
	assert_int_equal(kg_crt_parse_pem(&sub, (unsigned char *)pem, len, err, sizeof err), CW_OK);
	free(pem);
	assert_true(sub.ca_istrue);
	assert_int_equal(kg_renew(&sub, 0, &ca, &rng, &pem, &len, err, sizeof err), CW_ERR_KEY);
	assert_non_null(strstr(err, "intermediate"));
	mbedtls_x509_crt_free(&sub);
	mbedtls_pk_free(&key);
}

/* A PEM CSR for key with subject, signed with md; corrupt flips a byte of its signature. */
static size_t make_csr(mbedtls_pk_context *key, const char *subject, mbedtls_md_type_t md,
                       bool corrupt, unsigned char *out, size_t outsz)
{
	mbedtls_x509write_csr w;
	unsigned char der[4096];
	int n;
	mbedtls_x509write_csr_init(&w);
	mbedtls_x509write_csr_set_key(&w, key);
	mbedtls_x509write_csr_set_md_alg(&w, md);
	assert_int_equal(mbedtls_x509write_csr_set_subject_name(&w, subject), 0);
	n = mbedtls_x509write_csr_der(&w, der, sizeof der, mbedtls_ctr_drbg_random, &rng.drbg);
	assert_true(n > 0);
	mbedtls_x509write_csr_free(&w);
	if (corrupt)
		der[sizeof der - 3] ^= 0x55; /* the DER ends with the signature */
	{
		size_t olen = 0;
		assert_int_equal(mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE REQUEST-----\n",
		                                          "-----END CERTIFICATE REQUEST-----\n",
		                                          der + sizeof der - n, (size_t)n, out,
		                                          outsz, &olen),
		                 0);
		return olen - 1; /* olen counts the NUL */
	}
}

static void csr_check(mbedtls_pk_context *key, const char *subject, mbedtls_md_type_t md,
                      bool corrupt, cw_status want, const char *want_name, const char *want_err)
{
	unsigned char pem[8192];
	size_t len = make_csr(key, subject, md, corrupt, pem, sizeof pem);
	mbedtls_x509_csr csr;
	char name[CW_CLIENT_NAME_MAX + 1] = "x";
	assert_int_equal(kg_csr_parse_pem(&csr, pem, len, err, sizeof err), CW_OK);
	err[0] = '\0';
	assert_int_equal(kg_csr_check(&csr, name, err, sizeof err), want);
	if (want == CW_OK)
		assert_string_equal(name, want_name);
	else
		assert_string_equal(name, "");
	if (want_err)
		assert_non_null(strstr(err, want_err));
	assert_null(strchr(err, '\n'));
	mbedtls_x509_csr_free(&csr);
}

static void test_csr(void **state)
{
	mbedtls_x509_crt leaf;
	mbedtls_pk_context key, p521;
	char sixty_five[80] = "CN=";
	(void)state;
	make_leaf(KG_CERT_CLIENT, 10, &leaf, &key);
	mbedtls_x509_crt_free(&leaf);
	csr_check(&key, "CN=app1", MBEDTLS_MD_SHA256, false, CW_OK, "app1", NULL);
	csr_check(&key, "CN=app_1.x-y,O=Org,C=DE", MBEDTLS_MD_SHA384, false, CW_OK, "app_1.x-y",
	          NULL);
	csr_check(&key, "CN=app1", MBEDTLS_MD_SHA256, true, CW_ERR_BADSIG, NULL, "does not verify");
	csr_check(&key, "CN=app1", MBEDTLS_MD_SHA1, false, CW_ERR_BADSIG, NULL, "weaker");
	csr_check(&key, "CN=a b", MBEDTLS_MD_SHA256, false, CW_ERR_NAME, NULL, "'a b'");
	csr_check(&key, "CN=..", MBEDTLS_MD_SHA256, false, CW_ERR_NAME, NULL, "not a valid");
	csr_check(&key, "O=app1", MBEDTLS_MD_SHA256, false, CW_ERR_NAME, NULL, "no CN");
	memset(sixty_five + 3, 'a', 65);
	csr_check(&key, sixty_five, MBEDTLS_MD_SHA256, false, CW_ERR_NAME, NULL, "(65 bytes)");
	sixty_five[3 + 64] = '\0';
	csr_check(&key, sixty_five, MBEDTLS_MD_SHA256, false, CW_OK, sixty_five + 3, NULL);

	mbedtls_pk_init(&p521);
	assert_int_equal(mbedtls_pk_setup(&p521, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP521R1, mbedtls_pk_ec(p521),
	                                     mbedtls_ctr_drbg_random, &rng.drbg),
	                 0);
	csr_check(&p521, "CN=app1", MBEDTLS_MD_SHA256, false, CW_ERR_KEY, NULL, "secp521r1");
	mbedtls_pk_free(&p521);
	mbedtls_pk_free(&key);
}

static void test_sign_csr(void **state)
{
	mbedtls_x509_crt leaf, nc;
	mbedtls_pk_context key;
	mbedtls_x509_csr csr;
	unsigned char pem[8192];
	char name[CW_CLIENT_NAME_MAX + 1], *out;
	size_t len, outlen;
	(void)state;
	make_leaf(KG_CERT_CLIENT, 10, &leaf, &key);
	mbedtls_x509_crt_free(&leaf);
	len = make_csr(&key, "CN=app7,O=Ignored", MBEDTLS_MD_SHA256, false, pem, sizeof pem);
	assert_int_equal(kg_csr_parse_pem(&csr, pem, len, err, sizeof err), CW_OK);
	assert_int_equal(kg_sign_csr(&csr, 9, &ca, &rng, name, &out, &outlen, err, sizeof err),
	                 CW_OK);
	assert_string_equal(name, "app7");
	assert_int_equal(kg_crt_parse_pem(&nc, (unsigned char *)out, outlen, err, sizeof err),
	                 CW_OK);
	assert_int_equal(kg_crt_days(&nc), 9);
	assert_false(nc.ca_istrue);
	assert_int_equal(nc.subject.next, NULL); /* CN only */
	assert_int_equal(
	    mbedtls_x509_crt_check_extended_key_usage(&nc, MBEDTLS_OID_CLIENT_AUTH,
	                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
	    0);
	assert_int_not_equal(
	    mbedtls_x509_crt_check_extended_key_usage(&nc, MBEDTLS_OID_SERVER_AUTH,
	                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
	    0);
	assert_int_equal(kg_check_issued_by(&nc, &ca, err, sizeof err), CW_OK);
	mbedtls_x509_crt_free(&nc);
	free(out);
	mbedtls_x509_csr_free(&csr);
	/* a CSR is not a certificate, nor the other way round */
	assert_int_equal(kg_crt_parse_pem(&nc, pem, len, err, sizeof err), CW_ERR_KEY);
	mbedtls_x509_crt_free(&nc);
	assert_int_equal(
	    kg_csr_parse_pem(&csr, (unsigned char *)ca.crt_pem, ca.crt_pem_len, err, sizeof err),
	    CW_ERR_KEY);
	mbedtls_x509_csr_free(&csr);
	mbedtls_pk_free(&key);
}

static void test_keytype_of(void **state)
{
	kg_keytype t = KG_KEY_RSA4096;
	(void)state;
	assert_int_equal(kg_keytype_of(&ca.crt.pk, &t, err, sizeof err), CW_OK);
	assert_int_equal(t, KG_KEY_EC256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_kept_extensions),
	    cmocka_unit_test(test_critical_extension),
	    cmocka_unit_test(test_renew),
	    cmocka_unit_test(test_renew_ca),
	    cmocka_unit_test(test_csr),
	    cmocka_unit_test(test_sign_csr),
	    cmocka_unit_test(test_keytype_of),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
