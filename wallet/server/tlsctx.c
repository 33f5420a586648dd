#include "tlsctx.h"
#include "tktkeys.h"
#include "tlstune.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
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
	uint32_t generation; /* of the newest context: 0 at the start, +1 per reload */
	/* Session tickets (tktkeys.h): the keys under their own lock, taken for the few
	 * instructions that key a ticket's cipher and MAC. */
	pthread_mutex_t tk_lock;
	cw_tk_set tk;
	EVP_CIPHER *tk_cipher; /* AES-256-CBC, fetched once */
	atomic_uint_fast64_t hs_failures, hs_full, hs_resumed;
};

/* A ticket key seals tickets for half the session lifetime and opens them for all of it. */
static int64_t key_period(const cw_tls *t)
{
	return t->f.session_lifetime_s > 1 ? t->f.session_lifetime_s / 2 : 1;
}

static bool resumes(const cw_tls *t)
{
	return t->f.session_lifetime_s > 0;
}

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* The session id context of a generation of the TLS files: sessions carry it, and one made
 * under another generation is never resumed (ticket_dec_cb). */
#define SID_PREFIX "containerwallet/"
#define SID_LEN (sizeof SID_PREFIX - 1 + 4)
static void sid_of(uint32_t generation, unsigned char sid[SID_LEN])
{
	memcpy(sid, SID_PREFIX, sizeof SID_PREFIX - 1);
	for (int i = 0; i < 4; i++)
		sid[sizeof SID_PREFIX - 1 + (size_t)i] =
		    (unsigned char)(generation >> (24 - 8 * i));
}

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
	    files->ca_file == NULL || files->verify_depth <= 0 ||
	    (files->session_lifetime_s <= 0 && files->session_lifetime_s != -1))
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
	if (pthread_mutex_init(&t->tk_lock, NULL) != 0) {
		pthread_rwlock_destroy(&t->lock);
		free(t);
		return CW_ERR_NOMEM;
	}
	t->f = *files;
	atomic_init(&t->hs_failures, 0);
	atomic_init(&t->hs_full, 0);
	atomic_init(&t->hs_resumed, 0);
	*out = t;
	t->tk_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (t->tk_cipher == NULL || !cw_tk_reset(&t->tk, key_period(t), mono_s())) {
		cw_tls_free(t);
		*out = NULL;
		ERR_clear_error();
		return CW_ERR_NOMEM;
	}
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

/* Keys a ticket's cipher and MAC (tktkeys.h has the rules): enc 1 seals a new ticket under
 * the current key, enc 0 opens one by its key's name. TLS 1.3 only: a TLS 1.2 resumption
 * would skip the key exchange, so that a stolen ticket key would open the traffic of every
 * session it sealed; TLS 1.3 resumes with a new (EC)DHE exchange (psk_dhe_ke, the only
 * mode the server accepts). 1: keyed; 2: keyed, and the ticket is to be renewed; 0: no
 * ticket (a full handshake); -1: an error. */
static int ticket_key_cb(SSL *ssl, unsigned char name[CW_TK_NAME_LEN], unsigned char *iv,
                         EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	cw_tls *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (t == NULL || !resumes(t) || SSL_version(ssl) < TLS1_3_VERSION)
		return 0;
	int ivlen = EVP_CIPHER_get_iv_length(t->tk_cipher);
	if (enc && (ivlen <= 0 || ivlen > EVP_MAX_IV_LENGTH || RAND_bytes(iv, ivlen) != 1))
		return -1;
	int rc = 0;
	bool renew = false;
	pthread_mutex_lock(&t->tk_lock);
	const cw_tk_key *k =
	    enc ? cw_tk_seal_key(&t->tk, mono_s()) : cw_tk_open_key(&t->tk, name, mono_s(), &renew);
	if (k != NULL) {
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
		                                      sizeof k->hmac),
		    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		    OSSL_PARAM_construct_end()};
		if (enc)
			memcpy(name, k->name, CW_TK_NAME_LEN);
		rc = EVP_MAC_CTX_set_params(hctx, params) == 1 &&
		             (enc ? EVP_EncryptInit_ex2(cctx, t->tk_cipher, k->aes, iv, NULL)
		                  : EVP_DecryptInit_ex2(cctx, t->tk_cipher, k->aes, iv, NULL)) == 1
		         ? (renew ? 2 : 1)
		         : -1;
	} else if (enc) {
		rc = -1; /* no key could be made */
	}
	pthread_mutex_unlock(&t->tk_lock);
	return rc;
}

/* When the client certificate of a session was verified: a full handshake's session gets the
 * time now, in the ticket's application data, and keeps it through every resumption and
 * renewed ticket, so that a session's life is counted from its verification. */
static int ticket_gen_cb(SSL *ssl, void *arg)
{
	(void)arg;
	SSL_SESSION *sess = SSL_get0_session(ssl);
	void *data = NULL;
	size_t len = 0;
	if (sess == NULL || SSL_SESSION_get0_ticket_appdata(sess, &data, &len) != 1)
		return 0;
	if (len != 0)
		return 1; /* a resumed session: its time stays */
	unsigned char when[8];
	uint64_t now = (uint64_t)time(NULL);
	for (int i = 0; i < 8; i++)
		when[i] = (unsigned char)(now >> (56 - 8 * i));
	return SSL_SESSION_set1_ticket_appdata(sess, when, sizeof when);
}

static bool session_young(const cw_tls *t, SSL_SESSION *sess)
{
	void *data = NULL;
	size_t len = 0;
	if (SSL_SESSION_get0_ticket_appdata(sess, &data, &len) != 1 || len != 8)
		return false;
	const unsigned char *b = data;
	uint64_t when = 0;
	for (int i = 0; i < 8; i++)
		when = when << 8 | b[i];
	int64_t age = (int64_t)time(NULL) - (int64_t)when;
	return age >= 0 && age < t->f.session_lifetime_s;
}

/* A ticket that opened is used only for a session of the current TLS files' generation (a
 * reload ends every session made before it: it may have been verified against a CA that the
 * reload removed), verified less than the session lifetime ago (renewed tickets included),
 * and whose client certificate has not expired since (a full handshake refuses it then).
 * Anything else is ignored: the client gets a full handshake. */
static SSL_TICKET_RETURN ticket_dec_cb(SSL *ssl, SSL_SESSION *sess, const unsigned char *keyname,
                                       size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	(void)ssl;
	(void)keyname;
	(void)keyname_len;
	cw_tls *t = arg;
	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		break;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	default:
		return SSL_TICKET_RETURN_ABORT;
	}
	unsigned char want[SID_LEN];
	unsigned int len = 0;
	const unsigned char *sid = SSL_SESSION_get0_id_context(sess, &len);
	pthread_rwlock_rdlock(&t->lock);
	sid_of(t->generation, want);
	pthread_rwlock_unlock(&t->lock);
	X509 *peer = SSL_SESSION_get0_peer(sess);
	if (!resumes(t) || len != SID_LEN || memcmp(sid, want, SID_LEN) != 0 || peer == NULL ||
	    !session_young(t, sess) || X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0)
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	/* Each resumption gets a new ticket (RFC 8446 asks clients to use a ticket once; some,
	 * libcurl among them, do), still dated by the verification (ticket_gen_cb). */
	return SSL_TICKET_RETURN_USE_RENEW;
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
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Stateless tickets (the session sealed into the ticket), resumable under the rules of
	 * ticket_key_cb and ticket_dec_cb; no resumption without a new key exchange. With
	 * resumption off, TLS 1.3 tickets are stateful, and with no session cache they never
	 * resume. */
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET | SSL_OP_ALLOW_NO_DHE_KEX);
	if (!resumes(t))
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
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
	/* No session cache: a full handshake's session is not stored (storing each cost ~15 % of
	 * its CPU: bench/, docs/BENCHMARKS.md); it travels in the client's ticket instead. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, resumes(t) ? t->f.session_lifetime_s : CW_TLS_SESSION_DEFAULT_S);
	if (cw_tls_tune_ctx(ctx) != 1) /* the chain built once, one ticket: tlstune.h */
		goto params;
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_client_hello_cb(ctx, hello_cb, t);
	if (SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1 ||
	    SSL_CTX_set_session_ticket_cb(ctx, ticket_gen_cb, ticket_dec_cb, t) != 1)
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
	/* New ticket keys as well: tickets sealed before the reload no longer even open. */
	pthread_mutex_lock(&t->tk_lock);
	bool keyed = cw_tk_reset(&t->tk, key_period(t), mono_s());
	pthread_mutex_unlock(&t->tk_lock);
	if (!keyed) /* no ticket is sealed until a key can be made; the reload itself holds */
		ERR_clear_error();
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
}

void cw_tls_free(cw_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->cur);
	cw_tk_wipe(&t->tk);
	EVP_CIPHER_free(t->tk_cipher);
	pthread_mutex_destroy(&t->tk_lock);
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
