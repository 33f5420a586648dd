/* wallet store NAME --to CLIENT[,...]: seal stdin and publish it as NAME's next version.
 * The content lives only in secure memory (locked, not dumpable) and is wiped on every path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "keyring.h"
#include "seal.h"
#include "secmem.h"
#include "strv.h"

#define CMD "store"
#define DEFAULT_MAX ((size_t)1 << 20)
#define LIMIT_MAX ((size_t)256 << 20)

void usage_store(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] store NAME --to CLIENT[,CLIENT...] [--max-size BYTES]\n"
	    "\n"
	    "Reads the content on standard input, seals it (OpenPGP sign and encrypt by the\n"
	    "wallet key to every recipient, name and version bound into the signature, plus a\n"
	    "detached signature) and publishes it atomically as the next version of NAME.\n"
	    "Prints NAME and the new version. Never prompts: works under 'docker exec -i'.\n"
	    "NAME: 1 to 255 bytes, segments of [A-Za-z0-9._-] separated by '/'.\n"
	    "\n"
	    "Options:\n"
	    "  --to LIST          recipients: registered, not revoked clients, comma-separated\n"
	    "  --max-size BYTES   largest content accepted (default 1048576; K and M suffixes;\n"
	    "                     at most 256M)\n"
	    "  --data DIR         data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --help             this text\n",
	    out);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'K' || *end == 'k') {
		n *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n *= 1024 * 1024;
		end++;
	}
	if (*end != '\0' || n == 0 || n > LIMIT_MAX)
		return -1;
	*out = (size_t)n;
	return 0;
}

/* Splits LIST into validated, distinct client names. */
static int parse_to(const char *list, ws_recipient **out, size_t *n)
{
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	ws_recipient *r = calloc(cap, sizeof *r);
	if (r == NULL)
		return wl_fail(CMD, WL_EXIT_FAIL, "out of memory");
	size_t cnt = 0;
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (!cw_client_name_valid(p, len)) {
			free(r);
			return wl_usage_error(CMD, "invalid client name '%.*s' in --to",
			                      (int)(len > 80 ? 80 : len), p);
		}
		memcpy(r[cnt].client, p, len);
		r[cnt].client[len] = '\0';
		for (size_t i = 0; i < cnt; i++)
			if (strcmp(r[i].client, r[cnt].client) == 0) {
				free(r);
				return wl_usage_error(CMD, "client '%.*s' named twice in --to",
				                      (int)len, p);
			}
		cnt++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*out = r;
	*n = cnt;
	return 0;
}

/* What the command line asks for. */
struct store_args {
	const char *datadir;
	const char *name;
	size_t limit;
	ws_recipient *rcpt; /* malloc'd */
	size_t nr;
};

/* Options and operands. Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, const struct wallet_ctx *ctx, struct store_args *a)
{
	static const struct option lo[] = {{"to", required_argument, NULL, 't'},
	                                   {"max-size", required_argument, NULL, 'm'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *to = NULL;
	int c, rc;

	a->datadir = ctx->datadir;
	a->limit = DEFAULT_MAX;
	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_store(stdout);
			return 0;
		}
		if (c == 't')
			to = optarg;
		else if (c == 'd')
			a->datadir = optarg;
		else if (c == 'm') {
			if (parse_size(optarg, &a->limit) != 0)
				return wl_usage_error(CMD, "bad --max-size '%.40s' (1 to 256M)",
				                      optarg);
		} else
			return WL_EXIT_USAGE;
	}
	if ((rc = wl_name_arg(CMD, argc, argv, &a->name)) != 0)
		return rc;
	if (to == NULL)
		return wl_usage_error(CMD, "missing --to CLIENT[,CLIENT...]");
	if ((rc = parse_to(to, &a->rcpt, &a->nr)) != 0)
		return rc;
	return -1;
}

/* Every recipient must be registered and not revoked; fills in their fingerprints. Returns 0
 * or the exit status after one error line. */
static int resolve_recipients(ws_store *st, ws_recipient *rcpt, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		ws_client cl;
		int rc = wl_client_get(CMD, st, rcpt[i].client, &cl);
		if (rc == WL_CLIENT_NONE)
			return wl_fail(CMD, WL_EXIT_FAIL,
			               "unknown client '%s' (run 'wallet importkey')",
			               rcpt[i].client);
		if (rc != 0)
			return rc;
		if (cl.revoked)
			return wl_fail(CMD, WL_EXIT_FAIL, "client '%s' is revoked", rcpt[i].client);
		/* the key itself is checked by wg_seal, in the one gpgme context it needs anyway */
		memcpy(rcpt[i].fingerprint, cl.fingerprint, sizeof rcpt[i].fingerprint);
	}
	return 0;
}

/* All of stdin, at most limit bytes and at least one, into secure memory. Returns 0 or the
 * exit status after one error line. */
static int read_content(cw_sbuf *content, size_t limit)
{
	char m[256];
	cw_status s = cw_sbuf_read_fd(content, STDIN_FILENO, limit);
	if (s == CW_ERR_TOOBIG)
		return wl_fail(CMD, WL_EXIT_FAIL, "content larger than %zu bytes (see --max-size)",
		               limit);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot read stdin: %s",
		               wl_errmsg(s, errno, m, sizeof m));
	if (content->len == 0)
		return wl_fail(CMD, WL_EXIT_FAIL, "no content on stdin (forgot 'docker exec -i'?)");
	return 0;
}

/* Seals content as obj's version (obj->name, version and created set) and wipes it. Fills
 * obj's sealed bytes and signature (malloc'd). Returns 0 or the exit status after one error
 * line. */
static int seal_content(ws_store *st, const struct store_args *a, cw_sbuf *content, ws_object *obj)
{
	char err[512];
	struct wg_seal_in in = {
	    .home = ws_store_gnupg(st),
	    .signer = ws_store_signing_fpr(st),
	    .rcpt = a->rcpt,
	    .nrcpt = a->nr,
	    .name = a->name,
	    .version = obj->version,
	    .created = obj->created,
	    .content = content->data,
	    .content_len = content->len,
	};
	cw_status s =
	    wg_seal(&in, &obj->sealed, &obj->sealed_len, &obj->sig, &obj->sig_len, err, sizeof err);
	cw_sbuf_free(content); /* the plaintext goes as soon as it is sealed */
	/* gpg that cannot write says "key unusable" or "End of file": name the disk instead */
	if (s != CW_OK && wl_disk_full(a->datadir))
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot seal %s: %s in %s", a->name,
		               strerror(ENOSPC), a->datadir);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot seal %s: %s", a->name, err);
	return 0;
}

/* Takes the object's lock and its next version number, seals content and publishes the
 * version. Returns 0 (after printing NAME VERSION) or the exit status after one error line. */
/* The manifests of everyone who reads the new version, and of everyone who read the one it
 * replaces (a recipient dropped now loses the object from its manifest). */
static int update_manifests(ws_store *st, const ws_object *now, const ws_object *prev)
{
	char **who = NULL, done[CW_NAME_MAX + 64];
	size_t n = 0;
	cw_status s = CW_OK;
	for (size_t i = 0; i < now->nrecipients && s == CW_OK; i++)
		s = cw_strv_add(&who, &n, now->recipients[i].client);
	for (size_t i = 0; prev != NULL && i < prev->nrecipients && s == CW_OK; i++)
		if (!ws_object_has_recipient(now, prev->recipients[i].client))
			s = cw_strv_add(&who, &n, prev->recipients[i].client);
	snprintf(done, sizeof done, "stored %s %llu", now->name, (unsigned long long)now->version);
	int rc = s == CW_OK
	             ? wl_update_manifests(CMD, st, (const char *const *)who, n, done)
	             : wl_fail(CMD, WL_EXIT_FAIL, "%s, but out of memory for the manifests", done);
	cw_strv_free(who, n);
	return rc;
}

static int seal_and_publish(ws_store *st, const struct store_args *a, cw_sbuf *content)
{
	ws_object obj;
	ws_object *prev = NULL;
	ws_txn *txn = NULL;
	char m[256];
	int rc;

	memset(&obj, 0, sizeof obj);
	cw_status s = ws_publish_begin(st, a->name, &txn);
	if (s != CW_OK)
		return wl_fail(CMD, WL_EXIT_FAIL, "cannot prepare %s: %s", a->name,
		               wl_errmsg_in(a->datadir, s, errno, m, sizeof m));
	/* who read the version this one replaces (none for a new object), under the lock */
	if ((s = ws_object_load(st, a->name, 0, &prev)) != CW_OK && s != CW_ERR_NOTFOUND) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot read the latest version of %s: %s", a->name,
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	snprintf(obj.name, sizeof obj.name, "%s", a->name);
	obj.version = ws_txn_version(txn);
	ws_time_now(obj.created);
	snprintf(obj.signer, sizeof obj.signer, "%s", ws_store_signing_fpr(st));
	obj.recipients = a->rcpt;
	obj.nrecipients = a->nr;
	if ((rc = seal_content(st, a, content, &obj)) != 0)
		goto out;
	s = ws_publish_commit(txn, &obj);
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot publish %s: %s", a->name,
		             wl_errmsg_in(a->datadir, s, errno, m, sizeof m));
		goto out;
	}
	if ((rc = update_manifests(st, &obj, prev)) != 0)
		goto out;
	printf("%s %llu\n", a->name, (unsigned long long)obj.version);
out:
	ws_object_free(prev);
	ws_txn_end(txn);
	free(obj.sealed);
	free(obj.sig);
	return rc;
}

int cmd_store(int argc, char **argv, const void *arg)
{
	struct store_args a = {0};
	cw_sbuf content = {0};
	ws_store *st = NULL;
	int rc, agent = -1;

	if ((rc = parse_args(argc, argv, arg, &a)) >= 0)
		goto out;
	/* no core dump, no ptrace by the same uid, while the content is here */
	if (cw_nodump() != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot make the process undumpable");
		goto out;
	}
	if ((rc = wl_open(CMD, a.datadir, &st)) != 0)
		goto out;
	if ((rc = resolve_recipients(st, a.rcpt, a.nr)) != 0)
		goto out;
	/* read all of stdin before taking the object's lock: stdin may be slow */
	if ((rc = read_content(&content, a.limit)) != 0)
		goto out;
	agent = wg_agent_enter(ws_store_gnupg(st));
	rc = seal_and_publish(st, &a, &content);
out:
	cw_sbuf_free(&content);
	if (st != NULL)
		wg_agent_leave(ws_store_gnupg(st), agent);
	free(a.rcpt);
	ws_store_close(st);
	return rc;
}
