/* The keys that seal and open wallet serve's TLS session tickets, and when each is replaced.
 *
 * A ticket is the server's own session state (the verified client certificate among it)
 * sealed with a key only this process holds; a client that shows it back resumes without a
 * new certificate verification. The rules (docs/DESIGN.md, "Sessions"):
 *  - one current key seals new tickets for one period; then it is kept one more period only
 *    to open the tickets it sealed, which are renewed under the current key;
 *  - a reload of the TLS files replaces both (cw_tk_reset): no session established under the
 *    old certificate or CA opens after it;
 *  - the keys live only in this process's memory and are wiped when replaced.
 * The clock is passed in (seconds of a monotonic clock) so that the rules are unit tested;
 * tlsctx.c calls this under its own lock. Not thread-safe by itself. */
#ifndef CW_TKTKEYS_H
#define CW_TKTKEYS_H

#include <stdbool.h>
#include <stdint.h>

#define CW_TK_NAME_LEN 16 /* OpenSSL's ticket key name */
#define CW_TK_KEY_LEN 32  /* AES-256 and HMAC-SHA256 keys */

typedef struct cw_tk_key {
	unsigned char name[CW_TK_NAME_LEN];
	unsigned char aes[CW_TK_KEY_LEN];
	unsigned char hmac[CW_TK_KEY_LEN];
	int64_t born; /* when it began to seal */
	bool set;
} cw_tk_key;

typedef struct cw_tk_set {
	cw_tk_key cur, prev;
	int64_t period; /* seconds a key seals for; it opens for two */
} cw_tk_set;

/* A fresh current key and no previous one (the start, and each reload). False, with both
 * keys unset, when the random generator fails. period must be > 0. */
bool cw_tk_reset(cw_tk_set *s, int64_t period, int64_t now);

/* The key to seal a new ticket with at now. A current key whose period has passed becomes the
 * previous one and a new current key is made. NULL when no key can be made. */
const cw_tk_key *cw_tk_seal_key(cw_tk_set *s, int64_t now);

/* The key named name, if it may still open a ticket at now; NULL otherwise (unknown, or past
 * its two periods). *renew is set when it is not the current key: the ticket should be
 * replaced by one sealed with the current key. */
const cw_tk_key *cw_tk_open_key(const cw_tk_set *s, const unsigned char name[CW_TK_NAME_LEN],
                                int64_t now, bool *renew);

/* Wipes both keys. */
void cw_tk_wipe(cw_tk_set *s);

#endif
