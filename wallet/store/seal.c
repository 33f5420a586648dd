#include "seal.h"

#include <gpgme.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpgutil.h"
#include "keyring.h"
#include "sealfmt.h"

/* gpgme memory -> malloc'd copy (public bytes only). */
static cw_status take_mem(gpgme_data_t *d, unsigned char **out, size_t *len)
{
	size_t n = 0;
	char *m = gpgme_data_release_and_get_mem(*d, &n);
	*d = NULL;
	*out = NULL;
	*len = 0;
	if (m == NULL || n == 0) {
		gpgme_free(m);
		return CW_ERR_CRYPTO;
	}
	*out = malloc(n);
	if (*out == NULL) {
		gpgme_free(m);
		return CW_ERR_NOMEM;
	}
	memcpy(*out, m, n);
	*len = n;
	gpgme_free(m);
	return CW_OK;
}

static void keys_free(gpgme_key_t *keys, size_t n)
{
	for (size_t i = 0; keys != NULL && i < n; i++)
		if (keys[i] != NULL)
			gpgme_key_unref(keys[i]);
	free(keys);
}

/* Makes the wallet key ctx's signer (*skey) and looks up every recipient's key into *keys
 * (in->nrcpt entries and a NULL; free with keys_free). CW_ERR_KEY for a recipient's key that is
 * missing or unusable. */
static cw_status load_keys(gpgme_ctx_t ctx, const struct wg_seal_in *in, gpgme_key_t *skey,
                           gpgme_key_t **keys, char *err, size_t errsz)
{
	gpgme_error_t ge;
	if ((ge = gpgme_get_key(ctx, in->signer, skey, 1)) != 0 ||
	    (ge = gpgme_signers_add(ctx, *skey)) != 0) {
		cw_gpg_errfmt(err, errsz, "wallet signing key unusable", ge);
		return CW_ERR_CRYPTO;
	}
	if ((*keys = calloc(in->nrcpt + 1, sizeof **keys)) == NULL)
		return CW_ERR_NOMEM;
	for (size_t i = 0; i < in->nrcpt; i++) {
		if ((ge = gpgme_get_key(ctx, in->rcpt[i].fingerprint, &(*keys)[i], 0)) != 0) {
			char what[128];
			snprintf(what, sizeof what, "key of client %s not in the keyring",
			         in->rcpt[i].client);
			cw_gpg_errfmt(err, errsz, what, ge);
			return CW_ERR_KEY;
		}
		const char *why = wg_key_problem((*keys)[i]);
		if (why != NULL) {
			snprintf(err, errsz, "key of client %s unusable: %s", in->rcpt[i].client,
			         why);
			return CW_ERR_KEY;
		}
	}
	return CW_OK;
}

/* The name, version and creation time as hashed notations of the next signature. */
static cw_status add_notations(gpgme_ctx_t ctx, const struct wg_seal_in *in, char *err,
                               size_t errsz)
{
	char ver[32];
	gpgme_error_t ge;
	snprintf(ver, sizeof ver, "%" PRIu64, in->version);
	if ((ge = gpgme_sig_notation_add(ctx, CW_NOTATION_NAME, in->name,
	                                 GPGME_SIG_NOTATION_HUMAN_READABLE)) != 0 ||
	    (ge = gpgme_sig_notation_add(ctx, CW_NOTATION_VERSION, ver,
	                                 GPGME_SIG_NOTATION_HUMAN_READABLE)) != 0 ||
	    (ge = gpgme_sig_notation_add(ctx, CW_NOTATION_CREATED, in->created,
	                                 GPGME_SIG_NOTATION_HUMAN_READABLE)) != 0) {
		cw_gpg_errfmt(err, errsz, "cannot set notations", ge);
		return CW_ERR_CRYPTO;
	}
	return CW_OK;
}

/* One sign-and-encrypt of the content to keys; *sealed is malloc'd. */
static cw_status encrypt_sign(gpgme_ctx_t ctx, gpgme_key_t *keys, const struct wg_seal_in *in,
                              unsigned char **sealed, size_t *sealed_len, char *err, size_t errsz)
{
	gpgme_data_t din = NULL, dout = NULL;
	gpgme_error_t ge;
	cw_status st = CW_ERR_CRYPTO;
	/* no copy: the content stays in the caller's secure memory */
	if ((ge = gpgme_data_new_from_mem(&din, (const char *)in->content, in->content_len, 0)) !=
	        0 ||
	    (ge = gpgme_data_new(&dout)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		goto out;
	}
	/* Keys are trusted by registration (importkey), not by the web of trust. No compression:
	 * secrets are small and often random, and it would only add a length side channel. */
	ge = gpgme_op_encrypt_sign(
	    ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS, din, dout);
	gpgme_encrypt_result_t er = gpgme_op_encrypt_result(ctx);
	gpgme_sign_result_t sr = gpgme_op_sign_result(ctx);
	if (ge != 0 || er == NULL || er->invalid_recipients != NULL || sr == NULL ||
	    sr->invalid_signers != NULL || sr->signatures == NULL) {
		cw_gpg_errfmt(err, errsz, "sign and encrypt failed", ge);
		goto out;
	}
	if ((st = take_mem(&dout, sealed, sealed_len)) != CW_OK)
		cw_gpg_errfmt(err, errsz, "sign and encrypt produced nothing", 0);
out:
	gpgme_data_release(din);
	gpgme_data_release(dout);
	return st;
}

/* Signs len bytes of data with the context's signer in mode (a detached signature, or a
 * signed message); *out is malloc'd. what names it in err. */
/* Signs what din holds into malloc'd *out. */
static cw_status sign_data(gpgme_ctx_t ctx, gpgme_data_t din, gpgme_sig_mode_t mode,
                           const char *what, unsigned char **out, size_t *outlen, char *err,
                           size_t errsz)
{
	gpgme_data_t dout = NULL;
	gpgme_error_t ge;
	cw_status st = CW_ERR_CRYPTO;
	if ((ge = gpgme_data_new(&dout)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		goto out;
	}
	ge = gpgme_op_sign(ctx, din, dout, mode);
	gpgme_sign_result_t sr = gpgme_op_sign_result(ctx);
	if (ge != 0 || sr == NULL || sr->invalid_signers != NULL || sr->signatures == NULL) {
		cw_gpg_errfmt(err, errsz, what, ge);
		goto out;
	}
	st = take_mem(&dout, out, outlen);
out:
	gpgme_data_release(dout);
	return st;
}

static cw_status sign_mem(gpgme_ctx_t ctx, const void *data, size_t len, gpgme_sig_mode_t mode,
                          const char *what, unsigned char **out, size_t *outlen, char *err,
                          size_t errsz)
{
	gpgme_data_t din = NULL;
	gpgme_error_t ge = gpgme_data_new_from_mem(&din, (const char *)data, len, 0);
	if (ge != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		return CW_ERR_CRYPTO;
	}
	cw_status st = sign_data(ctx, din, mode, what, out, outlen, err, errsz);
	gpgme_data_release(din);
	return st;
}

cw_status wg_seal(const struct wg_seal_in *in, unsigned char **sealed, size_t *sealed_len,
                  unsigned char **sig, size_t *sig_len, char *err, size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t skey = NULL;
	gpgme_key_t *keys = NULL;
	cw_status st;
	*sealed = *sig = NULL;
	*sealed_len = *sig_len = 0;
	err[0] = '\0';

	if ((st = cw_gpg_ctx(in->home, &ctx)) != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		goto out;
	}
	if ((st = load_keys(ctx, in, &skey, &keys, err, errsz)) == CW_OK &&
	    (st = add_notations(ctx, in, err, errsz)) == CW_OK &&
	    (st = encrypt_sign(ctx, keys, in, sealed, sealed_len, err, errsz)) == CW_OK)
		/* the detached signature carries the same notations as the inner one, so that
		 * whoever holds no secret (checkintegrity, a mirror) can check the name and
		 * version too (format 2) */
		st = sign_mem(ctx, *sealed, *sealed_len, GPGME_SIG_MODE_DETACH,
		              "detached signature failed", sig, sig_len, err, errsz);
out:
	if (st != CW_OK) {
		free(*sealed);
		free(*sig);
		*sealed = *sig = NULL;
		*sealed_len = *sig_len = 0;
		if (err[0] == '\0')
			snprintf(err, errsz, "%s", cw_strerror(st));
	}
	keys_free(keys, in->nrcpt);
	if (skey != NULL)
		gpgme_key_unref(skey);
	gpgme_release(ctx);
	return st;
}

/* One good signature, by signer (primary fingerprint; the signature may name a subkey), as
 * the only signature of vr. Returns it, or NULL with err set. */
static gpgme_signature_t one_good_signature(gpgme_ctx_t ctx, gpgme_verify_result_t vr,
                                            gpgme_error_t ge, const char *signer, char *err,
                                            size_t errsz)
{
	gpgme_key_t key = NULL;
	if (ge != 0 || vr == NULL || vr->signatures == NULL) {
		cw_gpg_errfmt(err, errsz, "no valid signature", ge);
		return NULL;
	}
	if (vr->signatures->next != NULL) {
		cw_gpg_errfmt(err, errsz, "more than one signature", 0);
		return NULL;
	}
	gpgme_signature_t s = vr->signatures;
	if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR) {
		cw_gpg_errfmt(err, errsz, "bad signature", s->status);
		return NULL;
	}
	bool ours = s->fpr != NULL && gpgme_get_key(ctx, s->fpr, &key, 0) == 0 &&
	            key->fpr != NULL && cw_fpr_equal(key->fpr, signer);
	if (key != NULL)
		gpgme_key_unref(key);
	if (!ours) {
		cw_gpg_errfmt(err, errsz, "signature by another key than the wallet's", 0);
		return NULL;
	}
	return s;
}

/* The value of the one hashed notation called name in s; NULL when absent, and *dup when
 * it appears more than once. */
static const char *notation(gpgme_signature_t s, const char *name, bool *dup)
{
	const char *v = NULL;
	for (gpgme_sig_notation_t n = s->notations; n != NULL; n = n->next) {
		if (n->name == NULL || strcmp(n->name, name) != 0)
			continue;
		if (v != NULL)
			*dup = true;
		v = n->value;
	}
	return v;
}

/* One verification, on a context of its own: sig over text (a detached signature), or, with
 * text NULL, sig a signed message whose content goes to v->plain. On CW_OK *s is its one good
 * signature by signer, valid until verify_end. */
struct verify {
	gpgme_ctx_t ctx;
	gpgme_data_t sig, text, plain;
};

static cw_status verify_begin(struct verify *v, const char *home, const char *signer,
                              const void *sig, size_t siglen, const void *text, size_t textlen,
                              gpgme_signature_t *s, char *err, size_t errsz)
{
	gpgme_error_t ge;
	memset(v, 0, sizeof *v);
	err[0] = '\0';
	if (cw_gpg_ctx(home, &v->ctx) != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return CW_ERR_CRYPTO;
	}
	if ((ge = gpgme_data_new_from_mem(&v->sig, sig, siglen, 0)) != 0 ||
	    (ge = text ? gpgme_data_new_from_mem(&v->text, text, textlen, 0)
	               : gpgme_data_new(&v->plain)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		return CW_ERR_CRYPTO;
	}
	ge = gpgme_op_verify(v->ctx, v->sig, v->text, v->plain);
	*s = one_good_signature(v->ctx, gpgme_op_verify_result(v->ctx), ge, signer, err, errsz);
	return *s != NULL ? CW_OK : CW_ERR_BADSIG;
}

static void verify_end(struct verify *v)
{
	gpgme_data_release(v->sig);
	gpgme_data_release(v->text);
	gpgme_data_release(v->plain);
	gpgme_release(v->ctx);
}

cw_status wg_verify_detached_bound(const char *home, const char *signer, const void *data,
                                   size_t len, const void *sig, size_t siglen, const char *name,
                                   uint64_t version, bool *bound, char *err, size_t errsz)
{
	struct verify v;
	gpgme_signature_t s;
	*bound = false;
	cw_status st = verify_begin(&v, home, signer, sig, siglen, data, len, &s, err, errsz);
	if (st != CW_OK)
		goto out;
	bool dup = false;
	const char *sname = notation(s, CW_NOTATION_NAME, &dup);
	const char *sver = notation(s, CW_NOTATION_VERSION, &dup);
	uint64_t ver = 0;
	if (sname == NULL && sver == NULL && !dup)
		goto out; /* format 1: the signature binds the bytes only */
	*bound = true;
	st = CW_ERR_BINDING;
	if (dup || sname == NULL || sver == NULL || !cw_version_parse(sver, strlen(sver), &ver)) {
		cw_gpg_errfmt(err, errsz, "malformed name or version notation", 0);
		goto out;
	}
	if (strcmp(sname, name) != 0 || ver != version) {
		snprintf(err, errsz, "signed for %.255s version %s", sname, sver);
		goto out;
	}
	st = CW_OK;
out:
	verify_end(&v);
	return st;
}

cw_status wg_verify_detached(const char *home, const char *signer, const void *data, size_t len,
                             const void *sig, size_t siglen, char *err, size_t errsz)
{
	struct verify v;
	gpgme_signature_t s;
	cw_status st = verify_begin(&v, home, signer, sig, siglen, data, len, &s, err, errsz);
	verify_end(&v);
	return st;
}

cw_status wg_signature_maker(const char *home, const void *data, size_t len, const void *sig,
                             size_t siglen, char made_by[41])
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t ds = NULL, dt = NULL, dp = NULL;
	cw_status st = CW_ERR_BADSIG;
	made_by[0] = '\0';
	if (cw_gpg_ctx(home, &ctx) != CW_OK)
		return CW_ERR_CRYPTO;
	if (gpgme_data_new_from_mem(&ds, sig, siglen, 0) != 0 ||
	    (data != NULL ? gpgme_data_new_from_mem(&dt, data, len, 0) : gpgme_data_new(&dp)) !=
	        0) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	/* a bad or unverifiable signature is an answer too: its maker is still named */
	(void)gpgme_op_verify(ctx, ds, dt, dp);
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t s = vr != NULL ? vr->signatures : NULL;
	if (s != NULL && s->next == NULL && s->fpr != NULL && strlen(s->fpr) <= 40) {
		memcpy(made_by, s->fpr, strlen(s->fpr) + 1);
		st = CW_OK;
	}
out:
	gpgme_data_release(ds);
	gpgme_data_release(dt);
	gpgme_data_release(dp);
	gpgme_release(ctx);
	return st;
}

/* ctx set up to sign a manifest for client: the wallet key, binary, the notation. */
static cw_status manifest_ctx(const char *home, const char *signer, const char *client,
                              gpgme_ctx_t *ctx, gpgme_key_t *skey, char *err, size_t errsz)
{
	gpgme_error_t ge;
	err[0] = '\0';
	if (cw_gpg_ctx(home, ctx) != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return CW_ERR_CRYPTO;
	}
	if ((ge = gpgme_get_key(*ctx, signer, skey, 1)) != 0 ||
	    (ge = gpgme_signers_add(*ctx, *skey)) != 0) {
		cw_gpg_errfmt(err, errsz, "wallet signing key unusable", ge);
		return CW_ERR_KEY;
	}
	gpgme_set_armor(*ctx, 0);
	if ((ge = gpgme_sig_notation_add(*ctx, CW_NOTATION_MANIFEST, client,
	                                 GPGME_SIG_NOTATION_HUMAN_READABLE)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme notation", ge);
		return CW_ERR_CRYPTO;
	}
	return CW_OK;
}

/* The manifest from memory (doc) or, with doc NULL, from rd. */
static cw_status sign_manifest(const char *home, const char *signer, const char *client,
                               const void *doc, size_t len, wg_read_fn rd, void *arg,
                               unsigned char **out, size_t *outlen, char *err, size_t errsz)
{
	static const char what[] = "signing the manifest failed";
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t skey = NULL;
	gpgme_data_t din = NULL;
	struct gpgme_data_cbs cbs = {.read = rd};
	gpgme_error_t ge;
	*out = NULL;
	*outlen = 0;
	cw_status st = manifest_ctx(home, signer, client, &ctx, &skey, err, errsz);
	if (st != CW_OK)
		goto out;
	if (doc != NULL) {
		st = sign_mem(ctx, doc, len, GPGME_SIG_MODE_NORMAL, what, out, outlen, err, errsz);
	} else if ((ge = gpgme_data_new_from_cbs(&din, &cbs, arg)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		st = CW_ERR_CRYPTO;
	} else {
		st = sign_data(ctx, din, GPGME_SIG_MODE_NORMAL, what, out, outlen, err, errsz);
	}
out:
	gpgme_data_release(din);
	if (skey != NULL)
		gpgme_key_unref(skey);
	gpgme_release(ctx);
	return st;
}

cw_status wg_sign_manifest(const char *home, const char *signer, const char *client,
                           const void *doc, size_t len, unsigned char **out, size_t *outlen,
                           char *err, size_t errsz)
{
	return sign_manifest(home, signer, client, doc != NULL ? doc : "", len, NULL, NULL, out,
	                     outlen, err, errsz);
}

cw_status wg_sign_manifest_from(const char *home, const char *signer, const char *client,
                                wg_read_fn rd, void *arg, unsigned char **out, size_t *outlen,
                                char *err, size_t errsz)
{
	return sign_manifest(home, signer, client, NULL, 0, rd, arg, out, outlen, err, errsz);
}

cw_status wg_open_manifest(const char *home, const char *signer, const char *client,
                           const void *data, size_t len, unsigned char **doc, size_t *doclen,
                           char *err, size_t errsz)
{
	struct verify v;
	gpgme_signature_t s;
	*doc = NULL;
	*doclen = 0;
	cw_status st = verify_begin(&v, home, signer, data, len, NULL, 0, &s, err, errsz);
	if (st != CW_OK)
		goto out;
	bool dup = false;
	const char *who = notation(s, CW_NOTATION_MANIFEST, &dup);
	if (dup || who == NULL || strcmp(who, client) != 0) {
		snprintf(err, errsz, "not a manifest for %s", client);
		st = CW_ERR_BADSIG;
		goto out;
	}
	st = take_mem(&v.plain, doc, doclen);
out:
	verify_end(&v);
	return st;
}
