/* libwalletclient: the gnupg engine (gpg through gpgme). It serves an existing GNUPGHOME or
 * a forwarded gpg-agent, or imports a key file into a throwaway GNUPGHOME on a memory file
 * system. Opening an object verifies the detached signature before anything reaches the
 * decryptor, then decrypts with the output going through callbacks straight into secure
 * memory, and checks the inner signature and its name/version notations (docs/FORMAT.md;
 * the binding itself is open.c's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "gnupg.h"
#include "gpgutil.h"
#include "sealfmt.h"
#include "wc_internal.h"

/* The error line `what: gpgme's reason` into err. */
static void gpg_fail(char *err, size_t errsz, const char *what, gpgme_error_t e)
{
	char buf[300];
	cw_gpg_errstr(e, buf, sizeof buf);
	snprintf(err, errsz, "%s: %s", what, buf);
}

static struct wc_gnupg *state_of(const wallet_client *c)
{
	return c->eng;
}

/* A new context on the engine's GNUPGHOME (thread-safe). */
static cw_status new_ctx(const struct wc_gnupg *g, gpgme_ctx_t *out)
{
	cw_status st = cw_gpg_ctx(g->home[0] ? g->home : NULL, out);
	/* An existing GNUPGHOME may reach the host's gpg-agent through its restricted "extra"
	 * socket, which refuses loopback pinentry: let that agent apply its own pinentry
	 * settings. A throwaway home keeps loopback (nothing can ever prompt). */
	if (st == CW_OK && !g->tmphome &&
	    gpgme_set_pinentry_mode(*out, GPGME_PINENTRY_MODE_DEFAULT) != 0) {
		gpgme_release(*out);
		*out = NULL;
		st = CW_ERR_CRYPTO;
	}
	return st;
}

/* ---- state ---- */

static cw_status gnupg_init(wallet_client *c, void **state)
{
	cw_status st;
	struct wc_gnupg *g = calloc(1, sizeof *g);
	*state = g;
	if (g == NULL)
		return CW_ERR_NOMEM;
	g->first_mu_ok = pthread_mutex_init(&g->first_mu, NULL) == 0;
	if (c->cfg.gpg_key_file != NULL) {
		st = cw_gpg_tmphome("walletclient", g->home, sizeof g->home);
		if (st != CW_OK) {
			wc_err(c, "no memory file system for a throwaway GNUPGHOME (tried "
			          "$XDG_RUNTIME_DIR, /dev/shm, /run)");
			return st;
		}
		g->tmphome = true;
	} else if (c->cfg.gnupghome != NULL &&
	           cw_path(g->home, sizeof g->home, "%s", c->cfg.gnupghome) != CW_OK) {
		wc_err(c, "GNUPGHOME path too long");
		return CW_ERR_USAGE;
	}
	if ((st = new_ctx(g, &g->gpg)) != CW_OK)
		wc_err(c, "gpgme or gpg is unusable");
	return st;
}

static void gnupg_free(void *state)
{
	struct wc_gnupg *g = state;
	if (g == NULL)
		return;
	if (g->gpg != NULL)
		gpgme_release(g->gpg);
	for (size_t i = 0; i < sizeof g->pool / sizeof g->pool[0]; i++)
		if (g->pool[i] != NULL)
			gpgme_release(g->pool[i]);
	if (g->tmphome)
		(void)cw_gpg_destroy_home(g->home);
	if (g->first_mu_ok)
		pthread_mutex_destroy(&g->first_mu);
	cw_wipe(g, sizeof *g);
	free(g);
}

static cw_status gnupg_thread_ctx(const wallet_client *c, size_t slot, void **ctx)
{
	struct wc_gnupg *g = state_of(c);
	*ctx = NULL;
	if (slot == 0) {
		*ctx = g->gpg;
		return CW_OK;
	}
	if (slot > sizeof g->pool / sizeof g->pool[0])
		return CW_ERR_INTERNAL;
	/* made in the worker's thread, in parallel with the others: each costs a gpg
	 * --version run inside gpgme; the slot belongs to that worker alone */
	gpgme_ctx_t *p = &g->pool[slot - 1];
	cw_status st = *p != NULL ? CW_OK : new_ctx(g, p);
	*ctx = *p;
	return st;
}

/* ---- keys ---- */

/* Imports n bytes that must hold the client's secret key (maybe followed by the wallet's
 * key); *ir is gpgme's result. data_what and import_what name the step in the error line. */
static cw_status import_with_secret(wallet_client *c, const unsigned char *p, size_t n,
                                    const char *data_what, const char *import_what,
                                    gpgme_import_result_t *ir)
{
	gpgme_ctx_t gpg = state_of(c)->gpg;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	cw_status st = CW_ERR_KEY;
	if ((e = gpgme_data_new_from_mem(&d, (const char *)p, n, 0)) != 0) {
		gpg_fail(c->err, sizeof c->err, data_what, e);
		goto out;
	}
	if ((e = gpgme_op_import(gpg, d)) != 0) {
		gpg_fail(c->err, sizeof c->err, import_what, e);
		goto out;
	}
	*ir = gpgme_op_import_result(gpg);
	if (*ir == NULL || (*ir)->secret_imported + (*ir)->secret_unchanged < 1) {
		wc_err(c, "%s: no secret key in the file", c->cfg.gpg_key_file);
		goto out;
	}
	st = CW_OK;
out:
	gpgme_data_release(d);
	return st;
}

static bool armored(const unsigned char *p, size_t n)
{
	static const char tag[] = "-----BEGIN PGP ";
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	return n >= sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0;
}

/* The fingerprint of the one secret key an import brought in, into secret_fpr. */
static cw_status one_secret(wallet_client *c, gpgme_import_result_t ir, char secret_fpr[41])
{
	secret_fpr[0] = '\0';
	for (gpgme_import_status_t is = ir->imports; is; is = is->next) {
		if (is->fpr == NULL || strlen(is->fpr) != 40 || is->result != 0 ||
		    !(is->status & GPGME_IMPORT_SECRET))
			continue;
		if (secret_fpr[0] != '\0' && !cw_fpr_equal(secret_fpr, is->fpr)) {
			wc_err(c, "%s: more than one secret key", c->cfg.gpg_key_file);
			return CW_ERR_KEY;
		}
		memcpy(secret_fpr, is->fpr, 41);
	}
	return CW_OK;
}

/* One gpg run for both keys of a throwaway GNUPGHOME: the client's armored secret key and the
 * wallet's armored public key, back to back. Nothing else may come in: the import result must
 * name exactly one secret key (the client's), the pinned key, and nothing else. Anything
 * unexpected lands only in this throwaway keyring, which is then refused and destroyed. */
static cw_status import_both(wallet_client *c, const unsigned char *pub, size_t publen)
{
	cw_status st;
	gpgme_import_result_t ir = NULL;
	char secret_fpr[41] = "";
	bool pinned = false;
	if ((st = cw_sbuf_append(&c->pending_key, "\n", 1)) != CW_OK ||
	    (st = cw_sbuf_append(&c->pending_key, pub, publen)) != CW_OK)
		goto out;
	if ((st = import_with_secret(c, c->pending_key.data, c->pending_key.len, "gpg keys",
	                             "importing the keys", &ir)) != CW_OK ||
	    (st = one_secret(c, ir, secret_fpr)) != CW_OK)
		goto out;
	st = CW_ERR_KEY;
	for (gpgme_import_status_t is = ir->imports; is; is = is->next) {
		if (is->fpr == NULL || is->result != 0)
			continue;
		if (cw_fpr_equal(is->fpr, c->cfg.signer) && !(is->status & GPGME_IMPORT_SECRET)) {
			pinned = true;
		} else if (!cw_fpr_equal(is->fpr, secret_fpr)) {
			wc_err(c, "the wallet's signing-key answer does not have the pinned "
			          "fingerprint (it holds another key)");
			goto out;
		}
	}
	if (!pinned || cw_fpr_equal(secret_fpr, c->cfg.signer)) {
		wc_err(c, "the wallet's signing key does not have the pinned fingerprint");
		goto out;
	}
	/* The primary key signs (wallet init makes it so); a signing subkey is looked up when
	 * a signature names one (check_sigs). */
	memcpy(c->signer_fprs[0], c->cfg.signer, 41);
	c->nsigner_fprs = 1;
	st = CW_OK;
out:
	cw_sbuf_free(&c->pending_key);
	return st;
}

/* Records the signing fingerprints (primary and subkeys) of key, which must be the pinned key
 * and usable. */
static cw_status record_signer(wallet_client *c, gpgme_key_t key)
{
	if (key->subkeys == NULL || !cw_fpr_equal(key->subkeys->fpr, c->cfg.signer)) {
		wc_err(c, "the wallet's signing key does not have the pinned fingerprint");
		return CW_ERR_KEY;
	}
	if (key->secret || key->revoked || key->expired || key->disabled || key->invalid) {
		wc_err(c, "the pinned wallet key is revoked, expired, invalid or a secret key");
		return CW_ERR_KEY;
	}
	c->nsigner_fprs = 0;
	for (gpgme_subkey_t sk = key->subkeys; sk && c->nsigner_fprs < WC_MAX_SIGNER_FPRS;
	     sk = sk->next) {
		if (sk->fpr == NULL || strlen(sk->fpr) != 40 || sk->revoked || sk->expired ||
		    sk->invalid || !sk->can_sign)
			continue;
		memcpy(c->signer_fprs[c->nsigner_fprs++], sk->fpr, 41);
	}
	if (c->nsigner_fprs == 0) {
		wc_err(c, "the pinned wallet key has no usable signing key");
		return CW_ERR_KEY;
	}
	return CW_OK;
}

/* The pinned key from an existing GNUPGHOME (a fresh throwaway one cannot hold it). */
static cw_status gnupg_load_signer(wallet_client *c)
{
	struct wc_gnupg *g = state_of(c);
	gpgme_key_t key = NULL;
	cw_status st = CW_ERR_NOTFOUND;
	if (g->tmphome)
		return CW_ERR_NOTFOUND;
	/* a listing on our own context: gpgme_get_key would make a context of its own, which
	 * costs another gpg run */
	if (gpgme_op_keylist_start(g->gpg, c->cfg.signer, 0) != 0)
		return CW_ERR_NOTFOUND;
	while (gpgme_op_keylist_next(g->gpg, &key) == 0) {
		if (st == CW_ERR_NOTFOUND && key->subkeys &&
		    cw_fpr_equal(key->subkeys->fpr, c->cfg.signer))
			st = record_signer(c, key);
		gpgme_key_unref(key);
		key = NULL;
	}
	gpgme_op_keylist_end(g->gpg);
	return st;
}

/* Lists the wallet's key answer d without importing it: exactly one key, the pinned one,
 * whose signing fingerprints are recorded. */
static cw_status list_signer(wallet_client *c, gpgme_ctx_t gpg, gpgme_data_t d)
{
	gpgme_error_t e;
	gpgme_key_t key = NULL;
	size_t nkeys = 0;
	cw_status st = CW_OK;
	if ((e = gpgme_op_keylist_from_data_start(gpg, d, 0)) != 0) {
		gpg_fail(c->err, sizeof c->err, "reading the wallet key", e);
		return CW_ERR_KEY;
	}
	while (st == CW_OK && gpgme_op_keylist_next(gpg, &key) == 0) {
		nkeys++;
		st = nkeys == 1 ? record_signer(c, key) : CW_ERR_KEY;
		gpgme_key_unref(key);
		key = NULL;
		if (st != CW_OK && nkeys > 1)
			wc_err(c, "the wallet's signing-key answer holds more than one key");
	}
	gpgme_op_keylist_end(gpg);
	if (st == CW_OK && nkeys == 0) {
		wc_err(c, "no OpenPGP key in the wallet's signing-key answer");
		st = CW_ERR_KEY;
	}
	return st;
}

/* Imports the wallet's public key, but only if every key in it is the pinned one: listing
 * the data first keeps anything else out of the keyring. The listing also gives the signing
 * fingerprints, so no keyring lookup is needed afterwards. */
static cw_status import_signer(wallet_client *c, const unsigned char *pub, size_t publen)
{
	gpgme_ctx_t gpg = state_of(c)->gpg;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	cw_status st = CW_ERR_KEY;
	if (gpgme_data_new_from_mem(&d, (const char *)pub, publen, 0) != 0)
		return CW_ERR_NOMEM;
	if (list_signer(c, gpg, d) != CW_OK)
		goto out;
	if (gpgme_data_seek(d, 0, SEEK_SET) != 0) {
		wc_err(c, "cannot rewind the wallet key");
		goto out;
	}
	if ((e = gpgme_op_import(gpg, d)) != 0) {
		gpg_fail(c->err, sizeof c->err, "importing the wallet key", e);
		goto out;
	}
	gpgme_import_result_t ir = gpgme_op_import_result(gpg);
	if (ir == NULL || ir->considered != 1 || ir->not_imported > 0 || ir->imports == NULL ||
	    !cw_fpr_equal(ir->imports->fpr, c->cfg.signer)) {
		wc_err(c, "the wallet key was not imported");
		goto out;
	}
	st = CW_OK;
out:
	if (st != CW_OK)
		c->nsigner_fprs = 0;
	gpgme_data_release(d);
	return st;
}

static cw_status gnupg_import_keys(wallet_client *c, const unsigned char *pub, size_t publen)
{
	gpgme_import_result_t ir = NULL;
	if (c->pending_key.len > 0 && armored(c->pending_key.data, c->pending_key.len) &&
	    armored(pub, publen))
		return import_both(c, pub, publen);
	if (c->pending_key.len > 0) {
		/* the client's secret key alone, then the wallet's */
		cw_status st = import_with_secret(c, c->pending_key.data, c->pending_key.len,
		                                  "gpg key", "importing the gpg key", &ir);
		cw_sbuf_free(&c->pending_key);
		if (st != CW_OK)
			return st;
	}
	return import_signer(c, pub, publen);
}

/* ---- opening ---- */

/* Whether fpr names a sound signing subkey of the pinned key (asking the keyring whose it
 * is). */
static bool pinned_subkey(struct wc_opener *o, const char *fpr)
{
	gpgme_key_t key = NULL;
	bool pinned = false;
	if (fpr == NULL || strlen(fpr) != 40)
		return false;
	if (gpgme_get_key(o->ctx, fpr, &key, 0) == 0 && key->subkeys &&
	    cw_fpr_equal(key->subkeys->fpr, o->c->cfg.signer) && !key->revoked && !key->expired &&
	    !key->invalid && !key->disabled) {
		for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next)
			if (sk->fpr && cw_fpr_equal(sk->fpr, fpr) && sk->can_sign && !sk->revoked &&
			    !sk->expired && !sk->invalid)
				pinned = true;
	}
	gpgme_key_unref(key);
	return pinned;
}

/* A signature counts only when it is good and made by the pinned key (its primary key or
 * one of its signing subkeys); exactly one signature is expected. */
static cw_status check_sigs(struct wc_opener *o, gpgme_verify_result_t vr, const char *what,
                            gpgme_signature_t *out)
{
	if (vr == NULL || vr->signatures == NULL) {
		wc_oerr(o, "%s: no signature", what);
		return CW_ERR_BADSIG;
	}
	gpgme_signature_t s = vr->signatures;
	if (s->next != NULL) {
		wc_oerr(o, "%s: more than one signature", what);
		return CW_ERR_BADSIG;
	}
	o->unknown_signer = gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY ||
	                    (s->summary & GPGME_SIGSUM_KEY_MISSING);
	if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR) {
		char buf[300];
		cw_gpg_errstr(s->status, buf, sizeof buf);
		wc_oerr(o, "%s: signature not good (%s)", what, buf);
		return CW_ERR_BADSIG;
	}
	if (s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
	                  GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING)) {
		wc_oerr(o, "%s: signature by a revoked, expired or missing key", what);
		return CW_ERR_BADSIG;
	}
	bool pinned = false;
	for (size_t i = 0; i < o->c->nsigner_fprs; i++)
		if (s->fpr && cw_fpr_equal(s->fpr, o->c->signer_fprs[i]))
			pinned = true;
	if (!pinned && !pinned_subkey(o, s->fpr)) {
		wc_oerr(o, "%s: signed by %s, not by the pinned wallet key", what,
		        s->fpr ? s->fpr : "an unknown key");
		return CW_ERR_BADSIG;
	}
	*out = s;
	return CW_OK;
}

static ssize_t plain_write(void *handle, const void *buf, size_t size)
{
	if (wc_plain_append(handle, buf, size) != CW_OK) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)size;
}

/* The value of notation name; NULL when absent, and *dup set when it appears twice. */
static const char *notation(gpgme_signature_t s, const char *name, bool *dup)
{
	const char *v = NULL;
	for (gpgme_sig_notation_t n = s->notations; n; n = n->next) {
		if (n->name == NULL || strcmp(n->name, name) != 0)
			continue;
		if (v != NULL)
			*dup = true;
		v = n->value;
	}
	return v;
}

/* 2. Decryption into secure memory and the inner signature; *s is that signature. */
static cw_status decrypt_verify(struct wc_opener *o, gpgme_data_t cd, gpgme_data_t pd,
                                gpgme_signature_t *s)
{
	gpgme_ctx_t gpg = o->ctx;
	gpgme_error_t e;
	if (gpgme_data_seek(cd, 0, SEEK_SET) != 0)
		return CW_ERR_INTERNAL;
	if ((e = gpgme_op_decrypt_verify(gpg, cd, pd)) != 0) {
		gpg_fail(o->err, o->errsz, "decryption", e);
		return gpgme_err_code(e) == GPG_ERR_NO_SECKEY ? CW_ERR_KEY : CW_ERR_CRYPTO;
	}
	gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(gpg);
	if (dr == NULL || dr->wrong_key_usage || dr->unsupported_algorithm) {
		wc_oerr(o, "decryption: unacceptable message");
		return CW_ERR_CRYPTO;
	}
	return check_sigs(o, gpgme_op_verify_result(gpg), "inner signature", s);
}

/* gpg-agent (GnuPG 2.2) rewrites a secret key file in place the first time it uses a key
 * that an import stored (it converts the key to its own format), and a decryption that
 * reads the file meanwhile gets part of it: "Unmatched parentheses in S-expression". So a
 * client's first decryption runs alone, the others wait for it, and once one succeeded
 * they run in parallel. */
static cw_status first_alone(struct wc_opener *o, gpgme_data_t cd, gpgme_data_t pd,
                             gpgme_signature_t *s)
{
	struct wc_gnupg *g = state_of(o->c);
	bool held = g->first_mu_ok && pthread_mutex_lock(&g->first_mu) == 0;
	if (held && g->decrypted) {
		pthread_mutex_unlock(&g->first_mu);
		held = false;
	}
	cw_status st = decrypt_verify(o, cd, pd, s);
	if (held) {
		g->decrypted = st == CW_OK;
		pthread_mutex_unlock(&g->first_mu);
	}
	return st;
}

static cw_status gnupg_open(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                            uint64_t *version)
{
	cw_status st = CW_ERR_CRYPTO;
	gpgme_data_t sd = NULL, cd = NULL, pd = NULL;
	gpgme_error_t e;
	gpgme_signature_t s;
	struct gpgme_data_cbs cbs = {NULL, plain_write, NULL, NULL};
	if ((!in->prechecked &&
	     gpgme_data_new_from_mem(&sd, (const char *)in->sig, in->sig_len, 0) != 0) ||
	    gpgme_data_new_from_mem(&cd, (const char *)in->sealed, in->sealed_len, 0) != 0 ||
	    gpgme_data_new_from_cbs(&pd, &cbs, plain) != 0) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	/* 1. the detached signature over the sealed bytes, before decryption (unless a verified
	 * manifest vouches for exactly these bytes) */
	if (!in->prechecked) {
		if ((e = gpgme_op_verify(o->ctx, sd, cd, NULL)) != 0) {
			gpg_fail(o->err, o->errsz, "detached signature", e);
			st = CW_ERR_BADSIG;
			goto out;
		}
		st = check_sigs(o, gpgme_op_verify_result(o->ctx), "detached signature", &s);
		if (st != CW_OK)
			goto out;
	}
	if ((st = first_alone(o, cd, pd, &s)) != CW_OK)
		goto out;
	/* 3. the binding: signed name and version */
	bool dup = false;
	const char *sname = notation(s, CW_NOTATION_NAME, &dup);
	const char *sver = notation(s, CW_NOTATION_VERSION, &dup);
	st = wc_check_binding(o, in, sname, sver, dup, version);
out:
	gpgme_data_release(sd);
	gpgme_data_release(cd);
	gpgme_data_release(pd);
	return st;
}

static cw_status gnupg_open_manifest(struct wc_opener *o, const unsigned char *data, size_t len,
                                     const char *client, unsigned char **doc, size_t *doclen)
{
	cw_status st = CW_ERR_NOMEM;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_signature_t s;
	gpgme_error_t e;
	*doc = NULL;
	*doclen = 0;
	if (gpgme_data_new_from_mem(&in, (const char *)data, len, 0) != 0 ||
	    gpgme_data_new(&out) != 0)
		goto out;
	if ((e = gpgme_op_verify(o->ctx, in, NULL, out)) != 0) {
		gpg_fail(o->err, o->errsz, "manifest", e);
		st = CW_ERR_BADSIG;
		goto out;
	}
	if ((st = check_sigs(o, gpgme_op_verify_result(o->ctx), "manifest", &s)) != CW_OK)
		goto out;
	bool dup = false;
	const char *who = notation(s, CW_NOTATION_MANIFEST, &dup);
	if (dup || who == NULL || strcmp(who, client) != 0) {
		if (who != NULL && !dup)
			wc_oerr(o, "manifest for another client (its notation names %.64s)", who);
		else
			wc_oerr(o, "manifest: %s",
			        dup ? "several client notations" : "no notation naming the client");
		st = CW_ERR_BADSIG;
		goto out;
	}
	size_t n = 0;
	char *m = gpgme_data_release_and_get_mem(out, &n);
	out = NULL;
	st = CW_ERR_NOMEM;
	if (m != NULL && (*doc = malloc(n ? n : 1)) != NULL) {
		memcpy(*doc, m, n);
		*doclen = n;
		st = CW_OK;
	}
	gpgme_free(m);
out:
	gpgme_data_release(in);
	gpgme_data_release(out);
	return st;
}

const struct wc_engine_ops wc_engine_gnupg = {
    .name = "gnupg",
    /* gpg processes spend much of their time waiting for exec, the agent and I/O: opening
     * runs in a few threads */
    .max_threads = WC_MAX_WORKERS,
    .init = gnupg_init,
    .load_signer = gnupg_load_signer,
    .import_keys = gnupg_import_keys,
    .refresh_signer = import_signer, /* lists the copy first: only the pinned key comes in */
    .thread_ctx = gnupg_thread_ctx,
    .open = gnupg_open,
    .open_manifest = gnupg_open_manifest,
    .free = gnupg_free,
};
