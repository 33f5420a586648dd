/* wallet export DIR [--client NAME]...: a copy of the data without any secret key (export.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "keyring.h"
#include "strv.h"

#define CMD "export"

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

struct picked {
	char **v;
	size_t n;
};

/* The clients asked for, each registered and unrevoked (none: every unrevoked client). */
static int check_clients(ws_store *st, struct picked *x, char **asked, size_t nasked)
{
	char m[256];
	for (size_t i = 0; i < nasked; i++) {
		ws_client c;
		bool dup = false;
		cw_status s = ws_client_get(st, asked[i], &c);
		if (s == CW_ERR_NOTFOUND)
			return wl_fail(CMD, WL_EXIT_FAIL, "unknown client '%s'", asked[i]);
		if (s != CW_OK || c.revoked)
			return wl_fail(CMD, WL_EXIT_FAIL, "client '%s' %s", asked[i],
			               s == CW_OK ? "is revoked"
			                          : wl_errmsg(s, errno, m, sizeof m));
		for (size_t k = 0; k < x->n && !dup; k++)
			dup = strcmp(x->v[k], asked[i]) == 0;
		if (!dup && cw_strv_add(&x->v, &x->n, asked[i]) != CW_OK)
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
	/* p->v NULL: every client's manifest, and every unrevoked client's data */
	wg_agent_leave(ws_store_gnupg(st), agent);
	if (rc != 0)
		return rc;
	cw_status s = ws_export(st, out, (const char *const *)p->v, p->n, &nv, err, sizeof err);
	if (s != CW_OK && wl_disk_full(out))
		return wl_fail(CMD, WL_EXIT_FAIL, "%s: %s in %s", err, strerror(ENOSPC), out);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "%s", err);
	printf("exported %zu version(s) to %s\n", nv, out);
	return 0;
}

int cmd_export(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
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
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		goto out;
	char err[512];
	cw_status s = ws_export_prepare(st, outdir, err, sizeof err);
	if (s != CW_OK) {
		rc = s == CW_ERR_USAGE ? wl_usage_error(CMD, "%s", err)
		     : wl_disk_full(outdir)
		         ? wl_fail(CMD, WL_EXIT_FAIL, "%s: %s in %s", err, strerror(ENOSPC), outdir)
		         : wl_fail(CMD, WL_EXIT_FAIL, "%s", err);
		goto out;
	}
	if ((rc = check_clients(st, &x, asked, nasked)) != 0)
		goto out;
	rc = run_export(st, outdir, &x);
out:
	cw_strv_free(asked, nasked);
	cw_strv_free(x.v, x.n);
	ws_store_close(st);
	return rc;
}
