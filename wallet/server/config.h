/* Settings of `wallet serve`: defaults, a JSON config file, then flags (flags win). */
#ifndef WALLET_CONFIG_H
#define WALLET_CONFIG_H

#include <stdio.h>

#include "status.h"

#define SERVE_DEFAULT_LISTEN "0.0.0.0:8443"
#define SERVE_DEFAULT_THREADS 16

/* Strings are malloc'd (NULL: unset). */
struct serve_config {
	char *listen;
	char *tls_cert, *tls_key, *tls_ca;
	char *health_listen; /* NULL: no plain-HTTP listener */
	char *audit_log;     /* NULL or "-": stderr */
	char *data;
	char *export_dir; /* NULL: none; else kept as an export of every client's data */
	int threads;
	int request_timeout_ms;
	int keep_alive_timeout_ms;
	int max_header_bytes;
	int verify_depth;
	int tls_session_lifetime; /* seconds; 0: unset (the default); -1: no resumption */
	int tls_session_cache;    /* sessions held at most; 0: unset (the default) */
};

/* Applies the JSON object in file onto cfg: keys listen, tls_cert, tls_key, tls_ca,
 * health_listen, audit_log, data, export (strings), threads, request_timeout_ms,
 * keep_alive_timeout_ms, max_header_bytes, verify_depth, tls_session_lifetime,
 * tls_session_cache (integers; 0 in tls_session_lifetime is stored as -1). CW_ERR_IO when the file
 * cannot be read, CW_ERR_USAGE for bad JSON, anything but whitespace after the object, a NUL
 * byte or a "\u0000" escape anywhere, an unknown key, a wrong type or a value out of range;
 * err receives one line. */
cw_status serve_config_load(struct serve_config *cfg, const char *file, char *err, size_t errsz);

/* Sets one setting by its config-file key from a string (a flag's argument); same checks. */
cw_status serve_config_set(struct serve_config *cfg, const char *key, const char *value, char *err,
                           size_t errsz);

/* Fills what is still unset: listen, TLS files under DATA/tls/, limits. datadir is the
 * fallback when cfg->data is unset. Normalises health_listen "PORT" to "127.0.0.1:PORT". */
cw_status serve_config_finish(struct serve_config *cfg, const char *datadir, char *err,
                              size_t errsz);

void serve_config_free(struct serve_config *cfg);

#endif
