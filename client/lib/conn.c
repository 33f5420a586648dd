/* libwalletclient: one kept-alive HTTPS/1.1 connection (conn.h), on OpenSSL and a
 * non-blocking socket. The client asks for one object after the other over one connection,
 * so this is all it needs of HTTP; the answer's framing is read by httpmsg.c. */
#define _GNU_SOURCE /* MSG_NOSIGNAL, SOCK_NONBLOCK, SOCK_CLOEXEC */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpmsg.h"
#include "strv.h"

/* TLS 1.2: forward-secret key exchange and AEAD only (TLS 1.3 suites are all of that kind). */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define CONN_BUF (WC_HTTP_MAX_HEAD + 16384) /* a whole head fits */
#define POLL_SLICE_MS 50                    /* a cancel request is seen within this time */

struct wc_conn {
	int fd;
	SSL *ssl;
	BIO *bio;
	size_t url;
	bool eof;      /* the server closed its side */
	bool reusable; /* the last answer was read whole and the server keeps the connection */
	size_t got;    /* bytes of the current answer read so far */
	/* the paths of GETs written after the current one (pipelined), in order: their answers
	 * follow, and only a GET of the first, unconditional, may read the next one */
	char queue[WC_PIPE_DEPTH][WC_PIPE_PATH_MAX];
	size_t nq;
	size_t off, len;
	unsigned char buf[CONN_BUF];
};

/* ---- the socket under TLS ----
 * A BIO of our own: send() with MSG_NOSIGNAL, so that a server that closed the connection
 * makes a write fail with EPIPE instead of raising SIGPIPE in the calling program (which a
 * library must not change the handling of). */

static BIO_METHOD *sock_method;
static pthread_once_t sock_once = PTHREAD_ONCE_INIT;

static int sock_write(BIO *b, const char *buf, size_t n, size_t *done)
{
	struct wc_conn *cn = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	*done = 0;
	ssize_t k = send(cn->fd, buf, n, MSG_NOSIGNAL);
	if (k < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_write(b);
		return 0;
	}
	*done = (size_t)k;
	return 1;
}

static int sock_read(BIO *b, char *buf, size_t n, size_t *done)
{
	struct wc_conn *cn = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	*done = 0;
	ssize_t k = recv(cn->fd, buf, n, 0);
	if (k < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			BIO_set_retry_read(b);
		return 0;
	}
	if (k == 0) {
		cn->eof = true;
		return 0;
	}
	*done = (size_t)k;
	return 1;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	const struct wc_conn *cn = BIO_get_data(b);
	if (cmd == BIO_CTRL_FLUSH)
		return 1;
	if (cmd == BIO_CTRL_EOF)
		return cn != NULL && cn->eof;
	return 0;
}

static int sock_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void sock_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wallet socket");
	if (m != NULL &&
	    (BIO_meth_set_write_ex(m, sock_write) != 1 || BIO_meth_set_read_ex(m, sock_read) != 1 ||
	     BIO_meth_set_ctrl(m, sock_ctrl) != 1 || BIO_meth_set_create(m, sock_create) != 1)) {
		BIO_meth_free(m);
		m = NULL;
	}
	sock_method = m;
}

/* ---- the TLS client context ---- */

static int key_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)rwflag;
	const char *p = arg;
	size_t n = p != NULL ? strlen(p) : 0;
	if (size <= 0 || n >= (size_t)size)
		return 0;
	memcpy(buf, p, n);
	return (int)n;
}

/* The client's private key, decoded as the key type of its certificate: OpenSSL 3.0 otherwise
 * tries every decoder it has for every key type, which costs three times as much. NULL when
 * that fails (the caller then lets OpenSSL try everything, for its error message). */
static EVP_PKEY *load_key_as_cert(SSL_CTX *ctx, const char *path, char *pass)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *pub = cert != NULL ? X509_get0_pubkey(cert) : NULL, *key = NULL;
	const char *type = pub != NULL ? EVP_PKEY_get0_type_name(pub) : NULL;
	BIO *in = type != NULL ? BIO_new_file(path, "r") : NULL;
	OSSL_DECODER_CTX *d =
	    in != NULL ? OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, type,
	                                               OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL)
	               : NULL;
	if (d == NULL || OSSL_DECODER_CTX_set_pem_password_cb(d, key_passphrase, pass) != 1 ||
	    OSSL_DECODER_from_bio(d, in) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_DECODER_CTX_free(d);
	BIO_free(in);
	ERR_clear_error();
	return key;
}

/* True when the client's certificate file holds that certificate alone and the CA file's
 * only possible issuer of it is a self-signed certificate (a wallet-keygen CA): the chain to
 * present is then the certificate alone, which is what building it would leave once the root
 * is dropped. Names and key identifiers are compared (X509_check_issued), no signature: the
 * chain built is kept whatever its check finds (IGNORE_ERROR). Any other possible issuer (an
 * intermediate, a cross-signed CA of the same name) leaves the building to OpenSSL. */
static bool issued_by_root(SSL_CTX *ctx)
{
	STACK_OF(X509) *extra = NULL;
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	bool root = false;
	if (leaf == NULL || SSL_CTX_get0_chain_certs(ctx, &extra) != 1 || sk_X509_num(extra) > 0)
		return false;
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (ca == NULL || X509_check_issued(ca, leaf) != X509_V_OK)
			continue;
		if ((X509_get_extension_flags(ca) & EXFLAG_SS) == 0)
			return false;
		root = true;
	}
	return root;
}

/* The first OpenSSL error as text, and the queue emptied. */
static const char *tls_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, size, "unknown error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

cw_status wc_tls_setup(wallet_client *c)
{
	char why[200];
	const char *what = "TLS parameters", *file = "";
	if (c->tls != NULL)
		return CW_OK;
	pthread_once(&sock_once, sock_method_init);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || sock_method == NULL)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
		goto fail;
	what = "CA file", file = c->cfg.ca;
	if (SSL_CTX_load_verify_locations(ctx, c->cfg.ca, NULL) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	what = "client certificate", file = c->cfg.cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cfg.cert) != 1)
		goto fail;
	what = "client key", file = c->cfg.key;
	EVP_PKEY *key = load_key_as_cert(ctx, c->cfg.key, c->keypass);
	SSL_CTX_set_default_passwd_cb(ctx, key_passphrase);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, c->keypass);
	int ok =
	    (key != NULL ? SSL_CTX_use_PrivateKey(ctx, key)
	                 : SSL_CTX_use_PrivateKey_file(ctx, c->cfg.key, SSL_FILETYPE_PEM)) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(key);
	/* the passphrase is not needed again: no pointer to it stays behind */
	SSL_CTX_set_default_passwd_cb(ctx, NULL);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	if (!ok)
		goto fail;
	/* The chain to present, once: otherwise OpenSSL builds it again in every handshake, and
	 * sends the root too, which the wallet has and must decode for nothing. Certificates
	 * the file holds after the client's count as intermediates; a chain that cannot be
	 * completed is sent as far as it goes, as before. */
	what = "client certificate chain", file = c->cfg.cert;
	if (issued_by_root(ctx)) /* nothing to build (1 M instructions, a signature check) */
		SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	else if (SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT |
	                                           SSL_BUILD_CHAIN_FLAG_UNTRUSTED |
	                                           SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
	                                           SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0)
		goto fail;
	ERR_clear_error();
	c->tls = ctx;
	return CW_OK;
fail:
	wc_err(c, "%s%s%s: %s", what, file[0] ? " " : "", file, tls_reason(why, sizeof why));
	SSL_CTX_free(ctx);
	return CW_ERR_TLS;
}

void wc_tls_teardown(wallet_client *c)
{
	wc_conn_close(c->conn);
	c->conn = NULL;
	SSL_SESSION_free(c->tls_session);
	c->tls_session = NULL;
	SSL_CTX_free(c->tls);
	c->tls = NULL;
}

/* ---- URLs: https://HOST[:PORT][/PREFIX] ---- */

struct url {
	char host[256]; /* without the brackets of an IPv6 literal */
	char port[6];
	bool ip;          /* an address, not a name: no SNI, the address is verified */
	const char *auth; /* HOST[:PORT] as written, for the Host header */
	size_t authlen;
	const char *prefix; /* "" or "/..." */
};

static bool parse_url(const char *u, struct url *out)
{
	memset(out, 0, sizeof *out);
	if (strncmp(u, "https://", 8) != 0)
		return false;
	const char *a = u + 8, *end = a + strcspn(a, "/");
	const char *h = a, *he, *p = NULL;
	if (memchr(a, '@', (size_t)(end - a)) != NULL)
		return false; /* no user information */
	if (*a == '[') {
		h = a + 1;
		he = memchr(h, ']', (size_t)(end - h));
		if (he == NULL || (he + 1 < end && he[1] != ':'))
			return false;
		p = he + 1 < end ? he + 2 : NULL;
		out->ip = true;
	} else {
		he = memchr(a, ':', (size_t)(end - a));
		if (he != NULL)
			p = he + 1;
		else
			he = end;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= sizeof out->host)
		return false;
	memcpy(out->host, h, hl);
	out->host[hl] = '\0';
	snprintf(out->port, sizeof out->port, "443");
	if (p != NULL) {
		size_t pl = (size_t)(end - p);
		if (pl == 0 || pl > 5 || strspn(p, "0123456789") < pl)
			return false;
		memcpy(out->port, p, pl);
		out->port[pl] = '\0';
		if (atoi(out->port) < 1 || atoi(out->port) > 65535)
			return false;
	}
	unsigned char addr[16];
	if (out->ip && inet_pton(AF_INET6, out->host, addr) != 1)
		return false; /* "[...]" that is no IPv6 address */
	if (!out->ip)
		out->ip = inet_pton(AF_INET, out->host, addr) == 1;
	out->auth = a;
	out->authlen = (size_t)(end - a);
	out->prefix = end;
	return true;
}

/* ---- waiting ---- */

static long ms_left(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* Waits until fd is ready for events, by the deadline, watching for a cancel request. */
static cw_status wait_fd(wallet_client *c, int fd, short events, const struct timespec *by)
{
	for (;;) {
		long left = ms_left(by);
		if (left <= 0) {
			wc_err(c, "timed out");
			return CW_ERR_NETWORK;
		}
		if (wc_canceled(c)) {
			wc_err(c, "canceled");
			return CW_ERR_NETWORK;
		}
		struct pollfd pfd = {fd, events, 0};
		int k = poll(&pfd, 1, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS));
		if (k > 0)
			return CW_OK; /* ready, or an error the next call reports */
		if (k < 0 && errno != EINTR) {
			wc_err(c, "poll: %s", strerror(errno));
			return CW_ERR_NETWORK;
		}
	}
}

/* What an SSL call that did not succeed means: wait and retry (CW_OK), or a failure. */
static cw_status ssl_wait(wallet_client *c, struct wc_conn *cn, int ret, const struct timespec *by,
                          const char *what)
{
	char why[200];
	int e = SSL_get_error(cn->ssl, ret);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, cn->fd, POLLIN, by);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, cn->fd, POLLOUT, by);
	unsigned long le = ERR_peek_last_error();
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && le == 0) ||
	    (e == SSL_ERROR_SSL && ERR_GET_REASON(le) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		ERR_clear_error();
		cn->eof = true;
		wc_err(c, "%s: the server closed the connection", what);
		return CW_ERR_NETWORK;
	}
	if (e == SSL_ERROR_SSL) {
		/* a TLS alert from the server (TLS 1.3 refuses a client certificate only after
		 * the client's side of the handshake is done), or a bad record */
		const char *r = tls_reason(why, sizeof why);
		long v = SSL_get_verify_result(cn->ssl);
		if (v != X509_V_OK)
			wc_err(c, "%s: %s (%s)", what, r, X509_verify_cert_error_string(v));
		else
			wc_err(c, "%s: %s", what, r);
		return CW_ERR_TLS;
	}
	ERR_clear_error();
	wc_err(c, "%s: %s", what, errno ? strerror(errno) : "connection failed");
	return CW_ERR_NETWORK;
}

/* ---- opening ---- */

static cw_status tcp_connect(wallet_client *c, const struct url *u, int *fdp)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (u->ip ? AI_NUMERICHOST : 0);
	int g = getaddrinfo(u->host, u->port, &hints, &res);
	if (g != 0) {
		wc_err(c, "cannot resolve %s: %s", u->host, gai_strerror(g));
		return CW_ERR_NETWORK;
	}
	cw_status st = CW_ERR_NETWORK;
	wc_err(c, "no address");
	for (const struct addrinfo *ai = res; ai != NULL && st != CW_OK; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			wc_err(c, "socket: %s", strerror(errno));
			continue;
		}
		int one = 1, err = 0;
		socklen_t elen = sizeof err;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
			err = errno;
		else if ((st = wait_fd(c, fd, POLLOUT, &c->io_connect_by)) != CW_OK)
			err = -1; /* timed out or canceled: c->err says which */
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		st = err == 0 ? CW_OK : CW_ERR_NETWORK;
		if (err > 0)
			wc_err(c, "connect to port %s: %s", u->port, strerror(err));
		if (st == CW_OK)
			*fdp = fd;
		else
			close(fd);
		if (err < 0)
			break;
	}
	freeaddrinfo(res);
	return st;
}

static cw_status tls_connect(wallet_client *c, struct wc_conn *cn, const struct url *u)
{
	cn->ssl = SSL_new(c->tls);
	cn->bio = cn->ssl != NULL ? BIO_new(sock_method) : NULL;
	if (cn->bio == NULL) {
		wc_err(c, "out of memory");
		return CW_ERR_NOMEM;
	}
	BIO_set_data(cn->bio, cn);
	BIO_up_ref(cn->bio);
	SSL_set_bio(cn->ssl, cn->bio, cn->bio);
	/* the name (or address) the server's certificate must carry; SNI for a name */
	int ok = u->ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(cn->ssl), u->host)
	               : SSL_set_tlsext_host_name(cn->ssl, u->host) == 1 &&
	                     SSL_set1_host(cn->ssl, u->host) == 1;
	if (!ok) {
		wc_err(c, "cannot check the server's name %s", u->host);
		ERR_clear_error();
		return CW_ERR_USAGE;
	}
	/* a watcher's next poll resumes the session of the one before (wc_conn_close_keep_session)
	 */
	if (c->tls_session != NULL && c->tls_session_url == cn->url)
		(void)SSL_set_session(cn->ssl, c->tls_session);
	SSL_set_connect_state(cn->ssl);
	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(cn->ssl);
		if (r == 1)
			return CW_OK;
		cw_status st = ssl_wait(c, cn, r, &c->io_connect_by, "TLS handshake");
		if (st != CW_OK)
			return st;
	}
}

cw_status wc_conn_open(wallet_client *c, size_t idx, struct wc_conn **out)
{
	struct url u;
	*out = NULL;
	if (!parse_url(c->cfg.urls[idx], &u)) {
		wc_err(c, "not a URL this client can use (https://HOST[:PORT][/PATH])");
		return CW_ERR_USAGE;
	}
	struct wc_conn *cn = calloc(1, sizeof *cn);
	if (cn == NULL) {
		wc_err(c, "out of memory");
		return CW_ERR_NOMEM;
	}
	cn->fd = -1;
	cn->url = idx;
	/* the TLS material is read once a server answers (no answer: a network failure, as
	 * before, whatever the files) */
	cw_status st = tcp_connect(c, &u, &cn->fd);
	if (st == CW_OK)
		st = wc_tls_setup(c);
	if (st == CW_OK)
		st = tls_connect(c, cn, &u);
	if (st != CW_OK) {
		wc_conn_close(cn);
		return st;
	}
	cn->reusable = true; /* no request yet */
	*out = cn;
	return CW_OK;
}

void wc_conn_close(struct wc_conn *cn)
{
	if (cn == NULL)
		return;
	if (cn->ssl != NULL) {
		if (!cn->eof && SSL_is_init_finished(cn->ssl))
			(void)SSL_shutdown(cn->ssl); /* one try: never waits */
		SSL_free(cn->ssl);
	}
	BIO_free(cn->bio);
	if (cn->fd >= 0)
		close(cn->fd);
	ERR_clear_error();
	free(cn);
}

void wc_conn_close_keep_session(wallet_client *c, struct wc_conn *cn)
{
	SSL_SESSION *s = cn != NULL && cn->ssl != NULL && SSL_is_init_finished(cn->ssl)
	                     ? SSL_get1_session(cn->ssl)
	                     : NULL;
	if (s != NULL && SSL_SESSION_is_resumable(s)) {
		SSL_SESSION_free(c->tls_session);
		c->tls_session = s;
		c->tls_session_url = cn->url;
	} else {
		SSL_SESSION_free(s);
	}
	wc_conn_close(cn);
}

bool wc_conn_reusable(const struct wc_conn *cn)
{
	return cn != NULL && cn->reusable && !cn->eof;
}

size_t wc_conn_url(const struct wc_conn *cn)
{
	return cn->url;
}

/* ---- one request ---- */

static cw_status send_all(wallet_client *c, struct wc_conn *cn, const char *req, size_t n)
{
	while (n > 0) {
		size_t done = 0;
		ERR_clear_error();
		int r = SSL_write_ex(cn->ssl, req, n, &done);
		if (r == 1) {
			req += done;
			n -= done;
			continue;
		}
		cw_status st = ssl_wait(c, cn, r, &c->io_done_by, "sending the request");
		if (st != CW_OK)
			return st;
	}
	return CW_OK;
}

/* More bytes into the buffer (moved to its start first). */
static cw_status fill(wallet_client *c, struct wc_conn *cn)
{
	if (cn->off > 0) {
		memmove(cn->buf, cn->buf + cn->off, cn->len - cn->off);
		cn->len -= cn->off;
		cn->off = 0;
	}
	for (;;) {
		size_t got = 0;
		ERR_clear_error();
		int r = SSL_read_ex(cn->ssl, cn->buf + cn->len, sizeof cn->buf - cn->len, &got);
		if (r == 1) {
			cn->len += got;
			cn->got += got;
			return CW_OK;
		}
		cw_status st = ssl_wait(c, cn, r, &c->io_done_by, "reading the answer");
		if (st != CW_OK)
			return st;
	}
}

/* The answer's body, bounded by r->limit. */
static cw_status body_append(void *arg, const unsigned char *data, size_t n)
{
	struct wc_resp *r = arg;
	if (n > r->limit || r->len > r->limit - n) {
		r->too_big = true;
		return CW_ERR_TOOBIG;
	}
	/* the body is a cw_text (NUL-terminated, for the JSON parser) kept as bytes */
	cw_text t = {.buf = (char *)r->body, .len = r->len, .cap = r->cap};
	cw_status st = cw_text_append(&t, (const char *)data, n);
	r->body = (unsigned char *)t.buf;
	r->len = t.len;
	r->cap = t.cap;
	return st;
}

/* The head of the answer (1xx answers skipped) into *h. */
static cw_status read_head(wallet_client *c, struct wc_conn *cn, struct wc_http_head *h)
{
	size_t scanned = 0;
	for (;;) {
		size_t avail = cn->len - cn->off, from = scanned > 3 ? scanned - 3 : 0;
		size_t end = avail > from ? wc_http_head_end((const char *)cn->buf + cn->off + from,
		                                             avail - from)
		                          : 0;
		if (end > 0) {
			const char *why = "";
			end += from;
			if (wc_http_parse_head((const char *)cn->buf + cn->off, end, h, &why) !=
			    CW_OK) {
				wc_err(c, "malformed answer: %s", why);
				return CW_ERR_NETWORK;
			}
			cn->off += end;
			scanned = 0;
			if (h->status >= 200)
				return CW_OK;
			if (h->status == 101) {
				wc_err(c, "malformed answer: switching protocols");
				return CW_ERR_NETWORK;
			}
			continue; /* 100 Continue and the like: the real answer follows */
		}
		scanned = avail;
		if (avail >= WC_HTTP_MAX_HEAD) {
			wc_err(c, "malformed answer: header section too large");
			return CW_ERR_NETWORK;
		}
		cw_status st = fill(c, cn);
		if (st != CW_OK)
			return st;
	}
}

static cw_status read_body(wallet_client *c, struct wc_conn *cn, const struct wc_http_head *h,
                           struct wc_resp *r)
{
	struct wc_chunked ch = {0};
	uint64_t left = h->length;
	if (h->has_length && h->length > r->limit) {
		r->too_big = true;
		return CW_ERR_TOOBIG;
	}
	for (;;) {
		size_t avail = cn->len - cn->off, used = avail;
		bool done = false;
		cw_status st = CW_OK;
		const char *why = "";
		if (h->chunked) {
			st = wc_chunked_feed(&ch, cn->buf + cn->off, avail, &used, &done,
			                     body_append, r, &why);
		} else {
			if (h->has_length && (uint64_t)used > left)
				used = (size_t)left;
			st = body_append(r, cn->buf + cn->off, used);
			left -= used;
			done = h->has_length && left == 0;
		}
		cn->off += used;
		if (st == CW_ERR_PROTOCOL) {
			wc_err(c, "malformed answer: %s", why);
			return CW_ERR_NETWORK;
		}
		if (st != CW_OK || done)
			return st;
		st = fill(c, cn);
		if (st != CW_OK) {
			/* a body that ends where the connection ends */
			if (!h->chunked && !h->has_length && cn->eof)
				return CW_OK;
			return st;
		}
	}
}

/* Whether a request for path sends If-None-Match: the entity tag is this URL's own (valid:
 * cw_etag_valid). */
static bool conditional(const struct wc_conn *cn, const struct wc_resp *r)
{
	return r->inm != NULL && r->inm_url == cn->url && cw_etag_valid(r->inm, strlen(r->inm));
}

bool wc_conn_reusable_for(const struct wc_conn *cn, const char *path, const struct wc_resp *r)
{
	return wc_conn_reusable(cn) &&
	       (cn->nq == 0 || (strcmp(cn->queue[0], path) == 0 && !conditional(cn, r)));
}

bool wc_conn_queued(const struct wc_conn *cn, const char *path)
{
	for (size_t i = 0; cn != NULL && i < cn->nq; i++)
		if (path == NULL || strcmp(cn->queue[i], path) == 0)
			return true;
	return false;
}

/* Appends GET path's request to req (at *n); false when it does not fit. */
static bool put_request(const struct url *u, const char *path, const char *inm, char *req,
                        size_t size, size_t *n)
{
	int k =
	    snprintf(req + *n, size - *n,
	             "GET %s%s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: libwalletclient/%s\r\n"
	             "Accept: */*\r\n%s\r\n",
	             u->prefix, path, (int)u->authlen, u->auth, WALLET_CLIENT_VERSION_STRING, inm);
	if (k < 0 || (size_t)k >= size - *n)
		return false;
	*n += (size_t)k;
	return true;
}

#define REQ_MAX (4096 + 512 + CW_ETAG_MAX) /* one request: its URL's prefix and path */

/* Sends GET path, followed in the same write by a GET of each of then[] (queued: the next
 * calls for them read their answers). When path's request went with one before, nothing is
 * sent: its answer is on the way, perhaps in the buffer already. */
static cw_status send_request(wallet_client *c, struct wc_conn *cn, const char *path,
                              const char (*then)[WC_PIPE_PATH_MAX], size_t nthen,
                              const struct wc_resp *r)
{
	struct url u;
	char inm[sizeof "If-None-Match: \r\n" + CW_ETAG_MAX] = "";
	size_t n = 0;
	if (cn->nq > 0) {
		/* wc_conn_reusable_for said it is this one */
		memmove(cn->queue[0], cn->queue[1], --cn->nq * sizeof cn->queue[0]);
		cn->got = cn->len - cn->off;
		return CW_OK;
	}
	cn->off = cn->len = cn->got = 0;
	if (!parse_url(c->cfg.urls[cn->url], &u))
		return CW_ERR_USAGE; /* it parsed when the connection was opened */
	if (conditional(cn, r))
		snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", r->inm);
	if (nthen > WC_PIPE_DEPTH)
		nthen = WC_PIPE_DEPTH;
	size_t size = REQ_MAX * (1 + nthen);
	char *req = malloc(size);
	if (req == NULL) {
		wc_err(c, "out of memory");
		return CW_ERR_NOMEM;
	}
	if (!put_request(&u, path, inm, req, size, &n)) {
		free(req);
		wc_err(c, "URL too long");
		return CW_ERR_USAGE;
	}
	for (size_t i = 0; i < nthen && put_request(&u, then[i], "", req, size, &n); i++)
		memcpy(cn->queue[cn->nq++], then[i], sizeof then[i]);
	/* one write: a server that reads one request and closes after its answer finds the
	 * others in what it read already, not unread in its socket (which would reset the
	 * connection under the answer) */
	cw_status st = send_all(c, cn, req, n);
	free(req);
	return st;
}

cw_status wc_conn_skip_to(wallet_client *c, struct wc_conn *cn, const char *path)
{
	cw_status st = CW_OK;
	while (st == CW_OK && wc_conn_reusable(cn) && cn->nq > 0 &&
	       strcmp(cn->queue[0], path) != 0) {
		struct wc_resp junk = {.limit = WC_MAX_OBJECT};
		char head[WC_PIPE_PATH_MAX];
		bool early;
		memcpy(head, cn->queue[0], sizeof head);
		st = wc_conn_get(c, cn, head, NULL, 0, &junk, &early);
		wc_resp_free(&junk);
	}
	return st;
}

cw_status wc_conn_get(wallet_client *c, struct wc_conn *cn, const char *path,
                      const char (*then)[WC_PIPE_PATH_MAX], size_t nthen, struct wc_resp *r,
                      bool *early)
{
	struct wc_http_head h;
	*early = false;
	cn->reusable = false;
	cw_status st = send_request(c, cn, path, then, nthen, r);
	if (st == CW_OK)
		st = read_head(c, cn, &h);
	if (st != CW_OK) {
		*early = cn->got == 0;
		return st;
	}
	r->status = h.status;
	memcpy(r->etag, h.etag, sizeof r->etag);
	r->date = h.date;
	r->last_modified = h.last_modified;
	if (h.body && (st = read_body(c, cn, &h, r)) != CW_OK) {
		if (st == CW_ERR_NOMEM)
			wc_err(c, "out of memory");
		else if (st == CW_ERR_TOOBIG)
			wc_err(c, "answer over %zu bytes", r->limit);
		return st;
	}
	/* bytes beyond the answer are the queued request's answer, or else an answer to
	 * nothing: the connection is not used again then */
	cn->reusable = !h.close && (cn->nq > 0 || cn->off == cn->len);
	return CW_OK;
}
