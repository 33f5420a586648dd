/* wallet-entry's JSON reader (client/entry/json.c): what RFC 8259 accepts and refuses, where
 * a refusal points, the walk over members and elements, and the decoding of strings
 * (escapes, surrogate pairs, "\u0000"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_common.h"
#include "json.h"

static bool check(const char *text, struct ent_json_span *root, size_t *at)
{
	return ent_json_check(text, strlen(text), root, at);
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
	struct ent_json_span root;
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
	struct ent_json_span root;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t at = 999;
		if (check(bad[i].text, &root, &at))
			fail_msg("accepted: %s", bad[i].text);
		if (at != bad[i].at)
			fail_msg("%s: refused at %zu, not %zu", bad[i].text, at, bad[i].at);
	}
	/* a NUL byte is no white space, nor part of a string */
	size_t at;
	assert_false(ent_json_check("{}\0", 3, &root, &at));
	assert_int_equal(at, 2);
	assert_false(ent_json_check("\"a\0\"", 4, &root, &at));
	assert_int_equal(at, 2);
}

static void test_depth(void **state)
{
	(void)state;
	char deep[2 * ENT_JSON_MAX_DEPTH + 8];
	struct ent_json_span root;
	size_t at, n = ENT_JSON_MAX_DEPTH;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_true(ent_json_check(deep, 2 * n, &root, &at));
	n++;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_false(ent_json_check(deep, 2 * n, &root, &at));
	assert_int_equal(at, ENT_JSON_MAX_DEPTH);
}

static void test_walk_and_decode(void **state)
{
	(void)state;
	const char *doc =
	    "{ \"s\" : \"a\\u00e9\\ud83d\\ude00\\n\" , \"n\":-1.5e3,\"o\":{\"x\":[1]},"
	    "\"a\":[true, null ,\"z\"], \"k\\\"\":\"a\\u0000b\"}";
	struct ent_json_span root, key, val, el;
	struct ent_json_iter it, ai;
	size_t at;
	char buf[256];
	assert_true(check(doc, &root, &at));
	ent_json_iter_init(&it, &root);

	assert_true(ent_json_next(&it, &key, &val));
	assert_int_equal(ent_json_string(&key, buf), 1);
	assert_string_equal(buf, "s");
	assert_int_equal(val.type, ENT_JSON_STRING);
	assert_int_equal(ent_json_string(&val, buf), 8);
	assert_string_equal(buf, "a\xc3\xa9\xf0\x9f\x98\x80\n");

	assert_true(ent_json_next(&it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_NUMBER);
	assert_int_equal(val.len, 6);
	assert_memory_equal(val.p, "-1.5e3", 6);

	assert_true(ent_json_next(&it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_OBJECT);
	assert_memory_equal(val.p, "{\"x\":[1]}", val.len);

	assert_true(ent_json_next(&it, &key, &val));
	assert_int_equal(val.type, ENT_JSON_ARRAY);
	ent_json_iter_init(&ai, &val);
	enum ent_json_type want[] = {ENT_JSON_TRUE, ENT_JSON_NULL, ENT_JSON_STRING};
	for (size_t i = 0; i < 3; i++) {
		assert_true(ent_json_next(&ai, &key, &el));
		assert_int_equal(el.type, want[i]);
	}
	assert_false(ent_json_next(&ai, &key, &el));

	assert_true(ent_json_next(&it, &key, &val));
	assert_int_equal(ent_json_string(&key, buf), 2);
	assert_string_equal(buf, "k\"");
	/* a NUL character decodes to a NUL byte that the length tells of */
	assert_int_equal(ent_json_string(&val, buf), 3);
	assert_memory_equal(buf, "a\0b", 4);
	assert_false(ent_json_next(&it, &key, &val));

	/* empty containers */
	assert_true(check("{ }", &root, &at));
	ent_json_iter_init(&it, &root);
	assert_false(ent_json_next(&it, &key, &val));
	assert_true(check("[]", &root, &at));
	ent_json_iter_init(&it, &root);
	assert_false(ent_json_next(&it, &key, &val));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_walk_and_decode),
	};
	return cmocka_run_group_tests_name("entry_json", tests, NULL, NULL);
}
