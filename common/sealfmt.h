/* Constants of the sealed-object format and HTTP API (docs/FORMAT.md). Shared by the
 * wallet (which seals and serves) and the client (which verifies and opens). */
#ifndef CW_SEALFMT_H
#define CW_SEALFMT_H

/* Hashed signature notations in the inner signature of every sealed object. */
#define CW_NOTATION_NAME "name@containerwallet"
#define CW_NOTATION_VERSION "version@containerwallet"
#define CW_NOTATION_CREATED "created@containerwallet"
/* The one hashed notation of a manifest's signature: the client it is for. No object's
 * signature carries it, so neither can stand for the other. */
#define CW_NOTATION_MANIFEST "manifest@containerwallet"

/* Files of the data directory and of an export, served under the same paths by `wallet
 * serve` and by any static HTTPS server whose document root is the export (docs/FORMAT.md). */
#define CW_PATH_MANIFESTS "/manifests/" /* + CLIENT: that client's signed manifest */
#define CW_PATH_OBJECTS "/objects/"     /* + FILE/vN/object.gpg or object.sig */
#define CW_PATH_SIGNING_KEY "/signing-key.asc"
#define CW_FILE_SEALED "object.gpg"
#define CW_FILE_SIG "object.sig"
#define CW_FILE_SIGNING_KEY "signing-key.asc"

/* Manifests: format 1, signed content = one JSON object; clients accept one until its
 * "expires" (Unix seconds) plus this allowance for clocks that disagree. */
#define CW_MANIFEST_FORMAT 1
#define CW_MANIFEST_SKEW_S 30
#define CW_MANIFEST_MAX ((size_t)16 << 20) /* largest manifest either side accepts */

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
