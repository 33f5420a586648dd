/* wallet/httpreq (strict %-decoding and query parsing), wallet/config (settings) and
 * wallet/metrics (Prometheus text) without a server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "config.h"
#include "httpreq.h"
#include "metrics.h"

static void test_pct_decode(void **state)
{
	(void)state;
	char out[16];
	size_t n;
	assert_true(http_pct_decode("a%2Fb", 5, out, sizeof out, &n));
	assert_string_equal(out, "a/b");
	assert_int_equal(n, 3);
	assert_true(http_pct_decode("%2e%2E", 6, out, sizeof out, &n));
	assert_string_equal(out, "..");
	assert_true(http_pct_decode("", 0, out, sizeof out, &n));
	assert_int_equal(n, 0);
	const char *bad[] = {"%", "%2", "a%zz", "%00", "a%00b", "%g0", "%0g"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(http_pct_decode(bad[i], strlen(bad[i]), out, sizeof out, &n));
	assert_false(http_pct_decode("a\0b", 3, out, sizeof out, &n)); /* raw NUL */
	assert_true(http_pct_decode("123456789012345", 15, out, sizeof out, &n));
	assert_false(http_pct_decode("1234567890123456", 16, out, sizeof out, &n)); /* no room */
}

static void test_query_version(void **state)
{
	(void)state;
	uint64_t v = 99;
	assert_true(http_query_version(NULL, &v));
	assert_int_equal(v, 0);
	assert_true(http_query_version("", &v));
	assert_true(http_query_version("version=1", &v));
	assert_int_equal(v, 1);
	assert_true(http_query_version("version=%31%32", &v));
	assert_int_equal(v, 12);
	assert_true(http_query_version("version=9007199254740991", &v));
	assert_int_equal(v, 9007199254740991ULL);
	const char *bad[] = {"version=0",
	                     "version=01",
	                     "version=",
	                     "version=-1",
	                     "version=1x",
	                     "version=9007199254740992",
	                     "version=99999999999999999999",
	                     "Version=1",
	                     "v=1",
	                     "version=1&version=2",
	                     "version=1&",
	                     "&version=1",
	                     "version",
	                     "version=1;x=2",
	                     "version=%2B1",
	                     "version=1%00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (http_query_version(bad[i], &v))
			fail_msg("accepted '%s'", bad[i]);
}

static void test_query_prefix(void **state)
{
	(void)state;
	char p[300];
	assert_true(http_query_prefix(NULL, p, sizeof p));
	assert_string_equal(p, "");
	assert_true(http_query_prefix("prefix=app1/", p, sizeof p));
	assert_string_equal(p, "app1/");
	assert_true(http_query_prefix("prefix=app1%2F", p, sizeof p));
	assert_string_equal(p, "app1/");
	assert_true(http_query_prefix("prefix=db", p, sizeof p));
	assert_string_equal(p, "db");
	const char *bad[] = {"prefix=../",  "prefix=%2e%2e/",    "prefix=/", "prefix=a//",
	                     "prefix=a%00", "prefix=a&prefix=b", "name=a",   "prefix=a b"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (http_query_prefix(bad[i], p, sizeof p))
			fail_msg("accepted '%s'", bad[i]);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_config(void **state)
{
	(void)state;
	char dir[] = "/tmp/cwcfgXXXXXX", f[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof f, "%s/c.json", dir);
	struct serve_config cfg = {0};

	write_file(f, "{\"listen\":\"127.0.0.1:9\",\"threads\":3,\"health_listen\":\"8081\"}");
	assert_int_equal(serve_config_load(&cfg, f, err, sizeof err), CW_OK);
	/* a flag overrides the file */
	assert_int_equal(serve_config_set(&cfg, "threads", "5", err, sizeof err), CW_OK);
	assert_int_equal(serve_config_finish(&cfg, "/d", err, sizeof err), CW_OK);
	assert_string_equal(cfg.listen, "127.0.0.1:9");
	assert_int_equal(cfg.threads, 5);
	assert_string_equal(cfg.health_listen, "127.0.0.1:8081");
	assert_string_equal(cfg.data, "/d");
	assert_string_equal(cfg.tls_cert, "/d/tls/server.crt");
	assert_string_equal(cfg.tls_key, "/d/tls/server.key");
	assert_string_equal(cfg.tls_ca, "/d/tls/ca.crt");
	serve_config_free(&cfg);

	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(serve_config_finish(&cfg, "/x", err, sizeof err), CW_OK);
	assert_string_equal(cfg.listen, SERVE_DEFAULT_LISTEN);
	assert_int_equal(cfg.threads, SERVE_DEFAULT_THREADS);
	assert_null(cfg.health_listen);
	assert_int_equal(cfg.tls_session_lifetime, 0); /* unset: the server's default */
	assert_int_equal(cfg.tls_session_cache, 0);
	serve_config_free(&cfg);

	/* session resumption: 0 turns it off (-1, so that 0 stays "unset"); bounds */
	memset(&cfg, 0, sizeof cfg);
	write_file(f, "{\"tls_session_lifetime\":0,\"tls_session_cache\":64}");
	assert_int_equal(serve_config_load(&cfg, f, err, sizeof err), CW_OK);
	assert_int_equal(cfg.tls_session_lifetime, -1);
	assert_int_equal(cfg.tls_session_cache, 64);
	assert_int_equal(serve_config_set(&cfg, "tls_session_lifetime", "600", err, sizeof err),
	                 CW_OK);
	assert_int_equal(cfg.tls_session_lifetime, 600);
	assert_int_equal(serve_config_set(&cfg, "tls_session_lifetime", "86401", err, sizeof err),
	                 CW_ERR_USAGE);
	assert_non_null(strstr(err, "tls_session_lifetime: 86401 out of range 0..86400"));
	assert_int_equal(serve_config_set(&cfg, "tls_session_cache", "0", err, sizeof err),
	                 CW_ERR_USAGE);
	assert_int_equal(cfg.tls_session_cache, 64);
	serve_config_free(&cfg);

	const char *bad[] = {"[]",
	                     "{\"listen\":1}",
	                     "{\"threads\":\"4\"}",
	                     "{\"threads\":1.5}",
	                     "{\"threads\":0}",
	                     "{\"threads\":100000}",
	                     "{\"nope\":1}",
	                     "{",
	                     "{\"listen\":\"\"}",
	                     "{\"verify_depth\":17}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&cfg, 0, sizeof cfg);
		write_file(f, bad[i]);
		err[0] = '\0';
		if (serve_config_load(&cfg, f, err, sizeof err) != CW_ERR_USAGE)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, f)); /* the message names the file */
		assert_null(strchr(err, '\n'));
		serve_config_free(&cfg);
	}
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(serve_config_set(&cfg, "threads", "4x", err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(serve_config_set(&cfg, "bogus", "1", err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(serve_config_set(&cfg, "health_listen", "99999", err, sizeof err), CW_OK);
	assert_int_equal(serve_config_finish(&cfg, "/d", err, sizeof err), CW_ERR_USAGE);
	serve_config_free(&cfg);
	snprintf(f, sizeof f, "%s/missing.json", dir);
	assert_int_equal(serve_config_load(&cfg, f, err, sizeof err), CW_ERR_IO);
	snprintf(f, sizeof f, "%s/c.json", dir);
	unlink(f);
	rmdir(dir);
}

/* cJSON lets through what must be refused: bytes after the object, and a string holding
 * "\u0000" (cut short there: an audit_log path was opened truncated) or a raw NUL byte. */
static void test_config_strict(void **state)
{
	(void)state;
	char dir[] = "/tmp/cwcfgXXXXXX", f[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof f, "%s/c.json", dir);
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
		const char *says;
	} bad[] = {
	    {"{\"threads\":4} x", 0, "trailing data after the JSON object"},
	    {"{\"threads\":4}{}", 0, "trailing data after the JSON object"},
	    {"{\"threads\":4}\n\0", 15, "trailing data after the JSON object"},
	    {"{\"audit_log\":\"/tmp/a\\u0000.log\"}", 0, "'audit_log' holds a NUL character"},
	    {"{\"threads\":4, \"data\" : \"\\u0000\"}", 0, "'data' holds a NUL character"},
	    {"{\"listen\\u0000x\":\"127.0.0.1:1\"}", 0, "a key holds a NUL character"},
	    {"{\"data\":\"/d\0x\"}", 15, "a NUL byte in the file"},
	    /* numbers no long holds (converting them would be undefined): refused as out of range
	     */
	    {"{\"threads\":1e100}", 0, "threads"},
	    {"{\"threads\":-1e400}", 0, "threads"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct serve_config cfg = {0};
		FILE *fp = fopen(f, "w");
		assert_non_null(fp);
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		assert_int_equal(fwrite(bad[i].text, 1, len, fp), len);
		fclose(fp);
		err[0] = '\0';
		if (serve_config_load(&cfg, f, err, sizeof err) != CW_ERR_USAGE)
			fail_msg("accepted config %zu", i);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("config %zu: '%s' does not say '%s'", i, err, bad[i].says);
		assert_null(strchr(err, '\n'));
		serve_config_free(&cfg);
	}
	/* what is not a NUL stays accepted: an escaped backslash before u0000, other escapes,
	 * whitespace after the object */
	struct serve_config cfg = {0};
	write_file(f, "{\"audit_log\":\"/tmp/a\\\\u0000\\u0041\", \"threads\": 4}\r\n\t \n");
	assert_int_equal(serve_config_load(&cfg, f, err, sizeof err), CW_OK);
	assert_string_equal(cfg.audit_log, "/tmp/a\\u0000A");
	assert_int_equal(cfg.threads, 4);
	serve_config_free(&cfg);
	unlink(f);
	rmdir(dir);
}

static void test_metrics(void **state)
{
	(void)state;
	metrics *m = metrics_new();
	assert_non_null(m);
	metrics_observe(m, 1, 200, 100);     /* 0.1 ms */
	metrics_observe(m, 1, 200, 3000);    /* 3 ms */
	metrics_observe(m, 1, 404, 9000000); /* 9 s: +Inf only */
	metrics_observe(m, 1, 418, 10);
	metrics_observe(m, 0, 200, 10); /* health: counted, not in the histogram */
	const cw_tls_counts tls = {.failures = 7, .full = 11, .resumed = 13, .sessions = 17};
	char *t = metrics_render(m, &tls, 42);
	assert_non_null(t);
	assert_non_null(strstr(t, "wallet_requests_total{listener=\"tls\",code=\"200\"} 2\n"));
	assert_non_null(strstr(t, "wallet_requests_total{listener=\"tls\",code=\"404\"} 1\n"));
	assert_non_null(strstr(t, "wallet_requests_total{listener=\"tls\",code=\"other\"} 1\n"));
	assert_non_null(strstr(t, "wallet_requests_total{listener=\"health\",code=\"200\"} 1\n"));
	assert_non_null(strstr(t, "wallet_tls_handshake_failures_total 7\n"));
	assert_non_null(strstr(t, "wallet_tls_handshakes_total{kind=\"full\"} 11\n"));
	assert_non_null(strstr(t, "wallet_tls_handshakes_total{kind=\"resumed\"} 13\n"));
	assert_non_null(strstr(t, "wallet_tls_sessions 17\n"));
	assert_non_null(strstr(t, "wallet_objects 42\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_bucket{le=\"0.00025\"} 2\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_bucket{le=\"0.005\"} 3\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_bucket{le=\"2.5\"} 3\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_count 4\n"));
	assert_non_null(strstr(t, "wallet_request_duration_seconds_sum 9.003110\n"));
	assert_null(strstr(t, "wallet_certificate_expiry_seconds")); /* not known yet */
	free(t);
	/* certificate expiry: seconds from now, negative once past */
	int64_t now = (int64_t)time(NULL);
	metrics_set_cert_expiry(m, now + 1000, now - 86400);
	t = metrics_render(m, &tls, 42);
	assert_non_null(t);
	assert_non_null(strstr(t, "# TYPE wallet_certificate_expiry_seconds gauge\n"));
	const char *srv = strstr(t, "wallet_certificate_expiry_seconds{cert=\"server\"} ");
	const char *ca = strstr(t, "wallet_certificate_expiry_seconds{cert=\"ca\"} ");
	assert_non_null(srv);
	assert_non_null(ca);
	long long vs = strtoll(strchr(srv, ' ') + 1, NULL, 10);
	long long vc = strtoll(strchr(ca, ' ') + 1, NULL, 10);
	assert_true(vs <= 1000 && vs >= 990);
	assert_true(vc <= -86400 && vc >= -86410);
	free(t);
	metrics_free(m);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pct_decode),    cmocka_unit_test(test_query_version),
	    cmocka_unit_test(test_query_prefix),  cmocka_unit_test(test_config),
	    cmocka_unit_test(test_config_strict), cmocka_unit_test(test_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
