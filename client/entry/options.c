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
#include "specfile.h"

/* Columns: name, short, arg, env, group, repeatable, help, set, field, flags. */
/* Rows without set store their argument (a string field) or true (a bool field, for an
 * option without argument) at field. */
#define FIELD(f) .field = offsetof(struct ent_args, f)
/* The rows of --gpg-key and --gnupghome: the environment gives one of them at most. */
#define GROUP_GPG 1

static int set_url(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_fetch(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_template(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_optional(struct ent_args *a, const char *arg, char *err, size_t errsz);
static int set_print(struct ent_args *a, const char *arg, char *err, size_t errsz);
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
    {"spec", 0, "FILE", "WALLET_SPEC", 0, false,
     "settings from a JSON file: keys are the long option\n"
     "names with '_' for '-', and \"command\" (the command\n"
     "line and the environment win over it)",
     NULL, FIELD(spec_file), ENT_OPT_PATH | ENT_OPT_NOFILE},
    {"fetch", 0, "SPEC", NULL, 0, true, "a secret to fetch", set_fetch, 0, ENT_OPT_DELIVERY},
    {"optional", 0, "SPEC", NULL, 0, true, "a secret to fetch if the wallet has it", set_optional,
     0, ENT_OPT_DELIVERY},
    {"template", 0, "SRC=DEST", NULL, 0, true, "a template file rendered into DEST", set_template,
     0, ENT_OPT_DELIVERY | ENT_OPT_SRC},
    {"print", 0, "NAME", NULL, 0, false,
     "write one secret to standard output and exit (for\n"
     "scripts; not into a file on a disk unless --allow-disk)",
     set_print, 0, false},
    {"uid", 0, "UID", NULL, 0, false, "owner of file: and fd: secrets", set_uid, 0, false},
    {"gid", 0, "GID", NULL, 0, false, "group of file: and fd: secrets", set_gid, 0, false},
    {"mode", 0, "OCTAL", NULL, 0, false,
     "mode of file: secrets (default 0400; at most 0777,\n"
     "no write permission for group or others)",
     NULL, FIELD(mode), false},
    {"allow-disk", 0, NULL, NULL, 0, false, "allow file: on a disk file system", NULL,
     FIELD(o.allow_disk), false},
    {"supervise", 0, NULL, NULL, 0, false,
     "stay as the parent (like tini): forward signals, reap\n"
     "zombies, delete file: secrets when PROGRAM exits",
     NULL, FIELD(supervise), false},
    {"watch", 0, "SECONDS", "WALLET_WATCH", 0, false,
     "look for new versions every SECONDS and deliver them\n"
     "(with --supervise; without PROGRAM: a sidecar that keeps\n"
     "file: deliveries current, of --fetch and --template alike)",
     NULL, FIELD(watch_s), ENT_OPT_DELIVERY},
    {"on-change", 0, "ACTION", NULL, 0, false,
     "restart (default), signal:SIG (files replaced, then SIG)\n"
     "or none (files replaced)",
     NULL, FIELD(on_change_s), ENT_OPT_DELIVERY},
    {"stop-signal", 0, "SIG", NULL, 0, false, "stops PROGRAM for a restart (default TERM)", NULL,
     FIELD(stop_signal_s), ENT_OPT_DELIVERY},
    {"stop-timeout", 0, "SECONDS", NULL, 0, false, "then SIGKILL after SECONDS (default 10)", NULL,
     FIELD(stop_timeout_s), ENT_OPT_DELIVERY},
    {"verbose", 'v', NULL, NULL, 0, false, "progress on stderr (never a secret)", NULL,
     FIELD(verbose), false},
    {"help", 'h', NULL, NULL, 0, false, "this text", print_help, 0, ENT_OPT_NOFILE},
    {"version", 'V', NULL, NULL, 0, false, "the version", print_version, 0, ENT_OPT_NOFILE},
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

/* Appends the spec arg; returns it, or NULL (a usage error in err). */
static struct ent_spec *add_spec(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	struct ent_spec *v = realloc(a->specs, (a->nspecs + 1) * sizeof *v);
	if (v == NULL) {
		usage_err(err, errsz, "out of memory");
		return NULL;
	}
	a->specs = v;
	if (ent_parse_spec(arg, &v[a->nspecs], err, errsz) != CW_OK)
		return NULL;
	return &v[a->nspecs++];
}

static int set_fetch(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	return add_spec(a, arg, err, errsz) != NULL ? -1 : 2;
}

static int set_optional(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	struct ent_spec *s = add_spec(a, arg, err, errsz);
	if (s == NULL)
		return 2;
	s->optional = true;
	return -1;
}

static int set_print(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	if (a->print)
		return usage_err(err, errsz, "--print: one secret at a time");
	if (strchr(arg, '=') != NULL)
		return usage_err(err, errsz, "--print takes NAME[@MINVERSION], no destination");
	struct ent_spec *s = add_spec(a, arg, err, errsz);
	if (s == NULL)
		return 2;
	if (s->group) {
		a->nspecs--;
		return usage_err(err, errsz, "--print takes one object, not a group");
	}
	s->kind = ENT_PRINT;
	a->print = true;
	return -1;
}

static int set_template(struct ent_args *a, const char *arg, char *err, size_t errsz)
{
	return ent_templates_add(&a->templates, arg, err, errsz) == CW_OK ? -1 : 2;
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
	    "       wallet-entry [options] --print NAME[@MINVERSION]\n"
	    "       wallet-entry --watch SECONDS [options] --fetch NAME=file:PATH...\n"
	    "                    [--template SRC=file:PATH]...                  (a sidecar)\n"
	    "\n"
	    "Fetches each NAME from the wallet over mutual TLS, verifies the wallet's signatures\n"
	    "(pinned key), checks the signed name and version, decrypts in memory, then runs\n"
	    "PROGRAM with the secrets. If any fetch fails, PROGRAM is not run. Two deliveries to\n"
	    "one variable, file or directory entry are refused. A secret is printed only with\n"
	    "--print.\n"
	    "\n"
	    "  NAME ending in '/' (app1/) fetches every object of that group.\n"
	    "  DEST  fd:VAR     a sealed memfd, VAR=/proc/self/fd/N (default: fd:NAME_FILE, NAME\n"
	    "                   upper-cased, other characters than A-Z0-9 made '_')\n"
	    "        file:PATH  a file with mode 0400 (--mode), only on tmpfs or ramfs unless\n"
	    "                   --allow-disk (for a group: a directory)\n"
	    "        env:VAR    an environment variable (the least safe choice)\n"
	    "        env-json:PREFIX  a JSON object: one variable per top-level field, PREFIX\n"
	    "                   and the field upper-cased (default PREFIX: NAME upper-cased, then "
	    "'_')\n"
	    "  A template (--template SRC=DEST) is a text file rendered into DEST: {{ secret "
	    "\"NAME\" }}\n"
	    "  is the secret, {{ secret \"NAME\" \"KEY\" }} a field of a JSON secret (\"a.b\": "
	    "nested),\n"
	    "  {{ \"{{\" }} writes {{ (see TEMPLATES in wallet-entry(1)).\n"
	    "\n"
	    "Each setting comes from the command line, else its variable, else --spec FILE.\n"
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

/* Where a row's value came from. */
enum origin { FROM_NONE, FROM_ARGV, FROM_ENV, FROM_FILE };

#define NROWS (sizeof ent_options / sizeof ent_options[0])

bool ent_option_numeric(const struct ent_option *o)
{
	static const char *const numeric[] = {"SECONDS", "N", "UID", "GID"};
	for (size_t i = 0; o->arg != NULL && i < sizeof numeric / sizeof numeric[0]; i++)
		if (strcmp(o->arg, numeric[i]) == 0)
			return true;
	return false;
}

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

/* The command line; from[i] tells which rows appeared. PROGRAM stays NULL when there is
 * none. */
static int parse_argv(int argc, char **argv, struct ent_args *a, unsigned char *from, char *err,
                      size_t errsz)
{
	struct option lo[NROWS + 1];
	char shorts[2 + 2 * NROWS] = "+";
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
		from[o - ent_options] = FROM_ARGV;
		int rc = apply(a, o, optarg, err, errsz);
		if (rc >= 0)
			return rc;
	}
	/* none: refused by check_program, unless --print or a sidecar (--watch) */
	a->prog = optind < argc ? argv + optind : NULL;
	return -1;
}

/* The groups that the command line (and, with env, the environment) set a row of. */
static void groups_set(const unsigned char *from, bool env, bool *set)
{
	for (size_t i = 0; i < ent_noptions; i++)
		if (ent_options[i].group > 0 &&
		    (from[i] == FROM_ARGV || (env && from[i] == FROM_ENV)))
			set[ent_options[i].group] = true;
}

/* Options not given take their variable's value, when it is set and not empty. */
static int env_fallback(struct ent_args *a, unsigned char *from, char *err, size_t errsz)
{
	bool group_set[8] = {false};
	groups_set(from, false, group_set);
	for (size_t i = 0; i < ent_noptions; i++) {
		const struct ent_option *o = &ent_options[i];
		const char *v = o->env != NULL ? getenv(o->env) : NULL;
		if (from[i] != FROM_NONE || v == NULL || v[0] == '\0' ||
		    (o->group > 0 && group_set[o->group]) ||
		    (a->print && (o->flags & ENT_OPT_DELIVERY))) /* WALLET_WATCH, for a script */
			continue;
		if (o->group > 0)
			group_set[o->group] = true;
		from[i] = FROM_ENV;
		int rc = apply(a, o, v, err, errsz);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

/* One key of the spec file; a setter's message gets the file and the key in front. */
static int apply_file_key(struct ent_args *a, const struct ent_specfile_key *k, char *err,
                          size_t errsz)
{
	const struct ent_option *o = &ent_options[k->row];
	char inner[400];
	int rc = -1;
	if (o->arg == NULL) /* a flag set to true; an empty list gives nothing */
		rc = apply(a, o, NULL, inner, sizeof inner);
	for (size_t j = 0; j < k->n && rc < 0; j++)
		rc = apply(a, o, k->vals[j], inner, sizeof inner);
	if (rc == 2) {
		char key[64];
		snprintf(key, sizeof key, "%s", o->name);
		for (char *p = key; *p; p++)
			*p = *p == '-' ? '_' : *p;
		snprintf(err, errsz, "spec file %s: '%s': %s", a->spec_file, key, inner);
	}
	return rc;
}

/* Options given neither on the command line nor by a variable take the spec file's value.
 * With --print on the command line, the file's deliveries and its command are left out. */
static int file_fallback(struct ent_args *a, unsigned char *from, char *err, size_t errsz)
{
	bool group_set[8] = {false}, print_argv = a->print;
	if (a->spec_file == NULL)
		return -1;
	cw_status st = ent_specfile_load(a->spec_file, &a->file, err, errsz);
	if (st != CW_OK)
		return st == CW_ERR_USAGE ? 2 : 1;
	groups_set(from, true, group_set);
	for (size_t i = 0; i < a->file->nkeys; i++) {
		const struct ent_specfile_key *k = &a->file->keys[i];
		const struct ent_option *o = &ent_options[k->row];
		if (from[k->row] != FROM_NONE || (o->group > 0 && group_set[o->group]) ||
		    (print_argv && (o->flags & ENT_OPT_DELIVERY)))
			continue;
		from[k->row] = FROM_FILE;
		int rc = apply_file_key(a, k, err, errsz);
		if (rc >= 0)
			return rc;
	}
	if (a->prog == NULL && !print_argv)
		a->prog = a->file->command;
	return -1;
}

/* PROGRAM is needed, except with --print, which takes neither PROGRAM nor a delivery, and
 * for a sidecar (--watch without PROGRAM: ent_watch_args checks that it delivers files). */
static int check_program(struct ent_args *a, const unsigned char *from, char *err, size_t errsz)
{
	if (!a->print) {
		if (a->prog == NULL && a->watch_s == NULL)
			return usage_err(
			    err, errsz,
			    "no PROGRAM given after -- (nor a \"command\" in the spec file)");
		return -1;
	}
	if (a->prog != NULL)
		return usage_err(err, errsz, "--print runs no PROGRAM");
	for (size_t i = 0; i < ent_noptions; i++)
		if ((ent_options[i].flags & ENT_OPT_DELIVERY) && from[i] != FROM_NONE) {
			snprintf(err, errsz, "--print cannot be combined with --%s",
			         ent_options[i].name);
			return 2;
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

/* The values that are more than a string: times, the engine, the mode. */
static int convert(struct ent_args *a, char *err, size_t errsz)
{
	a->wait_s = 30;
	a->timeout_s = 30;
	if (a->wait && !ent_parse_seconds(a->wait, &a->wait_s))
		return usage_err(err, errsz, "--wait: a number of seconds");
	if (a->timeout && (!ent_parse_seconds(a->timeout, &a->timeout_s) || a->timeout_s == 0))
		return usage_err(err, errsz, "--timeout: a number of seconds from 1");
	if (a->mode != NULL) {
		if (!ent_parse_mode(a->mode, &a->o.mode))
			return usage_err(
			    err, errsz,
			    "--mode: an octal mode up to 0777 without write permission "
			    "for group or others (such as 0440)");
		a->o.has_mode = true;
	}
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

/* No two of the names given, nor two templates, deliver to one variable, file or standard
 * output. The spec file's deliveries are in a->specs and a->templates by now. */
static int check_slots(const struct ent_args *a, char *err, size_t errsz)
{
	struct ent_slots sl = {0};
	cw_status st = CW_OK;
	for (size_t i = 0; i < a->nspecs && st == CW_OK; i++)
		st = ent_spec_slots(&a->specs[i], a->specs[i].name, NULL, 0, &sl, err, errsz);
	if (st == CW_OK)
		st = ent_templates_slots(&a->templates, &sl, err, errsz);
	if (st == CW_OK)
		st = ent_slots_check(&sl, err, errsz);
	ent_slots_free(&sl);
	return st == CW_OK ? -1 : 2;
}

/* What a fetch needs: the required options, the file: destinations, readable files (the
 * library reports a missing file only as a status: name it here), a standard output that
 * may take a secret. */
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
		if (!(o->flags & ENT_OPT_PATH))
			continue;
		memcpy(&path, (const char *)a + o->field, sizeof path);
		if (path != NULL && access(path, R_OK) != 0) {
			snprintf(err, errsz, "--%s %.300s: %s", o->name, path, strerror(errno));
			return 2;
		}
	}
	if (a->print && ent_check_stdout(&a->o, err, errsz) != CW_OK)
		return 2;
	return -1;
}

int ent_parse_args(int argc, char **argv, struct ent_args *a, char *err, size_t errsz)
{
	unsigned char from[NROWS] = {FROM_NONE};
	int rc;
	if ((rc = parse_argv(argc, argv, a, from, err, errsz)) >= 0 ||
	    (rc = env_fallback(a, from, err, errsz)) >= 0 ||
	    (rc = file_fallback(a, from, err, errsz)) >= 0 ||
	    (rc = check_program(a, from, err, errsz)) >= 0 || (rc = convert(a, err, errsz)) >= 0)
		return rc;
	/* once every --fetch is known: the names the templates use join them */
	if (ent_templates_add_specs(&a->templates, &a->specs, &a->nspecs, err, errsz) != CW_OK)
		return 2;
	for (size_t i = 0; i < a->templates.n; i++)
		if (ent_check_file_dest(&a->templates.v[i].dest, &a->o, err, errsz) != CW_OK)
			return 2;
	/* the templates' names are specs by now: they are watched too */
	if ((rc = ent_watch_args(a, err, errsz)) >= 0)
		return rc;
	/* with nothing to fetch, what a fetch needs is not needed */
	if (a->nspecs > 0 && (rc = check_for_fetch(a, err, errsz)) >= 0)
		return rc;
	return check_slots(a, err, errsz);
}

void ent_args_free(struct ent_args *a)
{
	free(a->specs);
	ent_templates_free(&a->templates);
	ent_specfile_free(a->file);
	memset(a, 0, sizeof *a);
}
