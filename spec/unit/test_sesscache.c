/* wallet serve's TLS session cache (wallet/server/sesscache.h) with real OpenSSL sessions:
 * lookup by id, each session taken once, the bound and its eviction order, replacement,
 * refusal by the caller's rule, and the references it holds and hands out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sesscache.h"

static SSL_SESSION *sess_with_id(unsigned char tag)
{
	unsigned char id[32];
	memset(id, tag, sizeof id);
	SSL_SESSION *s = SSL_SESSION_new();
	assert_non_null(s);
	assert_int_equal(SSL_SESSION_set1_id(s, id, sizeof id), 1);
	return s;
}

static SSL_SESSION *get(cw_sc *c, unsigned char tag)
{
	unsigned char id[32];
	memset(id, tag, sizeof id);
	return cw_sc_take(c, id, sizeof id, NULL, NULL);
}

/* Whether tag is stored: taken out and put back (it becomes the newest). */
static bool present(cw_sc *c, unsigned char tag)
{
	SSL_SESSION *s = get(c, tag);
	if (s == NULL)
		return false;
	assert_true(cw_sc_put(c, s));
	return true;
}

static void test_put_get(void **state)
{
	(void)state;
	cw_sc *c = cw_sc_new(8);
	assert_non_null(c);
	SSL_SESSION *a = sess_with_id(1);
	assert_true(SSL_SESSION_up_ref(a));
	assert_true(cw_sc_put(c, a)); /* the cache has one reference, we keep one */
	SSL_SESSION *got = get(c, 1);
	assert_ptr_equal(got, a);
	assert_int_equal(cw_sc_count(c), 0); /* taken: a second take finds nothing */
	assert_null(get(c, 1));
	assert_true(cw_sc_put(c, got)); /* the cache's reference, back */
	assert_null(get(c, 2));
	unsigned char shortid[5] = {1, 1, 1, 1, 1};
	assert_null(cw_sc_take(c, shortid, sizeof shortid, NULL, NULL));
	assert_null(cw_sc_take(c, shortid, 0, NULL, NULL));
	assert_int_equal(cw_sc_count(c), 1);
	cw_sc_remove(c, (unsigned char[32]){0}, 32); /* absent: nothing happens */
	assert_int_equal(cw_sc_count(c), 1);
	unsigned char id1[32];
	memset(id1, 1, sizeof id1);
	cw_sc_remove(c, id1, sizeof id1);
	assert_int_equal(cw_sc_count(c), 0);
	assert_null(get(c, 1));
	SSL_SESSION_free(a); /* ours: the last reference */
	cw_sc_free(c);
}

/* Full: the oldest stored goes; storing an id again replaces it and makes it the newest. */
static void test_bound(void **state)
{
	(void)state;
	cw_sc *c = cw_sc_new(3);
	assert_non_null(c);
	for (unsigned char i = 1; i <= 3; i++)
		assert_true(cw_sc_put(c, sess_with_id(i)));
	assert_true(cw_sc_put(c, sess_with_id(1))); /* replaced: 2 is the oldest now */
	assert_int_equal(cw_sc_count(c), 3);
	assert_true(cw_sc_put(c, sess_with_id(4)));
	assert_int_equal(cw_sc_count(c), 3);
	assert_false(present(c, 2));
	assert_true(present(c, 1));
	assert_true(present(c, 3));
	assert_true(present(c, 4));
	for (unsigned char i = 5; i < 40; i++)
		assert_true(cw_sc_put(c, sess_with_id(i)));
	assert_int_equal(cw_sc_count(c), 3);
	assert_false(present(c, 36));
	assert_true(present(c, 37) && present(c, 38) && present(c, 39));
	cw_sc_clear(c);
	assert_int_equal(cw_sc_count(c), 0);
	assert_false(present(c, 39));
	cw_sc_free(c);
}

static bool never(SSL_SESSION *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return false;
}

static bool always(SSL_SESSION *s, void *arg)
{
	(void)s;
	++*(int *)arg;
	return true;
}

/* A session the caller's rule refuses is not handed out, and is forgotten. */
static void test_usable(void **state)
{
	(void)state;
	cw_sc *c = cw_sc_new(4);
	assert_non_null(c);
	assert_true(cw_sc_put(c, sess_with_id(7)));
	unsigned char id[32];
	memset(id, 7, sizeof id);
	int calls = 0;
	SSL_SESSION *s = cw_sc_take(c, id, sizeof id, always, &calls);
	assert_non_null(s);
	assert_int_equal(calls, 1);
	assert_true(cw_sc_put(c, s));
	assert_null(cw_sc_take(c, id, sizeof id, never, &calls));
	assert_int_equal(calls, 2);
	assert_int_equal(cw_sc_count(c), 0);
	assert_null(cw_sc_take(c, id, sizeof id, always, &calls));
	assert_int_equal(calls, 2); /* nothing left to ask about */
	cw_sc_free(c);
}

/* A session without an id is refused (and its reference released: the leak checkers see). */
static void test_no_id(void **state)
{
	(void)state;
	cw_sc *c = cw_sc_new(2);
	assert_non_null(c);
	assert_false(cw_sc_put(c, SSL_SESSION_new()));
	assert_int_equal(cw_sc_count(c), 0);
	assert_null(cw_sc_new(0));
	cw_sc_free(c);
	cw_sc_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_get),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_usable),
	    cmocka_unit_test(test_no_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
