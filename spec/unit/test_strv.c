#include <string.h>

#include "cmocka_common.h"
#include "strv.h"

static void test_add_and_free(void **state)
{
	(void)state;
	char **v = NULL;
	size_t n = 0;
	char buf[8] = "one";
	assert_int_equal(cw_strv_add(&v, &n, buf), CW_OK);
	strcpy(buf, "two"); /* the array holds copies */
	assert_int_equal(cw_strv_add(&v, &n, buf), CW_OK);
	assert_int_equal(cw_strv_add(&v, &n, ""), CW_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "one");
	assert_string_equal(v[1], "two");
	assert_string_equal(v[2], "");
	cw_strv_free(v, n);
	cw_strv_free(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_and_free),
	};
	return cmocka_run_group_tests_name("strv", tests, NULL, NULL);
}
