/* wallet revoke CLIENT: the server refuses CLIENT from now on. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "keyring.h"

#define CMD "revoke"

void usage_revoke(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] revoke CLIENT\n"
	    "\n"
	    "Marks CLIENT revoked: 'wallet serve' refuses it (403) whatever its certificate says,\n"
	    "and 'wallet store' no longer seals to it. Objects already sealed to it stay as they\n"
	    "are: store them again without it to re-seal them. Revocation is permanent for the\n"
	    "name, also across 'importkey --replace'. Revoking twice is not an error.\n"
	    "CLIENT's manifest goes too: replicas and mirrors drop it at their next export, and\n"
	    "a copy of it that they still hold expires with its lifetime.\n"
	    "\n"
	    "Options:\n"
	    "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA ")\n"
	    "  --help       this text\n",
	    out);
}

int cmd_revoke(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	const char *datadir;
	ws_store *st = NULL;
	ws_client cl;
	char m[256];
	int c, rc;

	if ((c = wl_data_opts(CMD, argc, argv, ctx, usage_revoke, &datadir)) >= 0)
		return c;
	const char *client = NULL;
	if ((rc = wl_client_arg(CMD, argc, argv, &client)) != 0)
		return rc;
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	rc = wl_client_get(CMD, st, client, &cl);
	if (rc == WL_CLIENT_NONE)
		rc = wl_fail(CMD, WL_EXIT_FAIL, "unknown client '%s'", client);
	if (rc != 0)
		goto out;
	if (!cl.revoked) {
		cl.revoked = true;
		ws_time_now(cl.revoked_at);
		cw_status s = ws_client_put(st, &cl, true);
		if (s != CW_OK) {
			rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot revoke %s: %s", client,
			             wl_errmsg_in(datadir, s, errno, m, sizeof m));
			goto out;
		}
	}
	int agent = wg_agent_enter(ws_store_gnupg(st));
	const char *one[] = {client};
	rc = wl_update_manifests(CMD, st, one, 1, "revoked");
	wg_agent_leave(ws_store_gnupg(st), agent);
	if (rc != 0)
		goto out;
	printf("revoked %s (since %s)\n", client, cl.revoked_at);
out:
	ws_store_close(st);
	return rc;
}
