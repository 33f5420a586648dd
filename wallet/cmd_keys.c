/* wallet keys [--json]: registered clients. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "cli.h"

#define CMD "keys"

void usage_keys(FILE *out)
{
	fputs("Usage: wallet [--data DIR] keys [--json]\n"
	      "\n"
	      "Lists the registered clients: name, key fingerprint, import time, and whether the\n"
	      "client is revoked.\n"
	      "\n"
	      "Options:\n"
	      "  --json       one JSON array of {client, fingerprint, imported, revoked, "
	      "revoked_at}\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

static cw_status print_text(const ws_client *c, void *arg)
{
	(void)arg;
	printf("%-20s %s  %s%s%s\n", c->client, c->fingerprint, c->imported,
	       c->revoked ? "  revoked " : "", c->revoked ? c->revoked_at : "");
	return CW_OK;
}

static cw_status add_json(const ws_client *c, void *arg)
{
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(arg, o) ||
	    !cJSON_AddStringToObject(o, "client", c->client) ||
	    !cJSON_AddStringToObject(o, "fingerprint", c->fingerprint) ||
	    !cJSON_AddStringToObject(o, "imported", c->imported) ||
	    !cJSON_AddBoolToObject(o, "revoked", c->revoked) ||
	    !(c->revoked_at[0] ? cJSON_AddStringToObject(o, "revoked_at", c->revoked_at)
	                       : cJSON_AddNullToObject(o, "revoked_at")))
		return CW_ERR_NOMEM;
	return CW_OK;
}

int cmd_keys(int argc, char **argv, const struct wallet_ctx *ctx)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	bool json = false;
	ws_store *st = NULL;
	cJSON *arr = NULL;
	char *txt = NULL, m[256];
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_keys(stdout);
			return 0;
		}
		if (c == 'j')
			json = true;
		else if (c == 'd')
			datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	cw_status s;
	if (json) {
		if ((arr = cJSON_CreateArray()) == NULL) {
			rc = wl_fail(CMD, WL_EXIT_FAIL, "out of memory");
			goto out;
		}
		s = ws_client_list(st, add_json, arr);
		if (s == CW_OK && (txt = cJSON_PrintUnformatted(arr)) == NULL)
			s = CW_ERR_NOMEM;
		if (s == CW_OK)
			printf("%s\n", txt);
	} else {
		s = ws_client_list(st, print_text, NULL);
	}
	if (s != CW_OK)
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot list clients: %s",
		             wl_errmsg(s, errno, m, sizeof m));
out:
	cJSON_free(txt);
	cJSON_Delete(arr);
	ws_store_close(st);
	return rc;
}
