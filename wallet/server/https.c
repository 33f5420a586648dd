#include "https.h"

#include <civetweb.h>
#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certid.h"
#include "log.h"
#include "tlsctx.h"

#define MAX_ROUTES 16

struct route {
	char path[128];
	bool prefix;
	unsigned listeners;
	cw_https_handler fn;
	void *arg;
};

/* One civetweb context per listener: user data tells the callbacks which one it is. */
struct listener {
	cw_https *srv;
	unsigned kind;
	struct mg_context *ctx;
	int port;
};

/* civetweb's messages are mostly about connections that failed: a handshake abandoned or
 * refused, a reset. One line each would let anyone who can open connections fill the log, so
 * at most LOG_BURST are logged at once, then LOG_PER_S a second; the next line logged, or the
 * stop, says how many were not. /metrics counts the failed handshakes themselves. */
#define LOG_BURST 20
#define LOG_PER_S 1
struct log_limit {
	pthread_mutex_t mu;
	uint64_t refilled_us; /* when the tokens were last counted up */
	uint64_t tokens;
	uint64_t dropped; /* since the last line logged */
};

struct cw_https {
	cw_https_opts o;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	cw_https_observer observer;
	void *observer_arg;
	struct listener tls, plain;
	char tls_ports[300], plain_ports[300];
	char err[256];       /* first error of init_ssl, reported by cw_https_start */
	cw_tls *tlsctx;      /* the TLS context and its reloads (tlsctx.c) */
	atomic_bool started; /* civetweb's messages are logged from then on; before, the one
	                        line of cw_https_start says what went wrong */
	struct log_limit civet_log;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

cw_status cw_https_new(const cw_https_opts *opts, cw_https **out)
{
	*out = NULL;
	if (opts == NULL || opts->listen == NULL || opts->cert_file == NULL ||
	    opts->key_file == NULL || opts->ca_file == NULL)
		return CW_ERR_USAGE;
	cw_https *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return CW_ERR_NOMEM;
	srv->o = *opts;
	if (srv->o.verify_depth <= 0)
		srv->o.verify_depth = 4;
	if (srv->o.num_threads <= 0)
		srv->o.num_threads = 4;
	if (srv->o.session_lifetime_s == 0)
		srv->o.session_lifetime_s = CW_TLS_SESSION_DEFAULT_S;
	if (srv->o.session_cache <= 0)
		srv->o.session_cache = CW_TLS_SESSION_CACHE_DEFAULT;
	if (srv->o.request_timeout_ms <= 0)
		srv->o.request_timeout_ms = 10000;
	if (srv->o.keep_alive_timeout_ms <= 0)
		srv->o.keep_alive_timeout_ms = 15000;
	if (srv->o.max_header_bytes <= 0)
		srv->o.max_header_bytes = 8192;
	if (srv->o.plain_threads <= 0)
		srv->o.plain_threads = 2;
	srv->tls.srv = srv;
	srv->tls.kind = CW_HTTPS_TLS;
	srv->plain.srv = srv;
	srv->plain.kind = CW_HTTPS_PLAIN;
	atomic_init(&srv->started, false);
	pthread_mutex_init(&srv->civet_log.mu, NULL);
	srv->civet_log.tokens = LOG_BURST;
	srv->civet_log.refilled_us = now_us();
	cw_tls_files files = {.cert_file = srv->o.cert_file,
	                      .key_file = srv->o.key_file,
	                      .ca_file = srv->o.ca_file,
	                      .verify_depth = srv->o.verify_depth,
	                      .session_lifetime_s = srv->o.session_lifetime_s,
	                      .session_cache = srv->o.session_cache};
	cw_status st = cw_tls_new(&files, &srv->tlsctx);
	if (st != CW_OK) {
		pthread_mutex_destroy(&srv->civet_log.mu);
		free(srv);
		return st;
	}
	*out = srv;
	return CW_OK;
}

cw_status cw_https_route(cw_https *srv, const char *path, bool prefix, unsigned listeners,
                         cw_https_handler fn, void *arg)
{
	if (srv->nroutes == MAX_ROUTES || strlen(path) >= sizeof srv->routes[0].path ||
	    fn == NULL || srv->tls.ctx != NULL)
		return CW_ERR_USAGE;
	struct route *r = &srv->routes[srv->nroutes++];
	snprintf(r->path, sizeof r->path, "%s", path);
	r->prefix = prefix;
	r->listeners = listeners;
	r->fn = fn;
	r->arg = arg;
	return CW_OK;
}

void cw_https_set_observer(cw_https *srv, cw_https_observer fn, void *arg)
{
	srv->observer = fn;
	srv->observer_arg = arg;
}

/* "ADDR:PORT" -> civetweb's "ADDR:PORT" + suffix. ADDR may be "[v6]"; PORT 0..65535. */
static bool listen_spec(const char *in, const char *suffix, char *out, size_t outsz)
{
	const char *colon = strrchr(in, ':');
	if (colon == NULL || colon == in || colon[1] == '\0' || strlen(colon + 1) > 5)
		return false;
	if (in[0] == '[' && colon[-1] != ']')
		return false;
	if (in[0] != '[' && memchr(in, ':', (size_t)(colon - in)) != NULL)
		return false; /* a bare IPv6 address needs brackets */
	for (const char *p = colon + 1; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	if (atoi(colon + 1) > 65535)
		return false;
	for (const char *p = in; p < colon; p++)
		if (*p == ',' || isspace((unsigned char)*p))
			return false;
	int n = snprintf(out, outsz, "%s%s", in, suffix);
	return n > 0 && (size_t)n < outsz;
}

/* civetweb's init_ssl: tlsctx.c sets the whole SSL_CTX up and we return 1 (civetweb adds
 * nothing). */
static int init_ssl(void *ssl_ctx, void *user_data)
{
	struct listener *l = user_data;
	char err[sizeof l->srv->err];
	if (cw_tls_setup(l->srv->tlsctx, ssl_ctx, err, sizeof err) == CW_OK)
		return 1;
	if (l->srv->err[0] == '\0')
		snprintf(l->srv->err, sizeof l->srv->err, "%s", err);
	return -1;
}

/* Logs, when there were any, how many of civetweb's messages were not logged. */
static void log_dropped(cw_https *srv, uint64_t dropped)
{
	char m[160];
	if (dropped == 0 || srv->o.log == NULL)
		return;
	snprintf(m, sizeof m,
	         "%" PRIu64 " more messages not logged (at most %d at once, then %d a second)",
	         dropped, LOG_BURST, LOG_PER_S);
	cw_log_event(srv->o.log, "warn", "civetweb", m);
}

/* Whether one more of civetweb's messages may be logged now; *dropped receives how many were
 * not since the last one that was (and is reset when this one is). */
static bool log_admit(struct log_limit *ll, uint64_t *dropped)
{
	bool ok;
	uint64_t now = now_us();
	pthread_mutex_lock(&ll->mu);
	uint64_t add = (now - ll->refilled_us) * LOG_PER_S / 1000000u;
	if (add > 0) {
		ll->tokens = ll->tokens + add > LOG_BURST ? LOG_BURST : ll->tokens + add;
		ll->refilled_us += add * 1000000u / LOG_PER_S;
	}
	ok = ll->tokens > 0;
	if (ok) {
		ll->tokens--;
		*dropped = ll->dropped;
		ll->dropped = 0;
	} else {
		ll->dropped++;
	}
	pthread_mutex_unlock(&ll->mu);
	return ok;
}

static int log_message(const struct mg_connection *conn, const char *msg)
{
	const struct listener *l = conn != NULL ? mg_get_user_context_data(conn) : NULL;
	if (l == NULL)
		return 1;
	if (atomic_load(&l->srv->started)) {
		uint64_t dropped = 0;
		if (l->srv->o.log != NULL && log_admit(&l->srv->civet_log, &dropped)) {
			log_dropped(l->srv, dropped);
			cw_log_event(l->srv->o.log, "warn", "civetweb", msg);
		}
	} else if (l->srv->err[0] == '\0') {
		/* mg_start's own thread: the first reason, such as a port already taken */
		snprintf(l->srv->err, sizeof l->srv->err, "cannot listen on %s: %s",
		         l->kind == CW_HTTPS_TLS ? l->srv->o.listen : l->srv->o.plain_listen, msg);
	}
	return 1;
}

/* Fills peer from the certificate civetweb kept for this connection. civetweb got it with
 * SSL_get_peer_certificate after a handshake that required and verified it. */
static void peer_info(const struct mg_request_info *ri, cw_https_peer *peer)
{
	memset(peer, 0, sizeof *peer);
	if (!ri->is_ssl || ri->client_cert == NULL || ri->client_cert->peer_cert == NULL)
		return;
	peer->verified = cw_cert_id(ri->client_cert->peer_cert, peer->cn, peer->sha256);
}

static const struct route *find_route(const cw_https *srv, const char *path, unsigned kind)
{
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct route *r = &srv->routes[i];
		if ((r->listeners & kind) == 0)
			continue;
		size_t n = strlen(r->path);
		if (r->prefix ? strncmp(path, r->path, n) == 0 : strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

/* Answers civetweb refuses to send with their request's bytes in them (see http_error): the
 * status line and body come from this table only, never from the request. */
static const struct fixed_error {
	int status;
	const char *line;
	const char *body;
	const char *note; /* the audit log's reason */
} fixed_errors[] = {
    {400, "400 Bad Request", "bad request\n", "malformed request"},
    {411, "411 Length Required", "length required\n", "bad content length"},
    {413, "413 Payload Too Large", "request too large\n", "request too large"},
    {500, "500 Internal Server Error", "internal error\n", "internal error"},
    {505, "505 HTTP Version Not Supported", "HTTP version not supported\n", "HTTP version"},
};

/* The table's row for status: itself, else 400 for a client error and 500 for the rest. */
static const struct fixed_error *fixed_error(int status)
{
	size_t n = sizeof fixed_errors / sizeof fixed_errors[0];
	for (size_t i = 0; i < n; i++)
		if (fixed_errors[i].status == status)
			return &fixed_errors[i];
	return &fixed_errors[status >= 400 && status < 500 ? 0 : 3];
}

/* Marks kept as civetweb's per-connection user data (only their addresses matter): the
 * connection reached the HTTP layer, and civetweb let us answer an error on it. */
static char conn_open, conn_answered;

/* Sends e's fixed response and closes the connection (civetweb closes it after any error it
 * reports); then the request is counted, and audited on the TLS port, as any other. The method
 * and path are what civetweb parsed before it gave up, possibly NULL or any bytes: the audit
 * log escapes them, and the response never contains them. */
static void refuse(struct mg_connection *conn, const struct fixed_error *e, const char *note)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const struct listener *l = mg_get_user_context_data(conn);
	cw_https_peer peer;
	cw_https_req req;
	char buf[512];
	size_t blen = strlen(e->body);

	int n = snprintf(buf, sizeof buf,
	                 "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                 "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	                 "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s",
	                 e->line, blen, e->body);
	if (l == NULL || ri == NULL || n < 0 || (size_t)n >= sizeof buf)
		return;
	peer_info(ri, &peer);
	memset(&req, 0, sizeof req);
	req.conn = conn;
	req.listener = l->kind;
	req.method = ri->request_method;
	req.path = ri->request_uri;
	req.peer = &peer;
	req.status = e->status;
	req.note = note != NULL ? note : e->note;
	if (mg_write(conn, buf, (size_t)n) == n)
		req.bytes = blen;
	if (l->srv->observer != NULL)
		l->srv->observer(&req, 0, l->srv->observer_arg);
}

/* civetweb's error page for a request it could not parse quotes the request: a request line
 * such as "G ET /x HTTP/1.1\r\nX-Injected: yes" came back with that header line in the
 * response (response splitting). Every error civetweb reports (malformed requests, bad
 * lengths, oversized headers, unknown HTTP versions) is answered here instead, with errmsg
 * (which may quote the request) never sent. Returns 0: handled. */
static int http_error(struct mg_connection *conn, int status, const char *errmsg)
{
	(void)errmsg;
	mg_set_user_connection_data(conn, &conn_answered);
	refuse(conn, fixed_error(status), NULL);
	return 0;
}

static int init_connection(const struct mg_connection *conn, void **conn_data)
{
	(void)conn;
	*conn_data = &conn_open;
	return 0;
}

/* civetweb 1.15 parses a request whose target is "*" or an absolute URI of another host or
 * port, then closes the connection without an answer and without calling begin_request or
 * http_error: such a request would leave no trace. civetweb calls this before it shuts the TLS
 * session and the socket, so the request can still be answered (400) and audited here. It
 * was such a request when the last request parsed has a target but no local path, on a
 * connection that got through the handshake (conn_open) and whose error was not answered
 * already. The const that civetweb puts on conn only says that writing here is unusual: the
 * connection object is civetweb's own and writable, and nothing else writes to it now. */
static void connection_close(const struct mg_connection *cconn)
{
	const struct mg_request_info *ri = mg_get_request_info(cconn);
	if (mg_get_user_connection_data(cconn) != &conn_open || ri == NULL ||
	    ri->request_uri == NULL || ri->local_uri != NULL)
		return;
	refuse((struct mg_connection *)cconn, fixed_error(400), "request target not origin-form");
}

/* Every request goes through here, before civetweb's own processing; we always answer. */
static int begin_request(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct listener *l = ri->user_data;
	cw_https *srv = l->srv;
	uint64_t t0 = now_us();
	cw_https_peer peer;
	cw_https_req req;

	peer_info(ri, &peer);
	memset(&req, 0, sizeof req);
	req.conn = conn;
	req.listener = l->kind;
	req.method = ri->request_method;
	req.path = ri->local_uri_raw != NULL ? ri->local_uri_raw : ri->request_uri;
	req.query = ri->query_string;
	req.peer = &peer;
	if (req.path == NULL)
		req.path = "";

	const struct route *r = NULL;
	if (ri->request_uri == NULL || ri->request_uri[0] != '/') {
		/* an absolute URI that civetweb took for its own host: only origin-form is served
		 */
		req.path = ri->request_uri != NULL ? ri->request_uri : "";
		req.note = "request target not origin-form";
		cw_https_reply(&req, 400, "text/plain; charset=utf-8", NULL, "bad request\n", 12);
	} else if (l->kind == CW_HTTPS_PLAIN || peer.verified) {
		r = find_route(srv, req.path, l->kind);
	} else { /* cannot happen: the handshake requires a verified certificate */
		cw_https_reply(&req, 403, "text/plain", NULL, "forbidden\n", 10);
	}
	if (r != NULL)
		r->fn(&req, r->arg);
	else if (req.status == 0)
		cw_https_reply(&req, 404, "text/plain", NULL, "not found\n", 10);
	if (req.status == 0) /* a handler that forgot to answer */
		cw_https_reply(&req, 500, "text/plain", NULL, "internal error\n", 15);
	if (srv->observer != NULL)
		srv->observer(&req, now_us() - t0, srv->observer_arg);
	return req.status;
}

/* Whether the client wants the connection kept open (civetweb decides the same way:
 * enable_keep_alive is on, so an explicit Connection header rules, else HTTP/1.1 means keep-alive).
 */
static bool client_keeps_alive(struct mg_connection *conn, const struct mg_request_info *ri)
{
	const char *c = mg_get_header(conn, "Connection");
	if (c != NULL)
		return mg_strcasecmp(c, "keep-alive") == 0;
	return ri != NULL && ri->http_version != NULL && strcmp(ri->http_version, "1.1") == 0;
}

/* Status line and headers; snprintf semantics. The status line carries the request's HTTP
 * version (1.0 or 1.1), as civetweb's own responses do. */
static int format_head(char *buf, size_t bufsz, struct mg_connection *conn, int status,
                       const char *ctype, const char *extra_headers, size_t len)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *reason = mg_get_response_code_text(conn, status);
	const char *ver =
	    ri != NULL && ri->http_version != NULL && strcmp(ri->http_version, "1.0") == 0 ? "1.0"
	                                                                                   : "1.1";
	/* A 304 has no body, and its Content-Length could only be the full answer's (RFC 9110,
	 * 8.6): none is sent. */
	char clen[48] = "";
	if (status != 304)
		snprintf(clen, sizeof clen, "Content-Length: %zu\r\n", len);
	return snprintf(buf, bufsz,
	                "HTTP/%s %d %s\r\n%s%s%s%sCache-Control: no-store\r\n"
	                "X-Content-Type-Options: nosniff\r\n%s%s\r\n",
	                ver, status, reason ? reason : "", ctype ? "Content-Type: " : "",
	                ctype ? ctype : "", ctype ? "\r\n" : "", clen,
	                client_keeps_alive(conn, ri) ? "" : "Connection: close\r\n",
	                extra_headers ? extra_headers : "");
}

const char *cw_https_header(const cw_https_req *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

/* The whole response (status line, headers, body) goes out in one mg_write, that is one TLS
 * record for small objects: civetweb's mg_response_header_* API writes each header line as a
 * record of its own, which cost three times nginx's CPU per kept-alive request. The head is
 * formatted once, into a buffer on the stack when the whole response fits there. */
void cw_https_reply(cw_https_req *req, int status, const char *ctype, const char *extra_headers,
                    const void *body, size_t len)
{
	char stackbuf[4096];
	char *buf = stackbuf, *heap = NULL;
	if (req->status != 0)
		return; /* answered already */
	req->status = status;
	bool with_body = len > 0 && strcmp(req->method, "HEAD") != 0;
	size_t blen = with_body ? len : 0;
	int n =
	    format_head(stackbuf, sizeof stackbuf, req->conn, status, ctype, extra_headers, len);
	if (n < 0)
		return;
	size_t total = (size_t)n + blen;
	if (total >= sizeof stackbuf) {
		if ((heap = malloc(total + 1)) == NULL)
			return; /* civetweb closes a connection that got no answer */
		buf = heap;
		if ((size_t)n >= sizeof stackbuf)
			format_head(buf, (size_t)n + 1, req->conn, status, ctype, extra_headers,
			            len);
		else
			memcpy(buf, stackbuf, (size_t)n);
	}
	if (with_body)
		memcpy(buf + n, body, len);
	if (mg_write(req->conn, buf, total) == (int)total && with_body)
		req->bytes = len;
	free(heap);
}

static int start_one(cw_https *srv, struct listener *l, const char **opts, char *err, size_t errsz)
{
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	cb.begin_request = begin_request;
	cb.http_error = http_error;
	cb.init_connection = init_connection;
	cb.connection_close = connection_close;
	cb.log_message = log_message;
	if (l->kind == CW_HTTPS_TLS)
		cb.init_ssl = init_ssl;
	char why[256] = "";
	unsigned code = 0;
	struct mg_init_data init = {
	    .callbacks = &cb, .user_data = l, .configuration_options = opts};
	struct mg_error_data edata = {.code = &code, .text = why, .text_buffer_size = sizeof why};
	l->ctx = mg_start2(&init, &edata);
	if (l->ctx == NULL) {
		if (srv->err[0] != '\0')
			snprintf(err, errsz, "%s", srv->err);
		else
			snprintf(err, errsz, "cannot listen on %s%s%s",
			         l->kind == CW_HTTPS_TLS ? srv->o.listen : srv->o.plain_listen,
			         why[0] != '\0' ? ": " : "", why);
		return -1;
	}
	struct mg_server_port ports[2];
	if (mg_get_server_ports(l->ctx, 2, ports) >= 1)
		l->port = ports[0].port;
	return 0;
}

cw_status cw_https_start(cw_https *srv, char *err, size_t errsz)
{
	char threads[16], ptheads[16], rto[16], kato[16], hdr[16], depth[16];
	cw_status rc = CW_ERR_USAGE;

	if (!listen_spec(srv->o.listen, "s", srv->tls_ports, sizeof srv->tls_ports)) {
		snprintf(err, errsz, "bad listen address '%s' (want ADDR:PORT)", srv->o.listen);
		goto out;
	}
	if (srv->o.plain_listen != NULL &&
	    !listen_spec(srv->o.plain_listen, "", srv->plain_ports, sizeof srv->plain_ports)) {
		snprintf(err, errsz, "bad listen address '%s' (want ADDR:PORT)",
		         srv->o.plain_listen);
		goto out;
	}
	snprintf(threads, sizeof threads, "%d", srv->o.num_threads);
	snprintf(ptheads, sizeof ptheads, "%d", srv->o.plain_threads);
	snprintf(rto, sizeof rto, "%d", srv->o.request_timeout_ms);
	snprintf(kato, sizeof kato, "%d", srv->o.keep_alive_timeout_ms);
	snprintf(hdr, sizeof hdr, "%d", srv->o.max_header_bytes);
	snprintf(depth, sizeof depth, "%d", srv->o.verify_depth);
	mg_init_library(MG_FEATURES_TLS);

	/* Both listeners: these options, then (TLS only) the ssl_* ones, which repeat what
	 * init_ssl sets should civetweb ever consult them. */
	const char *opts[40];
	size_t n = 0;
#define OPT(k, v) (opts[n++] = (k), opts[n++] = (v))
	OPT("listening_ports", srv->tls_ports);
	OPT("num_threads", threads);
	OPT("request_timeout_ms", rto);
	OPT("keep_alive_timeout_ms", kato);
	OPT("enable_keep_alive", "yes");
	OPT("max_request_size", hdr);
	OPT("decode_url", "no");
	OPT("tcp_nodelay", "1");
	OPT("enable_directory_listing", "no");
	size_t ncommon = n;
	OPT("ssl_verify_peer", "yes");
	OPT("ssl_ca_file", srv->o.ca_file);
	OPT("ssl_default_verify_paths", "no");
	OPT("ssl_verify_depth", depth);
	OPT("ssl_protocol_version", "4");
	OPT("ssl_cipher_list", CW_TLS12_CIPHERS);
#undef OPT
	opts[n] = NULL;
	rc = CW_ERR_TLS;
	if (start_one(srv, &srv->tls, opts, err, errsz) != 0)
		goto out;
	if (srv->o.plain_listen != NULL) {  /* mg_start copied the values: reuse the table */
		opts[1] = srv->plain_ports; /* listening_ports */
		opts[3] = ptheads;          /* num_threads */
		opts[ncommon] = NULL;
		rc = CW_ERR_IO;
		if (start_one(srv, &srv->plain, opts, err, errsz) != 0)
			goto out;
	}
	atomic_store(&srv->started, true);
	rc = CW_OK;
out:
	if (rc != CW_OK && srv->tls.ctx != NULL) {
		mg_stop(srv->tls.ctx);
		srv->tls.ctx = NULL;
	}
	return rc;
}

int cw_https_port(const cw_https *srv, unsigned listener)
{
	const struct listener *l = listener == CW_HTTPS_PLAIN ? &srv->plain : &srv->tls;
	return l->ctx != NULL ? l->port : 0;
}

void cw_https_tls_counts(const cw_https *srv, cw_tls_counts *out)
{
	cw_tls_counts_get(srv->tlsctx, out);
}

cw_status cw_https_reload_tls(cw_https *srv, char *err, size_t errsz)
{
	return cw_tls_reload(srv->tlsctx, err, errsz);
}

void cw_https_tls_info(cw_https *srv, cw_tls_info *out)
{
	cw_tls_info_get(srv->tlsctx, out);
}

static void *stop_thread(void *arg)
{
	mg_stop(arg);
	return NULL;
}

/* mg_stop waits for civetweb's master thread to notice (up to its poll quantum, ~2 s), so the
 * two contexts are stopped in parallel. */
void cw_https_free(cw_https *srv)
{
	if (srv == NULL)
		return;
	pthread_t th;
	bool joined = false;
	if (srv->plain.ctx != NULL) {
		if (pthread_create(&th, NULL, stop_thread, srv->plain.ctx) == 0)
			joined = true;
		else
			mg_stop(srv->plain.ctx);
	}
	if (srv->tls.ctx != NULL)
		mg_stop(srv->tls.ctx);
	if (joined)
		pthread_join(th, NULL);
	log_dropped(srv, srv->civet_log.dropped); /* civetweb's threads are gone */
	pthread_mutex_destroy(&srv->civet_log.mu);
	cw_tls_free(srv->tlsctx); /* no connection is left to hold a reloaded context */
	free(srv);
}
