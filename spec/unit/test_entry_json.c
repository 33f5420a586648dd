/* wallet-entry's JSON reader (client/entry/json.c): what RFC 8259 accepts and refuses, where
 * a refusal points, the walk over members and elements, lookups by name and index, and the
 * decoding of strings (escapes, surrogate pairs, "\u0000") into a buffer, into a cw_sbuf and
 * as a comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_common.h"
#include "json.h"

static bool check(const char *text, struct ent_json *root, size_t *at)
{
	return ent_json_parse((const unsigned char *)text, strlen(text), root, at);
}

static bool parses(const char *s)
{
	struct ent_json v;
	return ent_json_parse((const unsigned char *)s, strlen(s), &v, NULL);
}

static void test_valid(void **state)
{
	(void)state;
	static const char *good[] = {
	    "{}",
	    " [ ] ",
	    "0",
	    "-0.5e+10",
	    "1E3",
	    "\"\"",
	    "true",
	    "null",
	    "{\"a\":[1,{\"b\":null},\"x\"],\"c\":false}",
	    "\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "\"a\\u0000b\"",
	    "\n\t\r {\"k\" : 1 }\n",
	};
	struct ent_json root;
	size_t at;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!check(good[i], &root, &at))
			fail_msg("refused at %zu: %s", at, good[i]);
	assert_true(check(" {\"a\": 1} ", &root, &at));
	assert_int_equal(root.type, ENT_JSON_OBJECT);
	assert_int_equal(root.len, 8);
	assert_true(check("-12", &root, &at));
	assert_int_equal(root.type, ENT_JSON_NUMBER);
}

static void test_invalid(void **state)
{
	(void)state;
	/* each with the offset of the first byte that does not fit */
	static const struct {
		const char *text;
		size_t at;
	} bad[] = {
	    {"", 0},
	    {"   ", 3},
	    {"{", 1},
	    {"{\"a\":1,}", 7},
	    {"[1,]", 3},
	    {"{\"a\" 1}", 5},
	    {"{a:1}", 1},
	    {"{\"a\":1}x", 7},
	    {"{} {}", 3},
	    {"01", 1},
	    {"1.", 2},
	    {"-", 1},
	    {"1e", 2},
	    {".5", 0},
	    {"+1", 0},
	    {"tru", 0},
	    {"nul", 0},
	    {"'a'", 0},
	    {"\"a", 2},
	    {"\"\\x\"", 1},
	    {"\"\\u12g4\"", 1},
	    {"\"\\ud800\"", 1},
	    {"\"\\udc00\"", 1},
	    {"\"\\ud800\\u0041\"", 1},
	    {"\"a\tb\"", 2},
	    {"\"\xff\"", 1},
	    {"\"\xc0\xaf\"", 1},
	    {"\"\xed\xa0\x80\"", 1},
	    {"\"\xf4\x90\x80\x80\"", 1},
	    {"\"\xe2\x82\"", 1},
	    {"[1 2]", 3},
	};
	struct ent_json root;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = 999;
		if (check(bad[i].text, &root, &at))
			fail_msg("accepted: %s", bad[i].text);
		if (at != bad[i].at)
			fail_msg("%s: refused at %zu, not %zu", bad[i].text, at, bad[i].at);
	}
	/* a NUL byte is no white space, nor part of a string */
	size_t at;
	assert_false(ent_json_parse((const unsigned char *)"{}\0", 3, &root, &at));
	assert_int_equal(at, 2);
	assert_false(ent_json_parse((const unsigned char *)"\"a\0\"", 4, &root, &at));
	assert_int_equal(at, 2);
}

/* more of the grammar, from the templates' side */
static void test_accepts(void **state)
{
	(void)state;
	static const char *good[] = {"{}",
	                             " {} ",
	                             "[]",
	                             "0",
	                             "-0",
	                             "1.5e+3",
	                             "-12.25E-2",
	                             "true",
	                             "false",
	                             "null",
	                             "\"\"",
	                             "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
	                             "\"\\u00e9\\uD83D\\uDE00\"",
	                             "\"\xc3\xa9\xf0\x9f\x98\x80\"",
	                             "{\"a\":{\"b\":[1,2,{\"c\":null}]}}",
	                             "\n\t{ \"a\" : 1 , \"b\" : [ ] }\r\n"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!parses(good[i]))
			fail_msg("refused: %s", good[i]);
}

static void test_refuses(void **state)
{
	(void)state;
	static const char *bad[] = {"",
	                            " ",
	                            "{",
	                            "}",
	                            "[1,]",
	                            "{\"a\":1,}",
	                            "{\"a\"}",
	                            "{a:1}",
	                            "01",
	                            "1.",
	                            ".5",
	                            "1e",
	                            "+1",
	                            "-",
	                            "tru",
	                            "nul",
	                            "True",
	                            "\"abc",
	                            "\"\\x\"",
	                            "\"\\u12\"",
	                            "\"\\uD800\"",
	                            "\"\\uDC00\"",
	                            "\"\\uD800\\u0041\"",
	                            "\"a\tb\"",
	                            "\"\xc0\xaf\"",
	                            "\"\xed\xa0\x80\"",
	                            "\"\xf4\x90\x80\x80\"",
	                            "\"\xc3\"",
	                            "{} {}",
	                            "[1] x",
	                            "'a'",
	                            "[1 2]",
	                            "{\"a\" 1}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parses(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	/* embedded NUL: the length decides, not a terminator */
	struct ent_json v;
	assert_false(ent_json_parse((const unsigned char *)"{}\0", 3, &v, NULL));
	assert_false(ent_json_parse((const unsigned char *)"\"a\0b\"", 5, &v, NULL));
	assert_false(ent_json_parse(NULL, 0, &v, NULL));
}

static void test_depth(void **state)
{
	(void)state;
	char deep[2 * ENT_JSON_MAX_DEPTH + 8];
	struct ent_json root;
	size_t at, n = ENT_JSON_MAX_DEPTH;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_true(ent_json_parse((const unsigned char *)deep, 2 * n, &root, &at));
	n++;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_false(ent_json_parse((const unsigned char *)deep, 2 * n, &root, &at));
	assert_int_equal(at, ENT_JSON_MAX_DEPTH);
}

static void test_walk_and_decode(void **state)
{
	(void)state;
	const char *doc =
	    "{ \"s\" : \"a\\u00e9\\ud83d\\ude00\\n\" , \"n\":-1.5e3,\"o\":{\"x\":[1]},"
	    "\"a\":[true, null ,\"z\"], \"k\\\"\":\"a\\u0000b\"}";
	struct ent_json root, key, val, el;
	size_t at, it = 0, ai = 0;
	char buf[256];
	assert_true(check(doc, &root, &at));

	assert_true(ent_json_next(&root, &it, &key, &val));
	assert_int_equal(ent_json_string(&key, buf), 1);
	assert_string_equal(buf, "s");
	assert_int_equal(val.type, ENT_JSON_STRING);
	assert_int_equal(ent_json_string(&val, buf), 8);
	assert_string_equal(buf, "a\xc3\xa9\xf0\x9f\x98\x80\n");

	assert_true(ent_json_next(&root, &it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_NUMBER);
	assert_int_equal(val.len, 6);
	assert_memory_equal(val.p, "-1.5e3", 6);

	assert_true(ent_json_next(&root, &it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_OBJECT);
	assert_memory_equal(val.p, "{\"x\":[1]}", val.len);

	assert_true(ent_json_next(&root, &it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_ARRAY);
	enum ent_json_type want[] = {ENT_JSON_TRUE, ENT_JSON_NULL, ENT_JSON_STRING};
	for (size_t i = 0; i < 3; i++) {
		assert_true(ent_json_next(&val, &ai, NULL, &el));
		assert_int_equal(el.type, want[i]);
	}
	assert_false(ent_json_next(&val, &ai, NULL, &el));

	assert_true(ent_json_next(&root, &it, &key, &val));
	assert_int_equal(ent_json_string(&key, buf), 2);
	assert_string_equal(buf, "k\"");
	/* a NUL character decodes to a NUL byte that the length tells of */
	assert_int_equal(ent_json_string(&val, buf), 3);
	assert_memory_equal(buf, "a\0b", 4);
	assert_false(ent_json_next(&root, &it, &key, &val));

	/* empty containers */
	assert_true(check("{ }", &root, &at));
	it = 0;
	assert_false(ent_json_next(&root, &it, &key, &val));
	assert_true(check("[]", &root, &at));
	it = 0;
	assert_false(ent_json_next(&root, &it, &key, &val));
}

static void test_members(void **state)
{
	(void)state;
	const char *s = "{ \"a\" : 1, \"b\\u002ec\" : \"x\", \"d\":[true ,false,null], \"a\": 2 }";
	struct ent_json root, k, v;
	assert_true(ent_json_parse((const unsigned char *)s, strlen(s), &root, NULL));
	assert_int_equal(root.type, ENT_JSON_OBJECT);
	size_t pos = 0, count = 0;
	while (ent_json_next(&root, &pos, &k, &v))
		count++;
	assert_int_equal(count, 4);
	assert_int_equal(ent_json_member(&root, "b.c", 3, &v), CW_OK);
	assert_int_equal(v.type, ENT_JSON_STRING);
	assert_int_equal(ent_json_member(&root, "a", 1, &v), CW_ERR_EXISTS);
	assert_memory_equal(v.p, "1", 1); /* the first one */
	assert_int_equal(ent_json_member(&root, "b", 1, &v), CW_ERR_NOTFOUND);
	assert_int_equal(ent_json_member(&root, "d", 1, &v), CW_OK);
	assert_int_equal(v.type, ENT_JSON_ARRAY);
	struct ent_json e;
	assert_int_equal(ent_json_element(&v, 1, &e), CW_OK);
	assert_int_equal(e.type, ENT_JSON_FALSE);
	assert_int_equal(ent_json_element(&v, 2, &e), CW_OK);
	assert_int_equal(e.type, ENT_JSON_NULL);
	assert_int_equal(ent_json_element(&v, 3, &e), CW_ERR_NOTFOUND);
	assert_int_equal(ent_json_element(&root, 0, &e), CW_ERR_NOTFOUND);  /* not an array */
	assert_int_equal(ent_json_member(&v, "a", 1, &e), CW_ERR_NOTFOUND); /* not an object */
	pos = 0;
	assert_false(ent_json_next(&e, &pos, NULL, &v)); /* a scalar has no items */
	/* empty containers */
	struct ent_json empty;
	assert_true(ent_json_parse((const unsigned char *)"{ }", 3, &empty, NULL));
	pos = 0;
	assert_false(ent_json_next(&empty, &pos, &k, &v));
}

static void test_string_equals(void **state)
{
	(void)state;
	struct ent_json s;
	const char *j = "\"caf\\u00e9 \\\"q\\\" \\uD83D\\uDE00\"";
	assert_true(ent_json_parse((const unsigned char *)j, strlen(j), &s, NULL));
	const char *want = "caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80";
	assert_true(ent_json_string_equals(&s, want, strlen(want)));
	assert_false(ent_json_string_equals(&s, want, strlen(want) - 1));
	assert_false(ent_json_string_equals(&s, "caf", 3));
	assert_true(ent_json_parse((const unsigned char *)"\"a\\u0000b\"", 10, &s, NULL));
	assert_true(ent_json_string_equals(&s, "a\0b", 3));
	assert_false(ent_json_string_equals(&s, "a", 1));
}

static void append_is(const char *json, const char *want, size_t wantlen)
{
	struct ent_json v;
	cw_sbuf b = {0};
	assert_true(ent_json_parse((const unsigned char *)json, strlen(json), &v, NULL));
	assert_int_equal(ent_json_append(&v, &b), CW_OK);
	assert_int_equal(b.len, wantlen);
	assert_memory_equal(b.data, want, wantlen);
	cw_sbuf_free(&b);
}

static void test_append(void **state)
{
	(void)state;
	append_is("\"plain\"", "plain", 5);
	append_is("\"\"", "", 0);
	append_is("\"a\\nb\\t\\\\\\/\\\"\"", "a\nb\t\\/\"", 7);
	append_is("\"\\u00e9\\u20AC\\uD83D\\uDE00\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	append_is("\"x\\u0000y\"", "x\0y", 3);
	append_is("-1.5e3", "-1.5e3", 6);
	append_is("true", "true", 4);
	append_is("null", "null", 4);
	const char *compact = "{\"a\":[1,2],\"b c\":\"x  y\\\" }\",\"d\":{}}";
	append_is(" { \"a\" : [ 1 ,\n 2 ] , \"b c\" : \"x  y\\\" }\" ,\"d\":{ } } ", compact,
	          strlen(compact));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),   cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_depth),   cmocka_unit_test(test_walk_and_decode),
	    cmocka_unit_test(test_accepts), cmocka_unit_test(test_refuses),
	    cmocka_unit_test(test_members), cmocka_unit_test(test_string_equals),
	    cmocka_unit_test(test_append),
	};
	return cmocka_run_group_tests_name("entry_json", tests, NULL, NULL);
}
