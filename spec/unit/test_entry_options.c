/* wallet-entry's option table (client/entry/options.c): every option with a WALLET_*
 * variable is removed from PROGRAM's environment, the usage text names every option, the
 * environment fills in what the command line left out, and --version / -V print the
 * project's version. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "entry_args_fixture.h"
#include "cw_version.h"
#include "entry_args_fixture.h"
#include "options.h"

extern char **environ;

/* Removes every WALLET_* variable, whoever set it. */
static void clear_wallet_env(void)
{
	for (;;) {
		char name[256] = "";
		for (char **e = environ; *e != NULL; e++) {
			if (strncmp(*e, "WALLET_", 7) == 0) {
				size_t n = strcspn(*e, "=");
				if (n < sizeof name) {
					memcpy(name, *e, n);
					name[n] = '\0';
				}
				break;
			}
		}
		if (name[0] == '\0')
			return;
		unsetenv(name);
	}
}

static int setup(void **state)
{
	(void)state;
	clear_wallet_env();
	return 0;
}

/* Every variable an option reads is gone from the environment after ent_unset_own_env, and
 * no other WALLET_* variable is read: setting all of them leaves none behind. */
static void test_unset_every_env_row(void **state)
{
	(void)state;
	size_t nenv = 0;
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		if (o->env == NULL)
			continue;
		nenv++;
		assert_int_equal(strncmp(o->env, "WALLET_", 7), 0);
		assert_int_equal(setenv(o->env, "x", 1), 0);
	}
	assert_true(nenv >= 12);
	ent_unset_own_env();
	for (size_t i = 0; i < ent_noptions; i++)
		if (ent_options[i].env != NULL)
			assert_null(getenv(ent_options[i].env));
	for (char **e = environ; *e != NULL; e++)
		assert_int_not_equal(strncmp(*e, "WALLET_", 7), 0);
}

/* Every row is sound: a name, help, and somewhere for its value to go. */
static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		assert_non_null(o->name);
		assert_non_null(o->help);
		assert_true(o->help[0] != '\0');
		/* a setter, or a field (only string fields take an argument) */
		assert_true(o->set != NULL || o->field > 0);
		assert_true(!(o->flags & ENT_OPT_PATH) || (o->set == NULL && o->arg != NULL));
		assert_true(!(o->flags & ENT_OPT_SRC) || (o->set != NULL && o->arg != NULL));
		assert_int_equal(
		    o->flags & ~(ENT_OPT_PATH | ENT_OPT_NOFILE | ENT_OPT_DELIVERY | ENT_OPT_SRC),
		    0);
		assert_true(o->env == NULL || o->arg != NULL);
		for (size_t k = 0; k < i; k++) {
			assert_string_not_equal(o->name, ent_options[k].name);
			assert_true(o->short_name == 0 ||
			            o->short_name != ent_options[k].short_name);
			assert_true(o->env == NULL || ent_options[k].env == NULL ||
			            strcmp(o->env, ent_options[k].env) != 0);
		}
	}
}

static char *usage_text(void)
{
	static char buf[16384];
	memset(buf, 0, sizeof buf);
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	assert_non_null(f);
	ent_usage(f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The usage text names every option, its short form, its variable, and what repeats. */
static void test_usage_mentions_every_option(void **state)
{
	(void)state;
	char *u = usage_text();
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		char want[128];
		snprintf(want, sizeof want, "--%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
		if (strstr(u, want) == NULL)
			fail_msg("usage lacks %s", want);
		if (o->short_name) {
			snprintf(want, sizeof want, "-%c, --%s", o->short_name, o->name);
			assert_non_null(strstr(u, want));
		}
		if (o->env) {
			snprintf(want, sizeof want, "[%s]", o->env);
			assert_non_null(strstr(u, want));
		}
		/* the row's own line: its help (first line) and what repeats */
		if (o->short_name)
			snprintf(want, sizeof want, "\n  -%c, --%s", o->short_name, o->name);
		else
			snprintf(want, sizeof want, "\n  --%s", o->name);
		const char *line = strstr(u, want);
		assert_non_null(line);
		const char *eol = strchr(line + 1, '\n');
		assert_non_null(eol);
		size_t hl = strcspn(o->help, "\n");
		assert_non_null(memmem(line, (size_t)(eol - line), o->help, hl));
		assert_int_equal(memmem(line, (size_t)(eol - line), "(repeatable)", 12) != NULL,
		                 o->repeatable);
	}
	/* and no variable the table does not know */
	for (const char *p = strstr(u, "[WALLET_"); p != NULL; p = strstr(p + 1, "[WALLET_")) {
		bool known = false;
		for (size_t i = 0; i < ent_noptions && !known; i++)
			known =
			    ent_options[i].env != NULL &&
			    strncmp(p + 1, ent_options[i].env, strlen(ent_options[i].env)) == 0 &&
			    p[1 + strlen(ent_options[i].env)] == ']';
		assert_true(known);
	}
}

/* The environment fills in options not given; the command line wins; of WALLET_GPG_KEY and
 * WALLET_GNUPGHOME only one is taken, and neither when either option is given. */
static void test_env_fallback(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512];
	char *plain[] = {"wallet-entry", "--", "true", NULL};
	setenv("WALLET_URL", "https://w:8443", 1);
	setenv("WALLET_CA", "/ca", 1);
	setenv("WALLET_SIGNER", "", 1); /* empty: as if unset */
	setenv("WALLET_GPG_KEY", "/k.asc", 1);
	setenv("WALLET_GNUPGHOME", "/gh", 1);
	setenv("WALLET_WAIT", "7", 1);
	setenv("WALLET_OPENPGP", "gnupg", 1);
	assert_int_equal(parse(&a, err, sizeof err, plain), -1);
	assert_int_equal(a.nurls, 1);
	assert_string_equal(a.urls[0], "https://w:8443");
	assert_string_equal(a.ca, "/ca");
	assert_null(a.signer);
	assert_string_equal(a.gpg_key, "/k.asc");
	assert_null(a.gnupghome);
	assert_int_equal(a.wait_s, 7);
	assert_int_equal(a.timeout_s, 30);
	assert_int_equal(a.openpgp, WALLET_OPENPGP_GNUPG);
	assert_string_equal(a.prog[0], "true");
	ent_args_free(&a);

	char *given[] = {"wallet-entry", "--ca", "/c2", "--url", "https://a", "--url", "https://b",
	                 "--gnupghome",  "/h2",  "-v",  "--",    "true",      NULL};
	assert_int_equal(parse(&a, err, sizeof err, given), -1);
	assert_int_equal(a.nurls, 2);
	assert_string_equal(a.ca, "/c2");
	assert_string_equal(a.gnupghome, "/h2");
	assert_null(a.gpg_key);
	assert_true(a.verbose);
	ent_args_free(&a);
	clear_wallet_env();
}

static void test_usage_errors(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512];
	char *unknown[] = {"wallet-entry", "--nope", "--", "true", NULL};
	char *noprog[] = {"wallet-entry", "--verbose", NULL};
	char *badwait[] = {"wallet-entry", "--wait", "x", "--", "true", NULL};
	char *missing[] = {"wallet-entry", "--ca", NULL};
	assert_int_equal(parse(&a, err, sizeof err, unknown), 2);
	assert_non_null(strstr(err, "--nope"));
	assert_int_equal(parse(&a, err, sizeof err, noprog), 2);
	assert_non_null(strstr(err, "no PROGRAM"));
	assert_int_equal(parse(&a, err, sizeof err, badwait), 2);
	assert_non_null(strstr(err, "--wait"));
	assert_int_equal(parse(&a, err, sizeof err, missing), 2);
	assert_non_null(strstr(err, "missing argument"));
}

/* What ent_parse_args printed on stdout for argv, and its status. */
static char *stdout_of(char **argv, int *rc)
{
	struct ent_args a;
	char err[512];
	static char buf[8192];
	int fd = memfd_create("out", 0);
	int saved = dup(STDOUT_FILENO);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	*rc = parse(&a, err, sizeof err, argv);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_version(void **state)
{
	(void)state;
	int rc = -1;
	char *lng[] = {"wallet-entry", "--version", NULL};
	char *shrt[] = {"wallet-entry", "-V", NULL};
	const char *want = "wallet-entry " CW_VERSION "\n";
	assert_int_equal(strncmp(stdout_of(lng, &rc), want, strlen(want)), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(strncmp(stdout_of(shrt, &rc), want, strlen(want)), 0);
	assert_int_equal(rc, 0);
	char *help[] = {"wallet-entry", "-h", NULL};
	assert_non_null(strstr(stdout_of(help, &rc), "usage: wallet-entry"));
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_unset_every_env_row),
	    cmocka_unit_test(test_usage_mentions_every_option),
	    cmocka_unit_test(test_env_fallback),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_version),
	};
	return cmocka_run_group_tests_name("entry_options", tests, setup, NULL);
}
