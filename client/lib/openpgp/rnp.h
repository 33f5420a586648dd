/* libwalletclient: the rnp engine's state. Only rnp.c reads it; the library keeps it behind
 * wallet_client.eng, and the unit tests look into it. Not installed. */
#ifndef WC_RNP_H
#define WC_RNP_H

#include <rnp/rnp.h>
#include <stdbool.h>

/* Two keyrings (why: rnp.c). */
struct wc_rnp {
	rnp_ffi_t ffi;  /* the client's secret key and the pinned key */
	rnp_ffi_t pub;  /* the pinned key alone, for detached signatures */
	bool secret_in; /* ffi holds the client's key (rnp_engine_prepare) */
};

#endif
