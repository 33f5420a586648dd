/* One status convention for the whole project (wallet, client, keygen). The values come from
 * the one list, common/status.def, which also makes the public wallet_status of
 * walletclient.h, number for number. Numbers never change once released: new codes go at
 * the end. */
#ifndef CW_STATUS_H
#define CW_STATUS_H

typedef enum cw_status {
#define CW_STATUS(name, number, message, comment) CW_##name = number,
#include "status.def"
#undef CW_STATUS
	/* Not a status: one more than the highest value (for range checks). */
	CW_STATUS_END
} cw_status;

/* Static, never NULL, never contains secret data; "unknown status" for a value outside the
 * enum. Thread-safe. */
const char *cw_strerror(cw_status st);

#endif
