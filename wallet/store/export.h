/* Exports (docs/FORMAT.md, "Export"): a copy of what some clients read, holding no secret
 * key, in the data directory's own layout, so that `wallet serve --data OUTDIR` serves it as a
 * replica and a static HTTPS server serves its files.
 *
 * Exporting again into a served OUTDIR is safe for readers at every moment: versions are
 * immutable directories added whole (built aside, then renamed), then clients and manifests
 * are replaced file by file (rename), and only then is what left the export removed. A reader
 * never finds a manifest that names a version not yet there. */
#ifndef WALLET_EXPORT_H
#define WALLET_EXPORT_H

#include <stddef.h>

#include "objstore.h"
#include "status.h"

/* Makes out ready for ws_export: creates it (0755), and refuses (err gets one line) one inside
 * the data directory (CW_ERR_USAGE) or one that is neither empty nor an earlier export
 * (CW_ERR_EXISTS), so that pruning can never remove what is not ours. */
cw_status ws_export_prepare(ws_store *st, const char *out, char *err, size_t errsz);

/* Exports into out (made ready by ws_export_prepare) every version that one of the n clients
 * (clients NULL: every unrevoked client) reads,
 * their records and manifests (copied as they are: sign them first), the public signing key
 * and wallet.json; removes what no longer belongs. *nversions receives how many versions the
 * export holds. err gets one line on failure. */
cw_status ws_export(ws_store *st, const char *out, const char *const *clients, size_t n,
                    size_t *nversions, char *err, size_t errsz);

#endif
