/* common/etag: the entity-tag grammar (RFC 9110) and If-None-Match's weak comparison, as the
 * server answers watchers and as the client keeps what a server (or nginx) sent. */
#include <string.h>

#include "cmocka_common.h"
#include "etag.h"

static bool valid(const char *s)
{
	return cw_etag_valid(s, strlen(s));
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(valid("\"\""));
	assert_true(valid("\"abc\""));
	assert_true(valid("W/\"abc\""));
	assert_true(valid("\"5f8d1c2a-1a2\"")); /* nginx */
	assert_true(valid("\"!#~\""));
	const char *bad[] = {"",         "\"",      "abc",      "\"a\"b\"", "\"a b\"",
	                     "w/\"a\"",  "W/abc",   "W/",       "\"a\" ",   " \"a\"",
	                     "\"a\tb\"", "\"a\"\"", "\"\x80\"", "\"a\nb\"", "W/\"a\"x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(valid(bad[i]));
	assert_false(cw_etag_valid("\"a\0b\"", 5)); /* an embedded NUL */
	assert_false(cw_etag_valid(NULL, 0));
	/* at most CW_ETAG_MAX bytes */
	char s[CW_ETAG_MAX + 2];
	memset(s, 'a', sizeof s);
	s[0] = '"';
	s[CW_ETAG_MAX - 1] = '"';
	s[CW_ETAG_MAX] = '\0';
	assert_true(valid(s));
	s[CW_ETAG_MAX - 1] = 'a';
	s[CW_ETAG_MAX] = '"';
	s[CW_ETAG_MAX + 1] = '\0';
	assert_false(valid(s));
}

static void test_match(void **state)
{
	(void)state;
	const char *e = "\"abc\"";
	assert_true(cw_etag_match("\"abc\"", e));
	assert_true(cw_etag_match("W/\"abc\"", e));         /* weak comparison */
	assert_true(cw_etag_match("\"abc\"", "W/\"abc\"")); /* either side */
	assert_true(cw_etag_match("\"x\", \"abc\"", e));
	assert_true(cw_etag_match("\"x\",\"abc\" ,\t\"y\"", e));
	assert_true(cw_etag_match("*", e));
	assert_true(cw_etag_match(" * ", e));
	assert_false(cw_etag_match("\"abd\"", e));
	assert_false(cw_etag_match("\"ab\"", e));
	assert_false(cw_etag_match("abc", e));
	assert_false(cw_etag_match("", e));
	assert_false(cw_etag_match(NULL, e));
	assert_false(cw_etag_match("*, \"abc\"", e));
	assert_false(cw_etag_match("\"abc\", junk", e)); /* a bad element: no match at all */
	assert_false(cw_etag_match("\"abc\",", e));
	assert_false(cw_etag_match(",\"abc\"", e));
	assert_false(cw_etag_match("\"abc\",,\"abc\"", e));
	assert_false(cw_etag_match("\"abc\" \"abc\"", e)); /* no comma between */
	/* a comma is a character of a tag: "a," is one tag, not a list */
	assert_true(cw_etag_match("\"a,\"", "\"a,\""));
	assert_true(cw_etag_match("\"x\", \"a,\"", "\"a,\""));
	assert_false(cw_etag_match("\"a,\"", "\"a\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
