/* wallet rotate-signing-key [--primary-key FILE]: a new signing subkey under the same primary
 * key, so that every client's pin stays valid; published and used at once (docs/DESIGN.md,
 * "Keys that change"). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keyring.h"
#include "secmem.h"

#define CMD "rotate-signing-key"

void usage_rotate_signing_key(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] rotate-signing-key [--primary-key FILE]\n"
	    "\n"
	    "Adds a new signing subkey (ed25519) to the wallet's key and signs with it from now "
	    "on:\n"
	    "every manifest is signed again at once, and every object stored from now on. The\n"
	    "primary key, whose fingerprint clients pin (--signer), stays, and so do the older\n"
	    "subkeys: what they signed still verifies while they are in the published key.\n"
	    "DATA/signing-key.asc, which 'wallet serve' serves at once and exports carry, then\n"
	    "holds the new subkey. 'wallet signing-key --list' shows the subkeys; wallet(1) tells\n"
	    "how to retire an old one and what to store again when one was compromised.\n"
	    "\n"
	    "The new subkey's binding signature needs the primary key's secret part. When it is\n"
	    "not in DATA/gnupg (kept offline, see wallet(1)), give it with --primary-key.\n"
	    "\n"
	    "Options:\n"
	    "  --primary-key FILE  the primary key's secret part, without passphrase (as\n"
	    "                      'gpg --export-secret-keys' writes it; - for standard input),\n"
	    "                      used in a throwaway GNUPGHOME in memory that is wiped\n"
	    "                      afterwards; only the new subkey's secret part enters "
	    "DATA/gnupg\n"
	    "  --data DIR          data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --help              this text\n",
	    out);
}

/* The key file (or standard input) into secure memory. */
static int read_primary(const char *file, cw_sbuf *buf)
{
	bool in = strcmp(file, "-") == 0;
	int fd = in ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return wl_fail(CMD, WL_EXIT_FAIL, "--primary-key %s: %s", file, strerror(errno));
	cw_status s = cw_sbuf_read_fd(buf, fd, WG_KEY_MAX);
	int e = errno;
	if (!in)
		close(fd);
	if (s == CW_OK && buf->len == 0)
		return wl_fail(CMD, WL_EXIT_FAIL, "--primary-key %s: empty", file);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "--primary-key %s: %s", file,
		               s == CW_ERR_TOOBIG ? "larger than a key file can be" : strerror(e));
	return 0;
}

/* The key as it is now: which part signs, and whether the primary's secret part is here. */
static int inspect(ws_store *st, char signer[41], bool *primary_here)
{
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0;
	if (wg_key_parts(ws_store_gnupg(st), ws_store_signing_fpr(st), parts, WG_PARTS_MAX, &n) !=
	    CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "the wallet's key %s is not in %s",
		               ws_store_signing_fpr(st), ws_store_gnupg(st));
	int k = wg_signing_part(parts, n);
	snprintf(signer, 41, "%s", k >= 0 ? parts[k].fpr : "none");
	*primary_here = parts[0].secret;
	return 0;
}

int cmd_rotate_signing_key(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"primary-key", required_argument, NULL, 'p'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir, *file = NULL;
	char before[41], newfpr[41], err[512], done[128];
	cw_sbuf primary = {0};
	ws_store *st = NULL;
	bool here = false;
	int c, rc, agent = -1;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_rotate_signing_key(stdout);
			return 0;
		}
		if (c == 'p')
			file = optarg;
		else if (c == 'd')
			datadir = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if (cw_nodump() != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot make the process non-dumpable");
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	const char *home = ws_store_gnupg(st), *fpr = ws_store_signing_fpr(st);
	agent = wg_agent_enter(home);
	if ((rc = inspect(st, before, &here)) != 0)
		goto out;
	if (file == NULL && !here) {
		rc = wl_fail(CMD, WL_EXIT_FAIL,
		             "the primary key's secret part is not in %s (kept offline): give it "
		             "with --primary-key FILE",
		             home);
		goto out;
	}
	if (file != NULL && (rc = read_primary(file, &primary)) != 0)
		goto out;
	cw_status s = wg_add_signing_subkey(home, fpr, file ? primary.data : NULL, primary.len,
	                                    newfpr, err, sizeof err);
	cw_sbuf_free(&primary); /* the primary's secret part goes as soon as it was used */
	if (s != CW_OK) {
		if (wl_disk_full(datadir))
			rc = wl_fail(CMD, WL_EXIT_FAIL, "%s: %s in %s", err, strerror(ENOSPC),
			             datadir);
		else if (s == CW_ERR_KEY)
			rc = wl_fail(CMD, WL_EXIT_FAIL, "%s: %s",
			             file == NULL             ? "the primary key"
			             : strcmp(file, "-") == 0 ? "standard input"
			                                      : file,
			             err);
		else
			rc = wl_fail(CMD, WL_EXIT_FAIL, "%s", err);
		goto out;
	}
	/* the published key and every manifest, signed by the new subkey */
	snprintf(done, sizeof done, "added signing subkey %s", newfpr);
	if ((rc = wl_update_manifests(CMD, st, NULL, 0, done)) != 0)
		goto out;
	printf("signing key %s: new signing subkey %s (signed before: %s)\n", fpr, newfpr, before);
out:
	cw_sbuf_free(&primary);
	wg_agent_leave(home, agent);
	ws_store_close(st);
	return rc;
}
