/* wallet rm NAME [--version N]. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "keyring.h"

#define CMD "rm"

void usage_rm(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] rm NAME [--version N]\n"
	    "\n"
	    "Removes every version of NAME, or only version N. Removing the latest version makes\n"
	    "the highest remaining one the latest. Version numbers are never reused: a later\n"
	    "store of NAME continues after the highest version ever issued.\n"
	    "\n"
	    "Options:\n"
	    "  --version N  remove only version N\n"
	    "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA ")\n"
	    "  --help       this text\n",
	    out);
}

int cmd_rm(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"version", required_argument, NULL, 'v'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	uint64_t version = 0;
	ws_store *st = NULL;
	char m[256];
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_rm(stdout);
			return 0;
		}
		if (c == 'v') {
			if (!cw_version_parse(optarg, strlen(optarg), &version))
				return wl_usage_error(CMD, "bad --version '%.40s'", optarg);
		} else if (c == 'd') {
			datadir = optarg;
		} else {
			return WL_EXIT_USAGE;
		}
	}
	const char *name = NULL;
	if ((rc = wl_name_arg(CMD, argc, argv, &name)) != 0)
		return rc;
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	cw_status s = ws_remove(st, name, version);
	if (s == CW_ERR_NOTFOUND) {
		if (version)
			rc = wl_fail(CMD, WL_EXIT_FAIL, "no version %" PRIu64 " of %s", version,
			             name);
		else
			rc = wl_fail(CMD, WL_EXIT_FAIL, "no object %s", name);
	} else if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot remove %s: %s", name,
		             wl_errmsg_in(datadir, s, errno, m, sizeof m));
	} else {
		/* the latest version may have changed, and with it who reads what: every
		 * client's manifest is signed again */
		int agent = wg_agent_enter(ws_store_gnupg(st));
		rc = wl_update_manifests(CMD, st, NULL, 0, "removed");
		wg_agent_leave(ws_store_gnupg(st), agent);
		if (rc == 0 && version)
			printf("removed %s version %" PRIu64 "\n", name, version);
		else if (rc == 0)
			printf("removed %s\n", name);
	}
	ws_store_close(st);
	return rc;
}
