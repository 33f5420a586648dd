/* libwalletclient: key material, whatever the OpenPGP engine. The engine is chosen once, from
 * the configuration; the client's secret key file is read into secure memory, and both it and
 * the pinned wallet signing key (from the wallet or a file) go to the engine at the first
 * request, which lets the pinned key in only with the pinned primary fingerprint.
 *
 * An engine that can import the client's key on its own (rnp: loading librnp, making its
 * keyrings and importing the key cost more than the TLS connection) does so in a thread of
 * its own, started by wallet_client_new; the caller's thread meanwhile opens the connection
 * and fetches the wallet's key, which it hands to that thread: the thread imports it after
 * the client's while the caller's thread asks for the manifest, and the engine's first use
 * (wc_engine_ready) waits for both.
 *
 * An engine that checks signatures apart from where it decrypts (rnp: two keyrings) takes
 * the wallet's key in halves: the caller's thread imports it where manifests are checked as
 * soon as the keyrings exist, and checks the manifest, while the preparing thread is still
 * busy with the client's key; that thread then imports it where objects are decrypted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sealfmt.h"
#include "wc_internal.h"

/* Reads a whole key file into secure memory (it may hold a secret key). */
static cw_status read_key_file(wallet_client *c, const char *path, cw_sbuf *buf)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wc_err(c, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? CW_ERR_NOTFOUND : CW_ERR_IO;
	}
	cw_status st = cw_sbuf_read_fd(buf, fd, WC_MAX_KEY);
	close(fd);
	if (st != CW_OK)
		wc_err(c, "%s: %s", path, cw_strerror(st));
	return st;
}

/* rnp (in process) for a key file unless gnupg is asked for; gnupg for a GNUPGHOME or a
 * forwarded agent. */
static const struct wc_engine_ops *choose_engine(const struct wallet_config *cfg)
{
	if (cfg->openpgp == WALLET_OPENPGP_RNP ||
	    (cfg->openpgp == WALLET_OPENPGP_AUTO && cfg->gpg_key_file != NULL))
		return &wc_engine_rnp;
	return &wc_engine_gnupg;
}

/* How much of its stack the preparing thread clears before it ends: the key file went
 * through librnp's parser in its frames, and glibc keeps a finished thread's stack for the
 * next thread (releasing at the thread's end only what lies more than about 16 KiB below
 * its first frame: 18 KiB of 96 KiB of marks stayed, measured with glibc 2.36). */
#define PREP_STACK_SCRUB ((size_t)256 << 10)

/* The wallet's key from its file (--signer-key), imported where the engine got ready: no
 * request is needed for it, so all of the engine's start is off the caller's way. */
static cw_status prepare_signer(wallet_client *c)
{
	cw_sbuf file = {0};
	cw_status st = read_key_file(c, c->cfg.signer_key_file, &file);
	if (st == CW_OK)
		st = c->engine->import_keys(c, file.data, file.len);
	cw_sbuf_free(&file);
	return st;
}

/* The wallet's key as the wallet served it, handed over by the caller's thread
 * (wc_signer_ensure), or the word that none comes (key NULL: the engine is wanted first, or
 * the client goes). True when the preparing thread takes the key: it imports it while the
 * caller's thread asks for the manifest, which needs no engine. Only the first call counts. */
static bool prep_hand(wallet_client *c, struct wc_resp *key)
{
	bool taken = false;
	if (!c->prep_running || !c->prep_waits)
		return false;
	pthread_mutex_lock(&c->prep_mu);
	if (!c->prep_handed) {
		c->prep_handed = true;
		if (key != NULL) {
			c->prep_key = key->body;
			c->prep_key_len = key->len;
			key->body = NULL;
			key->len = 0;
			c->sign_pending = taken = true;
		}
		pthread_cond_broadcast(&c->prep_cv);
	}
	pthread_mutex_unlock(&c->prep_mu);
	return taken;
}

/* The wallet's key, once the client's is in: from its file, or as the caller's thread hands
 * it over (its import's status in sign_st). */
static void prepare_wallet_key(wallet_client *c)
{
	if (c->prep_signer) {
		c->prep_st = prepare_signer(c);
		return;
	}
	if (!c->prep_waits)
		return;
	pthread_mutex_lock(&c->prep_mu);
	while (!c->prep_handed)
		pthread_cond_wait(&c->prep_cv, &c->prep_mu);
	pthread_mutex_unlock(&c->prep_mu);
	if (c->prep_key == NULL)
		return;
	if (!c->prep_shares_keys) {
		c->sign_st = c->engine->import_keys(c, c->prep_key, c->prep_key_len);
		return;
	}
	/* the other half is the caller's thread's (import_beside) */
	c->sign_st = c->engine->import_decryptor(c, c->prep_key, c->prep_key_len);
	if (c->sign_st != CW_OK)
		c->keys_discard_due = true;
}

/* Sets one of the preparing thread's flags (under prep_mu) and wakes whoever waits for it. */
static void prep_say(wallet_client *c, bool *flag)
{
	pthread_mutex_lock(&c->prep_mu);
	*flag = true;
	pthread_cond_broadcast(&c->prep_cv);
	pthread_mutex_unlock(&c->prep_mu);
}

static void *prepare_main(void *arg)
{
	wallet_client *c = arg;
	wc_err_redirect(c->prep_err, sizeof c->prep_err);
	cw_status st = c->engine->init(c, &c->eng);
	if (st == CW_OK && c->prep_shares_keys)
		prep_say(c,
		         &c->prep_init_done); /* the keyrings exist: the caller's half may begin */
	if (st == CW_OK)
		st = c->engine->prepare(c);
	c->prep_st = st;
	if (st == CW_OK)
		prepare_wallet_key(c);
	wc_err_redirect(NULL, 0);
	/* done with the client: the caller's thread goes on while this one zeroes its stack
	 * and ends (joined at teardown) */
	if (c->prep_sync)
		prep_say(c, &c->prep_done);
	(void)cw_scrub_stack(PREP_STACK_SCRUB);
	return NULL;
}

cw_status wc_engine_setup(wallet_client *c)
{
	cw_status st = CW_OK;
	const struct wc_engine_ops *e = choose_engine(&c->cfg);
	if (e == &wc_engine_rnp && c->cfg.gpg_key_file == NULL) {
		wc_err(c, "the rnp engine needs a GPG key file");
		return CW_ERR_USAGE;
	}
	c->engine = e;
	c->prep_st = CW_OK;
	/* The key is imported at the first request (with the wallet's key, in one gpg run, for
	 * gnupg), or by the preparing thread. */
	if (c->cfg.gpg_key_file != NULL) {
		st = read_key_file(c, c->cfg.gpg_key_file, &c->pending_key);
		if (st == CW_OK && c->pending_key.len == 0) {
			wc_err(c, "%s: empty key file", c->cfg.gpg_key_file);
			st = CW_ERR_KEY;
		}
	}
	if (st != CW_OK)
		return st;
	if (e->prepare != NULL && c->pending_key.len > 0) {
		c->prep_err[0] = '\0';
		c->prep_signer = c->cfg.signer_key_file != NULL;
		c->prep_sync = pthread_mutex_init(&c->prep_mu, NULL) == 0;
		if (c->prep_sync && pthread_cond_init(&c->prep_cv, NULL) != 0) {
			pthread_mutex_destroy(&c->prep_mu);
			c->prep_sync = false;
		}
		c->prep_waits = c->prep_sync && !c->prep_signer && e->load_signer == NULL;
		c->prep_shares_keys = c->prep_waits && e->import_verifier != NULL &&
		                      e->import_decryptor != NULL && e->discard_keys != NULL;
		if (pthread_create(&c->prep_tid, NULL, prepare_main, c) == 0) {
			c->prep_running = true;
			return CW_OK;
		}
		/* no thread: here, now, and the wallet's key later */
		c->prep_waits = c->prep_shares_keys = false;
		prepare_main(c);
		return CW_OK;
	}
	return e->init(c, &c->eng);
}

/* Waits until the preparing thread is done with the client: its end, when it can say so,
 * goes on beside the caller's thread (prep_exiting, joined at teardown). */
static void prep_join(wallet_client *c)
{
	if (!c->prep_running)
		return;
	(void)prep_hand(c, NULL); /* a thread that still waits for the wallet's key: none comes */
	c->prep_running = false;
	if (c->prep_sync) {
		pthread_mutex_lock(&c->prep_mu);
		while (!c->prep_done)
			pthread_cond_wait(&c->prep_cv, &c->prep_mu);
		pthread_mutex_unlock(&c->prep_mu);
		c->prep_exiting = true;
		return;
	}
	pthread_join(c->prep_tid, NULL);
}

static cw_status prep_failed(wallet_client *c, cw_status st)
{
	memcpy(c->err, c->prep_err,
	       sizeof c->prep_err < sizeof c->err ? sizeof c->prep_err : sizeof c->err);
	return st;
}

/* Once the preparing thread is done: empties the keys a failure left behind, and ends the
 * import in halves (from here on, one thread does everything). */
static void discard_if_due(wallet_client *c)
{
	if (c->keys_discard_due && c->eng != NULL && c->engine->discard_keys != NULL)
		c->engine->discard_keys(c);
	c->keys_discard_due = false;
	c->prep_shares_keys = false;
}

cw_status wc_engine_ready(wallet_client *c)
{
	prep_join(c);
	discard_if_due(c);
	bool verified = c->verify_ready;
	c->verify_ready = false;
	bool handed = c->sign_pending;
	c->sign_pending = false;
	free(c->prep_key); /* the wallet's public key */
	c->prep_key = NULL;
	if (c->prep_st != CW_OK)
		return prep_failed(c, c->prep_st);
	if (c->prep_signer)
		c->signer_ready = true;
	if (handed) {
		/* as wc_signer_ensure does after an import of its own: fresh for this request, or
		 * failed (the next request asks for the key again) */
		if (c->sign_st != CW_OK)
			return prep_failed(c, c->sign_st);
		if (verified)
			cw_sbuf_free(&c->pending_key); /* both halves are in */
		c->signer_ready = c->signer_refetched = true;
	}
	return CW_OK;
}

cw_status wc_engine_ready_to_verify(wallet_client *c)
{
	return c->verify_ready ? CW_OK : wc_engine_ready(c);
}

/* The wallet's key as served, in halves (c->prep_shares_keys): a copy goes to the preparing
 * thread for the keyring that decrypts, and this thread imports it into the one that checks
 * signatures as soon as the keyrings exist, while that thread may still import the client's
 * key. On a failure the preparing thread is waited for and the keys emptied, so that the
 * next request starts again from empty keyrings and asks for the key again. False when the
 * thread takes no key any more (the usual way then), else *st is the result. */
static bool import_beside(wallet_client *c, const struct wc_resp *r, cw_status *st)
{
	struct wc_resp copy = {.body = malloc(r->len ? r->len : 1), .len = r->len};
	if (copy.body == NULL) {
		*st = CW_ERR_NOMEM;
		return true;
	}
	memcpy(copy.body, r->body, r->len);
	if (!prep_hand(c, &copy)) {
		free(copy.body);
		return false;
	}
	pthread_mutex_lock(&c->prep_mu);
	while (!c->prep_init_done && !c->prep_done)
		pthread_cond_wait(&c->prep_cv, &c->prep_mu);
	bool init = c->prep_init_done;
	pthread_mutex_unlock(&c->prep_mu);
	*st = init ? c->engine->import_verifier(c, r->body, r->len) : CW_ERR_KEY;
	if (*st == CW_OK) {
		c->verify_ready = true;
		return true;
	}
	char why[sizeof c->err];
	memcpy(why, c->err, sizeof why);
	prep_join(c);
	c->keys_discard_due = init;
	discard_if_due(c);
	c->sign_pending = false;
	free(c->prep_key);
	c->prep_key = NULL;
	if (c->prep_st != CW_OK) /* the thread's failure (the client's key) comes first */
		*st = prep_failed(c, c->prep_st);
	else
		memcpy(c->err, why, sizeof why);
	return true;
}

void wc_engine_teardown(wallet_client *c)
{
	prep_join(c);
	if (c->prep_exiting) {
		pthread_join(c->prep_tid, NULL);
		c->prep_exiting = false;
	}
	free(c->prep_key);
	c->prep_key = NULL;
	if (c->prep_sync) {
		pthread_cond_destroy(&c->prep_cv);
		pthread_mutex_destroy(&c->prep_mu);
		c->prep_sync = false;
	}
	cw_sbuf_free(&c->pending_key);
	if (c->engine != NULL)
		c->engine->free(c->eng);
	c->eng = NULL;
}

/* The wallet's public key: from the configured file, or as the wallet serves it; next: the
 * request that follows, sent with the key's (the manifest's, at the first request). */
static cw_status signer_key(wallet_client *c, cw_sbuf *file, struct wc_resp *r,
                            const unsigned char **pub, size_t *publen, wc_next_fn next)
{
	cw_status st;
	if (c->cfg.signer_key_file != NULL) {
		st = read_key_file(c, c->cfg.signer_key_file, file);
		*pub = file->data;
		*publen = file->len;
	} else {
		st = wc_http_get_then(c, CW_PATH_SIGNING_KEY, WC_MAX_KEY, r, next);
		*pub = r->body;
		*publen = r->len;
	}
	return st;
}

cw_status wc_signer_ensure(wallet_client *c)
{
	cw_status st = CW_ERR_NOTFOUND;
	cw_sbuf file = {0};
	struct wc_resp r = {0};
	const unsigned char *pub = NULL;
	size_t publen = 0;
	if (c->signer_ready || c->sign_pending)
		return CW_OK; /* in, or being imported by the preparing thread */
	/* a keyring the engine already has may hold it */
	if (c->engine->load_signer != NULL && ((st = wc_engine_ready(c)) != CW_OK ||
	                                       (st = c->engine->load_signer(c)) != CW_ERR_NOTFOUND))
		goto out;
	if (c->prep_signer) {
		/* the preparing thread imports it from its file: the caller's requests go on
		 * meanwhile, and the engine's first use waits for it (wc_engine_ready) */
		if (!c->prep_running)
			return wc_engine_ready(c);
		wc_http_warm(c); /* the connection opens beside it */
		return CW_OK;
	}
	/* every caller asks for the manifest next, if it holds none */
	if ((st = signer_key(c, &file, &r, &pub, &publen, wc_manifest_next)) != CW_OK)
		goto out;
	/* the preparing thread, if it still runs, imports it while this thread asks for the
	 * manifest; the engine's first use waits for it and takes its status (wc_engine_ready) */
	if (r.body != NULL && c->prep_shares_keys && import_beside(c, &r, &st)) {
		wc_resp_free(&r);
		return st;
	}
	if (r.body != NULL && prep_hand(c, &r))
		return CW_OK;
	if ((st = wc_engine_ready(c)) != CW_OK)
		goto out;
	st = c->engine->import_keys(c, pub, publen);
out:
	if (st == CW_OK)
		c->signer_ready = c->signer_refetched = true; /* fresh for this request */
	cw_sbuf_free(&file);
	wc_resp_free(&r);
	return st;
}

bool wc_signer_retry(wallet_client *c, bool unknown)
{
	cw_status st;
	cw_sbuf file = {0};
	struct wc_resp r = {0};
	const unsigned char *pub = NULL;
	size_t publen = 0;
	char why[sizeof c->err];
	if (!unknown || !c->signer_ready || c->signer_refetched ||
	    c->engine->refresh_signer == NULL)
		return false;
	c->signer_refetched = true;
	memcpy(why, c->err, sizeof why);
	/* the URL that served what failed stays the current one, for the caller to judge */
	size_t url = c->cur_url;
	if ((st = signer_key(c, &file, &r, &pub, &publen, NULL)) == CW_OK)
		st = c->engine->refresh_signer(c, pub, publen);
	c->cur_url = url;
	wc_log(c, "signed by a key this client does not have: fetched the wallet's key again (%s)",
	       st == CW_OK ? "verifying once more" : c->err);
	memcpy(c->err, why, sizeof why);
	cw_sbuf_free(&file);
	wc_resp_free(&r);
	return st == CW_OK;
}
