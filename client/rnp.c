/* libwalletclient: the rnp engine. RNP (librnp) verifies and decrypts in this process: the
 * client's secret key lives only in this process's memory (no GNUPGHOME, no gpg-agent, no
 * child process), and opening an object costs a fraction of a millisecond instead of two gpg
 * runs. It applies the checks of the gnupg engine (open.c, docs/FORMAT.md): the detached
 * signature by the pinned key before any byte reaches the decryptor; an encrypted,
 * integrity-protected message; exactly one inner signature, by the pinned key; one hashed
 * name and one hashed version notation, bound to the request (wc_check_binding). */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpgutil.h"
#include "sealfmt.h"
#include "wc_internal.h"

/* Notation data subpacket (RFC 4880 5.2.3.16) */
#define SUBPKT_NOTATION 20

cw_status wc_rnp_setup(wallet_client *c)
{
	rnp_result_t r = rnp_ffi_create(&c->rnp, "GPG", "GPG");
	if (r != RNP_SUCCESS) {
		c->rnp = NULL;
		wc_err(c, "rnp: %s", rnp_result_to_string(r));
		return CW_ERR_CRYPTO;
	}
	/* RNP writes diagnostics to stderr unless told otherwise; a library must not print.
	 * The descriptor belongs to the keyring from here on. */
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && rnp_ffi_set_log_fd(c->rnp, fd) != RNP_SUCCESS)
		close(fd);
	return CW_OK;
}

void wc_rnp_teardown(wallet_client *c)
{
	if (c->rnp != NULL)
		(void)rnp_ffi_destroy(c->rnp);
	c->rnp = NULL;
}

static bool key_flag(rnp_result_t (*fn)(rnp_key_handle_t, bool *), rnp_key_handle_t k)
{
	bool v = false;
	return fn(k, &v) == RNP_SUCCESS && v;
}

/* Valid (good binding), not revoked, not expired, and allowed usage ("sign", "encrypt"). */
static bool key_usable(rnp_key_handle_t k, const char *usage)
{
	bool ok = false;
	return key_flag(rnp_key_is_valid, k) && !key_flag(rnp_key_is_revoked, k) &&
	       !key_flag(rnp_key_is_expired, k) &&
	       rnp_key_allows_usage(k, usage, &ok) == RNP_SUCCESS && ok;
}

/* The fingerprint of k (40 upper-case hex digits) into out. */
static bool key_fpr(rnp_key_handle_t k, char out[41])
{
	char *f = NULL;
	bool ok = rnp_key_get_fprint(k, &f) == RNP_SUCCESS && f != NULL && strlen(f) == 40;
	if (ok)
		memcpy(out, f, 41);
	rnp_buffer_destroy(f);
	return ok;
}

/* what: the error line's start when nothing could be read ("FILE: no secret key in the
 * file"). */
static cw_status import_mem(wallet_client *c, const unsigned char *p, size_t n, uint32_t flags,
                            const char *what)
{
	rnp_input_t in = NULL;
	rnp_result_t r = rnp_input_from_memory(&in, p, n, false);
	if (r == RNP_SUCCESS)
		r = rnp_import_keys(c->rnp, in, flags, NULL);
	rnp_input_destroy(in);
	if (r != RNP_SUCCESS) {
		wc_err(c, "%s (%s)", what, rnp_result_to_string(r));
		return CW_ERR_KEY;
	}
	return CW_OK;
}

/* The primary keys of the keyring, sorted: the pinned one, secret ones, and others. */
struct census {
	size_t secret;
	size_t other;
	bool pinned;
	bool pinned_secret;
	bool protected_key;
	bool can_decrypt;
};

static void count_key(wallet_client *c, const char *fpr, struct census *n)
{
	rnp_key_handle_t k = NULL;
	if (rnp_locate_key(c->rnp, "fingerprint", fpr, &k) != RNP_SUCCESS || k == NULL)
		return;
	bool secret = key_flag(rnp_key_have_secret, k);
	if (secret && key_flag(rnp_key_is_protected, k))
		n->protected_key = true;
	if (secret && key_usable(k, "encrypt"))
		n->can_decrypt = true;
	if (key_flag(rnp_key_is_primary, k)) {
		if (cw_fpr_equal(fpr, c->cfg.signer)) {
			n->pinned = true;
			n->pinned_secret = secret;
		} else if (secret) {
			n->secret++;
		} else {
			n->other++;
		}
	}
	rnp_key_handle_destroy(k);
}

static cw_status census(wallet_client *c, struct census *n)
{
	rnp_identifier_iterator_t it = NULL;
	const char *id = NULL;
	memset(n, 0, sizeof *n);
	if (rnp_identifier_iterator_create(c->rnp, &it, "fingerprint") != RNP_SUCCESS) {
		wc_err(c, "rnp: cannot list the keyring");
		return CW_ERR_CRYPTO;
	}
	while (rnp_identifier_iterator_next(it, &id) == RNP_SUCCESS && id != NULL)
		count_key(c, id, n);
	rnp_identifier_iterator_destroy(it);
	return CW_OK;
}

/* The pinned key must be usable; its signing fingerprints (primary and subkeys) are what
 * signatures are checked against. */
static cw_status record_signer(wallet_client *c)
{
	rnp_key_handle_t k = NULL, sub = NULL;
	size_t nsub = 0;
	cw_status st = CW_ERR_KEY;
	c->nsigner_fprs = 0;
	if (rnp_locate_key(c->rnp, "fingerprint", c->cfg.signer, &k) != RNP_SUCCESS || k == NULL)
		goto out;
	if (!key_flag(rnp_key_is_valid, k) || key_flag(rnp_key_is_revoked, k) ||
	    key_flag(rnp_key_is_expired, k)) {
		wc_err(c, "the pinned wallet key is revoked, expired, invalid or a secret key");
		goto out;
	}
	if (key_usable(k, "sign") && key_fpr(k, c->signer_fprs[0]))
		c->nsigner_fprs = 1;
	if (rnp_key_get_subkey_count(k, &nsub) != RNP_SUCCESS)
		nsub = 0;
	for (size_t i = 0; i < nsub && c->nsigner_fprs < WC_MAX_SIGNER_FPRS; i++) {
		if (rnp_key_get_subkey_at(k, i, &sub) != RNP_SUCCESS || sub == NULL)
			continue;
		if (key_usable(sub, "sign") && key_fpr(sub, c->signer_fprs[c->nsigner_fprs]))
			c->nsigner_fprs++;
		rnp_key_handle_destroy(sub);
		sub = NULL;
	}
	if (c->nsigner_fprs == 0) {
		wc_err(c, "the pinned wallet key has no usable signing key");
		goto out;
	}
	st = CW_OK;
out:
	rnp_key_handle_destroy(k);
	return st;
}

/* Imports the client's key file, then the wallet's public key, into the (empty) keyring.
 * Nothing else may come in: exactly one secret key, usable for decryption and not protected
 * by a passphrase; the pinned key; no other key. On failure the keyring is emptied, so that
 * nothing unexpected can ever take part in a verification. */
static cw_status import_keys(wallet_client *c, const unsigned char *pub, size_t publen)
{
	struct census n;
	const char *kf = c->cfg.gpg_key_file;
	char what[512];
	snprintf(what, sizeof what, "%.400s: no secret key in the file", kf);
	cw_status st = import_mem(c, c->pending_key.data, c->pending_key.len,
	                          RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, what);
	if (st != CW_OK || (st = census(c, &n)) != CW_OK)
		return st;
	st = CW_ERR_KEY;
	if (n.secret == 0 && !n.pinned_secret) {
		wc_err(c, "%s: no secret key in the file", kf);
		return st;
	}
	if (n.secret > 1) {
		wc_err(c, "%s: more than one secret key", kf);
		return st;
	}
	if (n.other > 0) {
		wc_err(c, "%s: holds another key than the client's secret key", kf);
		return st;
	}
	if (n.protected_key) {
		wc_err(c,
		       "%s: the secret key is passphrase-protected (a key file must not be: keep "
		       "a protected key in a GNUPGHOME or behind a gpg-agent)",
		       kf);
		return st;
	}
	if (!n.can_decrypt) {
		wc_err(c, "%s: the secret key cannot decrypt (no usable encryption key)", kf);
		return st;
	}
	if ((st = import_mem(c, pub, publen, RNP_LOAD_SAVE_PUBLIC_KEYS,
	                     "no OpenPGP key in the wallet's signing-key answer")) != CW_OK ||
	    (st = census(c, &n)) != CW_OK)
		return st;
	st = CW_ERR_KEY;
	if (n.other > 0 || n.secret > 1) {
		wc_err(c,
		       "the wallet's signing-key answer does not have the pinned fingerprint (it "
		       "holds another key)");
		return st;
	}
	if (!n.pinned || n.pinned_secret) {
		wc_err(c, "the wallet's signing key does not have the pinned fingerprint");
		return st;
	}
	return record_signer(c);
}

cw_status wc_rnp_import(wallet_client *c, const unsigned char *pub, size_t publen)
{
	if (c->pending_key.len == 0) {
		wc_err(c, "the client's key was rejected before");
		return CW_ERR_KEY;
	}
	cw_status st = import_keys(c, pub, publen);
	cw_sbuf_free(&c->pending_key);
	if (st != CW_OK) {
		c->nsigner_fprs = 0;
		wc_rnp_teardown(c);
		if (rnp_ffi_create(&c->rnp, "GPG", "GPG") != RNP_SUCCESS)
			c->rnp = NULL; /* the client is unusable either way */
	}
	return st;
}

/* Exactly one signature, good, by the pinned key (its primary or a signing subkey). r is
 * what rnp_op_verify_execute returned. */
static cw_status check_sig(struct wc_opener *o, rnp_op_verify_t op, rnp_result_t r,
                           const char *what, rnp_op_verify_signature_t *out)
{
	size_t n = 0;
	rnp_op_verify_signature_t s = NULL;
	rnp_key_handle_t k = NULL;
	char fpr[41] = "";
	if (rnp_op_verify_get_signature_count(op, &n) != RNP_SUCCESS || n == 0) {
		if (r != RNP_SUCCESS)
			wc_oerr(o, "%s: %s", what, rnp_result_to_string(r));
		else
			wc_oerr(o, "%s: no signature", what);
		return CW_ERR_BADSIG;
	}
	if (n > 1) {
		wc_oerr(o, "%s: more than one signature", what);
		return CW_ERR_BADSIG;
	}
	if (rnp_op_verify_get_signature_at(op, 0, &s) != RNP_SUCCESS) {
		wc_oerr(o, "%s: unreadable signature", what);
		return CW_ERR_BADSIG;
	}
	rnp_result_t sr = rnp_op_verify_signature_get_status(s);
	if (sr != RNP_SUCCESS) {
		wc_oerr(o, "%s: signature not good (%s)", what, rnp_result_to_string(sr));
		return CW_ERR_BADSIG;
	}
	if (rnp_op_verify_signature_get_key(s, &k) != RNP_SUCCESS || k == NULL ||
	    !key_fpr(k, fpr)) {
		rnp_key_handle_destroy(k);
		wc_oerr(o, "%s: signed by an unknown key", what);
		return CW_ERR_BADSIG;
	}
	rnp_key_handle_destroy(k);
	for (size_t i = 0; i < o->c->nsigner_fprs; i++) {
		if (cw_fpr_equal(fpr, o->c->signer_fprs[i])) {
			*out = s;
			return CW_OK;
		}
	}
	wc_oerr(o, "%s: signed by %s, not by the pinned wallet key", what, fpr);
	return CW_ERR_BADSIG;
}

/* The hashed notations of the inner signature (RNP gives a signature's subpackets only as a
 * JSON dump), then the binding. A notation of ours that is not human-readable, or whose value
 * holds a NUL (its length disagrees with the text), counts as malformed. */
static cw_status check_notations(struct wc_opener *o, rnp_op_verify_signature_t s,
                                 const struct wc_sealed *in, uint64_t *version)
{
	rnp_signature_handle_t h = NULL;
	char *js = NULL;
	cJSON *root = NULL;
	const char *sname = NULL, *sver = NULL;
	bool dup = false;
	cw_status st = CW_ERR_BADSIG;
	if (rnp_op_verify_signature_get_handle(s, &h) != RNP_SUCCESS ||
	    rnp_signature_packet_to_json(h, 0, &js) != RNP_SUCCESS ||
	    (root = cJSON_Parse(js)) == NULL) {
		wc_oerr(o, "inner signature: unreadable");
		goto out;
	}
	const cJSON *pkt = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
	const cJSON *subs = cJSON_GetObjectItemCaseSensitive(pkt, "subpackets");
	const cJSON *sp;
	cJSON_ArrayForEach(sp, subs)
	{
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(sp, "type");
		const cJSON *hashed = cJSON_GetObjectItemCaseSensitive(sp, "hashed");
		if (!cJSON_IsNumber(type) || type->valueint != SUBPKT_NOTATION ||
		    !cJSON_IsTrue(hashed))
			continue;
		const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sp, "name"));
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(sp, "value");
		const cJSON *len = cJSON_GetObjectItemCaseSensitive(sp, "length");
		const char **slot = NULL;
		if (nm != NULL && strcmp(nm, CW_NOTATION_NAME) == 0)
			slot = &sname;
		else if (nm != NULL && strcmp(nm, CW_NOTATION_VERSION) == 0)
			slot = &sver;
		if (slot == NULL)
			continue;
		const char *v = cJSON_GetStringValue(val);
		if (*slot != NULL || v == NULL ||
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sp, "human")) ||
		    !cJSON_IsNumber(len) ||
		    len->valuedouble != (double)(8 + strlen(nm) + strlen(v)))
			dup = true;
		*slot = v;
	}
	st = wc_check_binding(o, in, sname, sver, dup, version);
out:
	cJSON_Delete(root);
	rnp_buffer_destroy(js);
	rnp_signature_handle_destroy(h);
	return st;
}

static bool plain_write(void *app_ctx, const void *buf, size_t len)
{
	return wc_plain_append(app_ctx, buf, len) == CW_OK;
}

cw_status wc_rnp_open(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                      uint64_t *version)
{
	rnp_ffi_t ffi = o->c->rnp;
	rnp_input_t data = NULL, sig = NULL;
	rnp_output_t out = NULL;
	rnp_op_verify_t op = NULL;
	rnp_op_verify_signature_t s = NULL;
	char *mode = NULL, *cipher = NULL;
	bool valid = false;
	size_t nsig = 0;
	cw_status st = CW_ERR_NOMEM;
	/* 1. the detached signature over the sealed bytes, before decryption */
	if (rnp_input_from_memory(&data, in->sealed, in->sealed_len, false) != RNP_SUCCESS ||
	    rnp_input_from_memory(&sig, in->sig, in->sig_len, false) != RNP_SUCCESS ||
	    rnp_op_verify_detached_create(&op, ffi, data, sig) != RNP_SUCCESS)
		goto out;
	rnp_result_t r = rnp_op_verify_execute(op);
	if ((st = check_sig(o, op, r, "detached signature", &s)) != CW_OK)
		goto out;
	rnp_op_verify_destroy(op);
	rnp_input_destroy(data);
	op = NULL;
	data = NULL;
	/* 2. decrypt into secure memory and verify the inner signature */
	st = CW_ERR_NOMEM;
	if (rnp_input_from_memory(&data, in->sealed, in->sealed_len, false) != RNP_SUCCESS ||
	    rnp_output_to_callback(&out, plain_write, NULL, plain) != RNP_SUCCESS ||
	    rnp_op_verify_create(&op, ffi, data, out) != RNP_SUCCESS)
		goto out;
	r = rnp_op_verify_execute(op);
	if (r != RNP_SUCCESS &&
	    (rnp_op_verify_get_signature_count(op, &nsig) != RNP_SUCCESS || nsig == 0)) {
		wc_oerr(o, "decryption: %s", rnp_result_to_string(r));
		st = r == RNP_ERROR_NO_SUITABLE_KEY || r == RNP_ERROR_KEY_NOT_FOUND ? CW_ERR_KEY
		                                                                    : CW_ERR_CRYPTO;
		goto out;
	}
	if (rnp_op_verify_get_protection_info(op, &mode, &cipher, &valid) != RNP_SUCCESS ||
	    mode == NULL || !valid ||
	    (strcmp(mode, "cfb-mdc") != 0 && strcmp(mode, "aead-eax") != 0 &&
	     strcmp(mode, "aead-ocb") != 0)) {
		wc_oerr(o, "decryption: unacceptable message (not encrypted with integrity "
		           "protection)");
		st = CW_ERR_CRYPTO;
		goto out;
	}
	if ((st = check_sig(o, op, r, "inner signature", &s)) != CW_OK)
		goto out;
	if (r != RNP_SUCCESS) { /* not expected once the one signature is good */
		wc_oerr(o, "inner signature: %s", rnp_result_to_string(r));
		st = CW_ERR_BADSIG;
		goto out;
	}
	/* 3. the binding: signed name and version */
	st = check_notations(o, s, in, version);
out:
	if (st == CW_ERR_NOMEM && o->err[0] == '\0')
		wc_oerr(o, "rnp: out of memory");
	rnp_buffer_destroy(mode);
	rnp_buffer_destroy(cipher);
	rnp_op_verify_destroy(op);
	rnp_output_destroy(out);
	rnp_input_destroy(data);
	rnp_input_destroy(sig);
	return st;
}
