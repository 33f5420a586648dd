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

/* env-json: one variable per field, PREFIX + the field upper-cased; values as text; every
 * field checked before the first variable is set. */
static void test_env_json(void **state)
{
	(void)state;
	struct ent_spec s;
	struct ent_opts o = {0};
	struct ent_files files = {0};
	char err[512];
	const char *doc = "{\"user\": \"app\", \"pass-word\": \"p\\u00e9\\\"q\", \"port\": 5432, "
	                  "\"ratio\": -1.50e3, \"tls\": true, \"debug\": false, \"note\": null}";
	assert_int_equal(ent_parse_spec("db.json=env-json:DB_", &s, err, sizeof err), CW_OK);
	assert_int_equal(s.kind, ENT_ENVJSON);
	assert_int_equal(ent_deliver(&s, "db.json", (const unsigned char *)doc, strlen(doc), &o,
	                             &files, err, sizeof err),
	                 CW_OK);
	assert_string_equal(getenv("DB_USER"), "app");
	assert_string_equal(getenv("DB_PASS_WORD"), "p\xc3\xa9\"q");
	assert_string_equal(getenv("DB_PORT"), "5432");
	assert_string_equal(getenv("DB_RATIO"), "-1.50e3");
	assert_string_equal(getenv("DB_TLS"), "true");
	assert_string_equal(getenv("DB_DEBUG"), "false");
	assert_string_equal(getenv("DB_NOTE"), "");
	assert_int_equal(files.nvars, 7);
	/* a supervisor wipes and unsets them */
	ent_files_forget_env(&files);
	assert_null(getenv("DB_USER"));
	/* the default prefix: the name upper-cased and '_' */
	assert_int_equal(ent_parse_spec("app1/db=env-json", &s, err, sizeof err), CW_OK);
	assert_int_equal(ent_deliver(&s, "app1/db", (const unsigned char *)"{\"a\":\"1\"}", 9, &o,
	                             &files, err, sizeof err),
	                 CW_OK);
	assert_string_equal(getenv("APP1_DB_A"), "1");
	ent_files_forget_env(&files);
	/* refused, and then no variable is set at all */
	static const struct {
		const char *doc, *want;
	} bad[] = {
	    {"{\"a\": \"1\", \"nested\": {\"b\": 1}}", "field 'nested' is an object"},
	    {"{\"a\": \"1\", \"list\": [1]}", "field 'list' is an array"},
	    {"{\"a\": \"1\", \"z\": \"x\\u0000y\"}", "field 'z' holds a NUL character"},
	    {"{\"a\": \"1\", \"\": \"x\"}", "a field name is empty"},
	    {"[\"a\"]", "not a JSON object"},
	    {"{\"a\": \"1\"", "not valid JSON (at byte 9)"},
	    {"plain text", "not valid JSON"},
	};
	assert_int_equal(ent_parse_spec("x=env-json:T_", &s, err, sizeof err), CW_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(ent_deliver(&s, "x", (const unsigned char *)bad[i].doc,
		                             strlen(bad[i].doc), &o, &files, err, sizeof err),
		                 CW_ERR_USAGE);
		if (strstr(err, bad[i].want) == NULL || strncmp(err, "x: env-json: ", 13) != 0)
			fail_msg("%s: '%s'", bad[i].doc, err);
		assert_null(getenv("T_A"));
	}
	assert_int_equal(files.nvars, 0);
	/* destinations: a group takes none, a prefix must be a variable name */
	assert_int_equal(ent_parse_spec("app1/=env-json:P_", &s, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(ent_parse_spec("x=env-json:1P", &s, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(ent_parse_spec("x=env-json:A-B", &s, err, sizeof err), CW_ERR_USAGE);
	assert_int_equal(ent_parse_spec("x=env-jsonX", &s, err, sizeof err), CW_ERR_USAGE);
	ent_files_free(&files);
}

/* --mode applies to file: deliveries (single and group members), never to memfds. */
static void test_deliver_mode(void **state)
{
	(void)state;
	struct ent_spec s;
	struct ent_opts o = {.has_mode = true, .mode = 0440};
	struct ent_files files = {0};
	char arg[128], err[512], path[128];
	struct stat sb;
	snprintf(arg, sizeof arg, "db=file:%s/db", shm);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "db", (const unsigned char *)"v", 1, &o, &files, err, sizeof err),
	    CW_OK);
	snprintf(path, sizeof path, "%s/db", shm);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0440);
	snprintf(arg, sizeof arg, "g/=file:%s", shm);
	assert_int_equal(ent_parse_spec(arg, &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "g/k", (const unsigned char *)"v", 1, &o, &files, err, sizeof err),
	    CW_OK);
	snprintf(path, sizeof path, "%s/k", shm);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0440);
	assert_int_equal(ent_parse_spec("m", &s, err, sizeof err), CW_OK);
	assert_int_equal(
	    ent_deliver(&s, "m", (const unsigned char *)"v", 1, &o, &files, err, sizeof err),
	    CW_OK);
	assert_int_equal(fstat(files.fds[0], &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0400);
	ent_files_close_fds(&files);
	unsetenv("M_FILE");
	ent_files_remove(&files);
	ent_files_free(&files);
}

/* --print writes the bytes as they are, NUL bytes included. */
static void test_deliver_print(void **state)
{
	(void)state;
	struct ent_spec s = {.kind = ENT_PRINT};
	struct ent_opts o = {0};
	struct ent_files files = {0};
	char err[512], buf[16];
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	int saved = dup(STDOUT_FILENO);
	fflush(stdout);
	assert_true(dup2(pfd[1], STDOUT_FILENO) >= 0);
	cw_status st =
	    ent_deliver(&s, "db", (const unsigned char *)"a\0b", 3, &o, &files, err, sizeof err);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(pfd[1]);
	assert_int_equal(st, CW_OK);
	assert_int_equal(read(pfd[0], buf, sizeof buf), 3);
	assert_memory_equal(buf, "a\0b", 3);
	close(pfd[0]);
	ent_files_free(&files);
}

/* What the slots of the deliveries say: each kind of collision, and none where there is
 * none; names in the order given. */
static cw_status slots_of(const char *const *args, const char *const *objs, const char *const *data,
                          char *err, size_t errsz)
{
	struct ent_slots sl = {0};
	struct ent_spec s;
	cw_status st = CW_OK;
	for (size_t i = 0; args[i] != NULL && st == CW_OK; i++) {
		st = ent_parse_spec(args[i], &s, err, errsz);
		if (st == CW_OK)
			st = ent_spec_slots(&s, objs[i], (const unsigned char *)data[i],
			                    data[i] ? strlen(data[i]) : 0, &sl, err, errsz);
	}
	if (st == CW_OK)
		st = ent_slots_check(&sl, err, errsz);
	ent_slots_free(&sl);
	return st;
}

static void test_slots(void **state)
{
	(void)state;
	char err[512], g[128], f[128];
	snprintf(g, sizeof g, "app1/=file:%s", shm);
	snprintf(f, sizeof f, "x=file:%s/a_b", shm);
	const char *none[4] = {NULL, NULL, NULL, NULL};
	/* a group's derived names, once its members are known */
	const char *a1[] = {"app1/", "app1/", NULL}, *o1[] = {"app1/a/b", "app1/a_b"};
	assert_int_equal(slots_of(a1, o1, none, err, sizeof err), CW_ERR_EXISTS);
	assert_string_equal(err,
	                    "app1/a/b and app1/a_b both deliver to the variable APP1_A_B_FILE");
	const char *a2[] = {g, g, NULL};
	assert_int_equal(slots_of(a2, o1, none, err, sizeof err), CW_ERR_EXISTS);
	assert_non_null(strstr(err, "app1/a/b and app1/a_b both deliver to the file "));
	assert_non_null(strstr(err, "/a_b"));
	/* a member and a file given explicitly */
	const char *a3[] = {f, g, NULL}, *o3[] = {"x", "app1/a/b"};
	assert_int_equal(slots_of(a3, o3, none, err, sizeof err), CW_ERR_EXISTS);
	assert_non_null(strstr(err, "x and app1/a/b both deliver to the file "));
	/* an env-json field and another variable, either order */
	const char *a4[] = {"db=env-json:DB_", "db_user=env", NULL}, *o4[] = {"db", "db_user"};
	const char *d4[] = {"{\"host\": \"h\", \"user\": \"u\"}", "u", NULL};
	assert_int_equal(slots_of(a4, o4, d4, err, sizeof err), CW_ERR_EXISTS);
	assert_string_equal(err,
	                    "db (field user) and db_user both deliver to the variable DB_USER");
	/* two fields of one secret */
	const char *a5[] = {"db=env-json:P_", NULL}, *o5[] = {"db"};
	const char *d5[] = {"{\"a-b\": 1, \"A_B\": 2}", NULL};
	assert_int_equal(slots_of(a5, o5, d5, err, sizeof err), CW_ERR_EXISTS);
	assert_string_equal(err, "db (field a-b) and db (field A_B) both deliver to the variable "
	                         "P_A_B");
	/* before the fetch, env-json and groups add nothing */
	const char *a6[] = {"db=env-json:DB_", "db_user=env", "app1/", "app1_a", NULL};
	const char *o6[] = {"db", "db_user", "app1/", "app1_a"};
	assert_int_equal(slots_of(a6, o6, none, err, sizeof err), CW_OK);
	/* standard output, twice */
	struct ent_slots sl = {0};
	struct ent_spec p = {.kind = ENT_PRINT};
	assert_int_equal(ent_spec_slots(&p, "a", NULL, 0, &sl, err, sizeof err), CW_OK);
	assert_int_equal(ent_spec_slots(&p, "b", NULL, 0, &sl, err, sizeof err), CW_OK);
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "X", "template t"), CW_OK);
	assert_int_equal(ent_slots_check(&sl, err, sizeof err), CW_ERR_EXISTS);
	assert_string_equal(err, "a and b both deliver to standard output");
	ent_slots_free(&sl);
	/* of several collisions, the first one given */
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "Z", "z1"), CW_OK);
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "A", "a1"), CW_OK);
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "Z", "z2"), CW_OK);
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "A", "a2"), CW_OK);
	assert_int_equal(ent_slots_add(&sl, ENT_SLOT_VAR, "Z", "z3"), CW_OK);
	assert_int_equal(ent_slots_check(&sl, err, sizeof err), CW_ERR_EXISTS);
	assert_string_equal(err, "z1 and z2 both deliver to the variable Z");
	ent_slots_free(&sl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_var_name),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test_setup_teardown(test_file_dest_checks, setup, teardown),
	    cmocka_unit_test(test_deliver_fd),
	    cmocka_unit_test_setup_teardown(test_deliver_file_env, setup, teardown),
	    cmocka_unit_test(test_env_json),
	    cmocka_unit_test_setup_teardown(test_deliver_mode, setup, teardown),
	    cmocka_unit_test(test_deliver_print),
	    cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
	};
	return cmocka_run_group_tests_name("entry_dest", tests, NULL, NULL);
}
