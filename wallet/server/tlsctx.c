#include "tlsctx.h"
#include "sesscache.h"
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

/* Every option of the server's contexts (configure clears the rest). MIDDLEBOX_COMPAT is
 * OpenSSL's default, kept. */
#define CW_TLS_SERVER_OPTIONS                                                                \
	(SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | \
	 SSL_OP_NO_TICKET | SSL_OP_ENABLE_MIDDLEBOX_COMPAT)

struct cw_tls {
	cw_tls_files f;
	SSL_CTX *base; /* civetweb's: every connection's SSL starts on it */
	/* Guards cur and info. Handshakes take it shared for the few instructions that move
	 * them to cur (SSL_set_SSL_CTX takes its own reference under it); a reload takes it
	 * exclusively only to swap the pointer. */
	pthread_rwlock_t lock;
	SSL_CTX *cur; /* NULL: base is the newest; else our reference to the newest */
	cw_tls_info info;
	uint32_t generation; /* of the newest context: 0 at the start, +1 per reload */
	cw_sc *sessions;     /* resumable TLS 1.3 sessions (sesscache.h); NULL: no resumption */
	atomic_uint_fast64_t hs_failures, hs_full, hs_resumed;
};

static bool resumes(const cw_tls *t)
{
	return t->f.session_lifetime_s > 0;
}

/* The session id context of a generation of the TLS files: sessions carry it, and one made
 * under another generation is never resumed (usable_session). */
#define SID_PREFIX "containerwallet/"
#define SID_LEN (sizeof SID_PREFIX - 1 + 4)
static void sid_of(uint32_t generation, unsigned char sid[SID_LEN])
{
	memcpy(sid, SID_PREFIX, sizeof SID_PREFIX - 1);
	for (int i = 0; i < 4; i++)
		sid[sizeof SID_PREFIX - 1 + (size_t)i] =
		    (unsigned char)(generation >> (24 - 8 * i));
}

static int ex_index = -1;      /* SSL_CTX: its cw_tls */
static int sess_ex_index = -1; /* SSL_SESSION: when its client certificate was verified */
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_init(void)
{
	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	sess_ex_index = SSL_SESSION_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

cw_status cw_tls_new(const cw_tls_files *files, cw_tls **out)
{
	*out = NULL;
	if (files == NULL || files->cert_file == NULL || files->key_file == NULL ||
	    files->ca_file == NULL || files->verify_depth <= 0 ||
	    (files->session_lifetime_s <= 0 && files->session_lifetime_s != -1) ||
	    files->session_cache <= 0)
		return CW_ERR_USAGE;
	pthread_once(&ex_once, ex_init);
	if (ex_index < 0 || sess_ex_index < 0)
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
	atomic_init(&t->hs_full, 0);
	atomic_init(&t->hs_resumed, 0);
	if (resumes(t) && (t->sessions = cw_sc_new((size_t)t->f.session_cache)) == NULL) {
		cw_tls_free(t);
		return CW_ERR_NOMEM;
	}
	*out = t;
	return CW_OK;
}

/* Counts handshakes completed, full or resumed, and those that die with a fatal alert: a
 * missing or untrusted client certificate, a refused protocol version or cipher, or the
 * client giving up on ours. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	cw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (t == NULL)
		return;
	if ((where & SSL_CB_HANDSHAKE_DONE) != 0)
		atomic_fetch_add(SSL_session_reused(ssl) ? &t->hs_resumed : &t->hs_full, 1);
	else if ((where & SSL_CB_ALERT) != 0 && (ret >> 8) == SSL3_AL_FATAL &&
	         !SSL_is_init_finished(ssl))
		atomic_fetch_add(&t->hs_failures, 1);
}

/* Resumption (docs/DESIGN.md, "Sessions"). TLS 1.3 only: a TLS 1.2 resumption skips the key
 * exchange; a TLS 1.3 one makes a new (EC)DHE exchange (psk_dhe_ke, the only mode the server
 * accepts). The tickets are stateful: a session id, the session in our cache. */

/* A session that a TLS 1.3 full handshake made (its verification time set now) or that a
 * resumption renewed (its time kept: ex data travels with the copy), into the cache. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	cw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (t == NULL || t->sessions == NULL || SSL_version(ssl) < TLS1_3_VERSION)
		return 0; /* OpenSSL releases the reference it gave us */
	if (SSL_SESSION_get_ex_data(sess, sess_ex_index) == NULL)
		(void)SSL_SESSION_set_ex_data(sess, sess_ex_index, (void *)(uintptr_t)time(NULL));
	(void)cw_sc_put(t->sessions, sess); /* takes the reference, stored or not */
	return 1;
}

/* A session is resumed only when it is of the current TLS files' generation (a reload ends
 * every session made before it: it may have been verified against a CA that the reload
 * removed), of TLS 1.3, verified less than the session lifetime ago (renewals included), and
 * when its client certificate has not expired since (a full handshake refuses it then). */
static bool usable_session(SSL_SESSION *sess, void *arg)
{
	cw_tls *t = arg;
	unsigned char want[SID_LEN];
	unsigned int len = 0;
	const unsigned char *sid = SSL_SESSION_get0_id_context(sess, &len);
	pthread_rwlock_rdlock(&t->lock);
	sid_of(t->generation, want);
	pthread_rwlock_unlock(&t->lock);
	time_t now = time(NULL);
	time_t verified = (time_t)(uintptr_t)SSL_SESSION_get_ex_data(sess, sess_ex_index);
	X509 *peer = SSL_SESSION_get0_peer(sess);
	return len == SID_LEN && memcmp(sid, want, SID_LEN) == 0 &&
	       SSL_SESSION_get_protocol_version(sess) == TLS1_3_VERSION && verified > 0 &&
	       now >= verified && now - verified < t->f.session_lifetime_s && peer != NULL &&
	       X509_cmp_time(X509_get0_notAfter(peer), &now) > 0;
}

static SSL_SESSION *get_session_cb(SSL *ssl, const unsigned char *id, int len, int *copy)
{
	cw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	*copy = 0; /* the reference cw_sc_take hands over is OpenSSL's */
	if (t == NULL || t->sessions == NULL || len <= 0)
		return NULL;
	return cw_sc_take(t->sessions, id, (size_t)len, usable_session, t);
}

static void remove_session_cb(SSL_CTX *ctx, SSL_SESSION *sess)
{
	cw_tls *t = SSL_CTX_get_ex_data(ctx, ex_index);
	unsigned int len = 0;
	const unsigned char *id = SSL_SESSION_get_id(sess, &len);
	if (t != NULL && t->sessions != NULL)
		cw_sc_remove(t->sessions, id, len);
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
 * for each reload (generation: 0, then one more per reload); info receives what the new
 * material says. */
static cw_status configure(cw_tls *t, SSL_CTX *ctx, uint32_t generation, cw_tls_info *info,
                           char *err, size_t errsz)
{
	unsigned char sid[SID_LEN];
	cw_status st;

	memset(info, 0, sizeof *info);
	sid_of(generation, sid);
	if (SSL_CTX_set_ex_data(ctx, ex_index, t) != 1)
		goto params;
	/* The options are ours alone. civetweb 1.15 loads libssl itself and sets the
	 * SSL_OP_ALL of OpenSSL 1.0 (0x80000BFF, hard-coded) on the context it makes; under
	 * OpenSSL 3 six of those bits mean other things, among them NO_EXTENDED_MASTER_SECRET
	 * (TLS 1.2 without RFC 7627's binding of the session to its handshake), ENABLE_KTLS
	 * (setsockopt calls per connection) and DISABLE_TLSEXT_CA_NAMES. So every bit is
	 * cleared first, options from an OpenSSL configuration file included.
	 * NO_TICKET: TLS 1.3 tickets are stateful (a session id) and TLS 1.2 gets none; no
	 * resumption without a new key exchange (ALLOW_NO_DHE_KEX stays clear). */
	SSL_CTX_clear_options(ctx, SSL_CTX_get_options(ctx));
	SSL_CTX_set_options(ctx, CW_TLS_SERVER_OPTIONS);
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
	    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid) != 1)
		goto params;
	/* Sessions live in our cache only (sesscache.h, under the rules of usable_session):
	 * OpenSSL's own would keep them without those rules. With resumption off, nothing is
	 * cached and no ticket can resume. */
	SSL_CTX_set_session_cache_mode(ctx, resumes(t)
	                                        ? SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL
	                                        : SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, resumes(t) ? t->f.session_lifetime_s : CW_TLS_SESSION_DEFAULT_S);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	SSL_CTX_sess_set_get_cb(ctx, get_session_cb);
	SSL_CTX_sess_set_remove_cb(ctx, remove_session_cb);
	if (cw_tls_tune_ctx(ctx) != 1) /* the chain built once, one ticket: tlstune.h */
		goto params;
	/* Without resumption a ticket is work (a session id, a key derivation, a record) that
	 * no client can use. */
	if (!resumes(t) && SSL_CTX_set_num_tickets(ctx, 0) != 1)
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
	cw_status st = configure(t, base, 0, &info, err, errsz);
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
	uint32_t generation = t->generation + 1; /* reloads run one at a time */
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
	cw_status st = configure(t, ctx, generation, &info, err, errsz);
	if (st != CW_OK) {
		SSL_CTX_free(ctx);
		return st;
	}
	pthread_rwlock_wrlock(&t->lock);
	SSL_CTX *old = t->cur;
	t->cur = ctx;
	t->generation = generation; /* from now on, older sessions are not resumed */
	info.reloads = t->info.reloads + 1;
	t->info = info;
	pthread_rwlock_unlock(&t->lock);
	SSL_CTX_free(old); /* the connections that use it hold their own references */
	/* and the sessions are forgotten: none made before the reload is resumed after it */
	if (t->sessions != NULL)
		cw_sc_clear(t->sessions);
	return CW_OK;
}

void cw_tls_info_get(cw_tls *t, cw_tls_info *out)
{
	pthread_rwlock_rdlock(&t->lock);
	*out = t->info;
	pthread_rwlock_unlock(&t->lock);
}

void cw_tls_counts_get(const cw_tls *t, cw_tls_counts *out)
{
	out->failures = atomic_load(&t->hs_failures);
	out->full = atomic_load(&t->hs_full);
	out->resumed = atomic_load(&t->hs_resumed);
	out->sessions = t->sessions != NULL ? cw_sc_count(t->sessions) : 0;
}

void cw_tls_free(cw_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->cur);
	cw_sc_free(t->sessions);
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
