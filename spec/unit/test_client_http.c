/* client/lib/httpmsg (the framing of an answer): where a head ends, what it says, and the
 * chunked transfer coding, without a server; client/lib/conn (the TLS context): the chain
 * the client presents, with certificates made by the openssl CLI; client/lib/http and conn:
 * pipelining, against a TLS peer of this test. The system suites
 * (entry_*, replicas) drive the whole client against wallet serve, nginx and s_server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "conn.h"
#include "fsutil.h"
#include "httpmsg.h"

static cw_status parse(const char *head, struct wc_http_head *h)
{
	const char *why = NULL;
	cw_status st = wc_http_parse_head(head, strlen(head), h, &why);
	assert_non_null(why);
	if (st != CW_OK)
		assert_true(why[0] != '\0');
	return st;
}

static void test_head_end(void **state)
{
	(void)state;
	const char *a = "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody";
	assert_int_equal(wc_http_head_end(a, strlen(a)), strlen(a) - 4);
	const char *b = "HTTP/1.0 200 OK\nA: b\n\nbody";
	assert_int_equal(wc_http_head_end(b, strlen(b)), strlen(b) - 4);
	const char *c = "HTTP/1.1 200 OK\r\nA: b\r\n";
	assert_int_equal(wc_http_head_end(c, strlen(c)), 0);
	assert_int_equal(wc_http_head_end("", 0), 0);
	assert_int_equal(wc_http_head_end("HTTP/1.1 200 OK\r\n\r", 18), 0);
}

static void test_head_framing(void **state)
{
	(void)state;
	struct wc_http_head h;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", &h), CW_OK);
	assert_int_equal(h.status, 200);
	assert_true(h.http11 && h.has_length && h.body && !h.chunked && !h.close);
	assert_int_equal(h.length, 42);
	/* the same length twice is one length */
	assert_int_equal(
	    parse("HTTP/1.1 200 OK\r\ncontent-length: 7\r\nContent-Length:7 \r\n\r\n", &h), CW_OK);
	assert_int_equal(h.length, 7);
	assert_int_equal(parse("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: Chunked\r\n\r\n", &h),
	                 CW_OK);
	assert_true(h.chunked && !h.has_length && !h.close && h.status == 404);
	/* a length beside a transfer coding: the coding wins, the connection is not reused */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	                       "Transfer-Encoding: chunked\r\n\r\n",
	                       &h),
	                 CW_OK);
	assert_true(h.chunked && !h.has_length && h.close);
	/* no length, no coding: the body ends with the connection */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", &h), CW_OK);
	assert_true(h.body && h.close);
	/* HTTP/1.0 (openssl s_server -HTTP) is never kept */
	assert_int_equal(parse("HTTP/1.0 200 ok\n\n", &h), CW_OK);
	assert_true(!h.http11 && h.close);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n"
	                       "Content-Length: 0\r\n\r\n",
	                       &h),
	                 CW_OK);
	assert_true(h.close);
	assert_int_equal(parse("HTTP/1.1 204\r\n\r\n", &h), CW_OK);
	assert_true(!h.body && !h.close);
	assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\n", &h), CW_OK);
	assert_true(!h.body && h.status == 100);
}

/* What a watcher keeps of an answer: a valid ETag, Date and Last-Modified (IMF-fixdate). */
static void test_head_validators(void **state)
{
	(void)state;
	struct wc_http_head h;
	assert_int_equal(parse("HTTP/1.1 304 Not Modified\r\nETag: \"ab,c\"\r\n"
	                       "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	                       "Last-Modified: Thu, 01 Jan 1970 00:00:01 GMT\r\n\r\n",
	                       &h),
	                 CW_OK);
	assert_string_equal(h.etag, "\"ab,c\"");
	assert_false(h.body);
	assert_int_equal(h.date, 784111777);
	assert_int_equal(h.last_modified, 1);
	/* none given: none kept */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &h), CW_OK);
	assert_string_equal(h.etag, "");
	assert_int_equal(h.date, -1);
	assert_int_equal(h.last_modified, -1);
	/* an invalid ETag is dropped; a Last-Modified that cannot be read is the latest time */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: a b\r\n"
	                       "Last-Modified: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
	                       &h),
	                 CW_OK);
	assert_string_equal(h.etag, "");
	assert_true(h.last_modified > (time_t)4102444800);
	static const char *const bad[] = {"Sun, 06 Nov 1994 08:49:37 UTC",
	                                  "Sun, 31 Feb 1994 08:49:37 GMT",
	                                  "Sun, 06 Nov 1994 24:49:37 GMT",
	                                  "Xyz, 06 Nov 1994 08:49:37 GMT",
	                                  "Sun, 06 Nov 1994 08:49:37 GMT ",
	                                  "Sun, 6 Nov 1994 08:49:37 GMT",
	                                  "Sun, 06 Nov 1969 08:49:37 GMT",
	                                  "Sun  06 Nov 1994 08:49:37 GMT",
	                                  ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (wc_http_date(bad[i], strlen(bad[i])) != -1)
			fail_msg("'%s' taken as a date", bad[i]);
	assert_int_equal(wc_http_date("Thu, 29 Feb 2024 23:59:59 GMT", 29), 1709251199);
}

static void test_head_refused(void **state)
{
	(void)state;
	struct wc_http_head h;
	static const char *bad[] = {
	    "HTTP/2 200\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 600 Odd\r\n\r\n",
	    "HTTP/1.1 200OK\r\n\r\n",
	    "ICY 200 OK\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
	    "HTTP/1.1 200 OK\r\n\r\nextra",
	    "HTTP/1.1 200 OK\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i], &h) != CW_ERR_PROTOCOL)
			fail_msg("accepted head %zu: %s", i, bad[i]);
	char *big = malloc(WC_HTTP_MAX_HEAD + 64);
	assert_non_null(big);
	int n = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', WC_HTTP_MAX_HEAD);
	memcpy(big + n + WC_HTTP_MAX_HEAD, "\r\n\r\n", 5);
	assert_int_equal(parse(big, &h), CW_ERR_PROTOCOL);
	free(big);
}

struct out {
	char buf[256];
	size_t len;
	size_t limit;
};

static cw_status sink(void *arg, const unsigned char *d, size_t n)
{
	struct out *o = arg;
	if (o->len + n > o->limit)
		return CW_ERR_TOOBIG;
	memcpy(o->buf + o->len, d, n);
	o->len += n;
	return CW_OK;
}

/* Feeds in in pieces of step bytes; returns the status, *used the bytes consumed. */
static cw_status chunked(const char *in, size_t step, struct out *o, size_t *used, bool *done)
{
	struct wc_chunked c = {0};
	size_t n = strlen(in), at = 0;
	cw_status st = CW_OK;
	const char *why = NULL;
	memset(o->buf, 0, sizeof o->buf);
	o->len = 0;
	*done = false;
	while (at < n && st == CW_OK && !*done) {
		size_t k = n - at < step ? n - at : step, u = 0;
		st =
		    wc_chunked_feed(&c, (const unsigned char *)in + at, k, &u, done, sink, o, &why);
		at += u;
	}
	*used = at;
	return st;
}

static void test_chunked(void **state)
{
	(void)state;
	struct out o = {.limit = sizeof o.buf};
	size_t used;
	bool done;
	const char *body = "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n"
	                   "Trailer: x\r\n\r\nNEXT";
	for (size_t step = 1; step <= strlen(body); step++) {
		assert_int_equal(chunked(body, step, &o, &used, &done), CW_OK);
		assert_true(done);
		assert_int_equal(used, strlen(body) - 4); /* the next answer is not touched */
		assert_int_equal(o.len, 31);
		assert_memory_equal(o.buf, "helloabcdefghijklmnopqrstuvwxyz", 31);
	}
	/* bare LF line ends, and an empty body */
	assert_int_equal(chunked("3\nabc\n0\n\n", 100, &o, &used, &done), CW_OK);
	assert_true(done && o.len == 3);
	assert_int_equal(chunked("0\r\n\r\n", 100, &o, &used, &done), CW_OK);
	assert_true(done && o.len == 0);
	/* incomplete: not done, no error */
	assert_int_equal(chunked("5\r\nhel", 100, &o, &used, &done), CW_OK);
	assert_false(done);
	/* the sink's refusal comes back */
	o.limit = 4;
	assert_int_equal(chunked("5\r\nhello\r\n0\r\n\r\n", 100, &o, &used, &done), CW_ERR_TOOBIG);
	o.limit = sizeof o.buf;
	static const char *bad[] = {
	    "\r\n",                 /* no size */
	    "x\r\n",                /* not hex */
	    "-1\r\n",               /* not hex */
	    "1000000000000000\r\n", /* 16 digits: could overflow */
	    "3\r\nabcX\r\n",        /* data not followed by a line end */
	    ";ext\r\n",             /* an extension without a size */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (chunked(bad[i], 100, &o, &used, &done) != CW_ERR_PROTOCOL)
			fail_msg("accepted chunked body %zu: %s", i, bad[i]);
}

static char dir[] = "/tmp/cwhttpXXXXXX";

/* A root, an intermediate under it, a leaf under each: root.crt, int.crt, direct.{crt,key}
 * (by the root), leaf.{crt,key} (by the intermediate), bundle.crt (root and intermediate),
 * leafchain.crt (leaf and intermediate); srv.{crt,key}, a server's for 127.0.0.1 (by the
 * root). */
static int make_certs(void **state)
{
	(void)state;
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	if (mkdtemp(dir) == NULL)
		return -1;
	return cw_test_sh(
	           "cd %s && printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n' "
	           ">ca.ext"
	           " && openssl req -x509 %s -keyout root.key -out root.crt -days 2 -subj /CN=root"
	           " -addext basicConstraints=critical,CA:TRUE 2>/dev/null"
	           " && openssl req %s -keyout int.key -out int.csr -subj /CN=int 2>/dev/null"
	           " && openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial"
	           "    -days 2 -extfile ca.ext -out int.crt 2>/dev/null"
	           " && openssl req %s -keyout direct.key -out direct.csr -subj /CN=app1 "
	           "2>/dev/null"
	           " && openssl x509 -req -in direct.csr -CA root.crt -CAkey root.key -days 2"
	           "    -out direct.crt 2>/dev/null"
	           " && openssl req %s -keyout leaf.key -out leaf.csr -subj /CN=app1 2>/dev/null"
	           " && openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial"
	           "    -days 2 -out leaf.crt 2>/dev/null"
	           " && cat root.crt int.crt >bundle.crt && cat leaf.crt int.crt >leafchain.crt"
	           " && printf 'subjectAltName=IP:127.0.0.1\\n' >srv.ext"
	           " && openssl req %s -keyout srv.key -out srv.csr -subj /CN=srv 2>/dev/null"
	           " && openssl x509 -req -in srv.csr -CA root.crt -CAkey root.key -days 2"
	           "    -extfile srv.ext -out srv.crt 2>/dev/null",
	           dir, ec, ec, ec, ec, ec) == 0
	           ? 0
	           : -1;
}

static int remove_certs(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

/* The subjects of the chain wc_tls_setup builds for cert/key with ca as the CA file, after
 * the client's own certificate, as "CN,CN" ("" for none); or "error". */
static void chain_of(const char *ca, const char *cert, const char *key, char *out, size_t size)
{
	char pca[256], pcert[256], pkey[256];
	wallet_client *c = calloc(1, sizeof *c);
	assert_non_null(c);
	snprintf(pca, sizeof pca, "%s/%s", dir, ca);
	snprintf(pcert, sizeof pcert, "%s/%s", dir, cert);
	snprintf(pkey, sizeof pkey, "%s/%s", dir, key);
	c->cfg.ca = pca;
	c->cfg.cert = pcert;
	c->cfg.key = pkey;
	STACK_OF(X509) *chain = NULL;
	snprintf(out, size, "error");
	if (wc_tls_setup(c) == CW_OK && SSL_CTX_get0_chain_certs(c->tls, &chain) == 1) {
		out[0] = '\0';
		for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
			char cn[64] = "";
			X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(chain, i)),
			                          NID_commonName, cn, sizeof cn);
			snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", cn);
		}
	}
	wc_tls_teardown(c);
	free(c);
}

static void test_client_chain(void **state)
{
	(void)state;
	char got[256];
	/* issued by the root the wallet has: nothing more to present (never the root) */
	chain_of("root.crt", "direct.crt", "direct.key", got, sizeof got);
	assert_string_equal(got, "");
	/* an intermediate only in the CA file: completed from there, without the root */
	chain_of("bundle.crt", "leaf.crt", "leaf.key", got, sizeof got);
	assert_string_equal(got, "int");
	/* the intermediate in the certificate file: kept */
	chain_of("root.crt", "leafchain.crt", "leaf.key", got, sizeof got);
	assert_string_equal(got, "int");
	/* a chain that cannot be completed is presented as far as it goes */
	chain_of("root.crt", "leaf.crt", "leaf.key", got, sizeof got);
	assert_string_equal(got, "");
	/* another certificate's key: refused */
	chain_of("root.crt", "leaf.crt", "direct.key", got, sizeof got);
	assert_string_equal(got, "error");
}

/* ---- HTTP/1.1 pipelining (wc_http_get_then, wc_http_take) against a TLS peer in a thread
 * of this test, which records what each connection received before it answered: the
 * requests that go together arrive in one read, before any answer; a peer that closes after
 * one answer, or drops the queued requests, gets them again one at a time on a new
 * connection. The system suite entry_pipeline drives the same code against wallet serve and
 * nginx. ---- */

/* ---- the peer ---- */

enum peer_mode {
	PEER_KEEPS,  /* answers every request, keeps the connection */
	PEER_CLOSES, /* answers the first request with Connection: close, then closes */
	PEER_DROPS,  /* answers the first request as if it kept the connection, then closes */
	PEER_SILENT, /* answers the first request of each read, drops the others, keeps the
	              * connection (a proxy that discards what came along with a request) */
};

struct peer {
	enum peer_mode mode;
	int lfd;
	int port;
	int conns;     /* connections accepted */
	char log[512]; /* per connection "N:" and the paths of each read, "|" between reads */
};

static void logf_(struct peer *p, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(p->log);
	va_start(ap, fmt);
	vsnprintf(p->log + n, sizeof p->log - n, fmt, ap);
	va_end(ap);
}

/* The paths of the whole request heads in buf[0..*len), logged; the heads are removed. */
static int take_heads(struct peer *p, char *buf, size_t *len, char paths[][32], int max)
{
	int k = 0;
	char *end;
	buf[*len] = '\0';
	while (k < max && (end = strstr(buf, "\r\n\r\n")) != NULL) {
		if (sscanf(buf, "GET %31s ", paths[k]) == 1)
			logf_(p, "%s%s", k ? "," : "", paths[k]);
		k++;
		size_t used = (size_t)(end + 4 - buf);
		memmove(buf, buf + used, *len - used + 1);
		*len -= used;
	}
	return k;
}

static void answer(SSL *s, const char *path, bool close)
{
	char out[160];
	/* the body: the path's last letter, upper-cased */
	char b = (char)(path[strlen(path) - 1] - 'a' + 'A');
	int n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n%s\r\n%c",
	                 close ? "Connection: close\r\n" : "", b);
	(void)SSL_write(s, out, n);
}

static void serve_one(struct peer *p, SSL_CTX *ctx, int fd)
{
	char buf[8192], paths[16][32];
	size_t len = 0;
	SSL *s = SSL_new(ctx);
	SSL_set_fd(s, fd);
	if (SSL_accept(s) != 1)
		goto out;
	logf_(p, "%s%d:", p->conns > 1 ? ";" : "", p->conns);
	for (int reads = 0;; reads++) {
		int got = SSL_read(s, buf + len, (int)(sizeof buf - 1 - len));
		if (got <= 0)
			break;
		len += (size_t)got;
		if (reads > 0)
			logf_(p, "|");
		int k = take_heads(p, buf, &len, paths, 16);
		for (int i = 0; i < k && (i == 0 || p->mode != PEER_SILENT); i++) {
			answer(s, paths[i], p->mode == PEER_CLOSES);
			if (p->mode != PEER_KEEPS && p->mode != PEER_SILENT)
				goto out;
		}
	}
out:
	SSL_shutdown(s);
	SSL_free(s);
	close(fd);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char crt[300], key[300];
	snprintf(crt, sizeof crt, "%s/srv.crt", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		goto out;
	for (;;) {
		int fd = accept(p->lfd, NULL, NULL);
		if (fd < 0)
			break; /* the listening socket was shut down: the test is over */
		p->conns++;
		serve_one(p, ctx, fd);
	}
out:
	SSL_CTX_free(ctx);
	return NULL;
}

static void peer_start(struct peer *p, enum peer_mode mode, pthread_t *tid)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	memset(p, 0, sizeof *p);
	p->mode = mode;
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->lfd >= 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &alen), 0);
	p->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(tid, NULL, peer_main, p), 0);
}

static void peer_stop(struct peer *p, pthread_t tid)
{
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(tid, NULL);
	close(p->lfd);
}

/* ---- the client ---- */

static char url[64], ca[300], cert[300], key[300];
static char *urls[1] = {url};

static wallet_client *client_for(const struct peer *p)
{
	wallet_client *c = calloc(1, sizeof *c);
	assert_non_null(c);
	snprintf(url, sizeof url, "https://127.0.0.1:%d", p->port);
	snprintf(ca, sizeof ca, "%s/root.crt", dir);
	snprintf(cert, sizeof cert, "%s/direct.crt", dir);
	snprintf(key, sizeof key, "%s/direct.key", dir);
	c->cfg.urls = urls;
	c->cfg.nurls = 1;
	c->cfg.ca = ca;
	c->cfg.cert = cert;
	c->cfg.key = key;
	c->cfg.connect_ms = c->cfg.request_ms = 30000;
	c->cfg.wait_ms = 0;
	c->url_bad = calloc(1, 1);
	assert_non_null(c->url_bad);
	return c;
}

static void client_free(wallet_client *c)
{
	wc_http_teardown(c);
	free(c->url_bad);
	free(c);
}

/* /b and /c go with the first request */
static size_t next_bc(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max)
{
	(void)c;
	assert_true(max >= 2);
	snprintf(paths[0], sizeof paths[0], "/b");
	snprintf(paths[1], sizeof paths[1], "/c");
	return 2;
}

/* GET /a with /b and /c pipelined, then /b, then /c taken; the bodies in got ("ABC"). */
static void run_abc(wallet_client *c, char *got)
{
	struct wc_resp r = {0};
	assert_int_equal(wc_http_get_then(c, "/a", 100, &r, next_bc), CW_OK);
	got[0] = (char)r.body[0];
	wc_resp_free(&r);
	assert_int_equal(wc_http_get(c, "/b", 100, &r), CW_OK);
	got[1] = (char)r.body[0];
	wc_resp_free(&r);
	cw_status st = wc_http_take(c, "/c", 100, &r);
	if (st == CW_ERR_NOTFOUND) /* not on the way: asked for as usual */
		st = wc_http_get(c, "/c", 100, &r);
	assert_int_equal(st, CW_OK);
	got[2] = (char)r.body[0];
	got[3] = '\0';
	wc_resp_free(&r);
}

/* run_abc against a peer in mode: what the peer logged, how many connections it took, and
 * whether the client stopped pipelining. request_ms: the client's time for each request. */
static void abc_against_in(enum peer_mode mode, const char *want_log, int want_conns,
                           bool want_pipe_off, long request_ms)
{
	struct peer p;
	pthread_t tid;
	char got[4];
	peer_start(&p, mode, &tid);
	wallet_client *c = client_for(&p);
	c->cfg.connect_ms = c->cfg.request_ms = request_ms;
	run_abc(c, got);
	assert_string_equal(got, "ABC");
	assert_int_equal(c->pipe_off, want_pipe_off);
	client_free(c);
	peer_stop(&p, tid);
	assert_int_equal(p.conns, want_conns);
	assert_string_equal(p.log, want_log);
}

static void abc_against(enum peer_mode mode, const char *want_log, int want_conns,
                        bool want_pipe_off)
{
	abc_against_in(mode, want_log, want_conns, want_pipe_off, 30000);
}

static void test_pipelined(void **state)
{
	(void)state;
	/* one connection, the three requests in its first read, before any answer */
	abc_against(PEER_KEEPS, "1:/a,/b,/c", 1, false);
}

static void test_peer_closes(void **state)
{
	(void)state;
	/* from then on, one request at a time */
	abc_against(PEER_CLOSES, "1:/a,/b,/c;2:/b;3:/c", 3, true);
}

static void test_peer_drops(void **state)
{
	(void)state;
	/* /b's queued answer never came: asked again on a new connection, alone */
	abc_against(PEER_DROPS, "1:/a,/b,/c;2:/b;3:/c", 3, true);
}

static void test_peer_silent(void **state)
{
	(void)state;
	/* /b's queued answer never comes and the connection stays open: /b times out (2 s),
	 * then is asked alone on a new connection, with time of its own; /c follows on it */
	abc_against_in(PEER_SILENT, "1:/a,/b,/c;2:/b|/c", 2, true, 2000);
}

/* A request for another path than the one queued first: the queued answers are read and
 * dropped, and the connection carries it. */
static void test_skip_queued(void **state)
{
	(void)state;
	struct peer p;
	pthread_t tid;
	struct wc_resp r = {0};
	peer_start(&p, PEER_KEEPS, &tid);
	wallet_client *c = client_for(&p);
	assert_int_equal(wc_http_get_then(c, "/a", 100, &r, next_bc), CW_OK);
	wc_resp_free(&r);
	assert_int_equal(wc_http_take(c, "/d", 100, &r), CW_ERR_NOTFOUND);
	assert_int_equal(wc_http_get(c, "/d", 100, &r), CW_OK);
	assert_int_equal(r.body[0], 'D');
	wc_resp_free(&r);
	client_free(c);
	peer_stop(&p, tid);
	assert_int_equal(p.conns, 1);
	assert_string_equal(p.log, "1:/a,/b,/c|/d");
}

int main(void)
{
	const struct CMUnitTest chain_tests[] = {
	    cmocka_unit_test(test_client_chain), cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_peer_closes),  cmocka_unit_test(test_peer_drops),
	    cmocka_unit_test(test_peer_silent),  cmocka_unit_test(test_skip_queued),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_head_end),     cmocka_unit_test(test_head_framing),
	    cmocka_unit_test(test_head_refused), cmocka_unit_test(test_head_validators),
	    cmocka_unit_test(test_chunked),
	};
	int failed = cmocka_run_group_tests_name("client_http", tests, NULL, NULL);
	return failed +
	       cmocka_run_group_tests_name("client_tls", chain_tests, make_certs, remove_certs);
}
