/* wallet-entry: an ENTRYPOINT that fetches secrets from the wallet, verifies and decrypts them
 * in memory (libwalletclient), hands them to PROGRAM without touching a disk, then execs it
 * (or supervises it with --supervise). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gpgme.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dest.h"
#include "run.h"
#include "secmem.h"
#include "walletclient.h"

/* The variables wallet-entry reads; removed from PROGRAM's environment. */
static const char *const own_vars[] = {
    "WALLET_URL",
    "WALLET_CA",
    "WALLET_CERT",
    "WALLET_KEY",
    "WALLET_KEY_PASSPHRASE_FILE",
    "WALLET_GPG_KEY",
    "WALLET_GNUPGHOME",
    "WALLET_OPENPGP",
    "WALLET_SIGNER",
    "WALLET_SIGNER_KEY",
    "WALLET_WAIT",
    "WALLET_TIMEOUT",
};

struct args {
	const char *urls[16];
	size_t nurls;
	const char *ca, *cert, *key, *keypass, *gpg_key, *gnupghome, *signer, *signer_key;
	wallet_openpgp openpgp;
	long wait_s, timeout_s;
	struct ent_spec *specs;
	size_t nspecs;
	struct ent_opts o;
	bool supervise, verbose;
	char **prog;
};

/* Where wallet-entry's own messages go: stderr; while the libraries work without --verbose,
 * a copy of it, fd 2 pointing at /dev/null meanwhile. librnp 0.16 writes parser diagnostics
 * (packet tags and positions) to stderr and offers no way to stop it; they would break the
 * one-line-per-failure output. */
static FILE *msg_out;

static FILE *out_err(void)
{
	return msg_out != NULL ? msg_out : stderr;
}

static void quiet_libraries(void)
{
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved < 0)
		return;
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FILE *f = nul >= 0 ? fdopen(saved, "w") : NULL;
	if (f == NULL || dup2(nul, STDERR_FILENO) < 0) {
		if (f != NULL)
			fclose(f);
		else
			close(saved);
		if (nul >= 0)
			close(nul);
		return;
	}
	close(nul);
	setvbuf(f, NULL, _IONBF, 0);
	msg_out = f;
}

/* fd 2 is stderr again, for PROGRAM too (dup2 clears close-on-exec). */
static void unquiet_libraries(void)
{
	if (msg_out == NULL)
		return;
	fflush(stderr);
	(void)dup2(fileno(msg_out), STDERR_FILENO);
	fclose(msg_out);
	msg_out = NULL;
}

static void usage(FILE *out)
{
	fputs(
	    "usage: wallet-entry [options] [--fetch NAME[@MINVERSION][=DEST]]... -- PROGRAM "
	    "[ARGS...]\n"
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
	    "options (environment variable in brackets):\n"
	    "  --url URL[,URL]...      wallet base URLs, tried in order [WALLET_URL]\n"
	    "  --ca FILE               CA certificate of the wallet [WALLET_CA]\n"
	    "  --cert FILE             client certificate [WALLET_CERT]\n"
	    "  --key FILE              client key [WALLET_KEY]\n"
	    "  --key-passphrase-file F passphrase of the client key [WALLET_KEY_PASSPHRASE_FILE]\n"
	    "  --gpg-key FILE          armored GPG secret key [WALLET_GPG_KEY]\n"
	    "  --gnupghome DIR         existing GNUPGHOME or forwarded agent [WALLET_GNUPGHOME]\n"
	    "  --openpgp rnp|gnupg     OpenPGP engine (default: rnp, in process, for --gpg-key;\n"
	    "                          gnupg, gpg processes, for --gnupghome) [WALLET_OPENPGP]\n"
	    "  --signer FPR            pinned wallet signing-key fingerprint [WALLET_SIGNER]\n"
	    "  --signer-key FILE       the wallet's public key from a file [WALLET_SIGNER_KEY]\n"
	    "  --wait SECONDS          wait for a wallet to answer (default 30) [WALLET_WAIT]\n"
	    "  --timeout SECONDS       limit per request (default 30) [WALLET_TIMEOUT]\n"
	    "  --fetch SPEC            a secret to fetch (repeatable)\n"
	    "  --uid UID, --gid GID    owner of file: and fd: secrets\n"
	    "  --allow-disk            allow file: on a disk file system\n"
	    "  --supervise             stay as the parent (like tini): forward signals, reap\n"
	    "                          zombies, delete file: secrets when PROGRAM exits\n"
	    "  --verbose               progress on stderr (never a secret)\n"
	    "  -h, --help, -V, --version\n"
	    "\n"
	    "Exit status: PROGRAM's; 1 when a fetch fails, 2 on a usage error, 126/127 when\n"
	    "PROGRAM cannot be run; under --supervise 128+N when PROGRAM dies of signal N.\n",
	    out);
}

static int usage_error(const char *msg)
{
	fprintf(out_err(), "wallet-entry: %s (try --help)\n", msg);
	return 2;
}

static bool parse_seconds(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return false;
	*out = v;
	return true;
}

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

static const char *env_or(const char *v, const char *name)
{
	if (v != NULL)
		return v;
	const char *e = getenv(name);
	return e && e[0] ? e : NULL;
}

enum {
	O_URL = 256,
	O_CA,
	O_CERT,
	O_KEY,
	O_KEYPASS,
	O_GPGKEY,
	O_OPENPGP,
	O_GNUPGHOME,
	O_SIGNER,
	O_SIGNERKEY,
	O_WAIT,
	O_TIMEOUT,
	O_FETCH,
	O_UID,
	O_GID,
	O_ALLOWDISK,
	O_SUPERVISE,
	O_VERSION
};

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, O_URL},
	    {"ca", required_argument, NULL, O_CA},
	    {"cert", required_argument, NULL, O_CERT},
	    {"key", required_argument, NULL, O_KEY},
	    {"key-passphrase-file", required_argument, NULL, O_KEYPASS},
	    {"gpg-key", required_argument, NULL, O_GPGKEY},
	    {"openpgp", required_argument, NULL, O_OPENPGP},
	    {"gnupghome", required_argument, NULL, O_GNUPGHOME},
	    {"signer", required_argument, NULL, O_SIGNER},
	    {"signer-key", required_argument, NULL, O_SIGNERKEY},
	    {"wait", required_argument, NULL, O_WAIT},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"fetch", required_argument, NULL, O_FETCH},
	    {"uid", required_argument, NULL, O_UID},
	    {"gid", required_argument, NULL, O_GID},
	    {"allow-disk", no_argument, NULL, O_ALLOWDISK},
	    {"supervise", no_argument, NULL, O_SUPERVISE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, O_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *wait = NULL, *timeout = NULL, *openpgp = NULL;
	char err[512];
	int c;
	unsigned long id;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hvV", opts, NULL)) != -1) {
		switch (c) {
		case O_URL:
			if (a->nurls == sizeof a->urls / sizeof a->urls[0])
				return usage_error("too many --url");
			a->urls[a->nurls++] = optarg;
			break;
		case O_CA:
			a->ca = optarg;
			break;
		case O_CERT:
			a->cert = optarg;
			break;
		case O_KEY:
			a->key = optarg;
			break;
		case O_KEYPASS:
			a->keypass = optarg;
			break;
		case O_GPGKEY:
			a->gpg_key = optarg;
			break;
		case O_OPENPGP:
			openpgp = optarg;
			break;
		case O_GNUPGHOME:
			a->gnupghome = optarg;
			break;
		case O_SIGNER:
			a->signer = optarg;
			break;
		case O_SIGNERKEY:
			a->signer_key = optarg;
			break;
		case O_WAIT:
			wait = optarg;
			break;
		case O_TIMEOUT:
			timeout = optarg;
			break;
		case O_FETCH: {
			struct ent_spec *v = realloc(a->specs, (a->nspecs + 1) * sizeof *v);
			if (v == NULL)
				return usage_error("out of memory");
			a->specs = v;
			if (ent_parse_spec(optarg, &v[a->nspecs], err, sizeof err) != CW_OK)
				return usage_error(err);
			a->nspecs++;
			break;
		}
		case O_UID:
			if (!parse_id(optarg, true, &id))
				return usage_error("--uid: unknown user");
			a->o.uid = (uid_t)id;
			a->o.has_uid = true;
			break;
		case O_GID:
			if (!parse_id(optarg, false, &id))
				return usage_error("--gid: unknown group");
			a->o.gid = (gid_t)id;
			a->o.has_gid = true;
			break;
		case O_ALLOWDISK:
			a->o.allow_disk = true;
			break;
		case O_SUPERVISE:
			a->supervise = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		case 'V':
		case O_VERSION:
			printf("wallet-entry %s\n", wallet_version());
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		default:
			snprintf(err, sizeof err, "unknown option or missing argument: %s",
			         argv[optind - 1]);
			return usage_error(err);
		}
	}
	if (optind >= argc)
		return usage_error("no PROGRAM given after --");
	a->prog = argv + optind;
	wait = env_or(wait, "WALLET_WAIT");
	timeout = env_or(timeout, "WALLET_TIMEOUT");
	a->wait_s = 30;
	a->timeout_s = 30;
	if (wait && !parse_seconds(wait, &a->wait_s))
		return usage_error("--wait: a number of seconds");
	if (timeout && (!parse_seconds(timeout, &a->timeout_s) || a->timeout_s == 0))
		return usage_error("--timeout: a number of seconds from 1");
	if (a->nurls == 0 && (a->urls[0] = env_or(NULL, "WALLET_URL")) != NULL)
		a->nurls = 1;
	a->ca = env_or(a->ca, "WALLET_CA");
	a->cert = env_or(a->cert, "WALLET_CERT");
	a->key = env_or(a->key, "WALLET_KEY");
	a->keypass = env_or(a->keypass, "WALLET_KEY_PASSPHRASE_FILE");
	a->signer = env_or(a->signer, "WALLET_SIGNER");
	a->signer_key = env_or(a->signer_key, "WALLET_SIGNER_KEY");
	if (a->gpg_key == NULL && a->gnupghome == NULL) {
		a->gpg_key = env_or(NULL, "WALLET_GPG_KEY");
		if (a->gpg_key == NULL)
			a->gnupghome = env_or(NULL, "WALLET_GNUPGHOME");
	}
	openpgp = env_or(openpgp, "WALLET_OPENPGP");
	if (openpgp == NULL || strcmp(openpgp, "") == 0)
		a->openpgp = WALLET_OPENPGP_AUTO;
	else if (strcmp(openpgp, "rnp") == 0)
		a->openpgp = WALLET_OPENPGP_RNP;
	else if (strcmp(openpgp, "gnupg") == 0)
		a->openpgp = WALLET_OPENPGP_GNUPG;
	else
		return usage_error("--openpgp: rnp or gnupg");
	if (a->openpgp == WALLET_OPENPGP_RNP && a->gpg_key == NULL)
		return usage_error("--openpgp rnp needs --gpg-key (a GNUPGHOME needs gnupg)");
	if (a->nspecs == 0)
		return -1; /* nothing to fetch: the rest is not needed */
	if (a->nurls == 0 || a->ca == NULL || a->cert == NULL || a->key == NULL ||
	    a->signer == NULL)
		return usage_error("--url, --ca, --cert, --key and --signer are required");
	for (size_t i = 0; i < a->nspecs; i++)
		if (ent_check_file_dest(&a->specs[i], &a->o, err, sizeof err) != CW_OK)
			return usage_error(err);
	/* the library reports a missing file only as a status: name it here */
	const struct {
		const char *opt, *path;
	} files[] = {{"--ca", a->ca},
	             {"--cert", a->cert},
	             {"--key", a->key},
	             {"--key-passphrase-file", a->keypass},
	             {"--gpg-key", a->gpg_key},
	             {"--signer-key", a->signer_key},
	             {"--gnupghome", a->gnupghome}};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (files[i].path != NULL && access(files[i].path, R_OK) != 0) {
			snprintf(err, sizeof err, "%s %.300s: %s", files[i].opt, files[i].path,
			         strerror(errno));
			return usage_error(err);
		}
	}
	return -1;
}

/* A signal that asks to stop (docker stop sends SIGTERM) while secrets are fetched: the
 * library is asked to cancel, so that the throwaway GNUPGHOME is destroyed before exiting.
 * As PID 1 without a handler, SIGTERM would be ignored. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int should_cancel(void *arg)
{
	(void)arg;
	return stop_signal != 0;
}

static void catch_stop_signals(bool on)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on ? on_stop : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

static void log_line(void *arg, const char *msg)
{
	(void)arg;
	fprintf(out_err(), "wallet-entry: %s\n", msg);
}

static int build_config(const struct args *a, wallet_config **out)
{
	wallet_config *cfg = NULL;
	wallet_status st = wallet_config_new(&cfg);
	for (size_t i = 0; i < a->nurls && st == WALLET_OK; i++)
		st = wallet_config_add_urls(cfg, a->urls[i]);
	if (st != WALLET_OK) {
		wallet_config_free(cfg);
		return usage_error("--url: a comma-separated list of https:// URLs");
	}
	if (wallet_config_set_signer(cfg, a->signer) != WALLET_OK) {
		wallet_config_free(cfg);
		return usage_error("--signer: a 40-hex-digit fingerprint");
	}
	if (wallet_config_set_ca(cfg, a->ca) != WALLET_OK ||
	    wallet_config_set_cert(cfg, a->cert, a->key) != WALLET_OK ||
	    (a->keypass && wallet_config_set_key_passphrase_file(cfg, a->keypass) != WALLET_OK) ||
	    (a->gpg_key && wallet_config_set_gpg_key_file(cfg, a->gpg_key) != WALLET_OK) ||
	    (a->gnupghome && wallet_config_set_gnupghome(cfg, a->gnupghome) != WALLET_OK) ||
	    wallet_config_set_openpgp(cfg, a->openpgp) != WALLET_OK ||
	    (a->signer_key && wallet_config_set_signer_key_file(cfg, a->signer_key) != WALLET_OK) ||
	    wallet_config_set_wait(cfg, a->wait_s * 1000) != WALLET_OK ||
	    wallet_config_set_timeouts(cfg, a->timeout_s * 1000 < 5000 ? a->timeout_s * 1000 : 5000,
	                               a->timeout_s * 1000) != WALLET_OK ||
	    wallet_config_set_log(cfg, log_line, NULL) != WALLET_OK ||
	    wallet_config_set_cancel(cfg, should_cancel, NULL) != WALLET_OK) {
		wallet_config_free(cfg);
		return usage_error("invalid configuration");
	}
	*out = cfg;
	return -1;
}

/* The secrets of one spec: one, or a whole group. */
struct fetched {
	wallet_secret **v;
	size_t n;
};

static void report(const struct args *a, const char *name, wallet_status st, const char *d)
{
	(void)a;
	fprintf(out_err(), "wallet-entry: %s: %s%s%s\n", name, wallet_strerror(st),
	        d[0] ? ": " : "", d);
}

static void report_ok(const struct args *a, const wallet_secret *s)
{
	if (a->verbose)
		fprintf(out_err(), "wallet-entry: %s: version %llu verified\n",
		        wallet_secret_name(s), (unsigned long long)wallet_secret_version(s));
}

/* A group: all of it, every member at least at the spec's minimum. */
static size_t fetch_group(wallet_client *c, const struct args *a, const struct ent_spec *sp,
                          struct fetched *f)
{
	size_t failed = 0;
	wallet_status st = wallet_fetch_group(c, sp->name, &f->v, &f->n);
	if (st != WALLET_OK) {
		report(a, sp->name, st, wallet_client_error(c));
		return 1;
	}
	for (size_t k = 0; k < f->n; k++) {
		if (wallet_secret_version(f->v[k]) < sp->min_version) {
			char d[64];
			snprintf(d, sizeof d, "version %llu",
			         (unsigned long long)wallet_secret_version(f->v[k]));
			report(a, wallet_secret_name(f->v[k]), WALLET_ERR_ROLLBACK, d);
			failed++;
		} else {
			report_ok(a, f->v[k]);
		}
	}
	return failed;
}

/* Fetches every spec (single objects in one batch, which opens them in parallel); one line
 * per failure. Returns the number of failures. */
static size_t fetch_all(wallet_client *c, const struct args *a, struct fetched *f)
{
	size_t failed = 0, nreq = 0;
	wallet_request *reqs = calloc(a->nspecs, sizeof *reqs);
	if (reqs == NULL) {
		fprintf(out_err(), "wallet-entry: out of memory\n");
		return a->nspecs;
	}
	for (size_t i = 0; i < a->nspecs; i++) {
		if (a->specs[i].group)
			continue;
		reqs[nreq].name = a->specs[i].name;
		reqs[nreq].min_version = a->specs[i].min_version;
		nreq++;
	}
	if (nreq > 0)
		(void)wallet_fetch_many(c, reqs, nreq);
	size_t r = 0;
	for (size_t i = 0; i < a->nspecs; i++) {
		const struct ent_spec *sp = &a->specs[i];
		if (sp->group) {
			failed += fetch_group(c, a, sp, &f[i]);
			continue;
		}
		wallet_request *rq = &reqs[r++];
		if (rq->status != WALLET_OK) {
			report(a, sp->name, rq->status, rq->error);
			failed++;
			continue;
		}
		f[i].v = calloc(1, sizeof *f[i].v);
		if (f[i].v == NULL) {
			wallet_secret_free(rq->secret);
			report(a, sp->name, WALLET_ERR_NOMEM, "");
			failed++;
			continue;
		}
		f[i].v[0] = rq->secret;
		f[i].n = 1;
		report_ok(a, rq->secret);
	}
	free(reqs);
	return failed;
}

static void free_fetched(struct fetched *f, size_t n)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		wallet_secrets_free(f[i].v, f[i].n);
	free(f);
}

static int deliver_all(const struct args *a, struct fetched *f, struct ent_files *files)
{
	char err[512];
	for (size_t i = 0; i < a->nspecs; i++) {
		for (size_t k = 0; k < f[i].n; k++) {
			const wallet_secret *s = f[i].v[k];
			if (ent_deliver(&a->specs[i], wallet_secret_name(s), wallet_secret_data(s),
			                wallet_secret_size(s), &a->o, files, err,
			                sizeof err) != CW_OK) {
				fprintf(out_err(), "wallet-entry: %s: %s\n", wallet_secret_name(s),
				        err);
				return 1;
			}
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	wallet_config *cfg = NULL;
	wallet_client *c = NULL;
	struct fetched *f = NULL;
	struct ent_files files = {0};
	struct rlimit core;
	bool have_core = getrlimit(RLIMIT_CORE, &core) == 0;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		goto out;
	rc = 1;
	/* Before gpgme's first use: without gpgconf, gpgme finds gpg on PATH instead of running
	 * gpgconf twice and gpgsm and gpgconf for their versions, which is most of its start-up
	 * time. A program may set this process-wide flag; a library (libwalletclient) may not. */
	(void)gpgme_set_global_flag("disable-gpgconf", "1");
	/* Freed heap memory is overwritten: librnp frees its decryption buffers without wiping
	 * them. Process-wide, so the program sets it; the library cannot. */
	(void)mallopt(M_PERTURB, 0xA5);
	if (cw_nodump() != CW_OK) {
		fprintf(out_err(), "wallet-entry: cannot disable core dumps\n");
		goto out;
	}
	if (a.nspecs > 0) {
		if ((rc = build_config(&a, &cfg)) >= 0)
			goto out;
		rc = 1;
		catch_stop_signals(true);
		if (!a.verbose)
			quiet_libraries();
		wallet_status st = wallet_client_new(cfg, &c);
		if (st != WALLET_OK) {
			const char *d = c ? wallet_client_error(c) : "";
			fprintf(out_err(), "wallet-entry: %s%s%s\n", wallet_strerror(st),
			        d[0] ? ": " : "", d);
			goto out;
		}
		f = calloc(a.nspecs, sizeof *f);
		if (f == NULL)
			goto out;
		size_t failed = fetch_all(c, &a, f);
		/* the throwaway GNUPGHOME and its agent go now: exec would skip any cleanup */
		wallet_client_free(c);
		c = NULL;
		unquiet_libraries();
		if (stop_signal != 0) {
			fprintf(out_err(), "wallet-entry: stopped by signal %d; not running %s\n",
			        (int)stop_signal, a.prog[0]);
			rc = 128 + stop_signal;
			goto out;
		}
		if (failed > 0) {
			fprintf(out_err(),
			        "wallet-entry: %zu of %zu fetches failed; not running %s\n", failed,
			        a.nspecs, a.prog[0]);
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof own_vars / sizeof own_vars[0]; i++)
		unsetenv(own_vars[i]);
	if (f != NULL && (rc = deliver_all(&a, f, &files)) >= 0) {
		ent_files_remove(&files);
		goto out;
	}
	free_fetched(f, a.nspecs);
	f = NULL;
	/* setenv (env:) copies "VAR=value" through a buffer on the stack: a supervisor lives
	 * on, so zero what the deliveries left below this frame */
	(void)cw_scrub_stack((size_t)64 << 10);
	catch_stop_signals(false);
	if (stop_signal != 0) {
		ent_files_remove(&files);
		rc = 128 + stop_signal;
		goto out;
	}
	/* secrets are wiped: PROGRAM gets the core-dump limit it was given */
	if (have_core)
		(void)setrlimit(RLIMIT_CORE, &core);
	if (a.supervise)
		rc = ent_supervise(a.prog, &files, a.verbose);
	else
		rc = ent_exec(a.prog);
out:
	wallet_client_free(c);
	unquiet_libraries();
	wallet_config_free(cfg);
	free_fetched(f, a.nspecs);
	ent_files_free(&files);
	free(a.specs);
	return rc;
}
