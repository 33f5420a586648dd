/* wallet-entry: an ENTRYPOINT that fetches secrets from the wallet, verifies and decrypts them
 * in memory (libwalletclient), hands them to PROGRAM without touching a disk, then execs it
 * (or supervises it with --supervise). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gpgme.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dest.h"
#include "ecdecode.h"
#include "options.h"
#include "run.h"
#include "secmem.h"
#include "templates.h"
#include "walletclient.h"
#include "watch.h"

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

static int usage_error(const char *msg)
{
	fprintf(out_err(), "wallet-entry: %s (try --help)\n", msg);
	return 2;
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
	sigset_t p;
	/* a supervisor (--watch) blocks signals and takes them when the library returns */
	return stop_signal != 0 ||
	       (sigpending(&p) == 0 && (sigismember(&p, SIGTERM) || sigismember(&p, SIGINT)));
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

static int build_config(const struct ent_args *a, wallet_config **out)
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

static void report(const struct ent_args *a, const char *name, wallet_status st, const char *d)
{
	char where[512]; /* a name a template uses: the template's file and line first */
	bool tpl = ent_templates_where(&a->templates, name, where, sizeof where);
	fprintf(out_err(), "wallet-entry: %s%s%s: %s%s%s\n", tpl ? where : "", tpl ? ": " : "",
	        name, wallet_strerror(st), d[0] ? ": " : "", d);
}

/* What does not happen after a failure. */
static const char *not_run(const struct ent_args *a, char *buf, size_t bufsz)
{
	if (a->print)
		return "nothing printed";
	snprintf(buf, bufsz, "not running %s", a->prog != NULL ? a->prog[0] : "the watch");
	return buf;
}

/* An --optional spec whose object (or group) the verified manifest does not list: one line,
 * and PROGRAM runs without it. Any other failure stays fatal, a NOTFOUND for the manifest or
 * the signing key included. */
static bool skip_missing(wallet_client *c, const struct ent_spec *sp, wallet_status st)
{
	int listed = 1;
	if (!sp->optional || st != WALLET_ERR_NOTFOUND ||
	    wallet_manifest_lists(c, sp->name, &listed) != WALLET_OK || listed)
		return false;
	fprintf(out_err(), "wallet-entry: %s: not in the wallet (--optional): skipped\n", sp->name);
	return true;
}

static void report_ok(const struct ent_args *a, const wallet_secret *s)
{
	if (a->verbose)
		fprintf(out_err(), "wallet-entry: %s: version %llu verified\n",
		        wallet_secret_name(s), (unsigned long long)wallet_secret_version(s));
}

/* A group: all of it, every member at least at the spec's minimum. */
static size_t fetch_group(wallet_client *c, const struct ent_args *a, const struct ent_spec *sp,
                          struct fetched *f)
{
	size_t failed = 0;
	wallet_status st = wallet_fetch_group(c, sp->name, &f->v, &f->n);
	if (st != WALLET_OK) {
		char d[512];
		snprintf(d, sizeof d, "%s", wallet_client_error(c));
		if (skip_missing(c, sp, st))
			return 0;
		report(a, sp->name, st, d);
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
static size_t fetch_all(wallet_client *c, const struct ent_args *a, struct fetched *f)
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
			if (skip_missing(c, sp, rq->status))
				continue;
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

/* What a template asks for, among the fetched secrets (groups included). */
struct lookup_ctx {
	const struct ent_args *a;
	const struct fetched *f;
};

static cw_status find_secret(void *arg, const char *name, const unsigned char **data, size_t *len,
                             uint64_t *version)
{
	const struct lookup_ctx *c = arg;
	for (size_t i = 0; c->f != NULL && i < c->a->nspecs; i++) {
		for (size_t k = 0; k < c->f[i].n; k++) {
			const wallet_secret *s = c->f[i].v[k];
			if (strcmp(wallet_secret_name(s), name) == 0) {
				*data = wallet_secret_data(s);
				*len = wallet_secret_size(s);
				*version = wallet_secret_version(s);
				return CW_OK;
			}
		}
	}
	return CW_ERR_NOTFOUND;
}

/* Every template rendered into *out (secure memory), before anything is delivered. */
static int render_templates(const struct ent_args *a, const struct fetched *f, cw_sbuf **out)
{
	char err[512];
	struct lookup_ctx c = {a, f};
	if (a->templates.n == 0)
		return -1;
	*out = calloc(a->templates.n, sizeof **out);
	if (*out == NULL) {
		fprintf(out_err(), "wallet-entry: out of memory\n");
		return 1;
	}
	if (ent_templates_render(&a->templates, find_secret, &c, *out, err, sizeof err) != CW_OK) {
		fprintf(out_err(), "wallet-entry: %s\n", err);
		return 1;
	}
	return -1;
}

/* No two deliveries land in one place, now that the members of groups and the fields of
 * env-json secrets are known; the templates' DESTs take part. Returns -1, or 1 (nothing was
 * delivered). */
static int check_slots(const struct ent_args *a, const struct fetched *f)
{
	struct ent_slots sl = {0};
	char err[1024], buf[256];
	cw_status st = CW_OK;
	for (size_t i = 0; f != NULL && i < a->nspecs; i++)
		for (size_t k = 0; k < f[i].n && st == CW_OK; k++)
			st = ent_spec_slots(&a->specs[i], wallet_secret_name(f[i].v[k]),
			                    wallet_secret_data(f[i].v[k]),
			                    wallet_secret_size(f[i].v[k]), &sl, err, sizeof err);
	if (st == CW_OK)
		st = ent_templates_slots(&a->templates, &sl, err, sizeof err);
	if (st == CW_OK)
		st = ent_slots_check(&sl, err, sizeof err);
	ent_slots_free(&sl);
	if (st == CW_OK)
		return -1;
	fprintf(out_err(), "wallet-entry: %s; %s\n", err, not_run(a, buf, sizeof buf));
	return 1;
}

/* The templates' renderings (rendered: NULL without any), then the secrets of every spec,
 * once no two of them land in one place. */
static int deliver_rendered(const struct ent_args *a, struct fetched *f, const cw_sbuf *rendered,
                            struct ent_files *files)
{
	char err[512];
	if (check_slots(a, f) >= 0)
		return 1;
	if (rendered != NULL && ent_templates_deliver(&a->templates, rendered, &a->o, files, err,
	                                              sizeof err) != CW_OK) {
		fprintf(out_err(), "wallet-entry: %s\n", err);
		return 1;
	}
	for (size_t i = 0; f != NULL && i < a->nspecs; i++) {
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

/* Every template rendered from f, then everything delivered: at start and again on each
 * rotation (--watch), so that a new version of a name a template uses renders it again. The
 * renderings are wiped once delivered. Returns -1, or an exit status after a line saying what
 * failed (nothing delivered when rendering fails). */
static int deliver_all(const struct ent_args *a, struct fetched *f, struct ent_files *files)
{
	cw_sbuf *rendered = NULL;
	int rc = render_templates(a, f, &rendered);
	if (rc < 0)
		rc = deliver_rendered(a, f, rendered, files);
	ent_templates_wipe(rendered, a->templates.n);
	return rc;
}

/* Botan (under librnp) locks a pool of pages for its key material, one mapping, guard pages
 * and mlock per page: 512 KiB by default, 128 pages, some 700 system calls at every start,
 * and the slowest step of the engine's start after loading librnp. Its allocations are
 * small (16 to 240 bytes) and short-lived: measured (gdb on Botan's Memory_Pool::allocate),
 * one secret makes 140 of them and 10 secrets plus one of 300 KB make 580, and a pool of
 * 24 KiB serves every one of them; 16 KiB is the first size that sends some to the ordinary
 * heap. 32 KiB (8 pages) keeps them all locked with that margin, for a tenth of the
 * default pool's cost. A value the user set stays; ours is removed again before PROGRAM
 * runs. */
#define BOTAN_POOL_VAR "BOTAN_MLOCK_POOL_SIZE"
static bool botan_pool_set;

/* Process-wide settings, made before any library runs. False when core dumps cannot be
 * disabled. */
static bool prepare_process(void)
{
	if (getenv(BOTAN_POOL_VAR) == NULL)
		botan_pool_set = setenv(BOTAN_POOL_VAR, "32", 0) == 0;
	/* Before gpgme's first use: without gpgconf, gpgme finds gpg on PATH instead of running
	 * gpgconf twice and gpgsm and gpgconf for their versions, which is most of its start-up
	 * time. A program may set this process-wide flag; a library (libwalletclient) may not. */
	(void)gpgme_set_global_flag("disable-gpgconf", "1");
	/* Freed heap memory is overwritten: librnp frees its decryption buffers without wiping
	 * them. Process-wide, so the program sets it; the library cannot. */
	(void)mallopt(M_PERTURB, 0xA5);
	if (cw_nodump() != CW_OK) {
		fprintf(out_err(), "wallet-entry: cannot disable core dumps\n");
		return false;
	}
	return true;
}

/* Fetches every spec into *out (one entry per spec). Returns -1 when all of them were
 * fetched, or the exit status (nothing fetched is kept). */
static int fetch_secrets(const struct ent_args *a, struct fetched **out, wallet_client **keep)
{
	wallet_config *cfg = NULL;
	wallet_client *c = NULL;
	struct fetched *f = NULL;
	char buf[256];
	int rc = build_config(a, &cfg);
	if (rc >= 0)
		return rc;
	rc = 1;
	catch_stop_signals(true);
	if (!a->verbose)
		quiet_libraries();
	wallet_status st = wallet_client_new(cfg, &c);
	if (st != WALLET_OK) {
		const char *d = c ? wallet_client_error(c) : "";
		fprintf(out_err(), "wallet-entry: %s%s%s\n", wallet_strerror(st), d[0] ? ": " : "",
		        d);
		goto out;
	}
	/* The CA file's, the client's and the wallet's certificates: their EC keys decoded by
	 * OpenSSL's EC code rather than its provider decoders (common/ecdecode.h). Here, not
	 * earlier: it reads OpenSSL's configuration (a millisecond), and the client's thread
	 * that loads the OpenPGP engine has started by now. */
	(void)cw_ec_builtin_decoding();
	f = calloc(a->nspecs, sizeof *f);
	if (f == NULL)
		goto out;
	size_t failed = fetch_all(c, a, f);
	/* the throwaway GNUPGHOME and its agent go now: exec would skip any cleanup (a
	 * watcher keeps the client until it ends) */
	if (keep == NULL || failed > 0 || stop_signal != 0) {
		wallet_client_free(c);
		c = NULL;
	}
	unquiet_libraries();
	if (stop_signal != 0) {
		fprintf(out_err(), "wallet-entry: stopped by signal %d; %s\n", (int)stop_signal,
		        not_run(a, buf, sizeof buf));
		rc = 128 + stop_signal;
		goto out;
	}
	if (failed > 0) {
		fprintf(out_err(), "wallet-entry: %zu of %zu fetches failed; %s\n", failed,
		        a->nspecs, not_run(a, buf, sizeof buf));
		goto out;
	}
	*out = f;
	f = NULL;
	if (keep != NULL)
		*keep = c;
	c = NULL;
	rc = -1;
out:
	wallet_client_free(c);
	unquiet_libraries();
	wallet_config_free(cfg);
	free_fetched(f, a->nspecs);
	return rc;
}

static void quiet(const struct ent_args *a, bool on)
{
	if (on && !a->verbose)
		quiet_libraries();
	else if (!on)
		unquiet_libraries();
}

/* What a rotation (--watch) does again: the steps above. */
static const struct ent_deliverer deliverer = {fetch_all, deliver_all, free_fetched, quiet};

/* Runs PROGRAM once the secrets are delivered and wiped here: by exec, supervised, or
 * watched (the client c kept for it, and f, the secrets delivered: ent_watch_run takes
 * both). core: the core-dump limit wallet-entry was given (NULL: unknown). */
static int run_program(const struct ent_args *a, struct ent_files *files, const struct rlimit *core,
                       wallet_client *c, struct fetched *f)
{
	catch_stop_signals(false);
	if (stop_signal != 0) {
		ent_files_remove(files);
		quiet(a, true);
		wallet_client_free(c);
		quiet(a, false);
		free_fetched(f, a->nspecs);
		return 128 + stop_signal;
	}
	if (a->w.interval_s > 0)
		return ent_watch_run(a, &deliverer, c, f, files, core);
	/* secrets are wiped: PROGRAM gets the core-dump limit it was given */
	if (core != NULL)
		(void)setrlimit(RLIMIT_CORE, core);
	if (a->supervise)
		return ent_supervise(a->prog, files, a->verbose, NULL);
	ent_fds_cloexec(files->fds, files->nfds);
	return ent_exec(a->prog);
}

int main(int argc, char **argv)
{
	struct ent_args a = {0};
	struct fetched *f = NULL;
	wallet_client *c = NULL;
	struct ent_files files = {0};
	struct rlimit core;
	bool have_core = getrlimit(RLIMIT_CORE, &core) == 0;
	char err[512];
	ent_fds_note_inherited();
	int rc = ent_parse_args(argc, argv, &a, err, sizeof err);
	if (rc == 2)
		(void)usage_error(err);
	if (rc >= 0)
		goto out;
	rc = 1;
	if (!prepare_process())
		goto out;
	if (a.nspecs > 0 && (rc = fetch_secrets(&a, &f, a.w.interval_s > 0 ? &c : NULL)) >= 0)
		goto out;
	ent_unset_own_env();
	if (botan_pool_set)
		(void)unsetenv(BOTAN_POOL_VAR); /* every thread of the library has ended */
	if ((rc = deliver_all(&a, f, &files)) >= 0) {
		ent_files_remove(&files);
		goto out;
	}
	if (a.w.interval_s == 0) { /* else the watcher records the versions and frees them */
		free_fetched(f, a.nspecs);
		f = NULL;
	}
	/* setenv (env:) copies "VAR=value" through a buffer on the stack: a supervisor or a
	 * watcher lives on, so zero what the deliveries left below this frame. A PROGRAM run by
	 * exec replaces this process's whole memory (the kernel clears the pages before any
	 * other use), so nothing is zeroed for it: the scrub's cost there is glibc reading
	 * /proc/self/maps for the main thread's stack bounds, 0.3 ms of a run. */
	if (a.supervise || a.w.interval_s > 0 || a.print)
		(void)cw_scrub_stack((size_t)64 << 10);
	if (a.print) {
		rc = 0; /* written: nothing to run */
		goto out;
	}
	rc = run_program(&a, &files, have_core ? &core : NULL, c, f);
	c = NULL;
	f = NULL;
out:
	free_fetched(f, a.nspecs);
	wallet_client_free(c);
	ent_files_free(&files);
	ent_args_free(&a);
	return rc;
}
