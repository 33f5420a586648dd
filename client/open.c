/* libwalletclient: the GPG side. Imports the client's key and the pinned wallet key, verifies
 * the detached signature before anything reaches the decryptor, then decrypts with the output
 * going through callbacks straight into secure memory, and checks the inner signature and its
 * name/version notations (docs/FORMAT.md). */
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

cw_status wc_gpg_setup(wallet_client *c)
{
	cw_status st;
	cw_sbuf key = { 0 };
	gpgme_data_t kd = NULL;
	gpgme_error_t e;
	if (c->cfg.gpg_key_file != NULL) {
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
	st = cw_gpg_ctx(c->home[0] ? c->home : NULL, &c->gpg);
	if (st != CW_OK) {
		wc_err(c, "gpgme or gpg is unusable");
		goto out;
	}
	if (c->cfg.gpg_key_file == NULL)
		goto out;
	st = read_key_file(c, c->cfg.gpg_key_file, &key);
	if (st != CW_OK)
		goto out;
	st = CW_ERR_KEY;
	if ((e = gpgme_data_new_from_mem(&kd, (const char *)key.data, key.len, 0)) != 0) {
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
	cw_sbuf_free(&key);
	return st;
}

void wc_gpg_teardown(wallet_client *c)
{
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
	if (gpgme_get_key(c->gpg, c->cfg.signer, &key, 0) != 0)
		return CW_ERR_NOTFOUND;
	cw_status st = record_signer(c, key);
	gpgme_key_unref(key);
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
				wc_err(c, "the wallet's signing-key answer holds more than one key");
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
	cw_sbuf file = { 0 };
	struct wc_resp r = { 0 };
	if (c->signer_ready)
		return CW_OK;
	/* an existing GNUPGHOME may already hold it; a fresh throwaway one cannot */
	if (!c->tmphome) {
		st = load_signer(c);
		if (st != CW_ERR_NOTFOUND)
			goto out;
	}
	if (c->cfg.signer_key_file != NULL) {
		st = read_key_file(c, c->cfg.signer_key_file, &file);
		if (st != CW_OK)
			goto out;
		st = gpgme_data_new_from_mem(&d, (const char *)file.data, file.len, 0) ? CW_ERR_NOMEM
										      : CW_OK;
	} else {
		st = wc_http_get(c, CW_API_SIGNING_KEY, WC_MAX_KEY, &r);
		if (st != CW_OK)
			goto out;
		st = gpgme_data_new_from_mem(&d, (const char *)r.body, r.len, 0) ? CW_ERR_NOMEM
										 : CW_OK;
	}
	if (st != CW_OK)
		goto out;
	st = import_signer(c, d);
out:
	if (st == CW_OK)
		c->signer_ready = true;
	gpgme_data_release(d);
	cw_sbuf_free(&file);
	wc_resp_free(&r);
	return st;
}

static void oerr(struct wc_opener *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void oerr(struct wc_opener *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->err, o->errsz, fmt, ap);
	va_end(ap);
}

static void ogpg_err(struct wc_opener *o, const char *what, gpgme_error_t e)
{
	char buf[300];
	cw_gpg_errstr(e, buf, sizeof buf);
	oerr(o, "%s: %s", what, buf);
}

/* A signature counts only when it is good and made by the pinned key (its primary key or
 * one of its signing subkeys); exactly one signature is expected. */
static cw_status check_sigs(struct wc_opener *o, gpgme_verify_result_t vr, const char *what,
			    gpgme_signature_t *out)
{
	if (vr == NULL || vr->signatures == NULL) {
		oerr(o, "%s: no signature", what);
		return CW_ERR_BADSIG;
	}
	gpgme_signature_t s = vr->signatures;
	if (s->next != NULL) {
		oerr(o, "%s: more than one signature", what);
		return CW_ERR_BADSIG;
	}
	if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR) {
		char buf[300];
		cw_gpg_errstr(s->status, buf, sizeof buf);
		oerr(o, "%s: signature not good (%s)", what, buf);
		return CW_ERR_BADSIG;
	}
	if (s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
			  GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING)) {
		oerr(o, "%s: signature by a revoked, expired or missing key", what);
		return CW_ERR_BADSIG;
	}
	bool pinned = false;
	for (size_t i = 0; i < o->c->nsigner_fprs; i++)
		if (s->fpr && cw_fpr_equal(s->fpr, o->c->signer_fprs[i]))
			pinned = true;
	if (!pinned) {
		oerr(o, "%s: signed by %s, not by the pinned wallet key", what,
		       s->fpr ? s->fpr : "an unknown key");
		return CW_ERR_BADSIG;
	}
	*out = s;
	return CW_OK;
}

static ssize_t plain_write(void *handle, const void *buf, size_t size)
{
	cw_sbuf *b = handle;
	if (cw_sbuf_append(b, buf, size) != CW_OK) {
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

cw_status wc_open_sealed(struct wc_opener *o, const char *name, uint64_t hdr_version,
			 uint64_t want_version, uint64_t min_version, const unsigned char *sealed,
			 size_t sealed_len, const unsigned char *sig, size_t sig_len, cw_sbuf *plain,
			 uint64_t *version)
{
	cw_status st = CW_ERR_CRYPTO;
	gpgme_data_t sd = NULL, cd = NULL, pd = NULL;
	gpgme_error_t e;
	gpgme_signature_t s;
	struct gpgme_data_cbs cbs = { NULL, plain_write, NULL, NULL };
	if (gpgme_data_new_from_mem(&sd, (const char *)sig, sig_len, 0) != 0 ||
	    gpgme_data_new_from_mem(&cd, (const char *)sealed, sealed_len, 0) != 0 ||
	    gpgme_data_new_from_cbs(&pd, &cbs, plain) != 0) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	/* 1. the detached signature over the sealed bytes, before decryption */
	if ((e = gpgme_op_verify(o->gpg, sd, cd, NULL)) != 0) {
		ogpg_err(o, "detached signature", e);
		st = CW_ERR_BADSIG;
		goto out;
	}
	st = check_sigs(o, gpgme_op_verify_result(o->gpg), "detached signature", &s);
	if (st != CW_OK)
		goto out;
	/* 2. decrypt into secure memory and verify the inner signature */
	if (gpgme_data_seek(cd, 0, SEEK_SET) != 0) {
		st = CW_ERR_INTERNAL;
		goto out;
	}
	if ((e = gpgme_op_decrypt_verify(o->gpg, cd, pd)) != 0) {
		ogpg_err(o, "decryption", e);
		st = gpgme_err_code(e) == GPG_ERR_NO_SECKEY ? CW_ERR_KEY : CW_ERR_CRYPTO;
		goto out;
	}
	gpgme_decrypt_result_t dr = gpgme_op_decrypt_result(o->gpg);
	if (dr == NULL || dr->wrong_key_usage || dr->unsupported_algorithm) {
		oerr(o, "decryption: unacceptable message");
		st = CW_ERR_CRYPTO;
		goto out;
	}
	st = check_sigs(o, gpgme_op_verify_result(o->gpg), "inner signature", &s);
	if (st != CW_OK)
		goto out;
	/* 3. the binding: signed name and version */
	bool dup = false;
	const char *sname = notation(s, CW_NOTATION_NAME, &dup);
	const char *sver = notation(s, CW_NOTATION_VERSION, &dup);
	uint64_t v = 0;
	st = CW_ERR_BINDING;
	if (dup || sname == NULL || sver == NULL || !wc_parse_version(sver, &v)) {
		oerr(o, "the signed content lacks a single name and version notation");
		goto out;
	}
	if (strcmp(sname, name) != 0) {
		oerr(o, "asked for %s, the wallet signed %s", name, sname);
		goto out;
	}
	if (v != hdr_version || (want_version != 0 && v != want_version)) {
		oerr(o, "signed version %llu differs from the version served or asked for",
		       (unsigned long long)v);
		goto out;
	}
	if (v < min_version) {
		oerr(o, "version %llu is below the minimum %llu", (unsigned long long)v,
		       (unsigned long long)min_version);
		st = CW_ERR_ROLLBACK;
		goto out;
	}
	/* a NUL after the content, not counted, so text secrets are C strings */
	if ((st = cw_sbuf_append(plain, "", 1)) != CW_OK)
		goto out;
	plain->len--;
	*version = v;
	st = CW_OK;
out:
	gpgme_data_release(sd);
	gpgme_data_release(cd);
	gpgme_data_release(pd);
	if (st != CW_OK)
		cw_sbuf_free(plain);
	return st;
}
