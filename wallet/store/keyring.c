#define _GNU_SOURCE
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "gpgutil.h"
#include "secmem.h"

#define WALLET_UID "containerwallet signing key <wallet@containerwallet.invalid>"

cw_status wg_create_signing_key(const char *home, char fpr[41], char *err, size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	cw_status st = cw_gpg_ctx(home, &ctx);
	err[0] = '\0';
	if (st != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return st;
	}
	gpgme_error_t ge = gpgme_op_createkey(ctx, WALLET_UID, "ed25519", 0, 0, NULL,
	                                      GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD |
	                                          GPGME_CREATE_NOEXPIRE | GPGME_CREATE_FORCE);
	gpgme_genkey_result_t r = gpgme_op_genkey_result(ctx);
	if (ge != 0 || r == NULL || r->fpr == NULL || strlen(r->fpr) != 40) {
		cw_gpg_errfmt(err, errsz, "key generation failed", ge);
		st = CW_ERR_CRYPTO;
	} else {
		memcpy(fpr, r->fpr, 41);
	}
	gpgme_release(ctx);
	return st;
}

cw_status wg_list_secret(const char *home, char ***fprs, size_t *n)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key;
	gpgme_error_t ge;
	*fprs = NULL;
	*n = 0;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	if (gpgme_op_keylist_start(ctx, NULL, 1) != 0) {
		st = CW_ERR_CRYPTO;
		goto out;
	}
	while ((ge = gpgme_op_keylist_next(ctx, &key)) == 0) {
		if (st == CW_OK && key->fpr != NULL)
			st = cw_strv_add(fprs, n, key->fpr);
		gpgme_key_unref(key);
	}
	if (st == CW_OK && gpgme_err_code(ge) != GPG_ERR_EOF)
		st = CW_ERR_CRYPTO;
out:
	gpgme_release(ctx);
	if (st != CW_OK) {
		cw_strv_free(*fprs, *n);
		*fprs = NULL;
		*n = 0;
	}
	return st;
}

cw_status wg_key_grips(const char *home, const char *fpr, char ***grips, size_t *n)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	*grips = NULL;
	*n = 0;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	/* secret listing: gpg reports keygrips there */
	if (gpgme_get_key(ctx, fpr, &key, 1) != 0) {
		st = CW_ERR_NOTFOUND;
		goto out;
	}
	for (gpgme_subkey_t s = key->subkeys; s != NULL && st == CW_OK; s = s->next)
		if (s->keygrip != NULL)
			st = cw_strv_add(grips, n, s->keygrip);
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

static bool has_encryption_subkey(gpgme_key_t k)
{
	for (gpgme_subkey_t s = k->subkeys; s != NULL; s = s->next)
		if (s->can_encrypt && !s->revoked && !s->expired && !s->disabled && !s->invalid)
			return true;
	return false;
}

/* The reason a key cannot be a recipient, or NULL. */
const char *wg_key_problem(gpgme_key_t k)
{
	if (k->secret)
		return "secret key material refused: give the public key only";
	if (k->revoked)
		return "key is revoked";
	if (k->expired)
		return "key has expired";
	if (k->disabled || k->invalid)
		return "key is disabled or invalid";
	if (!has_encryption_subkey(k))
		return "key has no usable encryption subkey";
	return NULL;
}

cw_status wg_key_usable(const char *home, const char *fpr, char *err, size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	const char *why;
	err[0] = '\0';
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	gpgme_error_t ge = gpgme_get_key(ctx, fpr, &key, 0);
	if (ge != 0) {
		cw_gpg_errfmt(err, errsz, "key not in the keyring", ge);
		st = CW_ERR_KEY;
	} else if ((why = wg_key_problem(key)) != NULL) {
		cw_gpg_errfmt(err, errsz, why, 0);
		st = CW_ERR_KEY;
	}
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

cw_status wg_delete_public(const char *home, const char *fpr, char *err, size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL, sec = NULL;
	err[0] = '\0';
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return st;
	}
	gpgme_error_t ge = gpgme_get_key(ctx, fpr, &key, 0);
	if (gpgme_err_code(ge) == GPG_ERR_EOF) {
		st = CW_ERR_NOTFOUND;
	} else if (ge != 0) {
		cw_gpg_errfmt(err, errsz, "cannot look the key up", ge);
		st = CW_ERR_CRYPTO;
	} else if (gpgme_get_key(ctx, fpr, &sec, 1) == 0) {
		/* the wallet's own key, or anything with a secret part: never ours to delete */
		cw_gpg_errfmt(err, errsz, "the key has a secret part in the keyring", 0);
		st = CW_ERR_KEY;
	} else if ((ge = gpgme_op_delete_ext(ctx, key, GPGME_DELETE_FORCE)) != 0) {
		cw_gpg_errfmt(err, errsz, "cannot delete the key", ge);
		st = CW_ERR_CRYPTO;
	}
	if (sec != NULL)
		gpgme_key_unref(sec);
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

/* Lists the keys in data without importing anything (gpg --import-options show-only). */
static cw_status precheck(gpgme_ctx_t ctx, gpgme_data_t d, char fpr[41], char *err, size_t errsz)
{
	gpgme_key_t k;
	gpgme_error_t ge;
	int count = 0;
	cw_status st = CW_OK;
	const char *why = NULL;
	if ((ge = gpgme_op_keylist_from_data_start(ctx, d, 0)) != 0) {
		cw_gpg_errfmt(err, errsz, "cannot read the key", ge);
		return CW_ERR_KEY;
	}
	while ((ge = gpgme_op_keylist_next(ctx, &k)) == 0) {
		count++;
		if (why == NULL)
			why = wg_key_problem(k);
		if (count == 1 && k->fpr != NULL && strlen(k->fpr) == 40)
			memcpy(fpr, k->fpr, 41);
		gpgme_key_unref(k);
	}
	gpgme_op_keylist_end(ctx);
	if (gpgme_err_code(ge) != GPG_ERR_EOF) {
		cw_gpg_errfmt(err, errsz, "cannot read the key", ge);
		st = CW_ERR_KEY;
	} else if (count == 0) {
		cw_gpg_errfmt(err, errsz, "no OpenPGP key on stdin", 0);
		st = CW_ERR_KEY;
	} else if (count > 1) {
		snprintf(err, errsz, "%d keys on stdin: give exactly one", count);
		st = CW_ERR_KEY;
	} else if (why != NULL) {
		cw_gpg_errfmt(err, errsz, why, 0);
		st = CW_ERR_KEY;
	} else if (fpr[0] == '\0') {
		cw_gpg_errfmt(err, errsz, "key without a v4 fingerprint", 0);
		st = CW_ERR_KEY;
	}
	return st;
}

cw_status wg_import_public(const char *home, const void *data, size_t len, char fpr[41], char *err,
                           size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t ge;
	bool existed = false;
	const char *why;
	fpr[0] = '\0';
	err[0] = '\0';
	if (memmem(data, len, "PRIVATE KEY BLOCK", 17) != NULL) {
		cw_gpg_errfmt(err, errsz, "secret key material refused: give the public key only",
		              0);
		return CW_ERR_KEY;
	}
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return st;
	}
	if ((ge = gpgme_data_new_from_mem(&d, data, len, 0)) != 0) {
		cw_gpg_errfmt(err, errsz, "gpgme data", ge);
		st = CW_ERR_CRYPTO;
		goto out;
	}
	if ((st = precheck(ctx, d, fpr, err, errsz)) != CW_OK)
		goto out;
	if (gpgme_get_key(ctx, fpr, &key, 0) == 0) {
		existed = true;
		gpgme_key_unref(key);
		key = NULL;
	}
	gpgme_data_seek(d, 0, SEEK_SET);
	ge = gpgme_op_import(ctx, d);
	gpgme_import_result_t ir = gpgme_op_import_result(ctx);
	if (ge == 0 && ir != NULL && ir->secret_read != 0) {
		cw_gpg_errfmt(err, errsz, "secret key material refused: give the public key only",
		              0);
		st = CW_ERR_KEY;
		goto out;
	}
	/* The key passed the listing above: gpg failing to store it is gpg's (or the disk's)
	 * failure, not a refusal of the key. */
	if (ge != 0 || ir == NULL || ir->considered != 1 || ir->not_imported != 0) {
		cw_gpg_errfmt(err, errsz, "gpg could not add the key to the keyring", ge);
		st = CW_ERR_CRYPTO;
		goto out;
	}
	/* What the keyring now says (self-signatures checked) decides. */
	if ((ge = gpgme_get_key(ctx, fpr, &key, 0)) != 0) {
		cw_gpg_errfmt(err, errsz, "imported key not found", ge);
		st = CW_ERR_KEY;
	} else if ((why = wg_key_problem(key)) != NULL) {
		cw_gpg_errfmt(err, errsz, why, 0);
		st = CW_ERR_KEY;
	}
out:
	if (st == CW_ERR_KEY && key != NULL && !existed)
		(void)gpgme_op_delete_ext(ctx, key, GPGME_DELETE_FORCE);
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_data_release(d);
	gpgme_release(ctx);
	return st;
}

cw_status wg_keyring_mtime(const char *home, struct timespec *out)
{
	char path[4096];
	struct stat sb;
	/* GnuPG 2.1 and later keep public keys in a keybox (a keyring of 2.0 is not used here) */
	if (cw_path(path, sizeof path, "%s/pubring.kbx", home) != CW_OK || stat(path, &sb) != 0)
		return CW_ERR_NOTFOUND;
	*out = sb.st_mtim;
	return CW_OK;
}

cw_status wg_export_public(const char *home, const char *fpr, int armor, unsigned char **out,
                           size_t *len)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	*out = NULL;
	*len = 0;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	gpgme_set_armor(ctx, armor);
	st = CW_ERR_CRYPTO;
	if (gpgme_data_new(&d) != 0 || gpgme_op_export(ctx, fpr, 0, d) != 0)
		goto out;
	size_t n = 0;
	char *m = gpgme_data_release_and_get_mem(d, &n);
	d = NULL;
	if (m == NULL || n == 0) {
		gpgme_free(m);
		st = CW_ERR_NOTFOUND;
		goto out;
	}
	if ((*out = malloc(n + 1)) == NULL) {
		gpgme_free(m);
		st = CW_ERR_NOMEM;
		goto out;
	}
	memcpy(*out, m, n);
	(*out)[n] = '\0';
	*len = n;
	gpgme_free(m);
	st = CW_OK;
out:
	gpgme_data_release(d);
	gpgme_release(ctx);
	return st;
}

static void part_from(struct wg_keypart *p, gpgme_key_t key, gpgme_subkey_t s, bool primary)
{
	memset(p, 0, sizeof *p);
	if (s->fpr != NULL && strlen(s->fpr) == 40)
		memcpy(p->fpr, s->fpr, 41);
	p->created = (long long)s->timestamp;
	p->primary = primary;
	p->can_sign = s->can_sign;
	p->secret = s->secret;
	p->revoked = s->revoked || key->revoked;
	p->expired = s->expired || key->expired;
	p->invalid = s->invalid || s->disabled || key->invalid || key->disabled;
}

cw_status wg_key_parts(const char *home, const char *fpr, struct wg_keypart *parts, size_t max,
                       size_t *n)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	*n = 0;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	/* the secret listing tells which parts have their secret here; a key none of whose
	 * parts has is listed as a public key */
	if (gpgme_get_key(ctx, fpr, &key, 1) != 0 && gpgme_get_key(ctx, fpr, &key, 0) != 0) {
		st = CW_ERR_NOTFOUND;
		goto out;
	}
	if (key->subkeys == NULL || !cw_fpr_equal(key->subkeys->fpr, fpr)) {
		st = CW_ERR_NOTFOUND; /* fpr named a subkey */
		goto out;
	}
	for (gpgme_subkey_t s = key->subkeys; s != NULL && *n < max; s = s->next) {
		part_from(&parts[*n], key, s, s == key->subkeys);
		(*n)++;
	}
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

/* GnuPG's choice for `-u PRIMARY` (its key lookup): the sound signing subkey with a secret
 * part and the latest creation time, the first of equals in keyring order; the primary only
 * when no subkey qualifies. */
int wg_signing_part(const struct wg_keypart *parts, size_t n)
{
	int best = -1;
	if (n == 0 || parts[0].revoked || parts[0].expired || parts[0].invalid)
		return -1;
	for (size_t i = 1; i < n; i++) {
		const struct wg_keypart *p = &parts[i];
		if (!p->can_sign || !p->secret || p->revoked || p->expired || p->invalid)
			continue;
		if (best < 0 || p->created > parts[best].created)
			best = (int)i;
	}
	if (best < 0 && parts[0].can_sign && parts[0].secret)
		best = 0;
	return best;
}

/* Waits until the clock has passed every part's creation time, so that a subkey made now is
 * the newest (two made in one second would leave gpg's choice to their order). */
static cw_status wait_past_parts(const char *home, const char *fpr, char *err, size_t errsz)
{
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0;
	long long newest = 0;
	if (wg_key_parts(home, fpr, parts, WG_PARTS_MAX, &n) != CW_OK) {
		snprintf(err, errsz, "the wallet's key %s is not in the keyring", fpr);
		return CW_ERR_CRYPTO;
	}
	for (size_t i = 0; i < n; i++)
		if (parts[i].created > newest)
			newest = parts[i].created;
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if ((long long)now.tv_sec > newest)
			return CW_OK;
		if (newest - (long long)now.tv_sec > 2) {
			snprintf(
			    err, errsz,
			    "a part of the key was made %lld s in the future: is the clock right?",
			    newest - (long long)now.tv_sec);
			return CW_ERR_CRYPTO;
		}
		/* to just past the next second */
		struct timespec d = {0, 1000000000L - now.tv_nsec};
		d.tv_nsec = d.tv_nsec > 999000000L ? 999999999L : d.tv_nsec + 1000000L;
		nanosleep(&d, NULL);
	}
}

/* The subkey itself, made with the primary's secret part in home. */
static cw_status create_subkey(const char *home, const char *fpr, char newfpr[41], char *err,
                               size_t errsz)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	cw_status st = wait_past_parts(home, fpr, err, errsz);
	if (st != CW_OK)
		return st;
	if ((st = cw_gpg_ctx(home, &ctx)) != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return st;
	}
	gpgme_error_t ge = gpgme_get_key(ctx, fpr, &key, 0);
	if (ge != 0) {
		cw_gpg_errfmt(err, errsz, "the wallet's key is not in the keyring", ge);
		st = CW_ERR_CRYPTO;
		goto out;
	}
	ge = gpgme_op_createsubkey(ctx, key, "ed25519", 0, 0,
	                           GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD |
	                               GPGME_CREATE_NOEXPIRE);
	gpgme_genkey_result_t r = gpgme_op_genkey_result(ctx);
	if (ge != 0 || r == NULL || !r->sub || r->fpr == NULL || strlen(r->fpr) != 40) {
		/* gpgme gives gpg an empty passphrase for the new subkey (NOPASSWD), which is
		 * also what a protected primary key is then tried with */
		cw_gpg_errfmt(
		    err, errsz,
		    "cannot sign with it (protected by a passphrase? give it without one)", ge);
		st = CW_ERR_KEY;
		goto out;
	}
	memcpy(newfpr, r->fpr, 41);
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return st;
}

static ssize_t sbuf_write(void *handle, const void *buf, size_t size)
{
	if (cw_sbuf_append(handle, buf, size) != CW_OK) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)size;
}

/* Imports len bytes of key material into home: all of it part of the key fpr, and with a
 * secret part when want_secret. CW_ERR_KEY when it is refused; err then says why, after
 * "what: " unless what is NULL. */
static cw_status import_into(const char *home, const char *fpr, const void *data, size_t len,
                             bool want_secret, const char *what, char *err, size_t errsz)
{
	char pre[64] = "";
	if (what != NULL)
		snprintf(pre, sizeof pre, "%s: ", what);
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	gpgme_error_t ge;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		return st;
	}
	st = CW_ERR_KEY;
	if ((ge = gpgme_data_new_from_mem(&d, data, len, 0)) != 0 ||
	    (ge = gpgme_op_import(ctx, d)) != 0) {
		char what2[80];
		snprintf(what2, sizeof what2, "%scannot import it", pre);
		cw_gpg_errfmt(err, errsz, what2, ge);
		goto out;
	}
	gpgme_import_result_t ir = gpgme_op_import_result(ctx);
	bool others = ir == NULL || ir->imports == NULL || ir->considered != 1;
	for (gpgme_import_status_t is = ir ? ir->imports : NULL; is != NULL; is = is->next)
		others =
		    others || is->fpr == NULL || !cw_fpr_equal(is->fpr, fpr) || is->result != 0;
	if (others) {
		snprintf(err, errsz, "%sholds another key than the wallet's %s", pre, fpr);
		goto out;
	}
	if (want_secret && ir->secret_imported + ir->secret_unchanged == 0) {
		snprintf(err, errsz, "%sholds no secret key", pre);
		goto out;
	}
	st = CW_OK;
out:
	gpgme_data_release(d);
	gpgme_release(ctx);
	return st;
}

/* The rotation with the primary from outside: into a throwaway home, with the wallet's
 * current public key (all its subkeys), then the new subkey's secret part (the primary as a
 * stub: gpg --export-secret-subkeys NEW!) into home. */
static cw_status create_elsewhere(const char *home, const char *fpr, const void *primary,
                                  size_t primary_len, char newfpr[41], char *err, size_t errsz)
{
	char tmp[4096], pattern[48];
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0, publen = 0;
	unsigned char *pub = NULL;
	cw_sbuf sub = {0};
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t d = NULL;
	gpgme_error_t ge;
	static struct gpgme_data_cbs cbs = {NULL, sbuf_write, NULL, NULL};
	cw_status st = cw_gpg_tmphome("walletrotate", tmp, sizeof tmp);
	if (st != CW_OK) {
		snprintf(err, errsz,
		         "no memory file system for a throwaway GNUPGHOME (tried "
		         "$XDG_RUNTIME_DIR, /dev/shm, /run)");
		return st;
	}
	/* refusals of the key given are CW_ERR_KEY; anything else that fails is not its fault */
	if ((st = import_into(tmp, fpr, primary, primary_len, true, NULL, err, errsz)) != CW_OK)
		goto out;
	if ((st = wg_key_parts(tmp, fpr, parts, WG_PARTS_MAX, &n)) != CW_OK || !parts[0].secret) {
		snprintf(err, errsz,
		         "holds no secret part of the primary key (an export of "
		         "--export-secret-subkeys?)");
		st = CW_ERR_KEY;
		goto out;
	}
	if ((st = wg_export_public(home, fpr, 0, &pub, &publen)) != CW_OK) {
		snprintf(err, errsz, "cannot export the wallet's public key: %s", cw_strerror(st));
		goto out;
	}
	if ((st = import_into(tmp, fpr, pub, publen, false, "the wallet's public key", err,
	                      errsz)) != CW_OK) {
		st = CW_ERR_CRYPTO;
		goto out;
	}
	if ((st = create_subkey(tmp, fpr, newfpr, err, errsz)) != CW_OK)
		goto out;
	snprintf(pattern, sizeof pattern, "%s!", newfpr);
	if ((st = cw_gpg_ctx(tmp, &ctx)) != CW_OK) {
		cw_gpg_errfmt(err, errsz, "cannot start gpgme", 0);
		goto out;
	}
	st = CW_ERR_CRYPTO;
	if ((ge = gpgme_data_new_from_cbs(&d, &cbs, &sub)) != 0 ||
	    (ge = gpgme_op_export(ctx, pattern, GPGME_EXPORT_MODE_SECRET_SUBKEY, d)) != 0 ||
	    sub.len == 0) {
		cw_gpg_errfmt(err, errsz, "cannot export the new subkey", ge);
		goto out;
	}
	if (import_into(home, fpr, sub.data, sub.len, true, "the new subkey", err, errsz) != CW_OK)
		st = CW_ERR_CRYPTO;
	else
		st = CW_OK;
out:
	gpgme_data_release(d);
	gpgme_release(ctx);
	cw_sbuf_free(&sub);
	free(pub);
	(void)cw_gpg_destroy_home(tmp);
	return st;
}

cw_status wg_add_signing_subkey(const char *home, const char *fpr, const void *primary,
                                size_t primary_len, char newfpr[41], char *err, size_t errsz)
{
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0;
	err[0] = '\0';
	newfpr[0] = '\0';
	cw_status st = primary != NULL
	                   ? create_elsewhere(home, fpr, primary, primary_len, newfpr, err, errsz)
	                   : create_subkey(home, fpr, newfpr, err, errsz);
	if (st != CW_OK)
		return st;
	/* what gpg will sign with from now on, as the keyring now says */
	if ((st = wg_key_parts(home, fpr, parts, WG_PARTS_MAX, &n)) != CW_OK)
		snprintf(err, errsz, "the wallet's key is gone from the keyring");
	int k = st == CW_OK ? wg_signing_part(parts, n) : -1;
	if (st == CW_OK && (k < 0 || !cw_fpr_equal(parts[k].fpr, newfpr))) {
		snprintf(err, errsz, "the new subkey %s is in the keyring but would not sign",
		         newfpr);
		st = CW_ERR_CRYPTO;
	}
	return st;
}

/* The watchdog of one holder of the agent: a shell whose stdin is a pipe from the holder. A
 * clean leave writes one line, and the shell exits. Any death of the holder (kill -9 included)
 * closes the pipe without one, and the shell then stops the agent once no wallet process is
 * inside (flock -x waits for them, and for the dead holder's lock to be released). */
struct watchdog {
	int lockfd;
	int wfd;
	pid_t pid;
	struct watchdog *next;
};
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static struct watchdog *watches;

static const char watchdog_sh[] =
    "read -r x || exec flock -x -w 60 \"$0\" gpgconf --homedir \"$1\" --kill gpg-agent";

/* posix_spawn: safe in wallet serve's threads. The holder's stdout and stderr are not the
 * shell's: `docker exec` must not wait for it. */
static void watch_start(const char *home, const char *lockpath, int lockfd)
{
	int p[2];
	struct watchdog *w = calloc(1, sizeof *w);
	posix_spawn_file_actions_t fa;
	if (w == NULL || pipe2(p, O_CLOEXEC) != 0) {
		free(w);
		return;
	}
	char *argv[] = {"sh", "-c", (char *)watchdog_sh, (char *)lockpath, (char *)home, NULL};
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		(void)posix_spawn_file_actions_adddup2(&fa, p[0], 0);
		(void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		rc = posix_spawnp(&w->pid, "sh", &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		free(w);
		return;
	}
	w->lockfd = lockfd;
	w->wfd = p[1];
	pthread_mutex_lock(&watch_mu);
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&watch_mu);
}

static void watch_stop(int lockfd)
{
	struct watchdog *w = NULL;
	pthread_mutex_lock(&watch_mu);
	for (struct watchdog **pp = &watches; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->lockfd == lockfd) {
			w = *pp;
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&watch_mu);
	if (w == NULL)
		return;
	(void)!write(w->wfd, "\n", 1);
	close(w->wfd);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(w);
}

/* Whether an agent's socket is in home. */
static bool agent_socket(const char *home)
{
	char sock[4096];
	struct stat sb;
	return cw_path(sock, sizeof sock, "%s/S.gpg-agent", home) == CW_OK &&
	       lstat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

int wg_agent_enter(const char *home)
{
	char p[4096];
	if (cw_path(p, sizeof p, "%s/.cw-agent.lock", home) != CW_OK)
		return -1;
	int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fd;
	/* Nobody inside, yet an agent: its holder died with its watchdog (a kill -9 of the
	 * whole process group). Stop it before anything uses it. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && agent_socket(home))
		cw_gpg_kill_agent(home);
	while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
		;
	watch_start(home, p, fd);
	return fd;
}

/* gpgconf finds the agent's socket wherever gnupg put it; then wait (bounded) for the socket
 * in home to go, so that the next command starts a fresh agent instead of reaching a dying one. */
void wg_agent_leave(const char *home, int lockfd)
{
	if (lockfd < 0)
		return;
	(void)flock(lockfd, LOCK_UN);
	/* Only the last one out stops the agent: another store may be signing right now. */
	if (flock(lockfd, LOCK_EX | LOCK_NB) == 0)
		cw_gpg_kill_agent(home);
	/* only now: a death before this point still has the watchdog stop the agent */
	watch_stop(lockfd);
	close(lockfd);
}
