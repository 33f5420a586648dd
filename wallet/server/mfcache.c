#include "mfcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "name.h"
#include "sealfmt.h"

#define NSLOTS 256u /* a power of two */

struct slot {
	bool used;
	char client[CW_CLIENT_NAME_MAX + 1];
	ws_file_id id;
	char etag[CW_ETAG_MAX + 1];
	unsigned char *body; /* NULL when over the budget */
	size_t len;
};

struct mc_cache {
	ws_store *st;
	size_t max_bytes, bytes;
	pthread_mutex_t mu;
	unsigned long long hits, reads;
	struct slot slots[NSLOTS];
};

mc_cache *mc_new(ws_store *st, size_t max_bytes)
{
	mc_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->st = st;
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void mc_free(mc_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NSLOTS; i++)
		free(c->slots[i].body);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Answers from the slot when it holds this identity: 1 (etag set; *body set or NULL for a
 * match), 0 on a miss, -1 out of memory. Called with the mutex held. */
static int from_slot(mc_cache *c, struct slot *s, const char *client, const ws_file_id *id,
                     const char *inm, char *etag, unsigned char **body, size_t *len)
{
	if (!s->used || strcmp(s->client, client) != 0 || memcmp(&s->id, id, sizeof *id) != 0)
		return 0;
	bool match = inm != NULL && cw_etag_match(inm, s->etag);
	if (!match && s->body == NULL)
		return 0; /* the ETag alone does not answer a full request */
	memcpy(etag, s->etag, sizeof s->etag);
	c->hits++;
	if (match)
		return 1;
	if ((*body = malloc(s->len + 1)) == NULL)
		return -1;
	memcpy(*body, s->body, s->len);
	*len = s->len;
	return 1;
}

/* Records what was read under the identity taken before the read. Mutex held. */
static void store_slot(mc_cache *c, struct slot *s, const char *client, const ws_file_id *id,
                       const char *etag, const unsigned char *body, size_t len)
{
	if (s->body != NULL)
		c->bytes -= s->len;
	free(s->body);
	s->body = NULL;
	s->used = true;
	snprintf(s->client, sizeof s->client, "%s", client);
	s->id = *id;
	memcpy(s->etag, etag, sizeof s->etag);
	s->len = len;
	if (len <= c->max_bytes - c->bytes && (s->body = malloc(len ? len : 1)) != NULL) {
		memcpy(s->body, body, len);
		c->bytes += len;
	}
}

cw_status mc_get(mc_cache *c, const char *client, const char *if_none_match, char *etag,
                 unsigned char **body, size_t *len)
{
	ws_file_id id;
	char path[4096], hex[65];
	*body = NULL;
	*len = 0;
	/* The identity is taken before the file is read: should the file be replaced in
	 * between, the newer content (and its own ETag) is stored under the older identity,
	 * and the next lookup, seeing the newer identity, reads it again. */
	cw_status st = ws_manifest_id(c->st, client, &id);
	if (st != CW_OK)
		return st;
	struct slot *s = &c->slots[cw_name_hash(client) & (NSLOTS - 1)];
	pthread_mutex_lock(&c->mu);
	int got = from_slot(c, s, client, &id, if_none_match, etag, body, len);
	pthread_mutex_unlock(&c->mu);
	if (got != 0)
		return got > 0 ? CW_OK : CW_ERR_NOMEM;
	if ((st = cw_path(path, sizeof path, "%s/manifests/%s", ws_store_dir(c->st), client)) !=
	        CW_OK ||
	    (st = cw_read_file(path, CW_MANIFEST_MAX, body, len)) != CW_OK)
		return st;
	ws_sha256_hex(*body, *len, hex);
	snprintf(etag, CW_ETAG_MAX + 1, "\"%s\"", hex);
	pthread_mutex_lock(&c->mu);
	c->reads++;
	store_slot(c, s, client, &id, etag, *body, *len);
	pthread_mutex_unlock(&c->mu);
	if (if_none_match != NULL && cw_etag_match(if_none_match, etag)) {
		free(*body);
		*body = NULL;
		*len = 0;
	}
	return CW_OK;
}

void mc_stats(mc_cache *c, unsigned long long *hits, unsigned long long *reads)
{
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*reads = c->reads;
	pthread_mutex_unlock(&c->mu);
}
