#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "log.h"

static void test_lines(void **state)
{
	(void)state;
	char dir[] = "/tmp/cwlogXXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/audit.log", dir);
	cw_log *lg = NULL;
	assert_int_equal(cw_log_open(path, &lg), CW_OK);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "client", "app1");
	cJSON_AddNumberToObject(o, "status", 200);
	cw_log_json(lg, o);
	cJSON_Delete(o);
	cw_log_event(lg, "error", "store", "line \"two\"\nwith newline");
	cw_log_close(lg);

	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	unsigned char *buf;
	size_t len;
	assert_int_equal(cw_read_file(path, 1 << 20, &buf, &len), CW_OK);
	char *save = NULL;
	char *l1 = strtok_r((char *)buf, "\n", &save);
	char *l2 = strtok_r(NULL, "\n", &save);
	assert_non_null(l1);
	assert_non_null(l2);
	assert_null(strtok_r(NULL, "\n", &save)); /* the embedded newline was escaped */
	cJSON *j1 = cJSON_Parse(l1), *j2 = cJSON_Parse(l2);
	assert_non_null(j1);
	assert_non_null(j2);
	assert_string_equal(j1->child->string, "time"); /* time comes first */
	assert_string_equal(cJSON_GetObjectItem(j1, "client")->valuestring, "app1");
	assert_int_equal(cJSON_GetObjectItem(j1, "status")->valueint, 200);
	assert_string_equal(cJSON_GetObjectItem(j2, "msg")->valuestring,
	                    "line \"two\"\nwith newline");
	const char *t = cJSON_GetObjectItem(j2, "time")->valuestring;
	assert_int_equal(strlen(t), 24);
	assert_int_equal(t[23], 'Z');
	cJSON_Delete(j1);
	cJSON_Delete(j2);
	free(buf);
	assert_int_equal(cw_rm_rf(dir), CW_OK);
}

static void test_null_log(void **state)
{
	(void)state;
	cw_log_event(NULL, "info", "x", NULL); /* discards, no crash */
	cw_log_close(NULL);
	cw_log *lg = NULL;
	assert_int_equal(cw_log_open("/nonexistent-dir/x.log", &lg), CW_ERR_IO);
	assert_null(lg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_null_log),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
