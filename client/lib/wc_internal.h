/* Internals of libwalletclient shared by its modules; not installed. */
#ifndef WC_INTERNAL_H
#define WC_INTERNAL_H

#include <curl/curl.h>
#include <gpgme.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "secmem.h"
#include "status.h"
#include "walletclient.h"

/* The one conversion between the project's cw_status and the public wallet_status. Both enums
 * are built from common/status.def, number for number, so a value converts unchanged; the
 * assertion catches a public header generated from another list. */
_Static_assert((int)CW_STATUS_END == (int)WALLET_STATUS_END, "walletclient.h and status.h "
                                                             "come from one status.def");
static inline wallet_status wc_status_public(cw_status st)
{
	return (wallet_status)st;
}
static inline cw_status wc_status_internal(wallet_status st)
{
	return (cw_status)st;
}

/* Largest answers accepted: a sealed object, a signature header, a key, a listing. */
#define WC_MAX_OBJECT ((size_t)64 << 20)
#define WC_MAX_SIGHDR ((size_t)16 << 10)
#define WC_MAX_KEY ((size_t)1 << 20)
#define WC_MAX_LIST ((size_t)16 << 20)
#define WC_MAX_SIGNER_FPRS 16
#define WC_MAX_WORKERS 8

struct wallet_config {
	char **urls;
	size_t nurls;
	char *ca;
	char *cert;
	char *key;
	char *key_pass_file;
	char *gpg_key_file;
	char *gnupghome;
	char *signer;
	char *signer_key_file;
	wallet_openpgp openpgp;
	long connect_ms;
	long request_ms;
	long wait_ms;
	wallet_log_fn log;
	void *log_arg;
	wallet_cancel_fn cancel;
	void *cancel_arg;
};

struct wallet_client {
	struct wallet_config cfg; /* deep copy */
	CURL *curl;
	char *keypass;       /* secure memory, NUL-terminated */
	cw_sbuf pending_key; /* the client's key file, until it is imported */
	bool use_rnp;        /* the rnp engine (else gnupg) */
	rnp_ffi_t rnp;       /* rnp: the client's secret key and the pinned key */
	rnp_ffi_t rnp_pub;   /* rnp: the pinned key alone, for detached signatures */
	gpgme_ctx_t gpg;
	gpgme_ctx_t pool[WC_MAX_WORKERS]; /* extra contexts for parallel opening, made lazily */
	char home[4096];                  /* GNUPGHOME in use ("" = default) */
	bool tmphome;                     /* home is ours: destroy it on free */
	bool signer_ready;
	char signer_fprs[WC_MAX_SIGNER_FPRS][41]; /* primary and subkeys of the pinned key */
	size_t nsigner_fprs;
	size_t cur_url;
	bool wait_started;
	struct timespec wait_deadline;
	char err[768];
	char curl_err[CURL_ERROR_SIZE];
};

struct wallet_secret {
	char *name;
	uint64_t version;
	cw_sbuf plain; /* plain.data holds len bytes and a NUL */
};

/* One HTTP answer: public data only (sealed bytes, signature, listing, key). */
struct wc_resp {
	long status;
	unsigned char *body;
	size_t len;
	size_t cap;
	size_t limit;
	bool too_big;
	char version[32];
	char *sig_b64;
	bool sig_too_big;
};

void wc_resp_free(struct wc_resp *r);

/* Formats the client's error line (printf-style). */
void wc_err(wallet_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Passes a progress message to the configured log callback. */
void wc_log(wallet_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* http.c: the curl handle, and GET of path (from "/v1/...", query included) with URL
 * fail-over and waiting. CW_OK only for a 200 answer. */
cw_status wc_http_setup(wallet_client *c);
cw_status wc_http_get(wallet_client *c, const char *path, size_t limit, struct wc_resp *r);
/* Decodes base64 (RFC 4648, padding honoured) into malloc'd memory. */
cw_status wc_b64_decode(const char *in, unsigned char **out, size_t *outlen);

/* keys.c: the GPG side. A new context on the client's GNUPGHOME (thread-safe). */
cw_status wc_gpg_new_ctx(const wallet_client *c, gpgme_ctx_t *out);
cw_status wc_gpg_setup(wallet_client *c);
void wc_gpg_teardown(wallet_client *c);
cw_status wc_signer_ensure(wallet_client *c);
/* What opening one object needs: a gpg context of its own (so that several objects can be
 * opened in parallel threads; unused by the rnp engine), the client (read only: the pinned
 * key's fingerprints, the rnp keyring) and where to write the error line. */
struct wc_opener {
	gpgme_ctx_t gpg;
	const wallet_client *c;
	char *err;
	size_t errsz;
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
};

/* Verifies and decrypts one sealed object as docs/FORMAT.md demands, with the client's
 * engine. On success plain holds the content (and a NUL not counted) and *version the signed
 * version; on failure plain is wiped. gnupg engine: thread-safe for distinct openers once
 * wc_signer_ensure succeeded; rnp engine: one thread at a time per client. */
cw_status wc_open_sealed(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                         uint64_t *version);
/* The binding (open.c, both engines): the signed name and version notations (sname, sver;
 * dup when one appeared twice) against the request. On success *version is the version. */
cw_status wc_check_binding(struct wc_opener *o, const struct wc_sealed *in, const char *sname,
                           const char *sver, bool dup, uint64_t *version);
/* Formats the opener's error line. */
void wc_oerr(struct wc_opener *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends to a secure buffer: the output callback of both engines. */
cw_status wc_plain_append(cw_sbuf *plain, const void *buf, size_t size);

/* rnp.c: the rnp engine. setup makes the keyring; import takes the client's key
 * (c->pending_key) and the wallet's public key, and checks that nothing else came in. */
cw_status wc_rnp_setup(wallet_client *c);
cw_status wc_rnp_import(wallet_client *c, const unsigned char *pub, size_t publen);
cw_status wc_rnp_open(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                      uint64_t *version);
void wc_rnp_teardown(wallet_client *c);

/* client.c: one GET of an object, its headers checked and its signature decoded (no
 * decryption yet). Errors go to c->err. */
struct wc_raw {
	struct wc_resp r;
	unsigned char *sig;
	size_t sig_len;
	uint64_t hv;
};
cw_status wc_fetch_raw(wallet_client *c, const char *name, uint64_t want, struct wc_raw *raw);
void wc_raw_free(struct wc_raw *raw);
wallet_secret *wc_secret_new(const char *name);

/* Frees every field of cfg (not cfg itself). */
void wc_config_clear(struct wallet_config *cfg);

/* Whether the caller asked to stop (wallet_config_set_cancel). */
bool wc_canceled(const wallet_client *c);

#endif
