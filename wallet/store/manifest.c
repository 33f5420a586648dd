/* Per-client manifests: see manifest.h. The manifest's content is one JSON object:
 *   {"format":1,"client":"app1","signing_key":"<fpr>","signed":T,"expires":T+TTL,
 *    "objects":[{"name":"db_pass","version":3,"size":612,"sha256":"<hex>"}]}
 * T in Unix seconds; objects in name order; signed as a binary OpenPGP message whose one
 * hashed notation (manifest@containerwallet) names the client. */
#include "manifest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "keyring.h"
#include "name.h"
#include "seal.h"
#include "strv.h"
#include "sealfmt.h"

#define SETTINGS "settings.json"
#define SETTINGS_MAX ((size_t)64 << 10)

cw_status ws_manifest_ttl(ws_store *st, int64_t *ttl)
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t len;
	*ttl = WS_TTL_DEFAULT;
	cw_status s = cw_path(path, sizeof path, "%s/" SETTINGS, ws_store_dir(st));
	if (s == CW_OK)
		s = cw_read_file(path, SETTINGS_MAX, &buf, &len);
	if (s == CW_ERR_NOTFOUND)
		return CW_OK;
	if (s != CW_OK)
		return s;
	cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "manifest_ttl");
	s = CW_ERR_INTEGRITY;
	if (cJSON_IsNumber(t) && t->valuedouble >= WS_TTL_MIN && t->valuedouble <= WS_TTL_MAX &&
	    t->valuedouble == (double)(int64_t)t->valuedouble) {
		*ttl = (int64_t)t->valuedouble;
		s = CW_OK;
	}
	cJSON_Delete(root);
	free(buf);
	return s;
}

cw_status ws_manifest_set_ttl(ws_store *st, int64_t ttl)
{
	char text[64];
	if (ttl < WS_TTL_MIN || ttl > WS_TTL_MAX)
		return CW_ERR_USAGE;
	int n = snprintf(text, sizeof text, "{\"manifest_ttl\":%lld}\n", (long long)ttl);
	return cw_write_atomic(ws_store_dir(st), SETTINGS, text, (size_t)n, 0600, true);
}

/* What becomes of a client's manifest. */
enum { MF_SIGN, MF_DROP, MF_KEEP };

/* What is being built: the manifests of the clients asked for, one after the other, so that
 * memory holds one manifest's text at a time, never a tree of every client's objects. */
struct build {
	size_t n;
	const char *const *clients;
	unsigned char *what; /* per client: MF_SIGN, MF_DROP, MF_KEEP */
	cw_status bad;       /* the first record that could not be read (MF_KEEP) ... */
	char why[320];       /* ... and what is wrong with it */
	/* ws_list for a command: the text of each manifest is built in memory from it, whose
	 * cache makes every listing after the first cheap (the process ends soon). NULL for the
	 * server: each manifest is streamed into the signing from a ws_objiter, so that neither
	 * an entry of every object nor a manifest's whole text is ever in memory. */
	cw_status (*list)(ws_store *st, ws_list_fn fn, void *arg);
	bool (*stop)(void *arg); /* asked before each client and every STOP_EVERY objects */
	void *stop_arg;
	bool stopped;
};

#define STOP_EVERY 1024

/* One client's manifest as it is written: its JSON text, growing entry by entry, or when it
 * is streamed the part not read yet (out.buf[pos..out.len]). */
struct text {
	struct build *b;
	const char *client;
	cw_text out;
	size_t seen; /* objects listed so far */
	bool any;    /* an entry is in */
	/* streamed: */
	ws_objiter *it;
	size_t pos;
	bool done;        /* "]}" is in buf */
	cw_status status; /* why reading failed */
};

/* The header as cJSON prints the whole document, with "objects" (the last member) left open:
 * the entries follow as cJSON prints each, so that the bytes are those of one
 * cJSON_PrintUnformatted of the whole tree, which is what the manifests were before. */
static cw_status begin_text(ws_store *st, struct text *t, int64_t now, int64_t ttl)
{
	char *head = NULL;
	cw_status s = CW_ERR_NOMEM;
	cJSON *root = cJSON_CreateObject();
	if (root == NULL || !cJSON_AddNumberToObject(root, "format", CW_MANIFEST_FORMAT) ||
	    !cJSON_AddStringToObject(root, "client", t->client) ||
	    !cJSON_AddStringToObject(root, "signing_key", ws_store_signing_fpr(st)) ||
	    !cJSON_AddNumberToObject(root, "signed", (double)now) ||
	    !cJSON_AddNumberToObject(root, "expires", (double)(now + ttl)) ||
	    !cJSON_AddArrayToObject(root, "objects") ||
	    (head = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	size_t n = strlen(head);
	s = CW_ERR_INTERNAL;
	if (n >= 2 && strcmp(head + n - 2, "]}") == 0)
		s = cw_text_append(&t->out, head, n - 2);
out:
	free(head);
	cJSON_Delete(root);
	return s;
}

static cw_status add_entry(struct text *t, const ws_entry *e)
{
	char *item = NULL;
	cw_status s = CW_ERR_NOMEM;
	cJSON *o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddStringToObject(o, "name", e->name) ||
	    !cJSON_AddNumberToObject(o, "version", (double)e->version) ||
	    !cJSON_AddNumberToObject(o, "size", (double)e->size) ||
	    !cJSON_AddStringToObject(o, "sha256", e->sha256) ||
	    (item = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	if ((s = t->any ? cw_text_append(&t->out, ",", 1) : CW_OK) == CW_OK)
		s = cw_text_append(&t->out, item, strlen(item));
	t->any = true;
out:
	free(item);
	cJSON_Delete(o);
	return s;
}

static bool stop_now(struct build *b)
{
	if (!b->stopped && b->stop != NULL && b->stop(b->stop_arg))
		b->stopped = true;
	return b->stopped;
}

static cw_status collect(const ws_entry *e, void *arg)
{
	struct text *t = arg;
	if (++t->seen % STOP_EVERY == 0 && stop_now(t->b))
		return CW_ERR_INTERNAL; /* not a failure: b->stopped tells */
	for (size_t r = 0; r < e->nrecipients; r++)
		if (strcmp(e->recipients[r].client, t->client) == 0)
			return add_entry(t, e);
	return CW_OK;
}

/* The next entry of t's client (or the end) into t->out, consumed. */
static cw_status next_piece(struct text *t)
{
	ws_entry e;
	cw_status s;
	t->pos = t->out.len = 0;
	while ((s = ws_objiter_next(t->it, &e)) == CW_OK)
		if ((s = collect(&e, t)) != CW_OK || t->out.len > 0)
			return s;
	if (s != CW_ERR_NOTFOUND)
		return s;
	t->done = true;
	return cw_text_append(&t->out, "]}", 2);
}

/* The manifest's bytes for gpgme, as it asks for them. */
static ssize_t read_text(void *arg, void *buf, size_t size)
{
	struct text *t = arg;
	while (t->pos == t->out.len && !t->done)
		if ((t->status = next_piece(t)) != CW_OK) {
			errno = ECANCELED;
			return -1;
		}
	size_t n = t->out.len - t->pos < size ? t->out.len - t->pos : size;
	memcpy(buf, t->out.buf + t->pos, n);
	t->pos += n;
	return (ssize_t)n;
}

/* The signed manifest of one client: its objects listed afresh. */
static cw_status sign_one(ws_store *st, struct build *b, const char *client, int64_t now,
                          int64_t ttl, unsigned char **out, size_t *outlen, char *err, size_t errsz)
{
	const char *home = ws_store_gnupg(st), *fpr = ws_store_signing_fpr(st);
	struct text t = {.b = b, .client = client};
	cw_status s = begin_text(st, &t, now, ttl);
	if (s == CW_OK && b->list == NULL) {
		if ((s = ws_objiter_new(st, &t.it)) == CW_OK)
			s = wg_sign_manifest_from(home, fpr, client, read_text, &t, out, outlen,
			                          err, errsz);
		if (t.status != CW_OK) { /* the reason, not gpgme's word for it */
			s = t.status;
			err[0] = '\0';
		}
		ws_objiter_free(t.it);
	} else if (s == CW_OK) {
		if ((s = b->list(st, collect, &t)) == CW_OK &&
		    (s = cw_text_append(&t.out, "]}", 2)) == CW_OK)
			s = wg_sign_manifest(home, fpr, client, t.out.buf, t.out.len, out, outlen,
			                     err, errsz);
	}
	cw_text_free(&t.out);
	return s;
}

/* Whether DATA/signing-key.asc may be behind the keyring: missing, or older than the
 * keyring's last change (a rotation of the signing key, a subkey retired with gpg). */
static bool signing_key_behind(ws_store *st, const char *path)
{
	struct stat sb;
	struct timespec ring;
	if (stat(path, &sb) != 0 || wg_keyring_mtime(ws_store_gnupg(st), &ring) != CW_OK)
		return true;
	return ring.tv_sec > sb.st_mtim.tv_sec ||
	       (ring.tv_sec == sb.st_mtim.tv_sec && ring.tv_nsec > sb.st_mtim.tv_nsec);
}

/* DATA/signing-key.asc, the wallet's armored public key, as the keyring holds it: exported
 * when it may be behind, and replaced when it differs; otherwise only its time moves on, so
 * that the next check is two stat calls again. wallet serve serves the file as it finds it. */
static cw_status publish_signing_key(ws_store *st, char *err, size_t errsz)
{
	char path[4096];
	unsigned char *key = NULL, *cur = NULL;
	size_t len, curlen = 0;
	cw_status s = cw_path(path, sizeof path, "%s/" CW_FILE_SIGNING_KEY, ws_store_dir(st));
	if (s != CW_OK || !signing_key_behind(st, path))
		return s;
	s = wg_export_public(ws_store_gnupg(st), ws_store_signing_fpr(st), 1, &key, &len);
	if (s != CW_OK) {
		snprintf(err, errsz, "cannot export the signing key: %s", cw_strerror(s));
		goto out;
	}
	if (cw_read_file(path, WG_KEY_MAX, &cur, &curlen) == CW_OK && curlen == len &&
	    memcmp(cur, key, len) == 0)
		(void)utimensat(AT_FDCWD, path, NULL, 0); /* a saving only: nothing is wrong */
	else
		s = cw_write_atomic(ws_store_dir(st), CW_FILE_SIGNING_KEY, key, len, 0600, true);
out:
	free(cur);
	free(key);
	return s;
}

/* Takes DATA/manifests/.lock. Another update may hold it for long (`wallet refresh` of a large
 * store): with b->stop, the wait asks it every WAIT_STEP_NS and gives up when it says so
 * (b->stopped, CW_OK); without, it blocks. */
#define WAIT_STEP_NS 100000000L
#define LOCK_FILE ".lock"
static cw_status lock_manifests(ws_store *st, struct build *b, char *dir, size_t dirsz, int *lockfd)
{
	cw_status s = cw_path(dir, dirsz, "%s/manifests", ws_store_dir(st));
	if (s != CW_OK)
		return s;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return CW_ERR_IO;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return CW_ERR_IO;
	*lockfd = openat(dfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (*lockfd < 0)
		return CW_ERR_IO;
	int how = b->stop != NULL ? LOCK_EX | LOCK_NB : LOCK_EX;
	for (;;) {
		if (flock(*lockfd, how) == 0)
			return CW_OK;
		if (errno == EWOULDBLOCK) {
			struct timespec step = {0, WAIT_STEP_NS};
			if (stop_now(b))
				return CW_OK;
			nanosleep(&step, NULL);
		} else if (errno != EINTR) {
			return CW_ERR_IO;
		}
	}
}

/* Writes (or, for a revoked or removed client, removes) each client's manifest; leaves that of
 * a client whose record cannot be read as it is. */
static cw_status write_all(ws_store *st, const char *dir, struct build *b, char *err, size_t errsz)
{
	int64_t ttl;
	cw_status s = ws_manifest_ttl(st, &ttl);
	if (s != CW_OK) {
		snprintf(err, errsz, "unreadable " SETTINGS ": %s", cw_strerror(s));
		return s;
	}
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < b->n && s == CW_OK && !stop_now(b); i++) {
		char path[4096];
		unsigned char *signed_doc = NULL;
		size_t len = 0;
		if (b->what[i] == MF_KEEP)
			continue;
		if (b->what[i] == MF_DROP) {
			if ((s = cw_path(path, sizeof path, "%s/%s", dir, b->clients[i])) ==
			        CW_OK &&
			    unlink(path) != 0 && errno != ENOENT)
				s = CW_ERR_IO;
			continue;
		}
		s = sign_one(st, b, b->clients[i], now, ttl, &signed_doc, &len, err, errsz);
		if (b->stopped)
			s = CW_OK; /* this client's manifest stays as it was */
		else if (s == CW_OK)
			s = cw_write_atomic(dir, b->clients[i], signed_doc, len, 0600, true);
		free(signed_doc);
	}
	if (s == CW_OK)
		s = cw_fsync_dir(dir);
	return s;
}

/* The manifests of clients that are no longer registered go (a full refresh only); the lock
 * stays (".lock" is a valid client name): unlinked, the next update would lock a new file while
 * this one still holds the old. */
static bool registered_or_not_ours(const char *name, void *arg)
{
	ws_client c;
	return strcmp(name, LOCK_FILE) == 0 || !cw_client_name_valid(name, strlen(name)) ||
	       ws_client_get(arg, name, &c) != CW_ERR_NOTFOUND;
}

static cw_status prune(ws_store *st, const char *dir)
{
	return cw_unlink_unless(dir, registered_or_not_ours, st);
}

struct names {
	char **v;
	size_t n;
};

/* What becomes of each client's manifest. A record that cannot be read (edited by hand)
 * keeps its client's manifest as it was, and the others are signed all the same: one bad
 * record must not let every manifest expire. */
static cw_status prepare(ws_store *st, struct build *b)
{
	b->what = calloc(b->n ? b->n : 1, sizeof *b->what);
	if (b->what == NULL)
		return CW_ERR_NOMEM;
	for (size_t i = 0; i < b->n; i++) {
		ws_client c;
		char why[sizeof b->why];
		cw_status s = ws_client_read(st, b->clients[i], &c, why, sizeof why);
		if (s != CW_OK && s != CW_ERR_NOTFOUND) {
			b->what[i] = MF_KEEP;
			if (b->bad == CW_OK) {
				b->bad = s;
				memcpy(b->why, why, sizeof why);
			}
			continue;
		}
		/* a client removed (wallet removekey) loses its manifest as a revoked one does */
		b->what[i] = s == CW_ERR_NOTFOUND || c.revoked ? MF_DROP : MF_SIGN;
	}
	return CW_OK;
}

static cw_status update(ws_store *st, struct build *b, char *err, size_t errsz)
{
	char dir[4096];
	struct names all = {NULL, 0};
	int lockfd = -1;
	bool every = b->clients == NULL;
	err[0] = '\0';
	cw_status s = lock_manifests(st, b, dir, sizeof dir, &lockfd);
	if (s != CW_OK) {
		snprintf(err, errsz, "cannot lock %s: %s", dir, strerror(errno));
		goto out;
	}
	if (b->stopped)
		goto out;
	if ((s = publish_signing_key(st, err, errsz)) != CW_OK)
		goto out;
	if (every) {
		if ((s = ws_client_names(st, &all.v, &all.n)) != CW_OK)
			goto out;
		b->n = all.n;
		b->clients = (const char *const *)all.v;
	}
	if ((s = prepare(st, b)) != CW_OK || (s = write_all(st, dir, b, err, errsz)) != CW_OK ||
	    b->stopped)
		goto out;
	if (every)
		s = prune(st, dir);
	if (s == CW_OK && b->bad != CW_OK) {
		s = b->bad;
		snprintf(err, errsz, "%s (its manifest is left as it was)", b->why);
	}
out:
	if (s != CW_OK && err[0] == '\0')
		snprintf(err, errsz, "cannot update the manifests: %s%s%s", cw_strerror(s),
		         s == CW_ERR_IO ? ": " : "", s == CW_ERR_IO ? strerror(errno) : "");
	free(b->what);
	cw_strv_free(all.v, all.n);
	if (lockfd >= 0)
		close(lockfd);
	return s;
}

cw_status ws_manifests_update(ws_store *st, const char *const *clients, size_t n, char *err,
                              size_t errsz)
{
	struct build b = {.n = n, .clients = clients, .list = ws_list};
	return update(st, &b, err, errsz);
}

cw_status ws_manifests_refresh(ws_store *st, bool (*stop)(void *arg), void *arg, bool *stopped,
                               char *err, size_t errsz)
{
	struct build b = {.list = NULL, .stop = stop, .stop_arg = arg};
	cw_status s = update(st, &b, err, errsz);
	*stopped = b.stopped;
	return s;
}
