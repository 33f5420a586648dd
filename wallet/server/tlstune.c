/* The server's TLS context, tuned once for many short mutual-TLS connections (tlstune.h).
 * Measured with bench/server-bench.sh and callgrind: docs/BENCHMARKS.md. */
#include "tlstune.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

int cw_tls_tune_ctx(SSL_CTX *ctx)
{
	/* Certificates after the first in the certificate file count as intermediates; a chain
	 * that does not reach a CA in the store is sent as far as it goes, as OpenSSL would
	 * have sent it. */
	if (SSL_CTX_build_cert_chain(
	        ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT | SSL_BUILD_CHAIN_FLAG_UNTRUSTED |
	                 SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0)
		return 0;
	ERR_clear_error();
	/* One TLS 1.3 ticket rather than two: a client resumes with one (single-use: each
	 * resumption brings the next, tlsctx.c). */
	return SSL_CTX_set_num_tickets(ctx, 1);
}
