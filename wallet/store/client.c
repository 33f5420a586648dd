/* Client records (clients/CLIENT.json, docs/FORMAT.md): reading them (with the cheap
 * identity check the server's cache uses), writing them, the revoked certificates they hold,
 * the lock of the commands that change them and the steps of a client's removal. */
#define _GNU_SOURCE
#include "objstore_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "strv.h"

cw_status ws_client_id(ws_store *st, const char *client, ws_file_id *out)
{
	return ws_client_file_id(st->cltfd, "", client, ".json", out);
}

/* ---- clients ---- */

bool ws_cert_fpr_valid(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

const ws_revoked_cert *ws_client_cert_revoked(const ws_client *c, const char *sha256)
{
	for (size_t i = 0; sha256 != NULL && i < c->ncerts; i++)
		if (strcmp(c->revoked_certs[i].sha256, sha256) == 0)
			return &c->revoked_certs[i];
	return NULL;
}

cw_status ws_client_revoke_cert(ws_client *c, const char *sha256)
{
	if (!ws_cert_fpr_valid(sha256))
		return CW_ERR_USAGE;
	if (ws_client_cert_revoked(c, sha256) != NULL)
		return CW_ERR_EXISTS;
	if (c->ncerts >= WS_REVOKED_CERTS_MAX)
		return CW_ERR_TOOBIG;
	ws_revoked_cert *r = &c->revoked_certs[c->ncerts++];
	memcpy(r->sha256, sha256, sizeof r->sha256);
	ws_time_now(r->revoked_at);
	return CW_OK;
}

bool ws_client_unrevoke_cert(ws_client *c, const char *sha256)
{
	const ws_revoked_cert *r = ws_client_cert_revoked(c, sha256);
	if (r == NULL)
		return false;
	size_t i = (size_t)(r - c->revoked_certs);
	memmove(&c->revoked_certs[i], &c->revoked_certs[i + 1],
	        (c->ncerts - i - 1) * sizeof c->revoked_certs[0]);
	c->ncerts--;
	memset(&c->revoked_certs[c->ncerts], 0, sizeof c->revoked_certs[0]);
	return true;
}

/* "revoked_certs": absent or null (records older than it), or up to WS_REVOKED_CERTS_MAX
 * objects {"sha256": fingerprint, "revoked_at": time}, each fingerprint once. */
static bool parse_certs(const cJSON *root, ws_client *c, char *why, size_t whysz)
{
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(root, "revoked_certs"), *it;
	if (rc == NULL || cJSON_IsNull(rc))
		return true;
	if (!cJSON_IsArray(rc)) {
		snprintf(why, whysz, "revoked_certs is not an array");
		return false;
	}
	cJSON_ArrayForEach(it, rc)
	{
		size_t i = c->ncerts;
		ws_revoked_cert *r = &c->revoked_certs[i];
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(it, "revoked_at");
		if (i >= WS_REVOKED_CERTS_MAX) {
			snprintf(why, whysz, "revoked_certs holds more than %d certificates",
			         WS_REVOKED_CERTS_MAX);
			return false;
		}
		if (!ws_json_str(it, "sha256", r->sha256, sizeof r->sha256) ||
		    !ws_cert_fpr_valid(r->sha256)) {
			snprintf(why, whysz,
			         "revoked_certs[%zu].sha256 is not a certificate fingerprint "
			         "(64 lowercase hex digits)",
			         i);
			return false;
		}
		if (at != NULL && !cJSON_IsNull(at) &&
		    !ws_json_str(it, "revoked_at", r->revoked_at, sizeof r->revoked_at)) {
			snprintf(why, whysz, "revoked_certs[%zu].revoked_at is not a time", i);
			return false;
		}
		if (ws_client_cert_revoked(c, r->sha256) != NULL) {
			snprintf(why, whysz, "revoked_certs[%zu] lists %s a second time", i,
			         r->sha256);
			return false;
		}
		c->ncerts++;
	}
	return true;
}

cw_status ws_client_parse(const char *json, ws_client *c, char *why, size_t whysz)
{
	cw_status st = CW_ERR_INTEGRITY;
	cJSON *root = cJSON_Parse(json);
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(root, "revoked");
	memset(c, 0, sizeof *c);
	if (!cJSON_IsObject(root))
		snprintf(why, whysz, "not a JSON object");
	else if (!ws_json_str(root, "client", c->client, sizeof c->client) ||
	         !cw_client_name_valid(c->client, strlen(c->client)))
		snprintf(why, whysz, "client is not a client name");
	else if (!ws_json_str(root, "fingerprint", c->fingerprint, sizeof c->fingerprint) ||
	         !ws_is_hex(c->fingerprint, 40))
		snprintf(why, whysz, "fingerprint is not an OpenPGP fingerprint");
	else if (rev != NULL && !cJSON_IsBool(rev))
		snprintf(why, whysz, "revoked is neither true nor false");
	else if (parse_certs(root, c, why, whysz))
		st = CW_OK;
	if (st != CW_OK)
		goto out;
	(void)ws_json_str(root, "imported", c->imported, sizeof c->imported);
	c->revoked = cJSON_IsTrue(rev);
	(void)ws_json_str(root, "revoked_at", c->revoked_at, sizeof c->revoked_at);
out:
	cJSON_Delete(root);
	return st;
}

/* Reads and parses clients/file; why as ws_client_read's. */
static cw_status client_load(ws_store *st, const char *file, ws_client *out, char *why,
                             size_t whysz)
{
	char detail[200] = "";
	unsigned char *buf = NULL;
	size_t len;
	cw_status s = ws_read_at(st->cltfd, file, WS_SMALL_MAX, &buf, &len);
	if (s == CW_OK)
		s = ws_client_parse((const char *)buf, out, detail, sizeof detail);
	else if (s == CW_ERR_TOOBIG)
		snprintf(detail, sizeof detail, "larger than %zu bytes", WS_SMALL_MAX);
	free(buf);
	if (s == CW_ERR_TOOBIG)
		s = CW_ERR_INTEGRITY;
	if (s != CW_OK && why != NULL)
		snprintf(why, whysz, "clients/%s: %s", file,
		         detail[0] != '\0' ? detail : cw_strerror(s));
	return s;
}

cw_status ws_client_read(ws_store *st, const char *client, ws_client *out, char *why, size_t whysz)
{
	char file[CW_CLIENT_NAME_MAX + 8];
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (client == NULL || !cw_client_name_valid(client, strlen(client)))
		return CW_ERR_NAME;
	snprintf(file, sizeof file, "%s.json", client);
	cw_status s = client_load(st, file, out, why, whysz);
	if (s == CW_OK && strcmp(out->client, client) != 0) {
		if (why != NULL)
			snprintf(why, whysz, "clients/%s: names client '%s'", file, out->client);
		s = CW_ERR_INTEGRITY;
	}
	return s;
}

cw_status ws_client_get(ws_store *st, const char *client, ws_client *out)
{
	return ws_client_read(st, client, out, NULL, 0);
}

cJSON *ws_client_json(const ws_client *c)
{
	cJSON *root = cJSON_CreateObject(), *certs;
	if (root == NULL || !cJSON_AddStringToObject(root, "client", c->client) ||
	    !cJSON_AddStringToObject(root, "fingerprint", c->fingerprint) ||
	    !cJSON_AddStringToObject(root, "imported", c->imported) ||
	    !cJSON_AddBoolToObject(root, "revoked", c->revoked) ||
	    !(c->revoked_at[0] ? cJSON_AddStringToObject(root, "revoked_at", c->revoked_at)
	                       : cJSON_AddNullToObject(root, "revoked_at")) ||
	    (certs = cJSON_AddArrayToObject(root, "revoked_certs")) == NULL)
		goto fail;
	for (size_t i = 0; i < c->ncerts; i++) {
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(certs, o) ||
		    !cJSON_AddStringToObject(o, "sha256", c->revoked_certs[i].sha256) ||
		    !cJSON_AddStringToObject(o, "revoked_at", c->revoked_certs[i].revoked_at))
			goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

cw_status ws_client_put(ws_store *st, const ws_client *c, bool replace)
{
	char file[CW_CLIENT_NAME_MAX + 8], dir[PATH_MAX];
	char *s = NULL;
	cw_status rc;
	if (!cw_client_name_valid(c->client, strlen(c->client)))
		return CW_ERR_NAME;
	if (c->ncerts > WS_REVOKED_CERTS_MAX)
		return CW_ERR_USAGE;
	for (size_t i = 0; i < c->ncerts; i++)
		if (!ws_cert_fpr_valid(c->revoked_certs[i].sha256))
			return CW_ERR_USAGE;
	cJSON *root = ws_client_json(c);
	if (root == NULL || (s = cJSON_PrintUnformatted(root)) == NULL) {
		rc = CW_ERR_NOMEM;
		goto out;
	}
	snprintf(file, sizeof file, "%s.json", c->client);
	if ((rc = cw_path(dir, sizeof dir, "%s/clients", st->dir)) == CW_OK)
		rc = cw_write_atomic(dir, file, s, strlen(s), 0600, replace);
out:
	cJSON_free(s);
	cJSON_Delete(root);
	return rc;
}

/* ---- client lock and removal ---- */

int ws_clients_lock(ws_store *st)
{
	int fd = openat(st->cltfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc;
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void ws_clients_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

#define REMOVING_SUFFIX ".removing"

static cw_status removing_file(const char *client, char *out, size_t outsz)
{
	if (client == NULL || !cw_client_name_valid(client, strlen(client)))
		return CW_ERR_NAME;
	snprintf(out, outsz, ".%s" REMOVING_SUFFIX, client);
	return CW_OK;
}

static cw_status sync_clients(ws_store *st)
{
	return fsync(st->cltfd) == 0 ? CW_OK : CW_ERR_IO;
}

cw_status ws_client_remove_begin(ws_store *st, const char *client)
{
	char file[CW_CLIENT_NAME_MAX + 8], gone[CW_CLIENT_NAME_MAX + 16];
	cw_status s = removing_file(client, gone, sizeof gone);
	if (s != CW_OK)
		return s;
	snprintf(file, sizeof file, "%s.json", client);
	if (renameat(st->cltfd, file, st->cltfd, gone) != 0)
		return ws_errno_status();
	return sync_clients(st);
}

cw_status ws_client_removing(ws_store *st, const char *client, ws_client *out)
{
	char gone[CW_CLIENT_NAME_MAX + 16];
	cw_status s = removing_file(client, gone, sizeof gone);
	if (s == CW_OK)
		s = client_load(st, gone, out, NULL, 0);
	if (s == CW_OK && strcmp(out->client, client) != 0)
		s = CW_ERR_INTEGRITY;
	return s;
}

cw_status ws_client_remove_end(ws_store *st, const char *client)
{
	char gone[CW_CLIENT_NAME_MAX + 16];
	cw_status s = removing_file(client, gone, sizeof gone);
	if (s != CW_OK)
		return s;
	if (unlinkat(st->cltfd, gone, 0) != 0 && errno != ENOENT)
		return CW_ERR_IO;
	return sync_clients(st);
}

static bool client_file(const char *file, char *out, size_t outsz)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".json") != 0 || len - 5 >= outsz)
		return false;
	memcpy(out, file, len - 5);
	out[len - 5] = '\0';
	return cw_client_name_valid(out, len - 5);
}

static bool removing_name(const char *file, char *out, size_t outsz)
{
	size_t len = strlen(file), sl = strlen(REMOVING_SUFFIX);
	if (len <= sl + 1 || file[0] != '.' || strcmp(file + len - sl, REMOVING_SUFFIX) != 0 ||
	    len - sl - 1 >= outsz)
		return false;
	memcpy(out, file + 1, len - sl - 1);
	out[len - sl - 1] = '\0';
	return cw_client_name_valid(out, len - sl - 1);
}

cw_status ws_client_removals(ws_store *st, char ***out, size_t *n)
{
	return ws_dir_names(st->cltfd, true, removing_name, out, n);
}

cw_status ws_client_names(ws_store *st, char ***out, size_t *n)
{
	return ws_dir_names(st->cltfd, false, client_file, out, n);
}

cw_status ws_client_list(ws_store *st, ws_client_fn fn, void *arg)
{
	char **names;
	size_t n;
	cw_status s = ws_client_names(st, &names, &n);
	for (size_t i = 0; s == CW_OK && i < n; i++) {
		ws_client c;
		s = ws_client_get(st, names[i], &c);
		if (s == CW_OK)
			s = fn(&c, arg);
	}
	cw_strv_free(names, n);
	return s;
}
