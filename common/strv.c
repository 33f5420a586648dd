#include "strv.h"

#include <stdint.h>
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

cw_status cw_text_append(cw_text *t, const char *s, size_t n)
{
	if (t->cap - t->len <= n) {
		size_t nc = t->cap ? t->cap : 4096;
		while (nc - t->len <= n) {
			if (nc > SIZE_MAX / 2)
				return CW_ERR_NOMEM;
			nc *= 2;
		}
		char *nb = realloc(t->buf, nc);
		if (nb == NULL)
			return CW_ERR_NOMEM;
		t->buf = nb;
		t->cap = nc;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return CW_OK;
}

void cw_text_free(cw_text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}
