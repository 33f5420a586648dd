/* wallet init: data directory and the wallet's own signing key. Safe to run twice; finishes
 * an init that was interrupted between key generation and wallet.json. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "keyring.h"

#define CMD "init"

void usage_init(FILE *out)
{
	fputs("Usage: wallet [--data DIR] init\n"
	      "\n"
	      "Creates the data directory (mode 0700) with gnupg/, clients/, objects/ and tmp/,\n"
	      "generates the wallet's signing key (ed25519, sign only, no passphrase) in gnupg/\n"
	      "and records its fingerprint in wallet.json. Running it again changes nothing.\n"
	      "\n"
	      "Options:\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

int cmd_init(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	const char *datadir;
	char fpr[41] = "", err[512], m[256], gnupg[4096];
	char **secret = NULL;
	size_t nsecret = 0;
	ws_store *st = NULL;
	int c, rc = WL_EXIT_FAIL, agent = -1;
	cw_status s;

	if ((c = wl_data_opts(CMD, argc, argv, ctx, usage_init, &datadir)) >= 0)
		return c;
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

	if ((s = ws_store_layout(datadir)) != CW_OK || chmod(datadir, 0700) != 0)
		return wl_fail(
		    CMD, WL_EXIT_FAIL, "cannot create %s: %s", datadir,
		    wl_errmsg_in(datadir, s == CW_OK ? CW_ERR_IO : s, errno, m, sizeof m));
	snprintf(gnupg, sizeof gnupg, "%s/gnupg", datadir);
	agent = wg_agent_enter(gnupg);
	if ((s = wg_list_secret(gnupg, &secret, &nsecret)) != CW_OK) {
		rc =
		    wl_fail(CMD, WL_EXIT_FAIL, "cannot list keys in %s: %s", gnupg, cw_strerror(s));
		goto out;
	}
	s = ws_store_open(datadir, &st);
	if (s == CW_OK) {
		const char *want = ws_store_signing_fpr(st);
		for (size_t i = 0; i < nsecret; i++)
			if (strcasecmp(secret[i], want) == 0) {
				printf("already initialised: %s, signing key %s\n", datadir, want);
				rc = 0;
				goto out;
			}
		rc = wl_fail(CMD, WL_EXIT_FAIL,
		             "wallet.json names signing key %s, which is not in %s", want, gnupg);
		goto out;
	}
	if (s != CW_ERR_NOTFOUND) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot open %s: %s", datadir,
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	if (nsecret > 1) {
		rc = wl_fail(CMD, WL_EXIT_FAIL,
		             "%s holds %zu secret keys and no wallet.json: "
		             "refusing to guess which one signs",
		             gnupg, nsecret);
		goto out;
	}
	if (nsecret == 1) { /* an earlier init stopped before wallet.json */
		snprintf(fpr, sizeof fpr, "%s", secret[0]);
	} else if ((s = wg_create_signing_key(gnupg, fpr, err, sizeof err)) != CW_OK) {
		rc = wl_disk_full(datadir) ? wl_fail(CMD, WL_EXIT_FAIL, "%s: %s in %s", err,
		                                     strerror(ENOSPC), datadir)
		                           : wl_fail(CMD, WL_EXIT_FAIL, "%s", err);
		goto out;
	}
	s = ws_store_create(datadir, fpr);
	if (s != CW_OK && s != CW_ERR_EXISTS) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot write %s/wallet.json: %s", datadir,
		             wl_errmsg_in(datadir, s, errno, m, sizeof m));
		goto out;
	}
	if ((s = ws_store_open(datadir, &st)) != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot open %s: %s", datadir,
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	if ((rc = wl_update_manifests(CMD, st, NULL, 0, "initialised")) != 0)
		goto out;
	printf("initialised %s, signing key %s\n", datadir, fpr);
out:
	wg_agent_leave(gnupg, agent);
	cw_strv_free(secret, nsecret);
	ws_store_close(st);
	return rc;
}
