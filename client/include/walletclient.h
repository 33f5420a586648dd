/* libwalletclient: fetch secrets from a containerwallet over mutual TLS, verify the wallet's
 * signatures and decrypt them in memory.
 *
 * A secret is accepted only when the detached signature over the sealed bytes and the inner
 * signature are both good and made by the pinned wallet key, and the signed name and version
 * are the ones asked for (docs/FORMAT.md). Plaintext lives only in locked, non-dumpable
 * memory that is wiped when freed.
 *
 * Thread safety: there is no global state that two handles share, apart from the one-time,
 * thread-safe initialisation of libcurl and gpgme. Different wallet_client handles may be used
 * from different threads at the same time; one handle must not be used by two threads at once
 * (it owns one TLS connection and one OpenPGP keyring or gpg context). Config, secret and list
 * objects are read-only after creation and may be shared once built.
 *
 * Ownership: every *_new/fetch/list function hands the caller a new object that the caller
 * releases with the matching *_free; every *_free accepts NULL. String arguments are copied.
 * The library never prints and never exits. */
#ifndef WALLETCLIENT_H
#define WALLETCLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WALLET_CLIENT_VERSION_MAJOR 1
#define WALLET_CLIENT_VERSION_MINOR 1
#define WALLET_CLIENT_VERSION_PATCH 0
#define WALLET_CLIENT_VERSION_STRING "1.1.0"
/* For compile-time comparisons: (major << 16) | (minor << 8) | patch. */
#define WALLET_CLIENT_VERSION_NUM 0x010100

#if defined(WALLET_BUILDING_LIBRARY) && defined(__GNUC__)
#define WALLET_API __attribute__((visibility("default")))
#else
#define WALLET_API
#endif

/* One status enum; the numbers never change once released (new codes go at the end). */
typedef enum wallet_status {
	WALLET_OK = 0,
	WALLET_ERR_USAGE = 1,      /* bad argument or configuration */
	WALLET_ERR_NOMEM = 2,      /* out of memory */
	WALLET_ERR_IO = 3,         /* reading a local file failed */
	WALLET_ERR_NAME = 4,       /* object name outside the grammar */
	WALLET_ERR_NOTFOUND = 5,   /* no such object, or this client is not a recipient */
	WALLET_ERR_EXISTS = 6,     /* reserved */
	WALLET_ERR_TOOBIG = 7,     /* answer over the size limit */
	WALLET_ERR_CRYPTO = 8,     /* OpenPGP failed (decryption, key import) */
	WALLET_ERR_BADSIG = 9,     /* signature missing, bad, or not by the pinned key */
	WALLET_ERR_BINDING = 10,   /* signed name or version differs from the request */
	WALLET_ERR_ROLLBACK = 11,  /* version below the required minimum */
	WALLET_ERR_KEY = 12,       /* key material rejected (wrong fingerprint, no secret key) */
	WALLET_ERR_TLS = 13,       /* TLS setup or handshake failed (certificate, CA, host) */
	WALLET_ERR_NETWORK = 14,   /* no wallet URL answered within the wait time */
	WALLET_ERR_HTTP = 15,      /* unexpected HTTP status */
	WALLET_ERR_PROTOCOL = 16,  /* malformed answer (headers, JSON, base64) */
	WALLET_ERR_DENIED = 17,    /* refused by the wallet (revoked client) */
	WALLET_ERR_INTEGRITY = 18, /* reserved */
	WALLET_ERR_INTERNAL = 19   /* a bug */
} wallet_status;

/* Static text for a status, never NULL, never secret. Thread-safe. */
WALLET_API const char *wallet_strerror(wallet_status st);
/* The library's version string at run time ("1.0.0"). */
WALLET_API const char *wallet_version(void);

/* ---- configuration ---------------------------------------------------------------------- */

typedef struct wallet_config wallet_config;

WALLET_API wallet_status wallet_config_new(wallet_config **out);
WALLET_API void wallet_config_free(wallet_config *cfg);

/* Adds one wallet base URL ("https://wallet:8443"); URLs are tried in the order added.
 * Only https:// is accepted. */
WALLET_API wallet_status wallet_config_add_url(wallet_config *cfg, const char *url);
/* Adds every URL of a comma-separated list. */
WALLET_API wallet_status wallet_config_add_urls(wallet_config *cfg, const char *list);
/* PEM file of the CA that issued the wallet's server certificate (required). */
WALLET_API wallet_status wallet_config_set_ca(wallet_config *cfg, const char *path);
/* PEM client certificate and its key (required). */
WALLET_API wallet_status wallet_config_set_cert(wallet_config *cfg, const char *cert,
                                                const char *key);
/* A file whose first line is the passphrase of an encrypted client key. The file is read
 * when the client is created, into locked memory. */
WALLET_API wallet_status wallet_config_set_key_passphrase_file(wallet_config *cfg,
                                                               const char *path);
/* The client's GPG secret key, one of (the last call wins):
 *  - a file with the armored secret key (not passphrase-protected). With the rnp engine
 *    (the default for a key file) it is read into this process's memory only: no file, no
 *    gpg-agent, no child process. With the gnupg engine it is imported into a throwaway
 *    GNUPGHOME on a memory file system, wiped and its gpg-agent stopped by
 *    wallet_client_free;
 *  - an existing GNUPGHOME that holds the secret key, or whose S.gpg-agent is a gpg-agent
 *    socket forwarded from the host (the host's "extra" socket) and whose keyring holds the
 *    public keys: then the secret key never enters the container (gnupg engine only). */
WALLET_API wallet_status wallet_config_set_gpg_key_file(wallet_config *cfg, const char *path);
WALLET_API wallet_status wallet_config_set_gnupghome(wallet_config *cfg, const char *path);
/* Which OpenPGP implementation verifies and decrypts (since 1.1). Both apply the same checks
 * (docs/FORMAT.md) and give the same results:
 *  - WALLET_OPENPGP_RNP: RNP (librnp), in process. A key file only. The key then lives in
 *    this process's heap, and librnp frees its decryption buffers without wiping them: a
 *    program that outlives its secrets should make freed memory overwritten (mallopt
 *    M_PERTURB, as wallet-entry does, or MALLOC_PERTURB_) and not be dumpable. librnp 0.16
 *    also writes parser diagnostics (packet tags and offsets, never key or content bytes)
 *    to stderr, which the library cannot prevent.
 *  - WALLET_OPENPGP_GNUPG: GnuPG through gpgme: a gpg process per operation. Needed for a
 *    GNUPGHOME or a forwarded gpg-agent.
 *  - WALLET_OPENPGP_AUTO (the default): RNP for a key file, GnuPG for a GNUPGHOME.
 * wallet_client_new fails with WALLET_ERR_USAGE for RNP without a key file. */
typedef enum wallet_openpgp {
	WALLET_OPENPGP_AUTO = 0,
	WALLET_OPENPGP_RNP = 1,
	WALLET_OPENPGP_GNUPG = 2
} wallet_openpgp;
WALLET_API wallet_status wallet_config_set_openpgp(wallet_config *cfg, wallet_openpgp engine);
/* The pinned fingerprint of the wallet's signing key (40 hex digits, primary key; required). */
WALLET_API wallet_status wallet_config_set_signer(wallet_config *cfg, const char *fpr);
/* Optional: the wallet's public signing key from a file instead of GET /v1/signing-key.
 * Either way the key is used only when its primary fingerprint is the pinned one. */
WALLET_API wallet_status wallet_config_set_signer_key_file(wallet_config *cfg, const char *path);
/* Per-request limits in milliseconds (defaults: connect 5000, whole request 30000). */
WALLET_API wallet_status wallet_config_set_timeouts(wallet_config *cfg, long connect_ms,
                                                    long request_ms);
/* How long to keep retrying, with backoff, while no wallet URL answers at all (default 0:
 * try each URL once). The time counts from the client's first request; once it is spent,
 * later requests try each URL once. */
WALLET_API wallet_status wallet_config_set_wait(wallet_config *cfg, long wait_ms);
/* Receives progress messages (retries, fail-overs); never secret. May be called from inside
 * any request function of a client made with this config. */
typedef void (*wallet_log_fn)(void *arg, const char *msg);
WALLET_API wallet_status wallet_config_set_log(wallet_config *cfg, wallet_log_fn fn, void *arg);

/* Polled while waiting for a wallet (between retries) and during transfers; when it returns
 * non-zero the request stops and fails with WALLET_ERR_NETWORK ("canceled"). Lets a program
 * that catches SIGTERM stop, clean up (wallet_client_free) and exit. Called from the thread
 * that runs the request; must not call into the library. */
typedef int (*wallet_cancel_fn)(void *arg);
WALLET_API wallet_status wallet_config_set_cancel(wallet_config *cfg, wallet_cancel_fn fn,
                                                  void *arg);

/* ---- client ----------------------------------------------------------------------------- */

typedef struct wallet_client wallet_client;

/* Checks the configuration and prepares the OpenPGP side: reads the key file into locked
 * memory (and, with the gnupg engine, makes the throwaway GNUPGHOME). Does no network I/O.
 * The key is imported, together with the wallet's signing key, at the first request. cfg may
 * be freed afterwards. */
WALLET_API wallet_status wallet_client_new(const wallet_config *cfg, wallet_client **out);
/* Closes the connection and releases the OpenPGP side: the rnp keyring, or the gpg contexts
 * and the throwaway GNUPGHOME (its gpg-agent is stopped and its files are overwritten and
 * removed). */
WALLET_API void wallet_client_free(wallet_client *c);
/* One line describing the last failure of c (URL, HTTP status, gpg error...), or "".
 * Valid until the next call on c. Never contains secret data. */
WALLET_API const char *wallet_client_error(const wallet_client *c);

/* ---- secrets ---------------------------------------------------------------------------- */

typedef struct wallet_secret wallet_secret;

/* Fetches the latest version of name and accepts it only if its version is >= min_version
 * (0: any). On success *out is a new secret; on failure *out is NULL and nothing of the
 * plaintext remains in memory. */
WALLET_API wallet_status wallet_fetch(wallet_client *c, const char *name, uint64_t min_version,
                                      wallet_secret **out);
/* Fetches exactly version (>= 1) of name. */
WALLET_API wallet_status wallet_fetch_version(wallet_client *c, const char *name, uint64_t version,
                                              wallet_secret **out);

/* The plaintext: size bytes in locked memory, followed by one NUL byte not counted in size
 * (so text secrets can be used as C strings). Valid until wallet_secret_free. */
WALLET_API const unsigned char *wallet_secret_data(const wallet_secret *s);
WALLET_API size_t wallet_secret_size(const wallet_secret *s);
WALLET_API uint64_t wallet_secret_version(const wallet_secret *s);
WALLET_API const char *wallet_secret_name(const wallet_secret *s);
/* Wipes and releases. */
WALLET_API void wallet_secret_free(wallet_secret *s);

/* Several objects at once. The requests go one after the other over the client's connection;
 * with the gnupg engine, verification and decryption run in parallel (a few gpg contexts of
 * the client's, in threads that end before the call returns). Layout fixed for the life of
 * SONAME 1. */
typedef struct wallet_request {
	const char *name;      /* in: object name */
	uint64_t min_version;  /* in: 0 = any */
	wallet_secret *secret; /* out: the secret, NULL on failure; free with wallet_secret_free */
	wallet_status status;  /* out */
	char error[256];       /* out: "" or one line describing the failure, never secret */
} wallet_request;

/* Fills every request's outputs. Returns WALLET_OK when all succeeded, else the status of the
 * first one that failed (the others may have succeeded: check each). */
WALLET_API wallet_status wallet_fetch_many(wallet_client *c, wallet_request *reqs, size_t n);

/* ---- listing and groups ----------------------------------------------------------------- */

typedef struct wallet_list wallet_list;

/* The objects this client may read (latest versions), optionally only those whose name starts
 * with prefix ("app1/"; NULL or "" for all). */
WALLET_API wallet_status wallet_list_objects(wallet_client *c, const char *prefix,
                                             wallet_list **out);
WALLET_API size_t wallet_list_count(const wallet_list *l);
/* i < count; NULL / 0 otherwise. */
WALLET_API const char *wallet_list_name(const wallet_list *l, size_t i);
WALLET_API uint64_t wallet_list_version(const wallet_list *l, size_t i);
WALLET_API const char *wallet_list_created(const wallet_list *l, size_t i);
WALLET_API uint64_t wallet_list_size(const wallet_list *l, size_t i);
WALLET_API void wallet_list_free(wallet_list *l);

/* Fetches every object of a group (prefix ending in '/', e.g. "app1/"): lists, then fetches
 * each. All or nothing: on failure no secret is returned and wallet_client_error names the
 * object that failed. *out is an array of *count secrets; free it with wallet_secrets_free.
 * An empty group is WALLET_ERR_NOTFOUND. */
WALLET_API wallet_status wallet_fetch_group(wallet_client *c, const char *prefix,
                                            wallet_secret ***out, size_t *count);
WALLET_API void wallet_secrets_free(wallet_secret **v, size_t count);

#ifdef __cplusplus
}
#endif

#endif
