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

int cmd_store(int argc, char **argv, const void *arg)
{
	const struct wallet_ctx *ctx = arg;
	static const struct option lo[] = {{"to", required_argument, NULL, 't'},
	                                   {"max-size", required_argument, NULL, 'm'},
	                                   {"data", required_argument, NULL, 'd'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	const char *datadir = ctx->datadir, *to = NULL;
	size_t limit = DEFAULT_MAX, nr = 0, sealed_len = 0, sig_len = 0;
	ws_recipient *rcpt = NULL;
	unsigned char *sealed = NULL, *sig = NULL;
	char err[512], m[256], created[40];
	cw_sbuf content = {0};
	ws_store *st = NULL;
	ws_txn *txn = NULL;
	int c, rc, agent = -1;
	cw_status s;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_store(stdout);
			return 0;
		}
		if (c == 't')
			to = optarg;
		else if (c == 'd')
			datadir = optarg;
		else if (c == 'm') {
			if (parse_size(optarg, &limit) != 0)
				return wl_usage_error(CMD, "bad --max-size '%.40s' (1 to 256M)",
				                      optarg);
		} else
			return WL_EXIT_USAGE;
	}
	if (optind >= argc)
		return wl_usage_error(CMD, "missing NAME");
	if (optind + 1 < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind + 1]);
	const char *name = argv[optind];
	if (!cw_name_valid(name, strlen(name)))
		return wl_usage_error(CMD, "invalid object name '%.80s'", name);
	if (to == NULL)
		return wl_usage_error(CMD, "missing --to CLIENT[,CLIENT...]");
	if ((rc = parse_to(to, &rcpt, &nr)) != 0)
		return rc;
	/* no core dump, no ptrace by the same uid, while the content is here */
	if (cw_nodump() != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot make the process undumpable");
		goto out;
	}
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		goto out;
	rc = WL_EXIT_FAIL;
	for (size_t i = 0; i < nr; i++) {
		ws_client cl;
		s = ws_client_get(st, rcpt[i].client, &cl);
		if (s == CW_ERR_NOTFOUND) {
			rc =
			    wl_fail(CMD, WL_EXIT_FAIL,
			            "unknown client '%s' (run 'wallet importkey')", rcpt[i].client);
			goto out;
		}
		if (s != CW_OK) {
			rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot read client %s: %s", rcpt[i].client,
			             wl_errmsg(s, errno, m, sizeof m));
			goto out;
		}
		if (cl.revoked) {
			rc = wl_fail(CMD, WL_EXIT_FAIL, "client '%s' is revoked", rcpt[i].client);
			goto out;
		}
		/* the key itself is checked by wg_seal, in the one gpgme context it needs anyway */
		memcpy(rcpt[i].fingerprint, cl.fingerprint, sizeof rcpt[i].fingerprint);
	}
	/* read all of stdin before taking the object's lock: stdin may be slow */
	s = cw_sbuf_read_fd(&content, STDIN_FILENO, limit);
	if (s == CW_ERR_TOOBIG) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "content larger than %zu bytes (see --max-size)",
		             limit);
		goto out;
	}
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot read stdin: %s",
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	if (content.len == 0) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "no content on stdin (forgot 'docker exec -i'?)");
		goto out;
	}
	agent = wg_agent_enter(ws_store_gnupg(st));
	s = ws_publish_begin(st, name, &txn);
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot prepare %s: %s", name,
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	ws_time_now(created);
	struct wg_seal_in in = {
	    .home = ws_store_gnupg(st),
	    .signer = ws_store_signing_fpr(st),
	    .rcpt = rcpt,
	    .nrcpt = nr,
	    .name = name,
	    .version = ws_txn_version(txn),
	    .created = created,
	    .content = content.data,
	    .content_len = content.len,
	};
	s = wg_seal(&in, &sealed, &sealed_len, &sig, &sig_len, err, sizeof err);
	cw_sbuf_free(&content); /* the plaintext goes as soon as it is sealed */
	if (s != CW_OK && wl_disk_full(datadir)) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot seal %s: %s (%s)", name, strerror(ENOSPC),
		             err);
		goto out;
	}
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot seal %s: %s", name, err);
		goto out;
	}
	ws_object obj;
	memset(&obj, 0, sizeof obj);
	snprintf(obj.name, sizeof obj.name, "%s", name);
	obj.version = ws_txn_version(txn);
	memcpy(obj.created, created, sizeof obj.created);
	snprintf(obj.signer, sizeof obj.signer, "%s", ws_store_signing_fpr(st));
	obj.sealed = sealed;
	obj.sealed_len = sealed_len;
	obj.sig = sig;
	obj.sig_len = sig_len;
	obj.recipients = rcpt;
	obj.nrecipients = nr;
	s = ws_publish_commit(txn, &obj);
	if (s != CW_OK) {
		rc = wl_fail(CMD, WL_EXIT_FAIL, "cannot publish %s: %s", name,
		             wl_errmsg(s, errno, m, sizeof m));
		goto out;
	}
	printf("%s %llu\n", name, (unsigned long long)obj.version);
	rc = 0;
out:
	cw_sbuf_free(&content);
	ws_txn_end(txn);
	if (st != NULL)
		wg_agent_leave(ws_store_gnupg(st), agent);
	free(sealed);
	free(sig);
	free(rcpt);
	ws_store_close(st);
	return rc;
}
