/* wallet-keygen: the output transaction (all files or none, refusal, --force, rollback). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "../../keygen/outfiles.h"
#include "fsutil.h"

static char dir[64];
static char err[512];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwkgXXXXXX");
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
	if (!dp)
		return -1;
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void assert_file(const char *path, const char *content, mode_t mode)
{
	unsigned char *buf;
	size_t len;
	struct stat sb;
	assert_int_equal(cw_read_file(path, 4096, &buf, &len), CW_OK);
	assert_int_equal(len, strlen(content));
	assert_memory_equal(buf, content, len);
	free(buf);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, mode);
}

static void make_set(kg_files *fs, const char *a, const char *b)
{
	kg_files_init(fs);
	assert_int_equal(kg_files_add(fs, "x.crt", a, strlen(a), 0644, false), CW_OK);
	assert_int_equal(kg_files_add(fs, "sub/x.key", b, strlen(b), 0600, true), CW_OK);
}

static void test_publish_refuse_force(void **state)
{
	kg_files *fs = calloc(1, sizeof *fs);
	char out[128], p[192];
	struct stat sb;
	(void)state;
	snprintf(out, sizeof out, "%s/new/deeper", dir);
	make_set(fs, "cert1", "key1");
	assert_int_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_OK);
	snprintf(p, sizeof p, "%s/x.crt", out);
	assert_file(p, "cert1", 0644);
	snprintf(p, sizeof p, "%s/sub/x.key", out);
	assert_file(p, "key1", 0600);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(p, sizeof p, "%s/sub", out);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	kg_files_free(fs);

	/* without force: refused, nothing changed */
	make_set(fs, "cert2", "key2");
	assert_int_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_ERR_EXISTS);
	assert_non_null(strstr(err, "already exists"));
	snprintf(p, sizeof p, "%s/x.crt", out);
	assert_file(p, "cert1", 0644);
	assert_int_equal(count_entries(out), 2);

	/* with force: replaced, no temp file left */
	assert_int_equal(kg_files_publish(fs, out, true, err, sizeof err), CW_OK);
	assert_file(p, "cert2", 0644);
	snprintf(p, sizeof p, "%s/sub/x.key", out);
	assert_file(p, "key2", 0600);
	assert_int_equal(count_entries(out), 2);
	snprintf(p, sizeof p, "%s/sub", out);
	assert_int_equal(count_entries(p), 1);
	kg_files_free(fs);
	free(fs);
}

static void test_rollback_new(void **state)
{
	kg_files *fs = calloc(1, sizeof *fs);
	char out[128], p[192];
	FILE *f;
	(void)state;
	/* "sub" is a regular file, so sub/x.key cannot be made after x.crt was staged */
	snprintf(out, sizeof out, "%s/o", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	snprintf(p, sizeof p, "%s/sub", out);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	make_set(fs, "c", "k");
	assert_int_not_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_OK);
	assert_int_equal(count_entries(out), 1); /* only "sub": no x.crt, no temp file */
	kg_files_free(fs);

	/* a directory it created is removed again */
	snprintf(out, sizeof out, "%s/fresh/x", dir);
	kg_files_init(fs);
	assert_int_equal(kg_files_add(fs, "a", "1", 1, 0644, false), CW_OK);
	assert_int_equal(kg_files_add(fs, "a/b", "2", 1, 0644, false), CW_OK);
	assert_int_not_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_OK);
	snprintf(p, sizeof p, "%s/fresh", dir);
	assert_int_equal(access(p, F_OK), -1);
	kg_files_free(fs);
	free(fs);
}

static void test_rollback_force_restores(void **state)
{
	kg_files *fs = calloc(1, sizeof *fs);
	char out[128], p[192];
	(void)state;
	snprintf(out, sizeof out, "%s/o", dir);
	kg_files_init(fs);
	assert_int_equal(kg_files_add(fs, "a", "old", 3, 0644, false), CW_OK);
	assert_int_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_OK);
	kg_files_free(fs);

	/* a replaces an existing file, then a/b fails: a must come back */
	kg_files_init(fs);
	assert_int_equal(kg_files_add(fs, "a", "new", 3, 0600, true), CW_OK);
	assert_int_equal(kg_files_add(fs, "a/b", "2", 1, 0644, false), CW_OK);
	assert_int_not_equal(kg_files_publish(fs, out, true, err, sizeof err), CW_OK);
	snprintf(p, sizeof p, "%s/a", out);
	assert_file(p, "old", 0644);
	assert_int_equal(count_entries(out), 1);
	kg_files_free(fs);
	free(fs);
}

static void test_target_is_dir(void **state)
{
	kg_files *fs = calloc(1, sizeof *fs);
	char out[128], p[192];
	(void)state;
	snprintf(out, sizeof out, "%s/o", dir);
	snprintf(p, sizeof p, "%s/o/a", dir);
	assert_int_equal(cw_mkdir_p(p, 0700), CW_OK);
	kg_files_init(fs);
	assert_int_equal(kg_files_add(fs, "a", "x", 1, 0644, false), CW_OK);
	assert_int_equal(kg_files_check(fs, out, true, err, sizeof err), CW_ERR_EXISTS);
	assert_non_null(strstr(err, "is a directory"));
	/* the output directory itself must not be a file */
	snprintf(out, sizeof out, "%s/o/a/file", dir);
	assert_int_equal(kg_files_publish(fs, out, false, err, sizeof err), CW_OK);
	assert_int_equal(kg_files_check(fs, out, true, err, sizeof err), CW_OK);
	snprintf(out, sizeof out, "%s/o/a/file/a", dir);
	assert_int_equal(kg_files_check(fs, out, true, err, sizeof err), CW_ERR_EXISTS);
	assert_non_null(strstr(err, "not a directory"));
	kg_files_free(fs);
	free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_publish_refuse_force, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_new, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_force_restores, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_target_is_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
