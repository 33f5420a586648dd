/* Counters of `wallet serve` and their Prometheus text rendering. Lock-free atomics:
 * metrics_observe may be called from every worker thread at once. */
#ifndef WALLET_METRICS_H
#define WALLET_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "tlsctx.h"

typedef struct metrics metrics;

metrics *metrics_new(void);    /* NULL when out of memory */
void metrics_free(metrics *m); /* NULL accepted */

/* One answered request: listener "tls" (tls != 0) or "health", its status and duration. */
void metrics_observe(metrics *m, int tls, int status, uint64_t duration_us);

/* The notAfter (Unix time) of the server certificate and of the CA file's earliest-expiring
 * certificate that new handshakes use: rendered as seconds from now, so that the gauges stay
 * right between reloads. Set at the start and after each reload; not rendered until set. */
void metrics_set_cert_expiry(metrics *m, int64_t server_not_after, int64_t ca_not_after);

/* Renders everything into a malloc'd NUL-terminated text; gauges are given by the caller.
 * NULL when out of memory. */
char *metrics_render(metrics *m, const cw_tls_counts *tls, long long objects);

#endif
