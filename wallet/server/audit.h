/* The audit log of `wallet serve`: one JSON line per API request (docs/FORMAT.md), never any
 * content.
 *
 * On the hot path of every request, so a line is formatted on the stack (no JSON tree, no
 * allocation) and written with one write(2) on an O_APPEND descriptor, without a lock: Linux
 * appends one write to a regular file whole, and a line (at most ~2.5 KiB) stays under
 * PIPE_BUF for a pipe. Thread-safe. */
#ifndef WALLET_AUDIT_H
#define WALLET_AUDIT_H

#include <stdint.h>

#include "https.h"
#include "status.h"

typedef struct audit_log audit_log;

/* path NULL or "-": stderr; otherwise the file is created 0600 (never through a symlink) and
 * appended to. CW_ERR_IO with errno set when it cannot be opened. */
cw_status audit_open(const char *path, audit_log **out);
void audit_close(audit_log *a); /* NULL accepted */

/* Writes {"time","client","cert_sha256","method","path","object","version","status",
 * "bytes","duration_ms"} (+ "reason" when given) for req. client/cert_sha256 are null without
 * a verified certificate (client also when the certificate has no usable CN); object/version
 * null when the request named none. The path and the method are written with bytes outside
 * printable ASCII %-escaped, the path cut at 512 bytes and the method at 32; either is null
 * when req's is NULL (a request refused before it was parsed that far). A NULL a discards. */
void audit_request(audit_log *a, const cw_https_req *req, const char *reason, uint64_t duration_us);

#endif
