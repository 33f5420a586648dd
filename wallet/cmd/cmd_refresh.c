/* wallet refresh [--ttl SECONDS]: re-sign every client's manifest now. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keyring.h"

#define CMD "refresh"

void usage_refresh(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] refresh [--ttl SECONDS]\n"
	    "\n"
	    "Signs every client's manifest again, now: the list of objects the client may read\n"
	    "with their latest versions and hashes, valid for the manifests' lifetime. Clients\n"
	    "refuse an expired manifest, so a writer that does not run 'wallet serve' runs this\n"
	    "from cron well within the lifetime (every half of it at the latest).\n"
	    "\n"
	    "Options:\n"
	    "  --ttl SECONDS  the manifests' lifetime, from 10 up, for these manifests and every\n"
	    "                 later one (a setting of the data directory; default 86400)\n"
	    "  --data DIR     data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --help         this text\n",
	    out);
}

static bool parse_ttl(const char *s, int64_t *out)
{
	uint64_t v;
	if (!cw_version_parse(s, strlen(s), &v) || v < WS_TTL_MIN || v > WS_TTL_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

int cmd_refresh(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"ttl", required_argument, NULL, 't'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	int64_t ttl = 0;
	ws_store *st = NULL;
	char m[256];
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_refresh(stdout);
			return 0;
		}
		if (c == 't') {
			if (!parse_ttl(optarg, &ttl))
				return wl_usage_error(CMD,
				                      "bad --ttl '%.40s' (seconds, %d to %lld)",
				                      optarg, WS_TTL_MIN, (long long)WS_TTL_MAX);
		} else if (c == 'd') {
			datadir = optarg;
		} else {
			return WL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	cw_status s = ttl ? ws_manifest_set_ttl(st, ttl) : ws_manifest_ttl(st, &ttl);
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot %s the manifests' lifetime: %s",
		             ttl ? "record" : "read", wl_errmsg_in(datadir, s, errno, m, sizeof m));
		goto out;
	}
	int agent = wg_agent_enter(ws_store_gnupg(st));
	rc = wl_update_manifests(CMD, st, NULL, 0, "nothing signed");
	wg_agent_leave(ws_store_gnupg(st), agent);
	if (rc == 0)
		printf("manifests signed, valid for %" PRId64 " s\n", ttl);
out:
	ws_store_close(st);
	return rc;
}
