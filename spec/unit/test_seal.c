#define _GNU_SOURCE
/* wallet/seal + wallet/keyring with real gpg: a wallet home and a client home, each a
 * throwaway GNUPGHOME on a memory file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_common.h"
#include "gpgutil.h"
#include "sealfmt.h"
#include "keyring.h"
#include "seal.h"

static char whome[4096], chome[4096];
static char wfpr[41], cfpr[41];

static gpgme_data_t export_key(const char *home, const char *fpr, gpgme_export_mode_t mode)
{
	gpgme_ctx_t ctx;
	gpgme_data_t d;
	assert_int_equal(cw_gpg_ctx(home, &ctx), CW_OK);
	gpgme_set_armor(ctx, 1);
	assert_int_equal(gpgme_data_new(&d), 0);
	assert_int_equal(gpgme_op_export(ctx, fpr, mode, d), 0);
	gpgme_release(ctx);
	return d;
}

static char *data_str(gpgme_data_t d, size_t *len)
{
	char *m = gpgme_data_release_and_get_mem(d, len);
	char *s = malloc(*len + 1);
	memcpy(s, m, *len);
	s[*len] = '\0';
	gpgme_free(m);
	return s;
}

/* A client key: ed25519 primary (sign) + cv25519 subkey (encrypt) unless sign_only. */
static void make_client_key(const char *home, const char *uid, bool sign_only, char fpr[41])
{
	gpgme_ctx_t ctx;
	gpgme_key_t key;
	assert_int_equal(cw_gpg_ctx(home, &ctx), CW_OK);
	assert_int_equal(
	    gpgme_op_createkey(ctx, uid, "ed25519", 0, 0, NULL,
	                       GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE),
	    0);
	memcpy(fpr, gpgme_op_genkey_result(ctx)->fpr, 41);
	if (!sign_only) {
		assert_int_equal(gpgme_get_key(ctx, fpr, &key, 1), 0);
		assert_int_equal(gpgme_op_createsubkey(ctx, key, "cv25519", 0, 0,
		                                       GPGME_CREATE_ENCR | GPGME_CREATE_NOPASSWD |
		                                           GPGME_CREATE_NOEXPIRE),
		                 0);
		gpgme_key_unref(key);
	}
	gpgme_release(ctx);
}

static int setup(void **state)
{
	(void)state;
	char err[512];
	if (cw_gpg_tmphome("cwseal-w", whome, sizeof whome) != CW_OK ||
	    cw_gpg_tmphome("cwseal-c", chome, sizeof chome) != CW_OK)
		return -1;
	if (wg_create_signing_key(whome, wfpr, err, sizeof err) != CW_OK)
		return -1;
	make_client_key(chome, "app1", false, cfpr);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cw_gpg_destroy_home(whome);
	cw_gpg_destroy_home(chome);
	return 0;
}

static void test_import_refusals(void **state)
{
	(void)state;
	char fpr[41], err[512], other[41];
	size_t len, len2;
	char *sec = data_str(export_key(chome, cfpr, GPGME_EXPORT_MODE_SECRET), &len);
	assert_int_equal(wg_import_public(whome, sec, len, fpr, err, sizeof err), CW_ERR_KEY);
	assert_non_null(strstr(err, "secret"));
	free(sec);

	make_client_key(chome, "signonly", true, other);
	char *so = data_str(export_key(chome, other, 0), &len);
	assert_int_equal(wg_import_public(whome, so, len, fpr, err, sizeof err), CW_ERR_KEY);
	assert_non_null(strstr(err, "encryption subkey"));

	char *pub = data_str(export_key(chome, cfpr, 0), &len2);
	char *two = malloc(len + len2 + 1);
	memcpy(two, pub, len2);
	memcpy(two + len2, so, len + 1);
	assert_int_equal(wg_import_public(whome, two, len + len2, fpr, err, sizeof err),
	                 CW_ERR_KEY);
	assert_non_null(strstr(err, "2 keys"));
	assert_int_equal(wg_import_public(whome, "garbage", 7, fpr, err, sizeof err), CW_ERR_KEY);
	free(two);
	free(so);

	/* nothing of that reached the wallet's keyring, and no secret key but its own */
	char **secret;
	size_t ns;
	assert_int_equal(wg_key_usable(whome, cfpr, err, sizeof err), CW_ERR_KEY);
	assert_int_equal(wg_list_secret(whome, &secret, &ns), CW_OK);
	assert_int_equal(ns, 1);
	assert_true(cw_fpr_equal(secret[0], wfpr));
	cw_strv_free(secret, ns);

	assert_int_equal(wg_import_public(whome, pub, len2, fpr, err, sizeof err), CW_OK);
	assert_true(cw_fpr_equal(fpr, cfpr));
	assert_int_equal(wg_key_usable(whome, cfpr, err, sizeof err), CW_OK);
	free(pub);
}

/* What sealing name at version for app1 (cfpr) takes; r is filled and must outlive it. */
static struct wg_seal_in seal_input(ws_recipient *r, const char *name, uint64_t version,
                                    const unsigned char *content, size_t len)
{
	memset(r, 0, sizeof *r);
	strcpy(r->client, "app1");
	memcpy(r->fingerprint, cfpr, 41);
	return (struct wg_seal_in){.home = whome,
	                           .signer = wfpr,
	                           .rcpt = r,
	                           .nrcpt = 1,
	                           .name = name,
	                           .version = version,
	                           .created = "2026-11-22T16:40:37Z",
	                           .content = content,
	                           .content_len = len};
}

static const char *notation(gpgme_signature_t s, const char *name)
{
	for (gpgme_sig_notation_t n = s->notations; n != NULL; n = n->next)
		if (n->name != NULL && strcmp(n->name, name) == 0)
			return n->value;
	return NULL;
}

static void test_seal_open(void **state)
{
	(void)state;
	char fpr[41], err[512];
	size_t len;
	unsigned char content[256];
	for (int i = 0; i < 256; i++)
		content[i] = (unsigned char)i;
	char *pub = data_str(export_key(chome, cfpr, 0), &len);
	assert_int_equal(wg_import_public(whome, pub, len, fpr, err, sizeof err), CW_OK);
	free(pub);

	ws_recipient r;
	struct wg_seal_in in = seal_input(&r, "app1/db_pass", 42, content, sizeof content);
	unsigned char *sealed, *sig;
	size_t sealed_len, sig_len;
	assert_int_equal(wg_seal(&in, &sealed, &sealed_len, &sig, &sig_len, err, sizeof err),
	                 CW_OK);
	assert_null(memmem(sealed, sealed_len, content + 32, 64)); /* not in clear */

	/* the detached signature: good, by the wallet key; fails on a flipped byte or another key
	 */
	assert_int_equal(
	    wg_verify_detached(whome, wfpr, sealed, sealed_len, sig, sig_len, err, sizeof err),
	    CW_OK);
	assert_int_equal(
	    wg_verify_detached(whome, cfpr, sealed, sealed_len, sig, sig_len, err, sizeof err),
	    CW_ERR_BADSIG);
	sealed[sealed_len / 2] ^= 1;
	assert_int_equal(
	    wg_verify_detached(whome, wfpr, sealed, sealed_len, sig, sig_len, err, sizeof err),
	    CW_ERR_BADSIG);
	sealed[sealed_len / 2] ^= 1;

	/* the client opens it: exact bytes, inner signature by the wallet with the notations */
	unsigned char *wpub;
	size_t wlen;
	gpgme_ctx_t ctx;
	gpgme_data_t din, dkey, dout;
	assert_int_equal(wg_export_public(whome, wfpr, 1, &wpub, &wlen), CW_OK);
	assert_int_equal(cw_gpg_ctx(chome, &ctx), CW_OK);
	assert_int_equal(gpgme_data_new_from_mem(&dkey, (char *)wpub, wlen, 0), 0);
	assert_int_equal(gpgme_op_import(ctx, dkey), 0);
	gpgme_data_release(dkey);
	free(wpub);
	assert_int_equal(gpgme_data_new_from_mem(&din, (char *)sealed, sealed_len, 0), 0);
	assert_int_equal(gpgme_data_new(&dout), 0);
	assert_int_equal(gpgme_op_decrypt_verify(ctx, din, dout), 0);
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	assert_non_null(vr->signatures);
	assert_null(vr->signatures->next);
	assert_int_equal(gpgme_err_code(vr->signatures->status), GPG_ERR_NO_ERROR);
	assert_true(cw_fpr_equal(vr->signatures->fpr, wfpr));
	assert_string_equal(notation(vr->signatures, CW_NOTATION_NAME), "app1/db_pass");
	assert_string_equal(notation(vr->signatures, CW_NOTATION_VERSION), "42");
	assert_string_equal(notation(vr->signatures, CW_NOTATION_CREATED), "2026-11-22T16:40:37Z");
	size_t outlen;
	char *out = gpgme_data_release_and_get_mem(dout, &outlen);
	assert_int_equal(outlen, sizeof content);
	assert_memory_equal(out, content, sizeof content);
	gpgme_free(out);
	gpgme_data_release(din);
	gpgme_release(ctx);

	/* an unknown recipient key is refused */
	memset(r.fingerprint, 'A', 40);
	unsigned char *s2, *g2;
	size_t l2, gl2;
	assert_int_not_equal(wg_seal(&in, &s2, &l2, &g2, &gl2, err, sizeof err), CW_OK);
	assert_null(s2);
	free(sealed);
	free(sig);
}

/* GnuPG's choice of the part that signs, as wg_signing_part mirrors it. */
static void test_signing_part(void **state)
{
	(void)state;
	struct wg_keypart p[4];
	memset(p, 0, sizeof p);
	p[0] =
	    (struct wg_keypart){.primary = true, .can_sign = true, .secret = true, .created = 10};
	assert_int_equal(wg_signing_part(p, 1), 0); /* before any rotation: the primary */
	p[1] = (struct wg_keypart){.can_sign = true, .secret = true, .created = 20};
	p[2] = (struct wg_keypart){.can_sign = true, .secret = true, .created = 30};
	p[3] = (struct wg_keypart){.can_sign = true, .secret = true, .created = 30};
	assert_int_equal(wg_signing_part(p, 4), 2); /* the newest; the first of equals */
	p[2].secret = false;                        /* its secret part taken away */
	assert_int_equal(wg_signing_part(p, 4), 3);
	p[3].revoked = true;
	assert_int_equal(wg_signing_part(p, 4), 1);
	p[1].expired = true;
	assert_int_equal(wg_signing_part(p, 4), 0); /* back to the primary */
	p[0].secret = false;                        /* ...which is offline */
	assert_int_equal(wg_signing_part(p, 4), -1);
	p[1].expired = false;
	p[0].revoked = true; /* a revoked key signs nothing */
	assert_int_equal(wg_signing_part(p, 4), -1);
}

/* Seals one object and returns the fingerprint of the (sub)key its detached signature names. */
static void seal_one(const char *name, char maker[41])
{
	char err[512];
	ws_recipient r;
	struct wg_seal_in in = seal_input(&r, name, 1, (const unsigned char *)"x", 1);
	unsigned char *sealed, *sig;
	size_t sealed_len, sig_len;
	assert_int_equal(wg_seal(&in, &sealed, &sealed_len, &sig, &sig_len, err, sizeof err),
	                 CW_OK);
	assert_int_equal(
	    wg_verify_detached(whome, wfpr, sealed, sealed_len, sig, sig_len, err, sizeof err),
	    CW_OK);
	assert_int_equal(wg_signature_maker(whome, sealed, sealed_len, sig, sig_len, maker), CW_OK);
	free(sealed);
	free(sig);
}

static void test_rotation(void **state)
{
	(void)state;
	char fpr[41], sub1[41], sub2[41], maker[41], err[512];
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n, len;
	char *pub = data_str(export_key(chome, cfpr, 0), &len);
	assert_int_equal(wg_import_public(whome, pub, len, fpr, err, sizeof err), CW_OK);
	free(pub);
	seal_one("before", maker);
	assert_true(cw_fpr_equal(maker, wfpr));

	/* with the primary in the keyring */
	assert_int_equal(wg_add_signing_subkey(whome, wfpr, NULL, 0, sub1, err, sizeof err), CW_OK);
	assert_int_equal(wg_key_parts(whome, wfpr, parts, WG_PARTS_MAX, &n), CW_OK);
	assert_int_equal(n, 2);
	assert_true(cw_fpr_equal(parts[0].fpr, wfpr) && parts[0].primary);
	assert_true(cw_fpr_equal(parts[1].fpr, sub1) && parts[1].can_sign && parts[1].secret);
	assert_true(parts[1].created > parts[0].created);
	assert_int_equal(wg_signing_part(parts, n), 1);
	seal_one("after", maker);
	assert_true(cw_fpr_equal(maker, sub1));

	/* with the primary from a key file: only what is the wallet's primary, with its secret */
	char *sec = data_str(export_key(whome, wfpr, GPGME_EXPORT_MODE_SECRET), &len);
	assert_int_equal(wg_add_signing_subkey(whome, wfpr, sec, len, sub2, err, sizeof err),
	                 CW_OK);
	free(sec);
	assert_int_equal(wg_key_parts(whome, wfpr, parts, WG_PARTS_MAX, &n), CW_OK);
	assert_int_equal(n, 3);
	assert_true(cw_fpr_equal(parts[wg_signing_part(parts, n)].fpr, sub2));
	seal_one("third", maker);
	assert_true(cw_fpr_equal(maker, sub2));
	sec = data_str(export_key(chome, cfpr, GPGME_EXPORT_MODE_SECRET), &len);
	assert_int_equal(wg_add_signing_subkey(whome, wfpr, sec, len, fpr, err, sizeof err),
	                 CW_ERR_KEY);
	assert_non_null(strstr(err, "another key"));
	free(sec);
	sec = data_str(export_key(whome, wfpr, GPGME_EXPORT_MODE_SECRET_SUBKEY), &len);
	assert_int_equal(wg_add_signing_subkey(whome, wfpr, sec, len, fpr, err, sizeof err),
	                 CW_ERR_KEY);
	assert_non_null(strstr(err, "no secret part of the primary"));
	free(sec);
	assert_int_equal(wg_add_signing_subkey(whome, wfpr, "junk", 4, fpr, err, sizeof err),
	                 CW_ERR_KEY);
	assert_int_equal(wg_key_parts(whome, wfpr, parts, WG_PARTS_MAX, &n), CW_OK);
	assert_int_equal(n, 3); /* the refusals added nothing */
	assert_int_equal(wg_key_parts(whome, cfpr + 1, parts, WG_PARTS_MAX, &n), CW_ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_import_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal_open, setup, teardown),
	    cmocka_unit_test(test_signing_part),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	};
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
