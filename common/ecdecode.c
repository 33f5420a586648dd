/* See ecdecode.h. The ENGINE interface is deprecated in OpenSSL 3.0 but present and
 * supported through 3.x; it is the only way d2i_X509 reaches x509_pubkey_decode's EC path. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "ecdecode.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool registered;

static const int ec_nids[] = {EVP_PKEY_EC};

/* The ENGINE's table of key methods: EC only, and the one OpenSSL has built in. */
static int ec_methods(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
	(void)e;
	if (pmeth == NULL) {
		*nids = ec_nids;
		return (int)(sizeof ec_nids / sizeof ec_nids[0]);
	}
	/* OpenSSL never writes through the pointer it is given back here */
	*pmeth = nid == EVP_PKEY_EC ? (EVP_PKEY_METHOD *)EVP_PKEY_meth_find(EVP_PKEY_EC) : NULL;
	return *pmeth != NULL;
}

static void register_once(void)
{
	const char *off = getenv("WALLET_OPENSSL_PROVIDER_DECODERS");
	/* Under FIPS every EC operation must stay in the FIPS provider, whether the default
	 * properties ask for it or the configuration only loads it. */
	if ((off != NULL && strcmp(off, "1") == 0) ||
	    EVP_default_properties_is_fips_enabled(NULL) || OSSL_PROVIDER_available(NULL, "fips") ||
	    !OSSL_PROVIDER_available(NULL, "default") || EVP_PKEY_meth_find(EVP_PKEY_EC) == NULL)
		return;
	ENGINE *e = ENGINE_new();
	if (e == NULL)
		return;
	/* The engine list holds it from ENGINE_add on (and frees it at OpenSSL's exit); the
	 * registration makes it the EC key method for the process. */
	registered = ENGINE_set_id(e, "containerwallet-ec") == 1 &&
	             ENGINE_set_name(e, "OpenSSL's built-in EC key method") == 1 &&
	             ENGINE_set_pkey_meths(e, ec_methods) == 1 && ENGINE_add(e) == 1 &&
	             ENGINE_register_pkey_meths(e) == 1;
	ENGINE_free(e);
	ERR_clear_error();
}

bool cw_ec_builtin_decoding(void)
{
	return pthread_once(&once, register_once) == 0 && registered;
}
