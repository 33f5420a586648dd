#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwfsXXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void test_atomic_write(void **state)
{
	(void)state;
	char p[128];
	unsigned char *buf;
	size_t len;
	snprintf(p, sizeof p, "%s/f", dir);
	assert_int_equal(cw_write_atomic(dir, "f", "one", 3, 0600, false), CW_OK);
	assert_int_equal(cw_write_atomic(dir, "f", "two", 3, 0600, false), CW_ERR_EXISTS);
	assert_int_equal(cw_read_file(p, 100, &buf, &len), CW_OK);
	assert_memory_equal(buf, "one", 3); /* not overwritten */
	free(buf);
	assert_int_equal(cw_write_atomic(dir, "f", "three", 5, 0640, true), CW_OK);
	assert_int_equal(cw_read_file(p, 100, &buf, &len), CW_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "three", 5);
	free(buf);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(count_entries(dir), 1); /* no temp file left behind */
	assert_int_equal(cw_write_atomic("/nonexistent-dir", "f", "x", 1, 0600, true), CW_ERR_IO);
}

static void test_read_limits(void **state)
{
	(void)state;
	char p[128];
	unsigned char *buf;
	size_t len;
	snprintf(p, sizeof p, "%s/big", dir);
	assert_int_equal(cw_write_atomic(dir, "big", "0123456789", 10, 0600, false), CW_OK);
	assert_int_equal(cw_read_file(p, 9, &buf, &len), CW_ERR_TOOBIG);
	assert_null(buf);
	assert_int_equal(cw_read_file(p, 10, &buf, &len), CW_OK);
	assert_int_equal(buf[10], 0);
	free(buf);
	snprintf(p, sizeof p, "%s/missing", dir);
	assert_int_equal(cw_read_file(p, 10, &buf, &len), CW_ERR_NOTFOUND);
	/* a symlink is not followed */
	char l[128];
	snprintf(l, sizeof l, "%s/link", dir);
	assert_int_equal(symlink("/etc/passwd", l), 0);
	assert_int_equal(cw_read_file(l, 1 << 20, &buf, &len), CW_ERR_IO);
	/* a directory is not a file */
	assert_int_equal(cw_read_file(dir, 1 << 20, &buf, &len), CW_ERR_IO);
}

static void test_mkdir_rm(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof p, "%s/a/b/c/", dir);
	assert_int_equal(cw_mkdir_p(p, 0700), CW_OK);
	assert_int_equal(cw_mkdir_p(p, 0700), CW_OK); /* twice is fine */
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(p, sizeof p, "%s/a/b/c", dir);
	assert_int_equal(cw_write_atomic(p, "x", "x", 1, 0600, false), CW_OK);
	/* rm_rf does not follow a symlink out of the tree */
	char keep[128], l[128];
	snprintf(keep, sizeof keep, "%s/keep", dir);
	assert_int_equal(cw_mkdir_p(keep, 0700), CW_OK);
	assert_int_equal(cw_write_atomic(keep, "k", "k", 1, 0600, false), CW_OK);
	snprintf(l, sizeof l, "%s/a/b/ln", dir);
	assert_int_equal(symlink(keep, l), 0);
	snprintf(p, sizeof p, "%s/a", dir);
	assert_int_equal(cw_rm_rf(p), CW_OK);
	assert_int_equal(stat(p, &sb), -1);
	snprintf(p, sizeof p, "%s/keep/k", dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(cw_rm_rf("/tmp/cw-definitely-missing-path"), CW_OK);
	/* a file in the way */
	snprintf(p, sizeof p, "%s/keep/k/sub", dir);
	assert_int_equal(cw_mkdir_p(p, 0700), CW_ERR_IO);
}

static void test_path(void **state)
{
	(void)state;
	char small[8];
	assert_int_equal(cw_path(small, sizeof small, "%s", "1234567"), CW_OK);
	assert_int_equal(cw_path(small, sizeof small, "%s", "12345678"), CW_ERR_NAME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_atomic_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_rm, setup, teardown),
	    cmocka_unit_test(test_path),
	};
	return cmocka_run_group_tests_name("fsutil", tests, NULL, NULL);
}
