/* wallet/audit: the audit line is one valid JSON object per request, with every field of
 * docs/FORMAT.md, whatever bytes the client put in its certificate name, method or path. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmocka_common.h"
#include "fsutil.h"
#include "audit.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/cwauXXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/audit.log", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return cw_rm_rf(dir) == CW_OK ? 0 : -1;
}

/* The lines of the log, parsed; n receives their count. */
static cJSON **read_lines(size_t *n)
{
	static char buf[65536];
	static cJSON *lines[16];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	*n = 0;
	while (fgets(buf, sizeof buf, f) != NULL && *n < 16) {
		size_t len = strlen(buf);
		assert_true(len > 0 && buf[len - 1] == '\n');
		buf[len - 1] = '\0';
		assert_null(strchr(buf, '\n'));
		lines[*n] = cJSON_Parse(buf);
		assert_non_null(lines[*n]);
		(*n)++;
	}
	fclose(f);
	return lines;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void test_audit_lines(void **state)
{
	(void)state;
	audit_log *a;
	struct stat sb;
	size_t n;
	assert_int_equal(audit_open(path, &a), CW_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	cw_https_peer peer = {.verified = true, .cn = "app1"};
	memset(peer.sha256, 'a', 64);
	cw_https_req req = {.method = "GET", .path = "/v1/objects/db_pass", .peer = &peer};
	req.status = 200;
	req.bytes = 1430;
	req.version = 7;
	strcpy(req.object, "db_pass");
	audit_request(a, &req, NULL, 1234);

	/* Hostile bytes: quotes, backslashes, control characters, a long method. */
	cw_https_peer odd = {.verified = true, .cn = "a\"b\\c\x01"};
	memset(odd.sha256, 'b', 64);
	char method[100];
	memset(method, 'M', sizeof method - 1);
	method[sizeof method - 1] = '\0';
	cw_https_req r2 = {.method = method, .path = "/x\"y\\z\n\x7f\xff/..", .peer = &odd};
	r2.status = 404;
	audit_request(a, &r2, "not \"found\"", 5);

	cw_https_peer none = {.verified = false};
	cw_https_req r3 = {.method = "GET", .path = "/healthz", .peer = &none, .status = 200};
	audit_request(a, &r3, NULL, 0);
	audit_request(NULL, &r3, NULL, 0); /* discarded */
	audit_close(a);

	cJSON **l = read_lines(&n);
	assert_int_equal(n, 3);
	assert_non_null(str(l[0], "time"));
	assert_int_equal(strlen(str(l[0], "time")), 24); /* 2026-11-22T16:40:37.123Z */
	assert_string_equal(str(l[0], "client"), "app1");
	assert_int_equal(strlen(str(l[0], "cert_sha256")), 64);
	assert_string_equal(str(l[0], "method"), "GET");
	assert_string_equal(str(l[0], "path"), "/v1/objects/db_pass");
	assert_string_equal(str(l[0], "object"), "db_pass");
	assert_int_equal(cJSON_GetObjectItem(l[0], "version")->valuedouble, 7);
	assert_int_equal(cJSON_GetObjectItem(l[0], "status")->valuedouble, 200);
	assert_int_equal(cJSON_GetObjectItem(l[0], "bytes")->valuedouble, 1430);
	assert_true(cJSON_GetObjectItem(l[0], "duration_ms")->valuedouble == 1.234);
	assert_null(cJSON_GetObjectItem(l[0], "reason"));

	assert_string_equal(str(l[1], "client"), "a\"b\\c\x01");
	assert_int_equal(strlen(str(l[1], "method")), 32);
	assert_string_equal(str(l[1], "path"), "/x\"y\\z%0A%7F%FF/..");
	assert_string_equal(str(l[1], "reason"), "not \"found\"");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[1], "object")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[1], "version")));
	assert_true(cJSON_GetObjectItem(l[1], "duration_ms")->valuedouble == 0.005);

	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[2], "client")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[2], "cert_sha256")));
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
	assert_int_equal(audit_open("/nonexistent-dir/a.log", &a), CW_ERR_IO);
}

/* A request refused before routing: method and path are whatever was parsed (any bytes, the
 * rest of the request included) or NULL; neither may put a raw control byte in the log. */
static void test_audit_refused(void **state)
{
	(void)state;
	audit_log *a;
	size_t n;
	assert_int_equal(audit_open(path, &a), CW_OK);
	cw_https_peer peer = {.verified = true, .cn = "app1"};
	memset(peer.sha256, 'a', 64);
	cw_https_req r1 = {.peer = &peer, .status = 400};
	audit_request(a, &r1, "malformed request", 0);
	cw_https_req r2 = {.method = "G\r\nX-Injected: yes\xc3",
	                   .path = "/x\r\nSet-Cookie: a=b",
	                   .peer = &peer,
	                   .status = 400};
	audit_request(a, &r2, "malformed request", 0);
	audit_close(a);

	char *raw = NULL;
	size_t len = 0;
	assert_int_equal(cw_read_file(path, 1 << 16, (unsigned char **)&raw, &len), CW_OK);
	for (size_t i = 0; i < len; i++)
		assert_true(raw[i] == '\n' || (raw[i] >= 0x20 && raw[i] < 0x7f));
	free(raw);
	cJSON **l = read_lines(&n);
	assert_int_equal(n, 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[0], "method")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(l[0], "path")));
	assert_int_equal(cJSON_GetObjectItem(l[0], "status")->valuedouble, 400);
	assert_string_equal(str(l[0], "reason"), "malformed request");
	assert_string_equal(str(l[1], "method"), "G%0D%0AX-Injected:%20yes%C3");
	assert_string_equal(str(l[1], "path"), "/x%0D%0ASet-Cookie:%20a=b");
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(l[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_audit_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
