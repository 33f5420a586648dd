/* Internals of libwalletclient shared by its modules; not installed. */
#ifndef WC_INTERNAL_H
#define WC_INTERNAL_H

#include <openssl/types.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "etag.h"
#include "name.h"
#include "openpgp.h"
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
#define WC_MAX_GROUP ((size_t)256 << 20) /* all members of a group, as the manifest lists */
/* A manifest is used for this long (and never past its expiry): one wallet-entry run asks
 * once; a program that keeps a client handle sees new versions within this time. */
#define WC_MANIFEST_REUSE_S 5
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

/* The client's verified manifest (docs/FORMAT.md, "Manifests"), entries sorted by name. */
struct wc_mf_entry {
	char *name;
	uint64_t version;
	uint64_t size;
	char sha256[65];
};
struct wc_manifest {
	int64_t signed_at, expires;
	struct wc_mf_entry *v;
	size_t n;
};

struct wallet_client {
	struct wallet_config cfg; /* deep copy */
	SSL_CTX *tls;             /* conn.c: made at the first connection */
	struct wc_conn *conn;     /* the kept-alive connection, or NULL */
	/* wallet_watch: its poll's connection is closed after the answer (close_after_get), and
	 * the TLS session kept for the next poll to the same URL (conn.c) */
	bool close_after_get;
	struct ssl_session_st *tls_session; /* SSL_SESSION */
	size_t tls_session_url;
	struct timespec io_connect_by; /* the current request's deadlines */
	struct timespec io_done_by;
	char *keypass;                      /* secure memory, NUL-terminated */
	cw_sbuf pending_key;                /* the client's key file, until it is imported */
	const struct wc_engine_ops *engine; /* chosen once, in wallet_client_new */
	void *eng;                          /* the engine's state: only the engine reads it */
	/* keys.c: the engine made ready (library loaded, client key imported) in a thread of its
	 * own while this one opens the connection; waited for before the engine is used, joined
	 * at teardown */
	pthread_t prep_tid;
	bool prep_running;
	bool prep_signer; /* it imports the wallet's key from its file as well */
	cw_status prep_st;
	char prep_err[512];
	/* ... or, served by the wallet, as this thread hands it over (prep_key, malloc'd),
	 * while this thread goes on to ask for the manifest: prep_waits when the preparing
	 * thread waits for that, prep_handed once it has the key or the word that none comes
	 * (under prep_mu), sign_pending until this thread has the import's status, sign_st */
	bool prep_waits;
	bool prep_sync;    /* prep_mu and prep_cv are made */
	bool prep_done;    /* under prep_mu: the thread is done with the client */
	bool prep_exiting; /* done, still to be joined (teardown) */
	pthread_mutex_t prep_mu;
	pthread_cond_t prep_cv;
	bool prep_handed;
	unsigned char *prep_key;
	size_t prep_key_len;
	bool sign_pending;
	cw_status sign_st;
	/* the engine's keys are imported in halves (import_verifier here, import_decryptor in
	 * the preparing thread), which says when its keyrings exist (prep_init_done, under
	 * prep_mu); verify_ready once this thread's half is in; keys_discard_due when a
	 * failure left keys for this thread to empty (wc_engine_ready) */
	bool prep_shares_keys;
	bool prep_init_done;
	bool verify_ready;
	bool keys_discard_due;
	/* http.c: a connection opened ahead of the first request failed: that first request
	 * takes this result instead of trying the URL a second time at once */
	cw_status warm_st;
	size_t warm_url;
	bool pipe_off; /* a pipelined request was lost once: one request at a time */
	/* client.c: the names the current fetch call asks for the latest version of (borrowed,
	 * for its length): their requests go with the manifest's (wc_plan_next) */
	const char *const *plan;
	size_t nplan;
	char warm_err[768];
	bool signer_ready;
	/* this request got the pinned key fresh (first import, wc_signer_retry): no other fetch
	 * of it; false at the start of each request (fetch, fetch_many, a new manifest round) */
	bool signer_refetched;
	char signer_fprs[WC_MAX_SIGNER_FPRS][41]; /* primary and subkeys of the pinned key */
	size_t nsigner_fprs;
	size_t cur_url;
	char client_name[CW_CLIENT_NAME_MAX + 1]; /* CN of the client certificate */
	bool mf_loaded;
	time_t mf_loaded_at;   /* when: a handle that lives long asks again after a while */
	struct wc_manifest mf; /* the verified manifest, once loaded */
	int64_t mf_floor;      /* the latest "signed" ever accepted: an older one is a replay */
	char mf_etag[CW_ETAG_MAX + 1]; /* the held manifest's ETag ("": none), from URL: */
	size_t mf_etag_url;
	unsigned char *url_bad; /* per URL: 1 once it served stale or contradicted data */
	char stale_why[768];    /* "URL: reason; " for each of them */
	cw_status stale_st;     /* the refusal of the first of them, and whether all agree */
	bool stale_mixed;
	bool wait_started;
	struct timespec wait_deadline;
	char err[768];
};

struct wallet_secret {
	char *name;
	uint64_t version;
	cw_sbuf plain; /* plain.data holds len bytes and a NUL */
};

/* A listing (wallet_list_objects, wallet_manifest_list). */
struct wallet_list_entry {
	char *name;
	char *created;
	uint64_t version;
	uint64_t size;
};

struct wallet_list {
	struct wallet_list_entry *v;
	size_t n;
};

/* One HTTP answer: public data only (sealed bytes, signature, listing, key). */
struct wc_resp {
	/* in: a conditional request: If-None-Match: inm, sent only to URL number inm_url (an
	 * entity tag is the server's own). A 304 from that URL is then a success. */
	const char *inm;
	size_t inm_url;
	long status;
	unsigned char *body;
	size_t len;
	size_t cap;
	size_t limit;
	bool too_big;
	char etag[CW_ETAG_MAX + 1]; /* the answer's ETag when it is a valid one, else "" */
	time_t date, last_modified; /* its Date and Last-Modified headers (-1: none) */
};

void wc_resp_free(struct wc_resp *r);

/* Formats the client's error line (printf-style); in a thread that called wc_err_redirect,
 * into that thread's buffer instead. */
void wc_err(wallet_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends this thread's wc_err lines to buf (NULL: back to the client's own line). */
void wc_err_redirect(char *buf, size_t size);
/* Where this thread's wc_err lines go (c->err, or the redirected buffer), and its size. */
char *wc_err_line(wallet_client *c, size_t *size);
/* Passes a progress message to the configured log callback. */
void wc_log(wallet_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* http.c: GET of path (from "/v1/...", query included) with URL fail-over and waiting, over
 * one kept-alive connection. CW_OK only for a 200 answer. teardown closes the connection
 * and frees the TLS context. */
void wc_http_teardown(wallet_client *c);
/* Opens the connection the first request will use, if none is open: called while another
 * thread prepares the engine, so that both overlap. A failure is kept for that request. */
void wc_http_warm(wallet_client *c);
cw_status wc_http_get(wallet_client *c, const char *path, size_t limit, struct wc_resp *r);
/* The longest path whose request may be pipelined, and how many may be on the way at once. */
#define WC_PIPE_PATH_MAX 320
#define WC_PIPE_DEPTH 16
/* The paths of the GETs the caller makes right after this one, in order, written into
 * paths (at most max); the number written. Asked once the connection is open. */
typedef size_t (*wc_next_fn)(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max);
/* wc_http_get, with next's requests sent along with path's on the same connection (HTTP/1.1
 * pipelining), unless a server lost such requests before (c->pipe_off); the next
 * wc_http_get of each of those paths reads its answer. */
cw_status wc_http_get_then(wallet_client *c, const char *path, size_t limit, struct wc_resp *r,
                           wc_next_fn next);
/* The answer to a GET of path that went ahead with an earlier request (wc_http_get_then),
 * if the kept connection has one on the way: the answers queued before it are read and
 * dropped. CW_ERR_NOTFOUND when none is on the way; else as wc_http_get, without fail-over
 * or retry (the caller asks as usual when it is not the answer it wants). c->err is left as
 * it was. */
cw_status wc_http_take(wallet_client *c, const char *path, size_t limit, struct wc_resp *r);
/* Decodes base64 (RFC 4648, padding honoured) into malloc'd memory. */
cw_status wc_b64_decode(const char *in, unsigned char **out, size_t *outlen);

/* keys.c: the client's key material, whatever the engine. setup picks the engine (once, from
 * the configuration), makes its state and reads the key file; teardown frees both (accepts a
 * half-made client). signer_ensure imports the keys at the first request. */
cw_status wc_engine_setup(wallet_client *c);
void wc_engine_teardown(wallet_client *c);
/* Waits for the engine's preparation (if it runs in a thread of its own) and returns its
 * status, its error in c->err. Callers use the engine only after CW_OK: wc_signer_ensure
 * may return before the wallet's key (from a file, or as served and handed to that thread)
 * is in; that import's failure is returned here then. */
cw_status wc_engine_ready(wallet_client *c);
/* Before a manifest's check (open_manifest): at once when this thread imported the wallet's
 * key for checking signatures itself (the preparing thread may still import the rest);
 * otherwise as wc_engine_ready. */
cw_status wc_engine_ready_to_verify(wallet_client *c);
cw_status wc_signer_ensure(wallet_client *c);
/* After a verification failed on a signature by a key the client does not have (unknown: the
 * opener's unknown_signer): a long-lived client may hold the pinned key from before a rotation
 * of the wallet's signing key. Fetches the pinned key again, at most once per request
 * (c->signer_refetched), and has the engine merge it in. True when the caller
 * should verify once more; c->err stays as it was. Caller's thread, while no worker opens
 * anything. */
bool wc_signer_retry(wallet_client *c, bool unknown);

/* client.c: one GET of an object, its headers checked and its signature decoded (no
 * decryption yet). Errors go to c->err. */
struct wc_raw {
	struct wc_resp r;
	unsigned char *sig;
	size_t sig_len;
	uint64_t hv;     /* the version served: the manifest's, or the one asked for */
	bool prechecked; /* r.body's size and sha256 are the manifest's (sig is NULL then) */
};
cw_status wc_fetch_raw(wallet_client *c, const char *name, uint64_t want, struct wc_raw *raw);
void wc_raw_free(struct wc_raw *raw);
wallet_secret *wc_secret_new(const char *name);

/* Frees every field of cfg (not cfg itself). */
void wc_config_clear(struct wallet_config *cfg);

/* Whether the caller asked to stop (wallet_config_set_cancel). */
bool wc_canceled(const wallet_client *c);

/* manifest.c: the client's name (the CN of its certificate), and its manifest: fetched
 * from the first URL that answers, verified by the engine, bound to this client, not
 * expired. wc_manifest_ensure moves on from a URL that serves a bad one (wc_url_reject) and
 * fails with CW_ERR_STALE, naming each URL, when none has a good one. */
cw_status wc_client_name(wallet_client *c);
cw_status wc_manifest_ensure(wallet_client *c);
/* wc_next_fn for the wallet's key: the manifest's path when the next wc_manifest_ensure
 * will ask for it in full (none is held) and the client's name is known without reading a
 * file, then wc_plan_next's. */
size_t wc_manifest_next(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max);
/* wc_next_fn for the manifest (none held): the latest version of each object the current
 * call will fetch (c->plan), GET /v1/objects/NAME, checked against the manifest when it
 * arrives (wc_fetch_raw). */
size_t wc_plan_next(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max);
cw_status wc_manifest_parse(wallet_client *c, const char *doc, size_t len, struct wc_manifest *m,
                            char *why, size_t whysz);
const struct wc_mf_entry *wc_manifest_find(const struct wc_manifest *m, const char *name);
void wc_manifest_clear(struct wc_manifest *m);
/* wc_manifest_load: one round over the URLs for the manifest, starting with the one that
 * answered last: the first good one is taken (*changed), or a 304 for the one held (its
 * ETag sent to the URL it came from). One signed before the latest ever accepted is a replay,
 * refused like a bad one. On failure the held manifest stays. */
cw_status wc_manifest_load(wallet_client *c, bool *changed);
/* Marks the URL that answered last (c->cur_url) as stale or lying (st, why) for this round;
 * wc_url_reject also forgets the manifest it gave: the next wc_manifest_ensure asks the next
 * URL. A new round gives every URL another chance. */
void wc_url_mark(wallet_client *c, cw_status st, const char *why);
void wc_url_reject(wallet_client *c, cw_status st, const char *why);
void wc_urls_new_round(wallet_client *c);
/* Whether every URL was rejected; then wc_no_fresh_url sets the error line (each URL with
 * its reason) and returns the refusal: the one status they share, else CW_ERR_STALE. */
bool wc_urls_exhausted(const wallet_client *c);
cw_status wc_no_fresh_url(wallet_client *c);
/* Whether data hashes to the lowercase hex sha256 hex. */
bool wc_sha256_is(const unsigned char *data, size_t len, const char *hex);

#endif
