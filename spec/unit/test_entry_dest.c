#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "dest.h"
#include "fsutil.h"

static char shm[64], disk[64];

static int setup(void **state)
{
	(void)state;
	strcpy(shm, "/dev/shm/cwdestXXXXXX");
	strcpy(disk, "/tmp/cwdestXXXXXX");
	return mkdtemp(shm) && mkdtemp(disk) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cw_rm_rf(shm);
	cw_rm_rf(disk);
	return 0;
}

static void test_var_name(void **state)
{
	(void)state;
	char v[64];
	assert_true(ent_var_name("db_pass", "_FILE", v, sizeof v));
	assert_string_equal(v, "DB_PASS_FILE");
	assert_true(ent_var_name("app1/db.x-Y", "", v, sizeof v));
	assert_string_equal(v, "APP1_DB_X_Y");
	assert_false(ent_var_name("a-rather-long-name", "_FILE", v, 10));
}

static void test_parse(void **state)
{
	(void)state;
	struct ent_spec s;
	char err[256];
	assert_int_equal(ent_parse_spec("db_pass", &s, err, sizeof err), CW_OK);
	assert_string_equal(s.name, "db_pass");
	assert_int_equal(s.kind, ENT_FD);
	assert_string_equal(s.target, "");
	assert_false(s.group);
	assert_int_equal(s.min_version, 0);
	assert_int_equal(ent_parse_spec("db@12=file:/run/x@y=z", &s, err, sizeof err), CW_OK);
	assert_string_equal(s.name, "db");
	assert_int_equal(s.min_version, 12);
	assert_int_equal(s.kind, ENT_FILE);
	assert_string_equal(s.target, "/run/x@y=z"); /* '@' and '=' in a path are fine */
	assert_int_equal(ent_parse_spec("db=env", &s, err, sizeof err), CW_OK);
	assert_int_equal(s.kind, ENT_ENV);
	assert_int_equal(ent_parse_spec("db=fd:MY_VAR", &s, err, sizeof err), CW_OK);
	assert_string_equal(s.target, "MY_VAR");
	assert_int_equal(ent_parse_spec("app1/", &s, err, sizeof err), CW_OK);
	assert_true(s.group);
	assert_int_equal(ent_parse_spec("app1/@2=file:/dev/shm", &s, err, sizeof err), CW_OK);
	assert_true(s.group);
	assert_int_equal(s.min_version, 2);
	static const char *bad[] = {
	    "",          "../x",       "/abs",        "a//b",
	    "db@0",      "db@",        "db@x",        "db@01",
	    "db=env:1X", "db=env:A-B", "db=fd:",      "db=file:rel",
	    "db=nope:x", "app1/=fd:X", "app1/=env:Y", "db@99999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		int st = ent_parse_spec(bad[i], &s, err, sizeof err);
		if (strcmp(bad[i], "db=fd:") == 0) {
			/* "fd:" with an empty VAR means the default name */
			assert_int_equal(st, CW_OK);
			continue;
		}
		if (st != CW_ERR_USAGE)
			fail_msg("accepted: '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_file_dest_checks(void **state)
{
	(void)state;
	struct ent_spec s;
	struct ent_opts o = {0};
	char arg[128], err[512];
	snprintf(arg, sizeof arg, "db=file:%s/x", shm);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(ent_check_file_dest(&s, &o, err, sizeof err), CW_OK);
	snprintf(arg, sizeof arg, "db=file:%s/x", disk);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(ent_check_file_dest(&s, &o, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "not on tmpfs or ramfs"));
	o.allow_disk = true;
	assert_int_equal(ent_check_file_dest(&s, &o, err, sizeof err), CW_OK);
	assert_int_equal(ent_parse_spec("db=file:/nonexistent-dir/x", &s, err, sizeof err), CW_OK);
	assert_int_equal(ent_check_file_dest(&s, &o, err, sizeof err), CW_ERR_USAGE);
}

static void test_deliver_fd(void **state)
{
	(void)state;
	struct ent_spec s;
	struct ent_opts o = {0};
	struct ent_files files = {0};
	char err[512], buf[16];
	static const unsigned char data[] = {'s', 0, 'c', 'r'};
	assert_int_equal(ent_parse_spec("some.key", &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "some.key", data, sizeof data, &o, &files, err, sizeof err), CW_OK);
	const char *v = getenv("SOME_KEY_FILE");
	assert_non_null(v);
	assert_int_equal(files.nfds, 1);
	int fd = files.fds[0];
	char want[64];
	snprintf(want, sizeof want, "/proc/self/fd/%d", fd);
	assert_string_equal(v, want);
	/* sealed, inheritable, read-only, the exact bytes */
	int seals = fcntl(fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_WRITE);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SEAL);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(pwrite(fd, "x", 1, 0), -1);
	int rfd = open(v, O_RDONLY);
	assert_true(rfd >= 0);
	assert_int_equal(read(rfd, buf, sizeof buf), sizeof data);
	assert_memory_equal(buf, data, sizeof data);
	close(rfd);
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0400);
	ent_files_close_fds(&files);
	unsetenv("SOME_KEY_FILE");
	ent_files_free(&files);
}

static void test_deliver_file_env(void **state)
{
	(void)state;
	struct ent_spec s;
	struct ent_opts o = {0};
	struct ent_files files = {0};
	char arg[128], err[512], path[128];
	unsigned char *buf;
	size_t len;
	snprintf(arg, sizeof arg, "db=file:%s/db", shm);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"old", 3, &o, &files, err, sizeof err),
	    CW_OK);
	/* a second delivery replaces the file (a restarted container) */
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"new!", 4, &o, &files, err, sizeof err),
	    CW_OK);
	snprintf(path, sizeof path, "%s/db", shm);
	assert_int_equal(cw_read_file(path, 100, &buf, &len), CW_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "new!", 4);
	free(buf);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0400);
	/* group: DIR/<rest of the name, '/' as '_'> */
	snprintf(arg, sizeof arg, "app1/=file:%s", shm);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(ent_deliver(&s, "app1/sub/k", (const unsigned char *)"g", 1, &o, &files,
	                             err, sizeof err),
	                 CW_OK);
	snprintf(path, sizeof path, "%s/sub_k", shm);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(files.n, 3);
	ent_files_remove(&files);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof path, "%s/db", shm);
	assert_int_equal(stat(path, &sb), -1);
	/* refused on a disk without allow_disk, even if parsing passed */
	snprintf(arg, sizeof arg, "db=file:%s/db", disk);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"x", 1, &o, &files, err, sizeof err),
	    CW_ERR_USAGE);
	snprintf(path, sizeof path, "%s/db", disk);
	assert_int_equal(stat(path, &sb), -1);
	/* env: text yes, NUL no */
	assert_int_equal(ent_parse_spec("db=env:CW_T_ENV", &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"txt\0", 3, &o, &files, err, sizeof err),
	    CW_OK);
	assert_string_equal(getenv("CW_T_ENV"), "txt");
	unsetenv("CW_T_ENV");
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"t\0x", 3, &o, &files, err, sizeof err),
	    CW_ERR_USAGE);
	assert_null(getenv("CW_T_ENV"));
	ent_files_free(&files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_var_name),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test_setup_teardown(test_file_dest_checks, setup, teardown),
	    cmocka_unit_test(test_deliver_fd),
	    cmocka_unit_test_setup_teardown(test_deliver_file_env, setup, teardown),
	};
	return cmocka_run_group_tests_name("entry_dest", tests, NULL, NULL);
}
