/* wallet checkintegrity: everything that can be checked without decrypting.
 * One line per item, "OK ...", "WARN ..." (to act on; the exit status stays 0) or "ERROR ...". tmp/
 * holds work in progress and leftovers of killed writers: it is not checked. Certificates and
 * OpenPGP keys that expire within EXPIRY_WARN_DAYS (or have expired) are WARN lines. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "config.h"
#include "keyexpiry.h"
#include "keyring.h"
#include "tlsctx.h"
#include "fsutil.h"
#include "seal.h"
#include "sealfmt.h"
#include "strv.h"

#define CMD "checkintegrity"
#define EXPIRY_WARN_DAYS 30

void usage_checkintegrity(FILE *out)
{
	fputs(
	    "Usage: wallet [--data DIR] checkintegrity [--config FILE] [--tls-cert FILE] "
	    "[--tls-ca FILE]\n"
	    "\n"
	    "Verifies, without decrypting anything: the wallet's signing key; that no secret key\n"
	    "other than the wallet's own is in gnupg/; every client's record and key; every\n"
	    "stored version (detached signature by the wallet key, size and sha256 of the sealed\n"
	    "bytes, name and version in meta.json and in the detached signature, signer,\n"
	    "recipients registered, latest and seq consistent); every client's manifest (signed\n"
	    "by the wallet key, for that client, not expired, listing exactly the latest\n"
	    "version, hash and size of every object the client reads);\n"
	    "that no file or directory has group or other permission bits and all have the data\n"
	    "directory's owner. Prints one OK or ERROR line per item, and WARN lines for what to\n"
	    "act on that costs nothing yet (a recipient that was removed, a manifest behind the\n"
	    "store, a removal that did not finish); tmp/ is not checked.\n"
	    "A WARN line for each certificate and OpenPGP key that expires within 30 days or has\n"
	    "expired: the TLS certificate and CA that 'wallet serve' uses (DATA/tls/server.crt "
	    "and\n"
	    "DATA/tls/ca.crt when they exist, or the files named below), the wallet's signing key\n"
	    "and the clients' keys (each subkey too). WARN lines leave the exit status alone.\n"
	    "Exit status 1 when any line is an ERROR.\n"
	    "\n"
	    "Options:\n"
	    "  --data DIR        data directory (default: $WALLET_DATA, else " WALLET_DEFAULT_DATA
	    ")\n"
	    "  --config FILE     serve's config file: its tls_cert and tls_ca are checked\n"
	    "  --tls-cert FILE   the server certificate serve uses (overrides --config)\n"
	    "  --tls-ca FILE     the CA file serve uses (overrides --config)\n"
	    "  --help            this text\n"
	    "A file named by an option that cannot be read is an ERROR; a default one that does\n"
	    "not exist is skipped.\n",
	    out);
}

static int nerrors;

static void line(const char *what, const char *fmt, va_list ap)
{
	fputs(what, stdout);
	vprintf(fmt, ap);
	putchar('\n');
}

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line("OK ", fmt, ap);
	va_end(ap);
}

/* Something to act on that costs nothing yet: the exit status stays 0. */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line("WARN ", fmt, ap);
	va_end(ap);
}

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	va_list ap;
	nerrors++;
	va_start(ap, fmt);
	line("ERROR ", fmt, ap);
	va_end(ap);
}

static void check_keys(ws_store *st)
{
	const char *home = ws_store_gnupg(st), *wfpr = ws_store_signing_fpr(st);
	char **secret = NULL, **grips = NULL;
	size_t ns = 0, ng = 0;
	bool have = false, foreign = false;
	if (wg_list_secret(home, &secret, &ns) != CW_OK) {
		bad("secret keys: cannot list the secret keys in %s", home);
		return;
	}
	for (size_t i = 0; i < ns; i++) {
		if (strcasecmp(secret[i], wfpr) == 0) {
			have = true;
		} else {
			bad("secret key %s in gnupg/ is not the wallet's", secret[i]);
			foreign = true;
		}
	}
	if (have)
		ok("signing key %s", wfpr);
	else
		bad("signing key %s: no secret key in gnupg/", wfpr);
	/* key files the keyring does not list (a secret key whose public key is gone) */
	if (wg_key_grips(home, wfpr, &grips, &ng) != CW_OK)
		ng = 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/private-keys-v1.d", home);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		bool mine = false;
		for (size_t i = 0; i < ng; i++)
			if (len == strlen(grips[i]) + 4 &&
			    strncasecmp(e->d_name, grips[i], len - 4) == 0 &&
			    strcmp(e->d_name + len - 4, ".key") == 0)
				mine = true;
		if (!mine) {
			bad("secret key file gnupg/private-keys-v1.d/%s is not the wallet's",
			    e->d_name);
			foreign = true;
		}
	}
	if (d != NULL)
		closedir(d);
	if (!foreign)
		ok("secret keys: only the wallet's");
	cw_strv_free(secret, ns);
	cw_strv_free(grips, ng);
}

static cw_status check_client(const ws_client *c, void *arg)
{
	ws_store *st = arg;
	char err[512], certs[64] = "";
	cw_status s = wg_key_usable(ws_store_gnupg(st), c->fingerprint, err, sizeof err);
	if (c->ncerts > 0)
		snprintf(certs, sizeof certs, " (%zu revoked certificate%s)", c->ncerts,
		         c->ncerts == 1 ? "" : "s");
	if (s == CW_OK || c->revoked)
		ok("client %s %s%s%s", c->client, c->fingerprint, c->revoked ? " (revoked)" : "",
		   certs);
	else
		bad("client %s %s: %s", c->client, c->fingerprint, err);
	return CW_OK;
}

/* Calls fn for every client whose record reads; one ERROR line for each that does not (said
 * once: report) and a WARN for each removal that did not finish (report too). */
static void each_client(ws_store *st, ws_client_fn fn, bool report)
{
	char **names = NULL, why[320];
	size_t n = 0;
	if (ws_client_names(st, &names, &n) != CW_OK) {
		bad("clients: cannot list clients/");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		ws_client c;
		if (ws_client_read(st, names[i], &c, why, sizeof why) == CW_OK)
			fn(&c, st);
		else if (report)
			bad("client %s: %s", names[i], why);
	}
	cw_strv_free(names, n);
	if (!report || ws_client_removals(st, &names, &n) != CW_OK)
		return;
	for (size_t i = 0; i < n; i++)
		warn(
		    "client %s: its removal did not finish: run 'wallet removekey %s' to finish it",
		    names[i], names[i]);
	cw_strv_free(names, n);
}

static void check_version(ws_store *st, const char *name, uint64_t v)
{
	ws_object *o = NULL;
	char sha[65], err[512];
	unsigned long long uv = (unsigned long long)v;
	cw_status s = ws_object_load(st, name, v, &o);
	if (s != CW_OK) {
		bad("object %s v%llu: cannot load: %s", name, uv, cw_strerror(s));
		return;
	}
	ws_sha256_hex(o->sealed, o->sealed_len, sha);
	if (strcasecmp(sha, o->sha256) != 0) {
		bad("object %s v%llu: sha256 of object.gpg differs from meta.json", name, uv);
		goto out;
	}
	if (strcasecmp(o->signer, ws_store_signing_fpr(st)) != 0) {
		bad("object %s v%llu: signer %s is not the wallet key", name, uv, o->signer);
		goto out;
	}
	for (size_t i = 0; i < o->nrecipients; i++) {
		ws_client c;
		const char *who = o->recipients[i].client;
		s = ws_client_get(st, who, &c);
		/* removed (wallet removekey --force, or a store again without it left this older
		 * version): it can fetch nothing, and nothing else is wrong */
		if (s == CW_ERR_NOTFOUND)
			warn("object %s v%llu: recipient %s is no registered client and cannot "
			     "fetch it (store it again without %s, or remove this version)",
			     name, uv, who, who);
		else if (s != CW_OK) {
			bad("object %s v%llu: recipient %s: its record cannot be read", name, uv,
			    who);
			goto out;
		}
	}
	bool bound;
	s = wg_verify_detached_bound(ws_store_gnupg(st), ws_store_signing_fpr(st), o->sealed,
	                             o->sealed_len, o->sig, o->sig_len, name, v, &bound, err,
	                             sizeof err);
	if (s != CW_OK) {
		bad("object %s v%llu: detached signature: %s", name, uv, err);
		goto out;
	}
	ok("object %s v%llu%s", name, uv,
	   bound ? "" : " (format 1: its detached signature does not name it; store it again)");
out:
	ws_object_free(o);
}

static void check_objects(ws_store *st)
{
	char **names = NULL;
	size_t n = 0;
	if (ws_object_names(st, &names, &n) != CW_OK) {
		bad("objects: cannot list objects/");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t *vers = NULL, latest = 0;
		size_t nv = 0;
		if (ws_object_versions(st, names[i], &vers, &nv, &latest) != CW_OK) {
			bad("object %s: cannot list its versions", names[i]);
			continue;
		}
		if (latest == 0 && nv > 0 && !ws_object_linked(st, names[i])) {
			char file[CW_NAME_MAX + 1];
			(void)cw_name_to_file(names[i], file, sizeof file);
			bad("object %s: its latest link is missing, so none of its versions (v%llu "
			    "to "
			    "v%llu) is published; link the one to publish (ln -s vN "
			    "%s/objects/%s/latest)",
			    names[i], (unsigned long long)vers[0], (unsigned long long)vers[nv - 1],
			    ws_store_dir(st), file);
			free(vers);
			continue;
		}
		bool found = latest == 0;
		for (size_t j = 0; j < nv; j++) {
			found = found || vers[j] == latest;
			if (vers[j] <= latest)
				check_version(st, names[i], vers[j]);
			else
				warn("object %s v%llu is not published: a store or rm of it was "
				     "killed "
				     "half-way; the next store or rm of %s removes it",
				     names[i], (unsigned long long)vers[j], names[i]);
		}
		if (!found)
			bad("object %s: latest names v%llu, which does not exist", names[i],
			    (unsigned long long)latest);
		free(vers);
	}
	cw_strv_free(names, n);
}

/* One manifest against the store: every object the client reads, at its latest version
 * with its hash and size, and nothing else. */
struct mf_check {
	ws_store *st;
	const char *client;
	const cJSON *objects;
	double signed_at;
	size_t matched;
	size_t removed; /* entries of versions removed since the manifest was signed */
	int problems;
};

/* Whether version v of name was published once and is not any more: its number was issued
 * (seq) and no published vN is there. A manifest that lists it was signed before an rm that
 * was killed before it signed the manifests again (or whose refresh has not run yet). */
static bool removed_since(ws_store *st, const char *name, uint64_t v)
{
	uint64_t seq;
	return v > 0 && ws_object_seq(st, name, &seq) == CW_OK && seq >= v &&
	       ws_version_exists(st, name, v) == CW_ERR_NOTFOUND;
}

/* The version a manifest entry names, or 0 when it is not a version number. */
static uint64_t entry_version(const cJSON *item)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "version");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > (double)CW_VERSION_MAX ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return 0;
	return (uint64_t)v->valuedouble;
}

/* The entries that name a version above what the store publishes (or an object it no longer
 * publishes): removed since the manifest was signed (a warning), else wrong (left uncounted,
 * an error below). */
static void count_removed(struct mf_check *m)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, m->objects)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		uint64_t v = entry_version(it), latest;
		if (!cJSON_IsString(n) || v == 0 ||
		    (ws_object_latest(m->st, n->valuestring, &latest) == CW_OK && latest >= v) ||
		    !removed_since(m->st, n->valuestring, v))
			continue;
		warn("manifest %s: lists %s v%llu, removed since it was signed: %s", m->client,
		     n->valuestring, (unsigned long long)v, "run 'wallet refresh'");
		m->removed++;
	}
}

/* Whether version e was created no earlier than the manifest was signed: then a manifest that
 * does not list it yet is behind (a store killed between publishing and signing), not wrong. */
static bool newer_than_manifest(const ws_entry *e, double signed_at)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(e->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end != NULL && *end == '\0' && (double)timegm(&tm) >= signed_at;
}

static cw_status match_entry(const ws_entry *e, void *arg)
{
	struct mf_check *m = arg;
	bool mine = false;
	for (size_t r = 0; r < e->nrecipients && !mine; r++)
		mine = strcmp(e->recipients[r].client, m->client) == 0;
	if (!mine)
		return CW_OK;
	const cJSON *it;
	cJSON_ArrayForEach(it, m->objects)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!cJSON_IsString(n) || strcmp(n->valuestring, e->name) != 0)
			continue;
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "version");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "sha256");
		const cJSON *z = cJSON_GetObjectItemCaseSensitive(it, "size");
		if (cJSON_IsNumber(v) && v->valuedouble == (double)e->version &&
		    cJSON_IsString(h) && strcmp(h->valuestring, e->sha256) == 0 &&
		    cJSON_IsNumber(z) && z->valuedouble == (double)e->size) {
			m->matched++;
			return CW_OK;
		}
		if (cJSON_IsNumber(v) && v->valuedouble < (double)e->version)
			m->matched++; /* listed, at an older version: behind or wrong, as below */
		else if (removed_since(m->st, e->name, entry_version(it)))
			return CW_OK; /* listed at a version removed since: count_removed */
		break;
	}
	if (newer_than_manifest(e, m->signed_at)) {
		warn("manifest %s: behind the store (%s v%llu is newer): run 'wallet refresh'",
		     m->client, e->name, (unsigned long long)e->version);
		return CW_OK;
	}
	bad("manifest %s: %s v%llu is not listed as it is stored", m->client, e->name,
	    (unsigned long long)e->version);
	m->problems++;
	return CW_OK;
}

static cw_status check_manifest(const ws_client *c, void *arg)
{
	ws_store *st = arg;
	char path[4096], err[512];
	unsigned char *raw = NULL, *doc = NULL;
	size_t len, dlen;
	cJSON *root = NULL;
	snprintf(path, sizeof path, "%s/manifests/%s", ws_store_dir(st), c->client);
	cw_status s = cw_read_file(path, CW_MANIFEST_MAX, &raw, &len);
	if (c->revoked || s != CW_OK) {
		if (c->revoked != (s == CW_ERR_NOTFOUND))
			bad("manifest %s: %s", c->client,
			    c->revoked ? "a revoked client still has one" : cw_strerror(s));
		goto out;
	}
	if (wg_open_manifest(ws_store_gnupg(st), ws_store_signing_fpr(st), c->client, raw, len,
	                     &doc, &dlen, err, sizeof err) != CW_OK) {
		bad("manifest %s: %s", c->client, err);
		goto out;
	}
	root = cJSON_ParseWithLength((const char *)doc, dlen);
	const cJSON *who = cJSON_GetObjectItemCaseSensitive(root, "client");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expires");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(root, "signed");
	struct mf_check m = {.st = st,
	                     .client = c->client,
	                     .objects = cJSON_GetObjectItemCaseSensitive(root, "objects"),
	                     .signed_at = cJSON_IsNumber(sig) ? sig->valuedouble : 0};
	if (!cJSON_IsString(who) || strcmp(who->valuestring, c->client) != 0 ||
	    !cJSON_IsNumber(exp) || !cJSON_IsNumber(sig) || !cJSON_IsArray(m.objects)) {
		bad("manifest %s: malformed content", c->client);
		goto out;
	}
	if (exp->valuedouble < (double)time(NULL)) {
		bad("manifest %s: expired (run 'wallet refresh', or keep 'wallet serve' running)",
		    c->client);
		goto out;
	}
	if (ws_list(st, match_entry, &m) != CW_OK) {
		bad("manifest %s: cannot list the objects", c->client);
		goto out;
	}
	count_removed(&m);
	if (m.matched + m.removed != (size_t)cJSON_GetArraySize(m.objects))
		bad("manifest %s: lists objects the client does not read", c->client);
	else if (m.problems == 0 && m.removed == 0)
		ok("manifest %s (%zu objects, %.0f s left)", c->client, m.matched,
		   exp->valuedouble - (double)time(NULL));
out:
	cJSON_Delete(root);
	free(doc);
	free(raw);
	return CW_OK;
}

static uid_t owner;
static size_t tmp_prefix_len;
static const char *tmp_prefix;
static size_t nentries;
static int mode_errors;

static int walk(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (strncmp(p, tmp_prefix, tmp_prefix_len) == 0 && p[tmp_prefix_len] == '/')
		return 0; /* inside tmp/: work in progress */
	nentries++;
	if (sb->st_uid != owner) {
		bad("owner of %s is uid %u, not %u", p, (unsigned)sb->st_uid, (unsigned)owner);
		mode_errors++;
	}
	if (S_ISLNK(sb->st_mode)) {
		const char *base = strrchr(p, '/');
		if (base == NULL || strcmp(base, "/latest") != 0) {
			bad("unexpected symlink %s", p);
			mode_errors++;
		}
		return 0;
	}
	if ((sb->st_mode & 077) != 0) {
		bad("mode of %s is %04o: group or other bits set", p,
		    (unsigned)(sb->st_mode & 07777));
		mode_errors++;
	}
	return 0;
}

static void check_modes(const char *datadir)
{
	char tmp[4096];
	struct stat sb;
	if (lstat(datadir, &sb) != 0) {
		bad("cannot stat %s", datadir);
		return;
	}
	owner = sb.st_uid;
	snprintf(tmp, sizeof tmp, "%s/tmp", datadir);
	tmp_prefix = tmp;
	tmp_prefix_len = strlen(tmp);
	if (nftw(datadir, walk, 32, FTW_PHYS) != 0)
		bad("cannot walk %s: %s", datadir, strerror(errno));
	else if (mode_errors == 0)
		ok("file modes and owners (%zu entries, owner uid %u)", nentries, (unsigned)owner);
}

/* "expires in N days, on DATE" or "expired on DATE" into buf; true when that is within
 * EXPIRY_WARN_DAYS or past (a WARN). */
static bool expiry_text(int64_t when, char *buf, size_t bufsz)
{
	char date[WS_TIME_UTC_LEN];
	int64_t left = when - (int64_t)time(NULL);
	ws_time_utc((time_t)when, date);
	if (left <= 0) {
		snprintf(buf, bufsz, "expired on %sZ", date);
		return true;
	}
	long long days = (long long)((left + 86399) / 86400); /* started days count */
	snprintf(buf, bufsz, "expires in %lld day%s, on %sZ", days, days == 1 ? "" : "s", date);
	return left < (int64_t)EXPIRY_WARN_DAYS * 86400;
}

/* A WARN line for each (sub)key of the key fpr that expires soon or has expired; who names
 * the key's owner ("signing key", "client NAME"). Keys without an expiry date say nothing. */
static void check_key_expiry(ws_store *st, const char *who, const char *fpr)
{
	wg_expiry *e = NULL;
	size_t n = 0;
	char when[96];
	if (wg_key_expiries(ws_store_gnupg(st), fpr, &e, &n) != CW_OK)
		return; /* a key that is not there is the key checks' ERROR */
	for (size_t i = 0; i < n; i++) {
		if (!expiry_text(e[i].expires, when, sizeof when))
			continue;
		if (e[i].primary)
			warn("%s %s %s", who, fpr, when);
		else
			warn("%s %s: subkey %s %s", who, fpr, e[i].fpr, when);
	}
	free(e);
}

static cw_status check_client_expiry(const ws_client *c, void *arg)
{
	char who[CW_CLIENT_NAME_MAX + 8];
	if (c->revoked)
		return CW_OK; /* refused whatever its key says */
	snprintf(who, sizeof who, "client %s", c->client);
	check_key_expiry(arg, who, c->fingerprint);
	return CW_OK;
}

/* Where serve takes its TLS files from: serve's config file, its flags, else DATA/tls/. */
struct tls_files {
	struct serve_config cfg;
	bool named_cert, named_ca; /* by an option or the config file, not a default */
};

/* Each certificate in file: OK, or WARN when it expires within EXPIRY_WARN_DAYS. A file that
 * was named must be readable; a default one that does not exist is skipped (a writer that
 * serves nothing, or serve's files kept elsewhere). */
static void check_cert_file(const char *what, const char *file, bool named)
{
	cw_tls_cert *certs = NULL;
	size_t n = 0;
	char err[256], when[96];
	if (!named && access(file, F_OK) != 0 && errno == ENOENT)
		return;
	if (cw_tls_file_certs(file, &certs, &n, err, sizeof err) != CW_OK) {
		bad("%s %s: %s", what, file, err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const cw_tls_cert *c = &certs[i];
		if (expiry_text(c->not_after, when, sizeof when))
			warn("%s %s (%s, serial %s): %s", what, file, c->subject, c->serial, when);
		else
			ok("%s %s (%s, serial %s): %s", what, file, c->subject, c->serial, when);
	}
	free(certs);
}

/* Reads --config and the flags as serve would; exit status on failure (one line printed),
 * else -1. */
static int tls_files_init(struct tls_files *t, const char *config, const char *cert, const char *ca,
                          const char *datadir)
{
	char err[512];
	cw_status st = CW_OK;
	memset(t, 0, sizeof *t);
	if (config != NULL && (st = serve_config_load(&t->cfg, config, err, sizeof err)) != CW_OK)
		return wl_fail(CMD, st == CW_ERR_USAGE ? WL_EXIT_USAGE : WL_EXIT_FAIL, "%s", err);
	if ((cert != NULL && serve_config_set(&t->cfg, "tls_cert", cert, err, sizeof err)) ||
	    (ca != NULL && serve_config_set(&t->cfg, "tls_ca", ca, err, sizeof err)))
		return wl_fail(CMD, WL_EXIT_USAGE, "%s", err);
	t->named_cert = t->cfg.tls_cert != NULL;
	t->named_ca = t->cfg.tls_ca != NULL;
	if ((st = serve_config_finish(&t->cfg, datadir, err, sizeof err)) != CW_OK)
		return wl_fail(CMD, st == CW_ERR_USAGE ? WL_EXIT_USAGE : WL_EXIT_FAIL, "%s",
		               err[0] != '\0' ? err : cw_strerror(st));
	return -1;
}

int cmd_checkintegrity(int argc, char **argv, const void *arg)
{
	static const struct option lo[] = {
	    {"data", required_argument, NULL, 'd'},     {"config", required_argument, NULL, 'C'},
	    {"tls-cert", required_argument, NULL, 'c'}, {"tls-ca", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	const struct wallet_ctx *ctx = arg;
	const char *datadir = ctx->datadir, *config = NULL, *cert = NULL, *ca = NULL;
	struct tls_files tls;
	ws_store *st = NULL;
	int c, rc;

	while ((c = wl_getopt(CMD, argc, argv, lo)) != -1) {
		if (c == 'h') {
			usage_checkintegrity(stdout);
			return 0;
		}
		if (c == 'd')
			datadir = optarg;
		else if (c == 'C')
			config = optarg;
		else if (c == 'c')
			cert = optarg;
		else if (c == 'a')
			ca = optarg;
		else
			return WL_EXIT_USAGE;
	}
	if (optind < argc)
		return wl_usage_error(CMD, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = tls_files_init(&tls, config, cert, ca, datadir)) >= 0)
		goto out;
	if ((rc = wl_open(CMD, datadir, &st)) != 0)
		goto out;
	int agent = wg_agent_enter(ws_store_gnupg(st));
	check_keys(st);
	check_key_expiry(st, "signing key", ws_store_signing_fpr(st));
	each_client(st, check_client, true);
	each_client(st, check_client_expiry, false);
	check_objects(st);
	each_client(st, check_manifest, false);
	wg_agent_leave(ws_store_gnupg(st), agent);
	check_cert_file("TLS certificate", tls.cfg.tls_cert, tls.named_cert);
	check_cert_file("TLS CA certificate", tls.cfg.tls_ca, tls.named_ca);
	check_modes(datadir);
	ws_store_close(st);
	rc = nerrors ? WL_EXIT_FAIL : 0;
out:
	serve_config_free(&tls.cfg);
	return rc;
}
