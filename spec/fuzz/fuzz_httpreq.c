/* The server's request parsing (wallet/server/httpreq.c): %-decoding of a path and the two
 * queries of the API. The decoded name and prefix must satisfy the grammar the server then
 * relies on, and the decoder must stay inside every output size. */
#include <stdbool.h>

#include "fuzz.h"
#include "httpreq.h"
#include "name.h"

static void check_decode(const char *in, size_t n)
{
	/* Every output size from none to ample, on a heap buffer of exactly that size so that
	 * AddressSanitizer sees a write one past it. */
	size_t sizes[] = {0, 1, 2, n / 2 + 1, n, n + 1, 257};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t outsz = sizes[i], outlen = 0;
		char *out = malloc(outsz ? outsz : 1);
		FUZZ_CHECK(out != NULL);
		if (outsz > 0 && http_pct_decode(in, n, out, outsz, &outlen))
			FUZZ_CHECK(outlen < outsz && out[outlen] == '\0' && strlen(out) == outlen &&
			           outlen <= n);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = fuzz_cstr(data, size);
	check_decode((const char *)data, size);

	uint64_t v = 1;
	if (http_query_version(q, &v))
		FUZZ_CHECK(v <= CW_VERSION_MAX && (v == 0) == (q[0] == '\0'));

	char prefix[257];
	if (http_query_prefix(q, prefix, sizeof prefix)) {
		size_t n = strlen(prefix);
		FUZZ_CHECK(n == 0 || cw_group_valid(prefix, n) || cw_name_valid(prefix, n));
	}
	free(q);
	return 0;
}
