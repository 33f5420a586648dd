/* The client's manifest parser (wc_manifest_parse of client/lib/manifest.c): the JSON content
 * of a manifest, as the engine hands it over after the signature check. The client handle is
 * a zeroed one whose name is "app1" (the parser reads nothing else from it); an accepted
 * manifest must name app1, hold valid distinct entries and find each of them again. */
#include "fuzz.h"
#include "wc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static wallet_client client;
	char why[512];
	struct wc_manifest m;
	if (client.client_name[0] == '\0')
		memcpy(client.client_name, "app1", sizeof "app1");
	if (wc_manifest_parse(&client, (const char *)data, size, &m, why, sizeof why) == CW_OK) {
		FUZZ_CHECK(m.signed_at >= 0 && m.expires >= 0);
		for (size_t i = 0; i < m.n; i++) {
			const struct wc_mf_entry *e = &m.v[i];
			FUZZ_CHECK(cw_name_valid(e->name, strlen(e->name)));
			FUZZ_CHECK(e->version >= 1 && e->version <= CW_VERSION_MAX);
			FUZZ_CHECK(strlen(e->sha256) == 64);
			FUZZ_CHECK(i == 0 || strcmp(m.v[i - 1].name, e->name) < 0);
			FUZZ_CHECK(wc_manifest_find(&m, e->name) == e);
		}
		wc_manifest_clear(&m);
	}
	/* a failed parse leaves m cleared: clearing it again must be harmless */
	wc_manifest_clear(&m);
	return 0;
}
