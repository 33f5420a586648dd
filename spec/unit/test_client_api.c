#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "name.h"
#include "gnupg.h"
#include "rnp.h"
#include "wc_internal.h"

#define FPR "0123456789ABCDEF0123456789ABCDEF01234567"

static void test_strerror_version(void **state)
{
	(void)state;
	/* every value of the list has its text, the same as the project's own */
	for (int s = WALLET_OK; s < WALLET_STATUS_END; s++) {
		const char *m = wallet_strerror((wallet_status)s);
		assert_non_null(m);
		assert_string_not_equal(m, "unknown status");
		assert_string_equal(m, cw_strerror((cw_status)s));
	}
	assert_int_equal(WALLET_STATUS_END, 21); /* numbers never change: 0..20 so far */
	assert_int_equal(WALLET_ERR_STALE, 20);
	assert_int_equal(WALLET_ERR_INTERNAL, 19);
	assert_string_equal(wallet_strerror(WALLET_STATUS_END), "unknown status");
	assert_string_equal(cw_strerror(CW_STATUS_END), "unknown status");
	assert_string_equal(wallet_strerror(wc_status_public(CW_ERR_TLS)), "TLS failure");
	assert_int_equal(wc_status_internal(WALLET_ERR_DENIED), CW_ERR_DENIED);
	assert_string_equal(wallet_version(), WALLET_CLIENT_VERSION_STRING);
	assert_string_equal(wallet_strerror(WALLET_ERR_ROLLBACK),
	                    "version older than the required minimum");
}

static void test_config_validation(void **state)
{
	(void)state;
	wallet_config *cfg = NULL;
	assert_int_equal(wallet_config_new(&cfg), WALLET_OK);
	assert_int_equal(wallet_config_add_url(cfg, "http://x:1"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_add_url(cfg, "https://"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_add_url(cfg, "https://a b"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_add_url(cfg, "https://h/?x"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_add_urls(cfg, ""), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_add_urls(cfg, "https://a:1/, https://b:2"), WALLET_OK);
	assert_int_equal(cfg->nurls, 2);
	assert_string_equal(cfg->urls[0], "https://a:1"); /* trailing '/' dropped */
	assert_string_equal(cfg->urls[1], "https://b:2");
	assert_int_equal(wallet_config_set_signer(cfg, "abc"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_set_signer(cfg, FPR "0"), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_set_signer(cfg, "0123456789abcdef0123456789abcdef0123456Z"),
	                 WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_set_signer(cfg, "0123456789abcdef0123456789abcdef01234567"),
	                 WALLET_OK);
	assert_string_equal(cfg->signer, FPR); /* upper-cased */
	assert_int_equal(wallet_config_set_timeouts(cfg, 0, 10), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_set_wait(cfg, -1), WALLET_ERR_USAGE);
	assert_int_equal(wallet_config_set_ca(cfg, ""), WALLET_ERR_USAGE);
	/* key file and GNUPGHOME exclude each other: the last one wins */
	assert_int_equal(wallet_config_set_gpg_key_file(cfg, "/k.asc"), WALLET_OK);
	assert_int_equal(wallet_config_set_gnupghome(cfg, "/home"), WALLET_OK);
	assert_null(cfg->gpg_key_file);
	assert_string_equal(cfg->gnupghome, "/home");
	wallet_client *c = (wallet_client *)1;
	/* CA, certificate and key are missing */
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_ERR_USAGE);
	assert_null(c);
	wallet_config_free(cfg);
	wallet_config_free(NULL);
	wallet_client_free(NULL);
	wallet_secret_free(NULL);
	wallet_list_free(NULL);
	wallet_secrets_free(NULL, 0);
	assert_null(wallet_secret_data(NULL));
	assert_int_equal(wallet_secret_size(NULL), 0);
	assert_string_equal(wallet_client_error(NULL), "");
}

static void test_b64_and_versions(void **state)
{
	(void)state;
	unsigned char *out;
	size_t n;
	assert_int_equal(wc_b64_decode("YQ==", &out, &n), CW_OK);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "a", 1);
	free(out);
	assert_int_equal(wc_b64_decode("YWI=", &out, &n), CW_OK);
	assert_int_equal(n, 2);
	free(out);
	assert_int_equal(wc_b64_decode("YWJj", &out, &n), CW_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "abc", 3);
	free(out);
	static const char *bad[] = {"", "YQ=", "Y=Q=", "!!!!", "YQ==YQ==", "YW Jj", "=YWJ"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (wc_b64_decode(bad[i], &out, &n) == CW_OK)
			fail_msg("accepted base64 '%s'", bad[i]);
		assert_null(out);
	}
	uint64_t v;
	assert_true(cw_version_parse("1", strlen("1"), &v));
	assert_int_equal(v, 1);
	assert_true(cw_version_parse("9007199254740991", strlen("9007199254740991"), &v));
	static const char *badv[] = {
	    "", "0", "01", "-1", "1x", " 1", "9007199254740992", "99999999999999999999"};
	for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++)
		if (cw_version_parse(badv[i], strlen(badv[i]), &v))
			fail_msg("accepted version '%s'", badv[i]);
}

/* A TCP port on 127.0.0.1 where nobody listens: bound, then closed. */
static int dead_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &l) != 0)
		return -1;
	close(s);
	return ntohs(a.sin_port);
}

static int nlogs;
static void count_log(void *arg, const char *msg)
{
	(void)arg;
	if (strstr(msg, "no wallet answers") != NULL)
		nlogs++;
}

static char home[64];

static wallet_config *net_config(long wait_ms)
{
	wallet_config *cfg = NULL;
	char url[64];
	snprintf(url, sizeof url, "https://127.0.0.1:%d", dead_port());
	assert_int_equal(wallet_config_new(&cfg), WALLET_OK);
	assert_int_equal(wallet_config_add_url(cfg, url), WALLET_OK);
	assert_int_equal(wallet_config_set_ca(cfg, "/nonexistent/ca.crt"), WALLET_OK);
	assert_int_equal(wallet_config_set_cert(cfg, "/nonexistent/c.crt", "/nonexistent/c.key"),
	                 WALLET_OK);
	assert_int_equal(wallet_config_set_signer(cfg, FPR), WALLET_OK);
	assert_int_equal(wallet_config_set_gnupghome(cfg, home), WALLET_OK);
	assert_int_equal(wallet_config_set_wait(cfg, wait_ms), WALLET_OK);
	assert_int_equal(wallet_config_set_log(cfg, count_log, NULL), WALLET_OK);
	return cfg;
}

static int home_setup(void **state)
{
	(void)state;
	strcpy(home, "/dev/shm/cwhomeXXXXXX");
	return mkdtemp(home) ? 0 : -1;
}

/* Whether a live process (not a zombie) has dir as one argument: the gpg-agent gnupg starts
 * for a GNUPGHOME runs with "--homedir dir". */
static int home_process_alive(const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;
	while (d && !found && (e = readdir(d)) != NULL) {
		char p[300], buf[8192];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof p, "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		for (size_t i = 0; i < n && !found; i += strlen(buf + i) + 1)
			found = strcmp(buf + i, dir) == 0;
		if (!found)
			continue;
		snprintf(p, sizeof p, "/proc/%s/stat", e->d_name); /* a zombie does not count */
		f = fopen(p, "r");
		n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		const char *rp = strrchr(buf, ')');
		found = rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X' && rp[2] != 'x';
	}
	if (d)
		closedir(d);
	return found;
}

/* The test made the home, so it stops the agent there and waits (at most 10 s) until it is gone:
 * gpgconf returns once the agent has taken the command, not once it has exited. */
static int home_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "gpgconf --homedir %s --kill all >/dev/null 2>&1", home);
	if (system(cmd) == -1)
		return -1;
	for (int i = 0; i < 200 && home_process_alive(home); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (home_process_alive(home))
		return -1;
	return cw_rm_rf(home) == CW_OK ? 0 : -1;
}

static void test_no_wallet(void **state)
{
	(void)state;
	wallet_config *cfg = net_config(0);
	wallet_client *c = NULL;
	wallet_secret *s = (wallet_secret *)1;
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	wallet_config_free(cfg); /* the client keeps its own copy */
	assert_int_equal(wallet_fetch(c, "../x", 0, &s), WALLET_ERR_NAME);
	assert_null(s);
	assert_int_equal(wallet_fetch_version(c, "db", 0, &s), WALLET_ERR_USAGE);
	nlogs = 0;
	assert_int_equal(wallet_fetch(c, "db", 0, &s), WALLET_ERR_NETWORK);
	assert_null(s);
	assert_non_null(strstr(wallet_client_error(c), "https://127.0.0.1:"));
	assert_int_equal(nlogs, 0); /* no wait: no retry */
	wallet_list *l = (wallet_list *)1;
	assert_int_equal(wallet_list_objects(c, "a//", &l), WALLET_ERR_NAME);
	assert_null(l);
	wallet_secret **v = (wallet_secret **)1;
	size_t n = 7;
	assert_int_equal(wallet_fetch_group(c, "nogroup", &v, &n), WALLET_ERR_NAME);
	assert_null(v);
	assert_int_equal(n, 0);
	/* no manifest to be had (this client's certificate is no real one, and no wallet
	 * answers): a failure status, never WALLET_OK with "not listed" */
	int listed = 7;
	wallet_status st = wallet_manifest_lists(c, "db", &listed);
	assert_true(st != WALLET_OK && st != WALLET_ERR_NOTFOUND);
	assert_int_equal(listed, 0);
	st = wallet_manifest_lists(c, "app1/", &listed);
	assert_true(st != WALLET_OK && st != WALLET_ERR_NOTFOUND);
	assert_int_equal(wallet_manifest_lists(c, "a//b", &listed), WALLET_ERR_NAME);
	assert_int_equal(wallet_manifest_lists(c, "db", NULL), WALLET_ERR_USAGE);
	assert_int_equal(wallet_manifest_lists(NULL, "db", &listed), WALLET_ERR_USAGE);
	wallet_client_free(c);
}

static void test_wait_retries(void **state)
{
	(void)state;
	wallet_config *cfg = net_config(400);
	wallet_client *c = NULL;
	wallet_list *l = NULL;
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	nlogs = 0;
	assert_int_equal(wallet_list_objects(c, NULL, &l), WALLET_ERR_NETWORK);
	assert_true(nlogs >= 2); /* 100 ms, 200 ms, then the rest of 400 ms */
	/* the wait budget is spent: the next request tries once */
	nlogs = 0;
	assert_int_equal(wallet_list_objects(c, NULL, &l), WALLET_ERR_NETWORK);
	assert_int_equal(nlogs, 0);
	wallet_client_free(c);
	wallet_config_free(cfg);
}

/* wallet_watch: its arguments checked first; a poll never waits, whatever the configured
 * wait (the watcher backs off itself), and ends the client's start for later requests. */
static void test_watch_no_wallet(void **state)
{
	(void)state;
	wallet_config *cfg = net_config(3600 * 1000L); /* an hour: a fetch would wait */
	wallet_client *c = NULL;
	size_t newer = 7;
	wallet_watch_item it[2] = {{"db", 3, 9, 9, 9}, {"app1/x", 0, 9, 9, 9}};
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_int_equal(wallet_watch(NULL, it, 2, &newer), WALLET_ERR_USAGE);
	assert_int_equal(newer, 0);
	assert_int_equal(wallet_watch(c, NULL, 2, NULL), WALLET_ERR_USAGE);
	wallet_watch_item bad = {"../x", 0, 0, 0, 0}, none = {NULL, 0, 0, 0, 0};
	assert_int_equal(wallet_watch(c, &bad, 1, NULL), WALLET_ERR_NAME);
	assert_int_equal(wallet_watch(c, &none, 1, NULL), WALLET_ERR_NAME);
	nlogs = 0;
	assert_int_equal(wallet_watch(c, it, 2, &newer), WALLET_ERR_NETWORK);
	assert_int_equal(nlogs, 0); /* tried once, no retry */
	assert_int_equal(newer, 0);
	assert_int_equal(it[0].listed, 9); /* outputs left as they were on failure */
	assert_non_null(strstr(wallet_client_error(c), "https://127.0.0.1:"));
	wallet_list *l = (wallet_list *)1;
	assert_int_equal(wallet_manifest_list(c, "a//", &l), WALLET_ERR_NAME);
	assert_null(l);
	assert_int_equal(wallet_manifest_list(NULL, NULL, &l), WALLET_ERR_USAGE);
	assert_int_equal(wallet_manifest_list(c, NULL, NULL), WALLET_ERR_USAGE);
	/* no manifest held: it asks (this fixture's certificate is no file: a usage error) */
	assert_int_not_equal(wallet_manifest_list(c, "app1/", &l), WALLET_OK);
	assert_null(l);
	assert_int_equal(nlogs, 0);
	wallet_client_free(c);
	wallet_config_free(cfg);
}

static int cancel_now(void *arg)
{
	(void)arg;
	return 1;
}

static void test_cancel(void **state)
{
	(void)state;
	wallet_config *cfg = net_config(3600 * 1000L); /* an hour: only cancel ends it */
	wallet_client *c = NULL;
	wallet_secret *s = NULL;
	assert_int_equal(wallet_config_set_cancel(cfg, cancel_now, NULL), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_int_equal(wallet_fetch(c, "db", 0, &s), WALLET_ERR_NETWORK);
	assert_non_null(strstr(wallet_client_error(c), "canceled"));
	wallet_client_free(c);
	wallet_config_free(cfg);
}

/* Many clients in parallel threads: no shared state beyond the one-time initialisation. */
/* Which engine a client gets: rnp for a key file unless gnupg is asked for; gnupg for a
 * GNUPGHOME; rnp without a key file is a usage error. */
static void test_openpgp_engine(void **state)
{
	(void)state;
	char keyfile[96];
	snprintf(keyfile, sizeof keyfile, "%s/k.asc", home);
	assert_int_equal(cw_write_atomic(home, "k.asc", "-----BEGIN PGP", 14, 0600, false), CW_OK);
	assert_int_equal(wallet_config_set_openpgp(NULL, WALLET_OPENPGP_RNP), WALLET_ERR_USAGE);
	wallet_config *cfg = net_config(0);
	assert_int_equal(wallet_config_set_openpgp(cfg, (wallet_openpgp)7), WALLET_ERR_USAGE);
	wallet_client *c = (wallet_client *)1;
	assert_int_equal(wallet_config_set_openpgp(cfg, WALLET_OPENPGP_RNP), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_ERR_USAGE); /* GNUPGHOME only */
	assert_null(c);
	assert_int_equal(wallet_config_set_gpg_key_file(cfg, keyfile), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_true(c->engine == &wc_engine_rnp);
	(void)wc_engine_ready(c); /* made in a thread of its own (the key file holds no key) */
	assert_non_null(((struct wc_rnp *)c->eng)->ffi);
	/* no gpg context, no throwaway GNUPGHOME: only a gnupg state holds those */
	assert_true(c->engine != &wc_engine_gnupg);
	wallet_client_free(c);
	assert_int_equal(wallet_config_set_openpgp(cfg, WALLET_OPENPGP_AUTO), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_true(c->engine == &wc_engine_rnp);
	(void)wc_engine_ready(c); /* made in a thread of its own (the key file holds no key) */
	assert_non_null(((struct wc_rnp *)c->eng)->ffi);
	wallet_client_free(c);
	assert_int_equal(wallet_config_set_openpgp(cfg, WALLET_OPENPGP_GNUPG), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_true(c->engine == &wc_engine_gnupg); /* no rnp keyring */
	assert_non_null(((struct wc_gnupg *)c->eng)->gpg);
	assert_true(((struct wc_gnupg *)c->eng)->tmphome);
	wallet_client_free(c);
	assert_int_equal(wallet_config_set_openpgp(cfg, WALLET_OPENPGP_AUTO), WALLET_OK);
	assert_int_equal(wallet_config_set_gnupghome(cfg, home), WALLET_OK);
	assert_int_equal(wallet_client_new(cfg, &c), WALLET_OK);
	assert_true(c->engine == &wc_engine_gnupg); /* no rnp keyring */
	assert_string_equal(((struct wc_gnupg *)c->eng)->home, home);
	wallet_client_free(c);
	wallet_config_free(cfg);
}

static void *thread_main(void *arg)
{
	wallet_config *cfg = arg;
	for (int i = 0; i < 5; i++) {
		wallet_client *c = NULL;
		wallet_secret *s = NULL;
		if (wallet_client_new(cfg, &c) != WALLET_OK)
			return (void *)1;
		if (wallet_fetch(c, "db", 0, &s) != WALLET_ERR_NETWORK)
			return (void *)1;
		wallet_client_free(c);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	wallet_config *cfg = net_config(0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, cfg), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	wallet_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror_version),
	    cmocka_unit_test(test_config_validation),
	    cmocka_unit_test(test_b64_and_versions),
	    cmocka_unit_test_setup_teardown(test_no_wallet, home_setup, home_teardown),
	    cmocka_unit_test_setup_teardown(test_wait_retries, home_setup, home_teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, home_setup, home_teardown),
	    cmocka_unit_test_setup_teardown(test_watch_no_wallet, home_setup, home_teardown),
	    cmocka_unit_test_setup_teardown(test_threads, home_setup, home_teardown),
	    cmocka_unit_test_setup_teardown(test_openpgp_engine, home_setup, home_teardown),
	};
	return cmocka_run_group_tests_name("client_api", tests, NULL, NULL);
}
