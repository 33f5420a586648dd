/* When the OpenPGP keys of the wallet's keyring (DATA/gnupg) expire: the part of the keyring
 * that `wallet checkintegrity` warns about before it happens. Thread-safe (a gpgme context
 * per call). */
#ifndef WALLET_KEYEXPIRY_H
#define WALLET_KEYEXPIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* One (sub)key of a key that has an expiry date. */
typedef struct wg_expiry {
	char fpr[41];    /* the (sub)key's fingerprint, upper-case hex */
	bool primary;    /* the primary key (the whole key expires with it) */
	int64_t expires; /* Unix time */
} wg_expiry;

/* The (sub)keys of the public key fpr in home that are not revoked and have an expiry date,
 * primary first: a malloc'd array (free(); NULL when there is none). CW_ERR_NOTFOUND when
 * the key is not in home, CW_ERR_CRYPTO when gpgme fails. */
cw_status wg_key_expiries(const char *home, const char *fpr, wg_expiry **out, size_t *n);

#endif
