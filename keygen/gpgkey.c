#include "gpgkey.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gpgutil.h"

#define PASS_MAX 4096
#define EXPORT_MAX (1024 * 1024)

/* Loopback pinentry: gpg asks us (not a pinentry) for the passphrase. The first attempt is
 * the only one: a wrong one would otherwise be offered again and again. */
static gpgme_error_t pass_cb(void *hook, const char *uid_hint, const char *info, int prev_bad,
                             int fd)
{
	const cw_sbuf *pass = hook;

	(void)uid_hint;
	(void)info;
	if (prev_bad)
		return gpgme_error(GPG_ERR_CANCELED);
	if (gpgme_io_writen(fd, pass->data, pass->len) != 0 || gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error(GPG_ERR_CANCELED);
	return 0;
}

/* gpgme writes exports through this, straight into secure memory. */
static ssize_t sbuf_write(void *handle, const void *buf, size_t size)
{
	cw_sbuf *b = handle;

	if (b->len + size > EXPORT_MAX || cw_sbuf_append(b, buf, size) != CW_OK) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)size;
}

static cw_status export_key(gpgme_ctx_t ctx, const char *fpr, gpgme_export_mode_t mode,
                            cw_sbuf *out, char *err, size_t errsz)
{
	struct gpgme_data_cbs cbs = {.write = sbuf_write};
	gpgme_data_t data = NULL;
	gpgme_error_t e = gpgme_data_new_from_cbs(&data, &cbs, out);
	cw_status st = CW_OK;

	if (!e)
		e = gpgme_op_export(ctx, fpr, mode, data);
	if (e) {
		char msg[256];
		cw_gpg_errstr(e, msg, sizeof msg);
		snprintf(err, errsz, "cannot export the %s key: %s",
		         mode & GPGME_EXPORT_MODE_SECRET ? "secret" : "public", msg);
		st = CW_ERR_CRYPTO;
	} else if (out->len == 0) {
		snprintf(err, errsz, "gpg exported nothing for the %s key",
		         mode & GPGME_EXPORT_MODE_SECRET ? "secret" : "public");
		st = CW_ERR_CRYPTO;
	}
	gpgme_data_release(data);
	return st;
}

static cw_status gpgfail(gpgme_error_t e, const char *what, char *err, size_t errsz)
{
	cw_gpg_errfmt(err, errsz, what, e);
	return CW_ERR_CRYPTO;
}

cw_status kg_gpg_generate(const char *uid, kg_gpgalgo algo, const cw_sbuf *passphrase,
                          kg_gpg_keys *out, char *err, size_t errsz)
{
	const char *primary = algo == KG_GPG_RSA4096 ? "rsa4096" : "ed25519";
	const char *sub = algo == KG_GPG_RSA4096 ? "rsa4096" : "cv25519";
	unsigned int flags = GPGME_CREATE_NOEXPIRE | (passphrase ? 0 : GPGME_CREATE_NOPASSWD);
	char home[4096] = "";
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_genkey_result_t res;
	gpgme_error_t e;
	cw_status st;

	memset(out, 0, sizeof *out);
	st = cw_gpg_tmphome("cwkeygen", home, sizeof home);
	if (st != CW_OK) {
		snprintf(err, errsz, "cannot make a GNUPGHOME on a memory file system: %s",
		         strerror(errno));
		home[0] = '\0';
		goto out;
	}
	st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK) {
		snprintf(err, errsz, "gpgme or gpg is not usable: %s", cw_strerror(st));
		goto out;
	}
	if (passphrase)
		gpgme_set_passphrase_cb(ctx, pass_cb, (void *)passphrase);
	gpgme_set_armor(ctx, 1);

	e = gpgme_op_createkey(ctx, uid, primary, 0, 0, NULL,
	                       flags | GPGME_CREATE_SIGN | GPGME_CREATE_CERT);
	if (e) {
		st = gpgfail(e, "cannot create the primary key", err, errsz);
		goto out;
	}
	res = gpgme_op_genkey_result(ctx);
	if (!res || !res->fpr || strlen(res->fpr) != 40) {
		snprintf(err, errsz, "gpg returned no fingerprint for the new key");
		st = CW_ERR_CRYPTO;
		goto out;
	}
	memcpy(out->fpr, res->fpr, 41);
	e = gpgme_get_key(ctx, out->fpr, &key, 1);
	if (!e)
		e = gpgme_op_createsubkey(ctx, key, sub, 0, 0, flags | GPGME_CREATE_ENCR);
	if (e) {
		st = gpgfail(e, "cannot create the encryption subkey", err, errsz);
		goto out;
	}
	st = export_key(ctx, out->fpr, 0, &out->pub, err, errsz);
	if (st == CW_OK)
		st = export_key(ctx, out->fpr, GPGME_EXPORT_MODE_SECRET, &out->sec, err, errsz);
out:
	gpgme_key_unref(key);
	gpgme_release(ctx);
	if (home[0])
		(void)cw_gpg_destroy_home(home);
	if (st != CW_OK)
		kg_gpg_keys_free(out);
	return st;
}

void kg_gpg_keys_free(kg_gpg_keys *k)
{
	cw_sbuf_free(&k->pub);
	cw_sbuf_free(&k->sec);
	k->fpr[0] = '\0';
}

cw_status kg_read_passphrase(const char *path, cw_sbuf *out, char *err, size_t errsz)
{
	cw_sbuf raw = {0};
	size_t n;
	cw_status st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		st = errno == ENOENT ? CW_ERR_NOTFOUND : CW_ERR_IO;
		snprintf(err, errsz, "cannot read passphrase file %.300s: %s", path,
		         strerror(errno));
		return st;
	}
	st = cw_sbuf_read_fd(&raw, fd, PASS_MAX);
	close(fd);
	if (st != CW_OK) {
		snprintf(err, errsz, "cannot read passphrase file %.300s: %s", path,
		         st == CW_ERR_TOOBIG ? "larger than 4096 bytes" : cw_strerror(st));
		goto out;
	}
	for (n = 0; n < raw.len && raw.data[n] != '\n'; n++)
		;
	if (n > 0 && raw.data[n - 1] == '\r')
		n--;
	if (n == 0 || memchr(raw.data, '\0', n)) {
		snprintf(err, errsz, "passphrase file %.300s: %s", path,
		         n == 0 ? "the first line is empty" : "holds a NUL byte");
		st = CW_ERR_KEY;
		goto out;
	}
	st = cw_sbuf_append(out, raw.data, n);
	if (st != CW_OK)
		snprintf(err, errsz, "out of memory");
out:
	cw_sbuf_free(&raw);
	return st;
}
