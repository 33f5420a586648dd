/* wallet export DIR [--client NAME]...: a copy of the data without any secret key, served as
 * a replica by `wallet serve --data DIR` and as files by any static HTTPS server.
 *
 * Exporting again into a served DIR is safe for readers at every moment: versions are
 * immutable directories added whole (built aside, then renamed), then clients and manifests
 * are replaced file by file (rename), and only then is what left the export removed. A reader
 * never finds a manifest that names a version not yet there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "keyring.h"
#include "sealfmt.h"
#include "strv.h"

#define CMD "export"
#define MARKER "wallet.json"
#define FILE_MAX ((size_t)256 << 20)

void usage_export(FILE *out)
{
	fputs("Usage: wallet [--data DIR] export OUTDIR [--client NAME]...\n"
	      "\n"
	      "Writes into OUTDIR a copy of what the clients may read, holding no secret key: the\n"
	      "sealed objects (objects/NAME/vN/ with '/' in NAME mapped to '@'), their detached\n"
	      "signatures and metadata, the clients' records, their manifests (signed again now)\n"
	      "and the wallet's public signing key. 'wallet serve --data OUTDIR' serves it as a\n"
	      "replica; any static HTTPS server whose document root is OUTDIR serves it to\n"
	      "wallet-entry, without per-client authorization. Exporting again into the same\n"
	      "OUTDIR updates it in place, safely for readers; what no longer belongs goes.\n"
	      "Files are 0644 and directories 0755: nothing in an export is secret.\n"
	      "\n"
	      "Options:\n"
	      "  --client NAME  export only what NAME may read, and only its manifest (repeat for\n"
	      "                 more clients; default: every registered, unrevoked client)\n"
	      "  --data DIR     data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help         this text\n",
	      out);
}

struct export
{
	ws_store *st;
	const char *out;
	char **clients; /* exported clients */
	size_t nclients;
	char **kept; /* "FILE/vN" of every exported version */
	size_t nkept;
	char err[512];
};

static bool selected(const struct export *x, const char *client)
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

static cw_status mkdir_here(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? CW_OK : CW_ERR_IO;
}

/* objects/FILE/vN, built aside and renamed into place when it is not there yet. */
static cw_status export_version(struct export *x, const char *file, uint64_t v)
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
	if (mkdir(tmp, 0755) != 0)
		return CW_ERR_IO;
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
static cw_status point_latest(struct export *x, const char *file, uint64_t v)
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
static cw_status export_object(struct export *x, const char *name)
{
	char file[CW_NAME_MAX + 1], kept[CW_NAME_MAX + 32];
	uint64_t *vers = NULL, latest = 0, newest = 0;
	size_t nv = 0;
	cw_status s = ws_object_versions(x->st, name, &vers, &nv, &latest);
	if (s != CW_OK || !cw_name_to_file(name, file, sizeof file)) {
		free(vers);
		return s == CW_OK ? CW_ERR_NAME : s;
	}
	for (size_t i = 0; i < nv && s == CW_OK; i++) {
		ws_object *obj = NULL;
		bool mine = false;
		if ((s = ws_object_load(x->st, name, vers[i], &obj)) != CW_OK)
			break;
		for (size_t r = 0; r < obj->nrecipients && !mine; r++)
			mine = selected(x, obj->recipients[r].client);
		ws_object_free(obj);
		if (!mine)
			continue;
		snprintf(kept, sizeof kept, "%s/v%llu", file, (unsigned long long)vers[i]);
		if ((s = export_version(x, file, vers[i])) == CW_OK &&
		    (s = cw_strv_add(&x->kept, &x->nkept, kept)) == CW_OK && vers[i] <= latest)
			newest = vers[i];
	}
	if (s == CW_OK && newest != 0)
		s = point_latest(x, file, newest);
	if (s != CW_OK)
		snprintf(x->err, sizeof x->err, "cannot export %s: %s", name, cw_strerror(s));
	free(vers);
	return s;
}

static cw_status export_objects(struct export *x)
{
	char **names = NULL;
	size_t n = 0;
	char dir[PATH_MAX];
	cw_status s = cw_path(dir, sizeof dir, "%s/objects", x->out);
	if (s == CW_OK && (s = mkdir_here(dir)) == CW_OK)
		s = ws_object_names(x->st, &names, &n);
	for (size_t i = 0; i < n && s == CW_OK; i++)
		s = export_object(x, names[i]);
	ws_names_free(names, n);
	return s;
}

/* clients/C.json and manifests/C of every exported client, and the signing key. */
static cw_status export_records(struct export *x)
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

static bool kept_version(const struct export *x, const char *file, const char *vdir)
{
	char key[CW_NAME_MAX + 260];
	snprintf(key, sizeof key, "%s/%s", file, vdir);
	for (size_t i = 0; i < x->nkept; i++)
		if (strcmp(x->kept[i], key) == 0)
			return true;
	return false;
}

/* Removes what no longer belongs, after the manifests that stopped naming it. */
static cw_status prune_objects(struct export *x)
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

static cw_status prune_records(struct export *x)
{
	static const char *const sub[] = {"clients", "manifests"};
	char dir[PATH_MAX], path[PATH_MAX], client[264];
	cw_status s = CW_OK;
	for (size_t k = 0; k < 2 && s == CW_OK; k++) {
		if ((s = cw_path(dir, sizeof dir, "%s/%s", x->out, sub[k])) != CW_OK)
			break;
		DIR *d = opendir(dir);
		if (d == NULL)
			return CW_ERR_IO;
		struct dirent *de;
		while (s == CW_OK && (de = readdir(d)) != NULL) {
			snprintf(client, sizeof client, "%s", de->d_name);
			char *dot = k == 0 ? strstr(client, ".json") : NULL;
			if (dot != NULL && dot[5] == '\0')
				*dot = '\0';
			if (de->d_name[0] == '.' || selected(x, client))
				continue;
			if ((s = cw_path(path, sizeof path, "%s/%s", dir, de->d_name)) == CW_OK &&
			    unlink(path) != 0 && errno != ENOENT)
				s = CW_ERR_IO;
		}
		closedir(d);
	}
	return s;
}

/* OUTDIR: new or empty, or an earlier export (its wallet.json says so); never the data
 * directory itself or anything inside it. */
static int check_outdir(const char *cmd, ws_store *st, const char *out)
{
	char rd[PATH_MAX], ro[PATH_MAX], m[PATH_MAX + 16];
	if (cw_mkdir_p(out, 0755) != CW_OK)
		return wl_fail(cmd, WL_EXIT_FAIL, "cannot create %s: %s", out, strerror(errno));
	if (realpath(ws_store_dir(st), rd) == NULL || realpath(out, ro) == NULL)
		return wl_fail(cmd, WL_EXIT_FAIL, "cannot resolve %s: %s", out, strerror(errno));
	size_t n = strlen(rd);
	if (strncmp(ro, rd, n) == 0 && (ro[n] == '\0' || ro[n] == '/'))
		return wl_usage_error(cmd, "%s is inside the data directory", out);
	snprintf(m, sizeof m, "%s/" MARKER, ro);
	if (access(m, F_OK) == 0)
		return 0;
	DIR *d = opendir(ro);
	struct dirent *de;
	bool empty = true;
	while (d != NULL && (de = readdir(d)) != NULL)
		empty = empty && (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0);
	if (d != NULL)
		closedir(d);
	return empty ? 0
	             : wl_fail(cmd, WL_EXIT_FAIL,
	                       "%s is neither empty nor an earlier export: refusing to write there",
	                       out);
}

static cw_status add_unrevoked(const ws_client *c, void *arg)
{
	struct export *x = arg;
	return c->revoked ? CW_OK : cw_strv_add(&x->clients, &x->nclients, c->client);
}

/* The clients asked for (each registered, unrevoked), or all of them. */
static int pick_clients(struct export *x, char **asked, size_t nasked)
{
	char m[256];
	if (nasked == 0) {
		cw_status s = ws_client_list(x->st, add_unrevoked, x);
		return s == CW_OK ? 0
		                  : wl_fail(CMD, WL_EXIT_FAIL, "cannot list the clients: %s",
		                            wl_errmsg(s, errno, m, sizeof m));
	}
	for (size_t i = 0; i < nasked; i++) {
		ws_client c;
		cw_status s = ws_client_get(x->st, asked[i], &c);
		if (s == CW_ERR_NOTFOUND)
			return wl_fail(CMD, WL_EXIT_FAIL, "unknown client '%s'", asked[i]);
		if (s != CW_OK || c.revoked)
			return wl_fail(CMD, WL_EXIT_FAIL, "client '%s' %s", asked[i],
			               s == CW_OK ? "is revoked"
			                          : wl_errmsg(s, errno, m, sizeof m));
		if (!selected(x, asked[i]) && cw_strv_add(&x->clients, &x->nclients, asked[i]))
			return wl_fail(CMD, WL_EXIT_FAIL, "out of memory");
	}
	return 0;
}

static int run_export(struct export *x)
{
	char m[256];
	int agent = wg_agent_enter(ws_store_gnupg(x->st));
	int rc = wl_update_manifests(CMD, x->st, (const char *const *)x->clients, x->nclients,
	                             "nothing exported");
	wg_agent_leave(ws_store_gnupg(x->st), agent);
	if (rc != 0)
		return rc;
	char src[PATH_MAX];
	cw_status s = cw_path(src, sizeof src, "%s/" MARKER, ws_store_dir(x->st));
	if (s == CW_OK && (s = export_objects(x)) == CW_OK && (s = export_records(x)) == CW_OK &&
	    (s = copy_file(src, x->out, MARKER)) == CW_OK && (s = prune_objects(x)) == CW_OK &&
	    (s = prune_records(x)) == CW_OK)
		s = cw_fsync_dir(x->out);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "%s",
		               x->err[0] ? x->err : wl_errmsg(s, errno, m, sizeof m));
	printf("exported %zu version(s) for %zu client(s) to %s\n", x->nkept, x->nclients, x->out);
	return 0;
}

int cmd_export(int argc, char **argv, const struct wallet_ctx *ctx)
{
	static const struct option lo[] = {{"client", required_argument, NULL, 'c'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	char **asked = NULL;
	size_t nasked = 0;
	struct export x = {0};
	int c, rc = WL_EXIT_USAGE;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_export(stdout);
			rc = 0;
			goto out;
		}
		if (c == 'c') {
			if (!cw_client_name_valid(optarg, strlen(optarg))) {
				rc = wl_usage_error(CMD, "invalid client name '%.80s'", optarg);
				goto out;
			}
			if (cw_strv_add(&asked, &nasked, optarg) != CW_OK) {
				rc = wl_fail(CMD, WL_EXIT_FAIL, "out of memory");
				goto out;
			}
		} else if (c == 'd') {
			datadir = optarg;
		} else {
			goto out;
		}
	}
	if (optind >= argc) {
		rc = wl_usage_error(CMD, "missing OUTDIR");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind + 1]);
		goto out;
	}
	x.out = argv[optind];
	if ((rc = wl_open(CMD, datadir, &x.st)) != 0 ||
	    (rc = check_outdir(CMD, x.st, x.out)) != 0 || (rc = pick_clients(&x, asked, nasked)))
		goto out;
	rc = run_export(&x);
out:
	cw_strv_free(asked, nasked);
	cw_strv_free(x.clients, x.nclients);
	cw_strv_free(x.kept, x.nkept);
	ws_store_close(x.st);
	return rc;
}
