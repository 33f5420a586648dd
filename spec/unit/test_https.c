/* common/https: the civetweb helper, with certificates made by the openssl CLI and libcurl as
 * the peer. Includes the regression test for civetweb 1.15 + OpenSSL 3 (docs/DESIGN.md,
 * "Platform notes"): an HTTPS request must be answered, not crash the server, also after
 * refused handshakes. */
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "https.h"

static char dir[64];
static char path_buf[16][256];
static int npaths;

static const char *P(const char *name)
{
	char *p = path_buf[npaths++ % 16];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

/* A CA, a server certificate for 127.0.0.1, client "app1" of that CA, and client "app1" of
 * another CA (same name: only the issuer differs). */
static int make_certs(void)
{
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	if (cw_test_sh(
	        "cd %s && printf 'extendedKeyUsage=serverAuth\\nsubjectAltName=IP:127.0.0.1\\n' > "
	        "srv.ext"
	        " && printf 'extendedKeyUsage=clientAuth\\n' > cli.ext",
	        dir) != 0)
		return -1;
	const char *cas[] = {"ca", "other"};
	for (int i = 0; i < 2; i++)
		if (cw_test_sh(
		        "cd %s && openssl req -x509 %s -keyout %s.key -out %s.crt -days 2 -subj "
		        "/CN=%s"
		        " -addext basicConstraints=critical,CA:TRUE"
		        " -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null",
		        dir, ec, cas[i], cas[i], cas[i]) != 0)
			return -1;
	struct {
		const char *name, *cn, *ca, *ext;
	} leaves[] = {{"server", "wallet", "ca", "srv.ext"},
	              {"app1", "app1", "ca", "cli.ext"},
	              {"rogue", "app1", "other", "cli.ext"}};
	for (int i = 0; i < 3; i++)
		if (cw_test_sh(
		        "cd %s && openssl req %s -keyout %s.key -out %s.csr -subj /CN=%s "
		        "2>/dev/null"
		        " && openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -CAcreateserial"
		        " -days 2 -extfile %s -out %s.crt 2>/dev/null",
		        dir, ec, leaves[i].name, leaves[i].name, leaves[i].cn, leaves[i].name,
		        leaves[i].ca, leaves[i].ca, leaves[i].ext, leaves[i].name) != 0)
			return -1;
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwhttpsXXXXXX");
	if (mkdtemp(dir) == NULL || make_certs() != 0)
		return -1;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

/* Handlers: "/who" says who the peer is; "/raw/..." echoes the raw path and query. */
static void who(cw_https_req *req, void *arg)
{
	(void)arg;
	char body[200];
	int n = snprintf(body, sizeof body, "%s %s %s", req->peer->verified ? "verified" : "anon",
	                 req->peer->cn, req->peer->sha256);
	snprintf(req->object, sizeof req->object, "who");
	cw_https_reply(req, 200, "text/plain", "X-Test: 1\r\n", body, (size_t)n);
}

static void raw(cw_https_req *req, void *arg)
{
	(void)arg;
	char body[600];
	int n = snprintf(body, sizeof body, "%s?%s", req->path, req->query ? req->query : "");
	cw_https_reply(req, 200, "text/plain", NULL, body, (size_t)n);
}

static void health(cw_https_req *req, void *arg)
{
	(void)arg;
	cw_https_reply(req, 200, "text/plain", NULL, "ok\n", 3);
}

static int observed;
static int observed_status;
static void observer(const cw_https_req *req, uint64_t us, void *arg)
{
	(void)us;
	(void)arg;
	__atomic_fetch_add(&observed, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&observed_status, req->status, __ATOMIC_SEQ_CST);
}

static cw_https *start(bool plain)
{
	cw_https_opts o = {.listen = "127.0.0.1:0",
	                   .cert_file = P("server.crt"),
	                   .key_file = P("server.key"),
	                   .ca_file = P("ca.crt"),
	                   .num_threads = 2,
	                   .plain_listen = plain ? "127.0.0.1:0" : NULL};
	cw_https *srv = NULL;
	char err[256] = "";
	assert_int_equal(cw_https_new(&o, &srv), CW_OK);
	assert_int_equal(cw_https_route(srv, "/who", false, CW_HTTPS_TLS, who, NULL), CW_OK);
	assert_int_equal(cw_https_route(srv, "/raw/", true, CW_HTTPS_TLS, raw, NULL), CW_OK);
	assert_int_equal(
	    cw_https_route(srv, "/healthz", false, CW_HTTPS_TLS | CW_HTTPS_PLAIN, health, NULL),
	    CW_OK);
	cw_https_set_observer(srv, observer, NULL);
	cw_status st = cw_https_start(srv, err, sizeof err);
	if (st != CW_OK)
		fail_msg("start: %s", err);
	assert_true(cw_https_port(srv, CW_HTTPS_TLS) > 0);
	return srv;
}

struct buf {
	char data[4096];
	size_t len;
};

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;
	if (len > sizeof b->data - 1 - b->len)
		len = sizeof b->data - 1 - b->len;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return sz * n;
}

struct fetch {
	const char *scheme; /* "https" (default) or "http" */
	const char *cert;   /* client cert/key basename, NULL: none */
	long tls_min, tls_max;
	const char *path;
};

/* Returns the curl code; *status gets the HTTP status (0 if none). */
static CURLcode fetch(CURL *h, int port, const struct fetch *f, long *status, struct buf *b)
{
	char url[512];
	snprintf(url, sizeof url, "%s://127.0.0.1:%d%s", f->scheme ? f->scheme : "https", port,
	         f->path);
	memset(b, 0, sizeof *b);
	*status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, P("ca.crt"));
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	if (f->cert != NULL) {
		char c[64], k[64];
		snprintf(c, sizeof c, "%s.crt", f->cert);
		snprintf(k, sizeof k, "%s.key", f->cert);
		curl_easy_setopt(h, CURLOPT_SSLCERT, P(c));
		curl_easy_setopt(h, CURLOPT_SSLKEY, P(k));
	}
	if (f->tls_min != 0)
		curl_easy_setopt(h, CURLOPT_SSLVERSION, f->tls_min | f->tls_max);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return rc;
}

static void cert_sha256(const char *file, char hex[65])
{
	FILE *fp = fopen(file, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	unsigned char md[32];
	unsigned int n = 0;
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	X509_free(x);
}

static void test_mutual_tls_versions(void **state)
{
	(void)state;
	cw_https *srv = start(false);
	int port = cw_https_port(srv, CW_HTTPS_TLS);
	char want[200], fpr[65];
	cert_sha256(P("app1.crt"), fpr);
	snprintf(want, sizeof want, "verified app1 %s", fpr);
	long versions[][2] = {{CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
	                      {CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3}};
	/* min = max: a success proves that version was negotiated */
	for (int i = 0; i < 2; i++) {
		CURL *h = curl_easy_init();
		struct buf b;
		long status;
		struct fetch f = {.cert = "app1",
		                  .tls_min = versions[i][0],
		                  .tls_max = versions[i][1],
		                  .path = "/who"};
		assert_int_equal(fetch(h, port, &f, &status, &b), CURLE_OK);
		assert_int_equal(status, 200);
		assert_string_equal(b.data, want);
		/* keep-alive: the second request reuses the connection */
		assert_int_equal(fetch(h, port, &f, &status, &b), CURLE_OK);
		assert_int_equal(status, 200);
		assert_string_equal(b.data, want);
		long nconn = -1;
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
		assert_int_equal(nconn, 0);
		curl_easy_cleanup(h);
	}
	cw_https_free(srv);
}

/* The server's TLS options are its own, whatever the context held before: civetweb 1.15 sets
 * OpenSSL 1.0's SSL_OP_ALL (0x80000BFF), whose bits under OpenSSL 3 include
 * NO_EXTENDED_MASTER_SECRET and ENABLE_KTLS. Here the context starts with every bit set. */
static void test_options_are_ours(void **state)
{
	(void)state;
	cw_tls_files f = {.cert_file = P("server.crt"),
	                  .key_file = P("server.key"),
	                  .ca_file = P("ca.crt"),
	                  .verify_depth = 2,
	                  .session_lifetime_s = CW_TLS_SESSION_DEFAULT_S,
	                  .session_cache = 4};
	cw_tls *t = NULL;
	char err[256] = "";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	SSL_CTX_set_options(ctx, ~(uint64_t)0);
	assert_int_equal(cw_tls_new(&f, &t), CW_OK);
	assert_int_equal(cw_tls_setup(t, ctx, err, sizeof err), CW_OK);
	uint64_t want = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
	                SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
	assert_int_equal(SSL_CTX_get_options(ctx), want);
	cw_tls_free(t);
	SSL_CTX_free(ctx);
}

static uint64_t failures(const cw_https *srv)
{
	cw_tls_counts c;
	cw_https_tls_counts(srv, &c);
	return c.failures;
}

static void test_refusals_then_still_serving(void **state)
{
	(void)state;
	cw_https *srv = start(false);
	int port = cw_https_port(srv, CW_HTTPS_TLS);
	uint64_t hs0 = failures(srv);
	struct buf b;
	long status;
	struct {
		const char *cert;
		long min, max;
	} bad[] = {
	    {NULL, CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3}, /* no certificate */
	    {NULL, CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
	    {"rogue", CURL_SSLVERSION_TLSv1_3, CURL_SSLVERSION_MAX_TLSv1_3}, /* other CA */
	    {"rogue", CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
	    /* a server certificate is no client certificate (no clientAuth) */
	    {"server", CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_2},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CURL *h = curl_easy_init();
		struct fetch f = {.cert = bad[i].cert,
		                  .tls_min = bad[i].min,
		                  .tls_max = bad[i].max,
		                  .path = "/who"};
		CURLcode rc = fetch(h, port, &f, &status, &b);
		if (rc == CURLE_OK || status != 0)
			fail_msg("case %zu accepted: curl %d, HTTP %ld", i, rc, status);
		curl_easy_cleanup(h);
	}
	/* The server's worker records a failure after the client has seen the alert: wait for
	 * the count (bounded, 5 s) rather than read it at once. */
	for (int i = 0; i < 500 && failures(srv) < hs0 + 5; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_true(failures(srv) >= hs0 + 5);
	/* The regression: the server still answers, over both versions. */
	CURL *h = curl_easy_init();
	struct fetch ok = {.cert = "app1", .path = "/healthz"};
	assert_int_equal(fetch(h, port, &ok, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);
	assert_string_equal(b.data, "ok\n");
	curl_easy_cleanup(h);
	cw_https_free(srv);
}

static void test_routing_raw_paths_and_plain(void **state)
{
	(void)state;
	cw_https *srv = start(true);
	int port = cw_https_port(srv, CW_HTTPS_TLS);
	int pport = cw_https_port(srv, CW_HTTPS_PLAIN);
	assert_true(pport > 0 && pport != port);
	CURL *h = curl_easy_init();
	struct buf b;
	long status;
	int before = __atomic_load_n(&observed, __ATOMIC_SEQ_CST);

	struct fetch f = {.cert = "app1", .path = "/raw/a%2Fb/../%2e%2e/%00?version=%31"};
	assert_int_equal(fetch(h, port, &f, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);
	assert_string_equal(b.data, "/raw/a%2Fb/../%2e%2e/%00?version=%31");

	f.path = "/nowhere";
	assert_int_equal(fetch(h, port, &f, &status, &b), CURLE_OK);
	assert_int_equal(status, 404);
	/* "/who" must not match "/whoami" (exact route) */
	f.path = "/whoami";
	assert_int_equal(fetch(h, port, &f, &status, &b), CURLE_OK);
	assert_int_equal(status, 404);
	/* The observer runs after the answer is on the wire: wait for it (bounded, 5 s). */
	for (int i = 0; i < 500 && __atomic_load_n(&observed, __ATOMIC_SEQ_CST) < before + 3; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(__atomic_load_n(&observed, __ATOMIC_SEQ_CST), before + 3);
	assert_int_equal(__atomic_load_n(&observed_status, __ATOMIC_SEQ_CST), 404);

	/* plain listener: only the routes registered for it */
	struct fetch p = {.scheme = "http", .path = "/healthz"};
	assert_int_equal(fetch(h, pport, &p, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);
	p.path = "/who";
	assert_int_equal(fetch(h, pport, &p, &status, &b), CURLE_OK);
	assert_int_equal(status, 404);
	p.path = "/raw/x";
	assert_int_equal(fetch(h, pport, &p, &status, &b), CURLE_OK);
	assert_int_equal(status, 404);
	/* and no plain HTTP on the TLS port */
	p.path = "/healthz";
	CURLcode rc = fetch(h, port, &p, &status, &b);
	assert_true(rc != CURLE_OK || status != 200);
	curl_easy_cleanup(h);
	cw_https_free(srv);
}

static void test_start_errors(void **state)
{
	(void)state;
	const char *bad_listen[] = {"127.0.0.1",       "127.0.0.1:", ":80",
	                            "127.0.0.1:99999", "::1:80",     "127.0.0.1:80,1.2.3.4:81",
	                            "127.0.0.1:8x"};
	char err[256];
	for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
		cw_https_opts o = {.listen = bad_listen[i],
		                   .cert_file = P("server.crt"),
		                   .key_file = P("server.key"),
		                   .ca_file = P("ca.crt")};
		cw_https *srv = NULL;
		assert_int_equal(cw_https_new(&o, &srv), CW_OK);
		err[0] = '\0';
		assert_int_equal(cw_https_start(srv, err, sizeof err), CW_ERR_USAGE);
		assert_non_null(strstr(err, "bad listen address"));
		cw_https_free(srv);
	}
	/* missing files: CW_ERR_TLS and the file named in the message */
	const char *missing = P("missing.crt");
	cw_https_opts o = {.listen = "127.0.0.1:0",
	                   .cert_file = missing,
	                   .key_file = P("server.key"),
	                   .ca_file = P("ca.crt")};
	cw_https *srv = NULL;
	assert_int_equal(cw_https_new(&o, &srv), CW_OK);
	assert_int_equal(cw_https_start(srv, err, sizeof err), CW_ERR_TLS);
	assert_non_null(strstr(err, missing));
	assert_int_equal(cw_https_port(srv, CW_HTTPS_TLS), 0);
	cw_https_free(srv);
	/* a key that does not match the certificate */
	o.cert_file = P("server.crt");
	o.key_file = P("app1.key");
	assert_int_equal(cw_https_new(&o, &srv), CW_OK);
	assert_int_equal(cw_https_start(srv, err, sizeof err), CW_ERR_TLS);
	assert_non_null(strstr(err, "private key"));
	cw_https_free(srv);
	/* a port in use */
	cw_https *a = start(false);
	char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", cw_https_port(a, CW_HTTPS_TLS));
	o.listen = addr;
	o.key_file = P("server.key");
	assert_int_equal(cw_https_new(&o, &srv), CW_OK);
	assert_int_not_equal(cw_https_start(srv, err, sizeof err), CW_OK);
	cw_https_free(srv);
	cw_https_free(a);
	cw_https_free(NULL);
}

/* The serial of file's certificate as tlsctx.h gives it (upper-case hex). */
static void cert_serial(const char *file, char *out, size_t outsz)
{
	FILE *fp = fopen(file, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);
	snprintf(out, outsz, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
}

/* The files, at the paths the server was given, read again: new handshakes get them; a
 * connection kept alive from before goes on; files that cannot be used change nothing. */
static void test_reload(void **state)
{
	(void)state;
	assert_int_equal(
	    cw_test_sh("cd %s && cp server.crt r.crt && cp server.key r.key && cp ca.crt r-ca.crt",
	               dir),
	    0);
	char crt[256], key[256], ca[256]; /* P's buffers are reused: these outlive the server */
	snprintf(crt, sizeof crt, "%s", P("r.crt"));
	snprintf(key, sizeof key, "%s", P("r.key"));
	snprintf(ca, sizeof ca, "%s", P("r-ca.crt"));
	cw_https_opts o = {.listen = "127.0.0.1:0",
	                   .cert_file = crt,
	                   .key_file = key,
	                   .ca_file = ca,
	                   .num_threads = 2};
	cw_https *srv = NULL;
	char err[256] = "", serial[84];
	assert_int_equal(cw_https_new(&o, &srv), CW_OK);
	assert_int_equal(cw_https_route(srv, "/who", false, CW_HTTPS_TLS, who, NULL), CW_OK);
	if (cw_https_start(srv, err, sizeof err) != CW_OK)
		fail_msg("start: %s", err);
	int port = cw_https_port(srv, CW_HTTPS_TLS);
	cw_tls_info info;
	cw_https_tls_info(srv, &info);
	cert_serial(P("server.crt"), serial, sizeof serial);
	assert_string_equal(info.server.serial, serial);
	assert_true(info.server.not_after > (int64_t)time(NULL));
	assert_true(info.ca_not_after > (int64_t)time(NULL));
	assert_int_equal(info.reloads, 0);

	CURL *kept = curl_easy_init(); /* its connection outlives the reloads below */
	struct fetch app1 = {.cert = "app1", .path = "/who"},
	             rogue = {.cert = "rogue", .path = "/who"};
	struct buf b;
	long status;
	assert_int_equal(fetch(kept, port, &app1, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);

	struct {
		const char *change, *why;
	} refused[] = {
	    {"cp app1.key r.key", "does not match the certificate"},
	    {"echo junk > r.crt", "cannot use certificate"},
	    {"cp server.crt r.crt && cp server.key r.key && rm r-ca.crt", "cannot read TLS CA"},
	    {"echo junk > r-ca.crt", "cannot use CA file"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_int_equal(cw_test_sh("cd %s && %s", dir, refused[i].change), 0);
		err[0] = '\0';
		assert_int_equal(cw_https_reload_tls(srv, err, sizeof err), CW_ERR_TLS);
		if (strstr(err, refused[i].why) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err, refused[i].why);
		cw_https_tls_info(srv, &info);
		assert_int_equal(info.reloads, 0);
		CURL *h = curl_easy_init();
		assert_int_equal(fetch(h, port, &app1, &status, &b), CURLE_OK);
		assert_int_equal(status, 200);
		curl_easy_cleanup(h);
	}

	/* the other CA: its client certificates are accepted, the first CA's refused */
	assert_int_equal(cw_test_sh("cd %s && cp other.crt r-ca.crt", dir), 0);
	if (cw_https_reload_tls(srv, err, sizeof err) != CW_OK)
		fail_msg("reload: %s", err);
	cw_https_tls_info(srv, &info);
	assert_int_equal(info.reloads, 1);
	CURL *h = curl_easy_init();
	assert_int_equal(fetch(h, port, &rogue, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);
	assert_non_null(strstr(b.data, "verified app1 "));
	curl_easy_cleanup(h);
	h = curl_easy_init();
	CURLcode rc = fetch(h, port, &app1, &status, &b);
	assert_true(rc != CURLE_OK || status != 200);
	curl_easy_cleanup(h);
	/* the connection made before every reload: still answered, not made again */
	assert_int_equal(fetch(kept, port, &app1, &status, &b), CURLE_OK);
	assert_int_equal(status, 200);
	long nconn = -1;
	curl_easy_getinfo(kept, CURLINFO_NUM_CONNECTS, &nconn);
	assert_int_equal(nconn, 0);
	curl_easy_cleanup(kept);
	cw_https_free(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_tls_versions),
	    cmocka_unit_test(test_options_are_ours),
	    cmocka_unit_test(test_refusals_then_still_serving),
	    cmocka_unit_test(test_routing_raw_paths_and_plain),
	    cmocka_unit_test(test_start_errors),
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
