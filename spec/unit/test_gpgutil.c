#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "gpgutil.h"

/* Whether a gpg-agent process has homedir in its command line or environment. */
static int agent_running_for(const char *home)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;
	while (d && (e = readdir(d)) != NULL && !found) {
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
		if (strstr(buf, "gpg-agent") == NULL)
			continue;
		for (size_t i = 0; i < n; i++)
			if (buf[i] == 0)
				buf[i] = ' ';
		if (strstr(buf, home))
			found = 1;
	}
	if (d)
		closedir(d);
	return found;
}

static void test_tmphome_lifecycle(void **state)
{
	(void)state;
	char home[4096];
	assert_int_equal(cw_gpg_tmphome("cwtest", home, sizeof home), CW_OK);
	assert_true(cw_on_memory_fs(home));
	struct stat sb;
	assert_int_equal(stat(home, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* parallel decryptions must not exhaust the agent's secure memory */
	char conf[4200], text[64] = "";
	snprintf(conf, sizeof conf, "%s/gpg-agent.conf", home);
	assert_int_equal(lstat(conf, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	FILE *f = fopen(conf, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof text, f));
	fclose(f);
	assert_string_equal(text, "auto-expand-secmem\n");

	/* Make a key so that gpgme starts an agent in that home (with that file: an option it
	 * refused would stop it from starting). */
	gpgme_ctx_t ctx;
	assert_int_equal(cw_gpg_ctx(home, &ctx), CW_OK);
	gpgme_error_t err =
	    gpgme_op_createkey(ctx, "cwtest", "ed25519", 0, 0, NULL,
	                       GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE);
	assert_int_equal(err, 0);
	gpgme_genkey_result_t r = gpgme_op_genkey_result(ctx);
	assert_non_null(r->fpr);
	assert_int_equal(strlen(r->fpr), 40);
	gpgme_release(ctx);
	assert_true(agent_running_for(home));

	assert_int_equal(cw_gpg_destroy_home(home), CW_OK);
	assert_int_equal(stat(home, &sb), -1);
	assert_false(agent_running_for(home));
	/* destroying twice or a half-made home is fine */
	assert_int_equal(cw_gpg_destroy_home(home), CW_OK);
}

static void test_fpr_equal(void **state)
{
	(void)state;
	const char *a = "0123456789ABCDEF0123456789ABCDEF01234567";
	assert_true(cw_fpr_equal(a, "0123456789abcdef0123456789abcdef01234567"));
	assert_false(cw_fpr_equal(a, "0123456789ABCDEF0123456789ABCDEF01234568"));
	assert_false(cw_fpr_equal(a, "0123456789ABCDEF0123456789ABCDEF0123456"));
	assert_false(cw_fpr_equal(a, NULL));
}

static void test_memory_fs(void **state)
{
	(void)state;
	assert_true(cw_on_memory_fs("/dev/shm"));
	assert_false(cw_on_memory_fs("/proc/self"));
	assert_false(cw_on_memory_fs("/nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tmphome_lifecycle),
	    cmocka_unit_test(test_fpr_equal),
	    cmocka_unit_test(test_memory_fs),
	};
	return cmocka_run_group_tests_name("gpgutil", tests, NULL, NULL);
}
