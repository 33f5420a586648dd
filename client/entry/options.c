/* wallet-entry: the option table and what it drives (options.h). */
#define _GNU_SOURCE
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cw_version.h"

/* Columns: name, short, arg, env, group, repeatable, help, set, field, path. */
/* Rows without set store their argument (a string field) or true (a bool field, for an
 * option without argument) at field. */
#define FIELD(f) .field = offsetof(struct ent_args, f)
/* The rows of --gpg-key and --gnupghome: the environment gives one of them at most. */
#define GROUP_GPG 1

static int set_url(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_fetch(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_uid(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_gid(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int print_help(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int print_version(struct ent_args *a, const char *arg, char *err, size_t errsz);

const struct ent_option ent_options[] = {
    {"url", 0, "URL[,URL]...", "WALLET_URL", 0, true, "wallet base URLs, tried in order", set_url,
     0, false},
    {"ca", 0, "FILE", "WALLET_CA", 0, false, "CA certificate of the wallet", NULL, FIELD(ca), true},
    {"cert", 0, "FILE", "WALLET_CERT", 0, false, "client certificate", NULL, FIELD(cert), true},
    {"key", 0, "FILE", "WALLET_KEY", 0, false, "client key", NULL, FIELD(key), true},
    {"key-passphrase-file", 0, "F", "WALLET_KEY_PASSPHRASE_FILE", 0, false,
     "passphrase of the client key", NULL, FIELD(keypass), true},
    {"gpg-key", 0, "FILE", "WALLET_GPG_KEY", GROUP_GPG, false, "armored GPG secret key", NULL,
     FIELD(gpg_key), true},
    {"gnupghome", 0, "DIR", "WALLET_GNUPGHOME", GROUP_GPG, false,
     "existing GNUPGHOME or forwarded agent", NULL, FIELD(gnupghome), true},
    {"openpgp", 0, "rnp|gnupg", "WALLET_OPENPGP", 0, false,
     "OpenPGP engine (default: rnp, in process, for --gpg-key;\n"
     "gnupg, gpg processes, for --gnupghome)",
     NULL, FIELD(openpgp_name), false},
    {"signer", 0, "FPR", "WALLET_SIGNER", 0, false, "pinned wallet signing-key fingerprint", NULL,
     FIELD(signer), false},
    {"signer-key", 0, "FILE", "WALLET_SIGNER_KEY", 0, false, "the wallet's public key from a file",
     NULL, FIELD(signer_key), true},
    {"wait", 0, "SECONDS", "WALLET_WAIT", 0, false, "wait for a wallet to answer (default 30)",
     NULL, FIELD(wait), false},
    {"timeout", 0, "SECONDS", "WALLET_TIMEOUT", 0, false, "limit per request (default 30)", NULL,
     FIELD(timeout), false},
    {"fetch", 0, "SPEC", NULL, 0, true, "a secret to fetch", set_fetch, 0, false},
    {"uid", 0, "UID", NULL, 0, false, "owner of file: and fd: secrets", set_uid, 0, false},
    {"gid", 0, "GID", NULL, 0, false, "group of file: and fd: secrets", set_gid, 0, false},
    {"allow-disk", 0, NULL, NULL, 0, false, "allow file: on a disk file system", NULL,
     FIELD(o.allow_disk), false},
    {"supervise", 0, NULL, NULL, 0, false,
     "stay as the parent (like tini): forward signals, reap\n"
     "zombies, delete file: secrets when PROGRAM exits",
     NULL, FIELD(supervise), false},
    {"watch", 0, "SECONDS", "WALLET_WATCH", 0, false,
     "look for new versions every SECONDS and deliver them\n"
     "(with --supervise; without PROGRAM: a sidecar that keeps\n"
     "file: deliveries current)",
     NULL, FIELD(watch_s), false},
    {"on-change", 0, "ACTION", NULL, 0, false,
     "restart (default), signal:SIG (files replaced, then SIG)\n"
     "or none (files replaced)",
     NULL, FIELD(on_change_s), false},
    {"stop-signal", 0, "SIG", NULL, 0, false, "stops PROGRAM for a restart (default TERM)", NULL,
     FIELD(stop_signal_s), false},
    {"stop-timeout", 0, "SECONDS", NULL, 0, false, "then SIGKILL after SECONDS (default 10)", NULL,
     FIELD(stop_timeout_s), false},
    {"verbose", 'v', NULL, NULL, 0, false, "progress on stderr (never a secret)", NULL,
     FIELD(verbose), false},
    {"help", 'h', NULL, NULL, 0, false, "this text", print_help, 0, false},
    {"version", 'V', NULL, NULL, 0, false, "the version", print_version, 0, false},
};
const size_t ent_noptions = sizeof ent_options / sizeof ent_options[0];

/* ---- the rows' own setters ---- */

static int usage_err(char *err, size_t errsz, const char *msg)
{
	snprintf(err, errsz, "%s", msg);
	return 2;
}

static int set_url(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	if (a->nurls == ENT_MAX_URLS)
		return usage_err(err, errsz, "too many --url");
	a->urls[a->nurls++] = arg;
	return -1;
}

static int set_fetch(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	struct ent_spec *v = realloc(a->specs, (a->nspecs + 1) * sizeof *v);
	if (v == NULL)
		return usage_err(err, errsz, "out of memory");
	a->specs = v;
	if (ent_parse_spec(arg, &v[a->nspecs], err, errsz) != CW_OK)
		return 2;
	a->nspecs++;
	return -1;
}

/* A user or group: a number, or a name to look up. */
static bool parse_id(const char *s, bool user, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && v < UINT_MAX) {
		*out = v;
		return true;
	}
	if (user) {
		struct passwd *pw = getpwnam(s);
		if (pw == NULL)
			return false;
		*out = pw->pw_uid;
	} else {
		struct group *gr = getgrnam(s);
		if (gr == NULL)
			return false;
		*out = gr->gr_gid;
	}
	return true;
}

/* --uid and --gid: the owner of file: and fd: secrets. */
static int set_owner(struct ent_args *a, const char *arg, bool user, char *err, size_t errsz)
{
	unsigned long id;
	if (!parse_id(arg, user, &id))
		return usage_err(err, errsz, user ? "--uid: unknown user" : "--gid: unknown group");
	if (user) {
		a->o.uid = (uid_t)id;
		a->o.has_uid = true;
	} else {
		a->o.gid = (gid_t)id;
		a->o.has_gid = true;
	}
	return -1;
}

static int set_uid(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	return set_owner(a, arg, true, err, errsz);
}

static int set_gid(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	return set_owner(a, arg, false, err, errsz);
}

/* After printing on stdout: 0, or 1 when it could not be written. */
static int stdout_status(void)
{
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

static int print_help(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	(void)a;
	(void)arg;
	(void)err;
	(void)errsz;
	ent_usage(stdout);
	return stdout_status();
}

static int print_version(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	(void)a;
	(void)arg;
	(void)err;
	(void)errsz;
	printf("wallet-entry %s\n", CW_VERSION);
	return stdout_status();
}

/* ---- usage ---- */

#define USAGE_COL 24 /* where the help column starts, after two spaces */

static void usage_option(FILE *out, const struct ent_option *o)
{
	char left[128];
	int n = o->short_name ? snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name)
	                      : snprintf(left, sizeof left, "--%s", o->name);
	if (o->arg != NULL && n >= 0 && (size_t)n < sizeof left)
		snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
	if (strlen(left) < USAGE_COL)
		fprintf(out, "  %-*s", USAGE_COL, left);
	else
		fprintf(out, "  %s\n  %-*s", left, USAGE_COL, "");
	for (const char *p = o->help; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "  %-*s", USAGE_COL, "");
	}
	if (o->repeatable)
		fputs(" (repeatable)", out);
	if (o->env != NULL)
		fprintf(out, " [%s]", o->env);
	fputc('\n', out);
}

void ent_usage(FILE *out)
{
	fputs(
	    "usage: wallet-entry [options] [--fetch NAME[@MINVERSION][=DEST]]... -- PROGRAM "
	    "[ARGS...]\n"
	    "       wallet-entry --watch SECONDS [options] --fetch NAME=file:PATH...   (a "
	    "sidecar)\n"
	    "\n"
	    "Fetches each NAME from the wallet over mutual TLS, verifies the wallet's signatures\n"
	    "(pinned key), checks the signed name and version, decrypts in memory, then runs\n"
	    "PROGRAM with the secrets. If any fetch fails, PROGRAM is not run.\n"
	    "\n"
	    "  NAME ending in '/' (app1/) fetches every object of that group.\n"
	    "  DEST  fd:VAR     a sealed memfd, VAR=/proc/self/fd/N (default: fd:NAME_FILE, NAME\n"
	    "                   upper-cased, other characters than A-Z0-9 made '_')\n"
	    "        file:PATH  a file with mode 0400, only on tmpfs or ramfs unless --allow-disk\n"
	    "                   (for a group: a directory)\n"
	    "        env:VAR    an environment variable (the least safe choice)\n"
	    "\n"
	    "options (environment variable in brackets):\n",
	    out);
	for (size_t i = 0; i < ent_noptions; i++)
		usage_option(out, &ent_options[i]);
	fputs("\n"
	      "Exit status: PROGRAM's; 1 when a fetch fails, 2 on a usage error, 126/127 when\n"
	      "PROGRAM cannot be run; under --supervise 128+N when PROGRAM dies of signal N.\n"
	      "With --watch: PROGRAM's status when it exits on its own (a restart for a new\n"
	      "version is not an exit); a sidecar stopped by SIGTERM or SIGINT exits 0.\n",
	      out);
}

void ent_unset_own_env(void)
{
	for (size_t i = 0; i < ent_noptions; i++)
		if (ent_options[i].env != NULL)
			unsetenv(ent_options[i].env);
}

/* ---- parsing ---- */

static int apply(struct ent_args *a, const struct ent_option *o, const char *arg, char *err,
                 size_t errsz)
{
	if (o->set != NULL)
		return o->set(a, arg, err, errsz);
	static const bool yes = true;
	char *field = (char *)a + o->field;
	if (o->arg != NULL)
		memcpy(field, &arg, sizeof arg);
	else
		memcpy(field, &yes, sizeof yes);
	return -1;
}

/* The row getopt_long's answer c stands for; NULL for an unknown option or a missing
 * argument. */
static const struct ent_option *row_of(int c)
{
	if (c >= 256 && (size_t)(c - 256) < ent_noptions)
		return &ent_options[c - 256];
	for (size_t i = 0; i < ent_noptions && c > 0; i++)
		if (ent_options[i].short_name == c)
			return &ent_options[i];
	return NULL;
}

/* The command line; given[i] tells which rows appeared. */
static int parse_argv(int argc, char **argv, struct ent_args *a, bool *given, char *err,
                      size_t errsz)
{
	struct option lo[sizeof ent_options / sizeof ent_options[0] + 1];
	char shorts[2 + 2 * sizeof ent_options / sizeof ent_options[0]] = "+";
	size_t ns = 1;
	memset(lo, 0, sizeof lo);
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		lo[i].name = o->name;
		lo[i].has_arg = o->arg != NULL ? required_argument : no_argument;
		lo[i].val = o->short_name ? o->short_name : 256 + (int)i;
		if (o->short_name) {
			shorts[ns++] = o->short_name;
			if (o->arg != NULL)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	int c;
	opterr = 0;
	optind = 0; /* a fresh scan (glibc), also when called again */
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct ent_option *o = row_of(c);
		if (o == NULL) {
			snprintf(err, errsz, "unknown option or missing argument: %s",
			         argv[optind - 1]);
			return 2;
		}
		given[o - ent_options] = true;
		int rc = apply(a, o, optarg, err, errsz);
		if (rc >= 0)
			return rc;
	}
	/* none is refused by ent_watch_args, unless this is a sidecar */
	a->prog = optind < argc ? argv + optind : NULL;
	return -1;
}

/* Options not given take their variable's value, when it is set and not empty. */
static int env_fallback(struct ent_args *a, const bool *given, char *err, size_t errsz)
{
	bool group_set[8] = {false};
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		if (o->group > 0 && given[i])
			group_set[o->group] = true;
	}
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		const char *v = o->env != NULL ? getenv(o->env) : NULL;
		if (given[i] || v == NULL || v[0] == '\0' || (o->group > 0 && group_set[o->group]))
			continue;
		if (o->group > 0)
			group_set[o->group] = true;
		int rc = apply(a, o, v, err, errsz);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

bool ent_parse_seconds(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

/* The values that are more than a string: times and the engine. */
static int convert(struct ent_args *a, char *err, size_t errsz)
{
	a->wait_s = 30;
	a->timeout_s = 30;
	if (a->wait && !ent_parse_seconds(a->wait, &a->wait_s))
		return usage_err(err, errsz, "--wait: a number of seconds");
	if (a->timeout && (!ent_parse_seconds(a->timeout, &a->timeout_s) || a->timeout_s == 0))
		return usage_err(err, errsz, "--timeout: a number of seconds from 1");
	const char *e = a->openpgp_name;
	if (e == NULL || strcmp(e, "") == 0)
		a->openpgp = WALLET_OPENPGP_AUTO;
	else if (strcmp(e, "rnp") == 0)
		a->openpgp = WALLET_OPENPGP_RNP;
	else if (strcmp(e, "gnupg") == 0)
		a->openpgp = WALLET_OPENPGP_GNUPG;
	else
		return usage_err(err, errsz, "--openpgp: rnp or gnupg");
	if (a->openpgp == WALLET_OPENPGP_RNP && a->gpg_key == NULL)
		return usage_err(err, errsz,
		                 "--openpgp rnp needs --gpg-key (a GNUPGHOME needs gnupg)");
	return -1;
}

/* What a fetch needs: the required options, the file: destinations, readable files (the
 * library reports a missing file only as a status: name it here). */
static int check_for_fetch(struct ent_args *a, char *err, size_t errsz)
{
	if (a->nurls == 0 || a->ca == NULL || a->cert == NULL || a->key == NULL ||
	    a->signer == NULL)
		return usage_err(err, errsz,
		                 "--url, --ca, --cert, --key and --signer are required");
	for (size_t i = 0; i < a->nspecs; i++)
		if (ent_check_file_dest(&a->specs[i], &a->o, err, errsz) != CW_OK)
			return 2;
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		const char *path;
		if (!o->path)
			continue;
		memcpy(&path, (const char *)a + o->field, sizeof path);
		if (path != NULL && access(path, R_OK) != 0) {
			snprintf(err, errsz, "--%s %.300s: %s", o->name, path, strerror(errno));
			return 2;
		}
	}
	return -1;
}

int ent_parse_args(int argc, char **argv, struct ent_args *a, char *err, size_t errsz)
{
	bool given[sizeof ent_options / sizeof ent_options[0]] = {false};
	int rc;
	if ((rc = parse_argv(argc, argv, a, given, err, errsz)) >= 0 ||
	    (rc = env_fallback(a, given, err, errsz)) >= 0 || (rc = convert(a, err, errsz)) >= 0 ||
	    (rc = ent_watch_args(a, err, errsz)) >= 0)
		return rc;
	if (a->nspecs == 0)
		return -1; /* nothing to fetch: the rest is not needed */
	return check_for_fetch(a, err, errsz);
}
