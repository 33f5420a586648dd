/* Listing: the latest version of every object, in name order.
 * A listing has to visit every object directory, but it need not re-read every meta.json: the
 * handle caches what it read, keyed by the object directory's inode and mtime and the version
 * `latest` names. Any publication or removal creates, renames or unlinks an entry in that
 * directory and so changes its mtime. Because mtimes come from a coarse clock, an entry whose
 * directory changed in the last two seconds is never trusted from the cache ("racy" entries,
 * as git's index calls them). */
#define _GNU_SOURCE
#include "objstore_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strv.h"

struct ws_cache_ent {
	char *name;
	char created[40];
	char sha256[65];
	size_t size;
	uint64_t version;
	uint64_t nversions;
	ws_recipient *recips;
	size_t nrecips;
	ino_t ino;
	struct timespec mtime;
};

static void ent_clear(struct ws_cache_ent *e)
{
	free(e->name);
	free(e->recips);
	memset(e, 0, sizeof *e);
}

void ws_list_cache_free(ws_store *st)
{
	for (size_t i = 0; i < st->ncache; i++)
		ent_clear(&st->cache[i]);
	free(st->cache);
	st->cache = NULL;
	st->ncache = 0;
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ws_cache_ent *)a)->name,
	              ((const struct ws_cache_ent *)b)->name);
}

/* Versions present in an object directory, ascending. */
static cw_status versions_at(int odfd, uint64_t **out, size_t *n)
{
	uint64_t *v = NULL;
	size_t cnt = 0, cap = 0;
	cw_status st = CW_OK;
	DIR *d = ws_opendir_at(odfd);
	*out = NULL;
	*n = 0;
	if (d == NULL)
		return CW_ERR_IO;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		uint64_t ver;
		if (!ws_parse_vdir(e->d_name, &ver))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(v, nc * sizeof *nv);
			if (nv == NULL) {
				st = CW_ERR_NOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = ver;
	}
	/* insertion sort: a handful of versions per object */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	closedir(d);
	return st;
}

cw_status ws_object_versions(ws_store *st, const char *name, uint64_t **out, size_t *n,
                             uint64_t *latest)
{
	int odfd;
	*out = NULL;
	*n = 0;
	*latest = 0;
	cw_status s = ws_open_objdir(st, name, &odfd);
	if (s != CW_OK)
		return s;
	s = ws_latest_at(odfd, latest);
	if (s == CW_ERR_NOTFOUND)
		s = CW_OK;
	if (s == CW_OK)
		s = versions_at(odfd, out, n);
	close(odfd);
	return s;
}

/* Reads the entry of one object afresh. CW_ERR_NOTFOUND for an object with no latest. */
static cw_status ent_load(ws_store *st, const char *name, uint64_t latest, struct ws_cache_ent *e)
{
	int odfd = -1;
	uint64_t *vers = NULL;
	size_t nv = 0;
	unsigned char *meta = NULL;
	size_t len;
	char rel[40];
	ws_object obj;
	memset(&obj, 0, sizeof obj);
	cw_status s = ws_open_objdir(st, name, &odfd);
	if (s != CW_OK)
		goto out;
	if ((s = versions_at(odfd, &vers, &nv)) != CW_OK)
		goto out;
	snprintf(rel, sizeof rel, "v%llu/meta.json", (unsigned long long)latest);
	if ((s = ws_read_at(odfd, rel, WS_META_MAX, &meta, &len)) != CW_OK ||
	    (s = ws_meta_parse((const char *)meta, &obj, &e->size)) != CW_OK)
		goto out;
	if (strcmp(obj.name, name) != 0 || obj.version != latest) {
		s = CW_ERR_INTEGRITY;
		goto out;
	}
	e->version = latest;
	e->nversions = 0; /* the published ones: above latest, none is (drop_unpublished) */
	for (size_t i = 0; i < nv; i++)
		e->nversions += vers[i] <= latest;
	memcpy(e->created, obj.created, sizeof e->created);
	memcpy(e->sha256, obj.sha256, sizeof e->sha256);
	e->recips = obj.recipients;
	e->nrecips = obj.nrecipients;
	obj.recipients = NULL;
out:
	free(obj.recipients);
	free(meta);
	free(vers);
	if (odfd >= 0)
		close(odfd);
	return s;
}

/* The next entry of objects/ that names an object, its name in name. */
static struct dirent *next_object(DIR *d, char name[CW_NAME_MAX + 1])
{
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && cw_name_from_file(de->d_name, name, CW_NAME_MAX + 1))
			return de;
	return NULL;
}

/* Collects the names of objects/, sorted, as cache entries carrying only name, ino, mtime. */
static cw_status scan(ws_store *st, struct ws_cache_ent **out, size_t *n)
{
	struct ws_cache_ent *v = NULL;
	size_t cnt = 0, cap = 0;
	cw_status s = CW_OK;
	DIR *d = ws_opendir_at(st->objfd);
	*out = NULL;
	*n = 0;
	if (d == NULL)
		return CW_ERR_IO;
	struct dirent *de;
	char name[CW_NAME_MAX + 1];
	while ((de = next_object(d, name)) != NULL) {
		struct stat sb;
		if (fstatat(st->objfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct ws_cache_ent *nv = realloc(v, nc * sizeof *nv);
			if (nv == NULL) {
				s = CW_ERR_NOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[cnt], 0, sizeof v[cnt]);
		if ((v[cnt].name = strdup(name)) == NULL) {
			s = CW_ERR_NOMEM;
			goto out;
		}
		v[cnt].ino = sb.st_ino;
		v[cnt].mtime = sb.st_mtim;
		cnt++;
	}
	if (cnt > 0) /* v is NULL for an empty store */
		qsort(v, cnt, sizeof *v, cmp_ent);
	*out = v;
	*n = cnt;
	v = NULL;
out:
	closedir(d);
	if (v != NULL) {
		for (size_t i = 0; i < cnt; i++)
			ent_clear(&v[i]);
		free(v);
	}
	return s;
}

static bool racy(const struct timespec *mt)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return mt->tv_sec + 2 >= now.tv_sec;
}

/* A listed entry as callers see it (recipients borrowed from e). */
static void to_entry(const struct ws_cache_ent *e, ws_entry *we)
{
	memset(we, 0, sizeof *we);
	snprintf(we->name, sizeof we->name, "%s", e->name);
	we->version = e->version;
	memcpy(we->created, e->created, sizeof we->created);
	memcpy(we->sha256, e->sha256, sizeof we->sha256);
	we->size = e->size;
	we->nversions = e->nversions;
	we->recipients = e->recips;
	we->nrecipients = e->nrecips;
}

cw_status ws_list(ws_store *st, ws_list_fn fn, void *arg)
{
	struct ws_cache_ent *cur = NULL;
	size_t ncur = 0, kept = 0;
	pthread_mutex_lock(&st->list_lock);
	cw_status s = scan(st, &cur, &ncur);
	if (s != CW_OK)
		goto out;
	for (size_t i = 0; i < ncur; i++) {
		struct ws_cache_ent *e = &cur[i];
		uint64_t latest;
		if (ws_object_latest(st, e->name, &latest) != CW_OK) {
			ent_clear(e); /* removed, or not published yet */
			continue;
		}
		struct ws_cache_ent *old =
		    st->cache ? bsearch(e, st->cache, st->ncache, sizeof *e, cmp_ent) : NULL;
		if (old != NULL && old->ino == e->ino && old->mtime.tv_sec == e->mtime.tv_sec &&
		    old->mtime.tv_nsec == e->mtime.tv_nsec && old->version == latest &&
		    !racy(&e->mtime)) {
			/* take over its data; old keeps its name so that bsearch still works */
			memcpy(e->created, old->created, sizeof e->created);
			memcpy(e->sha256, old->sha256, sizeof e->sha256);
			e->size = old->size;
			e->version = old->version;
			e->nversions = old->nversions;
			e->recips = old->recips;
			e->nrecips = old->nrecips;
			old->recips = NULL;
		} else if (ent_load(st, e->name, latest, e) != CW_OK) {
			ent_clear(e); /* vanished or damaged: checkintegrity reports it */
			continue;
		}
		if (kept != i) {
			cur[kept] = *e;
			memset(e, 0, sizeof *e);
		}
		kept++;
	}
	for (size_t i = kept; i < ncur; i++)
		ent_clear(&cur[i]);
	ws_list_cache_free(st);
	st->cache = cur;
	st->ncache = kept;
	cur = NULL;
	for (size_t i = 0; i < st->ncache && s == CW_OK; i++) {
		ws_entry we;
		to_entry(&st->cache[i], &we);
		s = fn(&we, arg);
	}
out:
	free(cur);
	pthread_mutex_unlock(&st->list_lock);
	return s;
}

struct ws_objiter {
	ws_store *st;
	char **names; /* from ws_object_names: sorted as scan sorts them (strcmp of the names) */
	size_t n, i;
	const char *prefix;      /* only names that start with it (ws_objiter_prefix) */
	struct ws_cache_ent cur; /* the entry handed out last; its name is names[i - 1] */
};

cw_status ws_objiter_new(ws_store *st, ws_objiter **out)
{
	ws_objiter *it = calloc(1, sizeof *it);
	*out = NULL;
	if (it == NULL)
		return CW_ERR_NOMEM;
	it->st = st;
	cw_status s = ws_object_names(st, &it->names, &it->n);
	if (s != CW_OK) {
		free(it);
		return s;
	}
	*out = it;
	return CW_OK;
}

cw_status ws_objiter_next(ws_objiter *it, ws_entry *e)
{
	while (it->i < it->n) {
		struct ws_cache_ent *c = &it->cur;
		uint64_t latest;
		free(c->recips);
		memset(c, 0, sizeof *c);
		c->name = it->names[it->i++];
		if (it->prefix != NULL && strncmp(c->name, it->prefix, strlen(it->prefix)) != 0)
			continue; /* not read at all */
		if (ws_object_latest(it->st, c->name, &latest) != CW_OK ||
		    ent_load(it->st, c->name, latest, c) != CW_OK)
			continue; /* vanished or damaged, as in ws_list */
		to_entry(c, e);
		return CW_OK;
	}
	return CW_ERR_NOTFOUND;
}

void ws_objiter_prefix(ws_objiter *it, const char *prefix)
{
	it->prefix = prefix != NULL && prefix[0] != '\0' ? prefix : NULL;
}

void ws_objiter_free(ws_objiter *it)
{
	if (it == NULL)
		return;
	free(it->cur.recips);
	cw_strv_free(it->names, it->n);
	free(it);
}

cw_status ws_object_count(ws_store *st, size_t *n)
{
	DIR *d = ws_opendir_at(st->objfd);
	*n = 0;
	if (d == NULL)
		return CW_ERR_IO;
	char name[CW_NAME_MAX + 1];
	uint64_t latest;
	while (next_object(d, name) != NULL)
		if (ws_object_latest(st, name, &latest) == CW_OK)
			(*n)++;
	closedir(d);
	return CW_OK;
}
