/* HTTP entity tags (common/etag.c): the ETag a server sends, which the client keeps and sends
 * back, and an If-None-Match list, which the wallet compares with the ETag of a manifest. A
 * tag that is accepted stays within CW_ETAG_MAX printable bytes between quotes; a list that
 * matches a tag matches it with or without W/; a valid tag matches itself. */
#include <stdbool.h>

#include "etag.h"
#include "fuzz.h"

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	if (cw_etag_valid(raw, size)) {
		FUZZ_CHECK(size >= 2 && size <= CW_ETAG_MAX && raw[size - 1] == '"');
		FUZZ_CHECK(printable(raw, size) && memchr(raw, '\0', size) == NULL);
		char *tag = fuzz_cstr(data, size);
		FUZZ_CHECK(cw_etag_match(tag, tag) && cw_etag_match("*", tag));
		free(tag);
	}
	/* the bytes as an If-None-Match list, against fixed tags, strong and weak */
	char *list = fuzz_cstr(data, size);
	bool strong = cw_etag_match(list, "\"abc\"");
	FUZZ_CHECK(strong == cw_etag_match(list, "W/\"abc\""));
	(void)cw_etag_match(list, "\"\"");
	free(list);
	return 0;
}
