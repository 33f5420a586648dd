/* wallet-entry's spec file (client/entry/specfile.c) and what options.c makes of it: every
 * kind of value, every refusal with a one-line message that names the file and the key,
 * relative paths, and precedence (command line, then environment, then file); --print,
 * --mode, --optional, the collisions found before any request, and --template among them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "file_fixture.h"
#include "entry_args_fixture.h"
#include "fsutil.h"
#include "options.h"
#include "specfile.h"

static char dir[64], shm[64], fpr[] = "0123456789ABCDEF0123456789ABCDEF01234567";

static void put(const char *name, const char *content)
{
	fx_put_file(dir, name, content);
}

static void clear_env(void)
{
	for (size_t i = 0; i < ent_noptions; i++)
		if (ent_options[i].env != NULL)
			unsetenv(ent_options[i].env);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwspecXXXXXX");
	strcpy(shm, "/dev/shm/cwspecXXXXXX");
	if (mkdtemp(dir) == NULL || mkdtemp(shm) == NULL)
		return -1;
	put("ca.crt", "x");
	put("tls.crt", "x");
	put("tls.key", "x");
	put("gpg.asc", "x");
	clear_env();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cw_rm_rf(dir);
	cw_rm_rf(shm);
	return 0;
}

static struct ent_specfile *parse_ok(const char *text)
{
	struct ent_specfile *f = NULL;
	char err[512] = "";
	if (ent_specfile_parse(text, strlen(text), "/etc/w/spec.json", &f, err, sizeof err) !=
	    CW_OK)
		fail_msg("refused: %s: %s", text, err);
	return f;
}

static size_t row(const char *name)
{
	for (size_t i = 0; i < ent_noptions; i++)
		if (strcmp(ent_options[i].name, name) == 0)
			return i;
	fail_msg("no row %s", name);
	return 0;
}

static void test_values(void **state)
{
	(void)state;
	struct ent_specfile *f =
	    parse_ok("{\"url\": [\"https://a\", \"https://b\"], \"ca\": \"ca.crt\", \"cert\": "
	             "\"/abs/tls.crt\", \"gpg_key\": \"../k/gpg.asc\", \"wait\": 12, \"timeout\": "
	             "\"7\", \"supervise\": true, \"verbose\": false, \"fetch\": \"db\", "
	             "\"optional\": [\"x\", \"y=env:Y\"], \"signer\": \"AB\\u0043\", "
	             "\"command\": [\"/bin/app\", \"\", \"--flag\"]}");
	const struct ent_specfile_key *k = ent_specfile_find(f, row("url"));
	assert_non_null(k);
	assert_int_equal(k->n, 2);
	assert_string_equal(k->vals[1], "https://b");
	/* relative paths from the file's directory; absolute ones as they are */
	assert_string_equal(ent_specfile_find(f, row("ca"))->vals[0], "/etc/w/ca.crt");
	assert_string_equal(ent_specfile_find(f, row("cert"))->vals[0], "/abs/tls.crt");
	assert_string_equal(ent_specfile_find(f, row("gpg-key"))->vals[0], "/etc/w/../k/gpg.asc");
	/* a number as a JSON integer or a string */
	assert_string_equal(ent_specfile_find(f, row("wait"))->vals[0], "12");
	assert_string_equal(ent_specfile_find(f, row("timeout"))->vals[0], "7");
	/* flags: true is there without a value, false is not there */
	assert_int_equal(ent_specfile_find(f, row("supervise"))->n, 0);
	assert_null(ent_specfile_find(f, row("verbose")));
	assert_int_equal(ent_specfile_find(f, row("optional"))->n, 2);
	assert_string_equal(ent_specfile_find(f, row("signer"))->vals[0], "ABC");
	assert_int_equal(f->ncommand, 3);
	assert_string_equal(f->command[0], "/bin/app");
	assert_string_equal(f->command[1], "");
	assert_null(f->command[3]);
	ent_specfile_free(f);
	/* a file named without a directory: paths from "." */
	char err[256];
	const char *t = "{\"ca\":\"c\"}";
	assert_int_equal(ent_specfile_parse(t, strlen(t), "s.json", &f, err, sizeof err), CW_OK);
	assert_string_equal(ent_specfile_find(f, row("ca"))->vals[0], "./c");
	ent_specfile_free(f);
	f = parse_ok("{}");
	assert_int_equal(f->nkeys, 0);
	assert_null(f->command);
	ent_specfile_free(f);
}

/* Every row of the option table is a key, with no code of its own: an option added to the
 * table is one too. */
static void test_every_row_is_a_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		char key[64], text[200], err[512];
		struct ent_specfile *f = NULL;
		snprintf(key, sizeof key, "%s", o->name);
		for (char *p = key; *p; p++)
			*p = *p == '-' ? '_' : *p;
		snprintf(text, sizeof text, "{\"%s\": %s}", key, o->arg ? "\"v\"" : "true");
		cw_status st =
		    ent_specfile_parse(text, strlen(text), "/s.json", &f, err, sizeof err);
		if (o->flags & ENT_OPT_NOFILE) {
			assert_int_equal(st, CW_ERR_USAGE);
			assert_non_null(strstr(err, "cannot be set in a spec file"));
			continue;
		}
		if (st != CW_OK)
			fail_msg("%s: %s", text, err);
		const struct ent_specfile_key *k = ent_specfile_find(f, i);
		assert_non_null(k);
		assert_int_equal(k->n, o->arg ? 1 : 0);
		ent_specfile_free(f);
	}
}

static void test_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"{\"nope\": 1}", "unknown key 'nope'"},
	    {"{\"gpg-key\": \"x\"}", "unknown key 'gpg-key' (write '-' as '_')"},
	    {"{\"url\": 5}", "'url' must be a string or a list of strings"},
	    {"{\"url\": [\"a\", 5]}", "'url' must be a string or a list of strings"},
	    {"{\"url\": [\"a\", [\"b\"]]}", "'url' must be a string or a list of strings"},
	    {"{\"ca\": [\"a\"]}", "'ca' takes one value, not a list"},
	    {"{\"ca\": true}", "'ca' must be a string"},
	    {"{\"ca\": \"\"}", "'ca' must not be empty"},
	    {"{\"supervise\": \"yes\"}", "'supervise' must be true or false"},
	    {"{\"supervise\": 1}", "'supervise' must be true or false"},
	    {"{\"wait\": 1.5}", "'wait' must be an integer or a string"},
	    {"{\"wait\": 1e3}", "'wait' must be an integer or a string"},
	    {"{\"mode\": 400}", "'mode' must be a string"},
	    {"{\"url\": \"a\", \"url\": \"b\"}", "'url' appears twice"},
	    {"{\"url\": \"a\", \"u\\u0072l\": \"b\"}", "'url' appears twice"},
	    {"{\"command\": [\"a\"], \"command\": [\"b\"]}", "'command' appears twice"},
	    {"{\"url\": \"a\"} x", "invalid JSON at line 1, column 14"},
	    {"{\"url\": \"a\"}\n{}", "invalid JSON at line 2, column 1"},
	    {"{\"url\": \"a\",\n \"ca\": ", "invalid JSON: cut short at line 2, column 8"},
	    {"{\"url\": \"a\\u0000b\"}", "'url' holds a NUL character"},
	    {"{\"u\\u0000rl\": \"x\"}", "a key holds a NUL character"},
	    {"{\"url\": \"\\ud800\"}", "invalid JSON at line 1, column 10"},
	    {"[]", "not a JSON object"},
	    {"\"url\"", "not a JSON object"},
	    {"{\"help\": true}", "'help' cannot be set in a spec file"},
	    {"{\"version\": true}", "'version' cannot be set in a spec file"},
	    {"{\"spec\": \"other.json\"}", "'spec' cannot be set in a spec file"},
	    {"{\"command\": []}", "'command' must be a list of strings"},
	    {"{\"command\": \"ls\"}", "'command' must be a list of strings"},
	    {"{\"command\": [\"ls\", 1]}", "'command' must be a list of strings"},
	    {"{\"command\": [\"\"]}", "'command' must not be empty"},
	    {"{\"command\": [\"a\\u0000\"]}", "'command' holds a NUL character"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ent_specfile *f = (struct ent_specfile *)1;
		char err[512] = "";
		cw_status st = ent_specfile_parse(bad[i].text, strlen(bad[i].text),
		                                  "/etc/w/spec.json", &f, err, sizeof err);
		if (st != CW_ERR_USAGE)
			fail_msg("accepted: %s", bad[i].text);
		assert_null(f);
		if (strncmp(err, "spec file /etc/w/spec.json: ", 28) != 0 ||
		    strstr(err, bad[i].want) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", bad[i].text, err, bad[i].want);
		assert_null(strchr(err, '\n'));
	}
	/* a NUL byte in the file, and invalid UTF-8 */
	struct ent_specfile *f;
	char err[512];
	assert_int_equal(ent_specfile_parse("{\"url\":\n \"a\0\"}", 14, "s", &f, err, sizeof err),
	                 CW_ERR_USAGE);
	assert_non_null(strstr(err, "a NUL byte at line 2, column 4"));
	assert_int_equal(ent_specfile_parse("{\"url\": \"\xff\"}", 12, "s", &f, err, sizeof err),
	                 CW_ERR_USAGE);
	assert_non_null(strstr(err, "invalid JSON at line 1, column 10"));
	/* an unknown key is shown at most 64 bytes long, control characters as '?' */
	char text[400];
	snprintf(text, sizeof text, "{\"%0300d\": 1}", 0);
	assert_int_equal(ent_specfile_parse(text, strlen(text), "s", &f, err, sizeof err),
	                 CW_ERR_USAGE);
	assert_true(strlen(err) < 150);
	const char *ctl = "{\"a\\nb\": 1}";
	assert_int_equal(ent_specfile_parse(ctl, strlen(ctl), "s", &f, err, sizeof err),
	                 CW_ERR_USAGE);
	assert_non_null(strstr(err, "unknown key 'a?b'"));
}

static void test_load(void **state)
{
	(void)state;
	struct ent_specfile *f;
	char err[512], p[256], big[300];
	put("ok.json", "{\"fetch\": \"db\"}");
	snprintf(p, sizeof p, "%s/ok.json", dir);
	assert_int_equal(ent_specfile_load(p, &f, err, sizeof err), CW_OK);
	ent_specfile_free(f);
	/* through a symbolic link (a ConfigMap mounts files so) */
	snprintf(big, sizeof big, "%s/link.json", dir);
	assert_int_equal(symlink("ok.json", big), 0);
	assert_int_equal(ent_specfile_load(big, &f, err, sizeof err), CW_OK);
	ent_specfile_free(f);
	snprintf(p, sizeof p, "%s/missing.json", dir);
	assert_int_equal(ent_specfile_load(p, &f, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "missing.json: No such file"));
	assert_int_equal(ent_specfile_load(dir, &f, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "not a regular file"));
	/* one byte too big */
	snprintf(p, sizeof p, "%s/big.json", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)ENT_SPECFILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(ent_specfile_load(p, &f, err, sizeof err), CW_ERR_USAGE);
	assert_non_null(strstr(err, "larger than 1024 KiB"));
}

/* A spec file with every required setting, relative to its directory. */
static void base_spec(const char *extra)
{
	char t[2048];
	snprintf(t, sizeof t,
	         "{\"url\": \"https://file:1\", \"ca\": \"ca.crt\", \"cert\": \"tls.crt\", "
	         "\"key\": \"tls.key\", \"gpg_key\": \"gpg.asc\", \"signer\": \"%s\", "
	         "\"wait\": 3, \"fetch\": [\"db\", \"api=env:API\"], \"command\": [\"app\", "
	         "\"-x\"]%s}",
	         fpr, extra);
	put("spec.json", t);
}

static void test_precedence(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512], sp[256];
	snprintf(sp, sizeof sp, "%s/spec.json", dir);
	base_spec("");
	/* the file alone */
	char *only[] = {"wallet-entry", "--spec", sp, NULL};
	assert_int_equal(parse(&a, err, sizeof err, only), -1);
	assert_int_equal(a.nurls, 1);
	assert_string_equal(a.urls[0], "https://file:1");
	assert_non_null(strstr(a.ca, "/ca.crt"));
	assert_int_equal(strncmp(a.ca, dir, strlen(dir)), 0);
	assert_int_equal(a.wait_s, 3);
	assert_int_equal(a.nspecs, 2);
	assert_string_equal(a.specs[1].name, "api");
	assert_string_equal(a.prog[0], "app");
	assert_string_equal(a.prog[1], "-x");
	assert_null(a.prog[2]);
	ent_args_free(&a);
	/* WALLET_SPEC names it; the environment wins over the file, the command line over
	 * both; a repeatable option given on the command line replaces the file's list */
	setenv("WALLET_SPEC", sp, 1);
	setenv("WALLET_URL", "https://env:2", 1);
	setenv("WALLET_WAIT", "9", 1);
	char *over[] = {"wallet-entry", "--wait", "5",    "--fetch", "other",
	                "--",           "prog",   "arg1", NULL};
	assert_int_equal(parse(&a, err, sizeof err, over), -1);
	assert_string_equal(a.urls[0], "https://env:2");
	assert_int_equal(a.nurls, 1);
	assert_int_equal(a.wait_s, 5);
	assert_int_equal(a.nspecs, 1);
	assert_string_equal(a.specs[0].name, "other");
	assert_string_equal(a.prog[0], "prog");
	assert_null(a.prog[2]);
	ent_args_free(&a);
	/* of the group --gpg-key/--gnupghome, a variable set excludes the file's other row */
	setenv("WALLET_GNUPGHOME", dir, 1);
	char *plain[] = {"wallet-entry", NULL};
	assert_int_equal(parse(&a, err, sizeof err, plain), -1);
	assert_string_equal(a.gnupghome, dir);
	assert_null(a.gpg_key);
	ent_args_free(&a);
	clear_env();
	/* a setter's refusal names the file and the key */
	base_spec(", \"optional\": \"../bad\"");
	assert_int_equal(parse(&a, err, sizeof err, only), 2);
	assert_non_null(strstr(err, "spec file "));
	assert_non_null(strstr(err, "'optional': '../bad' is not a valid"));
	ent_args_free(&a);
	base_spec(", \"url\": \"x\"");
	assert_int_equal(parse(&a, err, sizeof err, only), 2);
	assert_non_null(strstr(err, "'url' appears twice"));
	ent_args_free(&a);
	/* an empty list is no value: here no URL at all */
	put("nourl.json", "{\"url\": [], \"fetch\": [], \"command\": [\"true\"]}");
	snprintf(sp, sizeof sp, "%s/nourl.json", dir);
	char *nourl[] = {"wallet-entry", "--spec", sp, "--fetch", "db", NULL};
	assert_int_equal(parse(&a, err, sizeof err, nourl), 2);
	assert_int_equal(a.nurls, 0);
	assert_non_null(strstr(err, "--url, --ca, --cert, --key and --signer are required"));
	ent_args_free(&a);
	/* no PROGRAM anywhere */
	put("noprog.json", "{\"verbose\": true}");
	snprintf(sp, sizeof sp, "%s/noprog.json", dir);
	char *noprog[] = {"wallet-entry", "--spec", sp, NULL};
	assert_int_equal(parse(&a, err, sizeof err, noprog), 2);
	assert_non_null(strstr(err, "no PROGRAM"));
	ent_args_free(&a);
	char *missing[] = {"wallet-entry", "--spec", "/nonexistent/s.json", "--", "true", NULL};
	assert_int_equal(parse(&a, err, sizeof err, missing), 2);
	assert_non_null(strstr(err, "spec file /nonexistent/s.json: No such file"));
	ent_args_free(&a);
}

/* What standard output is during f(): fd. */
static int with_stdout(int fd, struct ent_args *a, char *err, size_t errsz, char **argv)
{
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	int rc = parse(a, err, errsz, argv);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	return rc;
}

static void test_print(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512], sp[256], p[256];
	int pfd[2];
	snprintf(sp, sizeof sp, "%s/spec.json", dir);
	base_spec("");
	assert_int_equal(pipe(pfd), 0);
	/* the spec file's deliveries and command are left out for --print */
	char *pr[] = {"wallet-entry", "--spec", sp, "--print", "db@2", NULL};
	assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, pr), -1);
	assert_true(a.print);
	assert_int_equal(a.nspecs, 1);
	assert_int_equal(a.specs[0].kind, ENT_PRINT);
	assert_int_equal(a.specs[0].min_version, 2);
	assert_null(a.prog);
	ent_args_free(&a);
	static const struct {
		const char *opt, *val, *want;
	} bad[] = {
	    {"--print", "app1/", "not a group"},
	    {"--print", "db=env:X", "no destination"},
	    {"--fetch", "x", "--print cannot be combined with --fetch"},
	    {"--optional", "x", "--print cannot be combined with --optional"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool second = strcmp(bad[i].opt, "--print") != 0;
		char *argv[] = {"wallet-entry",
		                "--spec",
		                sp,
		                second ? "--print" : (char *)bad[i].opt,
		                second ? "db" : (char *)bad[i].val,
		                second ? (char *)bad[i].opt : NULL,
		                (char *)bad[i].val,
		                NULL};
		assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, argv), 2);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("%s %s: '%s'", bad[i].opt, bad[i].val, err);
		ent_args_free(&a);
	}
	char *twice[] = {"wallet-entry", "--spec", sp, "--print", "db", "--print", "y", NULL};
	assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, twice), 2);
	assert_non_null(strstr(err, "one secret at a time"));
	ent_args_free(&a);
	char *prog[] = {"wallet-entry", "--spec", sp, "--print", "db", "--", "true", NULL};
	assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, prog), 2);
	assert_non_null(strstr(err, "--print runs no PROGRAM"));
	ent_args_free(&a);
	close(pfd[0]);
	close(pfd[1]);
	/* a regular file on a disk: refused unless --allow-disk; on tmpfs: fine */
	snprintf(p, sizeof p, "%s/out", dir);
	int disk = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(p, sizeof p, "%s/out", shm);
	int mem = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(disk >= 0 && mem >= 0);
	char *plain[] = {"wallet-entry", "--spec", sp, "--print", "db", NULL};
	assert_int_equal(with_stdout(disk, &a, err, sizeof err, plain), 2);
	assert_non_null(strstr(err, "standard output is a file on a disk file system"));
	ent_args_free(&a);
	char *allow[] = {"wallet-entry", "--spec", sp, "--allow-disk", "--print", "db", NULL};
	assert_int_equal(with_stdout(disk, &a, err, sizeof err, allow), -1);
	ent_args_free(&a);
	assert_int_equal(with_stdout(mem, &a, err, sizeof err, plain), -1);
	ent_args_free(&a);
	int null = open("/dev/null", O_WRONLY);
	assert_int_equal(with_stdout(null, &a, err, sizeof err, plain), -1);
	ent_args_free(&a);
	close(null);
	close(disk);
	close(mem);
}

static void test_mode(void **state)
{
	(void)state;
	static const struct {
		const char *arg;
		int mode; /* -1: refused */
	} cases[] = {
	    {"0400", 0400}, {"440", 0440}, {"0644", 0644}, {"0", 0},      {"0700", 0700},
	    {"0660", -1},   {"0602", -1},  {"0777", -1},   {"1400", -1},  {"4755", -1},
	    {"", -1},       {"8", -1},     {"04400", -1},  {"0x400", -1}, {"-400", -1},
	    {" 400", -1},   {"400 ", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mode_t m = 01234;
		bool ok = ent_parse_mode(cases[i].arg, &m);
		if (ok != (cases[i].mode >= 0) || (ok && (int)m != cases[i].mode))
			fail_msg("--mode '%s': %s", cases[i].arg, ok ? "accepted" : "refused");
	}
	struct ent_args a;
	char err[512], sp[256];
	snprintf(sp, sizeof sp, "%s/spec.json", dir);
	base_spec(", \"mode\": \"0440\"");
	char *argv[] = {"wallet-entry", "--spec", sp, NULL};
	assert_int_equal(parse(&a, err, sizeof err, argv), -1);
	assert_true(a.o.has_mode);
	assert_int_equal(a.o.mode, 0440);
	ent_args_free(&a);
	char *bad[] = {"wallet-entry", "--spec", sp, "--mode", "0666", NULL};
	assert_int_equal(parse(&a, err, sizeof err, bad), 2);
	assert_non_null(strstr(err, "--mode"));
	ent_args_free(&a);
}

/* Two names given explicitly that deliver to one place: a usage error naming both. */
static void test_collisions(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512], sp[256], f1[128], f2[128], f3[160], lnk[128];
	snprintf(sp, sizeof sp, "%s/spec.json", dir);
	put("spec.json", "{\"url\": \"https://w\", \"ca\": \"ca.crt\", \"cert\": \"tls.crt\", "
	                 "\"key\": \"tls.key\", \"gpg_key\": \"gpg.asc\", \"signer\": "
	                 "\"0123456789ABCDEF0123456789ABCDEF01234567\"}");
	snprintf(f1, sizeof f1, "a=file:%s/x", shm);
	snprintf(f2, sizeof f2, "b=file:%s//./x", shm);
	snprintf(lnk, sizeof lnk, "%s/lnk", shm);
	assert_int_equal(symlink(shm, lnk), 0);
	snprintf(f3, sizeof f3, "c=file:%s/x", lnk);
	static const char *none = NULL;
	const struct {
		const char *x, *y, *want;
	} cases[] = {
	    {"db-pass", "db_pass", "db-pass and db_pass both deliver to the variable DB_PASS_FILE"},
	    {"a=env:X", "b=env:X", "a and b both deliver to the variable X"},
	    {"a=fd:X", "b=env:X", "a and b both deliver to the variable X"},
	    {"a", "a", "a and a both deliver to the variable A_FILE"},
	    {"a.b=env", "a_b=env:A_B", "a.b and a_b both deliver to the variable A_B"},
	    {f1, f2, "both deliver to the file "},
	    {f1, f3, "a and c both deliver to the file "},
	    {"a=env:P_X", "opt:p=env-json:P_", NULL}, /* fields known only after the fetch */
	    {"app1/", "app1_a", NULL},                /* members known only after the fetch */
	    {"a", "a=env", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *y = cases[i].y;
		bool opt = strncmp(y, "opt:", 4) == 0;
		char *argv[] = {"wallet-entry",
		                "--spec",
		                sp,
		                "--fetch",
		                (char *)cases[i].x,
		                opt ? "--optional" : "--fetch",
		                (char *)(opt ? y + 4 : y),
		                "--",
		                "true",
		                NULL};
		int rc = parse(&a, err, sizeof err, argv);
		if (cases[i].want == none) {
			if (rc != -1)
				fail_msg("%s %s: %s", cases[i].x, y, err);
		} else if (rc != 2 || strstr(err, cases[i].want) == NULL) {
			fail_msg("%s %s: %d '%s'", cases[i].x, y, rc, err);
		}
		ent_args_free(&a);
	}
	/* an --optional one collides as well */
	char *argv[] = {"wallet-entry", "--spec",     sp,   "--optional", "db-pass",
	                "--fetch",      "db_pass=fd", "--", "true",       NULL};
	assert_int_equal(parse(&a, err, sizeof err, argv), 2);
	assert_non_null(strstr(err, "db-pass and db_pass both deliver"));
	ent_args_free(&a);
}

/* --template with the rest: a relative SRC in the spec file is taken from the file's
 * directory; a template's DEST takes part in the collision check (named "--template SRC"),
 * the objects fetched only for a template do not; --print refuses --template and leaves the
 * spec file's out. */
static void test_templates(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512], sp[256], t[160], want[300], t2[160], f1[160], f2[160];
	snprintf(sp, sizeof sp, "%s/spec.json", dir);
	put("t.tmpl", "{{ secret \"db\" }}{{ secret \"extra\" }}");
	base_spec(", \"template\": [\"t.tmpl=env:CONF\"]");
	char *only[] = {"wallet-entry", "--spec", sp, NULL};
	assert_int_equal(parse(&a, err, sizeof err, only), -1);
	assert_int_equal(a.templates.n, 1);
	snprintf(want, sizeof want, "--template %s/t.tmpl", dir);
	assert_string_equal(a.templates.v[0].dest.name, want);
	/* db is fetched by the file's "fetch" already; extra only for the template */
	assert_int_equal(a.nspecs, 3);
	assert_string_equal(a.specs[2].name, "extra");
	assert_int_equal(a.specs[2].kind, ENT_NONE);
	ent_args_free(&a);
	/* from where wallet-entry runs, the same SRC is not found: the file's directory it is */
	char *cmdline[] = {"wallet-entry", "--spec", sp, "--template", "t.tmpl=env:CONF", NULL};
	assert_int_equal(parse(&a, err, sizeof err, cmdline), 2);
	assert_non_null(strstr(err, "t.tmpl: No such file or directory"));
	ent_args_free(&a);
	/* an absolute SRC is kept; an empty one is refused as on the command line */
	snprintf(t, sizeof t, ", \"template\": \"%s/t.tmpl=env:CONF\"", dir);
	base_spec(t);
	assert_int_equal(parse(&a, err, sizeof err, only), -1);
	assert_string_equal(a.templates.v[0].dest.name, want);
	ent_args_free(&a);
	base_spec(", \"template\": \"=env:CONF\"");
	assert_int_equal(parse(&a, err, sizeof err, only), 2);
	assert_non_null(strstr(err, "'template': --template: SRC=DEST expected"));
	ent_args_free(&a);

	/* collisions with a template's DEST, before any request */
	base_spec("");
	snprintf(t, sizeof t, "%s/t.tmpl=env:CONF", dir);
	snprintf(t2, sizeof t2, "%s/t.tmpl=fd:CONF", dir);
	snprintf(f1, sizeof f1, "%s/t.tmpl=file:%s/out", dir, shm);
	snprintf(f2, sizeof f2, "x=file:%s/out", shm);
	const struct {
		const char *fetch, *tpl, *tpl2, *want; /* want NULL: accepted */
	} cases[] = {
	    {"db_pass=env:CONF", t, NULL, "db_pass and --template "},
	    {"conf", t2, NULL, NULL}, /* fd:CONF_FILE is not CONF */
	    {"x=fd:CONF", t2, NULL, "x and --template "},
	    {f2, f1, NULL, "x and --template "},
	    {"other=env:OTHER", t, t2, "--template "},
	    /* db (in the template) is fetched for it only: DB_FILE is nobody's */
	    {"other=fd:DB_FILE", t, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[] = {"wallet-entry",
		                "--spec",
		                sp,
		                "--fetch",
		                (char *)cases[i].fetch,
		                "--template",
		                (char *)cases[i].tpl,
		                cases[i].tpl2 ? "--template" : "--",
		                cases[i].tpl2 ? (char *)cases[i].tpl2 : "true",
		                cases[i].tpl2 ? "--" : NULL,
		                "true",
		                NULL};
		int rc = parse(&a, err, sizeof err, argv);
		if (cases[i].want == NULL) {
			if (rc != -1)
				fail_msg("%s %s: %s", cases[i].fetch, cases[i].tpl, err);
		} else if (rc != 2 || strstr(err, cases[i].want) == NULL ||
		           strstr(err, want) == NULL || strstr(err, "both deliver to") == NULL) {
			fail_msg("%s %s: %d '%s'", cases[i].fetch, cases[i].tpl, rc, err);
		}
		ent_args_free(&a);
	}
	/* the message in full */
	char *full[] = {"wallet-entry", "--spec", sp,   "--fetch", "db_pass=env:CONF",
	                "--template",   t,        "--", "true",    NULL};
	assert_int_equal(parse(&a, err, sizeof err, full), 2);
	snprintf(want, sizeof want,
	         "db_pass and --template %s/t.tmpl both deliver to the variable CONF", dir);
	assert_string_equal(err, want);
	ent_args_free(&a);

	/* --print: --template on the command line is refused; the file's is left out */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	char *pr[] = {"wallet-entry", "--spec", sp, "--print", "db", "--template", t, NULL};
	assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, pr), 2);
	assert_string_equal(err, "--print cannot be combined with --template");
	ent_args_free(&a);
	base_spec(", \"template\": \"t.tmpl=env:CONF\"");
	char *prfile[] = {"wallet-entry", "--spec", sp, "--print", "db", NULL};
	assert_int_equal(with_stdout(pfd[1], &a, err, sizeof err, prfile), -1);
	assert_int_equal(a.templates.n, 0);
	assert_int_equal(a.nspecs, 1);
	ent_args_free(&a);
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),     cmocka_unit_test(test_every_row_is_a_key),
	    cmocka_unit_test(test_refusals),   cmocka_unit_test(test_load),
	    cmocka_unit_test(test_precedence), cmocka_unit_test(test_print),
	    cmocka_unit_test(test_mode),       cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_templates),
	};
	return cmocka_run_group_tests_name("entry_spec", tests, setup, teardown);
}
