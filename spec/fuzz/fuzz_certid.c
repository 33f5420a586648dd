/* A certificate file as `wallet revoke --cert FILE` reads it (cw_cert_id_pem of
 * wallet/server/certid.c; OpenSSL's PEM and DER parsers underneath, the CN rules ours): an
 * accepted file gives a fingerprint of 64 lowercase hex digits and a CN that is empty or a
 * string of at most CW_CLIENT_NAME_MAX bytes. */
#include "certid.h"
#include "fuzz.h"
#include "objstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cn[CW_CLIENT_NAME_MAX + 1], sha[65], err[128];
	err[0] = '\0';
	if (cw_cert_id_pem(data, size, cn, sha, err, sizeof err) == CW_OK) {
		FUZZ_CHECK(ws_cert_fpr_valid(sha));
		FUZZ_CHECK(strlen(cn) <= CW_CLIENT_NAME_MAX);
	} else {
		FUZZ_CHECK(err[0] != '\0' && sha[0] == '\0' && cn[0] == '\0');
	}
	return 0;
}
