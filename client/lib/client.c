/* libwalletclient: client handles, fetch, list and group fetch. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "name.h"
#include "sealfmt.h"
#include "wc_internal.h"

static char *dup_or_null(const char *s, bool *fail)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

static cw_status copy_config(struct wallet_config *dst, const struct wallet_config *src)
{
	bool fail = false;
	*dst = *src;
	dst->urls = calloc(src->nurls ? src->nurls : 1, sizeof *dst->urls);
	if (dst->urls == NULL)
		fail = true;
	for (size_t i = 0; i < src->nurls && !fail; i++)
		dst->urls[i] = dup_or_null(src->urls[i], &fail);
	dst->ca = dup_or_null(src->ca, &fail);
	dst->cert = dup_or_null(src->cert, &fail);
	dst->key = dup_or_null(src->key, &fail);
	dst->key_pass_file = dup_or_null(src->key_pass_file, &fail);
	dst->gpg_key_file = dup_or_null(src->gpg_key_file, &fail);
	dst->gnupghome = dup_or_null(src->gnupghome, &fail);
	dst->signer = dup_or_null(src->signer, &fail);
	dst->signer_key_file = dup_or_null(src->signer_key_file, &fail);
	return fail ? CW_ERR_NOMEM : CW_OK;
}

/* The first line of the passphrase file, into secure memory. */
static cw_status read_passphrase(wallet_client *c)
{
	cw_sbuf b = {0};
	cw_status st;
	int fd = open(c->cfg.key_pass_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wc_err(c, "%s: %s", c->cfg.key_pass_file, strerror(errno));
		return CW_ERR_IO;
	}
	st = cw_sbuf_read_fd(&b, fd, 4096);
	close(fd);
	if (st != CW_OK) {
		wc_err(c, "%s: %s", c->cfg.key_pass_file, cw_strerror(st));
		goto out;
	}
	size_t n = 0;
	while (n < b.len && b.data[n] != '\n' && b.data[n] != '\r' && b.data[n] != '\0')
		n++;
	c->keypass = cw_secure_alloc(n + 1);
	if (c->keypass == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	memcpy(c->keypass, b.data, n);
out:
	cw_sbuf_free(&b);
	return st;
}

WALLET_API wallet_status wallet_client_new(const wallet_config *cfg, wallet_client **out)
{
	cw_status st = CW_ERR_USAGE;
	wallet_client *c = NULL;
	if (out == NULL)
		return WALLET_ERR_USAGE;
	*out = NULL;
	if (cfg == NULL || cfg->nurls == 0 || cfg->ca == NULL || cfg->cert == NULL ||
	    cfg->key == NULL || cfg->signer == NULL)
		return WALLET_ERR_USAGE;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return WALLET_ERR_NOMEM;
	st = copy_config(&c->cfg, cfg);
	if (st != CW_OK)
		goto out;
	if ((c->url_bad = calloc(c->cfg.nurls, 1)) == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	if (c->cfg.key_pass_file != NULL && (st = read_passphrase(c)) != CW_OK)
		goto out;
	st = wc_engine_setup(c);
out:
	if (st != CW_OK) {
		wallet_client_free(c);
		return wc_status_public(st);
	}
	*out = c;
	return WALLET_OK;
}

WALLET_API void wallet_client_free(wallet_client *c)
{
	if (c == NULL)
		return;
	wc_http_teardown(c);
	wc_engine_teardown(c);
	wc_manifest_clear(&c->mf);
	free(c->url_bad);
	cw_secure_free(c->keypass);
	wc_config_clear(&c->cfg);
	cw_wipe(c, sizeof *c);
	free(c);
}

WALLET_API const char *wallet_client_error(const wallet_client *c)
{
	return c ? c->err : "";
}

void wc_raw_free(struct wc_raw *raw)
{
	wc_resp_free(&raw->r);
	free(raw->sig);
	memset(raw, 0, sizeof *raw);
}

wallet_secret *wc_secret_new(const char *name)
{
	wallet_secret *s = calloc(1, sizeof *s);
	if (s != NULL && (s->name = strdup(name)) == NULL) {
		free(s);
		s = NULL;
	}
	return s;
}

/* GET /objects/FILE/vN/PART into r (at most limit bytes). */
static cw_status get_part(wallet_client *c, const char *name, uint64_t v, const char *part,
                          size_t limit, struct wc_resp *r)
{
	char file[CW_NAME_MAX + 1], path[sizeof CW_PATH_OBJECTS + CW_NAME_MAX + 48];
	if (!cw_name_to_file(name, file, sizeof file))
		return CW_ERR_NAME;
	/* names use only [A-Za-z0-9._-@]: no escaping needed in the URL */
	snprintf(path, sizeof path, CW_PATH_OBJECTS "%s/v%llu/%s", file, (unsigned long long)v,
	         part);
	return wc_http_get(c, path, limit, r);
}

size_t wc_plan_next(wallet_client *c, char (*paths)[WC_PIPE_PATH_MAX], size_t max)
{
	size_t k = 0;
	for (size_t i = 0; !c->mf_loaded && i < c->nplan && k < max; i++) {
		const char *name = c->plan[i];
		if (name == NULL || !cw_name_valid(name, strlen(name)))
			continue; /* its fetch says why */
		/* names use only [A-Za-z0-9._-@/]: no escaping needed in the URL */
		int n = snprintf(paths[k], sizeof paths[k], CW_API_OBJECTS "/%s", name);
		if (n > 0 && (size_t)n < sizeof paths[k])
			k++;
	}
	return k;
}

/* The latest version of name as it came with the manifest's request (wc_plan_next), if it
 * is the one the verified manifest lists (e): its size and sha256, the same check as for
 * what get_part brings. False, r empty, otherwise (none came, or a store landed between the
 * two answers): the caller asks for version e->version itself. */
static bool take_planned(wallet_client *c, const char *name, const struct wc_mf_entry *e,
                         struct wc_resp *r)
{
	char path[sizeof CW_API_OBJECTS + CW_NAME_MAX + 1];
	snprintf(path, sizeof path, CW_API_OBJECTS "/%s", name);
	/* any size: one that differs is read whole, which keeps the connection */
	cw_status st = wc_http_take(c, path, WC_MAX_OBJECT, r);
	if (st == CW_OK && r->len == e->size && wc_sha256_is(r->body, r->len, e->sha256))
		return true;
	if (r->status != 0)
		wc_log(c,
		       "%s: the answer sent ahead is not v%llu of the manifest (%s); asking for it",
		       name, (unsigned long long)e->version,
		       st == CW_OK ? "another version" : cw_strerror(st));
	wc_resp_free(r);
	return false;
}

/* A version the manifest does not list (an explicit older one): its detached signature too,
 * checked before anything reaches the decryptor. */
static cw_status fetch_unlisted(wallet_client *c, const char *name, uint64_t v, struct wc_raw *raw)
{
	struct wc_resp sr = {0};
	cw_status st = get_part(c, name, v, CW_FILE_SEALED, WC_MAX_OBJECT, &raw->r);
	if (st == CW_OK && (st = get_part(c, name, v, CW_FILE_SIG, WC_MAX_SIGHDR, &sr)) == CW_OK) {
		raw->sig = sr.body;
		raw->sig_len = sr.len;
		sr.body = NULL;
	}
	wc_resp_free(&sr);
	return st;
}

cw_status wc_fetch_raw(wallet_client *c, const char *name, uint64_t want, struct wc_raw *raw)
{
	char why[CW_NAME_MAX + 128];
	memset(raw, 0, sizeof *raw);
	if (!cw_name_valid(name, strlen(name))) {
		wc_err(c, "invalid object name");
		return CW_ERR_NAME;
	}
	for (;;) {
		cw_status st = wc_manifest_ensure(c);
		if (st != CW_OK)
			return st;
		const struct wc_mf_entry *e = wc_manifest_find(&c->mf, name);
		if (e == NULL && want == 0) {
			wc_err(c, "not found (not in this client's manifest)");
			return CW_ERR_NOTFOUND;
		}
		if (e == NULL || (want != 0 && want != e->version)) {
			raw->hv = want;
			if ((st = fetch_unlisted(c, name, want, raw)) != CW_OK)
				wc_raw_free(raw);
			return st;
		}
		if (e->size > WC_MAX_OBJECT) {
			wc_err(c, "listed at %llu bytes, over the client's bound of %zu",
			       (unsigned long long)e->size, WC_MAX_OBJECT);
			return CW_ERR_TOOBIG;
		}
		raw->hv = e->version;
		raw->prechecked = true;
		if (want == 0 && take_planned(c, name, e, &raw->r))
			return CW_OK;
		st = get_part(c, name, e->version, CW_FILE_SEALED, (size_t)e->size, &raw->r);
		if (st == CW_OK && raw->r.len == e->size &&
		    wc_sha256_is(raw->r.body, raw->r.len, e->sha256))
			return CW_OK;
		long code = raw->r.status;
		wc_raw_free(raw);
		if (st == CW_ERR_NETWORK || st == CW_ERR_TLS || st == CW_ERR_NOMEM ||
		    st == CW_ERR_INTERNAL || st == CW_ERR_USAGE)
			return st; /* no URL answers, or nothing to do with the URL */
		if (st == CW_OK || st == CW_ERR_TOOBIG)
			snprintf(why, sizeof why,
			         "served %s v%llu does not match the manifest (size or sha256)",
			         name, (unsigned long long)e->version);
		else if (st == CW_ERR_NOTFOUND)
			snprintf(why, sizeof why, "withholds %s v%llu, which the manifest lists",
			         name, (unsigned long long)e->version);
		else /* a refusal or an error for what the manifest lists: another URL may serve it
		      */
			snprintf(why, sizeof why,
			         "answers HTTP %ld for %s v%llu, which the manifest lists", code,
			         name, (unsigned long long)e->version);
		/* a stale or lying URL: the next one, with its own manifest */
		wc_url_reject(c, CW_ERR_STALE, why);
	}
}

static cw_status fetch(wallet_client *c, const char *name, uint64_t want, uint64_t min,
                       wallet_secret **out)
{
	cw_status st;
	struct wc_raw raw = {0};
	wallet_secret *s = NULL;
	if (out == NULL)
		return CW_ERR_USAGE;
	*out = NULL;
	if (c == NULL || name == NULL)
		return CW_ERR_USAGE;
	c->err[0] = '\0';
	c->signer_refetched = false;
	if (!cw_name_valid(name, strlen(name))) {
		wc_err(c, "invalid object name");
		return CW_ERR_NAME;
	}
	/* the latest version goes with the manifest's request (wc_plan_next) */
	c->plan = &name;
	c->nplan = want == 0 ? 1 : 0;
	st = wc_signer_ensure(c);
	if (st == CW_OK)
		st = wc_fetch_raw(c, name, want, &raw);
	c->plan = NULL;
	c->nplan = 0;
	if (st != CW_OK)
		goto out;
	if ((s = wc_secret_new(name)) == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	struct wc_opener o = {NULL, c, c->err, sizeof c->err, false};
	if ((st = wc_engine_ready(c)) != CW_OK ||
	    (st = c->engine->thread_ctx(c, 0, &o.ctx)) != CW_OK)
		goto out;
	const struct wc_sealed in = {name,      raw.hv,  want,        min,           raw.r.body,
	                             raw.r.len, raw.sig, raw.sig_len, raw.prechecked};
	st = wc_open_sealed(&o, &in, &s->plain, &s->version);
	if (st != CW_OK && wc_signer_retry(c, o.unknown_signer)) /* signed by a newer subkey? */
		st = wc_open_sealed(&o, &in, &s->plain, &s->version);
	if (st != CW_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	wallet_secret_free(s);
	wc_raw_free(&raw);
	return st;
}

WALLET_API wallet_status wallet_fetch(wallet_client *c, const char *name, uint64_t min_version,
                                      wallet_secret **out)
{
	return wc_status_public(fetch(c, name, 0, min_version, out));
}

WALLET_API wallet_status wallet_fetch_version(wallet_client *c, const char *name, uint64_t version,
                                              wallet_secret **out)
{
	if (version == 0 || version > CW_VERSION_MAX) {
		if (out)
			*out = NULL;
		return WALLET_ERR_USAGE;
	}
	return wc_status_public(fetch(c, name, version, 0, out));
}

WALLET_API const unsigned char *wallet_secret_data(const wallet_secret *s)
{
	return s ? s->plain.data : NULL;
}

WALLET_API size_t wallet_secret_size(const wallet_secret *s)
{
	return s ? s->plain.len : 0;
}

WALLET_API uint64_t wallet_secret_version(const wallet_secret *s)
{
	return s ? s->version : 0;
}

WALLET_API const char *wallet_secret_name(const wallet_secret *s)
{
	return s ? s->name : NULL;
}

WALLET_API void wallet_secret_free(wallet_secret *s)
{
	if (s == NULL)
		return;
	cw_sbuf_free(&s->plain);
	free(s->name);
	free(s);
}

/* ---- listing ---- */

WALLET_API void wallet_list_free(wallet_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].created);
	}
	free(l->v);
	free(l);
}

static bool json_u64(const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
	    it->valuedouble > (double)CW_VERSION_MAX ||
	    it->valuedouble != (double)(uint64_t)it->valuedouble)
		return false;
	*out = (uint64_t)it->valuedouble;
	return true;
}

static cw_status parse_list(wallet_client *c, const char *json, const char *prefix, wallet_list *l)
{
	cw_status st = CW_ERR_PROTOCOL;
	cJSON *root = cJSON_Parse(json);
	size_t plen = prefix ? strlen(prefix) : 0;
	if (!cJSON_IsArray(root)) {
		wc_err(c, "the object list is not a JSON array");
		goto out;
	}
	int n = cJSON_GetArraySize(root);
	l->v = calloc(n > 0 ? (size_t)n : 1, sizeof *l->v);
	if (l->v == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *cr = cJSON_GetObjectItemCaseSensitive(it, "created");
		struct wallet_list_entry e = {0};
		if (!cJSON_IsString(nm) ||
		    !cw_name_valid(nm->valuestring, strlen(nm->valuestring)) ||
		    !json_u64(it, "version", &e.version) || !json_u64(it, "size", &e.size)) {
			wc_err(c, "malformed entry in the object list");
			goto out;
		}
		/* the server narrows by prefix too; a server that does not is not trusted to */
		if (plen > 0 && strncmp(nm->valuestring, prefix, plen) != 0)
			continue;
		struct wallet_list_entry *d = &l->v[l->n];
		d->version = e.version;
		d->size = e.size;
		d->name = strdup(nm->valuestring);
		d->created = strdup(cJSON_IsString(cr) ? cr->valuestring : "");
		l->n++;
		if (d->name == NULL || d->created == NULL) {
			st = CW_ERR_NOMEM;
			goto out;
		}
	}
	st = CW_OK;
out:
	cJSON_Delete(root);
	return st;
}

WALLET_API wallet_status wallet_list_objects(wallet_client *c, const char *prefix,
                                             wallet_list **out)
{
	cw_status st;
	struct wc_resp r = {0};
	wallet_list *l = NULL;
	char path[64 + 3 * CW_NAME_MAX];
	if (out == NULL)
		return WALLET_ERR_USAGE;
	*out = NULL;
	if (c == NULL)
		return WALLET_ERR_USAGE;
	c->err[0] = '\0';
	if (prefix != NULL && prefix[0] == '\0')
		prefix = NULL;
	if (prefix != NULL && !cw_group_valid(prefix, strlen(prefix)) &&
	    !cw_name_valid(prefix, strlen(prefix))) {
		wc_err(c, "invalid prefix");
		return WALLET_ERR_NAME;
	}
	snprintf(path, sizeof path, "%s", CW_API_OBJECTS);
	if (prefix != NULL) {
		/* the grammar leaves only '/' to escape in a query value */
		size_t n = strlen(path);
		n += (size_t)snprintf(path + n, sizeof path - n, "?prefix=");
		for (const char *p = prefix; *p && n + 4 < sizeof path; p++)
			n += (size_t)snprintf(path + n, sizeof path - n, *p == '/' ? "%%2F" : "%c",
			                      *p);
	}
	if ((st = wc_http_get(c, path, WC_MAX_LIST, &r)) != CW_OK)
		goto out;
	if (r.body == NULL) {
		st = CW_ERR_PROTOCOL;
		wc_err(c, "empty object list");
		goto out;
	}
	l = calloc(1, sizeof *l);
	if (l == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	if ((st = parse_list(c, (const char *)r.body, prefix, l)) != CW_OK)
		goto out;
	*out = l;
	l = NULL;
out:
	wallet_list_free(l);
	wc_resp_free(&r);
	return wc_status_public(st);
}

WALLET_API size_t wallet_list_count(const wallet_list *l)
{
	return l ? l->n : 0;
}

WALLET_API const char *wallet_list_name(const wallet_list *l, size_t i)
{
	return l && i < l->n ? l->v[i].name : NULL;
}

WALLET_API uint64_t wallet_list_version(const wallet_list *l, size_t i)
{
	return l && i < l->n ? l->v[i].version : 0;
}

WALLET_API const char *wallet_list_created(const wallet_list *l, size_t i)
{
	return l && i < l->n ? l->v[i].created : NULL;
}

WALLET_API uint64_t wallet_list_size(const wallet_list *l, size_t i)
{
	return l && i < l->n ? l->v[i].size : 0;
}

WALLET_API void wallet_secrets_free(wallet_secret **v, size_t count)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		wallet_secret_free(v[i]);
	free(v);
}

/* The members of group prefix: exactly the manifest's entries under it, their total size
 * bounded before anything is downloaded. */
static cw_status group_members(wallet_client *c, const char *prefix, wallet_request **out,
                               size_t *n)
{
	size_t plen = strlen(prefix), k = 0;
	uint64_t total = 0;
	cw_status st = wc_manifest_ensure(c);
	*out = NULL;
	*n = 0;
	if (st != CW_OK)
		return st;
	for (size_t i = 0; i < c->mf.n; i++)
		if (strncmp(c->mf.v[i].name, prefix, plen) == 0) {
			k++;
			total += c->mf.v[i].size;
		}
	if (k == 0) {
		wc_err(c, "no object in group %s (none in this client's manifest)", prefix);
		return CW_ERR_NOTFOUND;
	}
	if (total > WC_MAX_GROUP) {
		wc_err(c, "group %s is listed at %llu bytes, over the client's bound of %zu",
		       prefix, (unsigned long long)total, WC_MAX_GROUP);
		return CW_ERR_TOOBIG;
	}
	if ((*out = calloc(k, sizeof **out)) == NULL)
		return CW_ERR_NOMEM;
	for (size_t i = 0; i < c->mf.n; i++)
		if (strncmp(c->mf.v[i].name, prefix, plen) == 0) {
			(*out)[*n].name = c->mf.v[i].name;
			(*out)[*n].min_version = c->mf.v[i].version;
			(*n)++;
		}
	return CW_OK;
}

WALLET_API wallet_status wallet_fetch_group(wallet_client *c, const char *prefix,
                                            wallet_secret ***out, size_t *count)
{
	cw_status st;
	wallet_request *reqs = NULL;
	wallet_secret **v = NULL;
	size_t n = 0, nreq = 0;
	char **names = NULL;
	if (out == NULL || count == NULL)
		return WALLET_ERR_USAGE;
	*out = NULL;
	*count = 0;
	if (c == NULL || prefix == NULL)
		return WALLET_ERR_USAGE;
	if (!cw_group_valid(prefix, strlen(prefix))) {
		wc_err(c, "invalid group (a name followed by '/')");
		return WALLET_ERR_NAME;
	}
	if ((st = group_members(c, prefix, &reqs, &nreq)) != CW_OK)
		goto out;
	/* the manifest may be replaced (a URL that withholds a member): keep the names */
	st = CW_ERR_NOMEM;
	if ((v = calloc(nreq, sizeof *v)) == NULL || (names = calloc(nreq, sizeof *names)) == NULL)
		goto out;
	for (size_t i = 0; i < nreq; i++)
		if ((names[i] = strdup(reqs[i].name)) == NULL)
			goto out;
		else
			reqs[i].name = names[i];
	st = wc_status_internal(wallet_fetch_many(c, reqs, nreq));
	for (size_t i = 0; i < nreq; i++) {
		if (reqs[i].status != WALLET_OK && st != CW_OK && c->err[0] == '\0')
			wc_err(c, "%s: %s", reqs[i].name, reqs[i].error);
		v[i] = reqs[i].secret;
	}
	n = nreq;
	if (st != CW_OK)
		goto out;
	*out = v;
	*count = n;
	v = NULL;
out:
	wallet_secrets_free(v, n);
	for (size_t i = 0; names != NULL && i < nreq; i++)
		free(names[i]);
	free(names);
	free(reqs);
	return wc_status_public(st);
}

WALLET_API wallet_status wallet_manifest_lists(wallet_client *c, const char *name, int *listed)
{
	if (listed == NULL)
		return WALLET_ERR_USAGE;
	*listed = 0;
	if (c == NULL || name == NULL)
		return WALLET_ERR_USAGE;
	c->err[0] = '\0';
	size_t n = strlen(name);
	bool group = cw_group_valid(name, n);
	if (!group && !cw_name_valid(name, n)) {
		wc_err(c, "invalid object name or group");
		return WALLET_ERR_NAME;
	}
	cw_status st = wc_manifest_ensure(c);
	if (st != CW_OK)
		return wc_status_public(st);
	if (!group)
		*listed = wc_manifest_find(&c->mf, name) != NULL;
	for (size_t i = 0; group && i < c->mf.n && !*listed; i++)
		*listed = strncmp(c->mf.v[i].name, name, n) == 0;
	return WALLET_OK;
}
