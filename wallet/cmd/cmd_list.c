/* wallet list [--json]: the latest version of every object. */
#include <cjson/cJSON.h>

#include "cli.h"

#define CMD "list"

void usage_list(FILE *out)
{
	fputs("Usage: wallet [--data DIR] list [--json]\n"
	      "\n"
	      "Lists every object: name, latest version, number of versions kept, size of the\n"
	      "sealed bytes, creation time of the latest version, recipients.\n"
	      "\n"
	      "Options:\n"
	      "  --json       one JSON array of {name, version, versions, created, size,\n"
	      "               recipients: [{client, fingerprint}]}\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

static cw_status print_text(const ws_entry *e, void *arg)
{
	(void)arg;
	printf("%-32s v%-6llu %4llu %8zu  %s  ", e->name, (unsigned long long)e->version,
	       (unsigned long long)e->nversions, e->size, e->created);
	for (size_t i = 0; i < e->nrecipients; i++)
		printf("%s%s", i ? "," : "", e->recipients[i].client);
	putchar('\n');
	return CW_OK;
}

static cw_status add_json(const ws_entry *e, void *arg)
{
	cJSON *arr = arg, *o = cJSON_CreateObject(), *rs;
	if (o == NULL || !cJSON_AddItemToArray(arr, o) ||
	    !cJSON_AddStringToObject(o, "name", e->name) ||
	    !cJSON_AddNumberToObject(o, "version", (double)e->version) ||
	    !cJSON_AddNumberToObject(o, "versions", (double)e->nversions) ||
	    !cJSON_AddStringToObject(o, "created", e->created) ||
	    !cJSON_AddNumberToObject(o, "size", (double)e->size) ||
	    (rs = cJSON_AddArrayToObject(o, "recipients")) == NULL)
		return CW_ERR_NOMEM;
	for (size_t i = 0; i < e->nrecipients; i++) {
		cJSON *r = cJSON_CreateObject();
		if (r == NULL || !cJSON_AddItemToArray(rs, r) ||
		    !cJSON_AddStringToObject(r, "client", e->recipients[i].client) ||
		    !cJSON_AddStringToObject(r, "fingerprint", e->recipients[i].fingerprint))
			return CW_ERR_NOMEM;
	}
	return CW_OK;
}

static cw_status iterate(ws_store *st, cJSON *arr)
{
	return arr ? ws_list(st, add_json, arr) : ws_list(st, print_text, NULL);
}

int cmd_list(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	return wl_listing(CMD, argc, argv, ctx, usage_list, iterate, "objects");
}
