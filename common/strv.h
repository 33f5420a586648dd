/* Growable arrays of malloc'd strings (fingerprints, paths, variable names). */
#ifndef CW_STRV_H
#define CW_STRV_H

#include <stddef.h>

#include "status.h"

/* Appends a copy of s to the array *v of *n strings. CW_ERR_NOMEM leaves *v and *n valid. */
cw_status cw_strv_add(char ***v, size_t *n, const char *s);
/* Frees the n strings of v and v itself; v may be NULL. */
void cw_strv_free(char **v, size_t n);

#endif
