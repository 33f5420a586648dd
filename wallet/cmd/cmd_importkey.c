/* wallet importkey CLIENT: one public key on stdin becomes CLIENT's encryption key. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keyring.h"
#include "secmem.h"

#define CMD "importkey"

void usage_importkey(FILE *out)
{
	fputs("Usage: wallet [--data DIR] importkey [--replace] CLIENT < key.asc\n"
	      "\n"
	      "Reads one ASCII-armored OpenPGP public key on standard input and registers it as\n"
	      "the encryption key of CLIENT (the CN of that client's TLS certificate). Refuses\n"
	      "secret keys, several keys at once, expired or revoked keys, keys without an\n"
	      "encryption subkey, and a second key for CLIENT unless --replace is given.\n"
	      "Objects stored earlier stay sealed to the old key; store them again to re-seal.\n"
	      "\n"
	      "Options:\n"
	      "  --replace    replace CLIENT's registered key\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

int cmd_importkey(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"replace", no_argument, NULL, 'r'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir;
	bool replace = false, existed = false;
	char fpr[41], err[512], m[256];
	cw_sbuf key = {0};
	ws_store *st = NULL;
	ws_client old, cl;
	int c, rc, agent = -1, lock = -1;
	cw_status s;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_importkey(stdout);
			return 0;
		}
		if (c == 'r')
			replace = true;
		else if (c == 'd')
			datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	const char *client = NULL;
	if ((rc = wl_client_arg(CMD, argc, argv, &client)) != 0)
		return rc;
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	rc = wl_client_get(CMD, st, client, &old);
	if (rc == 0) {
		existed = true;
		if (!replace) {
			rc = wl_fail(CMD, WL_EXIT_FAIL,
			             "client %s already has key %s (use --replace to change it)",
			             client, old.fingerprint);
			goto out;
		}
	} else if (rc != WL_CLIENT_NONE) {
		goto out;
	}
	rc = WL_EXIT_FAIL;
	s = cw_sbuf_read_fd(&key, STDIN_FILENO, WG_KEY_MAX);
	if (s == CW_ERR_TOOBIG) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "key on stdin larger than %zu bytes", WG_KEY_MAX);
		goto out;
	}
	if (s != CW_OK || key.len == 0) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "no key on stdin%s%s", s != CW_OK ? ": " : "",
		             s != CW_OK ? wl_errmsg(s, errno, m, sizeof m) : "");
		goto out;
	}
	if ((lock = ws_clients_lock(st)) < 0) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot lock %s/clients: %s", datadir,
		             strerror(errno));
		goto out;
	}
	/* again under the lock: a revoke or a removal since the first look counts */
	if ((rc = wl_client_get(CMD, st, client, &old)) != 0 && rc != WL_CLIENT_NONE)
		goto out;
	existed = rc == 0;
	rc = WL_EXIT_FAIL;
	agent = wg_agent_enter(ws_store_gnupg(st));
	s = wg_import_public(ws_store_gnupg(st), key.data, key.len, fpr, err, sizeof err);
	if (s != CW_OK) {
		/* a refusal is about the key; anything else gpg says on a full disk is not */
		if (s != CW_ERR_KEY && wl_disk_full(datadir))
			rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot import the key of %s: %s in %s",
			             client, strerror(ENOSPC), datadir);
		else if (s != CW_ERR_KEY)
			rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot import the key of %s: %s", client,
			             err[0] != '\0' ? err : cw_strerror(s));
		else
			rc = wl_fail(CMD, WL_EXIT_FAIL, "key for %s refused: %s", client, err);
		goto out;
	}
	/* a revoked name (or certificate) stays revoked, whatever key it gets */
	if (existed)
		cl = old;
	else
		memset(&cl, 0, sizeof cl);
	snprintf(cl.client, sizeof cl.client, "%s", client);
	snprintf(cl.fingerprint, sizeof cl.fingerprint, "%s", fpr);
	ws_time_now(cl.imported);
	s = ws_client_put(st, &cl, existed && replace);
	if (s == CW_ERR_EXISTS) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "client %s was registered meanwhile", client);
		goto out;
	}
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot register client %s: %s", client,
		             wl_errmsg_in(datadir, s, errno, m, sizeof m));
		goto out;
	}
	const char *one[] = {client};
	if ((rc = wl_update_manifests(CMD, st, one, 1, "imported")) != 0)
		goto out;
	printf("%s %s\n", client, fpr);
out:
	if (st != NULL)
		wg_agent_leave(ws_store_gnupg(st), agent);
	cw_sbuf_free(&key);
	ws_clients_unlock(lock);
	ws_store_close(st);
	return rc;
}
