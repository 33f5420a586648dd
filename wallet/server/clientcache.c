#include "clientcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

#define NSLOTS 256u /* a power of two */

struct slot {
	bool used;
	ws_file_id id;
	cw_status st; /* CW_OK, or CW_ERR_INTEGRITY: a record that is not one (reported once) */
	ws_client c;
};

struct cc_cache {
	ws_store *st;
	pthread_mutex_t mu;
	unsigned long long hits, reads;
	struct slot slots[NSLOTS];
};

cc_cache *cc_new(ws_store *st)
{
	cc_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->st = st;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void cc_free(cc_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

cw_status cc_client_get(cc_cache *c, const char *client, ws_client *out, char *why, size_t whysz)
{
	ws_file_id id;
	why[0] = '\0';
	/* The identity is taken before the file is read: should the file be replaced in
	 * between, the newer content is stored under the older identity, and the next lookup
	 * (seeing the newer identity) reads it again. Never the other way round. */
	cw_status st = ws_client_id(c->st, client, &id);
	if (st != CW_OK)
		return st;
	struct slot *s = &c->slots[cw_name_hash(client) & (NSLOTS - 1)];
	pthread_mutex_lock(&c->mu);
	bool hit =
	    s->used && strcmp(s->c.client, client) == 0 && memcmp(&s->id, &id, sizeof id) == 0;
	if (hit) {
		st = s->st;
		if (st == CW_OK)
			*out = s->c;
		c->hits++;
	}
	pthread_mutex_unlock(&c->mu);
	if (hit)
		return st;
	st = ws_client_read(c->st, client, out, why, whysz);
	if (st == CW_ERR_NOTFOUND) /* removed since the identity was taken: nothing to report */
		why[0] = '\0';
	pthread_mutex_lock(&c->mu);
	c->reads++;
	if (st == CW_OK || st == CW_ERR_INTEGRITY) {
		s->used = true;
		s->id = id;
		s->st = st;
		if (st == CW_OK)
			s->c = *out;
		else
			snprintf(s->c.client, sizeof s->c.client, "%s", client);
	}
	pthread_mutex_unlock(&c->mu);
	return st;
}

void cc_stats(cc_cache *c, unsigned long long *hits, unsigned long long *reads)
{
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*reads = c->reads;
	pthread_mutex_unlock(&c->mu);
}
