/* Sealing per docs/FORMAT.md: one OpenPGP sign-and-encrypt of the content by the wallet key to
 * every recipient, with the name, version and creation time as hashed notations of the inner
 * signature, plus a detached signature over the sealed bytes. And the check of that detached
 * signature, which needs no secret (checkintegrity).
 * Each call makes its own gpgme context on GNUPGHOME home: thread-safe. */
#ifndef WALLET_SEAL_H
#define WALLET_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
/* The same, and the binding: a detached signature of format 2 carries the name and version
 * notations (*bound true), which must be name and version (else CW_ERR_BINDING); one of
 * format 1 carries none (*bound false, CW_OK when good). */
cw_status wg_verify_detached_bound(const char *home, const char *signer, const void *data,
                                   size_t len, const void *sig, size_t siglen, const char *name,
                                   uint64_t version, bool *bound, char *err, size_t errsz);

/* Which key made the one signature in sig: a detached signature over data, or with data NULL
 * a signed message (a manifest). made_by receives the signing (sub)key's fingerprint as gpg
 * reports it, whether the signature is good or not (a revoked subkey's are named too): 40 hex
 * digits when home holds that key, else its 16-digit key ID. CW_ERR_BADSIG when sig does not
 * hold exactly one signature. For `wallet signing-key --signed-by` (rotation). */
cw_status wg_signature_maker(const char *home, const void *data, size_t len, const void *sig,
                             size_t siglen, char made_by[41]);

/* A manifest (docs/FORMAT.md): doc signed by signer as a binary OpenPGP signed message whose
 * one hashed notation names client. *out is malloc'd (public bytes). Needs the secret key. */
cw_status wg_sign_manifest(const char *home, const char *signer, const char *client,
                           const void *doc, size_t len, unsigned char **out, size_t *outlen,
                           char *err, size_t errsz);
/* The same with the document read piece by piece from rd (arg passed on), so that it need
 * not be in memory whole: rd returns the bytes it put in buf (at most size), 0 at the end, or
 * -1 with errno set to fail the signing (CW_ERR_CRYPTO). Called from this thread only. */
typedef ssize_t (*wg_read_fn)(void *arg, void *buf, size_t size);
cw_status wg_sign_manifest_from(const char *home, const char *signer, const char *client,
                                wg_read_fn rd, void *arg, unsigned char **out, size_t *outlen,
                                char *err, size_t errsz);
/* Verifies a signed manifest (one good signature by signer, for client) and returns its
 * content (*doclen bytes, malloc'd). CW_ERR_BADSIG when anything is off. */
cw_status wg_open_manifest(const char *home, const char *signer, const char *client,
                           const void *data, size_t len, unsigned char **doc, size_t *doclen,
                           char *err, size_t errsz);

#endif
