/* Reading side of the data directory: open, object load, metadata (client records: client.c).
 * Every lookup is a path computation below directory descriptors held open since
 * ws_store_open, with O_NOFOLLOW on each component, so nothing outside the data directory is
 * ever read, whatever symlinks someone planted. */
#define _GNU_SOURCE
#include "objstore_int.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "strv.h"

cw_status ws_errno_status(void)
{
	return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) ? CW_ERR_NOTFOUND
	                                                               : CW_ERR_IO;
}

cw_status ws_read_at(int dfd, const char *rel, size_t limit, unsigned char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ws_errno_status();
	cw_status st = cw_read_fd(fd, limit, out, len);
	close(fd);
	return st;
}

DIR *ws_opendir_at(int dfd)
{
	/* a new open file description, not dup(dfd): dups share the directory offset, and two
	 * threads listing objects/ at once (serve's refresh, /metrics, a listing) would each see
	 * part of it */
	int fd = openat(dfd, ".", CW_DIR_FLAGS);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return d;
}

bool ws_parse_vdir(const char *s, uint64_t *v)
{
	return s[0] == 'v' && cw_version_parse(s + 1, strlen(s + 1), v);
}

cw_status ws_latest_at(int odfd, uint64_t *v)
{
	char target[32];
	ssize_t n = readlinkat(odfd, "latest", target, sizeof target - 1);
	if (n < 0)
		return errno == ENOENT ? CW_ERR_NOTFOUND : CW_ERR_IO;
	target[n] = '\0';
	*v = 0;
	if (strcmp(target, WS_LATEST_NONE) == 0)
		return CW_OK;
	return ws_parse_vdir(target, v) ? CW_OK : CW_ERR_INTEGRITY;
}

cw_status ws_open_objdir(ws_store *st, const char *name, int *out)
{
	char file[CW_NAME_MAX + 1];
	*out = -1;
	if (name == NULL || !cw_name_to_file(name, file, sizeof file))
		return CW_ERR_NAME;
	int fd = openat(st->objfd, file, CW_DIR_FLAGS);
	if (fd < 0)
		return ws_errno_status();
	*out = fd;
	return CW_OK;
}

void ws_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		memset(out, 0, 65);
		return;
	}
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* ---- metadata ---- */

bool ws_is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

bool ws_json_str(const cJSON *o, const char *key, char *dst, size_t dstsz)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(it) || it->valuestring == NULL || strlen(it->valuestring) >= dstsz)
		return false;
	strcpy(dst, it->valuestring);
	return true;
}

static bool get_u64(const cJSON *o, const char *key, uint64_t max, uint64_t *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > (double)max)
		return false;
	*v = (uint64_t)it->valuedouble;
	return (double)*v == it->valuedouble;
}

cw_status ws_meta_parse(const char *json, ws_object *obj, size_t *size)
{
	cw_status st = CW_ERR_INTEGRITY;
	uint64_t sz = 0;
	cJSON *root = cJSON_Parse(json);
	if (!cJSON_IsObject(root))
		goto out;
	if (!ws_json_str(root, "name", obj->name, sizeof obj->name) ||
	    !cw_name_valid(obj->name, strlen(obj->name)) ||
	    !get_u64(root, "version", CW_VERSION_MAX, &obj->version) || obj->version == 0 ||
	    !ws_json_str(root, "created", obj->created, sizeof obj->created) ||
	    !get_u64(root, "size", WS_SEALED_MAX, &sz) ||
	    !ws_json_str(root, "sha256", obj->sha256, sizeof obj->sha256) ||
	    !ws_is_hex(obj->sha256, 64) ||
	    !ws_json_str(root, "signer", obj->signer, sizeof obj->signer) ||
	    !ws_is_hex(obj->signer, 40))
		goto out;
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "recipients");
	int n = cJSON_GetArraySize(rs);
	if (!cJSON_IsArray(rs) || n < 1)
		goto out;
	obj->recipients = calloc((size_t)n, sizeof *obj->recipients);
	if (obj->recipients == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, rs)
	{
		ws_recipient *w = &obj->recipients[obj->nrecipients];
		if (!ws_json_str(r, "client", w->client, sizeof w->client) ||
		    !cw_client_name_valid(w->client, strlen(w->client)) ||
		    !ws_json_str(r, "fingerprint", w->fingerprint, sizeof w->fingerprint) ||
		    !ws_is_hex(w->fingerprint, 40))
			goto out;
		obj->nrecipients++;
	}
	*size = (size_t)sz;
	st = CW_OK;
out:
	cJSON_Delete(root);
	return st;
}

char *ws_meta_json(const ws_object *obj)
{
	char *s = NULL;
	cJSON *root = cJSON_CreateObject(), *rs;
	if (root == NULL || !cJSON_AddStringToObject(root, "name", obj->name) ||
	    !cJSON_AddNumberToObject(root, "version", (double)obj->version) ||
	    !cJSON_AddStringToObject(root, "created", obj->created) ||
	    !cJSON_AddNumberToObject(root, "size", (double)obj->sealed_len) ||
	    !cJSON_AddStringToObject(root, "sha256", obj->sha256) ||
	    !cJSON_AddStringToObject(root, "signer", obj->signer) ||
	    (rs = cJSON_AddArrayToObject(root, "recipients")) == NULL)
		goto out;
	for (size_t i = 0; i < obj->nrecipients; i++) {
		cJSON *r = cJSON_CreateObject();
		if (r == NULL || !cJSON_AddItemToArray(rs, r) ||
		    !cJSON_AddStringToObject(r, "client", obj->recipients[i].client) ||
		    !cJSON_AddStringToObject(r, "fingerprint", obj->recipients[i].fingerprint))
			goto out;
	}
	s = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return s;
}

void ws_time_utc(time_t t, char out[WS_TIME_UTC_LEN])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, WS_TIME_UTC_LEN, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		strcpy(out, "1970-01-01T00:00:00");
}

void ws_time_now(char out[40])
{
	char base[WS_TIME_UTC_LEN];
	ws_time_utc(time(NULL), base);
	snprintf(out, 40, "%sZ", base);
}

/* ---- open / close ---- */

cw_status ws_store_open(const char *datadir, ws_store **out)
{
	cw_status st;
	unsigned char *buf = NULL;
	size_t len;
	cJSON *root = NULL;
	ws_store *s = calloc(1, sizeof *s);
	*out = NULL;
	if (s == NULL)
		return CW_ERR_NOMEM;
	s->dfd = s->objfd = s->cltfd = -1;
	pthread_mutex_init(&s->list_lock, NULL);
	if ((st = cw_path(s->dir, sizeof s->dir, "%s", datadir)) != CW_OK ||
	    (st = cw_path(s->gnupg, sizeof s->gnupg, "%s/gnupg", datadir)) != CW_OK)
		goto out;
	s->dfd = open(datadir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		st = ws_errno_status();
		goto out;
	}
	st = ws_read_at(s->dfd, "wallet.json", WS_SMALL_MAX, &buf, &len);
	if (st != CW_OK)
		goto out;
	root = cJSON_Parse((const char *)buf);
	if (!ws_json_str(root, "signing_key", s->signing, sizeof s->signing) ||
	    !ws_is_hex(s->signing, 40)) {
		st = CW_ERR_INTEGRITY;
		goto out;
	}
	s->objfd = openat(s->dfd, "objects", CW_DIR_FLAGS);
	s->cltfd = openat(s->dfd, "clients", CW_DIR_FLAGS);
	if (s->objfd < 0 || s->cltfd < 0) {
		st = ws_errno_status();
		goto out;
	}
	*out = s;
	s = NULL;
out:
	cJSON_Delete(root);
	free(buf);
	ws_store_close(s);
	return st;
}

void ws_store_close(ws_store *st)
{
	if (st == NULL)
		return;
	if (st->dfd >= 0)
		close(st->dfd);
	if (st->objfd >= 0)
		close(st->objfd);
	if (st->cltfd >= 0)
		close(st->cltfd);
	ws_list_cache_free(st);
	pthread_mutex_destroy(&st->list_lock);
	free(st);
}

const char *ws_store_dir(const ws_store *st)
{
	return st->dir;
}

const char *ws_store_signing_fpr(const ws_store *st)
{
	return st->signing;
}

const char *ws_store_gnupg(const ws_store *st)
{
	return st->gnupg;
}

cw_status ws_store_layout(const char *datadir)
{
	static const char *const subs[] = {"gnupg", "clients", "objects", "manifests", "tmp"};
	char p[PATH_MAX];
	cw_status st = cw_mkdir_p(datadir, 0700);
	for (size_t i = 0; st == CW_OK && i < sizeof subs / sizeof subs[0]; i++) {
		st = cw_path(p, sizeof p, "%s/%s", datadir, subs[i]);
		if (st == CW_OK && mkdir(p, 0700) != 0 && errno != EEXIST)
			st = CW_ERR_IO;
	}
	return st;
}

cw_status ws_store_create(const char *datadir, const char *signing_fpr)
{
	char created[40];
	cw_status st = ws_store_layout(datadir);
	if (st != CW_OK)
		return st;
	ws_time_now(created);
	cJSON *root = cJSON_CreateObject();
	char *s = NULL;
	if (root == NULL || !cJSON_AddNumberToObject(root, "format", 1) ||
	    !cJSON_AddStringToObject(root, "signing_key", signing_fpr) ||
	    !cJSON_AddStringToObject(root, "created", created) ||
	    (s = cJSON_PrintUnformatted(root)) == NULL) {
		st = CW_ERR_NOMEM;
		goto out;
	}
	st = cw_write_atomic(datadir, "wallet.json", s, strlen(s), 0600, false);
out:
	cJSON_free(s);
	cJSON_Delete(root);
	return st;
}

/* ---- objects ---- */

void ws_object_free(ws_object *obj)
{
	if (obj == NULL)
		return;
	free(obj->sealed);
	free(obj->sig);
	free(obj->recipients);
	free(obj);
}

bool ws_object_has_recipient(const ws_object *obj, const char *client)
{
	for (size_t i = 0; client != NULL && i < obj->nrecipients; i++)
		if (strcmp(obj->recipients[i].client, client) == 0)
			return true;
	return false;
}

cw_status ws_object_load(ws_store *st, const char *name, uint64_t version, ws_object **out)
{
	int odfd = -1, vdfd = -1;
	unsigned char *meta = NULL;
	size_t len, size = 0;
	char vdir[32];
	ws_object *obj = NULL;
	*out = NULL;
	cw_status s = ws_open_objdir(st, name, &odfd);
	if (s != CW_OK)
		goto out;
	uint64_t latest;
	if ((s = ws_latest_at(odfd, &latest)) != CW_OK) {
		if (s == CW_ERR_INTEGRITY)
			s = CW_ERR_NOTFOUND;
		goto out;
	}
	if (version == 0)
		version = latest;
	/* above latest: not published yet, or being removed (drop_unpublished in objwrite.c);
	 * latest 0: none published */
	if (latest == 0 || version > latest) {
		s = CW_ERR_NOTFOUND;
		goto out;
	}
	snprintf(vdir, sizeof vdir, "v%llu", (unsigned long long)version);
	vdfd = openat(odfd, vdir, CW_DIR_FLAGS);
	if (vdfd < 0) {
		s = ws_errno_status();
		goto out;
	}
	obj = calloc(1, sizeof *obj);
	if (obj == NULL) {
		s = CW_ERR_NOMEM;
		goto out;
	}
	if ((s = ws_read_at(vdfd, "meta.json", WS_META_MAX, &meta, &len)) != CW_OK ||
	    (s = ws_meta_parse((const char *)meta, obj, &size)) != CW_OK)
		goto out;
	if (strcmp(obj->name, name) != 0 || obj->version != version) {
		s = CW_ERR_INTEGRITY;
		goto out;
	}
	if ((s = ws_read_at(vdfd, "object.gpg", size, &obj->sealed, &obj->sealed_len)) != CW_OK ||
	    (s = ws_read_at(vdfd, "object.sig", WS_SIG_MAX, &obj->sig, &obj->sig_len)) != CW_OK)
		goto out;
	if (obj->sealed_len != size) {
		s = CW_ERR_INTEGRITY;
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	if (s == CW_ERR_TOOBIG)
		s = CW_ERR_INTEGRITY;
	ws_object_free(obj);
	free(meta);
	if (vdfd >= 0)
		close(vdfd);
	if (odfd >= 0)
		close(odfd);
	return s;
}

/* ---- cheap checks (see objstore.h) ---- */

cw_status ws_object_latest(ws_store *st, const char *name, uint64_t *version)
{
	char file[CW_NAME_MAX + 1], rel[CW_NAME_MAX + 16], target[32];
	if (name == NULL || !cw_name_to_file(name, file, sizeof file))
		return CW_ERR_NAME;
	snprintf(rel, sizeof rel, "%s/latest", file);
	ssize_t n = readlinkat(st->objfd, rel, target, sizeof target - 1);
	if (n < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EINVAL ? CW_ERR_NOTFOUND
		                                                              : CW_ERR_IO;
	target[n] = '\0';
	return ws_parse_vdir(target, version) ? CW_OK : CW_ERR_NOTFOUND;
}

bool ws_object_linked(ws_store *st, const char *name)
{
	char file[CW_NAME_MAX + 1], rel[CW_NAME_MAX + 16];
	struct stat sb;
	if (name == NULL || !cw_name_to_file(name, file, sizeof file))
		return false;
	snprintf(rel, sizeof rel, "%s/latest", file);
	return fstatat(st->objfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

cw_status ws_version_exists(ws_store *st, const char *name, uint64_t version)
{
	char file[CW_NAME_MAX + 1], rel[CW_NAME_MAX + 32];
	struct stat sb;
	if (name == NULL || !cw_name_to_file(name, file, sizeof file))
		return CW_ERR_NAME;
	uint64_t latest;
	cw_status s = ws_object_latest(st, name, &latest);
	if (s != CW_OK)
		return s;
	if (version == 0 || version > latest)
		return CW_ERR_NOTFOUND; /* above latest: not published (ws_object_load) */
	snprintf(rel, sizeof rel, "%s/v%llu", file, (unsigned long long)version);
	if (fstatat(st->objfd, rel, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return ws_errno_status();
	return S_ISDIR(sb.st_mode) ? CW_OK : CW_ERR_NOTFOUND;
}

cw_status ws_file_id_at(int dirfd, const char *rel, ws_file_id *out)
{
	struct stat sb;
	memset(out, 0, sizeof *out);
	if (fstatat(dirfd, rel, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return ws_errno_status();
	if (!S_ISREG(sb.st_mode))
		return CW_ERR_IO;
	out->dev = (uint64_t)sb.st_dev;
	out->ino = (uint64_t)sb.st_ino;
	out->size = (uint64_t)sb.st_size;
	out->mtime_s = (int64_t)sb.st_mtim.tv_sec;
	out->mtime_ns = (int64_t)sb.st_mtim.tv_nsec;
	out->ctime_s = (int64_t)sb.st_ctim.tv_sec;
	out->ctime_ns = (int64_t)sb.st_ctim.tv_nsec;
	return CW_OK;
}

cw_status ws_client_file_id(int dirfd, const char *prefix, const char *client, const char *suffix,
                            ws_file_id *out)
{
	char rel[CW_CLIENT_NAME_MAX + 32];
	memset(out, 0, sizeof *out);
	if (client == NULL || !cw_client_name_valid(client, strlen(client)))
		return CW_ERR_NAME;
	snprintf(rel, sizeof rel, "%s%s%s", prefix, client, suffix);
	return ws_file_id_at(dirfd, rel, out);
}

cw_status ws_manifest_id(ws_store *st, const char *client, ws_file_id *out)
{
	return ws_client_file_id(st->dfd, "manifests/", client, "", out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

cw_status ws_dir_names(int dfd, bool dots, bool (*map)(const char *, char *, size_t), char ***out,
                       size_t *n)
{
	char **v = NULL;
	size_t cnt = 0;
	cw_status st = CW_OK;
	DIR *d = ws_opendir_at(dfd);
	*out = NULL;
	*n = 0;
	if (d == NULL)
		return CW_ERR_IO;
	struct dirent *e;
	while (st == CW_OK && (e = readdir(d)) != NULL) {
		char buf[CW_NAME_MAX + 1];
		if ((dots || e->d_name[0] != '.') && map(e->d_name, buf, sizeof buf))
			st = cw_strv_add(&v, &cnt, buf);
	}
	closedir(d);
	if (st != CW_OK) {
		cw_strv_free(v, cnt);
		return st;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof *v, cmp_str);
	*out = v;
	*n = cnt;
	return CW_OK;
}

cw_status ws_object_names(ws_store *st, char ***out, size_t *n)
{
	return ws_dir_names(st->objfd, false, cw_name_from_file, out, n);
}
