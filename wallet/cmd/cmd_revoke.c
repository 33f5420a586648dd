/* wallet revoke CLIENT [--cert FILE]: the server refuses CLIENT, or one certificate of it,
 * from now on. wallet unrevoke CLIENT [--cert FILE] undoes either. The two are mirror images
 * and share their options, the reading of FILE and the record's lock: one file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "certid.h"
#include "cli.h"
#include "fsutil.h"
#include "keyring.h"

#define CERT_FILE_MAX ((size_t)1 << 20) /* a PEM file with a long chain stays far below */
#define STR_(x) #x
#define STR(x) STR_(x)
#define CERTS_MAX STR(WS_REVOKED_CERTS_MAX)

void usage_revoke(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] revoke CLIENT [--cert FILE]\n"
	    "\n"
	    "Marks CLIENT revoked: 'wallet serve' refuses it (403) whatever its certificate says,\n"
	    "and 'wallet store' no longer seals to it. Objects already sealed to it stay as they\n"
	    "are: store them again without it to re-seal them. Revocation lasts until 'wallet\n"
	    "unrevoke', also across 'importkey --replace'. Revoking twice is not an error.\n"
	    "CLIENT's manifest goes too: replicas and mirrors drop it at their next export, and\n"
	    "a copy of it that they still hold expires with its lifetime.\n"
	    "\n"
	    "With --cert, only that certificate of CLIENT is refused (403), from the next request\n"
	    "on; CLIENT's other certificates, its manifest and what is sealed to it stay. FILE is\n"
	    "the certificate in PEM (its first one, as a TLS client presents it first); its CN\n"
	    "must be CLIENT. It is recorded by its fingerprint (SHA-256 of the DER certificate),\n"
	    "at most " CERTS_MAX " per client, until 'wallet unrevoke CLIENT --cert FILE'.\n"
	    "\n"
	    "Options:\n"
	    "  --cert FILE  revoke this certificate of CLIENT only\n"
	    "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA ")\n"
	    "  --help       this text\n",
	    out);
}

void usage_unrevoke(FILE *out)
{
	fputs("Usage: wallet [--data DIR] unrevoke CLIENT [--cert FILE]\n"
	      "\n"
	      "Undoes 'wallet revoke CLIENT': 'wallet serve' accepts CLIENT again from the next\n"
	      "request on, 'wallet store' seals to it again, and its manifest is signed again at\n"
	      "once. Certificates revoked one by one stay revoked: clear each with --cert.\n"
	      "\n"
	      "With --cert, clears the revocation of that certificate of CLIENT only (FILE: the\n"
	      "certificate in PEM, its CN must be CLIENT). Unrevoking what is not revoked is not\n"
	      "an error (it says so); an unknown CLIENT is.\n"
	      "\n"
	      "Options:\n"
	      "  --cert FILE  clear the revocation of this certificate of CLIENT only\n"
	      "  --data DIR   data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	      ")\n"
	      "  --help       this text\n",
	      out);
}

/* What both commands were given. */
struct rv_args {
	const char *datadir;
	const char *client;
	const char *cert; /* --cert FILE, or NULL */
};

/* Returns -1 to go on, else the exit code (0 after --help). */
static int parse(const char *cmd, int argc, char **argv, const struct wallet_ctx *ctx,
                 cw_usage_fn usage, struct rv_args *a)
{
	static const struct option lo[] = {{"cert", required_argument, NULL, 'c'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	int c, rc;
	memset(a, 0, sizeof *a);
	a->datadir = ctx->datadir;
	while ((c = wl_getopt(cmd, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'c')
			a->cert = optarg;
		else if (c == 'd')
			a->datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if ((rc = wl_client_arg(cmd, argc, argv, &a->client)) != 0)
		return rc;
	return -1;
}

/* The fingerprint of the certificate in file, which must name client. Returns 0 or the exit
 * code after one error line. */
static int cert_of(const char *cmd, const char *file, const char *client, char sha256[65])
{
	unsigned char *pem = NULL;
	size_t len;
	char cn[CW_CLIENT_NAME_MAX + 1], err[128], m[256];
	int rc = WL_EXIT_FAIL;
	cw_status s = cw_read_file(file, CERT_FILE_MAX, &pem, &len);
	if (s == CW_ERR_TOOBIG)
		wl_fail(cmd, rc, "%s: larger than %zu bytes: not a certificate", file,
		        CERT_FILE_MAX);
	else if (s != CW_OK)
		wl_fail(cmd, rc, "cannot read %s: %s", file,
		        s == CW_ERR_NOTFOUND ? strerror(ENOENT) : wl_errmsg(s, errno, m, sizeof m));
	else if (cw_cert_id_pem(pem, len, cn, sha256, err, sizeof err) != CW_OK)
		wl_fail(cmd, rc, "%s: %s", file, err);
	else if (cn[0] == '\0')
		wl_fail(cmd, rc,
		        "%s: the certificate has no usable CN (exactly one, UTF-8, at most %d "
		        "bytes), so it cannot be %s's",
		        file, CW_CLIENT_NAME_MAX, client);
	else if (strcmp(cn, client) != 0)
		wl_fail(cmd, rc, "%s is a certificate of '%s', not of '%s'", file, cn, client);
	else
		rc = 0;
	free(pem);
	return rc;
}

/* Opens the store, takes the client records' lock and reads client's record, and the
 * fingerprint of a->cert when given. Returns 0 or the exit code after one error line; *st
 * and *lock are the caller's to release either way. */
static int begin(const char *cmd, const struct rv_args *a, ws_store **st, int *lock, ws_client *cl,
                 char sha256[65])
{
	int rc;
	*st = NULL;
	*lock = -1;
	if (a->cert != NULL && (rc = cert_of(cmd, a->cert, a->client, sha256)) != 0)
		return rc;
	if ((rc = wl_open(cmd, a->datadir, st)) != 0)
		return rc;
	if ((*lock = ws_clients_lock(*st)) < 0)
		return wl_fail(cmd, WL_EXIT_FAIL, "cannot lock %s/clients: %s", a->datadir,
		               strerror(errno));
	rc = wl_client_get(cmd, *st, a->client, cl);
	if (rc == WL_CLIENT_NONE)
		rc = wl_fail(cmd, WL_EXIT_FAIL, "unknown client '%s'", a->client);
	return rc;
}

static void end(ws_store *st, int lock)
{
	ws_clients_unlock(lock);
	ws_store_close(st);
}

static int put(const char *cmd, ws_store *st, const ws_client *cl, const char *what)
{
	char m[256];
	cw_status s = ws_client_put(st, cl, true);
	if (s == CW_OK)
		return 0;
	return wl_fail(cmd, WL_EXIT_FAIL, "cannot %s %s: %s", what, cl->client,
	               wl_errmsg_in(ws_store_dir(st), s, errno, m, sizeof m));
}

/* Signs client's manifest again (or removes it, for a revoked client). */
static int manifest(const char *cmd, ws_store *st, const char *client, const char *done)
{
	int agent = wg_agent_enter(ws_store_gnupg(st));
	const char *one[] = {client};
	int rc = wl_update_manifests(cmd, st, one, 1, done);
	wg_agent_leave(ws_store_gnupg(st), agent);
	return rc;
}

static int revoke_cert(ws_store *st, ws_client *cl, const char *sha256)
{
	const ws_revoked_cert *was = ws_client_cert_revoked(cl, sha256);
	if (was != NULL) {
		printf("certificate %s of %s was revoked already (since %s)\n", sha256, cl->client,
		       was->revoked_at[0] ? was->revoked_at : "an unknown time");
		return 0;
	}
	if (ws_client_revoke_cert(cl, sha256) == CW_ERR_TOOBIG)
		return wl_fail("revoke", WL_EXIT_FAIL,
		               "%s has %d revoked certificates already: unrevoke those that "
		               "have expired first ('wallet unrevoke %s --cert FILE')",
		               cl->client, WS_REVOKED_CERTS_MAX, cl->client);
	int rc = put("revoke", st, cl, "revoke a certificate of");
	if (rc == 0)
		printf("revoked certificate %s of %s\n", sha256, cl->client);
	return rc;
}

int cmd_revoke(int argc, char **argv, const void *arg)
{
	struct rv_args a;
	ws_store *st;
	ws_client cl;
	char sha256[65];
	int lock, rc;

	if ((rc = parse("revoke", argc, argv, arg, usage_revoke, &a)) >= 0)
		return rc;
	if ((rc = begin("revoke", &a, &st, &lock, &cl, sha256)) != 0)
		goto out;
	if (a.cert != NULL) {
		rc = revoke_cert(st, &cl, sha256);
		goto out;
	}
	if (!cl.revoked) {
		cl.revoked = true;
		ws_time_now(cl.revoked_at);
		if ((rc = put("revoke", st, &cl, "revoke")) != 0)
			goto out;
	}
	if ((rc = manifest("revoke", st, a.client, "revoked")) == 0)
		printf("revoked %s (since %s)\n", a.client, cl.revoked_at);
out:
	end(st, lock);
	return rc;
}

int cmd_unrevoke(int argc, char **argv, const void *arg)
{
	struct rv_args a;
	ws_store *st;
	ws_client cl;
	char sha256[65];
	int lock, rc;

	if ((rc = parse("unrevoke", argc, argv, arg, usage_unrevoke, &a)) >= 0)
		return rc;
	if ((rc = begin("unrevoke", &a, &st, &lock, &cl, sha256)) != 0)
		goto out;
	if (a.cert != NULL) {
		if (!ws_client_unrevoke_cert(&cl, sha256))
			printf("certificate %s of %s is not revoked: nothing to do\n", sha256,
			       a.client);
		else if ((rc = put("unrevoke", st, &cl, "unrevoke a certificate of")) == 0)
			printf("unrevoked certificate %s of %s\n", sha256, a.client);
		goto out;
	}
	bool was = cl.revoked;
	if (was) {
		cl.revoked = false;
		cl.revoked_at[0] = '\0';
		if ((rc = put("unrevoke", st, &cl, "unrevoke")) != 0)
			goto out;
	}
	/* Signed even when it was not revoked: running it again finishes one that was killed
	 * between the record and the manifest. */
	if ((rc = manifest("unrevoke", st, a.client, was ? "unrevoked" : "not revoked")) != 0)
		goto out;
	if (was)
		printf("unrevoked %s", a.client);
	else
		printf("%s is not revoked: nothing to do", a.client);
	if (cl.ncerts > 0)
		printf(" (%zu of its certificates stay revoked: 'wallet unrevoke %s --cert FILE' "
		       "clears one)",
		       cl.ncerts, a.client);
	putchar('\n');
out:
	end(st, lock);
	return rc;
}
