/* wallet serve's caches: wallet/objcache (loaded versions: lookup, byte bound, LRU eviction,
 * oversize items, references across eviction), wallet/clientcache (registry lookups that see
 * every change at once), wallet/mfcache (manifests and their ETags: a matching If-None-Match
 * answered without a read, a replaced file seen at once) and the one-system-call checks of
 * wallet/objstore they rely on (ws_object_latest, ws_version_exists, ws_client_id,
 * ws_manifest_id). Sealed bytes are fake here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "clientcache.h"
#include "mfcache.h"
#include "objcache.h"
#include "objstore_fixture.h"
static char dir[64];

static int setup(void **state)
{
	(void)state;
	return fixture_store_new(dir, sizeof dir, "/tmp/cwscXXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

/* A loaded-looking version of name with size sealed bytes (and a signature, dropped by
 * oc_put). */
static ws_object *mkobj(const char *name, uint64_t version, size_t size)
{
	ws_object *o = calloc(1, sizeof *o);
	assert_non_null(o);
	snprintf(o->name, sizeof o->name, "%s", name);
	o->version = version;
	o->sealed = malloc(size + 1);
	assert_non_null(o->sealed);
	memset(o->sealed, 'x', size);
	o->sealed_len = size;
	o->sig = malloc(3);
	assert_non_null(o->sig);
	memcpy(o->sig, "sig", 3);
	o->sig_len = 3;
	o->recipients = calloc(1, sizeof *o->recipients);
	assert_non_null(o->recipients);
	strcpy(o->recipients[0].client, "app1");
	o->nrecipients = 1;
	return o;
}

static char *hdr(const char *s)
{
	char *h = strdup(s);
	assert_non_null(h);
	return h;
}

static void test_objcache_get_put(void **state)
{
	(void)state;
	size_t n, bytes;
	oc_cache *c = oc_new(1 << 20, 1 << 16);
	assert_non_null(c);
	assert_null(oc_get(c, "db_pass", 1));

	oc_item *a = oc_put(c, mkobj("db_pass", 1, 100), hdr("X-A: 1\r\n"));
	assert_non_null(a);
	assert_string_equal(oc_headers(a), "X-A: 1\r\n");
	assert_int_equal(oc_object(a)->sealed_len, 100);
	assert_int_equal(oc_object(a)->sig_len, 3); /* served as object.sig too */
	assert_memory_equal(oc_object(a)->sig, "sig", 3);
	oc_release(c, a);

	oc_item *b = oc_get(c, "db_pass", 1);
	assert_ptr_equal(a, b);
	assert_null(oc_get(c, "db_pass", 2)); /* the key is (name, version) */
	assert_null(oc_get(c, "db_pas", 1));
	/* A second put of a cached key hands back the cached item (the new one is freed). */
	oc_item *d = oc_put(c, mkobj("db_pass", 1, 100), hdr("X-B: 2\r\n"));
	assert_ptr_equal(d, b);
	assert_string_equal(oc_headers(d), "X-A: 1\r\n");
	oc_release(c, d);
	oc_release(c, b);
	oc_stats(c, &n, &bytes);
	assert_int_equal(n, 1);
	assert_true(bytes >= 100 && bytes < 1000);
	/* Out of memory-style failure: NULL headers consume the object and give NULL. */
	assert_null(oc_put(c, mkobj("x", 1, 1), NULL));
	oc_free(c);
}

static void test_objcache_byte_bound(void **state)
{
	(void)state;
	size_t n, bytes, limit = 64 * 1024;
	oc_cache *c = oc_new(limit, limit);
	assert_non_null(c);
	/* 40 items of ~4 KiB each do not fit in 64 KiB: the bound holds after every put. */
	for (uint64_t v = 1; v <= 40; v++) {
		oc_item *it = oc_put(c, mkobj("obj", v, 4000), hdr("H: v\r\n"));
		assert_non_null(it);
		oc_release(c, it);
		oc_stats(c, &n, &bytes);
		assert_true(bytes <= limit);
		/* Keep version 1 the most recently used: it must survive. */
		oc_release(c, oc_get(c, "obj", 1));
	}
	oc_stats(c, &n, &bytes);
	assert_true(n >= 10 && n < 16);
	oc_item *one = oc_get(c, "obj", 1);
	assert_non_null(one); /* recently used: kept */
	oc_release(c, one);
	assert_null(oc_get(c, "obj", 2));     /* least recently used: evicted */
	oc_item *last = oc_get(c, "obj", 40); /* the newest: kept */
	assert_non_null(last);
	oc_release(c, last);
	oc_free(c);
}

static void test_objcache_oversize_and_refs(void **state)
{
	(void)state;
	size_t n, bytes;
	oc_cache *c = oc_new(16 * 1024, 8 * 1024);
	assert_non_null(c);
	/* Above max_item_bytes: served from memory once, never cached. */
	oc_item *big = oc_put(c, mkobj("big", 1, 9000), hdr("H: big\r\n"));
	assert_non_null(big);
	assert_int_equal(oc_object(big)->sealed_len, 9000);
	oc_stats(c, &n, &bytes);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	assert_null(oc_get(c, "big", 1));
	oc_release(c, big); /* freed here (valgrind/ASan would see a leak or a double free) */

	/* An item evicted while a request still holds it stays valid until released. */
	oc_item *held = oc_put(c, mkobj("a", 1, 7000), hdr("H: a\r\n"));
	assert_non_null(held);
	oc_release(c, oc_put(c, mkobj("b", 1, 7000), hdr("H: b\r\n")));
	oc_release(c, oc_put(c, mkobj("c", 1, 7000), hdr("H: c\r\n")));
	assert_null(oc_get(c, "a", 1)); /* evicted */
	assert_string_equal(oc_headers(held), "H: a\r\n");
	assert_int_equal(oc_object(held)->sealed[6999], 'x');
	oc_release(c, held);
	oc_stats(c, &n, &bytes);
	assert_int_equal(n, 2);
	assert_true(bytes <= 16 * 1024);
	oc_free(c);

	/* max_bytes 0 caches nothing but still hands items back. */
	c = oc_new(0, 0);
	assert_non_null(c);
	oc_item *it = oc_put(c, mkobj("z", 1, 10), hdr("H: z\r\n"));
	assert_non_null(it);
	assert_null(oc_get(c, "z", 1));
	oc_release(c, it);
	oc_free(c);
}

static void put_client(ws_store *st, const char *name, bool revoked)
{
	ws_client c;
	memset(&c, 0, sizeof c);
	snprintf(c.client, sizeof c.client, "%s", name);
	snprintf(c.fingerprint, sizeof c.fingerprint, "%s", FPR);
	ws_time_now(c.imported);
	c.revoked = revoked;
	if (revoked)
		ws_time_now(c.revoked_at);
	assert_int_equal(ws_client_put(st, &c, true), CW_OK);
}

static void test_clientcache(void **state)
{
	(void)state;
	ws_store *st;
	ws_client c;
	unsigned long long hits, reads;
	char path[256], why[256];
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	cc_cache *cc = cc_new(st);
	assert_non_null(cc);

	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_ERR_NOTFOUND);
	assert_int_equal(cc_client_get(cc, "../x", &c, why, sizeof why), CW_ERR_NAME);
	put_client(st, "app1", false);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why),
	                 CW_OK); /* no stale "unknown" */
	assert_false(c.revoked);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	assert_string_equal(c.client, "app1");
	cc_stats(cc, &hits, &reads);
	assert_int_equal(hits, 1);
	assert_int_equal(reads, 1);

	/* Revocation is seen by the very next lookup, however soon. */
	put_client(st, "app1", true);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	assert_true(c.revoked);
	put_client(st, "app1", false);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	assert_false(c.revoked);
	/* A certificate revoked by itself too. */
	static const char cert[] =
	    "8d0cd47a0b8d2bd2e39d5071d850a95fdfbaaa35bb2126f5fc326f666f129590";
	assert_int_equal(ws_client_get(st, "app1", &c), CW_OK);
	assert_int_equal(ws_client_revoke_cert(&c, cert), CW_OK);
	assert_int_equal(ws_client_put(st, &c, true), CW_OK);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	assert_non_null(ws_client_cert_revoked(&c, cert));
	assert_true(ws_client_unrevoke_cert(&c, cert));
	assert_int_equal(ws_client_put(st, &c, true), CW_OK);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	assert_null(ws_client_cert_revoked(&c, cert));
	/* A record that is not one: told once (why), the same answer after that, and read
	 * again once it is mended. */
	static const char notone[] = "{\"client\":\"app1\"}";
	snprintf(path, sizeof path, "%s/clients", dir);
	assert_int_equal(cw_write_atomic(path, "app1.json", notone, strlen(notone), 0600, true),
	                 CW_OK);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_ERR_INTEGRITY);
	assert_string_equal(why, "clients/app1.json: fingerprint is not an OpenPGP fingerprint");
	cc_stats(cc, &hits, &reads);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_ERR_INTEGRITY);
	assert_string_equal(why, "");
	unsigned long long hits2, reads2;
	cc_stats(cc, &hits2, &reads2);
	assert_int_equal(reads2, reads);
	put_client(st, "app1", false);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_OK);
	/* Removal too. */
	snprintf(path, sizeof path, "%s/clients/app1.json", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cc_client_get(cc, "app1", &c, why, sizeof why), CW_ERR_NOTFOUND);
	/* And the answers equal ws_client_get's for many clients (slots collide). */
	for (int i = 0; i < 600; i++) {
		char name[16];
		snprintf(name, sizeof name, "c%d", i);
		put_client(st, name, i % 3 == 0);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 600; i++) {
			char name[16];
			ws_client w;
			snprintf(name, sizeof name, "c%d", i);
			assert_int_equal(cc_client_get(cc, name, &c, why, sizeof why), CW_OK);
			assert_int_equal(ws_client_get(st, name, &w), CW_OK);
			assert_string_equal(c.client, name);
			assert_int_equal(c.revoked, w.revoked);
		}
	cc_free(cc);
	ws_store_close(st);
}

/* Writes DIR/manifests/CLIENT as every update does: a new file renamed over the old one. */
static void put_manifest(const char *client, const char *content)
{
	char mdir[128];
	snprintf(mdir, sizeof mdir, "%s/manifests", dir);
	assert_int_equal(cw_write_atomic(mdir, client, content, strlen(content), 0600, true),
	                 CW_OK);
}

static void test_mfcache(void **state)
{
	(void)state;
	ws_store *st;
	unsigned char *body = NULL;
	size_t len = 0;
	char etag[CW_ETAG_MAX + 1], first[CW_ETAG_MAX + 1], inm[200];
	unsigned long long hits, reads;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	mc_cache *mc = mc_new(st, 64);
	assert_non_null(mc);
	assert_int_equal(mc_get(mc, "app1", NULL, etag, &body, &len), CW_ERR_NOTFOUND);
	assert_int_equal(mc_get(mc, "../x", NULL, etag, &body, &len), CW_ERR_NAME);

	put_manifest("app1", "signed-one");
	assert_int_equal(mc_get(mc, "app1", NULL, etag, &body, &len), CW_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(body, "signed-one", 10);
	free(body);
	/* the ETag: the sha256 of the bytes, quoted */
	assert_string_equal(etag,
	                    "\"c51918c02040c947850fa145cf3d1d031509601ac4d793fb28e4f66c7d335533\"");
	strcpy(first, etag);
	/* a matching If-None-Match: no body, from the table */
	assert_int_equal(mc_get(mc, "app1", first, etag, &body, &len), CW_OK);
	assert_null(body);
	assert_string_equal(etag, first);
	snprintf(inm, sizeof inm, "\"x\", W/%s", first);
	assert_int_equal(mc_get(mc, "app1", inm, etag, &body, &len), CW_OK);
	assert_null(body);
	assert_int_equal(mc_get(mc, "app1", "\"stale\"", etag, &body, &len), CW_OK);
	assert_non_null(body);
	free(body);
	mc_stats(mc, &hits, &reads);
	assert_int_equal(reads, 1);
	assert_int_equal(hits, 3);

	/* replaced: the very next request sees the new bytes and a new ETag */
	put_manifest("app1", "signed-two");
	assert_int_equal(mc_get(mc, "app1", first, etag, &body, &len), CW_OK);
	assert_non_null(body);
	assert_memory_equal(body, "signed-two", 10);
	free(body);
	assert_string_not_equal(etag, first);
	/* over the byte budget: the ETag still answers a conditional request without a read */
	char big[100];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	put_manifest("app2", big);
	assert_int_equal(mc_get(mc, "app2", NULL, etag, &body, &len), CW_OK);
	assert_int_equal(len, 99);
	free(body);
	mc_stats(mc, &hits, &reads);
	assert_int_equal(mc_get(mc, "app2", etag, etag, &body, &len), CW_OK);
	assert_null(body);
	unsigned long long hits2, reads2;
	mc_stats(mc, &hits2, &reads2);
	assert_int_equal(reads2, reads);
	assert_int_equal(hits2, hits + 1);
	/* ...and a full answer reads the file again */
	assert_int_equal(mc_get(mc, "app2", NULL, etag, &body, &len), CW_OK);
	assert_int_equal(len, 99);
	free(body);
	mc_stats(mc, &hits2, &reads2);
	assert_int_equal(reads2, reads + 1);
	mc_free(mc);
	ws_store_close(st);
}

static void test_store_checks(void **state)
{
	(void)state;
	ws_store *st;
	uint64_t v = 0;
	assert_int_equal(ws_store_open(dir, &st), CW_OK);
	assert_int_equal(ws_object_latest(st, "db_pass", &v), CW_ERR_NOTFOUND);
	assert_int_equal(ws_object_latest(st, "../etc", &v), CW_ERR_NAME);
	assert_int_equal(ws_version_exists(st, "db_pass", 1), CW_ERR_NOTFOUND);

	assert_int_equal(publish(st, "db_pass", "one"), 1);
	assert_int_equal(ws_object_latest(st, "db_pass", &v), CW_OK);
	assert_int_equal(v, 1);
	/* A store is visible to the very next lookup. */
	assert_int_equal(publish(st, "db_pass", "two"), 2);
	assert_int_equal(ws_object_latest(st, "db_pass", &v), CW_OK);
	assert_int_equal(v, 2);
	assert_int_equal(ws_version_exists(st, "db_pass", 1), CW_OK);
	assert_int_equal(ws_version_exists(st, "db_pass", 2), CW_OK);
	assert_int_equal(ws_version_exists(st, "db_pass", 3), CW_ERR_NOTFOUND);
	assert_int_equal(ws_version_exists(st, "db_pass", 0), CW_ERR_NOTFOUND);
	assert_int_equal(publish(st, "app1/tls/key", "k"), 1); /* '/' maps to '@' */
	assert_int_equal(ws_object_latest(st, "app1/tls/key", &v), CW_OK);
	assert_int_equal(v, 1);

	/* Removal: the removed version is gone, latest moves back, then goes. */
	assert_int_equal(ws_remove(st, "db_pass", 2), CW_OK);
	assert_int_equal(ws_version_exists(st, "db_pass", 2), CW_ERR_NOTFOUND);
	assert_int_equal(ws_object_latest(st, "db_pass", &v), CW_OK);
	assert_int_equal(v, 1);
	assert_int_equal(ws_remove(st, "db_pass", 0), CW_OK);
	assert_int_equal(ws_object_latest(st, "db_pass", &v), CW_ERR_NOTFOUND);
	assert_int_equal(ws_version_exists(st, "db_pass", 1), CW_ERR_NOTFOUND);

	/* The client identity changes with every rewrite. */
	ws_file_id a, b;
	assert_int_equal(ws_client_id(st, "app1", &a), CW_ERR_NOTFOUND);
	put_client(st, "app1", false);
	assert_int_equal(ws_client_id(st, "app1", &a), CW_OK);
	put_client(st, "app1", false);
	assert_int_equal(ws_client_id(st, "app1", &b), CW_OK);
	assert_true(memcmp(&a, &b, sizeof a) != 0);
	ws_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objcache_get_put),
	    cmocka_unit_test(test_objcache_byte_bound),
	    cmocka_unit_test(test_objcache_oversize_and_refs),
	    cmocka_unit_test_setup_teardown(test_clientcache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mfcache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_checks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
