/* The wallet's keyring (DATA/gnupg) through gpgme: its own signing key, clients' public keys,
 * and the gpg-agent that gpgme starts there.
 * Functions make their own gpgme context: thread-safe. err receives one line on failure. */
#ifndef WALLET_KEYRING_H
#define WALLET_KEYRING_H

#include <gpgme.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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

/* When home's public keyring last changed (a key imported, added to or edited): its file's
 * modification time. CW_ERR_NOTFOUND when it cannot tell (no keybox file). */
cw_status wg_keyring_mtime(const char *home, struct timespec *out);

/* Armored (or binary) export of the public key fpr; malloc'd. */
cw_status wg_export_public(const char *home, const char *fpr, int armor, unsigned char **out,
                           size_t *len);

/* ---- the wallet's signing key over time (rotation, docs/DESIGN.md "Keys that change") ----
 * Clients pin the primary key's fingerprint; signatures are made by one of its signing keys:
 * the primary itself until the first rotation, then the newest signing subkey. */

/* One part (the primary or a subkey) of the wallet's key, as the keyring lists it. */
struct wg_keypart {
	char fpr[41];
	long long created; /* Unix seconds */
	bool primary;
	bool can_sign;
	bool secret;  /* its secret part is in the keyring (not offline, not removed) */
	bool revoked; /* the part, or for the primary the whole key */
	bool expired;
	bool invalid; /* no valid binding, disabled */
};
#define WG_PARTS_MAX 64

/* The parts of the key fpr in home, the primary first, then the subkeys in the keyring's order
 * (at most WG_PARTS_MAX). CW_ERR_NOTFOUND when home does not hold the key. */
cw_status wg_key_parts(const char *home, const char *fpr, struct wg_keypart *parts, size_t max,
                       size_t *n);

/* The index of the part gpg signs with when asked to sign with the primary key (which is what
 * gpgme does, seal.c): the newest sound signing subkey whose secret part is here, else the
 * primary when it signs and its secret part is here; -1 when none can sign. */
int wg_signing_part(const struct wg_keypart *parts, size_t n);

/* Adds a new signing subkey (ed25519, no expiry, no passphrase) to the wallet's key fpr in
 * home, created after every existing part (waiting for the clock's next second when needed),
 * so that gpg signs with it from now on; the other parts stay. The binding signature needs the
 * primary's secret part: from home when primary is NULL, else from primary (primary_len bytes
 * of an armored or binary secret key export, e.g. `gpg --export-secret-keys`), which is imported
 * into a throwaway GNUPGHOME on a memory file system that is wiped afterwards; only the new
 * subkey's secret part, with the primary as a stub, then comes into home. newfpr receives the
 * new subkey's fingerprint. CW_ERR_KEY when the primary key (given, or in home) is refused:
 * not the wallet's, no secret part, or one that needs a passphrase; err then says why, to
 * follow the key's name ("holds no secret key"). The caller holds the agent. */
cw_status wg_add_signing_subkey(const char *home, const char *fpr, const void *primary,
                                size_t primary_len, char newfpr[41], char *err, size_t errsz);

/* Bracket every use of home's secret key. enter takes a shared lock; leave releases it and,
 * when no other wallet process is inside, stops the gpg-agent gpgme started, so that no agent
 * holding the signing key outlives an admin command (`docker exec` leaves no daemon behind). */
int wg_agent_enter(const char *home);
void wg_agent_leave(const char *home, int lockfd);

#endif
