/* The client registry as `wallet serve` reads it on every request, without re-reading and
 * re-parsing clients/CLIENT.json each time: one fstatat per lookup, and a read only when the
 * file's identity changed (it is replaced atomically on every change: import, revoke,
 * unrevoke; removal renames it away), so a revocation, of the client or of one of its
 * certificates, takes effect at the very next request. A bounded table (direct-mapped by
 * name); unknown clients are never cached. Thread-safe. */
#ifndef WALLET_CLIENTCACHE_H
#define WALLET_CLIENTCACHE_H

#include "objstore.h"

typedef struct cc_cache cc_cache;

/* st must outlive the cache. NULL when out of memory. */
cc_cache *cc_new(ws_store *st);
void cc_free(cc_cache *c); /* NULL accepted */

/* Same answers as ws_client_read(st, client, out, why, whysz), revoked certificates
 * included. A record that is not one (CW_ERR_INTEGRITY) is remembered as such too: why
 * receives its one line when it is read, and "" on the lookups after that until the file
 * changes, so that a caller logging it logs it once per version of the file. */
cw_status cc_client_get(cc_cache *c, const char *client, ws_client *out, char *why, size_t whysz);

/* Lookups answered from the table / by reading the file (for tests and metrics). */
void cc_stats(cc_cache *c, unsigned long long *hits, unsigned long long *reads);

#endif
