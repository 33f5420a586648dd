/* The signed manifests as `wallet serve` answers GET /manifests/CLIENT, which watchers poll
 * (wallet-entry --watch): the bytes and their ETag, the SHA-256 of the signed bytes, read and
 * hashed only when the file's identity changed. Every update replaces manifests/CLIENT by
 * rename(2), so an unchanged identity (one fstatat per request) means unchanged content: a
 * conditional request whose If-None-Match still matches costs no read, no hash, no copy, no
 * signature work. A bounded table (direct-mapped by client name); bodies are kept while their
 * total stays under a budget, ETags always. Thread-safe (one mutex, held for lookups and
 * copies only). */
#ifndef WALLET_MFCACHE_H
#define WALLET_MFCACHE_H

#include <stddef.h>

#include "etag.h"
#include "objstore.h"

typedef struct mc_cache mc_cache;

/* st must outlive the cache; max_bytes bounds the bodies kept. NULL when out of memory. */
mc_cache *mc_new(ws_store *st, size_t max_bytes);
void mc_free(mc_cache *c); /* NULL accepted */

/* client's manifest (client a valid client name): its quoted ETag into etag (CW_ETAG_MAX + 1
 * bytes). When if_none_match (NULL: none) matches it, *body is NULL: the answer is 304.
 * Otherwise *body is a malloc'd copy of the signed bytes (*len of them) for the caller to
 * free. CW_ERR_NOTFOUND when the client has no manifest. */
cw_status mc_get(mc_cache *c, const char *client, const char *if_none_match, char *etag,
                 unsigned char **body, size_t *len);

/* Lookups answered from the table / by reading the file (tests, metrics). */
void mc_stats(mc_cache *c, unsigned long long *hits, unsigned long long *reads);

#endif
