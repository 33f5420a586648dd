/* The TLS side of the secrets port: the OpenSSL SSL_CTX built from three PEM files (server
 * certificate chain, its key, the CA that client certificates must chain to), and its reload
 * while the server runs.
 *
 * Settings: TLS 1.2 and 1.3 only, ECDHE with AEAD suites only, a client certificate required
 * and verified against the CA for the clientAuth purpose, no compression, renegotiation or
 * OpenSSL session cache. TLS 1.3 sessions resume, with a new key exchange, from stateful
 * tickets into a cache of our own (sesscache.h) under the rules of docs/DESIGN.md
 * ("Sessions"): for at most the session lifetime after the certificate's verification,
 * never after a reload or after the client certificate's expiry. TLS 1.2 never resumes.
 *
 * Reload (docs/DESIGN.md, "Reloading the TLS files"): civetweb creates and owns the listener's
 * SSL_CTX (the base) and makes every connection's SSL from it; cw_tls_setup configures it.
 * cw_tls_reload builds a complete new SSL_CTX from the same files with the same function, off
 * to the side, and publishes it; from then on a ClientHello callback moves each new handshake
 * onto the newest context (SSL_set_SSL_CTX, which takes a reference). Handshakes and
 * connections under way keep the context they have; a replaced context is freed with its last
 * connection. A reload that fails publishes nothing: the current material stays.
 *
 * Thread safety: cw_tls_setup runs once, before the first handshake (civetweb's start). The
 * callbacks run on civetweb's worker threads; cw_tls_reload, cw_tls_info_get and
 * cw_tls_counts_get may be called from any thread at any time. cw_tls_free only once
 * no connection is left (after mg_stop). */
#ifndef CW_TLSCTX_H
#define CW_TLSCTX_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* TLS 1.2: forward-secret key exchange (ECDHE) and AEAD only. TLS 1.3 suites are all AEAD
 * with (EC)DHE; the groups list keeps key exchange on elliptic curves. */
#define CW_TLS12_CIPHERS                                             \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define CW_TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define CW_TLS_GROUPS "X25519:P-256:P-384"

struct ssl_ctx_st; /* OpenSSL's SSL_CTX */
typedef struct cw_tls cw_tls;

typedef struct cw_tls_files {
	const char *cert_file; /* server certificate, then its chain, PEM */
	const char *key_file;  /* its private key, PEM */
	const char *ca_file;   /* CA certificate(s), PEM */
	int verify_depth;      /* client certificate chain depth, > 0 */
	/* Seconds a TLS 1.3 session resumes for after its full handshake, > 0; or -1: none
	 * (no ticket is resumable). */
	int session_lifetime_s;
	int session_cache; /* sessions kept for resumption at most, > 0 */
} cw_tls_files;

#define CW_TLS_SESSION_DEFAULT_S 7200
#define CW_TLS_SESSION_CACHE_DEFAULT 1024

/* What a certificate says about itself. */
typedef struct cw_tls_cert {
	char subject[256]; /* RFC 2253, cut to fit */
	char serial[84];   /* upper-case hex, as `openssl x509 -serial` prints it */
	int64_t not_after; /* Unix time */
} cw_tls_cert;

/* The material new handshakes use now. */
typedef struct cw_tls_info {
	cw_tls_cert server;   /* the server certificate (the first of its file) */
	int64_t ca_not_after; /* the earliest notAfter of the CA file's certificates */
	uint64_t reloads;     /* successful reloads since the start */
} cw_tls_info;

/* Copies nothing: the file names must outlive t. */
cw_status cw_tls_new(const cw_tls_files *files, cw_tls **out);

/* Configures civetweb's context base from the files and makes it the one handshakes start on.
 * CW_ERR_TLS with one line in err when a file cannot be used. */
cw_status cw_tls_setup(cw_tls *t, struct ssl_ctx_st *base, char *err, size_t errsz);

/* Reads the files again into a new context and, when all of it is usable, switches new
 * handshakes to it. Otherwise nothing changes and err receives one line: the file and why
 * (unreadable, not PEM, a key that does not match the certificate, a CA that does not parse).
 * CW_ERR_USAGE before cw_tls_setup. */
cw_status cw_tls_reload(cw_tls *t, char *err, size_t errsz);

/* The current material; zeros before cw_tls_setup. */
void cw_tls_info_get(cw_tls *t, cw_tls_info *out);

/* TLS handshakes since the start, on any of the contexts. */
typedef struct cw_tls_counts {
	uint64_t failures; /* ended with a fatal alert (sent or received) */
	uint64_t full;     /* completed with a certificate verification */
	uint64_t resumed;  /* completed by resuming a session from a ticket */
	uint64_t sessions; /* resumable sessions held now */
} cw_tls_counts;
void cw_tls_counts_get(const cw_tls *t, cw_tls_counts *out);

/* Drops the reference to the newest reloaded context. NULL is accepted. */
void cw_tls_free(cw_tls *t);

/* Every certificate in the PEM file, in order: a malloc'd array (free()). CW_ERR_IO when the
 * file cannot be read, CW_ERR_TLS when it holds no certificate or a damaged one; err receives
 * why, without the file's name (the caller names it). */
cw_status cw_tls_file_certs(const char *file, cw_tls_cert **out, size_t *n, char *err,
                            size_t errsz);

#endif
