/* A bounded in-memory cache of loaded object versions for `wallet serve`, keyed by
 * (name, version). Published versions are immutable and versions are never reused
 * (docs/FORMAT.md), so a cached version never goes stale; which version is *latest*, and
 * whether a version is still published, is the caller's to check on every request (one
 * system call: ws_object_latest, ws_version_exists).
 *
 * Each item holds the loaded ws_object (sealed bytes and metadata; the binary signature is
 * dropped) and the response's prebuilt header lines. The total of cached bytes stays at or
 * under max_bytes: least recently used items are evicted first; an item larger than
 * max_item_bytes is never cached (oc_put hands it back uncached).
 *
 * Items are reference-counted: oc_get and oc_put return a reference that the caller gives back
 * with oc_release; an item evicted while in use is freed by its last release.
 * Thread-safe (one mutex, held only for lookups and list updates). */
#ifndef WALLET_OBJCACHE_H
#define WALLET_OBJCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "objstore.h"

typedef struct oc_cache oc_cache;
typedef struct oc_item oc_item;

/* NULL when out of memory. max_bytes 0 caches nothing. */
oc_cache *oc_new(size_t max_bytes, size_t max_item_bytes);
/* Every item must have been released. NULL accepted. */
void oc_free(oc_cache *c);

/* The cached item for (name, version > 0), referenced, or NULL. */
oc_item *oc_get(oc_cache *c, const char *name, uint64_t version);

/* Takes obj and headers (malloc'd; both consumed, also on failure) and returns a referenced
 * item for them: cached unless too big; when (obj->name, obj->version) is cached already,
 * the cached item (obj and headers are freed). NULL when out of memory. */
oc_item *oc_put(oc_cache *c, ws_object *obj, char *headers);

/* Gives back a reference from oc_get / oc_put. NULL accepted. */
void oc_release(oc_cache *c, oc_item *it);

const ws_object *oc_object(const oc_item *it);
const char *oc_headers(const oc_item *it);

/* Number of cached items and the bytes they are accounted for. */
void oc_stats(oc_cache *c, size_t *items, size_t *bytes);

#endif
