/* What unit suites that write small files into their own temporary directory share. */
#ifndef CW_FILE_FIXTURE_H
#define CW_FILE_FIXTURE_H

#include <stdio.h>

#include "cmocka_common.h"

/* Writes text to dir/name (created or truncated); fails the test when it cannot. */
static inline void fx_put_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

#endif
