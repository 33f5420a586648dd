/* wallet signing-key [--fingerprint | --list | --signed-by FPR]: the wallet's public signing
 * key, for clients to pin; its parts (primary and subkeys, after rotations); what a part
 * signed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "fsutil.h"
#include "gpgutil.h"
#include "keyring.h"
#include "sealfmt.h"
#include "seal.h"

#define CMD "signing-key"

void usage_signing_key(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] signing-key [--fingerprint | --list | --signed-by FPR]\n"
	    "\n"
	    "Prints the wallet's public signing key, ASCII-armored: the primary key, whose\n"
	    "fingerprint clients pin, and its signing subkeys ('wallet rotate-signing-key').\n"
	    "\n"
	    "Options:\n"
	    "  --fingerprint   print only the primary key's fingerprint (40 hex digits): the pin\n"
	    "  --list          one line per part of the key: primary or subkey, fingerprint,\n"
	    "                  creation time, what it does (signs: new objects and manifests are\n"
	    "                  signed with it; verifies: published, what it signed verifies, it\n"
	    "                  signs nothing new; revoked; expired; invalid) and whether its\n"
	    "                  secret part is in DATA/gnupg (secret:here or secret:absent)\n"
	    "  --signed-by FPR the stored versions and manifests whose signature that part made\n"
	    "                  ('object NAME vN', 'manifest CLIENT'): what must be stored again\n"
	    "                  (objects) or signed again (manifests: 'wallet refresh') before it\n"
	    "                  leaves the published key, or after it was compromised\n"
	    "  --data DIR      data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --help          this text\n",
	    out);
}

static const char *part_state(const struct wg_keypart *p, bool signs)
{
	return signs         ? "signs"
	       : p->revoked  ? "revoked"
	       : p->expired  ? "expired"
	       : p->invalid  ? "invalid"
	       : p->can_sign ? "verifies"
	                     : "other";
}

static int list_parts(ws_store *st)
{
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0;
	char when[WS_TIME_UTC_LEN];
	if (wg_key_parts(ws_store_gnupg(st), ws_store_signing_fpr(st), parts, WG_PARTS_MAX, &n) !=
	    CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "the wallet's key %s is not in %s",
		               ws_store_signing_fpr(st), ws_store_gnupg(st));
	int k = wg_signing_part(parts, n);
	for (size_t i = 0; i < n; i++) {
		ws_time_utc((time_t)parts[i].created, when);
		printf("%-7s %s %sZ %-8s secret:%s\n", parts[i].primary ? "primary" : "subkey",
		       parts[i].fpr, when, part_state(&parts[i], (int)i == k),
		       parts[i].secret ? "here" : "absent");
	}
	return 0;
}

/* Whether gpg's name for a signature's maker (a fingerprint, or a key ID when the key is not
 * in the keyring: a subkey taken out of it) is fpr. */
static bool made_by(const char *maker, const char *fpr)
{
	size_t n = strlen(maker);
	if (n == 40)
		return cw_fpr_equal(maker, fpr) != 0;
	return n == 16 && strcasecmp(maker, fpr + 24) == 0;
}

struct signed_by {
	ws_store *st;
	const char *fpr;
	int failed;
};

static void object_versions(struct signed_by *sb, const char *name)
{
	uint64_t *vers = NULL, latest;
	size_t nv = 0;
	char maker[41];
	if (ws_object_versions(sb->st, name, &vers, &nv, &latest) != CW_OK) {
		sb->failed =
		    wl_fail(CMD, WL_EXIT_FAIL, "object %s: cannot list its versions", name);
		return;
	}
	for (size_t i = 0; i < nv && vers[i] <= latest; i++) { /* above: not published */
		ws_object *o = NULL;
		cw_status s = ws_object_load(sb->st, name, vers[i], &o);
		if (s == CW_OK)
			s = wg_signature_maker(ws_store_gnupg(sb->st), o->sealed, o->sealed_len,
			                       o->sig, o->sig_len, maker);
		if (s != CW_OK)
			sb->failed = wl_fail(CMD, WL_EXIT_FAIL, "object %s v%llu: %s", name,
			                     (unsigned long long)vers[i], cw_strerror(s));
		else if (made_by(maker, sb->fpr))
			printf("object %s v%llu\n", name, (unsigned long long)vers[i]);
		ws_object_free(o);
	}
	free(vers);
}

static cw_status manifest_of(const ws_client *c, void *arg)
{
	struct signed_by *sb = arg;
	char path[4096], maker[41];
	unsigned char *raw = NULL;
	size_t len = 0;
	cw_status s =
	    cw_path(path, sizeof path, "%s/manifests/%s", ws_store_dir(sb->st), c->client);
	if (s == CW_OK)
		s = cw_read_file(path, CW_MANIFEST_MAX, &raw, &len);
	if (s == CW_OK)
		s = wg_signature_maker(ws_store_gnupg(sb->st), NULL, 0, raw, len, maker);
	if (s == CW_OK && made_by(maker, sb->fpr))
		printf("manifest %s\n", c->client);
	else if (s != CW_OK && !(s == CW_ERR_NOTFOUND && c->revoked))
		sb->failed =
		    wl_fail(CMD, WL_EXIT_FAIL, "manifest %s: %s", c->client, cw_strerror(s));
	free(raw);
	return CW_OK;
}

static int signed_by(ws_store *st, const char *fpr)
{
	struct wg_keypart parts[WG_PARTS_MAX];
	size_t n = 0;
	bool ours = false;
	char **names = NULL;
	size_t nn = 0;
	struct signed_by sb = {st, fpr, 0};
	if (wg_key_parts(ws_store_gnupg(st), ws_store_signing_fpr(st), parts, WG_PARTS_MAX, &n) ==
	    CW_OK)
		for (size_t i = 0; i < n; i++)
			ours = ours || cw_fpr_equal(parts[i].fpr, fpr);
	if (!ours) /* a subkey taken out of the keyring is still looked for, by its key ID */
		fprintf(stderr, "wallet %s: %s is not a part of the wallet's key (any more)\n", CMD,
		        fpr);
	if (ws_object_names(st, &names, &nn) != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot list objects/");
	for (size_t i = 0; i < nn; i++)
		object_versions(&sb, names[i]);
	cw_strv_free(names, nn);
	if (ws_client_list(st, manifest_of, &sb) != CW_OK)
		sb.failed = wl_fail(CMD, WL_EXIT_FAIL, "cannot list the clients");
	return sb.failed;
}

static bool hex40(const char *s)
{
	size_t i = 0;
	while (s[i] != '\0' && strchr("0123456789abcdefABCDEF", s[i]) != NULL)
		i++;
	return i == 40 && s[i] == '\0';
}

int cmd_signing_key(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"fingerprint", no_argument, NULL, 'f'},
	                                   {"list", no_argument, NULL, 'l'},
	                                   {"signed-by", required_argument, NULL, 's'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir, *by = NULL;
	int what = 0, nwhat = 0;
	ws_store *st = NULL;
	unsigned char *key = NULL;
	size_t len;
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_signing_key(stdout);
			return 0;
		}
		if (c == 'f' || c == 'l' || c == 's') {
			what = c;
			nwhat++;
			by = c == 's' ? optarg : by;
		} else if (c == 'd') {
			datadir = optarg;
		} else {
			return WL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if (nwhat > 1)
		return wl_usage_error(CMD, "give one of --fingerprint, --list and --signed-by");
	if (by != NULL && !hex40(by))
		return wl_usage_error(CMD, "--signed-by needs a fingerprint (40 hex digits)");
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		return rc;
	if (what == 'f') {
		printf("%s\n", ws_store_signing_fpr(st));
	} else if (what == 'l') {
		rc = list_parts(st);
	} else if (what == 's') {
		rc = signed_by(st, by);
	} else {
		cw_status s =
		    wg_export_public(ws_store_gnupg(st), ws_store_signing_fpr(st), 1, &key, &len);
		if (s != CW_OK)
			rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot export key %s: %s",
			             ws_store_signing_fpr(st), cw_strerror(s));
		else
			fwrite(key, 1, len, stdout);
	}
	free(key);
	ws_store_close(st);
	return rc;
}
