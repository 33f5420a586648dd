/* wallet list [--json]: the latest version of every object. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

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

int cmd_list(int argc, char **argv, const struct wallet_ctx *ctx)
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
			usage_list(stdout);
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
		s = ws_list(st, add_json, arr);
		if (s == CW_OK && (txt = cJSON_PrintUnformatted(arr)) == NULL)
			s = CW_ERR_NOMEM;
		if (s == CW_OK)
			printf("%s\n", txt);
	} else {
		s = ws_list(st, print_text, NULL);
	}
	if (s != CW_OK)
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot list objects: %s",
		             wl_errmsg(s, errno, m, sizeof m));
out:
	cJSON_free(txt);
	cJSON_Delete(arr);
	ws_store_close(st);
	return rc;
}
