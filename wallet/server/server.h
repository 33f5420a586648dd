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
 * anything else: failure. Logs a "listening" event to stderr.
 * On the writer's data directory it first signs every manifest. The caller blocks SIGTERM and
 * SIGINT in every thread (serve waits for them with sigwait): when one of them is pending
 * between two clients of that first refresh, it stops there and returns CW_OK without
 * listening, leaving the signal pending, so that the caller's sigwait takes it and calls
 * server_stop as after any signal (which logs "stopped"). */
cw_status server_start(const struct serve_config *cfg, server **out, char *err, size_t errsz);

/* SIGHUP: reads the TLS certificate, key and CA files again and switches new handshakes to
 * them (https.h), updating the certificate expiry in /metrics. Logs one line: the new
 * certificate's serial and notAfter, or why the files were refused and the current ones kept.
 * Call from one thread at a time (serve's signal loop). */
void server_reload_tls(server *srv);

/* Stops accepting, waits for in-flight requests, releases everything. A manifest refresh
 * under way stops between two clients (the manifests not signed yet stay as they were).
 * NULL accepted. */
void server_stop(server *srv);

#endif
