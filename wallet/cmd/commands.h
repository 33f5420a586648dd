/* The wallet's subcommands: one file each (wallet/cmd_NAME.c), one row each in main.c's
 * table. Every command returns the process exit status: 0 success, 1 failure, 2 usage. */
#ifndef WALLET_COMMANDS_H
#define WALLET_COMMANDS_H

#include <stdio.h>

struct wallet_ctx {
	const char *datadir; /* --data before the subcommand, else WALLET_DATA, else
	                        /var/lib/wallet; a subcommand's own --data overrides it */
	const char *prog;    /* "wallet" */
};

#define WALLET_DEFAULT_DATA "/var/lib/wallet"

/* A cw_cmd_fn (cmdtab.h) whose arg is the const struct wallet_ctx *; argv[0] is the subcommand
 * name; the dispatcher resets getopt before the call. */
#define WALLET_CMD(name)                                        \
	int cmd_##name(int argc, char **argv, const void *arg); \
	void usage_##name(FILE *out)

WALLET_CMD(init);
WALLET_CMD(importkey);
WALLET_CMD(store);
WALLET_CMD(list);
WALLET_CMD(rm);
WALLET_CMD(keys);
WALLET_CMD(revoke);
WALLET_CMD(unrevoke);
WALLET_CMD(removekey);
WALLET_CMD(signing_key);
WALLET_CMD(rotate_signing_key);
WALLET_CMD(checkintegrity);
WALLET_CMD(serve);
WALLET_CMD(refresh);
WALLET_CMD(export);

#endif
