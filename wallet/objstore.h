/* The wallet's data directory (docs/FORMAT.md): reading side used by `wallet serve`, writing
 * side used by the admin commands. Nothing here decrypts: the wallet never can.
 *
 * Thread safety: a ws_store handle may be shared by many threads for the reading functions
 * (ws_object_load, ws_list, ws_client_get); the writing functions take a per-object flock and
 * are safe against other processes too. */
#ifndef WALLET_OBJSTORE_H
#define WALLET_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * CW_ERR_NOTFOUND when there is no such object or version. Never reads outside the data
 * directory. The caller frees with ws_object_free. */
cw_status ws_object_load(ws_store *st, const char *name, uint64_t version, ws_object **out);
void ws_object_free(ws_object *obj); /* NULL accepted */
bool ws_object_has_recipient(const ws_object *obj, const char *client);

/* Metadata of one version, as listed. */
typedef struct ws_entry {
	char name[CW_NAME_MAX + 1];
	uint64_t version; /* the latest */
	char created[40];
	size_t size;
	uint64_t nversions;
	const ws_recipient *recipients;
	size_t nrecipients;
} ws_entry;

/* Calls fn for the latest version of every object (in name order); stops early and returns
 * fn's status when it is not CW_OK. */
typedef cw_status (*ws_list_fn)(const ws_entry *e, void *arg);
cw_status ws_list(ws_store *st, ws_list_fn fn, void *arg);

typedef struct ws_client {
	char client[CW_CLIENT_NAME_MAX + 1];
	char fingerprint[41];
	char imported[40];
	bool revoked;
} ws_client;

/* CW_ERR_NOTFOUND for an unknown client. */
cw_status ws_client_get(ws_store *st, const char *client, ws_client *out);

#endif
