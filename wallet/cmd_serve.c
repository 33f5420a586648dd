/* wallet serve: the mutual-TLS HTTP API of docs/FORMAT.md (see server.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

void usage_serve(FILE *out)
{
	fprintf(out,
		"usage: wallet serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
		"                    [--config FILE] [--health-listen [ADDR:]PORT] [--audit-log FILE|-]\n"
		"                    [--threads N] [--data DIR]\n");
}

int cmd_serve(int argc, char **argv, const struct wallet_ctx *ctx)
{
	(void)ctx;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage_serve(stdout);
		return 0;
	}
	fprintf(stderr, "wallet serve: not implemented yet\n");
	return 1;
}
