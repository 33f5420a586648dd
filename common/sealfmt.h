/* Constants of the sealed-object format and HTTP API (docs/FORMAT.md). Shared by the
 * wallet (which seals and serves) and the client (which verifies and opens). */
#ifndef CW_SEALFMT_H
#define CW_SEALFMT_H

/* Hashed signature notations in the inner signature of every sealed object. */
#define CW_NOTATION_NAME "name@containerwallet"
#define CW_NOTATION_VERSION "version@containerwallet"
#define CW_NOTATION_CREATED "created@containerwallet"

/* HTTP */
#define CW_API_OBJECTS "/v1/objects"         /* GET /v1/objects, GET /v1/objects/{name} */
#define CW_API_SIGNING_KEY "/v1/signing-key" /* GET: the wallet's armored public signing key */
#define CW_API_HEALTHZ "/healthz"
#define CW_API_METRICS "/metrics"
#define CW_HDR_VERSION "X-Wallet-Version" /* decimal version of the object served */
#define CW_HDR_SIGNATURE                                                     \
	"X-Wallet-Signature" /* base64 (RFC 4648, no newlines) of the binary \
	                         detached signature over the response body */
#define CW_HDR_CREATED "X-Wallet-Created"

/* Versions are 1 .. CW_VERSION_MAX: see name.h. */
#include "name.h"

#endif
