/* common/ecdecode: certificates' EC keys decoded by OpenSSL's EC code, and the checks that go
 * with a certificate still made: a good signature verifies, a changed one does not, a point
 * off the curve or in another form is refused, a provider-decoded private key matches its
 * certificate and its signatures verify; and how far the registration reaches (ecdecode.h):
 * that key's signing runs in the built-in EC code too. The certificates come from the openssl
 * CLI; the handshakes of wallet serve and wallet-entry, whose system suites run against real
 * peers, use this path too. Skipped where the registration must not happen (FIPS, or
 * WALLET_OPENSSL_PROVIDER_DECODERS=1 in the environment). */
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "cmocka_common.h"
#include "ecdecode.h"

static char dir[] = "/tmp/cwecdec-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	/* a CA and a certificate it issued, both P-256 */
	return cw_test_sh(
	    "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout ca.key -out ca.crt -subj /CN=ca -days 2 2>/dev/null && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key "
	    "-out leaf.csr -subj /CN=leaf 2>/dev/null && "
	    "openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
	    "-out leaf.crt 2>/dev/null",
	    dir);
}

static int teardown(void **state)
{
	(void)state;
	return cw_test_sh("rm -rf %s", dir);
}

static X509 *read_cert(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* DER of a certificate file, in a buffer the caller frees. */
static unsigned char *der_of(const char *name, int *len)
{
	X509 *x = read_cert(name);
	assert_non_null(x);
	unsigned char *der = NULL;
	*len = i2d_X509(x, &der);
	assert_true(*len > 0);
	X509_free(x);
	return der;
}

static X509 *parse(const unsigned char *der, int len)
{
	const unsigned char *p = der;
	return d2i_X509(NULL, &p, len);
}

/* The offset of the 65-byte uncompressed point (04 || X || Y) of the subject's key. */
static size_t point_at(const unsigned char *der, int len)
{
	static const unsigned char head[] = {0x03, 0x42, 0x00, 0x04};
	for (size_t i = 0; i + sizeof head + 64 <= (size_t)len; i++)
		if (memcmp(der + i, head, sizeof head) == 0)
			return i + 3;
	fail_msg("no P-256 point in the certificate");
	return 0;
}

static void test_builtin_path(void **state)
{
	(void)state;
	assert_true(cw_ec_builtin_decoding());
	assert_true(cw_ec_builtin_decoding()); /* once per process; the same answer again */
	X509 *ca = read_cert("ca.crt"), *leaf = read_cert("leaf.crt");
	assert_non_null(ca);
	assert_non_null(leaf);
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	assert_non_null(k);
	/* decoded by the EC method, not a provider's decoder */
	assert_null(EVP_PKEY_get0_provider(k));
	assert_true(EVP_PKEY_is_a(k, "EC"));
	assert_int_equal(EVP_PKEY_get_bits(k), 256);
	assert_int_equal(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_verify(ca, X509_get0_pubkey(ca)), 1);
	assert_int_not_equal(X509_verify(leaf, X509_get0_pubkey(leaf)), 1); /* another key */
	X509_free(ca);
	X509_free(leaf);
}

static void test_changed_signature_refused(void **state)
{
	(void)state;
	assert_true(cw_ec_builtin_decoding());
	int len;
	unsigned char *der = der_of("leaf.crt", &len);
	X509 *ca = read_cert("ca.crt");
	der[len - 3] ^= 0x01; /* inside the signature's last integer */
	X509 *x = parse(der, len);
	if (x != NULL) /* a damaged DER integer may already be refused by the parser */
		assert_int_not_equal(X509_verify(x, X509_get0_pubkey(ca)), 1);
	X509_free(x);
	X509_free(ca);
	OPENSSL_free(der);
}

static void test_bad_points_refused(void **state)
{
	(void)state;
	assert_true(cw_ec_builtin_decoding());
	int len;
	unsigned char *der = der_of("leaf.crt", &len);
	size_t at = point_at(der, len);
	X509 *x = parse(der, len);
	assert_non_null(X509_get0_pubkey(x));
	X509_free(x);
	/* Y changed: the point is no longer on the curve; the key must not decode */
	der[at + 64] ^= 0x01;
	x = parse(der, len);
	if (x != NULL)
		assert_null(X509_get0_pubkey(x));
	X509_free(x);
	der[at + 64] ^= 0x01;
	/* a compressed-form byte that does not match the 65-byte length */
	der[at] = 0x02;
	x = parse(der, len);
	if (x != NULL)
		assert_null(X509_get0_pubkey(x));
	X509_free(x);
	OPENSSL_free(der);
}

/* A certificate's key (this path) and its private key (a provider's) still pair up, as
 * SSL_CTX_check_private_key and a handshake's CertificateVerify need; the private key's
 * signing runs in the built-in EC code as well (ecdecode.h says so: this keeps it true). */
static void test_key_matches_provider_key(void **state)
{
	(void)state;
	assert_true(cw_ec_builtin_decoding());
	char p[256];
	snprintf(p, sizeof p, "%s/leaf.key", dir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	EVP_PKEY *priv = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(priv);
	assert_non_null(EVP_PKEY_get0_provider(priv)); /* the key object stays the provider's */
	EVP_PKEY_CTX *sctx = EVP_PKEY_CTX_new(priv, NULL);
	assert_non_null(sctx);
	assert_int_equal(EVP_PKEY_sign_init(sctx), 1);
	assert_null(EVP_PKEY_CTX_get0_provider(sctx)); /* ... its operations are not */
	EVP_PKEY_CTX_free(sctx);
	X509 *leaf = read_cert("leaf.crt"), *ca = read_cert("ca.crt");
	assert_int_equal(X509_check_private_key(leaf, priv), 1);
	assert_int_not_equal(X509_check_private_key(ca, priv), 1);
	/* a signature made with the provider key verifies with the certificate's key */
	unsigned char sig[128];
	size_t siglen = sizeof sig;
	static const unsigned char msg[] = "containerwallet";
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, priv), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &siglen, msg, sizeof msg), 1);
	EVP_MD_CTX_free(m);
	m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)),
	                 1);
	assert_int_equal(EVP_DigestVerify(m, sig, siglen, msg, sizeof msg), 1);
	EVP_MD_CTX_free(m);
	m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)),
	                 1);
	sig[siglen / 2] ^= 0x01;
	assert_int_not_equal(EVP_DigestVerify(m, sig, siglen, msg, sizeof msg), 1);
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(priv);
	X509_free(leaf);
	X509_free(ca);
}

int main(void)
{
	const char *off = getenv("WALLET_OPENSSL_PROVIDER_DECODERS");
	if ((off != NULL && strcmp(off, "1") == 0) ||
	    EVP_default_properties_is_fips_enabled(NULL) || OSSL_PROVIDER_available(NULL, "fips")) {
		printf("1..0 # SKIP the built-in EC path is off here (FIPS or the environment)\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_path),
	    cmocka_unit_test(test_changed_signature_refused),
	    cmocka_unit_test(test_bad_points_refused),
	    cmocka_unit_test(test_key_matches_provider_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
