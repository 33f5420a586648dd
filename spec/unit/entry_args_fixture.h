/* What the unit tests of wallet-entry's options share: ent_parse_args on a NULL-terminated
 * argv, with a zeroed ent_args and error line. */
#ifndef ENTRY_ARGS_FIXTURE_H
#define ENTRY_ARGS_FIXTURE_H

#include <string.h>

#include "options.h"

static int parse(struct ent_args *a, char *err, size_t errsz, char **argv)
{
	int argc = 0;
	while (argv[argc] != NULL)
		argc++;
	memset(a, 0, sizeof *a);
	err[0] = '\0';
	return ent_parse_args(argc, argv, a, err, errsz);
}

#endif
