/* Internals shared by objstore.c (open, load), client.c (client records), objlist.c (listing)
 * and objwrite.c (publication, removal). Not for other modules. */
#ifndef WALLET_OBJSTORE_INT_H
#define WALLET_OBJSTORE_INT_H

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sys/types.h>

#include "objstore.h"
#include "sealfmt.h"

/* Bounds on what a reader accepts from the data directory. */
#define WS_META_MAX ((size_t)1 << 20)
#define WS_SEALED_MAX ((size_t)1 << 30)
#define WS_SIG_MAX ((size_t)1 << 16)
#define WS_SMALL_MAX ((size_t)1 << 16)

struct ws_cache_ent; /* objlist.c */

struct ws_store {
	char dir[PATH_MAX];
	char gnupg[PATH_MAX];
	char signing[41];
	int dfd;                   /* the data directory */
	int objfd;                 /* objects/ */
	int cltfd;                 /* clients/ */
	pthread_mutex_t list_lock; /* guards the listing cache */
	struct ws_cache_ent *cache;
	size_t ncache;
};

/* Reads dfd/rel (rel a single component or a relative path without symlinks in its last
 * component) into malloc'd memory, NUL-terminated. CW_ERR_NOTFOUND when missing, CW_ERR_IO
 * when not a regular file, CW_ERR_TOOBIG above limit. */
cw_status ws_read_at(int dfd, const char *rel, size_t limit, unsigned char **out, size_t *len);

/* A directory stream over a held directory descriptor (which stays open: the stream reads a
 * descriptor of its own, opened anew, so that several threads may list one directory at once),
 * positioned at the start. NULL on failure. Close with closedir(). */
DIR *ws_opendir_at(int dfd);

/* "v123" -> 123; false for anything else (leading zeros, v0, overflow). */
bool ws_parse_vdir(const char *s, uint64_t *v);

/* Parses meta.json into obj (name, version, created, sha256, signer, recipients) and *size.
 * obj->recipients is malloc'd. CW_ERR_INTEGRITY for malformed metadata. */
cw_status ws_meta_parse(const char *json, ws_object *obj, size_t *size);
/* Serialises obj's metadata (size = obj->sealed_len); malloc'd string or NULL. */
char *ws_meta_json(const ws_object *obj);

/* The target latest has while no version of the object is published: a removed object, or
 * one whose first store is under way. Never a version directory (versions start at 1). */
#define WS_LATEST_NONE "v0"
/* Reads the target of objdir/latest: its version, 0 for WS_LATEST_NONE; CW_ERR_NOTFOUND when
 * there is no latest at all (damage: see drop_unpublished in objwrite.c). */
cw_status ws_latest_at(int odfd, uint64_t *v);

/* Opens objects/FILE for name (O_DIRECTORY|O_NOFOLLOW). CW_ERR_NAME, CW_ERR_NOTFOUND. */
cw_status ws_open_objdir(ws_store *st, const char *name, int *out);

/* CW_ERR_NOTFOUND for errno ENOENT, ENOTDIR or ELOOP (a missing or planted path), else
 * CW_ERR_IO. */
cw_status ws_errno_status(void);

/* The identity of dirfd/rel (ws_file_id, objstore.h): a regular file, not followed when a
 * symlink; CW_ERR_IO for anything else. */
cw_status ws_file_id_at(int dirfd, const char *rel, ws_file_id *out);
/* The same for PREFIX CLIENT SUFFIX under dirfd; CW_ERR_NAME for an invalid client name. */
cw_status ws_client_file_id(int dirfd, const char *prefix, const char *client, const char *suffix,
                            ws_file_id *out);

/* Whether s is exactly n hex digits (either case). */
bool ws_is_hex(const char *s, size_t n);
/* Copies the string member key of o into dst; false when absent, not a string or too long. */
bool ws_json_str(const cJSON *o, const char *key, char *dst, size_t dstsz);

/* Entries of dfd (dot files only with dots) that map back to a name through map, sorted: a
 * cw_strv. */
cw_status ws_dir_names(int dfd, bool dots, bool (*map)(const char *, char *, size_t), char ***out,
                       size_t *n);

/* Parses a client record (clients/CLIENT.json) into c; CW_ERR_INTEGRITY with one line in
 * why (what is wrong, without the file's name) for anything else. client.c. */
cw_status ws_client_parse(const char *json, ws_client *c, char *why, size_t whysz);

/* Frees the cache of objlist.c (called by ws_store_close). */
void ws_list_cache_free(ws_store *st);

#endif
