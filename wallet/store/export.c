/* Exports: see export.h. */
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "name.h"
#include "sealfmt.h"
#include "strv.h"

#define MARKER "wallet.json"
#define FILE_MAX ((size_t)256 << 20)

struct xp {
	ws_store *st;
	const char *out;
	const char *const *clients; /* exported clients */
	size_t nclients;
	char **kept; /* "FILE/vN" of every exported version */
	size_t nkept;
	char err[512];
};

static bool selected(const struct xp *x, const char *client)
{
	for (size_t i = 0; i < x->nclients; i++)
		if (strcmp(x->clients[i], client) == 0)
			return true;
	return false;
}

/* Copies the regular file src to dir/name (atomic, 0644). */
static cw_status copy_file(const char *src, const char *dir, const char *name)
{
	unsigned char *buf = NULL;
	size_t len;
	cw_status s = cw_read_file(src, FILE_MAX, &buf, &len);
	if (s == CW_OK)
		s = cw_write_atomic(dir, name, buf, len, 0644, true);
	free(buf);
	return s;
}

/* Directories of an export are 0755 whatever the umask (the wallet's is 077): static
 * servers read them as another user. */
static cw_status mkdir_here(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return CW_ERR_IO;
	return chmod(path, 0755) == 0 ? CW_OK : CW_ERR_IO;
}

/* objects/FILE/vN, built aside and renamed into place when it is not there yet. */
static cw_status export_version(struct xp *x, const char *file, uint64_t v)
{
	static const char *const parts[] = {CW_FILE_SEALED, CW_FILE_SIG, "meta.json"};
	char odir[PATH_MAX], vdir[PATH_MAX], tmp[PATH_MAX], src[PATH_MAX];
	struct stat sb;
	cw_status s;
	if ((s = cw_path(odir, sizeof odir, "%s/objects/%s", x->out, file)) != CW_OK ||
	    (s = cw_path(vdir, sizeof vdir, "%s/v%llu", odir, (unsigned long long)v)) != CW_OK ||
	    (s = cw_path(tmp, sizeof tmp, "%s/.v%llu.tmp", odir, (unsigned long long)v)) != CW_OK)
		return s;
	if (lstat(vdir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return CW_OK; /* versions never change once published */
	if ((s = mkdir_here(odir)) != CW_OK || (s = cw_rm_rf(tmp)) != CW_OK)
		return s;
	if ((s = mkdir_here(tmp)) != CW_OK)
		return s;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && s == CW_OK; i++)
		if ((s = cw_path(src, sizeof src, "%s/objects/%s/v%llu/%s", ws_store_dir(x->st),
		                 file, (unsigned long long)v, parts[i])) == CW_OK)
			s = copy_file(src, tmp, parts[i]);
	if (s == CW_OK && rename(tmp, vdir) != 0)
		s = CW_ERR_IO;
	if (s == CW_OK)
		s = cw_fsync_dir(odir);
	if (s != CW_OK)
		cw_rm_rf(tmp);
	return s;
}

/* `latest` of the export's object directory names version v (symlink, replaced by rename). */
static cw_status point_latest(struct xp *x, const char *file, uint64_t v)
{
	char link[PATH_MAX], tmp[PATH_MAX], target[32];
	cw_status s;
	snprintf(target, sizeof target, "v%llu", (unsigned long long)v);
	if ((s = cw_path(link, sizeof link, "%s/objects/%s/latest", x->out, file)) != CW_OK ||
	    (s = cw_path(tmp, sizeof tmp, "%s/objects/%s/.latest.tmp", x->out, file)) != CW_OK)
		return s;
	unlink(tmp);
	if (symlink(target, tmp) != 0 || rename(tmp, link) != 0)
		return CW_ERR_IO;
	return CW_OK;
}

/* Every version of name that an exported client may read. */
static cw_status export_object(struct xp *x, const char *name)
{
	char file[CW_NAME_MAX + 1], kept[CW_NAME_MAX + 32];
	uint64_t *vers = NULL, latest = 0, newest = 0;
	size_t nv = 0;
	cw_status s = ws_object_versions(x->st, name, &vers, &nv, &latest);
	if (s != CW_OK || !cw_name_to_file(name, file, sizeof file)) {
		free(vers);
		return s == CW_OK ? CW_ERR_NAME : s;
	}
	/* versions above latest are not published: not exported */
	for (size_t i = 0; i < nv && s == CW_OK && vers[i] <= latest; i++) {
		ws_object *obj = NULL;
		bool mine = false;
		if ((s = ws_object_load(x->st, name, vers[i], &obj)) == CW_ERR_NOTFOUND) {
			s = CW_OK; /* removed since it was listed (rm) */
			continue;
		}
		if (s != CW_OK)
			break;
		for (size_t r = 0; r < obj->nrecipients && !mine; r++)
			mine = selected(x, obj->recipients[r].client);
		ws_object_free(obj);
		if (!mine)
			continue;
		snprintf(kept, sizeof kept, "%s/v%llu", file, (unsigned long long)vers[i]);
		if ((s = export_version(x, file, vers[i])) == CW_OK &&
		    (s = cw_strv_add(&x->kept, &x->nkept, kept)) == CW_OK)
			newest = vers[i];
	}
	if (s == CW_OK && newest != 0)
		s = point_latest(x, file, newest);
	if (s != CW_OK)
		snprintf(x->err, sizeof x->err, "cannot export %s: %s", name, cw_strerror(s));
	free(vers);
	return s;
}

static cw_status export_objects(struct xp *x)
{
	char **names = NULL;
	size_t n = 0;
	char dir[PATH_MAX];
	cw_status s = cw_path(dir, sizeof dir, "%s/objects", x->out);
	if (s == CW_OK && (s = mkdir_here(dir)) == CW_OK)
		s = ws_object_names(x->st, &names, &n);
	for (size_t i = 0; i < n && s == CW_OK; i++)
		s = export_object(x, names[i]);
	cw_strv_free(names, n);
	return s;
}

/* clients/C.json and manifests/C of every exported client, and the signing key. */
static cw_status export_records(struct xp *x)
{
	static const char *const sub[] = {"clients", "manifests"};
	char src[PATH_MAX], dir[PATH_MAX], name[CW_CLIENT_NAME_MAX + 8];
	cw_status s = cw_path(src, sizeof src, "%s/" CW_FILE_SIGNING_KEY, ws_store_dir(x->st));
	if (s == CW_OK)
		s = copy_file(src, x->out, CW_FILE_SIGNING_KEY);
	for (size_t k = 0; k < 2 && s == CW_OK; k++) {
		if ((s = cw_path(dir, sizeof dir, "%s/%s", x->out, sub[k])) != CW_OK ||
		    (s = mkdir_here(dir)) != CW_OK)
			break;
		for (size_t i = 0; i < x->nclients && s == CW_OK; i++) {
			snprintf(name, sizeof name, k == 0 ? "%s.json" : "%s", x->clients[i]);
			if ((s = cw_path(src, sizeof src, "%s/%s/%s", ws_store_dir(x->st), sub[k],
			                 name)) == CW_OK)
				s = copy_file(src, dir, name);
		}
		if (s == CW_OK)
			s = cw_fsync_dir(dir);
	}
	if (s != CW_OK)
		snprintf(x->err, sizeof x->err, "cannot export the clients' records: %s%s%s",
		         cw_strerror(s), s == CW_ERR_IO ? ": " : "",
		         s == CW_ERR_IO ? strerror(errno) : "");
	return s;
}

static bool kept_version(const struct xp *x, const char *file, const char *vdir)
{
	char key[CW_NAME_MAX + 260];
	snprintf(key, sizeof key, "%s/%s", file, vdir);
	for (size_t i = 0; i < x->nkept; i++)
		if (strcmp(x->kept[i], key) == 0)
			return true;
	return false;
}

/* Removes what no longer belongs, after the manifests that stopped naming it. */
static cw_status prune_objects(struct xp *x)
{
	char dir[PATH_MAX], path[PATH_MAX];
	cw_status s = cw_path(dir, sizeof dir, "%s/objects", x->out);
	DIR *d = s == CW_OK ? opendir(dir) : NULL;
	if (d == NULL)
		return s == CW_OK ? CW_ERR_IO : s;
	struct dirent *de;
	while (s == CW_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((s = cw_path(path, sizeof path, "%s/%s", dir, de->d_name)) != CW_OK)
			break;
		DIR *o = opendir(path);
		if (o == NULL)
			continue;
		struct dirent *ve;
		bool any = false;
		char vpath[PATH_MAX];
		while (s == CW_OK && (ve = readdir(o)) != NULL) {
			if (ve->d_name[0] != 'v' || kept_version(x, de->d_name, ve->d_name)) {
				any = any || ve->d_name[0] == 'v';
				continue;
			}
			if ((s = cw_path(vpath, sizeof vpath, "%s/%s", path, ve->d_name)) == CW_OK)
				s = cw_rm_rf(vpath);
		}
		closedir(o);
		if (s == CW_OK && !any)
			s = cw_rm_rf(path);
	}
	closedir(d);
	return s;
}

/* A record of an exported client (clients/C.json or manifests/C), or a file of ours. */
static bool exported_record(const char *name, void *arg)
{
	char client[264];
	snprintf(client, sizeof client, "%s", name);
	char *dot = strstr(client, ".json");
	if (dot != NULL && dot[5] == '\0')
		*dot = '\0';
	return name[0] == '.' || selected(arg, client);
}

static cw_status prune_records(struct xp *x)
{
	char dir[PATH_MAX];
	cw_status s = cw_path(dir, sizeof dir, "%s/clients", x->out);
	if (s == CW_OK)
		s = cw_unlink_unless(dir, exported_record, x);
	if (s == CW_OK && (s = cw_path(dir, sizeof dir, "%s/manifests", x->out)) == CW_OK)
		s = cw_unlink_unless(dir, exported_record, x);
	return s;
}

struct all {
	char **v;
	size_t n;
};

static cw_status add_unrevoked(const ws_client *c, void *arg)
{
	struct all *a = arg;
	return c->revoked ? CW_OK : cw_strv_add(&a->v, &a->n, c->client);
}

cw_status ws_export_prepare(ws_store *st, const char *out, char *err, size_t errsz)
{
	char rd[PATH_MAX], ro[PATH_MAX], m[PATH_MAX + 16];
	if (cw_mkdir_p(out, 0755) != CW_OK) {
		snprintf(err, errsz, "cannot create %s: %s", out, strerror(errno));
		return CW_ERR_IO;
	}
	if (realpath(ws_store_dir(st), rd) == NULL || realpath(out, ro) == NULL) {
		snprintf(err, errsz, "cannot resolve %s: %s", out, strerror(errno));
		return CW_ERR_IO;
	}
	size_t n = strlen(rd);
	if (strncmp(ro, rd, n) == 0 && (ro[n] == '\0' || ro[n] == '/')) {
		snprintf(err, errsz, "%s is inside the data directory", out);
		return CW_ERR_USAGE;
	}
	snprintf(m, sizeof m, "%s/" MARKER, ro);
	if (access(m, F_OK) == 0)
		return CW_OK;
	DIR *d = opendir(ro);
	struct dirent *de;
	bool empty = true;
	while (d != NULL && (de = readdir(d)) != NULL)
		empty = empty && (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0);
	if (d != NULL)
		closedir(d);
	if (!empty)
		snprintf(err, errsz,
		         "%s is neither empty nor an earlier export: refusing to write there", out);
	return empty ? CW_OK : CW_ERR_EXISTS;
}

cw_status ws_export(ws_store *st, const char *out, const char *const *clients, size_t n,
                    size_t *nversions, char *err, size_t errsz)
{
	struct xp x = {.st = st, .out = out, .clients = clients, .nclients = n};
	struct all all = {NULL, 0};
	char src[PATH_MAX];
	cw_status s = cw_path(src, sizeof src, "%s/" MARKER, ws_store_dir(st));
	if (s == CW_OK && clients == NULL &&
	    (s = ws_client_list(st, add_unrevoked, &all)) == CW_OK) {
		x.clients = (const char *const *)all.v;
		x.nclients = all.n;
	}
	if (s == CW_OK)
		s = mkdir_here(out);
	if (s == CW_OK && (s = export_objects(&x)) == CW_OK && (s = export_records(&x)) == CW_OK &&
	    (s = copy_file(src, out, MARKER)) == CW_OK && (s = prune_objects(&x)) == CW_OK &&
	    (s = prune_records(&x)) == CW_OK)
		s = cw_fsync_dir(out);
	if (s != CW_OK)
		snprintf(err, errsz, "%s", x.err[0] ? x.err : cw_strerror(s));
	*nversions = x.nkept;
	cw_strv_free(x.kept, x.nkept);
	cw_strv_free(all.v, all.n);
	return s;
}
