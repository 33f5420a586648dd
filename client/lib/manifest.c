/* libwalletclient: the client's signed manifest (docs/FORMAT.md, "Manifests"). It is
 * fetched once per client handle, from the first URL that answers, verified by the engine
 * against the pinned key and the client's own name, and then decides which version of each
 * object is accepted and what its sealed bytes must hash to. */
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "name.h"
#include "sealfmt.h"
#include "wc_internal.h"

/* The client's name: the CN of its certificate, which is what the wallet authorizes and what
 * its manifest names. */
cw_status wc_client_name(wallet_client *c)
{
	if (c->client_name[0] != '\0')
		return CW_OK;
	/* the certificate the TLS context already holds, or else from its file */
	X509 *x = c->tls != NULL ? SSL_CTX_get0_certificate(c->tls) : NULL, *own = NULL;
	if (x == NULL) {
		FILE *f = c->cfg.cert ? fopen(c->cfg.cert, "re") : NULL;
		if (f == NULL) {
			wc_err(c, "cannot read the client certificate to learn the client's name");
			return CW_ERR_USAGE;
		}
		x = own = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	char cn[CW_CLIENT_NAME_MAX + 2] = "";
	int n =
	    x ? X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn)
	      : -1;
	X509_free(own);
	if (n <= 0 || !cw_client_name_valid(cn, (size_t)n)) {
		wc_err(c, "the client certificate's CN is not a valid client name");
		return CW_ERR_USAGE;
	}
	memcpy(c->client_name, cn, (size_t)n + 1);
	return CW_OK;
}

void wc_manifest_clear(struct wc_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof *m);
}

static bool get_i64(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 9007199254740991.0 ||
	    it->valuedouble != (double)(int64_t)it->valuedouble)
		return false;
	*out = (int64_t)it->valuedouble;
	return true;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct wc_mf_entry *)a)->name, ((const struct wc_mf_entry *)b)->name);
}

static cw_status parse_entry(const cJSON *it, struct wc_mf_entry *e)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "sha256");
	int64_t v, z;
	if (!cJSON_IsObject(it) || !cJSON_IsString(n) ||
	    !cw_name_valid(n->valuestring, strlen(n->valuestring)) || !get_i64(it, "version", &v) ||
	    v < 1 || (uint64_t)v > CW_VERSION_MAX || !get_i64(it, "size", &z) ||
	    !cJSON_IsString(h) || !is_hex64(h->valuestring))
		return CW_ERR_PROTOCOL;
	if ((e->name = strdup(n->valuestring)) == NULL)
		return CW_ERR_NOMEM;
	e->version = (uint64_t)v;
	e->size = (uint64_t)z;
	memcpy(e->sha256, h->valuestring, 65);
	return CW_OK;
}

/* The content of a verified manifest: for this client, not expired, well formed. */
cw_status wc_manifest_parse(wallet_client *c, const char *doc, size_t len, struct wc_manifest *m,
                            char *why, size_t whysz)
{
	cw_status st = CW_ERR_PROTOCOL;
	cJSON *root = cJSON_ParseWithLength(doc, len);
	const cJSON *who = cJSON_GetObjectItemCaseSensitive(root, "client");
	const cJSON *objs = cJSON_GetObjectItemCaseSensitive(root, "objects");
	int64_t format = 0;
	memset(m, 0, sizeof *m);
	if (!cJSON_IsObject(root) || !get_i64(root, "format", &format) ||
	    format != CW_MANIFEST_FORMAT || !cJSON_IsString(who) ||
	    !get_i64(root, "signed", &m->signed_at) || !get_i64(root, "expires", &m->expires) ||
	    !cJSON_IsArray(objs)) {
		snprintf(why, whysz, "malformed manifest");
		goto out;
	}
	if (strcmp(who->valuestring, c->client_name) != 0) {
		snprintf(why, whysz, "manifest for another client");
		goto out;
	}
	int64_t now = (int64_t)time(NULL);
	if (now > m->expires + CW_MANIFEST_SKEW_S) {
		snprintf(why, whysz, "manifest expired %lld s ago (stale server)",
		         (long long)(now - m->expires));
		st = CW_ERR_STALE;
		goto out;
	}
	size_t n = (size_t)cJSON_GetArraySize(objs);
	if (n > 0 && (m->v = calloc(n, sizeof *m->v)) == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, objs)
	{
		if ((st = parse_entry(it, &m->v[m->n])) != CW_OK) {
			snprintf(why, whysz, "malformed manifest entry");
			goto out;
		}
		m->n++;
	}
	/* An empty list leaves m->v NULL, which qsort must not be given even for no element. */
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, cmp_entry);
	for (size_t i = 1; i < m->n; i++)
		if (strcmp(m->v[i - 1].name, m->v[i].name) == 0) {
			snprintf(why, whysz, "manifest lists %s twice", m->v[i].name);
			st = CW_ERR_PROTOCOL;
			goto out;
		}
	st = CW_OK;
out:
	if (st != CW_OK)
		wc_manifest_clear(m);
	cJSON_Delete(root);
	return st;
}

const struct wc_mf_entry *wc_manifest_find(const struct wc_manifest *m, const char *name)
{
	struct wc_mf_entry key = {.name = (char *)name};
	return m->n ? bsearch(&key, m->v, m->n, sizeof *m->v, cmp_entry) : NULL;
}

bool wc_sha256_is(const unsigned char *data, size_t len, const char *hex)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char got[65];
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return false;
	for (size_t i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", md[i]);
	return strcmp(got, hex) == 0;
}

void wc_url_mark(wallet_client *c, cw_status st, const char *why)
{
	size_t used = strlen(c->stale_why);
	if (used == 0)
		c->stale_st = st;
	else if (c->stale_st != st)
		c->stale_mixed = true;
	snprintf(c->stale_why + used, sizeof c->stale_why - used, "%s%s: %s", used ? "; " : "",
	         c->cfg.urls[c->cur_url], why);
	c->url_bad[c->cur_url] = 1;
	wc_log(c, "%s: %s; trying the next wallet URL", c->cfg.urls[c->cur_url], why);
}

void wc_url_reject(wallet_client *c, cw_status st, const char *why)
{
	wc_url_mark(c, st, why);
	wc_manifest_clear(&c->mf);
	c->mf_loaded = false;
	c->mf_etag[0] = '\0';
}

void wc_urls_new_round(wallet_client *c)
{
	memset(c->url_bad, 0, c->cfg.nurls);
	c->stale_why[0] = '\0';
	c->stale_st = CW_OK;
	c->stale_mixed = false;
	c->signer_refetched = false; /* a new request of a handle that lives long */
}

/* One manifest from the URL that answers: verified, for this client, not expired. */
static cw_status try_manifest(wallet_client *c, const struct wc_resp *r, struct wc_manifest *m,
                              char *why, size_t whysz)
{
	unsigned char *doc = NULL;
	size_t dlen = 0;
	void *ctx = NULL;
	cw_status st = c->engine->thread_ctx(c, 0, &ctx);
	if (st == CW_OK) {
		char err[sizeof c->err] = "";
		struct wc_opener o = {ctx, c, err, sizeof err, false};
		st = c->engine->open_manifest(&o, r->body, r->len, c->client_name, &doc, &dlen);
		if (st != CW_OK &&
		    wc_signer_retry(c, o.unknown_signer)) /* signed by a newer subkey? */
			st = c->engine->open_manifest(&o, r->body, r->len, c->client_name, &doc,
			                              &dlen);
		if (st != CW_OK)
			snprintf(why, whysz, "%s", err);
	}
	if (st == CW_OK)
		st = wc_manifest_parse(c, (const char *)doc, dlen, m, why, whysz);
	if (st == CW_OK && m->signed_at < c->mf_floor) {
		/* a manifest this client has seen superseded: a replay (a replica or mirror that
		 * fell behind, or one that serves an old copy on purpose) */
		snprintf(
		    why, whysz,
		    "manifest signed at %lld, before the one already accepted (signed at %lld)",
		    (long long)m->signed_at, (long long)c->mf_floor);
		wc_manifest_clear(m);
		st = CW_ERR_ROLLBACK;
	}
	free(doc);
	return st;
}

/* What one URL's answer makes of the held manifest: CW_OK when it is taken (a new one, or a
 * 304 for the one held), else the refusal with why. */
static cw_status take_answer(wallet_client *c, cw_status st, const struct wc_resp *r, time_t now,
                             bool *changed, char *why, size_t whysz)
{
	struct wc_manifest m = {0};
	if (st == CW_OK && r->status == 304) {
		/* the server's word that the held manifest is current: still within its life? */
		if ((int64_t)now > c->mf.expires + CW_MANIFEST_SKEW_S) {
			snprintf(why, whysz,
			         "manifest expired %lld s ago (stale server: not modified)",
			         (long long)(now - c->mf.expires));
			return CW_ERR_STALE;
		}
		*changed = false;
		c->mf_loaded_at = now;
		return CW_OK;
	}
	if (st != CW_OK) {
		snprintf(why, whysz, "manifest of %s: %s", c->client_name, cw_strerror(st));
		return st;
	}
	if ((st = try_manifest(c, r, &m, why, whysz)) != CW_OK)
		return st;
	wc_manifest_clear(&c->mf);
	c->mf = m;
	c->mf_loaded = true;
	c->mf_loaded_at = now;
	c->mf_floor = m.signed_at;
	c->mf_etag_url = c->cur_url;
	memcpy(c->mf_etag, r->etag, sizeof c->mf_etag);
	/* A file server's ETag may stand for the modification time in seconds and the size
	 * (nginx): a file changed again within the second it was served could keep it. As
	 * HTTP caches do with such validators (RFC 9110, 8.8.2.2), the ETag is kept only when
	 * the file was last modified before the second of the answer; else the next request
	 * asks in full. */
	if (r->last_modified != -1 && (r->date == -1 || r->last_modified >= r->date))
		c->mf_etag[0] = '\0';
	*changed = true;
	return CW_OK;
}

size_t wc_manifest_next(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max)
{
	char keep[sizeof c->err];
	if (max == 0 || c->mf_loaded || (c->client_name[0] == '\0' && c->tls == NULL))
		return 0;
	memcpy(keep, c->err, sizeof keep);
	bool ok = wc_client_name(c) == CW_OK; /* its failure is the manifest request's to tell */
	memcpy(c->err, keep, sizeof keep);
	int n =
	    ok ? snprintf(paths[0], sizeof paths[0], CW_PATH_MANIFESTS "%s", c->client_name) : -1;
	if (n <= 0 || (size_t)n >= sizeof paths[0])
		return 0;
	return 1 + wc_plan_next(c, paths + 1, max - 1);
}

cw_status wc_manifest_load(wallet_client *c, bool *changed)
{
	char path[sizeof CW_PATH_MANIFESTS + CW_CLIENT_NAME_MAX];
	cw_status st;
	time_t now = time(NULL);
	*changed = false;
	if ((st = wc_client_name(c)) != CW_OK || (st = wc_signer_ensure(c)) != CW_OK)
		return st;
	snprintf(path, sizeof path, CW_PATH_MANIFESTS "%s", c->client_name);
	for (;;) {
		struct wc_resp r = {0};
		char why[sizeof c->err];
		if (wc_urls_exhausted(c))
			return wc_no_fresh_url(c);
		if (c->mf_loaded && c->mf_etag[0] != '\0') {
			r.inm = c->mf_etag;
			r.inm_url = c->mf_etag_url;
		}
		st = wc_http_get_then(c, path, CW_MANIFEST_MAX, &r, wc_plan_next);
		if (st == CW_ERR_NETWORK || st == CW_ERR_TLS || st == CW_ERR_NOMEM ||
		    st == CW_ERR_INTERNAL || st == CW_ERR_USAGE || wc_urls_exhausted(c)) {
			wc_resp_free(&r);
			return st; /* no URL answers, or none is left */
		}
		if (st == CW_OK && r.status != 304) {
			cw_status est = wc_engine_ready_to_verify(c);
			if (est != CW_OK) {
				wc_resp_free(&r); /* the keys, not this URL's answer, failed */
				return est;
			}
		}
		st = take_answer(c, st, &r, now, changed, why, sizeof why);
		wc_resp_free(&r);
		if (st == CW_OK || st == CW_ERR_NOMEM)
			return st;
		wc_url_mark(c, st, why); /* the held manifest stays */
	}
}

cw_status wc_manifest_ensure(wallet_client *c)
{
	bool changed;
	time_t now = time(NULL);
	if (c->mf_loaded && now - c->mf_loaded_at < WC_MANIFEST_REUSE_S &&
	    (int64_t)now <= c->mf.expires + CW_MANIFEST_SKEW_S)
		return CW_OK;
	if (c->mf_loaded)
		wc_urls_new_round(c); /* every URL gets another chance */
	return wc_manifest_load(c, &changed);
}
