/* libssl shim for Debian's libcivetweb1 (built for the OpenSSL 1.1 API) on OpenSSL 3.
 *
 * civetweb loads "libssl.so" with dlopen() and looks its functions up with dlsym().
 * OpenSSL 3 exports SSL_get1_peer_certificate only, so civetweb's lookup of
 * SSL_get_peer_certificate yields NULL and the first HTTPS connection jumps to address 0.
 * This library's SONAME is libssl.so and it depends on libssl.so.3: linked into a program
 * (with --no-as-needed, reached through RUNPATH), it is already loaded when civetweb calls
 * dlopen("libssl.so"), so the loader hands civetweb this object, and dlsym() finds every
 * other symbol in its dependency libssl.so.3. See docs/DESIGN.md, platform notes. */
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* <openssl/ssl.h> maps the old name onto the new one with a macro; without the #undef this
 * file would silently define SSL_get1_peer_certificate again. */
#undef SSL_get_peer_certificate

__attribute__((visibility("default"))) X509 *SSL_get_peer_certificate(const SSL *s);

/* Same reference-count semantics as OpenSSL 1.1's SSL_get_peer_certificate: the caller
 * owns one reference and frees it with X509_free (civetweb does). Thread-safe. */
X509 *SSL_get_peer_certificate(const SSL *s)
{
	return SSL_get1_peer_certificate(s);
}
