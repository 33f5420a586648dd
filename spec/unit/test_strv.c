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

/* cw_text grows past its first block, stays NUL-terminated, and is empty again when freed */
static void test_text(void **state)
{
	(void)state;
	cw_text t = {0};
	char piece[1000];
	memset(piece, 'x', sizeof piece);
	assert_int_equal(cw_text_append(&t, "[", 1), CW_OK);
	assert_string_equal(t.buf, "[");
	for (int i = 0; i < 10; i++)
		assert_int_equal(cw_text_append(&t, piece, sizeof piece), CW_OK);
	assert_int_equal(cw_text_append(&t, "]", 1), CW_OK);
	assert_int_equal(t.len, 10002);
	assert_true(t.cap > t.len);
	assert_int_equal(strlen(t.buf), t.len);
	assert_int_equal(t.buf[0], '[');
	assert_int_equal(t.buf[5000], 'x');
	assert_int_equal(t.buf[10001], ']');
	assert_int_equal(cw_text_append(&t, "", 0), CW_OK);
	assert_int_equal(t.len, 10002);
	cw_text_free(&t);
	assert_null(t.buf);
	assert_int_equal(t.len, 0);
	assert_int_equal(cw_text_append(&t, "a", 1), CW_OK); /* usable again */
	assert_string_equal(t.buf, "a");
	cw_text_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_and_free),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests_name("strv", tests, NULL, NULL);
}
