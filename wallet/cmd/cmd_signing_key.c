/* wallet signing-key [--fingerprint]: the wallet's public signing key, for clients to pin. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keyring.h"

#define CMD "signing-key"

void usage_signing_key(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] signing-key [--fingerprint]\n"
	    "\n"
	    "Prints the wallet's public signing key, ASCII-armored. Clients pin its fingerprint.\n"
	    "\n"
	    "Options:\n"
	    "  --fingerprint  print only the fingerprint (40 hex digits)\n"
	    "  --data DIR     data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --help         this text\n",
	    out);
}

int cmd_signing_key(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"fingerprint", no_argument, NULL, 'f'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	bool fpr_only = false;
	ws_store *st = NULL;
	unsigned char *key = NULL;
	size_t len;
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_signing_key(stdout);
			return 0;
		}
		if (c == 'f')
			fpr_only = true;
		else if (c == 'd')
			datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	if (fpr_only) {
		printf("%s\n", ws_store_signing_fpr(st));
		goto out;
	}
	cw_status s = wg_export_public(ws_store_gnupg(st), ws_store_signing_fpr(st), 1, &key, &len);
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot export key %s: %s",
		             ws_store_signing_fpr(st), cw_strerror(s));
		goto out;
	}
	fwrite(key, 1, len, stdout);
out:
	free(key);
	ws_store_close(st);
	return rc;
}
