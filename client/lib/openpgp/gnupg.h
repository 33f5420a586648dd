/* libwalletclient: the gnupg engine's state. Only gnupg.c reads it; the library keeps it
 * behind wallet_client.eng, and the unit tests look into it. Not installed. */
#ifndef WC_GNUPG_H
#define WC_GNUPG_H

#include <gpgme.h>
#include <pthread.h>
#include <stdbool.h>

#include "wc_internal.h"

struct wc_gnupg {
	gpgme_ctx_t gpg;                      /* thread slot 0 */
	gpgme_ctx_t pool[WC_MAX_WORKERS - 1]; /* slots 1..: parallel opening, made lazily */
	char home[4096];                      /* GNUPGHOME in use ("" = default) */
	bool tmphome;                         /* home is ours: destroyed by free */
	/* the first decryption runs alone (first_alone in gnupg.c): once one succeeded
	 * (decrypted, under first_mu), the others go in parallel */
	pthread_mutex_t first_mu;
	bool first_mu_ok;
	bool decrypted;
};

#endif
