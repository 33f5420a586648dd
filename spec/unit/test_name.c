#include <string.h>

#include "cmocka_common.h"
#include "name.h"

struct nc {
	const char *s;
	size_t len; /* 0: strlen */
	bool ok;
};

static const struct nc cases[] = {
    {"db_pass", 0, true}, {"a", 0, true},        {"app1/db_pass", 0, true},
    {"a/b/c/d", 0, true}, {"A-Z.09_x", 0, true}, {".hidden", 0, true},
    {"...", 0, true},     {"a..b", 0, true},     {"..a", 0, true},
    {"a/.b/c", 0, true},  {"-", 0, true},        {"", 0, false},
    {".", 0, false},      {"..", 0, false},      {"../etc/passwd", 0, false},
    {"a/../b", 0, false}, {"a/..", 0, false},    {"a/.", 0, false},
    {"./a", 0, false},    {"a//b", 0, false},    {"/a", 0, false},
    {"a/", 0, false},     {"/", 0, false},       {"a b", 0, false},
    {"a\tb", 0, false},   {"a\nb", 0, false},    {"a%2e%2e", 0, false},
    {"a\\b", 0, false},   {"a@b", 0, false},     {"a:b", 0, false},
    {"a?b", 0, false},    {"a*b", 0, false},     {"caf\xc3\xa9", 0, false},
    {"\xff", 0, false},   {"a\x7f", 0, false},   {"a\0b", 3, false},
    {"ab\0", 3, false},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
		if (cw_name_valid(cases[i].s, len) != cases[i].ok)
			fail_msg("case %zu (\"%s\"): expected %s", i, cases[i].s,
			         cases[i].ok ? "valid" : "invalid");
	}
	assert_true(sizeof cases / sizeof cases[0] >= 30);
}

static void test_lengths(void **state)
{
	(void)state;
	char buf[300];
	memset(buf, 'x', sizeof buf);
	assert_true(cw_name_valid(buf, 255));
	assert_false(cw_name_valid(buf, 256));
	assert_true(cw_name_valid(buf, 1));
	assert_false(cw_name_valid(buf, 0));
	assert_false(cw_name_valid(NULL, 3));
	/* 255 bytes with segments */
	for (int i = 1; i < 255; i += 2)
		buf[i] = '/';
	assert_true(cw_name_valid(buf, 255));
	assert_false(cw_name_valid(buf, 256)); /* ends with '/' and is too long */
}

static void test_group_and_client(void **state)
{
	(void)state;
	assert_true(cw_group_valid("app1/", 5));
	assert_true(cw_group_valid("a/b/", 4));
	assert_false(cw_group_valid("app1", 4));
	assert_false(cw_group_valid("/", 1));
	assert_false(cw_group_valid("app1//", 6));
	assert_false(cw_group_valid("../", 3));
	assert_true(cw_client_name_valid("app1", 4));
	assert_false(cw_client_name_valid("app1/x", 6));
	assert_false(cw_client_name_valid("..", 2));
	char buf[80];
	memset(buf, 'c', sizeof buf);
	assert_true(cw_client_name_valid(buf, 64));
	assert_false(cw_client_name_valid(buf, 65));
}

static void test_file_mapping(void **state)
{
	(void)state;
	char f[CW_NAME_MAX + 1], back[CW_NAME_MAX + 1];
	assert_true(cw_name_to_file("app1/db_pass", f, sizeof f));
	assert_string_equal(f, "app1@db_pass");
	assert_true(cw_name_from_file(f, back, sizeof back));
	assert_string_equal(back, "app1/db_pass");
	assert_false(cw_name_to_file("../x", f, sizeof f));
	assert_false(cw_name_from_file("@x", back, sizeof back));
	assert_false(cw_name_from_file("..", back, sizeof back));
	assert_false(cw_name_from_file("a/b", back, sizeof back));
	assert_false(cw_name_to_file("abc", f, 3)); /* no room for the NUL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_group_and_client),
	    cmocka_unit_test(test_file_mapping),
	};
	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
