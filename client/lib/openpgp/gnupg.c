/* libwalletclient: opening a sealed object. Verifies the detached signature before anything
 * reaches the decryptor, then decrypts with the output going through callbacks straight into
 * secure memory, and checks the inner signature and its name/version notations
 * (docs/FORMAT.md). The gnupg engine is here, with what both engines share: the binding
 * check. The rnp engine is in rnp.c. */
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

void wc_oerr(struct wc_opener *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->err, o->errsz, fmt, ap);
	va_end(ap);
}

/* How much stack below wc_open_sealed is zeroed once an object is opened. */
#define OPEN_STACK_SCRUB ((size_t)256 << 10)

static void ogpg_err(struct wc_opener *o, const char *what, gpgme_error_t e)
{
	char buf[300];
	cw_gpg_errstr(e, buf, sizeof buf);
	wc_oerr(o, "%s: %s", what, buf);
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
	if (!pinned && s->fpr != NULL && strlen(s->fpr) == 40) {
		/* maybe a signing subkey of the pinned key: ask the keyring whose it is */
		gpgme_key_t key = NULL;
		if (gpgme_get_key(o->gpg, s->fpr, &key, 0) == 0 && key->subkeys &&
		    cw_fpr_equal(key->subkeys->fpr, o->c->cfg.signer) && !key->revoked &&
		    !key->expired && !key->invalid && !key->disabled) {
			for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next)
				if (sk->fpr && cw_fpr_equal(sk->fpr, s->fpr) && sk->can_sign &&
				    !sk->revoked && !sk->expired && !sk->invalid)
					pinned = true;
		}
		gpgme_key_unref(key);
	}
	if (!pinned) {
		wc_oerr(o, "%s: signed by %s, not by the pinned wallet key", what,
		        s->fpr ? s->fpr : "an unknown key");
		return CW_ERR_BADSIG;
	}
	*out = s;
	return CW_OK;
}

cw_status wc_plain_append(cw_sbuf *plain, const void *buf, size_t size)
{
	/* what comes out of a decryption is bounded like what goes in (compression could
	 * otherwise make much more of it) */
	if (size > WC_MAX_OBJECT - plain->len)
		return CW_ERR_TOOBIG;
	return cw_sbuf_append(plain, buf, size);
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

static cw_status open_gnupg(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                            uint64_t *version)
{
	cw_status st = CW_ERR_CRYPTO;
	gpgme_data_t sd = NULL, cd = NULL, pd = NULL;
	gpgme_error_t e;
	gpgme_signature_t s;
	struct gpgme_data_cbs cbs = {NULL, plain_write, NULL, NULL};
	if (gpgme_data_new_from_mem(&sd, (const char *)in->sig, in->sig_len, 0) != 0 ||
	    gpgme_data_new_from_mem(&cd, (const char *)in->sealed, in->sealed_len, 0) != 0 ||
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
		wc_oerr(o, "decryption: unacceptable message");
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
	st = wc_check_binding(o, in, sname, sver, dup, version);
out:
	gpgme_data_release(sd);
	gpgme_data_release(cd);
	gpgme_data_release(pd);
	return st;
}

cw_status wc_check_binding(struct wc_opener *o, const struct wc_sealed *in, const char *sname,
                           const char *sver, bool dup, uint64_t *version)
{
	uint64_t v = 0;
	if (dup || sname == NULL || sver == NULL || !cw_version_parse(sver, strlen(sver), &v)) {
		wc_oerr(o, "the signed content lacks a single name and version notation");
		return CW_ERR_BINDING;
	}
	if (strcmp(sname, in->name) != 0) {
		wc_oerr(o, "asked for %s, the wallet signed %s", in->name, sname);
		return CW_ERR_BINDING;
	}
	if (v != in->hdr_version || (in->want_version != 0 && v != in->want_version)) {
		wc_oerr(o, "signed version %llu differs from the version served or asked for",
		        (unsigned long long)v);
		return CW_ERR_BINDING;
	}
	if (v < in->min_version) {
		wc_oerr(o, "version %llu is below the minimum %llu", (unsigned long long)v,
		        (unsigned long long)in->min_version);
		return CW_ERR_ROLLBACK;
	}
	*version = v;
	return CW_OK;
}

cw_status wc_open_sealed(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                         uint64_t *version)
{
	uint64_t v = 0;
	cw_status st = o->c->use_rnp ? wc_rnp_open(o, in, plain, &v) : open_gnupg(o, in, plain, &v);
	/* a NUL after the content, not counted, so text secrets are C strings */
	if (st == CW_OK && (st = cw_sbuf_append(plain, "", 1)) == CW_OK) {
		plain->len--;
		*version = v;
	}
	if (st != CW_OK)
		cw_sbuf_free(plain);
	/* The engines' buffers lived in the frames below this one (librnp's decryption
	 * buffers; gpgme's read buffer for gpg's output): zero them, in whichever thread this
	 * runs. */
	(void)cw_scrub_stack(OPEN_STACK_SCRUB);
	return st;
}
