/* libwalletclient: the rnp engine. RNP (librnp) verifies and decrypts in this process: the
 * client's secret key lives only in this process's memory (no GNUPGHOME, no gpg-agent, no
 * child process), and opening an object costs a fraction of a millisecond instead of two gpg
 * runs. It applies the checks of the gnupg engine (docs/FORMAT.md): the detached
 * signature by the pinned key before any byte reaches the decryptor; an encrypted,
 * integrity-protected message; exactly one inner signature, by the pinned key; one hashed
 * name and one hashed version notation, bound to the request (wc_check_binding).
 *
 * Two keyrings (struct wc_rnp): `pub` holds the pinned key alone and checks detached
 * signatures, so that nothing served in the signature header can ever reach the client's
 * secret key (RNP parses whatever it is given as a signature, and would decrypt an encrypted
 * message there); `ffi` holds the client's secret key and the pinned key, and opens the
 * sealed bytes once their detached signature is good. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rnp/rnp_err.h>

#include "gpgutil.h"
#include "rnp.h"
#include "rnpload.h"
#include "sealfmt.h"
#include "wc_internal.h"

/* Notation data subpacket (RFC 4880 5.2.3.16) */
#define SUBPKT_NOTATION 20

static cw_status new_keyring(wallet_client *c, rnp_ffi_t *out)
{
	rnp_result_t r = rnp_ffi_create(out, "GPG", "GPG");
	if (r != RNP_SUCCESS) {
		*out = NULL;
		wc_err(c, "rnp: %s", rnp_result_to_string(r));
		return CW_ERR_CRYPTO;
	}
	/* FFI-level messages go to a keyring's log descriptor (stderr by default); the
	 * descriptor belongs to the keyring from here on. librnp 0.16 still writes its parser
	 * diagnostics (packet tags, positions; never key or content bytes) to stderr
	 * itself: wallet-entry silences those unless --verbose. */
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && rnp_ffi_set_log_fd(*out, fd) != RNP_SUCCESS)
		close(fd);
	return CW_OK;
}

static struct wc_rnp *state_of(const wallet_client *c)
{
	return c->eng;
}

/* Destroys both keyrings (what they held is gone with them: librnp wipes key material). */
static void drop_keyrings(struct wc_rnp *r)
{
	if (r->ffi != NULL)
		(void)rnp_ffi_destroy(r->ffi);
	if (r->pub != NULL)
		(void)rnp_ffi_destroy(r->pub);
	r->ffi = NULL;
	r->pub = NULL;
}

static cw_status rnp_engine_init(wallet_client *c, void **state)
{
	char why[256];
	*state = NULL;
	if (wc_rnp_load(why, sizeof why) != CW_OK) {
		wc_err(c, "rnp engine: %s", why);
		return CW_ERR_CRYPTO;
	}
	struct wc_rnp *r = calloc(1, sizeof *r);
	*state = r;
	if (r == NULL)
		return CW_ERR_NOMEM;
	cw_status st = new_keyring(c, &r->ffi);
	if (st == CW_OK)
		st = new_keyring(c, &r->pub);
	return st;
}

static void rnp_engine_free(void *state)
{
	if (state == NULL)
		return;
	drop_keyrings(state);
	free(state);
}

static cw_status rnp_engine_thread_ctx(const wallet_client *c, size_t slot, void **ctx)
{
	(void)c;
	*ctx = NULL; /* the keyrings are the client's: one thread at a time */
	return slot == 0 ? CW_OK : CW_ERR_INTERNAL;
}

static bool key_flag(rnp_result_t (*fn)(rnp_key_handle_t, bool *), rnp_key_handle_t k)
{
	bool v = false;
	return fn(k, &v) == RNP_SUCCESS && v;
}

/* Valid (good binding), not revoked and not expired. */
static bool key_sound(rnp_key_handle_t k)
{
	return key_flag(rnp_key_is_valid, k) && !key_flag(rnp_key_is_revoked, k) &&
	       !key_flag(rnp_key_is_expired, k);
}

/* Sound, and allowed a usage ("sign", "encrypt"). */
static bool key_usable(rnp_key_handle_t k, const char *usage)
{
	bool ok = false;
	return key_sound(k) && rnp_key_allows_usage(k, usage, &ok) == RNP_SUCCESS && ok;
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

/* The secret part of k: absent, usable as it is, a stub without key material (an offline
 * primary of `gpg --export-secret-subkeys`, a smartcard), or protected by a passphrase. */
enum secret_kind { SECRET_NONE, SECRET_CLEAR, SECRET_STUB, SECRET_PROTECTED };

static enum secret_kind secret_of(rnp_key_handle_t k)
{
	char *type = NULL;
	enum secret_kind sk = SECRET_PROTECTED;
	if (!key_flag(rnp_key_have_secret, k))
		return SECRET_NONE;
	if (rnp_key_get_protection_type(k, &type) == RNP_SUCCESS && type != NULL) {
		if (strcmp(type, "None") == 0)
			sk = SECRET_CLEAR;
		else if (strcmp(type, "GPG-None") == 0 || strcmp(type, "GPG-Smartcard") == 0)
			sk = SECRET_STUB;
	}
	rnp_buffer_destroy(type);
	return sk;
}

/* Import with the error line `what (rnp's reason)` when nothing could be read.
 *
 * Both calls read the keys into a keyring of librnp's own and check their self-signatures
 * there (Ed25519 in Botan, the costliest part of an import). rnp_import_keys then merges
 * each key into the public and the secret keyring and checks a secret key's signatures once
 * more (measured: 4 checks for the client key's 2 signatures). Into an empty keyring
 * (fresh) nothing can merge, and rnp_load_keys copies the keys with the validity just
 * found: the same keys, the same validity, each signature checked once. What the wallet
 * serves is merged (rnp_import_keys), as a key already held may get new packets. */
static cw_status import_mem(wallet_client *c, rnp_ffi_t ffi, const unsigned char *p, size_t n,
                            uint32_t flags, bool fresh, const char *what)
{
	rnp_input_t in = NULL;
	rnp_result_t r = rnp_input_from_memory(&in, p, n, false);
	if (r == RNP_SUCCESS)
		r = fresh ? rnp_load_keys(ffi, "GPG", in, flags)
		          : rnp_import_keys(ffi, in, flags, NULL);
	rnp_input_destroy(in);
	if (r != RNP_SUCCESS) {
		wc_err(c, "%s (%s)", what, rnp_result_to_string(r));
		return CW_ERR_KEY;
	}
	return CW_OK;
}

/* Every key of a keyring, sorted. A primary is the pinned key, a secret key (the client's),
 * or other; a subkey belongs to the pinned key, to the secret primary, or counts as other
 * (another key's subkey, or one without its primary). */
struct census {
	size_t secret;
	size_t other;
	bool pinned;
	bool pinned_secret;
	bool protected_key;
	bool can_decrypt;
	char secret_fpr[41];
};

static void count_primary(const wallet_client *c, rnp_ffi_t ffi, const char *fpr, struct census *n)
{
	rnp_key_handle_t k = NULL;
	if (rnp_locate_key(ffi, "fingerprint", fpr, &k) != RNP_SUCCESS || k == NULL)
		return;
	if (key_flag(rnp_key_is_primary, k)) {
		enum secret_kind sk = secret_of(k);
		if (cw_fpr_equal(fpr, c->cfg.signer)) {
			n->pinned = true;
			n->pinned_secret = sk != SECRET_NONE;
		} else if (sk != SECRET_NONE) {
			n->secret++;
			memcpy(n->secret_fpr, fpr, 41);
		} else {
			n->other++;
		}
		if (sk == SECRET_PROTECTED)
			n->protected_key = true;
		if (sk == SECRET_CLEAR && key_usable(k, "encrypt"))
			n->can_decrypt = true;
	}
	rnp_key_handle_destroy(k);
}

static void count_subkey(const wallet_client *c, rnp_ffi_t ffi, const char *fpr, struct census *n)
{
	rnp_key_handle_t k = NULL;
	char *primary = NULL;
	if (rnp_locate_key(ffi, "fingerprint", fpr, &k) != RNP_SUCCESS || k == NULL)
		return;
	if (!key_flag(rnp_key_is_primary, k)) {
		bool mine = rnp_key_get_primary_fprint(k, &primary) == RNP_SUCCESS &&
		            primary != NULL &&
		            (cw_fpr_equal(primary, c->cfg.signer) ||
		             (n->secret == 1 && cw_fpr_equal(primary, n->secret_fpr)));
		if (!mine)
			n->other++;
		enum secret_kind sk = secret_of(k);
		if (sk == SECRET_PROTECTED)
			n->protected_key = true;
		if (mine && sk == SECRET_CLEAR && key_usable(k, "encrypt"))
			n->can_decrypt = true;
	}
	rnp_buffer_destroy(primary);
	rnp_key_handle_destroy(k);
}

static cw_status census(wallet_client *c, rnp_ffi_t ffi, struct census *n)
{
	memset(n, 0, sizeof *n);
	for (int pass = 0; pass < 2; pass++) {
		rnp_identifier_iterator_t it = NULL;
		const char *id = NULL;
		if (rnp_identifier_iterator_create(ffi, &it, "fingerprint") != RNP_SUCCESS) {
			wc_err(c, "rnp: cannot list the keyring");
			return CW_ERR_CRYPTO;
		}
		while (rnp_identifier_iterator_next(it, &id) == RNP_SUCCESS && id != NULL) {
			if (pass == 0)
				count_primary(c, ffi, id, n);
			else
				count_subkey(c, ffi, id, n);
		}
		rnp_identifier_iterator_destroy(it);
	}
	return CW_OK;
}

/* The pinned key must be sound; its signing fingerprints (primary and subkeys) are what
 * signatures are checked against. */
static cw_status record_signer(wallet_client *c)
{
	rnp_key_handle_t k = NULL, sub = NULL;
	size_t nsub = 0;
	cw_status st = CW_ERR_KEY;
	c->nsigner_fprs = 0;
	if (rnp_locate_key(state_of(c)->pub, "fingerprint", c->cfg.signer, &k) != RNP_SUCCESS ||
	    k == NULL)
		goto out;
	if (!key_sound(k)) {
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

/* The wallet's key answer, into one keyring: afterwards the keyring may hold the pinned key
 * and, if want_secret, the one secret key already there; nothing else. */
static cw_status import_pinned(wallet_client *c, rnp_ffi_t ffi, const unsigned char *pub,
                               size_t publen, bool want_secret)
{
	struct census n;
	cw_status st = import_mem(c, ffi, pub, publen, RNP_LOAD_SAVE_PUBLIC_KEYS, false,
	                          "no OpenPGP key in the wallet's signing-key answer");
	if (st != CW_OK || (st = census(c, ffi, &n)) != CW_OK)
		return st;
	if (n.other > 0 || n.secret != (want_secret ? 1u : 0u)) {
		wc_err(c,
		       "the wallet's signing-key answer does not have the pinned fingerprint (it "
		       "holds another key)");
		return CW_ERR_KEY;
	}
	if (!n.pinned || n.pinned_secret) {
		wc_err(c, "the wallet's signing key does not have the pinned fingerprint");
		return CW_ERR_KEY;
	}
	return CW_OK;
}

/* The client's key file into `rnp`: exactly one secret key, with clear (not passphrase
 * protected) key material that can decrypt, and no other key. */
static cw_status import_secret(wallet_client *c)
{
	struct census n;
	const char *kf = c->cfg.gpg_key_file;
	char what[512];
	snprintf(what, sizeof what, "%.400s: no secret key in the file", kf);
	rnp_ffi_t ffi = state_of(c)->ffi;
	/* the keyrings are empty: new, or emptied after a failure (reset_keyrings) */
	cw_status st =
	    import_mem(c, ffi, c->pending_key.data, c->pending_key.len,
	               RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS, true, what);
	if (st != CW_OK || (st = census(c, ffi, &n)) != CW_OK)
		return st;
	if (n.secret == 0) {
		wc_err(c, "%s: no secret key in the file", kf);
		return CW_ERR_KEY;
	}
	if (n.secret > 1) {
		wc_err(c, "%s: more than one secret key", kf);
		return CW_ERR_KEY;
	}
	if (n.other > 0) {
		wc_err(c, "%s: holds another key than the client's secret key", kf);
		return CW_ERR_KEY;
	}
	if (n.protected_key) {
		wc_err(c,
		       "%s: the secret key is passphrase-protected (a key file must not be: keep "
		       "a protected key in a GNUPGHOME or behind a gpg-agent)",
		       kf);
		return CW_ERR_KEY;
	}
	if (!n.can_decrypt) {
		wc_err(c, "%s: the secret key cannot decrypt (no usable encryption key)", kf);
		return CW_ERR_KEY;
	}
	return CW_OK;
}

/* The client's key alone (before the wallet's key is known): in a thread of its own, beside
 * the caller's use of the network (keys.c). */
/* After a failure nothing unexpected may stay for a later verification: empty keyrings, and
 * the key file's bytes kept (in secure memory) for the next attempt, which may get an honest
 * signing-key answer from another wallet URL. The error line of the failure stays. */
static void reset_keyrings(wallet_client *c, struct wc_rnp *r)
{
	/* this thread's error line: c->err, or the preparing thread's own (keys.c) */
	size_t size;
	char *line = wc_err_line(c, &size), why[sizeof c->err];
	if (size > sizeof why)
		size = sizeof why;
	memcpy(why, line, size);
	c->nsigner_fprs = 0;
	drop_keyrings(r);
	r->secret_in = false;
	if (new_keyring(c, &r->ffi) != CW_OK || new_keyring(c, &r->pub) != CW_OK)
		cw_sbuf_free(&c->pending_key); /* unusable from here on */
	memcpy(line, why, size);
}

/* After a failed import: empty keyrings, or, while the caller's thread may be using `pub`
 * (keys imported in halves), the word that it must empty them once this thread is done. */
static void keys_failed(wallet_client *c, struct wc_rnp *r)
{
	if (c->prep_shares_keys)
		c->keys_discard_due = true;
	else
		reset_keyrings(c, r);
}

static cw_status rnp_engine_prepare(wallet_client *c)
{
	struct wc_rnp *r = state_of(c);
	if (r->secret_in)
		return CW_OK;
	if (r->ffi == NULL || r->pub == NULL || c->pending_key.len == 0) {
		wc_err(c, "the client's key was rejected before");
		return CW_ERR_KEY;
	}
	cw_status st = import_secret(c);
	r->secret_in = st == CW_OK;
	if (st != CW_OK)
		keys_failed(c, r); /* the next attempt loads into empty keyrings again */
	return st;
}

/* The wallet's key into `pub`, which checks manifests and detached signatures; its signing
 * fingerprints recorded. Touches `pub` and c->signer_fprs only: it may run beside
 * rnp_engine_import_decryptor in another thread (two librnp keyrings share no keys, no
 * random generator and no parser state; an import only reads librnp's process-wide log
 * switches). */
static cw_status rnp_engine_import_verifier(wallet_client *c, const unsigned char *pub,
                                            size_t publen)
{
	cw_status st = import_pinned(c, state_of(c)->pub, pub, publen, false);
	return st == CW_OK ? record_signer(c) : st;
}

/* The wallet's key into `ffi`, after the client's, for the inner signature of what it
 * decrypts. Touches `ffi` and the client's key only (c->pending_key stays until both halves
 * are in: a failure of either imports the client's key again at the next attempt). */
static cw_status rnp_engine_import_decryptor(wallet_client *c, const unsigned char *pub,
                                             size_t publen)
{
	cw_status st = rnp_engine_prepare(c);
	return st == CW_OK ? import_pinned(c, state_of(c)->ffi, pub, publen, true) : st;
}

static cw_status rnp_engine_import_keys(wallet_client *c, const unsigned char *pub, size_t publen)
{
	cw_status st;
	if ((st = rnp_engine_prepare(c)) == CW_OK &&
	    (st = rnp_engine_import_verifier(c, pub, publen)) == CW_OK &&
	    (st = rnp_engine_import_decryptor(c, pub, publen)) == CW_OK) {
		cw_sbuf_free(&c->pending_key);
		return st;
	}
	keys_failed(c, state_of(c));
	return st;
}

static void rnp_engine_discard_keys(wallet_client *c)
{
	if (state_of(c) != NULL)
		reset_keyrings(c, state_of(c));
}

/* Merges a fresh copy of the pinned key (a rotation added a signing subkey): the copy is
 * checked alone on a keyring of its own first, so that nothing it would be refused for ever
 * reaches the keyrings in use; merging adds (new subkeys, revocations), it takes nothing away. */
static cw_status rnp_engine_refresh_signer(wallet_client *c, const unsigned char *pub,
                                           size_t publen)
{
	struct wc_rnp *r = state_of(c);
	rnp_ffi_t scratch = NULL;
	cw_status st;
	if (r->ffi == NULL || r->pub == NULL || c->nsigner_fprs == 0) {
		wc_err(c, "the client's keys were rejected before");
		return CW_ERR_KEY;
	}
	if ((st = new_keyring(c, &scratch)) == CW_OK)
		st = import_pinned(c, scratch, pub, publen, false);
	if (scratch != NULL)
		(void)rnp_ffi_destroy(scratch);
	if (st != CW_OK)
		return st;
	if ((st = import_pinned(c, r->pub, pub, publen, false)) == CW_OK &&
	    (st = import_pinned(c, r->ffi, pub, publen, true)) == CW_OK)
		st = record_signer(c); /* a revocation that came in refuses everything from now */
	/* nothing is trusted once the keyrings disagree with the check */
	if (st != CW_OK)
		c->nsigner_fprs = 0;
	return st;
}

/* The key that made a signature: one of the pinned key's signing keys, still sound, and the
 * pinned key itself still sound (checked at each verification, as gpg does). */
static bool signer_ok(struct wc_opener *o, rnp_ffi_t ffi, rnp_key_handle_t k, char fpr[41])
{
	rnp_key_handle_t pinned = NULL;
	bool ok = false;
	for (size_t i = 0; i < o->c->nsigner_fprs && !ok; i++)
		ok = cw_fpr_equal(fpr, o->c->signer_fprs[i]);
	if (ok && (!key_usable(k, "sign") ||
	           rnp_locate_key(ffi, "fingerprint", o->c->cfg.signer, &pinned) != RNP_SUCCESS ||
	           pinned == NULL || !key_sound(pinned)))
		ok = false;
	rnp_key_handle_destroy(pinned);
	return ok;
}

/* A signature whose only fault is a creation time ahead of this machine's clock (a wallet
 * whose clock runs ahead): gpg accepts those, and so does this engine. A real expiry stays
 * refused. */
static bool only_from_future(rnp_op_verify_signature_t s, rnp_result_t status)
{
	uint32_t created = 0, expires = 1;
	return status == RNP_ERROR_SIGNATURE_EXPIRED &&
	       rnp_op_verify_signature_get_times(s, &created, &expires) == RNP_SUCCESS &&
	       expires == 0 && (time_t)created > time(NULL);
}

/* Exactly one signature, good, by the pinned key (its primary or a signing subkey). r is
 * what rnp_op_verify_execute returned. */
static cw_status check_sig(struct wc_opener *o, rnp_ffi_t ffi, rnp_op_verify_t op, rnp_result_t r,
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
	if (sr != RNP_SUCCESS && !only_from_future(s, sr)) {
		o->unknown_signer = sr == RNP_ERROR_KEY_NOT_FOUND;
		wc_oerr(o, "%s: signature not good (%s)", what, rnp_result_to_string(sr));
		return CW_ERR_BADSIG;
	}
	if (rnp_op_verify_signature_get_key(s, &k) != RNP_SUCCESS || k == NULL ||
	    !key_fpr(k, fpr)) {
		rnp_key_handle_destroy(k);
		o->unknown_signer = true;
		wc_oerr(o, "%s: signed by an unknown key", what);
		return CW_ERR_BADSIG;
	}
	bool ok = signer_ok(o, ffi, k, fpr);
	rnp_key_handle_destroy(k);
	if (!ok) {
		wc_oerr(o, "%s: signed by %s, not by a sound signing key of the pinned wallet key",
		        what, fpr);
		return CW_ERR_BADSIG;
	}
	*out = s;
	return CW_OK;
}

/* Calls fn for each hashed notation of s (RNP gives a signature's subpackets only as a JSON
 * dump) with its name, its value and whether it is sound: human-readable, and its length
 * agrees with the text (no NUL inside). CW_ERR_BADSIG when the signature cannot be read. */
typedef void (*notation_fn)(const char *name, const char *value, bool sound, void *arg);
static cw_status each_notation(rnp_op_verify_signature_t s, notation_fn fn, void *arg)
{
	rnp_signature_handle_t h = NULL;
	char *js = NULL;
	cJSON *root = NULL;
	cw_status st = CW_ERR_BADSIG;
	if (rnp_op_verify_signature_get_handle(s, &h) != RNP_SUCCESS ||
	    rnp_signature_packet_to_json(h, 0, &js) != RNP_SUCCESS ||
	    (root = cJSON_Parse(js)) == NULL)
		goto out;
	const cJSON *pkt = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : root;
	const cJSON *sp;
	cJSON_ArrayForEach(sp, cJSON_GetObjectItemCaseSensitive(pkt, "subpackets"))
	{
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(sp, "type");
		const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sp, "name"));
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sp, "value"));
		const cJSON *len = cJSON_GetObjectItemCaseSensitive(sp, "length");
		if (!cJSON_IsNumber(type) || type->valueint != SUBPKT_NOTATION || nm == NULL ||
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sp, "hashed")))
			continue;
		fn(nm, v,
		   v != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sp, "human")) &&
		       cJSON_IsNumber(len) &&
		       len->valuedouble == (double)(8 + strlen(nm) + strlen(v)),
		   arg);
	}
	st = CW_OK;
out:
	cJSON_Delete(root);
	rnp_buffer_destroy(js);
	rnp_signature_handle_destroy(h);
	return st;
}

/* The name and version notations of an inner signature, copied (the JSON they come from is
 * gone when each_notation returns); one that is unsound, too long or repeated counts as
 * malformed (dup). */
struct binding_notes {
	char sname[CW_NAME_MAX + 2], sver[32];
	bool dup;
};

static void take_binding(const char *name, const char *value, bool sound, void *arg)
{
	struct binding_notes *b = arg;
	char *slot = strcmp(name, CW_NOTATION_NAME) == 0      ? b->sname
	             : strcmp(name, CW_NOTATION_VERSION) == 0 ? b->sver
	                                                      : NULL;
	size_t cap = slot == b->sname ? sizeof b->sname : sizeof b->sver;
	if (slot == NULL)
		return;
	if (slot[0] != '\0' || !sound || strlen(value) >= cap)
		b->dup = true;
	else
		memcpy(slot, value, strlen(value) + 1);
}

/* The hashed notations of the inner signature, then the binding. */
static cw_status check_notations(struct wc_opener *o, rnp_op_verify_signature_t s,
                                 const struct wc_sealed *in, uint64_t *version)
{
	struct binding_notes b = {"", "", false};
	if (each_notation(s, take_binding, &b) != CW_OK) {
		wc_oerr(o, "inner signature: unreadable");
		return CW_ERR_BADSIG;
	}
	return wc_check_binding(o, in, b.sname[0] ? b.sname : NULL, b.sver[0] ? b.sver : NULL,
	                        b.dup, version);
}

static bool plain_write(void *app_ctx, const void *buf, size_t len)
{
	return wc_plain_append(app_ctx, buf, len) == CW_OK;
}

/* True when buf is exactly one OpenPGP signature packet (tag 2; old or new format header,
 * RFC 4880 4.2; no partial or indeterminate length). Only the framing is read here; RNP
 * checks the content. */
static bool one_signature_packet(const unsigned char *p, size_t n)
{
	size_t hdr, body;
	if (n < 2 || !(p[0] & 0x80))
		return false;
	if (p[0] & 0x40) { /* new format */
		if ((p[0] & 0x3F) != 2)
			return false;
		if (p[1] < 192) {
			hdr = 2, body = p[1];
		} else if (p[1] < 224) {
			if (n < 3)
				return false;
			hdr = 3, body = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		} else if (p[1] == 255) {
			if (n < 6)
				return false;
			hdr = 6, body = ((size_t)p[2] << 24) | ((size_t)p[3] << 16) |
			                ((size_t)p[4] << 8) | p[5];
		} else {
			return false; /* partial length */
		}
	} else { /* old format */
		if (((p[0] >> 2) & 0x0F) != 2)
			return false;
		switch (p[0] & 3) {
		case 0:
			hdr = 2, body = p[1];
			break;
		case 1:
			if (n < 3)
				return false;
			hdr = 3, body = ((size_t)p[1] << 8) | p[2];
			break;
		case 2:
			if (n < 5)
				return false;
			hdr = 5, body = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) |
			                ((size_t)p[3] << 8) | p[4];
			break;
		default:
			return false; /* indeterminate length */
		}
	}
	return n >= hdr && body == n - hdr;
}

/* 1. The detached signature over the sealed bytes, on the keyring without a secret key, and
 * only when the header holds one signature packet and nothing else. */
static cw_status check_detached(struct wc_opener *o, const struct wc_sealed *in)
{
	rnp_ffi_t pub = state_of(o->c)->pub;
	rnp_input_t data = NULL, sig = NULL;
	rnp_op_verify_t op = NULL;
	rnp_op_verify_signature_t s = NULL;
	cw_status st = CW_ERR_BADSIG;
	if (!one_signature_packet(in->sig, in->sig_len)) {
		wc_oerr(o, "detached signature: not one OpenPGP signature packet");
		return st;
	}
	st = CW_ERR_NOMEM;
	if (rnp_input_from_memory(&data, in->sealed, in->sealed_len, false) != RNP_SUCCESS ||
	    rnp_input_from_memory(&sig, in->sig, in->sig_len, false) != RNP_SUCCESS ||
	    rnp_op_verify_detached_create(&op, pub, data, sig) != RNP_SUCCESS)
		goto out;
	rnp_result_t r = rnp_op_verify_execute(op);
	st = check_sig(o, pub, op, r, "detached signature", &s);
out:
	rnp_op_verify_destroy(op);
	rnp_input_destroy(data);
	rnp_input_destroy(sig);
	return st;
}

/* 2. Decryption into secure memory, then the inner signature and its notations. */
static cw_status decrypt_verify(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                                uint64_t *version)
{
	rnp_ffi_t ffi = state_of(o->c)->ffi;
	rnp_input_t data = NULL;
	rnp_output_t out = NULL;
	rnp_op_verify_t op = NULL;
	rnp_op_verify_signature_t s = NULL;
	char *mode = NULL, *cipher = NULL;
	bool valid = false;
	size_t nsig = 0;
	cw_status st = CW_ERR_NOMEM;
	if (rnp_input_from_memory(&data, in->sealed, in->sealed_len, false) != RNP_SUCCESS ||
	    rnp_output_to_callback(&out, plain_write, NULL, plain) != RNP_SUCCESS ||
	    rnp_op_verify_create(&op, ffi, data, out) != RNP_SUCCESS)
		goto out;
	rnp_result_t r = rnp_op_verify_execute(op);
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
	if ((st = check_sig(o, ffi, op, r, "inner signature", &s)) != CW_OK)
		goto out;
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
	return st;
}

static cw_status rnp_engine_open(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                                 uint64_t *version)
{
	const struct wc_rnp *r = state_of(o->c);
	if (r->ffi == NULL || r->pub == NULL || o->c->nsigner_fprs == 0) {
		wc_oerr(o, "the client's keys were rejected");
		return CW_ERR_KEY;
	}
	/* the detached signature, unless a verified manifest vouches for exactly these bytes */
	cw_status st = in->prechecked ? CW_OK : check_detached(o, in);
	if (st == CW_OK)
		st = decrypt_verify(o, in, plain, version);
	return st;
}

/* The manifest notations of a manifest's signature: how many, whether a sound one names the
 * client, and what the first names (copied for the error line). */
struct manifest_notes {
	const char *client;
	int count;
	bool ours;
	char who[CW_CLIENT_NAME_MAX + 1];
};

static void take_manifest(const char *name, const char *value, bool sound, void *arg)
{
	struct manifest_notes *m = arg;
	if (strcmp(name, CW_NOTATION_MANIFEST) != 0)
		return;
	m->count++;
	m->ours = sound && strcmp(value, m->client) == 0;
	if (value != NULL)
		snprintf(m->who, sizeof m->who, "%s", value);
}

/* The one hashed, human-readable manifest notation of s must name client. */
static cw_status manifest_notation(struct wc_opener *o, rnp_op_verify_signature_t s,
                                   const char *client)
{
	struct manifest_notes m = {client, 0, false, ""};
	if (each_notation(s, take_manifest, &m) != CW_OK) {
		wc_oerr(o, "manifest: unreadable signature");
		return CW_ERR_BADSIG;
	}
	if (m.count == 1 && m.ours)
		return CW_OK;
	if (m.count == 1 && m.who[0] != '\0')
		wc_oerr(o, "manifest for another client (its notation names %.64s)", m.who);
	else
		wc_oerr(o, "manifest: %s",
		        m.count > 1 ? "several client notations" : "no notation naming the client");
	return CW_ERR_BADSIG;
}

/* A signed manifest, on the keyring that holds the pinned key alone (nothing there could
 * decrypt anything). */
static cw_status rnp_engine_open_manifest(struct wc_opener *o, const unsigned char *data,
                                          size_t len, const char *client, unsigned char **doc,
                                          size_t *doclen)
{
	rnp_ffi_t pub = state_of(o->c)->pub;
	rnp_input_t in = NULL;
	rnp_output_t out = NULL;
	rnp_op_verify_t op = NULL;
	rnp_op_verify_signature_t s = NULL;
	uint8_t *buf = NULL;
	size_t blen = 0;
	cw_status st = CW_ERR_NOMEM;
	*doc = NULL;
	*doclen = 0;
	if (pub == NULL || o->c->nsigner_fprs == 0) {
		wc_oerr(o, "the client's keys were rejected");
		return CW_ERR_KEY;
	}
	if (rnp_input_from_memory(&in, data, len, false) != RNP_SUCCESS ||
	    rnp_output_to_memory(&out, CW_MANIFEST_MAX) != RNP_SUCCESS ||
	    rnp_op_verify_create(&op, pub, in, out) != RNP_SUCCESS)
		goto out;
	rnp_result_t r = rnp_op_verify_execute(op);
	if ((st = check_sig(o, pub, op, r, "manifest", &s)) != CW_OK ||
	    (st = manifest_notation(o, s, client)) != CW_OK)
		goto out;
	st = CW_ERR_NOMEM;
	if (rnp_output_memory_get_buf(out, &buf, &blen, true) == RNP_SUCCESS &&
	    (*doc = malloc(blen ? blen : 1)) != NULL) {
		memcpy(*doc, buf, blen);
		*doclen = blen;
		st = CW_OK;
	}
out:
	rnp_buffer_destroy(buf);
	rnp_op_verify_destroy(op);
	rnp_output_destroy(out);
	rnp_input_destroy(in);
	return st;
}

const struct wc_engine_ops wc_engine_rnp = {
    .name = "rnp",
    .max_threads = 1, /* one keyring, not to be shared between threads */
    .init = rnp_engine_init,
    .prepare = rnp_engine_prepare,
    .load_signer = NULL, /* its keyrings start empty */
    .import_keys = rnp_engine_import_keys,
    .import_verifier = rnp_engine_import_verifier,
    .import_decryptor = rnp_engine_import_decryptor,
    .discard_keys = rnp_engine_discard_keys,
    .refresh_signer = rnp_engine_refresh_signer,
    .thread_ctx = rnp_engine_thread_ctx,
    .open = rnp_engine_open,
    .open_manifest = rnp_engine_open_manifest,
    .free = rnp_engine_free,
};
