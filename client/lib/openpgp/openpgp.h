/* libwalletclient: the OpenPGP engines behind one table of operations, as curl's TLS backends
 * are (lib/vtls/). wallet_client_new picks one table (wc_engine_gnupg or wc_engine_rnp) and
 * keeps it with the engine's own state (opaque to everything but that engine); the rest of
 * the library calls only through the table. The engines never call each other: what both
 * need (the binding of name and version, the bound on what decryption may produce) is in
 * open.c. Not installed. */
#ifndef WC_OPENPGP_H
#define WC_OPENPGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "secmem.h"
#include "status.h"
#include "walletclient.h"

/* What opening one object needs: the engine's context for this thread (thread_ctx), the
 * client (read only: the pinned key's fingerprints, the engine's keyrings) and where to write
 * the error line. */
struct wc_opener {
	void *ctx;
	const wallet_client *c;
	char *err;
	size_t errsz;
	/* set by the engine when a verification failed on a signature by a key the client does
	 * not have: maybe a subkey the wallet added since (wc_signer_retry) */
	bool unknown_signer;
};

/* One sealed object as served: what to open and what was asked for. */
struct wc_sealed {
	const char *name;
	uint64_t hdr_version;  /* X-Wallet-Version */
	uint64_t want_version; /* exact version asked for; 0: any */
	uint64_t min_version;  /* 0: any */
	const unsigned char *sealed;
	size_t sealed_len;
	const unsigned char *sig; /* detached signature */
	size_t sig_len;
	/* the sealed bytes' size and sha256 are those a verified manifest lists: that binds them
	 * to the wallet key as the detached signature would, which is then not needed (sig may
	 * be NULL) */
	bool prechecked;
};

struct wc_engine_ops {
	const char *name;
	/* How many threads may open objects of one client at once, each with a context of its
	 * own (thread_ctx slots 0 .. max_threads - 1). */
	size_t max_threads;
	/* Makes the engine's state from c->cfg (keyrings, a GNUPGHOME) into *state; on failure
	 * *state may hold a half-made state, for free. Errors go to c->err. */
	cw_status (*init)(wallet_client *c, void **state);
	/* Imports the client's key file (c->pending_key, kept until import_keys succeeds) on
	 * its own, before the wallet's key is known. NULL: import_keys does it. It runs right
	 * after init in a thread of its own, beside the caller's use of the network: it may
	 * touch only the engine's state, read c->cfg and c->pending_key, and report through
	 * wc_err. */
	cw_status (*prepare)(wallet_client *c);
	/* The pinned key from a keyring the engine already has (an existing GNUPGHOME), its
	 * signing fingerprints into c->signer_fprs; CW_ERR_NOTFOUND when it must be fetched.
	 * NULL: never there. */
	cw_status (*load_signer)(wallet_client *c);
	/* Imports the client's key file (c->pending_key, if any: consumed) and pub, the wallet's
	 * public key as served or read from a file; anything else in either is refused. Records
	 * the pinned key's signing fingerprints into c->signer_fprs. Errors go to c->err. */
	cw_status (*import_keys)(wallet_client *c, const unsigned char *pub, size_t publen);
	/* import_keys in two halves, for an engine whose signatures are checked apart from its
	 * decryption (rnp: two keyrings): the wallet's key where manifests and detached
	 * signatures are checked, recording c->signer_fprs (import_verifier); and, after the
	 * client's key, where objects are decrypted (import_decryptor). Neither consumes
	 * c->pending_key (the caller frees it once both are in) nor empties the keys on a
	 * failure: the caller calls discard_keys then, once no other thread uses the engine.
	 * keys.c runs them at once, the first in the caller's thread and the second in the
	 * preparing thread, while c->prep_shares_keys (when the client's own import fails then,
	 * the engine sets c->keys_discard_due instead of emptying the keys). NULL: import_keys
	 * only. */
	cw_status (*import_verifier)(wallet_client *c, const unsigned char *pub, size_t publen);
	cw_status (*import_decryptor)(wallet_client *c, const unsigned char *pub, size_t publen);
	void (*discard_keys)(wallet_client *c);
	/* A fresh copy of the wallet's public key (pub, as served or read from the file again),
	 * for a client whose keys were imported already: merged in when it holds the pinned key
	 * and nothing else, so that signing subkeys added since (a rotation) count; what was
	 * there before stays. c->signer_fprs is recorded again. Caller's thread, while no other
	 * thread opens anything. Errors go to c->err. */
	cw_status (*refresh_signer)(wallet_client *c, const unsigned char *pub, size_t publen);
	/* The context of thread slot (slot 0 always exists and belongs to the caller of the
	 * library; slot k > 0 belongs to one worker thread, made there at its first use). */
	cw_status (*thread_ctx)(const wallet_client *c, size_t slot, void **ctx);
	/* Verifies the detached signature, decrypts into plain (secure memory, through
	 * wc_plain_append), checks the inner signature and calls wc_check_binding. The caller
	 * wipes plain on failure. */
	cw_status (*open)(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
	                  uint64_t *version);
	/* Verifies a signed manifest: exactly one good signature by the pinned key whose hashed
	 * area holds exactly one CW_NOTATION_MANIFEST notation, equal to client; its content goes
	 * to doc (public data, malloc'd, *doclen bytes). Errors go to o->err. */
	cw_status (*open_manifest)(struct wc_opener *o, const unsigned char *data, size_t len,
	                           const char *client, unsigned char **doc, size_t *doclen);
	/* Frees a state made by init (NULL accepted), destroying what it made on disk. */
	void (*free)(void *state);
};

extern const struct wc_engine_ops wc_engine_gnupg;
extern const struct wc_engine_ops wc_engine_rnp;

/* open.c: what both engines share. */

/* Verifies and decrypts one sealed object as docs/FORMAT.md demands, with the client's
 * engine. On success plain holds the content (and a NUL not counted) and *version the signed
 * version; on failure plain is wiped. Thread-safe for distinct openers, each with its own
 * slot's context, once wc_signer_ensure succeeded. */
cw_status wc_open_sealed(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                         uint64_t *version);
/* The binding: the signed name and version notations (sname, sver; dup when one appeared
 * twice or malformed) against the request. On success *version is the version. */
cw_status wc_check_binding(struct wc_opener *o, const struct wc_sealed *in, const char *sname,
                           const char *sver, bool dup, uint64_t *version);
/* Formats the opener's error line. */
void wc_oerr(struct wc_opener *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends to a secure buffer, bounded by WC_MAX_OBJECT: the output of both engines. */
cw_status wc_plain_append(cw_sbuf *plain, const void *buf, size_t size);

#endif
