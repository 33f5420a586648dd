/* The wallet's data directory (docs/FORMAT.md): reading side used by `wallet serve`, writing
 * side used by the admin commands. Nothing here decrypts: the wallet never can.
 *
 * Thread safety: a ws_store handle may be shared by many threads for the reading functions
 * (ws_object_load, ws_list, ws_client_get); the writing functions take a per-object flock and
 * are safe against other processes too. */
#ifndef WALLET_OBJSTORE_H
#define WALLET_OBJSTORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "name.h"
#include "status.h"

typedef struct ws_store ws_store;

/* Opens an existing, initialised data directory (wallet.json present). */
cw_status ws_store_open(const char *datadir, ws_store **out);
void ws_store_close(ws_store *st); /* NULL accepted */
const char *ws_store_dir(const ws_store *st);

typedef struct ws_recipient {
	char client[CW_CLIENT_NAME_MAX + 1];
	char fingerprint[41];
} ws_recipient;

/* One published version, fully loaded into memory (all of it is public: sealed bytes). */
typedef struct ws_object {
	char name[CW_NAME_MAX + 1];
	uint64_t version;
	char created[40];
	char sha256[65];
	char signer[41];
	unsigned char *sealed;
	size_t sealed_len;
	unsigned char *sig; /* binary detached signature over sealed */
	size_t sig_len;
	ws_recipient *recipients;
	size_t nrecipients;
} ws_object;

/* Loads a version of name (version 0 = latest). CW_ERR_NAME for a name outside the grammar,
 * CW_ERR_NOTFOUND when there is no such object or version, or the version is above latest
 * (not published: a store or rm was killed half-way). Never reads outside the data
 * directory. The caller frees with ws_object_free. */
cw_status ws_object_load(ws_store *st, const char *name, uint64_t version, ws_object **out);
void ws_object_free(ws_object *obj); /* NULL accepted */
bool ws_object_has_recipient(const ws_object *obj, const char *client);

/* Metadata of one version, as listed. */
typedef struct ws_entry {
	char name[CW_NAME_MAX + 1];
	uint64_t version; /* the latest */
	char created[40];
	char sha256[65]; /* of the sealed bytes */
	size_t size;
	uint64_t nversions;
	const ws_recipient *recipients;
	size_t nrecipients;
} ws_entry;

/* Calls fn for the latest version of every object (in name order); stops early and returns
 * fn's status when it is not CW_OK. */
typedef cw_status (*ws_list_fn)(const ws_entry *e, void *arg);
cw_status ws_list(ws_store *st, ws_list_fn fn, void *arg);
/* The entries ws_list lists, in the same order, one at a time and each read afresh: memory
 * holds the object names and one entry, whatever the store holds (ws_list keeps an entry of
 * every object in the handle for the next call). For a caller that visits the store once in a
 * long while and is asked for its data piece by piece (wallet serve's refresh streams each
 * manifest into gpgme). next fills e (its recipients valid until the next call) and returns
 * CW_OK, or CW_ERR_NOTFOUND after the last. One thread at a time; free accepts NULL. */
typedef struct ws_objiter ws_objiter;
cw_status ws_objiter_new(ws_store *st, ws_objiter **out);
cw_status ws_objiter_next(ws_objiter *it, ws_entry *e);
/* From now on, only objects whose name starts with prefix (kept by reference; NULL or "": all);
 * the others are skipped without reading anything of them. */
void ws_objiter_prefix(ws_objiter *it, const char *prefix);
void ws_objiter_free(ws_objiter *it);
/* How many objects have a latest version (what ws_list would list, but for one whose
 * meta.json is unreadable): one pass over objects/ without reading any meta.json or keeping
 * anything. For /metrics. */
cw_status ws_object_count(ws_store *st, size_t *n);

/* One certificate of a client refused by itself (wallet revoke --cert), named by its
 * fingerprint: the lowercase hex SHA-256 of its DER encoding. */
#define WS_REVOKED_CERTS_MAX 32
typedef struct ws_revoked_cert {
	char sha256[65];
	char revoked_at[40];
} ws_revoked_cert;

typedef struct ws_client {
	char client[CW_CLIENT_NAME_MAX + 1];
	char fingerprint[41];
	char imported[40];
	bool revoked;
	char revoked_at[40]; /* added: "" when not revoked */
	size_t ncerts;       /* revoked certificates (a record without the key has none) */
	ws_revoked_cert revoked_certs[WS_REVOKED_CERTS_MAX];
} ws_client;

/* CW_ERR_NOTFOUND for an unknown client, CW_ERR_INTEGRITY for a record that is not one. */
cw_status ws_client_get(ws_store *st, const char *client, ws_client *out);
/* The same; on CW_ERR_INTEGRITY (or another failure) why receives one line naming the file and
 * what is wrong in it ("clients/app1.json: revoked_certs[0].sha256 is not ..."). */
cw_status ws_client_read(ws_store *st, const char *client, ws_client *out, char *why, size_t whysz);

/* Whether s is a certificate fingerprint as records keep them: 64 lowercase hex digits. */
bool ws_cert_fpr_valid(const char *s);
/* The revoked certificate of c whose fingerprint is sha256, or NULL. */
const ws_revoked_cert *ws_client_cert_revoked(const ws_client *c, const char *sha256);
/* Adds sha256 (valid) to c's revoked certificates, revoked now. CW_ERR_EXISTS when it is
 * there already, CW_ERR_TOOBIG when c holds WS_REVOKED_CERTS_MAX of them. */
cw_status ws_client_revoke_cert(ws_client *c, const char *sha256);
/* Removes sha256 from c's revoked certificates; false when it was not there. */
bool ws_client_unrevoke_cert(ws_client *c, const char *sha256);

/* ---- cheap checks for a server that caches what it loaded (one system call each) ---- */

/* The version `latest` of name names (one readlinkat), without loading anything. CW_ERR_NAME
 * for a name outside the grammar, CW_ERR_NOTFOUND when the object or its latest is missing
 * (or latest is not a version link). Only the number is read: whatever it names is loaded by
 * ws_object_load, with its usual checks. */
cw_status ws_object_latest(ws_store *st, const char *name, uint64_t *version);
/* Whether objects/FILE/latest exists at all, naming a version or that none is published (a
 * removed object). An object with versions and no latest is damaged: checkintegrity. */
bool ws_object_linked(ws_store *st, const char *name);
/* The highest version number ever issued for name (objects/FILE/seq; 0 when none was),
 * published or not, removed or not. CW_ERR_NOTFOUND when name has no object directory. */
cw_status ws_object_seq(ws_store *st, const char *name, uint64_t *seq);

/* CW_OK when version (> 0) of name is published (objects/FILE/vN is a directory, at or
 * below latest: a readlinkat and an fstatat), CW_ERR_NOTFOUND when it is not (never was, not
 * yet, or removed). Versions are immutable and never reused, so this tells whether a copy
 * loaded earlier is still the published one. */
cw_status ws_version_exists(ws_store *st, const char *name, uint64_t version);

/* Identity of clients/CLIENT.json (one fstatat, not following symlinks): the file is
 * replaced atomically on every change (new inode), so equal identities (device, inode, size,
 * mtime, ctime) mean equal content. CW_ERR_NOTFOUND when the client is unknown. */
typedef struct ws_file_id {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
} ws_file_id;
cw_status ws_client_id(ws_store *st, const char *client, ws_file_id *out);
/* The same for manifests/CLIENT, which every update replaces by rename(2) (a new inode). */
cw_status ws_manifest_id(ws_store *st, const char *client, ws_file_id *out);

/* ---- additions for the admin commands (writing side and helpers) ---- */

/* The wallet's signing-key fingerprint (from wallet.json) and its GNUPGHOME (DATA/gnupg).
 * Valid while st is open. */
const char *ws_store_signing_fpr(const ws_store *st);
const char *ws_store_gnupg(const ws_store *st);

/* Creates the data directory layout (directories 0700) and, unless present, wallet.json
 * naming signing_fpr. An existing wallet.json is left alone (CW_ERR_EXISTS). Used by init. */
cw_status ws_store_layout(const char *datadir);
cw_status ws_store_create(const char *datadir, const char *signing_fpr);

/* c as its record's JSON object (docs/FORMAT.md), which `wallet keys --json` lists too.
 * NULL when out of memory; free with cJSON_Delete. */
cJSON *ws_client_json(const ws_client *c);

/* Writes clients/CLIENT.json atomically. With replace false an existing client gives
 * CW_ERR_EXISTS. */
cw_status ws_client_put(ws_store *st, const ws_client *c, bool replace);

/* Serialises the commands that read, change and write client records (importkey, revoke,
 * unrevoke, removekey) across processes: clients/.lock, flock(2) exclusive, blocking. Returns
 * the descriptor to pass to ws_clients_unlock, or -1 (errno set). Readers need no lock: a
 * record is replaced atomically. */
int ws_clients_lock(ws_store *st);
void ws_clients_unlock(int fd); /* -1 accepted */

/* Removal of a client in steps that a kill cannot leave half done (docs/FORMAT.md):
 * begin renames clients/CLIENT.json to clients/.CLIENT.removing (from then on the client is
 * unknown to every reader), the caller removes what belonged to it, end unlinks the renamed
 * record. ws_client_removing reads a renamed record left by a removal that did not end
 * (CW_ERR_NOTFOUND when there is none). Each step is durable (fsync of clients/) on return.
 * The caller holds ws_clients_lock. */
cw_status ws_client_remove_begin(ws_store *st, const char *client);
cw_status ws_client_removing(ws_store *st, const char *client, ws_client *out);
cw_status ws_client_remove_end(ws_store *st, const char *client);
/* Names of the clients whose removal did not end (a cw_strv, sorted). */
cw_status ws_client_removals(ws_store *st, char ***out, size_t *n);
/* The names of every registered client, sorted (a cw_strv), without reading their records. */
cw_status ws_client_names(ws_store *st, char ***out, size_t *n);
/* Calls fn for every registered client in name order (stops at a record it cannot read). */
typedef cw_status (*ws_client_fn)(const ws_client *c, void *arg);
cw_status ws_client_list(ws_store *st, ws_client_fn fn, void *arg);

/* The one UTC time formatter of the wallet (store metadata, the server's logs): t as
 * 2026-11-22T16:40:37, without fractions and zone, for the caller to append them. */
#define WS_TIME_UTC_LEN 24
void ws_time_utc(time_t t, char out[WS_TIME_UTC_LEN]);
/* The current UTC time as RFC 3339 without fractions (2026-11-22T16:40:37Z). */
void ws_time_now(char out[40]);

/* Lowercase hex sha256 of data into out (65 bytes). */
void ws_sha256_hex(const void *data, size_t len, char out[65]);

/* Every published version of name, ascending, into a malloc'd array (*n may be 0 for an object
 * whose versions were all removed); *latest receives the version `latest` names, 0 if none.
 * CW_ERR_NOTFOUND when the object never existed. */
cw_status ws_object_versions(ws_store *st, const char *name, uint64_t **out, size_t *n,
                             uint64_t *latest);

/* Every object name ever stored (object directories, including fully removed ones), sorted;
 * a string vector (strv.h): free with cw_strv_free. */
cw_status ws_object_names(ws_store *st, char ***out, size_t *n);

/* Publication of one new version (docs/FORMAT.md). begin takes the per-object flock (blocking),
 * picks the next version (never reused) and makes a private work directory under tmp/;
 * commit writes and fsyncs object.gpg, object.sig and meta.json there (obj->name, version,
 * created, signer, recipients, sealed and sig are the caller's; commit fills sha256), records the
 * version in seq, renames the directory to objects/FILE/vN and swaps latest. end releases the
 * lock and removes what an uncommitted transaction left (NULL accepted). On CW_ERR_IO errno
 * tells why (ENOSPC: full disk). */
typedef struct ws_txn ws_txn;
cw_status ws_publish_begin(ws_store *st, const char *name, ws_txn **out);
uint64_t ws_txn_version(const ws_txn *t);
cw_status ws_publish_commit(ws_txn *t, ws_object *obj);
void ws_txn_end(ws_txn *t);

/* Removes one version (version > 0) or every version (0) of name under the object's lock.
 * seq is kept, so versions are never reused. CW_ERR_NOTFOUND when there is nothing to remove. */
cw_status ws_remove(ws_store *st, const char *name, uint64_t version);

#endif
