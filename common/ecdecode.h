/* EC public keys of X.509 certificates decoded by OpenSSL's own EC code instead of its
 * provider decoders.
 *
 * OpenSSL 3.0 decodes the public key of every certificate it parses (the CA file, a peer's
 * certificate in each handshake) through OSSL_DECODER_CTX_new_for_pkey, which gathers and
 * chains every decoder of every provider again for each key: about 1.2 M instructions for
 * 65 bytes (openssl/openssl#17950; cached only from 3.1 on). d2i_X509 takes OpenSSL's
 * earlier EC path instead when an ENGINE is registered for EC key methods; the one this
 * registers hands back OpenSSL's built-in EC method, so that the same code parses and
 * checks the point (on the curve, the named group), and verifies with it.
 *
 * The registration reaches further than decoding: OpenSSL 3.0 asks the ENGINE table for
 * every EC key operation, so signing with a private key read from PEM (a provider's key)
 * runs in the same built-in EC code too (on a legacy copy of the key, wiped when freed),
 * and making an EC key from parameters (EVP_PKEY_fromdata) or by the group name "P-256"
 * fails in this process. TLS is not affected (X25519, P-256 and P-384 key shares, ECDSA
 * certificates, tested); our programs make no EC keys of their own (OpenPGP is Botan's, in
 * librnp, or gpg's).
 *
 * Only programs call this (wallet serve, wallet-entry), never libwalletclient: it changes
 * the whole process's OpenSSL. It does nothing under FIPS (the default properties ask for
 * it, or a "fips" provider is loaded: then that provider must do all the cryptography),
 * without the "default" provider, or when WALLET_OPENSSL_PROVIDER_DECODERS=1 is in the
 * environment (the provider decoders as before, for comparisons). */
#ifndef CW_ECDECODE_H
#define CW_ECDECODE_H

#include <stdbool.h>

/* Registers the method once per process; later calls return the first call's result.
 * Returns whether EC public keys now take OpenSSL's EC path. Thread-safe. */
bool cw_ec_builtin_decoding(void);

#endif
