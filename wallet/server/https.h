/* A small HTTPS server on civetweb (Debian's libcivetweb1 1.15 with OpenSSL 3, through the
 * libssl shim: see docs/DESIGN.md, platform notes).
 *
 * One mutual-TLS listener: TLS 1.2 and 1.3 only, ECDHE with AEAD suites only, a client
 * certificate chaining to the given CA required (clientAuth purpose, bounded depth). An
 * optional plain-HTTP listener runs in a context of its own (its own small thread pool), so
 * that a flood on the TLS port cannot starve health probes; a handler is reachable only on
 * the listeners it was registered for.
 *
 * Routing is done by this helper on the raw request path (civetweb's URL decoding is turned
 * off and its cleaned path is never used), so handlers see exactly what the client sent and
 * can reject %-escapes and dot segments themselves. civetweb never serves files: there is no
 * document root.
 *
 * The TLS context (settings, files, reload) is tlsctx.c's.
 *
 * Thread safety: cw_https_new, cw_https_route, cw_https_start and cw_https_free are called
 * from one thread. Handlers and the observer run concurrently on worker threads;
 * cw_https_reload_tls and cw_https_tls_info may be called from any thread once started. */
#ifndef CW_HTTPS_H
#define CW_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "name.h"
#include "status.h"
#include "tlsctx.h"

struct mg_connection;
typedef struct cw_https cw_https;
typedef struct cw_log cw_log;

/* Which listener a request arrived on / a route is registered for. */
#define CW_HTTPS_TLS 1u
#define CW_HTTPS_PLAIN 2u

typedef struct cw_https_opts {
	const char *listen;        /* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0 picks a free one */
	const char *cert_file;     /* server certificate (chain) in PEM */
	const char *key_file;      /* its private key in PEM */
	const char *ca_file;       /* CA certificate(s) in PEM that client certificates chain to */
	int verify_depth;          /* 0: 4 */
	int session_lifetime_s;    /* TLS session resumption (tlsctx.h); 0: 7200; -1: none */
	int session_cache;         /* sessions held for it at most; 0: 1024 */
	int num_threads;           /* TLS workers; 0: 4 */
	int request_timeout_ms;    /* per read/write and for the handshake; 0: 10000 */
	int keep_alive_timeout_ms; /* idle kept-alive connection; 0: 15000 */
	int max_header_bytes;      /* request line + headers; 0: 8192 */
	const char *plain_listen;  /* NULL: no plain-HTTP listener */
	int plain_threads;         /* 0: 2 */
	cw_log *log;               /* civetweb's own error messages go here (may be NULL) */
} cw_https_opts;

/* The client as authenticated by the TLS handshake. */
typedef struct cw_https_peer {
	bool verified;                   /* a verified client certificate was presented */
	char cn[CW_CLIENT_NAME_MAX + 1]; /* its subject CN; "" when absent, repeated, not
	                                    UTF-8, containing NUL or longer than 64 bytes */
	char sha256[65];                 /* lowercase hex SHA-256 of the certificate (DER) */
} cw_https_peer;

typedef struct cw_https_req {
	struct mg_connection *conn;
	unsigned listener; /* CW_HTTPS_TLS or CW_HTTPS_PLAIN */
	/* Both raw, exactly as sent (no decoding, no cleaning). A handler always gets them; the
	 * observer may see NULL or any bytes for a request refused before routing (below). */
	const char *method;
	const char *path;
	const char *query;         /* raw, after '?'; NULL when absent */
	const cw_https_peer *peer; /* always set; .verified false on the plain listener */
	/* Set by cw_https_reply, read by the observer. */
	int status;
	uint64_t bytes; /* body bytes sent */
	/* Free for handlers to annotate the request for the observer (audit log). */
	char object[CW_NAME_MAX + 1];
	uint64_t version;
	const char *note; /* a static string, e.g. why a request was refused */
} cw_https_req;

/* A handler must answer with cw_https_reply (exactly once). */
typedef void (*cw_https_handler)(cw_https_req *req, void *arg);
/* Called after each request with its outcome; duration in microseconds. Also for a request
 * civetweb refuses before routing (malformed, oversized, an unknown HTTP version, a target
 * that is not origin-form such as "*" or an absolute URI): it gets a fixed answer that never
 * quotes the request (400, or 411, 413, 500, 505), with Connection: close, and the observer
 * sees its status and whatever method and path were parsed, a duration of 0, and a note. */
typedef void (*cw_https_observer)(const cw_https_req *req, uint64_t duration_us, void *arg);

/* Copies nothing: opts' strings must outlive the server. */
cw_status cw_https_new(const cw_https_opts *opts, cw_https **out);

/* Registers fn for requests whose raw path equals path, or, when prefix is true, starts with
 * it. listeners is a mask of CW_HTTPS_TLS / CW_HTTPS_PLAIN. Routes are tried in order of
 * registration. Unrouted requests get 404. At most 16 routes; before cw_https_start only. */
cw_status cw_https_route(cw_https *srv, const char *path, bool prefix, unsigned listeners,
                         cw_https_handler fn, void *arg);
void cw_https_set_observer(cw_https *srv, cw_https_observer fn, void *arg);

/* Starts the listeners. On failure err receives one line (no trailing newline). */
cw_status cw_https_start(cw_https *srv, char *err, size_t errsz);

/* The bound port of a listener (useful with port 0); 0 when that listener does not run. */
int cw_https_port(const cw_https *srv, unsigned listener);

/* TLS handshakes so far: failed, full and resumed (tlsctx.h). */
void cw_https_tls_counts(const cw_https *srv, cw_tls_counts *out);

/* Reads the TLS certificate, key and CA files again (the same paths) and switches new
 * handshakes to them, without dropping or refusing a connection; handshakes and connections
 * under way finish with what they started with. When any of it cannot be used, nothing
 * changes and err receives one line saying which file and why. See tlsctx.h. */
cw_status cw_https_reload_tls(cw_https *srv, char *err, size_t errsz);

/* What the TLS material new handshakes get says (serial, expiry dates). */
void cw_https_tls_info(cw_https *srv, cw_tls_info *out);

/* Stops accepting, lets in-flight requests finish (mg_stop), frees. NULL is accepted. */
void cw_https_free(cw_https *srv);

/* The first request header called name (case-insensitive), as sent; NULL when absent. Valid
 * during the handler. */
const char *cw_https_header(const cw_https_req *req, const char *name);

/* Sends a whole response with Content-Length (none for a 304, which never has a body). ctype may be
 * NULL (no body type); extra_headers is NULL or "Name: value\r\n" lines. Records status and bytes
 * in req. */
void cw_https_reply(cw_https_req *req, int status, const char *ctype, const char *extra_headers,
                    const void *body, size_t len);

#endif
