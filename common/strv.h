/* Growable arrays of malloc'd strings (fingerprints, paths, variable names), and a growable
 * text (documents built piece by piece: manifests, listings). Neither is for secrets: those
 * go in secmem.h's cw_sbuf. */
#ifndef CW_STRV_H
#define CW_STRV_H

#include <stddef.h>

#include "status.h"

/* Appends a copy of s to the array *v of *n strings. CW_ERR_NOMEM leaves *v and *n valid. */
cw_status cw_strv_add(char ***v, size_t *n, const char *s);
/* Frees the n strings of v and v itself; v may be NULL. */
void cw_strv_free(char **v, size_t n);

/* A text of len bytes in buf, NUL-terminated once anything was appended (buf is NULL before).
 * Zero-initialised, it is empty. */
typedef struct cw_text {
	char *buf;
	size_t len, cap;
} cw_text;
/* Appends s[0..n). CW_ERR_NOMEM leaves t as it was. */
cw_status cw_text_append(cw_text *t, const char *s, size_t n);
/* Frees the text; t is empty again. */
void cw_text_free(cw_text *t);

#endif
