#include "server.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clientcache.h"
#include "https.h"
#include "httpreq.h"
#include "keyring.h"
#include "log.h"
#include "export.h"
#include "manifest.h"
#include "fsutil.h"
#include "gpgutil.h"
#include "strv.h"
#include "metrics.h"
#include "mfcache.h"
#include "name.h"
#include "objcache.h"
#include "objstore.h"
#include "sealfmt.h"

#define OBJECTS_CACHE_S 15 /* /metrics recounts objects at most this often */
/* Loaded versions kept in memory (objcache.h): RSS stays under docs/DESIGN.md's targets. */
#define CACHE_BYTES ((size_t)8 << 20)
#define CACHE_ITEM_BYTES ((size_t)256 << 10)
#define MANIFEST_CACHE_BYTES ((size_t)4 << 20) /* manifests kept whole (mfcache.h) */

struct server {
	ws_store *st;
	oc_cache *objects_cache;
	mc_cache *manifests; /* GET /manifests/CLIENT: bytes and ETags */
	cc_cache *clients;
	cw_https *https;
	metrics *m;
	audit_log *audit;
	cw_log *errlog; /* stderr */
	/* the armored public signing key as served: DATA/signing-key.asc, read again when the
	 * file changes (a rotation: docs/DESIGN.md), else what the keyring exported at start */
	pthread_mutex_t key_mu;
	unsigned char *signing_key;
	size_t signing_key_len;
	char key_path[4096];
	struct stat key_sb; /* the file read last (st_ino 0: none) */
	pthread_mutex_t count_mu;
	time_t counted_at;
	long long objects;
	bool started;
	/* manifests kept fresh when the data directory holds the signing key */
	bool refreshing; /* this directory can sign: keep its manifests fresh */
	bool refresher_up;
	bool stopping;
	bool stopped_early;              /* a signal cut the first refresh short: never listened */
	char *export_dir;                /* --export: kept an export of every client's data */
	struct timespec manifests_mtime; /* when it was last exported */
	pthread_t refresher;
	pthread_mutex_t refresh_mu;
	pthread_cond_t refresh_cv;
};

static const char NOT_FOUND[] = "not found\n";

static void reply_text(cw_https_req *req, int status, const char *text, const char *note)
{
	const char *hdr = status == 405 ? "Allow: GET\r\n" : NULL;
	if (note != NULL)
		req->note = note;
	cw_https_reply(req, status, "text/plain; charset=utf-8", hdr, text, strlen(text));
}

/* Refuses anything but GET with 405; true when the request may go on. */
static bool only_get(cw_https_req *req)
{
	if (strcmp(req->method, "GET") == 0)
		return true;
	reply_text(req, 405, "method not allowed\n", "method");
	return false;
}

/* The caller must be a registered, unrevoked client named by its certificate's CN, with a
 * certificate that is not revoked by itself (its fingerprint is the verified peer's). */
static bool authorized(server *srv, cw_https_req *req)
{
	ws_client c;
	char why[320];
	const char *cn = req->peer->cn;
	if (!req->peer->verified || !cw_client_name_valid(cn, strlen(cn))) {
		reply_text(req, 403, "forbidden\n", "bad certificate name");
		return false;
	}
	cw_status st = cc_client_get(srv->clients, cn, &c, why, sizeof why);
	if (why[0] != '\0') /* once per version of the file */
		cw_log_event(srv->errlog, "error", "unreadable client record", why);
	const char *refused = st == CW_ERR_NOTFOUND ? "unknown client"
	                      : st != CW_OK         ? "client lookup failed"
	                      : c.revoked           ? "revoked"
	                      : ws_client_cert_revoked(&c, req->peer->sha256) != NULL
	                          ? "revoked certificate"
	                          : NULL;
	if (refused != NULL) {
		reply_text(req, 403, "forbidden\n", refused);
		return false;
	}
	return true;
}

/* The response's header lines for one version (base64 signature included): built once per
 * loaded version, kept with it in the cache. malloc'd; NULL when out of memory. */
static char *object_headers(const ws_object *obj)
{
	size_t b64 = 4 * ((obj->sig_len + 2) / 3) + 1;
	size_t hlen = b64 + sizeof obj->created + sizeof obj->sha256 + 160;
	char *hdr = malloc(hlen), *sig = malloc(b64);
	if (hdr != NULL && sig != NULL) {
		EVP_EncodeBlock((unsigned char *)sig, obj->sig, (int)obj->sig_len);
		snprintf(hdr, hlen,
		         CW_HDR_VERSION ": %llu\r\n" CW_HDR_SIGNATURE ": %s\r\n" CW_HDR_CREATED
		                        ": %s\r\nETag: \"%s\"\r\n",
		         (unsigned long long)obj->version, sig, obj->created, obj->sha256);
	} else {
		free(hdr);
		hdr = NULL;
	}
	free(sig);
	return hdr;
}

/* The published version of name (0: latest) from the cache, loading it on a miss. Which
 * version is latest, and whether a named version is still published, is asked of the store
 * every time (one system call); the version's content never changes once published. */
static cw_status object_get(server *srv, const char *name, uint64_t version, oc_item **out)
{
	ws_object *obj = NULL;
	cw_status st = version == 0 ? ws_object_latest(srv->st, name, &version)
	                            : ws_version_exists(srv->st, name, version);
	*out = NULL;
	if (st != CW_OK)
		return st;
	if ((*out = oc_get(srv->objects_cache, name, version)) != NULL)
		return CW_OK;
	if ((st = ws_object_load(srv->st, name, version, &obj)) != CW_OK)
		return st;
	char *hdr = object_headers(obj);
	*out = oc_put(srv->objects_cache, obj, hdr); /* takes obj and hdr */
	return *out != NULL ? CW_OK : CW_ERR_NOMEM;
}

static void h_object(cw_https_req *req, void *arg)
{
	server *srv = arg;
	const char *raw = req->path + strlen(CW_API_OBJECTS "/");
	char name[CW_NAME_MAX + 1];
	size_t len;
	uint64_t version;
	oc_item *it = NULL;

	if (!only_get(req))
		goto out;
	/* Everything is validated before the store is touched. */
	if (!http_pct_decode(raw, strlen(raw), name, sizeof name, &len) ||
	    !cw_name_valid(name, len)) {
		reply_text(req, 400, "bad object name\n", "bad name");
		goto out;
	}
	snprintf(req->object, sizeof req->object, "%s", name);
	if (!http_query_version(req->query, &version)) {
		reply_text(req, 400, "bad query\n", "bad query");
		goto out;
	}
	if (!authorized(srv, req))
		goto out;
	cw_status st = object_get(srv, name, version, &it);
	if (st == CW_ERR_NOTFOUND) {
		reply_text(req, 404, NOT_FOUND, "missing");
		goto out;
	}
	if (st != CW_OK) {
		reply_text(req, st == CW_ERR_NAME ? 400 : 500,
		           st == CW_ERR_NAME ? "bad object name\n" : "internal error\n",
		           cw_strerror(st));
		goto out;
	}
	const ws_object *obj = oc_object(it);
	/* Not a recipient: the very same answer as a missing object. */
	if (!ws_object_has_recipient(obj, req->peer->cn)) {
		reply_text(req, 404, NOT_FOUND, "not a recipient");
		goto out;
	}
	req->version = obj->version;
	cw_https_reply(req, 200, "application/octet-stream", oc_headers(it), obj->sealed,
	               obj->sealed_len);
out:
	oc_release(srv->objects_cache, it);
}

/* GET /objects/FILE/vN/object.gpg|object.sig: the files of one version, as a static mirror
 * serves them, with the same authorization as /v1/objects/NAME. */
static bool parse_object_path(const char *raw, char *name, size_t namesz, uint64_t *version,
                              bool *sig)
{
	char file[CW_NAME_MAX + 1];
	const char *slash = strchr(raw, '/'), *vs, *part;
	if (slash == NULL || (size_t)(slash - raw) >= sizeof file || slash[1] != 'v')
		return false;
	memcpy(file, raw, (size_t)(slash - raw));
	file[slash - raw] = '\0';
	vs = slash + 2;
	if ((part = strchr(vs, '/')) == NULL || !cw_version_parse(vs, (size_t)(part - vs), version))
		return false;
	part++;
	if (strcmp(part, CW_FILE_SEALED) != 0 && strcmp(part, CW_FILE_SIG) != 0)
		return false;
	*sig = strcmp(part, CW_FILE_SIG) == 0;
	return cw_name_from_file(file, name, namesz);
}

static void h_object_file(cw_https_req *req, void *arg)
{
	server *srv = arg;
	char name[CW_NAME_MAX + 1];
	uint64_t version;
	bool sig;
	oc_item *it = NULL;

	if (!only_get(req))
		goto out;
	if ((req->query != NULL && req->query[0] != '\0') ||
	    !parse_object_path(req->path + strlen(CW_PATH_OBJECTS), name, sizeof name, &version,
	                       &sig)) {
		reply_text(req, 400, "bad object path\n", "bad name");
		goto out;
	}
	snprintf(req->object, sizeof req->object, "%s", name);
	if (!authorized(srv, req))
		goto out;
	cw_status st = object_get(srv, name, version, &it);
	if (st != CW_OK || !ws_object_has_recipient(oc_object(it), req->peer->cn)) {
		reply_text(req, st == CW_OK || st == CW_ERR_NOTFOUND ? 404 : 500,
		           st == CW_OK || st == CW_ERR_NOTFOUND ? NOT_FOUND : "internal error\n",
		           st == CW_OK ? "not a recipient" : cw_strerror(st));
		goto out;
	}
	const ws_object *obj = oc_object(it);
	req->version = obj->version;
	if (sig)
		cw_https_reply(req, 200, "application/octet-stream", NULL, obj->sig, obj->sig_len);
	else
		cw_https_reply(req, 200, "application/octet-stream", NULL, obj->sealed,
		               obj->sealed_len);
out:
	oc_release(srv->objects_cache, it);
}

/* GET /manifests/CLIENT: a client's own signed manifest, to that client only, with a strong
 * ETag (the SHA-256 of the signed bytes). Watchers poll it with If-None-Match: while the file
 * is unchanged the answer is a 304 from the cache, without reading or hashing anything. */
static void h_manifest(cw_https_req *req, void *arg)
{
	server *srv = arg;
	const char *client = req->path + strlen(CW_PATH_MANIFESTS);
	char etag[CW_ETAG_MAX + 1], hdr[CW_ETAG_MAX + 16];
	unsigned char *doc = NULL;
	size_t len;

	if (!only_get(req))
		return;
	if (!cw_client_name_valid(client, strlen(client)) ||
	    (req->query != NULL && req->query[0] != '\0')) {
		reply_text(req, 400, "bad client name\n", "bad name");
		return;
	}
	if (!authorized(srv, req))
		return;
	/* another client's manifest: the very same answer as a missing one */
	bool mine = strcmp(client, req->peer->cn) == 0;
	cw_status st = mine ? mc_get(srv->manifests, client, cw_https_header(req, "If-None-Match"),
	                             etag, &doc, &len)
	                    : CW_ERR_NOTFOUND;
	if (st == CW_OK)
		snprintf(hdr, sizeof hdr, "ETag: %s\r\n", etag);
	if (st == CW_OK && doc == NULL) {
		req->note = "not modified";
		cw_https_reply(req, 304, NULL, hdr, NULL, 0);
	} else if (st == CW_OK) {
		cw_https_reply(req, 200, "application/octet-stream", hdr, doc, len);
	} else if (st == CW_ERR_NOTFOUND) {
		reply_text(req, 404, NOT_FOUND, mine ? "missing" : "not yours");
	} else {
		reply_text(req, 500, "internal error\n", cw_strerror(st));
	}
	free(doc);
}

/* Appends e to the listing in out when client is one of its recipients: each entry as cJSON
 * prints it, so that the text is that of one array printed whole. */
static cw_status list_one(const ws_entry *e, const char *client, cw_text *out)
{
	bool mine = false;
	for (size_t i = 0; i < e->nrecipients && !mine; i++)
		mine = strcmp(e->recipients[i].client, client) == 0;
	if (!mine)
		return CW_OK;
	char *item = NULL;
	cw_status st = CW_ERR_NOMEM;
	cJSON *o = cJSON_CreateObject();
	if (o != NULL && cJSON_AddStringToObject(o, "name", e->name) != NULL &&
	    cJSON_AddNumberToObject(o, "version", (double)e->version) != NULL &&
	    cJSON_AddStringToObject(o, "created", e->created) != NULL &&
	    cJSON_AddNumberToObject(o, "size", (double)e->size) != NULL &&
	    (item = cJSON_PrintUnformatted(o)) != NULL)
		st = out->len > 1 ? cw_text_append(out, ",", 1) : CW_OK; /* "[" and an entry */
	if (st == CW_OK)
		st = cw_text_append(out, item, strlen(item));
	free(item);
	cJSON_Delete(o);
	return st;
}

static void h_list(cw_https_req *req, void *arg)
{
	server *srv = arg;
	char prefix[CW_NAME_MAX + 2];
	cw_text text = {0};
	ws_objiter *it = NULL;
	ws_entry e;

	if (!only_get(req))
		goto out;
	if (!http_query_prefix(req->query, prefix, sizeof prefix)) {
		reply_text(req, 400, "bad query\n", "bad query");
		goto out;
	}
	if (!authorized(srv, req))
		goto out;
	/* One object at a time into one text, not ws_list into a cJSON tree: ws_list's cache
	 * would keep an entry of every object for good, and the tree's many small blocks would
	 * stay with the heap after the answer (docs/BENCHMARKS.md, "Memory"). */
	cw_status st = ws_objiter_new(srv->st, &it);
	if (st == CW_OK) {
		ws_objiter_prefix(it, prefix);
		st = cw_text_append(&text, "[", 1);
	}
	while (st == CW_OK && (st = ws_objiter_next(it, &e)) == CW_OK)
		st = list_one(&e, req->peer->cn, &text);
	if (st != CW_ERR_NOTFOUND || cw_text_append(&text, "]", 1) != CW_OK) {
		reply_text(req, 500, "internal error\n", "listing failed");
		goto out;
	}
	cw_https_reply(req, 200, "application/json", NULL, text.buf, text.len);
out:
	ws_objiter_free(it);
	cw_text_free(&text);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A copy of the key to serve (*key malloc'd). One stat per request notices a new
 * signing-key.asc (replaced atomically: a new inode), which is then read once; the bytes stay
 * cached between changes. A file that cannot be read keeps the key served before. */
static cw_status signing_key_copy(server *srv, unsigned char **key, size_t *len)
{
	struct stat sb;
	unsigned char *fresh = NULL;
	size_t flen = 0;
	cw_status st = CW_OK;
	bool seen = srv->key_path[0] != '\0' && stat(srv->key_path, &sb) == 0;
	pthread_mutex_lock(&srv->key_mu);
	if (seen && !same_file(&sb, &srv->key_sb) &&
	    cw_read_file(srv->key_path, WG_KEY_MAX, &fresh, &flen) == CW_OK && flen > 0) {
		free(srv->signing_key);
		srv->signing_key = fresh;
		srv->signing_key_len = flen;
		srv->key_sb = sb;
		fresh = NULL;
	}
	*len = srv->signing_key_len;
	if ((*key = malloc(*len ? *len : 1)) == NULL)
		st = CW_ERR_NOMEM;
	else
		memcpy(*key, srv->signing_key, *len);
	pthread_mutex_unlock(&srv->key_mu);
	free(fresh);
	return st;
}

static void h_signing_key(cw_https_req *req, void *arg)
{
	server *srv = arg;
	unsigned char *key = NULL;
	size_t len = 0;
	if (!only_get(req) || !authorized(srv, req))
		return;
	if (signing_key_copy(srv, &key, &len) != CW_OK) {
		reply_text(req, 500, "internal error\n", "out of memory");
		return;
	}
	cw_https_reply(req, 200, "application/pgp-keys", NULL, key, len);
	free(key);
}

static void h_healthz(cw_https_req *req, void *arg)
{
	(void)arg;
	if (only_get(req))
		reply_text(req, 200, "ok\n", NULL);
}

static long long object_count(server *srv)
{
	pthread_mutex_lock(&srv->count_mu);
	time_t now = time(NULL);
	if (srv->counted_at == 0 || now - srv->counted_at >= OBJECTS_CACHE_S) {
		size_t n = 0; /* not ws_list: its cache would keep an entry of every object */
		srv->objects = ws_object_count(srv->st, &n) == CW_OK ? (long long)n : -1;
		srv->counted_at = now;
	}
	long long n = srv->objects;
	pthread_mutex_unlock(&srv->count_mu);
	return n;
}

static void h_metrics(cw_https_req *req, void *arg)
{
	server *srv = arg;
	if (!only_get(req))
		return;
	cw_tls_counts tls;
	cw_https_tls_counts(srv->https, &tls);
	char *text = metrics_render(srv->m, &tls, object_count(srv));
	if (text == NULL) {
		reply_text(req, 500, "internal error\n", "out of memory");
		return;
	}
	cw_https_reply(req, 200, "text/plain; version=0.0.4", NULL, text, strlen(text));
	free(text);
}

static void observe(const cw_https_req *req, uint64_t duration_us, void *arg)
{
	server *srv = arg;
	int tls = req->listener == CW_HTTPS_TLS;
	metrics_observe(srv->m, tls, req->status, duration_us);
	if (tls) /* probes of the health listener are counted, not audited */
		audit_request(srv->audit, req, req->note, duration_us);
}

static cw_status add_routes(server *srv)
{
	const unsigned both = CW_HTTPS_TLS | CW_HTTPS_PLAIN;
	cw_status rc;
	if ((rc = cw_https_route(srv->https, CW_API_OBJECTS, false, CW_HTTPS_TLS, h_list, srv)) ||
	    (rc = cw_https_route(srv->https, CW_API_OBJECTS "/", true, CW_HTTPS_TLS, h_object,
	                         srv)) ||
	    (rc = cw_https_route(srv->https, CW_API_SIGNING_KEY, false, CW_HTTPS_TLS, h_signing_key,
	                         srv)) ||
	    (rc = cw_https_route(srv->https, CW_PATH_SIGNING_KEY, false, CW_HTTPS_TLS,
	                         h_signing_key, srv)) ||
	    (rc = cw_https_route(srv->https, CW_PATH_MANIFESTS, true, CW_HTTPS_TLS, h_manifest,
	                         srv)) ||
	    (rc = cw_https_route(srv->https, CW_PATH_OBJECTS, true, CW_HTTPS_TLS, h_object_file,
	                         srv)) ||
	    (rc = cw_https_route(srv->https, CW_API_HEALTHZ, false, both, h_healthz, srv)) ||
	    (rc = cw_https_route(srv->https, CW_API_METRICS, false, both, h_metrics, srv)))
		return rc;
	cw_https_set_observer(srv->https, observe, srv);
	return CW_OK;
}

/* The public signing key: DATA/signing-key.asc, which an export carries (it has no keyring),
 * else exported from the keyring (a data directory older than manifests). Read at start, and
 * again by signing_key_copy when the file changes. */
static cw_status load_signing_key(server *srv)
{
	cw_status rc = cw_path(srv->key_path, sizeof srv->key_path, "%s/" CW_FILE_SIGNING_KEY,
	                       ws_store_dir(srv->st));
	if (rc == CW_OK && stat(srv->key_path, &srv->key_sb) != 0)
		srv->key_sb.st_ino = 0;
	if (rc == CW_OK)
		rc = cw_read_file(srv->key_path, WG_KEY_MAX, &srv->signing_key,
		                  &srv->signing_key_len);
	if (rc == CW_ERR_NOTFOUND)
		rc = wg_export_public(ws_store_gnupg(srv->st), ws_store_signing_fpr(srv->st), 1,
		                      &srv->signing_key, &srv->signing_key_len);
	return rc;
}

/* Whether server_stop has begun: the refresher's question between two clients. */
static bool stop_asked(void *arg)
{
	server *srv = arg;
	pthread_mutex_lock(&srv->refresh_mu);
	bool yes = srv->stopping;
	pthread_mutex_unlock(&srv->refresh_mu);
	return yes;
}

/* Whether SIGTERM or SIGINT waits for serve's sigwait (they are blocked in every thread of
 * the process): the first refresh's question, asked before anyone can call server_stop. */
static bool signal_pending(void *arg)
{
	(void)arg;
	sigset_t set;
	return sigpending(&set) == 0 &&
	       (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

/* Re-signs every manifest, unless stop says to stop between two clients (*stopped then). The
 * refresher does it whenever a third of their lifetime has passed (the lifetime is read again
 * each time: `wallet refresh --ttl` changes it while we run). */
static cw_status refresh_all(server *srv, bool (*stop)(void *), bool *stopped)
{
	char err[512];
	int agent = wg_agent_enter(ws_store_gnupg(srv->st));
	cw_status st = ws_manifests_refresh(srv->st, stop, srv, stopped, err, sizeof err);
	wg_agent_leave(ws_store_gnupg(srv->st), agent);
	if (st != CW_OK)
		cw_log_event(srv->errlog, "error", "manifest refresh failed", err);
	return st;
}

/* Every command that changes what a client reads re-signs manifests, which renames files
 * into DATA/manifests/: its modification time tells whether the export is behind. */
static bool manifests_changed(server *srv)
{
	char path[4096];
	struct stat sb;
	if (cw_path(path, sizeof path, "%s/manifests", ws_store_dir(srv->st)) != CW_OK ||
	    stat(path, &sb) != 0)
		return true;
	bool changed = sb.st_mtim.tv_sec != srv->manifests_mtime.tv_sec ||
	               sb.st_mtim.tv_nsec != srv->manifests_mtime.tv_nsec;
	srv->manifests_mtime = sb.st_mtim;
	return changed;
}

static cw_status export_now(server *srv)
{
	char err[512];
	size_t nv;
	if (srv->export_dir == NULL || !manifests_changed(srv))
		return CW_OK;
	cw_status st = ws_export(srv->st, srv->export_dir, NULL, 0, &nv, err, sizeof err);
	if (st != CW_OK) {
		srv->manifests_mtime.tv_sec = 0; /* try again at the next tick */
		cw_log_event(srv->errlog, "error", "export failed", err);
	}
	return st;
}

static void *refresher_main(void *arg)
{
	server *srv = arg;
	time_t last = time(NULL); /* server_start refreshed them */
	pthread_mutex_lock(&srv->refresh_mu);
	while (!srv->stopping) {
		int64_t ttl = WS_TTL_DEFAULT;
		time_t now = time(NULL);
		ws_manifest_ttl(srv->st, &ttl);
		pthread_mutex_unlock(&srv->refresh_mu);
		if (now - last >= (ttl / 3 > 1 ? ttl / 3 : 1)) {
			bool stopped = false;
			refresh_all(srv, stop_asked, &stopped);
			last = now; /* after a failure too: the next try comes a period later */
			if (stopped) {
				pthread_mutex_lock(&srv->refresh_mu);
				break;
			}
		}
		export_now(srv);
		pthread_mutex_lock(&srv->refresh_mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&srv->refresh_cv, &srv->refresh_mu, &until);
	}
	pthread_mutex_unlock(&srv->refresh_mu);
	return NULL;
}

/* Whether this data directory can sign and is ours to write: its keyring holds the signing
 * key's secret part (a replica's copy does not; a read-only mount of the writer's directory
 * is not writable). */
static bool can_sign(server *srv)
{
	char **fprs = NULL;
	size_t n = 0;
	bool yes = false;
	char path[4096];
	if (cw_path(path, sizeof path, "%s/gnupg", ws_store_dir(srv->st)) != CW_OK ||
	    access(path, F_OK) != 0 || access(ws_store_dir(srv->st), W_OK) != 0)
		return false;
	if (wg_list_secret(ws_store_gnupg(srv->st), &fprs, &n) == CW_OK)
		for (size_t i = 0; i < n && !yes; i++)
			yes = cw_fpr_equal(fprs[i], ws_store_signing_fpr(srv->st));
	cw_strv_free(fprs, n);
	return yes;
}

/* The first refresh runs before the listeners start, so that what is served from the first
 * request on is fresh and no signing runs beside the first requests; the thread that keeps
 * them fresh starts once the server is up. */
static cw_status refresh_first(server *srv, const char *export_dir, char *err, size_t errsz)
{
	cw_status st;
	if (!can_sign(srv)) {
		if (export_dir == NULL)
			return CW_OK; /* a replica: the writer keeps the manifests fresh */
		snprintf(err, errsz,
		         "--export needs the writer's data directory (with the signing key)");
		return CW_ERR_USAGE;
	}
	if (refresh_all(srv, signal_pending, &srv->stopped_early) != CW_OK) {
		snprintf(err, errsz, "cannot sign the manifests (see the log line before)");
		return CW_ERR_CRYPTO;
	}
	if (srv->stopped_early)
		return CW_OK;
	srv->refreshing = true;
	if (export_dir == NULL)
		return CW_OK;
	if ((st = ws_export_prepare(srv->st, export_dir, err, errsz)) != CW_OK)
		return st;
	if ((srv->export_dir = strdup(export_dir)) == NULL)
		return CW_ERR_NOMEM;
	if (export_now(srv) != CW_OK) {
		snprintf(err, errsz, "cannot export to %s (see the log line before)", export_dir);
		return CW_ERR_IO;
	}
	return CW_OK;
}

static cw_status start_refresher(server *srv)
{
	if (!srv->refreshing)
		return CW_OK;
	if (pthread_create(&srv->refresher, NULL, refresher_main, srv) != 0)
		return CW_ERR_NOMEM;
	srv->refresher_up = true;
	cw_log_event(srv->errlog, "info", "keeping manifests fresh", NULL);
	return CW_OK;
}

/* One line per unreadable TLS file, before civetweb gets to say something vaguer. */
static cw_status check_readable(const char *what, const char *file, char *err, size_t errsz)
{
	if (access(file, R_OK) == 0)
		return CW_OK;
	snprintf(err, errsz, "cannot read %s %s: %s", what, file, strerror(errno));
	return CW_ERR_IO;
}

/* /metrics follows the material new handshakes get. */
static void tls_expiry_to_metrics(server *srv, cw_tls_info *info)
{
	cw_https_tls_info(srv->https, info);
	metrics_set_cert_expiry(srv->m, info->server.not_after, info->ca_not_after);
}

void server_reload_tls(server *srv)
{
	char err[512], msg[600], na[WS_TIME_UTC_LEN], ca[WS_TIME_UTC_LEN];
	cw_tls_info info;
	if (!srv->started) /* stopped before listening: a SIGHUP came with the SIGTERM */
		return;
	if (cw_https_reload_tls(srv->https, err, sizeof err) != CW_OK) {
		cw_log_event(srv->errlog, "error",
		             "TLS reload refused, the current files stay in use", err);
		return;
	}
	tls_expiry_to_metrics(srv, &info);
	ws_time_utc((time_t)info.server.not_after, na);
	ws_time_utc((time_t)info.ca_not_after, ca);
	snprintf(msg, sizeof msg,
	         "certificate serial %s, notAfter %sZ, subject %s; CA notAfter %sZ",
	         info.server.serial, na, info.server.subject, ca);
	cw_log_event(srv->errlog, "info", "TLS reloaded", msg);
}

cw_status server_start(const struct serve_config *cfg, server **out, char *err, size_t errsz)
{
	cw_status rc = CW_ERR_NOMEM;
	server *srv = calloc(1, sizeof *srv);
	*out = NULL;
	if (srv == NULL)
		goto fail;
	pthread_mutex_init(&srv->count_mu, NULL);
	pthread_mutex_init(&srv->key_mu, NULL);
	pthread_mutex_init(&srv->refresh_mu, NULL);
	pthread_cond_init(&srv->refresh_cv, NULL);
	if ((rc = check_readable("TLS certificate", cfg->tls_cert, err, errsz)) != CW_OK ||
	    (rc = check_readable("TLS key", cfg->tls_key, err, errsz)) != CW_OK ||
	    (rc = check_readable("TLS CA", cfg->tls_ca, err, errsz)) != CW_OK)
		goto fail;
	rc = ws_store_open(cfg->data, &srv->st);
	if (rc != CW_OK) {
		snprintf(err, errsz, "cannot open data directory %s: %s", cfg->data,
		         cw_strerror(rc));
		goto fail;
	}
	rc = CW_ERR_NOMEM;
	if ((srv->objects_cache = oc_new(CACHE_BYTES, CACHE_ITEM_BYTES)) == NULL ||
	    (srv->clients = cc_new(srv->st)) == NULL ||
	    (srv->manifests = mc_new(srv->st, MANIFEST_CACHE_BYTES)) == NULL)
		goto fail;
	rc = load_signing_key(srv);
	if (rc != CW_OK) {
		snprintf(err, errsz, "cannot export the wallet's signing key: %s", cw_strerror(rc));
		goto fail;
	}
	if ((rc = cw_log_open(NULL, &srv->errlog)) != CW_OK)
		goto fail;
	rc = audit_open(cfg->audit_log, &srv->audit);
	if (rc != CW_OK) {
		snprintf(err, errsz, "cannot open audit log %s: %s", cfg->audit_log,
		         strerror(errno));
		goto fail;
	}
	rc = CW_ERR_NOMEM;
	if ((srv->m = metrics_new()) == NULL)
		goto fail;
	cw_https_opts o = {.listen = cfg->listen,
	                   .cert_file = cfg->tls_cert,
	                   .key_file = cfg->tls_key,
	                   .ca_file = cfg->tls_ca,
	                   .verify_depth = cfg->verify_depth,
	                   .session_lifetime_s = cfg->tls_session_lifetime,
	                   .session_cache = cfg->tls_session_cache,
	                   .num_threads = cfg->threads,
	                   .request_timeout_ms = cfg->request_timeout_ms,
	                   .keep_alive_timeout_ms = cfg->keep_alive_timeout_ms,
	                   .max_header_bytes = cfg->max_header_bytes,
	                   .plain_listen = cfg->health_listen,
	                   .log = srv->errlog};
	if ((rc = refresh_first(srv, cfg->export_dir, err, errsz)) != CW_OK)
		goto fail;
	if (srv->stopped_early) { /* the caller's sigwait takes the signal and stops us */
		*out = srv;
		return CW_OK;
	}
	if ((rc = cw_https_new(&o, &srv->https)) != CW_OK || (rc = add_routes(srv)) != CW_OK)
		goto fail;
	if ((rc = cw_https_start(srv->https, err, errsz)) != CW_OK)
		goto fail;
	char msg[300];
	int n = snprintf(msg, sizeof msg, "mutual TLS on port %d",
	                 cw_https_port(srv->https, CW_HTTPS_TLS));
	if (cfg->health_listen != NULL && n > 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ", health on port %d",
		         cw_https_port(srv->https, CW_HTTPS_PLAIN));
	cw_log_event(srv->errlog, "info", "listening", msg);
	cw_tls_info info;
	tls_expiry_to_metrics(srv, &info);
	srv->started = true;
	if ((rc = start_refresher(srv)) != CW_OK) {
		snprintf(err, errsz, "cannot start the thread that keeps the manifests fresh");
		goto fail;
	}
	*out = srv;
	return CW_OK;
fail:
	server_stop(srv);
	return rc;
}

void server_stop(server *srv)
{
	if (srv == NULL)
		return;
	if (srv->refresher_up) {
		pthread_mutex_lock(&srv->refresh_mu);
		srv->stopping = true;
		pthread_cond_signal(&srv->refresh_cv);
		pthread_mutex_unlock(&srv->refresh_mu);
		pthread_join(srv->refresher, NULL);
	}
	cw_https_free(srv->https); /* returns once in-flight requests are done */
	if (srv->started || srv->stopped_early)
		cw_log_event(srv->errlog, "info", "stopped",
		             srv->started ? NULL
		                          : "during the first manifest refresh, before listening");
	oc_free(srv->objects_cache);
	cc_free(srv->clients);
	mc_free(srv->manifests);
	ws_store_close(srv->st);
	metrics_free(srv->m);
	audit_close(srv->audit);
	cw_log_close(srv->errlog);
	free(srv->signing_key);
	free(srv->export_dir);
	pthread_mutex_destroy(&srv->count_mu);
	pthread_mutex_destroy(&srv->key_mu);
	pthread_mutex_destroy(&srv->refresh_mu);
	pthread_cond_destroy(&srv->refresh_cv);
	free(srv);
}
