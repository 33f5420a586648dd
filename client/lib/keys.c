/* libwalletclient: GPG key material. The client's secret key (a file, read into the rnp
 * engine's keyring or imported into a throwaway GNUPGHOME on a memory file system; or an
 * existing GNUPGHOME) and the pinned wallet signing key, which enters a keyring only with the
 * pinned primary fingerprint. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "gpgutil.h"
#include "sealfmt.h"
#include "wc_internal.h"

static void gpg_err(wallet_client *c, const char *what, gpgme_error_t e)
{
	char buf[300];
	cw_gpg_errstr(e, buf, sizeof buf);
	wc_err(c, "%s: %s", what, buf);
}

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

cw_status wc_gpg_new_ctx(const wallet_client *c, gpgme_ctx_t *out)
{
	cw_status st = cw_gpg_ctx(c->home[0] ? c->home : NULL, out);
	/* An existing GNUPGHOME may reach the host's gpg-agent through its restricted "extra"
	 * socket, which refuses loopback pinentry: let that agent apply its own pinentry
	 * settings. A throwaway home keeps loopback (nothing can ever prompt). */
	if (st == CW_OK && !c->tmphome &&
	    gpgme_set_pinentry_mode(*out, GPGME_PINENTRY_MODE_DEFAULT) != 0) {
		gpgme_release(*out);
		*out = NULL;
		st = CW_ERR_CRYPTO;
	}
	return st;
}

cw_status wc_gpg_setup(wallet_client *c)
{
	cw_status st = CW_OK;
	bool rnp = c->cfg.openpgp == WALLET_OPENPGP_RNP ||
	           (c->cfg.openpgp == WALLET_OPENPGP_AUTO && c->cfg.gpg_key_file != NULL);
	if (rnp) {
		if (c->cfg.gpg_key_file == NULL) {
			wc_err(c, "the rnp engine needs a GPG key file");
			return CW_ERR_USAGE;
		}
		if ((st = wc_rnp_setup(c)) != CW_OK)
			return st;
	} else if (c->cfg.gpg_key_file != NULL) {
		st = cw_gpg_tmphome("walletclient", c->home, sizeof c->home);
		if (st != CW_OK) {
			wc_err(c, "no memory file system for a throwaway GNUPGHOME (tried "
			          "$XDG_RUNTIME_DIR, /dev/shm, /run)");
			goto out;
		}
		c->tmphome = true;
	} else if (c->cfg.gnupghome != NULL) {
		if (cw_path(c->home, sizeof c->home, "%s", c->cfg.gnupghome) != CW_OK) {
			st = CW_ERR_USAGE;
			wc_err(c, "GNUPGHOME path too long");
			goto out;
		}
	}
	if (!rnp && (st = wc_gpg_new_ctx(c, &c->gpg)) != CW_OK) {
		wc_err(c, "gpgme or gpg is unusable");
		goto out;
	}
	/* The key is imported with the wallet's key (in one gpg run for gnupg) at the first
	 * request. */
	if (c->cfg.gpg_key_file != NULL) {
		st = read_key_file(c, c->cfg.gpg_key_file, &c->pending_key);
		if (st == CW_OK && c->pending_key.len == 0) {
			wc_err(c, "%s: empty key file", c->cfg.gpg_key_file);
			st = CW_ERR_KEY;
		}
	}
out:
	return st;
}

/* Imports the client's secret key alone. */
static cw_status import_secret(wallet_client *c)
{
	gpgme_data_t kd = NULL;
	gpgme_error_t e;
	cw_status st = CW_ERR_KEY;
	if ((e = gpgme_data_new_from_mem(&kd, (const char *)c->pending_key.data, c->pending_key.len,
	                                 0)) != 0) {
		gpg_err(c, "gpg key", e);
		goto out;
	}
	if ((e = gpgme_op_import(c->gpg, kd)) != 0) {
		gpg_err(c, "importing the gpg key", e);
		goto out;
	}
	gpgme_import_result_t ir = gpgme_op_import_result(c->gpg);
	if (ir == NULL || ir->secret_imported + ir->secret_unchanged < 1) {
		wc_err(c, "%s: no secret key in the file", c->cfg.gpg_key_file);
		goto out;
	}
	st = CW_OK;
out:
	gpgme_data_release(kd);
	cw_sbuf_free(&c->pending_key);
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

/* One gpg run for both keys of a throwaway GNUPGHOME: the client's armored secret key and the
 * wallet's armored public key, back to back. Nothing else may come in: the import result must
 * name exactly one secret key (the client's), the pinned key, and nothing else. Anything
 * unexpected lands only in this throwaway keyring, which is then refused and destroyed. */
static cw_status import_both(wallet_client *c, const unsigned char *pub, size_t publen)
{
	cw_status st;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	char secret_fpr[41] = "";
	bool pinned = false;
	if ((st = cw_sbuf_append(&c->pending_key, "\n", 1)) != CW_OK ||
	    (st = cw_sbuf_append(&c->pending_key, pub, publen)) != CW_OK)
		goto out;
	st = CW_ERR_KEY;
	if ((e = gpgme_data_new_from_mem(&d, (const char *)c->pending_key.data, c->pending_key.len,
	                                 0)) != 0) {
		gpg_err(c, "gpg keys", e);
		goto out;
	}
	if ((e = gpgme_op_import(c->gpg, d)) != 0) {
		gpg_err(c, "importing the keys", e);
		goto out;
	}
	gpgme_import_result_t ir = gpgme_op_import_result(c->gpg);
	if (ir == NULL || ir->secret_imported + ir->secret_unchanged < 1) {
		wc_err(c, "%s: no secret key in the file", c->cfg.gpg_key_file);
		goto out;
	}
	for (gpgme_import_status_t is = ir->imports; is; is = is->next) {
		if (is->fpr == NULL || strlen(is->fpr) != 40 || is->result != 0)
			continue;
		if (is->status & GPGME_IMPORT_SECRET) {
			if (secret_fpr[0] != '\0' && !cw_fpr_equal(secret_fpr, is->fpr)) {
				wc_err(c, "%s: more than one secret key", c->cfg.gpg_key_file);
				goto out;
			}
			memcpy(secret_fpr, is->fpr, 41);
		}
	}
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
	 * a signature names one (open.c). */
	memcpy(c->signer_fprs[0], c->cfg.signer, 41);
	c->nsigner_fprs = 1;
	st = CW_OK;
out:
	gpgme_data_release(d);
	cw_sbuf_free(&c->pending_key);
	return st;
}

void wc_gpg_teardown(wallet_client *c)
{
	cw_sbuf_free(&c->pending_key);
	wc_rnp_teardown(c);
	if (c->gpg != NULL)
		gpgme_release(c->gpg);
	c->gpg = NULL;
	for (size_t i = 0; i < WC_MAX_WORKERS; i++) {
		if (c->pool[i] != NULL)
			gpgme_release(c->pool[i]);
		c->pool[i] = NULL;
	}
	if (c->tmphome)
		(void)cw_gpg_destroy_home(c->home);
	c->tmphome = false;
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

/* The pinned key from the keyring; CW_ERR_NOTFOUND when it is not there. */
static cw_status load_signer(wallet_client *c)
{
	gpgme_key_t key = NULL;
	cw_status st = CW_ERR_NOTFOUND;
	/* a listing on our own context: gpgme_get_key would make a context of its own, which
	 * costs another gpg run */
	if (gpgme_op_keylist_start(c->gpg, c->cfg.signer, 0) != 0)
		return CW_ERR_NOTFOUND;
	while (gpgme_op_keylist_next(c->gpg, &key) == 0) {
		if (st == CW_ERR_NOTFOUND && key->subkeys &&
		    cw_fpr_equal(key->subkeys->fpr, c->cfg.signer))
			st = record_signer(c, key);
		gpgme_key_unref(key);
		key = NULL;
	}
	gpgme_op_keylist_end(c->gpg);
	return st;
}

/* Imports the wallet's public key from data, but only if every key in it is the pinned one:
 * listing the data first keeps anything else out of the keyring. The listing also gives the
 * signing fingerprints, so no keyring lookup is needed afterwards. */
static cw_status import_signer(wallet_client *c, gpgme_data_t d)
{
	gpgme_error_t e;
	gpgme_key_t key = NULL;
	size_t nkeys = 0;
	cw_status st = CW_ERR_KEY;
	if ((e = gpgme_op_keylist_from_data_start(c->gpg, d, 0)) != 0) {
		gpg_err(c, "reading the wallet key", e);
		goto out;
	}
	while ((e = gpgme_op_keylist_next(c->gpg, &key)) == 0) {
		nkeys++;
		cw_status kst = nkeys == 1 ? record_signer(c, key) : CW_ERR_KEY;
		gpgme_key_unref(key);
		key = NULL;
		if (kst != CW_OK) {
			if (nkeys > 1)
				wc_err(c,
				       "the wallet's signing-key answer holds more than one key");
			gpgme_op_keylist_end(c->gpg);
			goto out;
		}
	}
	gpgme_op_keylist_end(c->gpg);
	if (nkeys == 0) {
		wc_err(c, "no OpenPGP key in the wallet's signing-key answer");
		goto out;
	}
	if (gpgme_data_seek(d, 0, SEEK_SET) != 0) {
		wc_err(c, "cannot rewind the wallet key");
		goto out;
	}
	if ((e = gpgme_op_import(c->gpg, d)) != 0) {
		gpg_err(c, "importing the wallet key", e);
		goto out;
	}
	gpgme_import_result_t ir = gpgme_op_import_result(c->gpg);
	if (ir == NULL || ir->considered != 1 || ir->not_imported > 0 || ir->imports == NULL ||
	    !cw_fpr_equal(ir->imports->fpr, c->cfg.signer)) {
		wc_err(c, "the wallet key was not imported");
		goto out;
	}
	st = CW_OK;
out:
	if (st != CW_OK)
		c->nsigner_fprs = 0;
	return st;
}

cw_status wc_signer_ensure(wallet_client *c)
{
	cw_status st;
	gpgme_data_t d = NULL;
	cw_sbuf file = {0};
	struct wc_resp r = {0};
	const unsigned char *pub;
	size_t publen;
	if (c->signer_ready)
		return CW_OK;
	/* an existing GNUPGHOME may already hold it; a fresh throwaway one cannot */
	if (!c->use_rnp && !c->tmphome) {
		st = load_signer(c);
		if (st != CW_ERR_NOTFOUND)
			goto out;
	}
	if (c->cfg.signer_key_file != NULL) {
		st = read_key_file(c, c->cfg.signer_key_file, &file);
		pub = file.data;
		publen = file.len;
	} else {
		st = wc_http_get(c, CW_API_SIGNING_KEY, WC_MAX_KEY, &r);
		pub = r.body;
		publen = r.len;
	}
	if (st != CW_OK)
		goto out;
	if (c->use_rnp) {
		st = wc_rnp_import(c, pub, publen);
		goto out;
	}
	if (c->pending_key.len > 0 && armored(c->pending_key.data, c->pending_key.len) &&
	    armored(pub, publen)) {
		st = import_both(c, pub, publen);
		goto out;
	}
	if (c->pending_key.len > 0 && (st = import_secret(c)) != CW_OK)
		goto out;
	if (gpgme_data_new_from_mem(&d, (const char *)pub, publen, 0) != 0) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	st = import_signer(c, d);
out:
	if (st == CW_OK)
		c->signer_ready = true;
	gpgme_data_release(d);
	cw_sbuf_free(&file);
	wc_resp_free(&r);
	return st;
}
