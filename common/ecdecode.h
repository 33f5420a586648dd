/* EC public keys of X.509 certificates decoded by OpenSSL's own EC code instead of its
 * provider decoders.
 *
 * OpenSSL 3.0 decodes the public key of every certificate it parses (the CA file, a peer's
 * certificate in each handshake) through OSSL_DECODER_CTX_new_for_pkey, which gathers and
 * chains every decoder of every provider again for each key: about 1.2 M instructions for
 * 65 bytes (openssl/openssl#17950; cached only from 3.1 on). d2i_X509 takes OpenSSL's
 * earlier EC path instead when an ENGINE is registered for EC key methods; the one this
 * registers hands back OpenSSL's built-in EC method, so that the same code parses and
 * checks the point (on the curve, the named group), and verifies with it. Keys that come
 * from providers (private keys read from PEM files) stay with their provider.
 *
 * Only programs call this (wallet serve, wallet-entry), never libwalletclient: it changes
 * the whole process's OpenSSL. It does nothing when the default properties ask for FIPS
 * (a FIPS provider must then do all the cryptography) or when WALLET_OPENSSL_PROVIDER_DECODERS
 * is set in the environment (1: the provider decoders as before, for comparisons). */
#ifndef CW_ECDECODE_H
#define CW_ECDECODE_H

#include <stdbool.h>

/* Registers the method once per process; later calls return the first call's result.
 * Returns whether EC public keys now take OpenSSL's EC path. Thread-safe. */
bool cw_ec_builtin_decoding(void);

#endif
