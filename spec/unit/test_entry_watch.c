/* wallet-entry --watch: the one signal parser (client/entry/run.c) and the watch options
 * (client/entry/watch.c, through ent_parse_args): defaults, what a sidecar implies, and
 * every combination that is a usage error. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_common.h"
#include "entry_args_fixture.h"
#include "options.h"
#include "run.h"

static void test_signal_parse(void **state)
{
	(void)state;
	int sig = 0;
	assert_true(ent_signal_parse("TERM", &sig));
	assert_int_equal(sig, SIGTERM);
	assert_true(ent_signal_parse("SIGHUP", &sig));
	assert_int_equal(sig, SIGHUP);
	assert_true(ent_signal_parse("usr1", &sig));
	assert_int_equal(sig, SIGUSR1);
	assert_true(ent_signal_parse("sigUsr2", &sig));
	assert_int_equal(sig, SIGUSR2);
	assert_true(ent_signal_parse("9", &sig));
	assert_int_equal(sig, 9);
	assert_true(ent_signal_parse("WINCH", &sig));
	assert_int_equal(sig, SIGWINCH);
	char max[16];
	snprintf(max, sizeof max, "%d", SIGRTMAX);
	assert_true(ent_signal_parse(max, &sig));
	assert_int_equal(sig, SIGRTMAX);
	snprintf(max, sizeof max, "%d", SIGRTMAX + 1);
	const char *bad[] = {"",    "0",   "01",  "-1",         "+1",
	                     " 1",  "1 ",  "SIG", "SIGSIGTERM", "TERMX",
	                     "TER", "1.5", "x9",  max,          "99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sig = -7;
		assert_false(ent_signal_parse(bad[i], &sig));
		assert_int_equal(sig, -7);
	}
	assert_false(ent_signal_parse(NULL, &sig));
}

#define BASE                                                                                       \
	"wallet-entry", "--url", "https://w", "--ca", "/dev/null", "--cert", "/dev/null", "--key", \
	    "/dev/null", "--signer", "0123456789ABCDEF0123456789ABCDEF01234567"

static void test_watch_args(void **state)
{
	(void)state;
	struct ent_args a;
	char err[512];
	char *plain[] = {BASE, "--fetch", "db", "--", "true", NULL};
	assert_int_equal(parse(&a, err, sizeof err, plain), -1);
	assert_int_equal(a.w.interval_s, 0); /* not watching */
	ent_args_free(&a);

	char *defaults[] = {BASE, "--watch", "5",    "--supervise", "--fetch",
	                    "db", "--",      "true", NULL};
	assert_int_equal(parse(&a, err, sizeof err, defaults), -1);
	assert_int_equal(a.w.interval_s, 5);
	assert_int_equal(a.w.on_change, ENT_ON_RESTART);
	assert_int_equal(a.w.stop_sig, SIGTERM);
	assert_int_equal(a.w.stop_timeout_s, 10);
	ent_args_free(&a);

	char *sig[] = {BASE,
	               "--watch",
	               "1",
	               "--supervise",
	               "--on-change",
	               "signal:SIGUSR1",
	               "--stop-signal",
	               "INT",
	               "--stop-timeout",
	               "0",
	               "--fetch",
	               "db=file:/dev/shm/x",
	               "--",
	               "true",
	               NULL};
	assert_int_equal(parse(&a, err, sizeof err, sig), -1);
	assert_int_equal(a.w.on_change, ENT_ON_SIGNAL);
	assert_int_equal(a.w.change_sig, SIGUSR1);
	assert_int_equal(a.w.stop_sig, SIGINT);
	assert_int_equal(a.w.stop_timeout_s, 0);
	ent_args_free(&a);

	/* a sidecar: no PROGRAM, no --supervise, only files; nothing to signal */
	char *side[] = {BASE,      "--watch",          "1", "--fetch", "db=file:/dev/shm/x",
	                "--fetch", "g/=file:/dev/shm", NULL};
	assert_int_equal(parse(&a, err, sizeof err, side), -1);
	assert_null(a.prog);
	assert_int_equal(a.w.on_change, ENT_ON_NONE);
	ent_args_free(&a);

	setenv("WALLET_WATCH", "3", 1);
	char *env[] = {BASE, "--supervise", "--fetch", "db", "--", "true", NULL};
	assert_int_equal(parse(&a, err, sizeof err, env), -1);
	assert_int_equal(a.w.interval_s, 3);
	ent_args_free(&a);
	unsetenv("WALLET_WATCH");
}

/* Each argv (after BASE) is a usage error whose message holds the fragment. */
static void test_watch_usage_errors(void **state)
{
	(void)state;
	static const char *const cases[][12] = {
	    {"--watch", "0", "--supervise", "--fetch", "db", "--", "true", NULL, "--watch"},
	    {"--watch", "86401", "--supervise", "--fetch", "db", "--", "true", NULL, "--watch"},
	    {"--watch", "1", "--fetch", "db", "--", "true", NULL, "--supervise"},
	    {"--watch", "1", "--supervise", "--", "true", NULL, "nothing to watch"},
	    {"--watch", "1", "--fetch", "db", NULL, "needs a PROGRAM"},
	    {"--watch", "1", "--fetch", "db=env:X", NULL, "needs a PROGRAM"},
	    {"--watch", "1", "--on-change", "signal:HUP", "--fetch", "db=file:/dev/shm/x", NULL,
	     "no PROGRAM"},
	    {"--watch", "1", "--supervise", "--on-change", "signal:HUP", "--fetch", "db", "--",
	     "true", NULL, "fd:"},
	    {"--watch", "1", "--supervise", "--on-change", "none", "--fetch", "db=env:X", "--",
	     "true", NULL, "env:"},
	    {"--watch", "1", "--supervise", "--on-change", "signal:KILL", "--fetch", "db", "--",
	     "true", NULL, "--on-change"},
	    {"--watch", "1", "--supervise", "--on-change", "signal:", "--fetch", "db", "--", "true",
	     NULL, "--on-change"},
	    {"--watch", "1", "--supervise", "--stop-signal", "SIGFOO", "--fetch", "db", "--",
	     "true", NULL, "--stop-signal"},
	    {"--watch", "1", "--supervise", "--stop-timeout", "x", "--fetch", "db", "--", "true",
	     NULL, "--stop-timeout"},
	    {"--stop-timeout", "3", "--supervise", "--fetch", "db", "--", "true", NULL,
	     "go with --watch"},
	    {"--fetch", "db", NULL, "no PROGRAM"},
	    {"--watch", "1", "--print", "db", NULL, "--print cannot be combined with --watch"},
	    {"--print", "db", "--on-change", "none", NULL, "--print cannot be combined"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[24] = {BASE};
		size_t n = 11, k = 0;
		for (; cases[i][k] != NULL; k++)
			argv[n++] = (char *)cases[i][k];
		argv[n] = NULL;
		struct ent_args a;
		char err[512];
		assert_int_equal(parse(&a, err, sizeof err, argv), 2);
		if (strstr(err, cases[i][k + 1]) == NULL)
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i][k + 1], err);
		ent_args_free(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signal_parse),
	    cmocka_unit_test(test_watch_args),
	    cmocka_unit_test(test_watch_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
