/* The audit log of `wallet serve`: one JSON line per API request (docs/FORMAT.md), never any
 * content. Thread-safe (cw_log serialises lines). */
#ifndef WALLET_AUDIT_H
#define WALLET_AUDIT_H

#include <stdint.h>

#include "https.h"
#include "log.h"

/* Writes {"time","client","cert_sha256","method","path","object","version","status",
 * "bytes","duration_ms"} (+ "reason" when given) for req. client/cert_sha256 are null without
 * a verified certificate; object/version null when the request named none. The path is
 * written with bytes outside printable ASCII %-escaped and cut at 512 bytes. */
void audit_request(cw_log *lg, const cw_https_req *req, const char *reason, uint64_t duration_us);

#endif
