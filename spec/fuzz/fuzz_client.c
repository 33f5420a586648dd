/* The client record parser (ws_client_parse of wallet/store/client.c, clients/CLIENT.json of
 * docs/FORMAT.md): what `wallet serve` and the admin commands accept from a file that an
 * operator may have edited by hand or a replica's operator may have changed. An accepted
 * record is well formed, and written out again it reads back the same. */
#include "fuzz.h"
#include "objstore_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_cstr(data, size), why[256], *again = NULL;
	ws_client *c = calloc(2, sizeof *c);
	FUZZ_CHECK(c != NULL);
	why[0] = '\0';
	if (ws_client_parse(json, &c[0], why, sizeof why) != CW_OK) {
		FUZZ_CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
		goto out;
	}
	FUZZ_CHECK(cw_client_name_valid(c[0].client, strlen(c[0].client)));
	FUZZ_CHECK(strlen(c[0].fingerprint) == 40);
	FUZZ_CHECK(c[0].ncerts <= WS_REVOKED_CERTS_MAX);
	for (size_t i = 0; i < c[0].ncerts; i++) {
		FUZZ_CHECK(ws_cert_fpr_valid(c[0].revoked_certs[i].sha256));
		FUZZ_CHECK(ws_client_cert_revoked(&c[0], c[0].revoked_certs[i].sha256) ==
		           &c[0].revoked_certs[i]); /* each once */
	}
	cJSON *o = ws_client_json(&c[0]);
	FUZZ_CHECK(o != NULL);
	again = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(ws_client_parse(again, &c[1], why, sizeof why) == CW_OK);
	FUZZ_CHECK(memcmp(&c[0], &c[1], sizeof c[0]) == 0);
out:
	cJSON_free(again);
	free(c);
	free(json);
	return 0;
}
