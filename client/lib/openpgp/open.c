/* libwalletclient: opening a sealed object, whatever the engine. The engine (gnupg.c, rnp.c)
 * verifies the detached signature before anything reaches the decryptor, decrypts into
 * secure memory and checks the inner signature; what both engines share is here: the bound
 * on what decryption may produce, the binding of the signed name and version to the request
 * (docs/FORMAT.md), and the cleanup after an object is opened. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "name.h"
#include "wc_internal.h"

/* How much stack below wc_open_sealed is zeroed once an object is opened. */
#define OPEN_STACK_SCRUB ((size_t)256 << 10)

void wc_oerr(struct wc_opener *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->err, o->errsz, fmt, ap);
	va_end(ap);
}

cw_status wc_plain_append(cw_sbuf *plain, const void *buf, size_t size)
{
	/* what comes out of a decryption is bounded like what goes in (compression could
	 * otherwise make much more of it) */
	if (size > WC_MAX_OBJECT - plain->len)
		return CW_ERR_TOOBIG;
	return cw_sbuf_append(plain, buf, size);
}

cw_status wc_check_binding(struct wc_opener *o, const struct wc_sealed *in, const char *sname,
                           const char *sver, bool dup, uint64_t *version)
{
	uint64_t v = 0;
	if (dup || sname == NULL || sver == NULL || !cw_version_parse(sver, strlen(sver), &v)) {
		wc_oerr(o, "the signed content lacks a single name and version notation");
		return CW_ERR_BINDING;
	}
	if (strcmp(sname, in->name) != 0) {
		wc_oerr(o, "asked for %s, the wallet signed %s", in->name, sname);
		return CW_ERR_BINDING;
	}
	if (v != in->hdr_version || (in->want_version != 0 && v != in->want_version)) {
		wc_oerr(o, "signed version %llu differs from the version served or asked for",
		        (unsigned long long)v);
		return CW_ERR_BINDING;
	}
	if (v < in->min_version) {
		wc_oerr(o, "version %llu is below the minimum %llu", (unsigned long long)v,
		        (unsigned long long)in->min_version);
		return CW_ERR_ROLLBACK;
	}
	*version = v;
	return CW_OK;
}

cw_status wc_open_sealed(struct wc_opener *o, const struct wc_sealed *in, cw_sbuf *plain,
                         uint64_t *version)
{
	uint64_t v = 0;
	cw_status st = o->c->engine->open(o, in, plain, &v);
	/* a NUL after the content, not counted, so text secrets are C strings */
	if (st == CW_OK && (st = cw_sbuf_append(plain, "", 1)) == CW_OK) {
		plain->len--;
		*version = v;
	}
	if (st != CW_OK)
		cw_sbuf_free(plain);
	/* The engines' buffers lived in the frames below this one (librnp's decryption
	 * buffers; gpgme's read buffer for gpg's output): zero them, in whichever thread this
	 * runs. */
	(void)cw_scrub_stack(OPEN_STACK_SCRUB);
	return st;
}
