/* Sealing per docs/FORMAT.md: one OpenPGP sign-and-encrypt of the content by the wallet key to
 * every recipient, with the name, version and creation time as hashed notations of the inner
 * signature, plus a detached signature over the sealed bytes. And the check of that detached
 * signature, which needs no secret (checkintegrity).
 * Each call makes its own gpgme context on GNUPGHOME home: thread-safe. */
#ifndef WALLET_SEAL_H
#define WALLET_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "objstore.h"
#include "status.h"

struct wg_seal_in {
	const char *home;   /* the wallet's GNUPGHOME */
	const char *signer; /* wallet key fingerprint */
	const ws_recipient *rcpt;
	size_t nrcpt;
	const char *name;
	uint64_t version;
	const char *created;
	const unsigned char *content; /* secret: never copied by this module */
	size_t content_len;
};

/* On success *sealed and *sig are malloc'd (public bytes, free with free()). err receives a
 * one-line reason on failure (never content). */
cw_status wg_seal(const struct wg_seal_in *in, unsigned char **sealed, size_t *sealed_len,
                  unsigned char **sig, size_t *sig_len, char *err, size_t errsz);

/* CW_OK when sig is a good detached signature over data made by the key signer (primary
 * fingerprint); CW_ERR_BADSIG otherwise. */
cw_status wg_verify_detached(const char *home, const char *signer, const void *data, size_t len,
                             const void *sig, size_t siglen, char *err, size_t errsz);

#endif
