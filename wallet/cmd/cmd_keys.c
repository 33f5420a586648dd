/* wallet keys [--json]: registered clients. */
#include <cjson/cJSON.h>

#include "cli.h"

#define CMD "keys"

void usage_keys(FILE *out)
{
	fputs("Usage: wallet [--data DIR] keys [--json]\n"
	      "\n"
	      "Lists the registered clients: name, key fingerprint, import time, whether the\n"
	      "client is revoked, and how many of its certificates are.\n"
	      "\n"
	      "Options:\n"
	      "  --json       one JSON array of {client, fingerprint, imported, revoked, "
	      "revoked_at,\n"
	      "               revoked_certs: [{sha256, revoked_at}]}\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

static cw_status print_text(const ws_client *c, void *arg)
{
	(void)arg;
	printf("%-20s %s  %s%s%s", c->client, c->fingerprint, c->imported,
	       c->revoked ? "  revoked " : "", c->revoked ? c->revoked_at : "");
	if (c->ncerts > 0)
		printf("  %zu revoked certificate%s", c->ncerts, c->ncerts == 1 ? "" : "s");
	putchar('\n');
	return CW_OK;
}

static cw_status add_json(const ws_client *c, void *arg)
{
	cJSON *o = ws_client_json(c);
	if (o == NULL || !cJSON_AddItemToArray(arg, o)) {
		cJSON_Delete(o);
		return CW_ERR_NOMEM;
	}
	return CW_OK;
}

static cw_status iterate(ws_store *st, cJSON *arr)
{
	return arr ? ws_client_list(st, add_json, arr) : ws_client_list(st, print_text, NULL);
}

int cmd_keys(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	return wl_listing(CMD, argc, argv, ctx, usage_keys, iterate, "clients");
}
