#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <fcntl.h>

#include "cmocka_common.h"
#include "secmem.h"

static void test_alloc_free(void **state)
{
	(void)state;
	unsigned char *p = cw_secure_alloc(100);
	assert_non_null(p);
	assert_int_equal(cw_secure_size(p), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0xAB, 100);
	p = cw_secure_realloc(p, 10000);
	assert_non_null(p);
	assert_int_equal(p[99], 0xAB);
	assert_int_equal(p[100], 0);
	cw_secure_free(p);
	cw_secure_free(NULL);
	void *z = cw_secure_alloc(0);
	assert_non_null(z);
	cw_secure_free(z);
}

static void test_wipe(void **state)
{
	(void)state;
	unsigned char buf[64];
	memset(buf, 0x5A, sizeof buf);
	cw_wipe(buf, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	cw_wipe(NULL, 0);
}

static void test_ct_equal(void **state)
{
	(void)state;
	assert_true(cw_ct_equal("abc", "abc", 3));
	assert_false(cw_ct_equal("abc", "abd", 3));
	assert_true(cw_ct_equal("", "x", 0));
}

static void test_sbuf(void **state)
{
	(void)state;
	cw_sbuf b = {0};
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cw_sbuf_append(&b, "0123456789", 10), CW_OK);
	assert_int_equal(b.len, 10000);
	assert_memory_equal(b.data + 9990, "0123456789", 10);
	cw_sbuf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_sbuf_read_fd(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_int_equal(write(p[1], all, 256), 256);
	close(p[1]);
	cw_sbuf b = {0};
	assert_int_equal(cw_sbuf_read_fd(&b, p[0], 1024), CW_OK);
	assert_int_equal(b.len, 256);
	assert_memory_equal(b.data, all, 256);
	cw_sbuf_free(&b);
	close(p[0]);

	/* over the limit: refused and wiped */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], all, 256), 256);
	close(p[1]);
	assert_int_equal(cw_sbuf_read_fd(&b, p[0], 255), CW_ERR_TOOBIG);
	assert_null(b.data);
	close(p[0]);
}

static void test_nodump(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	assert_int_equal(cw_nodump(), CW_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
}

static void test_locked_and_dontdump(void **state)
{
	(void)state;
	/* As root (CI, containers with IPC_LOCK) the block is locked; elsewhere tolerated. */
	void *p = cw_secure_alloc(32);
	assert_non_null(p);
	if (geteuid() == 0)
		assert_true(cw_secure_locked(p));
	/* The mapping carries the dd (dont-dump) flag in smaps. */
	char needle[64];
	snprintf(needle, sizeof needle, "%lx-", (unsigned long)((unsigned char *)p - 64));
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	int in_block = 0, found = 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, needle, strlen(needle)) == 0)
			in_block = 1;
		else if (in_block && strncmp(line, "VmFlags:", 8) == 0) {
			found = strstr(line, " dd") != NULL;
			break;
		}
	}
	fclose(f);
	assert_true(found);
	cw_secure_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_free),   cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_ct_equal),     cmocka_unit_test(test_sbuf),
	    cmocka_unit_test(test_sbuf_read_fd), cmocka_unit_test(test_locked_and_dontdump),
	    cmocka_unit_test(test_nodump),
	};
	return cmocka_run_group_tests_name("secmem", tests, NULL, NULL);
}
