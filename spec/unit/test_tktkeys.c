/* The rules for wallet serve's session-ticket keys (wallet/server/tktkeys.h), on a clock the
 * test moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tktkeys.h"

#define P 100 /* the period */

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void test_seal_then_open(void **state)
{
	(void)state;
	cw_tk_set s;
	memset(&s, 0, sizeof s);
	assert_true(cw_tk_reset(&s, P, 1000));
	const cw_tk_key *k = cw_tk_seal_key(&s, 1000);
	assert_non_null(k);
	assert_false(all_zero(k->aes, sizeof k->aes));
	assert_false(all_zero(k->hmac, sizeof k->hmac));
	assert_memory_not_equal(k->aes, k->hmac, sizeof k->aes);
	unsigned char name[CW_TK_NAME_LEN];
	memcpy(name, k->name, sizeof name);
	bool renew = true;
	assert_ptr_equal(cw_tk_open_key(&s, name, 1000 + P - 1, &renew), k);
	assert_false(renew);
	/* the same key all through its period */
	assert_ptr_equal(cw_tk_seal_key(&s, 1000 + P - 1), k);
	assert_memory_equal(cw_tk_seal_key(&s, 1000 + P - 1)->name, name, sizeof name);
	/* an unknown name opens nothing */
	name[0] ^= 1;
	assert_null(cw_tk_open_key(&s, name, 1000, &renew));
	cw_tk_wipe(&s);
	assert_true(all_zero(&s.cur, sizeof s.cur));
}

/* A key seals for one period and opens for two; what it opens in its second period is
 * renewed. */
static void test_rotation(void **state)
{
	(void)state;
	cw_tk_set s;
	memset(&s, 0, sizeof s);
	assert_true(cw_tk_reset(&s, P, 0));
	unsigned char first[CW_TK_NAME_LEN], second[CW_TK_NAME_LEN];
	memcpy(first, cw_tk_seal_key(&s, 0)->name, sizeof first);
	bool renew = false;
	/* the period is over: a new key seals, the old one still opens, with a renewal */
	const cw_tk_key *k = cw_tk_seal_key(&s, P);
	assert_non_null(k);
	assert_memory_not_equal(k->name, first, sizeof first);
	memcpy(second, k->name, sizeof second);
	assert_non_null(cw_tk_open_key(&s, first, P, &renew));
	assert_true(renew);
	assert_non_null(cw_tk_open_key(&s, second, P, &renew));
	assert_false(renew);
	assert_non_null(cw_tk_open_key(&s, first, 2 * P - 1, &renew));
	/* two periods after its birth, the first key opens nothing, even before a rotation */
	assert_null(cw_tk_open_key(&s, first, 2 * P, &renew));
	/* the second key past its own period, not rotated yet: opens, renewed */
	assert_non_null(cw_tk_open_key(&s, second, 2 * P + 1, &renew));
	assert_true(renew);
	/* the next rotation forgets the first key entirely */
	assert_non_null(cw_tk_seal_key(&s, 2 * P + 1));
	assert_null(cw_tk_open_key(&s, first, 2 * P + 1, &renew));
	assert_non_null(cw_tk_open_key(&s, second, 2 * P + 1, &renew));
	/* long idle: several periods at once leave only the newest key */
	assert_non_null(cw_tk_seal_key(&s, 10 * P));
	assert_null(cw_tk_open_key(&s, second, 10 * P, &renew));
	cw_tk_wipe(&s);
}

/* A reset (a reload of the TLS files) forgets every key at once. */
static void test_reset_forgets(void **state)
{
	(void)state;
	cw_tk_set s;
	memset(&s, 0, sizeof s);
	assert_true(cw_tk_reset(&s, P, 0));
	unsigned char a[CW_TK_NAME_LEN], b[CW_TK_NAME_LEN];
	memcpy(a, cw_tk_seal_key(&s, 0)->name, sizeof a);
	memcpy(b, cw_tk_seal_key(&s, P)->name, sizeof b);
	bool renew;
	assert_non_null(cw_tk_open_key(&s, a, P, &renew));
	assert_true(cw_tk_reset(&s, P, P + 1));
	assert_null(cw_tk_open_key(&s, a, P + 1, &renew));
	assert_null(cw_tk_open_key(&s, b, P + 1, &renew));
	const cw_tk_key *k = cw_tk_seal_key(&s, P + 1);
	assert_non_null(k);
	assert_memory_not_equal(k->name, b, sizeof b);
	assert_false(s.prev.set);
	cw_tk_wipe(&s);
}

/* A clock that goes back (not a monotonic one) gets a new key rather than an old one. */
static void test_clock_back(void **state)
{
	(void)state;
	cw_tk_set s;
	memset(&s, 0, sizeof s);
	assert_true(cw_tk_reset(&s, P, 500));
	unsigned char a[CW_TK_NAME_LEN];
	memcpy(a, cw_tk_seal_key(&s, 500)->name, sizeof a);
	bool renew;
	assert_null(cw_tk_open_key(&s, a, 499, &renew));
	const cw_tk_key *k = cw_tk_seal_key(&s, 499);
	assert_non_null(k);
	assert_memory_not_equal(k->name, a, sizeof a);
	cw_tk_wipe(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seal_then_open),
	    cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_reset_forgets),
	    cmocka_unit_test(test_clock_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
