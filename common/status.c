#include "status.h"

/* A switch without default: -Wswitch flags a code that has no message. */
const char *cw_strerror(cw_status st)
{
	switch (st) {
	case CW_OK:
		return "success";
	case CW_ERR_USAGE:
		return "invalid usage";
	case CW_ERR_NOMEM:
		return "out of memory";
	case CW_ERR_IO:
		return "input/output error";
	case CW_ERR_NAME:
		return "invalid name";
	case CW_ERR_NOTFOUND:
		return "not found";
	case CW_ERR_EXISTS:
		return "already exists";
	case CW_ERR_TOOBIG:
		return "input too large";
	case CW_ERR_CRYPTO:
		return "cryptographic operation failed";
	case CW_ERR_BADSIG:
		return "bad or missing signature";
	case CW_ERR_BINDING:
		return "signed name or version does not match the request";
	case CW_ERR_ROLLBACK:
		return "version older than the required minimum";
	case CW_ERR_KEY:
		return "unacceptable key";
	case CW_ERR_TLS:
		return "TLS failure";
	case CW_ERR_NETWORK:
		return "no server reachable";
	case CW_ERR_HTTP:
		return "unexpected HTTP status";
	case CW_ERR_PROTOCOL:
		return "malformed response";
	case CW_ERR_DENIED:
		return "access denied";
	case CW_ERR_INTEGRITY:
		return "integrity check failed";
	case CW_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown status";
}
