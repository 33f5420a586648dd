#include "objcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 1024u /* a power of two */

struct oc_item {
	ws_object *obj;
	char *headers;
	size_t bytes;         /* what the item is accounted for */
	uint32_t hash;        /* of (name, version) */
	unsigned refs;        /* references handed out, +1 while cached */
	oc_item *prev, *next; /* LRU list, most recent first */
	oc_item *hnext;       /* bucket chain */
};

struct oc_cache {
	pthread_mutex_t mu;
	size_t max_bytes, max_item_bytes;
	size_t bytes, items;
	oc_item *head, *tail;
	oc_item *buckets[NBUCKETS];
};

/* FNV-1a over the name and the version's bytes. */
static uint32_t key_hash(const char *name, uint64_t version)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(version >> (8 * i))) * 16777619u;
	return h;
}

oc_cache *oc_new(size_t max_bytes, size_t max_item_bytes)
{
	oc_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->max_bytes = max_bytes;
	c->max_item_bytes = max_item_bytes < max_bytes ? max_item_bytes : max_bytes;
	return c;
}

static void item_free(oc_item *it)
{
	ws_object_free(it->obj);
	free(it->headers);
	free(it);
}

/* Unlinks a cached item from its bucket and the LRU list; drops the cache's reference.
 * Returns true when that was the last reference (the caller frees, outside the lock). */
static bool unlink_item(oc_cache *c, oc_item *it)
{
	oc_item **pp = &c->buckets[it->hash & (NBUCKETS - 1)];
	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		c->head = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	else
		c->tail = it->prev;
	it->prev = it->next = it->hnext = NULL;
	c->bytes -= it->bytes;
	c->items--;
	return --it->refs == 0;
}

void oc_free(oc_cache *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL) {
		oc_item *it = c->head;
		if (unlink_item(c, it))
			item_free(it);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void to_front(oc_cache *c, oc_item *it)
{
	if (c->head == it)
		return;
	it->prev->next = it->next; /* it is not the head, so it has a prev */
	if (it->next != NULL)
		it->next->prev = it->prev;
	else
		c->tail = it->prev;
	it->prev = NULL;
	it->next = c->head;
	c->head->prev = it;
	c->head = it;
}

static oc_item *find(oc_cache *c, const char *name, uint64_t version, uint32_t h)
{
	for (oc_item *it = c->buckets[h & (NBUCKETS - 1)]; it != NULL; it = it->hnext)
		if (it->hash == h && it->obj->version == version &&
		    strcmp(it->obj->name, name) == 0)
			return it;
	return NULL;
}

oc_item *oc_get(oc_cache *c, const char *name, uint64_t version)
{
	uint32_t h = key_hash(name, version);
	pthread_mutex_lock(&c->mu);
	oc_item *it = find(c, name, version, h);
	if (it != NULL) {
		it->refs++;
		to_front(c, it);
	}
	pthread_mutex_unlock(&c->mu);
	return it;
}

oc_item *oc_put(oc_cache *c, ws_object *obj, char *headers)
{
	oc_item *it = NULL, *victims = NULL;
	if (obj == NULL || headers == NULL || (it = calloc(1, sizeof *it)) == NULL) {
		ws_object_free(obj);
		free(headers);
		return NULL;
	}
	/* The binary signature stays too: /objects/FILE/vN/object.sig serves it as a file. */
	it->obj = obj;
	it->headers = headers;
	it->refs = 1;
	it->hash = key_hash(obj->name, obj->version);
	it->bytes = sizeof *it + sizeof *obj + obj->sealed_len + strlen(headers) + 1 +
	            obj->nrecipients * sizeof *obj->recipients;
	if (it->bytes > c->max_item_bytes)
		return it; /* handed back uncached: freed by its release */

	pthread_mutex_lock(&c->mu);
	oc_item *old = find(c, obj->name, obj->version, it->hash);
	if (old != NULL) { /* another thread loaded it meanwhile */
		old->refs++;
		to_front(c, old);
		pthread_mutex_unlock(&c->mu);
		item_free(it);
		return old;
	}
	/* Make room first: the least recently used items go. */
	while (c->tail != NULL && c->bytes + it->bytes > c->max_bytes) {
		oc_item *v = c->tail;
		if (unlink_item(c, v)) {
			v->hnext = victims;
			victims = v;
		}
	}
	oc_item **b = &c->buckets[it->hash & (NBUCKETS - 1)];
	it->hnext = *b;
	*b = it;
	it->next = c->head;
	if (c->head != NULL)
		c->head->prev = it;
	c->head = it;
	if (c->tail == NULL)
		c->tail = it;
	it->refs++; /* the cache's own */
	c->bytes += it->bytes;
	c->items++;
	pthread_mutex_unlock(&c->mu);
	while (victims != NULL) {
		oc_item *v = victims;
		victims = v->hnext;
		item_free(v);
	}
	return it;
}

void oc_release(oc_cache *c, oc_item *it)
{
	if (it == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	bool last = --it->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (last)
		item_free(it);
}

const ws_object *oc_object(const oc_item *it)
{
	return it->obj;
}

const char *oc_headers(const oc_item *it)
{
	return it->headers;
}

void oc_stats(oc_cache *c, size_t *items, size_t *bytes)
{
	pthread_mutex_lock(&c->mu);
	*items = c->items;
	*bytes = c->bytes;
	pthread_mutex_unlock(&c->mu);
}
