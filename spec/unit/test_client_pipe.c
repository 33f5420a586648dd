/* client/lib/http + conn: HTTP/1.1 pipelining (wc_http_get_then, wc_http_take) against a TLS
 * peer in a thread of this test, which records what each connection received before it
 * answered: the requests that go together arrive in one read, before any answer; a peer that
 * closes after one answer, or drops the queued requests, gets them again one at a time on a
 * new connection. The system suites drive the same code against wallet serve (civetweb,
 * which answers pipelined requests) and openssl s_server -HTTP (which closes after one). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
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

static char dir[] = "/tmp/cwpipeXXXXXX";

/* A root, a server certificate for 127.0.0.1 and a client certificate, both by the root. */
static int make_certs(void **state)
{
	(void)state;
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	if (mkdtemp(dir) == NULL)
		return -1;
	return cw_test_sh(
	           "cd %s && printf 'subjectAltName=IP:127.0.0.1\\n' >srv.ext"
	           " && openssl req -x509 %s -keyout root.key -out root.crt -days 2 -subj /CN=root"
	           " -addext basicConstraints=critical,CA:TRUE 2>/dev/null"
	           " && openssl req %s -keyout srv.key -out srv.csr -subj /CN=srv 2>/dev/null"
	           " && openssl x509 -req -in srv.csr -CA root.crt -CAkey root.key -CAcreateserial"
	           "    -days 2 -extfile srv.ext -out srv.crt 2>/dev/null"
	           " && openssl req %s -keyout cli.key -out cli.csr -subj /CN=app1 2>/dev/null"
	           " && openssl x509 -req -in cli.csr -CA root.crt -CAkey root.key -days 2"
	           "    -out cli.crt 2>/dev/null",
	           dir, ec, ec, ec) == 0
	           ? 0
	           : -1;
}

static int remove_certs(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

/* ---- the peer ---- */

enum peer_mode {
	PEER_KEEPS,  /* answers every request, keeps the connection */
	PEER_CLOSES, /* answers the first request with Connection: close, then closes */
	PEER_DROPS,  /* answers the first request as if it kept the connection, then closes */
};

struct peer {
	enum peer_mode mode;
	int lfd;
	int port;
	int conns;     /* connections accepted */
	char log[512]; /* per connection "N:" and the paths of each read, "|" between reads */
	int first_answer_after; /* requests received when the first answer was written */
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
		for (int i = 0; i < k; i++) {
			if (p->first_answer_after == 0)
				p->first_answer_after = k;
			answer(s, paths[i], p->mode == PEER_CLOSES);
			if (p->mode != PEER_KEEPS)
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
	snprintf(cert, sizeof cert, "%s/cli.crt", dir);
	snprintf(key, sizeof key, "%s/cli.key", dir);
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

static void test_pipelined(void **state)
{
	(void)state;
	struct peer p;
	pthread_t tid;
	char got[4];
	peer_start(&p, PEER_KEEPS, &tid);
	wallet_client *c = client_for(&p);
	run_abc(c, got);
	assert_string_equal(got, "ABC");
	assert_false(c->pipe_off);
	client_free(c);
	peer_stop(&p, tid);
	/* one connection, the three requests in its first read, before any answer */
	assert_int_equal(p.conns, 1);
	assert_int_equal(p.first_answer_after, 3);
	assert_string_equal(p.log, "1:/a,/b,/c");
}

static void test_peer_closes(void **state)
{
	(void)state;
	struct peer p;
	pthread_t tid;
	char got[4];
	peer_start(&p, PEER_CLOSES, &tid);
	wallet_client *c = client_for(&p);
	run_abc(c, got);
	assert_string_equal(got, "ABC");
	assert_true(c->pipe_off); /* from then on, one request at a time */
	client_free(c);
	peer_stop(&p, tid);
	assert_int_equal(p.conns, 3);
	assert_string_equal(p.log, "1:/a,/b,/c;2:/b;3:/c");
}

static void test_peer_drops(void **state)
{
	(void)state;
	struct peer p;
	pthread_t tid;
	char got[4];
	peer_start(&p, PEER_DROPS, &tid);
	wallet_client *c = client_for(&p);
	run_abc(c, got);
	assert_string_equal(got, "ABC");
	assert_true(c->pipe_off);
	client_free(c);
	peer_stop(&p, tid);
	/* /b's queued answer never came: asked again on a new connection, alone */
	assert_int_equal(p.conns, 3);
	assert_string_equal(p.log, "1:/a,/b,/c;2:/b;3:/c");
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
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_peer_closes),
	    cmocka_unit_test(test_peer_drops),
	    cmocka_unit_test(test_skip_queued),
	};
	return cmocka_run_group_tests_name("client_pipe", tests, make_certs, remove_certs);
}
