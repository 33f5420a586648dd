/* One status convention for the whole project (wallet, client, keygen).
 * Numbers never change once released: new codes go at the end. */
#ifndef CW_STATUS_H
#define CW_STATUS_H

typedef enum cw_status {
	CW_OK = 0,
	CW_ERR_USAGE = 1,      /* bad arguments or configuration */
	CW_ERR_NOMEM = 2,      /* allocation failed */
	CW_ERR_IO = 3,         /* read/write/fsync/rename failed; errno kept by caller */
	CW_ERR_NAME = 4,       /* object or client name outside the grammar */
	CW_ERR_NOTFOUND = 5,   /* object, version, client or key does not exist */
	CW_ERR_EXISTS = 6,     /* would overwrite without --force/--replace */
	CW_ERR_TOOBIG = 7,     /* input over a configured limit */
	CW_ERR_CRYPTO = 8,     /* gpgme / mbedtls operation failed */
	CW_ERR_BADSIG = 9,     /* signature missing, bad or by an unexpected key */
	CW_ERR_BINDING = 10,   /* signed name/version differ from what was asked */
	CW_ERR_ROLLBACK = 11,  /* version below the required minimum */
	CW_ERR_KEY = 12,       /* key material rejected (secret, expired, revoked, ...) */
	CW_ERR_TLS = 13,       /* TLS setup or handshake failed */
	CW_ERR_NETWORK = 14,   /* could not reach any server */
	CW_ERR_HTTP = 15,      /* server answered with an unexpected status */
	CW_ERR_PROTOCOL = 16,  /* malformed answer */
	CW_ERR_DENIED = 17,    /* refused: revoked client, not a recipient */
	CW_ERR_INTEGRITY = 18, /* stored data fails a check */
	CW_ERR_INTERNAL = 19   /* a bug: an invariant broke */
} cw_status;

/* Static, never NULL, never contains secret data. Thread-safe. */
const char *cw_strerror(cw_status st);

#endif
