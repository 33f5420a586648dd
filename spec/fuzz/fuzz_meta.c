/* The store's metadata parser (ws_meta_parse of wallet/store/objstore.c, meta.json of
 * docs/FORMAT.md): what a reader of the data directory accepts from a file that a replica's
 * operator or a damaged disk may have changed. */
#include "fuzz.h"
#include "objstore_int.h"

static bool hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdefABCDEF") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_cstr(data, size);
	ws_object *obj = calloc(1, sizeof *obj);
	size_t sealed = 0;
	FUZZ_CHECK(obj != NULL);
	if (ws_meta_parse(json, obj, &sealed) == CW_OK) {
		FUZZ_CHECK(cw_name_valid(obj->name, strlen(obj->name)));
		FUZZ_CHECK(obj->version >= 1 && obj->version <= CW_VERSION_MAX);
		FUZZ_CHECK(sealed <= WS_SEALED_MAX && hex(obj->sha256, 64) && hex(obj->signer, 40));
		FUZZ_CHECK(obj->nrecipients >= 1);
		for (size_t i = 0; i < obj->nrecipients; i++) {
			const ws_recipient *r = &obj->recipients[i];
			FUZZ_CHECK(cw_client_name_valid(r->client, strlen(r->client)));
			FUZZ_CHECK(hex(r->fingerprint, 40));
		}
	}
	ws_object_free(obj);
	free(json);
	return 0;
}
