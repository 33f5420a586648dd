/* wallet serve's TLS session cache (sesscache.h): a hash table of session ids, and a list
 * from the oldest stored to the newest for eviction. The ids are the server's own random
 * bytes; a client only chooses which id it looks up. */
#include "sesscache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ent {
	struct ent *next;          /* in its bucket */
	struct ent *older, *newer; /* in the eviction list */
	unsigned char id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	size_t idlen;
	SSL_SESSION *sess; /* our reference */
};

struct cw_sc {
	pthread_mutex_t mu;
	struct ent **buckets;
	size_t nbuckets; /* a power of two */
	size_t capacity, count;
	struct ent *oldest, *newest;
};

cw_sc *cw_sc_new(size_t capacity)
{
	if (capacity == 0 || capacity > ((size_t)1 << 24))
		return NULL;
	cw_sc *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->nbuckets = 16;
	while (c->nbuckets < capacity)
		c->nbuckets <<= 1;
	c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
	if (c->buckets == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->buckets);
		free(c);
		return NULL;
	}
	c->capacity = capacity;
	return c;
}

static size_t bucket_of(const cw_sc *c, const unsigned char *id, size_t idlen)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (size_t i = 0; i < idlen; i++)
		h = (h ^ id[i]) * 1099511628211u;
	return (size_t)h & (c->nbuckets - 1);
}

/* The slot that points at the entry for id (or at NULL, where it would go). */
static struct ent **slot_of(cw_sc *c, const unsigned char *id, size_t idlen)
{
	struct ent **p = &c->buckets[bucket_of(c, id, idlen)];
	while (*p != NULL && ((*p)->idlen != idlen || memcmp((*p)->id, id, idlen) != 0))
		p = &(*p)->next;
	return p;
}

/* Unlinks *slot's entry from both structures and frees it; returns its reference. */
static SSL_SESSION *unlink_ent(cw_sc *c, struct ent **slot)
{
	struct ent *e = *slot;
	*slot = e->next;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	SSL_SESSION *s = e->sess;
	free(e);
	return s;
}

/* The same, releasing the reference. */
static void drop(cw_sc *c, struct ent **slot)
{
	SSL_SESSION_free(unlink_ent(c, slot));
}

bool cw_sc_put(cw_sc *c, SSL_SESSION *sess)
{
	unsigned int idlen = 0;
	const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
	struct ent *e = NULL;
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH ||
	    (e = calloc(1, sizeof *e)) == NULL) {
		SSL_SESSION_free(sess);
		return false;
	}
	memcpy(e->id, id, idlen);
	e->idlen = idlen;
	e->sess = sess;
	pthread_mutex_lock(&c->mu);
	struct ent **slot = slot_of(c, e->id, e->idlen);
	if (*slot != NULL)
		drop(c, slot);
	while (c->count >= c->capacity)
		drop(c, slot_of(c, c->oldest->id, c->oldest->idlen));
	slot = slot_of(c, e->id, e->idlen); /* the eviction may have changed the chain */
	*slot = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	pthread_mutex_unlock(&c->mu);
	return true;
}

SSL_SESSION *cw_sc_take(cw_sc *c, const unsigned char *id, size_t idlen,
                        bool (*usable)(SSL_SESSION *sess, void *arg), void *arg)
{
	SSL_SESSION *s = NULL;
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return NULL;
	pthread_mutex_lock(&c->mu);
	struct ent **slot = slot_of(c, id, idlen);
	if (*slot != NULL) {
		s = unlink_ent(c, slot);
		if (usable != NULL && !usable(s, arg)) {
			SSL_SESSION_free(s);
			s = NULL;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return s;
}

void cw_sc_remove(cw_sc *c, const unsigned char *id, size_t idlen)
{
	if (idlen == 0 || idlen > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return;
	pthread_mutex_lock(&c->mu);
	struct ent **slot = slot_of(c, id, idlen);
	if (*slot != NULL)
		drop(c, slot);
	pthread_mutex_unlock(&c->mu);
}

void cw_sc_clear(cw_sc *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->oldest != NULL)
		drop(c, slot_of(c, c->oldest->id, c->oldest->idlen));
	pthread_mutex_unlock(&c->mu);
}

size_t cw_sc_count(cw_sc *c)
{
	pthread_mutex_lock(&c->mu);
	size_t n = c->count;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void cw_sc_free(cw_sc *c)
{
	if (c == NULL)
		return;
	cw_sc_clear(c);
	pthread_mutex_destroy(&c->mu);
	free(c->buckets);
	free(c);
}
