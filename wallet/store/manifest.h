/* Per-client manifests (docs/FORMAT.md): for each client, every object it may read with its
 * latest version, size and the sha256 of its sealed bytes, the time of signing and an expiry,
 * signed by the wallet key. Clients trust a manifest before any object, so that a copy of the
 * data served by anyone cannot freeze them on old versions past the expiry, withhold a member
 * of a group or lie about the latest version.
 *
 * The store keeps them in DATA/manifests/CLIENT and the wallet's public signing key in
 * DATA/signing-key.asc, so that a copy of the directory (an export) serves them as files.
 * Every command that changes what a client may read re-signs that client's manifest; `wallet
 * refresh` and `wallet serve` re-sign them all before they expire. Signing needs the secret
 * key: callers bracket these calls with wg_agent_enter/wg_agent_leave. */
#ifndef WALLET_MANIFEST_H
#define WALLET_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objstore.h"
#include "status.h"

#define WS_TTL_DEFAULT 86400 /* one day */
#define WS_TTL_MIN 10
#define WS_TTL_MAX (100LL * 366 * 86400)

/* The manifests' lifetime in seconds: the data directory's setting (settings.json), else
 * WS_TTL_DEFAULT. CW_ERR_INTEGRITY for a settings file that is not ours. */
cw_status ws_manifest_ttl(ws_store *st, int64_t *ttl);
/* Records ttl (WS_TTL_MIN..WS_TTL_MAX, else CW_ERR_USAGE) for every later manifest. */
cw_status ws_manifest_set_ttl(ws_store *st, int64_t ttl);

/* Re-signs the manifests of the n clients named (a revoked one, or one no longer registered,
 * loses its manifest), or with clients NULL those of every registered client, removing the
 * manifests of clients that are gone. Each manifest is built and signed alone. Serialised
 * with every other update (DATA/manifests/.lock), so the last writer always listed after the
 * last publication. Also writes DATA/signing-key.asc when it is missing or the keyring
 * changed since (a rotated signing key is published so). err gets one line (for a client
 * record that cannot be read, the file and what is wrong in it: that client's manifest is left
 * as it was, every other one is written, and the status is the failure). */
cw_status ws_manifests_update(ws_store *st, const char *const *clients, size_t n, char *err,
                              size_t errsz);

/* ws_manifests_update of every registered client, which stop (NULL: never) can cut short: it
 * is asked before each client, every 1,024 objects listed and every 0.1 s while another
 * update holds DATA/manifests/.lock, from this thread. When it says
 * yes, *stopped is set and CW_OK returned at once: the manifests signed before are written,
 * the others stay as they were and none is pruned. Unlike ws_manifests_update, it lists the
 * objects afresh (ws_objiter) once per client and streams each manifest into the signing, so
 * that memory holds neither every object's entry nor a manifest's whole text, whatever the
 * number of objects and clients (docs/BENCHMARKS.md), and nothing of them once it returns.
 * For `wallet serve`, which runs for months and whose stop must not wait for every client. */
cw_status ws_manifests_refresh(ws_store *st, bool (*stop)(void *arg), void *arg, bool *stopped,
                               char *err, size_t errsz);

#endif
