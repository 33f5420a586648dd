/* What the server's TLS context does per handshake beyond the handshake's cryptography, cut
 * down once when the context is made (or made again, on a reload): see cw_tls_tune_ctx. */
#ifndef CW_TLSTUNE_H
#define CW_TLSTUNE_H

#include <openssl/types.h>

/* Tunes ctx for many short mutual-TLS connections, after its certificate, private key and
 * verification store (the client CA) are set:
 *  - the certificate chain it presents is built now, once, without the root: OpenSSL would
 *    otherwise build it again in every handshake (a chain verification, a signature check)
 *    and send the root, which every client has and must decode for nothing;
 *  - TLS 1.3 sends one session ticket, not two (OpenSSL's default): a client resumes with
 *    one, and each resumption brings the next (tlsctx.c, docs/DESIGN.md "Sessions").
 * No check is changed: client certificates are verified as before. Returns 1 on success, 0
 * with the reason on the OpenSSL error queue. Thread safety: ctx must not be in use yet. */
int cw_tls_tune_ctx(SSL_CTX *ctx);

#endif
