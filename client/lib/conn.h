/* libwalletclient: one HTTPS/1.1 connection to a wallet URL, kept alive across requests: the
 * TCP connection, TLS with the client's certificate (the server's chain and name verified
 * against the configured CA), one GET at a time and its answer. http.c chooses the URL and
 * decides what a failure means; this file only moves bytes. Not installed. */
#ifndef WC_CONN_H
#define WC_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "wc_internal.h"

struct wc_conn;

/* Makes c->tls, the TLS client context, from the configuration (once per handle): TLS 1.2
 * or 1.3 with ECDHE and AEAD only, the CA file as the only trust anchor, the client's
 * certificate and key, and the certificate chain to send built once, without the root the
 * wallet already has. CW_ERR_TLS with the reason in c->err when a file is unusable. */
cw_status wc_tls_setup(wallet_client *c);
/* Frees c->tls and the kept connection. */
void wc_tls_teardown(wallet_client *c);

/* Opens a connection to c->cfg.urls[idx] and completes the TLS handshake before
 * c->io_connect_by. CW_ERR_NETWORK (no answer, refused, timed out, canceled), CW_ERR_TLS
 * (handshake or verification failed), CW_ERR_USAGE (a URL this client cannot use); the
 * reason goes to c->err without the URL. */
cw_status wc_conn_open(wallet_client *c, size_t idx, struct wc_conn **out);

/* Sends GET path (the URL's own path prefix is added) and reads the whole answer into r
 * before c->io_done_by: r->status, r->body (at most r->limit bytes: CW_ERR_TOOBIG beyond).
 * *early is true when the connection failed before the first byte of an answer arrived (a
 * kept-alive connection the server had closed meanwhile: worth one try on a new one).
 * Errors as for wc_conn_open, CW_ERR_NOMEM; a malformed answer is CW_ERR_NETWORK, as an
 * unreachable server is.
 *
 * then[0..nthen) (at most WC_PIPE_DEPTH) are paths the caller will GET next on this
 * connection, in that order, unconditionally: their requests are written with path's, in
 * one write (HTTP/1.1 pipelining), and their answers, read after path's, are what the next
 * calls for them take without sending anything. When path's own request went with an
 * earlier one, nothing is written (then is ignored). A server that closes after one answer
 * loses the others: the connection is not reusable then, and the caller asks again on a
 * new one. */
cw_status wc_conn_get(wallet_client *c, struct wc_conn *cn, const char *path,
                      const char (*then)[WC_PIPE_PATH_MAX], size_t nthen, struct wc_resp *r,
                      bool *early);
/* Reads and drops the answers queued ahead of path's (all of them when path is not
 * queued), so that the connection may carry a GET of path. */
cw_status wc_conn_skip_to(wallet_client *c, struct wc_conn *cn, const char *path);

/* Whether cn may carry the next request (the last answer was whole, the server keeps the
 * connection), and to which URL it goes. */
bool wc_conn_reusable(const struct wc_conn *cn);
/* Whether cn may carry a GET of path for r: reusable, and no request queued on it but that
 * one first (unconditional). wc_conn_queued: whether a pipelined GET of path (NULL: any)
 * still has its answer to be read. */
bool wc_conn_reusable_for(const struct wc_conn *cn, const char *path, const struct wc_resp *r);
bool wc_conn_queued(const struct wc_conn *cn, const char *path);
size_t wc_conn_url(const struct wc_conn *cn);

/* Closes cn (NULL accepted), telling the server with a close_notify when it can be sent at
 * once. */
void wc_conn_close(struct wc_conn *cn);

/* Closes cn as wc_conn_close does, keeping its TLS session in c (when the server made it
 * resumable) for the next connection to the same URL: wallet_watch's polls, each on a
 * connection of its own, resume where the server allows it (an abbreviated handshake). */
void wc_conn_close_keep_session(wallet_client *c, struct wc_conn *cn);

#endif
