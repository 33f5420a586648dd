#include "keyexpiry.h"

#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpgutil.h"

cw_status wg_key_expiries(const char *home, const char *fpr, wg_expiry **out, size_t *n)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	wg_expiry *arr = NULL;
	size_t count = 0;
	*out = NULL;
	*n = 0;
	cw_status st = cw_gpg_ctx(home, &ctx);
	if (st != CW_OK)
		return st;
	gpgme_error_t ge = gpgme_get_key(ctx, fpr, &key, 0);
	if (ge != 0) {
		st = gpgme_err_code(ge) == GPG_ERR_EOF ? CW_ERR_NOTFOUND : CW_ERR_CRYPTO;
		goto out;
	}
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next) {
		/* expires is 0 for "never"; a revoked (sub)key is dead already */
		if (s->expires <= 0 || s->revoked || s->fpr == NULL)
			continue;
		wg_expiry *grown = realloc(arr, (count + 1) * sizeof *arr);
		if (grown == NULL) {
			st = CW_ERR_NOMEM;
			goto out;
		}
		arr = grown;
		snprintf(arr[count].fpr, sizeof arr[count].fpr, "%s", s->fpr);
		arr[count].primary = s == key->subkeys;
		arr[count].expires = (int64_t)s->expires;
		count++;
	}
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	if (st != CW_OK) {
		free(arr);
		return st;
	}
	*out = arr;
	*n = count;
	return CW_OK;
}
