#include "tlsctx.h"
#include "tlstune.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cw_tls {
	cw_tls_files f;
	SSL_CTX *base; /* civetweb's: every connection's SSL starts on it */
	/* Guards cur and info. Handshakes take it shared for the few instructions that move
	 * them to cur (SSL_set_SSL_CTX takes its own reference under it); a reload takes it
	 * exclusively only to swap the pointer. */
	pthread_rwlock_t lock;
	SSL_CTX *cur; /* NULL: base is the newest; else our reference to the newest */
	cw_tls_info info;
	atomic_uint_fast64_t hs_failures;
};

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

cw_status cw_tls_new(const cw_tls_files *files, cw_tls **out)
{
	*out = NULL;
	if (files == NULL || files->cert_file == NULL || files->key_file == NULL ||
	    files->ca_file == NULL || files->verify_depth <= 0)
		return CW_ERR_USAGE;
	pthread_once(&ex_once, ex_init);
	if (ex_index < 0)
		return CW_ERR_NOMEM;
	cw_tls *t = calloc(1, sizeof *t);
	if (t == NULL)
		return CW_ERR_NOMEM;
	if (pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(t);
		return CW_ERR_NOMEM;
	}
	t->f = *files;
	atomic_init(&t->hs_failures, 0);
	*out = t;
	return CW_OK;
}

/* Counts handshakes that die with a fatal alert: a missing or untrusted client certificate,
 * a refused protocol version or cipher, or the client giving up on ours. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	if ((where & SSL_CB_ALERT) == 0 || (ret >> 8) != SSL3_AL_FATAL || SSL_is_init_finished(ssl))
		return;
	cw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (t != NULL)
		atomic_fetch_add(&t->hs_failures, 1);
}

/* Moves ssl onto ctx with everything the handshake reads from its context. SSL_set_SSL_CTX
 * brings the certificate, key and chain, and the context itself (client CA names, trusted
 * store, callbacks); the verification settings that SSL_new copied are set again from ctx,
 * so that the handshake does not depend on which of them OpenSSL copies and which it reads
 * through the context. */
static bool move_to(SSL *ssl, SSL_CTX *ctx)
{
	if (SSL_set_SSL_CTX(ssl, ctx) != ctx)
		return false;
	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
	return SSL_set1_param(ssl, SSL_CTX_get0_param(ctx)) == 1 &&
	       SSL_set1_verify_cert_store(ssl, SSL_CTX_get_cert_store(ctx)) == 1;
}

/* The first thing the server does with a ClientHello: a handshake that starts on the base
 * context moves to the newest one. A second ClientHello (after a HelloRetryRequest) finds
 * its SSL moved already and stays where it is. */
static int hello_cb(SSL *ssl, int *alert, void *arg)
{
	cw_tls *t = arg;
	bool ok = true;
	if (SSL_get_SSL_CTX(ssl) != t->base)
		return SSL_CLIENT_HELLO_SUCCESS;
	pthread_rwlock_rdlock(&t->lock);
	if (t->cur != NULL)
		ok = move_to(ssl, t->cur);
	pthread_rwlock_unlock(&t->lock);
	if (ok)
		return SSL_CLIENT_HELLO_SUCCESS;
	*alert = SSL_AD_INTERNAL_ERROR;
	return SSL_CLIENT_HELLO_ERROR;
}

/* Replaces civetweb's server-name callback, which would move the handshake back onto the
 * base context (it calls SSL_set_SSL_CTX with its own). There is one certificate for every
 * name; a name the client sent is acknowledged, as civetweb did. */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	(void)arg;
	return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) != NULL ? SSL_TLSEXT_ERR_OK
	                                                                  : SSL_TLSEXT_ERR_NOACK;
}

/* OpenSSL's reason for the last error, then clears the queue. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

static bool readable(const char *what, const char *file, char *err, size_t errsz)
{
	if (access(file, R_OK) == 0)
		return true;
	snprintf(err, errsz, "cannot read %s %s: %s", what, file, strerror(errno));
	return false;
}

static int64_t asn1_time(const ASN1_TIME *at)
{
	struct tm tm;
	if (at == NULL || ASN1_TIME_to_tm(at, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void cert_facts(X509 *x, cw_tls_cert *out)
{
	memset(out, 0, sizeof *out);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	snprintf(out->serial, sizeof out->serial, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	BIO *b = BIO_new(BIO_s_mem());
	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(b, out->subject, (int)sizeof out->subject - 1);
		out->subject[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	out->not_after = asn1_time(X509_get0_notAfter(x));
}

/* The earliest notAfter of the certificates in store (0: none). */
static int64_t earliest_expiry(X509_STORE *store)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
	int64_t min = 0;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		int64_t na = x != NULL ? asn1_time(X509_get0_notAfter(x)) : 0;
		if (na != 0 && (min == 0 || na < min))
			min = na;
	}
	return min;
}

/* The certificate chain and key. A key that does not match shows as a mismatch either when it
 * is added (same key type) or in the final check (another type). */
static cw_status load_cert_key(const cw_tls_files *f, SSL_CTX *ctx, char *err, size_t errsz)
{
	if (!readable("TLS certificate", f->cert_file, err, errsz) ||
	    !readable("TLS key", f->key_file, err, errsz))
		return CW_ERR_TLS;
	if (SSL_CTX_use_certificate_chain_file(ctx, f->cert_file) != 1) {
		snprintf(err, errsz, "cannot use certificate %s: %s", f->cert_file, ssl_reason());
		return CW_ERR_TLS;
	}
	unsigned long e = 0;
	if (SSL_CTX_use_PrivateKey_file(ctx, f->key_file, SSL_FILETYPE_PEM) != 1) {
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) != ERR_LIB_X509 ||
		    ERR_GET_REASON(e) != X509_R_KEY_VALUES_MISMATCH) {
			snprintf(err, errsz, "cannot use private key %s: %s", f->key_file,
			         ssl_reason());
			return CW_ERR_TLS;
		}
	}
	if (e != 0 || SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errsz, "the private key in %s does not match the certificate in %s",
		         f->key_file, f->cert_file);
		return CW_ERR_TLS;
	}
	return CW_OK;
}

/* The CA: trusted for verification, and named in the CertificateRequest. */
static cw_status load_ca(const cw_tls_files *f, SSL_CTX *ctx, char *err, size_t errsz)
{
	if (!readable("TLS CA", f->ca_file, err, errsz))
		return CW_ERR_TLS;
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(f->ca_file);
	if (names == NULL || SSL_CTX_load_verify_locations(ctx, f->ca_file, NULL) != 1) {
		if (names != NULL)
			sk_X509_NAME_pop_free(names, X509_NAME_free);
		snprintf(err, errsz, "cannot use CA file %s: %s", f->ca_file,
		         names == NULL ? "no PEM certificate in it" : ssl_reason());
		ERR_clear_error();
		return CW_ERR_TLS;
	}
	SSL_CTX_set_client_CA_list(ctx, names); /* takes ownership */
	return CW_OK;
}

/* Sets ctx up completely from the files, the same way for civetweb's context at the start and
 * for each reload; info receives what the new material says. */
static cw_status configure(cw_tls *t, SSL_CTX *ctx, cw_tls_info *info, char *err, size_t errsz)
{
	static const unsigned char sid[] = "containerwallet";
	cw_status st;

	memset(info, 0, sizeof *info);
	if (SSL_CTX_set_ex_data(ctx, ex_index, t) != 1)
		goto params;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, CW_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, CW_TLS13_SUITES) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, CW_TLS_GROUPS) != 1)
		goto params;
	if ((st = load_cert_key(&t->f, ctx, err, errsz)) != CW_OK ||
	    (st = load_ca(&t->f, ctx, err, errsz)) != CW_OK)
		return st;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, t->f.verify_depth);
	if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1) != 1)
		goto params;
	/* No session cache: clients fetch their secrets once per start and never resume, and
	 * storing every full handshake's session cost ~15 % of its CPU (bench/,
	 * docs/BENCHMARKS.md). TLS 1.3 still gets one (stateful, hence never resumable) ticket
	 * instead of two: clients that wait for a ticket see one. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (cw_tls_tune_ctx(ctx) != 1) /* the chain built once, one ticket: tlstune.h */
		goto params;
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_client_hello_cb(ctx, hello_cb, t);
	if (SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb) != 1)
		goto params;
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	if (leaf != NULL)
		cert_facts(leaf, &info->server);
	info->ca_not_after = earliest_expiry(SSL_CTX_get_cert_store(ctx));
	return CW_OK;
params:
	snprintf(err, errsz, "TLS parameters: %s", ssl_reason());
	return CW_ERR_TLS;
}

cw_status cw_tls_setup(cw_tls *t, struct ssl_ctx_st *base, char *err, size_t errsz)
{
	cw_tls_info info;
	cw_status st = configure(t, base, &info, err, errsz);
	if (st != CW_OK)
		return st;
	pthread_rwlock_wrlock(&t->lock);
	t->base = base;
	t->info = info;
	pthread_rwlock_unlock(&t->lock);
	return CW_OK;
}

cw_status cw_tls_reload(cw_tls *t, char *err, size_t errsz)
{
	cw_tls_info info;
	pthread_rwlock_rdlock(&t->lock);
	bool set_up = t->base != NULL;
	pthread_rwlock_unlock(&t->lock);
	if (!set_up) {
		snprintf(err, errsz, "TLS is not set up yet");
		return CW_ERR_USAGE;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errsz, "cannot make a TLS context: %s", ssl_reason());
		return CW_ERR_NOMEM;
	}
	cw_status st = configure(t, ctx, &info, err, errsz);
	if (st != CW_OK) {
		SSL_CTX_free(ctx);
		return st;
	}
	pthread_rwlock_wrlock(&t->lock);
	SSL_CTX *old = t->cur;
	t->cur = ctx;
	info.reloads = t->info.reloads + 1;
	t->info = info;
	pthread_rwlock_unlock(&t->lock);
	SSL_CTX_free(old); /* the connections that use it hold their own references */
	return CW_OK;
}

void cw_tls_info_get(cw_tls *t, cw_tls_info *out)
{
	pthread_rwlock_rdlock(&t->lock);
	*out = t->info;
	pthread_rwlock_unlock(&t->lock);
}

uint64_t cw_tls_handshake_failures(const cw_tls *t)
{
	return atomic_load(&t->hs_failures);
}

void cw_tls_free(cw_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->cur);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

cw_status cw_tls_file_certs(const char *file, cw_tls_cert **out, size_t *n, char *err, size_t errsz)
{
	cw_status st = CW_OK;
	cw_tls_cert *arr = NULL;
	X509 *x;
	*out = NULL;
	*n = 0;
	BIO *b = BIO_new_file(file, "r");
	if (b == NULL) {
		snprintf(err, errsz, "cannot read it: %s", strerror(errno));
		ERR_clear_error();
		return CW_ERR_IO;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		cw_tls_cert *grown = realloc(arr, (*n + 1) * sizeof *arr);
		if (grown == NULL) {
			X509_free(x);
			st = CW_ERR_NOMEM;
			goto out;
		}
		arr = grown;
		cert_facts(x, &arr[(*n)++]);
		X509_free(x);
	}
	/* the loop ends at the end of the file (no further PEM block), or at a damaged one */
	unsigned long e = ERR_peek_last_error();
	if (*n == 0 || ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		snprintf(err, errsz, "%s",
		         *n == 0 ? "no PEM certificate in it" : "a damaged certificate in it");
		st = CW_ERR_TLS;
	}
out:
	ERR_clear_error();
	BIO_free(b);
	if (st != CW_OK) {
		free(arr);
		arr = NULL;
		*n = 0;
	}
	*out = arr;
	return st;
}
