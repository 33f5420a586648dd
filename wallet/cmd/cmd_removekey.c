/* wallet removekey CLIENT [--force]: forgets a client: its record, its public key, its
 * manifest.
 *
 * The record goes first, in one rename (ws_client_remove_begin): from then on no reader knows
 * the client, and what is left (the manifest, the key, the renamed record) is only what a
 * later run removes. So a kill at any point leaves either the client whole or a removal that
 * running the same command again finishes, and checkintegrity passes in both. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "gpgutil.h"
#include "keyring.h"

#define CMD "removekey"
#define LIST_MAX 400 /* bytes of "name vN, ..." named in a message; the rest is counted */

void usage_removekey(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] removekey CLIENT [--force]\n"
	    "\n"
	    "Removes CLIENT entirely: its record, its public key from the wallet's keyring (kept\n"
	    "when another client has the same key) and its manifest. 'wallet serve' refuses it\n"
	    "from the next request on, as an unknown client (403).\n"
	    "Refused while the latest version of an object is still sealed to CLIENT (the error\n"
	    "names them): store those again without it first. With --force it is removed anyway\n"
	    "and those objects stay as they are, sealed to a client that can no longer fetch\n"
	    "them. Older versions sealed to it stay too ('checkintegrity' warns about them).\n"
	    "Its revocations go with it: a client imported later under the same name starts\n"
	    "without any. A removal that was interrupted is finished by running it again.\n"
	    "\n"
	    "Options:\n"
	    "  --force      remove CLIENT even though objects are still sealed to it\n"
	    "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA ")\n"
	    "  --help       this text\n",
	    out);
}

/* The objects whose latest version is sealed to client, as "name vN, ..." */
struct sealed {
	const char *client;
	char list[LIST_MAX + 1];
	size_t n, more;
};

static cw_status add_sealed(const ws_entry *e, void *arg)
{
	struct sealed *s = arg;
	char item[CW_NAME_MAX + 32];
	bool mine = false;
	for (size_t i = 0; i < e->nrecipients && !mine; i++)
		mine = strcmp(e->recipients[i].client, s->client) == 0;
	if (!mine)
		return CW_OK;
	snprintf(item, sizeof item, "%s%s v%llu", s->n > 0 ? ", " : "", e->name,
	         (unsigned long long)e->version);
	size_t used = strlen(s->list);
	if (s->more == 0 && used + strlen(item) <= LIST_MAX) {
		memcpy(s->list + used, item, strlen(item) + 1);
		s->n++;
	} else {
		s->more++;
	}
	return CW_OK;
}

/* " and N more", or "" */
static const char *more_text(const struct sealed *s, char *buf, size_t bufsz)
{
	buf[0] = '\0';
	if (s->more > 0)
		snprintf(buf, bufsz, " and %zu more", s->more);
	return buf;
}

/* The name of a registered client that has the key fpr (or whose record cannot be read, and
 * so might), into who; false when there is none. The client being removed is no longer
 * registered; under its name is a client imported again after an interrupted removal. */
static bool key_shared(ws_store *st, const char *fpr, char *who, size_t whosz)
{
	char **names = NULL;
	size_t n = 0;
	bool shared = false;
	if (cw_fpr_equal(fpr, ws_store_signing_fpr(st))) {
		snprintf(who, whosz, "the wallet itself");
		return true;
	}
	if (ws_client_names(st, &names, &n) != CW_OK) {
		snprintf(who, whosz, "perhaps another client (clients/ cannot be listed)");
		return true;
	}
	for (size_t i = 0; i < n && !shared; i++) {
		ws_client c;
		cw_status s = ws_client_get(st, names[i], &c);
		shared = s != CW_OK || cw_fpr_equal(c.fingerprint, fpr);
		if (shared)
			snprintf(who, whosz, "%s", names[i]);
	}
	cw_strv_free(names, n);
	return shared;
}

/* Removes what belonged to the client of record cl, which ws_client_remove_begin took out of
 * clients/: its manifest, its key unless shared (*kept: who else has it, or ""), the renamed
 * record. Returns 0 or WL_EXIT_FAIL after one line. */
static int finish(ws_store *st, const ws_client *cl, char *kept, size_t keptsz)
{
	char err[512], m[256];
	const char *one[] = {cl->client};
	const char *dir = ws_store_dir(st);
	cw_status s = ws_manifests_update(st, one, 1, err, sizeof err);
	kept[0] = '\0';
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL,
		               "%s is removed, but not its manifest: %s; run 'wallet removekey %s' "
		               "again to finish",
		               cl->client, wl_disk_full(dir) ? strerror(ENOSPC) : err, cl->client);
	bool shared = key_shared(st, cl->fingerprint, kept, keptsz);
	if (!shared &&
	    (s = wg_delete_public(ws_store_gnupg(st), cl->fingerprint, err, sizeof err)) != CW_OK &&
	    s != CW_ERR_NOTFOUND)
		return wl_fail(CMD, WL_EXIT_FAIL,
		               "%s is removed, but its key %s is still in the keyring: %s; run "
		               "'wallet removekey %s' again to finish",
		               cl->client, cl->fingerprint,
		               wl_disk_full(dir) ? strerror(ENOSPC) : err, cl->client);
	if ((s = ws_client_remove_end(st, cl->client)) != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL,
		               "%s is removed, but clients/.%s.removing is left: %s; run 'wallet "
		               "removekey %s' again to finish",
		               cl->client, cl->client, wl_errmsg_in(dir, s, errno, m, sizeof m),
		               cl->client);
	return 0;
}

/* A removal of client that did not end (killed): finished first. *done tells whether there
 * was one. Returns 0 or the exit code after one line. */
static int finish_pending(ws_store *st, const char *client, bool *done)
{
	ws_client old;
	char kept[CW_CLIENT_NAME_MAX + 64], m[256];
	cw_status s = ws_client_removing(st, client, &old);
	*done = false;
	if (s == CW_ERR_NOTFOUND)
		return 0;
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot read clients/.%s.removing: %s", client,
		               wl_errmsg(s, errno, m, sizeof m));
	*done = true;
	return finish(st, &old, kept, sizeof kept);
}

/* Removes the registered client cl, unless objects are still sealed to it (force aside). */
static int remove_client(ws_store *st, const ws_client *cl, bool force)
{
	struct sealed sl = {.client = cl->client};
	char kept[CW_CLIENT_NAME_MAX + 64], more[48], m[256];
	cw_status s = ws_list(st, add_sealed, &sl);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot list the objects: %s",
		               wl_errmsg(s, errno, m, sizeof m));
	if (sl.n > 0 && !force)
		return wl_fail(CMD, WL_EXIT_FAIL,
		               "still sealed to %s: %s%s (store them again without it, or --force)",
		               cl->client, sl.list, more_text(&sl, more, sizeof more));
	if ((s = ws_client_remove_begin(st, cl->client)) != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot remove %s: %s", cl->client,
		               wl_errmsg_in(ws_store_dir(st), s, errno, m, sizeof m));
	int rc = finish(st, cl, kept, sizeof kept);
	if (rc != 0)
		return rc;
	if (kept[0] != '\0')
		printf(
		    "removed %s: its record and its manifest (its key %s stays: %s has it too)\n",
		    cl->client, cl->fingerprint, kept);
	else
		printf("removed %s: its record, its manifest and its key %s\n", cl->client,
		       cl->fingerprint);
	if (sl.n > 0)
		printf(
		    "still sealed to %s, which can no longer fetch them: %s%s (they stay as they "
		    "are)\n",
		    cl->client, sl.list, more_text(&sl, more, sizeof more));
	return 0;
}

int cmd_removekey(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"force", no_argument, NULL, 'f'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir, *client = NULL;
	bool force = false, pending;
	ws_store *st = NULL;
	ws_client cl;
	int c, rc, lock = -1, agent = -1;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_removekey(stdout);
			return 0;
		}
		if (c == 'f')
			force = true;
		else if (c == 'd')
			datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if ((rc = wl_client_arg(CMD, argc, argv, &client)) != 0)
		return rc;
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	if ((lock = ws_clients_lock(st)) < 0) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot lock %s/clients: %s", datadir,
		             strerror(errno));
		goto out;
	}
	agent = wg_agent_enter(ws_store_gnupg(st));
	if ((rc = finish_pending(st, client, &pending)) != 0)
		goto out;
	rc = wl_client_get(CMD, st, client, &cl);
	if (rc == WL_CLIENT_NONE && pending) {
		printf("finished removing %s (a removal that had been interrupted)\n", client);
		rc = 0;
	} else if (rc == WL_CLIENT_NONE) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "unknown client '%s'", client);
	} else if (rc == 0) {
		rc = remove_client(st, &cl, force);
	}
out:
	if (st != NULL && agent >= 0)
		wg_agent_leave(ws_store_gnupg(st), agent);
	ws_clients_unlock(lock);
	ws_store_close(st);
	return rc;
}
