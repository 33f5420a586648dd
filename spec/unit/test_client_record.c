/* wallet/store/client.c: client records with revoked certificates (parsing and what it
 * refuses, records older than them, writing and reading back), the removal steps, the lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "objstore_fixture.h"
#include "objstore_int.h"
#include "strv.h"

#define CERT_A "8d0cd47a0b8d2bd2e39d5071d850a95fdfbaaa35bb2126f5fc326f666f129590"
#define CERT_B "0000000000000000000000000000000000000000000000000000000000000001"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return fixture_store_new(dir, sizeof dir, "/tmp/cwclXXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

static void new_client(ws_client *c, const char *name)
{
	memset(c, 0, sizeof *c);
	snprintf(c->client, sizeof c->client, "%s", name);
	snprintf(c->fingerprint, sizeof c->fingerprint, "%s", FPR);
	ws_time_now(c->imported);
}

/* Parses json; returns the status and leaves why in *why. */
static cw_status parse(const char *json, ws_client *c, char *why, size_t whysz)
{
	why[0] = '\0';
	return ws_client_parse(json, c, why, whysz);
}

#define HEAD "{\"client\":\"app1\",\"fingerprint\":\"" FPR "\",\"imported\":\"t\""

static void test_parse(void **state)
{
	(void)state;
	ws_client c;
	char why[256];
	/* a record from before revoked certificates: none */
	assert_int_equal(parse(HEAD ",\"revoked\":false,\"revoked_at\":null}", &c, why, sizeof why),
	                 CW_OK);
	assert_int_equal(c.ncerts, 0);
	assert_false(c.revoked);
	assert_int_equal(parse(HEAD ",\"revoked_certs\":null}", &c, why, sizeof why), CW_OK);
	assert_int_equal(c.ncerts, 0);
	assert_int_equal(parse(HEAD ",\"revoked\":true,\"revoked_certs\":[{\"sha256\":\"" CERT_A
	                            "\",\"revoked_at\":\"2026-01-01T00:00:00Z\"},{\"sha256\":"
	                            "\"" CERT_B "\"}]}",
	                       &c, why, sizeof why),
	                 CW_OK);
	assert_true(c.revoked);
	assert_int_equal(c.ncerts, 2);
	assert_string_equal(c.revoked_certs[0].revoked_at, "2026-01-01T00:00:00Z");
	assert_string_equal(c.revoked_certs[1].revoked_at, "");
	assert_non_null(ws_client_cert_revoked(&c, CERT_B));
	assert_null(ws_client_cert_revoked(&c, FPR));

	static const struct {
		const char *json, *why;
	} bad[] = {
	    {"[]", "not a JSON object"},
	    {"{\"client\":\"../x\",\"fingerprint\":\"" FPR "\"}", "client is not"},
	    {"{\"client\":\"app1\",\"fingerprint\":\"xyz\"}", "fingerprint is not"},
	    {HEAD ",\"revoked\":\"yes\"}", "revoked is neither"},
	    {HEAD ",\"revoked_certs\":{}}", "revoked_certs is not an array"},
	    {HEAD ",\"revoked_certs\":[\"" CERT_A "\"]}", "revoked_certs[0].sha256"},
	    {HEAD ",\"revoked_certs\":[{\"sha256\":\"" CERT_A "0\"}]}", "revoked_certs[0].sha256"},
	    {HEAD
	     ",\"revoked_certs\":[{\"sha256\":\"8D0CD47A0B8D2BD2E39D5071D850A95FDFBAAA35BB2126F5"
	     "FC326F666F129590\"}]}",
	     "revoked_certs[0].sha256 is not a certificate fingerprint (64 lowercase"},
	    {HEAD ",\"revoked_certs\":[{\"sha256\":\"" CERT_A "\"},{\"sha256\":\"8d:0c\"}]}",
	     "revoked_certs[1].sha256"},
	    {HEAD ",\"revoked_certs\":[{\"sha256\":\"" CERT_A "\",\"revoked_at\":7}]}",
	     "revoked_certs[0].revoked_at"},
	    {HEAD ",\"revoked_certs\":[{\"sha256\":\"" CERT_A "\"},{\"sha256\":\"" CERT_A "\"}]}",
	     "a second time"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse(bad[i].json, &c, why, sizeof why), CW_ERR_INTEGRITY);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: why is '%s', not '%s...'", bad[i].json, why, bad[i].why);
	}
	/* more than the bound */
	char big[8192] = HEAD ",\"revoked_certs\":[";
	for (int i = 0; i <= WS_REVOKED_CERTS_MAX; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "%s{\"sha256\":\"%064x\"}",
		         i ? "," : "", i);
	strcat(big, "]}");
	assert_int_equal(parse(big, &c, why, sizeof why), CW_ERR_INTEGRITY);
	assert_non_null(strstr(why, "more than"));
}

static void test_revoke_certs(void **state)
{
	(void)state;
	ws_client c;
	new_client(&c, "app1");
	assert_int_equal(ws_client_revoke_cert(&c, "xyz"), CW_ERR_USAGE);
	assert_int_equal(ws_client_revoke_cert(&c, CERT_A), CW_OK);
	assert_int_equal(ws_client_revoke_cert(&c, CERT_A), CW_ERR_EXISTS);
	assert_int_equal(ws_client_revoke_cert(&c, CERT_B), CW_OK);
	assert_int_equal(c.ncerts, 2);
	assert_true(c.revoked_certs[0].revoked_at[0] != '\0');
	assert_true(ws_client_unrevoke_cert(&c, CERT_A));
	assert_false(ws_client_unrevoke_cert(&c, CERT_A));
	assert_int_equal(c.ncerts, 1);
	assert_string_equal(c.revoked_certs[0].sha256, CERT_B);
	assert_null(ws_client_cert_revoked(&c, CERT_A));
	/* up to the bound, and no further */
	for (int i = 2; c.ncerts < WS_REVOKED_CERTS_MAX; i++) {
		char f[65];
		snprintf(f, sizeof f, "%064x", i);
		assert_int_equal(ws_client_revoke_cert(&c, f), CW_OK);
	}
	assert_int_equal(ws_client_revoke_cert(&c, CERT_A), CW_ERR_TOOBIG);
}

static void test_put_get(void **state)
{
	(void)state;
	ws_store *st;
	ws_client c, r;
	char why[256];
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	new_client(&c, "app1");
	assert_int_equal(ws_client_revoke_cert(&c, CERT_A), CW_OK);
	assert_int_equal(ws_client_put(st, &c, false), CW_OK);
	assert_int_equal(ws_client_read(st, "app1", &r, why, sizeof why), CW_OK);
	assert_int_equal(r.ncerts, 1);
	assert_string_equal(r.revoked_certs[0].sha256, CERT_A);
	assert_string_equal(r.revoked_certs[0].revoked_at, c.revoked_certs[0].revoked_at);
	/* a bad fingerprint is never written */
	strcpy(c.revoked_certs[0].sha256, "nothex");
	assert_int_equal(ws_client_put(st, &c, true), CW_ERR_USAGE);
	assert_int_equal(ws_client_get(st, "app1", &r), CW_OK);
	/* a record that names another client, and one too large: why names the file */
	char path[128];
	snprintf(path, sizeof path, "%s/clients/app2.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(HEAD "}", f);
	fclose(f);
	assert_int_equal(ws_client_read(st, "app2", &r, why, sizeof why), CW_ERR_INTEGRITY);
	assert_string_equal(why, "clients/app2.json: names client 'app1'");
	f = fopen(path, "w");
	for (int i = 0; i < 70000; i++)
		fputc(' ', f);
	fclose(f);
	assert_int_equal(ws_client_read(st, "app2", &r, why, sizeof why), CW_ERR_INTEGRITY);
	assert_non_null(strstr(why, "clients/app2.json: larger than"));
	assert_int_equal(ws_client_read(st, "app3", &r, why, sizeof why), CW_ERR_NOTFOUND);
	ws_store_close(st);
}

static void test_removal(void **state)
{
	(void)state;
	ws_store *st;
	ws_client c, r;
	char **names;
	size_t n;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	new_client(&c, "app1");
	assert_int_equal(ws_client_put(st, &c, false), CW_OK);
	new_client(&c, "app2");
	assert_int_equal(ws_client_put(st, &c, false), CW_OK);
	assert_int_equal(ws_client_removing(st, "app1", &r), CW_ERR_NOTFOUND);
	assert_int_equal(ws_client_remove_begin(st, "app9"), CW_ERR_NOTFOUND);
	assert_int_equal(ws_client_remove_begin(st, "../x"), CW_ERR_NAME);

	assert_int_equal(ws_client_remove_begin(st, "app1"), CW_OK);
	/* from now on unknown to every reader */
	assert_int_equal(ws_client_get(st, "app1", &r), CW_ERR_NOTFOUND);
	ws_file_id id;
	assert_int_equal(ws_client_id(st, "app1", &id), CW_ERR_NOTFOUND);
	assert_int_equal(ws_client_names(st, &names, &n), CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "app2");
	cw_strv_free(names, n);
	/* but the removal knows it */
	assert_int_equal(ws_client_removing(st, "app1", &r), CW_OK);
	assert_string_equal(r.client, "app1");
	assert_int_equal(ws_client_removals(st, &names, &n), CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "app1");
	cw_strv_free(names, n);

	assert_int_equal(ws_client_remove_end(st, "app1"), CW_OK);
	assert_int_equal(ws_client_remove_end(st, "app1"), CW_OK); /* again: nothing left */
	assert_int_equal(ws_client_removing(st, "app1", &r), CW_ERR_NOTFOUND);
	assert_int_equal(ws_client_removals(st, &names, &n), CW_OK);
	assert_int_equal(n, 0);
	cw_strv_free(names, n);
	ws_store_close(st);
}

static void test_lock(void **state)
{
	(void)state;
	ws_store *st;
	char path[128];
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	int fd = ws_clients_lock(st);
	assert_true(fd >= 0);
	/* another holder (another open file description) cannot take it meanwhile */
	snprintf(path, sizeof path, "%s/clients/.lock", dir);
	int other = open(path, O_RDWR | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	ws_clients_unlock(fd);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	ws_clients_unlock(-1);
	ws_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_revoke_certs),
	    cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};
	return cmocka_run_group_tests_name("client_record", tests, NULL, NULL);
}
