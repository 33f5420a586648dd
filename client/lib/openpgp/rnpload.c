/* libwalletclient: librnp loaded at the rnp engine's first use (rnpload.h). */
#define WC_RNPLOAD_SELF /* the real names, for the pointers' types */
#include "rnpload.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The soname the build linked against before (librnp0 0.16); a later ABI gets a new one. */
#define RNP_SONAME "librnp.so.0"

struct wc_rnp_api wc_rnp_api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_err[256] = "not loaded"; /* "" once loaded; written only by load */

static void load(void)
{
	/* RTLD_LAZY binds each library as the dynamic loader binds it when the program is
	 * linked against it: at once if the library asks for it (librnp, libsqlite3 and
	 * others are linked with -z now), its function calls at first use otherwise (Botan,
	 * libstdc++). RTLD_NOW would force the latter too, a quarter more of the load's work
	 * (15 vs 20 million instructions), a stricter binding than the program ever had: its
	 * own full RELRO (-z relro -z now) is untouched. RTLD_LOCAL: nothing of librnp or
	 * Botan joins the program's global namespace. */
	void *h = dlopen(RNP_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(load_err, sizeof load_err, "cannot load %s: %s", RNP_SONAME,
		         e != NULL ? e : "unknown error");
		return;
	}
	/* dlsym returns an object pointer; POSIX guarantees it converts to a function
	 * pointer, which memcpy does without a cast C forbids. */
#define WC_RNP_RESOLVE(name)                                                                   \
	{                                                                                      \
		void *p = dlsym(h, #name);                                                     \
		if (p == NULL) {                                                               \
			snprintf(load_err, sizeof load_err, "%s lacks %s", RNP_SONAME, #name); \
			return;                                                                \
		}                                                                              \
		memcpy(&wc_rnp_api.name, &p, sizeof p);                                        \
	}
	WC_RNP_FUNCTIONS(WC_RNP_RESOLVE)
#undef WC_RNP_RESOLVE
	load_err[0] = '\0';
}

cw_status wc_rnp_load(char *err, size_t errsz)
{
	pthread_once(&load_once, load);
	if (load_err[0] == '\0')
		return CW_OK;
	snprintf(err, errsz, "%s", load_err);
	return CW_ERR_CRYPTO;
}
