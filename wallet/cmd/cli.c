#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "sealfmt.h"

int wl_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cw_cli_vfail(WL_PROG, cmd, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int wl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cw_cli_vusage(WL_PROG, cmd, fmt, ap);
	va_end(ap);
	return rc;
}

int wl_getopt(const char *cmd, int argc, char **argv, const struct option *lo)
{
	opterr = 0; /* we print our own single line */
	int c = getopt_long(argc, argv, ":h", lo, NULL);
	if (c == '?') {
		if (optopt != 0)
			wl_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			wl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		return WL_OPT_BAD;
	}
	if (c == ':') {
		wl_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		return WL_OPT_BAD;
	}
	return c;
}

const char *wl_errmsg(cw_status st, int err, char *buf, size_t bufsz)
{
	if (st == CW_ERR_IO && err != 0)
		snprintf(buf, bufsz, "%s", strerror(err));
	else
		snprintf(buf, bufsz, "%s", cw_strerror(st));
	return buf;
}

int wl_open(const char *cmd, const char *datadir, ws_store **out)
{
	char m[256];
	cw_status st = ws_store_open(datadir, out);
	if (st == CW_ERR_NOTFOUND)
		return wl_fail(cmd, WL_EXIT_FAIL,
		               "%s is not an initialised wallet data directory "
		               "(run 'wallet init')",
		               datadir);
	if (st != CW_OK)
		return wl_fail(cmd, WL_EXIT_FAIL, "cannot open data directory %s: %s", datadir,
		               wl_errmsg(st, errno, m, sizeof m));
	return 0;
}

/* By the time a failure is reported, gpg has removed its half-written files and the room they
 * took is free again: so "full" is "less room than gpg rewrites at a time", not "none". */
#define FULL_BYTES ((unsigned long long)256 << 10)
#define FULL_INODES 16

bool wl_disk_full(const char *dir)
{
	struct statvfs sv;
	if (dir == NULL || statvfs(dir, &sv) != 0)
		return false;
	return (unsigned long long)sv.f_bavail * sv.f_frsize < FULL_BYTES ||
	       (sv.f_files > 0 && sv.f_favail < FULL_INODES);
}

const char *wl_errmsg_in(const char *dir, cw_status st, int err, char *buf, size_t bufsz)
{
	if (st != CW_OK && wl_disk_full(dir)) {
		snprintf(buf, bufsz, "%s in %s", strerror(ENOSPC), dir);
		return buf;
	}
	return wl_errmsg(st, err, buf, bufsz);
}

int wl_listing(const char *cmd, int argc, char **argv, const struct wallet_ctx *ctx,
               cw_usage_fn usage, wl_iterate_fn iterate, const char *what)
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

	while ((c = wl_getopt(cmd, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage(stdout);
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
		return wl_usage_error(cmd, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = wl_open(cmd, datadir, &st)) != 0)
		return rc;
	cw_status s = CW_OK;
	if (json && (arr = cJSON_CreateArray()) == NULL)
		s = CW_ERR_NOMEM;
	if (s == CW_OK)
		s = iterate(st, arr);
	if (s == CW_OK && json) {
		if ((txt = cJSON_PrintUnformatted(arr)) == NULL)
			s = CW_ERR_NOMEM;
		else
			printf("%s\n", txt);
	}
	if (s != CW_OK)
		rc = wl_fail(cmd, WL_EXIT_FAIL, "cannot list %s: %s", what,
		             wl_errmsg(s, errno, m, sizeof m));
	cJSON_free(txt);
	cJSON_Delete(arr);
	ws_store_close(st);
	return rc;
}

int wl_client_arg(const char *cmd, int argc, char **argv, const char **client)
{
	if (optind >= argc)
		return wl_usage_error(cmd, "missing CLIENT");
	if (optind + 1 < argc)
		return wl_usage_error(cmd, "unexpected argument '%.80s'", argv[optind + 1]);
	*client = argv[optind];
	if (!cw_client_name_valid(*client, strlen(*client)))
		return wl_usage_error(cmd, "invalid client name '%.80s'", *client);
	return 0;
}

int wl_name_arg(const char *cmd, int argc, char **argv, const char **name)
{
	if (optind >= argc)
		return wl_usage_error(cmd, "missing NAME");
	if (optind + 1 < argc)
		return wl_usage_error(cmd, "unexpected argument '%.80s'", argv[optind + 1]);
	*name = argv[optind];
	if (!cw_name_valid(*name, strlen(*name)))
		return wl_usage_error(cmd, "invalid object name '%.80s'", *name);
	return 0;
}

int wl_client_get(const char *cmd, ws_store *st, const char *client, ws_client *cl)
{
	char m[256];
	cw_status s = ws_client_get(st, client, cl);
	if (s == CW_ERR_NOTFOUND)
		return WL_CLIENT_NONE;
	if (s != CW_OK)
		return wl_fail(cmd, WL_EXIT_FAIL, "cannot read client %s: %s", client,
		               wl_errmsg(s, errno, m, sizeof m));
	return 0;
}

int wl_data_opts(const char *cmd, int argc, char **argv, const struct wallet_ctx *ctx,
                 cw_usage_fn usage, const char **datadir)
{
	static const struct option lo[] = {{"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	int c;
	*datadir = ctx->datadir;
	while ((c = wl_getopt(cmd, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'd')
			return WL_EXIT_USAGE;
		*datadir = optarg;
	}
	return -1;
}

int wl_update_manifests(const char *cmd, ws_store *st, const char *const *clients, size_t n,
                        const char *done)
{
	char err[512];
	cw_status s = ws_manifests_update(st, clients, n, err, sizeof err);
	if (s == CW_OK)
		return 0;
	/* gpg's own words on a full disk are about anything but the disk */
	if (wl_disk_full(ws_store_dir(st)))
		return wl_fail(cmd, WL_EXIT_FAIL,
		               "%s, but the manifests are not updated: %s in %s; "
		               "run 'wallet refresh' once there is room",
		               done, strerror(ENOSPC), ws_store_dir(st));
	return wl_fail(cmd, WL_EXIT_FAIL,
	               "%s, but the manifests are not updated: %s; run "
	               "'wallet refresh'",
	               done, err);
}
