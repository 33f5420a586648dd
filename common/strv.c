#include "strv.h"

#include <stdlib.h>
#include <string.h>

cw_status cw_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL)
		return CW_ERR_NOMEM;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return CW_ERR_NOMEM;
	(*n)++;
	return CW_OK;
}

void cw_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}
