/* The HTTP API of docs/FORMAT.md on common/https: objects, listing, signing key, health and
 * metrics, with per-request authorization, an audit log and metrics. */
#ifndef WALLET_SERVER_H
#define WALLET_SERVER_H

#include <stddef.h>

#include "config.h"
#include "status.h"

typedef struct server server;

/* Opens the data directory, exports the wallet's public signing key, opens the audit log and
 * starts the listeners. err receives one line on failure. CW_ERR_USAGE: bad settings;
 * anything else: failure. Logs a "listening" event to stderr. */
cw_status server_start(const struct serve_config *cfg, server **out, char *err, size_t errsz);

/* Stops accepting, waits for in-flight requests, releases everything. NULL accepted. */
void server_stop(server *srv);

#endif
