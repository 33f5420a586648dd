/* wallet export DIR [--client NAME]...: a copy of the data without any secret key (export.h). */
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
#include "export.h"
#include "fsutil.h"
#include "keyring.h"
#include "sealfmt.h"
#include "strv.h"

#define CMD "export"
#define MARKER "wallet.json"

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

struct picked {
	char **v;
	size_t n;
};

static bool picked_has(const struct picked *p, const char *client)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], client) == 0)
			return true;
	return false;
}

static cw_status add_unrevoked(const ws_client *c, void *arg)
{
	struct picked *p = arg;
	return c->revoked ? CW_OK : cw_strv_add(&p->v, &p->n, c->client);
}

/* The clients asked for (each registered, unrevoked), or all of them. */
static int pick_clients(ws_store *st, struct picked *x, char **asked, size_t nasked)
{
	char m[256];
	if (nasked == 0) {
		cw_status s = ws_client_list(st, add_unrevoked, x);
		return s == CW_OK ? 0
		                  : wl_fail(CMD, WL_EXIT_FAIL, "cannot list the clients: %s",
		                            wl_errmsg(s, errno, m, sizeof m));
	}
	for (size_t i = 0; i < nasked; i++) {
		ws_client c;
		cw_status s = ws_client_get(st, asked[i], &c);
		if (s == CW_ERR_NOTFOUND)
			return wl_fail(CMD, WL_EXIT_FAIL, "unknown client '%s'", asked[i]);
		if (s != CW_OK || c.revoked)
			return wl_fail(CMD, WL_EXIT_FAIL, "client '%s' %s", asked[i],
			               s == CW_OK ? "is revoked"
			                          : wl_errmsg(s, errno, m, sizeof m));
		if (!picked_has(x, asked[i]) && cw_strv_add(&x->v, &x->n, asked[i]))
			return wl_fail(CMD, WL_EXIT_FAIL, "out of memory");
	}
	return 0;
}

static int run_export(ws_store *st, const char *out, const struct picked *p)
{
	char err[512];
	size_t nv = 0;
	int agent = wg_agent_enter(ws_store_gnupg(st));
	int rc = wl_update_manifests(CMD, st, (const char *const *)p->v, p->n, "nothing exported");
	wg_agent_leave(ws_store_gnupg(st), agent);
	if (rc != 0)
		return rc;
	cw_status s = ws_export(st, out, (const char *const *)p->v, p->n, &nv, err, sizeof err);
	if (s == CW_ERR_IO && wl_disk_full(out))
		return wl_fail(CMD, WL_EXIT_FAIL, "%s: %s", err, strerror(ENOSPC));
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "%s", err);
	printf("exported %zu version(s) for %zu client(s) to %s\n", nv, p->n, out);
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
	struct picked x = {NULL, 0};
	ws_store *st = NULL;
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
	const char *outdir = argv[optind];
	if ((rc = wl_open(CMD, datadir, &st)) != 0 || (rc = check_outdir(CMD, st, outdir)) != 0 ||
	    (rc = pick_clients(st, &x, asked, nasked)) != 0)
		goto out;
	rc = run_export(st, outdir, &x);
out:
	cw_strv_free(asked, nasked);
	cw_strv_free(x.v, x.n);
	ws_store_close(st);
	return rc;
}
