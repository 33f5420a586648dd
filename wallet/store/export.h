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

/* Exports into out (an existing directory) every version that one of the n clients reads,
 * their records and manifests (copied as they are: sign them first), the public signing key
 * and wallet.json; removes what no longer belongs. *nversions receives how many versions the
 * export holds. err gets one line on failure. */
cw_status ws_export(ws_store *st, const char *out, const char *const *clients, size_t n,
                    size_t *nversions, char *err, size_t errsz);

#endif
