/* The object and client name grammar and the version parser (common/name.c): the bytes go in
 * as they are (embedded NULs included, since the parsers take a length) and as the C string
 * a file name or an argument would be. The mappings to and from file names must be inverse. */
#include <inttypes.h>

#include "fuzz.h"
#include "name.h"

static void check_name(const char *d, size_t n)
{
	bool name = cw_name_valid(d, n);
	if (name) {
		FUZZ_CHECK(n >= 1 && n <= CW_NAME_MAX && d[0] != '/' && d[n - 1] != '/');
		FUZZ_CHECK(memchr(d, '\0', n) == NULL && strstr(d, "//") == NULL);
	}
	if (cw_group_valid(d, n))
		FUZZ_CHECK(d[n - 1] == '/' && cw_name_valid(d, n - 1));
	if (cw_client_name_valid(d, n))
		FUZZ_CHECK(name && n <= CW_CLIENT_NAME_MAX && memchr(d, '/', n) == NULL);
}

static void check_files(const char *s)
{
	size_t len = strlen(s);
	char file[CW_NAME_MAX + 1], back[CW_NAME_MAX + 1];
	if (cw_name_to_file(s, file, sizeof file)) {
		FUZZ_CHECK(cw_name_valid(s, len) && strchr(file, '/') == NULL);
		FUZZ_CHECK(cw_name_from_file(file, back, sizeof back) && strcmp(back, s) == 0);
		/* one byte short of the room it needs */
		FUZZ_CHECK(!cw_name_to_file(s, file, len));
	} else {
		FUZZ_CHECK(!cw_name_valid(s, len));
	}
	if (cw_name_from_file(s, back, sizeof back)) {
		FUZZ_CHECK(cw_name_to_file(back, file, sizeof file) && strcmp(file, s) == 0);
	}
}

static void check_version(const char *d, size_t n)
{
	uint64_t v = 0;
	if (!cw_version_parse(d, n, &v))
		return;
	char text[32];
	int w = snprintf(text, sizeof text, "%" PRIu64, v);
	FUZZ_CHECK(v >= 1 && v <= CW_VERSION_MAX);
	FUZZ_CHECK(w > 0 && (size_t)w == n && memcmp(text, d, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	check_name(s, size);
	check_version(s, size);
	check_files(s);
	free(s);
	return 0;
}
