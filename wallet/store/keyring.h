/* The wallet's keyring (DATA/gnupg) through gpgme: its own signing key, clients' public keys,
 * and the gpg-agent that gpgme starts there.
 * Functions make their own gpgme context: thread-safe. err receives one line on failure. */
#ifndef WALLET_KEYRING_H
#define WALLET_KEYRING_H

#include <gpgme.h>
#include <stddef.h>

#include "status.h"
#include "strv.h"

#define WG_KEY_MAX ((size_t)1 << 20) /* largest public key block importkey reads */

/* Generates the wallet's ed25519 sign-only key without passphrase; fpr receives it. */
cw_status wg_create_signing_key(const char *home, char fpr[41], char *err, size_t errsz);

/* Fingerprints of every secret key in home (malloc'd array of malloc'd strings: free with
 * cw_strv_free). */
cw_status wg_list_secret(const char *home, char ***fprs, size_t *n);
/* Keygrips of every (sub)key of the key fpr, upper-case hex (same allocation scheme). */
cw_status wg_key_grips(const char *home, const char *fpr, char ***grips, size_t *n);

/* Checks that data holds exactly one public OpenPGP key, not secret, not expired or revoked,
 * with a usable encryption subkey, then imports it into home. fpr receives its primary
 * fingerprint. CW_ERR_KEY (with the reason in err) when refused. */
cw_status wg_import_public(const char *home, const void *data, size_t len, char fpr[41], char *err,
                           size_t errsz);

/* CW_OK when the key fpr is in home and usable to encrypt now (not revoked, not expired,
 * an encryption subkey valid); CW_ERR_KEY otherwise. */
cw_status wg_key_usable(const char *home, const char *fpr, char *err, size_t errsz);

/* Deletes the public key fpr from home (a client's key that no client uses any more).
 * CW_ERR_NOTFOUND when it is not there, CW_ERR_KEY (nothing deleted) when home holds a secret
 * part of it, CW_ERR_CRYPTO with the reason in err when gpg fails. */
cw_status wg_delete_public(const char *home, const char *fpr, char *err, size_t errsz);

/* Why key cannot be a recipient (secret, revoked, expired, no encryption subkey), or NULL. */
const char *wg_key_problem(gpgme_key_t key);

/* Armored (or binary) export of the public key fpr; malloc'd. */
cw_status wg_export_public(const char *home, const char *fpr, int armor, unsigned char **out,
                           size_t *len);

/* Bracket every use of home's secret key. enter takes a shared lock; leave releases it and,
 * when no other wallet process is inside, stops the gpg-agent gpgme started, so that no agent
 * holding the signing key outlives an admin command (`docker exec` leaves no daemon behind). */
int wg_agent_enter(const char *home);
void wg_agent_leave(const char *home, int lockfd);

#endif
